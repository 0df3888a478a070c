#!/usr/bin/env bash
# ws_flood_test.sh: one WebSocket participant floods small envelopes
# while others keep their call (ws_flood_test.c), and /healthz keeps
# answering meanwhile (issue 20, finding 1).
#
#   ws_flood_test.sh <vc-server> <ws_flood_test> [seconds]
set -u

server=$1
client=$2
seconds=${3:-8}
# shellcheck source=checks.sh
. "$(dirname "$0")/checks.sh"

start_server --no-webtransport

"$client" "$port" "$seconds" >"$tmp/client.out" 2>&1 &
cpid=$!
pids+=("$cpid")
# /healthz once a second while the flood lasts; 4 s each is generous on
# a loaded machine and still short of the whole flood.
sleep 2
probes=0
late=0
while kill -0 "$cpid" 2>/dev/null && [ "$probes" -lt "$((seconds - 3))" ]; do
  curl -fsS --max-time 4 "http://127.0.0.1:$port/healthz" >/dev/null ||
    late=$((late + 1))
  probes=$((probes + 1))
  sleep 1
done
wait "$cpid"
rv=$?
cat "$tmp/client.out"
[ "$rv" -eq 0 ] || fail "ws_flood_test reported failures"
expect_eq "/healthz answered within 4 s during the flood ($probes probes)" \
  "$late" "0"
metrics=$(curl -fsS --max-time 10 "http://127.0.0.1:$port/metrics")
budget=$(printf '%s\n' "$metrics" |
  sed -n 's/^vc_ws_read_budget_spent_total //p')
if [ "${budget:-0}" -gt 0 ]; then
  pass "the flooder's reads were cut by the budget ($budget times)"
else
  fail "no read budget spent: was there a flood? (${budget:-absent})"
fi
kill -0 "$pid" 2>/dev/null || fail "the server died"
finish_checks
