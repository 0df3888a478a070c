/*
 * meeting_glue.c: vc_meeting (include/vc/meeting.h) shaped for JavaScript.
 *
 * web/js/core.js calls these with plain numbers and heap pointers: no
 * function pointers cross the boundary. Events are queued here (capped)
 * and polled by JS; stream bytes go in and framed messages come out with
 * their length prefix already on, ready for one WebSocket message each.
 * Times are milliseconds (performance.now()) as doubles.
 */
#define _DEFAULT_SOURCE /* getentropy under -std=c11 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h> /* getentropy: crypto.getRandomValues under emscripten */

#include <vc/control.h>
#include <vc/frame.h>
#include <vc/meeting.h>
#include <vc/wire.h>

#include "glue.h"

/* Exported (src/wasm/exports.txt); declared here for -Wmissing-prototypes. */
vcw_meeting *vcw_meeting_new(const char *meeting_id, const char *user,
                             const char *display_name, uint32_t seed, int e2ee,
                             const char *passphrase);
void vcw_meeting_del(vcw_meeting *w);
int vcw_connected(vcw_meeting *w, double ts_ms);
void vcw_transport_lost(vcw_meeting *w, double ts_ms);
int vcw_receive(vcw_meeting *w, const uint8_t *data, size_t len, double ts_ms);
int vcw_receive_datagram(vcw_meeting *w, const uint8_t *data, size_t len,
                         double ts_ms);
int vcw_pop(vcw_meeting *w);
const uint8_t *vcw_out(vcw_meeting *w);
int vcw_out_is_media(vcw_meeting *w);
double vcw_media_undecryptable(vcw_meeting *w);
double vcw_expiry_ms(vcw_meeting *w);
void vcw_handle_expiry(vcw_meeting *w, double ts_ms);
const vcw_event *vcw_next_event(vcw_meeting *w);
uint32_t vcw_events_dropped(vcw_meeting *w);
int vcw_send_chat(vcw_meeting *w, const uint8_t *text, size_t len,
                  double ts_ms);
int vcw_set_media_state(vcw_meeting *w, int flags, double ts_ms);
int vcw_leave(vcw_meeting *w, double ts_ms);
int vcw_host_action(vcw_meeting *w, int action, uint32_t target, double ts_ms);
int vcw_phase(vcw_meeting *w);
uint32_t vcw_session_id(vcw_meeting *w);
const char *vcw_resume_token_hex(vcw_meeting *w);
uint32_t vcw_host(vcw_meeting *w);
uint32_t vcw_speaker(vcw_meeting *w);
size_t vcw_roster_size(vcw_meeting *w);
const vc_participant *vcw_roster_at(vcw_meeting *w, size_t i);
const char *vcw_safety_code(vcw_meeting *w);
size_t vcw_event_size(void);
size_t vcw_participant_size(void);

vc_tstamp vcw__to_ts(double ms) {
  return ms <= 0 ? 0 : (vc_tstamp)(ms * 1e6);
}

/* The browser's cryptographic randomness, for E2EE keys. */
static void browser_random(void *user_data, uint8_t *buf, size_t len) {
  (void)user_data;
  while (len > 0) {
    size_t n = len < 256 ? len : 256; /* getentropy's limit per call */
    if (getentropy(buf, n) != 0) {
      abort(); /* keys without randomness would be guessable */
    }
    buf += n;
    len -= n;
  }
}

static void on_event(void *user_data, const vc_meeting_event *ev) {
  vcw_meeting *w = user_data;
  vcw_event *e;
  size_t len = ev->textlen < EVENT_TEXT_LEN ? ev->textlen : EVENT_TEXT_LEN;

  /* Media stays in the core (audio_glue.c): fifty packets a second per
   * speaker would swamp the event queue, and JS has nothing to do there. */
  if (ev->type == VC_MEETING_EVENT_MEDIA) {
    vcw__audio_on_media(w, ev);
    vcw__video_on_media(w, ev);
    return;
  }
  if (ev->type == VC_MEETING_EVENT_PARTICIPANT_LEFT) {
    vcw__audio_on_left(w, ev->session_id);
    vcw__video_on_left(w, ev->session_id);
  }
  if (ev->type == VC_MEETING_EVENT_PARTICIPANT_UPDATED) {
    vcw__audio_on_updated(w, ev->session_id);
  }
  if (ev->type == VC_MEETING_EVENT_PARTICIPANT_JOINED ||
      ev->type == VC_MEETING_EVENT_PARTICIPANT_LEFT ||
      ev->type == VC_MEETING_EVENT_JOINED ||
      ev->type == VC_MEETING_EVENT_RECONNECTED) {
    w->resubscribe = 1;
  }
  if (w->count == EVENT_QUEUE_LEN) {
    w->dropped++;
    return;
  }
  e = &w->queue[(w->head + w->count++) % EVENT_QUEUE_LEN];
  memset(e, 0, offsetof(vcw_event, text));
  e->type = (int32_t)ev->type;
  e->session_id = ev->session_id;
  e->reason = ev->reason;
  e->code = ev->code;
  e->snapshot = ev->snapshot;
  e->resumed = ev->resumed;
  e->chat_own = ev->chat_own;
  if (ev->type == VC_MEETING_EVENT_KEYFRAME_REQUESTED) {
    e->code = (int32_t)ev->route.kind; /* camera or screen */
    e->reason = (int32_t)ev->route.layer;
  }
  if (ev->type == VC_MEETING_EVENT_SEND_LAYERS) {
    e->code = (int32_t)ev->layers; /* a bitmask of 4 bits */
    e->reason = (int32_t)ev->route.kind;
  }
  if (ev->type == VC_MEETING_EVENT_SEND_RATE_LIMIT) {
    e->code =
        (int32_t)(ev->bitrate_kbps > INT32_MAX ? INT32_MAX : ev->bitrate_kbps);
  }
  if (ev->type == VC_MEETING_EVENT_CHAT) {
    e->code = ev->chat_encrypted; /* 0: sent in the clear */
  }
  if (ev->type == VC_MEETING_EVENT_RTT) {
    e->code = (int32_t)(ev->rtt_us > INT32_MAX ? INT32_MAX : ev->rtt_us);
  }
  if (ev->text && len > 0) {
    memcpy(e->text, ev->text, len);
  }
  e->text[len] = '\0';
  e->text_len = (uint32_t)len;
}

