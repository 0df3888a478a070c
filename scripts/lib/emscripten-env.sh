# Sourced by scripts that run emcc, emcmake or WASM tests under Node.
# Debian's emscripten 3.1.6 with Node 20 needs two variables
# (docs/SETUP.md): acorn from Debian's node path for emcc's optimizer, and
# no fetch() in Node so emcc's output reads its .wasm from disk. EM_CACHE is
# a writable copy of Debian's prebuilt system libraries.
export NODE_PATH=/usr/share/nodejs
export NODE_OPTIONS=--no-experimental-fetch
export EM_CACHE="${EM_CACHE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.cache/emscripten}"
