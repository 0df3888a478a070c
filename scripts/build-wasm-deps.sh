#!/usr/bin/env bash
# Builds libopus, libsodium and the protobuf-c runtime for WebAssembly from
# Debian's own source packages, with Debian's emscripten.
#
# The result is installed into .cache/wasm-deps/<key>/{include,lib}, where the
# key is made of the source versions, the emscripten version and this
# script's own text, so any change to either rebuilds and a re-run with
# nothing changed takes well under a second. .cache/wasm-deps/current points
# at the prefix in use; cmake/wasm.cmake reads it.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache="$top/.cache/wasm-deps"
log() { printf '[wasm-deps] %s\n' "$*"; }

# shellcheck source=lib/emscripten-env.sh
. "$top/scripts/lib/emscripten-env.sh"

# Binary package -> "source-package version" of what is installed.
source_of() {
  dpkg-query -W -f='${source:Package} ${source:Version}\n' "$1"
}

opus_src=$(source_of libopus-dev)
sodium_src=$(source_of libsodium-dev)
pbc_src=$(source_of libprotobuf-c-dev)
emcc_ver=$(dpkg-query -W -f='${Version}' emscripten)
key=$(printf '%s\n' "$opus_src" "$sodium_src" "$pbc_src" "$emcc_ver" |
  cat - "$0" | sha256sum | cut -c1-16)
prefix="$cache/$key"

if [ -f "$prefix/.complete" ]; then
  ln -sfn "$key" "$cache/current"
  log "cached: $prefix"
  exit 0
fi

# Emscripten's prebuilt system libraries live in Debian's read-only cache;
# a writable copy lets emcc add anything it has to build on first use.
if [ ! -d "$EM_CACHE" ]; then
  mkdir -p "$(dirname "$EM_CACHE")"
  cp -a /usr/share/emscripten/cache "$EM_CACHE" 2>/dev/null ||
    mkdir -p "$EM_CACHE"
fi

log "building into $prefix ($opus_src; $sodium_src; $pbc_src)"
work="$cache/work-$key"
rm -rf "$work" "$prefix"
mkdir -p "$work" "$prefix/include" "$prefix/lib"
cd "$work"

fetch_source() { # $1 = "package version"
  local pkg=${1% *} ver=${1#* }
  apt-get source -qq --only-source "$pkg=$ver" >/dev/null 2>&1 || {
    echo "wasm-deps: 'apt-get source $pkg=$ver' failed (is deb-src on?)" >&2
    exit 1
  }
  # The unpacked directory is named <pkg>-<upstream version>.
  find . -maxdepth 1 -type d -name "$pkg-*" | head -n1
}

jobs=$(nproc)
cflags="-O2"

# libopus is nearly all of the audio pipeline's time (docs/BENCHMARKS.md,
# native against WASM). Two changes from the defaults, each measured:
# - opus assumes 64-bit integers are slow on any ILP32 target and splits
#   every 32x16 multiply in two; WebAssembly has native i64 arithmetic,
#   so celt/arch.h is told so (OPUS_FAST_INT64, as on x86-64);
# - -O3 -msimd128: clang vectorises its float loops (every browser with
#   WebTransport has WebAssembly SIMD).
opus_cflags="-O3 -msimd128"

build_opus() {
  local dir
  dir=$(fetch_source "$opus_src")
  sed -i 's/^#if defined(__x86_64__) || defined(__LP64__) || defined(_WIN64)$/& || defined(__wasm__)/' \
    "$dir/celt/arch.h"
  grep -q '__wasm__' "$dir/celt/arch.h" || {
    echo "wasm-deps: celt/arch.h has changed; OPUS_FAST_INT64 not set" >&2
    exit 1
  }
  (cd "$dir" &&
    CFLAGS="$opus_cflags" emconfigure ./configure --prefix="$prefix" \
      --disable-shared --enable-static --disable-extra-programs \
      --disable-doc --disable-intrinsics --disable-rtcd \
      --disable-stack-protector >/dev/null &&
    emmake make -j"$jobs" >/dev/null && emmake make install >/dev/null)
}

build_sodium() {
  local dir
  dir=$(fetch_source "$sodium_src")
  # The Debian source carries no configure script; autogen.sh would try to
  # download config.sub, so regenerate with the installed autotools.
  (cd "$dir" && autoreconf -fi >/dev/null 2>&1 &&
    CFLAGS="$cflags" emconfigure ./configure --prefix="$prefix" \
      --disable-shared --enable-static --enable-minimal --without-pthreads \
      --disable-ssp --disable-asm --disable-pie >/dev/null &&
    emmake make -j"$jobs" >/dev/null && emmake make install >/dev/null)
}

build_protobuf_c() {
  local dir
  dir=$(fetch_source "$pbc_src")
  (cd "$dir" &&
    emcc $cflags -I. -c protobuf-c/protobuf-c.c -o protobuf-c.o &&
    emar rcs "$prefix/lib/libprotobuf-c.a" protobuf-c.o &&
    mkdir -p "$prefix/include/protobuf-c" &&
    cp protobuf-c/protobuf-c.h "$prefix/include/protobuf-c/")
}

build_opus
log "libopus done"
build_sodium
log "libsodium done"
build_protobuf_c
log "protobuf-c done"

cd "$top"
rm -rf "$work"
printf '%s\n' "$opus_src" "$sodium_src" "$pbc_src" "emscripten $emcc_ver" \
  >"$prefix/VERSIONS"
touch "$prefix/.complete"
ln -sfn "$key" "$cache/current"
log "installed: $prefix"
