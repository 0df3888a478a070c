/*
 * http_request.c: the request-head parser (RFC 9112). It is deliberately
 * strict where leniency has caused request smuggling (obs-fold, spaces
 * before the colon, conflicting Content-Length) and lenient only where
 * the RFC asks (bare LF line ends, empty lines before the request line).
 *
 * The parser keeps no state between calls: the server calls it again with
 * the longer buffer. A head is at most 8 KiB, so re-scanning costs little
 * and a request split at any byte parses the same as one in one piece.
 */
#define _POSIX_C_SOURCE 200809L
#include "http_request.h"

#include <string.h>
#include <strings.h>

static int is_tchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
      (c >= '0' && c <= '9')) {
    return 1;
  }
  return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Field values: visible ASCII, space, tab and obs-text; no other CTL. */
static int is_field_char(unsigned char c) {
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Length of the line at |p| without its LF or CRLF; |*next| after it. */
static size_t line_length(const char *p, const char *end, const char **next) {
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  size_t n = (size_t)(nl - p);

  *next = nl + 1;
  if (n > 0 && p[n - 1] == '\r') {
    n--;
  }
  return n;
}

/* Offset just past the empty line that ends the head, or 0 if none yet. */
static size_t head_end(const char *buf, size_t start, size_t len) {
  size_t i;

  for (i = start; i < len; i++) {
    if (buf[i] != '\n') {
      continue;
    }
    if (i + 1 < len && buf[i + 1] == '\n') {
      return i + 2;
    }
    if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
      return i + 3;
    }
  }
  return 0;
}

/* While the head is incomplete: is the target already too long? */
static int target_overflows(const char *line, size_t len) {
  const char *sp = memchr(line, ' ', len);
  const char *target_end;

  if (!sp) {
    return 0;
  }
  sp++;
  target_end = memchr(sp, ' ', len - (size_t)(sp - line));
  if (!target_end) {
    target_end = line + len;
  }
  return (size_t)(target_end - sp) > VC_HTTP_MAX_TARGET_LEN;
}

/*
 * Judges the method of a head still arriving: a byte that no method may
 * hold is a 400 at once. A TLS ClientHello (first byte 0x16) or other
 * binary sent to the clear port never holds an empty line, so without
 * this it waited for the header timeout (10 s; issue 20, finding 7).
 */
static int method_prefix_is_bad(const char *p, size_t n) {
  size_t i;

  for (i = 0; i < n && p[i] != ' '; i++) {
    if (!is_tchar((unsigned char)p[i])) {
      return 1;
    }
  }
  return 0;
}

static int parse_request_line(vc_http_request *req, const char *p, size_t n) {
  const char *end = p + n, *sp;
  size_t mlen, tlen, i;

  sp = memchr(p, ' ', n);
  if (!sp || sp == p) {
    return -400;
  }
  mlen = (size_t)(sp - p);
  for (i = 0; i < mlen; i++) {
    if (!is_tchar((unsigned char)p[i])) {
      return -400;
    }
  }
  if (mlen > VC_HTTP_MAX_METHOD_LEN) {
    return -501;
  }
  memcpy(req->method, p, mlen);
  req->method[mlen] = '\0';

  p = sp + 1;
  sp = memchr(p, ' ', (size_t)(end - p));
  if (!sp || sp == p) {
    return -400;
  }
  tlen = (size_t)(sp - p);
  if (tlen > VC_HTTP_MAX_TARGET_LEN) {
    return -414;
  }
  for (i = 0; i < tlen; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c <= 0x20 || c >= 0x7f) {
      return -400;
    }
  }
  if (p[0] != '/') {
    return -400; /* origin-form only; we are nobody's proxy */
  }
  memcpy(req->target, p, tlen);
  req->target[tlen] = '\0';

  p = sp + 1;
  if ((size_t)(end - p) != 8 || memcmp(p, "HTTP/", 5) != 0 || p[5] < '0' ||
      p[5] > '9' || p[6] != '.' || p[7] < '0' || p[7] > '9') {
    return -400;
  }
  if (p[5] != '1' || (p[7] != '0' && p[7] != '1')) {
    return -505;
  }
  req->version_minor = p[7] - '0';
  req->keep_alive = req->version_minor == 1;
  return 0;
}

/* Does the comma-separated |value| list |token| (case-insensitive)? */
static int has_token(const char *value, size_t n, const char *token) {
  size_t tlen = strlen(token), i = 0, start, end;

  while (i < n) {
    while (i < n && (value[i] == ' ' || value[i] == '\t' || value[i] == ',')) {
      i++;
    }
    start = i;
    while (i < n && value[i] != ',') {
      i++;
    }
    end = i;
    while (end > start && (value[end - 1] == ' ' || value[end - 1] == '\t')) {
      end--;
    }
    if (end - start == tlen && strncasecmp(value + start, token, tlen) == 0) {
      return 1;
    }
  }
  return 0;
}

