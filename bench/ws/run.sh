#!/usr/bin/env bash
# bench/ws/run.sh: WebSocket benchmarks of the network worker, one run, one summary line:
#
#   bench ws: rtt_p50_ms=... rtt_p99_ms=... ping_p99_ms=... ratio=... connections_held=...
#             msgs_per_s=... [more key=value] targets: rtt_p99_ms<=5 connections>=20000 msgs_per_s>=500000
#
# (one line). Lines starting with '#' explain. Parts (bench/ws/ws_bench.c, built here with cc):
#   1. rtt: order -> Execution round trip at $RATE orders/s for $SECS s (after 1 s of warm-up):
#      pairs of a maker (account B) and, once the maker is answered, a crossing IOC taker
#      (account A) on WSBENCH-KRW, over $HTTP keep-alive REST connections; one WebSocket
#      authenticated as A times each taker from writing its POST to reading the Execution with
#      its order_id. BASELINE, same run, same connection, same load: {"op":"ping"} -> pong round
#      trips, one every 10 ms while the orders run (pure network + parsing + the server's loop):
#      ratio = rtt_p99 / ping_p99. (ping_idle_p99_ms: 2,000 pings/s for 3 s before the orders.)
#   2. fanout: $FAN_CONNS WebSockets authenticated as A; pairs at each rate of $PAIR_RATES
#      (pairs/s, $SECS s each); every pair pushes one Execution to each connection; msgs_per_s is
#      the best step's Execution messages received across the connections per second, from the
#      first order of the step to its last message (what arrives after the orders stop counts).
#   3. connections: $CONNS idle WebSockets opened 256 handshakes at a time (a handshake that takes
#      over 10 s fails; after 512 failures in a row no more are started: the server accepts no
#      more), held 5 s, then one ping each: connections_held = pongs received. One client process
#      may not hold more than RLIMIT_NOFILE descriptors, so the connections are spread over enough
#      processes; the server's own limit (its RLIMIT_NOFILE, xtrader.net_max_connections) is
#      printed.
#
# AUTH IS ON for the run (two accounts must trade: self-trade prevention keeps one account from
# trading with itself, and with xtrader.rest_auth = off every order is the bootstrap superuser's).
# The script makes roles xt_bench_ws_a / xt_bench_ws_b (NOLOGIN, xtrader_trader) if missing, an
# API key for each with the highest rate limits (revoked on exit), the symbol WSBENCH-KRW if
# missing, sets xtrader.rest_auth = on if it was off (restored on exit), and cancels orders left
# resting in WSBENCH-KRW before and after.
#
#   bench/ws/run.sh            full run (10 s per timed part, 20,000 connections)
#   bench/ws/run.sh --quick    2 s parts, 2,000 connections, 100 fan-out connections
#   environment: SECS, RATE (10000), HTTP (64), FAN_CONNS (1000), PAIR_RATES (500,1000,2000),
#                CONNS (20000); the ports are the cluster's (scripts/cluster env: XT_REST_PORT, XT_WS_PORT)
#
# Needs the cluster of `scripts/run --detach` (port 55432) with the network worker running.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

SECS=${SECS:-10} RATE=${RATE:-10000} HTTP=${HTTP:-64} FAN_CONNS=${FAN_CONNS:-1000}
PAIR_RATES=${PAIR_RATES:-500,1000,2000} CONNS=${CONNS:-20000} HOST=127.0.0.1
SYMBOL=WSBENCH-KRW
case "${1:-}" in
  --quick) SECS=2 CONNS=2000 FAN_CONNS=100 PAIR_RATES=100,200 ;;
  "") ;;
  *) echo "usage: bench/ws/run.sh [--quick]" >&2; exit 2 ;;
esac
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

eval "$("$root/scripts/cluster" env)"    # PG*, XT_REST_PORT and XT_WS_PORT of the cluster
REST_PORT=${XT_REST_PORT:-7000} WS_PORT=${XT_WS_PORT:-7001}
sql_at() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
sql_at -c "SELECT 1" >/dev/null 2>&1 || die "the cluster is not running: start it with scripts/run --detach"
[ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "http://$HOST:$REST_PORT/health" || true)" = 200 ] \
  || die "GET http://$HOST:$REST_PORT/health does not answer 200: is the network worker (xtrader net) running?"
