/*
 * e2ee_open_fuzz.c: fuzz target for vc_e2ee_open, which every encrypted
 * frame from a peer meets. Input byte 0 picks the mode:
 *   even: the rest is a frame from nowhere: it must never open (opening
 *         would be a forgery), and the output must come back zeroed;
 *   odd:  the rest is sealed as plaintext, then byte |data[1]| of the frame
 *         is xored with |data[2]|: it opens (to the same plaintext) exactly
 *         when nothing changed, and never twice.
 */
#include <stdlib.h>
#include <string.h>

#include <vc/e2ee.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int all_zero(const uint8_t *p, size_t n) {
  size_t i;

  for (i = 0; i < n; i++) {
    if (p[i]) {
      return 0;
    }
  }
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t frame[4096 + VC_E2EE_MAX_OVERHEAD], out[4096 + 64];
  static const uint8_t material[VC_E2EE_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
  vc_e2ee_sender s;
  vc_e2ee_receiver rx;
  vc_route route;
  vc_ssize n, m;

  if (size < 3 || size > 4096 || vc_e2ee_init() != 0) {
    return 0;
  }
  memset(&route, 0, sizeof(route));
  route.sender_session = 5;
  route.kind = VC_STREAM_KIND_VIDEO;
  memset(&s, 0, sizeof(s));
  memset(&rx, 0, sizeof(rx));
  vc_e2ee_sender_set_key(&s, 3, material);
  vc_e2ee_receiver_set_key(&rx, 3, material);
  if ((data[0] & 1) == 0) {
    m = vc_e2ee_open(&rx, &route, data + 1, size - 1, out, sizeof(out));
    if (m != VC_ERR_DECRYPT || !all_zero(out, sizeof(out))) {
      abort();
    }
    return 0;
  }
  n = vc_e2ee_seal(&s, &route, data + 3, size - 3, frame, sizeof(frame));
  if (n < 0) {
    abort();
  }
  frame[data[1] % (size_t)n] ^= data[2];
  m = vc_e2ee_open(&rx, &route, frame, (size_t)n, out, sizeof(out));
  if (data[2] == 0) {
    if (m != (vc_ssize)(size - 3) || memcmp(out, data + 3, size - 3) != 0) {
      abort(); /* an intact frame must open to what was sealed */
    }
    m = vc_e2ee_open(&rx, &route, frame, (size_t)n, out, sizeof(out));
  }
  if (m != VC_ERR_DECRYPT || !all_zero(out, sizeof(out))) {
    abort(); /* damaged or replayed, yet opened */
  }
  return 0;
}