static int name_is(const char *name, size_t n, const char *want) {
  return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* Header fields that may appear at most once, as bits of |*seen|. */
enum {
  SEEN_CONTENT_LENGTH = 1 << 0,
  SEEN_HOST = 1 << 1,
  SEEN_ORIGIN = 1 << 2,
  SEEN_WS_KEY = 1 << 3,
  SEEN_WS_VERSION = 1 << 4
};

/* Copies a value of at most |max| bytes; longer ones are -431, not cut. */
static int copy_value(char *dst, size_t max, const char *v, size_t vlen) {
  if (vlen > max) {
    return -431;
  }
  memcpy(dst, v, vlen);
  dst[vlen] = '\0';
  return 0;
}

/* Sec-WebSocket-Version: 1*DIGIT (RFC 6455 §4.1); anything else is 0. */
static int parse_ws_version(const char *v, size_t vlen) {
  int version = 0;
  size_t i;

  if (vlen == 0 || vlen > 3) {
    return 0;
  }
  for (i = 0; i < vlen; i++) {
    if (v[i] < '0' || v[i] > '9') {
      return 0;
    }
    version = version * 10 + (v[i] - '0');
  }
  return version;
}

static int parse_header(vc_http_request *req, const char *p, size_t n,
                        unsigned *seen) {
  const char *colon = memchr(p, ':', n), *v, *vend;
  size_t nlen, vlen, i;
  unsigned bit;

  if (p[0] == ' ' || p[0] == '\t') {
    return -400; /* obs-fold: rejected (RFC 9112 §5.2) */
  }
  if (!colon || colon == p) {
    return -400;
  }
  nlen = (size_t)(colon - p);
  for (i = 0; i < nlen; i++) {
    if (!is_tchar((unsigned char)p[i])) {
      return -400; /* includes whitespace before the colon */
    }
  }
  v = colon + 1;
  vend = p + n;
  for (i = 0; v + i < vend; i++) {
    if (!is_field_char((unsigned char)v[i])) {
      return -400;
    }
  }
  while (v < vend && (*v == ' ' || *v == '\t')) {
    v++;
  }
  while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t')) {
    vend--;
  }

  vlen = (size_t)(vend - v);
  bit = name_is(p, nlen, "content-length")          ? SEEN_CONTENT_LENGTH
        : name_is(p, nlen, "host")                  ? SEEN_HOST
        : name_is(p, nlen, "origin")                ? SEEN_ORIGIN
        : name_is(p, nlen, "sec-websocket-key")     ? SEEN_WS_KEY
        : name_is(p, nlen, "sec-websocket-version") ? SEEN_WS_VERSION
                                                    : 0;
  if (bit & *seen) {
    return -400; /* a second one: never guess which is true */
  }
  *seen |= bit;

  if (name_is(p, nlen, "connection")) {
    if (has_token(v, vlen, "close")) {
      req->keep_alive = 0;
    } else if (has_token(v, vlen, "keep-alive")) {
      req->keep_alive = 1;
    }
    /* Lines of one field name add up (RFC 9110 §5.3). */
    req->connection_upgrade |= has_token(v, vlen, "upgrade");
  } else if (name_is(p, nlen, "upgrade")) {
    req->upgrade_websocket |= has_token(v, vlen, "websocket");
  } else if (bit == SEEN_HOST) {
    return copy_value(req->host, VC_HTTP_MAX_HOST_LEN, v, vlen);
  } else if (bit == SEEN_ORIGIN) {
    req->has_origin = 1;
    return copy_value(req->origin, VC_HTTP_MAX_ORIGIN_LEN, v, vlen);
  } else if (bit == SEEN_WS_KEY) {
    return copy_value(req->ws_key, VC_HTTP_MAX_WS_KEY_LEN, v, vlen);
  } else if (bit == SEEN_WS_VERSION) {
    req->ws_version = parse_ws_version(v, vlen);
  } else if (bit == SEEN_CONTENT_LENGTH) {
    if (v == vend) {
      return -400;
    }
    for (i = 0; v + i < vend; i++) {
      if (v[i] < '0' || v[i] > '9') {
        return -400;
      }
    }
    while (v < vend && *v == '0') {
      v++;
    }
    if (v != vend) {
      return -413; /* a body; no route of ours takes one */
    }
  } else if (name_is(p, nlen, "transfer-encoding")) {
    return -501;
  } else if (name_is(p, nlen, "if-none-match")) {
    if (vlen <= VC_HTTP_MAX_ETAG_LEN) {
      memcpy(req->if_none_match, v, vlen);
      req->if_none_match[vlen] = '\0';
    }
  }
  return 0;
}

int vc_http_parse_request(vc_http_request *req, const char *buf, size_t len) {
  const char *p, *end, *next;
  size_t start = 0, total, n;
  unsigned seen = 0;
  int rv;

  memset(req, 0, sizeof(*req));
  req->ws_version = -1;
  /* RFC 9112 §2.2: ignore empty lines before the request line. */
  while (start < len && (buf[start] == '\r' || buf[start] == '\n')) {
    start++;
  }
  if (start >= VC_HTTP_MAX_HEAD_LEN) {
    return -400;
  }
  total = head_end(buf, start, len);
  if (total == 0) {
    if (method_prefix_is_bad(buf + start, len - start)) {
      return -400;
    }
    if (target_overflows(buf + start, len - start)) {
      return -414;
    }
    return len >= VC_HTTP_MAX_HEAD_LEN ? -431 : 0;
  }
  if (total > VC_HTTP_MAX_HEAD_LEN) {
    return target_overflows(buf + start, total - start) ? -414 : -431;
  }

  p = buf + start;
  end = buf + total;
  n = line_length(p, end, &next);
  rv = parse_request_line(req, p, n);
  if (rv < 0) {
    return rv;
  }
  for (p = next; p < end; p = next) {
    n = line_length(p, end, &next);
    if (n == 0) {
      break; /* the empty line ending the head */
    }
    if (++req->n_headers > VC_HTTP_MAX_HEADERS) {
      return -431;
    }
    rv = parse_header(req, p, n, &seen);
    if (rv < 0) {
      return rv;
    }
  }
  return (int)total;
}
