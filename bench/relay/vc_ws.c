/*
 * vc_ws.c: one load-generator participant on vc-server's WebSocket path
 * (docs/SERVER.md "Meetings over WebSocket"): the upgrade, a Join built
 * with the core's control encoder, a Subscribe to everyone's video, and
 * envelopes in masked binary messages, each with its length prefix
 * (include/vc/frame.h). The client side of WebSocket is written here, as
 * in tests/integration/ws_meeting_test.c.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vc/control.h>

#include "loadgen.h"

static vc_control_decoder *dec;
static uint8_t scratch[VC_ENVELOPE_MAX_LEN];
static uint8_t frame[VC_ENVELOPE_MAX_LEN];

int vc_ws_start(lg_conn *c, const char *meeting, int index) {
  static const char request[] =
      "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n";
  Vc__Wire__Control ctl;
  Vc__Wire__Join join;
  Vc__Wire__Capabilities caps;
  char head[1024], user[32];
  size_t got = 0;
  vc_ssize n;

  if (!dec && vc_control_decoder_new(&dec, VC_CONTROL_ARENA_LEN) != 0) {
    return -1;
  }
  if (send(c->fd, request, sizeof(request) - 1, MSG_NOSIGNAL) < 0) {
    return -1;
  }
  /* The 101 head byte by byte: the server may follow it at once with
   * frames, which belong to the loop, not to this read. */
  while (got + 1 < sizeof(head)) {
    if (recv(c->fd, head + got, 1, 0) != 1) {
      return -1;
    }
    head[++got] = '\0';
    if (got >= 4 && memcmp(head + got - 4, "\r\n\r\n", 4) == 0) {
      break;
    }
  }
  if (strncmp(head, "HTTP/1.1 101", 12) != 0) {
    lg_fail("upgrade refused: %.60s", head);
    return -1;
  }
  snprintf(user, sizeof(user), "load%d", index);
  vc__wire__control__init(&ctl);
  vc__wire__join__init(&join);
  vc__wire__capabilities__init(&caps);
  caps.max_simulcast_layers = 1;
  join.protocol_version = VC_WIRE_VERSION;
  join.meeting_id = (char *)(uintptr_t)meeting;
  join.user = user;
  join.display_name = user;
  join.capabilities = &caps;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_JOIN;
  ctl.join = &join;
  n = vc_control_encode_envelope(frame, sizeof(frame), scratch, sizeof(scratch),
                                 0, 0, &ctl);
  return n > 0 ? vc_ws_send_frame(c, frame, (size_t)n) : -1;
}

static int send_control(lg_conn *c, const Vc__Wire__Control *ctl) {
  vc_ssize n = vc_control_encode_envelope(frame, sizeof(frame), scratch,
                                          sizeof(scratch), c->session, 0, ctl);

  return n > 0 ? vc_ws_send_frame(c, frame, (size_t)n) : -1;
}

int vc_ws_subscribe(lg_conn *c, lg_conn *all, int n, uint32_t kind) {
  Vc__Wire__Control ctl;
  Vc__Wire__Subscribe sub;
  Vc__Wire__Subscription *items = calloc((size_t)n, sizeof(*items));
  Vc__Wire__Subscription **ptrs = calloc((size_t)n, sizeof(*ptrs));
  int i, k = 0, rv = -1;

  if (items && ptrs) {
    vc__wire__control__init(&ctl);
    vc__wire__subscribe__init(&sub);
    for (i = 0; i < n; i++) {
      if (&all[i] == c) {
        continue;
      }
      vc__wire__subscription__init(&items[k]);
      items[k].session_id = all[i].session;
      items[k].kind = (Vc__Wire__StreamKind)kind;
      items[k].max_layer = 0;
      ptrs[k] = &items[k];
      k++;
    }
    sub.n_subscriptions = (size_t)k;
    sub.subscriptions = ptrs;
    ctl.msg_case = VC__WIRE__CONTROL__MSG_SUBSCRIBE;
    ctl.subscribe = &sub;
    rv = send_control(c, &ctl);
  }
  free(items);
  free(ptrs);
  return rv;
}

