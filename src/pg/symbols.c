/*
 * symbols.c: the symbol registry (table xtrader.symbols, SQL function xt_create_symbol).
 *
 * A symbol fixes the exact decimal grid of its book: prices are multiples of tick_size and
 * quantities multiples of lot_size, both positive with at most XT_STEP_MAX_SCALE fractional
 * digits. Engine symbol ids are dense (0, 1, 2, ...) because the shared-memory books are an array
 * sized by xtrader.max_symbols; creation takes a table lock so concurrent creators cannot race for
 * an id. Symbol creation is rare, so the lock costs nothing that matters.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "engine/engine.h"
#include "pg/sequencer.h"
#include "pg/shmem.h"
#include "pg/xtrader.h"

#define XT_SYMBOL_PART_MIN	2
#define XT_SYMBOL_PART_MAX	12

/* Largest tick or lot size accepted: keeps price * quantity of any order far inside numeric's
 * and the engine's ranges and catches unit mistakes (a tick of 10^12 is a typo, not a market). */
#define XT_STEP_MAX_TEXT	"1000000000"

PG_FUNCTION_INFO_V1(xt_create_symbol);

static bool
symbol_part_ok(const char *s, int len)
{
	if (len < XT_SYMBOL_PART_MIN || len > XT_SYMBOL_PART_MAX)
		return false;
	for (int i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

/* True when s has the form BASE-QUOTE, each 2 to 12 of [A-Z0-9] (e.g. BTC-KRW). */
static bool
symbol_name_ok(const char *s)
{
	const char *dash = strchr(s, '-');

	if (dash == NULL)
		return false;
	return symbol_part_ok(s, (int) (dash - s)) && symbol_part_ok(dash + 1, (int) strlen(dash + 1));
}


/* Validate a tick or lot size; returns it with trailing fractional zeros removed. */
static Numeric
check_step(Numeric step, const char *name)
{
	if (numeric_is_nan(step) || numeric_is_inf(step))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number", name)));
	if (xt_numeric_cmp(step, int64_to_numeric(0)) <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be positive", name)));
	if (xt_numeric_min_scale(step) > XT_STEP_MAX_SCALE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must have at most %d fractional digits", name, XT_STEP_MAX_SCALE)));
	if (xt_numeric_cmp(step, xt_numeric_from_cstring(XT_STEP_MAX_TEXT)) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s must not exceed %s", name, XT_STEP_MAX_TEXT)));
	return DatumGetNumeric(DirectFunctionCall1(numeric_trim_scale, NumericGetDatum(step)));
}

/* Validate an optional quantity bound against the lot size: *lots gets it in lots, and it is
 * returned trimmed. */
static Numeric
check_quantity_bound(Numeric q, Numeric lot, const char *name, int64 *lots)
{
	*lots = xt_numeric_to_units(q, lot, name, "lot size");
	return DatumGetNumeric(DirectFunctionCall1(numeric_trim_scale, NumericGetDatum(q)));
}

/*
 * xt_create_symbol(symbol text, tick_size numeric, lot_size numeric,
 *                  min_quantity numeric DEFAULT NULL, max_quantity numeric DEFAULT NULL)
 *   RETURNS xtrader.symbols
 *
 * Lists a new symbol and returns its row. Every bad argument is an ERROR with a SQLSTATE:
 * 22004 (null), 22023 (bad value), 22003 (out of range), 23505 (exists), 54000 (registry full).
 */
Datum
xt_create_symbol(PG_FUNCTION_ARGS)
{
	char	   *symbol;
	Numeric		tick,
				lot,
				min_q = NULL,
				max_q = NULL;
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		nulls[7] = {false};
	Datum		args[6];
	char		argnulls[6];
	Oid			argtypes[6] = {INT4OID, TEXTOID, NUMERICOID, NUMERICOID, NUMERICOID, NUMERICOID};
	int			next_id;
	int			ret;
	int64		min_lots = 0,	/* 0: no bound (the engine's default) */
				max_lots = 0;

	xt_require_arg(fcinfo, 0, "symbol");
	xt_require_arg(fcinfo, 1, "tick_size");
	xt_require_arg(fcinfo, 2, "lot_size");

	symbol = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (!symbol_name_ok(symbol))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid symbol \"%s\"", symbol),
				 errdetail("A symbol is two parts of 2 to 12 upper-case letters or digits joined by a dash, such as BTC-KRW.")));

	tick = check_step(PG_GETARG_NUMERIC(1), "tick_size");
	lot = check_step(PG_GETARG_NUMERIC(2), "lot_size");
	if (!PG_ARGISNULL(3))
		min_q = check_quantity_bound(PG_GETARG_NUMERIC(3), lot, "min_quantity", &min_lots);
	if (!PG_ARGISNULL(4))
		max_q = check_quantity_bound(PG_GETARG_NUMERIC(4), lot, "max_quantity", &max_lots);
	if (min_q && max_q && xt_numeric_cmp(min_q, max_q) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_quantity %s is greater than max_quantity %s",
						numeric_normalize(min_q), numeric_normalize(max_q))));

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "xt_create_symbol must return a composite type");
	tupdesc = BlessTupleDesc(tupdesc);

	SPI_connect();

	/*
	 * Serialise creators: the next dense id and the registry's size are read under the lock, with
	 * a fresh snapshot (read_only = false) so that an earlier call in the same statement is seen.
	 */
	SPI_execute("LOCK TABLE xtrader.symbols IN SHARE ROW EXCLUSIVE MODE", false, 0);

	args[0] = CStringGetTextDatum(symbol);
	ret = SPI_execute_with_args("SELECT coalesce(max(symbol_id) + 1, 0), "
								"bool_or(symbol = $1) IS TRUE FROM xtrader.symbols",
								1, &argtypes[1], args, NULL, false, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "xt_create_symbol: could not read xtrader.symbols");
	{
		bool		isnull;

		next_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		if (DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)))
			ereport(ERROR,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 errmsg("symbol \"%s\" already exists", symbol)));
	}
	if (next_id >= xt_guc_max_symbols)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cannot list more than %d symbols", xt_guc_max_symbols),
				 errhint("Raise xtrader.max_symbols and restart the server.")));

	args[0] = Int32GetDatum(next_id);
	args[1] = CStringGetTextDatum(symbol);
	args[2] = NumericGetDatum(tick);
	args[3] = NumericGetDatum(lot);
	args[4] = min_q ? NumericGetDatum(min_q) : (Datum) 0;
	args[5] = max_q ? NumericGetDatum(max_q) : (Datum) 0;
	memset(argnulls, ' ', sizeof(argnulls));
	argnulls[4] = min_q ? ' ' : 'n';
	argnulls[5] = max_q ? ' ' : 'n';
	ret = SPI_execute_with_args("INSERT INTO xtrader.symbols "
								"(symbol_id, symbol, tick_size, lot_size, min_quantity, max_quantity) "
								"VALUES ($1, $2, $3, $4, $5, $6)",
								6, argtypes, args, argnulls, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "xt_create_symbol: insert failed: %s", SPI_result_code_string(ret));

	SPI_finish();

	/*
	 * The engine learns the symbol through the sequencer, so the journal orders it before any
	 * order for it (orders can only name it once this transaction commits).
	 */
	{
		xt_command	cmd;
		XtReply		reply;

		memset(&cmd, 0, sizeof(cmd));
		cmd.type = XT_CMD_ADD_SYMBOL;
		cmd.symbol = (uint32) next_id;
		cmd.quantity = min_lots;
		cmd.max_quantity = max_lots;
		xt_sequence_and_wait(&cmd, 1, &reply);
		if (reply.outcome != XT_OUTCOME_ACCEPTED)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the engine refused symbol id %d: %s", next_id,
							xt_reason_name((xt_reason) reply.reason))));
		pg_atomic_fetch_add_u32(&xt_shared->symbols_version, 1);
	}

	values[0] = Int32GetDatum(next_id);
	values[1] = CStringGetTextDatum(symbol);
	values[2] = NumericGetDatum(tick);
	values[3] = NumericGetDatum(lot);
	values[4] = min_q ? NumericGetDatum(min_q) : (Datum) 0;
	nulls[4] = min_q == NULL;
	values[5] = max_q ? NumericGetDatum(max_q) : (Datum) 0;
	nulls[5] = max_q == NULL;
	values[6] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ---- the backend's symbol cache ------------------------------------------------------------ */

