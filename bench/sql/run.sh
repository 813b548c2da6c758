#!/usr/bin/env bash
# bench/sql/run.sh: durable orders per second through SQL, next to SELECT 1 on the same server.
#
# For 1, 2 and 8 clients (one pgbench thread each, prepared protocol), pgbench runs
#   submit.pgbench  one xt_submit_order per transaction: a GTC limit order, random side, prices
#                   clustered so about half trade, four accounts (so self-trade prevention
#                   does not cancel the trades); each call returns once durable;
#   SELECT 1        the floor of a round trip through the same server, same client count,
# for SECS seconds each, and prints one line per client count:
#   bench=sql clients=N orders_per_s=... select1_per_s=... ratio=... p50_ms=... p99_ms=...
# (p50/p99: per-call latency of xt_submit_order from pgbench --log). When the batch function
# xtrader.xt_submit_orders(jsonb) exists, it also runs batches of 1000 orders (500 pairs of a buy
# and a sell that match, so the book stays small) with 1 and 4 clients:
#   bench=sql_batch batch=1000 clients=N orders_per_s=... p50_ms=... p99_ms=...
# Lines starting with '#' explain: the wait events of the server processes sampled during the
# 8-client run, and group-commit figures (orders per persister commit).
#
#   bench/sql/run.sh            10 s per run
#   bench/sql/run.sh --quick    1 s per run, tiny batches (keeps the script from rotting)
#
# It uses a cluster of its own (XT_STATE_DIR, default .xtrader/bench-sql; XT_PGPORT, default
# 55452), (re)started, with the settings of scripts/cluster (fsync on, synchronous_commit
# on), and re-creates the extension there: never point it at a cluster whose data matters.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export XT_STATE_DIR=${XT_STATE_DIR:-$root/.xtrader/bench-sql}
export XT_PGPORT=${XT_PGPORT:-55452}
. "$root/scripts/lib/common.sh"
BENCH_DIR=$root/bench/sql

SECS=10 BATCH=1000 QUICK=
case "${1:-}" in
  --quick) SECS=1 BATCH=50 QUICK=1 ;;
  "") ;;
  *) xt_die "usage: bench/sql/run.sh [--quick]" ;;
esac
[ "$XT_PGPORT" != 55432 ] && [ "$XT_PGPORT" != 55439 ] || xt_die "port $XT_PGPORT belongs to scripts/run or scripts/test; pick another XT_PGPORT"

WORK=$root/build/bench-sql
rm -rf "$WORK"; mkdir -p "$WORK"

# restarted: the library installed last, and server processes with no history (the persister's
# cached plans depend on what it has seen, so a long-lived one measures differently)
"$root/scripts/cluster" restart
eval "$("$root/scripts/cluster" env)"
sql() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
sql_at() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

wait_ready() {
  local deadline=$((SECONDS + $1))
  until [ "$(psql -X -At -c "SELECT state FROM xtrader.xt_stats()" 2>/dev/null)" = ready ]; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

# ---- a fresh exchange ------------------------------------------------------------------------
# an engine still replaying the old journal would deadlock with DROP EXTENSION: let it finish
if [ "$(sql_at -c "SELECT count(*) FROM pg_extension WHERE extname = 'xtrader'")" = 1 ]; then
  wait_ready 60 || echo "# the engine is not ready after 60 s (an extension of an older build?): dropping it anyway" >&2
fi
sql >/dev/null <<'SQL'
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS xt_bench CASCADE;
DROP EXTENSION IF EXISTS xtrader CASCADE;
CREATE EXTENSION xtrader;
DO $$
BEGIN
    FOR i IN 1..4 LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'xt_bench_' || i) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN IN ROLE xtrader_trader', 'xt_bench_' || i);
        END IF;
    END LOOP;
END
$$;
SELECT xtrader.xt_create_symbol('BENCH-KRW', 0.5, 0.01);
CREATE SCHEMA xt_bench;
SQL
wait_ready 30 || xt_die "the engine is not ready 30 s after CREATE EXTENSION"

cat >"$WORK/select1.pgbench" <<'EOF'
SELECT 1;
EOF

