/*
 * lingering_close.c: see lingering_close.h. Each lingering socket has a
 * read watcher and a timer; all of them are on one list, so that
 * vc_lingering_del can close what is left.
 */
#define _GNU_SOURCE
#include "lingering_close.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct linger_sock {
  vc_lingering *l;
  ev_io io;
  ev_timer timer;
  size_t n_read;
  struct linger_sock *prev, *next;
} linger_sock;

struct vc_lingering {
  struct ev_loop *loop;
  linger_sock *socks;
  vc_lingering_stats stats;
};

int vc_lingering_new(vc_lingering **pl, struct ev_loop *loop) {
  vc_lingering *l = calloc(1, sizeof(*l));

  if (!l) {
    return -1;
  }
  l->loop = loop;
  *pl = l;
  return 0;
}

static void sock_close(linger_sock *s) {
  vc_lingering *l = s->l;

  ev_io_stop(l->loop, &s->io);
  ev_timer_stop(l->loop, &s->timer);
  close(s->io.fd);
  if (s->prev) {
    s->prev->next = s->next;
  } else {
    l->socks = s->next;
  }
  if (s->next) {
    s->next->prev = s->prev;
  }
  l->stats.lingering--;
  free(s);
}

void vc_lingering_del(vc_lingering *l) {
  if (!l) {
    return;
  }
  while (l->socks) {
    sock_close(l->socks);
  }
  free(l);
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents) {
  linger_sock *s = w->data;
  char sink[4096];

  (void)loop;
  (void)revents;
  for (;;) {
    ssize_t n = recv(w->fd, sink, sizeof(sink), MSG_DONTWAIT);
    if (n > 0) {
      s->n_read += (size_t)n;
      if (s->n_read >= VC_LINGER_MAX_BYTES) {
        sock_close(s);
        return;
      }
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      return;
    }
    sock_close(s); /* the client closed (or failed): nothing to wait for */
    return;
  }
}

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop;
  (void)revents;
  sock_close(w->data);
}

void vc_lingering_close(vc_lingering *l, int fd) {
  linger_sock *s;

  if (!l || l->stats.lingering >= VC_LINGER_MAX_SOCKETS ||
      shutdown(fd, SHUT_WR) != 0 || !(s = calloc(1, sizeof(*s)))) {
    if (l) {
      l->stats.closed_at_once++;
    }
    close(fd);
    return;
  }
  s->l = l;
  ev_io_init(&s->io, on_readable, fd, EV_READ);
  s->io.data = s;
  ev_timer_init(&s->timer, on_timeout, VC_LINGER_TIMEOUT_S, 0.);
  s->timer.data = s;
  ev_io_start(l->loop, &s->io);
  ev_timer_start(l->loop, &s->timer);
  s->next = l->socks;
  if (l->socks) {
    l->socks->prev = s;
  }
  l->socks = s;
  l->stats.lingering++;
}

void vc_lingering_get_stats(const vc_lingering *l, vc_lingering_stats *st) {
  *st = l->stats;
}
