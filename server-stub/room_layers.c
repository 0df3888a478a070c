/*
 * room_layers.c: simulcast. A sender that can (Join's
 * max_simulcast_layers > 1) encodes its camera at up to four sizes, each
 * a stream of its own with its own keyframes. Every receiver gets one of
 * them per sender: the highest its subscription allows. It is switched
 * only at a keyframe of the new layer (a delta of another layer cannot be
 * decoded), and the room asks the sender for that keyframe. The switch
 * happens when the receiver's queue takes that keyframe: one dropped for
 * a full queue would leave the room thinking it switched while the
 * receiver, sent nothing of the new layer, shows a frozen picture.
 *
 * A sender encodes only the layers someone gets (SendLayers, a bitmask):
 * a call of two sends one size, not three, and nobody watching sends
 * nothing. While a receiver switches, both its old and new layer count as
 * wanted, so its picture never stops in between. Each sender keeps, per
 * layer, how many subscriptions want it; a subscription remembers what it
 * added (|held|), so a change costs one lookup, not a scan of the room.
 *
 * A receiver whose path is too narrow (room_congestion.c) is capped one
 * layer lower at a time, so one slow receiver costs the others nothing;
 * only once it is on the lowest layer of everyone are the senders told
 * to slow down. A cap is lifted one layer at a time after CAP_HOLD_MS
 * without congestion; a raise that congests again within RETRY_WINDOW_MS
 * doubles the hold (up to CAP_HOLD_MAX_MS), so a path that cannot carry
 * the next layer is not flooded every few seconds.
 *
 * Screen shares and senders of one layer are forwarded as before: every
 * frame of a layer up to the subscription's max_layer.
 */
#include <vc/wire.h>

#include "room_internal.h"

#define MS ((vc_tstamp)1000000)
#define NO_CAP (VC__ROOM_LAYERS - 1)
#define CAP_HOLD_MS 4000
#define CAP_HOLD_MAX_MS 32000
#define RETRY_WINDOW_MS 8000
/* A step down takes effect once the smaller layer's keyframe is queued:
 * congestion meanwhile is the old layer's, not a reason for another
 * step. */
#define SWITCH_WAIT_MS 2000

static int simulcast(const vc__room_session *sender, uint32_t kind) {
  return kind == VC_STREAM_KIND_VIDEO && sender->n_layers > 1;
}

vc__room_sub *vc__room_find_sub(const vc__room_session *s, uint32_t session,
                                uint32_t kind) {
  size_t lo = 0, hi = s->n_subs;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const vc__room_sub *x = &s->subs[mid];
    if (x->session < session || (x->session == session && x->kind < kind)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo < s->n_subs && s->subs[lo].session == session &&
      s->subs[lo].kind == kind) {
    return &s->subs[lo];
  }
  return NULL;
}

/* The layer |sub| of |receiver| should get from |sender|: as high as it
 * asked for, within what the sender offers and the receiver's path. */
static uint32_t wanted_layer(const vc__room_session *sender,
                             const vc__room_session *receiver,
                             const vc__room_sub *sub) {
  uint32_t want = sender->n_layers - 1;
  if (sub->max_layer < want) {
    want = sub->max_layer;
  }
  return receiver->layer_cap < want ? receiver->layer_cap : want;
}

void vc__room_layers_init(vc__room_session *s, uint32_t offered) {
  s->n_layers = offered >= 1 && offered <= VC__ROOM_LAYERS ? offered : 1;
  s->layer_cap = NO_CAP;
  s->cap_hold_ms = CAP_HOLD_MS;
}

static uint32_t layer_mask(const vc__room_session *sender) {
  uint32_t mask = 0, l;

  for (l = 0; l < VC__ROOM_LAYERS; l++) {
    if (sender->layer_refs[l] > 0) {
      mask |= 1u << l;
    }
  }
  return mask;
}

