/*
 * http_response.h: response heads and the HTML error page, as bytes in a
 * caller buffer (sans-I/O).
 */
#ifndef VC_SERVER_HTTP_RESPONSE_H
#define VC_SERVER_HTTP_RESPONSE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef struct vc_http_head {
  int status;
  const char *content_type; /* NULL: no Content-Type */
  uint64_t content_length;
  const char *etag;     /* NULL: none */
  const char *location; /* NULL: none */
  const char *cache_control;
  int keep_alive;
  time_t date;
} vc_http_head;

/* "Not Found" for 404; "Unknown" for codes we never send. */
const char *vc_http_reason(int status);

/*
 * Writes the status line and header fields of |head|, ending with the
 * empty line. Every response carries the same security headers (see
 * docs/SERVER.md). Returns the length, or -1 when |cap| is too small.
 */
int vc_http_format_head(char *buf, size_t cap, const vc_http_head *head);

/*
 * Writes an HTML error page for |status| with |title| and |detail|
 * (escaped here). Returns the length, or -1 when |cap| is too small.
 */
int vc_http_error_page(char *buf, size_t cap, int status, const char *title,
                       const char *detail);

/* HTML-escapes |s| into |out|; returns the length or -1 when too long. */
int vc_html_escape(char *out, size_t cap, const char *s);

#endif /* VC_SERVER_HTTP_RESPONSE_H */
