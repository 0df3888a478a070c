/*
 * sim.c: the simulation engine (sim.h). One event heap ordered by (time,
 * insertion order) drives everything, and one seeded PRNG draws every
 * random choice, so a seed replays exactly.
 *
 * Model (docs/SIMULATION.md): each client has a path to the server with
 * a delay, jitter and loss. The control stream is reliable and ordered:
 * loss costs a resend delay, a partition holds frames until it heals, and
 * frames never overtake each other. Media are datagrams: lost, duplicated
 * and reordered freely. A connection closed by one side reaches the other
 * after the path delay, or never while partitioned; a crashed process or
 * server tells nobody.
 */
#define _GNU_SOURCE /* memmem */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

#include <vc/control.h>
#include <vc/wire.h>

enum ev_type {
  EV_ACTION,
  EV_TO_SERVER,
  EV_TO_CLIENT,
  EV_CONN_UP,
  EV_CONN_FAILED,
  EV_CLIENT_SEES_CLOSE,
  EV_SERVER_SEES_CLOSE,
  EV_SERVER_UP
};

typedef struct sim_event {
  vc_tstamp at;
  uint64_t order;
  enum ev_type type;
  int client;
  vc_conn_id conn;
  int reliable;
  uint64_t stream_seq; /* reliable frames: position in the stream */
  int tries;           /* close events: times postponed */
  uint8_t *data;
  size_t len;
  sim_action_fn fn;
} sim_event;

/* One direction of a connection's reliable stream. Frames travel (and
 * are resent) independently; the receiver hands them on strictly in
 * order, holding early arrivals, as a transport's reassembly does. */
typedef struct sim_stream {
  uint64_t tx;    /* next position to send */
  uint64_t rx;    /* next position to hand on */
  vc_tstamp last; /* latest arrival time scheduled */
  sim_event *held;
  size_t n_held, cap_held;
} sim_stream;

enum { TO_SERVER = 0, TO_CLIENT = 1 };

typedef struct sim_conn {
  int client;
  int client_open; /* the client has not closed it */
  int server_open; /* the server has not closed it */
  sim_stream stream[2];
} sim_conn;

struct sim {
  vc_tstamp now;
  uint64_t rng;
  uint64_t order;
  sim_event *heap;
  size_t n_heap, cap_heap;
  sim_conn *conns; /* index = conn id - 1 */
  size_t n_conns, cap_conns;
  vc_room *room;
  vc_room_stats stopped; /* limit counters of rooms of earlier runs */
  int server_up;
  sim_client *clients;
  /* A tournament tree over the clients' next due times (meeting timer or
   * audio packet): the earliest of a thousand clients in O(1), updated in
   * O(log n) when one of them changes. Leaves start at |tree_base|. */
  vc_tstamp *tree;
  size_t tree_base;
  /* The room's expiry, cached: it changes only when the room is called. */
  vc_tstamp room_due;
  int n_clients;
  uint64_t hash;
  uint64_t events;
  int e2ee;              /* clients join with end-to-end encryption */
  uint64_t markers_seen; /* plaintext markers in bytes on the wire */
  uint8_t frame[VC_ENVELOPE_MAX_LEN];
};

/* ---- randomness and the heap ------------------------------------------- */

static uint64_t rnd(sim *s) {
  uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);

  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static double rnd_unit(sim *s) {
  return (double)(rnd(s) >> 11) / (double)(1ull << 53);
}

static int before(const sim_event *a, const sim_event *b) {
  return a->at < b->at || (a->at == b->at && a->order < b->order);
}

static void push(sim *s, sim_event ev) {
  size_t i;

  if (s->n_heap == s->cap_heap) {
    s->cap_heap = s->cap_heap ? 2 * s->cap_heap : 1024;
    s->heap = realloc(s->heap, s->cap_heap * sizeof(*s->heap));
    if (!s->heap) {
      abort();
    }
  }
  ev.order = s->order++;
  i = s->n_heap++;
  while (i > 0 && before(&ev, &s->heap[(i - 1) / 2])) {
    s->heap[i] = s->heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  s->heap[i] = ev;
}

static sim_event pop(sim *s) {
  sim_event top = s->heap[0], last = s->heap[--s->n_heap];
  size_t i = 0;

  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= s->n_heap) {
      break;
    }
    if (c + 1 < s->n_heap && before(&s->heap[c + 1], &s->heap[c])) {
      c++;
    }
    if (!before(&s->heap[c], &last)) {
      break;
    }
    s->heap[i] = s->heap[c];
    i = c;
  }
  if (s->n_heap > 0) {
    s->heap[i] = last;
  }
  return top;
}

