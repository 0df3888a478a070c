#!/usr/bin/env bash
# The server under attack (issue 20): each attack of the issue against
# vc-server as built now and, in the same run, against the server before
# the hardening (eaa6f27, built by hand: see docs/BENCHMARKS.md). The
# attackers are the integration tests' own clients (tests/integration),
# run as they are; bench/flood/flood_observer.c is a well-behaved call of
# two beside them, in a meeting of its own, sending audio every 20 ms.
#
# For each attack and server it records, over the attack: the server's
# CPU (utime + stime from /proc/PID/stat), its peak RSS (VmHWM, since it
# started), and the observer's audio delay through the server (p50, p99,
# max), its packets received of sent, the longest the server sent it
# nothing (heartbeats come every second), and whether it was dropped. Prints one table and the ratios new/old. Figures, never
# pass/fail (docs/BENCHMARKS.md).
#
#   bash bench/flood.sh [build-dir] [old-vc-server]
#
# build-dir (default build/native) holds vc-server, the attackers and
# flood_observer; without old-vc-server only the new server runs.
#
# Environment:
#   FLOOD_SECS     seconds of the attacks that take a duration (8): the
#                  WebSocket flood, descriptors and pre-join sockets held
#   FLOOD_ATTACKS  which ones, in order (idle ws-flood room-flood
#                  initial-flood handshake-flood uni-streams fd-exhaustion
#                  prejoin-memory); idle is no attack: the baseline
#   FLOOD_ROOM     honest participants in the hand-toggle flood (100)
#   FLOOD_KEEP     a directory to keep every run's logs in
set -uo pipefail

build=${1:-build/native}
old=${2:-}
secs=${FLOOD_SECS:-8}
attacks=${FLOOD_ATTACKS:-idle ws-flood room-flood initial-flood \
handshake-flood uni-streams fd-exhaustion prejoin-memory}
room=${FLOOD_ROOM:-100}
tck=$(getconf CLK_TCK)

new=$build/server-stub/vc-server
observer=$build/bench/flood_observer
ws_flood=$build/tests/integration/ws_flood_test
room_flood=$build/tests/integration/room_flood_test
wt_test=$build/tests/integration/wt_meeting_test
for f in "$new" "$observer" "$ws_flood" "$room_flood" "$wt_test" ${old:+"$old"}; do
  [ -x "$f" ] || {
    echo "flood.sh: $f is missing: build $build first" >&2
    exit 2
  }
done