void vc__room_layers_announce(vc_room *r, vc__room_session *sender, int always,
                              vc_tstamp ts) {
  Vc__Wire__Control ctl;
  Vc__Wire__SendLayers sl;
  uint32_t mask;

  if (sender->n_layers <= 1) {
    return; /* it sends its one layer regardless */
  }
  mask = layer_mask(sender);
  if (mask == sender->layers_asked && !always) {
    return;
  }
  sender->layers_asked = mask;
  r->stats.layer_sets_sent++;
  vc__wire__control__init(&ctl);
  vc__wire__send_layers__init(&sl);
  sl.kind = VC__WIRE__STREAM_KIND__STREAM_KIND_VIDEO;
  sl.layers = mask;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_SEND_LAYERS;
  ctl.send_layers = &sl;
  (void)vc__room_send(r, sender, &ctl, ts);
}

/* Moves what |sub| adds to its sender's counts to |bits|. */
static void hold(vc__room_sub *sub, vc__room_session *sender, uint32_t bits) {
  uint32_t l;

  if (sub->held == bits) {
    return;
  }
  for (l = 0; l < VC__ROOM_LAYERS; l++) {
    uint32_t bit = 1u << l;
    if ((sub->held & bit) && !(bits & bit) && sender->layer_refs[l] > 0) {
      sender->layer_refs[l]--;
    } else if (!(sub->held & bit) && (bits & bit)) {
      sender->layer_refs[l]++;
    }
  }
  sub->held = (uint8_t)bits;
}

void vc__room_layers_refresh(vc_room *r, const vc__room_session *receiver,
                             vc__room_sub *sub, vc_tstamp ts) {
  vc__room_session *sender = vc__room_find(r, sub->session);
  uint32_t want, bits;

  if (!sender || !simulcast(sender, sub->kind)) {
    sub->held = 0; /* nothing counted anywhere */
    return;
  }
  want = wanted_layer(sender, receiver, sub);
  bits = 1u << want;
  if (sub->layer != VC__ROOM_NO_LAYER && sub->layer != want) {
    bits |= 1u << sub->layer; /* until the switch, keep the picture */
  }
  hold(sub, sender, bits);
  vc__room_layers_announce(r, sender, 0, ts);
}

void vc__room_layers_release(vc_room *r, vc__room_session *receiver) {
  size_t i;

  for (i = 0; i < receiver->n_subs; i++) {
    vc__room_sub *sub = &receiver->subs[i];
    vc__room_session *sender;
    if (!sub->held) {
      continue;
    }
    sender = vc__room_find(r, sub->session);
    if (sender) {
      hold(sub, sender, 0);
    }
    sub->held = 0;
  }
}

void vc__room_layers_settle(vc_room *r, const vc__room_sub *subs, size_t n,
                            vc_tstamp ts) {
  size_t i;

  for (i = 0; i < n; i++) {
    vc__room_session *sender = vc__room_find(r, subs[i].session);
    if (sender && subs[i].kind == VC_STREAM_KIND_VIDEO) {
      vc__room_layers_announce(r, sender, 0, ts);
    }
  }
}

void vc__room_layers_forget_sender(vc_room *r, const vc__room_session *sender) {
  size_t i;

  for (i = 0; i < r->n_sessions; i++) {
    vc__room_sub *sub =
        vc__room_find_sub(&r->sessions[i], sender->id, VC_STREAM_KIND_VIDEO);
    if (sub) {
      sub->held = 0;
      sub->layer = VC__ROOM_NO_LAYER;
    }
  }
}

