/*
 * room.h: one meeting on the server, as a sans-I/O state machine
 * (docs/MEETING.md "The server's room").
 *
 * The room knows connections only by an id the I/O layer chooses. It is
 * handed every frame a connection sends (vc_room_receive) and told when a
 * connection dies (vc_room_conn_closed); it answers through callbacks
 * (send a frame, close a connection) and keeps its own timers
 * (vc_room_get_expiry / vc_room_handle_expiry). The same code runs in
 * vc-server and, with a fake clock and network, in tests/sim.
 */
#ifndef VC_SERVER_ROOM_H
#define VC_SERVER_ROOM_H

#include <vc/vc.h>

#include "token_bucket.h"

typedef uint64_t vc_conn_id; /* 0 is never a connection */

typedef struct vc_room vc_room;

/*
 * What a participant's messages may make the room send to others, each
 * with its own rate (room_limits.c; docs/SERVER.md "Limits: rooms and
 * fan-out"). Media has its own limit (media_bytes_per_second).
 */
typedef enum vc_room_limit_kind {
  VC_ROOM_LIMIT_MEDIA_STATE,      /* mute, camera, share, hand: to all */
  VC_ROOM_LIMIT_KEY_ANNOUNCE,     /* an E2EE identity: to all */
  VC_ROOM_LIMIT_KEY_DELIVERY,     /* a sealed key: to one */
  VC_ROOM_LIMIT_KEYFRAME_REQUEST, /* to one sender */
  VC_ROOM_LIMIT_SUBSCRIBE,        /* may ask many senders for layers */
  VC_ROOM_LIMIT_HOST_ACTION,      /* remove, transfer: to all */
  VC_ROOM_LIMIT_CHAT,             /* to all (rate: chat_per_second) */
  VC_ROOM_LIMIT_FANOUT_BYTES,     /* the bytes all of the above send */
  VC_ROOM_LIMIT_KINDS
} vc_room_limit_kind;

/* "media_state", ... "fanout_bytes": the /metrics label of |kind|. */
const char *vc_room_limit_name(int kind);

typedef struct vc_room_limits {
  uint32_t max_participants;       /* present and reconnecting, <= 1001 */
  uint32_t heartbeat_interval_ms;  /* the room's heartbeat to each client */
  uint32_t liveness_timeout_ms;    /* silent this long: detached */
  uint32_t resume_grace_ms;        /* detached this long: gone */
  uint32_t chat_history;           /* messages kept for resumes, >= 1 */
  uint32_t chat_per_second;        /* per participant */
  uint32_t media_bytes_per_second; /* per sender, averaged over 1 s */
  /* Per participant, by kind; [VC_ROOM_LIMIT_CHAT] is not read (chat
   * keeps chat_per_second, its burst the same). FANOUT_BYTES counts the
   * bytes of a message times the participants it goes to. */
  vc_token_rule message_rates[VC_ROOM_LIMIT_KINDS];
  /* Refusals a participant may collect (burst), and how fast they are
   * forgiven (per_second); past them it is removed from the meeting. */
  vc_token_rule strikes;
} vc_room_limits;

/* What vc-server uses unless told otherwise. */
void vc_room_default_limits(vc_room_limits *limits);

/* The |reliable| argument of vc_room_callbacks.send. */
enum {
  VC_ROOM_SEND_MEDIA = 0,   /* in order; dropped when the reader is slow */
  VC_ROOM_SEND_CONTROL = 1, /* in order, never dropped */
  /* Audio: may go as an unreliable datagram where the transport has them
   * (a lost packet is concealed; a resent one would come too late). Video
   * stays in order: a lost frame would break the pictures after it until
   * a keyframe, where QUIC resends it in about one round trip. */
  VC_ROOM_SEND_MEDIA_DATAGRAM = 2
};

