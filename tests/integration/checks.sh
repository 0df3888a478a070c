# checks.sh: what the shell integration tests share. Sourced, not run:
# a scratch directory ($tmp) and the processes to stop ($pids, append to
# it) cleaned up on exit; start_server; named checks that count
# failures; and finish_checks, which prints the server log on failure
# and exits.

tmp=$(mktemp -d)
pids=()
failures=0

cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# Starts $server (set by the caller) on free ports, serving $root (set by
# the caller; $tmp/root, made with an index page, when unset), with the
# extra flags given, its stderr appended to $tmp/server.log. Sets $pid,
# $port (from the "listening on http[s]://localhost:PORT/" line) and
# $wt_port (from "WebTransport on UDP port N", empty without one). Exits
# when no listening line comes within 5 s.
start_server() {
  local out=$tmp/out.$RANDOM
  if [ -z "${root:-}" ]; then
    root=$tmp/root
    mkdir -p "$root"
    echo '<!doctype html><title>start page</title>' >"$root/index.html"
  fi
  "$server" --port 0 --web-root "$root" --log-level warn "$@" \
    >"$out" 2>>"$tmp/server.log" &
  pid=$!
  pids+=("$pid")
  port=
  wt_port=
  for _ in $(seq 1 100); do
    port=$(sed -n 's|.*listening on https*://localhost:\([0-9]*\)/.*|\1|p' \
      "$out")
    wt_port=$(sed -n 's|^WebTransport on UDP port \([0-9]*\)$|\1|p' "$out")
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  echo "FAIL: no listening line from $server"; cat "$out" "$tmp/server.log"
  exit 1
}

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