(exec 3<>"/dev/tcp/$HOST/$WS_PORT") 2>/dev/null || die "nothing listens on $HOST:$WS_PORT"

WORK=$root/build/bench-ws
mkdir -p "$WORK"
cc -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -Ibench/rest -o "$WORK/ws_bench" bench/ws/ws_bench.c -lcrypto

# ---- set-up, undone on exit ---------------------------------------------------------------------
auth_saved=$(sql_at -c "SELECT setting FROM pg_file_settings
                         WHERE name = 'xtrader.rest_auth' AND sourcefile LIKE '%postgresql.auto.conf' AND applied")
auth_changed=
KEY_A= KEY_B=

cancel_resting() {
  sql_at >/dev/null <<SQL
DO \$\$
DECLARE o bigint;
BEGIN
    IF EXISTS (SELECT 1 FROM xtrader.xt_order_book('$SYMBOL', 1)) THEN
        FOR o IN SELECT order_id FROM xtrader.orders
                  WHERE symbol_id = (SELECT symbol_id FROM xtrader.symbols WHERE symbol = '$SYMBOL')
                    AND status IN (0, 1) LOOP
            BEGIN
                PERFORM xtrader.xt_cancel_order(o);
            EXCEPTION WHEN SQLSTATE '55000' OR SQLSTATE '42704' THEN NULL;  -- final meanwhile
            END;
        END LOOP;
    END IF;
END
\$\$;
SQL
}

cleanup() {
  local k
  for k in "$KEY_A" "$KEY_B"; do
    [ -z "$k" ] || sql_at -c "SELECT xtrader.xt_revoke_api_key('$k')" >/dev/null || true
  done
  if [ -n "$auth_changed" ]; then
    if [ -n "$auth_saved" ]; then sql_at -c "ALTER SYSTEM SET xtrader.rest_auth = '$auth_saved'" >/dev/null || true
    else sql_at -c "ALTER SYSTEM RESET xtrader.rest_auth" >/dev/null || true; fi
    sql_at -c "SELECT pg_reload_conf()" >/dev/null || true
  fi
  cancel_resting || echo "# could not cancel the orders left in $SYMBOL" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(sql_at -c "SHOW xtrader.rest_auth")" != on ]; then
  auth_changed=1
  sql_at -c "ALTER SYSTEM SET xtrader.rest_auth = on" >/dev/null
  sql_at -c "SELECT pg_reload_conf()" >/dev/null
  for _ in $(seq 50); do
    [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "http://$HOST:$REST_PORT/v1/order/1" || true)" = 401 ] && break
    sleep 0.1
  done
fi

# two trading accounts, each with an API key at the highest limits
sql_at >/dev/null <<'SQL'
DO $$
DECLARE r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['xt_bench_ws_a', 'xt_bench_ws_b'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN IN ROLE xtrader_trader', r);
        END IF;
    END LOOP;
END
$$;
SQL
read -r KEY_A SECRET_A < <(sql_at -F ' ' -c "SELECT api_key, secret FROM xtrader.xt_create_api_key('xt_bench_ws_a', 60000000, 1000000)")
read -r KEY_B SECRET_B < <(sql_at -F ' ' -c "SELECT api_key, secret FROM xtrader.xt_create_api_key('xt_bench_ws_b', 60000000, 1000000)")
[ -n "$KEY_A" ] && [ -n "$SECRET_A" ] && [ -n "$KEY_B" ] && [ -n "$SECRET_B" ] || die "could not create the API keys"

sql_at -c "SELECT count(*) FROM xtrader.symbols WHERE symbol = '$SYMBOL'" | grep -qx 1 \
  || sql_at -c "SELECT symbol FROM xtrader.xt_create_symbol('$SYMBOL', 1, 0.01)" >/dev/null
read -r PRICE QTY < <(sql_at -F ' ' -c "SELECT trim_scale(1000 * tick_size), trim_scale(coalesce(min_quantity, lot_size))
                                           FROM xtrader.symbols WHERE symbol = '$SYMBOL'")
[ -n "$PRICE" ] && [ -n "$QTY" ] || die "cannot read the grid of $SYMBOL"
cancel_resting

# ---- limits ----------------------------------------------------------------------------------------
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
per_proc=$(( $(ulimit -n) - 64 ))
procs=$(( (CONNS + per_proc - 1) / per_proc ))
net_pid=$(sql_at -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'xtrader net' LIMIT 1")
server_nofile=unknown
[ -z "$net_pid" ] || server_nofile=$(awk '/^Max open files/ { print $4 }' "/proc/$net_pid/limits" 2>/dev/null || echo unknown)
net_max=$(sql_at -c "SELECT coalesce(current_setting('xtrader.net_max_connections', true), 'unset')")
echo "# client: RLIMIT_NOFILE $(ulimit -n) per process, $procs process(es) for $CONNS connections;" \
     "server 'xtrader net' pid ${net_pid:-?}: RLIMIT_NOFILE $server_nofile, xtrader.net_max_connections $net_max;" \
     "net.core.somaxconn $(cat /proc/sys/net/core/somaxconn)" >&2

common=(--host "$HOST" --ws-port "$WS_PORT" --rest-port "$REST_PORT" --key-a "$KEY_A" --secret-a "$SECRET_A"
        --key-b "$KEY_B" --secret-b "$SECRET_B" --symbol "$SYMBOL" --price "$PRICE" --qty "$QTY")
field() { local v; v=$(sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"); echo "${v:-nan}"; }

# ---- 1. round trip, with the ping baseline ---------------------------------------------------------
echo "# rtt: $RATE orders/s for $SECS s over $HTTP REST connections, $SYMBOL at $PRICE x $QTY" >&2
r=$("$WORK/ws_bench" rtt "${common[@]}" --rate "$RATE" --secs "$SECS" --warmup 1 --http "$HTTP" \
      --ping-rate 2000 --ping-secs 3 | grep '^ws_rtt ' | tail -n 1) || true
echo "# ${r:-rtt: no result}" >&2
cancel_resting

# ---- 2. fan-out ----------------------------------------------------------------------------------------
echo "# fanout: $FAN_CONNS connections, pairs/s steps $PAIR_RATES, $SECS s each" >&2
f=$("$WORK/ws_bench" fanout "${common[@]}" --n "$FAN_CONNS" --pair-rates "$PAIR_RATES" --secs "$SECS" \
      --http "$HTTP" | grep '^ws_fanout ' | tail -n 1) || true
echo "# ${f:-fanout: no result}" >&2
cancel_resting

# ---- 3. connections -----------------------------------------------------------------------------------
echo "# connections: $CONNS" >&2
c=$("$WORK/ws_bench" conns --host "$HOST" --ws-port "$WS_PORT" --n "$CONNS" --procs "$procs" --hold 5 \
      | grep '^ws_conns ' | tail -n 1) || true
echo "# ${c:-conns: no result}" >&2

rtt50=$(field rtt_p50_ms "$r") rtt99=$(field rtt_p99_ms "$r") ping99=$(field ping_p99_ms "$r")
ratio=$(awk -v a="$rtt99" -v b="$ping99" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "nan" }')
printf 'bench ws: rtt_p50_ms=%s rtt_p99_ms=%s ping_p99_ms=%s ratio=%s connections_held=%s msgs_per_s=%s rtt_rate=%s rtt_samples=%s rtt_lost=%s ping_idle_p99_ms=%s fanout_conns=%s fanout_closed_1008=%s connections_opened=%s server_nofile=%s auth=on targets: rtt_p99_ms<=5 connections>=20000 msgs_per_s>=500000\n' \
  "$rtt50" "$rtt99" "$ping99" "$ratio" "$(field held "$c")" "$(field msgs_per_s "$f")" "$RATE" \
  "$(field samples "$r")" "$(field lost "$r")" "$(field ping_idle_p99_ms "$r")" "$(field min_open "$f")" \
  "$(field closed_1008 "$f")" "$(field opened "$c")" "$server_nofile"
