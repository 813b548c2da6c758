#!/usr/bin/env bash
# test/brokers/test_brokers.sh: smoke test of the real brokers run by scripts/brokers.
#
# Starts them (idempotent), then for each broker: a real round trip through its own protocol,
# SIGKILL -> start with the acknowledged data still there, SIGSTOP -> no answer -> SIGCONT ->
# answers again. Prints "ok - ..." / "FAIL - ..." per check and ends with "N passed, N failed";
# exits non-zero on any failure. Every wait is bounded (whole run: about a minute when warm).
#
#   test/brokers/test_brokers.sh [redis|rabbitmq|kafka ...]     (default: all three)
#
# Brokers that this test had to start are stopped at the end (set XT_KEEP_BROKERS=1 to keep
# them); brokers that were already running are left running. RabbitMQ is driven by pika, which
# the test installs from PyPI into a venv under $XT_STATE_DIR/venv-brokers-test (once).
set -euo pipefail

# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
# shellcheck source=scripts/lib/brokers.sh
. "$XT_ROOT/scripts/lib/brokers.sh"

BROKERS=$XT_ROOT/scripts/brokers
VENV=$XT_STATE_DIR/venv-brokers-test
PIKA_VERSION=1.3.2
RUN_ID=$$-$RANDOM
WANT=("$@")
[ ${#WANT[@]} -gt 0 ] || WANT=(redis rabbitmq kafka)

passed=0
failed=0
PAUSED=()        # brokers to resume if the test dies half-way
STARTED_HERE=()  # brokers this test started (stopped again at the end)

ok() { printf 'ok - %s\n' "$1"; passed=$((passed + 1)); }
fail() { printf 'FAIL - %s\n' "$1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/    /'; failed=$((failed + 1)); }

# check DESCRIPTION CMD...: run CMD (output captured), ok when it succeeds.
check() {
  local desc=$1 out; shift
  if out=$("$@" 2>&1); then ok "$desc"; else fail "$desc" "$(tail -n 15 <<<"$out")"; fi
}

# Is broker $1 one of those asked for?
wanted() { local w; for w in "${WANT[@]}"; do [ "$w" = "$1" ] && return 0; done; return 1; }

# Status line of broker $1 (never fails).
state_of() { "$BROKERS" status "$1" 2>/dev/null || true; }

# True when "scripts/brokers status NAME" says $2 (running, stopped, paused).
status_is() { [[ $(state_of "$1") == "$1: $2"* ]]; }

# Run "$@" and expect it to fail (a paused broker must not answer).
fails() { ! "$@"; }

cleanup() {
  local b
  for b in "${PAUSED[@]}"; do "$BROKERS" resume "$b" >/dev/null 2>&1 || true; done
  if [ -z "${XT_KEEP_BROKERS:-}" ]; then
    for b in "${STARTED_HERE[@]}"; do "$BROKERS" stop "$b" >/dev/null 2>&1 || true; done
  fi
}
trap cleanup EXIT

# ---- Redis -----------------------------------------------------------------------------------

rcli() { timeout 5 redis-cli -h 127.0.0.1 -p "$XT_REDIS_PORT" "$@"; }

test_redis() {
  local stream=xt:smoke:$RUN_ID id id2
  id=$(rcli XADD "$stream" '*' exec_id 1 price 100.5 2>&1) || id=""
  if [[ $id =~ ^[0-9]+-[0-9]+$ ]] && rcli XRANGE "$stream" - + | grep -x 100.5 >/dev/null; then
    ok "redis: XADD + XRANGE round trip on $stream"
  else
    fail "redis: XADD + XRANGE round trip on $stream" "$id"
  fi

  # appendfsync everysec: give the AOF its second, then kill -9
  sleep 1.2
  check "redis: kill (SIGKILL)" "$BROKERS" kill redis
  check "redis: status says stopped after kill" status_is redis stopped
  check "redis: start after kill" "$BROKERS" start redis
  check "redis: acknowledged entry survives SIGKILL (AOF)" \
    bash -c "timeout 5 redis-cli -h 127.0.0.1 -p $XT_REDIS_PORT XRANGE '$stream' - + | grep -qx -- '$id'"

  check "redis: pause (SIGSTOP)" "$BROKERS" pause redis
  PAUSED+=(redis)
  check "redis: status says paused" status_is redis paused
  check "redis: no PONG while paused" fails xt_redis_ping
  check "redis: resume (SIGCONT)" "$BROKERS" resume redis
  PAUSED=()
  check "redis: PONG after resume" xt_wait_for 10 xt_redis_ping
  id2=$(rcli XADD "$stream" '*' exec_id 2 2>&1) || id2=""
  if [ "$(rcli XLEN "$stream")" = 2 ]; then ok "redis: XADD after resume ($id2)"; else fail "redis: XADD after resume" "$id2"; fi
  rcli DEL "$stream" >/dev/null || true
}

# ---- RabbitMQ --------------------------------------------------------------------------------

# A venv with pika, installed from PyPI the first time.
ensure_pika() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import pika' 2>/dev/null && return 0
  rm -rf "$VENV"
  timeout 120 python3 -m venv "$VENV" || return 1
  timeout 300 "$VENV/bin/pip" install -q --disable-pip-version-check "pika==$PIKA_VERSION" || return 1
}

# The AMQP client: python amqp_client MODE EXCHANGE QUEUE BODY (see the heredoc).
amqp() {
  timeout 30 "$VENV/bin/python" - "$XT_RABBITMQ_PORT" "$@" <<'PY'
import sys, time
import pika

port, mode, exchange, queue, body = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
params = pika.ConnectionParameters(
    host="127.0.0.1", port=port, credentials=pika.PlainCredentials("guest", "guest"),
    connection_attempts=1, socket_timeout=5, blocked_connection_timeout=10, heartbeat=0)
conn = pika.BlockingConnection(params)
ch = conn.channel()

def setup():
    # a durable topic exchange and a durable queue bound to it, as xTrader's publisher uses
    ch.exchange_declare(exchange=exchange, exchange_type="topic", durable=True)
    ch.queue_declare(queue=queue, durable=True)
    ch.queue_bind(queue=queue, exchange=exchange, routing_key="exec.#")

def publish():
    ch.confirm_delivery()  # basic_publish raises unless the broker acks (and routes: mandatory)
    ch.basic_publish(exchange=exchange, routing_key="exec.XTR.1", body=body.encode(),
                     properties=pika.BasicProperties(delivery_mode=2, content_type="text/plain"),
                     mandatory=True)

def consume_one():
    deadline = time.time() + 10
    for method, props, got in ch.consume(queue, inactivity_timeout=1):
        if method is not None:
            ch.basic_ack(method.delivery_tag)
            ch.cancel()
            if got.decode() != body:
                sys.exit("got %r, expected %r" % (got, body))
            return
        if time.time() > deadline:
            ch.cancel()
            sys.exit("no message within 10 s")

if mode == "roundtrip":
    setup(); publish(); consume_one()
elif mode == "publish":
    setup(); publish()
elif mode == "consume":
    consume_one()
elif mode == "cleanup":
    ch.queue_delete(queue=queue)
    ch.exchange_delete(exchange=exchange)
conn.close()
PY
}

test_rabbitmq() {
  local ex=xt.smoke.$RUN_ID q=xt.smoke.$RUN_ID.q out
  if ! out=$(ensure_pika 2>&1); then
    fail "rabbitmq: install pika $PIKA_VERSION from PyPI into $VENV" "$(tail -n 5 <<<"$out")"
    return 0
  fi
  check "rabbitmq: AMQP handshake (Connection.Start)" xt_amqp_ping
  check "rabbitmq: rabbitmq-diagnostics check_port_connectivity (node name + cookie)" \
    "$BROKERS" rabbitmq-diagnostics -q check_port_connectivity
  check "rabbitmq: topic exchange + bound queue, publish with confirm, consume one" \
    amqp roundtrip "$ex" "$q" "fill-1-$RUN_ID"

  check "rabbitmq: confirmed persistent publish before kill" amqp publish "$ex" "$q" "fill-2-$RUN_ID"
  check "rabbitmq: kill (SIGKILL of beam.smp)" "$BROKERS" kill rabbitmq
  check "rabbitmq: status says stopped after kill" status_is rabbitmq stopped
  check "rabbitmq: start after kill" "$BROKERS" start rabbitmq
  check "rabbitmq: confirmed message survives SIGKILL" amqp consume "$ex" "$q" "fill-2-$RUN_ID"

  check "rabbitmq: pause (SIGSTOP)" "$BROKERS" pause rabbitmq
  PAUSED+=(rabbitmq)
  check "rabbitmq: status says paused" status_is rabbitmq paused
  check "rabbitmq: no AMQP answer while paused" fails xt_amqp_ping
  check "rabbitmq: resume (SIGCONT)" "$BROKERS" resume rabbitmq
  PAUSED=()
  check "rabbitmq: AMQP answers after resume" xt_wait_for 15 xt_amqp_ping
  check "rabbitmq: round trip after resume" amqp roundtrip "$ex" "$q" "fill-3-$RUN_ID"
  amqp cleanup "$ex" "$q" - >/dev/null 2>&1 || true
}

# ---- Kafka -----------------------------------------------------------------------------------

kcli() { timeout 60 "$BROKERS" kafka-cli "$@"; }

# Produce the lines of stdin to topic $1 (acks=all, idempotent).
kproduce() {
  kcli ConsoleProducer --bootstrap-server "127.0.0.1:$XT_KAFKA_PORT" --topic "$1" \
    --command-property acks=all --command-property enable.idempotence=true
}

# Consume $2 messages of topic $1 from the beginning; print them.
kconsume() {
  kcli consumer.ConsoleConsumer --bootstrap-server "127.0.0.1:$XT_KAFKA_PORT" --topic "$1" \
    --from-beginning --max-messages "$2" --timeout-ms 20000
}

# Expect the messages of topic $1 to be exactly the lines $2.
kexpect() {
  local got err
  err=$(mktemp)
  if ! got=$(kconsume "$1" "$(wc -l <<<"$2")" 2>"$err"); then
    cat "$err"; rm -f "$err"; return 1
  fi
  rm -f "$err"
  [ "$got" = "$2" ] || { printf 'got:\n%s\nexpected:\n%s\n' "$got" "$2"; return 1; }
}

test_kafka() {
  local topic=xt-smoke-$RUN_ID m1="fill-1-$RUN_ID" m2="fill-2-$RUN_ID"
  check "kafka: ApiVersions answered" xt_kafka_ping
  check "kafka: TopicCommand --create $topic" kcli TopicCommand --bootstrap-server "127.0.0.1:$XT_KAFKA_PORT" \
    --create --topic "$topic" --partitions 1 --replication-factor 1
  check "kafka: ConsoleProducer (acks=all)" kproduce "$topic" <<<"$m1"
  check "kafka: ConsoleConsumer reads it back" kexpect "$topic" "$m1"

  check "kafka: kill (SIGKILL of the java process)" "$BROKERS" kill kafka
  check "kafka: status says stopped after kill" status_is kafka stopped
  check "kafka: start after kill" "$BROKERS" start kafka
  check "kafka: acknowledged message survives SIGKILL" kexpect "$topic" "$m1"

  check "kafka: pause (SIGSTOP)" "$BROKERS" pause kafka
  PAUSED+=(kafka)
  check "kafka: status says paused" status_is kafka paused
  check "kafka: no ApiVersions answer while paused" fails xt_kafka_ping
  check "kafka: resume (SIGCONT)" "$BROKERS" resume kafka
  PAUSED=()
  check "kafka: ApiVersions answered after resume" xt_wait_for 15 xt_kafka_ping
  check "kafka: produce after resume" kproduce "$topic" <<<"$m2"
  check "kafka: both messages there after resume" kexpect "$topic" "$m1"$'\n'"$m2"
  kcli TopicCommand --bootstrap-server "127.0.0.1:$XT_KAFKA_PORT" --delete --topic "$topic" >/dev/null 2>&1 || true
}

# ---- main ------------------------------------------------------------------------------------

t0=$SECONDS
for b in "${WANT[@]}"; do
  case $b in redis|rabbitmq|kafka) ;; *) xt_die "unknown broker: $b" ;; esac
  status_is "$b" running || STARTED_HERE+=("$b")
done
for b in "${WANT[@]}"; do
  check "$b: scripts/brokers start" "$BROKERS" start "$b"
  check "$b: start again is a no-op" bash -c "'$BROKERS' start $b | grep -q 'already running'"
  check "$b: status says running" status_is "$b" running
done
wanted redis && test_redis
wanted rabbitmq && test_rabbitmq
wanted kafka && test_kafka
for b in "${WANT[@]}"; do check "$b: running at the end" status_is "$b" running; done

echo "# $((SECONDS - t0)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
