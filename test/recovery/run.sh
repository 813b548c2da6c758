#!/usr/bin/env bash
# test/recovery/run.sh: recovery from snapshot + journal after kill -9 of the engine worker.
#
# Against the running test cluster (PGHOST/PGPORT/PGDATABASE from scripts/cluster env):
#   1. orders, xt_snapshot(), more orders; kill -9 the engine; the books come back with the same
#      state hash and depth, having replayed only the journal after the snapshot;
#   2. a damaged snapshot is refused and the whole journal is replayed instead, same hash;
#   3. submissions made while the engine recovers wait or fail with 57P03, never hang.
# Prints "ok N - ..." / "not ok N - ..." and closes with "N passed, N failed".
set -uo pipefail
export PGOPTIONS="-c client_min_messages=warning"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/scripts/lib/common.sh"

passed=0 failed=0 n=0
check() { # check "description" command...
  n=$((n + 1))
  if "${@:2}"; then echo "ok $n - $1"; passed=$((passed + 1))
  else echo "not ok $n - $1"; failed=$((failed + 1)); fi
}
q() { psql -X -qAt -v ON_ERROR_STOP=1 -c "$1"; }

# The engine worker of THIS cluster (others may run on the machine).
engine_pid() { pgrep -f "xtrader engine" -P "$(head -n 1 "$XT_PGDATA/postmaster.pid")"; }

# Poll (bounded) until the engine is ready again after a crash-restart.
wait_ready() {
  local deadline=$((SECONDS + 60))
  while [ $SECONDS -lt $deadline ]; do
    [ "$(q "SELECT state FROM xtrader.xt_stats()" 2>/dev/null)" = ready ] && return 0
    sleep 0.2
  done
  return 1
}

kill_engine() {
  local before pid
  before=$(q "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'xtrader engine'")
  pid=$(engine_pid) || return 1
  kill -9 "$pid"
  # the postmaster resets every process; wait until our session is gone, then until ready
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  [ -n "$before" ] && wait_ready
}

batch() { # batch N SPREAD: N crossing/resting orders from two accounts
  q "SELECT count(*) FROM xtrader.xt_submit_orders((SELECT jsonb_agg(jsonb_build_object(
       'symbol', 'REC-KRW', 'side', CASE WHEN g % 2 = 0 THEN 'Buy' ELSE 'Sell' END,
       'order_type', 'Limit', 'price', 40000 + (g % 40) + CASE WHEN g % 2 = 0 THEN 0 ELSE $2 END,
       'quantity', 1 + g % 3, 'account', CASE WHEN g % 3 = 0 THEN 'regress_rec_a' ELSE 'regress_rec_b' END))
     FROM generate_series(1, $1) g))" >/dev/null
}
book() { q "SELECT string_agg(side || ':' || price || ':' || quantity || ':' || orders, ',') FROM xtrader.xt_order_book('REC-KRW', 1000)"; }
state() { q "SELECT last_seq || '/' || resting_orders || '/' || state_hash FROM xtrader.xt_stats()"; }

q "DROP EXTENSION IF EXISTS xtrader CASCADE" >/dev/null
q "CREATE EXTENSION xtrader" >/dev/null
q "DO \$\$ BEGIN
     IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_rec_a') THEN CREATE ROLE regress_rec_a IN ROLE xtrader_trader; END IF;
     IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_rec_b') THEN CREATE ROLE regress_rec_b IN ROLE xtrader_trader; END IF;
   END \$\$" >/dev/null
q "SELECT symbol_id FROM xtrader.xt_create_symbol('REC-KRW', 1, 1)" >/dev/null

# 1. snapshot + tail of the journal
batch 5000 10
snap=$(q "SELECT seq FROM xtrader.xt_snapshot()")
batch 700 5
before_state=$(state); before_book=$(book)
tail_len=$(q "SELECT count(*) FROM xtrader.journal WHERE seq > $snap")
check "a snapshot was stored at seq $snap" test -n "$snap"
check "the engine comes back after kill -9" kill_engine
check "same seq, resting orders and state hash after restoring the snapshot" \
  test "$(state)" = "$before_state"
check "same book, level by level" test "$(book)" = "$before_book"
check "only the journal after the snapshot was replayed ($tail_len commands)" \
  test "$(q "SELECT last_recovery_commands FROM xtrader.xt_stats()")" = "$tail_len"
check "trading goes on: an order after recovery gets the next sequence number" \
  test "$(q "SELECT order_id FROM xtrader.xt_submit_order('REC-KRW', 'Buy', 'Limit', 1, 1)")" = \
       "$(( ${before_state%%/*} + 1 ))"

# 2. a damaged snapshot is refused; the whole journal gives the same state
before_state=$(state)
q "UPDATE xtrader.snapshots SET data = overlay(data PLACING '\\xdeadbeef'::bytea FROM 40) WHERE seq = $snap" >/dev/null
check "the engine comes back after kill -9 with a damaged snapshot" kill_engine
check "same state hash from the whole journal" test "$(state)" = "$before_state"
check "the whole journal was replayed" \
  test "$(q "SELECT last_recovery_commands FROM xtrader.xt_stats()")" = "$(q "SELECT count(*) FROM xtrader.journal")"
check "the server log says why the snapshot was refused" \
  grep -q "snapshot $snap cannot be restored (it is damaged)" "$XT_LOG_DIR/postgresql.log"

# 3. a submission during recovery waits or fails cleanly (57P03), within its timeout
pid=$(engine_pid)
kill -9 "$pid"
out=$(timeout 30 psql -X -qAt -c "SET xtrader.submit_timeout = '20s'" \
      -c "SELECT order_id FROM xtrader.xt_submit_order('REC-KRW', 'Buy', 'Limit', 1, 1)" 2>&1)
rc=$?
check "a submission racing the recovery returns (no hang)" test $rc -ne 124
wait_ready
check "... and either succeeded or was refused as retryable/connection reset" \
  bash -c 'case "$1" in *[0-9]*|*"terminating connection"*|*"server closed the connection"*|*"recovering"*|*"restarted"*|*"starting"*) exit 0;; *) exit 1;; esac' _ "$out"

q "DROP EXTENSION xtrader CASCADE" >/dev/null
q "DROP ROLE regress_rec_a, regress_rec_b" >/dev/null
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
