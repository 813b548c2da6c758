/*
 * net_worker.c: the "xtrader net" background worker: REST and WebSocket APIs (net_worker.h).
 *
 * One process, one epoll loop (src/net/server.c). The loop wakes on client sockets, on the
 * eventfd the persister writes after each commit (new durable records: net_feed.c), and on a
 * 100 ms tick (attach/re-attach, key and symbol reloads, tickers, shutdown and postmaster checks).
 *
 * The hot path (POST /v1/order) never touches SQL: validate, sign-check, rate-limit, sequence
 * with xt_try_enqueue, and answer when net_feed.c reads the command back from the durable ring.
 * Reads that need history (GET /v1/order/{id}, trades, keys, symbols) use SPI in short
 * transactions; an error there is answered 500 and logged, never fatal to the loop.
 */
#include "postgres.h"

#include "catalog/pg_authid_d.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/pmsignal.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include <math.h>
#include <sys/resource.h>
#include <sys/time.h>

#include "brokers/publisher.h"
#include "common/decimal.h"
#include "net/auth.h"
#include "net/http_route.h"
#include "net/json.h"
#include "pg/net_worker.h"
#include "pg/sequencer.h"
#include "pg/xtrader.h"

#define NET_TICK_MS			100
#define NET_KEYS_RELOAD_MS	1000	/* revocations take effect within this */
#define NET_MISS_RELOAD_MS	100		/* an unknown key or symbol reloads at most this often */
#define NET_OUT_CAP			(1 << 20)

static NetWorker net;

/* ---- time -------------------------------------------------------------------------------- */

int64
net_now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64) tv.tv_sec * 1000000 + tv.tv_usec;
}

int64
net_now_ms(void)
{
	return net_now_us() / 1000;
}

int64
net_ts_ms(TimestampTz at)
{
	return xt_unix_ms(at);
}

/* ---- answering -------------------------------------------------------------------------- */

static void
net_respond(NetWorker *w, xt_conn *c, int status, const char *extra, const char *body, size_t len)
{
	int			cls = status / 100;

	if (cls >= 1 && cls <= 5)
		w->m.http_by_status[cls]++;
	xt_conn_respond(c, status, "application/json", extra, body, len);
}

static void
net_respond_error(NetWorker *w, xt_conn *c, int status, const char *extra, const char *code,
				  const char *message)
{
	size_t		len = xt_json_error_body(w->out, w->out_cap, code, message);

	net_respond(w, c, status, extra, w->out, len);
}

static void
net_respond_unavailable(NetWorker *w, xt_conn *c, const char *code, const char *message)
{
	w->m.overloaded++;
	net_respond_error(w, c, 503, "Retry-After: 1\r\n", code, message);
}

static void
net_record_latency(NetWorker *w, int64 started_us)
{
	int64		us = net_now_us() - started_us;

	w->m.latency_us[w->m.latency_next] = (int32) Min(us, INT32_MAX);
	w->m.latency_next = (w->m.latency_next + 1) % NET_LATENCY_SAMPLES;
	if (w->m.latency_n < NET_LATENCY_SAMPLES)
		w->m.latency_n++;
}

void
net_answer_command(NetWorker *w, const NetPending *p, const XtReply *reply)
{
	xt_conn    *c = xt_server_find(w->server, p->conn_id);
	char		msg[XT_ERROR_MESSAGE_MAX];
	size_t		len;

	net_record_latency(w, p->started_us);
	if (c == NULL)
		return;					/* the client went away; the order stands all the same */
	if (reply == NULL)
	{
		snprintf(msg, sizeof(msg), "the outcome of command %llu is unknown; check GET /v1/order/%llu",
				 (unsigned long long) p->seq, (unsigned long long) p->seq);
		net_respond_error(w, c, 500, NULL, "INTERNAL", msg);
		return;
	}
	if (p->kind == NET_PENDING_CANCEL)
	{
		if (reply->outcome == XT_OUTCOME_ACCEPTED)
		{
			xt_json_writer jw;

			xt_jw_init(&jw, w->out, w->out_cap);
			xt_jw_object_begin(&jw);
			xt_jw_key(&jw, "order_id");
			xt_jw_uint(&jw, p->order_id);
			xt_jw_key(&jw, "status");
			xt_jw_cstring(&jw, "CANCELLED");
			xt_jw_key(&jw, "message");
			xt_jw_cstring(&jw, "order cancelled");
			xt_jw_object_end(&jw);
			len = xt_jw_finish(&jw);
			w->m.cancels++;
			net_respond(w, c, 200, NULL, w->out, len);
		}
		else
		{
			/* it was open when we looked; it traded or expired before the cancel's turn */
			snprintf(msg, sizeof(msg), "order %llu is no longer open",
					 (unsigned long long) p->order_id);
			net_respond_error(w, c, 409, NULL, "ORDER_NOT_OPEN", msg);
		}
		return;
	}

	switch (reply->outcome)
	{
		case XT_OUTCOME_ACCEPTED:
			snprintf(msg, sizeof(msg), "order accepted: %s",
					 xt_status_name((xt_status) reply->status));
			w->m.orders_accepted++;
			len = xt_order_encode_accepted(reply->order_id, msg, w->out, w->out_cap);
			net_respond(w, c, 200, NULL, w->out, len);
			break;
		case XT_OUTCOME_DUPLICATE:
			len = xt_order_encode_accepted(reply->order_id,
										   "duplicate client_order_id: this is the original order",
										   w->out, w->out_cap);
			net_respond(w, c, 200, NULL, w->out, len);
			break;
		default:
			{
				xt_json_writer jw;
				const char *reason = xt_reason_name((xt_reason) reply->reason);

				snprintf(msg, sizeof(msg), "order %llu rejected: %s",
						 (unsigned long long) p->seq, reason);
				xt_jw_init(&jw, w->out, w->out_cap);
				xt_jw_object_begin(&jw);
				xt_jw_key(&jw, "error");
				xt_jw_cstring(&jw, "ORDER_REJECTED");
				xt_jw_key(&jw, "message");
				xt_jw_cstring(&jw, msg);
				xt_jw_key(&jw, "order_id");
				xt_jw_uint(&jw, p->seq);
				xt_jw_key(&jw, "reason");
				xt_jw_cstring(&jw, reason);
				xt_jw_object_end(&jw);
				len = xt_jw_finish(&jw);
				w->m.orders_rejected++;
				net_respond(w, c, 409, NULL, w->out, len);
			}
			break;
	}
}

void
net_fail_pending(NetWorker *w, const char *why)
{
	while (w->pending_head < w->pending_tail)
	{
		NetPending	p = w->pending[w->pending_head & (w->pending_cap - 1)];
		xt_conn    *c;
		char		msg[XT_ERROR_MESSAGE_MAX];

		w->pending_head++;
		c = xt_server_find(w->server, p.conn_id);
		if (c == NULL)
			continue;
		snprintf(msg, sizeof(msg), "%s; check GET /v1/order/%llu before sending it again",
				 why, (unsigned long long) (p.kind == NET_PENDING_CANCEL ? p.order_id : p.seq));
		net_respond_unavailable(w, c, "ENGINE_RESTARTED", msg);
	}
}

/* ---- WebSocket audiences ------------------------------------------------------------------ */

