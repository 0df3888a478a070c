/*
 * room.c: see room.h. Sessions live in an array sorted by session id
 * (ids only grow, so joins append); a session whose connection died stays
 * in the roster, detached, for the resume grace, so a quick reconnect is
 * invisible to everyone else. Chat history lives in room_chat.c.
 */
#include "room.h"

#include <stdlib.h>
#include <string.h>

#include <vc/control.h>
#include <vc/wire.h>

#include "room_internal.h"

#define MS ((vc_tstamp)1000000)
#define NEVER UINT64_MAX
/*
 * Liveness and grace are checked by a sweep over all sessions this often,
 * not by a timer per session: the room's next expiry is then O(1) to
 * compute however large the meeting, at the price of up to this much
 * lateness in noticing a silent participant.
 */
#define SWEEP_MS 250

void vc_room_default_limits(vc_room_limits *limits) {
  limits->max_participants = VC_CONTROL_MAX_ROSTER + 1;
  limits->heartbeat_interval_ms = 1000;
  limits->liveness_timeout_ms = 5000;
  limits->resume_grace_ms = 10000;
  limits->chat_history = 256;
  limits->chat_per_second = 20;
  /* 20 Mbit/s: four simulcast layers of 1080p video and audio fit. */
  limits->media_bytes_per_second = 2500000;
  vc__room_default_message_rates(limits);
}

int vc_room_new(vc_room **pr, const char *meeting_id,
                const vc_room_limits *limits, const vc_room_callbacks *cb) {
  vc_room *r;
  size_t n;

  if (!pr || !cb || !cb->send || !cb->close || !cb->random ||
      !vc_name_is_safe(meeting_id)) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  r = calloc(1, sizeof(*r));
  if (!r) {
    return VC_ERR_NOMEM;
  }
  if (limits) {
    r->limits = *limits;
  } else {
    vc_room_default_limits(&r->limits);
  }
  if (r->limits.max_participants == 0 ||
      r->limits.max_participants > VC_CONTROL_MAX_ROSTER + 1 ||
      r->limits.chat_history == 0 || r->limits.heartbeat_interval_ms == 0) {
    free(r);
    return VC_ERR_INVALID_ARGUMENT;
  }
  memcpy(r->meeting_id, meeting_id, strlen(meeting_id) + 1);
  r->cb = *cb;
  r->next_session = 1;
  r->next_heartbeat = r->next_sweep = NEVER;
  n = r->limits.max_participants;
  r->sessions = calloc(n, sizeof(*r->sessions));
  r->wire_parts = calloc(n, sizeof(*r->wire_parts));
  r->wire_states = calloc(n, sizeof(*r->wire_states));
  r->wire_ptrs = calloc(n, sizeof(*r->wire_ptrs));
  r->scratch = malloc(2 * VC_ENVELOPE_MAX_LEN);
  r->payload = malloc(VC_ENVELOPE_MAX_PAYLOAD_LEN);
  if (!r->sessions || !r->wire_parts || !r->wire_states || !r->wire_ptrs ||
      !r->scratch || !r->payload || vc__room_chat_init(r) != 0 ||
      vc_control_decoder_new(&r->dec, VC_CONTROL_ARENA_LEN) != 0) {
    vc_room_del(r);
    return VC_ERR_NOMEM;
  }
  *pr = r;
  return 0;
}

void vc_room_del(vc_room *r) {
  size_t i;

  if (!r) {
    return;
  }
  for (i = 0; i < r->n_sessions; i++) {
    free(r->sessions[i].subs);
  }
  vc__room_chat_free(r);
  vc_control_decoder_del(r->dec);
  free(r->sessions);
  free(r->wire_parts);
  free(r->wire_states);
  free(r->wire_ptrs);
  free(r->scratch);
  free(r->payload);
  free(r);
}

size_t vc_room_size(const vc_room *r) {
  return r->n_sessions;
}

size_t vc_room_attached(const vc_room *r) {
  size_t i, n = 0;

  for (i = 0; i < r->n_sessions; i++) {
    n += r->sessions[i].conn != 0;
  }
  return n;
}

void vc_room_get_stats(const vc_room *r, vc_room_stats *stats) {
  *stats = r->stats;
}

/* ---- sessions ---------------------------------------------------------- */

vc__room_session *vc__room_find(vc_room *r, uint32_t id) {
  size_t lo = 0, hi = r->n_sessions;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (r->sessions[mid].id < id) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo < r->n_sessions && r->sessions[lo].id == id ? &r->sessions[lo]
                                                        : NULL;
}

