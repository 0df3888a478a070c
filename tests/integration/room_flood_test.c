/*
 * room_flood_test.c: one participant of a large meeting toggles its hand
 * as fast as it can, on the real vc-server over WebSocket (issue 20,
 * finding 2; docs/SERVER.md "Limits: rooms and fan-out"). It must get
 * Error RATE_LIMITED and then be removed (Leave REMOVED), while the
 * others stay in the call: none is closed or dropped, and each answers
 * a Ping afterwards. The bytes the server wrote are read from /metrics
 * by room_flood_test.sh.
 *
 *   room_flood_test <port> flood <n>    n honest clients and the flooder
 *   room_flood_test <port> meetings <k> 127.0.0.3 opens k meetings;
 *                                       the (k+1)th is refused, another
 *                                       address (127.0.0.2) still opens
 *
 * The clients are thin (Join, heartbeats, Ping): a hundred full client
 * cores would measure the test machine, not the server. No check is on
 * a tight time: the machine may be loaded (checks run at load 10).
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

#include <vc/control.h>
#include <vc/frame.h>
#include <vc/wire.h>

#define MS ((uint64_t)1000000)
#define MAX_PEERS 256
#define IN_CAP (VC_ENVELOPE_MAX_LEN + 1024)

static int failures;
static uint16_t port;
static vc_control_decoder *dec;

#define EXPECT(cond, ...)                                                      \
  do {                                                                         \
    printf((cond) ? "ok   " : "FAIL ");                                        \
    printf(__VA_ARGS__);                                                       \
    printf("\n");                                                              \
    failures += !(cond);                                                       \
  } while (0)

typedef struct peer {
  int fd;
  uint32_t session; /* from the Welcome */
  uint8_t *in;
  size_t in_len;
  vc_frame_reader frames;
  uint8_t *frame_buf;
  uint64_t next_heartbeat;
  int closed;         /* the server closed the connection */
  int heartbeats;     /* Heartbeats from the server */
  int rate_limited;   /* Error RATE_LIMITED */
  int last_error;     /* its code */
  int removed;        /* Leave REMOVED to us */
  int others_removed; /* ParticipantLeft REMOVED */
  int updates;        /* ParticipantUpdated */
  int pongs;
  char leave_text[260];
} peer;

