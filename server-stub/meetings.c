/*
 * meetings.c: see meetings.h.
 */
#define _GNU_SOURCE
#include "meetings.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "log.h"

#define ROOM_TICK_S 0.05

typedef struct slot {
  const vc_meetings_port *port; /* NULL: free */
  void *conn;
} slot;

struct vc_meetings {
  struct ev_loop *loop;
  unsigned max_connections, n_attached;
  slot *slots;
  uint32_t *generations;
  vc_rooms *rooms;
  ev_timer room_timer;
};

vc_tstamp vc_meetings_now(void) {
  struct timespec t;

  clock_gettime(CLOCK_MONOTONIC, &t);
  return (vc_tstamp)t.tv_sec * 1000000000u + (vc_tstamp)t.tv_nsec;
}

static slot *slot_by_id(vc_meetings *m, vc_conn_id id) {
  uint32_t i = (uint32_t)(id & 0xffffffffu);
  uint32_t gen = (uint32_t)(id >> 32);

  if (i == 0 || i > m->max_connections || !m->slots[i - 1].port ||
      m->generations[i - 1] != gen) {
    return NULL;
  }
  return &m->slots[i - 1];
}

static int rooms_send(void *user_data, vc_conn_id id, const uint8_t *frame,
                      size_t len, int reliable) {
  slot *s = slot_by_id(user_data, id);

  return s ? s->port->send(s->conn, frame, len, reliable) : VC_ERR_STATE;
}

static size_t rooms_queued(void *user_data, vc_conn_id id) {
  slot *s = slot_by_id(user_data, id);

  return s && s->port->queued ? s->port->queued(s->conn) : 0;
}

static void rooms_close(void *user_data, vc_conn_id id) {
  slot *s = slot_by_id(user_data, id);

  if (s) {
    s->port->close(s->conn);
  }
}

static void rooms_random(void *user_data, uint8_t *buf, size_t len) {
  size_t got = 0;

  (void)user_data;
  while (got < len) {
    ssize_t n = getrandom(buf + got, len - got, 0);
    if (n < 0 && errno != EINTR) {
      /* Without randomness resume tokens would be guessable: stop. */
      vc_log(VC_LOG_ERROR, "getrandom failed: %s", strerror(errno));
      abort();
    }
    got += n > 0 ? (size_t)n : 0;
  }
}

static void on_room_timer(struct ev_loop *loop, ev_timer *w, int revents) {
  vc_meetings *m = w->data;
  vc_tstamp ts = vc_meetings_now();

  (void)loop;
  (void)revents;
  if (vc_rooms_get_expiry(m->rooms) <= ts) {
    vc_rooms_handle_expiry(m->rooms, ts);
  }
}

int vc_meetings_new(vc_meetings **pm, struct ev_loop *loop,
                    const vc_rooms_limits *limits, unsigned max_connections) {
  vc_meetings *m;
  vc_room_callbacks cb;

  if (!pm || !loop || !limits || max_connections == 0) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  m = calloc(1, sizeof(*m));
  if (!m) {
    return VC_ERR_NOMEM;
  }
  m->loop = loop;
  m->max_connections = max_connections;
  m->slots = calloc(max_connections, sizeof(*m->slots));
  m->generations = calloc(max_connections, sizeof(*m->generations));
  cb.send = rooms_send;
  cb.close = rooms_close;
  cb.random = rooms_random;
  cb.user_data = m;
  cb.queued = rooms_queued;
  if (!m->slots || !m->generations ||
      vc_rooms_new(&m->rooms, limits, &cb) != 0) {
    free(m->slots);
    free(m->generations);
    free(m);
    return VC_ERR_NOMEM;
  }
  ev_timer_init(&m->room_timer, on_room_timer, ROOM_TICK_S, ROOM_TICK_S);
  m->room_timer.data = m;
  ev_timer_start(loop, &m->room_timer);
  *pm = m;
  return 0;
}

void vc_meetings_del(vc_meetings *m) {
  if (!m) {
    return;
  }
  ev_timer_stop(m->loop, &m->room_timer);
  vc_rooms_del(m->rooms);
  free(m->slots);
  free(m->generations);
  free(m);
}

int vc_meetings_attach(vc_meetings *m, const vc_meetings_port *port, void *conn,
                       vc_rooms_conn *rc) {
  unsigned i;

  for (i = 0; i < m->max_connections && m->slots[i].port; i++) {
  }
  if (i == m->max_connections) {
    return VC_ERR_QUEUE_FULL;
  }
  m->slots[i].port = port;
  m->slots[i].conn = conn;
  m->n_attached++;
  memset(rc, 0, sizeof(*rc));
  rc->id = (vc_conn_id)m->generations[i] << 32 | (i + 1);
  return 0;
}

void vc_meetings_receive(vc_meetings *m, vc_rooms_conn *rc,
                         const uint8_t *frame, size_t len) {
  vc_rooms_receive(m->rooms, rc, frame, len, vc_meetings_now());
}

void vc_meetings_detach(vc_meetings *m, vc_rooms_conn *rc) {
  uint32_t i = (uint32_t)(rc->id & 0xffffffffu);

  if (!slot_by_id(m, rc->id)) {
    return;
  }
  vc_rooms_conn_closed(m->rooms, rc, vc_meetings_now());
  m->slots[i - 1].port = NULL;
  m->slots[i - 1].conn = NULL;
  m->generations[i - 1]++;
  m->n_attached--;
  rc->id = 0;
}

int vc_meetings_leave_by_token(vc_meetings *m, const char *meeting_id,
                               uint32_t session, const uint8_t *token,
                               size_t token_len) {
  return vc_rooms_leave_by_token(m->rooms, meeting_id, session, token,
                                 token_len, vc_meetings_now());
}

void vc_meetings_shutdown(vc_meetings *m) {
  vc_rooms_shutdown(m->rooms, vc_meetings_now());
}

unsigned vc_meetings_attached(const vc_meetings *m) {
  return m->n_attached;
}

void vc_meetings_get_stats(const vc_meetings *m, vc_rooms_stats *st) {
  vc_rooms_get_stats(m->rooms, st);
}
