/*
 * room_internal.h: the vc_room struct, shared by room.c (sessions, joins,
 * timers, media) and room_chat.c (numbering, history, replay).
 */
#ifndef VC_SERVER_ROOM_INTERNAL_H
#define VC_SERVER_ROOM_INTERNAL_H

#include <vc/control.h>
#include <vc/wire.h>

#include "room.h"

#define VC__ROOM_TOKEN_LEN 16
/* Audio in large rooms: only the loudest few senders are forwarded
 * (room_audio.c); rooms up to VC__ROOM_ALL_AUDIO_MAX forward everyone. */
#define VC__ROOM_AUDIO_TOP_N 3
#define VC__ROOM_ALL_AUDIO_MAX 10
#define VC__ROOM_LAYERS (VC_MAX_SIMULCAST_LAYER + 1)
#define VC__ROOM_NO_LAYER 0xff

typedef struct vc__room_sub {
  uint32_t session;
  uint32_t kind;
  uint32_t max_layer;
  /* A frame of this stream could not be queued for the subscriber: the
   * deltas after it cannot be decoded, so none is sent until the next
   * keyframe (which the room asked the sender for). */
  int skip_deltas;
  /* Simulcast (room_layers.c): the layer this subscriber gets now
   * (VC__ROOM_NO_LAYER before its first keyframe), and the layers it
   * counts as wanted in its sender's layer_refs (a bitmask). */
  uint8_t layer;
  uint8_t held;
} vc__room_sub;

typedef struct vc__room_session {
  uint32_t id;
  vc_conn_id conn; /* 0: detached, may resume until the grace ends */
  vc_tstamp joined_at;
  vc_tstamp last_rx;
  vc_tstamp detached_at;
  uint8_t token[VC__ROOM_TOKEN_LEN];
  Vc__Wire__MediaState state;
  vc__room_sub *subs; /* sorted by (session, kind) */
  size_t n_subs;
  uint64_t chat_blocked_id; /* refused; later ones wait for its resend */
  /* Its message limits (room_limits.c): a bucket per kind, when each
   * kind's refusal was last explained, and its strikes. */
  vc_token_bucket limits[VC_ROOM_LIMIT_KINDS];
  vc_tstamp limit_told_at[VC_ROOM_LIMIT_KINDS];
  vc_token_bucket strikes;
  /* A MediaStateUpdate over its rate was kept, not sent: the latest
   * state goes out when the rate allows (vc__room_limits_flush). */
  int state_pending;
  /* Token bucket for forwarded media: one second's worth at most. */
  uint32_t audio_energy; /* smoothed loudness x16, for the top-N choice */
  vc_tstamp audio_at;    /* its last audio packet */
  vc_tstamp media_refill_at;
  uint64_t media_tokens;
  /* E2EE identity as announced (room_relay.c), replayed to newcomers. */
  uint8_t identity_key[VC_CONTROL_IDENTITY_KEY_LEN];
  uint8_t auth_tag[VC_CONTROL_AUTH_TAG_LEN];
  size_t auth_tag_len;
  int announced;
  /* The last keyframe request forwarded to it, per simulcast layer. */
  vc_tstamp keyframe_asked_at[VC__ROOM_LAYERS];
  /* As a simulcast sender (room_layers.c): layers it offers (1..4), how
   * many subscriptions want each, and the set it was last asked for. */
  uint32_t n_layers;
  uint32_t layer_refs[VC__ROOM_LAYERS];
  uint32_t layers_asked;
  /* As a receiver: no simulcast layer above this, while its path is too
   * narrow (VC__ROOM_LAYERS - 1: no cap); when it last changed, and how
   * long a cap holds before a layer more is tried. */
  uint32_t layer_cap;
  vc_tstamp cap_changed_at;
  uint32_t cap_hold_ms;
  int cap_raised; /* the last change raised it */
  /* As a receiver, this congestion window (room_congestion.c): media
   * bytes its transport took, and frames it refused (queue full). */
  uint64_t window_bytes;
  uint32_t window_drops;
  size_t window_queued;   /* its transport's queue when the window began */
  uint64_t congested_bps; /* rate of the last window if congested, else 0 */
  uint64_t limit_bps;     /* as a sender, this tick's limit; 0: none */
  char user[65];
  char display_name[257];
} vc__room_session;