static void mix(sim *s, uint64_t v) {
  int i;

  for (i = 0; i < 8; i++) {
    s->hash ^= (v >> (8 * i)) & 0xff;
    s->hash *= 0x100000001b3ull;
  }
}

/* ---- connections and the network --------------------------------------- */

static sim_conn *conn_of(sim *s, vc_conn_id id) {
  return id >= 1 && id <= s->n_conns ? &s->conns[id - 1] : NULL;
}

static vc_conn_id new_conn(sim *s, int client) {
  sim_conn *c;

  if (s->n_conns == s->cap_conns) {
    s->cap_conns = s->cap_conns ? 2 * s->cap_conns : 256;
    s->conns = realloc(s->conns, s->cap_conns * sizeof(*s->conns));
    if (!s->conns) {
      abort();
    }
  }
  c = &s->conns[s->n_conns++];
  memset(c, 0, sizeof(*c));
  c->client = client;
  c->client_open = c->server_open = 1;
  return (vc_conn_id)s->n_conns;
}

static int path_down(const sim *s, const sim_client *cl) {
  return cl->partitioned || !s->server_up;
}

/* One-way latency of one packet; |*lost| when it is lost. */
static vc_tstamp latency(sim *s, sim_client *cl, int *lost) {
  vc_tstamp d = cl->path.delay_ms * SIM_MS;

  if (cl->path.jitter_ms) {
    d += (rnd(s) % ((uint64_t)cl->path.jitter_ms * 1000 + 1)) * 1000;
  }
  *lost = 0;
  if (cl->burst_left > 0) {
    cl->burst_left--;
    *lost = 1;
  } else if (cl->path.loss > 0 && rnd_unit(s) < cl->path.loss) {
    *lost = 1;
    if (cl->path.burst > 0 && rnd_unit(s) < cl->path.burst) {
      cl->burst_left = 5;
    }
  }
  return d;
}

/* A resend after loss costs about three one-way delays (RTO). */
static vc_tstamp resend_delay(const sim_client *cl) {
  vc_tstamp d = 3 * cl->path.delay_ms * SIM_MS;

  return d < 50 * SIM_MS ? 50 * SIM_MS : d;
}

/* Every chat body carries this; it must never cross the server in the
 * clear when E2EE is on. */
static const char MARKER[] = "PLAINTEXT-MARKER";

static int holds_marker(const uint8_t *data, size_t len) {
  return len >= sizeof(MARKER) - 1 &&
         memmem(data, len, MARKER, sizeof(MARKER) - 1) != NULL;
}

static void transmit(sim *s, vc_conn_id id, int to_server, const uint8_t *data,
                     size_t len, int reliable) {
  sim_conn *c = conn_of(s, id);
  sim_client *cl = &s->clients[c->client];
  sim_stream *st = &c->stream[to_server ? TO_SERVER : TO_CLIENT];
  int copies = 1, lost, i;
  sim_event ev;

  if (holds_marker(data, len)) {
    s->markers_seen++;
    cl->markers_sent += to_server ? 1 : 0;
  }

  if (!reliable && rnd_unit(s) < cl->path.duplicate) {
    copies = 2;
  }
  for (i = 0; i < copies; i++) {
    vc_tstamp at = s->now + latency(s, cl, &lost);
    if (lost && !reliable) {
      continue;
    }
    if (lost) {
      at += resend_delay(cl);
    }
    memset(&ev, 0, sizeof(ev));
    if (reliable) {
      ev.stream_seq = st->tx++;
      st->last = at > st->last ? at : st->last;
    }
    ev.at = at;
    ev.type = to_server ? EV_TO_SERVER : EV_TO_CLIENT;
    ev.client = c->client;
    ev.conn = id;
    ev.reliable = reliable;
    ev.data = malloc(len);
    if (!ev.data) {
      abort();
    }
    memcpy(ev.data, data, len);
    ev.len = len;
    push(s, ev);
  }
}

