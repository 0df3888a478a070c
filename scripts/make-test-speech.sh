#!/usr/bin/env bash
# Makes assets/audio/speech.wav, the speech-like test signal of the audio
# benchmarks and tests: two synthetic voices (low and high pitch) reading a
# few sentences with natural pauses, 16 kHz mono 16-bit, about 10 s (small
# enough to keep in the repository). Needs espeak-ng and sox (Debian);
# rerun only to change the signal: the committed file is what runs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
espeak-ng -v en-us -p 30 -s 160 -w "$tmp/a.wav" \
  "The quick brown fox jumps over the lazy dog. Can you hear me now? \
I think the network is getting better."
espeak-ng -v en-gb -p 75 -s 170 -w "$tmp/b.wav" \
  "Yes, I can hear you clearly. Let us share the screen and look at the \
numbers together."
sox "$tmp/a.wav" "$tmp/b.wav" -r 16000 -c 1 -b 16 \
  "$top/assets/audio/speech.wav" gain -n -3
soxi "$top/assets/audio/speech.wav" | sed -n 's/^Duration *: //p'