static void
net_list_add(NetWorker *w, NetIdList *l, uint64 id)
{
	if (l->n == l->cap)
	{
		uint32		cap = l->cap ? l->cap * 2 : 16;

		l->ids = l->ids ? repalloc(l->ids, cap * sizeof(uint64))
			: MemoryContextAlloc(w->cxt, cap * sizeof(uint64));
		l->cap = cap;
	}
	l->ids[l->n++] = id;
}

static void
net_list_remove(NetIdList *l, uint64 id)
{
	for (uint32 i = 0; i < l->n; i++)
		if (l->ids[i] == id)
		{
			l->ids[i] = l->ids[--l->n];
			return;
		}
}

uint32
net_send_list(NetWorker *w, NetIdList *list, const char *text, size_t len)
{
	uint32		sent = 0;

	/* backwards: a send that drops a slow consumer may remove it from this list */
	for (int64 i = (int64) list->n - 1; i >= 0; i--)
	{
		xt_conn    *c;

		if ((uint32) i >= list->n)
			continue;
		c = xt_server_find(w->server, list->ids[i]);
		if (c && xt_conn_ws_send(c, text, len))
			sent++;
	}
	return sent;
}

typedef struct NetAccountEntry
{
	uint64		account;		/* hash key */
	NetIdList	conns;
} NetAccountEntry;

NetIdList *
net_account_list(NetWorker *w, uint64 account, bool create)
{
	bool		found;
	NetAccountEntry *e = hash_search(w->by_account, &account, create ? HASH_ENTER : HASH_FIND,
									 &found);

	if (e == NULL)
		return NULL;
	if (!found)
		memset(&e->conns, 0, sizeof(e->conns));
	return &e->conns;
}

/* ---- SPI, in short transactions that cannot take the loop down ------------------------------ */

static bool
net_spi(NetWorker *w, XtSpiFn fn, void *arg, char last_error[NET_SPI_ERROR_LEN])
{
	return xt_spi_transaction(fn, w, arg, "xtrader net: a read failed", last_error,
							  NET_SPI_ERROR_LEN);
}

static Datum
net_col(int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, isnull);
}

/* ---- symbols -------------------------------------------------------------------------------- */

static void
net_symbols_load_spi(void *ctx, void *arg)
{
	NetWorker  *w = ctx;
	if (SPI_execute("SELECT symbol_id, symbol, tick_size::text, lot_size::text, "
					"min_quantity::text, max_quantity::text FROM xtrader.symbols",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "cannot read xtrader.symbols");
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	t = SPI_tuptable->vals[r];
		TupleDesc	d = SPI_tuptable->tupdesc;
		bool		isnull;
		int32		id = DatumGetInt32(SPI_getbinval(t, d, 1, &isnull));
		NetSymbol  *s = id >= 0 ? net_symbol(w, (uint32) id) : NULL;
		char	   *name = SPI_getvalue(t, d, 2);
		char	   *tick = SPI_getvalue(t, d, 3);
		char	   *lot = SPI_getvalue(t, d, 4);
		char	   *minq = SPI_getvalue(t, d, 5);
		char	   *maxq = SPI_getvalue(t, d, 6);
		xt_symbol_spec spec;

		if (s == NULL || strlen(name) > XT_SYMBOL_NAME_MAX)
			continue;
		memset(&spec, 0, sizeof(spec));
		spec.id = (uint32) id;
		if (xt_step_parse(tick, strlen(tick), &spec.tick) != XT_DEC_OK ||
			xt_step_parse(lot, strlen(lot), &spec.lot) != XT_DEC_OK)
			continue;
		spec.min_lots = 1;
		spec.max_lots = XT_VALUE_MAX;
		if (minq && xt_decimal_to_units(minq, strlen(minq), spec.lot, &spec.min_lots) != XT_DEC_OK)
			spec.min_lots = 1;
		if (maxq && xt_decimal_to_units(maxq, strlen(maxq), spec.lot, &spec.max_lots) != XT_DEC_OK)
			spec.max_lots = XT_VALUE_MAX;
		s->spec = spec;
		strlcpy(s->name, name, sizeof(s->name));
		s->named = true;
	}
}

static void
net_symbols_reload(NetWorker *w)
{
	uint32		version = pg_atomic_read_u32(&xt_shared->symbols_version);

	if (net_spi(w, net_symbols_load_spi, NULL, w->symbols_spi_error))
	{
		w->symbols_version = version;
		w->symbols_stale = false;
	}
}

static NetSymbol *
net_symbol_by_name(NetWorker *w, const char *name, size_t len)
{
	for (uint32 id = 0; id < w->max_symbols; id++)
	{
		NetSymbol  *s = w->symbols[id];

		if (s && s->named && strlen(s->name) == len && memcmp(s->name, name, len) == 0)
			return s;
	}
	return NULL;
}

/* xt_symbol_lookup_fn: a symbol the engine has, by name; a miss reloads (rate-limited). */
static bool
net_symbol_lookup(void *ctx, const char *name, size_t len, xt_symbol_spec *out)
{
	NetWorker  *w = ctx;
	NetSymbol  *s = net_symbol_by_name(w, name, len);

	if (s == NULL)
	{
		int64		now = net_now_ms();

		if (now - w->symbols_miss_reload_ms < NET_MISS_RELOAD_MS)
			return false;
		w->symbols_miss_reload_ms = now;
		net_symbols_reload(w);
		s = net_symbol_by_name(w, name, len);
	}
	if (s == NULL || !s->in_engine)
		return false;
	*out = s->spec;
	return true;
}

/* ---- API keys ------------------------------------------------------------------------------ */

typedef struct NetKey
{
	char		key[XT_AUTH_API_KEY_MAX + 1];	/* hash key, NUL-padded */
	xt_auth_key auth;
	xt_rate_limit limit;
	xt_rate_bucket bucket;
	bool		seen;
} NetKey;

static void
net_keys_load_spi(void *ctx, void *arg)
{
	NetWorker  *w = ctx;
	HASH_SEQ_STATUS it;
	NetKey	   *k;
	int64		now = net_now_ms();

	if (SPI_execute("SELECT api_key, secret, account, rate_limit_per_minute, rate_limit_burst "
					"FROM xtrader.api_keys WHERE revoked_at IS NULL", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "cannot read xtrader.api_keys");

	hash_seq_init(&it, w->keys);
	while ((k = hash_seq_search(&it)) != NULL)
		k->seen = false;
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	t = SPI_tuptable->vals[r];
		TupleDesc	d = SPI_tuptable->tupdesc;
		char		key[XT_AUTH_API_KEY_MAX + 1];
		char	   *text = SPI_getvalue(t, d, 1);
		char	   *secret = SPI_getvalue(t, d, 2);
		bool		isnull;
		bool		found;
		xt_rate_limit limit;
		Datum		v;

		if (strlen(text) > XT_AUTH_API_KEY_MAX || strlen(secret) > XT_AUTH_SECRET_MAX)
			continue;
		memset(key, 0, sizeof(key));
		strlcpy(key, text, sizeof(key));
		limit.per_minute = xt_guc_rate_per_minute;
		limit.burst = xt_guc_rate_burst;
		v = SPI_getbinval(t, d, 4, &isnull);
		if (!isnull)
			limit.per_minute = DatumGetInt32(v);
		v = SPI_getbinval(t, d, 5, &isnull);
		if (!isnull)
			limit.burst = DatumGetInt32(v);

		k = hash_search(w->keys, key, HASH_ENTER, &found);
		if (!found || k->limit.per_minute != limit.per_minute || k->limit.burst != limit.burst)
			xt_rate_init(&k->bucket, &limit, now);
		k->limit = limit;
		k->auth.account = (uint64) DatumGetObjectId(SPI_getbinval(t, d, 3, &isnull));
		k->auth.secret_len = strlen(secret);
		memcpy(k->auth.secret, secret, k->auth.secret_len);
		k->seen = true;
	}
	hash_seq_init(&it, w->keys);
	while ((k = hash_seq_search(&it)) != NULL)
		if (!k->seen)
		{
			explicit_bzero(k->auth.secret, sizeof(k->auth.secret));
			hash_search(w->keys, k->key, HASH_REMOVE, NULL);
		}
}

