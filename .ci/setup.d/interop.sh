#!/usr/bin/env bash
# Installs the interop suite's peers (pinned) into .cache/venv-interop:
#   delta-rs   — the Python package deltalake, with pyarrow
#   Spark      — pyspark with delta-spark, whose jars are resolved from Maven
#                Central into .cache/ivy (pre-resolved here, reused by the suite)
# Needs a Java 17+ runtime (installed from Debian's packages when missing).
# Idempotent: a stamp file records the pinned set; nothing is redone when it matches.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYSPARK_VERSION="4.1.4"
DELTA_SPARK_VERSION="4.4.0" # the newest whose delta-spark_4.1_2.13 jar Maven Central serves
DELTALAKE_VERSION="1.6.6"
PYARROW_VERSION="22.0.0"

VENV=".cache/venv-interop"
IVY=".cache/ivy"
PINS="pyspark==$PYSPARK_VERSION delta-spark==$DELTA_SPARK_VERSION deltalake==$DELTALAKE_VERSION pyarrow==$PYARROW_VERSION"
STAMP="$VENV/.interop-pins"

if ! command -v java >/dev/null 2>&1; then
  echo "interop: installing a Java runtime"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi

if [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$PINS" ]; then
  echo "interop peers already installed in $VENV ($PINS)"
else
  PY="${PYTHON:-python3}"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  # shellcheck disable=SC2086
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check $PINS
  echo "$PINS" >"$STAMP"
  echo "installed $PINS into $VENV"
fi

# Resolve the delta-spark jars once (a Spark session that starts and stops);
# later runs find them in the ivy cache and stay off the network.
JAR="$IVY/jars/io.delta_delta-spark_${PYSPARK_VERSION%.*}_2.13-$DELTA_SPARK_VERSION.jar"
if [ -f "$JAR" ]; then
  echo "delta-spark jars already resolved in $IVY"
else
  mkdir -p "$IVY"
  TZ=UTC "$VENV/bin/python" - <<'PYEOF'
import sys
sys.path.insert(0, "interop/peers")
import spark_peer
spark = spark_peer.start_session()
print("resolved delta-spark jars; spark", spark.version)
spark.stop()
PYEOF
  [ -f "$JAR" ] || { echo "interop: expected $JAR after resolving" >&2; exit 1; }
fi
