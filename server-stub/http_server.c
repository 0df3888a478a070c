/*
 * http_server.c: sockets and the event loop for HTTP/1.1.
 *
 * Each connection owns fixed buffers (no growth, so memory per connection
 * is bounded) and answers one request at a time: while a response is
 * being written it stops reading, which is the backpressure for slow
 * readers and pipelining clients alike. Files go out with sendfile(), or
 * through a bounce buffer when the connection is TLS (byte_stream.h).
 */
#define _GNU_SOURCE
#include "http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "byte_stream.h"
#include "http_request.h"
#include "leave_beacon.h"
#include "http_response.h"
#include "lingering_close.h"
#include "log.h"
#include "metrics.h"
#include "process.h"
#include "routes.h"
#include "ws_handshake.h"
#include "ws_server.h"

#define MAX_LISTENERS 16
#define BODY_CAP 16384 /* error pages and /metrics */
/*
 * When accept() fails for want of a file descriptor or memory (EMFILE,
 * ENFILE, ENOBUFS, ENOMEM) the waiting connection stays in the backlog
 * and the listener stays readable: retrying at once spun the loop at 40 %
 * CPU and wrote 13-18 MB of log lines in 3 s (issue 20, finding 5). The
 * listeners rest this long instead, and each rest is logged once, with
 * the failures since the last line.
 */
#define ACCEPT_BACKOFF_S 0.5

typedef struct conn conn;

struct vc_http_server {
  struct ev_loop *loop;
  vc_http_server_config cfg;
  ev_io listeners[MAX_LISTENERS];
  int n_listeners;
  uint16_t port;
  char addresses[256];
  conn *conns;
  unsigned n_conns;
  vc_lingering *linger;    /* connections closed after their last response */
  ev_timer accept_backoff; /* listeners stopped while it runs */
  uint64_t accept_failures_logged; /* failures already in a log line */
  vc_http_server_stats stats;
};

struct conn {
  vc_http_server *srv;
  conn *prev, *next;
  int fd;
  vc_byte_stream stream; /* over fd: in the clear or TLS */
  ev_io io;
  ev_timer timer;
  char peer[64];
  char in[VC_HTTP_MAX_HEAD_LEN];
  size_t in_len;
  /* The response being written: head, then body bytes or a file. */
  int responding;
  int close_after;
  char head[1024];
  size_t head_len, head_off;
  char body[BODY_CAP];
  size_t body_len, body_off;
  int file_fd;
  off_t file_off;
  uint64_t file_len;
  /* TLS cannot sendfile(): file bytes read but not yet sent. */
  char chunk[16384];
  size_t chunk_len, chunk_off;
  /* For the log line. */
  char method[VC_HTTP_MAX_METHOD_LEN + 1];
  char target[128];
  int status;
};

/* Forgets the connection; its socket stays open when |keep_fd|. */
static void conn_release(conn *c, int keep_fd) {
  vc_http_server *srv = c->srv;

  ev_io_stop(srv->loop, &c->io);
  ev_timer_stop(srv->loop, &c->timer);
  if (c->file_fd >= 0) {
    close(c->file_fd);
  }
  if (!keep_fd) {
    vc_byte_stream_close(&c->stream);
  }
  if (c->prev) {
    c->prev->next = c->next;
  } else {
    srv->conns = c->next;
  }
  if (c->next) {
    c->next->prev = c->prev;
  }
  srv->n_conns--;
  free(c);
}

static void conn_close(conn *c, const char *why) {
  if (why) {
    vc_log(VC_LOG_DEBUG, "http %s closed: %s", c->peer, why);
  }
  conn_release(c, 0);
}

static void conn_arm_timer(conn *c, double seconds) {
  ev_timer_stop(c->srv->loop, &c->timer);
  ev_timer_set(&c->timer, seconds, 0.);
  ev_timer_start(c->srv->loop, &c->timer);
}

static void conn_watch(conn *c, int events) {
  ev_io_stop(c->srv->loop, &c->io);
  ev_io_set(&c->io, c->fd, events);
  ev_io_start(c->srv->loop, &c->io);
}

/* Sends from |buf| at |*off| up to |len|: 1 all sent, 0 try later, -1
 * failed. */
