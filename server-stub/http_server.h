/*
 * http_server.h: the HTTP/1.1 server on a libev loop: listening sockets,
 * connections, timeouts and the connection cap. What to answer is decided
 * by the sans-I/O modules (http_request, routes, http_response).
 */
#ifndef VC_SERVER_HTTP_SERVER_H
#define VC_SERVER_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>
#include <gnutls/gnutls.h>

#include "static_files.h"

struct vc_metrics_wt;
struct vc_leave_beacon;

typedef struct vc_http_server_config {
  const char *const *listen_addrs; /* numeric IPv4/IPv6 addresses */
  size_t n_listen_addrs;
  uint16_t port; /* 0: any free port, the same on every address */
  const vc_web_root *web_root;
  unsigned max_connections;
  uint64_t fd_limit;       /* the process's descriptor limit, for /metrics */
  double header_timeout_s; /* a request head must arrive within this */
  double idle_timeout_s;   /* a kept-alive connection may idle this long */
  double write_timeout_s;  /* a response may stall this long */
  /* The certificate for HTTPS and WSS on this port; NULL: in the clear. */
  gnutls_certificate_credentials_t tls;
  /* Where GET /ws upgrades go; NULL: /ws is not served. */
  struct vc_ws_server *ws;
  /* GET /webtransport.json: where and how to reach WebTransport, as
   * JSON written by this function; NULL or a NULL result: 404, and the
   * page falls back to WebSocket. */
  const char *(*webtransport_json)(void *user_data);
  /* POST /leave (leave_beacon.h): 0 when the participant left, else a
   * negative code (no such session, wrong token). NULL: 404. */
  int (*leave)(void *user_data, const struct vc_leave_beacon *beacon);
  /* Fills WebTransport's counters for /metrics; 0 when it is off. */
  int (*webtransport_stats)(void *user_data, struct vc_metrics_wt *out);
  void *user_data;
} vc_http_server_config;

typedef struct vc_http_server vc_http_server;

/*
 * Binds every address and starts serving on |loop|. An address that cannot
 * be bound is logged and skipped; it is an error only when none can be.
 * Returns 0, or -1 (logged).
 */
int vc_http_server_start(vc_http_server **psrv, struct ev_loop *loop,
                         const vc_http_server_config *cfg);

typedef struct vc_http_server_stats {
  unsigned connections;           /* HTTP connections open now */
  uint64_t refused_too_many;      /* 503s over max_connections */
  uint64_t accept_errors;         /* accept() out of descriptors or memory */
  uint64_t accept_backoffs;       /* ... each a rest of the listeners */
  unsigned lingering;             /* closed, reading what is left (2 s max) */
  uint64_t linger_closed_at_once; /* too many lingering: plain close */
} vc_http_server_stats;

void vc_http_server_get_stats(const vc_http_server *srv,
                              vc_http_server_stats *st);

/* The port actually bound (useful when the config asked for 0). */
uint16_t vc_http_server_port(const vc_http_server *srv);

/* "127.0.0.1, ::1": the addresses actually bound. Static storage. */
const char *vc_http_server_addresses(const vc_http_server *srv);

/* Closes every listener and connection and frees the server. */
void vc_http_server_stop(vc_http_server *srv);

#endif /* VC_SERVER_HTTP_SERVER_H */
