#!/usr/bin/env bash
# server_http_test.sh: starts the real vc-server on a free port with a
# scratch web root and checks, with curl and raw sockets, what a browser
# and a hostile client each get. Every check names itself when it fails.
#
#   server_http_test.sh <path to vc-server>
set -u

server=$1
# shellcheck source=checks.sh
. "$(dirname "$0")/checks.sh"

# A web root with one of everything, a secret beside it, and a symlink
# inside it that points at the secret.
root=$tmp/root
mkdir -p "$root/js/wasm" "$root/css"
echo '<!doctype html><title>start page</title>' >"$root/index.html"
echo '<!doctype html><title>meeting app</title>' >"$root/meeting.html"
echo 'export const x = 1;' >"$root/js/a.js"
printf '\0asm\1\0\0\0' >"$root/js/wasm/m.wasm"
echo 'body{}' >"$root/css/app.css"
echo 'hidden dotfile' >"$root/.env"
echo 'TOP-SECRET' >"$tmp/secret.txt"
ln -s ../secret.txt "$root/link.txt"

# Sends raw bytes on a fresh connection and prints the whole response.
raw() { # $1 = printf format of the request
  exec {fd}<>"/dev/tcp/127.0.0.1/$port" || return 1
  # shellcheck disable=SC2059
  printf "$1" >&"$fd"
  timeout 5 cat <&"$fd"
  exec {fd}>&-
}

code() { curl -s -o /dev/null -w '%{http_code}' --path-as-is "$@"; }

start_server
base=http://127.0.0.1:$port
echo "server on port $port"

# What a browser gets.
expect_has "GET / serves index.html" "$(curl -s "$base/")" "start page"
body=$(curl -s -D "$tmp/h" "$base/meeting/alice/room1")
expect_has "meeting link serves the app page" "$body" "meeting app"
expect_has "app page is HTML" "$(cat "$tmp/h")" \
  "Content-Type: text/html; charset=utf-8"
expect_has "COEP header" "$(cat "$tmp/h")" \
  "Cross-Origin-Embedder-Policy: require-corp"
expect_eq "healthz" "$(curl -s "$base/healthz")" "ok"
expect_eq "IPv6 loopback listener" "$(curl -s -g "http://[::1]:$port/healthz")" "ok"
expect_eq "wasm content type" \
  "$(curl -s -o /dev/null -w '%{content_type}' "$base/js/wasm/m.wasm")" \
  "application/wasm"
expect_eq "HEAD has no body" "$(curl -s -I "$base/js/a.js" | grep -c '^export')" "0"
etag=$(curl -s -D - -o /dev/null "$base/js/a.js" | sed -n 's/^ETag: \(.*\)\r$/\1/p')
expect_eq "conditional GET is 304" \
  "$(code -H "If-None-Match: $etag" "$base/js/a.js")" "304"
expect_eq "trailing slash redirects" \
  "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$base/meeting/alice/room1/")" \
  "308 $base/meeting/alice/room1"

# Bad links get pages that explain.
body=$(curl -s -w '\n%{http_code}' "$base/no/such/page")
expect_has "unknown route is 404" "$body" "404"
expect_has "404 page says so" "$body" "Page not found"
body=$(curl -s -w '\n%{http_code}' "$base/meeting/al%3Cb%3Ece/room1")
expect_has "unsafe name is 400" "$body" "400"
expect_has "400 page states the rule" "$body" "letters A-Z and a-z"
expect_lacks "400 page does not echo markup" "$body" "<b>"
expect_eq "incomplete link is 400" "$(code "$base/meeting/alice")" "400"

# Nothing outside the web root, however it is asked for.
for path in /../secret.txt /js/../../secret.txt /%2e%2e/secret.txt \
  /js/%2e%2e/%2e%2e/secret.txt /..%2fsecret.txt /link.txt /.env; do
  body=$(curl -s --path-as-is -w '\n%{http_code}' "$base$path")
  expect_has "$path is 404" "$body" "404"
  expect_lacks "$path leaks nothing" "$body" "SECRET"
  expect_lacks "$path shows no dotfile" "$body" "hidden dotfile"
done

# Hostile and broken requests.
expect_eq "POST is 405" "$(code -X POST "$base/")" "405"
expect_has "405 says what is allowed" "$(curl -s -D - -o /dev/null -X DELETE "$base/")" \
  "Allow: GET, HEAD"
expect_eq "request body is 413" "$(code --data-binary hello "$base/healthz")" "413"
resp=$(raw 'GET /healthz HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello')
expect_has "body on GET is 413" "$resp" "HTTP/1.1 413"
big=$(head -c 9000 /dev/zero | tr '\0' a)
expect_eq "9 KB header is 431" "$(code -H "X-Big: $big" "$base/")" "431"
expect_eq "3 KB target is 414" "$(code "$base/$big")" "414"

# The closing page's leave beacon (server-stub/leave_beacon.h).
tok=000102030405060708090a0b0c0d0e0f
expect_eq "GET /leave is 405" "$(code "$base/leave")" "405"
expect_eq "a leave without its token is 400" \
  "$(code -X POST "$base/leave?meeting=m1&session=2")" "400"
expect_eq "a leave with a bad token is 400" \
  "$(code -X POST "$base/leave?meeting=m1&session=2&token=zz")" "400"
expect_eq "a leave for nobody is 404" \
  "$(code -X POST "$base/leave?meeting=m1&session=2&token=$tok")" "404"
expect_eq "a leave with a body is 413" "$(code -X POST -d x \
  "$base/leave?meeting=m1&session=2&token=$tok")" "413"
resp=$(raw '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n')
expect_has "TLS bytes on the HTTP port are 400" "$resp" "HTTP/1.1 400"
resp=$(raw 'GET / HTTP/2.0\r\n\r\n')
expect_has "HTTP/2.0 request line is 505" "$resp" "HTTP/1.1 505"
resp=$(raw 'GET /healthz HTTP/1.1\r\n\r\nGET /js/a.js HTTP/1.1\r\nConnection: close\r\n\r\n')
expect_eq "pipelined requests both answered" \
  "$(printf '%s\n' "$resp" | grep -c '^HTTP/1.1 200')" "2"
expect_has "pipelined answers keep order" "$(printf '%s' "$resp" | tail -c 40)" \
  "export const x"

# The connection cap: idle connections fill it, the next gets a 503.
start_server --max-connections 2
exec {c1}<>"/dev/tcp/127.0.0.1/$port"
exec {c2}<>"/dev/tcp/127.0.0.1/$port"
sleep 0.2
expect_eq "over the connection cap is 503" "$(code "http://127.0.0.1:$port/")" "503"
exec {c1}>&- {c2}>&-
sleep 0.2
expect_eq "after they close, connections are served again" \
  "$(code "http://127.0.0.1:$port/")" "200"

# Flags and start-up errors.
"$server" --port abc >/dev/null 2>"$tmp/e"
expect_eq "bad --port exits 2" "$?" "2"
expect_has "bad --port says why" "$(cat "$tmp/e")" "is not a port"
"$server" --web-root "$tmp/nowhere" >/dev/null 2>"$tmp/e"
expect_eq "missing web root exits 1" "$?" "1"
expect_has "missing web root says why" "$(cat "$tmp/e")" "web root"
expect_has "--help shows usage" "$("$server" --help)" "--web-root DIR"

# SIGTERM: a clean exit.
kill -TERM "$pid"
wait "$pid"
expect_eq "SIGTERM exits 0" "$?" "0"

finish_checks
