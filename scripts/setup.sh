#!/usr/bin/env bash
# Installs the Debian packages onair needs, and only those that are missing.
#   scripts/setup.sh build   what `make run` needs: Go, cgo toolchain, FFmpeg, libsrt, GL/X11 headers
#   scripts/setup.sh test    the above plus the real peers the tests talk to (headless
#                            Chromium is the WebRTC peer; and
#                            node-media-server from npm, pinned by scripts/nms/package-lock.json,
#                            into ~/.cache/onair/node-media-server)
# Silent and quick when everything is already there.
set -euo pipefail

build_pkgs=(pkg-config gcc libc6-dev libavcodec-dev libavformat-dev libavfilter-dev libavdevice-dev
  libswscale-dev libswresample-dev libavutil-dev libsrt-openssl-dev libgl1-mesa-dev xorg-dev)
test_pkgs=(ffmpeg srt-tools nginx-light libnginx-mod-rtmp libnginx-mod-stream xvfb x11-utils fonts-dejavu-core
  pulseaudio pulseaudio-utils sox desktop-file-utils dbus-daemon gnome-keyring chromium)

want=("${build_pkgs[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${test_pkgs[@]}") ;;
  *) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

missing=()
if [ "${1:-build}" = test ]; then
  # Node.js may come from elsewhere (nodesource bundles npm): ask for the
  # Debian packages only when the commands are missing.
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
fi
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "setup: missing packages ${missing[*]}, and this is not a Debian system: install them by hand" >&2
    exit 1
  fi
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
      echo "setup: missing packages ${missing[*]}; run as root or install sudo" >&2
      exit 1
    fi
    sudo=(sudo)
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  # Installing nginx must not start a system web server: keep services down.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod +x "$policy"
    trap '"${sudo[@]}" rm -f "$policy"' EXIT
  fi
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v go >/dev/null; then
  echo "setup: Go is not installed (or not on PATH): onair needs Go 1.26 — see https://go.dev/doc/install" >&2
  exit 1
fi

if [ "${1:-build}" = test ]; then
  # node-media-server 4.x: the Enhanced RTMP (HEVC) peer. npm ci from our
  # lock file, again only when the lock file changed.
  here=$(cd "$(dirname "$0")" && pwd)
  nms="${ONAIR_NMS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/onair/node-media-server}"
  if ! cmp -s "$here/nms/package-lock.json" "$nms/package-lock.json" || [ ! -f "$nms/node_modules/node-media-server/package.json" ]; then
    echo "setup: installing node-media-server into $nms"
    mkdir -p "$nms"
    cp "$here/nms/package.json" "$here/nms/package-lock.json" "$nms/"
    (cd "$nms" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
fi
