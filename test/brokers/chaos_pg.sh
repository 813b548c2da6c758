#!/usr/bin/env bash
# test/brokers/chaos_pg.sh: the broker publisher workers under chaos, end to end through PostgreSQL.
# Claim: nothing is lost, everything arrives exactly once after dedup by id, and one broker's
# fault never spreads to the engine or to the other two brokers.
#
# Set-up: scripts/brokers start (all three); DROP EXTENSION xtrader; ALTER SYSTEM SET
# xtrader.redis_url / kafka_brokers / amqp_url to the local brokers and
# xtrader.broker_health_interval = 1000 ms (the default is 5000: 1 s keeps the suite short, each
# fault lasts more than 3 health checks); scripts/cluster restart; CREATE EXTENSION; a symbol of
# this run (CH<4 digits>-KRW, tick 1000, lot 0.001) and two trader roles. Then the brokers are
# cleared for the run (ids restart at 2 with a fresh extension): DEL of the Redis stream
# "executions"; the Kafka topic "market-data" is created if missing and its end offsets noted
# (only what follows is read); a fresh durable RabbitMQ queue is bound to the exchange
# "market-notifications" with "execution.#" (the exchange is declared as the publisher does), and
# a second one with "orderbook.#" and "ticker.#" for the market data.
#
# Then test/brokers/chaos_pg.py (see its header) trades for the whole run with 4 clients and
# kills, pauses, restarts: every broker killed and paused in turn (a PostgreSQL restart with one
# broker down, a kill -9 of the postmaster with another down), and finally reads every broker with
# build/brokers/broker_dump (test/brokers/broker_dump.c) and compares it with xtrader.executions.
#
# Clean-up (also after a failure): resume a paused broker, DROP EXTENSION, ALTER SYSTEM RESET of
# the four settings, scripts/cluster restart, delete the queue, and the brokers back as found
# (those that were stopped are stopped again, those that were running are running).
#
# Output: "ok N - ..." / "not ok N - ..." lines (and "# ..." notes), one final
# "N passed, N failed"; exit 1 on any failure. About 2.5-3 minutes (a Kafka restart after
# SIGKILL alone takes ~20 s). The dumps stay in build/chaos-pg/*.tsv when a check failed.
#
#   XT_STATE_DIR=$PWD/.xtrader/chaos XT_PGPORT=55470 XT_REST_PORT=17200 XT_WS_PORT=17201 \
#     test/brokers/chaos_pg.sh
#
# The brokers' ports are shared by everyone on the machine, and this suite kills them: beside
# other work, give it a private set (scripts/brokers runs them in XT_STATE_DIR), e.g. add
#   XT_REDIS_PORT=16379 XT_RABBITMQ_PORT=15673 XT_RABBITMQ_NODE=xtchaos@localhost \
#   XT_KAFKA_PORT=19092 XT_KAFKA_CONTROLLER_PORT=19093
#
# It needs a cluster it may restart and kill, named by XT_STATE_DIR / XT_PGPORT (scripts/test's
# is 55439); it refuses the default one (55432). The brokers are run by scripts/brokers with the
# same XT_STATE_DIR (their pid files live there), or with XT_BROKERS_STATE_DIR when set (to drive
# brokers another state folder started). Ports: XT_REDIS_PORT, XT_KAFKA_PORT, XT_RABBITMQ_PORT.
# XT_CHAOS_SEED=N repeats the load's choices.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
XT_PGPORT_GIVEN=${XT_PGPORT:-}
# shellcheck source=test/concurrency/lib.sh
. "$HERE/../concurrency/lib.sh"     # check, sql, sql_at, wait_ready, wait_settled, suite_done

PY=/usr/bin/python3                 # Debian's, where python3-psycopg2 (scripts/deps) is installed
BROKERS_STATE=${XT_BROKERS_STATE_DIR:-$XT_STATE_DIR}
HEALTH_MS=${XT_CHAOS_HEALTH_MS:-1000}
REDIS_PORT=${XT_REDIS_PORT:-6379}
KAFKA_PORT=${XT_KAFKA_PORT:-9092}
AMQP_PORT=${XT_RABBITMQ_PORT:-5672}
WORK=$XT_ROOT/build/chaos-pg
RUN=$(date +%s)-$$
SYMBOL=$(printf 'CH%04d-KRW' $(((RANDOM * 32768 + RANDOM) % 10000)))
SELLER=xt_chaos_seller
BUYER=xt_chaos_buyer
STREAM=executions
TOPIC=market-data
EXCHANGE=market-notifications
QUEUE=xt-chaos-$RUN
QUEUE_MD=xt-chaos-md-$RUN           # the market data: order books and tickers
DUMP=$XT_ROOT/build/brokers/broker_dump
BROKER_NAMES=(redis kafka rabbitmq)
declare -A WAS=()                   # broker -> running/stopped/paused before the suite
GUCS_SET=0
EXT_TOUCHED=0
QUEUE_MADE=0
FINISHED=0

