/*
 * room_chat.c: the room numbers chat messages (one sequence per meeting,
 * so everyone sees the same order), keeps the last limits.chat_history of
 * them for participants who resume, and recognises a resent message by
 * its sender and client_msg_id so it is acknowledged, not repeated.
 */
#include <stdlib.h>
#include <string.h>

#include "room_internal.h"

int vc__room_chat_init(vc_room *r) {
  r->history = calloc(r->limits.chat_history, sizeof(*r->history));
  return r->history ? 0 : VC_ERR_NOMEM;
}

void vc__room_chat_free(vc_room *r) {
  uint32_t i;

  if (!r->history) {
    return;
  }
  for (i = 0; i < r->limits.chat_history; i++) {
    free(r->history[i].body);
  }
  free(r->history);
  r->history = NULL;
}

static void to_wire(Vc__Wire__Chat *w, const vc__room_chat *h) {
  vc__wire__chat__init(w);
  w->client_msg_id = h->client_msg_id;
  w->sender_session = h->sender;
  w->seq = h->seq;
  w->body.data = h->body;
  w->body.len = h->len;
  w->encrypted = h->encrypted;
  w->sent_at_ms = h->sent_at_ms;
}

static int send_entry(vc_room *r, vc__room_session *s, const vc__room_chat *h,
                      vc_tstamp ts) {
  Vc__Wire__Control ctl;
  Vc__Wire__Chat w;

  vc__wire__control__init(&ctl);
  to_wire(&w, h);
  ctl.msg_case = VC__WIRE__CONTROL__MSG_CHAT;
  ctl.chat = &w;
  return vc__room_send(r, s, &ctl, ts);
}

static const vc__room_chat *find_resent(const vc_room *r,
                                        const vc__room_session *s,
                                        uint64_t client_msg_id) {
  uint32_t i;

  for (i = 0; i < r->limits.chat_history; i++) {
    const vc__room_chat *h = &r->history[i];
    if (h->seq && h->client_msg_id == client_msg_id &&
        strcmp(h->sender_user, s->user) == 0) {
      return h;
    }
  }
  return NULL;
}

int vc__room_chat_receive(vc_room *r, vc__room_session *s,
                          const Vc__Wire__Chat *chat, vc_tstamp ts) {
  const vc__room_chat *old = find_resent(r, s, chat->client_msg_id);
  vc__room_chat *h;
  Vc__Wire__Control ctl;
  Vc__Wire__Chat w;
  int rv;

  if (old) {
    r->stats.chats_deduplicated++;
    return send_entry(r, s, old, ts); /* the acknowledgement it missed */
  }
  /*
   * Over the rate (room_limits.c, which answers RATE_LIMITED: the sender
   * retries after retry_after_ms), a message is refused, and so is every
   * later one from the same sender until the refused one comes again,
   * quietly: the sender's order survives the refusal (it resends its
   * unacknowledged messages in order). The copy back to the sender is
   * its acknowledgement, so the message goes to everyone.
   */
  if (s->chat_blocked_id && s->chat_blocked_id != chat->client_msg_id) {
    return VC_ERR_QUEUE_FULL;
  }
  rv = vc__room_limit(r, s, VC_ROOM_LIMIT_CHAT,
                      (uint64_t)r->rx_len * r->n_sessions, ts);
  if (rv == VC_ERR_QUEUE_FULL) {
    s->chat_blocked_id = chat->client_msg_id;
  }
  if (rv) {
    return rv;
  }
  s->chat_blocked_id = 0;
  h = &r->history[r->chat_seq % r->limits.chat_history];
  if (!h->body) {
    h->body = malloc(VC_CONTROL_MAX_CHAT_LEN);
    if (!h->body) {
      return VC_ERR_NOMEM;
    }
  }
  h->seq = ++r->chat_seq;
  h->client_msg_id = chat->client_msg_id;
  h->sent_at_ms = chat->sent_at_ms;
  h->sender = s->id;
  h->encrypted = chat->encrypted;
  h->len = chat->body.len; /* at most VC_CONTROL_MAX_CHAT_LEN: validated */
  memcpy(h->body, chat->body.data, h->len);
  memcpy(h->sender_user, s->user, sizeof(h->sender_user));
  r->stats.chats++;
  vc__wire__control__init(&ctl);
  to_wire(&w, h);
  ctl.msg_case = VC__WIRE__CONTROL__MSG_CHAT;
  ctl.chat = &w;
  vc__room_broadcast(r, &ctl, NULL, ts); /* the sender's copy is its ack */
  return 0;
}

void vc__room_chat_replay(vc_room *r, vc__room_session *s, uint64_t after,
                          vc_tstamp ts) {
  uint64_t first = r->chat_seq >= r->limits.chat_history
                       ? r->chat_seq - r->limits.chat_history + 1
                       : 1;
  uint64_t seq;

  if (after + 1 > first) {
    first = after + 1;
  }
  for (seq = first; seq <= r->chat_seq; seq++) {
    const vc__room_chat *h = &r->history[(seq - 1) % r->limits.chat_history];
    if (h->seq == seq) {
      (void)send_entry(r, s, h, ts);
    }
  }
}