int vc__room_layers_pass(vc_room *r, vc__room_session *from,
                         const vc__room_session *to, const vc__room_sub *sub,
                         const vc_route *route, vc_tstamp ts) {
  uint32_t want;

  if (!simulcast(from, route->kind)) {
    return route->layer <= sub->max_layer ? VC__ROOM_PASS : VC__ROOM_HOLD;
  }
  if (route->layer == sub->layer) {
    return VC__ROOM_PASS;
  }
  want = wanted_layer(from, to, sub);
  if (route->layer != want) {
    return VC__ROOM_HOLD; /* another receiver's size */
  }
  if (!route->keyframe) {
    /* The layer it should get is flowing but cannot be joined mid-way. */
    (void)vc__room_ask_keyframe(r, from, route->kind, want, ts);
    return VC__ROOM_HOLD;
  }
  return VC__ROOM_SWITCH;
}

void vc__room_layers_switched(vc_room *r, const vc__room_session *to,
                              vc__room_sub *sub, uint32_t layer, vc_tstamp ts) {
  sub->layer = (uint8_t)layer;
  r->stats.layer_switches++;
  vc__room_layers_refresh(r, to, sub, ts);
}

void vc__room_layers_ask_keyframe(vc_room *r, vc__room_session *from,
                                  const vc__room_session *to,
                                  const vc__room_sub *sub, uint32_t kind,
                                  uint32_t layer, vc_tstamp ts) {
  if (simulcast(from, kind)) {
    /* Mid-switch, the new layer's keyframe ends the wait as well, and
     * the old layer's would only delay the switch. */
    layer = wanted_layer(from, to, sub);
  }
  (void)vc__room_ask_keyframe(r, from, kind, layer, ts);
}

static void refresh_all(vc_room *r, vc__room_session *receiver, vc_tstamp ts) {
  size_t i;

  for (i = 0; i < receiver->n_subs; i++) {
    vc__room_layers_refresh(r, receiver, &receiver->subs[i], ts);
  }
}

int vc__room_layers_step_down(vc_room *r, vc__room_session *receiver,
                              vc_tstamp ts) {
  uint32_t top = 0;
  int pending = 0;
  size_t i;

  /* The highest layer it is to get. */
  for (i = 0; i < receiver->n_subs; i++) {
    const vc__room_sub *sub = &receiver->subs[i];
    vc__room_session *sender;
    uint32_t l;
    if (sub->kind != VC_STREAM_KIND_VIDEO) {
      continue;
    }
    sender = vc__room_find(r, sub->session);
    if (!sender || !simulcast(sender, sub->kind)) {
      continue;
    }
    l = wanted_layer(sender, receiver, sub);
    pending |= sub->layer != VC__ROOM_NO_LAYER && sub->layer > l;
    if (l > top) {
      top = l;
    }
  }
  if (pending &&
      ts - receiver->cap_changed_at < (vc_tstamp)SWITCH_WAIT_MS * MS) {
    return 1; /* the last step down has not reached it yet */
  }
  if (top == 0) {
    return 0;
  }
  if (receiver->cap_raised &&
      ts - receiver->cap_changed_at < (vc_tstamp)RETRY_WINDOW_MS * MS) {
    receiver->cap_hold_ms = receiver->cap_hold_ms * 2 > CAP_HOLD_MAX_MS
                                ? CAP_HOLD_MAX_MS
                                : receiver->cap_hold_ms * 2;
  }
  receiver->layer_cap = top - 1;
  receiver->cap_changed_at = ts;
  receiver->cap_raised = 0;
  r->stats.layer_caps_lowered++;
  refresh_all(r, receiver, ts);
  return 1;
}

void vc__room_layers_step_up(vc_room *r, vc__room_session *receiver,
                             vc_tstamp ts) {
  if (receiver->layer_cap >= NO_CAP) {
    return;
  }
  if (ts - receiver->cap_changed_at < (vc_tstamp)receiver->cap_hold_ms * MS) {
    return;
  }
  if (receiver->cap_raised) {
    receiver->cap_hold_ms = CAP_HOLD_MS; /* the last raise held */
  }
  receiver->layer_cap++;
  receiver->cap_changed_at = ts;
  receiver->cap_raised = 1;
  refresh_all(r, receiver, ts);
}