/* The session on |conn|: |hint| (the route's sender) first, then a scan. */
static vc__room_session *find_by_conn(vc_room *r, vc_conn_id conn,
                                      uint32_t hint) {
  vc__room_session *s = hint ? vc__room_find(r, hint) : NULL;
  size_t i;

  if (s && s->conn == conn) {
    return s;
  }
  for (i = 0; i < r->n_sessions; i++) {
    if (r->sessions[i].conn == conn) {
      return &r->sessions[i];
    }
  }
  return NULL;
}

static void detach(vc_room *r, vc__room_session *s, vc_tstamp ts,
                   int close_conn) {
  vc_conn_id conn = s->conn;

  if (!conn) {
    return;
  }
  s->conn = 0;
  s->detached_at = ts;
  if (close_conn) {
    r->cb.close(r->cb.user_data, conn);
  }
}

/* ---- sending ----------------------------------------------------------- */

/* Encodes |msg| into a control envelope in r->scratch; returns its length
 * (a frame pointer in |*frame|) or a negative code. */
static vc_ssize encode(vc_room *r, const Vc__Wire__Control *msg,
                       const uint8_t **frame) {
  uint8_t *out = r->scratch + VC_ENVELOPE_MAX_LEN;

  *frame = out;
  return vc_control_encode_envelope(out, VC_ENVELOPE_MAX_LEN, r->scratch,
                                    VC_ENVELOPE_MAX_PAYLOAD_LEN, 0, 0, msg);
}

/* Sends on a connection that may not (yet) belong to a session. */
static int send_to_conn(vc_room *r, vc_conn_id conn,
                        const Vc__Wire__Control *msg) {
  const uint8_t *frame;
  vc_ssize n = encode(r, msg, &frame);

  if (n < 0) {
    return (int)n;
  }
  return r->cb.send(r->cb.user_data, conn, frame, (size_t)n, 1);
}

static void send_frame(vc_room *r, vc__room_session *s, const uint8_t *frame,
                       size_t len, vc_tstamp ts) {
  if (!s->conn) {
    return; /* detached: a resume brings it up to date */
  }
  if (r->cb.send(r->cb.user_data, s->conn, frame, len, 1) != 0) {
    detach(r, s, ts, 1); /* too far behind: let it resume later */
  }
}

int vc__room_send(vc_room *r, vc__room_session *s, const Vc__Wire__Control *msg,
                  vc_tstamp ts) {
  const uint8_t *frame;
  vc_ssize n = encode(r, msg, &frame);

  if (n < 0) {
    return (int)n;
  }
  send_frame(r, s, frame, (size_t)n, ts);
  return 0;
}

/* To every attached session but |except| (NULL: everyone). */
void vc__room_broadcast(vc_room *r, const Vc__Wire__Control *msg,
                        const vc__room_session *except, vc_tstamp ts) {
  const uint8_t *frame;
  vc_ssize n = encode(r, msg, &frame);
  size_t i;

  if (n < 0) {
    return;
  }
  for (i = 0; i < r->n_sessions; i++) {
    if (&r->sessions[i] != except) {
      send_frame(r, &r->sessions[i], frame, (size_t)n, ts);
    }
  }
}

void vc__room_send_error(vc_room *r, vc_conn_id conn, Vc__Wire__ErrorCode code,
                         const char *text) {
  Vc__Wire__Control ctl;
  Vc__Wire__Error err;

  vc__wire__control__init(&ctl);
  vc__wire__error__init(&err);
  err.code = code;
  err.text = (char *)(uintptr_t)text;
  if (code == VC__WIRE__ERROR_CODE__ERROR_CODE_RATE_LIMITED) {
    err.retry_after_ms = 1000;
  }
  ctl.msg_case = VC__WIRE__CONTROL__MSG_ERROR;
  ctl.error = &err;
  (void)send_to_conn(r, conn, &ctl);
}

static void send_leave(vc_room *r, vc_conn_id conn, Vc__Wire__LeaveReason why,
                       const char *text) {
  Vc__Wire__Control ctl;
  Vc__Wire__Leave leave;

  vc__wire__control__init(&ctl);
  vc__wire__leave__init(&leave);
  leave.reason = why;
  leave.text = (char *)(uintptr_t)text;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_LEAVE;
  ctl.leave = &leave;
  (void)send_to_conn(r, conn, &ctl);
}

static void fill_participant(vc_room *r, size_t slot,
                             const vc__room_session *s) {
  Vc__Wire__Participant *p = &r->wire_parts[slot];
  Vc__Wire__MediaState *st = &r->wire_states[slot];

  vc__wire__participant__init(p);
  *st = s->state;
  p->session_id = s->id;
  p->user = (char *)(uintptr_t)s->user;
  p->display_name = (char *)(uintptr_t)s->display_name;
  p->state = st;
  p->role = s->id == r->host ? VC__WIRE__ROLE__ROLE_HOST
                             : VC__WIRE__ROLE__ROLE_PARTICIPANT;
  r->wire_ptrs[slot] = p;
}

