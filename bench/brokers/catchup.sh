#!/usr/bin/env bash
# bench/brokers/catchup.sh: how fast a broker worker of the server ("xtrader redis", "xtrader
# kafka", "xtrader amqp") replays its backlog once its broker is back after an outage.
#
#   bench/brokers/catchup.sh [--executions N] [--quick] [redis|kafka|amqp ...]
#                                           defaults: 50000 executions (100,000 messages), all three
#
# For each broker B, alone (the cluster publishes only to B in its round):
#   1. ALTER SYSTEM SET B's URL (the other two empty), xtrader.broker_health_interval =
#      XT_CATCHUP_HEALTH_MS (250 ms instead of 5 s, so that when the worker notices the broker
#      is back is not most of what is measured; it is still reported, as detect_s) and
#      xtrader.redis_consumers = 0 (the consumer group would compete for the 2 cores);
#      scripts/cluster restart; a fresh extension (ids restart), symbol CU-KRW, roles
#      xt_catchup_a / xt_catchup_b; B's target cleared (Redis stream "executions" deleted, Kafka
#      topic "market-data" created if missing, a fresh durable RabbitMQ queue bound to
#      "market-notifications" with execution.#, so RabbitMQ persists what it confirms, as in the
#      baseline); a warm-up of 100 executions, published (lag 0) and B's worker live;
#   2. scripts/brokers stop B, then the backlog: N executions through xt_submit_orders(jsonb),
#      2 pgbench clients, calls of 1,000 orders (a Sell of xt_catchup_a then a crossing Buy of
#      xt_catchup_b at one price: one execution per pair). Every call returns once durable;
#      outage_backlog_s is how long that took. Then until B's state is no longer 'live';
#   3. scripts/brokers start B in the background; t_up = the first moment B answers its protocol
#      (xt_redis_ping / xt_kafka_ping / xt_amqp_ping of scripts/lib/brokers.sh, polled every
#      50 ms; or when the worker got through first, then), one psql session polls
#      xt_broker_status() every 20 ms: detect_s = t_up -> the worker's state is 'live' again
#      (its health check passed), catchup_s = t_up -> B's lag_messages = 0. msgs = that lag
#      before the start (2 x N); msgs_per_s = msgs / catchup_s;
#      replay_per_s = msgs / (catchup_s - detect_s), the replay alone. worker_confirmed = every
#      message B confirmed to the worker meanwhile: builds whose Kafka and RabbitMQ workers also
#      publish market data (order books, tickers from the journal, interleaved with the
#      executions) count those too; market_cmds is that backlog in commands (0 without) and
#      market_catchup_s the time until it is gone as well (waited for before the baseline).
# Baseline in the same run, right after: build/bench/bench_brokers (bench/brokers/bench_brokers.c)
# --broker B --msgs <msgs> --size <their average size, rebuilt from xtrader.executions as the worker
# encodes them> --batch <xtrader.broker_batch, the most the worker sends per round> --reps 1. Its
# plain client loop (pipelined hiredis XADD; librdkafka acks=all, one flush at the end; rabbitmq-c
# persistent publishes with confirms per batch) is baseline_per_s, and ratio = msgs_per_s /
# baseline_per_s. The src/brokers publisher that it also runs, the same batches outside
# PostgreSQL, is publisher_per_s: replay_per_s against it is what the worker itself adds (reading
# xtrader.executions, encoding, the cursor's commit per batch).
#
# Prints one line per broker:
#   bench=catchup broker=B msgs=M outage_backlog_s=... catchup_s=... msgs_per_s=...
#     baseline_per_s=... ratio=... detect_s=... replay_per_s=... publisher_per_s=...
#     worker_confirmed=... market_cmds=... market_catchup_s=... size=... batch=... health_ms=...
# About 1.5 minutes with the defaults on 2 cores (Kafka and RabbitMQ each start twice); --quick:
# 2,000 executions.
#
# Everything is private, so it never collides with other work (defaults, all overridable):
#   XT_STATE_DIR=$ROOT/.xtrader/bench-catchup XT_PGPORT=55480 XT_REST_PORT=17300 XT_WS_PORT=17301
#   XT_REDIS_PORT=16390 XT_RABBITMQ_PORT=15690 XT_RABBITMQ_NODE=xtcatchup@localhost
#   XT_KAFKA_PORT=19190 XT_KAFKA_CONTROLLER_PORT=19191
# The Kafka jars are scripts/kafka/lib's (XT_KAFKA_LIB), shared with the other brokers. The
# extension is the one installed last (make install). At the end, also after a failure, the
# private cluster and brokers are stopped (their data stays in XT_STATE_DIR for the next run).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export XT_STATE_DIR=${XT_STATE_DIR:-$ROOT/.xtrader/bench-catchup}
export XT_PGPORT=${XT_PGPORT:-55480} XT_REST_PORT=${XT_REST_PORT:-17300} XT_WS_PORT=${XT_WS_PORT:-17301}
export XT_REDIS_PORT=${XT_REDIS_PORT:-16390} XT_RABBITMQ_PORT=${XT_RABBITMQ_PORT:-15690}
export XT_RABBITMQ_NODE=${XT_RABBITMQ_NODE:-xtcatchup@localhost}
export XT_KAFKA_PORT=${XT_KAFKA_PORT:-19190} XT_KAFKA_CONTROLLER_PORT=${XT_KAFKA_CONTROLLER_PORT:-19191}
cd "$ROOT"
. scripts/lib/common.sh
. scripts/lib/brokers.sh
. scripts/lib/pg.sh

