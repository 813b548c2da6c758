#!/usr/bin/env bash
# test/crash/run.sh: kill -9 under load loses nothing that was acknowledged, invents nothing that
# was refused, and recovers to the same book every time.
#
# How: a fresh extension (test/concurrency/setup.sql), then two phases, each driven by load.py
# (6 client threads, every call's answer recorded; see its header):
#   engine      SIGKILL the "xtrader engine" worker under load: PostgreSQL crash-restarts, the
#               engine replays xtrader.journal; clients reconnect and go on trading;
#   postmaster  scripts/cluster kill9 under load, wait until the old processes are gone,
#               scripts/cluster start (WAL recovery, then journal replay).
# After each phase: the clients got answers or errors, never hangs; recovery finished within its
# deadline; every acknowledged order and cancel is in the tables as it was acknowledged
# (acked.sql); what was refused as not durable does not exist; the invariants of the concurrency
# suite hold (test/concurrency/invariants.sql: no execution lost or doubled, the rebuilt book
# equals the open orders of the table, ...). Then determinism: note xt_stats().state_hash and the
# whole book, restart the server cleanly (another replay), require the same hash and book. The
# postmaster phase also calls xt_snapshot() under load before the kill, so its recovery is
# snapshot + journal tail; it is then compared with a restart from the snapshot and with one
# from the whole journal (snapshots deleted).
#
# Output: "ok N - ..." / "not ok N - ..." and the closing "N passed, N failed"; exit 1 on failure.
# Needs a cluster it may kill, named by XT_STATE_DIR/XT_PGPORT (scripts/test: its own, 55439);
# leaves it running, the extension dropped (or re-created empty if it existed before; XT_KEEP=1
# leaves the data). The load is random; its seed is printed, XT_CRASH_SEED=N repeats the
# clients' choices (not their interleaving).
#   XT_STATE_DIR=$PWD/.xtrader/h5 XT_PGPORT=55450 test/crash/run.sh
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../concurrency/lib.sh"
CRASH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3      # Debian's, where python3-psycopg2 (scripts/deps) is installed
WORK=$XT_ROOT/build/crash
rm -rf "$WORK"; mkdir -p "$WORK"

xt_suite_init
"$PY" -c 'import psycopg2' 2>/dev/null || xt_die "python3-psycopg2 is missing (scripts/deps installs it)"
had_ext=$(sql_at -c "SELECT count(*) FROM pg_extension WHERE extname = 'xtrader'")
cleanup() {
  [ -z "${XT_KEEP:-}" ] || return 0
  # whatever happened, leave a running cluster for the suites after this one
  "$XT_ROOT/scripts/cluster" start >/dev/null 2>&1 || echo "warning: the cluster did not start" >&2
  wait_ready 60 || true
  sql -c "DROP SCHEMA IF EXISTS xt_test CASCADE" -c "DROP EXTENSION IF EXISTS xtrader CASCADE" \
      -c "DROP ROLE IF EXISTS xt_conc_1, xt_conc_2, xt_conc_3, xt_conc_4, xt_conc_5, xt_conc_6" \
      >/dev/null 2>&1 || echo "warning: clean-up failed" >&2
  [ "$had_ext" != 1 ] || sql -c "CREATE EXTENSION xtrader" >/dev/null 2>&1 || true
}
trap cleanup EXIT

wait_settled
sql -f "$SUITE_DIR/setup.sql" >/dev/null
wait_ready 30 || xt_die "the engine did not become ready after CREATE EXTENSION"
sql -c "CREATE TABLE xt_test.acks (kind text, order_id bigint, clordid text, symbol text,
          side text, order_type text, tif text, price numeric, quantity numeric, account text,
          message text, phase text)" \
    -c "CREATE TABLE xt_test.errors (kind text, order_id bigint, clordid text, symbol text,
          side text, order_type text, tif text, price numeric, quantity numeric, account text,
          class text, sqlstate text, message text, phase text)"

# the whole live book, as one digest
book_digest() {
  sql_at -c "SELECT count(*) || ' levels ' || md5(coalesce(string_agg(
               format('%s %s %s %s %s', s.symbol, b.side, b.price, b.quantity, b.orders), ';'
               ORDER BY s.symbol_id, b.side, b.price), ''))
             FROM xtrader.symbols s, LATERAL xtrader.xt_order_book(s.symbol, 1000) b"
}

