#!/usr/bin/env bash
# The interop suite: lakehouse side by side with delta-rs and Spark (see
# INTEROP.md, which this regenerates). `make interop` runs this; so does CI,
# after the unit tests. Installs the peers first when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.d/interop.sh
mkdir -p interop/out
start=$(date +%s)
status=0
go test -tags interop -count=1 -timeout 40m ./interop/ || status=$?
# Expression semantics checked against the same PySpark (every case of the
# expr semantics tables, value, type and failure).
go test -tags spark -count=1 ./delta/expr/ || status=$?
echo "interop suite: $(( $(date +%s) - start ))s; results in INTEROP.md and interop/out/results.jsonl (tables and peer logs: interop/out/run-*)"
exit $status
