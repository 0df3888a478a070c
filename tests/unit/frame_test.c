/*
 * frame_test.c: envelopes framed on a byte stream (src/wire/frame.c). The
 * same streams are fed whole, a byte at a time and cut at random points:
 * the frames that come out must not depend on how the bytes arrived.
 */
#include <string.h>

#include <vc/frame.h>
#include <vc/wire.h>

#include "test.h"

/* Payload sizes whose envelopes take 1-, 2- and 3-byte headers. */
static const size_t payload_lens[] = {
    0,     1,     2,     60,    100,
    101,   102,   103,   104,   105,
    106,   300,   1100,  16000, 16300,
    16310, 16320, 16330, 70000, VC_ENVELOPE_MAX_PAYLOAD_LEN,
    7};
#define N_FRAMES (sizeof(payload_lens) / sizeof(payload_lens[0]))

/* Room for every frame of payload_lens with headers and envelope bytes. */
#define STREAM_CAP ((size_t)640 * 1024)

static uint8_t stream[STREAM_CAP];
static size_t stream_len;
static size_t frame_off[N_FRAMES]; /* where each frame's bytes start */
static size_t frame_len[N_FRAMES];

static uint8_t reader_buf[VC_ENVELOPE_MAX_LEN];
static uint8_t payload[VC_ENVELOPE_MAX_PAYLOAD_LEN];

static uint8_t pattern(size_t frame, size_t i) {
  return (uint8_t)(frame * 31 + i * 7 + 3);
}