static void schedule(sim *s, vc_tstamp at, enum ev_type type, int client,
                     vc_conn_id conn) {
  sim_event ev;

  memset(&ev, 0, sizeof(ev));
  ev.at = at;
  ev.type = type;
  ev.client = client;
  ev.conn = conn;
  push(s, ev);
}

/* ---- clients ------------------------------------------------------------ */

static void touch(sim *s, sim_client *cl) {
  vc_tstamp due = UINT64_MAX;
  size_t i = s->tree_base + (size_t)cl->idx;

  if (cl->m) {
    due = vc_meeting_get_expiry(cl->m);
    if (cl->loudness && cl->next_audio < due) {
      due = cl->next_audio;
    }
  }
  s->tree[i] = due;
  for (i /= 2; i >= 1; i /= 2) {
    vc_tstamp a = s->tree[2 * i], b = s->tree[2 * i + 1];
    s->tree[i] = a < b ? a : b;
  }
}

static void touch_room(sim *s) {
  s->room_due = s->room ? vc_room_get_expiry(s->room) : UINT64_MAX;
}

static void flush_client(sim *s, sim_client *cl) {
  vc_ssize n;
  int media;

  if (!cl->m) {
    touch(s, cl);
    return;
  }
  /* Control and video on the reliable stream, audio as datagrams
   * (WebTransport). */
  while ((n = vc_meeting_pop_frame_kind(cl->m, s->frame, sizeof(s->frame),
                                        &media)) > 0) {
    sim_conn *c = conn_of(s, cl->conn);
    if (c && cl->conn_up && c->client_open) {
      transmit(s, cl->conn, 1, s->frame, (size_t)n,
               media != VC_MEETING_FRAME_DATAGRAM);
    }
  }
  touch(s, cl);
}

/* The client closes its transport; the server hears of it one path delay
 * later if the path is up. */
static void client_close(sim *s, sim_client *cl) {
  sim_conn *c = conn_of(s, cl->conn);

  if (c && c->client_open) {
    c->client_open = 0;
    if (c->server_open && !path_down(s, cl)) {
      /* After everything already sent on the stream. */
      vc_tstamp at = s->now + cl->path.delay_ms * SIM_MS;
      schedule(s,
               at > c->stream[TO_SERVER].last ? at : c->stream[TO_SERVER].last,
               EV_SERVER_SEES_CLOSE, cl->idx, cl->conn);
    }
  }
  cl->conn = 0;
  cl->conn_up = 0;
}

static void client_connect(sim *s, sim_client *cl) {
  vc_tstamp rtt = 2 * cl->path.delay_ms * SIM_MS;

  client_close(s, cl);
  cl->conn = new_conn(s, cl->idx);
  if (path_down(s, cl)) {
    /* Refused by a down server at once; a partition times out. */
    schedule(s, s->now + (cl->partitioned ? 3 * SIM_S : rtt), EV_CONN_FAILED,
             cl->idx, cl->conn);
  } else {
    schedule(s, s->now + rtt + SIM_MS, EV_CONN_UP, cl->idx, cl->conn);
  }
}

static int user_index(const char *user) {
  return user[0] == 'u' ? atoi(user + 1) : -1;
}

