/*
 * ws_server.c: see ws_server.h.
 *
 * Nothing is torn down while the rooms are running: the rooms' callbacks
 * (through meetings.h) only queue bytes or mark a connection to close,
 * and connections marked dead are reaped at the end of each event
 * handler.
 *
 * Queued bytes are written by an ev_prepare watcher, once per loop
 * iteration, just before the loop waits: everything the iteration queued
 * for a connection leaves in one send(), whichever transport's handler
 * queued it, and the connection is watched for writability only when
 * the kernel takes less than all of it (bench/relay.sh: arming and
 * disarming EV_WRITE for each forwarded message cost two epoll_ctl calls
 * and a loop iteration each).
 */
#define _GNU_SOURCE
#include "ws_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vc/frame.h>
#include <vc/wire.h>

#include "log.h"
#include "ws_frame.h"

#define READ_CHUNK 65536
/*
 * What one connection may read per wake-up of the loop: bytes, and
 * messages (envelopes and control frames). Without a budget a client that
 * sends faster than the server parses kept the loop in its read for
 * seconds: timers, heartbeats and every other connection waited (issue
 * 20, finding 1). The message budget is checked between WebSocket
 * messages (one message may hold many envelopes, up to its 256 KiB), the
 * byte budget between reads. Bytes read but not yet parsed when the
 * budget runs out wait in a buffer of the connection's own (|held|, at
 * most READ_CHUNK, allocated only then and freed when drained), and the
 * connection goes on a list that the prepare watcher serves once an
 * iteration, after the others had their turn (see resume_reads); so do
 * bytes TLS has already decrypted, which no poll would announce.
 */
#define READ_BUDGET_BYTES ((size_t)64 * 1024)
#define READ_BUDGET_MESSAGES 64
#define OUT_INITIAL 16384
/*
 * Memory before Join (issue 20, finding 6: an upgraded socket that never
 * joined held a 256 KiB message buffer and a 256 KiB envelope buffer,
 * about 375 kB resident, 750 MB at the connection cap). Until its Join
 * is read a connection has an 8 KiB message buffer (a Join is a few
 * hundred bytes; a longer message is closed 1009), shares one envelope
 * buffer with every other such connection (so an envelope must end in
 * the message it starts in: the web client and the native ones send one
 * envelope a message), and starts its output buffer at 1 KiB. The full
 * buffers come with the Join.
 */
#define PREJOIN_READER_BUF ((size_t)8 * 1024)
#define OUT_PREJOIN 1024
#define READER_BUF (VC_WS_MAX_MESSAGE_LEN + VC_WS_MAX_CONTROL_LEN)
/* The kernel's send buffer per connection. Kept small on purpose: bytes
 * there cannot be dropped or reordered, so a large one only delays media
 * to a slow reader; our own queue (with its drop policy) takes over. */
#define SOCKET_SNDBUF (256 * 1024)

typedef struct ws_conn {
  vc_ws_server *srv;
  vc_rooms_conn rc;
  int fd;
  vc_byte_stream stream; /* over fd: in the clear or TLS */
  ev_io io;
  ev_timer timer;
  int watching; /* the events the watcher is started with; 0: none */
  char peer[64];
  vc_ws_reader reader;
  uint8_t *reader_buf; /* PREJOIN_READER_BUF, then READER_BUF */
  vc_frame_reader frames;
  uint8_t *frame_buf; /* NULL before Join: the server's shared one */
  int grow_reader;    /* joined: move to READER_BUF after this message */
  uint8_t *out;
  size_t out_len, out_off, out_cap;
  int closing;   /* send what is queued, then close */
  int dead;      /* close now, at the next reap */
  int dirty;     /* on the server's list of connections with bytes to send */
  int resume;    /* on the list of connections with input left to parse */
  uint8_t *held; /* read, not parsed: the budget ran out (READ_CHUNK) */
  size_t held_len, held_off;
  unsigned n_messages; /* read this wake-up, for READ_BUDGET_MESSAGES */
  struct ws_conn *next_dead;
  struct ws_conn *next_dirty;
  struct ws_conn *next_resume;
  struct ws_conn *prev, *next; /* every connection, for shutdown */
} ws_conn;

