/*
 * metrics.h: GET /metrics, the server's counters in the Prometheus text
 * format (version 0.0.4), written from a stats snapshot (sans-I/O).
 */
#ifndef VC_SERVER_METRICS_H
#define VC_SERVER_METRICS_H

#include <stddef.h>

#include "ws_server.h"

/* Returns the length written, or -1 when |cap| is too small. */
int vc_metrics_format(char *buf, size_t cap, const vc_ws_server_stats *st);

#endif /* VC_SERVER_METRICS_H */
