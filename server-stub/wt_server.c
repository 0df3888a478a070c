/*
 * wt_server.c: see wt_server.h.
 *
 * Which pages may open a session: the browser sends the page's origin
 * with the CONNECT. A page served by this server has the same host name
 * as the session's authority (the port differs only when WebTransport
 * was given its own); loopback names count as one host, since the page
 * may be on http://localhost and the session on https://127.0.0.1.
 * Requests without an origin (native clients) are let in: the meeting's
 * end-to-end encryption, not the origin, is what keeps it private.
 */
#include "wt_server.h"

#include <stdlib.h>
#include <string.h>

#include <vc/frame.h>
#include <vc/wire.h>

#include "log.h"

#define MEETING_PATH "/meeting"
/* Audio whose framed envelope fits in this goes as a datagram (the
 * browser side uses the same limit): a lost packet then costs that one
 * frame, instead of holding up the stream behind it while QUIC resends.
 * Video stays on the stream (room.h, VC_ROOM_SEND_MEDIA_DATAGRAM). */
#define MAX_DATAGRAM_FRAME 1100

typedef struct wt_conn {
  vc_wt_server *srv;
  vc_wt_session *s;
  struct wt_conn *prev, *next; /* sessions not joined yet */
  ev_tstamp accepted_at;
  vc_rooms_conn rc;
  int64_t stream_id; /* the meeting stream; -1 until the client opens it */
  vc_frame_reader frames;
  uint8_t *frame_buf;
  int closing;
} wt_conn;

struct vc_wt_server {
  struct ev_loop *loop;
  ev_timer join_sweep;
  wt_conn *unjoined; /* newest first */
  vc_meetings *meetings;
  vc_wt_server_config cfg;
  vc_wt_server_stats stats;
  uint8_t out[VC_FRAME_MAX_HEADER_LEN + VC_ENVELOPE_MAX_LEN];
};

void vc_wt_server_default_config(vc_wt_server_config *cfg) {
  cfg->media_drop_bytes = (size_t)256 * 1024;
  cfg->join_timeout_s = 10;
}

static void unjoined_remove(wt_conn *c) {
  vc_wt_server *w = c->srv;

  if (c->prev) {
    c->prev->next = c->next;
  } else if (w->unjoined == c) {
    w->unjoined = c->next;
  }
  if (c->next) {
    c->next->prev = c->prev;
  }
  c->prev = c->next = NULL;
}

/* Once a second: sessions that were accepted but never joined a meeting
 * within join_timeout_s are closed (they hold a connection slot). */
static void on_join_sweep(struct ev_loop *loop, ev_timer *t, int revents) {
  vc_wt_server *w = t->data;
  ev_tstamp now = ev_now(loop);
  wt_conn *c = w->unjoined, *next;

  (void)revents;
  for (; c; c = next) {
    next = c->next;
    if (c->rc.slot) {
      unjoined_remove(c); /* joined since */
    } else if (!c->closing && now - c->accepted_at > w->cfg.join_timeout_s) {
      unjoined_remove(c);
      w->stats.join_timeouts++;
      c->closing = 1;
      vc_wt_session_close(c->s, 1, "no Join in time");
    }
  }
}

/* ---- the rooms' way to a session (meetings.h) --------------------------- */

/* The meeting stream's queue (datagrams wait at most 200 ms and are
 * not counted). */
static size_t port_queued(void *conn) {
  const wt_conn *c = conn;

  return c->stream_id >= 0 ? vc_wt_session_queued(c->s, c->stream_id) : 0;
}