brokers() { XT_STATE_DIR=$BROKERS_STATE timeout 300 "$XT_ROOT/scripts/brokers" "$@"; }

broker_state() {
  local out
  out=$(brokers status "$1" 2>/dev/null)
  case $out in
    "$1: running"*) echo running ;;
    "$1: paused"*) echo paused ;;
    *) echo stopped ;;
  esac
}

yes_no() { if "$@"; then echo t; else echo f; fi; }

# A setup step failed: report it and stop (the EXIT trap cleans up and prints the final line).
abort() { check f "$1"; exit 1; }

# Wait until the server accepts connections (after a restart).
wait_connect() {
  local deadline=$((SECONDS + $1))
  while [ $SECONDS -lt $deadline ]; do
    psql -X -At -c "SELECT 1" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

# shellcheck disable=SC2317 # run from the EXIT trap
cleanup() {
  local b problems=() st
  for b in "${BROKER_NAMES[@]}"; do
    [ "$(broker_state "$b")" = paused ] && { brokers resume "$b" >/dev/null 2>&1 || problems+=("resume $b"); }
  done
  if [ "$EXT_TOUCHED" = 1 ] || [ "$GUCS_SET" = 1 ]; then
    "$XT_ROOT/scripts/cluster" start >/dev/null 2>&1 || problems+=("cluster start")
    wait_connect 60 || problems+=("no connection")
    wait_settled
    sql -c "DROP EXTENSION IF EXISTS xtrader CASCADE" >/dev/null 2>&1 || problems+=("drop extension")
    sql -c "DROP ROLE IF EXISTS $SELLER, $BUYER" >/dev/null 2>&1 || problems+=("drop roles")
  fi
  if [ "$GUCS_SET" = 1 ]; then
    sql -c "ALTER SYSTEM RESET xtrader.redis_url" -c "ALTER SYSTEM RESET xtrader.kafka_brokers" \
        -c "ALTER SYSTEM RESET xtrader.amqp_url" -c "ALTER SYSTEM RESET xtrader.broker_health_interval" \
        >/dev/null 2>&1 || problems+=("ALTER SYSTEM RESET")
    "$XT_ROOT/scripts/cluster" restart >/dev/null 2>&1 || problems+=("cluster restart")
    wait_connect 60 || problems+=("no connection after the restart")
    st=$(sql_at -c "SELECT coalesce(current_setting('xtrader.redis_url', true), '') || coalesce(current_setting('xtrader.kafka_brokers', true), '') || coalesce(current_setting('xtrader.amqp_url', true), '')" 2>/dev/null) \
      || problems+=("settings not readable")
    [ -z "$st" ] || problems+=("broker URLs still set: $st")
  fi
  if [ "$QUEUE_MADE" = 1 ] && [ "$(broker_state rabbitmq)" = running ]; then
    "$DUMP" amqp-delete "$QUEUE" >/dev/null 2>&1 || problems+=("delete queue $QUEUE")
    "$DUMP" amqp-delete "$QUEUE_MD" >/dev/null 2>&1 || problems+=("delete queue $QUEUE_MD")
  fi
  for b in "${BROKER_NAMES[@]}"; do
    [ -n "${WAS[$b]:-}" ] || continue
    st=$(broker_state "$b")
    if [ "${WAS[$b]}" = stopped ] && [ "$st" != stopped ]; then
      brokers stop "$b" >/dev/null 2>&1 || problems+=("stop $b")
    elif [ "${WAS[$b]}" != stopped ] && [ "$st" != running ]; then
      brokers start "$b" >/dev/null 2>&1 || problems+=("start $b")
    fi
  done
  check "$(yes_no [ ${#problems[@]} -eq 0 ])" "clean-up: extension dropped, broker settings reset and the cluster restarted, brokers as found (${WAS[*]:-not recorded})${problems:+; failed: ${problems[*]}}"
}

# shellcheck disable=SC2317 # the EXIT trap
on_exit() {
  trap - EXIT
  [ "$FINISHED" = 1 ] || check f "the suite ran to its end"
  cleanup
  suite_done
  exit $?
}

# ---- preflight -------------------------------------------------------------------------------
if [ -z "$XT_PGPORT_GIVEN" ] || [ "$XT_PGPORT_GIVEN" = 55432 ]; then
  check f "refusing to run against the default cluster (port 55432): set XT_STATE_DIR and XT_PGPORT to a cluster of your own, or run it through scripts/test"
  suite_done
  exit 1
fi
eval "$("$XT_ROOT/scripts/cluster" env)"
export PGOPTIONS="${PGOPTIONS:-} -c statement_timeout=120s -c client_min_messages=warning" PGCONNECT_TIMEOUT=10
trap on_exit EXIT
echo "# cluster: port $PGPORT, state $XT_STATE_DIR; brokers: state $BROKERS_STATE; symbol $SYMBOL; run $RUN"
"$XT_ROOT/scripts/cluster" status >/dev/null 2>&1 || abort "the cluster on port $XT_PGPORT is running (scripts/cluster start)"
"$PY" -c 'import psycopg2' 2>/dev/null || abort "python3-psycopg2 is installed (scripts/deps)"
rm -rf "$WORK"
mkdir -p "$WORK"
# The Makefile rule links every src/brokers/*.c; broker_dump itself needs only the client
# libraries, so if that link fails (a src/brokers file with a main, say) build it alone.
if ( cd "$XT_ROOT" && make -s build/brokers/broker_dump ) >"$WORK/build.log" 2>&1; then
  check t "make build/brokers/broker_dump"
else
  echo "# make build/brokers/broker_dump failed ($(tail -n 3 "$WORK/build.log" | tr '\n' ' ')); building it alone"
  mkdir -p "$(dirname "$DUMP")"
  ${CC:-cc} -std=c11 -Wall -Wextra -O2 -D_GNU_SOURCE -I"$XT_ROOT/src" -I"$HERE" -o "$DUMP" \
    "$HERE/broker_dump.c" -lhiredis -lrdkafka -lrabbitmq >>"$WORK/build.log" 2>&1 \
    || abort "build broker_dump: $(tail -n 5 "$WORK/build.log" | tr '\n' ' ')"
  check t "build/brokers/broker_dump built alone (make's rule failed, see $WORK/build.log)"
fi

# ---- brokers up ------------------------------------------------------------------------------
for b in "${BROKER_NAMES[@]}"; do WAS[$b]=$(broker_state "$b"); done
for b in "${BROKER_NAMES[@]}"; do
  [ "${WAS[$b]}" = paused ] && brokers resume "$b" >/dev/null 2>&1
done
out=$(brokers start 2>&1) || abort "scripts/brokers start: $(printf '%s' "$out" | tail -n 4 | tr '\n' ' ')"
check t "scripts/brokers start: $(printf '%s' "$out" | tr '\n' ';' | sed 's/;$//')"

# ---- PostgreSQL: settings, restart, a fresh extension ----------------------------------------
wait_settled
EXT_TOUCHED=1
sql -c "DROP EXTENSION IF EXISTS xtrader CASCADE" >/dev/null || abort "DROP EXTENSION xtrader (before the restart, so no worker publishes an old run's executions)"
n=$(sql_at -c "SELECT count(*) FROM pg_settings WHERE name IN ('xtrader.redis_url', 'xtrader.kafka_brokers', 'xtrader.amqp_url', 'xtrader.broker_health_interval')")
[ "$n" = 4 ] || abort "the installed xtrader has the broker settings (found $n of xtrader.redis_url, kafka_brokers, amqp_url, broker_health_interval: are the broker workers installed?)"
GUCS_SET=1
sql -c "ALTER SYSTEM SET xtrader.redis_url = 'redis://127.0.0.1:$REDIS_PORT'" \
    -c "ALTER SYSTEM SET xtrader.kafka_brokers = '127.0.0.1:$KAFKA_PORT'" \
    -c "ALTER SYSTEM SET xtrader.amqp_url = 'amqp://guest:guest@127.0.0.1:$AMQP_PORT/'" \
    -c "ALTER SYSTEM SET xtrader.broker_health_interval = $HEALTH_MS" >/dev/null \
  || abort "ALTER SYSTEM SET the broker settings"
out=$("$XT_ROOT/scripts/cluster" restart 2>&1) || abort "scripts/cluster restart: $(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
wait_connect 60 || abort "the cluster accepts connections after the restart"
got=$(sql_at -c "SELECT string_agg(setting, ' ' ORDER BY array_position(ARRAY['xtrader.redis_url', 'xtrader.kafka_brokers', 'xtrader.amqp_url', 'xtrader.broker_health_interval'], name)) FROM pg_settings WHERE name IN ('xtrader.redis_url', 'xtrader.kafka_brokers', 'xtrader.amqp_url', 'xtrader.broker_health_interval')")
check "$(yes_no [ "$got" = "redis://127.0.0.1:$REDIS_PORT 127.0.0.1:$KAFKA_PORT amqp://guest:guest@127.0.0.1:$AMQP_PORT/ $HEALTH_MS" ])" \
  "broker settings active after scripts/cluster restart ($got; health interval $HEALTH_MS ms instead of 5000 to keep the suite short)"

sql -c "CREATE EXTENSION xtrader" >/dev/null || abort "CREATE EXTENSION xtrader"
wait_ready 30 || abort "the engine is ready after CREATE EXTENSION"
sql >/dev/null <<SQL || abort "create the symbol $SYMBOL and the roles $SELLER, $BUYER"
SET client_min_messages = warning;
SELECT xtrader.xt_create_symbol('$SYMBOL', 1000, 0.001);
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$SELLER') THEN
        CREATE ROLE $SELLER NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$BUYER') THEN
        CREATE ROLE $BUYER NOLOGIN;
    END IF;
END
\$\$;
GRANT xtrader_trader TO $SELLER, $BUYER;
SQL
check t "a fresh extension, symbol $SYMBOL (tick 1000, lot 0.001), roles $SELLER and $BUYER (xtrader_trader)"

# ---- the brokers, cleared for this run (before any execution exists) --------------------------
n=$(sql_at -c "SELECT count(*) FROM xtrader.executions")
[ "$n" = 0 ] || abort "no execution exists before the brokers are cleared (found $n)"
out=$("$DUMP" redis-del "$STREAM" 2>&1) || abort "redis: DEL $STREAM: $out"
check t "redis: stream $STREAM deleted ($out key) before the run"
# the topic exists before the load (a fresh Kafka would otherwise auto-create it on the first
# publish, which takes seconds: not what the baseline is about)
out=$("$DUMP" kafka-create "$TOPIC" 2>&1) || abort "kafka: create topic $TOPIC (if missing): $out"
KAFKA_FROM=$("$DUMP" kafka-offsets "$TOPIC" 2>"$WORK/kafka-offsets.err") \
  || abort "kafka: end offsets of $TOPIC: $(tail -n 3 "$WORK/kafka-offsets.err" | tr '\n' ' ')"
KAFKA_FROM=$(printf '%s\n' "$KAFKA_FROM" | awk -F'\t' 'NF == 2 { printf "%s%s:%s", sep, $1, $2; sep = "," }')
[ -n "$KAFKA_FROM" ] || abort "kafka: topic $TOPIC has partitions"
check t "kafka: topic $TOPIC there; this run reads it from offsets $KAFKA_FROM"
QUEUE_MADE=1
out=$("$DUMP" amqp-bind "$EXCHANGE" "$QUEUE" 'execution.#' 2>&1) || abort "rabbitmq: declare + bind queue $QUEUE: $out"
check t "rabbitmq: durable queue $QUEUE bound to $EXCHANGE (durable topic) with execution.#"
for binding in 'orderbook.#' 'ticker.#'; do
  out=$("$DUMP" amqp-bind "$EXCHANGE" "$QUEUE_MD" "$binding" 2>&1) \
    || abort "rabbitmq: declare + bind queue $QUEUE_MD: $out"
done
check t "rabbitmq: durable queue $QUEUE_MD bound to $EXCHANGE with orderbook.# and ticker.#"

# ---- the chaos -------------------------------------------------------------------------------
RESULTS=$WORK/results
: >"$RESULTS"
# XT_CHAOS_ARGS (development) adds chaos_pg.py options, e.g. "--only redis --skip-pg"
# shellcheck disable=SC2086
"$PY" "$HERE/chaos_pg.py" --symbol "$SYMBOL" --seller "$SELLER" --buyer "$BUYER" \
  --stream "$STREAM" --topic "$TOPIC" --kafka-from "$KAFKA_FROM" --amqp-queue "$QUEUE" \
  --amqp-market-queue "$QUEUE_MD" \
  --dump "$DUMP" --out "$WORK" --results "$RESULTS" --tap-start "$T_N" \
  --brokers-state "$BROKERS_STATE" ${XT_CHAOS_SEED:+--seed "$XT_CHAOS_SEED"} \
  ${XT_CHAOS_ARGS:-}
rc=$?
p=$(grep -cx 'ok' "$RESULTS")
f=$(grep -cx 'not ok' "$RESULTS")
T_N=$((T_N + p + f))
T_PASS=$((T_PASS + p))
T_FAIL=$((T_FAIL + f))
check "$(yes_no [ "$rc" = 0 ])" "chaos_pg.py exited normally (exit $rc)"
# the dumps (~50 MB per broker) are kept only when something failed
[ "$T_FAIL" -ne 0 ] || rm -f "$WORK"/*.tsv
FINISHED=1
exit 0