void vc__room_broadcast_updated(vc_room *r, const vc__room_session *s,
                                vc_tstamp ts) {
  Vc__Wire__Control ctl;
  Vc__Wire__ParticipantUpdated up;
  Vc__Wire__MediaState st = s->state;

  vc__wire__control__init(&ctl);
  vc__wire__participant_updated__init(&up);
  up.session_id = s->id;
  up.state = &st;
  up.role = s->id == r->host ? VC__WIRE__ROLE__ROLE_HOST
                             : VC__WIRE__ROLE__ROLE_PARTICIPANT;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_PARTICIPANT_UPDATED;
  ctl.participant_updated = &up;
  vc__room_broadcast(r, &ctl, NULL, ts);
}

/* ---- joining and leaving ----------------------------------------------- */

/* The Welcome and as many RosterPages as the roster needs, back to back. */
static void send_welcome(vc_room *r, vc__room_session *s, int resumed,
                         vc_tstamp ts) {
  Vc__Wire__Control ctl;
  Vc__Wire__Welcome w;
  Vc__Wire__ServerLimits lim;
  Vc__Wire__RosterPage page;
  size_t i, n = 0, off;

  for (i = 0; i < r->n_sessions; i++) {
    if (&r->sessions[i] != s) {
      fill_participant(r, n++, &r->sessions[i]);
    }
  }
  vc__wire__control__init(&ctl);
  vc__wire__welcome__init(&w);
  vc__wire__server_limits__init(&lim);
  lim.max_participants = r->limits.max_participants;
  lim.max_message_len = (uint32_t)VC_ENVELOPE_MAX_LEN;
  lim.heartbeat_interval_ms = r->limits.heartbeat_interval_ms;
  lim.liveness_timeout_ms = r->limits.liveness_timeout_ms;
  lim.resume_grace_ms = r->limits.resume_grace_ms;
  lim.max_chat_len = VC_CONTROL_MAX_CHAT_LEN;
  w.session_id = s->id;
  w.resume_token.data = s->token;
  w.resume_token.len = sizeof(s->token);
  w.n_roster = n < VC_CONTROL_MAX_ROSTER_PAGE ? n : VC_CONTROL_MAX_ROSTER_PAGE;
  w.roster = r->wire_ptrs;
  w.limits = &lim;
  w.host_session = r->host;
  w.resumed = resumed;
  w.chat_seq = r->chat_seq;
  w.roster_total = (uint32_t)n;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_WELCOME;
  ctl.welcome = &w;
  (void)vc__room_send(r, s, &ctl, ts);
  for (off = w.n_roster; off < n; off += VC_CONTROL_MAX_ROSTER_PAGE) {
    vc__wire__roster_page__init(&page);
    page.participants = r->wire_ptrs + off;
    page.n_participants = n - off < VC_CONTROL_MAX_ROSTER_PAGE
                              ? n - off
                              : VC_CONTROL_MAX_ROSTER_PAGE;
    vc__wire__control__init(&ctl);
    ctl.msg_case = VC__WIRE__CONTROL__MSG_ROSTER_PAGE;
    ctl.roster_page = &page;
    (void)vc__room_send(r, s, &ctl, ts);
  }
}

static int tokens_equal(const uint8_t *a, const uint8_t *b, size_t len) {
  uint8_t diff = 0;
  size_t i;

  for (i = 0; i < len; i++) {
    diff |= (uint8_t)(a[i] ^ b[i]); /* constant time: tokens are secrets */
  }
  return diff == 0;
}

static vc__room_session *find_resumable(vc_room *r,
                                        const Vc__Wire__Join *join) {
  size_t i;

  if (join->resume_token.len != VC__ROOM_TOKEN_LEN) {
    return NULL;
  }
  for (i = 0; i < r->n_sessions; i++) {
    vc__room_session *s = &r->sessions[i];
    if (tokens_equal(s->token, join->resume_token.data, VC__ROOM_TOKEN_LEN) &&
        strcmp(s->user, join->user) == 0) {
      return s;
    }
  }
  return NULL;
}

/* The fields only: |from| belongs to a decoded message that goes away. */
static void copy_state(Vc__Wire__MediaState *to,
                       const Vc__Wire__MediaState *from) {
  vc__wire__media_state__init(to);
  if (from) {
    to->audio_muted = from->audio_muted;
    to->video_off = from->video_off;
    to->screen_sharing = from->screen_sharing;
    to->hand_raised = from->hand_raised;
    to->e2ee_off = from->e2ee_off;
  }
}

static int states_equal(const Vc__Wire__MediaState *a,
                        const Vc__Wire__MediaState *b) {
  return a->audio_muted == b->audio_muted && a->video_off == b->video_off &&
         a->screen_sharing == b->screen_sharing &&
         a->hand_raised == b->hand_raised && a->e2ee_off == b->e2ee_off;
}

