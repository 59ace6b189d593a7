#!/usr/bin/env bash
# Installs the real MLflow (pinned) into a venv under .cache/ for the mlflow
# package's compatibility tests: the Go tests start `mlflow server` from it and
# run Python MlflowClient assertions against what the Go code wrote.
# Idempotent: does nothing when the venv already holds this exact version.
set -euo pipefail
cd "$(dirname "$0")/../.."

MLFLOW_VERSION="3.17.2"
VENV=".cache/venv-mlflow"

if [ -x "$VENV/bin/python" ] &&
  [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("mlflow"))' 2>/dev/null)" = "$MLFLOW_VERSION" ]; then
  echo "mlflow $MLFLOW_VERSION already installed in $VENV"
  exit 0
fi

PY="${PYTHON:-python3}"
rm -rf "$VENV"
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "mlflow==$MLFLOW_VERSION"
"$VENV/bin/python" -c 'import mlflow; print("installed mlflow", mlflow.__version__)'
