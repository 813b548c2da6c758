/*
 * orders.c: the trading SQL API: xt_submit_order, xt_cancel_order, xt_amend_order,
 * xt_order_book, xt_stats, and the reset that CREATE EXTENSION asks for.
 *
 * Every argument is validated here, before anything is sequenced, so bad input is an ERROR with a
 * SQLSTATE and the journal only ever holds well-formed commands. The functions run with the
 * caller's rights (SECURITY INVOKER): table reads are subject to the row-level security of
 * xtrader.orders, and acting for another account needs membership in xtrader_admin.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "catalog/pg_authid.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "common/decimal.h"
#include "engine/engine.h"
#include "pg/sequencer.h"
#include "pg/shmem.h"
#include "pg/xtrader.h"

PG_FUNCTION_INFO_V1(xt_submit_order);
PG_FUNCTION_INFO_V1(xt_submit_orders);
PG_FUNCTION_INFO_V1(xt_cancel_order);
PG_FUNCTION_INFO_V1(xt_amend_order);
PG_FUNCTION_INFO_V1(xt_order_book);
PG_FUNCTION_INFO_V1(xt_stats);
PG_FUNCTION_INFO_V1(xt_engine_reset);

#define XT_MAX_DEPTH 1000

static const char *const side_names[] = {"Buy", "Sell"};
static const char *const type_names[] = {"Limit", "Market"};
static const char *const tif_names[] = {"GTC", "IOC", "FOK"};

/* ---- argument checks ------------------------------------------------------------------------ */


/* Case-insensitive choice among names; returns its index or raises 22023. */
static int
parse_choice(const char *what, const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (pg_strcasecmp(s, names[i]) == 0)
			return i;
	{
		StringInfoData list;

		initStringInfo(&list);
		for (int i = 0; i < n; i++)
			appendStringInfo(&list, "%s%s", i ? ", " : "", names[i]);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s \"%s\"", what, s),
				 errhint("%s is one of: %s.", what, list.data)));
	}
	pg_unreachable();
}

static const XtSymbol *
require_symbol(const char *name)
{
	const XtSymbol *s = xt_symbol_lookup(name);

	if (s == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown symbol \"%s\"", name),
				 errhint("xt_symbols() lists the symbols.")));
	return s;
}


static void
check_quantity_bounds(const XtSymbol *sym, int64 lots, Numeric q)
{
	if (lots < sym->min_lots)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("quantity %s is below the minimum %s of %s", numeric_normalize(q),
						numeric_normalize(xt_units_to_numeric(sym->min_lots, sym->lot)), sym->name)));
	if (lots > sym->max_lots)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("quantity %s is above the maximum %s of %s", numeric_normalize(q),
						numeric_normalize(xt_units_to_numeric(sym->max_lots, sym->lot)), sym->name)));
}

/* The account (a role) the order is for; only xtrader_admin members act for others. */
static Oid
resolve_account(const char *name)
{
	Oid			role = get_role_oid(name, true);

	if (!OidIsValid(role))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("account \"%s\" is not a role", name)));
	if (role != GetUserId())
	{
		Oid			admin = get_role_oid("xtrader_admin", true);

		if (!OidIsValid(admin) || !has_privs_of_role(GetUserId(), admin))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to trade for account \"%s\"", name),
					 errhint("Only members of xtrader_admin act for other accounts.")));
	}
	return role;
}

/* ---- results -------------------------------------------------------------------------------- */

/*
 * Reads of what the persister just committed (another transaction) need a snapshot taken now:
 * the statement's own snapshot predates the commit, and under REPEATABLE READ so would any
 * transaction snapshot. Used around SPI calls made with read_only = true.
 */
static void
push_latest_snapshot(void)
{
	PushActiveSnapshot(GetLatestSnapshot());
}

