/*
 * ws_meeting_test.c: real client cores (src/meeting) in a real meeting on
 * the real vc-server, over WebSocket on loopback. Also what a hostile
 * client gets, and that the honest ones do not notice.
 *
 *   ws_meeting_test <port>
 *
 * The client side of WebSocket is written here (masking, the upgrade
 * request); the envelope framing is the core's (include/vc/frame.h).
 */
#define _GNU_SOURCE
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

#include <vc/frame.h>
#include <vc/meeting.h>
#include <vc/wire.h>

#define MS ((vc_tstamp)1000000)
#define MAX_CLIENTS 3

static int failures;
static uint16_t port;

#define EXPECT(cond, ...)                                                      \
  do {                                                                         \
    if (!(cond)) {                                                             \
      failures++;                                                              \
      printf("FAIL %s:%d: ", __FILE__, __LINE__);                              \
      printf(__VA_ARGS__);                                                     \
      printf("\n");                                                            \
    } else {                                                                   \
      printf("ok   ");                                                         \
      printf(__VA_ARGS__);                                                     \
      printf("\n");                                                            \
    }                                                                          \
  } while (0)

static vc_tstamp now_ts(void) {
  struct timespec t;

  clock_gettime(CLOCK_MONOTONIC, &t);
  return (vc_tstamp)t.tv_sec * 1000000000u + (vc_tstamp)t.tv_nsec;
}

/* Connects and upgrades; returns the socket or -1. |rcvbuf|: 0 for the
 * system's default, else a small receive buffer (a slow reader). */
static int ws_connect_with(int rcvbuf) {
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
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && rcvbuf > 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  }
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
      send(fd, request, sizeof(request) - 1, MSG_NOSIGNAL) < 0) {
    return -1;
  }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  /* Read the 101 head byte by byte: nothing after it may be lost. */
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
  if (strncmp(head, "HTTP/1.1 101", 12) != 0 ||
      !strstr(head, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")) {
    printf("upgrade refused: %s\n", head);
    close(fd);
    return -1;
  }
  return fd;
}

static int ws_connect(void) {
  return ws_connect_with(0);
}

/* One masked binary message with |a| then |b| as its payload. */
static int ws_send(int fd, const uint8_t *a, size_t alen, const uint8_t *b,
                   size_t blen) {
  static uint8_t buf[VC_ENVELOPE_MAX_LEN + 32];
  static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  size_t len = alen + blen, h = 0, i;

  buf[h++] = 0x82;
  if (len < 126) {
    buf[h++] = (uint8_t)(0x80 | len);
  } else if (len < 65536) {
    buf[h++] = 0x80 | 126;
    buf[h++] = (uint8_t)(len >> 8);
    buf[h++] = (uint8_t)len;
  } else {
    buf[h++] = 0x80 | 127;
    for (i = 0; i < 8; i++) {
      buf[h++] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    }
  }
  memcpy(buf + h, mask, 4);
  h += 4;
  memcpy(buf + h, a, alen);
  memcpy(buf + h + alen, b, blen);
  for (i = 0; i < len; i++) {
    buf[h + i] ^= mask[i % 4];
  }
  return send(fd, buf, h + len, MSG_NOSIGNAL) == (ssize_t)(h + len) ? 0 : -1;
}

typedef struct client {
  const char *user;
  vc_meeting *m;
  int fd;
  uint8_t in[VC_ENVELOPE_MAX_LEN + 64];
  size_t in_len;
  vc_frame_reader frames;
  uint8_t frame_buf[VC_ENVELOPE_MAX_LEN];
  int joined, ended, lost;
  int chats;
  char last_chat[64];
  int left_seen;
  int audio_frames; /* audio envelopes received */
} client;

