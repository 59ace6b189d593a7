#!/usr/bin/env bash
# The one test command: README and CI both run this. Any failing step ends
# it with a non-zero status. Locally a test whose peer or corpus is missing
# skips and says why; with CI=true (as .ci/run sets) it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
export LAKEHOUSE_TESTDATA="${LAKEHOUSE_TESTDATA:-$(cd .. && pwd)/shared/testdata}"
# Start services the tests need (Azurite for azblob, Kafka for stream), if installed.
if [ -f scripts/services.sh ]; then
  # shellcheck disable=SC1091
  source scripts/services.sh
fi
# -race where affordable: the internal packages whole, and the delta
# tests that exercise concurrency (the full delta suite reads a million-row
# corpus table, too slow under the race detector on 2 cores). The DML
# model runs every row-level operation through the parallel writer with
# the change feed on; it found a race no narrower test did.
go test -race -count=1 ./internal/...
go test -race -count=1 -run 'Concurrent|Parallel|Race|DMLAgainstModel' ./delta/
go test -race -count=1 ./delta/expr/
# Listed first, so a failing `go list` stops the script (inside the go test
# line its status would be lost).
pkgs=$(go list ./... | grep -v /internal/)
# The conformance test's tally of how each corpus table version was checked
# (expected data, delta-rs, neither): go test shows a passing package's log
# only with -v, so the test also writes it here, printed after the run.
LAKEHOUSE_CORPUS_SUMMARY="$(mktemp)"
export LAKEHOUSE_CORPUS_SUMMARY
status=0
# LAKEHOUSE_UPDATE_RELIABILITY=1: the delta reliability tests (crash
# matrix, store faults) rewrite their generated sections of RELIABILITY.md
# from this run, so CI's copy is regenerated every time; any failing cell
# fails its test, and the grep below fails the run if a FAIL cell was
# written anyway. `git diff RELIABILITY.md` shows what changed.
# shellcheck disable=SC2086 # one package per word
LAKEHOUSE_UPDATE_RELIABILITY=1 go test -count=1 $pkgs || status=$?
if grep -n '| FAIL' RELIABILITY.md; then
  echo "RELIABILITY.md: a reliability cell failed (lines above)" >&2
  status=1
fi
cat "$LAKEHOUSE_CORPUS_SUMMARY"
rm -f "$LAKEHOUSE_CORPUS_SUMMARY"
# Bounded fuzzing of every decoder under CI (a few seconds per target), or
# whenever LAKEHOUSE_FUZZTIME asks for it (LAKEHOUSE_FUZZTIME=10m for a
# long run); `go test` above already replays each target's seed corpus.
if [ "${CI:-}" = true ] || [ -n "${LAKEHOUSE_FUZZTIME:-}" ]; then
  bash scripts/fuzz.sh || status=$?
fi
exit $status
