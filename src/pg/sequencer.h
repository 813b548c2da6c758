/*
 * sequencer.h: how a SQL backend hands commands to the engine and waits for them to be durable.
 *
 * The sequencer is the multi-producer ring of shmem.h: a producer takes seq_lock, gives each of
 * its commands the next global sequence number, copies them into the ring in that order (so ring
 * order is sequence order: FIFO), releases the lock and wakes the engine worker. It then sleeps
 * on durable_cv until the persister reports that the last of its commands is committed.
 */
#ifndef XTRADER_SEQUENCER_H
#define XTRADER_SEQUENCER_H

#include "pg/shmem.h"

/* Commands enqueued under one hold of seq_lock; longer batches go in pieces of this size. */
#define XT_SEQ_MAX_BATCH 1024

/*
 * Sequence cmds[0 .. n) (their seq fields are set here; consecutive within each piece of
 * XT_SEQ_MAX_BATCH), wait until all are durable, and if reply is not NULL (n must be 1) copy the
 * engine's answer into it. ERRORs (nothing sequenced):
 * 57P03 when the engine is not ready within xtrader.submit_timeout, 0A000 in a database other
 * than xtrader.database. ERRORs after sequencing: 57P03 when a recovery discarded the commands
 * before they were durable (they did not happen), 57014 on time-out (they may still happen).
 */
void		xt_sequence_and_wait(xt_command *cmds, int n, XtReply *reply);

/* Wait (up to xtrader.submit_timeout) for the engine to be READY, else ERROR 57P03. */
void		xt_wait_until_ready(void);

/*
 * For the network worker, which must never block: sequence one command if the engine is READY
 * and the ring has room, without a reply slot (the worker reads the outcome from the durable
 * outbound records). Sets cmd->seq and *generation. Never ERRORs for a full ring or a state.
 */
typedef enum XtTryEnqueue
{
	XT_ENQUEUED = 0,
	XT_ENQUEUE_NOT_READY,
	XT_ENQUEUE_FULL,
	XT_ENQUEUE_MALFORMED
} XtTryEnqueue;

XtTryEnqueue xt_try_enqueue(xt_command *cmd, uint32 *generation);

#endif							/* XTRADER_SEQUENCER_H */