static int resume(vc_room *r, vc__room_session *s, vc_conn_id conn,
                  const Vc__Wire__Join *join, vc_tstamp ts) {
  Vc__Wire__MediaState before = s->state;

  if (s->conn && s->conn != conn) {
    /* The old transport is dead but nobody noticed yet: this is the same
     * client back (it holds the secret token). */
    send_leave(r, s->conn, VC__WIRE__LEAVE_REASON__LEAVE_REASON_REPLACED,
               "this session continues on another connection");
    detach(r, s, ts, 1);
  }
  s->conn = conn;
  s->last_rx = ts;
  s->detached_at = 0;
  copy_state(&s->state, join->state);
  s->state_pending = 0; /* the Join's state is the latest */
  r->stats.resumes++;
  send_welcome(r, s, 1, ts);
  vc__room_layers_announce(r, s, 1, ts); /* it forgot while away */
  vc__room_replay_announcements(r, s, ts);
  vc__room_chat_replay(r, s, join->chat_seq, ts);
  if (!states_equal(&before, &s->state)) {
    vc__room_broadcast_updated(r, s, ts);
  }
  return 0;
}

static int admit(vc_room *r, vc_conn_id conn, const Vc__Wire__Join *join,
                 vc_tstamp ts) {
  Vc__Wire__Control ctl;
  Vc__Wire__ParticipantJoined pj;
  vc__room_session *s;

  if (r->n_sessions == r->limits.max_participants) {
    vc__room_send_error(r, conn, VC__WIRE__ERROR_CODE__ERROR_CODE_MEETING_FULL,
                        "this meeting is full");
    r->cb.close(r->cb.user_data, conn);
    return VC_ERR_QUEUE_FULL;
  }
  s = &r->sessions[r->n_sessions++];
  memset(s, 0, sizeof(*s));
  s->id = r->next_session++;
  s->conn = conn;
  s->joined_at = ts;
  s->last_rx = ts;
  memcpy(s->user, join->user, strlen(join->user) + 1);
  memcpy(s->display_name, join->display_name, strlen(join->display_name) + 1);
  copy_state(&s->state, join->state);
  vc__room_layers_init(
      s, join->capabilities ? join->capabilities->max_simulcast_layers : 1);
  r->cb.random(r->cb.user_data, s->token, sizeof(s->token));
  if (!r->host) {
    r->host = s->id; /* the first to arrive hosts */
  }
  if (r->next_heartbeat == NEVER) {
    r->next_heartbeat = ts + r->limits.heartbeat_interval_ms * MS;
    r->next_sweep = ts + SWEEP_MS * MS;
  }
  send_welcome(r, s, 0, ts);
  vc__room_replay_announcements(r, s, ts);

  vc__wire__control__init(&ctl);
  vc__wire__participant_joined__init(&pj);
  fill_participant(r, 0, s);
  pj.participant = r->wire_ptrs[0];
  ctl.msg_case = VC__WIRE__CONTROL__MSG_PARTICIPANT_JOINED;
  ctl.participant_joined = &pj;
  vc__room_broadcast(r, &ctl, s, ts);
  return 0;
}

static int on_join(vc_room *r, vc_conn_id conn, const Vc__Wire__Join *join,
                   vc_tstamp ts) {
  vc__room_session *s;

  if (strcmp(join->meeting_id, r->meeting_id) != 0) {
    vc__room_send_error(r, conn, VC__WIRE__ERROR_CODE__ERROR_CODE_BAD_NAME,
                        "this connection belongs to another meeting");
    return VC_ERR_INVALID_ARGUMENT;
  }
  s = find_resumable(r, join);
  if (s) {
    return resume(r, s, conn, join, ts);
  }
  return admit(r, conn, join, ts);
}

/* Hands the host role on when the host is gone for good: to whoever has
 * been here longest, present ones first. */
static void succeed_host(vc_room *r, vc_tstamp ts) {
  vc__room_session *next = NULL;
  size_t i;

  for (i = 0; i < r->n_sessions && !next; i++) {
    if (r->sessions[i].conn) {
      next = &r->sessions[i];
    }
  }
  if (!next && r->n_sessions > 0) {
    next = &r->sessions[0];
  }
  r->host = next ? next->id : 0;
  if (next) {
    vc__room_broadcast_updated(r, next, ts);
  }
}