static int port_send(void *conn, const uint8_t *frame, size_t len,
                     int reliable) {
  wt_conn *c = conn;
  vc_wt_server *w = c->srv;
  vc_ssize p;
  int rv;

  if (c->closing || c->stream_id < 0) {
    return VC_ERR_STATE;
  }
  if (reliable != VC_ROOM_SEND_CONTROL &&
      port_queued(c) > w->cfg.media_drop_bytes) {
    w->stats.media_dropped++; /* late media is useless: drop, not queue */
    return VC_ERR_QUEUE_FULL;
  }
  p = vc_frame_write_header(w->out, sizeof(w->out), len);
  if (p < 0) {
    return (int)p;
  }
  memcpy(w->out + p, frame, len);
  if (reliable == VC_ROOM_SEND_MEDIA_DATAGRAM &&
      (size_t)p + len <= MAX_DATAGRAM_FRAME) {
    rv = vc_wt_session_send_datagram(c->s, w->out, (size_t)p + len);
    if (rv != 0) {
      w->stats.media_dropped++;
      return rv;
    }
    w->stats.frames_out++;
    w->stats.datagrams_out++;
    return 0;
  }
  rv = vc_wt_session_write(c->s, c->stream_id, w->out, (size_t)p + len, 0);
  if (rv != 0) {
    if (reliable == VC_ROOM_SEND_CONTROL) {
      w->stats.control_refused++;
    } else {
      w->stats.media_dropped++;
    }
    return rv;
  }
  w->stats.frames_out++;
  return 0;
}

/* The room's last words (a Leave, an Error) are on the stream: finish
 * it, and close the session only once they have arrived. */
static void port_close(void *conn) {
  wt_conn *c = conn;

  if (!c->closing) {
    c->closing = 1;
    if (c->stream_id >= 0) {
      (void)vc_wt_session_write(c->s, c->stream_id, NULL, 0, 1);
    }
    vc_wt_session_close_after_flush(c->s, 0, "");
  }
}

static const vc_meetings_port wt_port = {port_send, port_close, port_queued};

/* ---- origin check ------------------------------------------------------ */

/* The host part of "scheme://host:port" or "host:port" into |out|. */
static void host_of(const char *s, char *out, size_t outlen) {
  const char *p = strstr(s, "://"), *end;
  size_t n;

  p = p ? p + 3 : s;
  if (*p == '[') {
    end = strchr(p, ']');
    end = end ? end + 1 : p + strlen(p);
  } else {
    end = p + strcspn(p, ":/");
  }
  n = (size_t)(end - p) < outlen - 1 ? (size_t)(end - p) : outlen - 1;
  memcpy(out, p, n);
  out[n] = '\0';
}

static int is_loopback(const char *host) {
  return strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
         strncmp(host, "127.", 4) == 0;
}

static int origin_allowed(const vc_h3wt_request *req) {
  char a[256], o[256];

  if (!req->origin[0]) {
    return 1;
  }
  host_of(req->authority, a, sizeof(a));
  host_of(req->origin, o, sizeof(o));
  return strcmp(a, o) == 0 || (is_loopback(a) && is_loopback(o));
}

/* ---- WebTransport events ----------------------------------------------- */

static int on_session_request(void *app, vc_wt_session *s,
                              const vc_h3wt_request *req) {
  vc_wt_server *w = app;
  wt_conn *c;

  if (strcmp(req->path, MEETING_PATH) != 0) {
    w->stats.refused_path++;
    return 404;
  }
  if (!origin_allowed(req)) {
    w->stats.refused_origin++;
    vc_log(VC_LOG_WARN, "wt %s: origin %s refused for %s",
           vc_wt_session_peer(s), req->origin, req->authority);
    return 403;
  }
  c = calloc(1, sizeof(*c));
  if (c) {
    c->frame_buf = malloc(VC_ENVELOPE_MAX_LEN);
  }
  if (!c || !c->frame_buf ||
      vc_frame_reader_init(&c->frames, c->frame_buf, VC_ENVELOPE_MAX_LEN) !=
          0) {
    if (c) {
      free(c->frame_buf);
      free(c);
    }
    return 503;
  }
  if (vc_meetings_attach(w->meetings, &wt_port, c, &c->rc) != 0) {
    w->stats.refused_full++;
    vc_log(VC_LOG_WARN, "wt %s: the server's connection limit is reached",
           vc_wt_session_peer(s));
    free(c->frame_buf);
    free(c);
    return 503;
  }
  (void)vc_rooms_conn_set_source(&c->rc, vc_wt_session_peer(s));
  c->srv = w;
  c->s = s;
  c->stream_id = -1;
  c->accepted_at = ev_now(w->loop);
  c->next = w->unjoined;
  if (w->unjoined) {
    w->unjoined->prev = c;
  }
  w->unjoined = c;
  vc_wt_session_set_user_data(s, c);
  w->stats.accepted++;
  w->stats.sessions++;
  return 200;
}

