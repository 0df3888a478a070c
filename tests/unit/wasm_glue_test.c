/*
 * wasm_glue_test.c: the browser module's C side (the glue files in
 * src/wasm/), the functions web/js/core.js calls, built natively and, in
 * the WASM build, run under Node as the page runs them.
 */
#include <string.h>

#include <vc/frame.h>
#include <vc/meeting.h>
#include <vc/wire.h>

#include "meeting_fixtures.h"
#include "test.h"
#include "wasm/glue.h"

/* Exported to JS (src/wasm/exports.txt); declared where they are defined. */
vcw_meeting *vcw_meeting_new(const char *meeting_id, const char *user,
                             const char *display_name, uint32_t seed, int e2ee,
                             const char *passphrase);
void vcw_meeting_del(vcw_meeting *w);
int vcw_connected(vcw_meeting *w, double ts_ms);
int vcw_receive(vcw_meeting *w, const uint8_t *data, size_t len, double ts_ms);
int vcw_pop(vcw_meeting *w);
int vcw_out_is_media(vcw_meeting *w);
int vcw_video_send(vcw_meeting *w, const uint8_t *data, size_t len,
                   int keyframe, double timestamp_us, int kind, int layer,
                   double ts_ms);
int vcw_video_next(vcw_meeting *w, double ts_ms);
const uint8_t *vcw_video_out(vcw_meeting *w);
uint32_t vcw_video_out_sender(vcw_meeting *w);

/* Frames |env| for the stream, as the server does. */
static size_t framed(uint8_t *out, size_t cap, const uint8_t *env, size_t n) {
  vc_ssize h = vc_frame_write_header(out, cap, n);

  if (h < 0 || (size_t)h + n > cap) {
    return 0;
  }
  memcpy(out + h, env, n);
  return (size_t)h + n;
}

/* A frame that arrives in two pieces stays whole while the page sends in
 * between: sending once borrowed the stream reader's buffer, which holds
 * the first piece, and garbled it (docs/PROTOCOL.md). Also: the class
 * JS reads (video on the stream, never as a datagram). */
void test_vc_wasm_glue_sending_keeps_a_frame_half_received(void) {
  static uint8_t env[8192], wire[8300], payload[3000], mine[200];
  vcw_meeting *w = vcw_meeting_new("room1", "alice", "Alice", 7, 0, "");
  vc_route route;
  vc_ssize n;
  size_t len, i;
  int got = 0;

  CHECK(w != NULL);
  CHECK_INT_EQ(vcw_connected(w, 1.0), 0);
  while (vcw_pop(w) > 0) {
  } /* the Join */
  len = framed(wire, sizeof(wire), env,
               vc_test_welcome_frame(env, sizeof(env), 3, NULL, 0, NULL));
  CHECK(len > 0);
  CHECK_INT_EQ(vcw_receive(w, wire, len, 2.0), 0);

  for (i = 0; i < sizeof(payload); i++) {
    payload[i] = (uint8_t)(i * 7 + 1);
  }
  memset(&route, 0, sizeof(route));
  route.sender_session = 2; /* Bob, who sends in the clear */
  route.kind = VC_STREAM_KIND_VIDEO;
  route.keyframe = 1;
  route.timestamp_us = 1000;
  n = vc_envelope_encode(env, sizeof(env), &route, payload, sizeof(payload));
  CHECK(n > 0);
  len = framed(wire, sizeof(wire), env, (size_t)n);
  CHECK(len > 0);
  CHECK_INT_EQ(vcw_receive(w, wire, len / 2, 3.0), 0);

  memset(mine, 9, sizeof(mine));
  CHECK_INT_EQ(vcw_video_send(w, mine, sizeof(mine), 1, 2000.0,
                              VC_STREAM_KIND_VIDEO, 0, 3.5),
               1); /* queued */
  while (vcw_pop(w) > 0) {
    if (vcw_out_is_media(w)) {
      CHECK_INT_EQ(vcw_out_is_media(w), VC_MEETING_FRAME_MEDIA);
      got++;
    }
  }
  CHECK_INT_EQ(got, 1);

  CHECK_INT_EQ(vcw_receive(w, wire + len / 2, len - len / 2, 4.0), 0);
  for (i = 0, n = 0; i < 50 && n == 0; i++) {
    n = vcw_video_next(w, 4.0 + 10.0 * (double)i);
  }
  CHECK_INT_EQ(n, (vc_ssize)sizeof(payload));
  CHECK_INT_EQ(vcw_video_out_sender(w), 2);
  CHECK(memcmp(vcw_video_out(w), payload, sizeof(payload)) == 0);
  vcw_meeting_del(w);
}