static void on_event(void *user_data, const vc_meeting_event *ev) {
  sim_client *cl = user_data;
  sim *s = cl->owner;
  int who = ev->participant ? user_index(ev->participant->user) : -1;

  s->events++;
  mix(s, s->now);
  mix(s, (uint64_t)cl->idx << 32 | (uint64_t)ev->type);
  mix(s, (uint64_t)ev->session_id << 32 | (uint32_t)ev->reason);
  switch (ev->type) {
  case VC_MEETING_EVENT_JOINED:
    cl->joined = 1;
    cl->session_seen = ev->session_id;
    break;
  case VC_MEETING_EVENT_RECONNECTED:
    cl->session_seen = ev->session_id;
    cl->resumes += ev->resumed;
    break;
  case VC_MEETING_EVENT_PARTICIPANT_JOINED:
  case VC_MEETING_EVENT_PARTICIPANT_LEFT:
    if (who >= 0 && who < s->n_clients && !ev->snapshot) {
      cl->flicker[who]++;
    }
    if (who >= 0 && who < s->n_clients &&
        ev->type == VC_MEETING_EVENT_PARTICIPANT_LEFT) {
      cl->left_seen[who]++;
    }
    break;
  case VC_MEETING_EVENT_ACTIVE_SPEAKER:
    cl->speaker = ev->session_id;
    break;
  case VC_MEETING_EVENT_MEDIA:
    /* What arrives must be what was sent: opened, whole. */
    if (ev->media_len == 40 &&
        memcmp(ev->media, MARKER, sizeof(MARKER) - 1) == 0) {
      cl->media_received++;
    } else {
      cl->media_garbled++;
    }
    break;
  case VC_MEETING_EVENT_UNVERIFIED:
    if (who >= 0 && who < s->n_clients) {
      cl->unverified_seen[who]++;
    }
    break;
  case VC_MEETING_EVENT_CHAT: {
    int sender = -1, n = -1;
    char body[64];
    size_t len = ev->textlen < sizeof(body) - 1 ? ev->textlen : 0;
    memcpy(body, ev->text, len);
    body[len] = '\0';
    if (sscanf(body, "c%d:%d", &sender, &n) == 2 &&
        cl->n_chats < sizeof(cl->chats) / sizeof(cl->chats[0])) {
      cl->chats[cl->n_chats].sender = sender;
      cl->chats[cl->n_chats].n = n;
      cl->n_chats++;
    } else {
      cl->errors++;
    }
    cl->chats_acked += ev->chat_own;
    mix(s, ev->chat_seq ^ (uint64_t)sender << 40 ^ (uint64_t)n);
    break;
  }
  case VC_MEETING_EVENT_CONNECTION_LOST:
    cl->reconnects++;
    client_close(s, cl);
    break;
  case VC_MEETING_EVENT_CONNECT:
    client_connect(s, cl);
    break;
  case VC_MEETING_EVENT_ENDED:
    /* The transport closes after the last frame went (sim_leave), or the
     * server closes it. */
    cl->ended = 1;
    cl->joined = 0;
    break;
  default:
    break;
  }
}

/* ---- the server ---------------------------------------------------------- */

static int room_send(void *user_data, vc_conn_id id, const uint8_t *frame,
                     size_t len, int reliable) {
  sim *s = user_data;
  sim_conn *c = conn_of(s, id);

  if (!c || !c->server_open) {
    return VC_ERR_STATE;
  }
  transmit(s, id, 0, frame, len, reliable);
  return 0;
}

static void room_close(void *user_data, vc_conn_id id) {
  sim *s = user_data;
  sim_conn *c = conn_of(s, id);

  if (!c || !c->server_open) {
    return;
  }
  c->server_open = 0;
  if (c->client_open && !path_down(s, &s->clients[c->client])) {
    /* After everything already sent on the stream. */
    vc_tstamp at = s->now + s->clients[c->client].path.delay_ms * SIM_MS;
    schedule(s, at > c->stream[TO_CLIENT].last ? at : c->stream[TO_CLIENT].last,
             EV_CLIENT_SEES_CLOSE, c->client, id);
  }
}

/* Clients' key randomness: the sim's one PRNG, so runs replay. */
static void sim_random(void *user_data, uint8_t *buf, size_t len) {
  sim *s = ((sim_client *)user_data)->owner;
  size_t i;

  for (i = 0; i < len; i++) {
    buf[i] = (uint8_t)rnd(s);
  }
}

static void room_random(void *user_data, uint8_t *buf, size_t len) {
  sim *s = user_data;
  size_t i;

  for (i = 0; i < len; i++) {
    buf[i] = (uint8_t)rnd(s);
  }
}

static void server_start(sim *s) {
  vc_room_callbacks cb;

  cb.send = room_send;
  cb.close = room_close;
  cb.random = room_random;
  cb.user_data = s;
  cb.queued = NULL;
  if (vc_room_new(&s->room, "simroom", NULL, &cb) != 0) {
    abort();
  }
  s->server_up = 1;
}

/* Every connection is gone for the server; clients hear nothing. */
static void server_stop(sim *s) {
  vc_room_stats st;
  size_t i;
  int k;

  vc_room_get_stats(s->room, &st);
  for (k = 0; k < VC_ROOM_LIMIT_KINDS; k++) {
    s->stopped.rate_limited[k] += st.rate_limited[k];
  }
  s->stopped.removed_for_flooding += st.removed_for_flooding;
  vc_room_del(s->room);
  s->room = NULL;
  s->server_up = 0;
  for (i = 0; i < s->n_conns; i++) {
    s->conns[i].server_open = 0;
  }
}

