#!/usr/bin/env bash
# Installs the Azurite blob emulator (npm, MIT) for the azblob storage tests.
# Idempotent: does nothing when the pinned version is already installed under
# .cache/azurite. scripts/services.sh starts it; the tests find it through
# LAKEHOUSE_AZURITE_ENDPOINT.
#
# 3.35.0 is pinned because its package.json declares node >=10, so it stays
# inside its declared engines on the node 20 the CI machine has (3.37.0 also
# works but declares node >=22).
set -euo pipefail
cd "$(dirname "$0")/../.."

AZURITE_VERSION=3.35.0
dir=.cache/azurite
stamp="$dir/installed-$AZURITE_VERSION"

if [ -f "$stamp" ] && [ -x "$dir/node_modules/.bin/azurite-blob" ]; then
  echo "azurite $AZURITE_VERSION already installed in $dir"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "azurite.sh: npm not found; install node.js to run the Azure storage tests" >&2
  exit 1
fi

rm -rf "$dir"
mkdir -p "$dir"
printf '{"name":"lakehouse-azurite","private":true}\n' >"$dir/package.json"
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION"
"$dir/node_modules/.bin/azurite-blob" --version
touch "$stamp"