vcw_meeting *vcw_meeting_new(const char *meeting_id, const char *user,
                             const char *display_name, uint32_t seed, int e2ee,
                             const char *passphrase) {
  vcw_meeting *w = calloc(1, sizeof(*w));
  vc_meeting_config cfg;

  if (!w) {
    return NULL;
  }
  memset(&cfg, 0, sizeof(cfg));
  cfg.meeting_id = meeting_id;
  cfg.user = user;
  cfg.display_name = display_name;
  cfg.max_simulcast_layers = 3;
  cfg.seed = seed;
  cfg.e2ee = e2ee;
  cfg.random = browser_random;
  cfg.passphrase = passphrase;
  cfg.on_event = on_event;
  cfg.user_data = w;
  if (vc_meeting_new(&w->m, &cfg) != 0 ||
      vc_frame_reader_init(&w->frames, w->frame_buf, sizeof(w->frame_buf)) !=
          0) {
    vc_meeting_del(w->m);
    free(w);
    return NULL;
  }
  return w;
}

void vcw_meeting_del(vcw_meeting *w) {
  if (w) {
    vcw__audio_free(w);
    vcw__video_free(w);
    vc_meeting_del(w->m);
    free(w);
  }
}

int vcw_connected(vcw_meeting *w, double ts_ms) {
  /* A new stream: its framing starts afresh. */
  vc_frame_reader_init(&w->frames, w->frame_buf, sizeof(w->frame_buf));
  return vc_meeting_connected(w->m, vcw__to_ts(ts_ms));
}

void vcw_transport_lost(vcw_meeting *w, double ts_ms) {
  vc_meeting_transport_lost(w->m, vcw__to_ts(ts_ms));
}

int vcw_receive(vcw_meeting *w, const uint8_t *data, size_t len, double ts_ms) {
  while (len > 0) {
    const uint8_t *frame;
    size_t used;
    vc_ssize n = vc_frame_read(&w->frames, &frame, data, len, &used);
    if (n < 0) {
      return (int)n; /* the stream is broken: JS closes it */
    }
    data += used;
    len -= used;
    if (n > 0) {
      /* A frame the meeting skips is not the stream's fault. */
      w->now = vcw__to_ts(ts_ms); /* for the media it hands to audio_glue.c */
      (void)vc_meeting_receive(w->m, frame, (size_t)n, w->now);
      vcw__video_after_receive(w, w->now);
    }
  }
  return 0;
}

/* A WebTransport datagram: exactly one framed envelope (media), outside
 * the stream's framing. One that is not is dropped: datagrams are
 * unreliable anyway, and the stream is not at fault. */
int vcw_receive_datagram(vcw_meeting *w, const uint8_t *data, size_t len,
                         double ts_ms) {
  const uint8_t *frame;
  vc_ssize n = vc_frame_parse_one(&frame, data, len);

  if (n < 0) {
    return (int)n;
  }
  w->now = vcw__to_ts(ts_ms);
  (void)vc_meeting_receive(w->m, frame, (size_t)n, w->now);
  vcw__video_after_receive(w, w->now);
  return 0;
}

int vcw_pop(vcw_meeting *w) {
  vc_ssize n = vc_meeting_pop_frame_kind(w->m, w->out + VC_FRAME_MAX_HEADER_LEN,
                                         VC_ENVELOPE_MAX_LEN, &w->out_is_media);
  uint8_t prefix[VC_FRAME_MAX_HEADER_LEN];
  vc_ssize p;

  if (n <= 0) {
    return (int)n;
  }
  p = vc_frame_write_header(prefix, sizeof(prefix), (size_t)n);
  if (p < 0) {
    return (int)p;
  }
  if (w->out_is_media == VC_MEETING_FRAME_DATAGRAM &&
      (size_t)n > VCW_DATAGRAM_ENVELOPE_MAX) {
    w->out_is_media = VC_MEETING_FRAME_MEDIA; /* too big for one datagram */
  }
  /* Put the prefix right before the frame; JS reads from vcw_out. */
  memmove(w->out + p, w->out + VC_FRAME_MAX_HEADER_LEN, (size_t)n);
  memcpy(w->out, prefix, (size_t)p);
  return (int)(p + n);
}

