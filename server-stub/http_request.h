/*
 * http_request.h: a sans-I/O parser for one HTTP/1.x request head
 * (RFC 9112 §2-§5), bounded in every dimension. The server feeds it what it
 * has buffered; it answers "need more", "here is a request" or "reject with
 * this status".
 */
#ifndef VC_SERVER_HTTP_REQUEST_H
#define VC_SERVER_HTTP_REQUEST_H

#include <stddef.h>

/* A request head (request line and headers) may not exceed this. */
#define VC_HTTP_MAX_HEAD_LEN 8192
/* The request target may not exceed this (414 beyond). */
#define VC_HTTP_MAX_TARGET_LEN 2048
/* At most this many header fields (431 beyond). */
#define VC_HTTP_MAX_HEADERS 64
#define VC_HTTP_MAX_METHOD_LEN 15
#define VC_HTTP_MAX_ETAG_LEN 127
/*
 * Host, Origin and Sec-WebSocket-Key are kept for the WebSocket upgrade
 * (ws_handshake.h); a longer value is refused with 431, like a head that
 * is too large, rather than cut, which could make two origins look alike.
 */
#define VC_HTTP_MAX_HOST_LEN 255
#define VC_HTTP_MAX_ORIGIN_LEN 255
#define VC_HTTP_MAX_WS_KEY_LEN 63

typedef struct vc_http_request {
  char method[VC_HTTP_MAX_METHOD_LEN + 1];
  char target[VC_HTTP_MAX_TARGET_LEN + 1];
  int version_minor; /* HTTP/1.<version_minor>: 0 or 1 */
  int keep_alive;    /* the client allows another request after this one */
  int n_headers;
  /* If-None-Match, when present and short enough to be one of our ETags. */
  char if_none_match[VC_HTTP_MAX_ETAG_LEN + 1];
  /* The fields the WebSocket upgrade reads; "" and 0 when absent. */
  char host[VC_HTTP_MAX_HOST_LEN + 1];
  int has_origin; /* tells "Origin:" with no value from no Origin */
  char origin[VC_HTTP_MAX_ORIGIN_LEN + 1];
  int upgrade_websocket;  /* Upgrade lists the token "websocket" */
  int connection_upgrade; /* Connection lists the token "upgrade" */
  char ws_key[VC_HTTP_MAX_WS_KEY_LEN + 1]; /* Sec-WebSocket-Key, as sent */
  /* Sec-WebSocket-Version: -1 when absent, 0 when not a 1-3 digit number */
  int ws_version;
} vc_http_request;

/*
 * Parses the request head at the start of |buf| (|len| bytes buffered).
 * Returns the length of the head (the bytes to consume) when it is
 * complete and acceptable; 0 when more bytes are needed; or minus an HTTP
 * status when the request must be rejected: -400 (syntax), -413 (a body;
 * we accept none), -414 (target too long), -431 (head or header count too
 * large, or a Host, Origin or Sec-WebSocket-Key value over its cap),
 * -501 (Transfer-Encoding), -505 (a version other than 1.0/1.1). Host,
 * Origin, Sec-WebSocket-Key and Sec-WebSocket-Version may appear once
 * (RFC 9112 §3.2, RFC 6454 §7.3, RFC 6455 §11.3); a repeat is -400.
 * Lines may end in CRLF or a bare LF (RFC 9112 §2.2).
 */
int vc_http_parse_request(vc_http_request *req, const char *buf, size_t len);

#endif /* VC_SERVER_HTTP_REQUEST_H */