static void on_session_closed(void *app, vc_wt_session *s) {
  vc_wt_server *w = app;
  wt_conn *c = vc_wt_session_get_user_data(s);

  if (!c) {
    return;
  }
  c->closing = 1; /* the rooms may not write to it any more */
  unjoined_remove(c);
  vc_meetings_detach(w->meetings, &c->rc);
  w->stats.sessions--;
  free(c->frame_buf);
  free(c);
}

static void protocol_error(wt_conn *c, const char *why) {
  c->srv->stats.protocol_errors++;
  vc_log(VC_LOG_INFO, "wt %s: %s", vc_wt_session_peer(c->s), why);
  c->closing = 1;
  vc_wt_session_close(c->s, 1, why);
}

static void on_stream_data(void *app, vc_wt_session *s, int64_t stream_id,
                           const uint8_t *data, size_t len, int fin) {
  vc_wt_server *w = app;
  wt_conn *c = vc_wt_session_get_user_data(s);

  if (!c || c->closing) {
    return;
  }
  if (c->stream_id < 0 && (stream_id & 3) == 0) {
    c->stream_id = stream_id; /* the client's first bidirectional stream */
  }
  if (stream_id != c->stream_id) {
    protocol_error(c, "a second stream: the meeting uses one");
    return;
  }
  while (len > 0 && !c->closing) {
    const uint8_t *frame;
    size_t used;
    vc_ssize n = vc_frame_read(&c->frames, &frame, data, len, &used);
    data += used;
    len -= used;
    if (n < 0) {
      protocol_error(c, "bad envelope framing");
      return;
    }
    if (n > 0) {
      w->stats.frames_in++;
      vc_meetings_receive(w->meetings, &c->rc, frame, (size_t)n);
    }
  }
  if (fin && !c->closing) {
    c->closing = 1; /* the client is done: so is its participant */
    vc_wt_session_close(c->s, 0, "");
  }
}

/* A datagram holds exactly one framed envelope; a bad one is dropped
 * (counted), as a lost one would be: the session stays. */
static void on_datagram(void *app, vc_wt_session *s, const uint8_t *data,
                        size_t len) {
  vc_wt_server *w = app;
  wt_conn *c = vc_wt_session_get_user_data(s);
  const uint8_t *frame;
  vc_ssize n;

  if (!c || c->closing) {
    return;
  }
  n = vc_frame_parse_one(&frame, data, len);
  if (n < 0) {
    w->stats.datagrams_malformed++;
    return;
  }
  w->stats.frames_in++;
  w->stats.datagrams_in++;
  vc_meetings_receive(w->meetings, &c->rc, frame, (size_t)n);
}

/* The meeting stream reset: the participant's connection is gone (the
 * core resumes on a new one). */
static void on_stream_reset(void *app, vc_wt_session *s, int64_t stream_id) {
  wt_conn *c = vc_wt_session_get_user_data(s);

  (void)app;
  if (c && !c->closing && stream_id == c->stream_id) {
    c->closing = 1;
    vc_wt_session_close(c->s, 0, "");
  }
}

int vc_wt_server_new(vc_wt_server **pw, struct ev_loop *loop,
                     vc_meetings *meetings, const vc_wt_server_config *cfg) {
  vc_wt_server *w = calloc(1, sizeof(*w));

  if (!w) {
    return VC_ERR_NOMEM;
  }
  w->loop = loop;
  w->meetings = meetings;
  if (cfg) {
    w->cfg = *cfg;
  } else {
    vc_wt_server_default_config(&w->cfg);
  }
  ev_timer_init(&w->join_sweep, on_join_sweep, 1., 1.);
  w->join_sweep.data = w;
  ev_timer_start(loop, &w->join_sweep);
  *pw = w;
  return 0;
}

void vc_wt_server_del(vc_wt_server *w) {
  if (w) {
    ev_timer_stop(w->loop, &w->join_sweep);
    free(w);
  }
}

void vc_wt_server_app(vc_wt_server *w, vc_wt_app *app) {
  app->session_request = on_session_request;
  app->session_closed = on_session_closed;
  app->stream_data = on_stream_data;
  app->datagram = on_datagram;
  app->stream_reset = on_stream_reset;
  app->app = w;
}

void vc_wt_server_get_stats(const vc_wt_server *w, vc_wt_server_stats *st) {
  *st = w->stats;
}
