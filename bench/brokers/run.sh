#!/usr/bin/env bash
# bench/brokers/run.sh: builds and runs bench_brokers (confirmed messages/s of each publisher in
# src/brokers beside a plain client loop in the same run) against the brokers of scripts/brokers.
#
#   bench/brokers/run.sh [bench_brokers args...]     e.g. --broker kafka --msgs 500000
#
# Starts the brokers if needed and stops again only those it started. Deletes its Kafka topics
# (xt-bench-*) at the end. Prints the "bench=brokers ..." lines on stdout.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
BIN=build/bench/bench_brokers

make -s "$BIN"

started=()
for b in redis rabbitmq kafka; do
  if ! scripts/brokers status "$b" >/dev/null 2>&1; then
    scripts/brokers start "$b" >&2
    started+=("$b")
  fi
done
cleanup() {
  timeout 60 scripts/brokers kafka-cli TopicCommand --bootstrap-server "127.0.0.1:${XT_KAFKA_PORT:-9092}" \
    --delete --topic 'xt-bench-.*' >/dev/null 2>&1 || true
  for b in "${started[@]}"; do scripts/brokers stop "$b" >&2 || true; done
}
trap cleanup EXIT

"$BIN" "$@"
