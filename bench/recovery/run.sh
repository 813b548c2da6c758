#!/usr/bin/env bash
# bench/recovery/run.sh: how long the exchange is down after kill -9 of the engine worker with
# 1,000,000 resting orders in its books.
#
# How:
#   1. a fresh extension, symbol REC-KRW (tick 1, lot 1); xtrader.max_orders = 1100000 (ALTER
#      SYSTEM + restart when needed; the outbound ring follows it: 2 * max_orders + 64 records);
#   2. load ORDERS resting orders that never cross (bids 1..2000, asks 3001..5000: 2000 levels
#      per side, within the default xtrader.max_levels of 4096), timed: through the batch function
#      xt_submit_orders(jsonb) when it exists (pgbench, 4 clients, 1000 orders per call), else
#      through xt_submit_order with 16 pgbench clients (much slower; said so in the output);
#   3. CHECKPOINT (so PostgreSQL's own WAL redo after the crash is what a production checkpoint
#      schedule would leave, not the whole load), then the baseline: the execution time of the
#      engine's own recovery read, "SELECT command FROM xtrader.journal ORDER BY seq", measured
#      server-side by EXPLAIN ANALYZE on the same data just before the kill. Replay = that read +
#      decoding + applying every command; the ratio rebuild/baseline carries across machines
#      better than milliseconds do;
#   4. kill -9 the engine worker; rebuild_ms = wall time until a new engine says 'ready' and
#      xt_order_book answers with the rebuilt book (includes the postmaster's crash-restart and
#      WAL redo); engine_ms = xt_stats().last_recovery_ms (the replay alone); replayed =
#      xt_stats().last_recovery_commands. Checks that resting_orders is back to ORDERS.
#   5. when xt_snapshot() exists: take one (timed), CHECKPOINT, kill -9 again and time the way
#      back from the snapshot (replayed = the journal after it: 0 here).
# Prints: bench=recovery orders=N rebuild_ms=... replayed=... baseline=...ms engine_ms=...
#         load_s=... load_orders_per_s=... load_path=batch|single
#         bench=recovery_snapshot orders=N rebuild_ms=... replayed=... engine_ms=... snapshot_ms=...
#         snapshot_mb=...
#
#   bench/recovery/run.sh            1,000,000 orders (target: rebuild <= 5 s)
#   bench/recovery/run.sh --quick    20,000 orders (keeps the script from rotting)
#
# A cluster of its own (XT_STATE_DIR, default .xtrader/bench-recovery; XT_PGPORT, default 55453),
# (re)started; the extension there is re-created: never point it at data that matters.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export XT_STATE_DIR=${XT_STATE_DIR:-$root/.xtrader/bench-recovery}
export XT_PGPORT=${XT_PGPORT:-55453}
. "$root/scripts/lib/common.sh"

ORDERS=1000000 MAX_ORDERS=1100000
case "${1:-}" in
  --quick) ORDERS=20000 ;;
  "") ;;
  *) xt_die "usage: bench/recovery/run.sh [--quick]" ;;
esac
[ "$XT_PGPORT" != 55432 ] && [ "$XT_PGPORT" != 55439 ] || xt_die "port $XT_PGPORT belongs to scripts/run or scripts/test; pick another XT_PGPORT"
WORK=$root/build/bench-recovery
rm -rf "$WORK"; mkdir -p "$WORK"

# restarted: the library installed last, and server processes with no history (the persister's
# cached plans depend on what it has seen, so a long-lived one measures differently)
"$root/scripts/cluster" restart
eval "$("$root/scripts/cluster" env)"
sql() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
sql_at() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
now_ms() { date +%s%3N; }