static int send_all(conn *c, const char *buf, size_t *off, size_t len) {
  while (*off < len) {
    ssize_t n = vc_byte_stream_send(&c->stream, buf + *off, len - *off);
    if (n < 0) {
      return n == VC_STREAM_AGAIN ? 0 : -1;
    }
    *off += (size_t)n;
  }
  return 1;
}

/* A file over TLS: through the bounce buffer. */
static int send_file_tls(conn *c) {
  while ((uint64_t)c->file_off < c->file_len) {
    int rv;
    if (c->chunk_off == c->chunk_len) {
      size_t want = sizeof(c->chunk);
      ssize_t n;
      if (want > c->file_len - (uint64_t)c->file_off) {
        want = (size_t)(c->file_len - (uint64_t)c->file_off);
      }
      n = pread(c->file_fd, c->chunk, want, c->file_off);
      if (n <= 0) {
        return -1; /* unreadable, or the file shrank under us */
      }
      c->chunk_len = (size_t)n;
      c->chunk_off = 0;
    }
    rv = send_all(c, c->chunk, &c->chunk_off, c->chunk_len);
    if (rv != 1) {
      return rv;
    }
    c->file_off += (off_t)c->chunk_len;
    c->chunk_len = c->chunk_off = 0;
  }
  return 1;
}

/* Writes what the socket takes. 1: all sent; 0: try later; -1: failed. */
static int conn_write_some(conn *c) {
  int rv = send_all(c, c->head, &c->head_off, c->head_len);
  if (rv == 1) {
    rv = send_all(c, c->body, &c->body_off, c->body_len);
  }
  if (rv != 1 || c->file_fd < 0) {
    return rv;
  }
  if (c->stream.tls) {
    return send_file_tls(c);
  }
  while ((uint64_t)c->file_off < c->file_len) {
    ssize_t n = sendfile(c->fd, c->file_fd, &c->file_off,
                         (size_t)(c->file_len - (uint64_t)c->file_off));
    if (n < 0) {
      return errno == EAGAIN || errno == EINTR ? 0 : -1;
    }
    if (n == 0) {
      return -1; /* the file shrank under us */
    }
  }
  return 1;
}

static void conn_finish_response(conn *c) {
  vc_log(VC_LOG_INFO, "http %s \"%s %s\" %d %llu", c->peer, c->method,
         c->target, c->status,
         (unsigned long long)(c->body_len + (uint64_t)c->file_off));
  if (c->file_fd >= 0) {
    close(c->file_fd);
    c->file_fd = -1;
  }
  if (c->close_after && !c->stream.tls) {
    /* Input may be left unread (a rejected head, what a client sent
     * after it): a plain close() would turn it into a reset that can
     * destroy the response before the client reads it. */
    vc_lingering *linger = c->srv->linger;
    int fd = c->fd;
    vc_log(VC_LOG_DEBUG, "http %s closed: response sent, connection: close",
           c->peer);
    conn_release(c, 1);
    vc_lingering_close(linger, fd);
    return;
  }
  if (c->close_after) {
    /* Half-close so the client reads the whole response before the FIN. */
    vc_byte_stream_shutdown_write(&c->stream);
    conn_close(c, "response sent, connection: close");
    return;
  }
  c->responding = 0;
  conn_watch(c, EV_READ);
  conn_arm_timer(c, c->in_len ? c->srv->cfg.header_timeout_s
                              : c->srv->cfg.idle_timeout_s);
  /*
   * A pipelined request may be buffered already. Let the loop come back
   * for it rather than recursing, so many pipelined requests cannot
   * deepen the stack.
   */
  if (c->in_len > 0 || vc_byte_stream_buffered(&c->stream) > 0) {
    ev_feed_event(c->srv->loop, &c->io, EV_READ);
  }
}

static void conn_send(conn *c) {
  int rv = conn_write_some(c);

  if (rv < 0) {
    conn_close(c, "write failed");
  } else if (rv == 1) {
    conn_finish_response(c);
  } else {
    conn_watch(c, EV_WRITE);
    conn_arm_timer(c, c->srv->cfg.write_timeout_s);
  }
}

