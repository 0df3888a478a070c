#!/usr/bin/env bash
# ws_meeting_test.sh: starts the real vc-server on a free port and runs
# ws_meeting_test (real client cores over WebSocket) against it; then
# checks that the server is still up and answering HTTP.
#
#   ws_meeting_test.sh <vc-server> <ws_meeting_test>
set -u

server=$1
client=$2
# shellcheck source=checks.sh
. "$(dirname "$0")/checks.sh"

start_server

"$client" "$port"
rv=$?
if ! kill -0 "$pid" 2>/dev/null; then
  echo "FAIL: the server died"; cat "$tmp/server.log"; exit 1
fi
if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null; then
  echo "ok   the server still answers /healthz"
else
  echo "FAIL: /healthz after the test"; rv=1
fi
# /metrics counts what the test did: 3 honest and 5 hostile connections;
# 4 of the hostile ones broke the WebSocket or framing rules; 1 frame came
# before a Join; 1 chat; bob and carol are still in their resume grace.
metrics=$(curl -fsS "http://127.0.0.1:$port/metrics")
for want in "vc_ws_upgrades_total 8" "vc_ws_protocol_errors_total 4" \
  "vc_refused_not_joined_total 1" "vc_chats_total 1" "vc_rooms 1" \
  "vc_participants 2" "vc_drops_media_over_rate_total 0"; do
  if printf '%s\n' "$metrics" | grep -qx "$want"; then
    echo "ok   /metrics: $want"
  else
    echo "FAIL: /metrics lacks '$want'"; rv=1
  fi
done

# The slow reader cost media drops, not memory.
drops=$(printf '%s\n' "$metrics" |
  sed -n 's/^vc_drops_media_slow_reader_total //p')
if [ "${drops:-0}" -gt 0 ]; then
  echo "ok   media to the slow reader was dropped ($drops packets)"
else
  echo "FAIL: no media dropped for the slow reader"; rv=1
fi
rss_kb=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status")
if [ "$rss_kb" -lt 262144 ]; then
  echo "ok   server memory stayed bounded (RSS ${rss_kb} kB)"
else
  echo "FAIL: server RSS ${rss_kb} kB"; rv=1
fi

# Graceful stop: SIGTERM, and the process ends by itself, cleanly (under
# ASan that includes the leak check at exit).
kill -TERM "$pid"
wait "$pid"
status=$?
pid=
if [ "$status" -eq 0 ]; then
  echo "ok   the server stopped cleanly on SIGTERM"
else
  echo "FAIL: the server exited with $status after SIGTERM"; rv=1
fi
[ $rv -ne 0 ] && { echo "--- server log"; cat "$tmp/server.log"; }
exit $rv
