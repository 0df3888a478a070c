/*
 * ws_handshake.c: the opening handshake, server side (RFC 6455 §4.2.1,
 * §4.2.2). The checks run in the order of §4.2.1's list, except that the
 * version goes before the key (see ws_handshake.h). SHA-1 comes from
 * GnuTLS; base64 (RFC 4648 §4) is small enough to write here.
 */
#define _POSIX_C_SOURCE 200809L
#include "ws_handshake.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "http_response.h"

/* RFC 6455 §1.3: appended to the key before hashing. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
#define WS_KEY_LEN 24   /* base64 of 16 bytes */
#define WS_KEY_BYTES 16 /* §4.1: a 16-byte nonce */
#define WS_SHA1_LEN 20  /* SHA-1 digest */
#define WS_VERSION 13   /* §4.1: the only version of the RFC */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Writes base64 of |n| bytes and a NUL; |out| holds 4*ceil(n/3)+1. */
static void base64_encode(char *out, const uint8_t *in, size_t n) {
  size_t i;
  uint32_t v;

  for (i = 0; i + 2 < n; i += 3) {
    v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
    *out++ = b64[(v >> 18) & 63];
    *out++ = b64[(v >> 12) & 63];
    *out++ = b64[(v >> 6) & 63];
    *out++ = b64[v & 63];
  }
  if (n - i == 1) {
    v = (uint32_t)in[i] << 16;
    *out++ = b64[(v >> 18) & 63];
    *out++ = b64[(v >> 12) & 63];
    *out++ = '=';
    *out++ = '=';
  } else if (n - i == 2) {
    v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
    *out++ = b64[(v >> 18) & 63];
    *out++ = b64[(v >> 12) & 63];
    *out++ = b64[(v >> 6) & 63];
    *out++ = '=';
  }
  *out = '\0';
}

static int base64_value(char c) {
  const char *p = c ? strchr(b64, c) : NULL;

  return p ? (int)(p - b64) : -1;
}

/*
 * Decodes |len| characters of padded base64 into |out| (|cap| bytes).
 * Returns the byte count, or -1 for anything but the one canonical
 * encoding (RFC 4648 §3.5: unused bits must be zero), so every byte
 * string has exactly one accepted spelling.
 */
static int base64_decode(uint8_t *out, size_t cap, const char *s, size_t len) {
  size_t i, j, n = 0, pad = 0;
  uint32_t v;
  int d;

  if (len % 4 != 0) {
    return -1;
  }
  if (len > 0 && s[len - 1] == '=') {
    pad = s[len - 2] == '=' ? 2 : 1;
  }
  for (i = 0; i < len; i += 4) {
    v = 0;
    for (j = 0; j < 4; j++) {
      if (i + j >= len - pad) {
        d = 0;
      } else if ((d = base64_value(s[i + j])) < 0) {
        return -1; /* includes a '=' before the end */
      }
      v = (v << 6) | (uint32_t)d;
    }
    for (j = 0; j < 3 && n < (len / 4) * 3 - pad; j++) {
      if (n >= cap) {
        return -1;
      }
      out[n++] = (uint8_t)(v >> (16 - 8 * j));
    }
    if (i + 4 == len && pad > 0 && (v & ((1u << (8 * pad)) - 1)) != 0) {
      return -1; /* bits beyond the last byte */
    }
  }
  return (int)n;
}

static int key_is_valid(const char *key) {
  uint8_t nonce[WS_KEY_BYTES];
  size_t len = strlen(key);

  return len == WS_KEY_LEN &&
         base64_decode(nonce, sizeof(nonce), key, len) == WS_KEY_BYTES;
}

/*
 * An Origin is "scheme://host[:port]" (RFC 6454 §6.2); its host[:port]
 * must be the Host the client asked for, or a page elsewhere is trying to
 * use this server.
 */
static int origin_matches_host(const char *origin, const char *host) {
  const char *sep = strstr(origin, "://");

  return sep && sep != origin && strcasecmp(sep + 3, host) == 0;
}

