/*
 * flood_observer.c: the well-behaved participants of the flood benchmark
 * (bench/flood.sh, issue 20). Two real client cores over WebSocket
 * (tests/integration/ws_test_client.c) join one meeting and hold a call
 * while an attacker works on the same server: the speaker sends an audio
 * packet every 20 ms carrying its send time, the listener takes each
 * packet's delay through the server (one clock: same process). The core's
 * own pings give RTTs too.
 *
 *   flood_observer <port> <meeting> [max_seconds]
 *
 * Prints "joined" once both are in. SIGUSR1 starts the measured window
 * (what came before is forgotten); SIGTERM or max_seconds ends it, and one
 * line of key=value figures follows. The delay quantiles are over the
 * packets sent: one that never arrived counts as later than all ("inf").
 * Figures, never pass or fail.
 */
#define _GNU_SOURCE
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_test_client.h"

#define FRAME_MS 20
#define MAX_SAMPLES 200000

static wtc_client cs[2]; /* [0] speaks, [1] listens */
static volatile sig_atomic_t stop, restart;
static double delays_ms[MAX_SAMPLES], rtts_ms[MAX_SAMPLES];
static size_t n_delays, n_rtts;
static unsigned long sent, received;

static void on_signal(int sig) {
  if (sig == SIGUSR1) {
    restart = 1;
  } else {
    stop = 1;
  }
}

static void hook(wtc_client *c, const vc_meeting_event *ev) {
  if (ev->type == VC_MEETING_EVENT_RTT && n_rtts < MAX_SAMPLES) {
    rtts_ms[n_rtts++] = (double)ev->rtt_us / 1000.0;
  } else if (ev->type == VC_MEETING_EVENT_MEDIA && c == &cs[1] &&
             ev->media_len >= 8) {
    uint64_t t0 = 0;
    for (int i = 0; i < 8; i++) {
      t0 = t0 << 8 | ev->media[i];
    }
    received++;
    if (n_delays < MAX_SAMPLES && t0 != 0) {
      delays_ms[n_delays++] = (double)(wtc_now() - t0) / 1e6;
    }
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The |q| quantile (nearest rank) of |v|, sorted in place; -1 if empty. */
static double quantile(double *v, size_t n, double q) {
  size_t rank;

  if (n == 0) {
    return -1;
  }
  qsort(v, n, sizeof(*v), cmp_double);
  rank = (size_t)(q * (double)n + 0.999999);
  return v[rank == 0 ? 0 : (rank > n ? n : rank) - 1];
}

static void speak(void) {
  static uint8_t sound[160];
  static uint64_t seq;
  vc_media_frame f;
  vc_tstamp t = wtc_now();

  if (cs[0].fd < 0) {
    return;
  }
  memset(&f, 0, sizeof(f));
  f.kind = VC_STREAM_KIND_AUDIO;
  f.audio_level = 40;
  f.timestamp_us = seq++ * FRAME_MS * 1000;
  for (int i = 0; i < 8; i++) {
    sound[i] = (uint8_t)(t >> (56 - 8 * i));
  }
  if (vc_meeting_send_media(cs[0].m, &f, sound, sizeof(sound), t) == 0) {
    sent++;
  }
  wtc_client_flush(&cs[0]);
}

int main(int argc, char **argv) {
  vc_tstamp until, next;
  unsigned long lost_packets = 0;
  int max_seconds, dropped;

  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: flood_observer <port> <meeting> [max_seconds]\n");
    return 2;
  }
  wtc_port = (uint16_t)atoi(argv[1]);
  max_seconds = argc == 4 ? atoi(argv[3]) : 120;
  setvbuf(stdout, NULL, _IONBF, 0);
  signal(SIGUSR1, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);
  wtc_event_hook = hook;

  if (wtc_client_start(&cs[0], argv[2], "obs-speaker", 1) != 0 ||
      wtc_client_start(&cs[1], argv[2], "obs-listener", 2) != 0) {
    printf("joined=0 dropped=1\n");
    return 1;
  }
  until = wtc_now() + 10000 * WT_MS;
  while (wtc_now() < until && !(cs[0].joined && cs[1].joined) && !stop) {
    wtc_pump_once(cs, 2, 10);
  }
  if (!(cs[0].joined && cs[1].joined)) {
    printf("joined=0 dropped=1\n");
    return 1;
  }
  printf("joined\n");

  until = wtc_now() + (vc_tstamp)max_seconds * 1000 * WT_MS;
  next = wtc_now();
  cs[0].max_gap = cs[1].max_gap = 0;
  while (!stop && wtc_now() < until) {
    vc_tstamp t = wtc_now();
    if (restart) {
      restart = 0;
      n_delays = n_rtts = 0;
      sent = received = 0;
      cs[0].max_gap = cs[1].max_gap = 0;
    }
    if (t >= next) {
      speak();
      next += FRAME_MS * WT_MS;
      if (next < t) { /* we were held up: no burst to catch up */
        next = t + FRAME_MS * WT_MS;
      }
      continue;
    }
    wtc_pump_once(cs, 2, (int)((next - t) / WT_MS) + 1);
  }
  /* What is still on its way arrives within half a second or is late. */
  until = wtc_now() + 500 * WT_MS;
  while (wtc_now() < until) {
    wtc_pump_once(cs, 2, 10);
  }
  /* A packet that never came is later than any that did: the quantiles
   * are over what was sent, and "inf" where they fall among the lost. */
  while (received < sent && n_delays < MAX_SAMPLES) {
    delays_ms[n_delays++] = INFINITY;
    received++;
    lost_packets++;
  }
  received -= lost_packets;
  dropped = 0;
  for (int i = 0; i < 2; i++) {
    dropped |= cs[i].lost > 0 || cs[i].ended || cs[i].fd < 0;
  }
  printf("joined=1 sent=%lu received=%lu delay_p50_ms=%.1f "
         "delay_p99_ms=%.1f delay_max_ms=%.1f rtt_n=%zu rtt_p99_ms=%.1f "
         "max_silence_ms=%llu dropped=%d\n",
         sent, received, quantile(delays_ms, n_delays, 0.5),
         quantile(delays_ms, n_delays, 0.99),
         quantile(delays_ms, n_delays, 1.0), n_rtts,
         quantile(rtts_ms, n_rtts, 0.99),
         (unsigned long long)((cs[0].max_gap > cs[1].max_gap ? cs[0].max_gap
                                                             : cs[1].max_gap) /
                              WT_MS),
         dropped);
  wtc_client_del(&cs[0]);
  wtc_client_del(&cs[1]);
  return 0;
}
