/*
 * nats.c: one load-generator participant on nats-server, the reference
 * broker, over the NATS client protocol (text: INFO, CONNECT, SUB, PUB,
 * MSG, PING/PONG; https://docs.nats.io/reference/reference-protocols/
 * nats-protocol). A room is one subject; every participant subscribes to
 * it and publishes the same envelopes vc-server would carry. CONNECT
 * turns "echo" off, so a publisher does not get its own messages back:
 * the fan-out is the room's, to everyone else.
 *
 * Written by hand rather than with libnats so that it runs in the load
 * generator's one thread and loop, exactly like the WebSocket side.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "loadgen.h"

int nats_start(lg_conn *c, const char *subject) {
  char line[4096], cmd[512];
  size_t got = 0;
  int n;

  /* INFO comes first; it tells nothing we need on loopback. */
  while (got + 1 < sizeof(line)) {
    if (recv(c->fd, line + got, 1, 0) != 1) {
      return -1;
    }
    line[++got] = '\0';
    if (got >= 2 && line[got - 2] == '\r' && line[got - 1] == '\n') {
      break;
    }
  }
  if (strncmp(line, "INFO ", 5) != 0) {
    lg_fail("nats: expected INFO, got %.40s", line);
    return -1;
  }
  n = snprintf(cmd, sizeof(cmd),
               "CONNECT {\"verbose\":false,\"pedantic\":false,"
               "\"echo\":false,\"protocol\":1,\"name\":\"load%d\"}\r\n"
               "SUB %s 1\r\nPING\r\n",
               c->index, subject);
  return lg_write(c, (const uint8_t *)cmd, (size_t)n, NULL, 0);
}

int nats_publish(lg_conn *c, const char *subject, const uint8_t *frame,
                 size_t len) {
  static uint8_t buf[VC_ENVELOPE_MAX_LEN + 256];
  int h = snprintf((char *)buf, 256, "PUB %s %zu\r\n", subject, len);

  memcpy(buf + h, frame, len);
  memcpy(buf + h + len, "\r\n", 2);
  return lg_write(c, buf, (size_t)h + len + 2, NULL, 0);
}

/* The payload size at the end of a MSG line: "MSG <subject> <sid>
 * [reply-to] <#bytes>". */
static long msg_size(const char *line, size_t len) {
  size_t i = len;

  while (i > 0 && line[i - 1] != ' ') {
    i--;
  }
  return i == len ? -1 : strtol(line + i, NULL, 10);
}

int nats_consume(lg_conn *c, uint64_t now_ns) {
  size_t off = 0;

  for (;;) {
    char *p = (char *)c->in + off;
    size_t avail = c->in_len - off, ll;
    char *eol = memchr(p, '\n', avail);
    if (!eol) {
      break;
    }
    ll = (size_t)(eol - p) + 1; /* the line with its \r\n */
    if (ll >= 4 && memcmp(p, "MSG ", 4) == 0) {
      long size = msg_size(p, ll - 2);
      if (size < 0 || (size_t)size + 2 > LG_IN_CAP - ll) {
        lg_fail("nats: bad MSG line");
        return -1;
      }
      if (avail < ll + (size_t)size + 2) {
        break; /* the payload is not all here yet */
      }
      lg_on_envelope(c, (uint8_t *)p + ll, (size_t)size, now_ns);
      off += ll + (size_t)size + 2;
      continue;
    }
    if (ll >= 4 && memcmp(p, "PING", 4) == 0) {
      if (lg_write(c, (const uint8_t *)"PONG\r\n", 6, NULL, 0) != 0) {
        return -1;
      }
    } else if (ll >= 4 && memcmp(p, "PONG", 4) == 0) {
      c->session = 1; /* our SUB was processed before this */
    } else if (ll >= 4 && memcmp(p, "-ERR", 4) == 0) {
      lg_fail("nats: %.*s", (int)(ll - 2), p);
      return -1;
    }
    off += ll; /* +OK, INFO */
  }
  memmove(c->in, c->in + off, c->in_len - off);
  c->in_len -= off;
  return 0;
}
