/*
 * control.c: decode, validate and encode control messages
 * (proto/control.proto; docs/PROTOCOL.md "Control messages").
 *
 * protobuf-c checks the wire syntax; this file checks meaning: the safe
 * name set, UTF-8 text of bounded length, list sizes, key sizes, ranges.
 * The same validation runs before encoding, so what we send is exactly
 * what we accept.
 */
#include <stdlib.h>
#include <string.h>

#include <vc/control.h>
#include <vc/wire.h>

#include "arena.h"
#include "pb_check.h"
#include "utf8.h"

struct vc_control_decoder {
  vc__arena arena;
  const char *reason;
  /* The arena's memory follows the struct. */
};

int vc_name_is_safe(const char *s) {
  size_t n = 0;

  if (!s) {
    return 0;
  }
  for (; s[n]; n++) {
    char c = s[n];
    if (n == 64 || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9') || c == '-' || c == '_')) {
      return 0;
    }
  }
  return n > 0;
}

/* Each check returns NULL when fine, else the reason (static text). */

static const char *check_display_name(const char *s) {
  size_t len = s ? strlen(s) : 0;
  long chars;

  if (len == 0 || len > VC_CONTROL_MAX_DISPLAY_NAME_LEN) {
    return "display_name: empty or too long";
  }
  chars = vc__utf8_count(s, len, 1);
  if (chars < 0) {
    return "display_name: not UTF-8 text without control characters";
  }
  if (chars > VC_CONTROL_MAX_DISPLAY_NAME_CHARS) {
    return "display_name: more than 64 characters";
  }
  return NULL;
}

static const char *check_text(const char *s, size_t max) {
  size_t len = s ? strlen(s) : 0;

  if (len > max) {
    return "text: too long";
  }
  if (vc__utf8_count(s ? s : "", len, 0) < 0) {
    return "text: not UTF-8";
  }
  return NULL;
}

static int layer_ok(uint32_t layer) {
  return layer <= VC_MAX_SIMULCAST_LAYER;
}

static const char *check_participant(const Vc__Wire__Participant *p) {
  if (!p) {
    return "participant: missing";
  }
  if (p->session_id == 0) {
    return "participant.session_id: zero";
  }
  if (!vc_name_is_safe(p->user)) {
    return "participant.user: not in the safe set";
  }
  return check_display_name(p->display_name);
}

static const char *check_capabilities(const Vc__Wire__Capabilities *c) {
  size_t i;

  if (!c) {
    return NULL;
  }
  if (c->n_video_codecs > VC_CONTROL_MAX_CODECS) {
    return "capabilities.video_codecs: too many";
  }
  for (i = 0; i < c->n_video_codecs; i++) {
    const char *codec = c->video_codecs[i];
    size_t len = strlen(codec), j;
    if (len == 0 || len > VC_CONTROL_MAX_CODEC_LEN) {
      return "capabilities.video_codecs: bad length";
    }
    for (j = 0; j < len; j++) {
      if (codec[j] <= 0x20 || codec[j] >= 0x7f) {
        return "capabilities.video_codecs: not a codec string";
      }
    }
  }
  if (c->max_simulcast_layers > VC_CONTROL_MAX_SIMULCAST_LAYERS) {
    return "capabilities.max_simulcast_layers: over 4";
  }
  return NULL;
}

static const char *check_resume_token(const ProtobufCBinaryData *t,
                                      int required) {
  if (t->len == 0 && !required) {
    return NULL;
  }
  if (t->len < VC_CONTROL_MIN_RESUME_TOKEN_LEN ||
      t->len > VC_CONTROL_MAX_RESUME_TOKEN_LEN) {
    return "resume_token: not 16..32 bytes";
  }
  return NULL;
}

static const char *check_join(const Vc__Wire__Join *m) {
  const char *why;

  if (m->protocol_version == 0) {
    return "join.protocol_version: missing";
  }
  if (!vc_name_is_safe(m->meeting_id)) {
    return "join.meeting_id: not in the safe set";
  }
  if (!vc_name_is_safe(m->user)) {
    return "join.user: not in the safe set";
  }
  if ((why = check_display_name(m->display_name)) != NULL) {
    return why;
  }
  if ((why = check_capabilities(m->capabilities)) != NULL) {
    return why;
  }
  return check_resume_token(&m->resume_token, 0);
}

static const char *check_roster_page(Vc__Wire__Participant *const *p,
                                     size_t n) {
  const char *why;
  size_t i;

  if (n > VC_CONTROL_MAX_ROSTER_PAGE) {
    return "roster: more than 500 participants in one message";
  }
  for (i = 0; i < n; i++) {
    if ((why = check_participant(p[i])) != NULL) {
      return why;
    }
  }
  return NULL;
}

