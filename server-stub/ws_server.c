/*
 * ws_server.c: see ws_server.h.
 *
 * Connection ids are (generation << 32 | slot): a room holding the id of a
 * connection that is gone finds no connection in that slot, or one of a
 * newer generation, and nothing is sent to the wrong peer.
 *
 * Nothing is torn down while the rooms are running: the rooms' callbacks
 * only queue bytes or mark a connection to close, and connections marked
 * dead are reaped at the end of each event handler.
 */
#define _GNU_SOURCE
#include "ws_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <vc/frame.h>
#include <vc/wire.h>

#include "log.h"
#include "ws_frame.h"

#define READ_CHUNK 65536
#define OUT_INITIAL 16384
#define ROOM_TICK_S 0.05
/* The kernel's send buffer per connection. Kept small on purpose: bytes
 * there cannot be dropped or reordered, so a large one only delays media
 * to a slow reader; our own queue (with its drop policy) takes over. */
#define SOCKET_SNDBUF (256 * 1024)

typedef struct ws_conn {
  vc_ws_server *srv;
  vc_rooms_conn rc;
  int fd;
  ev_io io;
  ev_timer timer;
  int watching_write;
  char peer[64];
  vc_ws_reader reader;
  uint8_t *reader_buf;
  vc_frame_reader frames;
  uint8_t *frame_buf;
  uint8_t *out;
  size_t out_len, out_off, out_cap;
  int closing; /* send what is queued, then close */
  int dead;    /* close now, at the next reap */
  struct ws_conn *next_dead;
} ws_conn;

struct vc_ws_server {
  struct ev_loop *loop;
  vc_ws_server_config cfg;
  ws_conn **table;
  uint32_t *generations;
  unsigned n_conns;
  ws_conn *dead;
  vc_rooms *rooms;
  ev_timer room_timer;
  vc_ws_server_stats stats;
  uint8_t chunk[READ_CHUNK];
};

void vc_ws_server_default_config(vc_ws_server_config *cfg) {
  cfg->max_connections = 2048;
  cfg->max_out_bytes = (size_t)2 * 1024 * 1024;
  cfg->media_drop_bytes = (size_t)256 * 1024;
  cfg->join_timeout_s = 10;
  cfg->idle_timeout_s = 60;
  vc_rooms_default_limits(&cfg->rooms);
}

static vc_tstamp now_ts(void) {
  struct timespec t;

  clock_gettime(CLOCK_MONOTONIC, &t);
  return (vc_tstamp)t.tv_sec * 1000000000u + (vc_tstamp)t.tv_nsec;
}

static ws_conn *conn_by_id(vc_ws_server *ws, vc_conn_id id) {
  uint32_t slot = (uint32_t)(id & 0xffffffffu);
  uint32_t gen = (uint32_t)(id >> 32);

  if (slot == 0 || slot > ws->cfg.max_connections) {
    return NULL;
  }
  if (!ws->table[slot - 1] || ws->generations[slot - 1] != gen) {
    return NULL;
  }
  return ws->table[slot - 1];
}

static void conn_watch(ws_conn *c) {
  int events = EV_READ | (c->out_len > c->out_off ? EV_WRITE : 0);

  if (c->closing) {
    events &= ~EV_READ; /* nothing more is read from a closing peer */
  }
  ev_io_stop(c->srv->loop, &c->io);
  ev_io_set(&c->io, c->fd, events);
  ev_io_start(c->srv->loop, &c->io);
}

static void conn_kill(ws_conn *c, const char *why) {
  if (c->dead) {
    return;
  }
  vc_log(VC_LOG_DEBUG, "ws %s closed: %s", c->peer, why);
  c->dead = 1;
  c->next_dead = c->srv->dead;
  c->srv->dead = c;
}

/* Appends bytes to the output buffer, growing it up to the cap. */
static int out_reserve(ws_conn *c, size_t more) {
  size_t live = c->out_len - c->out_off, cap;
  uint8_t *grown;

  if (c->out_off > 0 && c->out_len + more > c->out_cap) {
    memmove(c->out, c->out + c->out_off, live);
    c->out_len = live;
    c->out_off = 0;
  }
  if (c->out_len + more <= c->out_cap) {
    return 0;
  }
  if (live + more > c->srv->cfg.max_out_bytes) {
    return VC_ERR_QUEUE_FULL;
  }
  for (cap = c->out_cap ? c->out_cap : OUT_INITIAL; cap < live + more;
       cap *= 2) {
  }
  cap = cap < c->srv->cfg.max_out_bytes ? cap : c->srv->cfg.max_out_bytes;
  grown = realloc(c->out, cap);
  if (!grown) {
    return VC_ERR_NOMEM;
  }
  c->out = grown;
  c->out_cap = cap;
  return 0;
}