/* Starts a response; |file_fd| (or -1) is sent after |body|. */
static void conn_respond(conn *c, vc_http_head *head, int head_only,
                         int file_fd) {
  int n;

  head->date = time(NULL);
  head->keep_alive = !c->close_after;
  n = vc_http_format_head(c->head, sizeof(c->head), head);
  if (n < 0) {
    /* Cannot happen with our fixed header set; never send half a head. */
    vc_log(VC_LOG_ERROR, "http %s: response head too long", c->peer);
    if (file_fd >= 0) {
      close(file_fd);
    }
    conn_close(c, "response head too long");
    return;
  }
  c->status = head->status;
  c->head_len = (size_t)n;
  c->head_off = 0;
  c->body_off = 0;
  c->file_off = 0;
  c->file_fd = -1;
  c->file_len = 0;
  c->chunk_len = c->chunk_off = 0;
  if (head_only) {
    c->body_len = 0;
    if (file_fd >= 0) {
      close(file_fd);
    }
  } else if (file_fd >= 0) {
    c->file_fd = file_fd;
    c->file_len = head->content_length;
  }
  c->responding = 1;
  conn_send(c);
}

static void conn_respond_error(conn *c, int status, const char *title,
                               const char *detail, int head_only) {
  vc_http_head head;
  int n = vc_http_error_page(c->body, sizeof(c->body), status, title, detail);

  memset(&head, 0, sizeof(head));
  head.status = status;
  if (n < 0) {
    n = snprintf(c->body, sizeof(c->body), "%d %s\n", status,
                 vc_http_reason(status));
    head.content_type = "text/plain; charset=utf-8";
  } else {
    head.content_type = "text/html; charset=utf-8";
  }
  c->body_len = (size_t)n;
  head.content_length = c->body_len;
  if (status >= 400 && status != 404 && status != 405) {
    c->close_after = 1; /* after a protocol error, trust nothing that follows */
  }
  conn_respond(c, &head, head_only, -1);
}

static const char *parse_error_title(int status) {
  switch (status) {
  case 413:
    return "Request body not accepted";
  case 414:
    return "Address too long";
  case 431:
    return "Request headers too large";
  case 501:
    return "Not implemented";
  case 505:
    return "HTTP version not supported";
  default:
    return "Bad request";
  }
}

/* GET /ws: hand the socket to the WebSocket server, or say why not. */
static void conn_upgrade(conn *c, const vc_http_request *req) {
  vc_http_server *srv = c->srv;
  char accept[29];
  const char *why = "";
  vc_ssize n;
  int status = srv->cfg.ws ? vc_ws_check_upgrade(req, accept, &why) : 404;

  if (status == 0) {
    n = vc_ws_write_upgrade_response(c->head, sizeof(c->head), accept);
    if (n > 0) {
      /* The connection's buffers go with it: copy what the WebSocket
       * side needs (the 101 head, bytes already read) first. */
      vc_byte_stream stream = c->stream;
      char peer[sizeof(c->peer)], head[sizeof(c->head)];
      uint8_t pending[sizeof(c->in)];
      size_t pending_len = c->in_len, head_len = (size_t)n;
      memcpy(peer, c->peer, sizeof(peer));
      memcpy(head, c->head, head_len);
      memcpy(pending, c->in, pending_len);
      vc_log(VC_LOG_INFO, "http %s \"GET %s\" 101", c->peer, c->target);
      conn_release(c, 1);
      vc_ws_server_adopt(srv->cfg.ws, &stream, peer, head, head_len, pending,
                         pending_len);
      return;
    }
    status = 500;
    why = "could not write the upgrade response";
  }
  if (status == 404) {
    conn_respond_error(c, 404, "Page not found",
                       "This server does not serve meetings over WebSocket.",
                       0);
    return;
  }
  n = vc_ws_write_refusal(c->head, sizeof(c->head), status, why);
  if (n < 0) {
    conn_close(c, "refusal too long");
    return;
  }
  c->status = status;
  c->head_len = (size_t)n;
  c->head_off = c->body_len = c->body_off = 0;
  c->close_after = 1;
  c->responding = 1;
  conn_send(c);
}

