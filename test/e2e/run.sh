#!/usr/bin/env bash
# test/e2e/run.sh: end-to-end tests of the network server (REST on 7000, WebSocket on 7001 /v1/ws)
# against a running cluster, through real HTTP and WebSocket clients.
#
#   test/e2e/run.sh                       the cluster of scripts/cluster (XT_STATE_DIR/XT_PGPORT)
#   XT_E2E_ONLY='^ws_' test/e2e/run.sh    only the Python tests whose name matches (a regexp)
#   XT_E2E_SEED=N test/e2e/run.sh         repeat the random orders of the stream test
#
# Steps: wait for GET /health; set up (e2e.py setup: roles xt_e2e_a/xt_e2e_b, three symbols
# E2E<run id><M|F|B>-KRW, API keys); the tests that need xtrader.rest_auth = on; then
# ALTER SYSTEM SET xtrader.rest_auth = off + pg_reload_conf(), the auth-off tests and the flow
# document's JavaScript client (flow_client.mjs under Node); then xtrader.rest_auth as it was in
# postgresql.auto.conf (ALTER SYSTEM RESET if it was not set there; also on any exit), the run's
# keys revoked and its open orders cancelled. Each test prints "ok - ..." / "not ok - ..."; the last line
# is "N passed, N failed"; exit 0 only if nothing failed.
#
# Needs: the cluster running with xtrader in shared_preload_libraries (scripts/run --detach, or
# scripts/test's own); /usr/bin/python3 with python3-psycopg2, python3-requests,
# python3-websockets (10.x); node >= 20.10. PG* and the API ports (XT_REST_PORT, XT_WS_PORT) come
# from scripts/cluster env; XT_REST_URL / XT_WS_URL override the URLs made from them.
# Each run lists three symbols of its own (xtrader.max_symbols is 64 by default; setup says when
# a cluster is full).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/scripts/lib/common.sh"
E2E=$root/test/e2e
PY=/usr/bin/python3       # Debian's, where the python3-* packages are
export PYTHONUNBUFFERED=1

passed=0 failed=0
work=$(mktemp -d)
state=$work/state.json
auth_changed=0 auth_saved=

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}
ok() { echo "ok - $*"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }

q() { psql -X -qAt -v ON_ERROR_STOP=1 -c "$1"; }

# run_py STEP ARGS...: e2e.py STEP, its lines shown as they come, its ok / not ok lines counted;
# a crash that printed no "not ok" counts as one failure.
run_py() {
  local step=$1 log=$work/$1.log rc p f
  timeout 900 "$PY" "$E2E/e2e.py" "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  p=$(grep -c '^ok ' "$log")
  f=$(grep -c '^not ok ' "$log")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "not ok - e2e.py $step exited with status $rc"
    f=1
  fi
  passed=$((passed + p)); failed=$((failed + f))
  return "$rc"
}

set_auth() { # set_auth on|off|restore: ALTER SYSTEM + reload (restore: the value found at the start)
  case $1 in
    on|off) q "ALTER SYSTEM SET xtrader.rest_auth = $1" >/dev/null || return 1 ;;
    restore)
      if [ -n "$auth_saved" ]; then q "ALTER SYSTEM SET xtrader.rest_auth = '$auth_saved'" >/dev/null || return 1
      else q "ALTER SYSTEM RESET xtrader.rest_auth" >/dev/null || return 1; fi ;;
  esac
  q "SELECT pg_reload_conf()" >/dev/null || return 1
  sleep 0.5
}