void vc__room_remove(vc_room *r, vc__room_session *s, Vc__Wire__LeaveReason why,
                     vc_tstamp ts) {
  Vc__Wire__Control ctl;
  Vc__Wire__ParticipantLeft pl;
  uint32_t id = s->id;
  size_t i = (size_t)(s - r->sessions);

  detach(r, s, ts, 1);
  vc__room_layers_release(r, s);
  vc__room_layers_forget_sender(r, s);
  vc__room_layers_settle(r, s->subs, s->n_subs, ts);
  free(s->subs);
  memmove(&r->sessions[i], &r->sessions[i + 1],
          (r->n_sessions - i - 1) * sizeof(*r->sessions));
  r->n_sessions--;
  vc__wire__control__init(&ctl);
  vc__wire__participant_left__init(&pl);
  pl.session_id = id;
  pl.reason = why;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_PARTICIPANT_LEFT;
  ctl.participant_left = &pl;
  vc__room_broadcast(r, &ctl, NULL, ts);
  if (r->host == id) {
    succeed_host(r, ts);
  }
  if (r->n_sessions == 0) {
    r->next_heartbeat = r->next_sweep = NEVER;
  }
}

/* ---- messages from joined participants --------------------------------- */

static int on_host_action(vc_room *r, vc__room_session *s,
                          const Vc__Wire__HostAction *a, vc_tstamp ts) {
  vc__room_session *t;

  if (s->id != r->host) {
    vc__room_send_error(r, s->conn, VC__WIRE__ERROR_CODE__ERROR_CODE_NOT_HOST,
                        "only the host can do that");
    return VC_ERR_STATE;
  }
  t = vc__room_find(r, a->target_session);
  if (!t) {
    vc__room_send_error(r, s->conn,
                        VC__WIRE__ERROR_CODE__ERROR_CODE_UNKNOWN_PARTICIPANT,
                        "that participant is not in the meeting");
    return VC_ERR_INVALID_ARGUMENT;
  }
  switch (a->action) {
  case VC__WIRE__HOST_ACTION_KIND__HOST_ACTION_REMOVE:
    if (t->conn) {
      send_leave(r, t->conn, VC__WIRE__LEAVE_REASON__LEAVE_REASON_REMOVED,
                 "the host removed you from the meeting");
    }
    vc__room_remove(r, t, VC__WIRE__LEAVE_REASON__LEAVE_REASON_REMOVED, ts);
    return 0;
  case VC__WIRE__HOST_ACTION_KIND__HOST_ACTION_MUTE_REQUEST: {
    Vc__Wire__Control ctl;
    Vc__Wire__HostAction fwd = *a;
    vc__wire__control__init(&ctl);
    ctl.msg_case = VC__WIRE__CONTROL__MSG_HOST_ACTION;
    ctl.host_action = &fwd;
    return vc__room_send(r, t, &ctl, ts);
  }
  case VC__WIRE__HOST_ACTION_KIND__HOST_ACTION_TRANSFER_HOST:
    r->host = t->id;
    vc__room_broadcast_updated(r, s, ts);
    vc__room_broadcast_updated(r, t, ts);
    return 0;
  default:
    vc__room_send_error(r, s->conn,
                        VC__WIRE__ERROR_CODE__ERROR_CODE_UNSPECIFIED,
                        "this meeting has no waiting room");
    return VC_ERR_STATE;
  }
}

static int compare_subs(const void *a, const void *b) {
  const vc__room_sub *x = a, *y = b;

  if (x->session != y->session) {
    return x->session < y->session ? -1 : 1;
  }
  return x->kind < y->kind ? -1 : x->kind > y->kind;
}

/* Replaces |s|'s subscriptions. A stream it keeps keeps its simulcast
 * layer and keyframe wait: a roster change resubscribes everyone, and
 * that must not cost a keyframe per stream. */
static int on_subscribe(vc_room *r, vc__room_session *s,
                        const Vc__Wire__Subscribe *m, vc_tstamp ts) {
  vc__room_sub *subs = NULL, *old;
  size_t i, n_old;

  if (m->n_subscriptions > 0) {
    subs = calloc(m->n_subscriptions, sizeof(*subs));
    if (!subs) {
      return VC_ERR_NOMEM;
    }
  }
  for (i = 0; i < m->n_subscriptions; i++) {
    subs[i].session = m->subscriptions[i]->session_id;
    subs[i].kind = (uint32_t)m->subscriptions[i]->kind;
    subs[i].max_layer = m->subscriptions[i]->max_layer;
    subs[i].layer = VC__ROOM_NO_LAYER;
  }
  if (subs) {
    qsort(subs, m->n_subscriptions, sizeof(*subs), compare_subs);
  }
  for (i = 0; i < m->n_subscriptions; i++) {
    const vc__room_sub *kept =
        vc__room_find_sub(s, subs[i].session, subs[i].kind);
    if (kept) {
      subs[i].layer = kept->layer;
      subs[i].skip_deltas = kept->skip_deltas;
    }
  }
  vc__room_layers_release(r, s);
  old = s->subs;
  n_old = s->n_subs;
  s->subs = subs;
  s->n_subs = m->n_subscriptions;
  for (i = 0; i < s->n_subs; i++) {
    vc__room_layers_refresh(r, s, &s->subs[i], ts);
  }
  vc__room_layers_settle(r, old, n_old, ts);
  free(old);
  return 0;
}