EXECS=50000 BROKERS=()
HEALTH_MS=${XT_CATCHUP_HEALTH_MS:-250}
while [ $# -gt 0 ]; do
  case $1 in
    --executions) EXECS=$2; shift 2 ;;
    --quick) EXECS=2000; shift ;;
    redis|kafka|amqp) BROKERS+=("$1"); shift ;;
    rabbitmq) BROKERS+=(amqp); shift ;;
    *) xt_die "usage: bench/brokers/catchup.sh [--executions N] [--quick] [redis|kafka|amqp ...]" ;;
  esac
done
[ ${#BROKERS[@]} -gt 0 ] || BROKERS=(redis kafka amqp)
if [ "$EXECS" -le 0 ] || [ $((EXECS % 1000)) -ne 0 ]; then
  xt_die "--executions must be a positive multiple of 1000 (2 clients x calls of 500 pairs)"
fi
case $XT_PGPORT in 55432|55439) xt_die "port $XT_PGPORT belongs to scripts/run or scripts/test; pick another XT_PGPORT" ;; esac

SYMBOL=CU-KRW SELLER=xt_catchup_a BUYER=xt_catchup_b
QUEUE=xt-catchup-$$
WORK=$ROOT/build/bench-catchup
DUMP=build/brokers/broker_dump
BENCH=build/bench/bench_brokers
rm -rf "$WORK"; mkdir -p "$WORK"
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning -c statement_timeout=600s" PGCONNECT_TIMEOUT=10

# a broker's name for scripts/brokers (xt_broker_status and the pings of scripts/lib/brokers.sh
# say amqp)
svc_of() { [ "$1" = amqp ] && echo rabbitmq || echo "$1"; }
now() { date +%s.%N; }

BG=()                  # background processes of this script, ended by the clean-up
QUEUE_MADE=0
# shellcheck disable=SC2317 # the EXIT trap
cleanup() {
  local rc=$? p
  trap - EXIT
  for p in "${BG[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${BG[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "$QUEUE_MADE" = 1 ] && xt_amqp_ping "$XT_RABBITMQ_PORT"; then "$DUMP" amqp-delete "$QUEUE" >/dev/null 2>&1 || true; fi
  scripts/cluster stop >/dev/null 2>&1 || xt_log "catchup: scripts/cluster stop failed"
  scripts/brokers stop >/dev/null 2>&1 || xt_log "catchup: scripts/brokers stop failed"
  [ "$rc" = 0 ] || xt_log "catchup: failed (exit $rc); logs in $XT_LOG_DIR and $WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

make -s "$BENCH" "$DUMP"

# ---- the private brokers and cluster ----------------------------------------------------------
if [ ${#BROKERS[@]} -ge 3 ]; then
  scripts/brokers start all >&2          # side by side
else
  for B in "${BROKERS[@]}"; do scripts/brokers start "$(svc_of "$B")" >&2; done
fi
scripts/cluster start
eval "$(scripts/cluster env)"
BATCH=$(sql_at -c "SHOW xtrader.broker_batch")

# One call of 2 * $1 orders: pairs of a resting Sell and a Buy crossing it (one execution each).
pairs_sql() {
  cat <<SQL
SELECT count(*) FROM xtrader.xt_submit_orders((
  SELECT jsonb_agg(jsonb_build_object(
           'symbol', '$SYMBOL', 'side', CASE WHEN i % 2 = 0 THEN 'Sell' ELSE 'Buy' END,
           'order_type', 'Limit', 'price', 50000000, 'quantity', '0.001',
           'account', CASE WHEN i % 2 = 0 THEN '$SELLER' ELSE '$BUYER' END) ORDER BY i)
    FROM generate_series(0, 2 * $1 - 1) i));
SQL
}
pairs_sql 500 >"$WORK/backlog.pgbench"

# url NAME URL: URL when NAME is the broker of this round ($B), else nothing
url() { [ "$1" != "$B" ] || echo "$2"; }

# Builds whose Kafka and RabbitMQ workers also publish market data (order books, tickers from the
# journal) show its backlog in xt_broker_status().market_lag_commands; 0 where there is none.
MARKET_LAG="coalesce((to_jsonb(s) ->> 'market_lag_commands')::bigint, 0)"

# status EXPR B: one value of B's row s of xt_broker_status()
status() { sql_at -c "SELECT $1 FROM xtrader.xt_broker_status() s WHERE s.broker = '$2'"; }

# wait_status B CONDITION SECS: until B's row s satisfies the SQL condition
wait_status() {
  local deadline=$((SECONDS + $3))
  until [ "$(sql_at -c "SELECT count(*) FROM xtrader.xt_broker_status() s WHERE s.broker = '$1' AND ($2)")" = 1 ]; do
    [ $SECONDS -lt $deadline ] || xt_die "$1: not ($2) after $3 s: $(status "concat_ws(' ', state, cursor, lag_messages, $MARKET_LAG, last_error)" "$1")"
    sleep 0.1
  done
}

# The average size of the worker's messages for the executions after id $1: each execution's
# two WebSocket Execution messages (src/net/ws_message.c), rebuilt from the table.
msg_size() {
  sql_at <<SQL
SELECT round(avg(length(format(
         '{"type":"Execution","execution_report":{"order_id":%s,"execution_id":%s,"symbol":"%s",'
         '"side":"%s","price":"%s","quantity":"%s","remaining_quantity":"%s","role":"%s","seq":%s,'
         '"ts":%s},"order_status":"%s"}',
         CASE r WHEN 0 THEN e.taker_order_id ELSE e.maker_order_id END, e.execution_id, s.symbol,
         CASE WHEN (e.taker_side = 0) = (r = 0) THEN 'Buy' ELSE 'Sell' END,
         trim_scale(e.price * s.tick_size), trim_scale(e.quantity * s.lot_size),
         trim_scale(CASE r WHEN 0 THEN e.taker_remaining ELSE e.maker_remaining END * s.lot_size),
         CASE r WHEN 0 THEN 'taker' ELSE 'maker' END, e.seq,
         floor(extract(epoch FROM e.executed_at) * 1000)::int8,
         CASE WHEN (CASE r WHEN 0 THEN e.taker_remaining ELSE e.maker_remaining END) = 0
              THEN 'Filled' ELSE 'PartiallyFilled' END))))
  FROM xtrader.executions e JOIN xtrader.symbols s USING (symbol_id)
 CROSS JOIN (VALUES (0), (1)) v(r)
 WHERE e.execution_id > $1
SQL
}

# ---- one round per broker -----------------------------------------------------------------------
for B in "${BROKERS[@]}"; do
  svc=$(svc_of "$B")
  xt_log "== $B"
  # the cluster publishes to B only; a fresh extension (so B's cursor starts at the first execution)
  wait_settled
  sql -c "DROP EXTENSION IF EXISTS xtrader CASCADE"
  sql -v r="$(url redis "redis://127.0.0.1:$XT_REDIS_PORT")" -v k="$(url kafka "127.0.0.1:$XT_KAFKA_PORT")" \
      -v a="$(url amqp "amqp://guest:guest@127.0.0.1:$XT_RABBITMQ_PORT/")" <<SQL
ALTER SYSTEM SET xtrader.redis_url = :'r';
ALTER SYSTEM SET xtrader.kafka_brokers = :'k';
ALTER SYSTEM SET xtrader.amqp_url = :'a';
ALTER SYSTEM SET xtrader.broker_health_interval = $HEALTH_MS;
ALTER SYSTEM SET xtrader.redis_consumers = 0;
SQL
  scripts/cluster restart
  xt_log "# $B: the xtrader.so installed $(date -r "$(pg_config --pkglibdir)/xtrader.so" '+%F %T')"
  sql >/dev/null <<SQL
CREATE EXTENSION xtrader;
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$SELLER') THEN CREATE ROLE $SELLER NOLOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$BUYER') THEN CREATE ROLE $BUYER NOLOGIN; END IF;
END
\$\$;
GRANT xtrader_trader TO $SELLER, $BUYER;
SELECT xtrader.xt_create_symbol('$SYMBOL', 1000, 0.001);
SQL
  wait_ready 60 || xt_die "the engine is not ready 60 s after CREATE EXTENSION"

  # B's target, empty (ids restart at 1 with the fresh extension), before any execution
  case $B in
    redis) "$DUMP" redis-del executions >/dev/null ;;
    kafka) "$DUMP" kafka-create market-data >/dev/null ;;
    amqp) QUEUE_MADE=1; "$DUMP" amqp-bind market-notifications "$QUEUE" 'execution.#' >/dev/null ;;
  esac

  # warm-up: B's worker connected and following
  pairs_sql 100 | sql_at >/dev/null
  wait_status "$B" "state = 'live' AND lag_messages = 0 AND $MARKET_LAG = 0" 60
  warm_top=$(sql_at -c "SELECT max(execution_id) FROM xtrader.executions")

  # ---- the outage: B down, the backlog made durable
  scripts/brokers stop "$svc" >&2
  t0=$(now)
  pgbench -n -M simple -c 2 -j 2 -t $((EXECS / 1000)) -f "$WORK/backlog.pgbench" >"$WORK/backlog-$B.out" 2>&1 \
    || { tail -n 20 "$WORK/backlog-$B.out" >&2; xt_die "generating the backlog failed"; }
  t1=$(now)
  n=$(sql_at -c "SELECT count(*) FROM xtrader.executions WHERE execution_id > $warm_top")
  [ "$n" = "$EXECS" ] || xt_die "$n executions in the backlog, not $EXECS (orders rejected? see xtrader.orders)"
  wait_status "$B" "state <> 'live'" 60
  msgs=$(status lag_messages "$B")
  [ "$msgs" = $((2 * EXECS)) ] || xt_die "$B: lag_messages is $msgs, not $((2 * EXECS))"
  cursor0=$(status cursor "$B")
  market0=$(status "$MARKET_LAG" "$B")

  # ---- the way back: B answers at t_up; the watcher sees the worker live again, then lag 0
  psql -X -q -At -v ON_ERROR_STOP=1 >"$WORK/watch-$B.out" 2>&1 <<SQL &
