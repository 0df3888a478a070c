/*
 * control_decode_fuzz.c: fuzz target for vc_control_decode, which every
 * control message from a peer or the server meets. Whatever it accepts
 * must encode again (decoder and encoder enforce the same bounds) and
 * decode to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <vc/control.h>
#include <vc/wire.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static vc_control_decoder *dec, *dec2;
  static uint8_t wire[VC_ENVELOPE_MAX_LEN], wire2[VC_ENVELOPE_MAX_LEN];
  Vc__Wire__Control *msg, *msg2;
  vc_ssize n, n2;

  if (!dec && (vc_control_decoder_new(&dec, VC_CONTROL_ARENA_LEN) != 0 ||
               vc_control_decoder_new(&dec2, VC_CONTROL_ARENA_LEN) != 0)) {
    abort();
  }
  if (vc_control_decode(dec, &msg, data, size) != 0) {
    return 0;
  }
  n = vc_control_encode(wire, sizeof(wire), msg);
  if (n < 0) {
    abort(); /* accepted but refused on the way out */
  }
  if (vc_control_decode(dec2, &msg2, wire, (size_t)n) != 0) {
    abort();
  }
  n2 = vc_control_encode(wire2, sizeof(wire2), msg2);
  if (n2 != n || memcmp(wire, wire2, (size_t)n) != 0) {
    abort();
  }
  return 0;
}