static void
net_keys_reload(NetWorker *w)
{
	uint32		version = pg_atomic_read_u32(&xt_shared->api_keys_version);

	w->keys_loaded_ms = net_now_ms();
	if (net_spi(w, net_keys_load_spi, NULL, w->keys_spi_error))
		w->keys_version = version;
}

static NetKey *
net_key_find(NetWorker *w, const char *key, size_t len)
{
	char		buf[XT_AUTH_API_KEY_MAX + 1];

	if (len > XT_AUTH_API_KEY_MAX)
		return NULL;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, key, len);
	return hash_search(w->keys, buf, HASH_FIND, NULL);
}

/* xt_auth_lookup_fn: an active key; a miss reloads (rate-limited: a flood of made-up keys costs
 * at most one table read per NET_MISS_RELOAD_MS). */
static bool
net_key_lookup(void *ctx, const char *key, size_t len, xt_auth_key *out)
{
	NetWorker  *w = ctx;
	NetKey	   *k = net_key_find(w, key, len);

	if (k == NULL)
	{
		int64		now = net_now_ms();

		if (now - w->keys_miss_reload_ms < NET_MISS_RELOAD_MS)
			return false;
		w->keys_miss_reload_ms = now;
		net_keys_reload(w);
		k = net_key_find(w, key, len);
	}
	if (k == NULL)
		return false;
	*out = k->auth;
	return true;
}

/*
 * Authenticate a request to an order endpoint and take a token from its key's bucket. Returns
 * false after answering (401 / 429 / 500).
 */
static bool
net_authenticate(NetWorker *w, xt_conn *c, const xt_http_request *req, uint64 *account)
{
	xt_auth_request ar;
	xt_auth_result r;
	int64		now = net_now_ms();
	NetKey	   *k;
	int64		retry_after;

	if (!xt_guc_rest_auth)
	{
		*account = BOOTSTRAP_SUPERUSERID;
		return true;
	}
	memset(&ar, 0, sizeof(ar));
	ar.api_key = xt_http_request_header(req, "X-XT-APIKEY", &ar.api_key_len);
	ar.timestamp = xt_http_request_header(req, "X-XT-TIMESTAMP", &ar.timestamp_len);
	ar.signature = xt_http_request_header(req, "X-XT-SIGNATURE", &ar.signature_len);
	ar.method = req->method;
	ar.method_len = req->method_len;
	ar.path_and_query = req->target;
	ar.path_and_query_len = req->target_len;
	ar.body = req->body;
	ar.body_len = req->body_len;
	r = xt_auth_verify_rest(&ar, now, xt_guc_auth_window_ms, net_key_lookup, w, account);
	if (r != XT_AUTH_OK)
	{
		w->m.auth_failures++;
		net_respond_error(w, c, xt_auth_http_status(r), NULL, xt_auth_result_name(r),
						  xt_auth_result_message(r));
		return false;
	}
	k = net_key_find(w, ar.api_key, ar.api_key_len);
	if (k && !xt_rate_take(&k->bucket, &k->limit, now, &retry_after))
	{
		char		hdr[64];
		char		msg[XT_ERROR_MESSAGE_MAX];

		w->m.rate_limited++;
		snprintf(hdr, sizeof(hdr), "Retry-After: %lld\r\n", (long long) retry_after);
		snprintf(msg, sizeof(msg), "rate limit of this API key exceeded; retry in %lld s",
				 (long long) retry_after);
		net_respond_error(w, c, 429, hdr, "RATE_LIMITED", msg);
		return false;
	}
	return true;
}

/* ---- REST: orders ---------------------------------------------------------------------------- */

static bool
net_engine_ready(NetWorker *w, xt_conn *c)
{
	if (pg_atomic_read_u32(&xt_shared->state) == XT_STATE_READY && w->attach_token != 0)
		return true;
	net_respond_unavailable(w, c, "ENGINE_NOT_READY",
							"the engine is starting or recovering; retry in a moment");
	return false;
}

static void
net_sequence(NetWorker *w, xt_conn *c, xt_command *cmd, NetPendingKind kind, int64 started_us)
{
	uint32		generation;

	switch (xt_try_enqueue(cmd, &generation))
	{
		case XT_ENQUEUED:
			net_pending_push(w, cmd->seq, xt_conn_id(c), kind, started_us, cmd->order_id);
			break;
		case XT_ENQUEUE_FULL:
			net_respond_unavailable(w, c, "OVERLOADED", "the sequencer is full; retry in a moment");
			break;
		case XT_ENQUEUE_NOT_READY:
			net_respond_unavailable(w, c, "ENGINE_NOT_READY",
									"the engine is starting or recovering; retry in a moment");
			break;
		case XT_ENQUEUE_MALFORMED:
			net_respond_error(w, c, 500, NULL, "INTERNAL", "the command could not be encoded");
			break;
	}
}

static void
net_order_create(NetWorker *w, xt_conn *c, const xt_http_request *req, uint64 account,
				 int64 started_us)
{
	xt_order_request order;
	xt_order_error e;
	xt_command	cmd;
	char		msg[XT_ERROR_MESSAGE_MAX];

	if (!net_engine_ready(w, c))
		return;
	e = xt_order_request_decode(req->body, req->body_len, net_symbol_lookup, w, &order,
								msg, sizeof(msg));
	if (e != XT_ORDER_OK)
	{
		size_t		len = xt_order_encode_error(e, msg, w->out, w->out_cap);

		w->m.orders_invalid++;
		net_respond(w, c, xt_order_error_http_status(e), NULL, w->out, len);
		return;
	}
	xt_order_request_to_command(&order, account, &cmd);
	w->m.orders_received++;
	net_sequence(w, c, &cmd, NET_PENDING_NEW, started_us);
}

/* One order row, as GET /v1/order/{id} and the cancel check need it. */
typedef struct NetOrderRow
{
	uint64		order_id;
	bool		found;
	uint64		account;
	uint32		symbol_id;
	uint8		side;
	uint8		order_type;
	uint8		tif;
	uint8		status;
	int64		price;
	int64		quantity;
	int64		remaining;
	char		clordid[XT_CLORDID_MAX + 1];
	size_t		clordid_len;
	bool		has_clordid;
	int64		created_us;
	int64		updated_us;
} NetOrderRow;

