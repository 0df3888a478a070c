/*
 * meeting.h: one participant's view of a meeting, as a sans-I/O state
 * machine (docs/MEETING.md).
 *
 * The caller owns the transport and the clock. It tells the meeting when
 * the control stream opens (vc_meeting_connected) or breaks
 * (vc_meeting_transport_lost), hands it every frame from the server
 * (vc_meeting_receive), sends whatever vc_meeting_pop_frame returns, and
 * calls vc_meeting_handle_expiry when vc_meeting_get_expiry comes due.
 * What a user would notice comes back through one callback as events.
 */
#ifndef VC_MEETING_H
#define VC_MEETING_H

#include <vc/vc.h>
#include <vc/wire.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Caps; a test reaches each one. The outbox holds a rekey's worth of
 * sealed keys (one for each of up to 1000 others) besides the usual. */
#define VC_MEETING_MAX_PENDING_CHAT 32 /* sent, not yet acknowledged */
#define VC_MEETING_OUTBOX_LEN ((size_t)512 * 1024)
#define VC_MEETING_OUTBOX_FRAMES 2048
/* Media waits in its own queue, behind control and capped small: when the
 * path cannot keep up, old media is worth nothing and is dropped. */
#define VC_MEETING_MEDIA_OUT_LEN ((size_t)256 * 1024)
#define VC_MEETING_MEDIA_OUT_FRAMES 64
#define VC_MEETING_SEEN_CHAT_IDS 256 /* recent client_msg_ids, for de-dup */
/* A sealed chat that overtook its sender's key waits for it this long,
 * and the chats behind it wait too (order is kept); at most this many. */
#define VC_MEETING_CHAT_KEY_WAIT_MS 3000
#define VC_MEETING_MAX_HELD_CHAT 16
#define VC_MEETING_MAX_SUBSCRIPTIONS 1000

/* Defaults until the server's Welcome says otherwise (milliseconds). */
#define VC_MEETING_DEFAULT_HEARTBEAT_MS 1000
#define VC_MEETING_DEFAULT_LIVENESS_MS 5000
#define VC_MEETING_PING_INTERVAL_MS 5000
#define VC_MEETING_RECONNECT_MIN_MS 250
#define VC_MEETING_RECONNECT_MAX_MS 8000

/* Active speaker: evaluated this often, switching only after a candidate
 * has been clearly louder for VC_MEETING_SPEAKER_HOLD evaluations. */
#define VC_MEETING_SPEAKER_TICK_MS 200
/* With E2EE, after someone leaves: fresh keys are delivered at once and
 * used this much later, so media that overtakes a delivery still opens. */
#define VC_MEETING_KEY_SWITCH_MS 500
#define VC_MEETING_SPEAKER_HOLD 2

typedef struct vc_meeting vc_meeting;

typedef struct vc_media_state {
  uint8_t audio_muted;
  uint8_t video_off;
  uint8_t screen_sharing;
  uint8_t hand_raised;
  /* Sends media and chat without end-to-end encryption (the person
   * switched it off, or the client has none). Everyone sees it. */
  uint8_t e2ee_off;
} vc_media_state;

typedef struct vc_participant {
  uint32_t session_id;
  uint8_t is_host;
  vc_media_state state;
  char user[65];          /* the safe set */
  char display_name[257]; /* UTF-8 */
} vc_participant;

typedef enum vc_meeting_phase {
  VC_MEETING_IDLE,         /* created, never connected */
  VC_MEETING_JOINING,      /* Join sent, waiting for the whole Welcome */
  VC_MEETING_JOINED,       /* in the meeting */
  VC_MEETING_RECONNECTING, /* transport lost; the session may resume */
  VC_MEETING_ENDED         /* left, removed or refused: final */
} vc_meeting_phase;

