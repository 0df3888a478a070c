/*
 * chat.c: chat exactly once, in order.
 *
 * The server numbers every message (seq, meeting-wide) and echoes each one
 * to its sender as the acknowledgement. Receivers drop a seq they have
 * already passed, and also a client_msg_id they saw recently: after a
 * server restart the numbering starts again, and a message resent across
 * it must still not show twice. Senders keep unacknowledged messages and
 * resend them, in order, after every rejoin; the server recognises a
 * resend by its client_msg_id and only acknowledges it.
 *
 * A sealed message can overtake its sender's key (the delivery goes
 * through the server too, later on a jittery path). It is held until the
 * key comes, VC_MEETING_CHAT_KEY_WAIT_MS at most, and every message after
 * it waits behind it, so what people read stays in the server's order.
 */
#include <stdlib.h>
#include <string.h>

#include <vc/wire.h>

#include "meeting_internal.h"
#include "wire/utf8.h"

int vc__chat_init(vc_meeting *m) {
  m->pending = calloc(VC_MEETING_MAX_PENDING_CHAT, sizeof(*m->pending));
  return m->pending ? 0 : VC_ERR_NOMEM;
}

void vc__chat_free(vc_meeting *m) {
  size_t i;

  free(m->pending);
  m->pending = NULL;
  for (i = 0; i < m->n_held; i++) {
    free(m->held[i].copy);
  }
  m->n_held = 0;
}

static int seen_recently(const vc_meeting *m, uint64_t id) {
  size_t i;

  for (i = 0; i < VC_MEETING_SEEN_CHAT_IDS; i++) {
    if (m->seen_ids[i] == id) {
      return 1;
    }
  }
  return 0;
}

static void remember(vc_meeting *m, uint64_t id) {
  m->seen_ids[m->seen_next] = id;
  m->seen_next = (m->seen_next + 1) % VC_MEETING_SEEN_CHAT_IDS;
}

/* Drops |id| from the pending list; 1 when it was there. */
static int acknowledge(vc_meeting *m, uint64_t id) {
  size_t i;

  for (i = 0; i < m->n_pending; i++) {
    if (m->pending[i].client_msg_id == id) {
      memmove(&m->pending[i], &m->pending[i + 1],
              (m->n_pending - i - 1) * sizeof(*m->pending));
      m->n_pending--;
      return 1;
    }
  }
  return 0;
}

/* The sender's key for |body| may still be on its way: none delivered yet,
 * or the body names a key id just past ours (the sender moved on for a
 * leave and its delivery is late). Never for an unverifiable sender. */
static int key_may_come(const vc_meeting *m, const vc__chat_in *c) {
  const vc__member *mb = vc__roster_find(&m->roster, c->sender);
  unsigned ahead;

  if (!m->e2ee || !mb || mb->unverified || c->len == 0) {
    return 0;
  }
  if (!mb->has_key) {
    return 1;
  }
  ahead = ((unsigned)(c->body[0] >> 4) + 16u - mb->key_id) % 16u;
  return ahead > 0 && ahead < 8;
}

/* Emits |c|, opened when sealed. Returns 1 instead when it does not open
 * yet, |may_wait| and its key may still come. */
static int deliver(vc_meeting *m, const vc__chat_in *c, int may_wait) {
  static const char undecryptable[] =
      "(a message that could not be decrypted: its key has not arrived)";
  vc_meeting_event ev;

  memset(&ev, 0, sizeof(ev));
  ev.type = VC_MEETING_EVENT_CHAT;
  ev.text = (const char *)c->body;
  ev.textlen = c->len;
  if (c->encrypted) {
    vc_ssize n = m->e2ee ? vc__keys_open_chat(m, c->sender, c->client_msg_id,
                                              c->body, c->len, m->chat_plain,
                                              sizeof(m->chat_plain))
                         : VC_ERR_DECRYPT;
    if (n < 0 && may_wait && key_may_come(m, c)) {
      return 1;
    }
    if (n < 0 ||
        vc__utf8_count((const char *)m->chat_plain, (size_t)n, 0) < 0) {
      m->stats.undecryptable++;
      ev.text = undecryptable;
      ev.textlen = sizeof(undecryptable) - 1;
    } else {
      ev.text = (const char *)m->chat_plain;
      ev.textlen = (size_t)n;
    }
  }
  ev.chat_seq = c->seq;
  ev.client_msg_id = c->client_msg_id;
  ev.chat_sender = c->sender;
  ev.session_id = c->sender;
  ev.chat_own = c->own;
  ev.chat_encrypted = c->encrypted;
  ev.participant =
      (const vc_participant *)vc__roster_find(&m->roster, c->sender);
  vc__meeting_emit(m, &ev);
  return 0;
}

/* Delivers the held chats in order, from the first, until one must still
 * wait (only the first may: the rest wait behind it). |force| delivers
 * the first whatever it holds. */
static void release_held(vc_meeting *m, vc_tstamp ts, int force) {
  while (m->n_held > 0) {
    vc__held_chat *h = &m->held[0];
    int may_wait =
        !force && ts < h->held_at + VC_MEETING_CHAT_KEY_WAIT_MS * VC__MS;
    if (deliver(m, &h->c, may_wait) != 0) {
      return;
    }
    force = 0;
    free(h->copy);
    memmove(&m->held[0], &m->held[1], (m->n_held - 1) * sizeof(m->held[0]));
    m->n_held--;
  }
}

