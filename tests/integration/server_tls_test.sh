#!/usr/bin/env bash
# server_tls_test.sh: vc-server with a host certificate (--cert/--key)
# serves HTTPS and WSS on its HTTP port. Checked with curl and openssl
# against the real server: pages, the WebSocket upgrade over TLS, no
# pinned hash published, and hostile clients (plain HTTP, garbage, a
# handshake that never ends, a wrong key) that leave it serving.
#
#   server_tls_test.sh <path to vc-server>
set -u

server=$1
# shellcheck source=checks.sh
. "$(dirname "$0")/checks.sh"

root=$tmp/root
mkdir -p "$root"
echo '<!doctype html><title>start page</title>' >"$root/index.html"
# A self-signed P-256 certificate for localhost: curl trusts it with
# --cacert.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 -subj /CN=localhost \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$tmp/other.pem" -out "$tmp/other-cert.pem" -days 2 \
  -subj /CN=other 2>/dev/null

start_server --log-level info --cert "$tmp/cert.pem" --key "$tmp/key.pem"
base="https://localhost:$port"
tls() { curl -s --cacert "$tmp/cert.pem" -m 5 "$@"; }

expect_eq "GET /healthz over HTTPS" "$(tls "$base/healthz")" "ok"
expect_has "GET / over HTTPS" "$(tls "$base/")" "start page"
expect_has "no hash to pin with a host certificate" \
  "$(tls "$base/webtransport.json")" '"hashes":[]'
expect_has "/metrics over HTTPS" "$(tls "$base/metrics")" "vc_rooms"

# The WebSocket upgrade over TLS: 101 and the RFC 6455 example's accept.
ws=$(tls -i --http1.1 -m 2 -H "Connection: Upgrade" -H "Upgrade: websocket" \
  -H "Sec-WebSocket-Version: 13" -H "Origin: $base" \
  -H "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" "$base/ws")
expect_has "WSS upgrade answers 101" "$ws" "101 Switching Protocols"
expect_has "WSS upgrade accept key" "$ws" "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

# Hostile clients: plain HTTP on the TLS port, garbage, a handshake left
# hanging, a client that does not trust the certificate. The server
# answers the next client each time.
code=$(curl -s -o /dev/null -m 3 -w '%{http_code}' "http://localhost:$port/")
expect_eq "plain HTTP on the TLS port gets no page" "$code" "000"
head -c 4096 /dev/urandom >"$tmp/garbage"
exec {fd}<>"/dev/tcp/127.0.0.1/$port" && cat "$tmp/garbage" >&"$fd" &&
  timeout 3 cat <&"$fd" >/dev/null
exec {fd}>&-
exec {hang}<>"/dev/tcp/127.0.0.1/$port" # says nothing; the server waits
printf '\x16\x03\x01\x00\x05\x01\x00' >&"$hang" # half a ClientHello
expect_eq "after plain HTTP, garbage and a hanging handshake" \
  "$(tls "$base/healthz")" "ok"
curl -s -o /dev/null -m 3 --cacert "$tmp/other-cert.pem" "$base/healthz"
expect_eq "a client that does not trust the certificate fails" "$?" "60"
expect_eq "the server still serves" "$(tls "$base/healthz")" "ok"
exec {hang}>&-
expect_has "failed handshakes are logged" "$(cat "$tmp/server.log")" \
  "TLS handshake failed"

# A key that is not the certificate's: a clear error at start.
"$server" --port 0 --web-root "$root" --cert "$tmp/cert.pem" \
  --key "$tmp/other.pem" >/dev/null 2>"$tmp/e"
expect_eq "a mismatched key exits 1" "$?" "1"
expect_has "a mismatched key says why" "$(cat "$tmp/e")" "cannot load --cert"

kill -TERM "$pid"
wait "$pid"
expect_eq "SIGTERM exits 0" "$?" "0"

finish_checks