/* POST /leave?...: a page going away says its participant left. */
static void conn_leave_beacon(conn *c, const vc_http_request *req) {
  vc_http_server *srv = c->srv;
  vc_leave_beacon b;
  vc_http_head head;

  if (strcmp(req->method, "POST") != 0) {
    conn_respond_error(c, 405, "Method not allowed",
                       "A page leaves a meeting here with POST.",
                       strcmp(req->method, "HEAD") == 0);
    return;
  }
  if (vc_leave_beacon_parse(&b, req->target) != 0) {
    conn_respond_error(c, 400, "Bad request",
                       "A leave needs the meeting, the session and its "
                       "token.",
                       0);
    return;
  }
  if (!srv->cfg.leave || srv->cfg.leave(srv->cfg.user_data, &b) != 0) {
    conn_respond_error(c, 404, "Not in this meeting",
                       "There is no such participant (any more).", 0);
    return;
  }
  memset(&head, 0, sizeof(head));
  head.status = 204;
  head.cache_control = "no-store";
  c->body_len = 0;
  conn_respond(c, &head, 0, -1);
}

static void conn_serve(conn *c, const vc_http_request *req) {
  int head_only = strcmp(req->method, "HEAD") == 0;
  vc_http_route route;
  vc_http_head head;
  vc_static_file f;
  int rv, n;

  if (strcmp(req->target, "/ws") == 0) {
    conn_upgrade(c, req);
    return;
  }
  if (vc_leave_beacon_matches(req->target)) {
    conn_leave_beacon(c, req);
    return;
  }
  if (strcmp(req->target, "/metrics") == 0 && c->srv->cfg.ws) {
    vc_ws_server_stats st;
    vc_metrics_wt wt;
    int have_wt = c->srv->cfg.webtransport_stats &&
                  c->srv->cfg.webtransport_stats(c->srv->cfg.user_data, &wt);
    vc_metrics_server ms;
    vc_http_server_stats hs;
    vc_ws_server_get_stats(c->srv->cfg.ws, &st);
    vc_http_server_get_stats(c->srv, &hs);
    memset(&ms, 0, sizeof(ms));
    ms.fd_limit = c->srv->cfg.fd_limit;
    ms.resident_bytes = vc_process_resident_bytes();
    ms.http_connections = hs.connections;
    ms.http_refused_too_many = hs.refused_too_many;
    ms.accept_errors = hs.accept_errors;
    ms.accept_backoffs = hs.accept_backoffs;
    ms.http_lingering = hs.lingering;
    ms.http_linger_closed_at_once = hs.linger_closed_at_once;
    n = vc_metrics_format(c->body, sizeof(c->body), &st, have_wt ? &wt : NULL,
                          &ms);
    if (n < 0) {
      conn_respond_error(c, 500, "Something went wrong on the server",
                         "The metrics did not fit their buffer.", head_only);
      return;
    }
    c->body_len = (size_t)n;
    memset(&head, 0, sizeof(head));
    head.status = 200;
    head.content_type = "text/plain; version=0.0.4; charset=utf-8";
    head.content_length = c->body_len;
    head.cache_control = "no-store";
    conn_respond(c, &head, head_only, -1);
    return;
  }
  if (strcmp(req->target, "/webtransport.json") == 0 &&
      c->srv->cfg.webtransport_json) {
    const char *json = c->srv->cfg.webtransport_json(c->srv->cfg.user_data);
    size_t len = json ? strlen(json) : 0;
    if (json && len <= sizeof(c->body)) {
      memcpy(c->body, json, len);
      c->body_len = len;
      memset(&head, 0, sizeof(head));
      head.status = 200;
      head.content_type = "application/json";
      head.content_length = len;
      head.cache_control = "no-store"; /* the hashes change on rotation */
      conn_respond(c, &head, head_only, -1);
      return;
    }
  }
  vc_http_route_resolve(&route, req->method, req->target);
  memset(&head, 0, sizeof(head));
  head.status = route.status;
  switch (route.action) {
  case VC_HTTP_HEALTHZ:
    memcpy(c->body, "ok\n", 3);
    c->body_len = 3;
    head.content_type = "text/plain; charset=utf-8";
    head.content_length = 3;
    conn_respond(c, &head, head_only, -1);
    return;
  case VC_HTTP_REDIRECT:
    c->body_len = 0;
    head.location = route.location;
    conn_respond(c, &head, head_only, -1);
    return;
  case VC_HTTP_ERROR:
    conn_respond_error(c, route.status, route.title, route.detail, head_only);
    return;
  case VC_HTTP_SERVE_FILE:
    break;
  }
  rv = vc_static_open(&f, c->srv->cfg.web_root, route.path);
  if (rv == -404) {
    conn_respond_error(c, 404, "Page not found",
                       "There is nothing at this address. Meeting links "
                       "look like /meeting/your-name/meeting-id.",
                       head_only);
    return;
  }
  if (rv < 0) {
    conn_respond_error(c, 500, "Something went wrong on the server",
                       "The server could not read this file. Try again; "
                       "if it persists, tell whoever runs the server.",
                       head_only);
    return;
  }
  c->body_len = 0;
  head.content_type = f.content_type;
  head.content_length = f.size;
  head.etag = f.etag;
  head.cache_control = "no-cache"; /* always revalidate: cheap with ETag */
  if (req->if_none_match[0] && (strcmp(req->if_none_match, f.etag) == 0 ||
                                strcmp(req->if_none_match, "*") == 0)) {
    head.status = 304;
    head_only = 1;
  }
  conn_respond(c, &head, head_only, f.fd);
}