/* A change goes to everyone. Over the rate it is kept rather than
 * dropped (vc__room_limits_flush sends the latest when the rate allows):
 * a refused mute must not leave the others seeing a live microphone. */
static int on_media_state(vc_room *r, vc__room_session *s,
                          const Vc__Wire__MediaState *state, vc_tstamp ts) {
  Vc__Wire__MediaState now;
  int rv;

  copy_state(&now, state);
  if (states_equal(&now, &s->state)) {
    return 0; /* nothing for the others to hear */
  }
  rv = vc__room_limit(r, s, VC_ROOM_LIMIT_MEDIA_STATE,
                      (uint64_t)r->rx_len * (r->n_sessions - 1), ts);
  if (rv == VC_ERR_STATE) {
    return rv; /* removed: |s| is gone */
  }
  s->state = now;
  if (rv != 0) {
    s->state_pending = 1;
    return rv;
  }
  s->state_pending = 0;
  vc__room_broadcast_updated(r, s, ts);
  return 0;
}

static int on_control(vc_room *r, vc__room_session *s,
                      const Vc__Wire__Control *c, vc_tstamp ts) {
  Vc__Wire__Control reply;
  int rv;

  vc__wire__control__init(&reply);
  switch (c->msg_case) {
  case VC__WIRE__CONTROL__MSG_HEARTBEAT:
    return 0; /* liveness is counted for every frame */
  case VC__WIRE__CONTROL__MSG_PING: {
    Vc__Wire__Pong pong;
    vc__wire__pong__init(&pong);
    pong.id = c->ping->id;
    pong.sent_us = c->ping->sent_us;
    reply.msg_case = VC__WIRE__CONTROL__MSG_PONG;
    reply.pong = &pong;
    return vc__room_send(r, s, &reply, ts);
  }
  case VC__WIRE__CONTROL__MSG_MEDIA_STATE:
    return on_media_state(r, s, c->media_state->state, ts);
  case VC__WIRE__CONTROL__MSG_SUBSCRIBE:
    /* Not sent on, but it may ask every sender for another layer set:
     * about as many bytes out as the list has in. */
    rv = vc__room_limit(r, s, VC_ROOM_LIMIT_SUBSCRIBE, r->rx_len, ts);
    return rv ? rv : on_subscribe(r, s, c->subscribe, ts);
  case VC__WIRE__CONTROL__MSG_CHAT:
    return vc__room_chat_receive(r, s, c->chat, ts);
  case VC__WIRE__CONTROL__MSG_HOST_ACTION:
    /* A removal or a transfer goes to everyone (twice, a transfer). */
    rv = vc__room_limit(r, s, VC_ROOM_LIMIT_HOST_ACTION,
                        (uint64_t)r->rx_len * 2 * r->n_sessions, ts);
    return rv ? rv : on_host_action(r, s, c->host_action, ts);
  case VC__WIRE__CONTROL__MSG_LEAVE:
    vc__room_remove(r, s, VC__WIRE__LEAVE_REASON__LEAVE_REASON_LEFT, ts);
    return 0;
  case VC__WIRE__CONTROL__MSG_KEYFRAME_REQUEST:
  case VC__WIRE__CONTROL__MSG_KEY_ANNOUNCE:
  case VC__WIRE__CONTROL__MSG_KEY_DELIVERY:
    return vc__room_relay(r, s, c, ts);
  case VC__WIRE__CONTROL__MSG_RECEIVER_REPORT:
    return 0; /* congestion signals to senders: issue 7 */
  case VC__WIRE__CONTROL__MSG_JOIN:
    vc__room_send_error(r, s->conn, VC__WIRE__ERROR_CODE__ERROR_CODE_MALFORMED,
                        "already joined on this connection");
    return VC_ERR_STATE;
  default:
    vc__room_send_error(r, s->conn, VC__WIRE__ERROR_CODE__ERROR_CODE_MALFORMED,
                        "a server message sent by a client");
    return VC_ERR_MALFORMED;
  }
}

/* ---- media ------------------------------------------------------------- */

/* One sender's media budget: refilled continuously, capped at a second's
 * worth, so a flood is cut to the limit instead of multiplied by the
 * number of receivers. */
