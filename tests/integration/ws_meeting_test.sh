#!/usr/bin/env bash
# ws_meeting_test.sh: starts the real vc-server on a free port and runs
# ws_meeting_test (real client cores over WebSocket) against it; then
# checks that the server is still up and answering HTTP.
#
#   ws_meeting_test.sh <vc-server> <ws_meeting_test>
set -u

server=$1
client=$2
tmp=$(mktemp -d)
pid=

cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$tmp/root"
echo '<!doctype html><title>start</title>' >"$tmp/root/index.html"
"$server" --port 0 --web-root "$tmp/root" --log-level warn \
  >"$tmp/out" 2>"$tmp/server.log" &
pid=$!
port=
for _ in $(seq 1 100); do
  port=$(sed -n 's|.*listening on http://localhost:\([0-9]*\)/.*|\1|p' "$tmp/out")
  [ -n "$port" ] && break
  sleep 0.05
done
if [ -z "$port" ]; then
  echo "FAIL: server did not start"; cat "$tmp/server.log"; exit 1
fi

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
# /metrics counts what the test did: 2 honest and 5 hostile connections;
# 4 of the hostile ones broke the WebSocket or framing rules; 1 frame came
# before a Join; 1 chat.
metrics=$(curl -fsS "http://127.0.0.1:$port/metrics")
for want in "vc_ws_upgrades_total 7" "vc_ws_protocol_errors_total 4" \
  "vc_refused_not_joined_total 1" "vc_chats_total 1" "vc_rooms 1" \
  "vc_participants 1"; do
  if printf '%s\n' "$metrics" | grep -qx "$want"; then
    echo "ok   /metrics: $want"
  else
    echo "FAIL: /metrics lacks '$want'"; rv=1
  fi
done

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
