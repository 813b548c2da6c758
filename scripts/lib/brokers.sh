# scripts/lib/brokers.sh: where and how scripts/brokers runs Redis, RabbitMQ and Kafka, plus
# small protocol-level probes. Source it after scripts/lib/common.sh; don't run it.
#
#   XT_REDIS_PORT             Redis (default 6379)
#   XT_RABBITMQ_PORT          RabbitMQ AMQP (default 5672); Erlang distribution on
#   XT_RABBITMQ_DIST_PORT     (default 25672), node name XT_RABBITMQ_NODE (xtrader@localhost)
#   XT_KAFKA_PORT             Kafka PLAINTEXT listener (default 9092)
#   XT_KAFKA_CONTROLLER_PORT  Kafka KRaft controller listener (default 9093)
#   XT_KAFKA_LIB              the broker's jars (default scripts/kafka/lib, git-ignored)
#   XT_BROKER_START_TIMEOUT   seconds a broker may take to answer after launch (default 90)
#   XT_BROKER_STOP_TIMEOUT    seconds a graceful stop may take before SIGKILL (default 30)
# Everything binds to 127.0.0.1. Data lives in $XT_STATE_DIR/{redis,rabbitmq,kafka}, logs in
# $XT_LOG_DIR (redis.log, rabbitmq/, kafka.log).
# shellcheck shell=bash

XT_REDIS_PORT=${XT_REDIS_PORT:-6379}
XT_RABBITMQ_PORT=${XT_RABBITMQ_PORT:-5672}
XT_RABBITMQ_DIST_PORT=${XT_RABBITMQ_DIST_PORT:-$((XT_RABBITMQ_PORT + 20000))}
XT_RABBITMQ_NODE=${XT_RABBITMQ_NODE:-xtrader@localhost}
XT_KAFKA_PORT=${XT_KAFKA_PORT:-9092}
XT_KAFKA_CONTROLLER_PORT=${XT_KAFKA_CONTROLLER_PORT:-9093}
XT_KAFKA_LIB=${XT_KAFKA_LIB:-$XT_ROOT/scripts/kafka/lib}
XT_BROKER_START_TIMEOUT=${XT_BROKER_START_TIMEOUT:-90}
XT_BROKER_STOP_TIMEOUT=${XT_BROKER_STOP_TIMEOUT:-30}
export XT_REDIS_PORT XT_RABBITMQ_PORT XT_RABBITMQ_DIST_PORT XT_RABBITMQ_NODE XT_KAFKA_PORT \
  XT_KAFKA_CONTROLLER_PORT XT_KAFKA_LIB XT_BROKER_START_TIMEOUT XT_BROKER_STOP_TIMEOUT

XT_RABBITMQ_BIN=${XT_RABBITMQ_BIN:-/usr/lib/rabbitmq/bin}

# True when process $1 exists (a zombie counts as gone).
xt_pid_alive() {
  [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] || return 1
  [ "$(xt_pid_state "$1")" != Z ]
}

# The one-letter state of process $1 (R, S, D, T = stopped/paused, Z...), empty if gone.
xt_pid_state() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  printf '%s\n' "${stat%% *}"
}

# Process $1 and all its descendants, parents first.
xt_pid_tree() {
  local p
  echo "$1"
  for p in $(pgrep -P "$1" 2>/dev/null); do xt_pid_tree "$p"; done
}

# Resident memory of process $1 and its descendants, in MiB.
xt_pid_rss_mb() {
  local total=0 p kb
  for p in $(xt_pid_tree "$1"); do
    kb=$(ps -o rss= -p "$p" 2>/dev/null | tr -d ' ') || kb=0
    total=$((total + ${kb:-0}))
  done
  echo $((total / 1024))
}

# The first bytes (hex, no spaces) that a server on 127.0.0.1:$1 answers to the bytes $2
# (printf format), read for at most $3 seconds. Empty when nothing comes back.
xt_tcp_exchange() {
  local port=$1 req=$2 secs=${3:-2}
  # shellcheck disable=SC2016 # the inner script gets its values as $1 $2
  timeout "$secs" bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "$2" >&3
    head -c 12 <&3 | od -An -v -tx1 | tr -d " \n"
  ' _ "$port" "$req" 2>/dev/null || true
}

# True when Redis on port $1 answers PING with PONG within 2 s.
xt_redis_ping() {
  [ "$(timeout 3 redis-cli -h 127.0.0.1 -p "${1:-$XT_REDIS_PORT}" ping 2>/dev/null)" = PONG ]
}

# True when an AMQP 0-9-1 server on port $1 answers the protocol header with Connection.Start
# (frame type 1, channel 0, class 10, method 10) within 2 s.
xt_amqp_ping() {
  local hex
  hex=$(xt_tcp_exchange "${1:-$XT_RABBITMQ_PORT}" 'AMQP\x00\x00\x09\x01' 2)
  [[ $hex == 010000????????000a000a* ]]
}

# True when a Kafka broker on port $1 answers an ApiVersions v0 request (correlation id 7)
# within 2 s: response = int32 size, int32 correlation id 7, int16 error code 0.
xt_kafka_ping() {
  local hex
  hex=$(xt_tcp_exchange "${1:-$XT_KAFKA_PORT}" '\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x07\x00\x00' 2)
  [[ $hex == ????????000000070000* ]]
}