static const char *check_welcome(const Vc__Wire__Welcome *m) {
  const char *why;

  if (m->session_id == 0) {
    return "welcome.session_id: zero";
  }
  if ((why = check_resume_token(&m->resume_token, 1)) != NULL) {
    return why;
  }
  if (m->roster_total > VC_CONTROL_MAX_ROSTER ||
      m->n_roster > m->roster_total) {
    return "welcome.roster_total: over 1000 or below the page size";
  }
  return check_roster_page(m->roster, m->n_roster);
}

static const char *check_subscribe(const Vc__Wire__Subscribe *m) {
  size_t i;

  if (m->n_subscriptions > VC_CONTROL_MAX_SUBSCRIPTIONS) {
    return "subscribe.subscriptions: more than 1000";
  }
  for (i = 0; i < m->n_subscriptions; i++) {
    const Vc__Wire__Subscription *s = m->subscriptions[i];
    if (s->session_id == 0 || !layer_ok(s->max_layer)) {
      return "subscribe.subscriptions: zero session or layer over 3";
    }
  }
  return NULL;
}

static const char *check_chat(const Vc__Wire__Chat *m) {
  if (m->body.len == 0 || m->body.len > VC_CONTROL_MAX_CHAT_LEN) {
    return "chat.body: empty or over 4096 bytes";
  }
  if (!m->encrypted &&
      vc__utf8_count((const char *)m->body.data, m->body.len, 0) < 0) {
    return "chat.body: not UTF-8";
  }
  return NULL;
}

static const char *check_key_announce(const Vc__Wire__KeyAnnounce *m) {
  if (m->session_id == 0 ||
      m->identity_key.len != VC_CONTROL_IDENTITY_KEY_LEN) {
    return "key_announce: zero session or identity key not 32 bytes";
  }
  if (m->auth_tag.len != 0 && m->auth_tag.len != VC_CONTROL_AUTH_TAG_LEN) {
    return "key_announce.auth_tag: not 0 or 32 bytes";
  }
  return NULL;
}

static const char *check_key_delivery(const Vc__Wire__KeyDelivery *m) {
  if (m->from_session == 0 || m->to_session == 0) {
    return "key_delivery: zero session";
  }
  if (m->sealed_key.len == 0 ||
      m->sealed_key.len > VC_CONTROL_MAX_SEALED_KEY_LEN) {
    return "key_delivery.sealed_key: empty or over 128 bytes";
  }
  return NULL;
}

static const char *check_host_action(const Vc__Wire__HostAction *m) {
  if (m->action <= VC__WIRE__HOST_ACTION_KIND__HOST_ACTION_UNSPECIFIED ||
      m->action > VC__WIRE__HOST_ACTION_KIND__HOST_ACTION_TRANSFER_HOST) {
    return "host_action.action: unknown";
  }
  if (m->target_session == 0) {
    return "host_action.target_session: zero";
  }
  return NULL;
}

static const char *check_message(const Vc__Wire__Control *m) {
  switch (m->msg_case) {
  case VC__WIRE__CONTROL__MSG_JOIN:
    return check_join(m->join);
  case VC__WIRE__CONTROL__MSG_WELCOME:
    return check_welcome(m->welcome);
  case VC__WIRE__CONTROL__MSG_ROSTER_PAGE:
    return check_roster_page(m->roster_page->participants,
                             m->roster_page->n_participants);
  case VC__WIRE__CONTROL__MSG_PARTICIPANT_JOINED:
    return check_participant(m->participant_joined->participant);
  case VC__WIRE__CONTROL__MSG_PARTICIPANT_LEFT:
    return m->participant_left->session_id ? NULL
                                           : "participant_left: zero session";
  case VC__WIRE__CONTROL__MSG_PARTICIPANT_UPDATED:
    return m->participant_updated->session_id
               ? NULL
               : "participant_updated: zero session";
  case VC__WIRE__CONTROL__MSG_MEDIA_STATE:
    return m->media_state->state ? NULL : "media_state.state: missing";
  case VC__WIRE__CONTROL__MSG_LEAVE:
    return check_text(m->leave->text, VC_CONTROL_MAX_TEXT_LEN);
  case VC__WIRE__CONTROL__MSG_ERROR:
    return check_text(m->error->text, VC_CONTROL_MAX_TEXT_LEN);
  case VC__WIRE__CONTROL__MSG_SUBSCRIBE:
    return check_subscribe(m->subscribe);
  case VC__WIRE__CONTROL__MSG_KEYFRAME_REQUEST:
    return m->keyframe_request->session_id &&
                   layer_ok(m->keyframe_request->layer)
               ? NULL
               : "keyframe_request: zero session or layer over 3";
  case VC__WIRE__CONTROL__MSG_SEND_LAYERS:
    return m->send_layers->layers < (1u << (VC_MAX_SIMULCAST_LAYER + 1))
               ? NULL
               : "send_layers.layers: a layer over 3";
  case VC__WIRE__CONTROL__MSG_RECEIVER_REPORT:
    return m->receiver_report->n_reports <= VC_CONTROL_MAX_REPORTS
               ? NULL
               : "receiver_report.reports: more than 64";
  case VC__WIRE__CONTROL__MSG_CHAT:
    return check_chat(m->chat);
  case VC__WIRE__CONTROL__MSG_HOST_ACTION:
    return check_host_action(m->host_action);
  case VC__WIRE__CONTROL__MSG_KEY_ANNOUNCE:
    return check_key_announce(m->key_announce);
  case VC__WIRE__CONTROL__MSG_KEY_DELIVERY:
    return check_key_delivery(m->key_delivery);
  default:
    /*
     * Heartbeat, Ping and Pong hold nothing to bound; for "not set" the
     * caller reports an unknown message type.
     */
    return NULL;
  }
}

