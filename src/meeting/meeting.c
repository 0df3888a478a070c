/*
 * meeting.c: the meeting's phases, the join and rejoin, the roster, and
 * the timers (heartbeat, server liveness, RTT pings, reconnect backoff,
 * speaker ticks). docs/MEETING.md tells the story; chat.c and speaker.c
 * hold the rest.
 */
#include <stdlib.h>
#include <string.h>

#include <vc/wire.h>

#include "meeting_internal.h"

static const vc_meeting_event empty_event;

/* splitmix64: small, good enough for jitter and message ids. */
uint64_t vc__meeting_random(vc_meeting *m) {
  uint64_t z = (m->rng += 0x9e3779b97f4a7c15ull);

  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void vc__meeting_emit(vc_meeting *m, vc_meeting_event *ev) {
  m->on_event(m->user_data, ev);
}

static int copy_name(char *dest, size_t cap, const char *src) {
  size_t len = src ? strlen(src) : 0;

  if (len == 0 || len >= cap) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  memcpy(dest, src, len + 1);
  return 0;
}

int vc_meeting_new(vc_meeting **pm, const vc_meeting_config *cfg) {
  vc_meeting *m;

  if (!pm || !cfg || !cfg->on_event || !vc_name_is_safe(cfg->meeting_id) ||
      !vc_name_is_safe(cfg->user)) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  m = calloc(1, sizeof(*m));
  if (!m) {
    return VC_ERR_NOMEM;
  }
  if (copy_name(m->meeting_id, sizeof(m->meeting_id), cfg->meeting_id) ||
      copy_name(m->user, sizeof(m->user), cfg->user) ||
      copy_name(m->display_name, sizeof(m->display_name), cfg->display_name)) {
    free(m);
    return VC_ERR_INVALID_ARGUMENT;
  }
  m->state = cfg->state;
  m->state.e2ee_off = cfg->state.e2ee_off || !cfg->e2ee;
  m->max_simulcast_layers = cfg->max_simulcast_layers;
  m->e2ee = cfg->e2ee;
  m->webtransport = cfg->webtransport;
  m->on_event = cfg->on_event;
  m->random = cfg->random;
  if (m->e2ee && (!m->random || vc_e2ee_init() != 0)) {
    free(m);
    return VC_ERR_INVALID_ARGUMENT;
  }
  if (m->e2ee && cfg->passphrase && *cfg->passphrase) {
    if (vc_e2ee_passphrase_key(m->auth_key, cfg->passphrase, m->meeting_id) !=
        0) {
      free(m);
      return VC_ERR_NOMEM;
    }
    m->has_passphrase = 1;
  }
  m->user_data = cfg->user_data;
  m->rng = cfg->seed;
  m->phase = VC_MEETING_IDLE;
  m->heartbeat_ms = VC_MEETING_DEFAULT_HEARTBEAT_MS;
  m->liveness_ms = VC_MEETING_DEFAULT_LIVENESS_MS;
  m->next_heartbeat = m->next_ping = m->reconnect_at = VC__NEVER;
  m->next_speaker_tick = m->chat_retry_at = VC__NEVER;
  m->key_switch_at = VC__NEVER;
  m->subs = calloc(VC_MEETING_MAX_SUBSCRIPTIONS, sizeof(*m->subs));
  m->scratch = malloc(2 * VC_ENVELOPE_MAX_LEN + 1); /* + a class byte */
  m->payload = malloc(VC_ENVELOPE_MAX_PAYLOAD_LEN);
  /* Opened media gets its own buffer, so a callback may send media. */
  m->opened = m->e2ee ? malloc(VC_ENVELOPE_MAX_PAYLOAD_LEN) : NULL;
  if (!m->subs || !m->scratch || !m->payload || (m->e2ee && !m->opened) ||
      vc__roster_init(&m->roster, VC_CONTROL_MAX_ROSTER) ||
      vc__roster_init(&m->incoming, VC_CONTROL_MAX_ROSTER) ||
      vc__chat_init(m) ||
      vc__msg_queue_init(&m->outbox, VC_MEETING_OUTBOX_LEN,
                         VC_MEETING_OUTBOX_FRAMES) ||
      vc__msg_queue_init(&m->media_out, VC_MEETING_MEDIA_OUT_LEN,
                         VC_MEETING_MEDIA_OUT_FRAMES) ||
      vc_control_decoder_new(&m->dec, VC_CONTROL_ARENA_LEN)) {
    vc_meeting_del(m);
    return VC_ERR_NOMEM;
  }
  /* A display name the server would refuse is refused here, now. */
  {
    Vc__Wire__Control ctl;
    Vc__Wire__Join join;
    vc__wire__control__init(&ctl);
    vc__wire__join__init(&join);
    join.protocol_version = VC_WIRE_VERSION;
    join.meeting_id = m->meeting_id;
    join.user = m->user;
    join.display_name = m->display_name;
    ctl.msg_case = VC__WIRE__CONTROL__MSG_JOIN;
    ctl.join = &join;
    if (vc_control_validate(&ctl, NULL) != 0) {
      vc_meeting_del(m);
      return VC_ERR_INVALID_ARGUMENT;
    }
  }
  *pm = m;
  return 0;
}

void vc_meeting_del(vc_meeting *m) {
  if (!m) {
    return;
  }
  vc__keys_wipe(m);
  if (m->roster.items) {
    vc_e2ee_wipe(m->roster.items, m->roster.cap * sizeof(*m->roster.items));
  }
  if (m->incoming.items) {
    vc_e2ee_wipe(m->incoming.items,
                 m->incoming.cap * sizeof(*m->incoming.items));
  }
  vc__roster_free(&m->roster);
  vc__roster_free(&m->incoming);
  vc__chat_free(m);
  vc__msg_queue_free(&m->outbox);
  vc__msg_queue_free(&m->media_out);
  vc_control_decoder_del(m->dec);
  free(m->subs);
  free(m->scratch);
  free(m->opened);
  free(m->payload);
  free(m);
}

vc_meeting_phase vc_meeting_get_phase(const vc_meeting *m) {
  return m->phase;
}

uint32_t vc_meeting_session_id(const vc_meeting *m) {
  return m->joined_once ? m->session_id : 0;
}

size_t vc_meeting_resume_token(const vc_meeting *m, uint8_t *out, size_t cap) {
  size_t n = m->joined_once ? m->resume_token_len : 0;

  if (n > cap) {
    return 0;
  }
  memcpy(out, m->resume_token, n);
  return n;
}

uint32_t vc_meeting_host(const vc_meeting *m) {
  return m->host;
}

uint32_t vc_meeting_active_speaker(const vc_meeting *m) {
  return m->speaker;
}

size_t vc_meeting_roster_size(const vc_meeting *m) {
  return m->roster.n;
}

const vc_participant *vc_meeting_roster_at(const vc_meeting *m, size_t i) {
  return i < m->roster.n ? &m->roster.items[i].p : NULL;
}

const vc_participant *vc_meeting_find(const vc_meeting *m, uint32_t session) {
  const vc__member *mb = vc__roster_find(&m->roster, session);

  return mb ? &mb->p : NULL;
}

void vc_meeting_get_stats(const vc_meeting *m, vc_meeting_stats *stats) {
  *stats = m->stats;
}

/* Encodes |msg| as the payload of a control envelope and queues it. */
int vc__meeting_send(vc_meeting *m, const Vc__Wire__Control *msg) {
  uint8_t *frame = m->scratch + VC_ENVELOPE_MAX_LEN;
  vc_ssize f = vc_control_encode_envelope(
      frame, VC_ENVELOPE_MAX_LEN, m->scratch, VC_ENVELOPE_MAX_PAYLOAD_LEN,
      m->session_id, m->control_sequence, msg);

  if (f < 0) {
    return (int)f;
  }
  m->control_sequence++;
  return vc__msg_queue_push(&m->outbox, frame, (size_t)f);
}

vc_ssize vc_meeting_pop_frame_kind(vc_meeting *m, uint8_t *dest, size_t destlen,
                                   int *is_media) {
  vc__msg_queue *q = &m->outbox;
  size_t len;
  const uint8_t *f = vc__msg_queue_peek(q, &len);

  if (!f) {
    q = &m->media_out;
    f = vc__msg_queue_peek(q, &len);
  }
  if (is_media) {
    *is_media = VC_MEETING_FRAME_CONTROL;
  }
  if (!f) {
    return 0;
  }
  if (q == &m->media_out) {
    /* Queued media carries its class in one byte before the envelope. */
    if (is_media) {
      *is_media = f[0];
    }
    f++;
    len--;
  }
  if (len > destlen) {
    return VC_ERR_NOBUF;
  }
  memcpy(dest, f, len);
  vc__msg_queue_pop(q);
  return (vc_ssize)len;
}

vc_ssize vc_meeting_pop_frame(vc_meeting *m, uint8_t *dest, size_t destlen) {
  return vc_meeting_pop_frame_kind(m, dest, destlen, NULL);
}

static void to_wire_state(Vc__Wire__MediaState *w, const vc_media_state *s) {
  vc__wire__media_state__init(w);
  w->audio_muted = s->audio_muted;
  w->video_off = s->video_off;
  w->screen_sharing = s->screen_sharing;
  w->hand_raised = s->hand_raised;
  w->e2ee_off = s->e2ee_off;
}

static void from_wire_state(vc_media_state *s, const Vc__Wire__MediaState *w) {
  memset(s, 0, sizeof(*s));
  if (w) {
    s->audio_muted = w->audio_muted != 0;
    s->video_off = w->video_off != 0;
    s->screen_sharing = w->screen_sharing != 0;
    s->hand_raised = w->hand_raised != 0;
    s->e2ee_off = w->e2ee_off != 0;
  }
}

static void from_wire_participant(vc_participant *p,
                                  const Vc__Wire__Participant *w) {
  memset(p, 0, sizeof(*p));
  p->session_id = w->session_id;
  p->is_host = w->role == VC__WIRE__ROLE__ROLE_HOST;
  from_wire_state(&p->state, w->state);
  /* Lengths were checked by the decoder: names fit. */
  memcpy(p->user, w->user, strlen(w->user) + 1);
  memcpy(p->display_name, w->display_name, strlen(w->display_name) + 1);
}

static int send_join(vc_meeting *m) {
  Vc__Wire__Control ctl;
  Vc__Wire__Join join;
  Vc__Wire__Capabilities caps;
  Vc__Wire__MediaState state;

  vc__wire__control__init(&ctl);
  vc__wire__join__init(&join);
  vc__wire__capabilities__init(&caps);
  caps.max_simulcast_layers = m->max_simulcast_layers;
  caps.e2ee = m->e2ee;
  caps.webtransport = m->webtransport;
  to_wire_state(&state, &m->state);
  join.protocol_version = VC_WIRE_VERSION;
  join.meeting_id = m->meeting_id;
  join.user = m->user;
  join.display_name = m->display_name;
  join.capabilities = &caps;
  join.state = &state;
  if (m->joined_once) {
    join.resume_token.data = m->resume_token;
    join.resume_token.len = m->resume_token_len;
    join.chat_seq = m->chat_seq;
  }
  ctl.msg_case = VC__WIRE__CONTROL__MSG_JOIN;
  ctl.join = &join;
  return vc__meeting_send(m, &ctl);
}

static int send_subscriptions(vc_meeting *m) {
  Vc__Wire__Control ctl;
  Vc__Wire__Subscribe sub;
  Vc__Wire__Subscription *items, **ptrs;
  size_t i;
  int rv;

  if (!m->subscribed) {
    return 0;
  }
  items = calloc(m->n_subs ? m->n_subs : 1, sizeof(*items));
  ptrs = calloc(m->n_subs ? m->n_subs : 1, sizeof(Vc__Wire__Subscription *));
  if (!items || !ptrs) {
    free(items);
    free(ptrs);
    return VC_ERR_NOMEM;
  }
  vc__wire__control__init(&ctl);
  vc__wire__subscribe__init(&sub);
  for (i = 0; i < m->n_subs; i++) {
    vc__wire__subscription__init(&items[i]);
    items[i].session_id = m->subs[i].session_id;
    items[i].kind = (Vc__Wire__StreamKind)m->subs[i].kind;
    items[i].max_layer = m->subs[i].max_layer;
    ptrs[i] = &items[i];
  }
  sub.n_subscriptions = m->n_subs;
  sub.subscriptions = ptrs;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_SUBSCRIBE;
  ctl.subscribe = &sub;
  rv = vc__meeting_send(m, &ctl);
  free(items);
  free(ptrs);
  return rv;
}

int vc_meeting_connected(vc_meeting *m, vc_tstamp ts) {
  int rv;

  if (m->phase != VC_MEETING_IDLE && m->phase != VC_MEETING_RECONNECTING) {
    return VC_ERR_STATE;
  }
  vc__msg_queue_clear(&m->outbox);
  vc__msg_queue_clear(&m->media_out);
  m->control_sequence = 0;
  rv = send_join(m);
  if (rv != 0) {
    return rv;
  }
  m->phase = VC_MEETING_JOINING;
  m->collecting = 0;
  m->last_rx = ts;
  m->reconnect_at = VC__NEVER;
  return 0;
}

static uint64_t backoff_ns(vc_meeting *m) {
  uint64_t ms = VC_MEETING_RECONNECT_MIN_MS;
  uint32_t i;

  for (i = 0; i < m->reconnect_attempt && ms < VC_MEETING_RECONNECT_MAX_MS;
       i++) {
    ms *= 2;
  }
  if (ms > VC_MEETING_RECONNECT_MAX_MS) {
    ms = VC_MEETING_RECONNECT_MAX_MS;
  }
  /* Up to half again at random, so a restarted server is not hit by
   * everyone in the same millisecond. */
  ms += vc__meeting_random(m) % (ms / 2 + 1);
  return ms * VC__MS;
}

void vc_meeting_transport_lost(vc_meeting *m, vc_tstamp ts) {
  vc_meeting_event ev = empty_event;

  if (m->phase == VC_MEETING_ENDED || m->phase == VC_MEETING_IDLE) {
    return;
  }
  if (m->phase == VC_MEETING_RECONNECTING && m->reconnect_at != VC__NEVER) {
    return; /* already waiting to reconnect */
  }
  vc__msg_queue_clear(&m->outbox);
  vc__msg_queue_clear(&m->media_out);
  m->phase = VC_MEETING_RECONNECTING;
  m->collecting = 0;
  m->next_heartbeat = m->next_ping = VC__NEVER;
  m->reconnect_at = ts + backoff_ns(m);
  m->reconnect_attempt++;
  m->stats.reconnects++;
  ev.type = VC_MEETING_EVENT_CONNECTION_LOST;
  vc__meeting_emit(m, &ev);
}

static void end_meeting(vc_meeting *m, int reason, const char *text) {
  vc_meeting_event ev = empty_event;

  if (m->phase == VC_MEETING_ENDED) {
    return;
  }
  m->phase = VC_MEETING_ENDED;
  m->next_heartbeat = m->next_ping = m->reconnect_at = VC__NEVER;
  m->next_speaker_tick = VC__NEVER;
  ev.type = VC_MEETING_EVENT_ENDED;
  ev.reason = reason;
  ev.text = text ? text : "";
  ev.textlen = strlen(ev.text);
  vc__meeting_emit(m, &ev);
}

static void emit_participant(vc_meeting *m, vc_meeting_event_type type,
                             const vc_participant *p, int snapshot,
                             int reason) {
  vc_meeting_event ev = empty_event;

  ev.type = type;
  ev.participant = p;
  ev.session_id = p->session_id;
  ev.snapshot = snapshot;
  ev.reason = reason;
  vc__meeting_emit(m, &ev);
}

static void set_host(vc_meeting *m, uint32_t host) {
  vc_meeting_event ev = empty_event;

  if (host == m->host) {
    return;
  }
  m->host = host;
  ev.type = VC_MEETING_EVENT_HOST_CHANGED;
  ev.session_id = host;
  ev.participant = vc_meeting_find(m, host);
  vc__meeting_emit(m, &ev);
}

/*
 * Replaces the roster with the one a Welcome brought, announcing only the
 * differences: a resumed session sees nothing it already knew.
 */
static void adopt_roster(vc_meeting *m) {
  vc__roster *cur = &m->roster, *next = &m->incoming;
  size_t i = 0, j = 0;

  while (i < cur->n || j < next->n) {
    vc__member *a = i < cur->n ? &cur->items[i] : NULL;
    vc__member *b = j < next->n ? &next->items[j] : NULL;
    if (a && b && a->p.session_id == b->p.session_id) {
      /* Same session: the Welcome's public part, and everything we hold
       * for it ourselves (speaker state, keys) kept. */
      int differs = vc__participant_differs(&a->p, &b->p);
      vc_participant fresh = b->p;
      *b = *a;
      b->p = fresh;
      if (differs) {
        emit_participant(m, VC_MEETING_EVENT_PARTICIPANT_UPDATED, &b->p, 1, 0);
      }
      i++;
      j++;
    } else if (a && (!b || a->p.session_id < b->p.session_id)) {
      vc__speaker_forget(m, a->p.session_id);
      emit_participant(m, VC_MEETING_EVENT_PARTICIPANT_LEFT, &a->p, 1,
                       VC__WIRE__LEAVE_REASON__LEAVE_REASON_UNSPECIFIED);
      i++;
    } else if (b) {
      emit_participant(m, VC_MEETING_EVENT_PARTICIPANT_JOINED, &b->p, 1, 0);
      j++;
    }
  }
  {
    vc__roster tmp = *cur;
    *cur = *next;
    *next = tmp;
    next->n = 0;
  }
}

static void welcome_complete(vc_meeting *m, vc_tstamp ts) {
  vc_meeting_event ev = empty_event;
  int first = !m->joined_once;

  m->collecting = 0;
  m->session_id = m->incoming_session;
  adopt_roster(m);
  set_host(m, m->incoming_host);
  if (!m->incoming_resumed) {
    /* A new session (or a new server) numbers chat afresh: history
     * before this point is not replayed. */
    m->chat_seq = m->incoming_chat_seq;
  }
  m->phase = VC_MEETING_JOINED;
  m->joined_once = 1;
  m->reconnect_attempt = 0;
  m->next_heartbeat = ts + m->heartbeat_ms * VC__MS;
  m->next_ping = ts;
  m->next_speaker_tick = ts + VC_MEETING_SPEAKER_TICK_MS * VC__MS;
  (void)send_subscriptions(m);
  /* Every (re)join announces our identity: peers answer with their keys,
   * including any we missed while away. */
  vc__keys_on_joined(m);
  vc__chat_resend(m);
  if (first) {
    ev.type = VC_MEETING_EVENT_JOINED;
  } else {
    ev.type = VC_MEETING_EVENT_RECONNECTED;
    ev.resumed = m->incoming_resumed;
    if (m->incoming_resumed) {
      m->stats.resumes++;
    }
  }
  ev.session_id = m->session_id;
  vc__meeting_emit(m, &ev);
}

static int collect_page(vc_meeting *m, Vc__Wire__Participant *const *p,
                        size_t n) {
  size_t i;
  int added;

  for (i = 0; i < n; i++) {
    vc_participant part;
    if (p[i]->session_id == m->incoming_session) {
      continue; /* oneself is not in one's roster */
    }
    from_wire_participant(&part, p[i]);
    if (!vc__roster_put(&m->incoming, &part, &added)) {
      return VC_ERR_MALFORMED; /* more than the Welcome announced */
    }
  }
  return 0;
}

static int on_welcome(vc_meeting *m, const Vc__Wire__Welcome *w, vc_tstamp ts) {
  if (m->phase != VC_MEETING_JOINING) {
    return VC_ERR_MALFORMED;
  }
  m->incoming.n = 0;
  m->collecting = 1;
  m->incoming_session = w->session_id;
  m->incoming_total = w->roster_total;
  m->incoming_host = w->host_session;
  m->incoming_resumed = w->resumed;
  m->incoming_chat_seq = w->chat_seq;
  memcpy(m->resume_token, w->resume_token.data, w->resume_token.len);
  m->resume_token_len = w->resume_token.len;
  if (w->limits) {
    if (w->limits->heartbeat_interval_ms >= 100) {
      m->heartbeat_ms = w->limits->heartbeat_interval_ms;
    }
    if (w->limits->liveness_timeout_ms >= 2 * m->heartbeat_ms) {
      m->liveness_ms = w->limits->liveness_timeout_ms;
    }
  }
  if (collect_page(m, w->roster, w->n_roster) != 0) {
    return VC_ERR_MALFORMED;
  }
  if (m->incoming.n >= m->incoming_total) {
    welcome_complete(m, ts);
  }
  return 0;
}

static int on_roster_page(vc_meeting *m, const Vc__Wire__RosterPage *page,
                          vc_tstamp ts) {
  if (!m->collecting) {
    return VC_ERR_MALFORMED;
  }
  if (collect_page(m, page->participants, page->n_participants) != 0) {
    return VC_ERR_MALFORMED;
  }
  if (m->incoming.n >= m->incoming_total) {
    welcome_complete(m, ts);
  }
  return 0;
}

static int on_joined(vc_meeting *m, const Vc__Wire__Participant *w) {
  vc_participant p;
  vc__member *mb;
  int added;

  if (w->session_id == m->session_id) {
    return 0;
  }
  from_wire_participant(&p, w);
  mb = vc__roster_put(&m->roster, &p, &added);
  if (!mb) {
    return VC_ERR_QUEUE_FULL;
  }
  emit_participant(m,
                   added ? VC_MEETING_EVENT_PARTICIPANT_JOINED
                         : VC_MEETING_EVENT_PARTICIPANT_UPDATED,
                   &mb->p, 0, 0);
  if (added) {
    vc__keys_on_participant_joined(m, w->session_id);
  }
  return 0;
}

static void on_left(vc_meeting *m, const Vc__Wire__ParticipantLeft *w,
                    vc_tstamp ts) {
  vc__member *mb = vc__roster_find(&m->roster, w->session_id);
  vc_participant gone;

  if (!mb) {
    return; /* already gone: nothing to say */
  }
  gone = mb->p;
  vc__speaker_forget(m, w->session_id);
  vc__roster_remove(&m->roster, w->session_id);
  vc__keys_on_participant_left(m, ts);
  emit_participant(m, VC_MEETING_EVENT_PARTICIPANT_LEFT, &gone, 0,
                   (int)w->reason);
}

static void on_updated(vc_meeting *m, const Vc__Wire__ParticipantUpdated *w) {
  vc__member *mb = vc__roster_find(&m->roster, w->session_id);
  int host = w->role == VC__WIRE__ROLE__ROLE_HOST;

  if (host) {
    set_host(m, w->session_id);
  } else if (m->host == w->session_id) {
    set_host(m, 0);
  }
  if (!mb) {
    return; /* oneself, or not known (yet) */
  }
  from_wire_state(&mb->p.state, w->state);
  mb->p.is_host = (uint8_t)host;
  emit_participant(m, VC_MEETING_EVENT_PARTICIPANT_UPDATED, &mb->p, 0, 0);
}

static void on_error(vc_meeting *m, const Vc__Wire__Error *e, vc_tstamp ts) {
  vc_meeting_event ev = empty_event;

  if (e->code == VC__WIRE__ERROR_CODE__ERROR_CODE_RATE_LIMITED &&
      m->n_pending > 0) {
    /* Some chat was refused: send what is unacknowledged again later
     * (the server recognises what it already took). */
    uint32_t wait = e->retry_after_ms ? e->retry_after_ms : 1000;
    m->chat_retry_at = ts + (vc_tstamp)(wait < 60000 ? wait : 60000) * VC__MS;
  }

  ev.type = VC_MEETING_EVENT_ERROR;
  ev.code = (int)e->code;
  ev.text = e->text ? e->text : "";
  ev.textlen = strlen(ev.text);
  vc__meeting_emit(m, &ev);
  if (m->phase == VC_MEETING_JOINING) {
    switch (e->code) {
    case VC__WIRE__ERROR_CODE__ERROR_CODE_UNSUPPORTED_VERSION:
    case VC__WIRE__ERROR_CODE__ERROR_CODE_BAD_NAME:
    case VC__WIRE__ERROR_CODE__ERROR_CODE_MEETING_FULL:
    case VC__WIRE__ERROR_CODE__ERROR_CODE_SERVER_FULL:
      end_meeting(m, VC__WIRE__LEAVE_REASON__LEAVE_REASON_ERROR, ev.text);
      break;
    default:
      break;
    }
  }
}

static void on_leave(vc_meeting *m, const Vc__Wire__Leave *l, vc_tstamp ts) {
  if (l->reason == VC__WIRE__LEAVE_REASON__LEAVE_REASON_SERVER_SHUTDOWN) {
    vc_meeting_transport_lost(m, ts); /* come back when it is up again */
    return;
  }
  end_meeting(m, (int)l->reason, l->text);
}

static void on_pong(vc_meeting *m, const Vc__Wire__Pong *p, vc_tstamp ts) {
  vc_meeting_event ev = empty_event;

  if (p->id != m->ping_id || p->sent_us > ts / 1000) {
    return; /* an answer to an older ping, or nonsense */
  }
  ev.type = VC_MEETING_EVENT_RTT;
  ev.rtt_us = ts / 1000 - p->sent_us;
  vc__meeting_emit(m, &ev);
}

static int on_host_action(vc_meeting *m, const Vc__Wire__HostAction *a) {
  vc_meeting_event ev = empty_event;

  if (a->action != VC__WIRE__HOST_ACTION_KIND__HOST_ACTION_MUTE_REQUEST ||
      a->target_session != m->session_id) {
    return 0;
  }
  ev.type = VC_MEETING_EVENT_MUTE_REQUESTED;
  ev.session_id = m->host;
  vc__meeting_emit(m, &ev);
  return 0;
}

static int on_control(vc_meeting *m, const Vc__Wire__Control *c, vc_tstamp ts) {
  /* Until the Welcome, only its parts and refusals make sense. */
  if (m->phase == VC_MEETING_JOINING && !m->collecting &&
      c->msg_case != VC__WIRE__CONTROL__MSG_WELCOME &&
      c->msg_case != VC__WIRE__CONTROL__MSG_ERROR &&
      c->msg_case != VC__WIRE__CONTROL__MSG_LEAVE &&
      c->msg_case != VC__WIRE__CONTROL__MSG_HEARTBEAT) {
    return VC_ERR_MALFORMED;
  }
  if (m->collecting && c->msg_case != VC__WIRE__CONTROL__MSG_ROSTER_PAGE) {
    return VC_ERR_MALFORMED; /* the server sends the pages back to back */
  }
  switch (c->msg_case) {
  case VC__WIRE__CONTROL__MSG_WELCOME:
    return on_welcome(m, c->welcome, ts);
  case VC__WIRE__CONTROL__MSG_ROSTER_PAGE:
    return on_roster_page(m, c->roster_page, ts);
  case VC__WIRE__CONTROL__MSG_PARTICIPANT_JOINED:
    return on_joined(m, c->participant_joined->participant);
  case VC__WIRE__CONTROL__MSG_PARTICIPANT_LEFT:
    on_left(m, c->participant_left, ts);
    return 0;
  case VC__WIRE__CONTROL__MSG_PARTICIPANT_UPDATED:
    on_updated(m, c->participant_updated);
    return 0;
  case VC__WIRE__CONTROL__MSG_CHAT:
    vc__chat_on_message(m, c->chat);
    return 0;
  case VC__WIRE__CONTROL__MSG_ERROR:
    on_error(m, c->error, ts);
    return 0;
  case VC__WIRE__CONTROL__MSG_LEAVE:
    on_leave(m, c->leave, ts);
    return 0;
  case VC__WIRE__CONTROL__MSG_PONG:
    on_pong(m, c->pong, ts);
    return 0;
  case VC__WIRE__CONTROL__MSG_HOST_ACTION:
    return on_host_action(m, c->host_action);
  case VC__WIRE__CONTROL__MSG_KEY_ANNOUNCE:
    vc__keys_on_announce(m, c->key_announce);
    return 0;
  case VC__WIRE__CONTROL__MSG_KEY_DELIVERY:
    vc__keys_on_delivery(m, c->key_delivery);
    return 0;
  case VC__WIRE__CONTROL__MSG_KEYFRAME_REQUEST: {
    vc_meeting_event ev = empty_event;
    ev.type = VC_MEETING_EVENT_KEYFRAME_REQUESTED;
    ev.session_id = c->keyframe_request->session_id;
    ev.route.kind = (uint32_t)c->keyframe_request->kind;
    ev.route.layer = c->keyframe_request->layer;
    vc__meeting_emit(m, &ev);
    return 0;
  }
  case VC__WIRE__CONTROL__MSG_RECEIVER_REPORT:
    if (c->receiver_report->estimated_bandwidth_kbps > 0) {
      vc_meeting_event ev = empty_event;
      ev.type = VC_MEETING_EVENT_SEND_RATE_LIMIT;
      ev.bitrate_kbps = c->receiver_report->estimated_bandwidth_kbps;
      vc__meeting_emit(m, &ev);
    }
    return 0;
  case VC__WIRE__CONTROL__MSG_SEND_LAYERS: {
    vc_meeting_event ev = empty_event;
    ev.type = VC_MEETING_EVENT_SEND_LAYERS;
    ev.route.kind = (uint32_t)c->send_layers->kind;
    ev.layers = c->send_layers->layers;
    vc__meeting_emit(m, &ev);
    return 0;
  }
  default:
    /* Heartbeats only prove liveness (counted above); the rest is for
     * modules that are not here yet and is ignored. */
    return 0;
  }
}

int vc__meeting_seals(const vc_meeting *m) {
  return m->e2ee && !m->state.e2ee_off;
}

int vc__meeting_sends_in_clear(const vc_meeting *m, uint32_t session) {
  const vc_participant *p =
      (const vc_participant *)vc__roster_find(&m->roster, session);
  return p && p->state.e2ee_off;
}

/* A media frame in m->payload: opened, then reported. A sender who
 * switched E2EE off sends in the clear; a frame of theirs that opens
 * anyway was sealed before the switch reached us. Anyone else's frame
 * that does not open is dropped: handing it to a decoder as it is would
 * only show garbage (and let the server forge it). */
static int on_media(vc_meeting *m, const vc_route *route, size_t len,
                    vc_tstamp ts) {
  vc_meeting_event ev;
  const uint8_t *body = m->payload;
  vc_ssize n = VC_ERR_DECRYPT;

  if (m->phase != VC_MEETING_JOINED || route->sender_session == m->session_id) {
    return 0;
  }
  if (route->kind == VC_STREAM_KIND_AUDIO) {
    vc__speaker_on_audio(m, route->sender_session, route->audio_level, ts);
  }
  if (m->e2ee) {
    n = vc__keys_open(m, route, m->payload, len, m->opened,
                      VC_ENVELOPE_MAX_PAYLOAD_LEN);
    body = m->opened;
  }
  if (n < 0) {
    if (!vc__meeting_sends_in_clear(m, route->sender_session)) {
      m->stats.media_undecryptable++;
      return (int)n;
    }
    body = m->payload;
    n = (vc_ssize)len;
    m->stats.media_in_clear++;
  }
  m->stats.media_received++;
  memset(&ev, 0, sizeof(ev));
  ev.type = VC_MEETING_EVENT_MEDIA;
  ev.session_id = route->sender_session;
  ev.media = body;
  ev.media_len = (size_t)n;
  ev.route = *route;
  vc__meeting_emit(m, &ev);
  return 0;
}

int vc_meeting_send_media(vc_meeting *m, const vc_media_frame *f,
                          const uint8_t *payload, size_t len, vc_tstamp ts) {
  uint8_t *sealed = m->scratch, *frame = m->scratch + VC_ENVELOPE_MAX_LEN;
  uint8_t *envelope = frame + 1; /* after the class byte */
  vc_route route;
  vc_ssize n;
  int rv;

  (void)ts;
  if (f->kind != VC_STREAM_KIND_AUDIO && f->kind != VC_STREAM_KIND_VIDEO &&
      f->kind != VC_STREAM_KIND_SCREEN) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  if (f->layer > VC_MAX_SIMULCAST_LAYER) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  if (m->phase != VC_MEETING_JOINED) {
    return VC_ERR_STATE;
  }
  memset(&route, 0, sizeof(route));
  route.sender_session = m->session_id;
  route.kind = f->kind;
  route.layer = f->layer;
  route.keyframe = f->keyframe ? 1 : 0;
  route.sequence = m->media_sequence[f->kind][f->layer]++;
  route.audio_level = f->audio_level;
  route.timestamp_us = f->timestamp_us;
  if (vc__meeting_seals(m)) {
    n = vc__keys_seal(m, &route, payload, len, sealed,
                      VC_ENVELOPE_MAX_PAYLOAD_LEN);
    if (n < 0) {
      return n == VC_ERR_NOBUF ? VC_ERR_TOO_BIG : (int)n;
    }
    payload = sealed;
    len = (size_t)n;
  }
  n = vc_envelope_encode(envelope, VC_ENVELOPE_MAX_LEN, &route, payload, len);
  if (n < 0) {
    return (int)n;
  }
  frame[0] = f->kind == VC_STREAM_KIND_AUDIO ? VC_MEETING_FRAME_DATAGRAM
                                             : VC_MEETING_FRAME_MEDIA;
  rv = vc__msg_queue_push(&m->media_out, frame, (size_t)n + 1);
  while (rv == VC_ERR_QUEUE_FULL && m->media_out.count > 0) {
    vc__msg_queue_pop(&m->media_out); /* the oldest is worth least */
    m->stats.media_dropped++;
    rv = vc__msg_queue_push(&m->media_out, frame, (size_t)n + 1);
  }
  if (rv != 0) {
    return rv;
  }
  m->stats.media_sent++;
  return 0;
}

int vc_meeting_request_keyframe(vc_meeting *m, uint32_t session, uint32_t kind,
                                uint32_t layer, vc_tstamp ts) {
  Vc__Wire__Control ctl;
  Vc__Wire__KeyframeRequest kr;

  (void)ts;
  if (m->phase != VC_MEETING_JOINED) {
    return VC_ERR_STATE;
  }
  vc__wire__control__init(&ctl);
  vc__wire__keyframe_request__init(&kr);
  kr.session_id = session;
  kr.kind = (Vc__Wire__StreamKind)kind;
  kr.layer = layer;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_KEYFRAME_REQUEST;
  ctl.keyframe_request = &kr;
  return vc__meeting_send(m, &ctl);
}

int vc_meeting_receive(vc_meeting *m, const uint8_t *frame, size_t len,
                       vc_tstamp ts) {
  Vc__Wire__Control *c;
  vc_route route;
  vc_ssize n;
  int rv;

  if (m->phase != VC_MEETING_JOINING && m->phase != VC_MEETING_JOINED) {
    return VC_ERR_STATE; /* late frames of a dead transport */
  }
  m->stats.frames_received++;
  m->last_rx = ts;
  n = vc_envelope_decode(&route, m->payload, VC_ENVELOPE_MAX_PAYLOAD_LEN, frame,
                         len);
  if (n < 0) {
    m->stats.frames_skipped++;
    return (int)n;
  }
  if (route.kind != VC_STREAM_KIND_CONTROL) {
    return on_media(m, &route, (size_t)n, ts);
  }
  rv = vc_control_decode(m->dec, &c, m->payload, (size_t)n);
  if (rv == 0) {
    rv = on_control(m, c, ts);
  }
  if (rv != 0) {
    m->stats.frames_skipped++;
  }
  return rv;
}

static void send_heartbeat(vc_meeting *m) {
  Vc__Wire__Control ctl;
  Vc__Wire__Heartbeat hb;

  vc__wire__control__init(&ctl);
  vc__wire__heartbeat__init(&hb);
  hb.chat_seq = m->chat_seq;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_HEARTBEAT;
  ctl.heartbeat = &hb;
  (void)vc__meeting_send(m, &ctl); /* a full outbox says enough already */
}

static void send_ping(vc_meeting *m, vc_tstamp ts) {
  Vc__Wire__Control ctl;
  Vc__Wire__Ping ping;

  vc__wire__control__init(&ctl);
  vc__wire__ping__init(&ping);
  ping.id = ++m->ping_id;
  ping.sent_us = ts / 1000;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_PING;
  ctl.ping = &ping;
  (void)vc__meeting_send(m, &ctl);
}

static vc_tstamp liveness_deadline(const vc_meeting *m) {
  if (m->phase != VC_MEETING_JOINING && m->phase != VC_MEETING_JOINED) {
    return VC__NEVER;
  }
  return m->last_rx + m->liveness_ms * VC__MS;
}

static vc_tstamp min_ts(vc_tstamp a, vc_tstamp b) {
  return a < b ? a : b;
}

vc_tstamp vc_meeting_get_expiry(const vc_meeting *m) {
  vc_tstamp t = liveness_deadline(m);

  t = min_ts(t, m->next_heartbeat);
  t = min_ts(t, m->next_ping);
  t = min_ts(t, m->reconnect_at);
  t = min_ts(t, m->chat_retry_at);
  t = min_ts(t, m->key_switch_at);
  t = min_ts(t, vc__chat_held_expiry(m));
  return min_ts(t, m->next_speaker_tick);
}

void vc_meeting_handle_expiry(vc_meeting *m, vc_tstamp ts) {
  if (ts >= liveness_deadline(m)) {
    /* The server went quiet: its heartbeats stopped reaching us. */
    vc_meeting_transport_lost(m, ts);
  }
  if (ts >= m->reconnect_at) {
    vc_meeting_event ev = empty_event;
    m->reconnect_at = VC__NEVER;
    ev.type = VC_MEETING_EVENT_CONNECT;
    vc__meeting_emit(m, &ev);
  }
  if (ts >= m->chat_retry_at) {
    m->chat_retry_at = VC__NEVER;
    if (m->phase == VC_MEETING_JOINED) {
      vc__chat_resend(m);
    }
  }
  if (m->phase == VC_MEETING_JOINED) {
    if (ts >= m->next_heartbeat) {
      send_heartbeat(m);
      m->next_heartbeat = ts + m->heartbeat_ms * VC__MS;
    }
    if (ts >= m->next_ping) {
      send_ping(m, ts);
      m->next_ping = ts + VC_MEETING_PING_INTERVAL_MS * VC__MS;
    }
  }
  vc__keys_tick(m, ts);
  if (ts >= vc__chat_held_expiry(m)) {
    vc__chat_release(m, ts); /* the key did not come: shown unreadable */
  }
  if (ts >= m->next_speaker_tick) {
    vc__speaker_tick(m, ts);
    m->next_speaker_tick = m->phase == VC_MEETING_ENDED
                               ? VC__NEVER
                               : ts + VC_MEETING_SPEAKER_TICK_MS * VC__MS;
  }
}

int vc_meeting_subscribe(vc_meeting *m, const vc_subscription *subs, size_t n,
                         vc_tstamp ts) {
  size_t i;

  (void)ts;
  if (m->phase == VC_MEETING_ENDED) {
    return VC_ERR_STATE;
  }
  if (n > VC_MEETING_MAX_SUBSCRIPTIONS || (n > 0 && !subs)) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  for (i = 0; i < n; i++) {
    if (subs[i].session_id == 0 || subs[i].max_layer > VC_MAX_SIMULCAST_LAYER) {
      return VC_ERR_INVALID_ARGUMENT;
    }
  }
  if (n > 0) {
    memcpy(m->subs, subs, n * sizeof(*subs));
  }
  m->n_subs = n;
  m->subscribed = 1;
  return m->phase == VC_MEETING_JOINED ? send_subscriptions(m) : 0;
}

int vc_meeting_set_media_state(vc_meeting *m, const vc_media_state *state,
                               vc_tstamp ts) {
  Vc__Wire__Control ctl;
  Vc__Wire__MediaStateUpdate up;
  Vc__Wire__MediaState ws;

  (void)ts;
  if (m->phase == VC_MEETING_ENDED) {
    return VC_ERR_STATE;
  }
  m->state = *state; /* a rejoin's Join carries it if this is lost */
  m->state.e2ee_off = state->e2ee_off || !m->e2ee;
  if (m->phase != VC_MEETING_JOINED) {
    return 0;
  }
  vc__wire__control__init(&ctl);
  vc__wire__media_state_update__init(&up);
  to_wire_state(&ws, &m->state);
  up.state = &ws;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_MEDIA_STATE;
  ctl.media_state = &up;
  return vc__meeting_send(m, &ctl);
}

int vc_meeting_host_action(vc_meeting *m, int action, uint32_t target,
                           vc_tstamp ts) {
  Vc__Wire__Control ctl;
  Vc__Wire__HostAction ha;

  (void)ts;
  if (m->phase != VC_MEETING_JOINED || m->host != m->session_id) {
    return VC_ERR_STATE;
  }
  vc__wire__control__init(&ctl);
  vc__wire__host_action__init(&ha);
  ha.action = (Vc__Wire__HostActionKind)action;
  ha.target_session = target;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_HOST_ACTION;
  ctl.host_action = &ha;
  return vc__meeting_send(m, &ctl);
}

int vc_meeting_leave(vc_meeting *m, vc_tstamp ts) {
  Vc__Wire__Control ctl;
  Vc__Wire__Leave leave;

  (void)ts;
  if (m->phase == VC_MEETING_ENDED) {
    return VC_ERR_STATE;
  }
  if (m->phase == VC_MEETING_JOINED || m->phase == VC_MEETING_JOINING) {
    vc__wire__control__init(&ctl);
    vc__wire__leave__init(&leave);
    leave.reason = VC__WIRE__LEAVE_REASON__LEAVE_REASON_LEFT;
    leave.text = "";
    ctl.msg_case = VC__WIRE__CONTROL__MSG_LEAVE;
    ctl.leave = &leave;
    (void)vc__meeting_send(m, &ctl);
  }
  end_meeting(m, VC__WIRE__LEAVE_REASON__LEAVE_REASON_LEFT, "you left");
  return 0;
}