static const char *
reason_text(xt_reason r)
{
	switch (r)
	{
		case XT_REJ_POST_ONLY_WOULD_CROSS:
			return "post-only order would trade on arrival";
		case XT_REJ_ORDER_CAPACITY:
			return "the book is full (xtrader.max_orders)";
		case XT_REJ_LEVEL_CAPACITY:
			return "too many price levels (xtrader.max_levels)";
		case XT_REJ_LEVEL_OVERFLOW:
			return "the price level's total quantity would overflow";
		case XT_REJ_UNKNOWN_ORDER:
			return "the order is no longer open";
		case XT_REJ_AMEND_NOTHING:
			return "the order already has that price and quantity";
		case XT_REJ_AMEND_QUANTITY:
			return "the new quantity must exceed the quantity already filled";
		default:
			return xt_reason_name(r);
	}
}

/* One (order_id, 'ACCEPTED', message) row describing what the engine did with a new order. */
static void
put_submit_row(ReturnSetInfo *rsinfo, const XtReply *reply)
{
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	char	   *message;

	switch ((XtOutcome) reply->outcome)
	{
		case XT_OUTCOME_ACCEPTED:
			message = psprintf("order accepted: %s", xt_status_name((xt_status) reply->status));
			break;
		case XT_OUTCOME_DUPLICATE:
			message = psprintf("duplicate client_order_id: order %llu was accepted before",
							   (unsigned long long) reply->order_id);
			break;
		default:
			message = psprintf("order rejected: %s", reason_text((xt_reason) reply->reason));
			break;
	}
	values[0] = Int64GetDatum((int64) reply->order_id);
	values[1] = CStringGetTextDatum("ACCEPTED");
	values[2] = CStringGetTextDatum(message);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* Return the rows of xt_order(id) as this function's result. */
static void
put_order_rows(FunctionCallInfo fcinfo, int64 order_id)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(order_id)};

	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	push_latest_snapshot();
	if (SPI_execute_with_args("SELECT * FROM xtrader.xt_order($1)", 1, argtypes, args, NULL,
							  true, 0) != SPI_OK_SELECT)
		elog(ERROR, "xtrader: cannot read order %lld", (long long) order_id);
	PopActiveSnapshot();
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		Datum		values[14];
		bool		nulls[14];

		heap_deform_tuple(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
}

/* ---- xt_submit_order, xt_submit_orders ------------------------------------------------ */

/* A new order's arguments as given (NULL = not given), from SQL or from JSON. */
typedef struct XtNewOrderArgs
{
	const char *symbol;
	const char *side;
	const char *order_type;
	Numeric		price;
	Numeric		quantity;
	const char *time_in_force;
	const char *client_order_id;
	int			client_order_id_len;
	bool		post_only;
	const char *account;
} XtNewOrderArgs;

static void
require_field(const void *v, const char *name)
{
	if (v == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

/* Validate every argument and build the NEW_ORDER command; any problem is an ERROR. */
static void
build_new_order(const XtNewOrderArgs *a, xt_command *cmd)
{
	const XtSymbol *sym;

	require_field(a->symbol, "symbol");
	require_field(a->side, "side");
	require_field(a->order_type, "order_type");
	require_field(a->quantity, "quantity");
	require_field(a->time_in_force, "time_in_force");
	require_field(a->account, "account");

	memset(cmd, 0, sizeof(*cmd));
	cmd->type = XT_CMD_NEW_ORDER;
	sym = require_symbol(a->symbol);
	cmd->symbol = (uint32) sym->symbol_id;
	cmd->side = (uint8) parse_choice("side", a->side, side_names, 2);
	cmd->order_type = (uint8) parse_choice("order_type", a->order_type, type_names, 2);
	cmd->tif = (uint8) parse_choice("time_in_force", a->time_in_force, tif_names, 3);
	cmd->stp = XT_STP_CANCEL_RESTING;
	cmd->post_only = a->post_only ? 1 : 0;

	if (cmd->order_type == XT_TYPE_LIMIT)
	{
		if (a->price == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a limit order needs a price")));
		cmd->price = xt_numeric_to_units(a->price, sym->tick, "price", "tick size");
	}
	else if (a->price != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a market order takes no price"),
				 errhint("Pass NULL as the price of a market order.")));

	cmd->quantity = xt_numeric_to_units(a->quantity, sym->lot, "quantity", "lot size");
	check_quantity_bounds(sym, cmd->quantity, a->quantity);

	if (cmd->post_only && (cmd->order_type != XT_TYPE_LIMIT || cmd->tif != XT_TIF_GTC))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("post_only needs a GTC limit order")));

	if (a->client_order_id != NULL)
	{
		if (a->client_order_id_len == 0 || a->client_order_id_len > XT_CLORDID_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("client_order_id must be 1 to %d bytes long", XT_CLORDID_MAX)));
		cmd->clordid_len = (uint8) a->client_order_id_len;
		memcpy(cmd->clordid, a->client_order_id, a->client_order_id_len);
	}
	cmd->account = resolve_account(a->account);
}

