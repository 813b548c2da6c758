# scripts/lib/pg.sh: talking to a running xTrader cluster from the suites and benchmarks. Source it;
# don't run it. The functions connect with the PG* variables of eval "$(scripts/cluster env)".
#
#   sql / sql_at        psql against that cluster (quiet, stops at the first error; sql_at unaligned)
#   wait_ready SECS     poll xt_stats().state until 'ready' (bounded)
#   wait_settled        wait_ready, if the extension exists (before dropping it)
# shellcheck shell=bash

sql() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
sql_at() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

# wait_ready SECS: true once the engine answers 'ready' (connection errors while the server
# restarts count as not ready yet).
wait_ready() {
  local deadline=$((SECONDS + $1)) st
  while [ $SECONDS -lt $deadline ]; do
    st=$(psql -X -At -c "SELECT state FROM xtrader.xt_stats()" 2>/dev/null || true)
    [ "$st" = ready ] && return 0
    sleep 0.1
  done
  return 1
}

# wait_settled: if the extension exists, let the engine finish a recovery in progress first (a
# DROP EXTENSION meanwhile would deadlock with the engine's reads of the journal).
wait_settled() {
  if [ "$(sql_at -c "SELECT count(*) FROM pg_extension WHERE extname = 'xtrader'")" = 1 ]; then
    wait_ready 60 || true
  fi
}
