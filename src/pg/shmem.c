/*
 * shmem.c: sizing, requesting and initialising xTrader's shared memory (layout in shmem.h).
 *
 * Runs in the postmaster: shmem_request_hook asks for the space (PostgreSQL 15 knows MaxBackends
 * only from that hook on), shmem_startup_hook lays the block out. Both are chained to whatever
 * hook was installed before ours.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/shmem.h"

#include <unistd.h>
#include "access/twophase.h"

#include "engine/engine.h"
#include "pg/shmem.h"

XtShared   *xt_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static int	xt_lwlock_tranche = 0;

void
xt_engine_config_from_gucs(xt_engine_config *cfg)
{
	extern int	xt_guc_max_symbols;

	cfg->max_symbols = (uint32) xt_guc_max_symbols;
	cfg->max_orders = (uint32) xt_guc_max_orders;
	cfg->max_levels = (uint32) xt_guc_max_levels;
	cfg->max_clordids = (uint32) xt_guc_max_clordids;
}

/* Every PGPROC has a reply slot, indexed by pgprocno. */
static uint32
xt_reply_count(void)
{
	return (uint32) (MaxBackends + NUM_AUXILIARY_PROCS + max_prepared_xacts);
}

/* Compute the layout; fills the offsets of *layout and returns the total size. */
static Size
xt_shmem_layout(XtShared *layout)
{
	xt_engine_config cfg;
	Size		off;

	xt_engine_config_from_gucs(&cfg);
	memset(layout, 0, sizeof(*layout));
	layout->in_slots = (uint32) xt_guc_ring_slots;
	layout->n_replies = xt_reply_count();
	layout->out_recs = (uint64) xt_guc_event_ring_records;
	layout->engine_size = xt_engine_size(&cfg);
	if (layout->engine_size == 0)
		ereport(FATAL,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("xtrader engine limits are out of range")));

	off = CACHELINEALIGN(sizeof(XtShared));
	layout->in_offset = off;
	off = CACHELINEALIGN(add_size(off, mul_size(layout->in_slots, sizeof(XtInSlot))));
	layout->reply_offset = off;
	off = CACHELINEALIGN(add_size(off, mul_size(layout->n_replies, sizeof(XtReply))));
	layout->out_offset = off;
	off = CACHELINEALIGN(add_size(off, mul_size(layout->out_recs, sizeof(XtOutRec))));
	layout->engine_offset = off;
	return add_size(off, layout->engine_size);
}

static void
xt_shmem_request(void)
{
	XtShared	layout;

	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(xt_shmem_layout(&layout));
}

static void
xt_shmem_startup(void)
{
	bool		found;
	XtShared	layout;
	Size		size;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	size = xt_shmem_layout(&layout);
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	xt_shared = ShmemInitStruct("xtrader", size, &found);
	if (!found)
	{
		xt_engine_config cfg;
		xt_engine  *eng;

		memcpy(xt_shared, &layout, sizeof(XtShared));
		xt_lwlock_tranche = LWLockNewTrancheId();
		LWLockInitialize(&xt_shared->seq_lock, xt_lwlock_tranche);
		LWLockInitialize(&xt_shared->book_lock, xt_lwlock_tranche);
		LWLockInitialize(&xt_shared->persist_lock, xt_lwlock_tranche);
		pg_atomic_init_u32(&xt_shared->state, XT_STATE_STARTING);
		pg_atomic_init_u32(&xt_shared->generation, 0);
		pg_atomic_init_u32(&xt_shared->reset_requested, 0);
		pg_atomic_init_u32(&xt_shared->persister_parked, 0);
		pg_atomic_init_u32(&xt_shared->symbols_version, 0);
		pg_atomic_init_u64(&xt_shared->in_tail, 0);
		pg_atomic_init_u64(&xt_shared->in_head, 0);
		pg_atomic_init_u64(&xt_shared->applied_seq, 0);
		pg_atomic_init_u64(&xt_shared->durable_seq, 0);
		pg_atomic_init_u64(&xt_shared->out_write, 0);
		pg_atomic_init_u64(&xt_shared->out_read, 0);
		pg_atomic_init_u64(&xt_shared->net_read, 0);
		pg_atomic_init_u32(&xt_shared->net_attached, 0);
		pg_atomic_init_u32(&xt_shared->api_keys_version, 0);
		pg_atomic_init_u64(&xt_shared->commands, 0);
		pg_atomic_init_u64(&xt_shared->trades, 0);
		pg_atomic_init_u64(&xt_shared->batches, 0);
		pg_atomic_init_u64(&xt_shared->events_persisted, 0);
		ConditionVariableInit(&xt_shared->durable_cv);
		ConditionVariableInit(&xt_shared->in_space_cv);
		ConditionVariableInit(&xt_shared->out_space_cv);
		ConditionVariableInit(&xt_shared->state_cv);
		for (int b = 0; b < XT_BROKER_COUNT; b++)
		{
			memset(&xt_shared->brokers[b], 0, sizeof(XtBrokerShared));
			SpinLockInit(&xt_shared->brokers[b].mutex);
		}
		memset(xt_replies(), 0, mul_size(xt_shared->n_replies, sizeof(XtReply)));

		xt_engine_config_from_gucs(&cfg);
		if (xt_engine_init(xt_shared_engine(), xt_shared->engine_size, &cfg, &eng) != XT_OK)
			elog(FATAL, "xtrader: could not initialise the engine in shared memory");
	}
	LWLockRelease(AddinShmemInitLock);
	LWLockRegisterTranche(xt_shared->seq_lock.tranche, "xtrader");
}

void
xt_shmem_install_hooks(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = xt_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = xt_shmem_startup;
}

int			xt_net_wake_fd = -1;

void
xt_net_wakeup(void)
{
	uint64		one = 1;

	if (xt_net_wake_fd < 0 || pg_atomic_read_u32(&xt_shared->net_attached) == 0)
		return;
	/* EAGAIN means the counter is already non-zero: the worker is being woken anyway */
	if (write(xt_net_wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		elog(DEBUG1, "xtrader: cannot wake the network worker: %m");
}

void
xt_brokers_wakeup(void)
{
	for (int b = 0; b < XT_BROKER_COUNT; b++)
	{
		Latch	   *latch = xt_shared->brokers[b].latch;

		if (latch)
			SetLatch(latch);
	}
}

void
xt_require_shmem(void)
{
	if (xt_shared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("xtrader shared memory is not set up"),
				 errhint("Add xtrader to shared_preload_libraries and restart the server.")));
}