const uint8_t *vcw_out(vcw_meeting *w) {
  return w->out;
}

/* The frame vcw_pop gave is media (1, VC_MEETING_FRAME_MEDIA): JS may
 * drop it on a stalled path; 2 (VC_MEETING_FRAME_DATAGRAM): audio small
 * enough for a WebTransport datagram, which it may go as. */
int vcw_out_is_media(vcw_meeting *w) {
  return w->out_is_media;
}

/* Media frames that did not open (for the stats overlay): a few while a
 * sender's key is on its way; more means keys or frames go wrong. */
double vcw_media_undecryptable(vcw_meeting *w) {
  vc_meeting_stats st;
  vc_meeting_get_stats(w->m, &st);
  return (double)st.media_undecryptable;
}

double vcw_expiry_ms(vcw_meeting *w) {
  vc_tstamp t = vc_meeting_get_expiry(w->m);

  return t == UINT64_MAX ? -1 : (double)t / 1e6;
}

void vcw_handle_expiry(vcw_meeting *w, double ts_ms) {
  vc_meeting_handle_expiry(w->m, vcw__to_ts(ts_ms));
}

const vcw_event *vcw_next_event(vcw_meeting *w) {
  if (w->count == 0) {
    return NULL;
  }
  w->current = w->queue[w->head];
  w->head = (w->head + 1) % EVENT_QUEUE_LEN;
  w->count--;
  return &w->current;
}

uint32_t vcw_events_dropped(vcw_meeting *w) {
  return w->dropped;
}

int vcw_send_chat(vcw_meeting *w, const uint8_t *text, size_t len,
                  double ts_ms) {
  return vc_meeting_send_chat(w->m, text, len, 0, (uint64_t)(ts_ms),
                              vcw__to_ts(ts_ms), NULL);
}

int vcw_set_media_state(vcw_meeting *w, int flags, double ts_ms) {
  vc_media_state st;

  st.audio_muted = (flags & 1) != 0;
  st.video_off = (flags & 2) != 0;
  st.screen_sharing = (flags & 4) != 0;
  st.hand_raised = (flags & 8) != 0;
  st.e2ee_off = (flags & 16) != 0;
  return vc_meeting_set_media_state(w->m, &st, vcw__to_ts(ts_ms));
}

/* action: a Vc__Wire__HostActionKind (2 remove, 3 ask to mute). */
int vcw_host_action(vcw_meeting *w, int action, uint32_t target, double ts_ms) {
  return vc_meeting_host_action(w->m, action, target, vcw__to_ts(ts_ms));
}

int vcw_leave(vcw_meeting *w, double ts_ms) {
  return vc_meeting_leave(w->m, vcw__to_ts(ts_ms));
}

int vcw_phase(vcw_meeting *w) {
  return (int)vc_meeting_get_phase(w->m);
}
uint32_t vcw_session_id(vcw_meeting *w) {
  return vc_meeting_session_id(w->m);
}
/* The resume token in lowercase hex ("" before joined), for the closing
 * page's leave beacon (server-stub/leave_beacon.h). */
const char *vcw_resume_token_hex(vcw_meeting *w) {
  static const char digits[] = "0123456789abcdef";
  uint8_t token[VC_CONTROL_MAX_RESUME_TOKEN_LEN];
  size_t n = vc_meeting_resume_token(w->m, token, sizeof(token)), i;

  for (i = 0; i < n; i++) {
    w->token_hex[2 * i] = digits[token[i] >> 4];
    w->token_hex[2 * i + 1] = digits[token[i] & 15];
  }
  w->token_hex[2 * n] = '\0';
  return w->token_hex;
}

uint32_t vcw_host(vcw_meeting *w) {
  return vc_meeting_host(w->m);
}
uint32_t vcw_speaker(vcw_meeting *w) {
  return vc_meeting_active_speaker(w->m);
}
size_t vcw_roster_size(vcw_meeting *w) {
  return vc_meeting_roster_size(w->m);
}
const vc_participant *vcw_roster_at(vcw_meeting *w, size_t i) {
  return vc_meeting_roster_at(w->m, i);
}
/* "" until everyone's identity is known. */
const char *vcw_safety_code(vcw_meeting *w) {
  static char code[24];

  if (vc_meeting_safety_code(w->m, code) != 0) {
    code[0] = '\0';
  }
  return code;
}

size_t vcw_event_size(void) {
  return sizeof(vcw_event);
}
size_t vcw_participant_size(void) {
  return sizeof(vc_participant);
}