static void on_event(void *user_data, const vc_meeting_event *ev) {
  client *c = user_data;

  switch (ev->type) {
  case VC_MEETING_EVENT_JOINED:
    c->joined = 1;
    break;
  case VC_MEETING_EVENT_CHAT:
    c->chats++;
    snprintf(c->last_chat, sizeof(c->last_chat), "%.*s", (int)ev->textlen,
             ev->text);
    break;
  case VC_MEETING_EVENT_PARTICIPANT_LEFT:
    c->left_seen++;
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
}

static void client_flush(client *c) {
  static uint8_t frame[VC_ENVELOPE_MAX_LEN];
  uint8_t prefix[VC_FRAME_MAX_HEADER_LEN];
  vc_ssize n, p;

  while ((n = vc_meeting_pop_frame(c->m, frame, sizeof(frame))) > 0) {
    p = vc_frame_write_header(prefix, sizeof(prefix), (size_t)n);
    if (p < 0 || ws_send(c->fd, prefix, (size_t)p, frame, (size_t)n) != 0) {
      vc_meeting_transport_lost(c->m, now_ts());
      return;
    }
  }
}

static int client_start_with(client *c, const char *user, uint64_t seed,
                             int rcvbuf) {
  vc_meeting_config cfg;

  memset(c, 0, sizeof(*c));
  memset(&cfg, 0, sizeof(cfg));
  c->user = user;
  cfg.meeting_id = "itest";
  cfg.user = user;
  cfg.display_name = user;
  cfg.seed = seed;
  cfg.on_event = on_event;
  cfg.user_data = c;
  if (vc_meeting_new(&c->m, &cfg) != 0 ||
      vc_frame_reader_init(&c->frames, c->frame_buf, sizeof(c->frame_buf))) {
    return -1;
  }
  c->fd = ws_connect_with(rcvbuf);
  if (c->fd < 0) {
    return -1;
  }
  vc_meeting_connected(c->m, now_ts());
  client_flush(c);
  return 0;
}

static int client_start(client *c, const char *user, uint64_t seed) {
  return client_start_with(c, user, seed, 0);
}

static void pump_once(client *cs, int n, int wait_ms);

/* |sender| sends |count| audio envelopes of 1000 bytes, |per_ms| each
 * millisecond, while everyone in |cs| keeps reading. */
static void send_audio(client *cs, int n, client *sender, int count,
                       int per_ms) {
  static uint8_t payload[1000], frame[1100];
  uint8_t prefix[VC_FRAME_MAX_HEADER_LEN];
  vc_route route;
  int i;

  memset(&route, 0, sizeof(route));
  memset(payload, 0x55, sizeof(payload));
  route.sender_session = vc_meeting_session_id(sender->m);
  route.kind = VC_STREAM_KIND_AUDIO;
  route.audio_level = 50;
  for (i = 0; i < count; i++) {
    vc_ssize f, p;
    route.sequence = (uint32_t)i;
    f = vc_envelope_encode(frame, sizeof(frame), &route, payload,
                           sizeof(payload));
    p = vc_frame_write_header(prefix, sizeof(prefix), (size_t)f);
    if (f < 0 || p < 0 ||
        ws_send(sender->fd, prefix, (size_t)p, frame, (size_t)f) != 0) {
      return;
    }
    if ((i + 1) % per_ms == 0) {
      /* About |per_ms| a millisecond: under the server's rate limit. */
      struct timespec ms1 = {0, 1000000};
      nanosleep(&ms1, NULL);
      pump_once(cs, n, 0);
    }
  }
}

/* Parses whole server messages (unmasked) out of c->in. */
static void client_consume(client *c) {
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
          vc_meeting_transport_lost(c->m, now_ts());
          return;
        }
        if (n > 0) {
          static uint8_t payload[VC_ENVELOPE_MAX_LEN];
          vc_route route;
          if (vc_envelope_decode(&route, payload, sizeof(payload), frame,
                                 (size_t)n) >= 0 &&
              route.kind == VC_STREAM_KIND_AUDIO) {
            c->audio_frames++;
          }
          vc_meeting_receive(c->m, frame, (size_t)n, now_ts());
        }
      }
    } else if ((p[0] & 0x0f) == 0x8) {
      vc_meeting_transport_lost(c->m, now_ts());
    }
    off += h + len;
  }
  memmove(c->in, c->in + off, c->in_len - off);
  c->in_len -= off;
  client_flush(c);
}

/* Runs every live client's I/O and timers for |ms| milliseconds. */
/* One round of every live client's I/O and timers, waiting at most
 * |wait_ms| for something to read. */
static void pump_once(client *cs, int n, int wait_ms) {
  struct pollfd pfd[MAX_CLIENTS];
  int i;

  for (i = 0; i < n; i++) {
    pfd[i].fd = cs[i].fd;
    pfd[i].events = POLLIN;
    pfd[i].revents = 0;
  }
  (void)poll(pfd, (nfds_t)n, wait_ms);
  for (i = 0; i < n; i++) {
    client *c = &cs[i];
    if (c->fd < 0) {
      continue;
    }
    if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len,
                       MSG_DONTWAIT);
      if (r > 0) {
        c->in_len += (size_t)r;
        client_consume(c);
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        close(c->fd);
        c->fd = -1;
        vc_meeting_transport_lost(c->m, now_ts());
      }
    }
    if (c->m && vc_meeting_get_expiry(c->m) <= now_ts()) {
      vc_meeting_handle_expiry(c->m, now_ts());
      if (c->fd >= 0) {
        client_flush(c);
      }
    }
  }
}

/* Runs every live client's I/O and timers for |ms| milliseconds. */
static void pump(client *cs, int n, int ms) {
  vc_tstamp until = now_ts() + (vc_tstamp)ms * MS;

  while (now_ts() < until) {
    pump_once(cs, n, 10);
  }
}

/* Raw bytes on a fresh upgraded connection; returns 1 when the server
 * closed it (a close frame or EOF) within a second. */
static int hostile(const uint8_t *bytes, size_t len) {
  uint8_t buf[512];
  int fd = ws_connect(), closed = 0, i;

  if (fd < 0) {
    return 0;
  }
  if (send(fd, bytes, len, MSG_NOSIGNAL) != (ssize_t)len) {
    close(fd);
    return 1;
  }
  for (i = 0; i < 100 && !closed; i++) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 10) > 0) {
      ssize_t r = recv(fd, buf, sizeof(buf), 0);
      closed = r <= 0 || (buf[0] & 0x0f) == 0x8;
    }
  }
  close(fd);
  return closed;
}