/* ---- the loop ------------------------------------------------------------ */

static void hand_on(sim *s, sim_event *ev) {
  sim_conn *c = conn_of(s, ev->conn);
  sim_client *cl = &s->clients[ev->client];

  if (ev->type == EV_TO_SERVER) {
    if (c->server_open && s->room) {
      vc_room_receive(s->room, ev->conn, ev->data, ev->len, s->now);
    }
  } else if (c->client_open && cl->m && cl->conn == ev->conn) {
    vc_meeting_receive(cl->m, ev->data, ev->len, s->now);
    flush_client(s, cl);
  }
  free(ev->data);
}

static void deliver(sim *s, sim_event *ev) {
  sim_conn *c = conn_of(s, ev->conn);
  sim_client *cl = &s->clients[ev->client];
  sim_stream *st = &c->stream[ev->type == EV_TO_SERVER ? TO_SERVER : TO_CLIENT];
  size_t i;

  if (path_down(s, cl)) {
    if (ev->reliable && c->client_open && c->server_open) {
      sim_event again = *ev; /* resent until the partition heals */
      again.at = s->now + resend_delay(cl);
      push(s, again);
    } else {
      free(ev->data); /* a datagram, or a stream one side gave up */
    }
    return;
  }
  if (!ev->reliable) {
    hand_on(s, ev);
    return;
  }
  if (ev->stream_seq != st->rx) {
    if (st->n_held == st->cap_held) {
      st->cap_held = st->cap_held ? 2 * st->cap_held : 16;
      st->held = realloc(st->held, st->cap_held * sizeof(*st->held));
      if (!st->held) {
        abort();
      }
    }
    st->held[st->n_held++] = *ev; /* early: waits for the gap to fill */
    return;
  }
  st->rx++;
  hand_on(s, ev);
  for (i = 0; i < st->n_held;) {
    if (st->held[i].stream_seq == st->rx) {
      sim_event next = st->held[i];
      st->held[i] = st->held[--st->n_held];
      st->rx++;
      hand_on(s, &next);
      i = 0;
    } else {
      i++;
    }
  }
}

/* A close is seen after the stream's data, as a graceful close is. */
static int close_waits(sim *s, sim_event *ev, int dir) {
  sim_conn *c = conn_of(s, ev->conn);
  sim_stream *st = &c->stream[dir];

  if (st->rx < st->tx && ev->tries < 50) {
    sim_event again = *ev;
    again.at = s->now + resend_delay(&s->clients[ev->client]);
    again.tries++;
    push(s, again);
    return 1;
  }
  return 0;
}

static void dispatch(sim *s, sim_event *ev) {
  sim_client *cl = &s->clients[ev->client];
  sim_conn *c = conn_of(s, ev->conn);

  switch (ev->type) {
  case EV_ACTION:
    ev->fn(s, ev->client);
    break;
  case EV_TO_SERVER:
  case EV_TO_CLIENT:
    deliver(s, ev);
    break;
  case EV_CONN_UP:
    if (cl->m && cl->conn == ev->conn) {
      if (path_down(s, cl)) {
        vc_meeting_transport_lost(cl->m, s->now);
      } else {
        cl->conn_up = 1;
        vc_meeting_connected(cl->m, s->now);
      }
      flush_client(s, cl);
    }
    break;
  case EV_CONN_FAILED:
  case EV_CLIENT_SEES_CLOSE:
    if (ev->type == EV_CLIENT_SEES_CLOSE && close_waits(s, ev, TO_CLIENT)) {
      break;
    }
    if (cl->m && cl->conn == ev->conn) {
      c->client_open = 0;
      cl->conn = 0;
      cl->conn_up = 0;
      vc_meeting_transport_lost(cl->m, s->now);
    }
    break;
  case EV_SERVER_SEES_CLOSE:
    if (close_waits(s, ev, TO_SERVER)) {
      break;
    }
    if (c->server_open && s->room) {
      c->server_open = 0;
      vc_room_conn_closed(s->room, ev->conn, s->now);
    }
    break;
  case EV_SERVER_UP:
    server_start(s);
    break;
  }
  /* Whatever ran may have moved this client's or the room's timers. */
  if (ev->client >= 0 && ev->client < s->n_clients) {
    flush_client(s, &s->clients[ev->client]);
  }
  touch_room(s);
}