static void
net_order_read_spi(void *ctx, void *arg)
{
	NetOrderRow *row = arg;
	Oid			types[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum((int64) row->order_id)};
	bool		isnull;
	Datum		v;

	if (SPI_execute_with_args("SELECT account, symbol_id, side, order_type, time_in_force, status, "
							  "price, quantity, remaining, client_order_id, "
							  "(extract(epoch FROM created_at) * 1000000)::int8, "
							  "(extract(epoch FROM updated_at) * 1000000)::int8 "
							  "FROM xtrader.orders WHERE order_id = $1",
							  1, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "cannot read xtrader.orders");
	row->found = SPI_processed == 1;
	if (!row->found)
		return;
	row->account = (uint64) DatumGetObjectId(net_col(1, &isnull));
	row->symbol_id = (uint32) DatumGetInt32(net_col(2, &isnull));
	row->side = (uint8) DatumGetInt16(net_col(3, &isnull));
	row->order_type = (uint8) DatumGetInt16(net_col(4, &isnull));
	row->tif = (uint8) DatumGetInt16(net_col(5, &isnull));
	row->status = (uint8) DatumGetInt16(net_col(6, &isnull));
	v = net_col(7, &isnull);
	row->price = isnull ? 0 : DatumGetInt64(v);
	row->quantity = DatumGetInt64(net_col(8, &isnull));
	row->remaining = DatumGetInt64(net_col(9, &isnull));
	v = net_col(10, &isnull);
	row->has_clordid = !isnull;
	if (!isnull)
	{
		char	   *s = TextDatumGetCString(v);

		row->clordid_len = Min(strlen(s), XT_CLORDID_MAX);
		memcpy(row->clordid, s, row->clordid_len);
	}
	row->created_us = DatumGetInt64(net_col(11, &isnull));
	row->updated_us = DatumGetInt64(net_col(12, &isnull));
}

/* Read an order the caller may see. Returns false after answering (404 / 500). */
static bool
net_order_read(NetWorker *w, xt_conn *c, uint64 order_id, uint64 account, NetOrderRow *row)
{
	char		msg[XT_ERROR_MESSAGE_MAX];

	memset(row, 0, sizeof(*row));
	row->order_id = order_id;
	if (!net_spi(w, net_order_read_spi, row, w->last_spi_error))
	{
		net_respond_error(w, c, 500, NULL, "INTERNAL", "the order could not be read");
		return false;
	}
	/* with auth on, another account's order does not exist for this key */
	if (!row->found || (xt_guc_rest_auth && row->account != account))
	{
		snprintf(msg, sizeof(msg), "order %llu not found", (unsigned long long) order_id);
		net_respond_error(w, c, 404, NULL, "ORDER_NOT_FOUND", msg);
		return false;
	}
	return true;
}

static NetSymbol *
net_named_symbol(NetWorker *w, uint32 id)
{
	NetSymbol  *s = net_symbol(w, id);

	if (s && !s->named)
		net_symbols_reload(w);
	return s && s->named ? s : NULL;
}

static void
net_order_get(NetWorker *w, xt_conn *c, uint64 order_id, uint64 account)
{
	NetOrderRow row;
	xt_order_view v;
	NetSymbol  *s;
	size_t		len;

	if (!net_order_read(w, c, order_id, account, &row))
		return;
	s = net_named_symbol(w, row.symbol_id);
	if (s == NULL)
	{
		net_respond_error(w, c, 500, NULL, "INTERNAL", "the order's symbol is not known");
		return;
	}
	memset(&v, 0, sizeof(v));
	v.order_id = order_id;
	v.symbol = s->name;
	v.tick = s->spec.tick;
	v.lot = s->spec.lot;
	v.side = row.side;
	v.order_type = row.order_type;
	v.tif = row.tif;
	v.status = row.status;
	v.price = row.price;
	v.quantity = row.quantity;
	v.filled = row.quantity - row.remaining;
	v.remaining = (row.status == XT_STATUS_PENDING || row.status == XT_STATUS_PARTIALLY_FILLED)
		? row.remaining : 0;
	v.clordid = row.has_clordid ? row.clordid : NULL;
	v.clordid_len = row.clordid_len;
	v.created_at_us = row.created_us;
	v.updated_at_us = row.updated_us;
	len = xt_order_encode_view(&v, w->out, w->out_cap);
	if (len == 0)
		net_respond_error(w, c, 500, NULL, "INTERNAL", "the order could not be encoded");
	else
		net_respond(w, c, 200, NULL, w->out, len);
}

static void
net_order_cancel(NetWorker *w, xt_conn *c, uint64 order_id, uint64 account, int64 started_us)
{
	NetOrderRow row;
	xt_command	cmd;

	if (!net_engine_ready(w, c) || !net_order_read(w, c, order_id, account, &row))
		return;
	if (row.status != XT_STATUS_PENDING && row.status != XT_STATUS_PARTIALLY_FILLED)
	{
		char		msg[XT_ERROR_MESSAGE_MAX];

		snprintf(msg, sizeof(msg), "order %llu is %s", (unsigned long long) order_id,
				 xt_status_name((xt_status) row.status));
		net_respond_error(w, c, 409, NULL, "ORDER_NOT_OPEN", msg);
		return;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = XT_CMD_CANCEL;
	cmd.order_id = order_id;
	cmd.account = row.account;
	net_sequence(w, c, &cmd, NET_PENDING_CANCEL, started_us);
}

/* ---- REST: market data and operations ------------------------------------------------------- */

static NetSymbol *
net_symbol_or_404(NetWorker *w, xt_conn *c, const char *name, size_t len)
{
	xt_symbol_spec spec;
	char		msg[XT_ERROR_MESSAGE_MAX];

	if (net_symbol_lookup(w, name, len, &spec))
		return net_symbol(w, spec.id);
	snprintf(msg, sizeof(msg), "unknown symbol \"%.*s\"", (int) len, name);
	net_respond_error(w, c, 404, NULL, "UNKNOWN_SYMBOL", msg);
	return NULL;
}

static void
net_orderbook(NetWorker *w, xt_conn *c, const xt_route_match *m)
{
	NetSymbol  *s = net_symbol_or_404(w, c, m->symbol, m->symbol_len);
	size_t		len;

	if (s == NULL)
		return;
	if (w->attach_token == 0)
	{
		net_respond_unavailable(w, c, "ENGINE_NOT_READY", "the order book is not available yet");
		return;
	}
	len = net_feed_encode_book(w, s, m->depth, w->out, w->out_cap);
	net_respond(w, c, len ? 200 : 500, NULL, w->out, len);
}

typedef struct NetTradesArg
{
	NetSymbol  *s;
	uint32		limit;
	xt_json_writer *jw;
} NetTradesArg;

static void
net_trades_spi(void *ctx, void *arg)
{
	NetTradesArg *a = arg;
	Oid			types[2] = {INT4OID, INT4OID};
	Datum		args[2] = {Int32GetDatum((int32) a->s->spec.id), Int32GetDatum((int32) a->limit)};

	if (SPI_execute_with_args("SELECT execution_id, price, quantity, taker_side, seq, "
							  "floor(extract(epoch FROM executed_at) * 1000)::int8 "
							  "FROM xtrader.executions WHERE symbol_id = $1 "
							  "ORDER BY execution_id DESC LIMIT $2",
							  2, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "cannot read xtrader.executions");
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	t = SPI_tuptable->vals[r];
		TupleDesc	d = SPI_tuptable->tupdesc;
		bool		isnull;

		xt_jw_object_begin(a->jw);
		xt_jw_key(a->jw, "trade_id");
		xt_jw_int(a->jw, DatumGetInt64(SPI_getbinval(t, d, 1, &isnull)));
		xt_jw_key(a->jw, "price");
		xt_jw_decimal(a->jw, DatumGetInt64(SPI_getbinval(t, d, 2, &isnull)), a->s->spec.tick);
		xt_jw_key(a->jw, "quantity");
		xt_jw_decimal(a->jw, DatumGetInt64(SPI_getbinval(t, d, 3, &isnull)), a->s->spec.lot);
		xt_jw_key(a->jw, "taker_side");
		xt_jw_cstring(a->jw, xt_side_name((xt_side) DatumGetInt16(SPI_getbinval(t, d, 4, &isnull))));
		xt_jw_key(a->jw, "seq");
		xt_jw_int(a->jw, DatumGetInt64(SPI_getbinval(t, d, 5, &isnull)));
		xt_jw_key(a->jw, "ts");
		xt_jw_int(a->jw, DatumGetInt64(SPI_getbinval(t, d, 6, &isnull)));
		xt_jw_object_end(a->jw);
	}
}

static void
net_trades(NetWorker *w, xt_conn *c, const xt_route_match *m)
{
	NetSymbol  *s = net_symbol_or_404(w, c, m->symbol, m->symbol_len);
	xt_json_writer jw;
	NetTradesArg a;
	size_t		len;

	if (s == NULL)
		return;
	xt_jw_init(&jw, w->out, w->out_cap);
	xt_jw_object_begin(&jw);
	xt_jw_key(&jw, "symbol");
	xt_jw_cstring(&jw, s->name);
	xt_jw_key(&jw, "trades");
	xt_jw_array_begin(&jw);
	a.s = s;
	a.limit = m->limit;
	a.jw = &jw;
	if (!net_spi(w, net_trades_spi, &a, w->last_spi_error))
	{
		net_respond_error(w, c, 500, NULL, "INTERNAL", "the trades could not be read");
		return;
	}
	xt_jw_array_end(&jw);
	xt_jw_object_end(&jw);
	len = xt_jw_finish(&jw);
	net_respond(w, c, len ? 200 : 500, NULL, w->out, len);
}

static void
net_symbols_list(NetWorker *w, xt_conn *c)
{
	xt_json_writer jw;
	size_t		len;

	if (w->symbols_stale || w->symbols_version != pg_atomic_read_u32(&xt_shared->symbols_version))
		net_symbols_reload(w);
	xt_jw_init(&jw, w->out, w->out_cap);
	xt_jw_object_begin(&jw);
	xt_jw_key(&jw, "symbols");
	xt_jw_array_begin(&jw);
	for (uint32 id = 0; id < w->max_symbols; id++)
	{
		NetSymbol  *s = w->symbols[id];

		if (s == NULL || !s->named || !s->in_engine)
			continue;
		xt_jw_object_begin(&jw);
		xt_jw_key(&jw, "symbol");
		xt_jw_cstring(&jw, s->name);
		xt_jw_key(&jw, "tick_size");
		xt_jw_decimal(&jw, 1, s->spec.tick);
		xt_jw_key(&jw, "lot_size");
		xt_jw_decimal(&jw, 1, s->spec.lot);
		xt_jw_key(&jw, "min_quantity");
		xt_jw_decimal(&jw, s->spec.min_lots, s->spec.lot);
		xt_jw_key(&jw, "max_quantity");
		xt_jw_decimal(&jw, s->spec.max_lots, s->spec.lot);
		xt_jw_object_end(&jw);
	}
	xt_jw_array_end(&jw);
	xt_jw_object_end(&jw);
	len = xt_jw_finish(&jw);
	net_respond(w, c, len ? 200 : 500, NULL, w->out, len);
}

static const char *
net_state_name(uint32 state)
{
	switch (state)
	{
		case XT_STATE_READY:
			return "ready";
		case XT_STATE_RECOVERING:
			return "recovering";
		case XT_STATE_NO_EXTENSION:
			return "no_extension";
		default:
			return "starting";
	}
}

static void
net_health(NetWorker *w, xt_conn *c)
{
	uint32		state = pg_atomic_read_u32(&xt_shared->state);
	bool		ok = state == XT_STATE_READY && w->attach_token != 0;
	xt_json_writer jw;
	size_t		len;

	xt_jw_init(&jw, w->out, w->out_cap);
	xt_jw_object_begin(&jw);
	xt_jw_key(&jw, "status");
	xt_jw_cstring(&jw, ok ? "ok" : "unavailable");
	xt_jw_key(&jw, "engine");
	xt_jw_cstring(&jw, net_state_name(state));
	xt_jw_key(&jw, "durable_seq");
	xt_jw_uint(&jw, pg_atomic_read_u64(&xt_shared->durable_seq));
	xt_jw_object_end(&jw);
	len = xt_jw_finish(&jw);
	net_respond(w, c, ok ? 200 : 503, ok ? NULL : "Retry-After: 1\r\n", w->out, len);
}

static int
net_cmp_int32(const void *a, const void *b)
{
	int32		x = *(const int32 *) a,
				y = *(const int32 *) b;

	return (x > y) - (x < y);
}

/* Append one "name{labels} value" sample (with its HELP/TYPE lines when help is not NULL). */
static void
net_metric(StringInfo s, const char *name, const char *type, const char *help,
		   const char *labels, double value)
{
	if (help)
		appendStringInfo(s, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	appendStringInfo(s, "%s%s %.17g\n", name, labels ? labels : "", value);
}

/* One series per configured broker (xt_broker_status() in SQL has the same numbers). */
typedef enum NetBrokerMetric
{
	NBM_UP,
	NBM_LAG,
	NBM_LAG_SECONDS,
	NBM_MARKET_LAG,
	NBM_SENT,
	NBM_CONFIRMED,
	NBM_ERRORS,
	NBM_LAST_SUCCESS,
	NBM_COUNT
} NetBrokerMetric;

static void
net_metrics_brokers(NetWorker *w, StringInfo s)
{
	static const char *const names[NBM_COUNT][3] = {
		{"xtrader_broker_up", "gauge", "1 when the broker worker's connection is live."},
		{"xtrader_broker_lag_messages", "gauge", "Durable execution messages not yet confirmed by the broker."},
		{"xtrader_broker_lag_seconds", "gauge", "Age of the oldest durable execution not yet confirmed by the broker (0 when none)."},
		{"xtrader_broker_market_lag_commands", "gauge", "Durable commands whose order book and ticker messages are not yet all confirmed (Kafka, RabbitMQ)."},
		{"xtrader_broker_messages_sent_total", "counter", "Messages handed to the broker (resends counted again)."},
		{"xtrader_broker_messages_confirmed_total", "counter", "Messages the broker confirmed."},
		{"xtrader_broker_errors_total", "counter", "Failed connects, batches and health checks."},
		{"xtrader_broker_last_success_timestamp_seconds", "gauge", "When the broker last confirmed a batch or answered a health check."},
	};
	uint64		top = w->last_trade_id ? 2 * w->last_trade_id + 1 : 0;
	uint64		durable = pg_atomic_read_u64(&xt_shared->durable_seq);
	int64		now_ms = net_now_ms();

	for (int k = 0; k < NBM_COUNT; k++)
	{
		bool		first = true;

		for (int b = 0; b < XT_BROKER_COUNT; b++)
		{
			XtBrokerShared snap;
			char		label[32];
			double		v = 0;

			if (!xt_broker_enabled((XtBroker) b) ||
				(k == NBM_MARKET_LAG && b == XT_BROKER_REDIS))
				continue;
			SpinLockAcquire(&xt_shared->brokers[b].mutex);
			snap = xt_shared->brokers[b];
			SpinLockRelease(&xt_shared->brokers[b].mutex);
			switch ((NetBrokerMetric) k)
			{
				case NBM_UP:
					v = snap.running && snap.state == XT_PUB_LIVE;
					break;
				case NBM_LAG:
					v = (double) (top > snap.cursor && snap.cursor > 0 ? top - snap.cursor : 0);
					break;
				case NBM_LAG_SECONDS:
					v = snap.pending_since_ms > 0 && now_ms > snap.pending_since_ms
						? (double) (now_ms - snap.pending_since_ms) / 1000.0 : 0;
					break;
				case NBM_MARKET_LAG:
					/* market cursor 2s + 1: everything of command s went */
					v = snap.market_cursor > 0 && durable > (snap.market_cursor - 1) / 2
						? (double) (durable - (snap.market_cursor - 1) / 2) : 0;
					break;
				case NBM_SENT:
					v = (double) snap.sent;
					break;
				case NBM_CONFIRMED:
					v = (double) snap.confirmed;
					break;
				case NBM_ERRORS:
					v = (double) snap.errors;
					break;
				case NBM_LAST_SUCCESS:
					v = snap.last_success ? (double) xt_unix_ms(snap.last_success) / 1000.0 : 0;
					break;
				case NBM_COUNT:
					break;
			}
			snprintf(label, sizeof(label), "{broker=\"%s\"}", xt_broker_name((XtBroker) b));
			net_metric(s, names[k][0], names[k][1], first ? names[k][2] : NULL, label, v);
			first = false;
		}
	}
}

static void
net_metrics(NetWorker *w, xt_conn *c)
{
	XtShared   *sh = xt_shared;
	StringInfoData s;
	xt_server_stats st;
	uint32		n = w->m.latency_n;
	int32	   *sorted = palloc(sizeof(int32) * Max(n, 1));
	uint64		in_fill = pg_atomic_read_u64(&sh->in_tail) - pg_atomic_read_u64(&sh->in_head);
	uint64		out_fill = pg_atomic_read_u64(&sh->out_write) - xt_out_floor(sh);
	const char *classes[6] = {"", "{class=\"1xx\"}", "{class=\"2xx\"}", "{class=\"3xx\"}",
	"{class=\"4xx\"}", "{class=\"5xx\"}"};

	xt_server_get_stats(w->server, &st);
	initStringInfo(&s);
	net_metric(&s, "xtrader_orders_received_total", "counter",
			   "Valid orders received over REST and sequenced.", NULL, w->m.orders_received);
	net_metric(&s, "xtrader_orders_accepted_total", "counter",
			   "REST orders answered ACCEPTED (durable).", NULL, w->m.orders_accepted);
	net_metric(&s, "xtrader_orders_rejected_total", "counter",
			   "REST orders the engine rejected (409).", NULL, w->m.orders_rejected);
	net_metric(&s, "xtrader_orders_invalid_total", "counter",
			   "REST orders refused by validation (400/413).", NULL, w->m.orders_invalid);
	net_metric(&s, "xtrader_cancels_total", "counter", "REST cancels done.", NULL, w->m.cancels);
	net_metric(&s, "xtrader_auth_failures_total", "counter", "Requests answered 401.", NULL,
			   w->m.auth_failures);
	net_metric(&s, "xtrader_rate_limited_total", "counter", "Requests answered 429.", NULL,
			   w->m.rate_limited);
	net_metric(&s, "xtrader_unavailable_total", "counter",
			   "Requests answered 503 (engine not ready, sequencer full, engine restarted).", NULL,
			   w->m.overloaded);
	for (int k = 1; k <= 5; k++)
		net_metric(&s, "xtrader_http_responses_total", "counter",
				   k == 1 ? "HTTP answers by status class." : NULL, classes[k],
				   w->m.http_by_status[k]);
	memcpy(sorted, w->m.latency_us, sizeof(int32) * n);
	qsort(sorted, n, sizeof(int32), net_cmp_int32);
	net_metric(&s, "xtrader_order_latency_seconds", "summary",
			   "From a complete order/cancel request to its durable answer (last 8192).",
			   "{quantile=\"0.5\"}", n ? sorted[(n - 1) / 2] / 1e6 : NAN);
	net_metric(&s, "xtrader_order_latency_seconds", "summary", NULL, "{quantile=\"0.99\"}",
			   n ? sorted[(uint32) ((n - 1) * 0.99)] / 1e6 : NAN);
	net_metric(&s, "xtrader_order_latency_seconds_count", "summary", NULL, NULL, n);
	pfree(sorted);
	net_metric(&s, "xtrader_executions_pushed_total", "counter",
			   "Execution messages queued to WebSocket clients.", NULL, w->m.executions_pushed);
	net_metric(&s, "xtrader_market_messages_total", "counter",
			   "Order book, trade and ticker messages queued to WebSocket clients.", NULL,
			   w->m.market_messages);
	net_metric(&s, "xtrader_connections", "gauge", "Open client connections.",
			   "{listener=\"rest\"}", (double) (st.connections_open - st.ws_open));
	net_metric(&s, "xtrader_connections", "gauge", NULL, "{listener=\"ws\"}", st.ws_open);
	net_metric(&s, "xtrader_slow_consumers_dropped_total", "counter",
			   "WebSocket clients closed (1008) for not reading.", NULL, st.slow_consumers_dropped);
	net_metric(&s, "xtrader_protocol_errors_total", "counter",
			   "Malformed HTTP requests and WebSocket protocol errors.", NULL, st.protocol_errors);
	net_metric(&s, "xtrader_sequencer_ring_fill_ratio", "gauge",
			   "Commands waiting for the engine / ring size.", NULL,
			   (double) in_fill / sh->in_slots);
	net_metric(&s, "xtrader_outbound_ring_fill_ratio", "gauge",
			   "Outbound records not yet read by every reader / ring size.", NULL,
			   (double) out_fill / sh->out_recs);
	net_metric(&s, "xtrader_engine_commands_total", "counter", "Commands applied by the engine.",
			   NULL, pg_atomic_read_u64(&sh->commands));
	net_metric(&s, "xtrader_engine_trades_total", "counter", "Trades made by the engine.", NULL,
			   pg_atomic_read_u64(&sh->trades));
	net_metric(&s, "xtrader_durable_seq", "gauge", "Last durable sequence number.", NULL,
			   pg_atomic_read_u64(&sh->durable_seq));
	net_metric(&s, "xtrader_engine_ready", "gauge", "1 when the engine accepts orders.", NULL,
			   pg_atomic_read_u32(&sh->state) == XT_STATE_READY ? 1 : 0);
	net_metrics_brokers(w, &s);
	w->m.http_by_status[2]++;
	xt_conn_respond(c, 200, "text/plain; version=0.0.4", NULL, s.data, s.len);
	pfree(s.data);
}

/* ---- REST dispatch ---------------------------------------------------------------------------- */

static void
net_on_request(void *ctx, xt_conn *c, const xt_http_request *req)
{
	NetWorker  *w = ctx;
	int64		started_us = net_now_us();
	xt_route_match m;
	xt_route_result rr;
	uint64		account = 0;

	rr = xt_route_request(req->method, req->method_len, req->target, req->target_len, &m);
	if (rr != XT_ROUTE_OK)
	{
		char		allow[96];

		allow[0] = '\0';
		if (rr == XT_ROUTE_METHOD_NOT_ALLOWED && m.allow)
			snprintf(allow, sizeof(allow), "Allow: %s\r\n", m.allow);
		net_respond_error(w, c, xt_route_http_status(rr), allow[0] ? allow : NULL,
						  xt_route_result_name(rr), xt_route_result_message(rr, m.route));
		return;
	}
	switch (m.route)
	{
		case XT_ROUTE_ORDER_CREATE:
			if (net_authenticate(w, c, req, &account))
				net_order_create(w, c, req, account, started_us);
			break;
		case XT_ROUTE_ORDER_GET:
			if (net_authenticate(w, c, req, &account))
				net_order_get(w, c, m.order_id, account);
			break;
		case XT_ROUTE_ORDER_CANCEL:
			if (net_authenticate(w, c, req, &account))
				net_order_cancel(w, c, m.order_id, account, started_us);
			break;
		case XT_ROUTE_ORDERBOOK:
			net_orderbook(w, c, &m);
			break;
		case XT_ROUTE_TRADES:
			net_trades(w, c, &m);
			break;
		case XT_ROUTE_SYMBOLS:
			net_symbols_list(w, c);
			break;
		case XT_ROUTE_HEALTH:
			net_health(w, c);
			break;
		case XT_ROUTE_METRICS:
			net_metrics(w, c);
			break;
		default:
			net_respond_error(w, c, 404, NULL, "NOT_FOUND", "no such endpoint");
			break;
	}
}

/* ---- WebSocket ---------------------------------------------------------------------------- */

static void
net_ws_send_error(NetWorker *w, xt_conn *c, const char *code, const char *message)
{
	size_t		len = xt_ws_encode_error(code, message, w->out, w->out_cap);

	if (len)
		xt_conn_ws_send(c, w->out, len);
}

static void
net_on_ws_open(void *ctx, xt_conn *c)
{
	NetWorker  *w = ctx;
	NetConn    *nc = MemoryContextAllocZero(w->cxt, sizeof(NetConn));

	nc->id = xt_conn_id(c);
	nc->ws = true;
	nc->ws_all_index = w->ws_all.n;
	net_list_add(w, &w->ws_all, nc->id);
	xt_conn_set_user(c, nc);
}

static void
net_ws_auth(NetWorker *w, xt_conn *c, NetConn *nc, const xt_ws_request *r)
{
	uint64		account;
	xt_auth_result ar;
	size_t		len;

	ar = xt_auth_verify_ws(r->api_key, r->timestamp, r->signature, net_now_ms(),
						   xt_guc_auth_window_ms, net_key_lookup, w, &account);
	if (ar != XT_AUTH_OK)
	{
		w->m.auth_failures++;
		net_ws_send_error(w, c, xt_auth_result_name(ar), xt_auth_result_message(ar));
		return;
	}
	if (nc->authenticated && nc->account != account)
	{
		NetIdList  *old = net_account_list(w, nc->account, false);

		if (old)
			net_list_remove(old, nc->id);
	}
	if (!nc->authenticated || nc->account != account)
		net_list_add(w, net_account_list(w, account, true), nc->id);
	nc->authenticated = true;
	nc->account = account;
	len = xt_ws_encode_authenticated(w->out, w->out_cap);
	xt_conn_ws_send(c, w->out, len);
}

static int
net_conn_sub_index(const NetConn *nc, uint32 symbol, NetChannel ch)
{
	for (int i = 0; i < nc->n_subs; i++)
		if (nc->subs[i].symbol == symbol && nc->subs[i].channel == ch)
			return i;
	return -1;
}

static void
net_ws_subscribe(NetWorker *w, xt_conn *c, NetConn *nc, const xt_ws_request *r)
{
	bool		subscribe = r->op == XT_WS_OP_SUBSCRIBE;
	size_t		len;

	/* check first, so a refused message changes nothing */
	for (int i = 0; i < r->n_channels; i++)
	{
		const xt_ws_channel *ch = &r->channels[i];

		if (ch->kind == XT_WS_CH_EXECUTIONS && subscribe && xt_guc_rest_auth && !nc->authenticated)
		{
			net_ws_send_error(w, c, "NOT_AUTHENTICATED",
							  "the executions channel needs an auth message first");
			return;
		}
		if (ch->kind != XT_WS_CH_EXECUTIONS && subscribe &&
			net_conn_sub_index(nc, ch->symbol, (NetChannel) (ch->kind - 1)) < 0 &&
			nc->n_subs + i >= (int) lengthof(nc->subs))
		{
			net_ws_send_error(w, c, "TOO_MANY_CHANNELS", "a connection holds at most 64 channels");
			return;
		}
	}
	for (int i = 0; i < r->n_channels; i++)
	{
		const xt_ws_channel *ch = &r->channels[i];
		NetChannel	nch;
		NetSymbol  *s;
		int			at;

		if (ch->kind == XT_WS_CH_EXECUTIONS)
			continue;			/* executions follow the connection's account (or all, auth off) */
		nch = (NetChannel) (ch->kind - 1);
		s = net_symbol(w, ch->symbol);
		if (s == NULL)
			continue;
		at = net_conn_sub_index(nc, ch->symbol, nch);
		if (subscribe && at < 0 && nc->n_subs < lengthof(nc->subs))
		{
			nc->subs[nc->n_subs].symbol = ch->symbol;
			nc->subs[nc->n_subs].channel = (uint8) nch;
			nc->n_subs++;
			net_list_add(w, &s->subs[nch], nc->id);
		}
		else if (!subscribe && at >= 0)
		{
			nc->subs[at] = nc->subs[--nc->n_subs];
			net_list_remove(&s->subs[nch], nc->id);
		}
	}
	len = xt_ws_encode_subscribed((xt_ws_op) r->op, r->channels, r->n_channels, w->out, w->out_cap);
	if (len)
		xt_conn_ws_send(c, w->out, len);
	if (!subscribe)
		return;
	for (int i = 0; i < r->n_channels; i++)
	{
		const xt_ws_channel *ch = &r->channels[i];
		NetSymbol  *s;

		if (ch->kind == XT_WS_CH_EXECUTIONS || (s = net_symbol(w, ch->symbol)) == NULL)
			continue;
		net_feed_send_initial(w, c, s, (NetChannel) (ch->kind - 1));
	}
}

static void
net_on_ws_text(void *ctx, xt_conn *c, const char *text, size_t len)
{
	NetWorker  *w = ctx;
	NetConn    *nc = xt_conn_user(c);
	xt_ws_request r;
	xt_ws_error e;
	char		msg[XT_ERROR_MESSAGE_MAX];

	if (nc == NULL)
		return;
	e = xt_ws_decode(text, len, net_symbol_lookup, w, &r, msg, sizeof(msg));
	if (e != XT_WS_OK)
	{
		net_ws_send_error(w, c, xt_ws_error_name(e), msg);
		return;
	}
	switch (r.op)
	{
		case XT_WS_OP_AUTH:
			net_ws_auth(w, c, nc, &r);
			break;
		case XT_WS_OP_SUBSCRIBE:
		case XT_WS_OP_UNSUBSCRIBE:
			net_ws_subscribe(w, c, nc, &r);
			break;
		case XT_WS_OP_PING:
			{
				size_t		n = xt_ws_encode_pong(net_now_ms(), w->out, w->out_cap);

				xt_conn_ws_send(c, w->out, n);
			}
			break;
	}
}

static void
net_on_close(void *ctx, xt_conn *c)
{
	NetWorker  *w = ctx;
	NetConn    *nc = xt_conn_user(c);

	if (nc == NULL)
		return;
	xt_conn_set_user(c, NULL);
	/* swap-remove from ws_all, keeping the moved connection's index right */
	if (nc->ws_all_index < w->ws_all.n && w->ws_all.ids[nc->ws_all_index] == nc->id)
	{
		uint64		last = w->ws_all.ids[--w->ws_all.n];

		if (nc->ws_all_index < w->ws_all.n)
		{
			xt_conn    *moved = xt_server_find(w->server, last);
			NetConn    *mc = moved ? xt_conn_user(moved) : NULL;

			w->ws_all.ids[nc->ws_all_index] = last;
			if (mc)
				mc->ws_all_index = nc->ws_all_index;
		}
	}
	if (nc->authenticated)
	{
		NetIdList  *l = net_account_list(w, nc->account, false);

		if (l)
			net_list_remove(l, nc->id);
	}
	for (int i = 0; i < nc->n_subs; i++)
	{
		NetSymbol  *s = net_symbol(w, nc->subs[i].symbol);

		if (s)
			net_list_remove(&s->subs[nc->subs[i].channel], nc->id);
	}
	pfree(nc);
}

/* ---- the loop ------------------------------------------------------------------------------ */

static void
net_on_wake(void *ctx)
{
	net_feed_drain((NetWorker *) ctx);
}

static void
net_on_tick(void *ctx)
{
	NetWorker  *w = ctx;
	int64		now = net_now_ms();

	if (!PostmasterIsAlive())
		proc_exit(1);
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
		w->keys_loaded_ms = 0;	/* limits may have changed */
	}
	net_feed_check_attach(w);
	if (w->attach_token != 0)
	{
		if (w->keys_version != pg_atomic_read_u32(&xt_shared->api_keys_version) ||
			now - w->keys_loaded_ms >= NET_KEYS_RELOAD_MS)
			net_keys_reload(w);
		if (w->symbols_stale ||
			w->symbols_version != pg_atomic_read_u32(&xt_shared->symbols_version))
			net_symbols_reload(w);
	}
	net_feed_drain(w);			/* a safety net under the eventfd */
	net_feed_flush_tickers(w, now);
}

static void
net_detach(int code, Datum arg)
{
	/* the engine must not wait for a reader that is gone */
	if (xt_shared)
		pg_atomic_write_u32(&xt_shared->net_attached, 0);
}

void
xt_net_worker_main(Datum arg)
{
	NetWorker  *w = &net;
	xt_server_config cfg;
	xt_server_callbacks cb;
	HASHCTL		hc;
	char		err[256];

	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(xt_guc_database, NULL, 0);
	before_shmem_exit(net_detach, (Datum) 0);
	pgstat_report_appname("xtrader net");

	memset(w, 0, sizeof(*w));
	w->cxt = AllocSetContextCreate(TopMemoryContext, "xtrader net", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(w->cxt);
	w->out_cap = NET_OUT_CAP;
	w->out = MemoryContextAlloc(w->cxt, w->out_cap);
	net_feed_init(w);

	memset(&hc, 0, sizeof(hc));
	hc.keysize = sizeof(uint64);
	hc.entrysize = sizeof(NetAccountEntry);
	hc.hcxt = w->cxt;
	w->by_account = hash_create("xtrader net accounts", 1024, &hc,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	memset(&hc, 0, sizeof(hc));
	hc.keysize = XT_AUTH_API_KEY_MAX + 1;
	hc.entrysize = sizeof(NetKey);
	hc.hcxt = w->cxt;
	w->keys = hash_create("xtrader net keys", 256, &hc, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

	/* every client is a descriptor: take the whole hard limit, not the usual soft 1024 */
	{
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
		{
			rl.rlim_cur = rl.rlim_max;
			if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
				elog(LOG, "xtrader net: cannot raise the open-file limit: %m");
		}
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
			rl.rlim_cur < (rlim_t) xt_guc_net_max_connections)
			ereport(LOG,
					(errmsg("xtrader net: the open-file limit %llu is below xtrader.net_max_connections (%d)",
							(unsigned long long) rl.rlim_cur, xt_guc_net_max_connections),
					 errhint("Raise the service's hard limit (ulimit -Hn) to hold that many clients.")));
	}

	xt_server_config_defaults(&cfg);
	cfg.listen_addr = xt_guc_listen_addresses;
	cfg.rest_port = xt_guc_rest_port;
	cfg.ws_port = xt_guc_ws_port;
	cfg.wake_fd = xt_net_wake_fd;
	cfg.tick_ms = NET_TICK_MS;
	cfg.max_connections = (uint32) xt_guc_net_max_connections;
	memset(&cb, 0, sizeof(cb));
	cb.ctx = w;
	cb.on_request = net_on_request;
	cb.on_ws_open = net_on_ws_open;
	cb.on_ws_text = net_on_ws_text;
	cb.on_close = net_on_close;
	cb.on_wake = net_on_wake;
	cb.on_tick = net_on_tick;
	if (xt_server_open(&w->server, &cfg, &cb, err, sizeof(err)) != 0)
	{
		ereport(LOG,
				(errmsg("xtrader net: %s", err),
				 errhint("Free the port or change xtrader.rest_port / xtrader.ws_port; retrying in 5 s.")));
		proc_exit(1);
	}
	ereport(LOG, (errmsg("xtrader net: REST on %s:%d, WebSocket on %s:%d (auth %s)",
						 cfg.listen_addr, cfg.rest_port, cfg.listen_addr, cfg.ws_port,
						 xt_guc_rest_auth ? "on" : "off")));

	while (!ShutdownRequestPending)
	{
		if (xt_server_run_once(w->server, w->feed_more ? 0 : NET_TICK_MS) != 0)
			elog(FATAL, "xtrader net: the event loop failed: %m");
		if (w->feed_more)
			net_feed_drain(w);
	}
	xt_server_close(w->server);
	proc_exit(0);
}

/* SQL: xtrader._api_keys_changed(): tell the network worker to reload the keys. */
PG_FUNCTION_INFO_V1(xt_api_keys_changed);
Datum
xt_api_keys_changed(PG_FUNCTION_ARGS)
{
	xt_require_shmem();
	pg_atomic_fetch_add_u32(&xt_shared->api_keys_version, 1);
	PG_RETURN_VOID();
}