/* xorshift32: a fixed seed gives the same cuts on every run and platform. */
static uint32_t next_random(uint32_t *state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

/* Fills |stream| with one framed envelope per entry of payload_lens. */
static int build_stream(void) {
  vc_route route;
  size_t f, i;
  vc_ssize n, h;
  static uint8_t body[VC_ENVELOPE_MAX_LEN];

  stream_len = 0;
  for (f = 0; f < N_FRAMES; f++) {
    memset(&route, 0, sizeof(route));
    route.kind = VC_STREAM_KIND_VIDEO;
    route.sequence = (uint32_t)f;
    for (i = 0; i < payload_lens[f]; i++) {
      payload[i] = pattern(f, i);
    }
    n = vc_envelope_encode(body, sizeof(body), &route, payload,
                           payload_lens[f]);
    if (n <= 0) {
      return -1;
    }
    h = vc_frame_write_header(stream + stream_len, STREAM_CAP - stream_len,
                              (size_t)n);
    if (h <= 0 || (size_t)(h + n) > STREAM_CAP - stream_len) {
      return -1;
    }
    stream_len += (size_t)h;
    memcpy(stream + stream_len, body, (size_t)n);
    frame_off[f] = stream_len;
    frame_len[f] = (size_t)n;
    stream_len += (size_t)n;
  }
  return 0;
}

/* Whether frame |f| came out with the right bytes and decodes as sent. */
static int frame_is_intact(size_t f, const uint8_t *frame, vc_ssize n) {
  vc_route route;
  vc_ssize m;
  size_t i;

  if (n < 0 || (size_t)n != frame_len[f] ||
      memcmp(frame, stream + frame_off[f], (size_t)n) != 0) {
    return 0;
  }
  m = vc_envelope_decode(&route, payload, sizeof(payload), frame, (size_t)n);
  if (m < 0 || (size_t)m != payload_lens[f] || route.sequence != f) {
    return 0;
  }
  for (i = 0; i < payload_lens[f]; i++) {
    if (payload[i] != pattern(f, i)) {
      return 0;
    }
  }
  return 1;
}

/*
 * Feeds |stream| to a fresh reader in chunks: all of it when |max_chunk|
 * is 0, else pieces of 1 .. |max_chunk| bytes drawn from |seed|. Returns
 * the number of intact frames read in order, or -1 when any call breaks
 * the contract (error, short consumption, a frame out of order).
 */
static long feed_stream(size_t max_chunk, uint32_t seed) {
  vc_frame_reader r;
  const uint8_t *frame;
  size_t pos = 0, chunk, consumed;
  long n_frames = 0;
  vc_ssize n;

  if (vc_frame_reader_init(&r, reader_buf, sizeof(reader_buf)) != 0) {
    return -1;
  }
  while (pos < stream_len) {
    chunk = stream_len - pos;
    if (max_chunk > 0) {
      chunk = 1 + next_random(&seed) % max_chunk;
      if (chunk > stream_len - pos) {
        chunk = stream_len - pos;
      }
    }
    while (chunk > 0) {
      n = vc_frame_read(&r, &frame, stream + pos, chunk, &consumed);
      if (n < 0 || consumed > chunk || (n == 0 && consumed != chunk)) {
        return -1;
      }
      pos += consumed;
      chunk -= consumed;
      if (n > 0) {
        if ((size_t)n_frames >= N_FRAMES ||
            !frame_is_intact((size_t)n_frames, frame, n)) {
          return -1;
        }
        n_frames++;
      }
    }
  }
  return n_frames;
}

void test_vc_frame_roundtrip_fed_all_at_once(void) {
  CHECK_INT_EQ(build_stream(), 0);
  CHECK_INT_EQ(feed_stream(0, 0), N_FRAMES);
}

void test_vc_frame_roundtrip_fed_one_byte_at_a_time(void) {
  CHECK_INT_EQ(build_stream(), 0);
  CHECK_INT_EQ(feed_stream(1, 1), N_FRAMES);
}

void test_vc_frame_roundtrip_cut_at_random_points(void) {
  static const size_t max_chunks[] = {2, 3, 5, 17, 200, 5000, 70000, 300000};
  uint32_t seed = 0x9e3779b9u;
  size_t i, round;

  CHECK_INT_EQ(build_stream(), 0);
  for (i = 0; i < sizeof(max_chunks) / sizeof(max_chunks[0]); i++) {
    for (round = 0; round < 4; round++) {
      CHECK_INT_EQ(feed_stream(max_chunks[i], next_random(&seed)), N_FRAMES);
    }
  }
}

void test_vc_frame_parse_one_takes_exactly_one_frame(void) {
  static const uint8_t one[] = {0x02, 'a', 'b'};
  static const uint8_t two[] = {0x01, 'a', 0x01, 'b'};
  static const uint8_t short_[] = {0x03, 'a', 'b'};
  static const uint8_t noncanonical[] = {0x82, 0x00, 'a', 'b'};
  static const uint8_t huge[] = {0xff, 0xff, 0x7f};
  const uint8_t *frame = one;

  CHECK_INT_EQ(vc_frame_parse_one(&frame, one, sizeof(one)), 2);
  CHECK(frame == one + 1);
  CHECK_INT_EQ(vc_frame_parse_one(&frame, two, sizeof(two)), VC_ERR_MALFORMED);
  CHECK(frame == NULL);
  CHECK_INT_EQ(vc_frame_parse_one(&frame, short_, sizeof(short_)),
               VC_ERR_MALFORMED);
  CHECK_INT_EQ(vc_frame_parse_one(&frame, noncanonical, sizeof(noncanonical)),
               VC_ERR_MALFORMED);
  CHECK_INT_EQ(vc_frame_parse_one(&frame, huge, sizeof(huge)), VC_ERR_TOO_BIG);
  CHECK_INT_EQ(vc_frame_parse_one(&frame, one, 0), VC_ERR_MALFORMED);
  CHECK_INT_EQ(vc_frame_parse_one(&frame, one, 1), VC_ERR_MALFORMED);
  CHECK_INT_EQ(vc_frame_parse_one(NULL, one, sizeof(one)),
               VC_ERR_INVALID_ARGUMENT);
}

void test_vc_frame_whole_frame_is_returned_in_place(void) {
  static const uint8_t data[] = {0x02, 'a', 'b', 0x01, 'c', 0x03};
  vc_frame_reader r;
  const uint8_t *frame;
  size_t consumed;

  CHECK_INT_EQ(vc_frame_reader_init(&r, reader_buf, sizeof(reader_buf)), 0);
  CHECK_INT_EQ(vc_frame_read(&r, &frame, data, sizeof(data), &consumed), 2);
  CHECK(frame == data + 1);
  CHECK_INT_EQ(consumed, 3);
  CHECK_INT_EQ(vc_frame_read(&r, &frame, data + 3, sizeof(data) - 3, &consumed),
               1);
  CHECK(frame == data + 4);
  CHECK_INT_EQ(consumed, 2);
  /* A header alone: used up, no frame yet. */
  CHECK_INT_EQ(vc_frame_read(&r, &frame, data + 5, 1, &consumed), 0);
  CHECK(frame == NULL);
  CHECK_INT_EQ(consumed, 1);
  /* The body in one call after its header: still not copied. */
  CHECK_INT_EQ(vc_frame_read(&r, &frame, (const uint8_t *)"xyzw", 4, &consumed),
               3);
  CHECK_INT_EQ(consumed, 3);
  CHECK_MEM_EQ(frame, "xyz", 3);
  CHECK(frame != reader_buf);
}

/*
 * The largest frame allowed, arriving in pieces, is gathered in the
 * reader's buffer, which therefore needs all of VC_ENVELOPE_MAX_LEN.
 */
void test_vc_frame_max_length_frame_in_pieces_goes_through_the_buffer(void) {
  static uint8_t data[VC_FRAME_MAX_HEADER_LEN + VC_ENVELOPE_MAX_LEN];
  static const size_t cuts[] = {1, 2, 3, 1000, VC_ENVELOPE_MAX_LEN};
  vc_frame_reader r;
  const uint8_t *frame;
  size_t i, pos = 0, consumed;
  vc_ssize h, n;

  h = vc_frame_write_header(data, sizeof(data), VC_ENVELOPE_MAX_LEN);
  CHECK_INT_EQ(h, VC_FRAME_MAX_HEADER_LEN);
  for (i = (size_t)h; i < sizeof(data); i++) {
    data[i] = (uint8_t)(i * 13);
  }
  CHECK_INT_EQ(vc_frame_reader_init(&r, reader_buf, sizeof(reader_buf)), 0);
  for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
    n = vc_frame_read(&r, &frame, data + pos, cuts[i] - pos, &consumed);
    CHECK_INT_EQ(n, 0);
    CHECK_INT_EQ(consumed, cuts[i] - pos);
    pos = cuts[i];
  }
  n = vc_frame_read(&r, &frame, data + pos, sizeof(data) - pos, &consumed);
  CHECK_INT_EQ(n, VC_ENVELOPE_MAX_LEN);
  CHECK_INT_EQ(consumed, sizeof(data) - pos);
  CHECK(frame == reader_buf);
  CHECK_MEM_EQ(frame, data + h, VC_ENVELOPE_MAX_LEN);
}

