#!/usr/bin/env bash
# room_flood_test.sh: issue 20 on the real vc-server (docs/SERVER.md
# "Limits: rooms and fan-out").
#
# 1. A meeting of N+1 over WebSocket where one participant toggles its
#    hand as fast as it can (room_flood_test.c "flood"): it is told
#    RATE_LIMITED and removed, the N others keep their call, and the bytes
#    the server writes during the flood stay bounded (/metrics). Before
#    the limits, a flood like it in a meeting of 201 made the server
#    write 413 MB and drop everyone.
# 2. One address opens its share of meetings and no more; another
#    address (127.0.0.2) still opens one ("meetings").
#
#   room_flood_test.sh <vc-server> <room_flood_test> [N]
set -u

server=$1
client=$2
n=${3:-100}
# shellcheck source=checks.sh
. "$(dirname "$0")/checks.sh"

metric() { # name: its value in $tmp/metrics, or empty
  sed -n "s/^$1 //p" "$tmp/metrics"
}
scrape() {
  curl -fsS "http://127.0.0.1:$port/metrics" >"$tmp/metrics" ||
    fail "GET /metrics"
}

start_server --max-meetings-per-address 3

# 1. The flood. The client prints "joined" when everyone is in: the
# bytes written until then are the joins', not the flood's.
"$client" "$port" flood "$n" >"$tmp/flood.out" 2>&1 &
flood_pid=$!
pids+=("$flood_pid")
for _ in $(seq 1 1200); do
  grep -q '^joined$' "$tmp/flood.out" && break
  kill -0 "$flood_pid" 2>/dev/null || break
  sleep 0.05
done
scrape
before=$(metric vc_ws_bytes_out_total)
wait "$flood_pid"
flood_rv=$?
cat "$tmp/flood.out"
[ "$flood_rv" -eq 0 ] || fail "room_flood_test flood exited $flood_rv"
scrape
after=$(metric vc_ws_bytes_out_total)
written=$((${after:-0} - ${before:-0}))
# What the limits allow: 20 toggles at once and a few more as the rate
# refills, each to N others (about 30 bytes each), the heartbeats and
# the flooder's removal: well under 1 MB for N = 100. 8 MB leaves room
# for a slow machine; without the limits it is hundreds of MB.
if [ "$written" -gt 0 ] && [ "$written" -lt 8000000 ]; then
  pass "the server wrote $written bytes during the flood (< 8 MB)"
else
  fail "the server wrote $written bytes during the flood"
fi
ml=$(grep '^vc_rate_limited_total{kind="media_state"}' "$tmp/metrics" |
  sed 's/.* //')
if [ "${ml:-0}" -gt 0 ]; then
  pass "/metrics: $ml media state changes refused"
else
  fail "/metrics: no media_state refusal counted"
fi
expect_eq "/metrics: one participant removed for flooding" \
  "$(metric vc_removed_for_flooding_total)" 1
expect_eq "/metrics: the others are still in the meeting" \
  "$(metric vc_participants)" "$n"

# 2. Meetings per address (the cap is 3 here).
mkfifo "$tmp/hold"
"$client" "$port" meetings 3 <"$tmp/hold" >"$tmp/meetings.out" 2>&1 &
meetings_pid=$!
pids+=("$meetings_pid")
exec 3>"$tmp/hold"
for _ in $(seq 1 600); do
  grep -q '^opened$' "$tmp/meetings.out" && break
  kill -0 "$meetings_pid" 2>/dev/null || break
  sleep 0.05
done
scrape
exec 3>&-
wait "$meetings_pid"
meetings_rv=$?
cat "$tmp/meetings.out"
[ "$meetings_rv" -eq 0 ] || fail "room_flood_test meetings exited $meetings_rv"
expect_eq "/metrics: one join refused for its address" \
  "$(metric vc_refused_meetings_per_address_total)" 1
expect_eq "/metrics: no join refused for a full server" \
  "$(metric vc_refused_server_full_total)" 0

kill -0 "$pid" 2>/dev/null || fail "the server died"
kill -TERM "$pid"
wait "$pid"
expect_eq "the server stops cleanly" "$?" 0
pid=
finish_checks