/* Copies |src| into |dst|, cut to fit: log lines need only the start. */
static void copy_for_log(char *dst, size_t cap, const char *src) {
  size_t n = strnlen(src, cap - 1);

  memcpy(dst, src, n);
  dst[n] = '\0';
}

static void conn_process_input(conn *c) {
  vc_http_request req;
  int rv;

  if (c->responding || c->in_len == 0) {
    return;
  }
  rv = vc_http_parse_request(&req, c->in, c->in_len);
  if (rv == 0) {
    return; /* need more bytes */
  }
  c->target[0] = '\0';
  copy_for_log(c->method, sizeof(c->method), "-");
  if (rv < 0) {
    vc_log(VC_LOG_WARN, "http %s: rejected request head (%d)", c->peer, -rv);
    c->in_len = 0;
    c->close_after = 1;
    conn_respond_error(c, -rv, parse_error_title(-rv),
                       "The server could not accept this request.", 0);
    return;
  }
  c->in_len -= (size_t)rv;
  memmove(c->in, c->in + rv, c->in_len);
  copy_for_log(c->method, sizeof(c->method), req.method);
  copy_for_log(c->target, sizeof(c->target), req.target);
  if (!req.keep_alive) {
    c->close_after = 1;
  }
  conn_serve(c, &req);
}

static void conn_read(conn *c) {
  for (;;) {
    ssize_t n;
    if (c->in_len == sizeof(c->in)) {
      break; /* full: the parser will reject or finish the head */
    }
    n = vc_byte_stream_recv(&c->stream, c->in + c->in_len,
                            sizeof(c->in) - c->in_len);
    if (n == 0) {
      conn_close(c, "peer closed");
      return;
    }
    if (n == VC_STREAM_AGAIN) {
      break;
    }
    if (n < 0) {
      conn_close(c, "read failed");
      return;
    }
    if (c->in_len == 0) {
      conn_arm_timer(c, c->srv->cfg.header_timeout_s);
    }
    c->in_len += (size_t)n;
  }
  conn_process_input(c);
}

/* TLS first: 1 when done, 0 when it waits (watching what it needs). */
static int conn_handshake(conn *c) {
  int rv = vc_byte_stream_handshake(&c->stream);
  if (rv == 1) {
    conn_watch(c, EV_READ);
    return 1;
  }
  if (rv == VC_STREAM_AGAIN) {
    conn_watch(c, vc_byte_stream_direction_is_write(&c->stream) ? EV_WRITE
                                                                : EV_READ);
    return 0;
  }
  vc_log(VC_LOG_INFO, "http %s: TLS handshake failed", c->peer);
  conn_close(c, "TLS handshake failed");
  return 0;
}

static void on_conn_io(struct ev_loop *loop, ev_io *w, int revents) {
  conn *c = w->data;

  (void)loop;
  if (!c->stream.handshake_done) {
    if (conn_handshake(c)) {
      conn_read(c); /* the request may have come with the last flight */
    }
    return;
  }
  if (c->responding) {
    if (revents & EV_WRITE) {
      conn_send(c);
    }
    return;
  }
  if (revents & EV_READ) {
    conn_read(c);
  }
}

static void on_conn_timer(struct ev_loop *loop, ev_timer *w, int revents) {
  conn *c = w->data;

  (void)loop;
  (void)revents;
  if (c->responding) {
    vc_log(VC_LOG_WARN, "http %s: client stopped reading; closing", c->peer);
    conn_close(c, "write timeout");
  } else if (c->in_len > 0) {
    vc_log(VC_LOG_WARN, "http %s: request head not complete in time", c->peer);
    conn_close(c, "header timeout");
  } else {
    conn_close(c, "idle");
  }
}

