#!/usr/bin/env bash
# Frame encryption: overhead and time to seal and open, native against
# WASM (Node) in the same run, for a 20 ms Opus packet (100 B) and a 720p
# video frame (20 KB). Build first: bash scripts/build.sh.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../scripts/lib/emscripten-env.sh
. "$top/scripts/lib/emscripten-env.sh"
native="$top/build/native/bench/e2ee_bench"
wasm="$top/build/wasm/bench/e2ee_bench.js"
for size in 100 20000; do
  iters=$((size < 1000 ? 200000 : 20000))
  n=$("$native" "$size" "$iters")
  w=$(node "$wasm" "$size" "$iters")
  awk -v s="$size" -v n="$n" -v w="$w" 'BEGIN {
    split(n, a, /[ =]/); split(w, b, /[ =]/)
    # fields: e2ee payload N overhead B seal_ns X open_ns Y
    printf "payload %6d B: overhead %d B; seal native %8.0f ns wasm %8.0f ns (%.2fx); open native %8.0f ns wasm %8.0f ns (%.2fx)\n",
      s, a[5], a[7], b[7], b[7] / a[7], a[9], b[9], b[9] / a[9] }'
done
