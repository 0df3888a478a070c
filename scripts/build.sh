#!/usr/bin/env bash
# Builds everything, incrementally: the native tree (core, server, tests),
# the WebAssembly tree (browser module, the same tests for Node) and the
# served web root build/web (pages, JS, the WASM module, Tailwind's CSS).
# Assumes scripts/setup.sh has run. A tree is configured once (when it has
# no build.ninja yet); after that ninja re-runs CMake when a CMakeLists.txt
# changes.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck source=lib/emscripten-env.sh
. scripts/lib/emscripten-env.sh
log() { printf '[build] %s\n' "$*"; }

if [ ! -f build/native/build.ninja ]; then
  cmake -S . -B build/native -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DVC_WERROR=ON >/dev/null
fi
log "native"
cmake --build build/native

# The same tree under AddressSanitizer + UBSan: every unit test and corpus
# replay runs checked too (scripts/test.sh). Skipped by VC_NO_ASAN=1.
if [ "${VC_NO_ASAN:-0}" != 1 ]; then
  if [ ! -f build/asan/build.ninja ]; then
    cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug \
      -DVC_ASAN=ON >/dev/null
  fi
  log "native, ASan + UBSan"
  cmake --build build/asan
fi

if [ ! -f build/wasm/build.ninja ]; then
  emcmake cmake -S . -B build/wasm -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DVC_WERROR=ON >/dev/null
fi
log "wasm"
cmake --build build/wasm

# The web root is rebuilt whole each time (it takes about a second) so no
# file deleted from web/ lingers in it.
log "web root"
rm -rf build/web.new
mkdir -p build/web.new/js/wasm build/web.new/css
cp -r web/*.html web/js assets/icons build/web.new/
cp build/wasm/src/wasm/vc_core.mjs build/wasm/src/wasm/vc_core.wasm \
  build/web.new/js/wasm/
node_modules/.bin/tailwindcss -i web/styles/input.css \
  -o build/web.new/css/app.css --minify 2>/dev/null
rm -rf build/web
mv build/web.new build/web
log "done"