wait_ready() {
  local deadline=$((SECONDS + $1))
  until [ "$(psql -X -At -c "SELECT state FROM xtrader.xt_stats()" 2>/dev/null)" = ready ]; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

# ---- configuration: room for the book --------------------------------------------------------
if [ "$(sql_at -c "SHOW xtrader.max_orders")" -lt "$MAX_ORDERS" ]; then
  sql -c "ALTER SYSTEM SET xtrader.max_orders = $MAX_ORDERS"
  "$root/scripts/cluster" restart
fi

# ---- a fresh exchange ------------------------------------------------------------------------
# an engine still replaying the old journal would deadlock with DROP EXTENSION: let it finish
if [ "$(sql_at -c "SELECT count(*) FROM pg_extension WHERE extname = 'xtrader'")" = 1 ]; then
  wait_ready 60 || echo "# the engine is not ready after 60 s (an extension of an older build?): dropping it anyway" >&2
fi
sql >/dev/null <<'SQL'
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS xtrader CASCADE;
CREATE EXTENSION xtrader;
DO $$
BEGIN
    FOR i IN 1..2 LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'xt_rec_' || i) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN IN ROLE xtrader_trader', 'xt_rec_' || i);
        END IF;
    END LOOP;
END
$$;
SELECT xtrader.xt_create_symbol('REC-KRW', 1, 1);
SQL
wait_ready 60 || xt_die "the engine is not ready 60 s after CREATE EXTENSION"

# ---- load ------------------------------------------------------------------------------------
# Order i of a call: even = bid at 1..2000, odd = ask at 3001..5000, prices scattered by the
# call's random seed; quantity 1..5; two accounts.
if [ "$(sql_at -c "SELECT to_regprocedure('xtrader.xt_submit_orders(jsonb)') IS NOT NULL")" = t ]; then
  path=batch clients=4 per_call=1000
  cat >"$WORK/load.pgbench" <<EOF
\\set seed random(0, 1000000)
SELECT count(*) FROM xtrader.xt_submit_orders((
  SELECT jsonb_agg(jsonb_build_object(
           'symbol', 'REC-KRW',
           'side', CASE WHEN i % 2 = 0 THEN 'Buy' ELSE 'Sell' END,
           'order_type', 'Limit',
           'price', CASE WHEN i % 2 = 0 THEN 1 + (:seed + i * 7919) % 2000
                         ELSE 3001 + (:seed + i * 104729) % 2000 END,
           'quantity', 1 + i % 5,
           'account', 'xt_rec_' || (1 + i / 2 % 2)))
    FROM generate_series(0, $per_call - 1) i));
EOF
else
  path=single clients=16 per_call=1
  echo "# xt_submit_orders(jsonb) does not exist: loading one xt_submit_order per call (slow)"
  cat >"$WORK/load.pgbench" <<'EOF'
\set seed random(0, 1000000)
\set b random(0, 1)
SELECT order_id FROM xtrader.xt_submit_order('REC-KRW', CASE WHEN :b = 0 THEN 'Buy' ELSE 'Sell' END,
    'Limit', CASE WHEN :b = 0 THEN 1 + :seed % 2000 ELSE 3001 + :seed % 2000 END,
    1 + :seed % 5, account => 'xt_rec_' || (1 + :b));
EOF
fi
per_client=$((ORDERS / per_call / clients))
[ $((per_client * per_call * clients)) -eq "$ORDERS" ] || xt_die "ORDERS must divide by $((per_call * clients))"
t0=$(now_ms)
timeout 3600 pgbench -n -M prepared -c "$clients" -j "$clients" -t "$per_client" -f "$WORK/load.pgbench" \
  >"$WORK/load.out" 2>&1 || { tail -n 20 "$WORK/load.out" >&2; xt_die "loading failed"; }
t1=$(now_ms)
load_ms=$((t1 - t0))
resting=$(sql_at -c "SELECT resting_orders FROM xtrader.xt_stats()")
[ "$resting" -eq "$ORDERS" ] || xt_die "after loading, $resting orders rest, not $ORDERS (rejected? see xtrader.orders)"

