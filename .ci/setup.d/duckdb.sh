#!/usr/bin/env bash
# Installs DuckDB (pinned) into a venv under .cache/ for the medallion
# example's test: it recomputes the gold table from the raw JSON files with
# DuckDB, an engine that shares no code with this library, and compares.
# Idempotent: does nothing when the venv already holds this exact version.
set -euo pipefail
cd "$(dirname "$0")/../.."

DUCKDB_VERSION="2.0.1"
VENV=".cache/venv-duckdb"

if [ -x "$VENV/bin/python" ] &&
  [ "$("$VENV/bin/python" -c 'import duckdb; print(duckdb.__version__)' 2>/dev/null)" = "$DUCKDB_VERSION" ]; then
  echo "duckdb $DUCKDB_VERSION already installed in $VENV"
  exit 0
fi

PY="${PYTHON:-python3}"
rm -rf "$VENV"
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "duckdb==$DUCKDB_VERSION"
"$VENV/bin/python" -c 'import duckdb; print("installed duckdb", duckdb.__version__)'
