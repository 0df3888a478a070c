/*
 * server_ws_handshake_test.c: the WebSocket opening handshake (RFC 6455
 * §4.2) from request bytes to the answer: the RFC's example key, the
 * shapes browsers send, and every refusal with its status.
 */
#include <stdio.h>
#include <string.h>

#include "http_request.h"
#include "test.h"
#include "ws_handshake.h"

#define RFC_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define RFC_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

/*
 * Parses a GET /ws with the usual headers, where |extra| (whole header
 * lines) is added and any of the usual ones named in |omit| is left out:
 * 'h' Host, 'u' Upgrade, 'c' Connection, 'k' key, 'v' version.
 */
static int check(const char *omit, const char *extra, const char **why,
                 char accept[VC_WS_ACCEPT_LEN + 1]) {
  char head[2048];
  vc_http_request req;
  int n;

  n = snprintf(head, sizeof(head), "GET /ws HTTP/1.1\r\n%s%s%s%s%s%s\r\n",
               strchr(omit, 'h') ? "" : "Host: localhost:8080\r\n",
               strchr(omit, 'u') ? "" : "Upgrade: websocket\r\n",
               strchr(omit, 'c') ? "" : "Connection: Upgrade\r\n",
               strchr(omit, 'k') ? "" : "Sec-WebSocket-Key: " RFC_KEY "\r\n",
               strchr(omit, 'v') ? "" : "Sec-WebSocket-Version: 13\r\n", extra);
  if (n < 0 || (size_t)n >= sizeof(head) ||
      vc_http_parse_request(&req, head, (size_t)n) != n) {
    return -1;
  }
  return vc_ws_check_upgrade(&req, accept, why);
}

static int check_request(const char *head, const char **why) {
  char accept[VC_WS_ACCEPT_LEN + 1];
  vc_http_request req;

  if (vc_http_parse_request(&req, head, strlen(head)) <= 0) {
    return -1;
  }
  return vc_ws_check_upgrade(&req, accept, why);
}

void test_vc_ws_handshake_rfc_example_key_is_accepted(void) {
  /* RFC 6455 §1.3 and §4.2.2's example, with a same-origin Origin. */
  static const char head[] = "GET /ws HTTP/1.1\r\n"
                             "Host: server.example.com\r\n"
                             "Upgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Key: " RFC_KEY "\r\n"
                             "Origin: http://server.example.com\r\n"
                             "Sec-WebSocket-Protocol: chat, superchat\r\n"
                             "Sec-WebSocket-Version: 13\r\n\r\n";
  static const char want[] = "HTTP/1.1 101 Switching Protocols\r\n"
                             "Upgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n";
  char accept[VC_WS_ACCEPT_LEN + 1], out[256];
  const char *why = "unset";
  vc_http_request req;

  CHECK_INT_EQ(vc_http_parse_request(&req, head, sizeof(head) - 1),
               sizeof(head) - 1);
  CHECK_INT_EQ(vc_ws_check_upgrade(&req, accept, &why), 0);
  CHECK(why == NULL);
  CHECK(strcmp(accept, RFC_ACCEPT) == 0);
  CHECK_INT_EQ(vc_ws_write_upgrade_response(out, sizeof(out), accept),
               sizeof(want) - 1);
  CHECK(strcmp(out, want) == 0);
}

void test_vc_ws_handshake_browser_and_native_shapes_are_accepted(void) {
  char accept[VC_WS_ACCEPT_LEN + 1];
  const char *why;

  /* A native client: no Origin at all. */
  CHECK_INT_EQ(check("", "", &why, accept), 0);
  CHECK(strcmp(accept, RFC_ACCEPT) == 0);
  /* Firefox's Connection list, any case in tokens and origin host. */
  CHECK_INT_EQ(check("uc",
                     "Upgrade: WebSocket\r\n"
                     "Connection: keep-alive, Upgrade\r\n"
                     "Origin: http://LocalHost:8080\r\n",
                     &why, accept),
               0);
  CHECK_INT_EQ(check("", "Origin: https://localhost:8080\r\n", &why, accept),
               0);
  /* Tokens spread over two lines of one field. */
  CHECK_INT_EQ(check("c", "Connection: keep-alive\r\nConnection: upgrade\r\n",
                     &why, accept),
               0);
}

