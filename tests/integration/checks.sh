# checks.sh: what the shell integration tests share. Sourced, not run:
# a scratch directory ($tmp) and the processes to stop ($pids, append to
# it) cleaned up on exit; named checks that count failures; and
# finish_checks, which prints the server log on failure and exits.

tmp=$(mktemp -d)
pids=()
failures=0

cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok   $*"; }
expect_eq() { # name, got, want
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: got '$2', want '$3'"; fi
}
expect_has() { # name, haystack, needle
  case "$2" in *"$3"*) pass "$1" ;; *) fail "$1: no '$3' in '$2'" ;; esac
}
expect_lacks() { # name, haystack, needle
  case "$2" in *"$3"*) fail "$1: '$3' must not appear" ;; *) pass "$1" ;; esac
}

# Exits 0 when every check passed, else 1 after $tmp/server.log.
finish_checks() {
  if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed; server log:"
    cat "$tmp/server.log"
    exit 1
  fi
  echo "all checks passed"
}
