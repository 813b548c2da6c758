#!/usr/bin/env bash
# bench/rest/run.sh: REST order entry (POST /v1/order) against GET /health on the same server, in
# one run, plus the latency of orders at a fixed 10,000 orders/s. Prints one summary line:
#
#   bench rest: orders_per_s=... health_per_s=... ratio=... p50_ms_at_10k=... p99_ms_at_10k=...
#               target_orders_per_s=30000 target_p99_ms=5 auth=on [more key=value pairs]
#
# Lines starting with '#' explain. Three parts, the same symbol (BENCH-KRW), threads and
# connections:
#   1. baseline: wrk -t$THREADS -c$CONNS -d$SECS on GET /health (no engine, no durability);
#   2. wrk on POST /v1/order with bench/rest/order.lua: GTC limit orders, Buy and Sell alternating,
#      buys at mid -3..+7 ticks and sells at mid -7..+3, so most trade on arrival, some rest near
#      the mid price and the book stays small; orders_per_s counts the 200 answers only (each one
#      durable when answered);
#   3. rest_load (bench/rest/rest_load.c, built here with cc): open-loop POSTs at $RATE/s over
#      $PACED_CONNS keep-alive connections for $SECS s after 1 s of warm-up; latency from the time
#      each request was due (no coordinated omission); p50/p99 of the 200 answers.
#
# AUTH (default on): every order is signed, so the run measures the real path (HMAC check, rate
# limit) and changes no server setting. Buys are signed by account xt_bench_rest_a, sells by
# xt_bench_rest_b (roles made if missing, keys made with the highest rate limits and revoked on
# exit), so they trade with each other. wrk's LuaJIT has no HMAC: rest_load --write-lua signs the
# wrk requests ahead of time, one set per time slot of xtrader.auth_window_ms, each slot's
# timestamp in the middle of it (valid while the slot is in use).
# AUTH=off: unsigned requests; the script sets xtrader.rest_auth = off (and the rate limit GUCs to
# their maximum) with ALTER SYSTEM + pg_reload_conf and restores the previous settings on exit.
# Every order is then the bootstrap superuser's, and self-trade prevention turns each would-be
# trade into a cancel of the resting order. It changes the cluster for everybody while it runs:
# don't use it while tests run on the same cluster.
# The engine state after the run: what is still resting in BENCH-KRW is cancelled on exit. Server
# counters (/metrics) before and after each part show 4xx/5xx answers the client saw.
#
#   bench/rest/run.sh            10 s per part
#   bench/rest/run.sh --quick    2 s per part (keeps the script from rotting)
#   environment: AUTH (on|off), SECS, THREADS (2), CONNS (64), RATE (10000), PACED_CONNS (64);
#                the REST port is the cluster's (scripts/cluster env: XT_REST_PORT, 7000)
#
# Needs the cluster of `scripts/run --detach` (port 55432) with the network worker serving REST.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

AUTH=${AUTH:-on} SECS=${SECS:-10} THREADS=${THREADS:-2} CONNS=${CONNS:-64} RATE=${RATE:-10000}
PACED_CONNS=${PACED_CONNS:-64} HOST=127.0.0.1
SYMBOL=BENCH-KRW
case "${1:-}" in
  --quick) SECS=2 ;;
  "") ;;
  *) echo "usage: bench/rest/run.sh [--quick]" >&2; exit 2 ;;
esac
case "$AUTH" in on|off) ;; *) echo "AUTH must be on or off" >&2; exit 2 ;; esac
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"