/* 20 ms of "audio": the marker and a sequence number, through the
 * meeting (sealed when E2EE is on), like the browser's Opus packets. */
static void send_audio(sim *s, sim_client *cl) {
  vc_media_frame f;
  uint8_t payload[40];
  uint32_t seq = cl->audio_seq++;

  cl->next_audio = s->now + 20 * SIM_MS;
  if (!cl->m || !cl->conn_up ||
      vc_meeting_get_phase(cl->m) != VC_MEETING_JOINED) {
    return;
  }
  memset(&f, 0, sizeof(f));
  memset(payload, 0xa5, sizeof(payload));
  memcpy(payload, MARKER, sizeof(MARKER) - 1);
  memcpy(payload + sizeof(MARKER), &seq, sizeof(seq));
  f.kind = VC_STREAM_KIND_AUDIO;
  f.audio_level = VC_AUDIO_LEVEL_SILENT - cl->loudness;
  f.timestamp_us = s->now / 1000;
  if (vc_meeting_send_media(cl->m, &f, payload, sizeof(payload), s->now) == 0) {
    cl->media_sent++;
  }
  flush_client(s, cl);
}

/* The earliest thing due: an event, a client's timer or audio packet,
 * or the room's timer. */
static vc_tstamp next_due(const sim *s) {
  vc_tstamp t = s->n_heap ? s->heap[0].at : UINT64_MAX;

  t = s->tree[1] < t ? s->tree[1] : t;
  return s->room_due < t ? s->room_due : t;
}

/* The client whose due time is the earliest (the tree's minimum). */
static sim_client *earliest_client(sim *s) {
  size_t i = 1;

  while (i < s->tree_base) {
    i = s->tree[2 * i] <= s->tree[2 * i + 1] ? 2 * i : 2 * i + 1;
  }
  return &s->clients[i - s->tree_base];
}

void sim_run_until(sim *s, vc_tstamp until) {
  vc_tstamp last = UINT64_MAX;
  uint64_t spins = 0;

  for (;;) {
    vc_tstamp t = next_due(s);
    if (t > until) {
      s->now = until;
      return;
    }
    if (t > s->now) {
      s->now = t;
    }
    /* A timer that never moves on would hang the test: fail instead. */
    spins = s->now == last ? spins + 1 : 0;
    last = s->now;
    if (spins > 1000000) {
      fprintf(stderr, "sim: stuck at %llu ns\n", (unsigned long long)s->now);
      abort();
    }
    while (s->tree[1] <= s->now) {
      sim_client *cl = earliest_client(s);
      if (cl->m && vc_meeting_get_expiry(cl->m) <= s->now) {
        vc_meeting_handle_expiry(cl->m, s->now);
      }
      if (cl->m && cl->loudness && cl->next_audio <= s->now) {
        send_audio(s, cl);
      }
      flush_client(s, cl);
      if (++spins > 1000000) {
        fprintf(stderr, "sim: u%d stuck at %llu ns\n", cl->idx,
                (unsigned long long)s->now);
        abort();
      }
    }
    if (s->room_due <= s->now) {
      vc_room_handle_expiry(s->room, s->now);
      touch_room(s);
    }
    while (s->n_heap && s->heap[0].at <= s->now) {
      sim_event ev = pop(s);
      dispatch(s, &ev);
    }
  }
}

/* ---- setup and actions ----------------------------------------------------
 */

sim *sim_new(uint64_t seed, int n_clients, const sim_path *path) {
  sim *s = calloc(1, sizeof(*s));
  int i;

  if (!s || n_clients > SIM_MAX_CLIENTS) {
    abort();
  }
  /* VC_SIM_E2EE=1 runs any scenario with end-to-end encryption on. */
  s->e2ee = getenv("VC_SIM_E2EE") && strcmp(getenv("VC_SIM_E2EE"), "1") == 0;
  s->rng = seed;
  s->hash = 0xcbf29ce484222325ull;
  s->n_clients = n_clients;
  s->clients = calloc((size_t)n_clients, sizeof(*s->clients));
  if (!s->clients) {
    abort();
  }
  for (i = 0; i < n_clients; i++) {
    sim_client *cl = &s->clients[i];
    cl->owner = s;
    cl->idx = i;
    cl->path = *path;
    snprintf(cl->user, sizeof(cl->user), "u%d", i);
  }
  for (s->tree_base = 1; s->tree_base < (size_t)n_clients; s->tree_base *= 2) {
  }
  s->tree = malloc(2 * s->tree_base * sizeof(*s->tree));
  if (!s->tree) {
    abort();
  }
  for (i = 0; i < (int)(2 * s->tree_base); i++) {
    s->tree[i] = UINT64_MAX;
  }
  server_start(s);
  touch_room(s);
  return s;
}

