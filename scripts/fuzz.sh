#!/usr/bin/env bash
# Bounded fuzzing of every decoder's fuzz target: each `func Fuzz…` in the
# module (except the interop suite's, whose TestMain starts the peer suite)
# runs for LAKEHOUSE_FUZZTIME (default 3s; with about 4s of linking and
# baseline coverage per target, the 25 targets take under three minutes on
# 2 cores once built). For a long run: LAKEHOUSE_FUZZTIME=10m bash scripts/fuzz.sh
# Optional arguments restrict the run to targets whose name matches one of
# them (grep -E). A failing target leaves its input under the package's
# testdata/fuzz/<target>/: commit it, and it becomes a seed corpus entry
# every `go test` replays.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${LAKEHOUSE_FUZZTIME:-3s}"
filter="${*:-.}"
filter="${filter// /|}"

# "dir target" pairs, sorted, one a line.
targets=$(grep -rE --include='*_test.go' -o '^func (Fuzz[A-Za-z0-9_]+)' . \
  | grep -v -e '^\./\.cache/' -e '^\./interop/' \
  | sed -E 's#^(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]+)$#\1 \2#' \
  | grep -E " (${filter})" | sort -u)
if [ -z "$targets" ]; then
  echo "fuzz: no target matches ${filter}" >&2
  exit 1
fi

start=$(date +%s)
failed=()
n=0
while read -r dir target; do
  n=$((n + 1))
  echo "== fuzz ${dir#./} ${target} (${fuzztime})"
  log="${TMPDIR:-/tmp}/fuzz-$$.log"
  ok=true
  go test -count=1 -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$dir" >"$log" 2>&1 || ok=false
  # Go's fuzzing engine can end a clean run with "context deadline
  # exceeded" when the time runs out mid-input on a loaded machine; only
  # a run that found an input is a finding, so such a run is retried once.
  if ! $ok && ! grep -q 'Failing input written' "$log" && grep -q 'context deadline exceeded' "$log"; then
    echo "fuzz: ${target}: deadline flake, retrying once"
    ok=true
    go test -count=1 -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$dir" >"$log" 2>&1 || ok=false
  fi
  if ! $ok; then
    cat "$log"
    failed+=("${dir#./}:${target}")
  else
    tail -n 1 "$log"
  fi
done <<<"$targets"
rm -f "${TMPDIR:-/tmp}/fuzz-$$.log"
echo "fuzz: ${n} targets, ${fuzztime} each, $(($(date +%s) - start))s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (the failing inputs are under each package's testdata/fuzz/)" >&2
  exit 1
fi
