/*
 * ws_server.h: meetings over WebSocket. The HTTP server hands over a
 * connection once it has agreed to upgrade it (GET /ws); from then on this
 * layer reads WebSocket messages (ws_frame.h), cuts their payload into
 * envelopes with the same length-prefix framing a WebTransport stream
 * uses (include/vc/frame.h), and gives them to the rooms (rooms.h). What
 * the rooms send goes back the same way, through a bounded output buffer.
 */
#ifndef VC_SERVER_WS_SERVER_H
#define VC_SERVER_WS_SERVER_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "byte_stream.h"
#include "meetings.h"

typedef struct vc_ws_server vc_ws_server;

typedef struct vc_ws_server_config {
  unsigned max_connections;
  /* Bytes queued for one slow reader before control frames fail (and the
   * room lets the participant go to resume later) */
  size_t max_out_bytes;
  /* Media is dropped, not queued, once this much waits. */
  size_t media_drop_bytes;
  double join_timeout_s; /* a connection must Join within this */
  double idle_timeout_s; /* no bytes at all for this long: closed */
} vc_ws_server_config;

void vc_ws_server_default_config(vc_ws_server_config *cfg);

/* Connections join the rooms of |meetings|, which must outlive |ws|. */
int vc_ws_server_new(vc_ws_server **pws, struct ev_loop *loop,
                     vc_meetings *meetings, const vc_ws_server_config *cfg);

/* Closes every connection at once (see vc_ws_server_shutdown first). */
void vc_ws_server_del(vc_ws_server *ws);

/*
 * Takes over |stream| (its socket and TLS, if any), whose HTTP request
 * asked to upgrade. |head| (the 101 response) is sent first; |pending|
 * are bytes the client sent after its request head. Returns 0, or -1
 * when over max_connections or out of memory (the stream is closed then).
 */
int vc_ws_server_adopt(vc_ws_server *ws, const vc_byte_stream *stream,
                       const char *peer, const char *head, size_t head_len,
                       const uint8_t *pending, size_t pending_len);

/* Frees connections that finished; call after vc_meetings_shutdown. */
void vc_ws_server_shutdown(vc_ws_server *ws);

typedef struct vc_ws_server_stats {
  unsigned connections;
  uint64_t upgrades;
  uint64_t bytes_in, bytes_out;
  uint64_t frames_in, frames_out;
  uint64_t media_dropped;     /* a slow reader's queue was full */
  uint64_t control_refused;   /* ... and for control: the room let go */
  uint64_t protocol_errors;   /* bad WebSocket or framing: closed */
  uint64_t refused_too_many;  /* over max_connections */
  uint64_t read_budget_spent; /* reads cut short to serve the others */
  uint64_t join_timeouts;     /* closed for no Join within join_timeout_s */
  unsigned prejoin;           /* connections open now that have not joined */
  uint64_t buffer_bytes;      /* the connections' heap, as allocated */
  vc_rooms_stats rooms;
} vc_ws_server_stats;

void vc_ws_server_get_stats(const vc_ws_server *ws, vc_ws_server_stats *st);

#endif /* VC_SERVER_WS_SERVER_H */
