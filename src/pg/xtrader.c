/*
 * xtrader.c: module entry point. Loads only through shared_preload_libraries (the books live in
 * shared memory and the engine runs in background workers, both only possible there), defines the
 * xtrader.* GUCs, installs the shared-memory hooks and registers the workers.
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "utils/guc.h"

#include "brokers/publisher.h"
#include "net/auth.h"
#include "pg/shmem.h"
#include "pg/xtrader.h"

#include <sys/eventfd.h>

PG_MODULE_MAGIC;

int			xt_guc_max_symbols = XT_DEFAULT_MAX_SYMBOLS;
int			xt_guc_max_orders = XT_DEFAULT_MAX_ORDERS;
int			xt_guc_max_levels = XT_DEFAULT_MAX_LEVELS;
int			xt_guc_max_clordids = XT_DEFAULT_MAX_CLORDIDS;
int			xt_guc_ring_slots = XT_DEFAULT_RING_SLOTS;
int			xt_guc_event_ring_records = XT_DEFAULT_EVENT_RING;
char	   *xt_guc_database = NULL;
int			xt_guc_submit_timeout_ms = XT_DEFAULT_SUBMIT_TIMEOUT_MS;
int			xt_guc_persist_batch = XT_DEFAULT_PERSIST_BATCH;
int			xt_guc_rest_port = XT_DEFAULT_REST_PORT;
int			xt_guc_ws_port = XT_DEFAULT_WS_PORT;
char	   *xt_guc_listen_addresses = NULL;
bool		xt_guc_rest_auth = true;
int			xt_guc_auth_window_ms = XT_AUTH_WINDOW_DEFAULT;
int			xt_guc_rate_per_minute = XT_DEFAULT_RATE_PER_MINUTE;
int			xt_guc_rate_burst = XT_DEFAULT_RATE_BURST;
int			xt_guc_net_max_connections = 20000;
char	   *xt_guc_redis_url = NULL;
char	   *xt_guc_kafka_brokers = NULL;
char	   *xt_guc_amqp_url = NULL;
int			xt_guc_broker_health_ms = 5000;
int			xt_guc_broker_batch = 10000;
int			xt_guc_broker_book_depth = 20;
int			xt_guc_redis_maxlen = 10000000;
int			xt_guc_redis_consumers = 3;
int			xt_guc_consumer_claim_idle_ms = 30000;
int			xt_guc_consumer_batch = 100;

void		_PG_init(void);

static void
xt_define_gucs(void)
{
	DefineCustomIntVariable("xtrader.max_symbols",
							"Maximum number of symbols the exchange can list.",
							"Sizes the shared-memory books; changing it needs a restart.",
							&xt_guc_max_symbols,
							XT_DEFAULT_MAX_SYMBOLS, XT_MIN_MAX_SYMBOLS, XT_MAX_MAX_SYMBOLS,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("xtrader.max_orders",
							"Maximum number of resting orders across all books.",
							"A new order that would rest when the pool is full is rejected.",
							&xt_guc_max_orders,
							XT_DEFAULT_MAX_ORDERS, XT_MIN_MAX_ORDERS, XT_MAX_MAX_ORDERS,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("xtrader.max_levels",
							"Maximum number of price levels per side of one book.",
							NULL,
							&xt_guc_max_levels,
							XT_DEFAULT_MAX_LEVELS, XT_MIN_MAX_LEVELS, XT_MAX_MAX_LEVELS,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("xtrader.max_client_order_ids",
							"Client order ids remembered for duplicate detection (0 turns it off).",
							"The oldest is forgotten when the window is full.",
							&xt_guc_max_clordids,
							XT_DEFAULT_MAX_CLORDIDS, 0, XT_MAX_MAX_CLORDIDS,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("xtrader.sequencer_slots",
							"Commands the sequencer ring holds before submitters wait.",
							NULL,
							&xt_guc_ring_slots,
							XT_DEFAULT_RING_SLOTS, XT_MIN_RING_SLOTS, XT_MAX_RING_SLOTS,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("xtrader.event_ring_records",
							"Records (commands and events) the outbound ring holds.",
							"Raised at start to 2 * max_orders + 64 so one command's events always fit.",
							&xt_guc_event_ring_records,
							XT_DEFAULT_EVENT_RING, XT_MIN_EVENT_RING, XT_MAX_EVENT_RING,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("xtrader.database",
							   "Database whose xtrader extension the engine serves.",
							   NULL,
							   &xt_guc_database,
							   "xtrader",
							   PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("xtrader.submit_timeout",
							"How long a submission waits for the engine to be ready and durable.",
							NULL,
							&xt_guc_submit_timeout_ms,
							XT_DEFAULT_SUBMIT_TIMEOUT_MS, 1, 3600 * 1000,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("xtrader.persist_batch",
							"Outbound records the persister writes per transaction at most.",
							"Bigger batches mean fewer commits under load (group commit).",
							&xt_guc_persist_batch,
							XT_DEFAULT_PERSIST_BATCH, 1, 1000000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("xtrader.rest_port",
							"TCP port of the REST API (0: no REST listener).",
							NULL, &xt_guc_rest_port, XT_DEFAULT_REST_PORT, 0, 65535,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("xtrader.ws_port",
							"TCP port of the WebSocket API (0: no WebSocket listener).",
							NULL, &xt_guc_ws_port, XT_DEFAULT_WS_PORT, 0, 65535,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("xtrader.listen_addresses",
							   "Numeric IP address the REST and WebSocket APIs listen on ('*' for all).",
							   NULL, &xt_guc_listen_addresses, "127.0.0.1",
							   PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("xtrader.rest_auth",
							 "Require an API key signature for order entry (REST) and private WebSocket streams.",
							 "Off: anyone who reaches the ports trades as the bootstrap superuser's account "
							 "and every WebSocket connection receives every execution.",
							 &xt_guc_rest_auth, true, PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("xtrader.auth_window_ms",
							"How far a signed request's timestamp may be from the server's clock.",
							NULL, &xt_guc_auth_window_ms, XT_AUTH_WINDOW_DEFAULT,
							XT_AUTH_WINDOW_MIN, XT_AUTH_WINDOW_MAX,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("xtrader.rate_limit_per_minute",
							"Requests per minute per API key, for keys without their own limit.",
							NULL, &xt_guc_rate_per_minute, XT_DEFAULT_RATE_PER_MINUTE,
							1, XT_RATE_PER_MINUTE_MAX, PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("xtrader.rate_limit_burst",
							"Requests an API key may make at once, for keys without their own limit.",
							NULL, &xt_guc_rate_burst, XT_DEFAULT_RATE_BURST,
							1, XT_RATE_BURST_MAX, PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("xtrader.net_max_connections",
							"REST and WebSocket connections the network worker holds at once.",
							NULL, &xt_guc_net_max_connections, 20000, 16, 1000000,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("xtrader.redis_url",
							   "Redis to publish executions to (redis://host:port[/db]); empty: off.",
							   NULL, &xt_guc_redis_url, "", PGC_POSTMASTER, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("xtrader.kafka_brokers",
							   "Kafka bootstrap servers to publish executions to (host:port,...); empty: off.",
							   NULL, &xt_guc_kafka_brokers, "", PGC_POSTMASTER, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("xtrader.amqp_url",
							   "RabbitMQ to publish executions to (amqp://user:password@host:port/vhost); empty: off.",
							   NULL, &xt_guc_amqp_url, "", PGC_POSTMASTER, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("xtrader.broker_health_interval",
							"How often a broker that is down is checked for recovery.",
							NULL, &xt_guc_broker_health_ms, 5000, 100, 3600000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("xtrader.broker_batch",
							"Messages a broker worker publishes per round at most.",
							NULL, &xt_guc_broker_batch, 10000, 2, XT_PUB_MAX_BATCH,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("xtrader.broker_book_depth",
							"Price levels per side in the order book messages sent to Kafka and RabbitMQ.",
							NULL, &xt_guc_broker_book_depth, 20, 1, 1000,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("xtrader.redis_maxlen",
							"Approximate length Redis trims the executions stream to (XADD MAXLEN ~).",
							NULL, &xt_guc_redis_maxlen, 10000000, 1000, INT_MAX,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("xtrader.redis_consumers",
							"Members of the Redis consumer group execution_processors run as background workers (with xtrader.redis_url).",
							NULL, &xt_guc_redis_consumers, 3, 0, 64,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("xtrader.consumer_claim_idle",
							"How long a consumer group message may stay pending before another member takes it over.",
							NULL, &xt_guc_consumer_claim_idle_ms, 30000, 100, 3600000,
							PGC_POSTMASTER, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("xtrader.consumer_batch",
							"Messages a consumer group member reads and stores per transaction at most.",
							NULL, &xt_guc_consumer_batch, 100, 1, 100000,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("xtrader");

	/* one command can emit an event per resting order: the ring must hold that (persister.c) */
	if ((int64) xt_guc_event_ring_records < 2 * (int64) xt_guc_max_orders + 64)
		xt_guc_event_ring_records = 2 * xt_guc_max_orders + 64;
}