static int within_media_rate(vc_room *r, vc__room_session *s, size_t len,
                             vc_tstamp ts) {
  uint64_t rate = r->limits.media_bytes_per_second;

  if (rate == 0) {
    return 1;
  }
  if (s->media_refill_at == 0) {
    s->media_tokens = rate;
  } else if (ts > s->media_refill_at) {
    s->media_tokens += (ts - s->media_refill_at) * rate / 1000000000u;
  }
  s->media_refill_at = ts;
  if (s->media_tokens > rate) {
    s->media_tokens = rate;
  }
  if (s->media_tokens < len) {
    return 0;
  }
  s->media_tokens -= len;
  return 1;
}

/* |to| lost this video packet (|pass| from vc__room_layers_pass): the
 * deltas after it wait for a keyframe, which the sender is asked for.
 * A lost switch keyframe leaves the layer it gets whole. */
static void video_lost(vc_room *r, vc__room_session *from,
                       const vc__room_session *to, vc__room_sub *sub,
                       const vc_route *route, int pass, vc_tstamp ts) {
  if (pass != VC__ROOM_SWITCH) {
    sub->skip_deltas = 1;
  }
  vc__room_layers_ask_keyframe(r, from, to, sub, route->kind, route->layer, ts);
}

/*
 * Audio and data go to everyone, video to its subscribers. A full queue
 * drops the packet, not the receiver. For video the frames after a
 * dropped one cannot be decoded: they are not sent either (they would
 * only fill the queue that is already too full) until the next keyframe,
 * which the room asks the sender for, again with every delta it holds
 * back: the keyframe that answered the last request may have been
 * dropped too, and the receiver, sent nothing, cannot ask for itself.
 */
static void forward_media(vc_room *r, vc__room_session *from,
                          const vc_route *route, const uint8_t *frame,
                          size_t len, vc_tstamp ts) {
  int video = vc__room_is_picture(route->kind);
  size_t i;

  for (i = 0; i < r->n_sessions; i++) {
    vc__room_session *s = &r->sessions[i];
    vc__room_sub *sub = NULL;
    int pass = VC__ROOM_PASS;
    if (s == from || !s->conn) {
      continue;
    }
    if (video) {
      sub = vc__room_find_sub(s, route->sender_session, route->kind);
      pass = sub ? vc__room_layers_pass(r, from, s, sub, route, ts)
                 : VC__ROOM_HOLD;
      if (pass == VC__ROOM_HOLD) {
        continue;
      }
      if (sub->skip_deltas && !route->keyframe) {
        r->stats.video_skipped_until_keyframe++;
        vc__room_layers_ask_keyframe(r, from, s, sub, route->kind, route->layer,
                                     ts);
        continue;
      }
      if (vc__room_congestion_over_budget(r, s)) {
        /* Its queue is already seconds deep at what its path carries:
         * a fresh keyframe later beats this frame arriving late. */
        r->stats.video_dropped_queue_delay++;
        vc__room_congestion_count(s, len, 1);
        video_lost(r, from, s, sub, route, pass, ts);
        continue;
      }
    }
    if (r->cb.send(r->cb.user_data, s->conn, frame, len,
                   route->kind == VC_STREAM_KIND_AUDIO
                       ? VC_ROOM_SEND_MEDIA_DATAGRAM
                       : VC_ROOM_SEND_MEDIA) != 0) {
      vc__room_congestion_count(s, len, 1);
      if (video) {
        video_lost(r, from, s, sub, route, pass, ts);
      }
      continue;
    }
    if (video) {
      sub->skip_deltas = 0; /* a keyframe ends the wait */
      if (pass == VC__ROOM_SWITCH) {
        vc__room_layers_switched(r, s, sub, route->layer, ts);
      }
    }
    vc__room_congestion_count(s, len, 0);
    r->stats.media_forwarded++;
  }
}

/* ---- entry points ------------------------------------------------------ */