# ---- baseline --------------------------------------------------------------------------------
sql -c "CHECKPOINT"
journal=$(sql_at -c "SELECT count(*) FROM xtrader.journal")
baseline_ms() {
  sql_at -c "EXPLAIN (ANALYZE, TIMING OFF) SELECT command FROM xtrader.journal ORDER BY seq" \
    | sed -n 's/^Execution Time: \([0-9.]*\) ms$/\1/p'
}
baseline_ms >/dev/null          # once to warm the caches the same way the replay finds them
baseline=$(baseline_ms)
hash_before=$(sql_at -c "SELECT state_hash FROM xtrader.xt_stats()")

# ---- kill -9 the engine and time the way back --------------------------------------------------
engine_pid() { psql -X -At -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'xtrader engine'" 2>/dev/null || true; }
# kill_and_time: SIGKILL the engine; sets REBUILD_MS (until a new engine is ready and the book
# answers), then ENGINE_MS, REPLAYED, RESTING, HASH from xt_stats(). Bounded by 120 s.
kill_and_time() {
  local old pid t0 deadline
  old=$(engine_pid)
  [ -n "$old" ] || xt_die "no engine worker found"
  t0=$(now_ms)
  kill -9 "$old"
  deadline=$((SECONDS + 120))
  while :; do
    # a new engine pid first: until the postmaster has reset shared memory, the old 'ready' shows
    pid=$(engine_pid)
    if [ -n "$pid" ] && [ "$pid" != "$old" ] &&
       [ "$(psql -X -At -c "SELECT count(*) > 0 FROM xtrader.xt_order_book('REC-KRW', 1)" 2>/dev/null)" = t ]; then
      break
    fi
    [ $SECONDS -lt $deadline ] || xt_die "the engine did not come back within 120 s"
    sleep 0.02
  done
  REBUILD_MS=$(($(now_ms) - t0))
  read -r ENGINE_MS REPLAYED RESTING HASH < <(sql_at -F ' ' -c \
    "SELECT last_recovery_ms, last_recovery_commands, resting_orders, state_hash FROM xtrader.xt_stats()")
  [ "$RESTING" -eq "$ORDERS" ] || xt_die "after recovery $RESTING orders rest, not $ORDERS"
  [ "$HASH" = "$hash_before" ] || xt_die "the rebuilt state hash $HASH differs from $hash_before"
}

kill_and_time
printf 'bench=recovery orders=%d rebuild_ms=%d replayed=%d baseline=%.0fms engine_ms=%d load_s=%.1f load_orders_per_s=%.0f load_path=%s\n' \
  "$ORDERS" "$REBUILD_MS" "$REPLAYED" "$baseline" "$ENGINE_MS" "$(awk -v m=$load_ms 'BEGIN { print m / 1000 }')" \
  "$(awk -v n="$ORDERS" -v m=$load_ms 'BEGIN { print n * 1000 / m }')" "$path"
echo "# journal: $journal commands, $(sql_at -c "SELECT pg_size_pretty(pg_total_relation_size('xtrader.journal'))"); the state hash survived the kill ($HASH)"

# ---- the same from a snapshot (when this build has xt_snapshot) -------------------------------
if [ "$(sql_at -c "SELECT to_regprocedure('xtrader.xt_snapshot()') IS NOT NULL")" = t ]; then
  t0=$(now_ms)
  read -r snap_seq snap_bytes < <(sql_at -F ' ' -c "SELECT seq, bytes FROM xtrader.xt_snapshot()")
  snap_ms=$(($(now_ms) - t0))
  sql -c "CHECKPOINT"
  kill_and_time
  printf 'bench=recovery_snapshot orders=%d rebuild_ms=%d replayed=%d engine_ms=%d snapshot_ms=%d snapshot_mb=%.1f\n' \
    "$ORDERS" "$REBUILD_MS" "$REPLAYED" "$ENGINE_MS" "$snap_ms" "$(awk -v b="$snap_bytes" 'BEGIN { print b / 1048576 }')"
fi
