/*
 * envelope_decode_fuzz.c: fuzz target for vc_envelope_decode, the first
 * decoder every byte from the network meets. Whatever it accepts must
 * re-encode and decode to the same route and payload.
 */
#include <stdlib.h>
#include <string.h>

#include <vc/wire.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t payload[VC_ENVELOPE_MAX_PAYLOAD_LEN];
  static uint8_t wire[VC_ENVELOPE_MAX_LEN];
  static uint8_t again[VC_ENVELOPE_MAX_PAYLOAD_LEN];
  vc_route route, route2;
  vc_ssize n, w, m;

  n = vc_envelope_decode(&route, payload, sizeof(payload), data, size);
  if (n < 0) {
    return 0;
  }
  w = vc_envelope_encode(wire, sizeof(wire), &route, payload, (size_t)n);
  if (w < 0) {
    abort(); /* a frame we accept must be one we can write */
  }
  m = vc_envelope_decode(&route2, again, sizeof(again), wire, (size_t)w);
  if (m != n || memcmp(&route, &route2, sizeof(route)) != 0 ||
      memcmp(payload, again, (size_t)n) != 0) {
    abort();
  }
  return 0;
}