void test_vc_frame_zero_length_is_malformed(void) {
  vc_frame_reader r;
  const uint8_t *frame;
  size_t consumed;

  CHECK_INT_EQ(vc_frame_reader_init(&r, reader_buf, sizeof(reader_buf)), 0);
  CHECK_INT_EQ(vc_frame_read(&r, &frame, (const uint8_t *)"\x01z\x00\x01z", 5,
                             &consumed),
               1);
  CHECK_INT_EQ(consumed, 2);
  CHECK_INT_EQ(
      vc_frame_read(&r, &frame, (const uint8_t *)"\x00\x01z", 3, &consumed),
      VC_ERR_MALFORMED);
  CHECK(frame == NULL);
  CHECK_INT_EQ(consumed, 1);
}

/* Padding a varint with 0x80 ... 0x00 would give one length many headers. */
void test_vc_frame_noncanonical_length_is_malformed(void) {
  static const uint8_t padded[][4] = {
      {0x80, 0x00}, {0x81, 0x00}, {0x80, 0x80, 0x00}, {0xff, 0x80, 0x00}};
  static const size_t padded_len[] = {2, 2, 3, 3};
  vc_frame_reader r;
  const uint8_t *frame;
  size_t i, j, consumed;

  for (i = 0; i < sizeof(padded_len) / sizeof(padded_len[0]); i++) {
    /* Whole, then a byte at a time: the same verdict at the same byte. */
    CHECK_INT_EQ(vc_frame_reader_init(&r, reader_buf, sizeof(reader_buf)), 0);
    CHECK_INT_EQ(
        vc_frame_read(&r, &frame, padded[i], sizeof(padded[i]), &consumed),
        VC_ERR_MALFORMED);
    CHECK_INT_EQ(consumed, padded_len[i]);
    CHECK_INT_EQ(vc_frame_reader_init(&r, reader_buf, sizeof(reader_buf)), 0);
    for (j = 0; j + 1 < padded_len[i]; j++) {
      CHECK_INT_EQ(vc_frame_read(&r, &frame, padded[i] + j, 1, &consumed), 0);
    }
    CHECK_INT_EQ(vc_frame_read(&r, &frame, padded[i] + j, 1, &consumed),
                 VC_ERR_MALFORMED);
  }
}