void vc__chat_release(vc_meeting *m, vc_tstamp ts) {
  release_held(m, ts, 0);
}

vc_tstamp vc__chat_held_expiry(const vc_meeting *m) {
  return m->n_held > 0
             ? m->held[0].held_at + VC_MEETING_CHAT_KEY_WAIT_MS * VC__MS
             : VC__NEVER;
}

/* Queues |c| behind the held ones; a full queue first lets its first go
 * (opened if it can be, else shown as undecryptable). */
static void hold(vc_meeting *m, const vc__chat_in *c, vc_tstamp ts) {
  vc__held_chat *h;
  uint8_t *copy = malloc(c->len ? c->len : 1);

  if (!copy) {
    release_held(m, ts, 1); /* no room to keep order: deliver what we can */
    (void)deliver(m, c, 0);
    return;
  }
  if (m->n_held == VC_MEETING_MAX_HELD_CHAT) {
    release_held(m, ts, 1);
  }
  memcpy(copy, c->body, c->len);
  h = &m->held[m->n_held++];
  h->c = *c;
  h->c.body = h->copy = copy;
  h->held_at = ts;
  m->stats.chats_held++;
}

void vc__chat_on_message(vc_meeting *m, const Vc__Wire__Chat *chat) {
  vc__chat_in c;
  int own = chat->sender_session == m->session_id;

  if (own) {
    own = acknowledge(m, chat->client_msg_id);
  }
  if (chat->seq <= m->chat_seq || seen_recently(m, chat->client_msg_id)) {
    m->stats.chats_deduplicated++;
    if (chat->seq > m->chat_seq) {
      m->chat_seq = chat->seq;
    }
    return;
  }
  m->chat_seq = chat->seq;
  remember(m, chat->client_msg_id);
  c.seq = chat->seq;
  c.client_msg_id = chat->client_msg_id;
  c.sender = chat->sender_session;
  c.encrypted = chat->encrypted;
  c.own = own;
  c.body = chat->body.data;
  c.len = chat->body.len;
  /* Behind a held chat, or sealed with a key still on its way: it waits,
   * so chat stays in server order and nothing is shown unreadable that
   * would have been readable a moment later. */
  if (m->n_held > 0 || deliver(m, &c, 1) != 0) {
    hold(m, &c, m->last_rx);
  }
}

static int send_pending(vc_meeting *m, vc__pending_chat *p) {
  Vc__Wire__Control ctl;
  Vc__Wire__Chat chat;

  vc__wire__control__init(&ctl);
  vc__wire__chat__init(&chat);
  chat.client_msg_id = p->client_msg_id;
  chat.body.data = p->body;
  chat.body.len = p->len;
  chat.encrypted = p->encrypted;
  if (vc__meeting_seals(m)) {
    /* Sealed afresh at every send: a resend gets a new counter. */
    vc_ssize n = vc__keys_seal_chat(m, p->client_msg_id, p->body, p->len,
                                    m->chat_sealed, sizeof(m->chat_sealed));
    if (n < 0) {
      return (int)n; /* no key yet: it waits in |pending| */
    }
    chat.body.data = m->chat_sealed;
    chat.body.len = (size_t)n;
    chat.encrypted = 1;
  }
  chat.sent_at_ms = p->sent_at_ms;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_CHAT;
  ctl.chat = &chat;
  return vc__meeting_send(m, &ctl);
}

void vc__chat_resend(vc_meeting *m) {
  size_t i;

  for (i = 0; i < m->n_pending; i++) {
    if (send_pending(m, &m->pending[i]) != 0) {
      break; /* the outbox is full; the next rejoin tries again */
    }
  }
}

int vc_meeting_send_chat(vc_meeting *m, const uint8_t *body, size_t len,
                         int encrypted, uint64_t sent_at_ms, vc_tstamp ts,
                         uint64_t *client_msg_id) {
  vc__pending_chat *p;
  uint64_t id;

  (void)ts;
  if (m->phase == VC_MEETING_ENDED) {
    return VC_ERR_STATE;
  }
  if (!body || len == 0 ||
      len > VC_CONTROL_MAX_CHAT_LEN - (m->e2ee ? VC_E2EE_MAX_OVERHEAD : 0) ||
      (!encrypted && vc__utf8_count((const char *)body, len, 0) < 0)) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  if (m->n_pending == VC_MEETING_MAX_PENDING_CHAT) {
    return VC_ERR_QUEUE_FULL;
  }
  do {
    id = vc__meeting_random(m);
  } while (id == 0 || seen_recently(m, id));
  p = &m->pending[m->n_pending++];
  p->client_msg_id = id;
  p->sent_at_ms = sent_at_ms;
  p->encrypted = encrypted != 0;
  p->len = len;
  memcpy(p->body, body, len);
  if (client_msg_id) {
    *client_msg_id = id;
  }
  if (m->phase == VC_MEETING_JOINED && m->chat_retry_at == VC__NEVER) {
    /* A full outbox is fine: the message waits in |pending|. While the
     * server has refused one, later ones wait too, to keep the order. */
    (void)send_pending(m, p);
  }
  return 0;
}
