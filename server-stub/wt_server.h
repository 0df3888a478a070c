/*
 * wt_server.h: meetings over WebTransport (docs/PROTOCOL.md "Framing on
 * a stream"). A WebTransport session at path /meeting is one meeting
 * connection: the client opens one bidirectional stream and sends its
 * envelopes on it with the same length-prefix framing the WebSocket
 * fallback uses (include/vc/frame.h); the server answers on the same
 * stream. The rooms (through meetings.h) cannot tell the transports
 * apart.
 */
#ifndef VC_SERVER_WT_SERVER_H
#define VC_SERVER_WT_SERVER_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "meetings.h"
#include "quic_server.h"

typedef struct vc_wt_server vc_wt_server;

typedef struct vc_wt_server_config {
  /* Media is dropped, not queued, once this much waits unacknowledged on
   * a session's stream (a slow reader gets the newest media). */
  size_t media_drop_bytes;
  /* A session must Join within this, as on WebSocket. */
  double join_timeout_s;
} vc_wt_server_config;

/* media_drop_bytes 256 KiB and join_timeout_s 10, as on WebSocket. */
void vc_wt_server_default_config(vc_wt_server_config *cfg);

/* Sessions join the rooms of |meetings|, which must outlive |w|. */
int vc_wt_server_new(vc_wt_server **pw, struct ev_loop *loop,
                     vc_meetings *meetings, const vc_wt_server_config *cfg);
void vc_wt_server_del(vc_wt_server *w);

/* The callbacks to give vc_quic_server_start. */
void vc_wt_server_app(vc_wt_server *w, vc_wt_app *app);

typedef struct vc_wt_server_stats {
  unsigned sessions;
  uint64_t accepted;
  uint64_t refused_path;   /* not /meeting: 404 */
  uint64_t refused_origin; /* a page from elsewhere: 403 */
  uint64_t refused_full;   /* the server's connection limit: 503 */
  uint64_t frames_in, frames_out;
  uint64_t media_dropped;   /* the stream's queue held too much */
  uint64_t control_refused; /* the stream's cap: the room let go */
  uint64_t protocol_errors; /* bad framing, a second stream: closed */
  uint64_t join_timeouts;   /* no Join in time: closed */
  uint64_t datagrams_in, datagrams_out;
  uint64_t datagrams_malformed; /* not one framed envelope: dropped */
} vc_wt_server_stats;

void vc_wt_server_get_stats(const vc_wt_server *w, vc_wt_server_stats *st);

#endif /* VC_SERVER_WT_SERVER_H */
