#!/usr/bin/env bash
# The one test command: README and CI both run this.
set -euo pipefail
cd "$(dirname "$0")/.."
export LAKEHOUSE_TESTDATA="${LAKEHOUSE_TESTDATA:-$(cd .. && pwd)/shared/testdata}"
# Start services the tests need (Azurite for azblob), if installed.
if [ -x scripts/services.sh ]; then
  # shellcheck disable=SC1091
  source scripts/services.sh
fi
# -race where affordable: the pure protocol and storage packages.
go test -race -count=1 ./internal/... 
go test -count=1 ./...
