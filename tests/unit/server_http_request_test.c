/*
 * server_http_request_test.c: server-stub's request-head parser, fed
 * whole, in pieces and with every hostile shape we know of.
 */
#include <stdio.h>
#include <string.h>

#include "http_request.h"
#include "test.h"

static int parse(vc_http_request *req, const char *s) {
  return vc_http_parse_request(req, s, strlen(s));
}

void test_vc_http_request_parses_a_simple_get(void) {
  static const char r[] = "GET /meeting/alice/room1?x=1 HTTP/1.1\r\n"
                          "Host: localhost\r\nIf-None-Match: \"abc\"\r\n\r\n";
  vc_http_request req;

  CHECK_INT_EQ(parse(&req, r), strlen(r));
  CHECK(strcmp(req.method, "GET") == 0);
  CHECK(strcmp(req.target, "/meeting/alice/room1?x=1") == 0);
  CHECK_INT_EQ(req.version_minor, 1);
  CHECK_INT_EQ(req.keep_alive, 1);
  CHECK_INT_EQ(req.n_headers, 2);
  CHECK(strcmp(req.if_none_match, "\"abc\"") == 0);
}

void test_vc_http_request_needs_more_until_the_empty_line(void) {
  vc_http_request req;

  CHECK_INT_EQ(parse(&req, ""), 0);
  CHECK_INT_EQ(parse(&req, "GET / HTTP/1.1\r\n"), 0);
  CHECK_INT_EQ(parse(&req, "GET / HTTP/1.1\r\nHost: x\r\n"), 0);
  CHECK_INT_EQ(parse(&req, "GET / HTTP/1.1\r\nHost: x\r\n\r"), 0);
  CHECK(parse(&req, "GET / HTTP/1.1\r\nHost: x\r\n\r\n") > 0);
}

void test_vc_http_request_splits_anywhere(void) {
  static const char r[] = "GET /js/core.js HTTP/1.1\r\nHost: a\r\n"
                          "Connection: close\r\n\r\n";
  vc_http_request req;
  size_t cut;

  for (cut = 0; cut < sizeof(r) - 1; cut++) {
    CHECK_INT_EQ(vc_http_parse_request(&req, r, cut), 0);
  }
  CHECK_INT_EQ(vc_http_parse_request(&req, r, sizeof(r) - 1), sizeof(r) - 1);
  CHECK(strcmp(req.target, "/js/core.js") == 0);
  CHECK_INT_EQ(req.keep_alive, 0);
}

void test_vc_http_request_bare_lf_lines_are_accepted(void) {
  vc_http_request req;

  CHECK_INT_EQ(parse(&req, "\r\nGET / HTTP/1.0\nHost: a\n\n"), 26);
  CHECK_INT_EQ(req.version_minor, 0);
  CHECK_INT_EQ(req.keep_alive, 0);
}

void test_vc_http_request_pipelined_requests_parse_one_at_a_time(void) {
  static const char r[] = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
  vc_http_request req;
  int n;

  n = parse(&req, r);
  CHECK_INT_EQ(n, 19);
  CHECK(strcmp(req.target, "/a") == 0);
  CHECK_INT_EQ(parse(&req, r + n), 19);
  CHECK(strcmp(req.target, "/b") == 0);
}

