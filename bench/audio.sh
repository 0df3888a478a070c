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
for run in 1 2 3; do
  n=$("$native" -P 60 "$speech")
  w=$(node "$wasm" -P 60 "$speech")
  awk -v n="$n" -v w="$w" -v r="$run" 'BEGIN {
    split(n, a, " "); split(w, b, " ")
    # fields: audio pipeline N frames ns_per_frame X nonzero Y
    printf "pipeline run %d: native %6.0f ns per 20 ms frame, wasm %6.0f ns (%.2fx)\n",
      r, a[6], b[6], b[6] / a[6] }'
done