typedef struct vc__room_chat {
  uint64_t seq; /* 0: slot unused */
  uint64_t client_msg_id;
  uint64_t sent_at_ms;
  uint32_t sender;
  int encrypted;
  size_t len;
  uint8_t *body; /* VC_CONTROL_MAX_CHAT_LEN bytes, allocated on first use */
  char sender_user[65];
} vc__room_chat;

struct vc_room {
  char meeting_id[65];
  vc_room_limits limits;
  vc_room_callbacks cb;
  vc__room_session *sessions; /* sorted by id */
  size_t n_sessions;
  uint32_t next_session;
  uint32_t host;
  vc_tstamp next_heartbeat;
  vc_tstamp next_sweep; /* liveness and grace checks, every SWEEP_MS */
  vc_tstamp congestion_window_at; /* when the receivers' windows began */

  uint32_t loudest[VC__ROOM_AUDIO_TOP_N]; /* session ids; 0: free */
  uint64_t chat_seq;
  vc__room_chat *history; /* ring of limits.chat_history */

  /* Scratch for encoding Welcome rosters. */
  Vc__Wire__Participant *wire_parts;
  Vc__Wire__MediaState *wire_states;
  Vc__Wire__Participant **wire_ptrs;
  uint8_t *scratch;
  uint8_t *payload;
  size_t rx_len; /* the frame being handled: what fan-out is counted by */
  vc_control_decoder *dec;
  vc_room_stats stats;
};

/* Video of either kind (a camera or a shared screen). */
static inline int vc__room_is_picture(uint32_t kind) {
  return kind == VC_STREAM_KIND_VIDEO || kind == VC_STREAM_KIND_SCREEN;
}

vc__room_session *vc__room_find(vc_room *r, uint32_t id);
int vc__room_send(vc_room *r, vc__room_session *s, const Vc__Wire__Control *msg,
                  vc_tstamp ts);
void vc__room_broadcast(vc_room *r, const Vc__Wire__Control *msg,
                        const vc__room_session *except, vc_tstamp ts);
/* An Error to |conn| (RATE_LIMITED ones say to retry after a second). */
void vc__room_send_error(vc_room *r, vc_conn_id conn, Vc__Wire__ErrorCode code,
                         const char *text);

/* Takes |s| out of the meeting and tells everyone why (room.c). */
void vc__room_remove(vc_room *r, vc__room_session *s, Vc__Wire__LeaveReason why,
                     vc_tstamp ts);
/* A ParticipantUpdated with |s|'s state and role, to everyone. */
void vc__room_broadcast_updated(vc_room *r, const vc__room_session *s,
                                vc_tstamp ts);

/* room_limits.c: whether |s| may send a message of |kind| that the room
 * passes on as |fanout_bytes| in all. 0: yes (its tokens are taken).
 * VC_ERR_QUEUE_FULL: refused; |s| was told (RATE_LIMITED, at most once a
 * second per kind) and it was counted. VC_ERR_STATE: refused, and that
 * was one refusal too many: |s| was removed from the meeting and must
 * not be touched again. */
int vc__room_limit(vc_room *r, vc__room_session *s, int kind,
                   uint64_t fanout_bytes, vc_tstamp ts);
/* The defaults of limits->message_rates and limits->strikes. */
void vc__room_default_message_rates(vc_room_limits *limits);
/* Sends the kept state of every session whose rate allows it again. */
void vc__room_limits_flush(vc_room *r, vc_tstamp ts);

/* room_audio.c: 1 when this audio packet from |s| is to be forwarded. */
int vc__room_audio_selected(vc_room *r, vc__room_session *s,
                            const vc_route *route, vc_tstamp ts);

/* room_relay.c: messages one participant sends to others through us. */
int vc__room_relay(vc_room *r, vc__room_session *s, const Vc__Wire__Control *c,
                   vc_tstamp ts);
void vc__room_replay_announcements(vc_room *r, vc__room_session *to,
                                   vc_tstamp ts);
/* Asks |sender| for a keyframe of |kind|, unless one was asked for in the
 * last KEYFRAME_GAP_MS (a keyframe answers every receiver). Returns 1
 * when a request went out. */
int vc__room_ask_keyframe(vc_room *r, vc__room_session *sender, uint32_t kind,
                          uint32_t layer, vc_tstamp ts);

/* room_layers.c: simulcast layer choice. */
vc__room_sub *vc__room_find_sub(const vc__room_session *s, uint32_t session,
                                uint32_t kind);