static void
xt_register_worker(const char *name, const char *function, int restart_s, Datum arg)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = restart_s;
	worker.bgw_main_arg = arg;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "xtrader");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "%s", function);
	snprintf(worker.bgw_name, BGW_MAXLEN, "%s", name);
	snprintf(worker.bgw_type, BGW_MAXLEN, "%s", name);
	RegisterBackgroundWorker(&worker);
}

void
_PG_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("xtrader must be loaded via shared_preload_libraries"),
				 errhint("Add xtrader to shared_preload_libraries in postgresql.conf and restart the server.")));

	xt_define_gucs();
	xt_shmem_install_hooks();
	xt_register_worker("xtrader engine", "xt_engine_worker_main", 1, (Datum) 0);
	xt_register_worker("xtrader persister", "xt_persister_main", 1, (Datum) 0);

	/* The network worker is optional: both ports 0 means SQL-only. Its wake-up eventfd is made
	 * here, in the postmaster, so that the persister and the worker (children) share it. */
	if (xt_guc_rest_port != 0 || xt_guc_ws_port != 0)
	{
		xt_net_wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (xt_net_wake_fd < 0)
			ereport(WARNING,
					(errmsg("xtrader: cannot create the network worker's eventfd: %m"),
					 errdetail("The REST and WebSocket APIs are off.")));
		else
			xt_register_worker("xtrader net", "xt_net_worker_main", 5, (Datum) 0);	/* e.g. a port in use */
	}

	/* one publisher per configured broker, so one broker's trouble stays in its own process */
	for (int b = 0; b < XT_BROKER_COUNT; b++)
		if (xt_broker_enabled((XtBroker) b))
		{
			char		name[BGW_MAXLEN];

			snprintf(name, sizeof(name), "xtrader %s", xt_broker_name((XtBroker) b));
			xt_register_worker(name, "xt_broker_worker_main", 5, Int32GetDatum(b));
		}
	/* the consumer group members that move the Redis stream into execution_history */
	if (xt_broker_enabled(XT_BROKER_REDIS))
		for (int i = 1; i <= xt_guc_redis_consumers; i++)
		{
			char		name[BGW_MAXLEN];

			snprintf(name, sizeof(name), "xtrader consumer %d", i);
			xt_register_worker(name, "xt_consumer_worker_main", 5, Int32GetDatum(i));
		}
}
