/*
 * http_request_fuzz.c: fuzz target for server-stub's request-head parser
 * and router, the code every byte from an HTTP client meets. Each input is
 * parsed whole and in two pieces (the answers must agree), and what parses
 * is routed; a route to a file must never contain a "." segment. What
 * parses is also judged as a WebSocket upgrade: an accepted one has a
 * 28-character accept value, a refused one a status and a sentence.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_request.h"
#include "routes.h"
#include "ws_handshake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *buf = (const char *)data;
  vc_http_request whole, part;
  vc_http_route route;
  char accept[VC_WS_ACCEPT_LEN + 1];
  const char *why;
  int rv, rv_part, status;

  rv = vc_http_parse_request(&whole, buf, size);
  if (size > 1) {
    /* A prefix never yields a different complete request. */
    rv_part = vc_http_parse_request(&part, buf, size / 2);
    if (rv_part > 0 && rv != rv_part) {
      abort();
    }
  }
  if (rv <= 0) {
    return 0;
  }
  if ((size_t)rv > size) {
    abort();
  }
  if (strlen(whole.host) > VC_HTTP_MAX_HOST_LEN ||
      strlen(whole.origin) > VC_HTTP_MAX_ORIGIN_LEN ||
      strlen(whole.ws_key) > VC_HTTP_MAX_WS_KEY_LEN) {
    abort();
  }
  status = vc_ws_check_upgrade(&whole, accept, &why);
  if (status == 0 && (strlen(accept) != VC_WS_ACCEPT_LEN || why)) {
    abort();
  }
  if (status != 0 && (!why || accept[0] != '\0' ||
                      (status != 400 && status != 403 && status != 426))) {
    abort();
  }
  vc_http_route_resolve(&route, whole.method, whole.target);
  if (route.action == VC_HTTP_SERVE_FILE &&
      (route.path[0] == '.' || route.path[0] == '/' ||
       strstr(route.path, "/.") != NULL)) {
    abort();
  }
  return 0;
}