static int queue_ws_message(ws_conn *c, vc_ws_opcode op, const uint8_t *a,
                            size_t alen, const uint8_t *b, size_t blen) {
  vc_ssize h;
  int rv = out_reserve(c, VC_WS_MAX_HEADER_LEN + alen + blen);

  if (rv != 0) {
    return rv;
  }
  h = vc_ws_write_header(c->out + c->out_len, c->out_cap - c->out_len, op,
                         alen + blen);
  if (h < 0) {
    return (int)h;
  }
  c->out_len += (size_t)h;
  if (alen) {
    memcpy(c->out + c->out_len, a, alen);
    c->out_len += alen;
  }
  if (blen) {
    memcpy(c->out + c->out_len, b, blen);
    c->out_len += blen;
  }
  c->srv->stats.bytes_out += (size_t)h + alen + blen;
  if (!c->dead) {
    conn_watch(c);
  }
  return 0;
}

/* Queues a close frame and stops reading; the socket closes once the
 * queue is sent. */
static void conn_close_gracefully(ws_conn *c, uint16_t code,
                                  const char *reason) {
  uint8_t frame[VC_WS_MAX_HEADER_LEN + 125];
  vc_ssize n;

  if (c->closing || c->dead) {
    return;
  }
  n = vc_ws_write_close(frame, sizeof(frame), code, reason);
  c->closing = 1;
  if (n > 0 && out_reserve(c, (size_t)n) == 0) {
    memcpy(c->out + c->out_len, frame, (size_t)n);
    c->out_len += (size_t)n;
  }
  conn_watch(c);
}

/* ---- the rooms' callbacks --------------------------------------------- */

static int rooms_send(void *user_data, vc_conn_id id, const uint8_t *frame,
                      size_t len, int reliable) {
  vc_ws_server *ws = user_data;
  ws_conn *c = conn_by_id(ws, id);
  uint8_t prefix[VC_FRAME_MAX_HEADER_LEN];
  vc_ssize p;
  int rv;

  if (!c || c->closing || c->dead) {
    return VC_ERR_STATE;
  }
  if (!reliable && c->out_len - c->out_off > ws->cfg.media_drop_bytes) {
    ws->stats.media_dropped++; /* late media is useless: drop, not queue */
    return VC_ERR_QUEUE_FULL;
  }
  p = vc_frame_write_header(prefix, sizeof(prefix), len);
  if (p < 0) {
    return (int)p;
  }
  rv = queue_ws_message(c, VC_WS_BINARY, prefix, (size_t)p, frame, len);
  if (rv != 0) {
    if (reliable) {
      ws->stats.control_refused++;
    } else {
      ws->stats.media_dropped++;
    }
    return rv;
  }
  ws->stats.frames_out++;
  return 0;
}

static void rooms_close(void *user_data, vc_conn_id id) {
  ws_conn *c = conn_by_id(user_data, id);

  if (c) {
    conn_close_gracefully(c, 1000, "");
  }
}

static void rooms_random(void *user_data, uint8_t *buf, size_t len) {
  size_t got = 0;

  (void)user_data;
  while (got < len) {
    ssize_t n = getrandom(buf + got, len - got, 0);
    if (n < 0 && errno != EINTR) {
      /* Without randomness resume tokens would be guessable: stop. */
      vc_log(VC_LOG_ERROR, "ws: getrandom failed: %s", strerror(errno));
      abort();
    }
    got += n > 0 ? (size_t)n : 0;
  }
}

/* ---- teardown ------------------------------------------------------------ */

static void conn_free(ws_conn *c) {
  vc_ws_server *ws = c->srv;
  uint32_t slot = (uint32_t)(c->rc.id & 0xffffffffu);

  vc_rooms_conn_closed(ws->rooms, &c->rc, now_ts());
  ev_io_stop(ws->loop, &c->io);
  ev_timer_stop(ws->loop, &c->timer);
  close(c->fd);
  ws->table[slot - 1] = NULL;
  ws->generations[slot - 1]++;
  ws->n_conns--;
  free(c->reader_buf);
  free(c->frame_buf);
  free(c->out);
  free(c);
}

static void reap(vc_ws_server *ws) {
  while (ws->dead) {
    ws_conn *c = ws->dead;
    ws->dead = c->next_dead;
    conn_free(c);
  }
}

/* ---- reading ------------------------------------------------------------- */

