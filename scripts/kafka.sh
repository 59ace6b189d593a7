#!/usr/bin/env bash
# Starts a single-node Apache Kafka broker (KRaft, broker and controller in
# one JVM, on 127.0.0.1) from the jars .ci/setup.d/kafka.sh caches under
# .cache/kafka/lib. Sourced by scripts/services.sh, which calls
# _lakehouse_start_kafka and stops it with the other services; exports
#
#   LAKEHOUSE_KAFKA_BROKERS=127.0.0.1:PORT
#
# A broker already answering at an exported LAKEHOUSE_KAFKA_BROKERS is
# reused. Each start formats fresh storage in a temporary directory, so
# every run begins with no topics. Needs _lakehouse_port_open from
# services.sh.

_lakehouse_free_port() {
  local port=$1
  while _lakehouse_port_open "$port"; do
    port=$((port + 1))
    if [ "$port" -gt $(($1 + 100)) ]; then
      return 1
    fi
  done
  echo "$port"
}

_lakehouse_start_kafka() {
  local root lib port cport dir pid id i
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  lib="$root/.cache/kafka/lib"

  if [ -n "${LAKEHOUSE_KAFKA_BROKERS:-}" ]; then
    port="${LAKEHOUSE_KAFKA_BROKERS##*:}"
    if _lakehouse_port_open "$port"; then
      echo "services: reusing Kafka at $LAKEHOUSE_KAFKA_BROKERS"
      return 0
    fi
    unset LAKEHOUSE_KAFKA_BROKERS
  fi
  if ! ls "$lib"/kafka_2.13-*.jar >/dev/null 2>&1 || ! command -v java >/dev/null 2>&1; then
    echo "services: Kafka not installed (bash .ci/setup.d/kafka.sh); real-broker Kafka tests will skip (and fail under CI=true)"
    return 0
  fi
  # Other test runs on this machine may hold 9092.
  port="$(_lakehouse_free_port 19092)" || { echo "services: no free port for Kafka" >&2; return 1; }
  cport="$(_lakehouse_free_port $((port + 1)))" || { echo "services: no free port for Kafka's controller" >&2; return 1; }

  dir="$(mktemp -d "${TMPDIR:-/tmp}/lakehouse-kafka.XXXXXX")"
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
default.replication.factor=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPS
  # Log to a file: "Kafka Server started" there is the readiness signal.
  cat >"$dir/log4j2.properties" <<LOG
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $dir/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
LOG
  # A cluster id is 16 random bytes in URL-safe base64 without padding;
  # one starting with "-" would be taken for an option.
  id=-
  while [ "${id#-}" != "$id" ]; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
  done
  local jvm=(java -Xms64m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1
    "-Dlog4j2.configurationFile=$dir/log4j2.properties" -cp "$lib/*")
  if ! "${jvm[@]}" kafka.tools.StorageTool format -t "$id" -c "$dir/server.properties" >"$dir/format.log" 2>&1; then
    echo "services: formatting Kafka storage failed:" >&2
    cat "$dir/format.log" >&2
    rm -rf "$dir"
    return 1
  fi
  (cd "$dir" && exec "${jvm[@]}" kafka.Kafka "$dir/server.properties" >"$dir/stdout.log" 2>&1) &
  pid=$!
  _LAKEHOUSE_SERVICE_PIDS="${_LAKEHOUSE_SERVICE_PIDS:-} $pid"
  _LAKEHOUSE_SERVICE_DIRS="${_LAKEHOUSE_SERVICE_DIRS:-} $dir"

  for i in $(seq 1 600); do
    if grep -q "Kafka Server started" "$dir/server.log" 2>/dev/null; then
      export LAKEHOUSE_KAFKA_BROKERS="127.0.0.1:$port"
      echo "services: Kafka (pid $pid) at $LAKEHOUSE_KAFKA_BROKERS"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  echo "services: Kafka did not start; its logs:" >&2
  tail -n 40 "$dir/server.log" "$dir/stdout.log" >&2 || true
  return 1
}