/* Recounts what |sub| of |receiver| wants of its sender after its
 * max_layer, layer or the receiver's cap changed, asking the sender for a
 * new layer set if that changed. */
void vc__room_layers_refresh(vc_room *r, const vc__room_session *receiver,
                             vc__room_sub *sub, vc_tstamp ts);
/* A new session: it offers |offered| layers (outside 1..4: one), and as a
 * receiver is not capped. */
void vc__room_layers_init(vc__room_session *s, uint32_t offered);
/* |receiver| is congested: caps it one layer below the highest it gets.
 * Returns 1 when that lowers something, 0 when every simulcast camera it
 * gets is on its lowest layer already (the senders must slow down). */
int vc__room_layers_step_down(vc_room *r, vc__room_session *receiver,
                              vc_tstamp ts);
/* |receiver| was not congested for a window: a capped one gets a layer
 * more once its cap has held long enough. */
void vc__room_layers_step_up(vc_room *r, vc__room_session *receiver,
                             vc_tstamp ts);
/* |receiver|'s subscriptions are about to go: they want nothing now.
 * Their senders are told by vc__room_layers_settle, once the new ones (if
 * any) are counted: a resubscribe must not say "nothing" in between. */
void vc__room_layers_release(vc_room *r, vc__room_session *receiver);
void vc__room_layers_settle(vc_room *r, const vc__room_sub *subs, size_t n,
                            vc_tstamp ts);
/* |sender| leaves: subscriptions to it hold nothing of it any more. */
void vc__room_layers_forget_sender(vc_room *r, const vc__room_session *sender);
/* Sends |sender| its layer set if it changed (or |always|: a resume). */
void vc__room_layers_announce(vc_room *r, vc__room_session *sender, int always,
                              vc_tstamp ts);
/* What vc__room_layers_pass says of a video packet for one subscriber. */
enum {
  VC__ROOM_HOLD,  /* not for it */
  VC__ROOM_PASS,  /* a packet of what it gets */
  VC__ROOM_SWITCH /* the keyframe of the layer it is to get: once queued
                   * for it, vc__room_layers_switched */
};
/* Where this video packet goes for the subscriber of |sub|; asks the
 * sender for the keyframe of the layer it should get when that layer's
 * deltas come first. */
int vc__room_layers_pass(vc_room *r, vc__room_session *from,
                         const vc__room_session *to, const vc__room_sub *sub,
                         const vc_route *route, vc_tstamp ts);
/* The VC__ROOM_SWITCH keyframe of |layer| was queued for |to|: it gets
 * that layer from now on. */
void vc__room_layers_switched(vc_room *r, const vc__room_session *to,
                              vc__room_sub *sub, uint32_t layer, vc_tstamp ts);
/* |to| lost a packet of |from|'s stream of |kind| (|sub|): asks |from|
 * for the keyframe that ends its wait, of the layer it is to get (of
 * |layer| for a stream without simulcast). */
void vc__room_layers_ask_keyframe(vc_room *r, vc__room_session *from,
                                  const vc__room_session *to,
                                  const vc__room_sub *sub, uint32_t kind,
                                  uint32_t layer, vc_tstamp ts);

/* room_congestion.c: counts what a receiver's transport took or refused,
 * and, once a window is over, tells each video sender the rate its most
 * congested receiver can take (a ReceiverReport with
 * estimated_bandwidth_kbps). */
void vc__room_congestion_count(vc__room_session *receiver, size_t len,
                               int dropped);
void vc__room_congestion_tick(vc_room *r, vc_tstamp ts);
/* 1 when |receiver| was congested in the last window and its queue
 * already holds more than QUEUE_BUDGET_MS at its measured rate: video
 * for it is dropped (until a keyframe) rather than queued behind stale
 * frames. */
int vc__room_congestion_over_budget(vc_room *r,
                                    const vc__room_session *receiver);

int vc__room_chat_init(vc_room *r);
void vc__room_chat_free(vc_room *r);
int vc__room_chat_receive(vc_room *r, vc__room_session *s,
                          const Vc__Wire__Chat *chat, vc_tstamp ts);
void vc__room_chat_replay(vc_room *r, vc__room_session *s, uint64_t after,
                          vc_tstamp ts);

#endif /* VC_SERVER_ROOM_INTERNAL_H */