static const char *
text_arg(FunctionCallInfo fcinfo, int argno)
{
	return PG_ARGISNULL(argno) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

Datum
xt_submit_order(PG_FUNCTION_ARGS)
{
	XtNewOrderArgs a;
	xt_command	cmd;
	XtReply		reply;

	xt_require_arg(fcinfo, 7, "post_only");
	memset(&a, 0, sizeof(a));
	a.symbol = text_arg(fcinfo, 0);
	a.side = text_arg(fcinfo, 1);
	a.order_type = text_arg(fcinfo, 2);
	a.price = PG_ARGISNULL(3) ? NULL : PG_GETARG_NUMERIC(3);
	a.quantity = PG_ARGISNULL(4) ? NULL : PG_GETARG_NUMERIC(4);
	a.time_in_force = text_arg(fcinfo, 5);
	a.client_order_id = text_arg(fcinfo, 6);
	a.client_order_id_len = a.client_order_id ? (int) strlen(a.client_order_id) : 0;
	a.post_only = PG_GETARG_BOOL(7);
	a.account = text_arg(fcinfo, 8);
	build_new_order(&a, &cmd);

	xt_sequence_and_wait(&cmd, 1, &reply);
	InitMaterializedSRF(fcinfo, 0);
	put_submit_row((ReturnSetInfo *) fcinfo->resultinfo, &reply);
	return (Datum) 0;
}

/* ---- batches: xt_submit_orders(jsonb) ---- */

#define XT_BATCH_MAX 100000

static const char *const batch_fields[] = {
	"symbol", "side", "order_type", "price", "quantity", "time_in_force", "client_order_id",
	"post_only", "account"
};

/* Which element of the batch an error is about. */
static void
batch_error_context(void *arg)
{
	int			index = *(int *) arg;

	if (index >= 0)
		errcontext("order %d of the batch (counting from 1)", index + 1);
}

/* A JSON string field as a C string, or NULL when absent/null; other JSON types are errors. */
static const char *
json_string(JsonbContainer *obj, const char *key, int *len)
{
	JsonbValue	v;

	if (!getKeyJsonValueFromContainer(obj, key, strlen(key), &v) || v.type == jbvNull)
		return NULL;
	if (v.type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a JSON string", key)));
	if (len)
		*len = v.val.string.len;
	return pnstrdup(v.val.string.val, v.val.string.len);
}

/* A JSON number or numeric string as an exact numeric (never through a float), or NULL. */
static Numeric
json_decimal(JsonbContainer *obj, const char *key)
{
	JsonbValue	v;

	if (!getKeyJsonValueFromContainer(obj, key, strlen(key), &v) || v.type == jbvNull)
		return NULL;
	if (v.type == jbvNumeric)
		return v.val.numeric;
	if (v.type == jbvString)
	{
		char	   *s = pnstrdup(v.val.string.val, v.val.string.len);
		xt_decimal	dec;

		/* the JSON grammar of decimals (src/common/decimal.h): no NaN, no spaces, no hex */
		if (xt_decimal_parse(s, v.val.string.len, &dec) == XT_DEC_SYNTAX)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s \"%s\" is not a decimal number", key, s)));
		return xt_numeric_from_cstring(s);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s must be a JSON number or a decimal string", key)));
	pg_unreachable();
}

