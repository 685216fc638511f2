#!/usr/bin/env bash
# Runs every test: go vet, the pure-Go packages under the race detector, then
# everything else (the end-to-end tests start nginx-rtmp, srt-live-transmit,
# Xvfb and ffprobe themselves). Ends with one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Packages without cgo: the race detector runs them fast.
race_pkgs=(./capture ./encoder ./outputs ./outputs/flv ./overlay)
mapfile -t other_pkgs < <(go list ./... | grep -v -x -e onair/capture -e onair/encoder -e onair/outputs -e onair/outputs/flv -e onair/overlay)

status=0
echo "== go vet"
go vet ./... || status=1
echo "== go test -race (pure Go)"
go test -race -count=1 -v "${race_pkgs[@]}" 2>&1 | tee -a "$log" | grep -E '^(ok|FAIL|---|panic)|^\s+--- FAIL' || true
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
echo "== go test (libav, outputs, studio, window, end to end)"
go test -count=1 -timeout 30m -v "${other_pkgs[@]}" 2>&1 | tee -a "$log" | grep -E '^(ok|FAIL|---|panic)|^\s+--- (FAIL|SKIP)|^\s+\S+_test.go:' || true
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

passed=$(grep -cE '^\s*--- PASS' "$log")
failed=$(grep -cE '^\s*--- FAIL' "$log")
skipped=$(grep -cE '^\s*--- SKIP' "$log")
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # vet, a build or a panic failed outside any test
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
