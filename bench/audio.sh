#!/usr/bin/env bash
# Audio: the jitter buffer against a fixed 80 ms buffer on every network
# profile (tests/netem), then the same audio pipeline (Opus encode, jitter
# buffer, Opus decode of 60 s of speech) timed natively and in WASM under
# Node in one run, as a ratio. Build first: bash scripts/build.sh.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../scripts/lib/emscripten-env.sh
. "$top/scripts/lib/emscripten-env.sh"
native="$top/build/native/bench/audio_jitter_bench"
wasm="$top/build/wasm/bench/audio_jitter_bench.js"
speech="$top/assets/audio/speech.wav"

"$native" "$@" "$speech"
echo
# Five runs, native and WASM in turn; the machine is shared, so the
# fastest run of each is the figure (the slowest ones measure the
# neighbours), with every pair's ratio beside it.
best_n='' best_w=''
for run in 1 2 3 4 5; do
  n=$("$native" -P 60 "$speech" | awk '{ print $6 }')
  w=$(node "$wasm" -P 60 "$speech" | awk '{ print $6 }')
  # fields: audio pipeline N frames ns_per_frame X nonzero Y
  awk -v n="$n" -v w="$w" -v r="$run" 'BEGIN {
    printf "pipeline run %d: native %6.0f ns per 20 ms frame, wasm %6.0f ns (%.2fx)\n",
      r, n, w, w / n }'
  if [ -z "$best_n" ] || [ "$n" -lt "$best_n" ]; then best_n=$n; fi
  if [ -z "$best_w" ] || [ "$w" -lt "$best_w" ]; then best_w=$w; fi
done
awk -v n="$best_n" -v w="$best_w" 'BEGIN {
  printf "pipeline fastest of 5: native %.0f ns, wasm %.0f ns per frame: %.2fx\n",
    n, w, w / n }'
