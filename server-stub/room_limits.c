/*
 * room_limits.c: how much one participant can make the room send to
 * others (docs/SERVER.md "Limits: rooms and fan-out").
 *
 * Each message the room passes on, except media (room.c keeps its own
 * byte rate), takes a token of its kind, and its bytes times the number
 * of participants it goes to come out of one more bucket, FANOUT_BYTES:
 * a raised hand costs 25 bytes in and 5 kB out in a meeting of 200, so
 * counting messages alone would still let one sender make the server
 * write a hundred times what it reads. Each kind answers over its rate
 * with Error RATE_LIMITED (once a second per kind: the sender flooding
 * us must not be flooded back), and each refusal is a strike; a
 * participant out of strikes is removed with a Leave that says why.
 *
 * Checked in this order, so that the refused message changes nothing:
 * the kind's rate, then the bytes; a message refused for its bytes has
 * spent its kind's token (a harmless loss, and never for a client that
 * stays within its rates).
 */
#include <string.h>

#include "room_internal.h"

#define MS ((vc_tstamp)1000000)
/* The retry_after_ms of RATE_LIMITED (room.c), so one per kind per
 * second tells a client all it can do. */
#define TELL_EVERY_MS 1000

static const char *const names[VC_ROOM_LIMIT_KINDS] = {
    "media_state", "key_announce", "key_delivery", "keyframe_request",
    "subscribe",   "host_action",  "chat",         "fanout_bytes"};

static const char *const texts[VC_ROOM_LIMIT_KINDS] = {
    "too many media state changes: slow down (the latest goes out when "
    "the rate allows)",
    "too many key announcements: slow down",
    "too many key deliveries: slow down",
    "too many keyframe requests: slow down",
    "too many subscription changes: slow down",
    "too many host actions: slow down",
    "too many chat messages: slow down",
    "too much sent to the meeting: slow down"};

const char *vc_room_limit_name(int kind) {
  return kind >= 0 && kind < VC_ROOM_LIMIT_KINDS ? names[kind] : "unknown";
}

static vc_token_rule rule_of(const vc_room *r, int kind) {
  vc_token_rule rule = r->limits.message_rates[kind];

  if (kind == VC_ROOM_LIMIT_CHAT) {
    rule.per_second = rule.burst = r->limits.chat_per_second;
  }
  return rule;
}

static void tell(vc_room *r, vc__room_session *s, int kind, vc_tstamp ts) {
  if (s->limit_told_at[kind] &&
      ts - s->limit_told_at[kind] < (vc_tstamp)TELL_EVERY_MS * MS) {
    return;
  }
  s->limit_told_at[kind] = ts ? ts : 1;
  vc__room_send_error(r, s->conn, VC__WIRE__ERROR_CODE__ERROR_CODE_RATE_LIMITED,
                      texts[kind]);
}

/* A refusal of |kind|: counted, explained, and a strike. */
static int refuse(vc_room *r, vc__room_session *s, int kind, vc_tstamp ts) {
  r->stats.rate_limited[kind]++;
  if (!vc_token_bucket_take(&s->strikes, &r->limits.strikes, 1, ts)) {
    Vc__Wire__Control ctl;
    Vc__Wire__Leave leave;
    vc__wire__control__init(&ctl);
    vc__wire__leave__init(&leave);
    leave.reason = VC__WIRE__LEAVE_REASON__LEAVE_REASON_REMOVED;
    leave.text = (char *)(uintptr_t) "removed from the meeting: too many "
                                     "messages over the server's limits";
    ctl.msg_case = VC__WIRE__CONTROL__MSG_LEAVE;
    ctl.leave = &leave;
    (void)vc__room_send(r, s, &ctl, ts);
    r->stats.removed_for_flooding++;
    vc__room_remove(r, s, VC__WIRE__LEAVE_REASON__LEAVE_REASON_REMOVED, ts);
    return VC_ERR_STATE;
  }
  tell(r, s, kind, ts);
  return VC_ERR_QUEUE_FULL;
}