static void format_peer(char *out, size_t cap, const struct sockaddr *sa) {
  char host[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;

  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    port = ntohs(in->sin_port);
    snprintf(out, cap, "%s:%u", host, port);
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    port = ntohs(in6->sin6_port);
    snprintf(out, cap, "[%s]:%u", host, port);
  } else {
    snprintf(out, cap, "?");
  }
}

/* Over the cap: say so in one write, never queue; then close lingering,
 * so that the request the client sent is not answered by a reset. */
static void refuse_connection(vc_http_server *srv, int fd) {
  static const char busy[] =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; "
      "charset=utf-8\r\nContent-Length: 47\r\nRetry-After: 5\r\n"
      "Connection: close\r\n\r\n"
      "The server is at its connection limit. Retry.\r\n";
  ssize_t n = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);

  (void)n; /* best effort: the client may already be gone */
  vc_lingering_close(srv->linger, fd);
}

static void listeners_set(vc_http_server *srv, int on) {
  int i;

  for (i = 0; i < srv->n_listeners; i++) {
    if (on) {
      ev_io_start(srv->loop, &srv->listeners[i]);
    } else {
      ev_io_stop(srv->loop, &srv->listeners[i]);
    }
  }
}

/* Out of descriptors or memory: stop accepting for ACCEPT_BACKOFF_S. */
static void accept_back_off(vc_http_server *srv, int err) {
  srv->stats.accept_errors++;
  if (ev_is_active(&srv->accept_backoff)) {
    return;
  }
  srv->stats.accept_backoffs++;
  vc_log(VC_LOG_ERROR,
         "http accept: %s (%llu failures since the last line); not "
         "accepting for %.1f s",
         strerror(err),
         (unsigned long long)(srv->stats.accept_errors -
                              srv->accept_failures_logged),
         ACCEPT_BACKOFF_S);
  srv->accept_failures_logged = srv->stats.accept_errors;
  listeners_set(srv, 0);
  ev_timer_set(&srv->accept_backoff, ACCEPT_BACKOFF_S, 0.);
  ev_timer_start(srv->loop, &srv->accept_backoff);
}

static void on_accept_backoff(struct ev_loop *loop, ev_timer *w, int revents) {
  vc_http_server *srv = w->data;

  (void)loop;
  (void)revents;
  listeners_set(srv, 1); /* a connection still waiting wakes us at once */
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents) {
  vc_http_server *srv = w->data;

  (void)revents;
  for (;;) {
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);
    int fd = accept4(w->fd, (struct sockaddr *)&ss, &sslen,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    conn *c;

    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
          errno == ENOMEM) {
        accept_back_off(srv, errno);
      } else if (errno != EAGAIN) {
        vc_log(VC_LOG_ERROR, "http accept: %s", strerror(errno));
      }
      return;
    }
    if (srv->n_conns >= srv->cfg.max_connections) {
      vc_log(VC_LOG_WARN, "http: connection limit (%u) reached; refusing",
             srv->cfg.max_connections);
      srv->stats.refused_too_many++;
      refuse_connection(srv, fd);
      continue;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
      vc_log(VC_LOG_ERROR, "http: out of memory for a connection");
      close(fd);
      continue;
    }
    c->srv = srv;
    c->fd = fd;
    c->file_fd = -1;
    if (srv->cfg.tls) {
      if (vc_byte_stream_tls_server(&c->stream, fd, srv->cfg.tls) != 0) {
        vc_log(VC_LOG_ERROR, "http: cannot start TLS for a connection");
        free(c);
        close(fd);
        continue;
      }
    } else {
      vc_byte_stream_plain(&c->stream, fd);
    }
    format_peer(c->peer, sizeof(c->peer), (struct sockaddr *)&ss);
    c->next = srv->conns;
    if (srv->conns) {
      srv->conns->prev = c;
    }
    srv->conns = c;
    srv->n_conns++;
    ev_io_init(&c->io, on_conn_io, fd, EV_READ);
    c->io.data = c;
    ev_timer_init(&c->timer, on_conn_timer, srv->cfg.header_timeout_s, 0.);
    c->timer.data = c;
    ev_io_start(loop, &c->io);
    ev_timer_start(loop, &c->timer);
  }
}

