#!/usr/bin/env bash
# Runs every test: native unit tests, corpus replays and integration tests
# under ctest, the same unit tests compiled to WebAssembly under Node, then
# the Playwright end-to-end specs in Debian's Chromium. Installs and builds
# first. Ends with one line: "N passed, N failed" over all of them; the
# exit status is nonzero when anything failed.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

scripts/setup.sh || exit 1
scripts/build.sh || exit 1
# shellcheck source=lib/emscripten-env.sh
. scripts/lib/emscripten-env.sh

passed=0
failed=0

# Adds the counts from ctest's "N% tests passed, F tests failed out of T".
run_ctest() { # $1 = build dir, $2 = label, then extra ctest arguments
  local dir=$1 label=$2 out total bad
  shift 2
  echo "== ctest: $label"
  out=$(ctest --test-dir "$dir" --output-on-failure "$@" 2>&1)
  printf '%s\n' "$out"
  read -r bad total < <(printf '%s\n' "$out" |
    sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1 \2/p')
  if [ -z "${total:-}" ]; then
    echo "test: ctest in $dir printed no summary" >&2
    failed=$((failed + 1))
    return
  fi
  passed=$((passed + total - bad))
  failed=$((failed + bad))
}

run_ctest build/native "native"
# Style checks ran above; the ASan tree repeats only the behaviour tests.
ASAN_OPTIONS=detect_leaks=1 run_ctest build/asan "native, ASan + UBSan" \
  -E '^style[.]'
run_ctest build/wasm "wasm (Node)"

echo "== playwright (e2e/, /usr/bin/chromium)"
results=build/e2e/results.json
rm -f "$results"
# Playwright needs Node's fetch, which the emscripten variables turn off.
env -u NODE_OPTIONS -u NODE_PATH \
  node_modules/.bin/playwright test -c e2e/playwright.config.mjs
if [ -f "$results" ]; then
  read -r e2e_pass e2e_fail < <(node -e '
    const s = require(process.argv[1]).stats;
    console.log(s.expected + " " + (s.unexpected + s.flaky));' \
    "$(pwd)/$results")
  passed=$((passed + e2e_pass))
  failed=$((failed + e2e_fail))
else
  echo "test: Playwright wrote no results" >&2
  failed=$((failed + 1))
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
