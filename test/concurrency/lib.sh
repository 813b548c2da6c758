# test/concurrency/lib.sh: what the concurrency and crash suites share. Source it; don't run it.
#
#   xt_suite_init       refuse a cluster we may not wreck, connect (PG* from scripts/cluster env)
#   sql / sql_at        psql against that cluster (quiet, stops at the first error)
#   wait_ready SECS     poll xt_stats().state until 'ready' (bounded)
#   wait_settled        wait_ready, if the extension exists (before dropping it)
#                       (these three come from scripts/lib/pg.sh)
#   check BOOL LABEL    one TAP-style line "ok N - LABEL" / "not ok N - LABEL"
#   run_invariants      the SQL invariants of test/concurrency/invariants.sql as check lines
#   suite_done          the closing line "N passed, N failed"; returns non-zero on failure
#
# Both suites DROP and CREATE the extension and the crash suite kills the server, so they only
# run against a cluster named explicitly by XT_PGPORT (scripts/test names its own: 55439), never
# the default one that scripts/run serves on 55432.

SUITE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
XT_PGPORT_GIVEN=${XT_PGPORT:-}
. "$SUITE_DIR/../../scripts/lib/common.sh"
# shellcheck source=scripts/lib/pg.sh
. "$SUITE_DIR/../../scripts/lib/pg.sh"      # sql, sql_at, wait_ready, wait_settled

T_N=0
T_PASS=0
T_FAIL=0

xt_suite_init() {
  if [ -z "$XT_PGPORT_GIVEN" ] || [ "$XT_PGPORT_GIVEN" = 55432 ]; then
    xt_die "refusing to run against the default cluster (port 55432, the one scripts/run serves):
       set XT_STATE_DIR and XT_PGPORT to a cluster of your own, or run it through scripts/test"
  fi
  eval "$("$XT_ROOT/scripts/cluster" env)"
  # every statement and connection attempt is bounded: a hang becomes an error, not a stuck suite
  export PGOPTIONS="${PGOPTIONS:-} -c statement_timeout=120s" PGCONNECT_TIMEOUT=10
  "$XT_ROOT/scripts/cluster" status >/dev/null || xt_die "the cluster on port $XT_PGPORT is not running (scripts/cluster start)"
}

check() {
  local cond=$1; shift
  T_N=$((T_N + 1))
  if [ "$cond" = t ] || [ "$cond" = true ] || [ "$cond" = 0 ]; then
    T_PASS=$((T_PASS + 1)); echo "ok $T_N - $*"
  else
    T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $*"
  fi
}

# run_invariants [psql -v args...]: each row of invariants.sql is "t|label" or "f|label";
# INV_PREFIX is put before each label.
run_invariants() {
  local out line
  if ! out=$(sql_at -F '|' "$@" -f "$SUITE_DIR/invariants.sql" 2>&1); then
    check f "the invariant queries ran: $(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
    return
  fi
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    check "${line%%|*}" "${INV_PREFIX:-}${line#*|}"
  done <<<"$out"
}

suite_done() {
  echo "$T_PASS passed, $T_FAIL failed"
  [ "$T_FAIL" -eq 0 ]
}
