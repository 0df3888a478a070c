/*
 * e2ee_bench.c: bytes of overhead and time to seal and open one frame,
 * for a 20 ms Opus packet (100 B) and a 720p video frame (20 KB), so the
 * native and WASM builds of the same code compare in one run
 * (bench/e2ee.sh prints the ratios).
 *
 *   e2ee_bench [payload_bytes] [iterations]
 *
 * Prints "e2ee payload=N overhead=B seal_ns=X open_ns=Y".
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vc/e2ee.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
  size_t len = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 100;
  long iterations = argc > 2 ? strtol(argv[2], NULL, 10) : 100000;
  static uint8_t plain[1 << 20], back[1 << 20];
  static uint8_t frames[64][32768 + VC_E2EE_MAX_OVERHEAD];
  uint8_t material[VC_E2EE_KEY_LEN] = {42};
  vc_e2ee_sender s;
  vc_e2ee_receiver rx;
  vc_route route;
  double t0, seal_ns = 0, open_ns = 0;
  vc_ssize n = 0;
  long i, done = 0;

  if (len == 0 || len > sizeof(frames[0]) - VC_E2EE_MAX_OVERHEAD ||
      iterations <= 0 || vc_e2ee_init() != 0) {
    fprintf(stderr, "usage: %s [payload_bytes 1..32768] [iterations]\n",
            argv[0]);
    return 2;
  }
  memset(plain, 0x5a, len);
  memset(&route, 0, sizeof(route));
  route.sender_session = 9;
  route.kind = VC_STREAM_KIND_VIDEO;
  memset(&s, 0, sizeof(s));
  memset(&rx, 0, sizeof(rx));
  vc_e2ee_sender_set_key(&s, 1, material);
  vc_e2ee_receiver_set_key(&rx, 1, material);
  /* Batches of 64: seal them all, then open them in order. */
  while (done < iterations) {
    vc_ssize lens[64];
    t0 = now_ns();
    for (i = 0; i < 64; i++) {
      lens[i] =
          vc_e2ee_seal(&s, &route, plain, len, frames[i], sizeof(frames[i]));
    }
    seal_ns += now_ns() - t0;
    t0 = now_ns();
    for (i = 0; i < 64; i++) {
      n = vc_e2ee_open(&rx, &route, frames[i], (size_t)lens[i], back,
                       sizeof(back));
      if (n != (vc_ssize)len) {
        fprintf(stderr, "open failed: %ld\n", (long)n);
        return 1;
      }
    }
    open_ns += now_ns() - t0;
    n = lens[63];
    done += 64;
  }
  printf("e2ee payload=%zu overhead=%ld seal_ns=%.1f open_ns=%.1f\n", len,
         (long)((size_t)n - len), seal_ns / (double)done,
         open_ns / (double)done);
  return 0;
}