# pgbench_run NAME CLIENTS SCRIPT: runs it; sets R_TPS, R_P50 and R_P99 (ms, from --log).
pgbench_run() {
  local name=$1 c=$2 script=$3 out
  out=$(timeout $((SECS + 60)) pgbench -n -M prepared -c "$c" -j "$c" -T "$SECS" -f "$script" \
        --log --log-prefix="$WORK/$name" 2>&1) || { printf '%s\n' "$out" >&2; xt_die "pgbench $name failed"; }
  printf '%s\n' "$out" >"$WORK/$name.out"
  grep -q '^number of failed transactions: 0 ' <<<"$out" || { printf '%s\n' "$out" >&2; xt_die "pgbench $name had failed transactions"; }
  R_TPS=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out")
  # --log: "client_id transaction_no time_us script_no epoch epoch_us"; field 3 is the latency
  read -r R_P50 R_P99 < <(cat "$WORK/$name".[0-9]* | awk '{ print $3 }' | sort -n | awk '
    { v[NR] = $1 }
    END { if (NR == 0) { print "nan", "nan"; exit }
          i50 = int(NR * 0.50); if (i50 < 1) i50 = 1; i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
          printf "%.3f %.3f\n", v[i50] / 1000, v[i99] / 1000 }')
  rm -f "$WORK/$name".[0-9]*
}

# Sample pg_stat_activity every 50 ms while pgbench runs (sampling, not synchronisation).
sample_waits() {
  local until=$((SECONDS + $1))
  while [ $SECONDS -lt $until ]; do
    psql -X -At -F '|' -c "SELECT CASE WHEN backend_type = 'client backend' THEN 'backend' ELSE backend_type END,
                                  coalesce(wait_event_type || ':' || wait_event, 'CPU')
                             FROM pg_stat_activity
                            WHERE (backend_type = 'client backend' AND application_name = 'pgbench'
                                   AND state = 'active')
                               OR backend_type IN ('xtrader engine', 'xtrader persister', 'walwriter')" \
      2>/dev/null || true
    sleep 0.05
  done
}

summarise_waits() {
  sort | uniq -c | sort -k1,1nr | awk '
    { c = $1; sub(/^ *[0-9]+ /, ""); split($0, f, "|"); n[f[1]] += c; line[f[1]] = line[f[1]] sprintf(" %s=%d", f[2], c) }
    END { for (p in n) printf "#   %-18s %5d samples:%s\n", p, n[p], line[p] }' | sort
}

stat() { sql_at -c "SELECT $1 FROM xtrader.xt_stats()"; }

# ---- single orders vs SELECT 1 ---------------------------------------------------------------
for c in 1 2 8; do
  sampler=
  if [ "$c" = 8 ]; then
    sample_waits "$SECS" >"$WORK/waits_c8.txt" &
    sampler=$!
  fi
  b0=$(stat persist_batches); s0=$(stat last_seq)
  pgbench_run "submit_c$c" "$c" "$BENCH_DIR/submit.pgbench"
  otps=$R_TPS op50=$R_P50 op99=$R_P99
  b1=$(stat persist_batches); s1=$(stat last_seq)
  [ -z "$sampler" ] || wait "$sampler"
  pgbench_run "select1_c$c" "$c" "$WORK/select1.pgbench"
  stps=$R_TPS
  ratio=$(awk -v a="$otps" -v b="$stps" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
  printf 'bench=sql clients=%d orders_per_s=%.0f select1_per_s=%.0f ratio=%s p50_ms=%s p99_ms=%s\n' \
    "$c" "$otps" "$stps" "$ratio" "$op50" "$op99"
  echo "#   clients=$c: $((s1 - s0)) commands in $((b1 - b0)) persister commits ($(awk -v s=$((s1 - s0)) -v b=$((b1 - b0)) 'BEGIN { printf "%.1f", (b > 0 ? s / b : 0) }') per commit)"
done
echo "# wait events during the 8-client xt_submit_order run (pg_stat_activity every 50 ms; CPU = none):"
summarise_waits <"$WORK/waits_c8.txt"

# ---- batches ---------------------------------------------------------------------------------
if [ "$(sql_at -c "SELECT to_regprocedure('xtrader.xt_submit_orders(jsonb)') IS NOT NULL")" = t ]; then
  # 20 different payloads of BATCH orders: pairs of a buy and a sell of other accounts at the
  # same price, so every pair trades and the book stays small however long it runs
  sql -v batch="$BATCH" >/dev/null <<'SQL'
CREATE TABLE xt_bench.payloads AS
SELECT b AS id,
       jsonb_agg(jsonb_build_object(
           'symbol', 'BENCH-KRW',
           'side', CASE WHEN i % 2 = 0 THEN 'Buy' ELSE 'Sell' END,
           'order_type', 'Limit',
           'price', (1000 + (i / 2 + b) % 21 - 10) * 0.5,
           'quantity', (1 + (i / 2) % 7) * 0.01,
           'account', 'xt_bench_' || (1 + i % 4)) ORDER BY i) AS orders
  FROM generate_series(1, 20) b, generate_series(0, :batch - 1) i
 GROUP BY b;
SQL
  cat >"$WORK/batch.pgbench" <<'EOF'
\set i random(1, 20)
SELECT count(*) FROM xt_bench.payloads p, xtrader.xt_submit_orders(p.orders) WHERE p.id = :i;
EOF
  for c in 1 4; do
    b0=$(stat persist_batches); s0=$(stat last_seq)
    pgbench_run "batch_c$c" "$c" "$WORK/batch.pgbench"
    btps=$R_TPS bp50=$R_P50 bp99=$R_P99
    b1=$(stat persist_batches); s1=$(stat last_seq)
    printf 'bench=sql_batch batch=%d clients=%d orders_per_s=%.0f p50_ms=%s p99_ms=%s\n' \
      "$BATCH" "$c" "$(awk -v t="$btps" -v n="$BATCH" 'BEGIN { print t * n }')" "$bp50" "$bp99"
    echo "#   clients=$c: $((s1 - s0)) commands in $((b1 - b0)) persister commits ($(awk -v s=$((s1 - s0)) -v b=$((b1 - b0)) 'BEGIN { printf "%.1f", (b > 0 ? s / b : 0) }') per commit)"
  done
  # the batch orders must really have traded and been stored
  sql_at -c "SELECT '# after the batches: ' || (SELECT count(*) FROM xtrader.orders) || ' orders, '
               || (SELECT count(*) FROM xtrader.executions) || ' executions, '
               || (SELECT resting_orders FROM xtrader.xt_stats()) || ' resting'"
else
  echo "# xtrader.xt_submit_orders(jsonb) does not exist in this build: no batch line"
fi
