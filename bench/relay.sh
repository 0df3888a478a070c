#!/usr/bin/env bash
# Relay throughput and delay (issue 7): rooms of 2, 10, 50 and 200
# participants, each a sender and a receiver, through vc-server (WebSocket,
# video subscribed by everyone, so each packet goes to all n-1 others)
# and, in the same run, through nats-server carrying the same envelopes
# at the same rate to one subject per room (echo off: the same n-1).
# bench/relay/loadgen.c drives both from one thread; the servers' CPU
# comes from /proc. Prints one table: forwarded packets/s, server CPU,
# forwarded packets per CPU-second, p50/p99 delay, and vc/nats CPU per
# forwarded packet. Figures, never pass/fail (docs/BENCHMARKS.md).
#
#   bash bench/relay.sh [build-dir]      (default build/native)
#
# Environment:
#   RELAY_SECS      measured seconds per run (3), after 1 s of warm-up
#   RELAY_LOAD      forwarded packets/s offered per room size (100000);
#                   where one room cannot take it under RELAY_MAX_RATE
#                   (the room of two), rooms of that size run side by
#                   side until they do: five rooms of two
#   RELAY_MAX_RATE  packets/s per sender at most (10000: about 1.9 MB/s of
#                   envelopes, under the server's 2.5 MB/s per sender)
#   RELAY_SIZES     room sizes ("2 10 50 200")
#   RELAY_ROUNDS    rounds (2; even rounds run nats-server first)
#   RELAY_PAYLOAD   payload bytes per packet (160)
#   RELAY_LOADGEN_FLAGS  e.g. -q: the load generator ACKs every read at
#                   once, showing what Nagle's algorithm on the server's
#                   sockets costs in delay
#   RELAY_NODELAY=1 vc-server runs with TCP_NODELAY forced on its sockets
#                   (bench/relay/nodelay_preload.c)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build/native}" && pwd)
secs=${RELAY_SECS:-3}
load=${RELAY_LOAD:-100000}
max_rate=${RELAY_MAX_RATE:-10000}
sizes=${RELAY_SIZES:-2 10 50 200}
rounds=${RELAY_ROUNDS:-2}
payload=${RELAY_PAYLOAD:-160}
read -r -a lg_flags <<<"${RELAY_LOADGEN_FLAGS:-}"

if ! command -v nats-server >/dev/null; then
  echo "relay.sh: no nats-server (apt-get install nats-server)" >&2
  exit 1
fi
nodelay=${RELAY_NODELAY:-0}
targets=(vc-server relay_loadgen)
[ "$nodelay" = 1 ] && targets+=(relay_nodelay)
cmake --build "$build" --target "${targets[@]}" >/dev/null
server="$build/server-stub/vc-server"
loadgen="$build/bench/relay_loadgen"
preload=''
[ "$nodelay" = 1 ] && preload="$build/bench/librelay_nodelay.so"

