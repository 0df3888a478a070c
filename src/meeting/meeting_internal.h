/*
 * meeting_internal.h: the vc_meeting struct, shared by the files of
 * src/meeting/ (meeting.c: phases, joins and timers; chat.c; speaker.c).
 */
#ifndef VC_MEETING_INTERNAL_H
#define VC_MEETING_INTERNAL_H

#include <vc/control.h>
#include <vc/meeting.h>

#include "core/msg_queue.h"
#include "roster.h"

#define VC__NEVER UINT64_MAX
#define VC__MS ((vc_tstamp)1000000)

typedef struct vc__pending_chat {
  uint64_t client_msg_id;
  uint64_t sent_at_ms;
  int encrypted;
  size_t len;
  uint8_t body[VC_CONTROL_MAX_CHAT_LEN];
} vc__pending_chat;

/* A received chat (chat.c), as it came or as held. */
typedef struct vc__chat_in {
  uint64_t seq, client_msg_id;
  uint32_t sender;
  int encrypted, own;
  const uint8_t *body;
  size_t len;
} vc__chat_in;

/* A chat waiting for its sender's key, or behind one that is. */
typedef struct vc__held_chat {
  vc__chat_in c; /* c.body is |copy| */
  uint8_t *copy;
  vc_tstamp held_at;
} vc__held_chat;

struct vc_meeting {
  char meeting_id[65];
  char user[65];
  char display_name[257];
  vc_media_state state;
  uint32_t max_simulcast_layers;
  int e2ee;
  int webtransport;
  vc_meeting_event_cb on_event;
  void *user_data;
  void (*random)(void *user_data, uint8_t *buf, size_t len);
  uint64_t rng;

  /* E2EE (e2ee_keys.c): our identity and our sending key. */
  int have_identity;
  int has_passphrase;
  uint8_t auth_key[VC_E2EE_AUTH_KEY_LEN];
  uint8_t identity_pk[VC_E2EE_PUBLIC_KEY_LEN];
  uint8_t identity_sk[VC_E2EE_SECRET_KEY_LEN];
  uint8_t material[VC_E2EE_KEY_LEN];
  uint8_t key_id;
  /* After a leave: the next key, delivered, used from key_switch_at. */
  uint8_t next_material[VC_E2EE_KEY_LEN];
  uint8_t next_key_id;
  vc_tstamp key_switch_at;
  vc_e2ee_sender sender;
  vc_e2ee_receiver self_rx; /* our own chat, echoed back */
  uint8_t chat_plain[VC_CONTROL_MAX_CHAT_LEN];
  uint8_t chat_sealed[VC_CONTROL_MAX_CHAT_LEN];

  vc_meeting_phase phase;
  int joined_once;
  uint32_t session_id;
  uint8_t resume_token[VC_CONTROL_MAX_RESUME_TOKEN_LEN];
  size_t resume_token_len;
  uint32_t host;

  /* Server limits (milliseconds), from the Welcome. */
  uint32_t heartbeat_ms;
  uint32_t liveness_ms;

  /* A Welcome whose roster spans several messages is collected here. */
  vc__roster roster;
  vc__roster incoming;
  int collecting;
  uint32_t incoming_total;
  uint32_t incoming_host;
  uint32_t incoming_session;
  int incoming_resumed;
  uint64_t incoming_chat_seq;

  /* Timers. */
  vc_tstamp last_rx;
  vc_tstamp next_heartbeat;
  vc_tstamp next_ping;
  vc_tstamp reconnect_at;
  vc_tstamp next_speaker_tick;
  vc_tstamp chat_retry_at; /* after a RATE_LIMITED refusal */
  uint32_t reconnect_attempt;
  uint32_t ping_id;

  /* Chat. */
  uint64_t chat_seq; /* highest delivered */
  vc__pending_chat *pending;
  size_t n_pending;
  uint64_t seen_ids[VC_MEETING_SEEN_CHAT_IDS];
  size_t seen_next;
  vc__held_chat held[VC_MEETING_MAX_HELD_CHAT]; /* in server order */
  size_t n_held;