void test_vc_frame_length_over_max_is_too_big(void) {
  /* VC_ENVELOPE_MAX_LEN is 2^18: 0x80 0x80 0x10. */
  static const uint8_t at_max[] = {0x80, 0x80, 0x10};
  static const uint8_t over_max[] = {0x81, 0x80, 0x10};
  static const uint8_t top_of_3[] = {0xff, 0xff, 0x7f};
  static const uint8_t four_bytes[] = {0x80, 0x80, 0x80, 0x01};
  vc_frame_reader r;
  const uint8_t *frame;
  size_t consumed;

  CHECK_INT_EQ(VC_ENVELOPE_MAX_LEN, (size_t)1 << 18);
  CHECK_INT_EQ(vc_frame_reader_init(&r, reader_buf, sizeof(reader_buf)), 0);
  CHECK_INT_EQ(vc_frame_read(&r, &frame, at_max, sizeof(at_max), &consumed), 0);
  CHECK_INT_EQ(consumed, sizeof(at_max));

  CHECK_INT_EQ(vc_frame_reader_init(&r, reader_buf, sizeof(reader_buf)), 0);
  CHECK_INT_EQ(vc_frame_read(&r, &frame, over_max, sizeof(over_max), &consumed),
               VC_ERR_TOO_BIG);

  CHECK_INT_EQ(vc_frame_reader_init(&r, reader_buf, sizeof(reader_buf)), 0);
  CHECK_INT_EQ(vc_frame_read(&r, &frame, top_of_3, sizeof(top_of_3), &consumed),
               VC_ERR_TOO_BIG);

  /* Refused at the third byte, before the fourth arrives. */
  CHECK_INT_EQ(vc_frame_reader_init(&r, reader_buf, sizeof(reader_buf)), 0);
  CHECK_INT_EQ(
      vc_frame_read(&r, &frame, four_bytes, sizeof(four_bytes), &consumed),
      VC_ERR_TOO_BIG);
  CHECK_INT_EQ(consumed, 3);
}

