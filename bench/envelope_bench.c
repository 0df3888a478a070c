/*
 * envelope_bench.c: time to encode and decode one envelope carrying a
 * typical media payload, so the native and the WASM builds of the same
 * core can be compared in one run (bench/envelope.sh prints the ratio).
 *
 *   envelope_bench [payload_bytes] [iterations]
 *
 * Prints "envelope_roundtrip payload=N ns_per_op=X".
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vc/wire.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
  size_t payloadlen = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 1100;
  long iterations = argc > 2 ? strtol(argv[2], NULL, 10) : 200000;
  static uint8_t payload[VC_ENVELOPE_MAX_PAYLOAD_LEN];
  static uint8_t wire[VC_ENVELOPE_MAX_LEN];
  static uint8_t back[VC_ENVELOPE_MAX_PAYLOAD_LEN];
  vc_route route, out;
  unsigned long check = 0;
  double start, elapsed;
  long i;

  if (payloadlen > sizeof(payload) || iterations <= 0) {
    fprintf(stderr, "usage: %s [payload_bytes <= %zu] [iterations > 0]\n",
            argv[0], (size_t)VC_ENVELOPE_MAX_PAYLOAD_LEN);
    return 2;
  }
  memset(&route, 0, sizeof(route));
  route.kind = VC_STREAM_KIND_VIDEO;
  route.sender_session = 42;
  for (i = 0; i < (long)payloadlen; i++) {
    payload[i] = (uint8_t)i;
  }
  start = now_ns();
  for (i = 0; i < iterations; i++) {
    vc_ssize n, m;
    route.sequence = (uint32_t)i;
    route.timestamp_us = (uint64_t)i * 20000;
    n = vc_envelope_encode(wire, sizeof(wire), &route, payload, payloadlen);
    m = vc_envelope_decode(&out, back, sizeof(back), wire, (size_t)n);
    if (n < 0 || m != (vc_ssize)payloadlen) {
      fprintf(stderr, "round trip failed: %s\n", vc_strerror((int)m));
      return 1;
    }
    check += out.sequence;
  }
  elapsed = now_ns() - start;
  printf("envelope_roundtrip payload=%zu ns_per_op=%.1f check=%lu\n",
         payloadlen, elapsed / (double)iterations, check);
  return 0;
}