void sim_del(sim *s) {
  int i;

  while (s->n_heap) {
    sim_event ev = pop(s);
    free(ev.data);
  }
  for (i = 0; i < s->n_clients; i++) {
    vc_meeting_del(s->clients[i].m);
  }
  vc_room_del(s->room);
  for (i = 0; i < (int)s->n_conns; i++) {
    size_t d, k;
    for (d = 0; d < 2; d++) {
      sim_stream *st = &s->conns[i].stream[d];
      for (k = 0; k < st->n_held; k++) {
        free(st->held[k].data);
      }
      free(st->held);
    }
  }
  free(s->heap);
  free(s->tree);
  free(s->conns);
  free(s->clients);
  free(s);
}

vc_tstamp sim_now(const sim *s) {
  return s->now;
}
sim_client *sim_client_at(sim *s, int idx) {
  return &s->clients[idx];
}
int sim_n_clients(const sim *s) {
  return s->n_clients;
}
vc_room *sim_room(sim *s) {
  return s->room;
}
uint64_t sim_trace_hash(const sim *s) {
  return s->hash;
}
void sim_set_e2ee(sim *s, int on) {
  s->e2ee = on;
}
uint64_t sim_markers_seen(const sim *s) {
  return s->markers_seen;
}

uint64_t sim_events(const sim *s) {
  return s->events;
}

void sim_at(sim *s, vc_tstamp at, sim_action_fn fn, int arg) {
  sim_event ev;

  memset(&ev, 0, sizeof(ev));
  ev.at = at;
  ev.type = EV_ACTION;
  ev.client = arg;
  ev.fn = fn;
  push(s, ev);
}

void sim_join(sim *s, int idx) {
  sim_client *cl = &s->clients[idx];
  vc_meeting_config cfg;
  char name[32];

  memset(&cfg, 0, sizeof(cfg));
  snprintf(name, sizeof(name), "User %d", idx);
  cfg.meeting_id = "simroom";
  cfg.user = cl->user;
  cfg.display_name = name;
  cfg.max_simulcast_layers = 3;
  cfg.seed = s->rng ^ ((uint64_t)idx << 32);
  cfg.on_event = on_event;
  cfg.e2ee = s->e2ee && !cl->no_e2ee;
  cfg.random = sim_random;
  cfg.passphrase = cl->passphrase;
  cfg.user_data = cl;
  vc_meeting_del(cl->m);
  memset(cl->chats, 0, sizeof(cl->chats));
  cl->n_chats = 0;
  cl->ended = cl->joined = 0;
  if (vc_meeting_new(&cl->m, &cfg) != 0) {
    abort();
  }
  cl->alive = 1;
  client_connect(s, cl);
  flush_client(s, &s->clients[idx]);
}

void sim_leave(sim *s, int idx) {
  sim_client *cl = &s->clients[idx];

  if (cl->m) {
    vc_meeting_leave(cl->m, s->now);
    flush_client(s, cl);
    /* Closing right after the Leave: the stream delivers it first. */
    client_close(s, cl);
  }
}

void sim_crash(sim *s, int idx) {
  sim_client *cl = &s->clients[idx];
  sim_conn *c = conn_of(s, cl->conn);

  if (c) {
    c->client_open = 0; /* nobody is told */
  }
  vc_meeting_del(cl->m);
  cl->m = NULL;
  cl->alive = cl->joined = 0;
  cl->conn = 0;
  cl->conn_up = 0;
  cl->loudness = 0;
  flush_client(s, &s->clients[idx]);
}

void sim_drop_transport(sim *s, int idx) {
  sim_client *cl = &s->clients[idx];
  sim_conn *c = conn_of(s, cl->conn);

  if (!cl->m || !c) {
    return;
  }
  /* Both ends see the reset after a path delay. */
  schedule(s, s->now + cl->path.delay_ms * SIM_MS, EV_CLIENT_SEES_CLOSE, idx,
           cl->conn);
  schedule(s, s->now + cl->path.delay_ms * SIM_MS, EV_SERVER_SEES_CLOSE, idx,
           cl->conn);
}