/* Binds one listener; returns its fd or -1 (logged). */
static int listen_on(const char *addr, uint16_t port, uint16_t *bound) {
  struct addrinfo hints, *ai = NULL;
  char portstr[8];
  int fd = -1, one = 1, rv;

  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  snprintf(portstr, sizeof(portstr), "%u", port);
  rv = getaddrinfo(addr, portstr, &hints, &ai);
  if (rv != 0) {
    vc_log(VC_LOG_ERROR, "listen %s: not a numeric address (%s)", addr,
           gai_strerror(rv));
    return -1;
  }
  fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    goto fail;
  }
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (ai->ai_family == AF_INET6) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  }
  if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 511) != 0) {
    goto fail;
  }
  if (bound) {
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sslen);
    *bound = ss.ss_family == AF_INET6
                 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                 : ntohs(((struct sockaddr_in *)&ss)->sin_port);
  }
  freeaddrinfo(ai);
  return fd;

fail:
  vc_log(VC_LOG_WARN, "listen %s port %u: %s", addr, port, strerror(errno));
  if (fd >= 0) {
    close(fd);
  }
  freeaddrinfo(ai);
  return -1;
}

int vc_http_server_start(vc_http_server **psrv, struct ev_loop *loop,
                         const vc_http_server_config *cfg) {
  vc_http_server *srv;
  size_t i;

  if (cfg->n_listen_addrs == 0 || cfg->n_listen_addrs > MAX_LISTENERS) {
    vc_log(VC_LOG_ERROR, "http: between 1 and %d listen addresses, please",
           MAX_LISTENERS);
    return -1;
  }
  srv = calloc(1, sizeof(*srv));
  if (!srv) {
    return -1;
  }
  srv->loop = loop;
  srv->cfg = *cfg;
  srv->port = cfg->port;
  if (vc_lingering_new(&srv->linger, loop) != 0) {
    free(srv);
    return -1;
  }
  ev_timer_init(&srv->accept_backoff, on_accept_backoff, ACCEPT_BACKOFF_S, 0.);
  srv->accept_backoff.data = srv;
  for (i = 0; i < cfg->n_listen_addrs; i++) {
    const char *addr = cfg->listen_addrs[i];
    uint16_t bound = 0;
    /* With port 0 the first listener picks; the others follow it. */
    int fd = listen_on(addr, srv->port, srv->port == 0 ? &bound : NULL);
    if (fd < 0) {
      continue;
    }
    if (srv->port == 0) {
      srv->port = bound;
    }
    ev_io_init(&srv->listeners[srv->n_listeners], on_accept, fd, EV_READ);
    srv->listeners[srv->n_listeners].data = srv;
    ev_io_start(loop, &srv->listeners[srv->n_listeners]);
    srv->n_listeners++;
    snprintf(srv->addresses + strlen(srv->addresses),
             sizeof(srv->addresses) - strlen(srv->addresses), "%s%s",
             srv->n_listeners > 1 ? ", " : "", addr);
  }
  if (srv->n_listeners == 0) {
    vc_log(VC_LOG_ERROR, "http: could not listen on any address");
    vc_lingering_del(srv->linger);
    free(srv);
    return -1;
  }
  *psrv = srv;
  return 0;
}

void vc_http_server_get_stats(const vc_http_server *srv,
                              vc_http_server_stats *st) {
  vc_lingering_stats ls;

  vc_lingering_get_stats(srv->linger, &ls);
  *st = srv->stats;
  st->connections = srv->n_conns;
  st->lingering = ls.lingering;
  st->linger_closed_at_once = ls.closed_at_once;
}

uint16_t vc_http_server_port(const vc_http_server *srv) {
  return srv->port;
}

const char *vc_http_server_addresses(const vc_http_server *srv) {
  return srv->addresses;
}

void vc_http_server_stop(vc_http_server *srv) {
  int i;

  ev_timer_stop(srv->loop, &srv->accept_backoff);
  for (i = 0; i < srv->n_listeners; i++) {
    ev_io_stop(srv->loop, &srv->listeners[i]);
    close(srv->listeners[i].fd);
  }
  while (srv->conns) {
    conn_close(srv->conns, "server stopping");
  }
  vc_lingering_del(srv->linger);
  free(srv);
}