  /* Active speaker. */
  uint32_t speaker;
  uint32_t speaker_candidate;
  uint32_t speaker_hold;

  vc_subscription *subs;
  size_t n_subs;
  int subscribed;

  uint32_t control_sequence;
  /* per stream kind and simulcast layer: each layer is a stream */
  uint32_t media_sequence[8][VC_MAX_SIMULCAST_LAYER + 1];
  vc__msg_queue outbox;
  vc__msg_queue media_out;
  vc_control_decoder *dec;
  uint8_t *scratch; /* encoded Control, then its envelope */
  uint8_t *payload; /* decoded envelope payload */
  uint8_t *opened;  /* opened media payload (E2EE only) */
  vc_meeting_stats stats;
};

/* meeting.c */
void vc__meeting_emit(vc_meeting *m, vc_meeting_event *ev);
int vc__meeting_send(vc_meeting *m, const Vc__Wire__Control *msg);
uint64_t vc__meeting_random(vc_meeting *m);
/* What this client sends is sealed: E2EE is on and not switched off. */
int vc__meeting_seals(const vc_meeting *m);
/* |session| said it sends in the clear (its roster state). Anyone else,
 * known or not, is expected to seal. */
int vc__meeting_sends_in_clear(const vc_meeting *m, uint32_t session);

/* chat.c */
int vc__chat_init(vc_meeting *m);
void vc__chat_free(vc_meeting *m);
void vc__chat_on_message(vc_meeting *m, const Vc__Wire__Chat *chat);
void vc__chat_resend(vc_meeting *m);
/* Delivers held chats that can be now: a key arrived, a sender turned out
 * unverifiable, or the first one's wait ended by |ts|. */
void vc__chat_release(vc_meeting *m, vc_tstamp ts);
vc_tstamp vc__chat_held_expiry(const vc_meeting *m); /* VC__NEVER: none */

/* e2ee_keys.c */
void vc__keys_on_joined(vc_meeting *m);
void vc__keys_on_participant_joined(vc_meeting *m, uint32_t session);
void vc__keys_on_participant_left(vc_meeting *m, vc_tstamp ts);
void vc__keys_tick(vc_meeting *m, vc_tstamp ts);
void vc__keys_on_announce(vc_meeting *m, const Vc__Wire__KeyAnnounce *ka);
void vc__keys_on_delivery(vc_meeting *m, const Vc__Wire__KeyDelivery *kd);
/* Seals or opens a frame body under |route| (bound as associated data)
 * with our key, or the sender's; media frames use them directly. */
vc_ssize vc__keys_seal(vc_meeting *m, const vc_route *route,
                       const uint8_t *body, size_t len, uint8_t *out,
                       size_t cap);
vc_ssize vc__keys_open(vc_meeting *m, const vc_route *route,
                       const uint8_t *body, size_t len, uint8_t *out,
                       size_t cap);
/* Seals or opens a chat body; the route binds sender and message id. */
vc_ssize vc__keys_seal_chat(vc_meeting *m, uint64_t client_msg_id,
                            const uint8_t *body, size_t len, uint8_t *out,
                            size_t cap);
vc_ssize vc__keys_open_chat(vc_meeting *m, uint32_t sender,
                            uint64_t client_msg_id, const uint8_t *body,
                            size_t len, uint8_t *out, size_t cap);
void vc__keys_wipe(vc_meeting *m);

/* speaker.c */
void vc__speaker_on_audio(vc_meeting *m, uint32_t session, uint32_t level,
                          vc_tstamp ts);
void vc__speaker_tick(vc_meeting *m, vc_tstamp ts);
void vc__speaker_forget(vc_meeting *m, uint32_t session);

#endif /* VC_MEETING_INTERNAL_H */
