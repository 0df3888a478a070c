/*
 * http_response.c: response heads (RFC 9110/9112) and error pages. The
 * error page is styled with Tailwind classes written whole here, which the
 * CSS build scans (web/styles/input.css), so it looks like the app.
 */
#define _POSIX_C_SOURCE 200809L
#include "http_response.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <vc/vc.h>

const char *vc_http_reason(int status) {
  switch (status) {
  case 200:
    return "OK";
  case 304:
    return "Not Modified";
  case 308:
    return "Permanent Redirect";
  case 400:
    return "Bad Request";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 408:
    return "Request Timeout";
  case 413:
    return "Content Too Large";
  case 414:
    return "URI Too Long";
  case 426:
    return "Upgrade Required";
  case 431:
    return "Request Header Fields Too Large";
  case 500:
    return "Internal Server Error";
  case 501:
    return "Not Implemented";
  case 503:
    return "Service Unavailable";
  case 505:
    return "HTTP Version Not Supported";
  default:
    return "Unknown";
  }
}

/* Appends to |buf| at |*len|; returns -1 once it would overflow. */
static int append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int append(char *buf, size_t cap, size_t *len, const char *fmt, ...) {
  va_list ap;
  int n;

  if (*len >= cap) {
    return -1;
  }
  va_start(ap, fmt);
  n = vsnprintf(buf + *len, cap - *len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= cap - *len) {
    return -1;
  }
  *len += (size_t)n;
  return 0;
}

int vc_http_format_head(char *buf, size_t cap, const vc_http_head *h) {
  char date[64];
  struct tm tm;
  size_t len = 0;
  int rv = 0;

  gmtime_r(&h->date, &tm);
  strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  rv |= append(buf, cap, &len, "HTTP/1.1 %d %s\r\n", h->status,
               vc_http_reason(h->status));
  rv |= append(buf, cap, &len, "Date: %s\r\nServer: vc-server/%s\r\n", date,
               vc_version());
  if (h->content_type) {
    rv |= append(buf, cap, &len, "Content-Type: %s\r\n", h->content_type);
  }
  rv |= append(buf, cap, &len, "Content-Length: %llu\r\n",
               (unsigned long long)h->content_length);
  if (h->etag) {
    rv |= append(buf, cap, &len, "ETag: %s\r\n", h->etag);
  }
  if (h->location) {
    rv |= append(buf, cap, &len, "Location: %s\r\n", h->location);
  }
  if (h->status == 405) {
    rv |= append(buf, cap, &len, "Allow: GET, HEAD\r\n");
  }
  rv |= append(buf, cap, &len, "Cache-Control: %s\r\n",
               h->cache_control ? h->cache_control : "no-store");
  /*
   * Cross-origin isolation (COOP + COEP) makes SharedArrayBuffer available
   * to the page, which the audio path needs; the rest is hygiene.
   */
  rv |= append(buf, cap, &len,
               "X-Content-Type-Options: nosniff\r\n"
               "Cross-Origin-Opener-Policy: same-origin\r\n"
               "Cross-Origin-Embedder-Policy: require-corp\r\n"
               "Cross-Origin-Resource-Policy: same-origin\r\n"
               "Referrer-Policy: no-referrer\r\n");
  rv |= append(buf, cap, &len, "Connection: %s\r\n\r\n",
               h->keep_alive ? "keep-alive" : "close");
  return rv ? -1 : (int)len;
}

int vc_html_escape(char *out, size_t cap, const char *s) {
  size_t len = 0;

  for (; *s; s++) {
    const char *rep = NULL;
    size_t n;
    switch (*s) {
    case '&':
      rep = "&amp;";
      break;
    case '<':
      rep = "&lt;";
      break;
    case '>':
      rep = "&gt;";
      break;
    case '"':
      rep = "&quot;";
      break;
    case '\'':
      rep = "&#39;";
      break;
    default:
      break;
    }
    n = rep ? strlen(rep) : 1;
    if (len + n >= cap) {
      return -1;
    }
    memcpy(out + len, rep ? rep : s, n);
    len += n;
  }
  out[len] = '\0';
  return (int)len;
}

int vc_http_error_page(char *buf, size_t cap, int status, const char *title,
                       const char *detail) {
  char t[512], d[1024];
  size_t len = 0;

  if (vc_html_escape(t, sizeof(t), title) < 0 ||
      vc_html_escape(d, sizeof(d), detail) < 0) {
    return -1;
  }
  if (append(
          buf, cap, &len,
          "<!doctype html>\n<html lang=\"en\" class=\"h-full bg-slate-950\">\n"
          "<head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width, "
          "initial-scale=1\">\n<title>%s · vc</title>"
          "<link rel=\"icon\" href=\"/icons/vc.svg\" type=\"image/svg+xml\">"
          "<link rel=\"stylesheet\" href=\"/css/app.css\"></head>\n"
          "<body class=\"h-full text-slate-100 antialiased\">\n"
          "<main class=\"mx-auto flex min-h-full max-w-lg flex-col "
          "justify-center px-6 py-12\">\n"
          "<p class=\"font-mono text-sm text-slate-500\">%d %s</p>\n"
          "<h1 class=\"mt-2 text-2xl font-semibold tracking-tight\">%s</h1>\n"
          "<p class=\"mt-3 text-slate-300\">%s</p>\n"
          "<p class=\"mt-8\"><a href=\"/\" class=\"rounded-lg bg-sky-600 "
          "px-4 py-2 font-medium text-white hover:bg-sky-500\">"
          "Go to the start page</a></p>\n"
          "</main>\n</body>\n</html>\n",
          t, status, vc_http_reason(status), t, d) != 0) {
    return -1;
  }
  return (int)len;
}