static void
batch_order_args(JsonbContainer *obj, XtNewOrderArgs *a)
{
	JsonbIterator *it = JsonbIteratorInit(obj);
	JsonbValue	v;
	JsonbIteratorToken tok;
	const char *s;

	/* refuse unknown fields: a misspelt "prise" must not silently become a market order */
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		bool		known = false;

		if (tok != WJB_KEY)
			continue;
		for (int i = 0; i < lengthof(batch_fields); i++)
			if (v.val.string.len == (int) strlen(batch_fields[i]) &&
				memcmp(v.val.string.val, batch_fields[i], v.val.string.len) == 0)
				known = true;
		if (!known)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown field \"%.*s\"", v.val.string.len, v.val.string.val)));
	}

	memset(a, 0, sizeof(*a));
	a->symbol = json_string(obj, "symbol", NULL);
	a->side = json_string(obj, "side", NULL);
	a->order_type = json_string(obj, "order_type", NULL);
	a->price = json_decimal(obj, "price");
	a->quantity = json_decimal(obj, "quantity");
	a->time_in_force = json_string(obj, "time_in_force", NULL);
	if (a->time_in_force == NULL)
		a->time_in_force = "GTC";
	a->client_order_id = json_string(obj, "client_order_id", &a->client_order_id_len);
	if (getKeyJsonValueFromContainer(obj, "post_only", 9, &v) && v.type != jbvNull)
	{
		if (v.type != jbvBool)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("post_only must be a JSON boolean")));
		a->post_only = v.val.boolean;
	}
	s = json_string(obj, "account", NULL);
	a->account = s ? s : GetUserNameFromId(GetUserId(), false);
}

/*
 * xt_submit_orders(orders jsonb) RETURNS TABLE(order_id bigint, status text, message text)
 *
 * Every order of the array is validated first (any error: nothing is sequenced), then all are
 * sequenced back to back and the call waits once for them to be durable: one round trip, and as
 * many orders per commit as the persister can group.
 */
