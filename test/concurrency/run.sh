#!/usr/bin/env bash
# test/concurrency/run.sh: many clients trading at once leave a consistent exchange.
#
# How: a fresh extension (setup.sql: 3 symbols, 6 trader roles), then pgbench with 8 clients and
# 8 threads for XT_CONC_SECONDS (15) seconds runs two scripts: submit.pgbench (weight 9: random
# crossing orders: limit/market, GTC/IOC/FOK, post-only, client order ids, for random accounts)
# and poke.pgbench (weight 1: cancel or amend a random open order). Then, with the engine idle,
# the SQL invariants of invariants.sql: fills equal executions, nothing over-filled, the live
# book is not crossed and equals the open orders of the table, the journal is gap-free and
# durable, executions reference the right orders, no self-trade, and trades did happen.
#
# Output: "ok N - ..." / "not ok N - ..." and the closing "N passed, N failed"; exit 1 on failure.
# Runs against the cluster named by XT_STATE_DIR/XT_PGPORT (scripts/test: its own, port 55439);
# the extension is dropped at the end, or re-created empty if it existed before (XT_KEEP=1
# leaves the data for a look).
#   XT_STATE_DIR=$PWD/.xtrader/h5 XT_PGPORT=55450 test/concurrency/run.sh
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SECS=${XT_CONC_SECONDS:-15}
CLIENTS=${XT_CONC_CLIENTS:-8}
WORK=$XT_ROOT/build/concurrency
mkdir -p "$WORK"

xt_suite_init
had_ext=$(sql_at -c "SELECT count(*) FROM pg_extension WHERE extname = 'xtrader'")
cleanup() {
  [ -z "${XT_KEEP:-}" ] || return 0
  sql -c "DROP SCHEMA IF EXISTS xt_test CASCADE" -c "DROP EXTENSION IF EXISTS xtrader CASCADE" \
      -c "DROP ROLE IF EXISTS xt_conc_1, xt_conc_2, xt_conc_3, xt_conc_4, xt_conc_5, xt_conc_6" \
      >/dev/null 2>&1 || echo "warning: clean-up failed" >&2
  [ "$had_ext" != 1 ] || sql -c "CREATE EXTENSION xtrader" >/dev/null 2>&1 || true
}
trap cleanup EXIT

wait_settled
sql -f "$SUITE_DIR/setup.sql" >/dev/null
wait_ready 30 || xt_die "the engine did not become ready after CREATE EXTENSION"

# ---- load ------------------------------------------------------------------------------------
echo "# pgbench: $CLIENTS clients, $SECS s, submit.pgbench@9 + poke.pgbench@1"
rc=0
timeout $((SECS + 60)) pgbench -n -M prepared -c "$CLIENTS" -j "$CLIENTS" -T "$SECS" \
  -f "$SUITE_DIR/submit.pgbench@9" -f "$SUITE_DIR/poke.pgbench@1" >"$WORK/pgbench.log" 2>&1 || rc=$?
sed -n -e '/^number of transactions actually processed/p' -e '/^number of failed/p' \
  -e '/^latency average/p' -e '/^tps/p' "$WORK/pgbench.log" | sed 's/^/# /'
check "$([ $rc -eq 0 ] && echo t || echo f)" "pgbench ran every client to the end without an error (exit $rc; log $WORK/pgbench.log)"
[ $rc -eq 0 ] || grep -m 5 -iE 'error|abort' "$WORK/pgbench.log" | sed 's/^/#   /'

# Every call returned, so everything it sequenced is durable; allow a moment in case a client
# was cut off mid-call (that is caught above).
deadline=$((SECONDS + 10))
until [ "$(sql_at -c "SELECT last_seq = durable_seq FROM xtrader.xt_stats()")" = t ]; do
  [ $SECONDS -lt $deadline ] || break
  sleep 0.1
done

# ---- what the load did -----------------------------------------------------------------------
sql_at -F ' ' -c "
  SELECT '# orders by type/tif/status:', string_agg(format('%s/%s/%s=%s', t, tif, st, n), ' ' ORDER BY t, tif, st)
    FROM (SELECT CASE order_type WHEN 0 THEN 'limit' ELSE 'market' END t,
                 CASE WHEN post_only THEN 'post' ELSE (ARRAY['GTC','IOC','FOK'])[time_in_force + 1] END tif,
                 xtrader.xt_status_name(status) st, count(*) n
            FROM xtrader.orders GROUP BY 1, 2, 3) x" \
  -c "SELECT '# journal:', string_agg(format('%s=%s', k, n), ' ' ORDER BY k)
        FROM (SELECT (ARRAY['new','cancel','amend','symbol'])[type] || '/' ||
                     (ARRAY['accepted','rejected','duplicate'])[outcome] AS k, count(*) n
                FROM xtrader.journal GROUP BY 1) x"

mix=$(sql_at -c "
  SELECT count(*) FILTER (WHERE order_type = 1) > 0 AND count(*) FILTER (WHERE time_in_force = 1) > 0
     AND count(*) FILTER (WHERE time_in_force = 2 AND status = 2) > 0
     AND count(*) FILTER (WHERE time_in_force = 2 AND status = 4) > 0
     AND count(*) FILTER (WHERE post_only AND status = 5) > 0
     AND count(*) FILTER (WHERE status = 3) > 0
     AND (SELECT count(*) FROM xtrader.journal WHERE type = 3 AND outcome = 1) > 0
     AND (SELECT count(*) FROM xtrader.journal WHERE outcome = 3) > 0
    FROM xtrader.orders")
check "$mix" "the load exercised market, IOC, FOK filled and expired, post-only rejected, cancels, amends and duplicate client order ids"

# ---- invariants -------------------------------------------------------------------------------
run_invariants -v min_trades=$((SECS * 50))

suite_done
