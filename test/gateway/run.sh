#!/usr/bin/env bash
# test/gateway/run.sh: xtrader-ws-gateway end to end against a real RabbitMQ.
#
# Starts three gateways (GW_PORTS), connects WebSocket clients to each, publishes GW_N Execution
# messages with the project's publisher (test/gateway/gw_publish.c) and checks every client of
# every gateway got every message exactly once, in order, byte-identical; /health; ping; error
# frames; a RabbitMQ restart (scripts/brokers stop/start rabbitmq, with the caller's XT_* env)
# after which the gateways reconnect and later messages arrive; clean exit on SIGTERM.
#
# Environment (defaults match the standard brokers of scripts/brokers):
#   GW_AMQP_URL   amqp://guest:guest@127.0.0.1:${XT_RABBITMQ_PORT:-5672}/
#   GW_PORTS      "17601 17602 17603"
#   GW_N          500 (GW_N_AFTER 100 after the restart), GW_CLIENTS 2 per gateway
#   GW_RESTART    1 (0 = skip the RabbitMQ restart)
#   GW_EXCHANGE   market-notifications
# A private RabbitMQ for development (docs/brokers.md, "Ports, folders, logs"):
#   export XT_STATE_DIR=$PWD/.xtrader/gw XT_RABBITMQ_PORT=15680 XT_RABBITMQ_NODE=xtgw@localhost
#   scripts/brokers start rabbitmq && test/gateway/run.sh
# Prints "ok N - ..." / "not ok N - ..." and "N passed, N failed"; exits 1 on any failure.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1

export GW_AMQP_URL=${GW_AMQP_URL:-amqp://guest:guest@127.0.0.1:${XT_RABBITMQ_PORT:-5672}/}
export GW_PORTS=${GW_PORTS:-"17601 17602 17603"}
export GW_EXCHANGE=${GW_EXCHANGE:-market-notifications}
GW_WORK_OWNED=
if [ -z "${GW_WORK:-}" ]; then
	GW_WORK=$(mktemp -d /tmp/xt-gw.XXXXXX)
	GW_WORK_OWNED=1
fi
mkdir -p "$GW_WORK"
export GW_WORK
PY=/usr/bin/python3
CC=${CORE_CC:-cc}
CFLAGS="-std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla -O2 -g -D_GNU_SOURCE -Isrc"

n=0
pass=0
fail=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1${2:+: $2}"; }

PIDS=()
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
}
trap cleanup EXIT

finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}

# ---- build (the Makefile's rule; GW_BIN may name another build, an ASan one say) --------------
GW_BIN=${GW_BIN:-build/xtrader-ws-gateway}
if [ "$GW_BIN" = build/xtrader-ws-gateway ]; then
	make -s "$GW_BIN" >"$GW_WORK/build.log" 2>&1
fi
[ -x "$GW_BIN" ] && ok "built $GW_BIN" || { notok "built $GW_BIN" "$(tail -5 "$GW_WORK/build.log")"; finish; }

mkdir -p build/gateway
BROKER_SRCS=$(ls src/brokers/*.c | grep -v consumer_main.c)
# shellcheck disable=SC2086
if $CC $CFLAGS -o build/gateway/gw_publish test/gateway/gw_publish.c $BROKER_SRCS src/engine/*.c \
	src/common/*.c src/net/*.c -lhiredis -lrdkafka -lrabbitmq -lcrypto -lm >"$GW_WORK/pub.log" 2>&1; then
	ok "built build/gateway/gw_publish"
else
	notok "built build/gateway/gw_publish" "$(tail -5 "$GW_WORK/pub.log")"
	finish
fi

# ---- start the gateways -------------------------------------------------------------------
i=0
for port in $GW_PORTS; do
	i=$((i + 1))
	"$GW_BIN" --port "$port" --amqp "$GW_AMQP_URL" --exchange "$GW_EXCHANGE" \
		>"$GW_WORK/gw$i.log" 2>&1 &
	PIDS+=($!)
done
sleep 0.3
alive=1
for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || alive=0; done
if [ $alive -eq 1 ]; then
	ok "${#PIDS[@]} gateways started on ports $GW_PORTS"
else
	notok "gateways started" "$(cat "$GW_WORK"/gw*.log | tail -5)"
	finish
fi

# ---- the WebSocket checks --------------------------------------------------------------------
GW_TAP_FIRST=$n GW_NO_SUMMARY=1 timeout 110 "$PY" test/gateway/gw_test.py >"$GW_WORK/py.out" 2>&1
cat "$GW_WORK/py.out"
n=$((n + $(grep -cE '^(not )?ok ' "$GW_WORK/py.out")))
pass=$((pass + $(grep -c '^ok ' "$GW_WORK/py.out")))
fail=$((fail + $(grep -c '^not ok ' "$GW_WORK/py.out")))
grep -qE '^(not )?ok ' "$GW_WORK/py.out" || notok "gw_test.py ran" "$(tail -5 "$GW_WORK/py.out")"

# ---- no password in the logs ---------------------------------------------------------------
pw=$(printf '%s' "$GW_AMQP_URL" | sed -n 's#^amqp://[^:/@]*:\([^@]*\)@.*#\1#p')
if [ -n "$pw" ] && [ "$pw" != "****" ] && grep -qF ":$pw@" "$GW_WORK"/gw*.log; then
	notok "the AMQP password is not logged"
else
	ok "the AMQP password is not logged"
fi

# ---- SIGTERM: clean and prompt exit -------------------------------------------------------------
clean=1
for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
for p in "${PIDS[@]}"; do
	for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$p" 2>/dev/null; then
		clean=0
	else
		wait "$p"
		rc=$?
		[ "$rc" -eq 0 ] || clean=0
	fi
done
PIDS=()
if [ $clean -eq 1 ] && grep -q "stopped" "$GW_WORK/gw1.log"; then
	ok "SIGTERM stops every gateway within 5 s with exit 0"
else
	notok "SIGTERM stops every gateway within 5 s with exit 0" "$(tail -3 "$GW_WORK/gw1.log")"
fi
if [ "$fail" -eq 0 ]; then
	[ -z "$GW_WORK_OWNED" ] || rm -rf "$GW_WORK"
else
	echo "# logs in $GW_WORK"
	tail -n 20 "$GW_WORK"/gw1.log | sed 's/^/# /'
fi
finish
