#!/usr/bin/env bash
# Runs every test under the race detector, with a goroutine-leak check in
# every package's TestMain: go vet, the pure-Go packages, then everything else
# (the end-to-end tests build onair with -race too, and start nginx-rtmp,
# srt-live-transmit, Xvfb, headless Chromium and ffprobe themselves). Ends with one summary
# line; exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Packages without cgo: several at a time.
pure_pkgs=(./capture ./capture/audio ./encoder ./outputs ./outputs/flv ./overlay ./studio)
mapfile -t other_pkgs < <(go list ./... | grep -v -x -e onair/capture -e onair/capture/audio -e onair/encoder -e onair/outputs -e onair/outputs/flv -e onair/overlay -e onair/studio)

status=0
step() { # step NAME CMD...: runs CMD, its output into the log, and shows the verdicts
  echo "== $1"
  shift
  "$@" >"$log.part" 2>&1
  local rc=$?
  cat "$log.part" >>"$log"
  grep -E '^(ok|FAIL|---|panic)|^\s+--- (FAIL|SKIP)|^\s+\S+_test\.go:|^#|\.go:[0-9]+:[0-9]+: |^\s*(fuzzing process|Failing input|failure while|To re-run)' "$log.part"
  rm -f "$log.part"
  [ "$rc" -eq 0 ] || status=1
}

step "go vet" go vet ./...
step "go test -race (pure Go)" go test -race -count=1 -v "${pure_pkgs[@]}"
# One package at a time: the end-to-end tests broadcast in real time, and two
# encoders racing for two cores would make them miss frames.
step "go test -race (libav, protocols, studio, window, end to end)" go test -race -p 1 -count=1 -timeout 40m -v "${other_pkgs[@]}"
# The chat flood over real sockets runs without the race detector (an
# instrumented JSON parser cannot take 10,000 messages a second on 2 cores;
# TestHubFlood runs the same rate through the hub under -race above).
step "chat flood (10,000 messages a second, no race detector)" go test -count=1 -v -run '^TestFloodOverSockets$' ./studio/chat
# make soak's short run (results in a temp dir it names).
# Three minutes are still inside the warm-up of memory (C's queue grows for
# minutes, bounded): RSS may move by more than the hour's 2 MB here, a leak
# of the hour's kind would not stay under 16 MB; goroutines, fds, reconnects
# and the recording are held to the hour's limits.
step "soak (3 min)" go run ./bench/soak -duration 3m -rss-growth-mb 16

# Each fuzz target a fixed number of inputs on top of its seed corpus (the go
# test steps ran the corpus already), about 5 s each on one core (make test stays under 20 minutes); a failing
# input lands in testdata/fuzz. A count, not -fuzztime 10s: when the time runs
# out at the wrong moment the fuzzer reports "context deadline exceeded" as
# a failure.
fuzz_bounded() {
  local rc=0 t
  for t in outputs:FuzzParseTarget:100000 studio:FuzzLoadProfile:10000 studio:FuzzParseDestFlag:100000 studio:FuzzParseCommand:100000 studio/chat:FuzzParseTwitch:30000 studio/chat:FuzzParseKick:15000 studio/chat:FuzzParseOwncast:15000 \
    studio/chat:FuzzParseChaturbate:15000 studio/chat:FuzzParseYouTube:15000 studio/chat:FuzzParseGeneric:15000 \
    outputs/flv:FuzzWriter:50000 outputs/flv:FuzzHEVCDecoderConfig:50000; do
    IFS=: read -r pkg name n <<<"$t"
    go test -run XXX -fuzz "^${name}\$" -fuzztime "${n}x" -parallel 1 "./${pkg}" || rc=1
  done
  return "$rc"
}
step "fuzz (bounded)" fuzz_bounded

# make install into a scratch prefix: both programs, a desktop entry that
# validates and starts the installed onair-studio, the icon.
install_check() {
  local prefix rc=0
  prefix=$(mktemp -d)
  if ! make -s install PREFIX="$prefix" >/dev/null; then
    echo "--- FAIL: install/make (make install PREFIX=$prefix failed)"
    rm -rf "$prefix"
    return 1
  fi
  local desktop="$prefix/share/applications/studio.onair.app.desktop"
  if out=$(desktop-file-validate "$desktop" 2>&1) && [ -z "$out" ]; then
    echo "--- PASS: install/desktop-entry-valid"
  else
    echo "--- FAIL: install/desktop-entry-valid: $out"; rc=1
  fi
  if grep -qx "Exec=$prefix/bin/onair-studio" "$desktop" && [ -x "$prefix/bin/onair-studio" ]; then
    echo "--- PASS: install/desktop-entry-starts-the-studio"
  else
    echo "--- FAIL: install/desktop-entry-starts-the-studio: $(grep ^Exec "$desktop")"; rc=1
  fi
  if [ -s "$prefix/share/icons/hicolor/256x256/apps/studio.onair.app.png" ] && "$prefix/bin/onair" help 2>&1 | grep -q "onair live"; then
    echo "--- PASS: install/icon-and-cli"
  else
    echo "--- FAIL: install/icon-and-cli"; rc=1
  fi
  rm -rf "$prefix"
  return "$rc"
}
step "install (desktop entry)" install_check

passed=$(grep -cE '^\s*--- PASS' "$log")
failed=$(grep -cE '^\s*--- FAIL' "$log")
skipped=$(grep -cE '^\s*--- SKIP' "$log")
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # vet, a build or a panic failed outside any test
fi
full="${TMPDIR:-/tmp}/onair-test.log"
cp "$log" "$full" && echo "full output: $full"
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