Datum
xt_submit_orders(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb;
	int			n;
	int			index = -1;
	xt_command *cmds;
	ErrorContextCallback errcb;
	ArrayType  *seqs;
	Datum	   *seq_datums;
	ReturnSetInfo *rsinfo;
	Oid			save_userid;
	int			save_sec;

	xt_require_arg(fcinfo, 0, "orders");
	jb = PG_GETARG_JSONB_P(0);
	if (!JB_ROOT_IS_ARRAY(jb) || JB_ROOT_IS_SCALAR(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("orders must be a JSON array of order objects")));
	n = JB_ROOT_COUNT(jb);
	if (n > XT_BATCH_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a batch holds at most %d orders, not %d", XT_BATCH_MAX, n)));
	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	if (n == 0)
		return (Datum) 0;

	cmds = palloc(sizeof(xt_command) * n);
	errcb.callback = batch_error_context;
	errcb.arg = &index;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;
	for (index = 0; index < n; index++)
	{
		JsonbValue *elem = getIthJsonbValueFromContainer(&jb->root, index);
		XtNewOrderArgs a;

		if (elem->type != jbvBinary || !JsonContainerIsObject(elem->val.binary.data))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("each order must be a JSON object")));
		batch_order_args(elem->val.binary.data, &a);
		build_new_order(&a, &cmds[index]);
	}
	index = -1;
	error_context_stack = errcb.previous;

	xt_sequence_and_wait(cmds, n, NULL);

	/*
	 * The outcomes are in the journal, which traders may not read: look them up as the bootstrap
	 * superuser, for exactly the sequence numbers this call was given.
	 */
	seq_datums = palloc(sizeof(Datum) * n);
	for (int i = 0; i < n; i++)
		seq_datums[i] = Int64GetDatum((int64) cmds[i].seq);
	seqs = construct_array(seq_datums, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	PG_TRY();
	{
		Oid			argtypes[1] = {INT8ARRAYOID};
		Datum		args[1] = {PointerGetDatum(seqs)};

		SPI_connect();
		push_latest_snapshot();
		if (SPI_execute_with_args("SELECT j.outcome, j.reason, j.result_id, o.status "
								  "FROM xtrader.journal j "
								  "LEFT JOIN xtrader.orders o ON o.order_id = j.result_id "
								  "WHERE j.seq = ANY ($1) ORDER BY j.seq",
								  1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT ||
			SPI_processed != (uint64) n)
			elog(ERROR, "xtrader: the journal does not hold the batch just made durable");
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			HeapTuple	t = SPI_tuptable->vals[i];
			TupleDesc	d = SPI_tuptable->tupdesc;
			bool		isnull;
			XtReply		r;

			memset(&r, 0, sizeof(r));
			r.outcome = (uint8) DatumGetInt16(SPI_getbinval(t, d, 1, &isnull));
			r.reason = (uint8) DatumGetInt16(SPI_getbinval(t, d, 2, &isnull));
			r.order_id = (uint64) DatumGetInt64(SPI_getbinval(t, d, 3, &isnull));
			r.status = (uint8) DatumGetInt16(SPI_getbinval(t, d, 4, &isnull));
			put_submit_row(rsinfo, &r);
		}
		PopActiveSnapshot();
		SPI_finish();
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	PG_END_TRY();
	return (Datum) 0;
}

/* ---- cancel and amend ------------------------------------------------------------------------- */

typedef struct XtOpenOrder
{
	Oid			account;
	int32		symbol_id;
	int16		status;
} XtOpenOrder;

/* The caller's view of an order that must still be open: ERROR if unknown/invisible or final. */
static XtOpenOrder
require_open_order(int64 order_id)
{
	XtOpenOrder o;
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(order_id)};
	bool		isnull;

	SPI_connect();
	push_latest_snapshot();
	if (SPI_execute_with_args("SELECT account, symbol_id, status FROM xtrader.orders "
							  "WHERE order_id = $1", 1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "xtrader: cannot read order %lld", (long long) order_id);
	PopActiveSnapshot();
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("order %lld does not exist", (long long) order_id)));
	o.account = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	o.symbol_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	o.status = DatumGetInt16(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	SPI_finish();
	if (o.status != XT_STATUS_PENDING && o.status != XT_STATUS_PARTIALLY_FILLED)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("order %lld is already %s", (long long) order_id,
						xt_status_name((xt_status) o.status))));
	return o;
}

