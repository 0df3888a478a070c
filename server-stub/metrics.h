/*
 * metrics.h: GET /metrics, the server's counters in the Prometheus text
 * format (version 0.0.4), written from a stats snapshot (sans-I/O).
 */
#ifndef VC_SERVER_METRICS_H
#define VC_SERVER_METRICS_H

#include <stddef.h>

#include "quic_limit_stats.h"
#include "ws_server.h"

/* WebTransport's counters (quic_server.h and wt_server.h), copied here
 * so that this sans-I/O file needs neither. */
typedef struct vc_metrics_wt {
  unsigned connections, sessions;
  uint64_t handshakes;
  uint64_t packets_in, packets_out, bytes_in, bytes_out;
  uint64_t packets_dropped, send_failed, refused_too_many, conn_errors;
  uint64_t udp_overflows, datagrams_stale;
  uint64_t sessions_accepted, sessions_refused;
  uint64_t frames_in, frames_out;
  uint64_t media_dropped, control_refused, protocol_errors;
  uint64_t stream_queue_full, datagrams_dropped;
  uint64_t datagrams_in, datagrams_out, datagrams_malformed;
  uint64_t join_timeouts;
  vc_quic_limit_stats quic_limits; /* docs/SERVER.md "Limits: QUIC ..." */
} vc_metrics_wt;

/* The process and the HTTP port (process.h, http_server.h). */
typedef struct vc_metrics_server {
  uint64_t fd_limit;       /* RLIMIT_NOFILE in force */
  uint64_t resident_bytes; /* 0: unknown (say, out of descriptors) */
  unsigned http_connections;
  uint64_t http_refused_too_many;
  unsigned http_lingering;
  uint64_t http_linger_closed_at_once;
  uint64_t accept_errors, accept_backoffs;
} vc_metrics_server;

/* Returns the length written, or -1 when |cap| is too small. |wt| is
 * NULL when WebTransport is off; |srv| may be NULL. */
int vc_metrics_format(char *buf, size_t cap, const vc_ws_server_stats *st,
                      const vc_metrics_wt *wt, const vc_metrics_server *srv);

#endif /* VC_SERVER_METRICS_H */
