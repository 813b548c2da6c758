#!/usr/bin/env bash
# test/brokers/consumer_group.sh: the Redis consumer group "execution_processors" with the
# standalone member xtrader-consumer (src/brokers/consumer.c + consumer_main.c), against the real
# Redis of scripts/brokers and a PostgreSQL cluster with the xtrader extension
# (xtrader.execution_history, xtrader.execution_dead_letters and their store functions).
#
# Needs no broker worker: it XADDs synthetic Execution messages (bodies like the WebSocket
# Execution message, stream ids <2 x execution_id + role>-0) into a stream of its own, then:
#   A. members killed mid-batch with the test hooks: c3 after its commit and before its XACK,
#      c4 before storing; c5 likewise, restarted under the same name: it finishes its own
#      pending batch first (the store ignores the copies);
#   B. members c1 and c2 run while the second half is added: they claim what c3 and c4 left
#      (XAUTOCLAIM, idle > 1 s); at the end every id is in the table exactly once with the body
#      and columns published, nothing is pending, c3 and c4 have nothing pending;
#   C. a Redis SIGKILL + start while two members run and messages are added: nothing lost;
#   E. poison messages among good ones (not JSON, a field missing, a price PostgreSQL refuses,
#      bytes that are not UTF-8, an entry without the field, an entry id that is not <id>-0):
#      the good ones are stored, each poison one is in xtrader.execution_dead_letters once with
#      its reason, nothing stays pending, and the members go on with the messages after them;
#      a second group reading the same stream stores nothing twice;
#   D. no password in the logs (Redis URL, PostgreSQL connection string), SIGTERM exits 0.
# Prints "ok N - ..." / "not ok N - ..." and ends with "N passed, N failed"; exit 1 on failure.
# About 30 s.
#
#   test/brokers/consumer_group.sh
#
# Environment: XT_STATE_DIR / XT_PGPORT choose the cluster (scripts/cluster; started if it is
# not running and stopped again at the end). Redis: started with scripts/brokers if nothing
# answers on XT_REDIS_PORT (and stopped at the end), otherwise used as found; the restart test
# needs a Redis that scripts/brokers runs, looked for under XT_BROKER_STATE_DIR, XT_STATE_DIR and
# <repo>/.xtrader (skipped, not failed, when none of them runs it). Streams, group and rows are
# per run (names with the run id, message ids in a range of the run) and deleted at the end.
set -uo pipefail
export LC_ALL=C

. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
. "$XT_ROOT/scripts/lib/brokers.sh"
cd "$XT_ROOT"

BIN=$XT_ROOT/build/xtrader-consumer
RUN=$(date +%s)-$$
WORK=$(mktemp -d "${TMPDIR:-/tmp}/xt-consumer-test.XXXXXX")
S1="xt:test:consumer:$RUN:a"
S2="xt:test:consumer:$RUN:b"
S3="xt:test:consumer:$RUN:e"
GROUP="xt-test-cg-$RUN"
P="ct$RUN"                     # member name prefix
# message ids of this run: below 2^53, even base (the role is the low bit), 200000 ids wide
BASE=$(( ( ($(date +%s) % 1000000) * 10000 + $$ % 10000 ) * 200000 ))
A_LO=$((BASE + 2)); A_HI=$((BASE + 3001))            # phases A + B: 3000 messages
C_LO=$((BASE + 100002)); C_HI=$((BASE + 101001))     # phase C: 1000 messages
E_LO=$((BASE + 150002)); E_HI=$((BASE + 150601))     # phase E: 600 ids, 6 of them poison
REDIS_URL="redis://127.0.0.1:$XT_REDIS_PORT"

n=0; passed=0; failed=0
NOTES=()
PIDS=()                        # consumers started here (killed by pid at the end)
REDIS_STARTED_DIR=""           # scripts/brokers state dir of a Redis this test started
PG_STARTED=0