int vc_control_validate(const Vc__Wire__Control *msg, const char **reason) {
  const char *why;

  if (reason) {
    *reason = "";
  }
  if (msg->msg_case == VC__WIRE__CONTROL__MSG__NOT_SET) {
    if (reason) {
      *reason = "no message type this version knows";
    }
    return VC_ERR_UNKNOWN_MESSAGE;
  }
  why = check_message(msg);
  if (why) {
    if (reason) {
      *reason = why;
    }
    return VC_ERR_MALFORMED;
  }
  return 0;
}

int vc_control_decoder_new(vc_control_decoder **pdec, size_t arena_len) {
  vc_control_decoder *dec;

  if (!pdec || arena_len < 4096) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  dec = malloc(sizeof(*dec) + arena_len);
  if (!dec) {
    return VC_ERR_NOMEM;
  }
  vc__arena_init(&dec->arena, dec + 1, arena_len);
  dec->reason = "";
  *pdec = dec;
  return 0;
}

void vc_control_decoder_del(vc_control_decoder *dec) {
  free(dec);
}

const char *vc_control_decoder_reason(const vc_control_decoder *dec) {
  return dec->reason;
}

int vc_control_decode(vc_control_decoder *dec, Vc__Wire__Control **msg,
                      const uint8_t *data, size_t datalen) {
  Vc__Wire__Control *m;
  int rv;

  *msg = NULL;
  vc__arena_reset(&dec->arena);
  dec->reason = "";
  if (!data && datalen > 0) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  if (datalen > VC_ENVELOPE_MAX_LEN) {
    dec->reason = "larger than an envelope may be";
    return VC_ERR_TOO_BIG;
  }
  m = vc__wire__control__unpack(&dec->arena.allocator, datalen, data);
  if (!m) {
    if (dec->arena.exhausted) {
      dec->reason = "needs more memory than the decoder allows";
      return VC_ERR_TOO_BIG;
    }
    dec->reason = "not a protobuf Control message";
    return VC_ERR_MALFORMED;
  }
  if (!vc__pb_unknown_fields_valid(&m->base)) {
    dec->reason = "a field numbered 0";
    return VC_ERR_MALFORMED;
  }
  rv = vc_control_validate(m, &dec->reason);
  if (rv != 0) {
    return rv; /* the arena holds |m| until the next reset */
  }
  *msg = m;
  return 0;
}

vc_ssize vc_control_encode(uint8_t *dest, size_t destlen,
                           const Vc__Wire__Control *msg) {
  size_t len;

  if (!msg || vc_control_validate(msg, NULL) != 0) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  len = vc__wire__control__get_packed_size(msg);
  if (len > VC_ENVELOPE_MAX_PAYLOAD_LEN) {
    return VC_ERR_TOO_BIG;
  }
  if (len > destlen) {
    return VC_ERR_NOBUF;
  }
  return (vc_ssize)vc__wire__control__pack(msg, dest);
}

vc_ssize vc_control_encode_envelope(uint8_t *dest, size_t destlen,
                                    uint8_t *scratch, size_t scratchlen,
                                    uint32_t sender, uint32_t sequence,
                                    const Vc__Wire__Control *msg) {
  vc_ssize n = vc_control_encode(scratch, scratchlen, msg);
  vc_route route;

  if (n < 0) {
    return n;
  }
  memset(&route, 0, sizeof(route));
  route.sender_session = sender;
  route.kind = VC_STREAM_KIND_CONTROL;
  route.sequence = sequence;
  route.audio_level = VC_AUDIO_LEVEL_SILENT;
  return vc_envelope_encode(dest, destlen, &route, scratch, (size_t)n);
}