struct vc_ws_server {
  struct ev_loop *loop;
  vc_ws_server_config cfg;
  vc_meetings *meetings;
  ws_conn *conns;
  unsigned n_conns;
  ws_conn *dead;
  ws_conn *dirty;
  ws_conn *resumes;    /* budget spent with input left to parse */
  ev_prepare prepare;  /* resumes reads, writes the dirty connections */
  ev_idle resume_idle; /* keeps the loop from sleeping while |resumes| */
  vc_ws_server_stats stats;
  uint8_t chunk[READ_CHUNK];
  /* Every connection's envelope buffer until it joins. Never holds
   * anything between two messages (see PREJOIN_READER_BUF), so sharing
   * it mixes nothing; untouched pages of it cost nothing. */
  uint8_t prejoin_frame_buf[VC_ENVELOPE_MAX_LEN];
};

void vc_ws_server_default_config(vc_ws_server_config *cfg) {
  cfg->max_connections = 2048;
  cfg->max_out_bytes = (size_t)2 * 1024 * 1024;
  cfg->media_drop_bytes = (size_t)256 * 1024;
  cfg->join_timeout_s = 10;
  cfg->idle_timeout_s = 60;
}

/* Sets the watcher to what the connection waits for now. Each change is
 * an epoll_ctl system call (a fifth of the server's time in a room of 200
 * when it was made for every queued message), so it is made only when
 * the events differ. */
