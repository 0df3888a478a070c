/*
 * ws_flood_test.c: one joined participant floods the server with small,
 * well-formed audio envelopes as fast as its socket takes them; the
 * others (one in the same meeting, one in another) must keep their call:
 * the server never goes silent on them for the liveness window (5 s) and
 * their connections are never lost (issue 20, finding 1).
 *
 *   ws_flood_test <port> <seconds>
 *
 * The flooder is a child process writing one prepared 64 KiB buffer of
 * envelopes over and over, so the test's own pumping never slows it.
 * /healthz during the flood is checked by the calling script.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ws_test_client.h"

#define N_HONEST 3
/* The client core's liveness window (VC_MEETING_DEFAULT_LIVENESS_MS)
 * less a margin: a silence this long means heartbeats went unread. */
#define MAX_SILENCE_MS 4500

static int failures;

/* |cond| is evaluated once: some checks have side effects. */
#define EXPECT(cond, ...)                                                      \
  do {                                                                         \
    int ok_ = (cond);                                                          \
    printf(ok_ ? "ok   " : "FAIL ");                                           \
    printf(__VA_ARGS__);                                                       \
    printf("\n");                                                              \
    failures += !ok_;                                                          \
  } while (0)

/* Fills |buf| with whole WebSocket messages of one small audio envelope
 * each; returns the bytes used. */
static size_t make_flood(uint8_t *buf, size_t cap, uint32_t session) {
  uint8_t payload[24], frame[128];
  vc_route route;
  size_t used = 0;
  uint32_t seq = 0;

  memset(&route, 0, sizeof(route));
  memset(payload, 0x55, sizeof(payload));
  route.sender_session = session;
  route.kind = VC_STREAM_KIND_AUDIO;
  route.audio_level = 50;
  for (;;) {
    uint8_t prefix[VC_FRAME_MAX_HEADER_LEN];
    vc_ssize f, p;
    size_t h;
    route.sequence = seq++;
    f = vc_envelope_encode(frame, sizeof(frame), &route, payload,
                           sizeof(payload));
    p = vc_frame_write_header(prefix, sizeof(prefix), (size_t)f);
    if (f < 0 || p < 0 || used + 14 + (size_t)(p + f) > cap) {
      return used;
    }
    h = wtc_ws_header(buf + used, (size_t)(p + f));
    memcpy(buf + used + h, prefix, (size_t)p);
    memcpy(buf + used + h + (size_t)p, frame, (size_t)f);
    used += h + (size_t)(p + f);
  }
}

/* The child: sends the buffer until |seconds| pass; reads and discards
 * what the server sends so that its own queue never stops it. */
static void flood(int fd, uint32_t session, int seconds) {
  static uint8_t buf[65536], sink[65536];
  size_t len = make_flood(buf, sizeof(buf), session);
  vc_tstamp until = wtc_now() + (vc_tstamp)seconds * 1000 * WT_MS;
  unsigned long long sent = 0;

  while (wtc_now() < until) {
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    if (n <= 0) {
      break;
    }
    sent += (unsigned long long)n;
    while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0) {
    }
  }
  printf("     the flooder sent %llu MB\n", sent >> 20);
  fflush(stdout);
}

int main(int argc, char **argv) {
  static wtc_client cs[N_HONEST], mallory;
  static const char *const users[N_HONEST] = {"alice", "bob", "carol"};
  static const char *const meetings[N_HONEST] = {"flood", "flood", "calm"};
  int seconds, i, status = 0;
  pid_t child;
  vc_tstamp until;

  if (argc != 3) {
    fprintf(stderr, "usage: ws_flood_test <port> <seconds>\n");
    return 2;
  }
  wtc_port = (uint16_t)atoi(argv[1]);
  seconds = atoi(argv[2]);
  setvbuf(stdout, NULL, _IONBF, 0);

  for (i = 0; i < N_HONEST; i++) {
    EXPECT(wtc_client_start(&cs[i], meetings[i], users[i], (uint64_t)i + 1) ==
               0,
           "%s connects to meeting %s", users[i], meetings[i]);
  }
  EXPECT(wtc_client_start(&mallory, "flood", "mallory", 9) == 0,
         "mallory connects to meeting flood");
  if (failures) {
    return 1;
  }
  until = wtc_now() + 5000 * WT_MS;
  while (wtc_now() < until &&
         !(cs[0].joined && cs[1].joined && cs[2].joined && mallory.joined)) {
    wtc_pump_once(cs, N_HONEST, 10);
    wtc_pump_once(&mallory, 1, 0);
  }
  EXPECT(cs[0].joined && cs[1].joined && cs[2].joined && mallory.joined,
         "all four joined");
  if (failures) {
    return 1;
  }
  for (i = 0; i < N_HONEST; i++) {
    cs[i].max_gap = 0;
  }

  child = fork();
  if (child == 0) {
    flood(mallory.fd, vc_meeting_session_id(mallory.m), seconds);
    /* The child's copies too: under ASan _exit checks for leaks. */
    for (i = 0; i < N_HONEST; i++) {
      wtc_client_del(&cs[i]);
    }
    wtc_client_del(&mallory);
    _exit(0);
  }
  close(mallory.fd); /* the child's now */
  mallory.fd = -1;
  printf("     flooding for %d s\n", seconds);
  wtc_pump(cs, N_HONEST, seconds * 1000);
  waitpid(child, &status, 0);
  wtc_pump(cs, N_HONEST, 500);

  for (i = 0; i < N_HONEST; i++) {
    EXPECT(cs[i].lost == 0 && !cs[i].ended && cs[i].fd >= 0,
           "%s (meeting %s) kept its connection through the flood", users[i],
           meetings[i]);
    EXPECT(cs[i].max_gap < (vc_tstamp)MAX_SILENCE_MS * WT_MS,
           "%s: the server's longest silence was %llu ms (under %d)", users[i],
           (unsigned long long)(cs[i].max_gap / WT_MS), MAX_SILENCE_MS);
    wtc_client_del(&cs[i]);
  }
  vc_meeting_del(mallory.m);
  printf("ws_flood: %d failures\n", failures);
  return failures ? 1 : 0;
}
