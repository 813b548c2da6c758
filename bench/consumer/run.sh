#!/usr/bin/env bash
# bench/consumer/run.sh: executions/s the Redis consumer group moves into PostgreSQL.
#
#   bench/consumer/run.sh [--msgs N] [--members M]      defaults 100000 messages, 3 members
#
# Fills a stream of its own with N Execution messages (redis-cli --pipe), then times M
# xtrader-consumer members (XREADGROUP batches of 100, one transaction per batch, XACK after the
# commit) until xtrader.execution_history holds all N. Baseline in the same run: the same store
# function called from one psql session with the same batches of 100, no Redis in between (what
# the database alone costs). Needs the cluster of scripts/run (or XT_STATE_DIR/XT_PGPORT) with the
# extension, and Redis (started if it is not running, stopped again then). Its rows and stream are
# deleted at the end. Prints one line:
#   bench=consumer msgs=N members=M msgs_per_s=... baseline_per_s=... ratio=... target_per_s=50000
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
. scripts/lib/common.sh

MSGS=100000 MEMBERS=3
while [ $# -gt 0 ]; do
  case $1 in
    --msgs) MSGS=$2; shift 2 ;;
    --members) MEMBERS=$2; shift 2 ;;
    *) echo "usage: $0 [--msgs N] [--members M]" >&2; exit 2 ;;
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

# N realistic bodies: RESP for redis-cli --pipe, and SQL batches of 100 for the baseline
/usr/bin/python3 - "$MSGS" "$BASE" "$RUN" "$WORK" <<'PY'
import json, sys
n, base, stream, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
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
with open(work + "/baseline.sql", "w") as f:
    for s in range(0, n, 100):
        ids = ",".join(str(base + n + i) for i in range(s, min(n, s + 100)))
        bodies = ",".join("'" + body(i).replace("'", "''") + "'" for i in range(s, min(n, s + 100)))
        f.write("SELECT xtrader.xt_store_execution_messages(ARRAY[%s]::bigint[], ARRAY[%s]::text[], 'baseline');\n" % (ids, bodies))
PY
redis-cli -p "$REDIS_PORT" --pipe <"$WORK/redis.resp" >/dev/null

# baseline: the store alone, same batches, one session
t0=$(date +%s.%N)
psql -X -q -o /dev/null -f "$WORK/baseline.sql"
t1=$(date +%s.%N)

# the group: M members from the start of the stream
t2=$(date +%s.%N)
for m in $(seq 1 "$MEMBERS"); do
  build/xtrader-consumer --name "bench-$m" --stream "$RUN" --group "bench$$" \
    --redis "redis://127.0.0.1:$REDIS_PORT" --pg "" --count 100 --idle-exit-ms 3000 \
    2>"$WORK/member-$m.log" &
  pids+=($!)
done
while :; do
  got=$(psql -X -Atqc "SELECT count(*) FROM xtrader.execution_history WHERE message_id >= $BASE AND message_id < $BASE + $MSGS")
  [ "$got" -ge "$MSGS" ] && break
  sleep 0.05
done
t3=$(date +%s.%N)

awk -v n="$MSGS" -v m="$MEMBERS" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" 'BEGIN { b = t1 - t0; g = t3 - t2;
  printf "bench=consumer msgs=%d members=%d msgs_per_s=%.0f baseline_per_s=%.0f ratio=%.2f target_per_s=50000 target_met=%s\n",
    n, m, n / g, n / b, (n / g) / (n / b), (n / g >= 50000 ? "yes" : "no") }'