static int refuse(int status, const char *sentence, const char **why) {
  if (why) {
    *why = sentence;
  }
  return status;
}

int vc_ws_check_upgrade(const vc_http_request *req,
                        char accept[VC_WS_ACCEPT_LEN + 1], const char **why) {
  char text[WS_KEY_LEN + sizeof(ws_guid)];
  uint8_t digest[WS_SHA1_LEN];

  accept[0] = '\0';
  if (strcmp(req->method, "GET") != 0) {
    return refuse(400, "A WebSocket handshake is a GET request.", why);
  }
  if (req->version_minor != 1) {
    return refuse(400, "A WebSocket handshake needs HTTP/1.1.", why);
  }
  if (req->host[0] == '\0') {
    return refuse(400, "The request has no Host header.", why);
  }
  if (!req->upgrade_websocket) {
    return refuse(400, "The Upgrade header does not name websocket.", why);
  }
  if (!req->connection_upgrade) {
    return refuse(400, "The Connection header does not name Upgrade.", why);
  }
  if (req->ws_version != WS_VERSION) {
    return refuse(426, "This server speaks WebSocket version 13 only.", why);
  }
  if (!key_is_valid(req->ws_key)) {
    return refuse(400, "Sec-WebSocket-Key is not 16 bytes in base64.", why);
  }
  if (req->has_origin && !origin_matches_host(req->origin, req->host)) {
    return refuse(403, "The page's origin is not this server.", why);
  }

  memcpy(text, req->ws_key, WS_KEY_LEN);
  memcpy(text + WS_KEY_LEN, ws_guid, sizeof(ws_guid) - 1);
  if (gnutls_hash_fast(GNUTLS_DIG_SHA1, text, WS_KEY_LEN + sizeof(ws_guid) - 1,
                       digest) < 0) {
    return refuse(500, "The server could not compute the handshake.", why);
  }
  base64_encode(accept, digest, sizeof(digest));
  if (why) {
    *why = NULL;
  }
  return 0;
}

/* The length snprintf reports, or NOBUF when it (and its NUL) did not fit. */
static vc_ssize fitted(int n, size_t cap) {
  if (n < 0 || (size_t)n >= cap) {
    return VC_ERR_NOBUF;
  }
  return n;
}

vc_ssize vc_ws_write_upgrade_response(char *dest, size_t cap,
                                      const char accept[VC_WS_ACCEPT_LEN + 1]) {
  if (!accept || strnlen(accept, VC_WS_ACCEPT_LEN + 1) != VC_WS_ACCEPT_LEN ||
      (!dest && cap > 0)) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  if (cap == 0) {
    return VC_ERR_NOBUF;
  }
  return fitted(snprintf(dest, cap,
                         "HTTP/1.1 101 Switching Protocols\r\n"
                         "Upgrade: websocket\r\n"
                         "Connection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: %s\r\n"
                         "\r\n",
                         accept),
                cap);
}

vc_ssize vc_ws_write_refusal(char *dest, size_t cap, int status,
                             const char *why) {
  const char *reason = vc_http_reason(status);

  if (status < 400 || status > 599 || (!dest && cap > 0)) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  if (cap == 0) {
    return VC_ERR_NOBUF;
  }
  if (!why) {
    why = reason;
  }
  /* The body is one line: |why| and a LF. */
  return fitted(snprintf(dest, cap,
                         "HTTP/1.1 %d %s\r\n"
                         "%s"
                         "Content-Type: text/plain; charset=utf-8\r\n"
                         "Content-Length: %zu\r\n"
                         "Cache-Control: no-store\r\n"
                         "X-Content-Type-Options: nosniff\r\n"
                         "Connection: close\r\n"
                         "\r\n"
                         "%s\n",
                         status, reason,
                         status == 426 ? "Sec-WebSocket-Version: 13\r\n" : "",
                         strlen(why) + 1, why),
                cap);
}