cleanup() {
  if [ "$auth_changed" = 1 ]; then
    set_auth restore >/dev/null 2>&1 \
      || echo "warning: could not restore xtrader.rest_auth (ALTER SYSTEM RESET xtrader.rest_auth)" >&2
  fi
  [ -f "$state" ] && "$PY" "$E2E/e2e.py" cleanup "$state" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- prerequisites ----------------------------------------------------------------------------
eval "$("$root/scripts/cluster" env)"      # PG*, and XT_REST_PORT / XT_WS_PORT of that cluster
export PGOPTIONS="-c client_min_messages=warning" PGCONNECT_TIMEOUT=10
export XT_REST_URL=${XT_REST_URL:-http://127.0.0.1:${XT_REST_PORT:-7000}}
export XT_WS_URL=${XT_WS_URL:-ws://127.0.0.1:${XT_WS_PORT:-7001}/v1/ws}
echo "# cluster port $PGPORT, REST $XT_REST_URL, WebSocket $XT_WS_URL"
if ! "$root/scripts/cluster" status >/dev/null; then
  not_ok "the cluster is running (scripts/cluster status): start it with scripts/run --detach"
  finish
fi
if ! "$PY" -c 'import psycopg2, requests, websockets' 2>"$work/import.err"; then
  not_ok "python3-psycopg2, python3-requests and python3-websockets are installed: $(tail -n 1 "$work/import.err")"
  finish
fi
if ! node --experimental-websocket -e 'if (typeof WebSocket !== "function") process.exit(1)' 2>/dev/null; then
  not_ok "node >= 20.10 with --experimental-websocket is installed"
  finish
fi

# xtrader.rest_auth as set by ALTER SYSTEM now (empty: not set there); given back at the end
auth_saved=$(q "SELECT setting FROM pg_file_settings
                WHERE name = 'xtrader.rest_auth' AND sourcefile LIKE '%postgresql.auto.conf' AND applied")
auth_changed=1
if [ "$(q "SHOW xtrader.rest_auth")" != on ]; then
  echo "# xtrader.rest_auth is off at the start: on for the tests, '${auth_saved:-RESET}' again at the end"
  set_auth on
fi

run_py wait-health || finish
run_py setup "$state" || finish

# ---- auth on ----------------------------------------------------------------------------------
echo "# xtrader.rest_auth = on"
run_py wait-auth on || finish
run_py auth-on "$state"

# ---- auth off ---------------------------------------------------------------------------------
echo "# xtrader.rest_auth = off"
auth_changed=1
if set_auth off && run_py wait-auth off; then
  run_py auth-off "$state"

  # the flow document's client: a resting sell waits (account xt_e2e_b, through SQL), the
  # example's buy (the bootstrap account, no API key) fills it
  if sym=$("$PY" "$E2E/e2e.py" flow-prep "$state" 2>"$work/flow-prep.err"); then
    if out=$(XT_FLOW_SYMBOL=$sym timeout 60 node --experimental-websocket --no-warnings \
               "$E2E/flow_client.mjs" 2>&1); then
      printf '%s\n' "$out" | sed 's/^/# /'
      ok "flow document's JavaScript client (Node): POST /v1/order, its Execution on the WebSocket (Filled), GET shows Filled"
    else
      printf '%s\n' "$out" | sed 's/^/# /'
      not_ok "flow document's JavaScript client (Node): $(printf '%s' "$out" | tail -n 1)"
    fi
  else
    not_ok "flow document's JavaScript client: preparing the resting sell failed: $(tail -n 3 "$work/flow-prep.err" | tr '\n' ' ')"
  fi
fi

# ---- back to auth as it was -------------------------------------------------------------------
echo "# xtrader.rest_auth back to what it was (${auth_saved:-RESET})"
if set_auth restore; then
  auth_changed=0
  run_py wait-auth "$(q "SHOW xtrader.rest_auth")"
else
  not_ok "xtrader.rest_auth restored (${auth_saved:-RESET})"
fi

# ---- kill -9 of the postmaster under REST and WebSocket load ------------------------------------
# Only when asked (XT_E2E_CRASH=1, as scripts/test does on its own cluster): it kills the cluster
# named by XT_STATE_DIR / XT_PGPORT and starts it again.
if [ "${XT_E2E_CRASH:-0}" = 1 ]; then
  echo "# kill -9 of the postmaster under REST and WebSocket load (crash_rest.py)"
  timeout 300 "$PY" "$E2E/crash_rest.py" 2>&1 |
    sed 's/^\([0-9]* passed, [0-9]* failed\)$/# crash_rest: \1/' | tee "$work/crash.log"
  rc=${PIPESTATUS[0]}
  p=$(grep -c '^ok ' "$work/crash.log"); f=$(grep -c '^not ok ' "$work/crash.log")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "not ok - crash_rest.py exited $rc"; fi
  passed=$((passed + p)); failed=$((failed + f))
fi

finish