work=$(mktemp -d)
keep=${FLOOD_KEEP:-}
[ -n "$keep" ] && mkdir -p "$keep"
spid=
opid=
cleanup() {
  [ -n "$opid" ] && kill "$opid" 2>/dev/null
  [ -n "$spid" ] && kill "$spid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/root"
echo '<!doctype html><title>flood</title>' >"$work/root/index.html"
# The pre-join sockets and a meeting of 101 need more than 1024.
ulimit -n 4096 2>/dev/null

cpu_ticks() { # utime + stime of $1
  local line st
  line=$(cat "/proc/$1/stat" 2>/dev/null) || {
    echo 0
    return
  }
  # The fields after the command name, which may hold spaces.
  read -r -a st <<<"${line##*) }"
  echo $((st[11] + st[12]))
}
status_kb() { # a field of /proc/$1/status in kB
  sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status" 2>/dev/null
}

# Starts server $1 with the flags after it; sets spid, port, wt_port.
start() {
  local bin=$1 out=$work/out
  shift
  : >"$out"
  "$bin" --port 0 --web-root "$work/root" --log-level warn "$@" \
    >"$out" 2>"$work/server.log" &
  spid=$!
  port=
  wt_port=
  for _ in $(seq 1 100); do
    port=$(sed -n 's|.*listening on http://localhost:\([0-9]*\)/.*|\1|p' "$out")
    wt_port=$(sed -n 's|^WebTransport on UDP port \([0-9]*\)$|\1|p' "$out")
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  echo "flood.sh: no listening line from $bin" >&2
  cat "$out" "$work/server.log" >&2
  exit 1
}

# The attacks that are not a test client: plain sockets from bash.
hold_fds() { # 100 connections held: more than the 64 descriptors it has
  local conns=() fd
  for _ in $(seq 1 100); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$port" && conns+=("$fd")
  done
  echo "held ${#conns[@]} connections for $secs s"
  sleep "$secs"
  for fd in "${conns[@]}"; do exec {fd}>&-; done
}
hold_prejoin() { # 500 upgraded, never joined; 50 halves of a 200 kB message
  local upgrade header conns=() fd
  upgrade='GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n'
  upgrade+='Connection: Upgrade\r\n'
  upgrade+='Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
  upgrade+='Sec-WebSocket-Version: 13\r\n\r\n'
  header='\x82\xff\x00\x00\x00\x00\x00\x03\x0d\x40\x00\x00\x00\x00'
  for _ in $(seq 1 500); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$port" || break
    # shellcheck disable=SC2059
    printf "$upgrade" >&"$fd"
    conns+=("$fd")
  done
  for _ in $(seq 1 50); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$port" || break
    # shellcheck disable=SC2059
    (printf "$upgrade$header" >&"$fd" &&
      head -c 100000 /dev/zero >&"$fd") 2>/dev/null
    conns+=("$fd")
  done
  echo "held ${#conns[@]} pre-join sockets for $secs s"
  sleep "$secs"
  for fd in "${conns[@]}"; do exec {fd}>&-; done
}

# One attack against one server: prints a row and keeps its figures.
declare -A cpu_of rss_of p99_of
run() { # attack, label (new|old), server binary
  local attack=$1 label=$2 bin=$3 flags=(--no-webtransport) server=$3
  local hash="" c0 c1 t0 t1 hwm obs rc alive
  case $attack in
  initial-flood | handshake-flood | uni-streams) flags=(--wt-port 0) ;;
  fd-exhaustion)
    # As tests/integration/server_fd_limit_test.sh: a soft limit of 40
    # under a hard one of 64 (the new server raises its own to 64).
    server=$work/limited-server
    printf '#!/usr/bin/env bash\nulimit -Sn 40 && ulimit -Hn 64 && exec %q "$@"\n' \
      "$bin" >"$server"
    chmod +x "$server"
    ;;
  esac
  start "$server" "${flags[@]}"
  if [ "${flags[0]}" = --wt-port ]; then
    hash=$(curl -fsS "http://127.0.0.1:$port/webtransport.json" |
      sed -n 's|.*"hashes":\["\([^"]*\)".*|\1|p')
  fi
  "$observer" "$port" bench 600 >"$work/observer.out" 2>&1 &
  opid=$!
  for _ in $(seq 1 200); do
    grep -q '^joined' "$work/observer.out" && break
    kill -0 "$opid" 2>/dev/null || break
    sleep 0.05
  done
  sleep 1 # the call settles
  kill -USR1 "$opid" 2>/dev/null
  c0=$(cpu_ticks "$spid")
  t0=$(date +%s.%N)
  case $attack in
  idle) sleep "$secs" ;;
  ws-flood) timeout 60 "$ws_flood" "$port" "$secs" ;;
  room-flood) timeout 120 "$room_flood" "$port" flood "$room" ;;
  initial-flood | handshake-flood | uni-streams)
    timeout 90 "$wt_test" "$port" "$wt_port" "$hash" "$spid" "$attack"
    ;;
  fd-exhaustion) hold_fds ;;
  prejoin-memory) hold_prejoin ;;
  *) echo "unknown attack $attack" ;;
  esac >"$work/attack.out" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  c1=$(cpu_ticks "$spid")
  hwm=$(status_kb "$spid" VmHWM)
  kill -0 "$spid" 2>/dev/null && alive=yes || alive=no
  kill -TERM "$opid" 2>/dev/null
  wait "$opid" 2>/dev/null
  opid=
  obs=$(grep '^joined=' "$work/observer.out" | tail -n 1)
  kill -TERM "$spid" 2>/dev/null
  for _ in $(seq 1 50); do
    kill -0 "$spid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$spid" 2>/dev/null
  wait "$spid" 2>/dev/null
  spid=
  if [ -n "$keep" ]; then
    for f in attack.out observer.out server.log; do
      cp "$work/$f" "$keep/$attack.$label.$f"
    done
  fi

  val() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$obs"; }
  local wall cpu pct rss
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  cpu=$(awk -v t="$((c1 - c0))" -v k="$tck" 'BEGIN { printf "%.2f", t / k }')
  pct=$(awk -v c="$cpu" -v w="$wall" 'BEGIN { printf "%.0f", 100 * c / w }')
  rss=$(awk -v k="${hwm:-0}" 'BEGIN { printf "%.1f", k / 1024 }')
  cpu_of[$attack.$label]=$cpu
  rss_of[$attack.$label]=$rss
  p99_of[$attack.$label]=$(val delay_p99_ms)
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s/%s | %s | %s | %s |\n' \
    "$attack" "$label" "$wall" "$cpu" "$pct" "$rss" "$(val delay_p50_ms)" \
    "$(val delay_p99_ms)" "$(val delay_max_ms)" "$(val received)" \
    "$(val sent)" "$(val max_silence_ms)" \
    "$([ "$(val dropped)" = 0 ] && echo no || echo "**yes**")" \
    "$([ $alive = yes ] && echo "$rc" || echo died)"
}

ratio() { # new, old: new/old to three figures, or "-"
  awk -v n="${1:-x}" -v o="${2:-x}" 'BEGIN {
    if (n !~ /^[0-9.]+$/ || o !~ /^[0-9.]+$/ || o + 0 <= 0) print "-";
    else printf "%.3g\n", n / o }'
}

echo "vc-server under attack: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
  "load $(cut -d' ' -f1-3 /proc/loadavg) before the run"
echo "attacks of $secs s where they take a duration; a meeting of $((room + 1))" \
  "for room-flood"
echo
echo '| attack | server | s | CPU s | CPU % | peak RSS MB | delay p50 ms' \
  '| p99 ms | max ms | audio recv/sent | silence ms | dropped | attacker exit |'
echo '|---|---|---|---|---|---|---|---|---|---|---|---|---|'
for attack in $attacks; do
  [ -n "$old" ] && run "$attack" old "$old"
  run "$attack" new "$new"
done
if [ -n "$old" ]; then
  echo
  echo '| attack | CPU new/old | peak RSS new/old | delay p99 new/old |'
  echo '|---|---|---|---|'
  for attack in $attacks; do
    echo "| $attack | $(ratio "${cpu_of[$attack.new]}" "${cpu_of[$attack.old]}")" \
      "| $(ratio "${rss_of[$attack.new]}" "${rss_of[$attack.old]}")" \
      "| $(ratio "${p99_of[$attack.new]}" "${p99_of[$attack.old]}") |"
  done
fi
echo
echo "load $(cut -d' ' -f1-3 /proc/loadavg) after the run"
