/*
 * envelope_test.c: the protocol envelope (src/wire/envelope.c), checked
 * against hand-made golden bytes and against hostile input.
 */
#include <string.h>

#include <vc/wire.h>

#include "../vectors/envelope_v1.h"
#include "test.h"

static vc_route sample_route(void) {
  vc_route r;
  memset(&r, 0, sizeof(r));
  r.sender_session = 7;
  r.kind = VC_STREAM_KIND_VIDEO;
  r.layer = 2;
  r.keyframe = 1;
  r.sequence = 300;
  r.audio_level = 30;
  r.timestamp_us = 1000000;
  return r;
}

static int routes_equal(const vc_route *a, const vc_route *b) {
  return a->sender_session == b->sender_session && a->kind == b->kind &&
         a->layer == b->layer && a->keyframe == b->keyframe &&
         a->sequence == b->sequence && a->audio_level == b->audio_level &&
         a->timestamp_us == b->timestamp_us;
}

void test_vc_envelope_roundtrip_keeps_every_field(void) {
  vc_route in, out;
  uint8_t wire[256], payload[128], back[128];
  vc_ssize n, m;
  size_t i;

  memset(&in, 0, sizeof(in));
  in.sender_session = 0xfffffffeu;
  in.kind = VC_STREAM_KIND_SCREEN;
  in.layer = VC_MAX_SIMULCAST_LAYER;
  in.keyframe = 1;
  in.sequence = 0xffffffffu;
  in.audio_level = VC_AUDIO_LEVEL_SILENT;
  in.timestamp_us = 0xfedcba9876543210ull;
  for (i = 0; i < sizeof(payload); i++) {
    payload[i] = (uint8_t)(i * 37 + 1);
  }
  n = vc_envelope_encode(wire, sizeof(wire), &in, payload, sizeof(payload));
  CHECK(n > 0);
  CHECK((size_t)n <= sizeof(payload) + VC_ENVELOPE_MAX_OVERHEAD);
  m = vc_envelope_decode(&out, back, sizeof(back), wire, (size_t)n);
  CHECK_INT_EQ(m, sizeof(payload));
  CHECK(routes_equal(&in, &out));
  CHECK_MEM_EQ(back, payload, sizeof(payload));
}

void test_vc_envelope_empty_payload_roundtrips(void) {
  vc_route in = sample_route(), out;
  uint8_t wire[64];
  vc_ssize n;

  n = vc_envelope_encode(wire, sizeof(wire), &in, NULL, 0);
  CHECK(n > 0);
  CHECK_INT_EQ(vc_envelope_decode(&out, NULL, 0, wire, (size_t)n), 0);
  CHECK(routes_equal(&in, &out));
}

void test_vc_envelope_matches_golden_bytes(void) {
  vc_route in = sample_route(), out;
  uint8_t wire[64], back[8];
  vc_ssize n;

  n = vc_envelope_encode(wire, sizeof(wire), &in, (const uint8_t *)"hi", 2);
  CHECK_INT_EQ(n, sizeof(vc_vector_envelope_video));
  CHECK_MEM_EQ(wire, vc_vector_envelope_video, (size_t)n);

  CHECK_INT_EQ(vc_envelope_decode(&out, back, sizeof(back),
                                  vc_vector_envelope_video,
                                  sizeof(vc_vector_envelope_video)),
               2);
  CHECK(routes_equal(&in, &out));
  CHECK_MEM_EQ(back, "hi", 2);
}

void test_vc_envelope_short_output_is_nobuf(void) {
  vc_route in = sample_route();
  uint8_t wire[64];

  CHECK_INT_EQ(vc_envelope_encode(wire, sizeof(vc_vector_envelope_video) - 1,
                                  &in, (const uint8_t *)"hi", 2),
               VC_ERR_NOBUF);
  CHECK_INT_EQ(vc_envelope_encode(wire, sizeof(vc_vector_envelope_video), &in,
                                  (const uint8_t *)"hi", 2),
               sizeof(vc_vector_envelope_video));
}

void test_vc_envelope_short_payload_buffer_is_nobuf(void) {
  vc_route out;
  uint8_t back[1] = {0xaa};

  CHECK_INT_EQ(vc_envelope_decode(&out, back, sizeof(back),
                                  vc_vector_envelope_video,
                                  sizeof(vc_vector_envelope_video)),
               VC_ERR_NOBUF);
  CHECK_INT_EQ(back[0], 0xaa);
}

/*
 * A frame cut anywhere inside a field is rejected. Cut exactly where the
 * payload field starts, it is a valid envelope without payload: protobuf
 * cannot tell, which is why the transports length-prefix every frame.
 */
void test_vc_envelope_truncation_is_rejected_or_loses_the_payload(void) {
  vc_route out;
  uint8_t back[8];
  size_t cut;
  vc_ssize rv;

  for (cut = 0; cut < sizeof(vc_vector_envelope_video); cut++) {
    rv = vc_envelope_decode(&out, back, sizeof(back), vc_vector_envelope_video,
                            cut);
    if (cut == VC_VECTOR_ENVELOPE_VIDEO_ROUTE_END) {
      CHECK_INT_EQ(rv, 0);
    } else {
      CHECK(rv < 0);
    }
  }
}

void test_vc_envelope_oversized_input_is_too_big(void) {
  static uint8_t big[VC_ENVELOPE_MAX_LEN + 1];
  vc_route out;
  uint8_t back[8];

  memcpy(big, vc_vector_envelope_video, sizeof(vc_vector_envelope_video));
  CHECK_INT_EQ(vc_envelope_decode(&out, back, sizeof(back), big, sizeof(big)),
               VC_ERR_TOO_BIG);
}