void test_vc_http_request_keep_alive_follows_version_and_connection(void) {
  vc_http_request req;

  CHECK(parse(&req, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n") > 0);
  CHECK_INT_EQ(req.keep_alive, 1);
  CHECK(parse(&req, "GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n") > 0);
  CHECK_INT_EQ(req.keep_alive, 0);
  CHECK(parse(&req, "GET / HTTP/1.1\r\nConnection: closed\r\n\r\n") > 0);
  CHECK_INT_EQ(req.keep_alive, 1);
}

void test_vc_http_request_oversized_head_is_431(void) {
  static char r[VC_HTTP_MAX_HEAD_LEN + 64];
  vc_http_request req;
  size_t n;

  n = (size_t)snprintf(r, sizeof(r), "GET / HTTP/1.1\r\nX-Big: ");
  memset(r + n, 'a', sizeof(r) - n);
  /* No end yet, but already at the limit: reject, do not wait. */
  CHECK_INT_EQ(vc_http_parse_request(&req, r, VC_HTTP_MAX_HEAD_LEN), -431);
  /* A complete head one byte over the limit. */
  n = VC_HTTP_MAX_HEAD_LEN - 3;
  memcpy(r + n, "\r\n\r\n", 4);
  CHECK_INT_EQ(vc_http_parse_request(&req, r, n + 4), -431);
}

void test_vc_http_request_too_many_headers_is_431(void) {
  char r[4096];
  vc_http_request req;
  size_t n;
  int i;

  n = (size_t)snprintf(r, sizeof(r), "GET / HTTP/1.1\r\n");
  for (i = 0; i < VC_HTTP_MAX_HEADERS; i++) {
    n += (size_t)snprintf(r + n, sizeof(r) - n, "X-%d: 1\r\n", i);
  }
  memcpy(r + n, "\r\n", 3);
  CHECK(vc_http_parse_request(&req, r, n + 2) > 0);
  n += (size_t)snprintf(r + n, sizeof(r) - n, "X-last: 1\r\n\r\n");
  CHECK_INT_EQ(vc_http_parse_request(&req, r, n), -431);
}

void test_vc_http_request_long_target_is_414_before_the_head_ends(void) {
  static char r[VC_HTTP_MAX_TARGET_LEN + 32];
  vc_http_request req;

  memcpy(r, "GET /", 5);
  memset(r + 5, 'a', sizeof(r) - 5);
  CHECK_INT_EQ(vc_http_parse_request(&req, r, sizeof(r)), -414);
  /* Exactly at the limit is fine. */
  memcpy(r + 4 + VC_HTTP_MAX_TARGET_LEN, " HTTP/1.1\r\n\r\n", 13);
  CHECK(vc_http_parse_request(&req, r, 4 + VC_HTTP_MAX_TARGET_LEN + 13) > 0);
}

void test_vc_http_request_body_is_413(void) {
  vc_http_request req;

  CHECK_INT_EQ(parse(&req, "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n"),
               -413);
  CHECK(parse(&req, "GET / HTTP/1.1\r\nContent-Length: 000\r\n\r\n") > 0);
}

void test_vc_http_request_transfer_encoding_is_501(void) {
  vc_http_request req;

  CHECK_INT_EQ(
      parse(&req, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
      -501);
}

void test_vc_http_request_unknown_versions_are_505(void) {
  vc_http_request req;

  CHECK_INT_EQ(parse(&req, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), -400);
  CHECK_INT_EQ(parse(&req, "GET / HTTP/2.0\r\n\r\n"), -505);
  CHECK_INT_EQ(parse(&req, "GET / HTTP/1.2\r\n\r\n"), -505);
  CHECK_INT_EQ(parse(&req, "GET / HTTX/1.1\r\n\r\n"), -400);
  CHECK_INT_EQ(parse(&req, "GET / HTTP/1.1x\r\n\r\n"), -400);
}

void test_vc_http_request_smuggling_shapes_are_400(void) {
  vc_http_request req;

  CHECK_INT_EQ(parse(&req, "GET / HTTP/1.1\r\nHost : a\r\n\r\n"), -400);
  CHECK_INT_EQ(parse(&req, "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n"), -400);
  CHECK_INT_EQ(parse(&req, "GET / HTTP/1.1\r\nContent-Length: 0\r\n"
                           "Content-Length: 0\r\n\r\n"),
               -400);
  CHECK_INT_EQ(parse(&req, "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
               -400);
  CHECK_INT_EQ(parse(&req, "GET  / HTTP/1.1\r\n\r\n"), -400);
  CHECK_INT_EQ(parse(&req, "GET http://x/ HTTP/1.1\r\n\r\n"), -400);
  CHECK_INT_EQ(parse(&req, "G(T / HTTP/1.1\r\n\r\n"), -400);
}

void test_vc_http_request_control_bytes_are_400(void) {
  static const char nul_in_target[] = "GET /a\0b HTTP/1.1\r\n\r\n";
  static const char nul_in_value[] = "GET / HTTP/1.1\r\nA: b\0c\r\n\r\n";
  vc_http_request req;

  CHECK_INT_EQ(
      vc_http_parse_request(&req, nul_in_target, sizeof(nul_in_target) - 1),
      -400);
  CHECK_INT_EQ(
      vc_http_parse_request(&req, nul_in_value, sizeof(nul_in_value) - 1),
      -400);
  CHECK_INT_EQ(parse(&req, "GET /a\rb HTTP/1.1\r\n\r\n"), -400);
  CHECK_INT_EQ(parse(&req, "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n"), -400);
}

/* Issue 20, finding 7: TLS on the clear port waited 10 s for a head. */
void test_vc_http_request_tls_bytes_are_400_before_the_head_ends(void) {
  static const char client_hello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc";
  vc_http_request req;

  CHECK_INT_EQ(vc_http_parse_request(&req, client_hello, 1), -400);
  CHECK_INT_EQ(
      vc_http_parse_request(&req, client_hello, sizeof(client_hello) - 1),
      -400);
  CHECK_INT_EQ(parse(&req, "GE\x01"), -400);
  /* A method still arriving, or a request line half there, waits. */
  CHECK_INT_EQ(parse(&req, "GE"), 0);
  CHECK_INT_EQ(parse(&req, "PRI * HTTP/2.0\r\n"), 0);
  CHECK_INT_EQ(parse(&req, "\r\nGET /\x01"), 0);
}

void test_vc_http_request_websocket_headers_are_captured(void) {
  vc_http_request req;

  CHECK(parse(&req, "GET /ws HTTP/1.1\r\nHost:  Example.com:8080 \r\n"
                    "Upgrade: h2c, WebSocket\r\n"
                    "Connection: keep-alive, Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Origin: http://example.com:8080\r\n"
                    "Sec-WebSocket-Version: 13\r\n\r\n") > 0);
  CHECK(strcmp(req.host, "Example.com:8080") == 0);
  CHECK_INT_EQ(req.has_origin, 1);
  CHECK(strcmp(req.origin, "http://example.com:8080") == 0);
  CHECK_INT_EQ(req.upgrade_websocket, 1);
  CHECK_INT_EQ(req.connection_upgrade, 1);
  CHECK_INT_EQ(req.keep_alive, 1);
  CHECK(strcmp(req.ws_key, "dGhlIHNhbXBsZSBub25jZQ==") == 0);
  CHECK_INT_EQ(req.ws_version, 13);

  /* Absent: empty strings, no tokens, version -1. */
  CHECK(parse(&req, "GET /ws HTTP/1.1\r\nUpgrade: websockets\r\n"
                    "Connection: upgraded\r\n\r\n") > 0);
  CHECK(req.host[0] == '\0');
  CHECK_INT_EQ(req.has_origin, 0);
  CHECK_INT_EQ(req.upgrade_websocket, 0);
  CHECK_INT_EQ(req.connection_upgrade, 0);
  CHECK(req.ws_key[0] == '\0');
  CHECK_INT_EQ(req.ws_version, -1);

  /* A version that is not a short number reads as 0. */
  CHECK(parse(&req, "GET / HTTP/1.1\r\nSec-WebSocket-Version: 1x\r\n\r\n") > 0);
  CHECK_INT_EQ(req.ws_version, 0);
  CHECK(parse(&req, "GET / HTTP/1.1\r\nSec-WebSocket-Version: 1234\r\n\r\n") >
        0);
  CHECK_INT_EQ(req.ws_version, 0);
}

/* Builds "GET / HTTP/1.1\r\n<name>: <n x 'a'>\r\n\r\n" into |buf|. */
static size_t with_long_value(char *buf, size_t cap, const char *name,
                              size_t n) {
  size_t len = (size_t)snprintf(buf, cap, "GET / HTTP/1.1\r\n%s: ", name);

  memset(buf + len, 'a', n);
  len += n;
  memcpy(buf + len, "\r\n\r\n", 4);
  return len + 4;
}

void test_vc_http_request_long_websocket_headers_are_431(void) {
  static const struct {
    const char *name;
    size_t max;
  } caps[] = {{"Host", VC_HTTP_MAX_HOST_LEN},
              {"Origin", VC_HTTP_MAX_ORIGIN_LEN},
              {"Sec-WebSocket-Key", VC_HTTP_MAX_WS_KEY_LEN}};
  char buf[1024];
  vc_http_request req;
  size_t i, n;

  for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
    n = with_long_value(buf, sizeof(buf), caps[i].name, caps[i].max);
    CHECK_INT_EQ(vc_http_parse_request(&req, buf, n), n);
    n = with_long_value(buf, sizeof(buf), caps[i].name, caps[i].max + 1);
    CHECK_INT_EQ(vc_http_parse_request(&req, buf, n), -431);
  }
  CHECK_INT_EQ(strlen(req.host), 0);
}

void test_vc_http_request_repeated_single_headers_are_400(void) {
  static const char *const names[] = {"Host", "Origin", "Sec-WebSocket-Key",
                                      "Sec-WebSocket-Version",
                                      "Content-Length"};
  char buf[256];
  vc_http_request req;
  size_t i;
  int n;

  for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n%s: 0\r\n\r\n", names[i]);
    CHECK_INT_EQ(vc_http_parse_request(&req, buf, (size_t)n), n);
    /* A second line, even with the same value, and not next to it. */
    n = snprintf(buf, sizeof(buf),
                 "GET / HTTP/1.1\r\n%s: 0\r\nX-%s: 1\r\n%s: 0\r\n\r\n",
                 names[i], names[i], names[i]);
    CHECK_INT_EQ(vc_http_parse_request(&req, buf, (size_t)n), -400);
  }
  /* Upgrade and Connection are lists: repeats add up. */
  CHECK(parse(&req, "GET / HTTP/1.1\r\nUpgrade: a\r\nUpgrade: websocket\r\n"
                    "Connection: upgrade\r\nConnection: close\r\n\r\n") > 0);
  CHECK_INT_EQ(req.upgrade_websocket, 1);
  CHECK_INT_EQ(req.connection_upgrade, 1);
  CHECK_INT_EQ(req.keep_alive, 0);
}