void sim_partition(sim *s, int idx) {
  s->clients[idx].partitioned = 1;
}
void sim_heal(sim *s, int idx) {
  s->clients[idx].partitioned = 0;
}

void sim_server_crash(sim *s, uint32_t down_ms) {
  server_stop(s);
  schedule(s, s->now + down_ms * SIM_MS, EV_SERVER_UP, 0, 0);
  touch_room(s);
}

void sim_server_restart(sim *s, uint32_t down_ms) {
  vc_room_shutdown(s->room, s->now);
  server_stop(s);
  schedule(s, s->now + down_ms * SIM_MS, EV_SERVER_UP, 0, 0);
  touch_room(s);
}

void sim_chat(sim *s, int idx) {
  sim_client *cl = &s->clients[idx];
  char body[64];
  int len;

  if (!cl->m || cl->chats_sent >= SIM_MAX_CHATS) {
    return;
  }
  len = snprintf(body, sizeof(body), "c%d:%d %s", idx, cl->chats_sent, MARKER);
  if (vc_meeting_send_chat(cl->m, (const uint8_t *)body, (size_t)len, 0,
                           s->now / SIM_MS, s->now, NULL) == 0) {
    cl->chats_sent++;
  }
  flush_client(s, cl);
}

void sim_set_e2ee_off(sim *s, int idx, int off) {
  sim_client *cl = &s->clients[idx];
  vc_media_state st;

  memset(&st, 0, sizeof(st));
  st.e2ee_off = (uint8_t)(off != 0);
  if (cl->m && vc_meeting_set_media_state(cl->m, &st, s->now) == 0) {
    flush_client(s, cl);
  }
}

void sim_talk(sim *s, int idx, uint32_t loudness) {
  sim_client *cl = &s->clients[idx];

  cl->loudness = loudness;
  cl->next_audio = s->now;
  flush_client(s, &s->clients[idx]);
}

/* ---- checks ---------------------------------------------------------------
 */

int sim_check_rosters(sim *s, FILE *out) {
  int bad = 0, i, j;

  for (i = 0; i < s->n_clients; i++) {
    sim_client *a = &s->clients[i];
    if (!a->m || !a->joined ||
        vc_meeting_get_phase(a->m) != VC_MEETING_JOINED) {
      if (a->alive && a->joined) {
        fprintf(out, "  u%d is alive but not in the meeting (phase %d)\n", i,
                a->m ? (int)vc_meeting_get_phase(a->m) : -1);
        bad++;
      }
      continue;
    }
    for (j = 0; j < s->n_clients; j++) {
      sim_client *b = &s->clients[j];
      int want = j != i && b->m && b->joined &&
                 vc_meeting_get_phase(b->m) == VC_MEETING_JOINED;
      const vc_participant *p =
          want ? vc_meeting_find(a->m, vc_meeting_session_id(b->m)) : NULL;
      if (want && (!p || strcmp(p->user, b->user) != 0)) {
        fprintf(out, "  u%d does not see u%d (session %u)\n", i, j,
                vc_meeting_session_id(b->m));
        bad++;
      }
    }
    {
      size_t k, live = 0;
      for (k = 0; k < vc_meeting_roster_size(a->m); k++) {
        const vc_participant *p = vc_meeting_roster_at(a->m, k);
        int who = user_index(p->user);
        sim_client *b =
            who >= 0 && who < s->n_clients ? &s->clients[who] : NULL;
        if (b && b->m && b->joined &&
            vc_meeting_session_id(b->m) == p->session_id) {
          live++;
        } else {
          fprintf(out, "  u%d still shows %s (session %u)\n", i, p->user,
                  p->session_id);
          bad++;
        }
      }
      (void)live;
    }
  }
  return bad;
}

void sim_room_stats(const sim *s, vc_room_stats *st) {
  int k;

  memset(st, 0, sizeof(*st));
  if (s->room) {
    vc_room_get_stats(s->room, st);
  }
  for (k = 0; k < VC_ROOM_LIMIT_KINDS; k++) {
    st->rate_limited[k] += s->stopped.rate_limited[k];
  }
  st->removed_for_flooding += s->stopped.removed_for_flooding;
}