eval "$("$root/scripts/cluster" env)"    # PG* and XT_REST_PORT of the cluster
PORT=${XT_REST_PORT:-7000}
sql_at() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
sql_at -c "SELECT 1" >/dev/null 2>&1 || die "the cluster is not running: start it with scripts/run --detach"
http_code() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$@" || true; }
[ "$(http_code "http://$HOST:$PORT/health")" = 200 ] \
  || die "GET http://$HOST:$PORT/health does not answer 200: is the network worker (xtrader net) running?"

WORK=$root/build/bench-rest
mkdir -p "$WORK"
cc -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$WORK/rest_load" bench/rest/rest_load.c -lcrypto

# ---- set-up, undone on exit ------------------------------------------------------------------------
# AUTH=off: a GUC set in postgresql.auto.conf gets its old value back; one that was not is RESET
GUCS="xtrader.rest_auth xtrader.rate_limit_per_minute xtrader.rate_limit_burst"
saved=() KEYS=()

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
  local kv g v k
  for kv in "${saved[@]}"; do
    g=${kv%%=*} v=${kv#*=}
    if [ -n "$v" ]; then sql_at -c "ALTER SYSTEM SET $g = '$v'" >/dev/null || true
    else sql_at -c "ALTER SYSTEM RESET $g" >/dev/null || true; fi
  done
  [ ${#saved[@]} -eq 0 ] || sql_at -c "SELECT pg_reload_conf()" >/dev/null || true
  for k in "${KEYS[@]}"; do
    sql_at -c "SELECT xtrader.xt_revoke_api_key('$k')" >/dev/null || true
  done
  cancel_resting || echo "# could not cancel the orders left in $SYMBOL" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sign=()
if [ "$AUTH" = off ]; then
  for g in $GUCS; do
    v=$(sql_at -c "SELECT setting FROM pg_file_settings
                    WHERE name = '$g' AND sourcefile LIKE '%postgresql.auto.conf' AND applied")
    saved+=("$g=$v")
  done
  sql_at -c "ALTER SYSTEM SET xtrader.rest_auth = off" >/dev/null
  sql_at -c "ALTER SYSTEM SET xtrader.rate_limit_per_minute = 60000000" >/dev/null
  sql_at -c "ALTER SYSTEM SET xtrader.rate_limit_burst = 1000000" >/dev/null
  sql_at -c "SELECT pg_reload_conf()" >/dev/null
  # the worker applies the reload on its next loop: wait until an unsigned request passes auth
  # (GET /v1/order/1 answers 404 or 200 with auth off, 401 MISSING_HEADER with it on)
  for _ in $(seq 50); do
    c=$(http_code "http://$HOST:$PORT/v1/order/1")
    [ "$c" = 401 ] || break
    sleep 0.1
  done
  [ "$c" != 401 ] || die "xtrader.rest_auth = off did not take effect within 5 s"
else
  sql_at >/dev/null <<'SQL'
DO $$
DECLARE r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['xt_bench_rest_a', 'xt_bench_rest_b'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN IN ROLE xtrader_trader', r);
        END IF;
    END LOOP;
END
$$;
SQL
  read -r KEY_A SECRET_A < <(sql_at -F ' ' -c "SELECT api_key, secret FROM xtrader.xt_create_api_key('xt_bench_rest_a', 60000000, 1000000)")
  KEYS+=("$KEY_A")
  read -r KEY_B SECRET_B < <(sql_at -F ' ' -c "SELECT api_key, secret FROM xtrader.xt_create_api_key('xt_bench_rest_b', 60000000, 1000000)")
  KEYS+=("$KEY_B")
  [ -n "$SECRET_A" ] && [ -n "$SECRET_B" ] || die "could not create the API keys"
  sign=(--key "$KEY_A" --secret "$SECRET_A" --key2 "$KEY_B" --secret2 "$SECRET_B")
fi

# ---- the bench symbol and valid prices/quantities ---------------------------------------------
sql_at -c "SELECT count(*) FROM xtrader.symbols WHERE symbol = '$SYMBOL'" | grep -qx 1 \
  || sql_at -c "SELECT symbol FROM xtrader.xt_create_symbol('$SYMBOL', 1, 0.01)" >/dev/null
# buys at mid -3..+7 ticks, sells at mid -7..+3 (mid = 10,000 ticks); 5 quantities: 1..5 x the
# minimum (or the lot), capped at the maximum; numeric arithmetic keeps the texts exact
read -r PRICES SELL_PRICES QTYS < <(sql_at -F ' ' -c "
  SELECT (SELECT string_agg(trim_scale((10000 + i) * tick_size)::text, ',' ORDER BY i)
            FROM generate_series(-3, 7) i),
         (SELECT string_agg(trim_scale((10000 + i) * tick_size)::text, ',' ORDER BY i)
            FROM generate_series(-7, 3) i),
         (SELECT string_agg(DISTINCT trim_scale(least(k * coalesce(min_quantity, lot_size),
                                                      coalesce(max_quantity, k * coalesce(min_quantity, lot_size))))::text, ',')
            FROM generate_series(1, 5) k)
    FROM xtrader.symbols WHERE symbol = '$SYMBOL'")
[ -n "$PRICES" ] && [ -n "$SELL_PRICES" ] && [ -n "$QTYS" ] || die "cannot read the grid of $SYMBOL"
cancel_resting
echo "# $SYMBOL buys at $PRICES; sells at $SELL_PRICES; quantities $QTYS; auth $AUTH" >&2
load=("$WORK/rest_load" --host "$HOST" --port "$PORT" --symbol "$SYMBOL" --prices "$PRICES"
      --sell-prices "$SELL_PRICES" --qtys "$QTYS" "${sign[@]}")

# server counters, to see what the clients were answered: "name value" lines of /metrics
metrics() { curl -s -m 5 "http://$HOST:$PORT/metrics" | grep -E '^xtrader_(auth_failures|rate_limited|unavailable|orders_rejected|orders_invalid|engine_trades)_total ' || true; }
mdelta() {   # mdelta BEFORE AFTER: "name=delta ..." of the counters that moved
  awk 'NR == FNR { b[$1] = $2; next } { d = $2 - b[$1]; if (d != 0) { sub(/^xtrader_/, "", $1); sub(/_total$/, "", $1); printf "%s=%d ", $1, d } }' \
    <(printf '%s\n' "$1") <(printf '%s\n' "$2")
}

wrk_line() { grep '^wrk_result ' | tail -n 1; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# ---- 1. baseline: GET /health ------------------------------------------------------------------
echo "# wrk -t$THREADS -c$CONNS -d${SECS}s GET /health" >&2
h=$(XT_WRK_MODE=health wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --timeout 10s -s bench/rest/order.lua \
      "http://$HOST:$PORT/health" | tee "$WORK/wrk_health.out" | wrk_line)
[ -n "$h" ] || die "wrk on /health printed no result (see $WORK/wrk_health.out)"

# ---- 2. wrk: POST /v1/order ------------------------------------------------------------------------
reqs=
if [ "$AUTH" = on ]; then
  # slots as long as the receive window; enough of them for the run and some start-up time
  win=$(sql_at -c "SELECT setting FROM pg_settings WHERE name = 'xtrader.auth_window_ms'")
  win=${win:-5000}
  reqs=$WORK/requests.lua
  "${load[@]}" --wait-keys 1 --write-lua "$reqs" --slot-ms "$win" \
    --slots $(( (SECS + 10) * 1000 / win + 2 )) --per-slot 2048
fi
m0=$(metrics); s0=$(sql_at -c "SELECT last_seq FROM xtrader.xt_stats()")
echo "# wrk -t$THREADS -c$CONNS -d${SECS}s POST /v1/order" >&2
o=$(XT_WRK_MODE=order XT_REQUESTS=$reqs XT_SYMBOL=$SYMBOL XT_PRICES=$PRICES XT_SELL_PRICES=$SELL_PRICES XT_QTYS=$QTYS \
      wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --timeout 10s -s bench/rest/order.lua \
      "http://$HOST:$PORT/v1/order" | tee "$WORK/wrk_order.out" | wrk_line)
[ -n "$o" ] || die "wrk on /v1/order printed no result (see $WORK/wrk_order.out)"
m1=$(metrics); s1=$(sql_at -c "SELECT last_seq FROM xtrader.xt_stats()")
resting=$(sql_at -c "SELECT coalesce(sum(orders), 0) FROM xtrader.xt_order_book('$SYMBOL', 1000)")

# ---- 3. fixed rate -------------------------------------------------------------------------------
echo "# rest_load --rate $RATE --conns $PACED_CONNS --secs $SECS" >&2
p=$("${load[@]}" --rate "$RATE" --conns "$PACED_CONNS" --secs "$SECS" --warmup 1 | tail -n 1)
[ -n "$p" ] || die "rest_load printed no result"
m2=$(metrics)
auth_now=$(sql_at -c "SHOW xtrader.rest_auth")

echo "# health: $h" >&2
echo "# order:  $o" >&2
echo "#         server counters during it (all clients): $(mdelta "$m0" "$m1")(the engine sequenced $((s1 - s0)) commands; $resting orders rested in $SYMBOL after it)" >&2
echo "# paced:  $p" >&2
echo "#         server counters during it (all clients): $(mdelta "$m1" "$m2")" >&2
[ "$auth_now" = "$AUTH" ] || echo "# WARNING: xtrader.rest_auth is $auth_now at the end of the run (AUTH=$AUTH): somebody changed it" >&2

rate() { awk -v r="$1" -v n="$2" -v d="$3" 'BEGIN { printf "%.0f", (d > 0 ? (r - n) * 1e6 / d : 0) }'; }
health_ps=$(rate "$(field requests "$h")" "$(field non2xx "$h")" "$(field duration_us "$h")")
orders_ps=$(rate "$(field requests "$o")" "$(field non2xx "$o")" "$(field duration_us "$o")")
ratio=$(awk -v a="$orders_ps" -v b="$health_ps" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
werr=$(( $(field non2xx "$o") + $(field connect_err "$o") + $(field read_err "$o") + $(field write_err "$o") + $(field timeout_err "$o") ))
herr=$(( $(field non2xx "$h") + $(field connect_err "$h") + $(field read_err "$h") + $(field write_err "$h") + $(field timeout_err "$h") ))

printf 'bench rest: orders_per_s=%s health_per_s=%s ratio=%s p50_ms_at_10k=%s p99_ms_at_10k=%s target_orders_per_s=30000 target_p99_ms=5 auth=%s wrk_order_p50_ms=%s wrk_order_p99_ms=%s order_errors=%s health_errors=%s paced_rate=%s paced_achieved_per_s=%s paced_ok=%s/%s paced_codes=%s secs=%s threads=%s conns=%s\n' \
  "$orders_ps" "$health_ps" "$ratio" "$(field p50_ms "$p")" "$(field p99_ms "$p")" "$AUTH" \
  "$(awk -v u="$(field p50_us "$o")" 'BEGIN { printf "%.3f", u / 1000 }')" \
  "$(awk -v u="$(field p99_us "$o")" 'BEGIN { printf "%.3f", u / 1000 }')" "$werr" "$herr" \
  "$RATE" "$(field achieved_per_s "$p")" "$(field ok "$p")" "$(field sent "$p")" "$(field codes "$p")" \
  "$SECS" "$THREADS" "$CONNS"
