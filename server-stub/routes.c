/*
 * routes.c: from request target to action. The order matters: decode the
 * whole path first, then split it into segments, then judge segments. A
 * check made before decoding could be dodged with %2e%2e or %2f.
 */
#define _POSIX_C_SOURCE 200809L
#include "routes.h"

#include <stdio.h>
#include <string.h>

#include <vc/control.h>

#include "hex_digit.h"

#define MAX_SEGMENTS 32

static void set_error(vc_http_route *r, int status, const char *title,
                      const char *detail) {
  r->action = VC_HTTP_ERROR;
  r->status = status;
  r->title = title;
  r->detail = detail;
}

static void set_not_found(vc_http_route *r) {
  set_error(r, 404, "Page not found",
            "There is nothing at this address. Meeting links look like "
            "/meeting/your-name/meeting-id.");
}

/* Decodes %XX in the path part of |target| into |out|; -1 if malformed. */
static int percent_decode_path(char *out, size_t cap, const char *target) {
  size_t o = 0;
  const char *p;

  for (p = target; *p && *p != '?' && *p != '#'; p++) {
    char c = *p;
    if (c == '%') {
      int hi = vc_hex_digit(p[1]), lo = hi < 0 ? -1 : vc_hex_digit(p[2]);
      if (hi < 0 || lo < 0) {
        return -1;
      }
      c = (char)(hi * 16 + lo);
      if (c == '\0') {
        return -1;
      }
      p += 2;
    }
    if (o + 1 >= cap) {
      return -1;
    }
    out[o++] = c;
  }
  out[o] = '\0';
  return 0;
}

/* Splits "/a/b/" into "a", "b", "" in place; returns the count or -1. */
static int split_segments(char *path, char **seg) {
  int n = 0;
  char *p = path + 1; /* the path starts with '/' */

  for (;;) {
    char *slash = strchr(p, '/');
    if (n == MAX_SEGMENTS) {
      return -1;
    }
    seg[n++] = p;
    if (!slash) {
      return n;
    }
    *slash = '\0';
    p = slash + 1;
  }
}

static void resolve_meeting(vc_http_route *r, char **seg, int n) {
  int trailing_slash = n == 4 && seg[3][0] == '\0';

  if (n > 4 || (n == 4 && !trailing_slash)) {
    set_not_found(r);
    return;
  }
  if (n < 3 || seg[1][0] == '\0' || seg[2][0] == '\0') {
    set_error(r, 400, "Incomplete meeting link",
              "Meeting links look like /meeting/your-name/meeting-id: "
              "both your name and the meeting id are needed.");
    return;
  }
  if (!vc_name_is_safe(seg[1]) || !vc_name_is_safe(seg[2])) {
    set_error(r, 400, "This meeting link has characters we do not allow",
              "Names and meeting ids may use " VC_NAME_RULE ".");
    return;
  }
  if (trailing_slash) {
    r->action = VC_HTTP_REDIRECT;
    r->status = 308;
    snprintf(r->location, sizeof(r->location), "/meeting/%s/%s", seg[1],
             seg[2]);
    return;
  }
  r->action = VC_HTTP_SERVE_FILE;
  r->status = 200;
  strcpy(r->path, "meeting.html");
}

static void resolve_static(vc_http_route *r, char **seg, int n) {
  size_t o = 0;
  int i;

  for (i = 0; i < n; i++) {
    size_t len = strlen(seg[i]);
    /* Empty ("//", a trailing "/"), ".", ".." and dotfiles: never. */
    if (len == 0 || seg[i][0] == '.') {
      set_not_found(r);
      return;
    }
    if (o + len + 2 > sizeof(r->path)) {
      set_not_found(r);
      return;
    }
    if (i > 0) {
      r->path[o++] = '/';
    }
    memcpy(r->path + o, seg[i], len);
    o += len;
  }
  r->path[o] = '\0';
  r->action = VC_HTTP_SERVE_FILE;
  r->status = 200;
}

void vc_http_route_resolve(vc_http_route *r, const char *method,
                           const char *target) {
  char path[VC_HTTP_MAX_TARGET_LEN + 1];
  char *seg[MAX_SEGMENTS];
  int n;

  memset(r, 0, sizeof(*r));
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
    set_error(r, 405, "Method not allowed",
              "This server only answers GET and HEAD requests.");
    return;
  }
  if (target[0] != '/' || percent_decode_path(path, sizeof(path), target)) {
    set_error(r, 400, "Bad request",
              "The address is not valid (a broken %-escape or a NUL).");
    return;
  }
  if (strcmp(path, "/") == 0) {
    r->action = VC_HTTP_SERVE_FILE;
    r->status = 200;
    strcpy(r->path, "index.html");
    return;
  }
  if (strcmp(path, "/healthz") == 0) {
    r->action = VC_HTTP_HEALTHZ;
    r->status = 200;
    return;
  }
  n = split_segments(path, seg);
  if (n < 0) {
    set_not_found(r);
    return;
  }
  if (strcmp(seg[0], "meeting") == 0) {
    resolve_meeting(r, seg, n);
    return;
  }
  resolve_static(r, seg, n);
}
