#!/usr/bin/env bash
# Envelope encode+decode, native against WASM (Node) in the same run, for
# a 100-byte (audio-sized) and a 1100-byte (video-packet-sized) payload.
# Build first: bash scripts/build.sh. Prints one line per size with the
# WASM/native ratio.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../scripts/lib/emscripten-env.sh
. "$top/scripts/lib/emscripten-env.sh"
native="$top/build/native/bench/envelope_bench"
wasm="$top/build/wasm/bench/envelope_bench.js"
for size in 100 1100; do
  n=$("$native" "$size" 400000 | sed -n 's/.*ns_per_op=\([0-9.]*\).*/\1/p')
  w=$(node "$wasm" "$size" 400000 | sed -n 's/.*ns_per_op=\([0-9.]*\).*/\1/p')
  awk -v s="$size" -v n="$n" -v w="$w" 'BEGIN {
    printf "payload %5d B: native %7.1f ns  wasm %7.1f ns  wasm/native %.2fx\n",
      s, n, w, w / n }'
done
