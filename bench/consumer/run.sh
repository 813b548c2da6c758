#!/usr/bin/env bash
# bench/consumer/run.sh: executions/s the Redis consumer group moves into PostgreSQL.
#
#   bench/consumer/run.sh [--msgs N] [--members M] [--batch B]
#                                        defaults 100000 messages, 3 members, batches of 100
#
# Fills a stream of its own with N Execution messages (redis-cli --pipe), then times M
# xtrader-consumer members (XREADGROUP batches of B, one transaction per batch, XACK after the
# commit) until the group has acknowledged all N (so all are committed; the rows are counted
# after). Baseline in the same run: the same store function the members call
# (xtrader.xt_store_executions, fields as typed arrays) from one psql session with the same
# batches of B, no Redis in between (what the database alone costs). Needs the cluster of
# scripts/run (or XT_STATE_DIR/XT_PGPORT) with the extension, and Redis (started if it is not
# running, stopped again then). Its rows and stream are deleted at the end. Prints one line:
#   bench=consumer msgs=N members=M batch=B msgs_per_s=... baseline_per_s=... ratio=...
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
. scripts/lib/common.sh

MSGS=100000 MEMBERS=3 BATCH=100
while [ $# -gt 0 ]; do
  case $1 in
    --msgs) MSGS=$2; shift 2 ;;
    --members) MEMBERS=$2; shift 2 ;;
    --batch) BATCH=$2; shift 2 ;;
    *) echo "usage: $0 [--msgs N] [--members M] [--batch B]" >&2; exit 2 ;;
  esac
done

make -s build/xtrader-consumer
eval "$(scripts/cluster env)"
REDIS_PORT=${XT_REDIS_PORT:-6379}
started_redis=
if ! scripts/brokers status redis >/dev/null 2>&1; then
  scripts/brokers start redis >&2 && started_redis=1
fi

RUN="xt:bench:consumer:$$"
BASE=$((1 << 50))           # message ids of this run: far above any real one
WORK=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  scripts/brokers redis-cli DEL "$RUN" >/dev/null 2>&1 || true
  psql -X -q -c "DELETE FROM xtrader.execution_history WHERE message_id >= $BASE" >/dev/null 2>&1 || true
  rm -rf "$WORK"
  [ -z "$started_redis" ] || scripts/brokers stop redis >/dev/null 2>&1 || true
}
trap cleanup EXIT

# N realistic bodies: RESP for redis-cli --pipe, and SQL batches of B for the baseline
/usr/bin/python3 - "$MSGS" "$BASE" "$RUN" "$WORK" "$BATCH" <<'PY'
import json, sys
n, base, stream, work, bs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
def body(i):
    role = "taker" if i % 2 == 0 else "maker"
    return json.dumps({"type": "Execution", "execution_report": {
        "order_id": 1000 + i, "execution_id": (base + i) // 2, "symbol": "BENCH-KRW",
        "side": "Buy" if i % 4 < 2 else "Sell", "price": "50000000", "quantity": "0.001",
        "remaining_quantity": "0", "role": role, "seq": 1000 + i, "ts": 1700000000000 + i},
        "order_status": "Filled"}, separators=(",", ":"))
def resp(*args):
    out = "*%d\r\n" % len(args)
    for a in args:
        a = str(a)
        out += "$%d\r\n%s\r\n" % (len(a.encode()), a)
    return out
with open(work + "/redis.resp", "w", newline="") as f:
    for i in range(n):
        f.write(resp("XADD", stream, "%d-0" % (base + i), "data", body(i)))
def arr(vals, quote):
    if not quote:
        return "'{" + ",".join(str(v) for v in vals) + "}'"
    return "'{" + ",".join('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
                           for v in vals).replace("'", "''") + "}'"
