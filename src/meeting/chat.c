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
  free(m->pending);
  m->pending = NULL;
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

void vc__chat_on_message(vc_meeting *m, const Vc__Wire__Chat *chat) {
  vc_meeting_event ev;
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
  memset(&ev, 0, sizeof(ev));
  ev.type = VC_MEETING_EVENT_CHAT;
  ev.text = (const char *)chat->body.data;
  ev.textlen = chat->body.len;
  if (chat->encrypted) {
    static const char undecryptable[] =
        "(a message that could not be decrypted: its key has not arrived)";
    vc_ssize n =
        m->e2ee
            ? vc__keys_open_chat(m, chat->sender_session, chat->client_msg_id,
                                 chat->body.data, chat->body.len, m->chat_plain,
                                 sizeof(m->chat_plain))
            : VC_ERR_DECRYPT;
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
  ev.chat_seq = chat->seq;
  ev.client_msg_id = chat->client_msg_id;
  ev.chat_sender = chat->sender_session;
  ev.session_id = chat->sender_session;
  ev.chat_own = own;
  ev.chat_encrypted = chat->encrypted;
  ev.participant =
      (const vc_participant *)vc__roster_find(&m->roster, chat->sender_session);
  vc__meeting_emit(m, &ev);
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