typedef enum vc_meeting_event_type {
  /* The first Welcome is complete: own session id and roster are known.
   * Each participant already there is reported before this as
   * PARTICIPANT_JOINED with |snapshot| set. */
  VC_MEETING_EVENT_JOINED,
  VC_MEETING_EVENT_PARTICIPANT_JOINED,
  VC_MEETING_EVENT_PARTICIPANT_LEFT,    /* |reason|: a leave reason */
  VC_MEETING_EVENT_PARTICIPANT_UPDATED, /* media state or role */
  VC_MEETING_EVENT_HOST_CHANGED,        /* |session_id| is the new host */
  VC_MEETING_EVENT_ACTIVE_SPEAKER,      /* |session_id|, 0 for nobody */
  VC_MEETING_EVENT_CHAT,                /* exactly once, in server order */
  VC_MEETING_EVENT_MUTE_REQUESTED,      /* the host asks us to mute */
  VC_MEETING_EVENT_RTT,                 /* |rtt_us| measured */
  /* The transport must be closed; the meeting asks for a new one with
   * VC_MEETING_EVENT_CONNECT after a backoff. */
  VC_MEETING_EVENT_CONNECTION_LOST,
  VC_MEETING_EVENT_CONNECT,     /* open a transport now */
  VC_MEETING_EVENT_RECONNECTED, /* back in; |resumed| says how */
  VC_MEETING_EVENT_ERROR,       /* from the server: |code|, |text| */
  VC_MEETING_EVENT_ENDED,       /* final: |reason|, |text| */
  /* With a passphrase: |session_id|'s identity did not carry a valid tag
   * (a different passphrase, or a key swapped in between). Nothing is
   * sent to it and nothing from it is trusted. */
  VC_MEETING_EVENT_UNVERIFIED,
  /* A media frame from |session_id|: |media| (|media_len| bytes, opened
   * when E2EE is on) and its routing header |route|. Valid in the
   * callback only. Frames that do not open are counted, not reported. */
  VC_MEETING_EVENT_MEDIA,
  /* Someone needs a keyframe of ours: |route.kind| and |route.layer| say
   * which stream (the server merges requests that come close together). */
  VC_MEETING_EVENT_KEYFRAME_REQUESTED,
  /* The server saw a receiver of our video refuse media: send video at
   * no more than |bitrate_kbps| (docs/SERVER.md "Congestion signals"). */
  VC_MEETING_EVENT_SEND_RATE_LIMIT,
  /* Simulcast: encode |route.kind| at exactly the layers in |layers| (bit
   * L: layer L; 0: send none until asked again). Sent only to a client
   * whose max_simulcast_layers is above 1; the set is forgotten when the
   * connection is (the server says it again on a resume). */
  VC_MEETING_EVENT_SEND_LAYERS
} vc_meeting_event_type;

typedef struct vc_meeting_event {
  vc_meeting_event_type type;
  const vc_participant *participant; /* roster events; valid in callback */
  uint32_t session_id;
  int snapshot; /* PARTICIPANT_*: part of a (re)join, not news */
  int resumed;  /* RECONNECTED: the same session carried on */
  int reason;   /* a Vc__Wire__LeaveReason */
  int code;     /* ERROR: a Vc__Wire__ErrorCode */
  const char *text;
  size_t textlen;
  /* CHAT */
  uint64_t chat_seq;
  uint64_t client_msg_id;
  uint32_t chat_sender;
  int chat_own; /* one of ours, now acknowledged */
  int chat_encrypted;
  uint64_t rtt_us;
  uint32_t bitrate_kbps; /* SEND_RATE_LIMIT */
  uint32_t layers;       /* SEND_LAYERS */
  /* MEDIA */
  const uint8_t *media;
  size_t media_len;
  vc_route route;
} vc_meeting_event;

typedef void (*vc_meeting_event_cb)(void *user_data,
                                    const vc_meeting_event *ev);

typedef struct vc_meeting_config {
  const char *meeting_id;   /* the safe set */
  const char *user;         /* the safe set */
  const char *display_name; /* UTF-8, 1..64 characters */
  vc_media_state state;     /* at join */
  uint32_t max_simulcast_layers;
  /* End-to-end encryption: keys are made and exchanged, so encrypted
   * media and chat can be read, and what this client sends is sealed
   * unless |state.e2ee_off|. Needs |random|. Without it the client
   * sends in the clear and says so (state.e2ee_off is forced on). */
  int e2ee;
  int webtransport;
  /* Cryptographic randomness for keys (the core draws none itself);
   * required when |e2ee| is set. */
  void (*random)(void *user_data, uint8_t *buf, size_t len);
  /* Optional, with |e2ee|: only participants who know it get keys. It
   * stays on this device (the page keeps it in the URL fragment). */
  const char *passphrase;
  /* Seeds the meeting's own PRNG (backoff jitter, chat message ids): the
   * core draws no randomness itself. Same seed, same behaviour. */
  uint64_t seed;
  vc_meeting_event_cb on_event;
  void *user_data;
} vc_meeting_config;