static void
raise_engine_refusal(int64 order_id, const XtReply *reply)
{
	xt_reason	r = (xt_reason) reply->reason;

	ereport(ERROR,
			(errcode(r == XT_REJ_UNKNOWN_ORDER ? ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE
					 : (r == XT_REJ_ORDER_CAPACITY || r == XT_REJ_LEVEL_CAPACITY ||
						r == XT_REJ_LEVEL_OVERFLOW) ? ERRCODE_PROGRAM_LIMIT_EXCEEDED
					 : ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("order %lld: %s", (long long) order_id, reason_text(r))));
}

Datum
xt_cancel_order(PG_FUNCTION_ARGS)
{
	int64		order_id;
	XtOpenOrder o;
	xt_command	cmd;
	XtReply		reply;

	xt_require_arg(fcinfo, 0, "order_id");
	order_id = PG_GETARG_INT64(0);
	xt_wait_until_ready();
	o = require_open_order(order_id);

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = XT_CMD_CANCEL;
	cmd.order_id = (uint64) order_id;
	cmd.account = o.account;
	xt_sequence_and_wait(&cmd, 1, &reply);
	if (reply.outcome != XT_OUTCOME_ACCEPTED)
		raise_engine_refusal(order_id, &reply);
	put_order_rows(fcinfo, order_id);
	return (Datum) 0;
}

Datum
xt_amend_order(PG_FUNCTION_ARGS)
{
	int64		order_id;
	XtOpenOrder o;
	const XtSymbol *sym;
	xt_command	cmd;
	XtReply		reply;

	xt_require_arg(fcinfo, 0, "order_id");
	if (PG_ARGISNULL(1) && PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("nothing to amend: give a new price, a new quantity or both")));
	order_id = PG_GETARG_INT64(0);
	xt_wait_until_ready();
	o = require_open_order(order_id);
	sym = xt_symbol_by_id(o.symbol_id);
	if (sym == NULL)
		elog(ERROR, "xtrader: order %lld has unknown symbol id %d", (long long) order_id, o.symbol_id);

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = XT_CMD_AMEND;
	cmd.order_id = (uint64) order_id;
	cmd.account = o.account;
	if (!PG_ARGISNULL(1))
		cmd.price = xt_numeric_to_units(PG_GETARG_NUMERIC(1), sym->tick, "price", "tick size");
	if (!PG_ARGISNULL(2))
	{
		cmd.quantity = xt_numeric_to_units(PG_GETARG_NUMERIC(2), sym->lot, "quantity", "lot size");
		check_quantity_bounds(sym, cmd.quantity, PG_GETARG_NUMERIC(2));
	}
	xt_sequence_and_wait(&cmd, 1, &reply);
	if (reply.outcome != XT_OUTCOME_ACCEPTED)
		raise_engine_refusal(order_id, &reply);
	put_order_rows(fcinfo, order_id);
	return (Datum) 0;
}

/* ---- the live book ---------------------------------------------------------------------------- */

