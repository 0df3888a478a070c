#!/usr/bin/env bash
# server_udp_overflow_test.sh: the server's UDP receive buffer has a cap,
# and what the kernel drops past it is counted. The server is stopped
# (SIGSTOP) while 8 000 packets of 1 200 bytes (about 18 MiB of kernel
# buffer with its bookkeeping) arrive at its WebTransport port, more than
# the 4 MiB it asks for; once it runs again it reads what was kept, drops
# it (none of it is QUIC), and /metrics counts both. The server stays up.
# (The kernel grants up to net.core.rmem_max, or the full 4 MiB to a
# root server: either way 8 000 packets overflow it.)
# Usage: server_udp_overflow_test.sh path/to/vc-server
set -u

server=$1
# shellcheck source=checks.sh
. "$(dirname "$0")/checks.sh"

start_server
udp=$wt_port
[ -n "$udp" ] || { echo "FAIL: no WebTransport port"; exit 1; }

metric() {
  curl -s "http://127.0.0.1:$port/metrics" | sed -n "s/^$1 //p"
}

expect_eq "no overflow at rest" "$(metric vc_wt_udp_receive_overflows_total)" 0
kill -STOP "$pid"
payload=$(printf '%1200s' x)
exec {u}>"/dev/udp/127.0.0.1/$udp"
for _ in $(seq 1 8000); do printf '%s' "$payload" >&"$u"; done
exec {u}>&-
kill -CONT "$pid"

# The kernel reports its drop count with the next packet queued after
# them (SO_RXQ_OVFL), as live traffic would bring.
overflows=0
for _ in $(seq 1 100); do
  printf '%s' "$payload" >"/dev/udp/127.0.0.1/$udp"
  overflows=$(metric vc_wt_udp_receive_overflows_total)
  [ "${overflows:-0}" -gt 0 ] && break
  sleep 0.05
done
if [ "${overflows:-0}" -gt 0 ] && [ "$overflows" -lt 8000 ]; then
  pass "kernel drops past the buffer counted ($overflows of 8000)"
else
  fail "overflows counted: '$overflows'"
fi
dropped=$(metric vc_wt_packets_dropped_total)
if [ "${dropped:-0}" -ge 1000 ]; then
  pass "what the buffer held was read and dropped as not QUIC ($dropped)"
else
  fail "packets read and dropped: '$dropped'"
fi
expect_eq "still serving" "$(curl -s "http://127.0.0.1:$port/healthz")" ok
finish_checks