int vc__room_limit(vc_room *r, vc__room_session *s, int kind,
                   uint64_t fanout_bytes, vc_tstamp ts) {
  vc_token_rule rule = rule_of(r, kind);

  if (!vc_token_bucket_take(&s->limits[kind], &rule, 1, ts)) {
    return refuse(r, s, kind, ts);
  }
  if (!vc_token_bucket_take(
          &s->limits[VC_ROOM_LIMIT_FANOUT_BYTES],
          &r->limits.message_rates[VC_ROOM_LIMIT_FANOUT_BYTES], fanout_bytes,
          ts)) {
    return refuse(r, s, VC_ROOM_LIMIT_FANOUT_BYTES, ts);
  }
  return 0;
}

void vc__room_limits_flush(vc_room *r, vc_tstamp ts) {
  const vc_token_rule *rule =
      &r->limits.message_rates[VC_ROOM_LIMIT_MEDIA_STATE];
  size_t i;

  for (i = 0; i < r->n_sessions; i++) {
    vc__room_session *s = &r->sessions[i];
    /* The kept state takes a token like the update it stands for, so
     * the room never sends updates faster than the rate; its bytes are
     * not charged (a few kB at most, at that rate). */
    if (s->state_pending &&
        vc_token_bucket_take(&s->limits[VC_ROOM_LIMIT_MEDIA_STATE], rule, 1,
                             ts)) {
      s->state_pending = 0;
      vc__room_broadcast_updated(r, s, ts);
    }
  }
}

/*
 * The numbers, and why a real client never meets them (the reasoning in
 * full: docs/SERVER.md "Limits: rooms and fan-out"):
 *
 * - media state: a person clicking mute or hand as fast as they can
 *   manages 5 to 7 changes a second, for a moment; 20 at once and 10 a
 *   second sustained are past that, and what is over is only delayed.
 * - key announcements: one per join or resume (e2ee_keys.c
 *   vc__keys_on_joined), and resumes come with a reconnect's backoff.
 * - key deliveries go to one participant, but scale with the meeting: a
 *   client joining a meeting of 1000 seals its key to each of the 999
 *   others (twice while a key switch is pending: 1998), and every
 *   departure makes each client deliver a fresh key to everyone left
 *   (999). 8000 at once is four such rounds; 4000 a second is four
 *   departures a second in a full meeting, which would already be four
 *   million deliveries a second through the server.
 * - keyframe requests: a receiver of up to 500 cameras (video_glue.c
 *   subscribes to all below 500 people) may ask each after a stall;
 *   the room merges them per sender (250 ms), so they cost little.
 * - subscriptions: the page resubscribes at most once per batch of
 *   messages it reads, when the roster changed; a join storm of a
 *   hundred people a second stays inside 200 at once and 50 a second.
 * - host actions: a removal or mute request is one click on one person.
 * - fan-out bytes: a chat of the largest size (4 KiB) to 1000 people is
 *   4.2 MB; 8 MB at once lets a host paste two, 2 MB a second keeps one
 *   sender from making the server write more than that for long.
 * - strikes: 50 refusals, forgiven at one a second. A client that hit a
 *   limit by accident gets one Error per kind a second and backs off
 *   long before; a flood is out within a second of its first refusal,
 *   a sender at twice a rate within about five seconds.
 */
void vc__room_default_message_rates(vc_room_limits *limits) {
  static const vc_token_rule rates[VC_ROOM_LIMIT_KINDS] = {
      [VC_ROOM_LIMIT_MEDIA_STATE] = {10, 20},
      [VC_ROOM_LIMIT_KEY_ANNOUNCE] = {2, 10},
      [VC_ROOM_LIMIT_KEY_DELIVERY] = {4000, 8000},
      [VC_ROOM_LIMIT_KEYFRAME_REQUEST] = {1000, 2000},
      [VC_ROOM_LIMIT_SUBSCRIBE] = {50, 200},
      [VC_ROOM_LIMIT_HOST_ACTION] = {5, 20},
      [VC_ROOM_LIMIT_CHAT] = {0, 0}, /* chat_per_second */
      [VC_ROOM_LIMIT_FANOUT_BYTES] = {2000000, 8000000}};

  memcpy(limits->message_rates, rates, sizeof(rates));
  limits->strikes.per_second = 1;
  limits->strikes.burst = 50;
}