typedef struct vc_room_callbacks {
  /*
   * Queues |frame| on |conn|: on its control stream, or as a datagram
   * (see the enum above). Returns 0, or a negative code when the
   * connection cannot take it; for a control frame the room then gives
   * the connection up (a stalled reader must not make the server buffer
   * without limit).
   */
  int (*send)(void *user_data, vc_conn_id conn, const uint8_t *frame,
              size_t len, int reliable);
  /* The room is done with |conn|: close it after sending what is queued. */
  void (*close)(void *user_data, vc_conn_id conn);
  /* Fills |buf| with unpredictable bytes (resume tokens). */
  void (*random)(void *user_data, uint8_t *buf, size_t len);
  void *user_data;
  /* Optional (NULL: unknown): bytes waiting in |conn|'s transport, for
   * the congestion signals (room_congestion.c). */
  size_t (*queued)(void *user_data, vc_conn_id conn);
} vc_room_callbacks;

/* Returns 0, VC_ERR_INVALID_ARGUMENT or VC_ERR_NOMEM. |limits| may be
 * NULL for the defaults. */
int vc_room_new(vc_room **pr, const char *meeting_id,
                const vc_room_limits *limits, const vc_room_callbacks *cb);
void vc_room_del(vc_room *r);

/*
 * One frame from |conn|. Returns 0, or a negative code for a frame that
 * was refused; the sender was told why with an Error message, and the
 * room's state is unchanged by it.
 */
int vc_room_receive(vc_room *r, vc_conn_id conn, const uint8_t *frame,
                    size_t len, vc_tstamp ts);

/* |conn| is gone (the transport noticed). Its participant may resume. */
void vc_room_conn_closed(vc_room *r, vc_conn_id conn, vc_tstamp ts);

/*
 * Session |id| leaves, told out of band by a page going away (an HTTP
 * beacon, whose Leave on the meeting connection may not have made it).
 * |token| (|token_len| bytes) must be the session's resume token: it
 * proves the caller is that participant. 0, or VC_ERR_INVALID_ARGUMENT for no
 * such session or a wrong token (the same answer: nothing to probe).
 */
int vc_room_leave_by_token(vc_room *r, uint32_t id, const uint8_t *token,
                           size_t token_len, vc_tstamp ts);

vc_tstamp vc_room_get_expiry(const vc_room *r); /* UINT64_MAX: none */
void vc_room_handle_expiry(vc_room *r, vc_tstamp ts);

/* Tells every client to come back later, and closes every connection. */
void vc_room_shutdown(vc_room *r, vc_tstamp ts);

/* Participants, present or reconnecting. */
size_t vc_room_size(const vc_room *r);
/* Participants present: with a connection now. */
size_t vc_room_attached(const vc_room *r);

typedef struct vc_room_stats {
  uint64_t frames_in;
  uint64_t frames_refused;
  uint64_t media_forwarded;
  uint64_t media_spoofed;      /* claimed another sender's session */
  uint64_t media_over_rate;    /* a sender over media_bytes_per_second */
  uint64_t audio_not_selected; /* not among the loudest in a large room */
  uint64_t keys_relayed;       /* key announcements and deliveries passed on */
  uint64_t keyframe_requests_forwarded;
  uint64_t keyframe_requests_coalesced; /* within 250 ms of the last one */
  /* Video deltas not sent to a receiver whose queue dropped a frame of
   * that stream: useless until the next keyframe. */
  uint64_t video_skipped_until_keyframe;
  /* Video not queued for a congested receiver whose queue was already
   * longer than its time budget (room_congestion.c). */
  uint64_t video_dropped_queue_delay;
  /* ReceiverReports telling a sender the rate its most congested
   * receiver takes (room_congestion.c). */
  uint64_t congestion_signals;
  /* Simulcast (room_layers.c): receivers moved to another layer, and
   * layer sets sent to senders. */
  uint64_t layer_switches;
  uint64_t layer_sets_sent;
  /* Congested receivers capped one simulcast layer lower. */
  uint64_t layer_caps_lowered;
  uint64_t beacon_leaves; /* participants whose page's beacon said goodbye */
  uint64_t resumes;
  uint64_t chats;
  uint64_t chats_deduplicated;
  /* Messages refused over a participant's limit, by vc_room_limit_kind,
   * and participants removed for collecting too many refusals. */
  uint64_t rate_limited[VC_ROOM_LIMIT_KINDS];
  uint64_t removed_for_flooding;
} vc_room_stats;

void vc_room_get_stats(const vc_room *r, vc_room_stats *stats);

#endif /* VC_SERVER_ROOM_H */