ok() { n=$((n + 1)); passed=$((passed + 1)); printf 'ok %d - %s\n' "$n" "$1"; }
notok() {
  n=$((n + 1)); failed=$((failed + 1)); printf 'not ok %d - %s\n' "$n" "$1"
  [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/#   /'
}
check() { local d=$1; shift; if "$@"; then ok "$d"; else notok "$d" "${DETAIL:-}"; fi; DETAIL=""; }
note() { NOTES+=("$1"); printf '# %s\n' "$1"; }
DETAIL=""

# ---- Redis helpers ---------------------------------------------------------------------------

rcli() { timeout 5 redis-cli -h 127.0.0.1 -p "$XT_REDIS_PORT" "$@"; }

# Waits (up to $1 s) for Redis to answer; notes it when it had gone away.
redis_wait() {
  local secs=${1:-30} waited=0
  while ! xt_redis_ping; do
    [ $waited -ge $((secs * 5)) ] && return 1
    [ $waited -eq 0 ] && note "redis on port $XT_REDIS_PORT does not answer: waiting (up to ${secs}s)"
    sleep 0.2; waited=$((waited + 1))
  done
  return 0
}

# rcli, retried while Redis is away (another test may restart it).
rcli_retry() {
  local out i
  for i in 1 2 3 4 5; do
    if out=$(rcli "$@" 2>&1) && [[ $out != "Could not connect"* && $out != *"Connection refused"* ]]; then
      printf '%s\n' "$out"; return 0
    fi
    redis_wait 20 || break
  done
  printf '%s\n' "$out"; return 1
}

# The Execution message of id (2 x execution_id + role), as the WebSocket API sends it. Some
# carry an extra string with a quote, a backslash and a non-ASCII letter (array-literal escaping).
body_of() {
  local id=$1 ex=$(($1 / 2)) role sym side st extra=""
  role=taker; [ $((id % 2)) -eq 1 ] && role=maker
  case $((ex % 3)) in 0) sym=BTC-USD ;; 1) sym=ETH-USD ;; *) sym=SOL-USD ;; esac
  side=Buy; [ $(((ex / 3) % 2)) -eq 1 ] && side=Sell
  st=Filled; [ $((ex % 5)) -eq 0 ] && st=PartiallyFilled
  [ $((id % 97)) -eq 0 ] && extra=',"client_tag":"q\"uo\\te '$'\xc3\xa9''"'
  printf -v BODY '{"type":"Execution","execution_report":{"order_id":%d,"execution_id":%d,"symbol":"%s","side":"%s","price":"%d.%02d","quantity":"%d.%03d","remaining_quantity":"%d","role":"%s","seq":%d,"ts":%d%s},"order_status":"%s"}' \
    $((500000 + ex * 2 + (id % 2))) "$ex" "$sym" "$side" $((100 + ex % 900)) $((ex % 100)) \
    $((1 + ex % 9)) $((ex % 1000)) $((ex % 5 == 0 ? 1 : 0)) "$role" "$id" \
    $((1700000000000000 + id)) "$extra" "$st"
}