static XtSymbol *xt_sym_cache = NULL;
static int	xt_sym_count = 0;
static uint32 xt_sym_version = 0;
static bool xt_sym_loaded = false;

static uint32
xt_symbols_version(void)
{
	return xt_shared ? pg_atomic_read_u32(&xt_shared->symbols_version) : 0;
}

static Numeric
xt_numeric_copy_top(Numeric n)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	Numeric		copy = (Numeric) palloc(VARSIZE(n));

	memcpy(copy, n, VARSIZE(n));
	MemoryContextSwitchTo(old);
	return copy;
}

/* Read xtrader.symbols into the cache (with the caller's rights: traders may read it). */
static void
xt_symbols_reload(void)
{
	uint32		version = xt_symbols_version();
	int			ret;

	if (xt_sym_cache)
	{
		for (int i = 0; i < xt_sym_count; i++)
		{
			pfree(xt_sym_cache[i].tick);
			pfree(xt_sym_cache[i].lot);
		}
		pfree(xt_sym_cache);
		xt_sym_cache = NULL;
	}
	xt_sym_count = 0;

	SPI_connect();
	ret = SPI_execute("SELECT symbol_id, symbol, tick_size, lot_size, min_quantity, max_quantity "
					  "FROM xtrader.symbols ORDER BY symbol_id", true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "xtrader: cannot read xtrader.symbols");
	xt_sym_cache = MemoryContextAllocZero(TopMemoryContext, sizeof(XtSymbol) * Max(SPI_processed, 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		XtSymbol   *s = &xt_sym_cache[xt_sym_count];
		bool		isnull;
		Datum		v;
		char	   *name;

		s->symbol_id = DatumGetInt32(SPI_getbinval(t, d, 1, &isnull));
		name = TextDatumGetCString(SPI_getbinval(t, d, 2, &isnull));
		strlcpy(s->name, name, sizeof(s->name));
		s->tick = xt_numeric_copy_top(DatumGetNumeric(SPI_getbinval(t, d, 3, &isnull)));
		s->lot = xt_numeric_copy_top(DatumGetNumeric(SPI_getbinval(t, d, 4, &isnull)));
		s->min_lots = 1;
		s->max_lots = XT_VALUE_MAX;
		v = SPI_getbinval(t, d, 5, &isnull);
		if (!isnull)
			(void) xt_numeric_units(DatumGetNumeric(v), s->lot, &s->min_lots);
		v = SPI_getbinval(t, d, 6, &isnull);
		if (!isnull)
			(void) xt_numeric_units(DatumGetNumeric(v), s->lot, &s->max_lots);
		xt_sym_count++;
	}
	SPI_finish();
	xt_sym_version = version;
	xt_sym_loaded = true;
}

static const XtSymbol *
xt_symbol_find(const char *name, int32 id)
{
	for (int i = 0; i < xt_sym_count; i++)
		if ((name && strcmp(xt_sym_cache[i].name, name) == 0) ||
			(!name && xt_sym_cache[i].symbol_id == id))
			return &xt_sym_cache[i];
	return NULL;
}

/*
 * Look a symbol up, reloading when another backend added one (symbols_version) or, once, on a
 * miss: a symbol committed a moment ago may not have reached the version yet.
 */
static const XtSymbol *
xt_symbol_get(const char *name, int32 id)
{
	const XtSymbol *s;

	if (!xt_sym_loaded || xt_sym_version != xt_symbols_version())
		xt_symbols_reload();
	s = xt_symbol_find(name, id);
	if (s == NULL)
	{
		xt_symbols_reload();
		s = xt_symbol_find(name, id);
	}
	return s;
}

const XtSymbol *
xt_symbol_lookup(const char *name)
{
	return xt_symbol_get(name, -1);
}

const XtSymbol *
xt_symbol_by_id(int32 symbol_id)
{
	return xt_symbol_get(NULL, symbol_id);
}