int vc_room_receive(vc_room *r, vc_conn_id conn, const uint8_t *frame,
                    size_t len, vc_tstamp ts) {
  Vc__Wire__Control *c;
  vc__room_session *s;
  vc_route route;
  vc_ssize n;
  int rv;

  r->stats.frames_in++;
  n = vc_envelope_decode(&route, r->payload, VC_ENVELOPE_MAX_PAYLOAD_LEN, frame,
                         len);
  if (n < 0) {
    r->stats.frames_refused++;
    vc__room_send_error(
        r, conn,
        n == VC_ERR_UNSUPPORTED_VERSION
            ? VC__WIRE__ERROR_CODE__ERROR_CODE_UNSUPPORTED_VERSION
            : VC__WIRE__ERROR_CODE__ERROR_CODE_MALFORMED,
        vc_strerror((int)n));
    return (int)n;
  }
  s = find_by_conn(r, conn, route.sender_session);
  if (s) {
    s->last_rx = ts;
  }
  if (route.kind != VC_STREAM_KIND_CONTROL) {
    if (!s) {
      r->stats.frames_refused++;
      return VC_ERR_STATE; /* media before joining: dropped quietly */
    }
    if (route.sender_session != s->id) {
      r->stats.media_spoofed++;
      return VC_ERR_INVALID_ARGUMENT;
    }
    if (!within_media_rate(r, s, len, ts)) {
      r->stats.media_over_rate++;
      return VC_ERR_QUEUE_FULL;
    }
    if (route.kind == VC_STREAM_KIND_AUDIO &&
        !vc__room_audio_selected(r, s, &route, ts)) {
      r->stats.audio_not_selected++;
      return 0; /* a quieter voice in a large room: not forwarded */
    }
    forward_media(r, s, &route, frame, len, ts);
    return 0;
  }
  r->rx_len = len;
  rv = vc_control_decode(r->dec, &c, r->payload, (size_t)n);
  if (rv == VC_ERR_UNKNOWN_MESSAGE) {
    return rv; /* a newer client's message: skipped, not an error */
  }
  if (rv != 0) {
    r->stats.frames_refused++;
    vc__room_send_error(r, conn, VC__WIRE__ERROR_CODE__ERROR_CODE_MALFORMED,
                        vc_control_decoder_reason(r->dec));
    return rv;
  }
  if (!s) {
    if (c->msg_case != VC__WIRE__CONTROL__MSG_JOIN) {
      r->stats.frames_refused++;
      vc__room_send_error(r, conn, VC__WIRE__ERROR_CODE__ERROR_CODE_NOT_JOINED,
                          "send Join first");
      return VC_ERR_STATE;
    }
    rv = on_join(r, conn, c->join, ts);
  } else {
    rv = on_control(r, s, c, ts);
  }
  if (rv != 0) {
    r->stats.frames_refused++;
  }
  return rv;
}

void vc_room_conn_closed(vc_room *r, vc_conn_id conn, vc_tstamp ts) {
  vc__room_session *s = find_by_conn(r, conn, 0);

  if (s) {
    detach(r, s, ts, 0);
  }
}

int vc_room_leave_by_token(vc_room *r, uint32_t id, const uint8_t *token,
                           size_t token_len, vc_tstamp ts) {
  vc__room_session *s = vc__room_find(r, id);

  if (!s || token_len != VC__ROOM_TOKEN_LEN ||
      !tokens_equal(s->token, token, VC__ROOM_TOKEN_LEN)) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  vc__room_remove(r, s, VC__WIRE__LEAVE_REASON__LEAVE_REASON_LEFT, ts);
  r->stats.beacon_leaves++;
  return 0;
}

vc_tstamp vc_room_get_expiry(const vc_room *r) {
  return r->next_heartbeat < r->next_sweep ? r->next_heartbeat : r->next_sweep;
}

void vc_room_handle_expiry(vc_room *r, vc_tstamp ts) {
  size_t i = 0;

  if (ts >= r->next_sweep) {
    r->next_sweep = ts + SWEEP_MS * MS;
    vc__room_limits_flush(r, ts);
  } else {
    i = r->n_sessions; /* only the heartbeat is due */
  }
  while (i < r->n_sessions) {
    vc__room_session *s = &r->sessions[i];
    if (s->conn && ts >= s->last_rx + r->limits.liveness_timeout_ms * MS) {
      detach(r, s, ts, 1); /* silent: its transport is as good as dead */
    }
    if (!s->conn && ts >= s->detached_at + r->limits.resume_grace_ms * MS) {
      vc__room_remove(r, s, VC__WIRE__LEAVE_REASON__LEAVE_REASON_TIMED_OUT, ts);
      continue; /* the next session moved into slot i */
    }
    i++;
  }
  if (ts >= r->next_heartbeat) {
    Vc__Wire__Control ctl;
    Vc__Wire__Heartbeat hb;
    vc__wire__control__init(&ctl);
    vc__wire__heartbeat__init(&hb);
    hb.chat_seq = r->chat_seq;
    ctl.msg_case = VC__WIRE__CONTROL__MSG_HEARTBEAT;
    ctl.heartbeat = &hb;
    vc__room_broadcast(r, &ctl, NULL, ts);
    r->next_heartbeat = ts + r->limits.heartbeat_interval_ms * MS;
    vc__room_congestion_tick(r, ts);
  }
  if (r->n_sessions == 0) {
    r->next_heartbeat = r->next_sweep = NEVER;
  }
}

void vc_room_shutdown(vc_room *r, vc_tstamp ts) {
  size_t i;

  for (i = 0; i < r->n_sessions; i++) {
    vc__room_session *s = &r->sessions[i];
    if (s->conn) {
      send_leave(r, s->conn,
                 VC__WIRE__LEAVE_REASON__LEAVE_REASON_SERVER_SHUTDOWN,
                 "the server is restarting; reconnecting");
      detach(r, s, ts, 1);
    }
  }
}