/* Returns 0, VC_ERR_INVALID_ARGUMENT (bad names, no callback) or
 * VC_ERR_NOMEM. */
int vc_meeting_new(vc_meeting **pm, const vc_meeting_config *cfg);
void vc_meeting_del(vc_meeting *m);

vc_meeting_phase vc_meeting_get_phase(const vc_meeting *m);
uint32_t vc_meeting_session_id(const vc_meeting *m); /* 0 before joined */
/* The resume token from the last Welcome (a secret: it proves this
 * session, for a resume or for the closing page's leave beacon). Copies
 * up to |cap| bytes to |out|; returns its length, 0 before joined. */
size_t vc_meeting_resume_token(const vc_meeting *m, uint8_t *out, size_t cap);
uint32_t vc_meeting_host(const vc_meeting *m); /* 0: no host */
uint32_t vc_meeting_active_speaker(const vc_meeting *m);

/* The roster, everyone but oneself, sorted by session id. */
size_t vc_meeting_roster_size(const vc_meeting *m);
const vc_participant *vc_meeting_roster_at(const vc_meeting *m, size_t i);
const vc_participant *vc_meeting_find(const vc_meeting *m, uint32_t session);

/* The control stream is open: queues a Join (resuming when it can).
 * VC_ERR_STATE when ended or already connected. */
int vc_meeting_connected(vc_meeting *m, vc_tstamp ts);

/* The control stream broke. Unsent frames are dropped (what matters is
 * resent after the rejoin); a reconnect is scheduled. */
void vc_meeting_transport_lost(vc_meeting *m, vc_tstamp ts);

/*
 * One frame (an envelope) from the server. Returns 0, or a negative code
 * for a frame that was skipped (malformed, newer version, unknown type);
 * a skipped frame changes nothing and the connection carries on.
 */
int vc_meeting_receive(vc_meeting *m, const uint8_t *frame, size_t len,
                       vc_tstamp ts);

/* What vc_meeting_pop_frame_kind says of a frame. Only audio may go
 * unreliably: a lost video frame would break every picture after it until
 * a keyframe, while a reliable stream resends it in about a round trip. */
enum {
  VC_MEETING_FRAME_CONTROL = 0,  /* reliable and in order */
  VC_MEETING_FRAME_MEDIA = 1,    /* may be dropped on a stalled transport */
  VC_MEETING_FRAME_DATAGRAM = 2, /* media that may go as a datagram */
};

/* Copies the next frame to send into |dest|: control first, then media.
 * Returns its length, 0 when nothing waits, VC_ERR_NOBUF when |destlen| is
 * short (frame kept). |*is_media| (may be NULL) gets a VC_MEETING_FRAME_*
 * class: non-zero tells the caller it may drop this one rather than queue
 * it on a stalled transport. */
vc_ssize vc_meeting_pop_frame(vc_meeting *m, uint8_t *dest, size_t destlen);
vc_ssize vc_meeting_pop_frame_kind(vc_meeting *m, uint8_t *dest, size_t destlen,
                                   int *is_media);

vc_tstamp vc_meeting_get_expiry(const vc_meeting *m); /* UINT64_MAX: none */
void vc_meeting_handle_expiry(vc_meeting *m, vc_tstamp ts);

/*
 * Sends a chat message; |*client_msg_id| identifies it in the CHAT event
 * that acknowledges it. Queued while reconnecting and resent after, never
 * delivered twice. VC_ERR_QUEUE_FULL at VC_MEETING_MAX_PENDING_CHAT
 * unacknowledged messages, VC_ERR_INVALID_ARGUMENT for an empty or
 * oversized body or text that is not UTF-8, VC_ERR_STATE once ended.
 */
