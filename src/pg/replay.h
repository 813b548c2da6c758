/*
 * replay.h: rebuilding an engine from the durable tables, for whoever needs a copy of the books
 * as of a sequence number: the engine worker's recovery (the shared books, to the end of the
 * journal) and the broker workers' market data (a private replica, to their cursor).
 *
 * Owns: reading xtrader.snapshots and xtrader.journal and decoding their records. Everything here
 * runs inside a transaction with SPI connected; errors are ereport(ERROR).
 */
#ifndef XT_PG_REPLAY_H
#define XT_PG_REPLAY_H

#include "postgres.h"

#include "datatype/timestamp.h"

#include "engine/engine.h"

/* One journal command and the time the engine applied it. */
typedef void (*XtJournalFn) (void *ctx, const xt_command *cmd, TimestampTz applied_at);

/*
 * Restore the newest snapshot with seq <= upto into eng (an engine just initialised). Returns its
 * seq, or 0 when there is none or it cannot be used (damaged, or bigger than the engine's limits;
 * a WARNING says which): then eng may hold a partial restore, and the caller must initialise it
 * again before replaying the whole journal, which is slower but always right.
 */
uint64		xt_snapshot_restore(xt_engine *eng, uint64 upto, const char *who);

/*
 * Hand the journal commands with after < seq <= upto to fn, in order, at most limit of them
 * (0 = no limit). Returns how many. A record that does not decode is an ERROR (data corrupted).
 */
uint64		xt_journal_scan(uint64 after, uint64 upto, uint64 limit, XtJournalFn fn, void *ctx);

/* Apply one journal command to eng; a sequence gap is an ERROR (data corrupted). */
void		xt_journal_apply(xt_engine *eng, const xt_command *cmd, xt_event_fn sink, void *ctx);

/* An XtJournalFn (ctx: the xt_engine) that applies each command and drops its events: they were
 * handled when the command was first applied. */
void		xt_journal_replay_one(void *ctx, const xt_command *cmd, TimestampTz applied_at);

#endif							/* XT_PG_REPLAY_H */
