/*
 * room_relay.c: control messages one participant addresses to others,
 * passed on by the room without reading what they protect:
 *
 *   KeyAnnounce      to everyone else, and kept for whoever joins later;
 *   KeyDelivery      to its one recipient (a sealed key: opaque to us);
 *   KeyframeRequest  to the sender whose keyframe is wanted, at most one
 *                    per KEYFRAME_GAP_MS per sender: a keyframe answers
 *                    every receiver, so requests in between are merged.
 *                    The room asks too, for a receiver whose queue
 *                    dropped a frame, until a keyframe reaches it
 *                    (room.c, forward_media).
 *
 * The sender fields are overwritten with the session the message came
 * from: nobody can announce or deliver keys in another's name. Each kind
 * has its rate per sender (room_limits.c), taken only once the target is
 * known to be here.
 */
#include <string.h>

#include "room_internal.h"

#define MS ((vc_tstamp)1000000)
#define KEYFRAME_GAP_MS 250

static int unknown_target(vc_room *r, vc__room_session *s) {
  vc__room_send_error(r, s->conn,
                      VC__WIRE__ERROR_CODE__ERROR_CODE_UNKNOWN_PARTICIPANT,
                      "that participant is not in the meeting");
  return VC_ERR_INVALID_ARGUMENT;
}

static void announce(vc_room *r, const vc__room_session *from,
                     vc__room_session *to, vc_tstamp ts) {
  Vc__Wire__Control ctl;
  Vc__Wire__KeyAnnounce ka;

  vc__wire__control__init(&ctl);
  vc__wire__key_announce__init(&ka);
  ka.session_id = from->id;
  ka.identity_key.data = (uint8_t *)(uintptr_t)from->identity_key;
  ka.identity_key.len = sizeof(from->identity_key);
  ka.auth_tag.data = (uint8_t *)(uintptr_t)from->auth_tag;
  ka.auth_tag.len = from->auth_tag_len;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_KEY_ANNOUNCE;
  ctl.key_announce = &ka;
  if (to) {
    (void)vc__room_send(r, to, &ctl, ts);
  } else {
    vc__room_broadcast(r, &ctl, from, ts);
  }
}

int vc__room_ask_keyframe(vc_room *r, vc__room_session *sender, uint32_t kind,
                          uint32_t layer, vc_tstamp ts) {
  Vc__Wire__Control ctl;
  Vc__Wire__KeyframeRequest kr;

  if (layer >= VC__ROOM_LAYERS) {
    return 0;
  }
  if (sender->keyframe_asked_at[layer] &&
      ts - sender->keyframe_asked_at[layer] < (vc_tstamp)KEYFRAME_GAP_MS * MS) {
    r->stats.keyframe_requests_coalesced++;
    return 0; /* the keyframe already asked for answers this one too */
  }
  sender->keyframe_asked_at[layer] = ts;
  r->stats.keyframe_requests_forwarded++;
  vc__wire__control__init(&ctl);
  vc__wire__keyframe_request__init(&kr);
  kr.session_id = sender->id;
  kr.kind = (Vc__Wire__StreamKind)kind;
  kr.layer = layer;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_KEYFRAME_REQUEST;
  ctl.keyframe_request = &kr;
  (void)vc__room_send(r, sender, &ctl, ts);
  return 1;
}

void vc__room_replay_announcements(vc_room *r, vc__room_session *to,
                                   vc_tstamp ts) {
  size_t i;

  for (i = 0; i < r->n_sessions; i++) {
    if (&r->sessions[i] != to && r->sessions[i].announced) {
      announce(r, &r->sessions[i], to, ts);
    }
  }
}

int vc__room_relay(vc_room *r, vc__room_session *s, const Vc__Wire__Control *c,
                   vc_tstamp ts) {
  vc__room_session *t;
  int rv;

  switch (c->msg_case) {
  case VC__WIRE__CONTROL__MSG_KEY_ANNOUNCE:
    rv = vc__room_limit(r, s, VC_ROOM_LIMIT_KEY_ANNOUNCE,
                        (uint64_t)r->rx_len * (r->n_sessions - 1), ts);
    if (rv) {
      return rv;
    }
    /* Lengths were checked by the decoder (32, and 0 or 32). */
    memcpy(s->identity_key, c->key_announce->identity_key.data,
           sizeof(s->identity_key));
    s->auth_tag_len = c->key_announce->auth_tag.len;
    if (s->auth_tag_len) {
      memcpy(s->auth_tag, c->key_announce->auth_tag.data, s->auth_tag_len);
    }
    s->announced = 1;
    announce(r, s, NULL, ts);
    r->stats.keys_relayed++;
    return 0;
  case VC__WIRE__CONTROL__MSG_KEY_DELIVERY: {
    Vc__Wire__Control ctl = *c;
    Vc__Wire__KeyDelivery kd = *c->key_delivery;
    t = vc__room_find(r, kd.to_session);
    if (!t || t == s) {
      return unknown_target(r, s);
    }
    rv = vc__room_limit(r, s, VC_ROOM_LIMIT_KEY_DELIVERY, r->rx_len, ts);
    if (rv) {
      return rv;
    }
    kd.from_session = s->id;
    ctl.key_delivery = &kd;
    r->stats.keys_relayed++;
    return vc__room_send(r, t, &ctl, ts);
  }
  case VC__WIRE__CONTROL__MSG_KEYFRAME_REQUEST: {
    const vc__room_sub *sub;
    uint32_t layer = c->keyframe_request->layer;
    t = vc__room_find(r, c->keyframe_request->session_id);
    if (!t || t == s) {
      return unknown_target(r, s);
    }
    rv = vc__room_limit(r, s, VC_ROOM_LIMIT_KEYFRAME_REQUEST, r->rx_len, ts);
    if (rv) {
      return rv;
    }
    /* A simulcast receiver asks for the layer it is to get. */
    sub = vc__room_find_sub(s, t->id, (uint32_t)c->keyframe_request->kind);
    if (sub) {
      vc__room_layers_ask_keyframe(
          r, t, s, sub, (uint32_t)c->keyframe_request->kind, layer, ts);
    } else {
      (void)vc__room_ask_keyframe(r, t, (uint32_t)c->keyframe_request->kind,
                                  layer, ts);
    }
    return 0;
  }
  default:
    return VC_ERR_INVALID_ARGUMENT;
  }
}