static uint64_t now_ns(void) {
  struct timespec t;

  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Connects from |source| (NULL: any) to 127.0.0.1:port and upgrades. */
static int ws_connect(const char *source) {
  static const char request[] =
      "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n";
  struct sockaddr_in sa;
  char head[1024];
  size_t got = 0;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

  if (fd < 0) {
    return -1;
  }
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  if (source) {
    inet_pton(AF_INET, source, &sa.sin_addr);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
      close(fd);
      return -1;
    }
  }
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
      send(fd, request, sizeof(request) - 1, MSG_NOSIGNAL) < 0) {
    close(fd);
    return -1;
  }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  while (got + 1 < sizeof(head)) { /* byte by byte: keep what follows */
    if (recv(fd, head + got, 1, 0) != 1) {
      close(fd);
      return -1;
    }
    head[++got] = '\0';
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

/* Appends |env| as one masked binary message with its length prefix to
 * |out| (at most |cap|); returns the bytes written, 0 when it does not
 * fit. */
static size_t ws_message(uint8_t *out, size_t cap, const uint8_t *env,
                         size_t len) {
  static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  size_t h = 0, i, total;
  vc_ssize p;

  if (cap < len + VC_FRAME_MAX_HEADER_LEN + 14) {
    return 0;
  }
  out[h++] = 0x82;
  h++; /* the length byte, once known */
  memcpy(out + h, mask, 4);
  h += 4;
  p = vc_frame_write_header(out + h, VC_FRAME_MAX_HEADER_LEN, len);
  if (p < 0) {
    return 0;
  }
  memcpy(out + h + (size_t)p, env, len);
  total = (size_t)p + len;
  if (total >= 126) {
    /* Control messages here are small; a longer one needs the 16-bit
     * form, which moves the payload: not needed by this test. */
    return 0;
  }
  out[1] = (uint8_t)(0x80 | total);
  for (i = 0; i < total; i++) {
    out[h + i] ^= mask[i % 4];
  }
  return h + total;
}

static size_t control_message(uint8_t *out, size_t cap, uint32_t session,
                              const Vc__Wire__Control *ctl) {
  static uint8_t scratch[VC_ENVELOPE_MAX_LEN], env[VC_ENVELOPE_MAX_LEN];
  vc_ssize n = vc_control_encode_envelope(env, sizeof(env), scratch,
                                          sizeof(scratch), session, 0, ctl);

  return n > 0 ? ws_message(out, cap, env, (size_t)n) : 0;
}

static int send_control(peer *p, const Vc__Wire__Control *ctl) {
  uint8_t buf[256];
  size_t n = control_message(buf, sizeof(buf), p->session, ctl);

  return n && send(p->fd, buf, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

static int send_join(peer *p, const char *meeting, const char *user) {
  Vc__Wire__Control ctl;
  Vc__Wire__Join join;

  vc__wire__control__init(&ctl);
  vc__wire__join__init(&join);
  join.protocol_version = VC_WIRE_VERSION;
  join.meeting_id = (char *)(uintptr_t)meeting;
  join.user = (char *)(uintptr_t)user;
  join.display_name = (char *)(uintptr_t)user;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_JOIN;
  ctl.join = &join;
  return send_control(p, &ctl);
}

static int send_heartbeat(peer *p) {
  Vc__Wire__Control ctl;
  Vc__Wire__Heartbeat hb;

  vc__wire__control__init(&ctl);
  vc__wire__heartbeat__init(&hb);
  ctl.msg_case = VC__WIRE__CONTROL__MSG_HEARTBEAT;
  ctl.heartbeat = &hb;
  return send_control(p, &ctl);
}

static int send_ping(peer *p) {
  Vc__Wire__Control ctl;
  Vc__Wire__Ping ping;

  vc__wire__control__init(&ctl);
  vc__wire__ping__init(&ping);
  ping.id = 7;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_PING;
  ctl.ping = &ping;
  return send_control(p, &ctl);
}

static int peer_open(peer *p, const char *source) {
  memset(p, 0, sizeof(*p));
  p->in = malloc(IN_CAP);
  p->frame_buf = malloc(VC_ENVELOPE_MAX_LEN);
  p->fd = ws_connect(source);
  if (!p->in || !p->frame_buf || p->fd < 0) {
    return -1;
  }
  return vc_frame_reader_init(&p->frames, p->frame_buf, VC_ENVELOPE_MAX_LEN);
}

static void peer_close(peer *p) {
  if (p->fd >= 0) {
    close(p->fd);
  }
  p->fd = -1;
  free(p->in);
  free(p->frame_buf);
  p->in = p->frame_buf = NULL;
}

static void on_control(peer *p, const uint8_t *payload, size_t len) {
  Vc__Wire__Control *c;

  if (vc_control_decode(dec, &c, payload, len) != 0) {
    return;
  }
  switch (c->msg_case) {
  case VC__WIRE__CONTROL__MSG_WELCOME:
    p->session = c->welcome->session_id;
    break;
  case VC__WIRE__CONTROL__MSG_HEARTBEAT:
    p->heartbeats++;
    break;
  case VC__WIRE__CONTROL__MSG_PONG:
    p->pongs++;
    break;
  case VC__WIRE__CONTROL__MSG_PARTICIPANT_UPDATED:
    p->updates++;
    break;
  case VC__WIRE__CONTROL__MSG_PARTICIPANT_LEFT:
    p->others_removed += c->participant_left->reason ==
                         VC__WIRE__LEAVE_REASON__LEAVE_REASON_REMOVED;
    break;
  case VC__WIRE__CONTROL__MSG_ERROR:
    p->last_error = (int)c->error->code;
    p->rate_limited +=
        c->error->code == VC__WIRE__ERROR_CODE__ERROR_CODE_RATE_LIMITED;
    break;
  case VC__WIRE__CONTROL__MSG_LEAVE:
    p->removed +=
        c->leave->reason == VC__WIRE__LEAVE_REASON__LEAVE_REASON_REMOVED;
    snprintf(p->leave_text, sizeof(p->leave_text), "%s",
             c->leave->text ? c->leave->text : "");
    break;
  default:
    break;
  }
}

/* Parses the whole server messages (unmasked) in p->in. */
static void peer_consume(peer *p) {
  static uint8_t payload[VC_ENVELOPE_MAX_LEN];
  size_t off = 0;

  for (;;) {
    uint8_t *m = p->in + off;
    size_t avail = p->in_len - off, h = 2, len, i;
    if (avail < 2) {
      break;
    }
    len = m[1] & 0x7f;
    if (len == 126) {
      h = 4;
      len = avail >= 4 ? (size_t)m[2] << 8 | m[3] : 0;
    } else if (len == 127) {
      h = 10;
      for (len = 0, i = 0; i < 8 && avail >= 10; i++) {
        len = len << 8 | m[2 + i];
      }
    }
    if (avail < h || avail - h < len) {
      break;
    }
    if ((m[0] & 0x0f) == 0x2) {
      const uint8_t *data = m + h;
      size_t left = len;
      while (left > 0) {
        const uint8_t *frame;
        size_t used;
        vc_route route;
        vc_ssize n = vc_frame_read(&p->frames, &frame, data, left, &used);
        vc_ssize pl;
        data += used;
        left -= used;
        if (n < 0) {
          p->closed = 1;
          return;
        }
        if (n == 0) {
          continue;
        }
        pl = vc_envelope_decode(&route, payload, sizeof(payload), frame,
                                (size_t)n);
        if (pl >= 0 && route.kind == VC_STREAM_KIND_CONTROL) {
          on_control(p, payload, (size_t)pl);
        }
      }
    } else if ((m[0] & 0x0f) == 0x8) {
      p->closed = 1;
    }
    off += h + len;
  }
  memmove(p->in, p->in + off, p->in_len - off);
  p->in_len -= off;
}

/* Reads what |p| has, without waiting. */
static void peer_read(peer *p) {
  for (;;) {
    ssize_t r;
    if (p->fd < 0 || p->closed) {
      return;
    }
    r = recv(p->fd, p->in + p->in_len, IN_CAP - p->in_len, MSG_DONTWAIT);
    if (r > 0) {
      p->in_len += (size_t)r;
      peer_consume(p);
    } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
      p->closed = 1;
      return;
    } else {
      return;
    }
  }
}

/* One round for every peer: what arrived, and a heartbeat each second
 * (the server drops a participant silent for 5 s). Waits at most
 * |wait_ms| for something to read. */
static void pump(peer *ps, int n, int wait_ms) {
  struct pollfd pfd[MAX_PEERS];
  uint64_t now;
  int i;

  for (i = 0; i < n; i++) {
    pfd[i].fd = ps[i].closed ? -1 : ps[i].fd;
    pfd[i].events = POLLIN;
    pfd[i].revents = 0;
  }
  (void)poll(pfd, (nfds_t)n, wait_ms);
  now = now_ns();
  for (i = 0; i < n; i++) {
    if (pfd[i].revents) {
      peer_read(&ps[i]);
    }
    if (!ps[i].closed && ps[i].session && now >= ps[i].next_heartbeat) {
      ps[i].next_heartbeat = now + 1000 * MS;
      if (send_heartbeat(&ps[i]) != 0) {
        ps[i].closed = 1;
      }
    }
  }
}

/* Pumps until every open peer has a session, or |ms| pass. */
static int wait_welcomed(peer *ps, int n, int ms) {
  uint64_t until = now_ns() + (uint64_t)ms * MS;
  int i, missing;

  do {
    pump(ps, n, 20);
    for (i = 0, missing = 0; i < n; i++) {
      missing += !ps[i].closed && !ps[i].session;
    }
  } while (missing && now_ns() < until);
  return missing;
}

static int run_flood(int n) {
  static peer ps[MAX_PEERS];
  static uint8_t burst[64 * 1024];
  peer *bad;
  char user[32];
  uint64_t start, until;
  size_t queued = 0, off = 0, one_len;
  long sent = 0;
  int i, up = 0, closed = 0, answered = 0, saw_removal = 0;

  if (n < 1 || n + 1 > MAX_PEERS) {
    return 2;
  }
  for (i = 0; i <= n; i++) {
    if (peer_open(&ps[i], NULL) != 0) {
      printf("FAIL: connection %d\n", i);
      return 1;
    }
    snprintf(user, sizeof(user), i < n ? "honest%d" : "flooder", i);
    if (send_join(&ps[i], "flood", user) != 0) {
      printf("FAIL: join %d\n", i);
      return 1;
    }
    if (i % 20 == 19) {
      pump(ps, i + 1, 0); /* read Welcomes as they come */
    }
  }
  EXPECT(wait_welcomed(ps, n + 1, 60000) == 0, "%d participants joined", n + 1);
  bad = &ps[n];
  /* The shell scrapes /metrics now: the bytes written before the flood. */
  printf("joined\n");
  fflush(stdout);
  for (start = now_ns(); now_ns() < start + 1500 * MS;) {
    pump(ps, n + 1, 20);
  }

  /* The flood: hand toggles as fast as the socket takes them, for 10 s
   * or until the server removes the flooder. The honest ones are
   * served between bursts. */
  {
    Vc__Wire__Control ctl;
    Vc__Wire__MediaStateUpdate msu;
    Vc__Wire__MediaState st;
    vc__wire__control__init(&ctl);
    vc__wire__media_state_update__init(&msu);
    vc__wire__media_state__init(&st);
    msu.state = &st;
    ctl.msg_case = VC__WIRE__CONTROL__MSG_MEDIA_STATE;
    ctl.media_state = &msu;
    for (queued = 0;; queued += one_len) {
      st.hand_raised = up = !up;
      one_len = control_message(burst + queued, sizeof(burst) - queued,
                                bad->session, &ctl);
      if (one_len == 0) {
        break;
      }
    }
  }
  start = now_ns();
  until = start + 10000 * MS;
  while (now_ns() < until && !bad->closed && !bad->removed) {
    ssize_t w =
        send(bad->fd, burst + off, queued - off, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w > 0) {
      sent += (long)w;
      off = (off + (size_t)w) % queued; /* whole messages, round and round */
    } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
      break;
    }
    pump(ps, n + 1, w > 0 ? 0 : 5);
  }
  printf("flooder sent %ld bytes in %.3f s\n", sent,
         (double)(now_ns() - start) / 1e9);
  /* Let what is on its way arrive. */
  for (start = now_ns(); now_ns() < start + 3000 * MS;) {
    pump(ps, n + 1, 20);
  }
  EXPECT(bad->rate_limited > 0, "the flooder was told RATE_LIMITED (%d times)",
         bad->rate_limited);
  EXPECT(bad->removed == 1, "the flooder was removed: \"%s\"", bad->leave_text);
  EXPECT(bad->closed, "the flooder's connection was closed");

  /* The others stayed: nobody closed, everyone heard the server's
   * heartbeats, saw the flooder removed and answers a Ping now. */
  for (i = 0; i < n; i++) {
    closed += ps[i].closed;
    saw_removal += ps[i].others_removed > 0;
    if (!ps[i].closed && send_ping(&ps[i]) != 0) {
      ps[i].closed = 1;
    }
  }
  for (start = now_ns(); now_ns() < start + 20000 * MS;) {
    pump(ps, n, 20);
    for (i = 0, answered = 0; i < n; i++) {
      answered += ps[i].pongs > 0;
    }
    if (answered == n) {
      break;
    }
  }
  EXPECT(closed == 0, "no honest participant was dropped (%d were)", closed);
  EXPECT(answered == n, "all %d honest participants answer a Ping (%d did)", n,
         answered);
  EXPECT(saw_removal == n, "all %d saw the flooder removed (%d did)", n,
         saw_removal);
  for (i = 0, closed = 0; i < n; i++) {
    closed += ps[i].heartbeats < 3;
  }
  EXPECT(closed == 0, "every honest participant heard the heartbeats");
  for (i = 0; i <= n; i++) {
    peer_close(&ps[i]);
  }
  return 0;
}

/* 127.0.0.3 opens |k| meetings; the next is refused; 127.0.0.2 opens
 * one. The connections stay open, so the meetings do. */
static int run_meetings(int k) {
  static peer ps[MAX_PEERS];
  char meeting[32];
  int i;

  if (k < 1 || k + 2 > MAX_PEERS) {
    return 2;
  }
  for (i = 0; i <= k + 1; i++) {
    /* Not 127.0.0.1: the flood's meeting, opened from there, lingers
     * for its participants' resume grace. */
    const char *source = i <= k ? "127.0.0.3" : "127.0.0.2";
    if (peer_open(&ps[i], source) != 0) {
      printf("FAIL: connection %d from %s\n", i, source);
      return 1;
    }
    snprintf(meeting, sizeof(meeting), "own%d", i);
    if (send_join(&ps[i], meeting, "opener") != 0) {
      return 1;
    }
    /* One at a time: the (k+1)th must find the first k open. */
    (void)wait_welcomed(ps, i + 1, 10000);
    if (i == k) {
      uint64_t until = now_ns() + 10000 * MS;
      while (!ps[i].closed && now_ns() < until) {
        pump(ps, i + 1, 20);
      }
    }
  }
  for (i = 0; i < k; i++) {
    if (!ps[i].session) {
      break;
    }
  }
  EXPECT(i == k, "127.0.0.3 opened %d meetings", k);
  EXPECT(!ps[k].session &&
             ps[k].last_error == VC__WIRE__ERROR_CODE__ERROR_CODE_SERVER_FULL,
         "its meeting %d was refused with SERVER_FULL (error %d)", k + 1,
         ps[k].last_error);
  EXPECT(ps[k].closed, "and its connection closed");
  EXPECT(ps[k + 1].session != 0, "127.0.0.2 still opens a meeting");
  printf("opened\n");
  fflush(stdout);
  /* Held open until the shell has read /metrics (it closes our stdin). */
  {
    char c;
    while (read(0, &c, 1) > 0) {
    }
  }
  for (i = 0; i <= k + 1; i++) {
    peer_close(&ps[i]);
  }
  return 0;
}

int main(int argc, char **argv) {
  int rv;

  if (argc != 4) {
    fprintf(stderr, "usage: room_flood_test <port> flood|meetings <n>\n");
    return 2;
  }
  port = (uint16_t)atoi(argv[1]);
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (vc_control_decoder_new(&dec, VC_CONTROL_ARENA_LEN) != 0) {
    return 1;
  }
  if (strcmp(argv[2], "flood") == 0) {
    rv = run_flood(atoi(argv[3]));
  } else if (strcmp(argv[2], "meetings") == 0) {
    rv = run_meetings(atoi(argv[3]));
  } else {
    rv = 2;
  }
  vc_control_decoder_del(dec);
  return rv ? rv : failures != 0;
}