static void conn_watch(ws_conn *c) {
  int events = EV_READ | (c->out_len > c->out_off ? EV_WRITE : 0);

  if (c->closing) {
    events &= ~EV_READ; /* nothing more is read from a closing peer */
  }
  if (events == c->watching) {
    return;
  }
  c->watching = events;
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
  cap = c->out_cap ? c->out_cap : c->frame_buf ? OUT_INITIAL : OUT_PREJOIN;
  for (; cap < live + more; cap *= 2) {
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
  if (!c->dirty && !c->dead) {
    c->dirty = 1;
    c->next_dirty = c->srv->dirty;
    c->srv->dirty = c;
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

/* ---- the rooms' way to a connection (meetings.h) -------------------- */

static size_t port_queued(void *conn) {
  const ws_conn *c = conn;

  return c->out_len - c->out_off;
}

static int port_send(void *conn, const uint8_t *frame, size_t len,
                     int reliable) {
  ws_conn *c = conn;
  vc_ws_server *ws = c->srv;
  uint8_t prefix[VC_FRAME_MAX_HEADER_LEN];
  vc_ssize p;
  int rv;

  if (c->closing || c->dead) {
    return VC_ERR_STATE;
  }
  if (reliable != VC_ROOM_SEND_CONTROL &&
      port_queued(c) > ws->cfg.media_drop_bytes) {
    ws->stats.media_dropped++; /* late media is useless: drop, not queue */
    return VC_ERR_QUEUE_FULL;
  }
  p = vc_frame_write_header(prefix, sizeof(prefix), len);
  if (p < 0) {
    return (int)p;
  }
  rv = queue_ws_message(c, VC_WS_BINARY, prefix, (size_t)p, frame, len);
  if (rv != 0) {
    if (reliable == VC_ROOM_SEND_CONTROL) {
      ws->stats.control_refused++;
    } else {
      ws->stats.media_dropped++;
    }
    return rv;
  }
  ws->stats.frames_out++;
  return 0;
}

static void port_close(void *conn) {
  conn_close_gracefully(conn, 1000, "");
}

static const vc_meetings_port ws_port = {port_send, port_close, port_queued};

/* ---- teardown ------------------------------------------------------------ */

static void conn_free(ws_conn *c) {
  vc_ws_server *ws = c->srv;
  ws_conn **d;

  for (d = &ws->dirty; c->dirty && *d; d = &(*d)->next_dirty) {
    if (*d == c) {
      *d = c->next_dirty;
      break;
    }
  }
  for (d = &ws->resumes; c->resume && *d; d = &(*d)->next_resume) {
    if (*d == c) {
      *d = c->next_resume;
      break;
    }
  }
  vc_meetings_detach(ws->meetings, &c->rc);
  ev_io_stop(ws->loop, &c->io);
  ev_timer_stop(ws->loop, &c->timer);
  vc_byte_stream_close(&c->stream);
  if (c->prev) {
    c->prev->next = c->next;
  } else {
    ws->conns = c->next;
  }
  if (c->next) {
    c->next->prev = c->prev;
  }
  ws->n_conns--;
  free(c->reader_buf);
  free(c->frame_buf);
  free(c->held);
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

/* The Join was read: the connection gets buffers of its own, sized for
 * any envelope, and the idle timeout instead of the join deadline. Called
 * between two envelopes, so the envelope reader holds nothing. */
static void conn_joined(ws_conn *c) {
  vc_ws_server *ws = c->srv;

  c->frame_buf = malloc(VC_ENVELOPE_MAX_LEN);
  if (!c->frame_buf || vc_frame_reader_init(&c->frames, c->frame_buf,
                                            VC_ENVELOPE_MAX_LEN) != 0) {
    conn_close_gracefully(c, 1011, "out of memory");
    return;
  }
  c->grow_reader = 1; /* the message being read lives in reader_buf */
  ev_timer_stop(ws->loop, &c->timer);
  ev_timer_set(&c->timer, ws->cfg.idle_timeout_s, 0.);
  ev_timer_start(ws->loop, &c->timer);
}

/* Between two messages: the message buffer of a joined connection. */
static void conn_grow_reader(ws_conn *c) {
  uint8_t *buf = malloc(READER_BUF);

  c->grow_reader = 0;
  if (!buf || vc_ws_reader_grow(&c->reader, buf, READER_BUF) != 0) {
    free(buf);
    conn_close_gracefully(c, 1011, "out of memory");
    return;
  }
  free(c->reader_buf);
  c->reader_buf = buf;
}

/* One WebSocket binary message: the envelopes in it, in order. */
static void on_binary(ws_conn *c, const uint8_t *data, size_t len) {
  vc_ssize n = 1;

  while (len > 0 && !c->closing && !c->dead) {
    const uint8_t *frame;
    size_t used;
    n = vc_frame_read(&c->frames, &frame, data, len, &used);
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
      c->n_messages++;
      vc_meetings_receive(c->srv->meetings, &c->rc, frame, (size_t)n);
      if (!c->frame_buf && c->rc.slot && !c->closing && !c->dead) {
        conn_joined(c);
      }
    }
  }
  if (n == 0 && !c->frame_buf && !c->closing && !c->dead) {
    /* Half an envelope in the shared buffer: not before Join. */
    c->srv->stats.protocol_errors++;
    conn_close_gracefully(c, 1002, "an envelope split before Join");
  }
}

static void on_message(ws_conn *c, const vc_ws_message *msg) {
  if (msg->opcode != VC_WS_BINARY) {
    c->n_messages++; /* a binary one counts its envelopes instead */
  }
  switch (msg->opcode) {
  case VC_WS_BINARY:
    on_binary(c, msg->data, msg->len);
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

/* Parses what was read, up to the message budget; returns the bytes
 * used (all of them unless the budget ran out or the connection ends). */
static size_t conn_consume(ws_conn *c, const uint8_t *data, size_t len) {
  size_t total = 0;

  while (total < len && !c->closing && !c->dead &&
         c->n_messages < READ_BUDGET_MESSAGES) {
    vc_ws_message msg;
    size_t used = 0;
    int rv = vc_ws_read(&c->reader, &msg, data + total, len - total, &used);
    total += used;
    if (rv < 0) {
      c->srv->stats.protocol_errors++;
      conn_close_gracefully(c, vc_ws_reader_close_code(&c->reader),
                            "websocket protocol error");
      return len;
    }
    if (rv == 1) {
      on_message(c, &msg);
      if (c->grow_reader && !c->closing && !c->dead) {
        conn_grow_reader(c);
      }
    }
  }
  return total;
}

/* Keeps |data| (what the budget left unparsed) for the next turn. */
static int conn_hold(ws_conn *c, const uint8_t *data, size_t len) {
  if (!c->held && !(c->held = malloc(READ_CHUNK))) {
    conn_close_gracefully(c, 1011, "out of memory");
    return -1;
  }
  memmove(c->held, data, len); /* |data| may lie in |held| already */
  c->held_off = 0;
  c->held_len = len;
  return 0;
}

static void conn_resume_later(ws_conn *c) {
  vc_ws_server *ws = c->srv;

  if (c->resume) {
    return;
  }
  c->resume = 1;
  c->next_resume = ws->resumes;
  ws->resumes = c;
  if (!ev_is_active(&ws->resume_idle)) {
    ev_idle_start(ws->loop, &ws->resume_idle);
  }
}

/* Parses bytes held from an earlier turn; 1 when the budget ran out. */
static int conn_consume_held(ws_conn *c) {
  size_t used;

  if (c->held_off == c->held_len) {
    return 0;
  }
  used = conn_consume(c, c->held + c->held_off, c->held_len - c->held_off);
  c->held_off += used;
  if (c->held_off < c->held_len) {
    return 1;
  }
  free(c->held); /* drained: a flooder's buffer, not everyone's */
  c->held = NULL;
  c->held_off = c->held_len = 0;
  return 0;
}

static void conn_read(ws_conn *c) {
  vc_ws_server *ws = c->srv;
  size_t n_bytes = 0;

  c->n_messages = 0;
  if (conn_consume_held(c) || c->closing || c->dead) {
    if (!c->closing && !c->dead) {
      ws->stats.read_budget_spent++;
      conn_resume_later(c);
    }
    return;
  }
  while (n_bytes < READ_BUDGET_BYTES && c->n_messages < READ_BUDGET_MESSAGES) {
    size_t used;
    ssize_t n = vc_byte_stream_recv(&c->stream, ws->chunk, sizeof(ws->chunk));
    if (n == 0) {
      conn_kill(c, "peer closed");
      return;
    }
    if (n < 0) {
      if (n != VC_STREAM_AGAIN) {
        conn_kill(c, "read failed");
      }
      return;
    }
    n_bytes += (size_t)n;
    ws->stats.bytes_in += (size_t)n;
    /* Before Join the deadline runs from the upgrade: bytes that are not
     * a Join (pings, say) must not keep a connection waiting forever. */
    if (c->frame_buf) {
      ev_timer_stop(ws->loop, &c->timer);
      ev_timer_set(&c->timer, ws->cfg.idle_timeout_s, 0.);
      ev_timer_start(ws->loop, &c->timer);
    }
    used = conn_consume(c, ws->chunk, (size_t)n);
    if (c->closing || c->dead) {
      return;
    }
    if (used < (size_t)n &&
        conn_hold(c, ws->chunk + used, (size_t)n - used) != 0) {
      return;
    }
  }
  ws->stats.read_budget_spent++;
  /* Unparsed bytes, or bytes TLS decrypted: no poll wakes us for those. */
  if (c->held || vc_byte_stream_buffered(&c->stream) > 0) {
    conn_resume_later(c);
  }
}

/* One more budget for each connection whose TLS layer still holds
 * decrypted bytes; called once per loop iteration. */
static void resume_reads(vc_ws_server *ws) {
  ws_conn *list = ws->resumes;

  ws->resumes = NULL;
  while (list) {
    ws_conn *c = list;
    list = c->next_resume;
    c->resume = 0;
    if (!c->closing && !c->dead) {
      conn_read(c); /* may put it back on ws->resumes */
    }
  }
  if (!ws->resumes && ev_is_active(&ws->resume_idle)) {
    ev_idle_stop(ws->loop, &ws->resume_idle);
  }
}

/* Does nothing: while it is active the loop polls without sleeping, so
 * the prepare watcher resumes reads at the next iteration. */
static void on_resume_idle(struct ev_loop *loop, ev_idle *w, int revents) {
  (void)loop;
  (void)w;
  (void)revents;
}

/* ---- writing ------------------------------------------------------------- */

static void conn_write(ws_conn *c) {
  while (c->out_off < c->out_len) {
    ssize_t n = vc_byte_stream_send(&c->stream, c->out + c->out_off,
                                    c->out_len - c->out_off);
    if (n < 0) {
      if (n != VC_STREAM_AGAIN) {
        conn_kill(c, "write failed");
      } else {
        conn_watch(c);
      }
      return;
    }
    c->out_off += (size_t)n;
  }
  c->out_off = c->out_len = 0;
  if (c->closing) {
    vc_byte_stream_shutdown_write(&c->stream);
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

static void on_prepare(struct ev_loop *loop, ev_prepare *w, int revents) {
  vc_ws_server *ws = w->data;

  (void)loop;
  (void)revents;
  resume_reads(ws);
  while (ws->dirty) {
    ws_conn *c = ws->dirty;
    ws->dirty = c->next_dirty;
    c->dirty = 0;
    if (!c->dead) {
      conn_write(c);
    }
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
    if (!c->frame_buf) {
      c->srv->stats.join_timeouts++;
    }
    conn_close_gracefully(c, 1001, c->frame_buf ? "idle" : "no Join in time");
    ev_timer_set(&c->timer, 5., 0.); /* the close must drain by then */
    ev_timer_start(c->srv->loop, &c->timer);
  }
  reap(c->srv);
}

/* ---- the server -------------------------------------------------------- */

int vc_ws_server_new(vc_ws_server **pws, struct ev_loop *loop,
                     vc_meetings *meetings, const vc_ws_server_config *cfg) {
  vc_ws_server *ws = calloc(1, sizeof(*ws));

  if (!ws) {
    return VC_ERR_NOMEM;
  }
  ws->loop = loop;
  ws->meetings = meetings;
  ev_idle_init(&ws->resume_idle, on_resume_idle);
  ws->resume_idle.data = ws;
  ev_prepare_init(&ws->prepare, on_prepare);
  ws->prepare.data = ws;
  ev_prepare_start(loop, &ws->prepare);
  ev_unref(loop); /* the watcher alone must not keep the loop running */
  if (cfg) {
    ws->cfg = *cfg;
  } else {
    vc_ws_server_default_config(&ws->cfg);
  }
  *pws = ws;
  return 0;
}

void vc_ws_server_del(vc_ws_server *ws) {
  ws_conn *c;

  if (!ws) {
    return;
  }
  for (c = ws->conns; c; c = c->next) {
    if (!c->dead) {
      conn_kill(c, "server stopping");
    }
  }
  reap(ws);
  ev_idle_stop(ws->loop, &ws->resume_idle);
  ev_ref(ws->loop);
  ev_prepare_stop(ws->loop, &ws->prepare);
  free(ws);
}

int vc_ws_server_adopt(vc_ws_server *ws, const vc_byte_stream *stream,
                       const char *peer, const char *head, size_t head_len,
                       const uint8_t *pending, size_t pending_len) {
  ws_conn *c = NULL;
  vc_byte_stream s = *stream;
  int fd = s.fd;

  if (ws->n_conns >= ws->cfg.max_connections) {
    ws->stats.refused_too_many++;
    vc_log(VC_LOG_WARN, "ws %s: connection limit (%u) reached", peer,
           ws->cfg.max_connections);
    vc_byte_stream_close(&s);
    return -1;
  }
  c = calloc(1, sizeof(*c));
  if (c) {
    c->reader_buf = malloc(PREJOIN_READER_BUF);
  }
  if (!c || !c->reader_buf ||
      vc_ws_reader_init(&c->reader, c->reader_buf, PREJOIN_READER_BUF) != 0 ||
      vc_frame_reader_init(&c->frames, ws->prejoin_frame_buf,
                           sizeof(ws->prejoin_frame_buf)) != 0) {
    if (c) {
      free(c->reader_buf);
      free(c);
    }
    vc_byte_stream_close(&s);
    return -1;
  }
  {
    int sndbuf = SOCKET_SNDBUF, one = 1;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    /* Real-time messages go out as they are made: Nagle's algorithm
     * held small ones back for the peer's delayed ACK (a 4 ms median in
     * a room of 50, 17 ms in one of 200; bench/relay.sh). */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  if (vc_meetings_attach(ws->meetings, &ws_port, c, &c->rc) != 0) {
    ws->stats.refused_too_many++;
    vc_log(VC_LOG_WARN, "ws %s: the server's connection limit is reached",
           peer);
    free(c->reader_buf);
    free(c->frame_buf);
    free(c);
    vc_byte_stream_close(&s);
    return -1;
  }
  (void)vc_rooms_conn_set_source(&c->rc, peer); /* meetings per address */
  c->srv = ws;
  c->fd = fd;
  c->stream = s;
  snprintf(c->peer, sizeof(c->peer), "%s", peer);
  c->next = ws->conns;
  if (ws->conns) {
    ws->conns->prev = c;
  }
  ws->conns = c;
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
    size_t used;
    ws->stats.bytes_in += pending_len;
    used = conn_consume(c, pending, pending_len);
    if (used < pending_len && !c->closing && !c->dead &&
        conn_hold(c, pending + used, pending_len - used) == 0) {
      conn_resume_later(c);
    }
  }
  if (vc_byte_stream_buffered(&c->stream) > 0) {
    ev_feed_event(ws->loop, &c->io, EV_READ); /* decrypted, not announced */
  }
  reap(ws);
  return 0;
}

void vc_ws_server_shutdown(vc_ws_server *ws) {
  reap(ws);
}

/* What one connection holds on the heap, as allocated (pages of it never
 * written are not resident: an estimate from above). */
static size_t conn_bytes(const ws_conn *c) {
  return sizeof(*c) + c->out_cap +
         (c->frame_buf ? READER_BUF + VC_ENVELOPE_MAX_LEN : PREJOIN_READER_BUF);
}

void vc_ws_server_get_stats(const vc_ws_server *ws, vc_ws_server_stats *st) {
  const ws_conn *c;

  *st = ws->stats;
  st->connections = ws->n_conns;
  st->buffer_bytes = 0;
  st->prejoin = 0;
  for (c = ws->conns; c; c = c->next) {
    st->buffer_bytes += conn_bytes(c);
    st->prejoin += !c->frame_buf;
  }
  vc_meetings_get_stats(ws->meetings, &st->rooms);
}
