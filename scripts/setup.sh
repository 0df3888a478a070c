#!/usr/bin/env bash
# Installs everything the project needs on a Debian 12 machine, and does
# nothing that is already done: Debian packages, the pinned npm packages, and
# the WASM builds of libopus, libsodium and the protobuf-c runtime (built from
# Debian's own source packages, cached by version in .cache/wasm-deps/).
#
# Only Debian's apt and the npm registry are reachable from our machines, so
# nothing here downloads from anywhere else. Safe to run again and again.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

log() { printf '[setup] %s\n' "$*"; }

# Run as root when we are not (CI and dev machines are root already).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Packages, grouped by who needs them. Keep in sync with docs/SETUP.md.
apt_build=(build-essential cmake ninja-build pkg-config clang clang-format
  clang-tidy libclang-rt-14-dev curl openssl)
apt_core=(protobuf-c-compiler libprotobuf-c-dev libopus-dev libsodium-dev)
apt_server=(libev-dev libgnutls28-dev libngtcp2-dev libngtcp2-crypto-gnutls-dev
  libnghttp3-dev libnats-dev nats-server)
apt_wasm=(emscripten dpkg-dev autoconf automake libtool)
apt_browser=(chromium libnss3-tools)
apt_packages=("${apt_build[@]}" "${apt_core[@]}" "${apt_server[@]}"
  "${apt_wasm[@]}" "${apt_browser[@]}")

missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
      grep -q '^install ok installed$' || printf '%s\n' "$p"
  done
}

install_apt_packages() {
  local missing
  mapfile -t missing < <(missing_packages "${apt_packages[@]}")
  if [ "${#missing[@]}" -eq 0 ]; then
    log "Debian packages: all present"
    return
  fi
  log "Debian packages: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null
}

# deb-src entries are derived from the machine's own deb entries, so no mirror
# name is ever written by us (ENVIRONMENT.md).
enable_deb_src() {
  local src=/etc/apt/sources.list.d/debian.sources
  local dst=/etc/apt/sources.list.d/debian-src.sources
  [ -f "$dst" ] && return
  if [ -f "$src" ]; then
    sed 's/^Types: deb$/Types: deb-src/' "$src" | as_root tee "$dst" >/dev/null
  elif [ -f /etc/apt/sources.list ]; then
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list |
      as_root tee /etc/apt/sources.list.d/debian-src.list >/dev/null
  else
    echo "setup: no apt sources file to derive deb-src from" >&2
    exit 1
  fi
  as_root apt-get update -qq
}

# npm packages are pinned in package-lock.json; reinstall only when the lock
# file changed since the last install.
install_npm_packages() {
  local stamp=node_modules/.vc-lock-sha256
  local want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    log "npm packages: up to date"
    return
  fi
  log "npm packages: installing from package-lock.json"
  # Playwright must never fetch a browser: we drive Debian's /usr/bin/chromium.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund \
    --loglevel=error
  printf '%s\n' "$want" >"$stamp"
}

install_apt_packages
enable_deb_src
install_npm_packages
"$top/scripts/build-wasm-deps.sh"
log "done"