void test_vc_ws_handshake_malformed_requests_are_400(void) {
  static const char *const bad_keys[] = {
      "Sec-WebSocket-Key: \r\n",
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=\r\n",     /* 23 chars */
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ===\r\n",   /* 25 chars */
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQab\r\n",    /* 18 bytes */
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZR==\r\n",    /* stray bits */
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j!Q==\r\n",    /* alphabet */
      "Sec-WebSocket-Key: dGhlIHNhbXBs=SBub25jZQ==\r\n",    /* '=' inside */
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ-_\r\n",    /* base64url */
      "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n" /* 21 bytes */
  };
  char accept[VC_WS_ACCEPT_LEN + 1];
  const char *why;
  size_t i;

  CHECK_INT_EQ(check_request("POST /ws HTTP/1.1\r\nHost: a\r\n"
                             "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                             "Sec-WebSocket-Key: " RFC_KEY "\r\n"
                             "Sec-WebSocket-Version: 13\r\n\r\n",
                             &why),
               400);
  CHECK(why != NULL && strstr(why, "GET") != NULL);
  CHECK_INT_EQ(check_request("GET /ws HTTP/1.0\r\nHost: a\r\n"
                             "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                             "Sec-WebSocket-Key: " RFC_KEY "\r\n"
                             "Sec-WebSocket-Version: 13\r\n\r\n",
                             &why),
               400);
  CHECK(strstr(why, "HTTP/1.1") != NULL);
  CHECK_INT_EQ(check("h", "", &why, accept), 400);
  CHECK(strstr(why, "Host") != NULL);
  CHECK(accept[0] == '\0');
  CHECK_INT_EQ(check("h", "Host: \r\n", &why, accept), 400);
  CHECK_INT_EQ(check("u", "", &why, accept), 400);
  CHECK(strstr(why, "Upgrade") != NULL);
  CHECK_INT_EQ(check("u", "Upgrade: h2c\r\n", &why, accept), 400);
  CHECK_INT_EQ(check("u", "Upgrade: websockets\r\n", &why, accept), 400);
  CHECK_INT_EQ(check("c", "", &why, accept), 400);
  CHECK(strstr(why, "Connection") != NULL);
  CHECK_INT_EQ(check("c", "Connection: keep-alive\r\n", &why, accept), 400);
  CHECK_INT_EQ(check("k", "", &why, accept), 400);
  CHECK(strstr(why, "Key") != NULL);
  for (i = 0; i < sizeof(bad_keys) / sizeof(bad_keys[0]); i++) {
    CHECK_INT_EQ(check("k", bad_keys[i], &why, accept), 400);
  }
  /* The reason is optional. */
  CHECK_INT_EQ(check("k", "", NULL, accept), 400);
}

void test_vc_ws_handshake_other_versions_are_426(void) {
  static const char *const versions[] = {
      "",
      "Sec-WebSocket-Version: 8\r\n",
      "Sec-WebSocket-Version: 12\r\n",
      "Sec-WebSocket-Version: 13a\r\n",
      "Sec-WebSocket-Version: 0013\r\n",
      "Sec-WebSocket-Version: 13, 8\r\n",
      "Sec-WebSocket-Version:\r\n",
  };
  char accept[VC_WS_ACCEPT_LEN + 1], out[512];
  const char *why;
  size_t i;

  for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
    CHECK_INT_EQ(check("v", versions[i], &why, accept), 426);
  }
  /* Before the key: a draft-era client learns which version to speak. */
  CHECK_INT_EQ(check("vk", "", &why, accept), 426);
  CHECK(vc_ws_write_refusal(out, sizeof(out), 426, why) > 0);
  CHECK(strstr(out, "HTTP/1.1 426 Upgrade Required\r\n") == out);
  CHECK(strstr(out, "\r\nSec-WebSocket-Version: 13\r\n") != NULL);
}

void test_vc_ws_handshake_foreign_origins_are_403(void) {
  static const char *const origins[] = {
      "Origin: http://evil.example\r\n",
      "Origin: http://localhost:8081\r\n",
      "Origin: http://localhost\r\n",
      "Origin: http://localhost:8080.evil.example\r\n",
      "Origin: http://localhost:8080/\r\n",
      "Origin: null\r\n",
      "Origin: localhost:8080\r\n",
      "Origin: ://localhost:8080\r\n",
      "Origin:\r\n",
  };
  char accept[VC_WS_ACCEPT_LEN + 1];
  const char *why;
  size_t i;

  for (i = 0; i < sizeof(origins) / sizeof(origins[0]); i++) {
    CHECK_INT_EQ(check("", origins[i], &why, accept), 403);
    CHECK(strstr(why, "origin") != NULL);
    CHECK(accept[0] == '\0');
  }
}

void test_vc_ws_handshake_refusal_is_a_complete_response(void) {
  static const char short_accept[VC_WS_ACCEPT_LEN + 1] = "short";
  char out[512];
  const char *body;
  vc_ssize n;
  int content_length = -1;

  n = vc_ws_write_refusal(out, sizeof(out), 403, "Not from here.");
  CHECK(n > 0);
  CHECK_INT_EQ(strlen(out), n);
  CHECK(strstr(out, "HTTP/1.1 403 Forbidden\r\n") == out);
  CHECK(strstr(out, "\r\nConnection: close\r\n") != NULL);
  CHECK(strstr(out, "\r\nContent-Type: text/plain; charset=utf-8\r\n"));
  CHECK(strstr(out, "Sec-WebSocket-Version") == NULL);
  body = strstr(out, "\r\n\r\n");
  CHECK(body != NULL);
  body += 4;
  CHECK(strcmp(body, "Not from here.\n") == 0);
  CHECK(sscanf(strstr(out, "Content-Length: "), "Content-Length: %d",
               &content_length) == 1);
  CHECK_INT_EQ(content_length, strlen(body));

  /* Without a sentence the reason phrase is the body. */
  n = vc_ws_write_refusal(out, sizeof(out), 400, NULL);
  CHECK(n > 0);
  CHECK(strstr(out, "\r\n\r\nBad Request\n") != NULL);

  /* Short buffers and bad arguments. */
  CHECK_INT_EQ(vc_ws_write_refusal(out, 20, 400, "x"), VC_ERR_NOBUF);
  CHECK_INT_EQ(vc_ws_write_refusal(out, (size_t)n, 400, NULL), VC_ERR_NOBUF);
  CHECK_INT_EQ(vc_ws_write_refusal(out, sizeof(out), 200, "x"),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_ws_write_upgrade_response(out, 50, RFC_ACCEPT), VC_ERR_NOBUF);
  CHECK_INT_EQ(vc_ws_write_upgrade_response(out, sizeof(out), short_accept),
               VC_ERR_INVALID_ARGUMENT);
}