# the members pass one array literal per column (xtrader-consumer's store): the same here
with open(work + "/baseline.sql", "w") as f:
    for s in range(0, n, bs):
        r = range(s, min(n, s + bs))
        reps = [json.loads(body(i))["execution_report"] for i in r]
        cols = [arr([base + n + i for i in r], False), arr([x["execution_id"] for x in reps], False),
                arr([x["role"] for x in reps], True), arr([x["order_id"] for x in reps], False),
                arr([x["symbol"] for x in reps], True), arr([x["side"] for x in reps], True),
                arr([x["price"] for x in reps], True), arr([x["quantity"] for x in reps], True),
                arr(["Filled" for i in r], True), arr([body(i) for i in r], True)]
        f.write("SELECT xtrader.xt_store_executions(%s::bigint[], %s::bigint[], %s::text[], "
                "%s::bigint[], %s::text[], %s::text[], %s::numeric[], %s::numeric[], %s::text[], "
                "%s::text[], 'baseline');\n" % tuple(cols))
PY
redis-cli -p "$REDIS_PORT" --pipe <"$WORK/redis.resp" >/dev/null

# both phases start from the same state: the dead rows of earlier runs vacuumed away, and a
# checkpoint just taken (so each phase pays the same full-page writes)
psql -X -q -c "VACUUM xtrader.execution_history" -c CHECKPOINT

# baseline: the store alone, same batches, one session
t0=$(date +%s.%N)
psql -X -q -o /dev/null -f "$WORK/baseline.sql"
t1=$(date +%s.%N)

# the group: M members from the start of the stream
psql -X -q -c CHECKPOINT
t2=$(date +%s.%N)
for m in $(seq 1 "$MEMBERS"); do
  build/xtrader-consumer --name "bench-$m" --stream "$RUN" --group "bench$$" \
    --redis "redis://127.0.0.1:$REDIS_PORT" --pg "" --batch "$BATCH" --idle-exit-ms 3000 \
    2>"$WORK/member-$m.log" &
  pids+=($!)
done
# Done when the group has read every entry and nothing is pending: a batch is acknowledged only
# after its commit, so then every row is committed (counted below). Polled every 10 ms by one
# redis-cli in repeat mode read line by line in this shell: a psql per poll (Perl's pg_wrapper, a
# fork, a backend) took a quarter of a core here, and even redis-cli + awk + sleep per poll took
# 15 % of the 2 cores, all taken from the members being measured. (Not awk: mawk reads a pipe in
# 4 kB blocks, 0.5 s late; a fifo so the poller can be killed: it notices a closed pipe late.)
mkfifo "$WORK/poll"
redis-cli -p "$REDIS_PORT" -r -1 -i 0.01 XINFO GROUPS "$RUN" >"$WORK/poll" 2>/dev/null &
poller=$!
prev="" pend=""
while IFS= read -r line; do
  [ "$prev" = pending ] && pend=$line
  if [ "$prev" = entries-read ] && [ "$pend" = 0 ] && [[ $line =~ ^[0-9]+$ ]] && [ "$line" -ge "$MSGS" ]; then
    break
  fi
  prev=$line
done <"$WORK/poll"
kill "$poller" 2>/dev/null || true
t3=$(date +%s.%N)
got=$(psql -X -Atqc "SELECT count(*) FROM xtrader.execution_history WHERE message_id >= $BASE AND message_id < $BASE + $MSGS")
[ "$got" -eq "$MSGS" ] || { echo "bench=consumer error: $got of $MSGS rows stored after the group acknowledged all" >&2; exit 1; }

awk -v n="$MSGS" -v m="$MEMBERS" -v bs="$BATCH" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" 'BEGIN { b = t1 - t0; g = t3 - t2;
  printf "bench=consumer msgs=%d members=%d batch=%d msgs_per_s=%.0f baseline_per_s=%.0f ratio=%.2f target_per_s=50000 target_met=%s\n",
    n, m, bs, n / g, n / b, (n / g) / (n / b), (n / g >= 50000 ? "yes" : "no") }'