int vc_ws_heartbeat(lg_conn *c) {
  Vc__Wire__Control ctl;
  Vc__Wire__Heartbeat hb;

  vc__wire__control__init(&ctl);
  vc__wire__heartbeat__init(&hb);
  ctl.msg_case = VC__WIRE__CONTROL__MSG_HEARTBEAT;
  ctl.heartbeat = &hb;
  return send_control(c, &ctl);
}

int vc_ws_send_frame(lg_conn *c, const uint8_t *env, size_t len) {
  /* A client must mask; a fixed key costs the same XOR as a random one
   * and the server cannot tell. */
  static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  uint8_t buf[VC_FRAME_MAX_HEADER_LEN + 14];
  static uint8_t body[VC_ENVELOPE_MAX_LEN + VC_FRAME_MAX_HEADER_LEN];
  vc_ssize p = vc_frame_write_header(body, VC_FRAME_MAX_HEADER_LEN, len);
  size_t total, h = 0, i;

  if (p < 0) {
    return -1;
  }
  memcpy(body + p, env, len);
  total = (size_t)p + len;
  buf[h++] = 0x82;
  if (total < 126) {
    buf[h++] = (uint8_t)(0x80 | total);
  } else if (total < 65536) {
    buf[h++] = 0x80 | 126;
    buf[h++] = (uint8_t)(total >> 8);
    buf[h++] = (uint8_t)total;
  } else {
    buf[h++] = 0x80 | 127;
    for (i = 0; i < 8; i++) {
      buf[h++] = (uint8_t)((uint64_t)total >> (56 - 8 * i));
    }
  }
  memcpy(buf + h, mask, 4);
  h += 4;
  for (i = 0; i < total; i++) {
    body[i] ^= mask[i % 4];
  }
  return lg_write(c, buf, h, body, total);
}

void vc_ws_handle_control(lg_conn *c, const uint8_t *payload, size_t len) {
  Vc__Wire__Control *m;

  if (vc_control_decode(dec, &m, payload, len) != 0) {
    return; /* a newer server's message: nothing we need */
  }
  if (m->msg_case == VC__WIRE__CONTROL__MSG_WELCOME) {
    c->session = m->welcome->session_id;
  } else if (m->msg_case == VC__WIRE__CONTROL__MSG_KEYFRAME_REQUEST) {
    /* The room dropped one of our video packets to a slow receiver and
     * skips our deltas for it until a keyframe: send one, as a client
     * would, and count it (it means a queue overflowed). */
    c->keyframe_due = 1;
    c->kf_requests++;
  } else if (m->msg_case == VC__WIRE__CONTROL__MSG_ERROR) {
    lg_fail("participant %d: server Error %d: %s", c->index,
            (int)m->error->code, m->error->text ? m->error->text : "");
  } else if (m->msg_case == VC__WIRE__CONTROL__MSG_LEAVE) {
    lg_fail("participant %d: server sent Leave (reason %d)", c->index,
            (int)m->leave->reason);
  }
}

int vc_ws_consume(lg_conn *c, uint64_t now_ns) {
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
    if (avail < h || avail - h < len) {
      if (h + len > LG_IN_CAP) {
        lg_fail("participant %d: a message of %zu bytes", c->index, len);
        return -1;
      }
      break;
    }
    if ((p[0] & 0x0f) == 0x2) {
      const uint8_t *data = p + h;
      size_t left = len;
      while (left > 0) {
        const uint8_t *f;
        size_t used;
        vc_ssize n = vc_frame_read(&c->frames, &f, data, left, &used);
        data += used;
        left -= used;
        if (n < 0) {
          lg_fail("participant %d: bad framing from the server", c->index);
          return -1;
        }
        if (n > 0) {
          lg_on_envelope(c, f, (size_t)n, now_ns);
        }
      }
    } else if ((p[0] & 0x0f) == 0x8) {
      lg_fail("participant %d: the server closed the WebSocket", c->index);
      return -1;
    }
    off += h + len;
  }
  memmove(c->in, c->in + off, c->in_len - off);
  c->in_len -= off;
  return 0;
}