int vc_meeting_send_chat(vc_meeting *m, const uint8_t *body, size_t len,
                         int encrypted, uint64_t sent_at_ms, vc_tstamp ts,
                         uint64_t *client_msg_id);

/* Which senders to receive, and how well (replaces the previous set,
 * which is resent after every rejoin). Nothing is forwarded but audio
 * until a subscription asks for video. VC_ERR_INVALID_ARGUMENT over
 * VC_MEETING_MAX_SUBSCRIPTIONS entries or a layer over 3. */
typedef struct vc_subscription {
  uint32_t session_id;
  uint32_t kind; /* a vc_stream_kind */
  uint32_t max_layer;
} vc_subscription;

int vc_meeting_subscribe(vc_meeting *m, const vc_subscription *subs, size_t n,
                         vc_tstamp ts);

int vc_meeting_set_media_state(vc_meeting *m, const vc_media_state *state,
                               vc_tstamp ts);

/* Host actions (a Vc__Wire__HostActionKind); the server checks the role
 * too. VC_ERR_STATE when not joined or not the host. */
int vc_meeting_host_action(vc_meeting *m, int action, uint32_t target,
                           vc_tstamp ts);

/* Leaves for good: queues a Leave and ends the meeting. */
int vc_meeting_leave(vc_meeting *m, vc_tstamp ts);

/*
 * With E2EE: the meeting's safety code over everyone's identity key (see
 * vc_e2ee_safety_code) into |out| (24 bytes). VC_ERR_STATE when E2EE is
 * off or someone's identity has not arrived yet (the code would differ
 * from theirs).
 */
int vc_meeting_safety_code(const vc_meeting *m, char out[24]);

/* One media frame to send: what the routing header says about it. */
typedef struct vc_media_frame {
  uint32_t kind;         /* VC_STREAM_KIND_AUDIO, _VIDEO or _SCREEN */
  uint32_t layer;        /* simulcast layer, 0 .. VC_MAX_SIMULCAST_LAYER */
  uint32_t keyframe;     /* video: decodable alone */
  uint32_t audio_level;  /* audio: 0 (loud) .. VC_AUDIO_LEVEL_SILENT */
  uint64_t timestamp_us; /* the sender's media clock */
} vc_media_frame;

/*
 * Sends one media frame while joined. With E2EE it is sealed with our key
 * (the routing header stays clear for the server and is bound as
 * associated data). Sequence numbers run per kind. Media is never held
 * across a reconnect (it would be stale): VC_ERR_STATE when not joined.
 * When the media queue is full its oldest frame is dropped (counted in
 * media_dropped) to make room,
 * VC_ERR_TOO_BIG over VC_ENVELOPE_MAX_PAYLOAD_LEN with the seal,
 * VC_ERR_INVALID_ARGUMENT for a kind that is not media. Nothing is kept.
 */
int vc_meeting_send_media(vc_meeting *m, const vc_media_frame *f,
                          const uint8_t *payload, size_t len, vc_tstamp ts);

/* Asks |session| for a keyframe of its |kind| stream at |layer| (a lost
 * frame cannot be decoded past). VC_ERR_STATE when not joined,
 * VC_ERR_QUEUE_FULL when the outbox is full. */
int vc_meeting_request_keyframe(vc_meeting *m, uint32_t session, uint32_t kind,
                                uint32_t layer, vc_tstamp ts);

/* Counters for diagnostics and tests. */
typedef struct vc_meeting_stats {
  uint64_t frames_received;
  uint64_t frames_skipped; /* malformed, newer, unknown */
  uint64_t chats_deduplicated;
  uint64_t reconnects;
  uint64_t resumes;
  uint64_t undecryptable; /* encrypted chat that did not open */
  uint64_t chats_held;    /* waited for their sender's key (or behind one) */
  /* Media that did not open: normal for frames that overtake the
   * sender's key (they are dropped); never otherwise. */
  uint64_t media_undecryptable;
  /* Media taken unsealed from senders who switched E2EE off. */
  uint64_t media_in_clear;
  uint64_t media_sent;
  uint64_t media_dropped; /* the media queue was full: oldest dropped */
  uint64_t media_received;
} vc_meeting_stats;

void vc_meeting_get_stats(const vc_meeting *m, vc_meeting_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* VC_MEETING_H */