void test_vc_frame_errors_are_sticky(void) {
  static const uint8_t bad[] = {0x80, 0x00};
  static const uint8_t good[] = {0x01, 'a'};
  vc_frame_reader r;
  const uint8_t *frame;
  size_t consumed;
  int i;

  CHECK_INT_EQ(vc_frame_reader_init(&r, reader_buf, sizeof(reader_buf)), 0);
  CHECK_INT_EQ(vc_frame_read(&r, &frame, bad, sizeof(bad), &consumed),
               VC_ERR_MALFORMED);
  for (i = 0; i < 3; i++) {
    CHECK_INT_EQ(vc_frame_read(&r, &frame, good, sizeof(good), &consumed),
                 VC_ERR_MALFORMED);
    CHECK_INT_EQ(consumed, 0);
    CHECK(frame == NULL);
  }
  CHECK_INT_EQ(vc_frame_read(&r, &frame, NULL, 0, &consumed), VC_ERR_MALFORMED);

  /* A bad argument is the caller's bug and does not end the stream. */
  CHECK_INT_EQ(vc_frame_reader_init(&r, reader_buf, sizeof(reader_buf)), 0);
  CHECK_INT_EQ(vc_frame_read(&r, NULL, good, sizeof(good), &consumed),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_frame_read(&r, &frame, good, sizeof(good), &consumed), 1);

  /* TOO_BIG sticks the same way, and init starts a new stream. */
  CHECK_INT_EQ(
      vc_frame_read(&r, &frame, (const uint8_t *)"\xff\xff\xff", 3, &consumed),
      VC_ERR_TOO_BIG);
  CHECK_INT_EQ(vc_frame_read(&r, &frame, good, sizeof(good), &consumed),
               VC_ERR_TOO_BIG);
  CHECK_INT_EQ(vc_frame_reader_init(&r, reader_buf, sizeof(reader_buf)), 0);
  CHECK_INT_EQ(vc_frame_read(&r, &frame, good, sizeof(good), &consumed), 1);
}

void test_vc_frame_init_needs_a_max_length_buffer(void) {
  vc_frame_reader r;

  CHECK_INT_EQ(vc_frame_reader_init(&r, reader_buf, VC_ENVELOPE_MAX_LEN - 1),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_frame_reader_init(&r, NULL, VC_ENVELOPE_MAX_LEN),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_frame_reader_init(NULL, reader_buf, VC_ENVELOPE_MAX_LEN),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_frame_reader_init(&r, reader_buf, VC_ENVELOPE_MAX_LEN), 0);
}

void test_vc_frame_header_is_the_minimal_varint(void) {
  static const struct {
    size_t framelen;
    uint8_t bytes[VC_FRAME_MAX_HEADER_LEN];
    size_t len;
  } cases[] = {
      {1, {0x01}, 1},
      {127, {0x7f}, 1},
      {128, {0x80, 0x01}, 2},
      {300, {0xac, 0x02}, 2},
      {16383, {0xff, 0x7f}, 2},
      {16384, {0x80, 0x80, 0x01}, 3},
      {VC_ENVELOPE_MAX_LEN, {0x80, 0x80, 0x10}, 3},
  };
  uint8_t hdr[VC_FRAME_MAX_HEADER_LEN];
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    CHECK_INT_EQ(vc_frame_write_header(hdr, sizeof(hdr), cases[i].framelen),
                 cases[i].len);
    CHECK_MEM_EQ(hdr, cases[i].bytes, cases[i].len);
  }
}

void test_vc_frame_write_header_errors(void) {
  uint8_t hdr[VC_FRAME_MAX_HEADER_LEN] = {0xaa, 0xaa, 0xaa};

  CHECK_INT_EQ(vc_frame_write_header(hdr, sizeof(hdr), 0),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_frame_write_header(hdr, sizeof(hdr), VC_ENVELOPE_MAX_LEN + 1),
               VC_ERR_TOO_BIG);
  CHECK_INT_EQ(vc_frame_write_header(hdr, 0, 1), VC_ERR_NOBUF);
  CHECK_INT_EQ(vc_frame_write_header(hdr, 1, 128), VC_ERR_NOBUF);
  CHECK_INT_EQ(vc_frame_write_header(hdr, 2, 16384), VC_ERR_NOBUF);
  CHECK_INT_EQ(vc_frame_write_header(NULL, 0, 1), VC_ERR_NOBUF);
  /* Nothing is written on error. */
  CHECK_INT_EQ(hdr[0], 0xaa);
  CHECK_INT_EQ(hdr[1], 0xaa);
  CHECK_INT_EQ(vc_frame_write_header(hdr, 2, 16383), 2);
}
