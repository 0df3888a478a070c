/*
 * ws_test_client.c: see ws_test_client.h. The client side of WebSocket
 * is written here (masking, the upgrade request); the envelope framing
 * is the core's (include/vc/frame.h).
 */
#define _GNU_SOURCE
#include "ws_test_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PUMPED 8

uint16_t wtc_port;
void (*wtc_event_hook)(wtc_client *c, const vc_meeting_event *ev);

vc_tstamp wtc_now(void) {
  struct timespec t;

  clock_gettime(CLOCK_MONOTONIC, &t);
  return (vc_tstamp)t.tv_sec * 1000000000u + (vc_tstamp)t.tv_nsec;
}

int wtc_ws_connect(void) {
  static const char request[] =
      "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n";
  struct sockaddr_in sa;
  char head[1024];
  size_t got = 0;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_port = htons(wtc_port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0) {
    return -1;
  }
  if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
      send(fd, request, sizeof(request) - 1, MSG_NOSIGNAL) < 0) {
    close(fd);
    return -1;
  }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  /* The 101 head byte by byte: nothing after it may be lost. */
  while (got + 1 < sizeof(head)) {
    if (recv(fd, head + got, 1, 0) != 1) {
      close(fd);
      return -1;
    }
    got++;
    head[got] = '\0';
    if (got >= 4 && memcmp(head + got - 4, "\r\n\r\n", 4) == 0) {
      break;
    }
  }
  if (strncmp(head, "HTTP/1.1 101", 12) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

size_t wtc_ws_header(uint8_t *dest, size_t len) {
  size_t h = 0, i;

  dest[h++] = 0x82;
  if (len < 126) {
    dest[h++] = (uint8_t)(0x80 | len);
  } else if (len < 65536) {
    dest[h++] = 0x80 | 126;
    dest[h++] = (uint8_t)(len >> 8);
    dest[h++] = (uint8_t)len;
  } else {
    dest[h++] = 0x80 | 127;
    for (i = 0; i < 8; i++) {
      dest[h++] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    }
  }
  memset(dest + h, 0, 4); /* a zero mask: x ^ 0 == x */
  return h + 4;
}

static void on_event(void *user_data, const vc_meeting_event *ev) {
  wtc_client *c = user_data;

  switch (ev->type) {
  case VC_MEETING_EVENT_JOINED:
    c->joined = 1;
    break;
  case VC_MEETING_EVENT_RTT:
    c->rtts++;
    break;
  case VC_MEETING_EVENT_CONNECTION_LOST:
    c->lost++;
    break;
  case VC_MEETING_EVENT_ENDED:
    c->ended = 1;
    break;
  default:
    break;
  }
  if (wtc_event_hook) {
    wtc_event_hook(c, ev);
  }
}

void wtc_client_flush(wtc_client *c) {
  static uint8_t buf[VC_ENVELOPE_MAX_LEN + 32];
  uint8_t prefix[VC_FRAME_MAX_HEADER_LEN];
  size_t h;
  vc_ssize n, p;

  while (c->fd >= 0 &&
         (n = vc_meeting_pop_frame(c->m, buf + 16, sizeof(buf) - 16)) > 0) {
    p = vc_frame_write_header(prefix, sizeof(prefix), (size_t)n);
    if (p < 0) {
      return;
    }
    h = wtc_ws_header(buf, (size_t)(p + n));
    /* The header goes right before the envelope's prefix. */
    memmove(buf + h + (size_t)p, buf + 16, (size_t)n);
    memcpy(buf + h, prefix, (size_t)p);
    if (send(c->fd, buf, h + (size_t)(p + n), MSG_NOSIGNAL) !=
        (ssize_t)(h + (size_t)(p + n))) {
      vc_meeting_transport_lost(c->m, wtc_now());
      return;
    }
  }
}

int wtc_client_start(wtc_client *c, const char *meeting, const char *user,
                     uint64_t seed) {
  vc_meeting_config cfg;

  memset(c, 0, sizeof(*c));
  memset(&cfg, 0, sizeof(cfg));
  c->user = user;
  cfg.meeting_id = meeting;
  cfg.user = user;
  cfg.display_name = user;
  cfg.seed = seed;
  cfg.on_event = on_event;
  cfg.user_data = c;
  if (vc_meeting_new(&c->m, &cfg) != 0 ||
      vc_frame_reader_init(&c->frames, c->frame_buf, sizeof(c->frame_buf))) {
    return -1;
  }
  c->fd = wtc_ws_connect();
  if (c->fd < 0) {
    return -1;
  }
  vc_meeting_connected(c->m, wtc_now());
  wtc_client_flush(c);
  return 0;
}

/* Parses whole server messages (unmasked) out of c->in. */
static void client_consume(wtc_client *c) {
  size_t off = 0;

  for (;;) {
    uint8_t *p = c->in + off;
    size_t avail = c->in_len - off, h = 2, len, i;
    if (avail < 2) {
      break;
    }
    len = p[1] & 0x7f;
    if (len == 126) {
      h = 4;
      len = avail >= 4 ? (size_t)p[2] << 8 | p[3] : 0;
    } else if (len == 127) {
      h = 10;
      for (len = 0, i = 0; i < 8 && avail >= 10; i++) {
        len = len << 8 | p[2 + i];
      }
    }
    if (avail < h || avail < h + len) {
      break;
    }
    if ((p[0] & 0x0f) == 0x2) {
      const uint8_t *data = p + h;
      size_t left = len;
      while (left > 0) {
        const uint8_t *frame;
        size_t used;
        vc_ssize n = vc_frame_read(&c->frames, &frame, data, left, &used);
        data += used;
        left -= used;
        if (n < 0) {
          vc_meeting_transport_lost(c->m, wtc_now());
          return;
        }
        if (n > 0) {
          vc_meeting_receive(c->m, frame, (size_t)n, wtc_now());
        }
      }
    } else if ((p[0] & 0x0f) == 0x8) {
      vc_meeting_transport_lost(c->m, wtc_now());
    }
    off += h + len;
  }
  memmove(c->in, c->in + off, c->in_len - off);
  c->in_len -= off;
  wtc_client_flush(c);
}

void wtc_pump_once(wtc_client *cs, int n, int wait_ms) {
  struct pollfd pfd[MAX_PUMPED];
  int i;

  for (i = 0; i < n && i < MAX_PUMPED; i++) {
    pfd[i].fd = cs[i].fd;
    pfd[i].events = POLLIN;
    pfd[i].revents = 0;
  }
  (void)poll(pfd, (nfds_t)i, wait_ms);
  for (i = 0; i < n && i < MAX_PUMPED; i++) {
    wtc_client *c = &cs[i];
    if (c->fd >= 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t r = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len,
                       MSG_DONTWAIT);
      if (r > 0) {
        vc_tstamp t = wtc_now();
        if (c->last_rx && t - c->last_rx > c->max_gap) {
          c->max_gap = t - c->last_rx;
        }
        c->last_rx = t;
        c->in_len += (size_t)r;
        client_consume(c);
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        close(c->fd);
        c->fd = -1;
        vc_meeting_transport_lost(c->m, wtc_now());
      }
    }
    /* A lost connection stays lost: the test counts it, no reconnect. */
    if (c->m && c->fd >= 0 && vc_meeting_get_expiry(c->m) <= wtc_now()) {
      vc_meeting_handle_expiry(c->m, wtc_now());
      wtc_client_flush(c);
    }
  }
}

void wtc_pump(wtc_client *cs, int n, int ms) {
  vc_tstamp until = wtc_now() + (vc_tstamp)ms * WT_MS;

  while (wtc_now() < until) {
    wtc_pump_once(cs, n, 10);
  }
}

void wtc_client_del(wtc_client *c) {
  if (c->fd >= 0) {
    close(c->fd);
    c->fd = -1;
  }
  vc_meeting_del(c->m);
  c->m = NULL;
}
