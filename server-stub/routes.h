/*
 * routes.h: what the server does with a request, decided from the method
 * and the raw target alone (sans-I/O, so every rule is unit-tested):
 *
 *   /                          index.html
 *   /healthz                   "ok"
 *   /meeting/<user>/<id>       meeting.html (names: VC_NAME_RULE)
 *   /meeting/<user>/<id>/      308 to the form without the slash
 *   anything else              a file under the web root, or 404
 */
#ifndef VC_SERVER_ROUTES_H
#define VC_SERVER_ROUTES_H

#include <stddef.h>

#include "http_request.h"

/* The rule vc_name_is_safe (include/vc/control.h) checks, for people. */
#define VC_NAME_RULE                                                           \
  "letters A-Z and a-z, digits 0-9, \"-\" and \"_\", from 1 to 64 "            \
  "characters"

typedef enum vc_http_action {
  VC_HTTP_SERVE_FILE, /* path: relative to the web root, no "." segments */
  VC_HTTP_HEALTHZ,
  VC_HTTP_REDIRECT, /* status 308, location */
  VC_HTTP_ERROR     /* status, title, detail */
} vc_http_action;

typedef struct vc_http_route {
  vc_http_action action;
  int status;
  char path[VC_HTTP_MAX_TARGET_LEN + 1];
  char location[VC_HTTP_MAX_TARGET_LEN + 1];
  const char *title;  /* static text */
  const char *detail; /* static text */
} vc_http_route;

/*
 * Decides what to do with |method| |target|. Always fills |route|; never
 * fails. The target is percent-decoded before any rule is applied, so an
 * encoded "..", "/" or NUL is judged like a plain one.
 */
void vc_http_route_resolve(vc_http_route *route, const char *method,
                           const char *target);

#endif /* VC_SERVER_ROUTES_H */