/* One WebSocket binary message: the envelopes in it, in order. */
static void on_binary(ws_conn *c, const uint8_t *data, size_t len,
                      vc_tstamp ts) {
  while (len > 0 && !c->closing && !c->dead) {
    const uint8_t *frame;
    size_t used;
    vc_ssize n = vc_frame_read(&c->frames, &frame, data, len, &used);
    data += used;
    len -= used;
    if (n < 0) {
      c->srv->stats.protocol_errors++;
      conn_close_gracefully(c, n == VC_ERR_TOO_BIG ? 1009 : 1002,
                            "bad envelope framing");
      return;
    }
    if (n > 0) {
      c->srv->stats.frames_in++;
      vc_rooms_receive(c->srv->rooms, &c->rc, frame, (size_t)n, ts);
    }
  }
}

static void on_message(ws_conn *c, const vc_ws_message *msg, vc_tstamp ts) {
  switch (msg->opcode) {
  case VC_WS_BINARY:
    on_binary(c, msg->data, msg->len, ts);
    break;
  case VC_WS_PING:
    (void)queue_ws_message(c, VC_WS_PONG, msg->data, msg->len, NULL, 0);
    break;
  case VC_WS_CLOSE:
    conn_close_gracefully(c, 1000, "");
    break;
  case VC_WS_TEXT:
    c->srv->stats.protocol_errors++;
    conn_close_gracefully(c, 1003, "binary messages only");
    break;
  default:
    break; /* pongs */
  }
}

static void conn_consume(ws_conn *c, const uint8_t *data, size_t len) {
  vc_tstamp ts = now_ts();

  while (len > 0 && !c->closing && !c->dead) {
    vc_ws_message msg;
    size_t used = 0;
    int rv = vc_ws_read(&c->reader, &msg, data, len, &used);
    data += used;
    len -= used;
    if (rv < 0) {
      c->srv->stats.protocol_errors++;
      conn_close_gracefully(c, vc_ws_reader_close_code(&c->reader),
                            "websocket protocol error");
      return;
    }
    if (rv == 1) {
      on_message(c, &msg, ts);
    }
  }
}

static void conn_read(ws_conn *c) {
  vc_ws_server *ws = c->srv;

  for (;;) {
    ssize_t n = recv(c->fd, ws->chunk, sizeof(ws->chunk), 0);
    if (n == 0) {
      conn_kill(c, "peer closed");
      return;
    }
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno != EAGAIN) {
        conn_kill(c, "read failed");
      }
      return;
    }
    ws->stats.bytes_in += (size_t)n;
    ev_timer_stop(ws->loop, &c->timer);
    ev_timer_set(&c->timer,
                 c->rc.slot ? ws->cfg.idle_timeout_s : ws->cfg.join_timeout_s,
                 0.);
    ev_timer_start(ws->loop, &c->timer);
    conn_consume(c, ws->chunk, (size_t)n);
    if (c->closing || c->dead) {
      return;
    }
  }
}

/* ---- writing ------------------------------------------------------------- */

static void conn_write(ws_conn *c) {
  while (c->out_off < c->out_len) {
    ssize_t n =
        send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno != EAGAIN) {
        conn_kill(c, "write failed");
      }
      return;
    }
    c->out_off += (size_t)n;
  }
  c->out_off = c->out_len = 0;
  if (c->closing) {
    shutdown(c->fd, SHUT_WR);
    conn_kill(c, "closed after flushing");
    return;
  }
  conn_watch(c);
}

static void on_conn_io(struct ev_loop *loop, ev_io *w, int revents) {
  ws_conn *c = w->data;
  vc_ws_server *ws = c->srv;

  (void)loop;
  if ((revents & EV_READ) && !c->closing && !c->dead) {
    conn_read(c);
  }
  if ((revents & EV_WRITE) && !c->dead) {
    conn_write(c);
  }
  reap(ws);
}

static void on_conn_timer(struct ev_loop *loop, ev_timer *w, int revents) {
  ws_conn *c = w->data;

  (void)loop;
  (void)revents;
  if (c->closing) {
    conn_kill(c, "peer stopped reading while closing");
  } else {
    conn_close_gracefully(c, 1001, c->rc.slot ? "idle" : "no Join in time");
    ev_timer_set(&c->timer, 5., 0.); /* the close must drain by then */
    ev_timer_start(c->srv->loop, &c->timer);
  }
  reap(c->srv);
}

static void on_room_timer(struct ev_loop *loop, ev_timer *w, int revents) {
  vc_ws_server *ws = w->data;
  vc_tstamp ts = now_ts();

  (void)loop;
  (void)revents;
  if (vc_rooms_get_expiry(ws->rooms) <= ts) {
    vc_rooms_handle_expiry(ws->rooms, ts);
  }
  reap(ws);
}

/* ---- the server -------------------------------------------------------- */