# idle: everything sequenced is durable (bounded; a stuck one shows in the journal check)
wait_idle() {
  local deadline=$((SECONDS + 15))
  until [ "$(sql_at -c "SELECT last_seq = durable_seq AND applied_seq = durable_seq FROM xtrader.xt_stats()" 2>/dev/null)" = t ]; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

yes_no() { if eval "$1"; then echo t; else echo f; fi; }

# restart_compare LABEL EXPECT_REPLAYED: clean restart (stop/start: another recovery), then the
# state hash and the whole book must be what they were, after replaying EXPECT_REPLAYED commands.
restart_compare() {
  local label=$1 expect=$2 hash1 book1 hash2 book2 replayed
  hash1=$(sql_at -c "SELECT state_hash FROM xtrader.xt_stats()")
  book1=$(book_digest)
  "$XT_ROOT/scripts/cluster" stop && "$XT_ROOT/scripts/cluster" start || true
  if ! wait_ready 60; then
    check f "$label: after a clean restart the engine is ready again"
    return
  fi
  hash2=$(sql_at -c "SELECT state_hash FROM xtrader.xt_stats()")
  book2=$(book_digest)
  replayed=$(sql_at -c "SELECT last_recovery_commands FROM xtrader.xt_stats()")
  check "$(yes_no '[ "$hash1" = "$hash2" ] && [ "$replayed" = "$expect" ]')" "$label: replaying $replayed commands (expected $expect) gives the same state_hash ($hash1, $hash2)"
  check "$(yes_no '[ "$book1" = "$book2" ]')" "$label: ... and the same book ($book1; $book2)"
}

# phase KILL [--snapshot]: load, kill -9, recover, then check everything.
phase() {
  local kill=$1 out=$WORK/$1 rc=0 snap=${2:-}
  echo "# phase: kill -9 the $kill under load${snap:+, after an xt_snapshot() under load}"
  timeout 240 "$PY" "$CRASH_DIR/load.py" --kill "$kill" --out "$out" $snap ${XT_CRASH_SEED:+--seed "$XT_CRASH_SEED"} \
    >"$WORK/$kill.log" 2>&1 || rc=$?
  if [ $rc -ne 0 ] || [ ! -f "$out/summary.env" ]; then
    check f "load.py ran the $kill phase (exit $rc): $(tail -n 3 "$WORK/$kill.log" | tr '\n' ' ')"
    return
  fi
  # shellcheck disable=SC1091
  . "$out/summary.env"
  echo "# $kill: seed $L_seed, $L_acks_before_kill acknowledged before the kill of pid $L_killed_pid, ready again after ${L_recovery_s}s, $L_acks_after_recovery acknowledged after; errors: $L_errors_ambiguous cut off, $L_errors_definite refused (57P03), $L_errors_refused cancels too late, $L_errors_other other; $L_connect_failures failed connection attempts; slowest call ${L_max_call_s}s"
  check "$(yes_no '[ "$L_load_started" = 1 ]')" "$kill: the clients were trading before the kill ($L_acks_before_kill calls acknowledged)"
  if [ -n "$snap" ]; then
    check "$(yes_no '[ "${L_snapshot_seq:-0}" -gt 0 ]')" "$kill: xt_snapshot() under load stored a snapshot (seq ${L_snapshot_seq:-0}, ${L_snapshot_s:-?}s${L_snapshot_error:+: $L_snapshot_error})"
  fi
  if [ "$kill" = postmaster ]; then
    check "$(yes_no '[ "$L_old_processes_gone" = 1 ] && [ "$L_restarted" = 1 ]')" "$kill: every old server process exited, and scripts/cluster start brought it back"
  fi
  check "$(yes_no '[ "$L_recovered" = 1 ]')" "$kill: xt_stats().state is 'ready' again within the deadline (after ${L_recovery_s}s)"
  check "$(yes_no '[ "$L_acks_after_recovery" -gt 0 ]')" "$kill: the clients trade again after recovery ($L_acks_after_recovery calls acknowledged)"
  check "$(yes_no '[ "$L_hung_clients" = 0 ] && awk "BEGIN { exit !($L_max_call_s < 15) }"')" "$kill: every call returned or failed, none hung ($L_hung_clients clients stuck, slowest call ${L_max_call_s}s)"
  check "$(yes_no '[ $((L_errors_ambiguous + L_errors_definite)) -gt 0 ]')" "$kill: the calls in flight at the crash got errors ($L_errors_ambiguous cut off, $L_errors_definite refused)"
  check "$(yes_no '[ "$L_errors_other" = 0 ]')" "$kill: no other kind of error ($L_errors_other${L_other_error_example:+: $L_other_error_example})"

  wait_idle || true
  sql -c "\copy xt_test.acks FROM '$out/acks.csv' CSV" -c "\copy xt_test.errors FROM '$out/errors.csv' CSV"
  local rows line journal
  rows=$(sql_at -F '|' -v phase="$L_phase" -f "$CRASH_DIR/acked.sql" 2>&1) \
    || { check f "$kill: the acknowledgement queries ran: $(printf '%s' "$rows" | tail -n 2 | tr '\n' ' ')"; rows=""; }
  while IFS= read -r line; do
    [ -n "$line" ] && check "${line%%|*}" "$kill: ${line#*|}"
  done <<<"$rows"
  INV_PREFIX="$kill: " run_invariants -v min_trades=50

  # determinism: a clean restart recovers again and must rebuild the same state, from the
  # snapshot + the journal after it when there is one, and from the whole journal without it
  journal=$(sql_at -c "SELECT count(*) FROM xtrader.journal")
  if [ -n "$snap" ] && [ "${L_snapshot_seq:-0}" -gt 0 ]; then
    restart_compare "$kill, restart from the snapshot" $((journal - L_snapshot_seq))
    sql -c "DELETE FROM xtrader.snapshots"
  fi
  restart_compare "$kill, restart from the whole journal" "$journal"
}

phase engine
phase postmaster --snapshot

suite_done
