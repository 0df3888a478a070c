/*
 * room_forward_bench.c: how fast the server's room logic (server-stub/
 * room.c) forwards audio in a large meeting, against a baseline measured
 * in the same run: the bare fan-out (decode the routing header once, call
 * the send callback for every other participant) with no room around it.
 * Three participants talk, as in a real meeting: a room over ten people
 * forwards only its three loudest voices anyway (room_audio.c). Also
 * times the join storm that fills the room.
 *
 *   room_forward_bench [participants] [packets]
 *
 * Figures go to docs/BENCHMARKS.md; nothing here passes or fails on time.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vc/control.h>
#include <vc/wire.h>

#include "room.h"

static uint64_t frames_out, bytes_out;

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int on_send(void *user_data, vc_conn_id conn, const uint8_t *frame,
                   size_t len, int reliable) {
  (void)user_data;
  (void)conn;
  (void)reliable;
  frames_out++;
  bytes_out += len + frame[0] * 0; /* touch the frame as a sender would */
  return 0;
}

static void on_close(void *user_data, vc_conn_id conn) {
  (void)user_data;
  (void)conn;
}

static void on_random(void *user_data, uint8_t *buf, size_t len) {
  static uint64_t x = 88172645463325252ull;
  size_t i;
  (void)user_data;
  for (i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    buf[i] = (uint8_t)x;
  }
}

static size_t join_frame(uint8_t *out, size_t cap, int i) {
  static uint8_t body[4096];
  Vc__Wire__Control ctl;
  Vc__Wire__Join j;
  char user[32];
  vc_route route;
  vc_ssize n;

  snprintf(user, sizeof(user), "user%d", i);
  vc__wire__control__init(&ctl);
  vc__wire__join__init(&j);
  j.protocol_version = VC_WIRE_VERSION;
  j.meeting_id = "bench";
  j.user = user;
  j.display_name = user;
  ctl.msg_case = VC__WIRE__CONTROL__MSG_JOIN;
  ctl.join = &j;
  n = vc_control_encode(body, sizeof(body), &ctl);
  memset(&route, 0, sizeof(route));
  route.kind = VC_STREAM_KIND_CONTROL;
  n = vc_envelope_encode(out, cap, &route, body, (size_t)n);
  return n > 0 ? (size_t)n : 0;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  long packets = argc > 2 ? atol(argv[2]) : 2000;
  static uint8_t frame[4096], payload[VC_ENVELOPE_MAX_PAYLOAD_LEN];
  vc_room_callbacks cb = {on_send, on_close, on_random, NULL, NULL};
  vc_room_limits lim;
  vc_room *r;
  vc_route route;
  size_t len;
  double t0, join_ns, room_ns, base_ns;
  uint64_t join_frames, join_bytes, room_frames, base_frames;
  long p;
  int i;

  if (n < 2 || n > VC_CONTROL_MAX_ROSTER + 1 || packets <= 0) {
    fprintf(stderr, "usage: %s [participants 2..1001] [packets]\n", argv[0]);
    return 2;
  }
  vc_room_default_limits(&lim);
  lim.max_participants = (uint32_t)n;
  if (vc_room_new(&r, "bench", &lim, &cb) != 0) {
    return 1;
  }
  t0 = now_ns();
  for (i = 0; i < n; i++) {
    len = join_frame(frame, sizeof(frame), i);
    if (vc_room_receive(r, (vc_conn_id)i + 1, frame, len, 1000) != 0) {
      fprintf(stderr, "join %d refused\n", i);
      return 1;
    }
  }
  join_ns = now_ns() - t0;
  join_frames = frames_out;
  join_bytes = bytes_out;

  /* 20 ms of Opus at 32 kbit/s: about 80 bytes, plus the envelope. */
  memset(&route, 0, sizeof(route));
  route.kind = VC_STREAM_KIND_AUDIO;
  route.audio_level = 40;
  memset(payload, 0x3c, 80);

  frames_out = 0;
  t0 = now_ns();
  /* Three people talk, as in a real meeting (a large room forwards only
   * its three loudest voices anyway): each packet goes to everyone else. */
  for (p = 0; p < packets; p++) {
    i = (int)(p % 3);
    route.sender_session = (uint32_t)i + 1; /* sessions are 1..n */
    route.sequence = (uint32_t)p;
    len = (size_t)vc_envelope_encode(frame, sizeof(frame), &route, payload, 80);
    vc_room_receive(r, (vc_conn_id)i + 1, frame, len, 2000);
  }
  room_ns = now_ns() - t0;
  room_frames = frames_out;

  /* Baseline: the same decode and the same fan-out, nothing else. */
  frames_out = 0;
  t0 = now_ns();
  for (p = 0; p < packets; p++) {
    vc_route in;
    int k;
    i = (int)(p % 3);
    route.sender_session = (uint32_t)i + 1;
    route.sequence = (uint32_t)p;
    len = (size_t)vc_envelope_encode(frame, sizeof(frame), &route, payload, 80);
    if (vc_envelope_decode(&in, payload, sizeof(payload), frame, len) < 0) {
      return 1;
    }
    for (k = 0; k < n; k++) {
      if (k != i) {
        on_send(NULL, (vc_conn_id)k + 1, frame, len, 0);
      }
    }
  }
  base_ns = now_ns() - t0;
  base_frames = frames_out;

  printf("room_join_storm participants=%d frames=%llu bytes=%llu ms=%.1f\n", n,
         (unsigned long long)join_frames, (unsigned long long)join_bytes,
         join_ns / 1e6);
  printf("room_forward participants=%d packets_in=%ld forwarded=%llu "
         "ns_per_forward=%.2f forwards_per_s=%.0f\n",
         n, packets, (unsigned long long)room_frames,
         room_ns / (double)room_frames, (double)room_frames / room_ns * 1e9);
  printf("baseline_fanout forwarded=%llu ns_per_forward=%.2f\n",
         (unsigned long long)base_frames, base_ns / (double)base_frames);
  printf("room / baseline = %.2f\n",
         (room_ns / (double)room_frames) / (base_ns / (double)base_frames));
  vc_room_del(r);
  return 0;
}