int vc_ws_server_new(vc_ws_server **pws, struct ev_loop *loop,
                     const vc_ws_server_config *cfg) {
  vc_ws_server *ws = calloc(1, sizeof(*ws));
  vc_room_callbacks cb;

  if (!ws) {
    return VC_ERR_NOMEM;
  }
  ws->loop = loop;
  if (cfg) {
    ws->cfg = *cfg;
  } else {
    vc_ws_server_default_config(&ws->cfg);
  }
  ws->table = calloc(ws->cfg.max_connections, sizeof(*ws->table));
  ws->generations = calloc(ws->cfg.max_connections, sizeof(*ws->generations));
  cb.send = rooms_send;
  cb.close = rooms_close;
  cb.random = rooms_random;
  cb.user_data = ws;
  if (!ws->table || !ws->generations ||
      vc_rooms_new(&ws->rooms, &ws->cfg.rooms, &cb) != 0) {
    free(ws->table);
    free(ws->generations);
    free(ws);
    return VC_ERR_NOMEM;
  }
  ev_timer_init(&ws->room_timer, on_room_timer, ROOM_TICK_S, ROOM_TICK_S);
  ws->room_timer.data = ws;
  ev_timer_start(loop, &ws->room_timer);
  *pws = ws;
  return 0;
}

void vc_ws_server_del(vc_ws_server *ws) {
  unsigned i;

  if (!ws) {
    return;
  }
  for (i = 0; i < ws->cfg.max_connections; i++) {
    if (ws->table[i] && !ws->table[i]->dead) {
      conn_kill(ws->table[i], "server stopping");
    }
  }
  reap(ws);
  ev_timer_stop(ws->loop, &ws->room_timer);
  vc_rooms_del(ws->rooms);
  free(ws->table);
  free(ws->generations);
  free(ws);
}

int vc_ws_server_adopt(vc_ws_server *ws, int fd, const char *peer,
                       const char *head, size_t head_len,
                       const uint8_t *pending, size_t pending_len) {
  ws_conn *c = NULL;
  unsigned slot;

  for (slot = 0; slot < ws->cfg.max_connections && ws->table[slot]; slot++) {
  }
  if (slot == ws->cfg.max_connections) {
    ws->stats.refused_too_many++;
    vc_log(VC_LOG_WARN, "ws %s: connection limit (%u) reached", peer,
           ws->cfg.max_connections);
    close(fd);
    return -1;
  }
  c = calloc(1, sizeof(*c));
  if (c) {
    c->reader_buf = malloc(VC_WS_MAX_MESSAGE_LEN + 125);
    c->frame_buf = malloc(VC_ENVELOPE_MAX_LEN);
  }
  if (!c || !c->reader_buf || !c->frame_buf ||
      vc_ws_reader_init(&c->reader, c->reader_buf,
                        VC_WS_MAX_MESSAGE_LEN + 125) != 0 ||
      vc_frame_reader_init(&c->frames, c->frame_buf, VC_ENVELOPE_MAX_LEN) !=
          0) {
    if (c) {
      free(c->reader_buf);
      free(c->frame_buf);
      free(c);
    }
    close(fd);
    return -1;
  }
  {
    int sndbuf = SOCKET_SNDBUF;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  }
  c->srv = ws;
  c->fd = fd;
  c->rc.id = (vc_conn_id)ws->generations[slot] << 32 | (slot + 1);
  snprintf(c->peer, sizeof(c->peer), "%s", peer);
  ws->table[slot] = c;
  ws->n_conns++;
  ws->stats.upgrades++;
  ev_io_init(&c->io, on_conn_io, fd, EV_READ);
  c->io.data = c;
  ev_timer_init(&c->timer, on_conn_timer, ws->cfg.join_timeout_s, 0.);
  c->timer.data = c;
  ev_timer_start(ws->loop, &c->timer);
  if (out_reserve(c, head_len) == 0) {
    memcpy(c->out, head, head_len);
    c->out_len = head_len;
  }
  vc_log(VC_LOG_INFO, "ws %s: upgraded", peer);
  conn_watch(c);
  if (pending_len > 0) {
    ws->stats.bytes_in += pending_len;
    conn_consume(c, pending, pending_len);
  }
  reap(ws);
  return 0;
}

void vc_ws_server_shutdown(vc_ws_server *ws) {
  vc_rooms_shutdown(ws->rooms, now_ts());
  reap(ws);
}

void vc_ws_server_get_stats(const vc_ws_server *ws, vc_ws_server_stats *st) {
  *st = ws->stats;
  st->connections = ws->n_conns;
  vc_rooms_get_stats(ws->rooms, &st->rooms);
}
