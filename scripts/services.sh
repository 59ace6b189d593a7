#!/usr/bin/env bash
# Starts the local services the tests use, when they are installed; meant to
# be sourced (scripts/test.sh does), so the exported variables reach
# `go test`. Quick and idempotent: a service already answering at the
# exported endpoint is reused, and a service this script started is killed
# when the sourcing shell exits.
#
#   Azurite (blob only)  installed by .ci/setup.d/azurite.sh
#                        exports LAKEHOUSE_AZURITE_ENDPOINT=http://127.0.0.1:PORT/devstoreaccount1
#   Kafka (KRaft broker) installed by .ci/setup.d/kafka.sh, started by scripts/kafka.sh
#                        exports LAKEHOUSE_KAFKA_BROKERS=127.0.0.1:PORT

_lakehouse_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

_lakehouse_start_azurite() {
  local root bin port dir pid i
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  bin="$root/.cache/azurite/node_modules/.bin/azurite-blob"

  if [ -n "${LAKEHOUSE_AZURITE_ENDPOINT:-}" ]; then
    port="${LAKEHOUSE_AZURITE_ENDPOINT#http://127.0.0.1:}"
    port="${port%%/*}"
    if _lakehouse_port_open "$port"; then
      echo "services: reusing Azurite at $LAKEHOUSE_AZURITE_ENDPOINT"
      return 0
    fi
    unset LAKEHOUSE_AZURITE_ENDPOINT
  fi
  if [ ! -x "$bin" ]; then
    echo "services: Azurite not installed (bash .ci/setup.d/azurite.sh); azblob tests will skip (and fail under CI=true)"
    return 0
  fi

  # First free port from 10000 up: other test runs on this machine may hold one.
  port=10000
  while _lakehouse_port_open "$port"; do
    port=$((port + 1))
    if [ "$port" -gt 10100 ]; then
      echo "services: no free port for Azurite in 10000-10100" >&2
      return 1
    fi
  done

  dir="$(mktemp -d "${TMPDIR:-/tmp}/lakehouse-azurite.XXXXXX")"
  # In-memory persistence: nothing to clean up but the log, and fast. The
  # subshell's cd keeps any stray file Azurite writes out of the checkout.
  (cd "$dir" && exec "$bin" --blobHost 127.0.0.1 --blobPort "$port" \
    --inMemoryPersistence --skipApiVersionCheck --loose --silent \
    >"$dir/azurite.log" 2>&1) &
  pid=$!
  _LAKEHOUSE_SERVICE_PIDS="${_LAKEHOUSE_SERVICE_PIDS:-} $pid"
  _LAKEHOUSE_SERVICE_DIRS="${_LAKEHOUSE_SERVICE_DIRS:-} $dir"

  for i in $(seq 1 200); do
    if _lakehouse_port_open "$port"; then
      export LAKEHOUSE_AZURITE_ENDPOINT="http://127.0.0.1:$port/devstoreaccount1"
      echo "services: Azurite (pid $pid) at $LAKEHOUSE_AZURITE_ENDPOINT"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  echo "services: Azurite did not start; its log:" >&2
  cat "$dir/azurite.log" >&2 || true
  return 1
}

_lakehouse_stop_services() {
  local pid dir
  for pid in ${_LAKEHOUSE_SERVICE_PIDS:-}; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for dir in ${_LAKEHOUSE_SERVICE_DIRS:-}; do
    rm -rf "$dir"
  done
  _LAKEHOUSE_SERVICE_PIDS=""
  _LAKEHOUSE_SERVICE_DIRS=""
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  echo "services.sh is meant to be sourced: source scripts/services.sh" >&2
  exit 2
fi

if [ -z "${_LAKEHOUSE_SERVICES_TRAP:-}" ]; then
  # Keep whatever EXIT trap the sourcing shell already has.
  _lakehouse_prev_trap="$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")"
  # shellcheck disable=SC2064
  trap "_lakehouse_stop_services${_lakehouse_prev_trap:+; $_lakehouse_prev_trap}" EXIT
  _LAKEHOUSE_SERVICES_TRAP=1
fi
_lakehouse_start_azurite
# shellcheck source=scripts/kafka.sh
source "$(dirname "${BASH_SOURCE[0]}")/kafka.sh"
_lakehouse_start_kafka
