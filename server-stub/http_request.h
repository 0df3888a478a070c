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

typedef struct vc_http_request {
  char method[VC_HTTP_MAX_METHOD_LEN + 1];
  char target[VC_HTTP_MAX_TARGET_LEN + 1];
  int version_minor; /* HTTP/1.<version_minor>: 0 or 1 */
  int keep_alive;    /* the client allows another request after this one */
  int n_headers;
  /* If-None-Match, when present and short enough to be one of our ETags. */
  char if_none_match[VC_HTTP_MAX_ETAG_LEN + 1];
} vc_http_request;

/*
 * Parses the request head at the start of |buf| (|len| bytes buffered).
 * Returns the length of the head (the bytes to consume) when it is
 * complete and acceptable; 0 when more bytes are needed; or minus an HTTP
 * status when the request must be rejected: -400 (syntax), -413 (a body;
 * we accept none), -414 (target too long), -431 (head or header count too
 * large), -501 (Transfer-Encoding), -505 (a version other than 1.0/1.1).
 * Lines may end in CRLF or a bare LF (RFC 9112 §2.2).
 */
int vc_http_parse_request(vc_http_request *req, const char *buf, size_t len);

#endif /* VC_SERVER_HTTP_REQUEST_H */
