/*
 * rooms.h: every meeting on the server, by meeting id (sans-I/O).
 *
 * A connection is in no room until its first frame, a Join, names one;
 * the room is made then (up to a cap) and removed again once empty. The
 * I/O layer keeps a vc_rooms_conn inside each connection, hands every
 * frame over with it, and says when the connection ends. The rooms share
 * one set of callbacks (room.h).
 */
#ifndef VC_SERVER_ROOMS_H
#define VC_SERVER_ROOMS_H

#include "room.h"

typedef struct vc_rooms vc_rooms;

/* Which room a connection is in: a slot and that slot's generation, so a
 * connection of a room that is gone is simply in none. */
typedef struct vc_rooms_conn {
  vc_conn_id id; /* set by the I/O layer, never 0 */
  uint32_t slot; /* 0: in no room yet */
  uint32_t generation;
  /* Where it comes from (vc_rooms_conn_set_source): an IPv4 address as
   * ::ffff:a.b.c.d, an IPv6 one as its /64 (what one host gets). */
  uint8_t source[16];
  int has_source;
} vc_rooms_conn;

/* Sets |conn|'s source from the I/O layer's peer text, "1.2.3.4:port" or
 * "[v6]:port". 0, or VC_ERR_INVALID_ARGUMENT (then it has none, and no
 * cap applies to it). */
int vc_rooms_conn_set_source(vc_rooms_conn *conn, const char *peer);

typedef struct vc_rooms_limits {
  uint32_t max_rooms;
  /* Meetings open at once that connections from one source opened (its
   * Join made the room); 0: no cap. One address must not be able to
   * take every room of the server. */
  uint32_t max_rooms_per_source;
  vc_room_limits room;
} vc_rooms_limits;

void vc_rooms_default_limits(vc_rooms_limits *limits);

/* Returns 0, VC_ERR_INVALID_ARGUMENT or VC_ERR_NOMEM. */
int vc_rooms_new(vc_rooms **prs, const vc_rooms_limits *limits,
                 const vc_room_callbacks *cb);
void vc_rooms_del(vc_rooms *rs);

/*
 * One frame from |conn|. The first must be a Join (anything else gets an
 * Error NOT_JOINED); a Join for a new meeting makes its room, or is
 * refused with Error SERVER_FULL when max_rooms are open, or when
 * max_rooms_per_source of them were opened from |conn|'s source. Returns 0 or
 * the negative code of a refused frame.
 */
int vc_rooms_receive(vc_rooms *rs, vc_rooms_conn *conn, const uint8_t *frame,
                     size_t len, vc_tstamp ts);

/* |conn| ended. */
void vc_rooms_conn_closed(vc_rooms *rs, vc_rooms_conn *conn, vc_tstamp ts);

/* vc_room_leave_by_token in meeting |meeting_id|; VC_ERR_INVALID_ARGUMENT when
 * there is no such meeting either. */
int vc_rooms_leave_by_token(vc_rooms *rs, const char *meeting_id,
                            uint32_t session, const uint8_t *token,
                            size_t token_len, vc_tstamp ts);

vc_tstamp vc_rooms_get_expiry(const vc_rooms *rs); /* UINT64_MAX: none */
void vc_rooms_handle_expiry(vc_rooms *rs, vc_tstamp ts);

/* Every room tells its clients to reconnect later. */
void vc_rooms_shutdown(vc_rooms *rs, vc_tstamp ts);

typedef struct vc_rooms_stats {
  uint32_t rooms;
  uint32_t participants;
  uint64_t refused_server_full;
  uint64_t refused_not_joined;
  uint64_t refused_per_address; /* over max_rooms_per_source */
  /* Rooms with nobody present closed before their grace ended, for
   * their opener's next one (rooms.c close_an_empty_one). */
  uint64_t closed_for_opener;
  vc_room_stats total; /* summed over the rooms open now and closed */
} vc_rooms_stats;

void vc_rooms_get_stats(const vc_rooms *rs, vc_rooms_stats *stats);

#endif /* VC_SERVER_ROOMS_H */