tmp=$(mktemp -d)
vc_pid='' nats_pid=''
cleanup() {
  local pid
  for pid in $vc_pid $nats_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
echo '<!doctype html><title>relay bench</title>' >"$tmp/index.html"

# Each server picks a free loopback port and says which.
LD_PRELOAD=$preload "$server" --port 0 --no-webtransport --web-root "$tmp" \
  --log-level warn >"$tmp/vc.out" 2>"$tmp/vc.err" &
vc_pid=$!
nats-server -a 127.0.0.1 -p -1 >"$tmp/nats.out" 2>"$tmp/nats.err" &
nats_pid=$!
vc_port='' nats_port=''
for _ in $(seq 50); do
  vc_port=$(sed -n 's|.*listening on http://localhost:\([0-9]*\)/.*|\1|p' \
    "$tmp/vc.out")
  nats_port=$(sed -n 's|.*client connections on 127.0.0.1:\([0-9]*\).*|\1|p' \
    "$tmp/nats.err")
  [ -n "$vc_port" ] && [ -n "$nats_port" ] && break
  sleep 0.1
done
if [ -z "$vc_port" ] || [ -z "$nats_port" ]; then
  echo "relay.sh: a server did not start" >&2
  cat "$tmp/vc.err" "$tmp/nats.err" >&2
  exit 1
fi

commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')
echo "relay: $(date -u +%FT%TZ), commit $commit, $(nproc) cores," \
  "$(nats-server --version)"
echo "relay: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "relay: payload $payload B, $secs s measured per run after 1 s of" \
  "warm-up, offered $load forwarded packets/s per room"
[ "$nodelay" = 1 ] && echo "relay: vc-server with TCP_NODELAY (LD_PRELOAD)"
[ ${#lg_flags[@]} -gt 0 ] && echo "relay: load generator flags: ${lg_flags[*]}"

# One run; appends its name=value line to $tmp/results.
run() { # transport port pid n rate round rooms
  local line
  line=$("$loadgen" -t "$1" -P "$2" -p "$3" -n "$4" -r "$5" -s "$payload" \
    -d "$secs" -w 1 -m "r$6n$4" -R "$7" ${lg_flags[@]+"${lg_flags[@]}"}) || {
    echo "relay: $1 n=$4: $line" >&2
    return 0
  }
  echo "$line round=$6" >>"$tmp/results"
}

: >"$tmp/results"
for round in $(seq "$rounds"); do
  for n in $sizes; do
    read -r rooms rate < <(awk -v l="$load" -v n="$n" -v m="$max_rate" \
      'BEGIN { k = int((l - 1) / (n * (n - 1) * m)) + 1
      r = l / (k * n * (n - 1))
      printf("%d " (r >= 100 ? "%.0f" : "%.3g") "\n", k, r) }')
    echo "relay: round $round, $rooms room(s) of $n at $rate packets/s" \
      "per sender" >&2
    # Alternate who goes first: a build starting on the other core
    # should not always land on the same server.
    if [ $((round % 2)) = 1 ]; then
      run vc "$vc_port" "$vc_pid" "$n" "$rate" "$round" "$rooms"
      run nats "$nats_port" "$nats_pid" "$n" "$rate" "$round" "$rooms"
    else
      run nats "$nats_port" "$nats_pid" "$n" "$rate" "$round" "$rooms"
      run vc "$vc_port" "$vc_pid" "$n" "$rate" "$round" "$rooms"
    fi
  done
done
echo "relay: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# name=value lines to one row per room size and round, vc and nats side
# by side.
awk '
function get(line, key,   i, n, kv, f) {
  n = split(line, f, " ")
  for (i = 1; i <= n; i++) {
    split(f[i], kv, "=")
    if (kv[1] == key) return kv[2]
  }
  return ""
}
function ms(us) { return us >= 10000 ? sprintf("%.0f", us / 1000) : \
  sprintf("%.1f", us / 1000) }
{
  k = get($0, "n") " " get($0, "round")
  t = get($0, "transport")
  row[k, t] = $0
  if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
}
END {
  print "| room | pkt/s per sender | server | forwarded pkt/s | lost |" \
    " server CPU | forwarded per CPU-s | p50 / p99 ms | loadgen CPU |" \
    " waited for a core: server / loadgen | vc / nats CPU per pkt |"
  print "|---|---|---|---|---|---|---|---|---|---|---|"
  for (i = 1; i <= nk; i++) {
    k = order[i]
    ratio = "–"
    v = row[k, "vc"]; nt = row[k, "nats"]
    if (v != "" && nt != "" && get(v, "fwd_per_cpu_s") > 0)
      ratio = sprintf("**%.2f**", get(nt, "fwd_per_cpu_s") / \
        get(v, "fwd_per_cpu_s"))
    for (j = 1; j <= 2; j++) {
      t = j == 1 ? "vc" : "nats"
      l = row[k, t]
      if (l == "") continue
      rooms = get(l, "rooms") > 1 ? " (" get(l, "rooms") " rooms)" : ""
      printf "| %s%s | %s | %s | %.0f | %s | %.0f %% | %.0f | %s / %s |" \
        " %.0f %% | %.0f / %.0f %% | %s |\n", get(l, "n"), rooms,
        get(l, "rate"),
        t == "vc" ? "vc-server" : "nats-server", get(l, "fwd_per_s"),
        get(l, "lost"), get(l, "server_cpu_pct"), get(l, "fwd_per_cpu_s"),
        ms(get(l, "p50_us")), ms(get(l, "p99_us")),
        get(l, "loadgen_cpu_pct"), get(l, "server_wait_pct"),
        get(l, "loadgen_wait_pct"), j == 1 ? ratio : ""
    }
  }
}' "$tmp/results"
echo
echo "relay: per run: the load generator's lateness against its schedule" \
  "(mean / max), the keyframe requests it got, and the server's CPU by" \
  "/proc/<pid>/stat ticks (the table's is the threads' schedstat):"
tr ' =' '\n ' <"$tmp/results" | awk '
  { v[$1] = $2 }
  $1 == "round" {
    printf "  %-4s n=%-3s round %s: late %s / %s us, %s keyframe requests," \
      " %s s by stat, %.3f s by schedstat\n", v["transport"], v["n"], $2,
      v["late_mean_us"], v["late_max_us"], v["keyframe_requests"],
      v["stat_cpu_s"], v["server_cpu_s"]
  }'
echo "relay: vc-server's drop counters (/metrics):"
curl -s "http://127.0.0.1:$vc_port/metrics" |
  grep -E '^vc_drops|^vc_audio_not' | sed 's/^/  /'
if [ -s "$tmp/vc.err" ]; then
  echo "relay: vc-server's log:"
  tail -5 "$tmp/vc.err" | sed 's/^/  /'
fi