# XADD commands (RESP, for redis-cli --pipe) for ids $2..$3 into stream $1.
gen_resp() {
  local s=$1 id
  for ((id = $2; id <= $3; id++)); do
    body_of "$id"
    printf '*5\r\n$4\r\nXADD\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$4\r\ndata\r\n$%d\r\n%s\r\n' \
      ${#s} "$s" $((${#id} + 2)) "$id-0" ${#BODY} "$BODY"
  done
}

# id <TAB> body lines for ids $1..$2 (the expected table contents).
gen_tsv() { local id; for ((id = $1; id <= $2; id++)); do body_of "$id"; printf '%d\t%s\n' "$id" "$BODY"; done; }

# Adds ids $2..$3 to stream $1 in chunks of $4, sleeping $5 s between chunks; a chunk that fails
# (Redis away) is sent again once Redis answers (ids already there are refused, harmlessly).
# Chunk number $6 (optional) runs "$7" first (the Redis restart of phase C).
feed() {
  local s=$1 lo=$2 hi=$3 chunk=$4 pause=$5 hook_at=${6:-0} hook=${7:-} c=0 a b tries out
  for ((a = lo; a <= hi; a += chunk)); do
    b=$((a + chunk - 1)); [ $b -gt "$hi" ] && b=$hi
    c=$((c + 1))
    [ "$c" -eq "$hook_at" ] && $hook
    gen_resp "$s" "$a" "$b" >"$WORK/chunk.resp"
    for tries in 1 2 3 4 5 6; do
      out=$(timeout 20 redis-cli -h 127.0.0.1 -p "$XT_REDIS_PORT" --pipe <"$WORK/chunk.resp" 2>&1)
      # done when the chunk's last id is in the stream
      [ "$(rcli XRANGE "$s" "$b-0" "$b-0" 2>/dev/null | head -n 1)" = "$b-0" ] && break
      redis_wait 30 || true
    done
    [ "$(rcli XRANGE "$s" "$b-0" "$b-0" 2>/dev/null | head -n 1)" = "$b-0" ] \
      || { echo "feed: chunk $a..$b not added: $out" >&2; return 1; }
    [ "$pause" = 0 ] || sleep "$pause"
  done
}

# Number of entries pending in the group of stream $1 (all members).
pending_total() { rcli_retry XPENDING "$1" "$GROUP" 2>/dev/null | head -n 1; }

# Pending entries of member $2 in stream $1 (XINFO CONSUMERS); 0 when it is not listed.
member_pending() {
  rcli_retry XINFO CONSUMERS "$1" "$GROUP" 2>/dev/null |
    awk -v m="$2" 'prev == "name" { cur = $0 } prev == "pending" && cur == m { p = $0 } { prev = $0 }
                   END { print p + 0 }'
}

# ---- PostgreSQL helpers ------------------------------------------------------------------------

q() { psql -X -v ON_ERROR_STOP=1 -Atq -c "$1" 2>&1; }
rows_between() { q "SELECT count(*) FROM xtrader.execution_history WHERE message_id BETWEEN $1 AND $2"; }
rows_of() { q "SELECT count(*) FROM xtrader.execution_history WHERE consumer = '$1'"; }

# "missing mismatched extra" for ids $1..$2 compared with what was published.
compare_rows() {
  gen_tsv "$1" "$2" >"$WORK/expected.tsv"
  psql -X -v ON_ERROR_STOP=1 -Atq 2>&1 <<SQL
CREATE TEMP TABLE e (id bigint, body text);
\copy e FROM '$WORK/expected.tsv' WITH (FORMAT csv, DELIMITER E'\t', QUOTE E'\x01')
SELECT count(*) FILTER (WHERE h.message_id IS NULL) || ' ' ||
       count(*) FILTER (WHERE h.message_id IS NOT NULL AND NOT (
             h.body::text = e.body
         AND h.execution_id = e.id / 2
         AND h.role = CASE WHEN e.id % 2 = 0 THEN 'taker' ELSE 'maker' END
         AND h.order_id = (e.body::jsonb #>> '{execution_report,order_id}')::bigint
         AND h.symbol = e.body::jsonb #>> '{execution_report,symbol}'
         AND h.side = e.body::jsonb #>> '{execution_report,side}'
         AND h.price = (e.body::jsonb #>> '{execution_report,price}')::numeric
         AND h.quantity = (e.body::jsonb #>> '{execution_report,quantity}')::numeric
         AND h.order_status = e.body::jsonb ->> 'order_status'
         AND h.consumer LIKE '$P-%')) || ' ' ||
       (SELECT count(*) FROM xtrader.execution_history x
         WHERE x.message_id BETWEEN $1 AND $2 AND x.message_id NOT IN (SELECT id FROM e))
  FROM e LEFT JOIN xtrader.execution_history h ON h.message_id = e.id;
SQL
}

# ---- consumers -----------------------------------------------------------------------------------

# start_member LOGNAME NAME STREAM [options...]: in the background; pid in LAST_PID.
start_member() {
  local log=$1 name=$2 s=$3; shift 3
  "$BIN" --redis "$REDIS_URL" --name "$name" --stream "$s" --group "$GROUP" --count 100 \
    "$@" >>"$WORK/$log.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

# wait_exit PID SECS: the exit status, or 255 (and SIGKILL) if it did not exit in time.
wait_exit() {
  local pid=$1 secs=$2 i
  for ((i = 0; i < secs * 10; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then wait "$pid"; return $?; fi
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; return 255
}

# Counter NAME of the last stats line in log $1.
stat_of() { grep -o " $2=[0-9]*" "$WORK/$1.log" | tail -n 1 | cut -d= -f2; }

# ---- set-up and clean-up --------------------------------------------------------------------------

cleanup() {
  local pid d
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
  wait 2>/dev/null
  if xt_redis_ping; then rcli DEL "$S1" "$S2" "$S3" >/dev/null 2>&1; fi
  if [ -n "${PGHOST:-}" ]; then
    q "DELETE FROM xtrader.execution_history WHERE message_id BETWEEN $BASE AND $((BASE + 199999))" >/dev/null
    q "DELETE FROM xtrader.execution_dead_letters WHERE stream IN ('$S1', '$S2', '$S3')" >/dev/null
  fi
  if [ -n "$REDIS_STARTED_DIR" ]; then XT_STATE_DIR=$REDIS_STARTED_DIR scripts/brokers stop redis >/dev/null 2>&1; fi
  [ "$PG_STARTED" = 1 ] && scripts/cluster stop >/dev/null 2>&1
  if [ "$failed" -eq 0 ]; then rm -rf "$WORK"; else echo "# logs kept in $WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

finish() {
  local m
  for m in "${NOTES[@]}"; do printf '# note: %s\n' "$m"; done
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

# The build: the Makefile's rule.
build_log=$WORK/build.log
make -s build/xtrader-consumer >"$build_log" 2>&1
if [ $? -eq 0 ] && [ -x "$BIN" ]; then ok "build xtrader-consumer"
else notok "build xtrader-consumer" "$(tail -n 20 "$build_log")"; finish; fi

# Redis: used as found, else started (and stopped at the end). Who runs it matters only for the
# restart test.
REDIS_DIR=""
for d in "${XT_BROKER_STATE_DIR:-}" "$XT_STATE_DIR" "$XT_ROOT/.xtrader"; do
  [ -n "$d" ] || continue
  if XT_STATE_DIR=$d scripts/brokers status redis 2>/dev/null | grep -q '^redis: running'; then REDIS_DIR=$d; break; fi
done
if ! xt_redis_ping && [ -z "$REDIS_DIR" ]; then
  d=${XT_BROKER_STATE_DIR:-$XT_STATE_DIR}
  if XT_STATE_DIR=$d scripts/brokers start redis >"$WORK/redis-start.log" 2>&1; then
    REDIS_DIR=$d; REDIS_STARTED_DIR=$d
  fi
fi
if redis_wait 30; then ok "redis answers on 127.0.0.1:$XT_REDIS_PORT"
else notok "redis answers on 127.0.0.1:$XT_REDIS_PORT" "$(tail -n 5 "$WORK/redis-start.log" 2>/dev/null)"; finish; fi

# PostgreSQL: the cluster of XT_STATE_DIR / XT_PGPORT with the extension's table and function
if ! scripts/cluster status >/dev/null 2>&1; then
  scripts/cluster start >"$WORK/pg-start.log" 2>&1 && PG_STARTED=1
fi
eval "$(scripts/cluster env)"
has_store() {
  [ "$(q "SELECT to_regclass('xtrader.execution_history') IS NOT NULL
             AND to_regclass('xtrader.execution_dead_letters') IS NOT NULL
             AND to_regprocedure('xtrader.xt_store_executions(bigint[],bigint[],text[],bigint[],text[],text[],numeric[],numeric[],text[],text[],text)') IS NOT NULL
             AND to_regprocedure('xtrader.xt_store_dead_letters(text,text[],bigint[],text[],text[],text)') IS NOT NULL")" = t ]
}
has_store || q "CREATE EXTENSION IF NOT EXISTS xtrader" >/dev/null
if has_store; then ok "postgresql on port $XT_PGPORT has xtrader.execution_history, execution_dead_letters and their store functions"
else
  notok "postgresql on port $XT_PGPORT has xtrader.execution_history, execution_dead_letters and their store functions" \
    "$(q "SELECT extversion FROM pg_extension WHERE extname = 'xtrader'") (cluster: $XT_STATE_DIR)"
  finish
fi
q "DELETE FROM xtrader.execution_history WHERE message_id BETWEEN $BASE AND $((BASE + 199999))" >/dev/null

# ---- A. members killed mid-batch ------------------------------------------------------------------

HALF=$((A_LO + 1499))
DETAIL=$(feed "$S1" "$A_LO" "$HALF" 500 0 2>&1)
check "XADD 1500 Execution messages (ids $A_LO..$HALF) into $S1" \
  test "$(rcli_retry XLEN "$S1")" = 1500

# c4: dies before storing its first batch (a large claim idle: it takes nothing of the others)
start_member c4 "$P-c4" "$S1" --claim-idle-ms 60000 --die-before-store
wait_exit "$LAST_PID" 15; rc=$?
p4=$(member_pending "$S1" "$P-c4"); r4=$(rows_of "$P-c4")
DETAIL="exit $rc, pending $p4, rows $r4; $(tail -n 3 "$WORK/c4.log")"
check "c4 --die-before-store: exit 137, 100 entries pending for c4, none stored" \
  test "$rc:$p4:$r4" = "137:100:0"

# c3: commits its first batch, dies before XACK
start_member c3 "$P-c3" "$S1" --claim-idle-ms 60000 --die-before-ack
wait_exit "$LAST_PID" 15; rc=$?
p3=$(member_pending "$S1" "$P-c3"); r3=$(rows_of "$P-c3")
DETAIL="exit $rc, pending $p3, rows $r3; $(tail -n 3 "$WORK/c3.log")"
check "c3 --die-before-ack: exit 137, its batch of 100 committed but still pending" \
  test "$rc:$p3:$r3" = "137:100:100"

# c5: the same, then restarted under its name: its own pending batch comes first
start_member c5a "$P-c5" "$S1" --claim-idle-ms 60000 --die-before-ack
wait_exit "$LAST_PID" 15; rc=$?
first5=$(grep -o 'ids [0-9]*\.\.[0-9]*' "$WORK/c5a.log" | tail -n 1)
start_member c5b "$P-c5" "$S1" --claim-idle-ms 60000 --stop-after-store --verbose
wait_exit "$LAST_PID" 15; rc2=$?
again5=$(grep -o 'stored batch 1: .*' "$WORK/c5b.log" | head -n 1)
p5=$(member_pending "$S1" "$P-c5")
DETAIL="first run exit $rc ($first5), restart exit $rc2: '$again5', pending now $p5"
check "c5 restarted after dying before XACK stores its own pending batch first (copies ignored), then acks" \
  eval '[ "$rc:$rc2:$p5" = "137:0:0" ] && [ -n "$first5" ] && [[ $again5 == *"100 messages ($first5), 0 new" ]]'

# ---- B. c1 + c2 take over while the rest is added ----------------------------------------------------

start_member c1 "$P-c1" "$S1" --claim-idle-ms 1000; PID_C1=$LAST_PID
start_member c2 "$P-c2" "$S1" --claim-idle-ms 1000; PID_C2=$LAST_PID
DETAIL=$(feed "$S1" $((HALF + 1)) "$A_HI" 100 0.1 2>&1)
check "XADD 1500 more (ids $((HALF + 1))..$A_HI) while c1 and c2 run" \
  test "$(rcli_retry XLEN "$S1")" = 3000
drained() { [ "$(rows_between "$A_LO" "$A_HI")" = 3000 ] && [ "$(pending_total "$S1")" = 0 ]; }
t0=$SECONDS
xt_wait_for 60 drained
DETAIL="rows $(rows_between "$A_LO" "$A_HI"), pending $(pending_total "$S1") after $((SECONDS - t0)) s"
check "all 3000 stored and nothing pending within 60 s" drained
kill -TERM "$PID_C1" "$PID_C2" 2>/dev/null
wait_exit "$PID_C1" 10; rc1=$?
wait_exit "$PID_C2" 10; rc2=$?
DETAIL="c1 exit $rc1, c2 exit $rc2"
check "c1 and c2 finish their round and exit 0 on SIGTERM" test "$rc1:$rc2" = "0:0"

read -r miss mism extra <<<"$(compare_rows "$A_LO" "$A_HI")"
DETAIL="missing $miss, mismatched $mism, extra $extra"
check "every message id stored exactly once (3000 rows, none missing), bodies and columns as published" \
  test "${miss:-x}:${mism:-x}:${extra:-x}" = "0:0:0"
DETAIL="$(rcli XPENDING "$S1" "$GROUP" | tr '\n' ' ')"
check "XPENDING of the group is empty" test "$(pending_total "$S1")" = 0
cl1=$(stat_of c1 claimed); cl2=$(stat_of c2 claimed)
p3=$(member_pending "$S1" "$P-c3"); p4=$(member_pending "$S1" "$P-c4")
DETAIL="claimed: c1 ${cl1:-?}, c2 ${cl2:-?}; pending now: c3 $p3, c4 $p4"
check "c1/c2 claimed the 200 entries c3 and c4 left (XAUTOCLAIM), c3 and c4 have none pending" \
  eval '[ $(( ${cl1:-0} + ${cl2:-0} )) -ge 200 ] && [ "$p3:$p4" = "0:0" ]'
r3=$(rows_of "$P-c3"); r4=$(rows_of "$P-c4"); r5=$(rows_of "$P-c5")
ins=0; dup=0
for l in c1 c2 c5b; do
  ins=$((ins + $(stat_of $l inserted))); dup=$((dup + $(stat_of $l delivered) - $(stat_of $l inserted)))
done
DETAIL="rows by c3 $r3, c4 $r4, c5 $r5; inserted by c1+c2+c5(restart) $ins, copies ignored $dup"
check "copies of committed batches were ignored: c3 keeps its 100 rows, c4 none, c1+c2+c5 inserted the other 2800" \
  eval '[ "$r3:$r4:$r5:$ins" = "100:0:100:2800" ] && [ "$dup" -ge 200 ]'

# ---- C. Redis killed and restarted while members run ----------------------------------------------

if [ -z "$REDIS_DIR" ]; then
  note "redis on port $XT_REDIS_PORT is not run by scripts/brokers (looked in ${XT_BROKER_STATE_DIR:-} $XT_STATE_DIR $XT_ROOT/.xtrader): restart test skipped"
else
  restart_redis() {
    XT_STATE_DIR=$REDIS_DIR scripts/brokers kill redis >"$WORK/redis-kill.log" 2>&1 || true
    sleep 1
    XT_STATE_DIR=$REDIS_DIR scripts/brokers start redis >>"$WORK/redis-kill.log" 2>&1 || true
    touch "$WORK/restarted"      # feed runs in a subshell: a file, not a variable
  }
  start_member r1 "$P-r1" "$S2" --claim-idle-ms 1000 --block-ms 500 --connect-timeout-ms 500; PID_R1=$LAST_PID
  start_member r2 "$P-r2" "$S2" --claim-idle-ms 1000 --block-ms 500 --connect-timeout-ms 500; PID_R2=$LAST_PID
  sleep 0.3
  DETAIL=$(feed "$S2" "$C_LO" "$C_HI" 50 0.05 9 restart_redis 2>&1; cat "$WORK/redis-kill.log" 2>/dev/null)
  check "XADD 1000 messages into $S2 with a redis SIGKILL + start after 400 of them" \
    eval '[ "$(rcli_retry XLEN "$S2")" = 1000 ] && [ -e "$WORK/restarted" ] && grep -q "redis: started" "$WORK/redis-kill.log"'
  drained2() { [ "$(rows_between "$C_LO" "$C_HI")" = 1000 ] && [ "$(pending_total "$S2")" = 0 ]; }
  xt_wait_for 60 drained2
  DETAIL="rows $(rows_between "$C_LO" "$C_HI"), pending $(pending_total "$S2")"
  check "after the redis restart all 1000 stored and nothing pending" drained2
  kill -TERM "$PID_R1" "$PID_R2" 2>/dev/null
  wait_exit "$PID_R1" 10; rc1=$?
  wait_exit "$PID_R2" 10; rc2=$?
  rc_r1=$(stat_of r1 reconnects); rc_r2=$(stat_of r2 reconnects)
  DETAIL="exit $rc1/$rc2, reconnects ${rc_r1:-?}/${rc_r2:-?}; $(grep -h 'redis' "$WORK/r1.log" | tail -n 3)"
  check "r1 and r2 reconnected to the restarted redis and exit 0 on SIGTERM" \
    eval '[ "$rc1:$rc2" = "0:0" ] && [ "${rc_r1:-0}" -ge 1 ] && [ "${rc_r2:-0}" -ge 1 ]'
  read -r miss mism extra <<<"$(compare_rows "$C_LO" "$C_HI")"
  DETAIL="missing $miss, mismatched $mism, extra $extra"
  check "nothing lost across the redis restart: every id once, bodies as published" \
    test "${miss:-x}:${mism:-x}:${extra:-x}" = "0:0:0"
fi

# ---- E. poison messages: dead letters, and the group goes on ------------------------------------

# ids E_LO..E_HI, good ones with six poison entries among them (the numbers: offsets from E_LO)
P_JSON=$((E_LO + 40)); P_FIELD=$((E_LO + 141)); P_PRICE=$((E_LO + 250)); P_UTF8=$((E_LO + 333))
P_NOFIELD=$((E_LO + 420)); P_ENTRY="$((E_LO + 421))-5"
NOT_UTF8=$'\xff\xfe'
poison_of() {
  case $1 in
    "$P_JSON") printf '%s' 'not json {"type":"Execution"' ;;
    "$P_FIELD") body_of "$1"; printf '%s' "${BODY/\"price\":/\"prix\":}" ;;          # no price
    "$P_PRICE") body_of "$1"; printf '%s' "$BODY" | sed 's/"price":"[^"]*"/"price":"1e999999"/' ;;  # a decimal numeric cannot hold: PostgreSQL refuses it
    "$P_UTF8") body_of "$1"; printf '%s' "${BODY/\"symbol\":\"/\"symbol\":\"$NOT_UTF8}" ;;
    *) return 1 ;;
  esac
}
{
  for ((id = E_LO; id <= E_HI; id++)); do
    if [ "$id" = "$P_NOFIELD" ]; then
      printf '*5\r\n$4\r\nXADD\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$5\r\nother\r\n$1\r\nx\r\n' \
        ${#S3} "$S3" $((${#id} + 2)) "$id-0"
      continue
    fi
    if B=$(poison_of "$id"); then BODY=$B; else body_of "$id"; fi
    printf '*5\r\n$4\r\nXADD\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$4\r\ndata\r\n$%d\r\n%s\r\n' \
      ${#S3} "$S3" $((${#id} + 2)) "$id-0" "$(printf '%s' "$BODY" | wc -c)" "$BODY"
    if [ "$id" = $((P_NOFIELD + 1)) ]; then    # and an entry id that is not <message id>-0
      printf '*5\r\n$4\r\nXADD\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$4\r\ndata\r\n$2\r\n{}\r\n' \
        ${#S3} "$S3" ${#P_ENTRY} "$P_ENTRY"
    fi
  done
} >"$WORK/poison.resp"
out=$(LC_ALL=C timeout 20 redis-cli -h 127.0.0.1 -p "$XT_REDIS_PORT" --pipe <"$WORK/poison.resp" 2>&1)
DETAIL="$out; XLEN $(rcli_retry XLEN "$S3")"
check "XADD 595 good and 6 poison entries into $S3" test "$(rcli_retry XLEN "$S3")" = 601
E_GOOD=$((E_HI - E_LO + 1 - 5))          # 600 ids, 5 of them poison (the 6th has its own entry id)

start_member e1 "$P-e1" "$S3" --claim-idle-ms 1000; PID_E1=$LAST_PID
start_member e2 "$P-e2" "$S3" --claim-idle-ms 1000; PID_E2=$LAST_PID
dead_rows() { q "SELECT count(*) FROM xtrader.execution_dead_letters WHERE stream = '$S3'"; }
drained3() {
  [ "$(rows_between "$E_LO" "$E_HI")" = "$E_GOOD" ] && [ "$(dead_rows)" = 6 ] &&
    [ "$(pending_total "$S3")" = 0 ]
}
xt_wait_for 60 drained3
DETAIL="rows $(rows_between "$E_LO" "$E_HI") of $E_GOOD, dead letters $(dead_rows) of 6, pending $(pending_total "$S3"); $(grep -h 'dead letter\|refused' "$WORK/e1.log" "$WORK/e2.log" | tail -n 8)"
check "the $E_GOOD good messages are stored, the 6 poison entries are dead letters, nothing pending" drained3
# the good ones must be exactly what was published (the poison ids are not in the table)
gen_tsv "$E_LO" "$E_HI" | grep -v -E "^($P_JSON|$P_FIELD|$P_PRICE|$P_UTF8|$P_NOFIELD)	" >"$WORK/expected.e.tsv"
mism=$(psql -X -v ON_ERROR_STOP=1 -Atq 2>&1 <<SQL
CREATE TEMP TABLE e (id bigint, body text);
\copy e FROM '$WORK/expected.e.tsv' WITH (FORMAT csv, DELIMITER E'\t', QUOTE E'\x01')
SELECT count(*) FILTER (WHERE h.message_id IS NULL OR h.body::jsonb <> e.body::jsonb
                          OR h.body::text <> e.body) || ' ' ||
       (SELECT count(*) FROM xtrader.execution_history x WHERE x.message_id BETWEEN $E_LO AND $E_HI
           AND x.message_id NOT IN (SELECT id FROM e))
  FROM e LEFT JOIN xtrader.execution_history h ON h.message_id = e.id;
SQL
)
DETAIL="missing or different: ${mism% *}, stored that should not be: ${mism#* }"
check "every good message stored once, byte for byte as published; no poison id in execution_history" \
  test "$mism" = "0 0"

dl() { q "SELECT coalesce(message_id::text, 'NULL') || '|' || (body = \$b\$$2\$b\$) || '|' || error || '|' || (consumer LIKE '$P-e_')
            FROM xtrader.execution_dead_letters WHERE stream = '$S3' AND entry_id = '$1'"; }
dl_json=$(dl "$P_JSON-0" "$(poison_of "$P_JSON")")
dl_field=$(dl "$P_FIELD-0" "$(poison_of "$P_FIELD")")
dl_price=$(dl "$P_PRICE-0" "$(poison_of "$P_PRICE")")
dl_nofield=$(dl "$P_NOFIELD-0" "")
dl_entry=$(dl "$P_ENTRY" "{}")
dl_utf8=$(q "SELECT message_id || '|' || (body LIKE '%\"symbol\":\"\\\\xff\\\\xfe%') || '|' || error
               FROM xtrader.execution_dead_letters WHERE stream = '$S3' AND entry_id = '$P_UTF8-0'")
DETAIL=$(printf 'not JSON: %s\nno price: %s\nprice 1e999999: %s\nnot UTF-8: %s\nno field: %s\nentry id %s: %s' \
  "$dl_json" "$dl_field" "$dl_price" "$dl_utf8" "$dl_nofield" "$P_ENTRY" "$dl_entry")
check "each dead letter has its message id, the body as received and the reason" eval '
  [[ $dl_json == "$P_JSON|true|not valid JSON: "*"|true" ]] &&
  [[ $dl_field == "$P_FIELD|true|execution_report.price is missing|true" ]] &&
  [[ $dl_price == "$P_PRICE|true|"*"numeric"*"|true" ]] &&
  [[ $dl_utf8 == "$P_UTF8|true|not valid JSON: invalid UTF-8"*"written as \\xNN)" ]] &&
  [[ $dl_nofield == "$P_NOFIELD|true|stream entry has no string field \"data\"|true" ]] &&
  [[ $dl_entry == "NULL|true|stream entry id $P_ENTRY is not <message id>-0|true" ]]'
kill -TERM "$PID_E1" "$PID_E2" 2>/dev/null
wait_exit "$PID_E1" 10; rc1=$?
wait_exit "$PID_E2" 10; rc2=$?
ref=$(( $(stat_of e1 refused) + $(stat_of e2 refused) ))
dlc=$(( $(stat_of e1 dead_letters) + $(stat_of e2 dead_letters) ))
DETAIL="exit $rc1/$rc2, batches refused by postgresql $ref, dead letters stored $dlc"
check "the members went on (exit 0 on SIGTERM); postgresql's refusal was isolated by splitting (refused >= 2), 6 dead letters stored" \
  eval '[ "$rc1:$rc2" = "0:0" ] && [ "$ref" -ge 2 ] && [ "$dlc" = 6 ]'

# a second group reads the same stream from the start: everything again, nothing stored twice
GROUP_SAVE=$GROUP; GROUP="$GROUP-again"
start_member e3 "$P-e3" "$S3" --claim-idle-ms 1000 --idle-exit-ms 1500
wait_exit "$LAST_PID" 30; rc=$?
again=$(q "SELECT count(*) || ' ' || count(DISTINCT entry_id) FROM xtrader.execution_dead_letters WHERE stream = '$S3'")
ins3=$(stat_of e3 inserted); dl3=$(stat_of e3 dead_letters); del3=$(stat_of e3 delivered)
DETAIL="exit $rc, dead letters (rows, distinct entries) $again, e3 delivered $del3, inserted $ins3, new dead letters $dl3, pending $(pending_total "$S3")"
check "a second group over the same stream: every entry once in each table (copies ignored), all acknowledged" \
  eval '[ "$rc" = 0 ] && [ "$again" = "6 6" ] && [ "$(rows_between "$E_LO" "$E_HI")" = "$E_GOOD" ] && [ "${ins3:-x}:${dl3:-x}" = "0:0" ] && [ "${del3:-0}" -ge "$E_GOOD" ] && [ "$(pending_total "$S3")" = 0 ]'
GROUP=$GROUP_SAVE

# ---- D. logs without passwords; SIGTERM while nothing answers -----------------------------------

timeout --preserve-status -s TERM 2 "$BIN" --name "$P-d" --stream "$S1" --group "$GROUP" \
  --redis "redis://user:s3cretRedisPw@127.0.0.1:1/0" >"$WORK/d1.log" 2>&1; rc=$?
DETAIL="exit $rc; $(head -n 3 "$WORK/d1.log")"
check "redis unreachable: retries with backoff, exit 0 on SIGTERM, the URL's password never logged" \
  eval '[ $rc = 0 ] && ! grep -q s3cretRedisPw "$WORK/d1.log" && grep -q "user:\*\*\*\*@" "$WORK/d1.log" && grep -q "connect" "$WORK/d1.log"'
timeout --preserve-status -s TERM 2 "$BIN" --name "$P-d" --stream "$S1" --group "$GROUP" \
  --redis "$REDIS_URL" --pg "host=127.0.0.1 port=1 user=u password=s3cretPgPw dbname=x" >"$WORK/d2.log" 2>&1; rc=$?
DETAIL="exit $rc; $(head -n 3 "$WORK/d2.log")"
check "postgresql unreachable: takes no entries, exit 0 on SIGTERM, the password never logged" \
  eval '[ $rc = 0 ] && ! grep -q s3cretPgPw "$WORK/d2.log" && grep -q "postgresql: connect failed" "$WORK/d2.log" && [ "$(stat_of d2 delivered)" = 0 ]'

finish
