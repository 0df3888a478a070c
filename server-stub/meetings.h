/*
 * meetings.h: the server's meetings, shared by every transport.
 *
 * The rooms (rooms.h) know a connection only by an id. This module hands
 * out those ids, remembers which transport each belongs to (a WebSocket
 * or a WebTransport session: a "port" of two functions), and runs the
 * rooms' timer on the loop, so people on WebSocket and on WebTransport
 * meet in the same room.
 *
 * Ids are (generation << 32 | slot): a room holding the id of a
 * connection that is gone finds no connection in that slot, or one of a
 * newer generation, and nothing is sent to the wrong peer.
 */
#ifndef VC_SERVER_MEETINGS_H
#define VC_SERVER_MEETINGS_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "rooms.h"

typedef struct vc_meetings vc_meetings;

/* How the rooms reach one connection of a transport. Both functions only
 * queue or mark: they never free the connection (the transport does that
 * from its own event handlers), so they are safe to call from inside
 * vc_meetings_receive of another connection. */
typedef struct vc_meetings_port {
  /* As vc_room_callbacks.send: 0, or a negative code when |conn| cannot
   * take the frame (VC_ERR_QUEUE_FULL for a slow reader). */
  int (*send)(void *conn, const uint8_t *frame, size_t len, int reliable);
  /* The room is done with |conn|: close it after what is queued. */
  void (*close)(void *conn);
  /* Bytes waiting to be sent on |conn|. */
  size_t (*queued)(void *conn);
} vc_meetings_port;

/* Returns 0, VC_ERR_INVALID_ARGUMENT or VC_ERR_NOMEM. */
int vc_meetings_new(vc_meetings **pm, struct ev_loop *loop,
                    const vc_rooms_limits *limits, unsigned max_connections);

/* Frees the rooms. Detach every connection first. */
void vc_meetings_del(vc_meetings *m);

/* Gives |conn| an id in |rc| (which the transport keeps inside the
 * connection until vc_meetings_detach). Returns 0, or VC_ERR_QUEUE_FULL
 * when max_connections are attached. */
int vc_meetings_attach(vc_meetings *m, const vc_meetings_port *port, void *conn,
                       vc_rooms_conn *rc);

/* One envelope from a connection. */
void vc_meetings_receive(vc_meetings *m, vc_rooms_conn *rc,
                         const uint8_t *frame, size_t len);

/* The connection ended: its participant may resume on another. */
void vc_meetings_detach(vc_meetings *m, vc_rooms_conn *rc);

/* A page going away says its participant left (vc_rooms_leave_by_token):
 * 0 or VC_ERR_INVALID_ARGUMENT. */
int vc_meetings_leave_by_token(vc_meetings *m, const char *meeting_id,
                               uint32_t session, const uint8_t *token,
                               size_t token_len);

/* Every room tells its people to reconnect later. */
void vc_meetings_shutdown(vc_meetings *m);

unsigned vc_meetings_attached(const vc_meetings *m);
void vc_meetings_get_stats(const vc_meetings *m, vc_rooms_stats *st);

/* The monotonic clock the rooms run on, in ns. */
vc_tstamp vc_meetings_now(void);

#endif /* VC_SERVER_MEETINGS_H */