void test_vc_envelope_oversized_payload_is_rejected_on_encode(void) {
  static uint8_t payload[VC_ENVELOPE_MAX_PAYLOAD_LEN + 1];
  static uint8_t wire[VC_ENVELOPE_MAX_LEN];
  static uint8_t back[VC_ENVELOPE_MAX_PAYLOAD_LEN];
  vc_route in = sample_route(), out;
  vc_ssize n;

  CHECK_INT_EQ(
      vc_envelope_encode(wire, sizeof(wire), &in, payload, sizeof(payload)),
      VC_ERR_TOO_BIG);
  /* The largest allowed payload fits in the largest allowed envelope. */
  n = vc_envelope_encode(wire, sizeof(wire), &in, payload, sizeof(payload) - 1);
  CHECK(n > 0);
  CHECK_INT_EQ(vc_envelope_decode(&out, back, sizeof(back), wire, (size_t)n),
               sizeof(payload) - 1);
}

void test_vc_envelope_newer_version_is_unsupported(void) {
  uint8_t wire[sizeof(vc_vector_envelope_video)];
  vc_route out;
  uint8_t back[8];

  memcpy(wire, vc_vector_envelope_video, sizeof(wire));
  wire[1] = VC_WIRE_VERSION + 1;
  CHECK_INT_EQ(vc_envelope_decode(&out, back, sizeof(back), wire, sizeof(wire)),
               VC_ERR_UNSUPPORTED_VERSION);
}

void test_vc_envelope_missing_version_is_malformed(void) {
  vc_route out;
  uint8_t back[8];

  /* The golden envelope without its first field. */
  CHECK_INT_EQ(vc_envelope_decode(&out, back, sizeof(back),
                                  vc_vector_envelope_video + 2,
                                  sizeof(vc_vector_envelope_video) - 2),
               VC_ERR_MALFORMED);
}

void test_vc_envelope_unknown_fields_are_ignored(void) {
  uint8_t wire[sizeof(vc_vector_envelope_video) + 8];
  vc_route expect = sample_route(), out;
  uint8_t back[8];
  size_t n = sizeof(vc_vector_envelope_video);

  /* A newer peer's field 9 (varint 5) and field 16 (bytes "xy"). */
  memcpy(wire, vc_vector_envelope_video, n);
  wire[n++] = 0x48;
  wire[n++] = 0x05;
  wire[n++] = 0x82;
  wire[n++] = 0x01;
  wire[n++] = 0x02;
  wire[n++] = 'x';
  wire[n++] = 'y';
  CHECK_INT_EQ(vc_envelope_decode(&out, back, sizeof(back), wire, n), 2);
  CHECK(routes_equal(&expect, &out));
}

void test_vc_envelope_out_of_range_route_is_malformed(void) {
  uint8_t wire[sizeof(vc_vector_envelope_video) + 1];
  vc_route out, bad = sample_route();
  uint8_t back[8];

  /* layer 4 */
  memcpy(wire, vc_vector_envelope_video, sizeof(vc_vector_envelope_video));
  wire[9] = VC_MAX_SIMULCAST_LAYER + 1;
  CHECK_INT_EQ(vc_envelope_decode(&out, back, sizeof(back), wire,
                                  sizeof(vc_vector_envelope_video)),
               VC_ERR_MALFORMED);

  /* The encoder refuses the same routes. */
  bad.layer = VC_MAX_SIMULCAST_LAYER + 1;
  CHECK_INT_EQ(vc_envelope_encode(wire, sizeof(wire), &bad, NULL, 0),
               VC_ERR_INVALID_ARGUMENT);
  bad = sample_route();
  bad.audio_level = VC_AUDIO_LEVEL_SILENT + 1;
  CHECK_INT_EQ(vc_envelope_encode(wire, sizeof(wire), &bad, NULL, 0),
               VC_ERR_INVALID_ARGUMENT);
}

void test_vc_envelope_failed_decode_zeroes_outputs(void) {
  uint8_t wire[sizeof(vc_vector_envelope_video)];
  vc_route out = sample_route(), zero;
  uint8_t back[8];

  memset(back, 0xaa, sizeof(back));
  memset(&zero, 0, sizeof(zero));
  memcpy(wire, vc_vector_envelope_video, sizeof(wire));
  wire[9] = VC_MAX_SIMULCAST_LAYER + 1; /* fails after the route is read */
  CHECK(vc_envelope_decode(&out, back, sizeof(back), wire, sizeof(wire)) < 0);
  CHECK(routes_equal(&out, &zero));
  CHECK_INT_EQ(back[0], 0xaa);
  CHECK_INT_EQ(back[1], 0xaa);
}

/* The envelope twin of control's field-0 regression. */
void test_vc_envelope_noncanonical_field_zero_is_malformed(void) {
  uint8_t wire[sizeof(vc_vector_envelope_video) + 3];
  vc_route out;
  uint8_t back[8];

  memcpy(wire, vc_vector_envelope_video, sizeof(vc_vector_envelope_video));
  memcpy(wire + sizeof(vc_vector_envelope_video), "\x82\x00\x00", 3);
  CHECK_INT_EQ(vc_envelope_decode(&out, back, sizeof(back), wire, sizeof(wire)),
               VC_ERR_MALFORMED);
}