SET client_min_messages = notice;
DO \$\$
DECLARE
    c bigint;
    lag bigint;
    st text;
    t_live float8;
    conf0 bigint := (SELECT messages_confirmed FROM xtrader.xt_broker_status() WHERE broker = '$B');
    deadline timestamptz := clock_timestamp() + interval '300 s';
BEGIN
    LOOP
        SELECT state, cursor, lag_messages INTO st, c, lag FROM xtrader.xt_broker_status() WHERE broker = '$B';
        IF t_live IS NULL AND (st = 'live' OR c > $cursor0) THEN
            t_live := extract(epoch FROM clock_timestamp());
        END IF;
        EXIT WHEN lag = 0;
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'not caught up after 300 s: cursor %, lag %', c, lag;
        END IF;
        PERFORM pg_sleep(0.02);
    END LOOP;
    RAISE NOTICE 'caught-up live=% done=% confirmed=%', t_live, extract(epoch FROM clock_timestamp()),
        (SELECT messages_confirmed FROM xtrader.xt_broker_status() WHERE broker = '$B') - conf0;
END
\$\$;
SQL
  watcher=$!
  BG+=("$watcher")
  scripts/brokers start "$svc" >"$WORK/start-$B.out" 2>&1 &
  starter=$!
  BG+=("$starter")
  until "xt_${B}_ping"; do
    kill -0 "$starter" 2>/dev/null || { wait "$starter" || true; cat "$WORK/start-$B.out" >&2; xt_die "$svc did not start"; }
    sleep 0.05
  done
  t_up=$(now)
  wait "$starter" || { cat "$WORK/start-$B.out" >&2; xt_die "scripts/brokers start $svc failed"; }
  cat "$WORK/start-$B.out" >&2
  wait "$watcher" || { cat "$WORK/watch-$B.out" >&2; xt_die "$B did not catch up"; }
  BG=()
  read -r t_live t_done confirmed < <(sed -n 's/.*caught-up live=\([0-9.]*\) done=\([0-9.]*\) confirmed=\([0-9]*\).*/\1 \2 \3/p' "$WORK/watch-$B.out")
  [ -n "${confirmed:-}" ] || { cat "$WORK/watch-$B.out" >&2; xt_die "the watcher printed no result"; }
  # the market data backlog too (if this build has one), before the baseline takes the cores
  wait_status "$B" "$MARKET_LAG = 0" 600
  t_market=$(now)

  # ---- baseline: the same messages from a plain client loop (and the publisher alone)
  size=$(msg_size "$warm_top")
  "$BENCH" --broker "$B" --msgs "$msgs" --size "$size" --batch "$BATCH" --reps 1 \
    >"$WORK/baseline-$B.out" 2>"$WORK/baseline-$B.err" \
    || { cat "$WORK/baseline-$B.err" >&2; xt_die "bench_brokers failed"; }
  line=$(grep '^bench=brokers ' "$WORK/baseline-$B.out")
  base=$(sed -n 's/.* baseline_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
  pub=$(sed -n 's/.* msgs_per_s=\([0-9.]*\).*/\1/p' <<<"$line")

  case $B in
    redis) "$DUMP" redis-del executions >/dev/null || true ;;
    amqp) "$DUMP" amqp-delete "$QUEUE" >/dev/null || true; QUEUE_MADE=0 ;;
  esac

  awk -v b="$B" -v m="$msgs" -v t0="$t0" -v t1="$t1" -v up="$t_up" -v live="$t_live" -v done_="$t_done" \
      -v base="$base" -v pub="$pub" -v conf="$confirmed" -v mk="$market0" -v tm="$t_market" \
      -v size="$size" -v batch="$BATCH" -v h="$HEALTH_MS" 'BEGIN {
    if (live < up) up = live                # the worker got through before the ping (50 ms polls)
    c = done_ - up; d = live - up; r = done_ - live
    printf "bench=catchup broker=%s msgs=%d outage_backlog_s=%.2f catchup_s=%.3f msgs_per_s=%.0f baseline_per_s=%.0f ratio=%.2f",
      b, m, t1 - t0, c, m / c, base, (base > 0 ? (m / c) / base : 0)
    printf " detect_s=%.3f replay_per_s=%s publisher_per_s=%.0f worker_confirmed=%d market_cmds=%d market_catchup_s=%.1f size=%d batch=%d health_ms=%d\n",
      d, (r >= 0.1 ? sprintf("%.0f", m / r) : "na"), pub, conf, mk, (mk > 0 ? tm - up : 0), size, batch, h }'
done