int main(int argc, char **argv) {
  static client cs[MAX_CLIENTS];
  static const uint8_t unmasked[] = {0x82, 0x02, 0x01, 0x02};
  static const uint8_t huge_prefix[] = {
      0x82, 0x84, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f}; /* length 2^28-1 */
  static const uint8_t text[] = {0x81, 0x82, 0, 0, 0, 0, 'h', 'i'};
  static const uint8_t huge_ws[] = {0x82, 0xff, 0, 0, 1, 0, 0,
                                    0,    0,    0, 0, 0, 0, 0}; /* 2^40 bytes */
  static const uint8_t not_join[] = {0x82, 0x83, 0, 0, 0, 0, 0x02, 0x08, 0x01};
  const vc_participant *p;

  if (argc != 2) {
    fprintf(stderr, "usage: ws_meeting_test <port>\n");
    return 2;
  }
  port = (uint16_t)atoi(argv[1]);
  setvbuf(stdout, NULL, _IONBF, 0);

  EXPECT(client_start(&cs[0], "alice", 1) == 0, "alice connects over /ws");
  EXPECT(client_start(&cs[1], "bob", 2) == 0, "bob connects over /ws");
  if (failures) {
    return 1;
  }
  pump(cs, 2, 500);
  EXPECT(cs[0].joined && cs[1].joined, "both joined meeting itest");
  p = vc_meeting_roster_size(cs[0].m) == 1 ? vc_meeting_roster_at(cs[0].m, 0)
                                           : NULL;
  EXPECT(p && strcmp(p->user, "bob") == 0, "alice's roster is bob");
  p = vc_meeting_roster_size(cs[1].m) == 1 ? vc_meeting_roster_at(cs[1].m, 0)
                                           : NULL;
  EXPECT(p && strcmp(p->user, "alice") == 0, "bob's roster is alice");
  EXPECT(vc_meeting_host(cs[1].m) == vc_meeting_session_id(cs[0].m),
         "alice, first in, hosts");

  vc_meeting_send_chat(cs[0].m, (const uint8_t *)"hello from alice", 16, 0, 0,
                       now_ts(), NULL);
  client_flush(&cs[0]);
  pump(cs, 2, 300);
  EXPECT(cs[1].chats == 1 && strcmp(cs[1].last_chat, "hello from alice") == 0,
         "bob got alice's chat once");
  EXPECT(cs[0].chats == 1, "alice got her own chat back as its receipt");

  /* Hostile connections next to the meeting. */
  EXPECT(hostile(unmasked, sizeof(unmasked)), "an unmasked frame is closed");
  EXPECT(hostile(huge_prefix, sizeof(huge_prefix)),
         "a 256 MiB envelope length prefix is closed");
  EXPECT(hostile(huge_ws, sizeof(huge_ws)),
         "a 1 TiB WebSocket message length is closed");
  EXPECT(hostile(text, sizeof(text)), "a text message is closed");
  EXPECT(hostile(not_join, sizeof(not_join)) == 0,
         "a frame before Join gets an Error, the connection stays");

  /* A slow reader: carol joins with a tiny receive buffer and then reads
   * nothing. alice sends 4000 audio packets of 1 KB; bob, reading, gets
   * them; carol's share is dropped at the server instead of piling up. */
  EXPECT(client_start_with(&cs[2], "carol", 3, 4096) == 0,
         "carol (who will stop reading) connects");
  pump(cs, 3, 300);
  EXPECT(cs[2].joined, "carol joined");
  send_audio(cs, 2, &cs[0], 4000, 2);
  pump(cs, 2, 300);
  /* Loopback loses nothing; a few may go if this machine stalls bob. */
  EXPECT(cs[1].audio_frames >= 3800 && cs[1].audio_frames <= 4000,
         "bob got %d of 4000 audio packets while carol read nothing",
         cs[1].audio_frames);

  /* The meeting carries on through all that; then alice leaves. */
  pump(cs, 2, 1500);
  EXPECT(cs[0].lost == 0 && cs[1].lost == 0,
         "alice and bob never lost their connection");
  vc_meeting_leave(cs[0].m, now_ts());
  client_flush(&cs[0]);
  close(cs[0].fd);
  cs[0].fd = -1;
  pump(cs + 1, 1, 500);
  EXPECT(cs[1].left_seen == 1 && vc_meeting_roster_size(cs[1].m) == 1,
         "bob saw alice leave within 0.5 s");
  EXPECT(vc_meeting_host(cs[1].m) == vc_meeting_session_id(cs[1].m),
         "the host role passed to bob");

  vc_meeting_del(cs[0].m);
  vc_meeting_del(cs[1].m);
  vc_meeting_del(cs[2].m);
  if (cs[1].fd >= 0) {
    close(cs[1].fd);
  }
  close(cs[2].fd);
  printf("ws_meeting: %d failures\n", failures);
  return failures ? 1 : 0;
}