Datum
xt_order_book(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const XtSymbol *sym;
	int32		depth;
	xt_level_info *levels[2];
	uint32		n[2];

	xt_require_arg(fcinfo, 0, "symbol");
	xt_require_arg(fcinfo, 1, "depth");
	depth = PG_GETARG_INT32(1);
	if (depth < 1 || depth > XT_MAX_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("depth must be between 1 and %d", XT_MAX_DEPTH)));
	sym = require_symbol(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	xt_wait_until_ready();

	levels[0] = palloc(sizeof(xt_level_info) * depth);
	levels[1] = palloc(sizeof(xt_level_info) * depth);
	LWLockAcquire(&xt_shared->book_lock, LW_SHARED);
	if (pg_atomic_read_u32(&xt_shared->state) != XT_STATE_READY)
	{
		LWLockRelease(&xt_shared->book_lock);
		xt_wait_until_ready();	/* raises the right error */
	}
	n[0] = xt_engine_depth(xt_shared_engine(), (uint32) sym->symbol_id, XT_SIDE_BUY, levels[0], depth);
	n[1] = xt_engine_depth(xt_shared_engine(), (uint32) sym->symbol_id, XT_SIDE_SELL, levels[1], depth);
	LWLockRelease(&xt_shared->book_lock);

	InitMaterializedSRF(fcinfo, 0);
	for (int side = 0; side < 2; side++)
		for (uint32 i = 0; i < n[side]; i++)
		{
			Datum		values[4];
			bool		nulls[4] = {false, false, false, false};

			values[0] = CStringGetTextDatum(side_names[side]);
			values[1] = NumericGetDatum(xt_units_to_numeric(levels[side][i].price, sym->tick));
			values[2] = NumericGetDatum(xt_units_to_numeric(levels[side][i].quantity, sym->lot));
			values[3] = Int32GetDatum((int32) levels[side][i].orders);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	return (Datum) 0;
}

/* ---- statistics ------------------------------------------------------------------------------- */

Datum
xt_stats(PG_FUNCTION_ARGS)
{
	static const char *const state_names[] = {"starting", "no extension", "recovering", "ready"};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	XtShared   *sh;
	Datum		values[14];
	bool		nulls[14] = {false};
	uint32		state;
	uint64		applied,
				durable;
	uint32		resting;
	uint64		hash;

	xt_require_shmem();
	sh = xt_shared;
	state = pg_atomic_read_u32(&sh->state);
	LWLockAcquire(&sh->book_lock, LW_SHARED);
	resting = xt_engine_resting_orders(xt_shared_engine());
	hash = xt_engine_hash(xt_shared_engine());
	LWLockRelease(&sh->book_lock);
	LWLockAcquire(&sh->seq_lock, LW_SHARED);
	values[1] = Int64GetDatum((int64) sh->last_seq);
	LWLockRelease(&sh->seq_lock);
	applied = pg_atomic_read_u64(&sh->applied_seq);
	durable = pg_atomic_read_u64(&sh->durable_seq);

	values[0] = CStringGetTextDatum(state_names[Min(state, 3)]);
	values[2] = Int64GetDatum((int64) applied);
	values[3] = Int64GetDatum((int64) durable);
	values[4] = Int64GetDatum((int64) resting);
	values[5] = Int64GetDatum((int64) pg_atomic_read_u64(&sh->commands));
	values[6] = Int64GetDatum((int64) pg_atomic_read_u64(&sh->trades));
	values[7] = Int64GetDatum((int64) pg_atomic_read_u64(&sh->batches));
	values[8] = Float4GetDatum((float4) (pg_atomic_read_u64(&sh->in_tail) - pg_atomic_read_u64(&sh->in_head))
							   / (float4) sh->in_slots);
	values[9] = Float4GetDatum((float4) (pg_atomic_read_u64(&sh->out_write) - xt_out_floor(sh))
							   / (float4) sh->out_recs);
	values[10] = Int64GetDatum((int64) (applied > durable ? applied - durable : 0));
	if (sh->recovery_finished >= sh->recovery_started && sh->recovery_started != 0)
	{
		values[11] = Int64GetDatum(TimestampDifferenceMilliseconds(sh->recovery_started,
																   sh->recovery_finished));
		values[12] = Int64GetDatum((int64) sh->recovery_commands);
	}
	else
		nulls[11] = nulls[12] = true;
	values[13] = CStringGetTextDatum(psprintf("%016llx", (unsigned long long) hash));

	InitMaterializedSRF(fcinfo, 0);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}

/* ---- reset on CREATE EXTENSION ------------------------------------------------------------- */

static bool xt_reset_pending = false;
static bool xt_reset_callback_registered = false;

/* After the creating transaction commits, the engine rebuilds from the (new, empty) journal. */
static void
xt_reset_xact_callback(XactEvent event, void *arg)
{
	if (!xt_reset_pending)
		return;
	if (event == XACT_EVENT_COMMIT)
	{
		pg_atomic_write_u32(&xt_shared->state, XT_STATE_RECOVERING);
		pg_atomic_fetch_add_u32(&xt_shared->reset_requested, 1);
		if (xt_shared->engine_latch)
			SetLatch(xt_shared->engine_latch);
		xt_reset_pending = false;
	}
	else if (event == XACT_EVENT_ABORT)
		xt_reset_pending = false;
}

Datum
xt_engine_reset(PG_FUNCTION_ARGS)
{
	char	   *db;

	xt_require_shmem();
	db = get_database_name(MyDatabaseId);
	if (db == NULL || strcmp(db, xt_guc_database) != 0)
	{
		ereport(NOTICE,
				(errmsg("xtrader trades in database \"%s\"; its functions will refuse to run in \"%s\"",
						xt_guc_database, db ? db : "?")));
		PG_RETURN_VOID();
	}
	if (!xt_reset_callback_registered)
	{
		RegisterXactCallback(xt_reset_xact_callback, NULL);
		xt_reset_callback_registered = true;
	}
	xt_reset_pending = true;
	PG_RETURN_VOID();
}
