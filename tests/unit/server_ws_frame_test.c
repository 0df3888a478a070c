/*
 * server_ws_frame_test.c: server-stub's WebSocket framing (RFC 6455 §5):
 * masked client frames fed whole, byte by byte and cut at random points;
 * fragments with control frames between them; every protocol error; the
 * size cap reached exactly; and the server's frames read back through a
 * test-side masking helper.
 */
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "ws_frame.h"

#define RBUF_LEN (VC_WS_MAX_MESSAGE_LEN + VC_WS_MAX_CONTROL_LEN)
#define FIN 0x80u
/* The longest client header: 2 + 8 length bytes + 4 mask bytes. */
#define CLIENT_HDR_MAX 14

static uint8_t rbuf[RBUF_LEN];
static uint8_t stream[2 * VC_WS_MAX_MESSAGE_LEN + 256];
static uint8_t payload[VC_WS_MAX_MESSAGE_LEN + 1];

static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};

/*
 * Writes a client frame: first byte |b0| (FIN, RSV, opcode), the length in
 * |form| (0: the shortest, else 126 or 127 whatever the length), then the
 * masking key and the masked payload; |mask_it| 0 leaves the key out.
 */
static size_t client_frame(uint8_t *out, unsigned b0, const uint8_t *p,
                           size_t len, unsigned form, int mask_it) {
  size_t n = 0, i;
  unsigned mask_bit = mask_it ? 0x80u : 0;

  out[n++] = (uint8_t)b0;
  if (form == 0) {
    form = len < 126 ? 0 : len <= 0xffff ? 126 : 127;
  }
  if (form == 0) {
    out[n++] = (uint8_t)(mask_bit | len);
  } else if (form == 126) {
    out[n++] = (uint8_t)(mask_bit | 126);
    out[n++] = (uint8_t)(len >> 8);
    out[n++] = (uint8_t)len;
  } else {
    out[n++] = (uint8_t)(mask_bit | 127);
    for (i = 0; i < 8; i++) {
      out[n++] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    }
  }
  if (mask_it) {
    memcpy(out + n, key, 4);
    n += 4;
  }
  for (i = 0; i < len; i++) {
    out[n++] = mask_it ? (uint8_t)(p[i] ^ key[i % 4]) : p[i];
  }
  return n;
}

static size_t masked(uint8_t *out, unsigned b0, const void *p, size_t len) {
  return client_frame(out, b0, p, len, 0, 1);
}

/*
 * The test-side masking helper: turns a server frame (a header from
 * vc_ws_write_header or vc_ws_write_close, and its payload) into the frame
 * a client would send with the same content.
 */
static size_t mask_server_frame(uint8_t *out, const uint8_t *frame, size_t n) {
  unsigned len7 = frame[1] & 0x7fu;
  size_t hlen = len7 == 126 ? 4 : len7 == 127 ? 10 : 2, i;

  memcpy(out, frame, hlen);
  out[1] |= 0x80u;
  memcpy(out + hlen, key, 4);
  for (i = hlen; i < n; i++) {
    out[i + 4] = (uint8_t)(frame[i] ^ key[(i - hlen) % 4]);
  }
  return n + 4;
}

static void fill(uint8_t *p, size_t n, unsigned salt) {
  size_t i;

  for (i = 0; i < n; i++) {
    p[i] = (uint8_t)(i * 7u + salt);
  }
}

static uint32_t next_random(uint32_t *state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

struct expect {
  vc_ws_opcode opcode;
  const uint8_t *data;
  size_t len;
  uint16_t close_code;
};

/*
 * Feeds |n| bytes of |in| in pieces of |piece| bytes, or of 1..|piece|
 * chosen by |seed| when it is non-zero, and checks the messages against
 * |want| as they come (each is valid only until the next call). Returns
 * the number of messages that matched, -1 at the first that did not, or
 * the reader's error.
 */
static int feed(const uint8_t *in, size_t n, size_t piece, uint32_t seed,
                const struct expect *want, int n_want) {
  vc_ws_reader r;
  vc_ws_message msg;
  size_t pos = 0, chunk, consumed;
  int rv, got = 0;

  if (vc_ws_reader_init(&r, rbuf, sizeof(rbuf)) != 0) {
    return -1;
  }
  while (pos < n) {
    chunk = seed ? 1 + next_random(&seed) % piece : piece;
    if (chunk > n - pos) {
      chunk = n - pos;
    }
    while (chunk > 0) {
      rv = vc_ws_read(&r, &msg, in + pos, chunk, &consumed);
      if (consumed > chunk) {
        return -1;
      }
      pos += consumed;
      chunk -= consumed;
      if (rv < 0) {
        return rv;
      }
      if (rv == 0) {
        if (chunk != 0) {
          return -1; /* "nothing complete" must mean "all taken" */
        }
        break;
      }
      if (got == n_want || msg.opcode != want[got].opcode ||
          msg.len != want[got].len ||
          memcmp(msg.data, want[got].data, msg.len) != 0 ||
          (msg.opcode == VC_WS_CLOSE &&
           msg.close_code != want[got].close_code)) {
        return -1;
      }
      got++;
    }
  }
  return got;
}

/* A feed that must end in |err| after |at| bytes (the erring byte). */
static int read_error(const uint8_t *in, size_t n, size_t *at,
                      uint16_t *close_code) {
  vc_ws_reader r;
  vc_ws_message msg;
  size_t pos = 0, consumed;
  int rv;

  vc_ws_reader_init(&r, rbuf, sizeof(rbuf));
  do {
    rv = vc_ws_read(&r, &msg, in + pos, n - pos, &consumed);
    pos += consumed;
  } while (rv == 1);
  *at = pos;
  *close_code = vc_ws_reader_close_code(&r);
  return rv;
}

void test_vc_ws_frame_reads_the_rfc_masked_hello(void) {
  /* RFC 6455 §5.7: a single-frame masked text message. */
  static const uint8_t hello[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                  0x7f, 0x9f, 0x4d, 0x51, 0x58};
  vc_ws_reader r;
  vc_ws_message msg;
  size_t consumed;

  CHECK_INT_EQ(vc_ws_reader_init(&r, rbuf, sizeof(rbuf)), 0);
  CHECK_INT_EQ(vc_ws_read(&r, &msg, hello, sizeof(hello), &consumed), 1);
  CHECK_INT_EQ(consumed, sizeof(hello));
  CHECK_INT_EQ(msg.opcode, VC_WS_TEXT);
  CHECK_INT_EQ(msg.len, 5);
  CHECK_MEM_EQ(msg.data, "Hello", 5);
  CHECK_INT_EQ(vc_ws_reader_close_code(&r), 1000);
  /* Nothing more: nothing complete, nothing consumed. */
  CHECK_INT_EQ(vc_ws_read(&r, &msg, hello, 0, &consumed), 0);
  CHECK_INT_EQ(consumed, 0);
}

/* A stream of every frame shape: 7-, 16- and 64-bit lengths, fragments. */
static size_t build_mixed_stream(uint8_t *out, struct expect *want,
                                 int *n_want) {
  static uint8_t big[70000], mid[300], frag[1000];
  static const char text[] = "caf\xc3\xa9 \xe2\x82\xac";
  static const uint8_t close_payload[] = {0x03, 0xe8, 'b', 'y', 'e'};
  size_t n = 0;
  int k = 0;

  fill(big, sizeof(big), 1);
  fill(mid, sizeof(mid), 2);
  fill(frag, sizeof(frag), 3);

  n += masked(out + n, FIN | VC_WS_TEXT, text, sizeof(text) - 1);
  want[k++] =
      (struct expect){VC_WS_TEXT, (const uint8_t *)text, sizeof(text) - 1, 0};
  n += masked(out + n, FIN | VC_WS_BINARY, mid, sizeof(mid));
  want[k++] = (struct expect){VC_WS_BINARY, mid, sizeof(mid), 0};
  n += masked(out + n, FIN | VC_WS_PING, "p", 1);
  want[k++] = (struct expect){VC_WS_PING, (const uint8_t *)"p", 1, 0};
  n += masked(out + n, FIN | VC_WS_BINARY, big, sizeof(big));
  want[k++] = (struct expect){VC_WS_BINARY, big, sizeof(big), 0};
  /* Three fragments with an empty pong between the first two. */
  n += masked(out + n, VC_WS_BINARY, frag, 100);
  n += masked(out + n, FIN | VC_WS_PONG, "", 0);
  want[k++] = (struct expect){VC_WS_PONG, (const uint8_t *)"", 0, 0};
  n += masked(out + n, VC_WS_CONTINUATION, frag + 100, 0);
  n += masked(out + n, FIN | VC_WS_CONTINUATION, frag + 100, 900);
  want[k++] = (struct expect){VC_WS_BINARY, frag, sizeof(frag), 0};
  n += masked(out + n, FIN | VC_WS_BINARY, "", 0);
  want[k++] = (struct expect){VC_WS_BINARY, (const uint8_t *)"", 0, 0};
  n += masked(out + n, FIN | VC_WS_CLOSE, close_payload, sizeof(close_payload));
  want[k++] = (struct expect){VC_WS_CLOSE, (const uint8_t *)"bye", 3, 1000};
  *n_want = k;
  return n;
}

void test_vc_ws_frame_mixed_stream_read_whole(void) {
  struct expect want[16];
  int n_want;
  size_t n = build_mixed_stream(stream, want, &n_want);

  CHECK_INT_EQ(feed(stream, n, n, 0, want, n_want), n_want);
}

void test_vc_ws_frame_mixed_stream_fed_one_byte_at_a_time(void) {
  struct expect want[16];
  int n_want;
  size_t n = build_mixed_stream(stream, want, &n_want);

  CHECK_INT_EQ(feed(stream, n, 1, 0, want, n_want), n_want);
}

void test_vc_ws_frame_mixed_stream_cut_at_random_points(void) {
  struct expect want[16];
  int n_want, i;
  size_t n = build_mixed_stream(stream, want, &n_want);
  static const size_t max_piece[] = {3, 17, 200, 5000, 100000};

  for (i = 0; i < 60; i++) {
    CHECK_INT_EQ(feed(stream, n, max_piece[i % 5], 0x9e3779b9u + (uint32_t)i,
                      want, n_want),
                 n_want);
  }
}

void test_vc_ws_frame_ping_between_fragments_keeps_the_message(void) {
  static uint8_t frag[600];
  vc_ws_reader r;
  vc_ws_message msg;
  size_t n = 0, pos = 0, consumed;

  fill(frag, sizeof(frag), 9);
  n += masked(stream + n, VC_WS_BINARY, frag, 200);
  n += masked(stream + n, FIN | VC_WS_PING, "are you there", 13);
  n += masked(stream + n, VC_WS_CONTINUATION, frag + 200, 200);
  n += masked(stream + n, FIN | VC_WS_CLOSE, "\x03\xe9", 2);
  n += masked(stream + n, FIN | VC_WS_CONTINUATION, frag + 400, 200);

  vc_ws_reader_init(&r, rbuf, sizeof(rbuf));
  CHECK_INT_EQ(vc_ws_read(&r, &msg, stream, n, &consumed), 1);
  pos += consumed;
  CHECK_INT_EQ(msg.opcode, VC_WS_PING);
  CHECK_INT_EQ(msg.len, 13);
  CHECK_MEM_EQ(msg.data, "are you there", 13);
  CHECK_INT_EQ(vc_ws_read(&r, &msg, stream + pos, n - pos, &consumed), 1);
  pos += consumed;
  CHECK_INT_EQ(msg.opcode, VC_WS_CLOSE);
  CHECK_INT_EQ(msg.close_code, 1001);
  CHECK_INT_EQ(msg.len, 0);
  CHECK_INT_EQ(vc_ws_read(&r, &msg, stream + pos, n - pos, &consumed), 1);
  pos += consumed;
  CHECK_INT_EQ(pos, n);
  CHECK_INT_EQ(msg.opcode, VC_WS_BINARY);
  CHECK_INT_EQ(msg.len, sizeof(frag));
  CHECK_MEM_EQ(msg.data, frag, sizeof(frag));
}

void test_vc_ws_frame_text_split_inside_a_character_is_valid(void) {
  /* "€" is E2 82 AC; only the whole message must be UTF-8. */
  struct expect want = {VC_WS_TEXT, (const uint8_t *)"a\xe2\x82\xac", 4, 0};
  size_t n = 0;

  n += masked(stream + n, VC_WS_TEXT, "a\xe2", 2);
  n += masked(stream + n, FIN | VC_WS_CONTINUATION, "\x82\xac", 2);
  CHECK_INT_EQ(feed(stream, n, n, 0, &want, 1), 1);
}

void test_vc_ws_frame_lengths_7_16_and_64_bit(void) {
  static const size_t lens[] = {0, 1, 125, 126, 127, 65535, 65536, 70001};
  static const size_t hlens[] = {2, 2, 2, 4, 4, 4, 10, 10};
  uint8_t hdr[VC_WS_MAX_HEADER_LEN];
  struct expect want;
  size_t i, n;
  vc_ssize h;

  for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
    fill(payload, lens[i], (unsigned)i);
    h = vc_ws_write_header(hdr, sizeof(hdr), VC_WS_BINARY, lens[i]);
    CHECK_INT_EQ(h, hlens[i]);
    memcpy(stream + VC_WS_MAX_MESSAGE_LEN, hdr, (size_t)h);
    memcpy(stream + VC_WS_MAX_MESSAGE_LEN + h, payload, lens[i]);
    n = mask_server_frame(stream, stream + VC_WS_MAX_MESSAGE_LEN,
                          (size_t)h + lens[i]);
    CHECK_INT_EQ(n, (size_t)h + 4 + lens[i]);
    want = (struct expect){VC_WS_BINARY, payload, lens[i], 0};
    CHECK_INT_EQ(feed(stream, n, n, 0, &want, 1), 1);
    CHECK_INT_EQ(feed(stream, n, 1, 0, &want, 1), 1);
  }
}

void test_vc_ws_frame_write_header_forms_and_errors(void) {
  static const uint8_t h125[] = {0x82, 125};
  static const uint8_t h126[] = {0x81, 126, 0x00, 126};
  static const uint8_t h65535[] = {0x82, 126, 0xff, 0xff};
  static const uint8_t h65536[] = {0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0};
  static const uint8_t ping[] = {0x89, 125};
  uint8_t d[VC_WS_MAX_HEADER_LEN];

  CHECK_INT_EQ(vc_ws_write_header(d, sizeof(d), VC_WS_BINARY, 125), 2);
  CHECK_MEM_EQ(d, h125, 2);
  CHECK_INT_EQ(vc_ws_write_header(d, sizeof(d), VC_WS_TEXT, 126), 4);
  CHECK_MEM_EQ(d, h126, 4);
  CHECK_INT_EQ(vc_ws_write_header(d, sizeof(d), VC_WS_BINARY, 65535), 4);
  CHECK_MEM_EQ(d, h65535, 4);
  CHECK_INT_EQ(vc_ws_write_header(d, sizeof(d), VC_WS_BINARY, 65536), 10);
  CHECK_MEM_EQ(d, h65536, 10);
  CHECK_INT_EQ(vc_ws_write_header(d, sizeof(d), VC_WS_PING, 125), 2);
  CHECK_MEM_EQ(d, ping, 2);

  CHECK_INT_EQ(vc_ws_write_header(d, 1, VC_WS_BINARY, 0), VC_ERR_NOBUF);
  CHECK_INT_EQ(vc_ws_write_header(d, 3, VC_WS_BINARY, 126), VC_ERR_NOBUF);
  CHECK_INT_EQ(vc_ws_write_header(d, 9, VC_WS_BINARY, 65536), VC_ERR_NOBUF);
  CHECK_INT_EQ(vc_ws_write_header(d, sizeof(d), VC_WS_PONG, 126),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_ws_write_header(d, sizeof(d), VC_WS_CLOSE, 126),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_ws_write_header(d, sizeof(d), (vc_ws_opcode)3, 1),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_ws_write_header(NULL, 10, VC_WS_TEXT, 1),
               VC_ERR_INVALID_ARGUMENT);
}

void test_vc_ws_frame_write_close_round_trips(void) {
  uint8_t frame[VC_WS_MAX_HEADER_LEN + VC_WS_MAX_CONTROL_LEN];
  char reason[200];
  struct expect want;
  vc_ssize n;
  size_t m;

  n = vc_ws_write_close(frame, sizeof(frame), 1009, "too big");
  CHECK_INT_EQ(n, 2 + 2 + 7);
  CHECK_MEM_EQ(frame, "\x88\x09\x03\xf1too big", 11);
  m = mask_server_frame(stream, frame, (size_t)n);
  want = (struct expect){VC_WS_CLOSE, (const uint8_t *)"too big", 7, 1009};
  CHECK_INT_EQ(feed(stream, m, 1, 0, &want, 1), 1);

  /* No reason: just the code. */
  CHECK_INT_EQ(vc_ws_write_close(frame, sizeof(frame), 1000, NULL), 4);
  m = mask_server_frame(stream, frame, 4);
  want = (struct expect){VC_WS_CLOSE, (const uint8_t *)"", 0, 1000};
  CHECK_INT_EQ(feed(stream, m, m, 0, &want, 1), 1);

  /* 122 'a' and two "é": the first "é" straddles byte 123, so goes. */
  memset(reason, 'a', 122);
  memcpy(reason + 122, "\xc3\xa9\xc3\xa9", 5);
  n = vc_ws_write_close(frame, sizeof(frame), 1002, reason);
  CHECK_INT_EQ(n, 2 + 2 + 122);
  CHECK_MEM_EQ(frame + 4, reason, 122);
  /* 121 'a' and two "é": the first "é" ends at byte 123 and stays. */
  memset(reason, 'a', 121);
  memcpy(reason + 121, "\xc3\xa9\xc3\xa9", 5);
  n = vc_ws_write_close(frame, sizeof(frame), 1002, reason);
  CHECK_INT_EQ(n, 2 + 2 + 123);
  CHECK_MEM_EQ(frame + 4, reason, 123);
  /* 123 ASCII bytes fit exactly; 124 are cut to 123. */
  memset(reason, 'b', 124);
  reason[124] = '\0';
  CHECK_INT_EQ(vc_ws_write_close(frame, sizeof(frame), 4000, reason), 127);
  m = mask_server_frame(stream, frame, 127);
  want = (struct expect){VC_WS_CLOSE, (const uint8_t *)reason, 123, 4000};
  CHECK_INT_EQ(feed(stream, m, 3, 0, &want, 1), 1);

  CHECK_INT_EQ(vc_ws_write_close(frame, 10, 1000, "too big"), VC_ERR_NOBUF);
  CHECK_INT_EQ(vc_ws_write_close(frame, sizeof(frame), 1005, NULL),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_ws_write_close(frame, sizeof(frame), 999, NULL),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_ws_write_close(frame, sizeof(frame), 1000, "\xff"),
               VC_ERR_INVALID_ARGUMENT);
}

void test_vc_ws_frame_close_codes_and_reasons(void) {
  static const uint16_t ok[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009,
                                1010, 1011, 1012, 1013, 1014, 3000, 4999};
  static const uint16_t bad[] = {0,    999,  1004, 1005, 1006, 1015,
                                 1016, 2000, 2999, 5000, 65535};
  uint8_t p[4];
  struct expect want;
  size_t i, n, at;
  uint16_t cc;

  for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    p[0] = (uint8_t)(ok[i] >> 8);
    p[1] = (uint8_t)ok[i];
    n = masked(stream, FIN | VC_WS_CLOSE, p, 2);
    want = (struct expect){VC_WS_CLOSE, (const uint8_t *)"", 0, ok[i]};
    CHECK_INT_EQ(feed(stream, n, n, 0, &want, 1), 1);
  }
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    p[0] = (uint8_t)(bad[i] >> 8);
    p[1] = (uint8_t)bad[i];
    n = masked(stream, FIN | VC_WS_CLOSE, p, 2);
    CHECK_INT_EQ(read_error(stream, n, &at, &cc), VC_ERR_MALFORMED);
    CHECK_INT_EQ(at, n);
    CHECK_INT_EQ(cc, 1002);
  }
  /* No payload: the peer gave no code, which reads as 1005. */
  n = masked(stream, FIN | VC_WS_CLOSE, "", 0);
  want = (struct expect){VC_WS_CLOSE, (const uint8_t *)"", 0, 1005};
  CHECK_INT_EQ(feed(stream, n, n, 0, &want, 1), 1);
  /* A reason is NUL-terminated in place. */
  {
    vc_ws_reader r;
    vc_ws_message msg;
    size_t consumed;

    n = masked(stream, FIN | VC_WS_CLOSE, "\x0f\xa0gone", 6);
    vc_ws_reader_init(&r, rbuf, sizeof(rbuf));
    CHECK_INT_EQ(vc_ws_read(&r, &msg, stream, n, &consumed), 1);
    CHECK_INT_EQ(msg.close_code, 4000);
    CHECK(strcmp((const char *)msg.data, "gone") == 0);
  }
  /* A 1-byte payload, and a reason that is not UTF-8. */
  n = masked(stream, FIN | VC_WS_CLOSE, "\x03", 1);
  CHECK_INT_EQ(read_error(stream, n, &at, &cc), VC_ERR_MALFORMED);
  CHECK_INT_EQ(cc, 1002);
  n = masked(stream, FIN | VC_WS_CLOSE, "\x03\xe8\xc0\x80", 4);
  CHECK_INT_EQ(read_error(stream, n, &at, &cc), VC_ERR_MALFORMED);
  CHECK_INT_EQ(cc, 1007);
}

void test_vc_ws_frame_protocol_errors_are_malformed(void) {
  uint8_t in[256], big[200];
  size_t n, at, first;
  uint16_t cc;
  unsigned op, rsv;

  fill(big, sizeof(big), 5);
  /* Unmasked: found at the second byte. */
  n = client_frame(in, FIN | VC_WS_BINARY, big, 3, 0, 0);
  CHECK_INT_EQ(read_error(in, n, &at, &cc), VC_ERR_MALFORMED);
  CHECK_INT_EQ(at, 2);
  CHECK_INT_EQ(cc, 1002);
  /* Each RSV bit (no extension was agreed): at the first byte. */
  for (rsv = 0x10; rsv <= 0x40; rsv <<= 1) {
    n = masked(in, FIN | rsv | VC_WS_TEXT, "x", 1);
    CHECK_INT_EQ(read_error(in, n, &at, &cc), VC_ERR_MALFORMED);
    CHECK_INT_EQ(at, 1);
  }
  /* Every reserved opcode. */
  for (op = 3; op <= 15; op++) {
    if (op >= VC_WS_CLOSE && op <= VC_WS_PONG) {
      continue;
    }
    n = masked(in, FIN | op, "x", 1);
    CHECK_INT_EQ(read_error(in, n, &at, &cc), VC_ERR_MALFORMED);
    CHECK_INT_EQ(at, 1);
  }
  /* A control frame over 125 bytes, in either length form. */
  n = masked(in, FIN | VC_WS_PING, big, 126);
  CHECK_INT_EQ(read_error(in, n, &at, &cc), VC_ERR_MALFORMED);
  CHECK_INT_EQ(at, 2);
  n = client_frame(in, FIN | VC_WS_PONG, big, 5, 126, 1);
  CHECK_INT_EQ(read_error(in, n, &at, &cc), VC_ERR_MALFORMED);
  CHECK_INT_EQ(at, 2);
  /* A fragmented control frame. */
  n = masked(in, VC_WS_PING, "x", 1);
  CHECK_INT_EQ(read_error(in, n, &at, &cc), VC_ERR_MALFORMED);
  CHECK_INT_EQ(at, 1);
  /* A continuation with nothing to continue, after a whole message too. */
  n = masked(in, FIN | VC_WS_CONTINUATION, "x", 1);
  CHECK_INT_EQ(read_error(in, n, &at, &cc), VC_ERR_MALFORMED);
  CHECK_INT_EQ(at, 1);
  first = masked(in, FIN | VC_WS_TEXT, "x", 1);
  n = first + masked(in + first, VC_WS_CONTINUATION, "x", 1);
  CHECK_INT_EQ(read_error(in, n, &at, &cc), VC_ERR_MALFORMED);
  CHECK_INT_EQ(at, first + 1);
  /* A new data frame while one is open. */
  first = masked(in, VC_WS_BINARY, "x", 1);
  n = first + masked(in + first, FIN | VC_WS_TEXT, "x", 1);
  CHECK_INT_EQ(read_error(in, n, &at, &cc), VC_ERR_MALFORMED);
  CHECK_INT_EQ(at, first + 1);
  n = first + masked(in + first, FIN | VC_WS_BINARY, "x", 1);
  CHECK_INT_EQ(read_error(in, n, &at, &cc), VC_ERR_MALFORMED);
  /* Lengths in a longer form than they need. */
  n = client_frame(in, FIN | VC_WS_BINARY, big, 125, 126, 1);
  CHECK_INT_EQ(read_error(in, n, &at, &cc), VC_ERR_MALFORMED);
  CHECK_INT_EQ(at, 4);
  n = client_frame(in, FIN | VC_WS_BINARY, big, 5, 127, 1);
  CHECK_INT_EQ(read_error(in, n, &at, &cc), VC_ERR_MALFORMED);
  CHECK_INT_EQ(at, 10);
  memcpy(in, "\x82\xff\x00\x00\x00\x00\x00\x00\xff\xff", 10);
  CHECK_INT_EQ(read_error(in, 10, &at, &cc), VC_ERR_MALFORMED);
  CHECK_INT_EQ(at, 10);
  /* A 64-bit length with the top bit set (not TOO_BIG: illegal). */
  memcpy(in, "\x82\xff\x80\x00\x00\x00\x00\x00\x00\x00", 10);
  CHECK_INT_EQ(read_error(in, 10, &at, &cc), VC_ERR_MALFORMED);
  CHECK_INT_EQ(cc, 1002);
  /* Invalid UTF-8 in TEXT: overlong, surrogate, truncated, over 10FFFF. */
  n = masked(in, FIN | VC_WS_TEXT, "\xc0\x80", 2);
  CHECK_INT_EQ(read_error(in, n, &at, &cc), VC_ERR_MALFORMED);
  CHECK_INT_EQ(at, n);
  CHECK_INT_EQ(cc, 1007);
  n = masked(in, FIN | VC_WS_TEXT, "\xed\xa0\x80", 3);
  CHECK_INT_EQ(read_error(in, n, &at, &cc), VC_ERR_MALFORMED);
  CHECK_INT_EQ(cc, 1007);
  first = masked(in, VC_WS_TEXT, "ok \xe2\x82", 5);
  n = first + masked(in + first, FIN | VC_WS_CONTINUATION, "", 0);
  CHECK_INT_EQ(read_error(in, n, &at, &cc), VC_ERR_MALFORMED);
  CHECK_INT_EQ(at, n);
  CHECK_INT_EQ(cc, 1007);
  n = masked(in, FIN | VC_WS_TEXT, "\xf4\x90\x80\x80", 4);
  CHECK_INT_EQ(read_error(in, n, &at, &cc), VC_ERR_MALFORMED);
  CHECK_INT_EQ(cc, 1007);
  /* The same bytes are fine in a BINARY message. */
  n = masked(in, FIN | VC_WS_BINARY, "\xc0\x80", 2);
  CHECK_INT_EQ(read_error(in, n, &at, &cc), 0);
  CHECK_INT_EQ(at, n);
}

void test_vc_ws_frame_too_big_is_seen_from_the_header(void) {
  const size_t max = VC_WS_MAX_MESSAGE_LEN;
  struct expect want = {VC_WS_BINARY, payload, max, 0};
  size_t n, first, at;
  uint16_t cc;

  fill(payload, max + 1, 11);
  /* Exactly the cap, in one frame and in two. */
  n = masked(stream, FIN | VC_WS_BINARY, payload, max);
  CHECK_INT_EQ(feed(stream, n, n, 0, &want, 1), 1);
  CHECK_INT_EQ(feed(stream, n, 4096, 0, &want, 1), 1);
  first = masked(stream, VC_WS_BINARY, payload, 1000);
  n = first + masked(stream + first, FIN | VC_WS_CONTINUATION, payload + 1000,
                     max - 1000);
  CHECK_INT_EQ(feed(stream, n, n, 0, &want, 1), 1);
  /* One byte more: refused once the length is known, before the key. */
  n = masked(stream, FIN | VC_WS_BINARY, payload, max + 1);
  CHECK_INT_EQ(read_error(stream, n, &at, &cc), VC_ERR_TOO_BIG);
  CHECK_INT_EQ(at, 10);
  CHECK_INT_EQ(cc, 1009);
  first = masked(stream, VC_WS_BINARY, payload, 1000);
  n = first + masked(stream + first, FIN | VC_WS_CONTINUATION, payload + 1000,
                     max - 999);
  CHECK_INT_EQ(read_error(stream, n, &at, &cc), VC_ERR_TOO_BIG);
  CHECK_INT_EQ(at, first + 10);
  CHECK_INT_EQ(cc, 1009);
  /* A huge (but legal) 64-bit length: refused, nothing buffered. */
  memcpy(stream, "\x82\xff\x7f\xff\xff\xff\xff\xff\xff\xff", 10);
  CHECK_INT_EQ(read_error(stream, 10, &at, &cc), VC_ERR_TOO_BIG);
}

void test_vc_ws_frame_errors_are_sticky(void) {
  static const uint8_t unmasked[] = {0x82, 0x01, 0x00};
  vc_ws_reader r;
  vc_ws_message msg;
  size_t n, consumed;

  n = masked(stream, FIN | VC_WS_BINARY, "ok", 2);
  vc_ws_reader_init(&r, rbuf, sizeof(rbuf));
  CHECK_INT_EQ(vc_ws_read(&r, &msg, unmasked, sizeof(unmasked), &consumed),
               VC_ERR_MALFORMED);
  CHECK_INT_EQ(consumed, 2);
  CHECK_INT_EQ(vc_ws_reader_close_code(&r), 1002);
  /* A good frame after it changes nothing. */
  CHECK_INT_EQ(vc_ws_read(&r, &msg, stream, n, &consumed), VC_ERR_MALFORMED);
  CHECK_INT_EQ(consumed, 0);
  CHECK(msg.data == NULL);
  CHECK_INT_EQ(vc_ws_read(&r, &msg, NULL, 0, &consumed), VC_ERR_MALFORMED);
  CHECK_INT_EQ(vc_ws_reader_close_code(&r), 1002);
  /* A bad call is not fatal; init starts over. */
  CHECK_INT_EQ(vc_ws_read(&r, NULL, stream, n, &consumed),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_ws_reader_init(&r, rbuf, sizeof(rbuf)), 0);
  CHECK_INT_EQ(vc_ws_reader_close_code(&r), 1000);
  CHECK_INT_EQ(vc_ws_read(&r, &msg, stream, n, &consumed), 1);
  CHECK_MEM_EQ(msg.data, "ok", 2);
}

void test_vc_ws_frame_init_needs_a_big_enough_buffer(void) {
  vc_ws_reader r;

  CHECK_INT_EQ(vc_ws_reader_init(&r, rbuf, VC_WS_MIN_READER_BUF - 1),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_ws_reader_init(&r, rbuf, VC_WS_MIN_READER_BUF), 0);
  CHECK_INT_EQ(vc_ws_reader_init(&r, NULL, sizeof(rbuf)),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_ws_reader_init(NULL, rbuf, sizeof(rbuf)),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_ws_reader_init(&r, rbuf, sizeof(rbuf)), 0);
}

/* Issue 20, finding 6: a small buffer until the client joins, then a
 * large one, without losing the message half read. */
void test_vc_ws_frame_a_small_buffer_grows_mid_message(void) {
  static uint8_t small[1024], frag[3000];
  vc_ws_reader r;
  vc_ws_message msg;
  size_t n = 0, pos = 0, consumed;

  fill(frag, sizeof(frag), 5);
  /* A message over the small buffer's 1024 - 125 bytes is too big. */
  n = masked(stream, FIN | VC_WS_BINARY, frag, 900);
  CHECK_INT_EQ(vc_ws_reader_init(&r, small, sizeof(small)), 0);
  CHECK_INT_EQ(vc_ws_read(&r, &msg, stream, n, &consumed), VC_ERR_TOO_BIG);
  CHECK_INT_EQ(vc_ws_reader_close_code(&r), 1009);
  n = masked(stream, FIN | VC_WS_BINARY, frag, 899);
  CHECK_INT_EQ(vc_ws_reader_init(&r, small, sizeof(small)), 0);
  CHECK_INT_EQ(vc_ws_read(&r, &msg, stream, n, &consumed), 1);
  CHECK_INT_EQ(msg.len, 899);

  /* 500 bytes of a fragment and half a ping in the small buffer; grow;
   * the rest arrives and everything reads whole. */
  n = 0;
  n += masked(stream + n, VC_WS_BINARY, frag, 800);
  n += masked(stream + n, FIN | VC_WS_PING, "still there?", 12);
  n += masked(stream + n, FIN | VC_WS_CONTINUATION, frag + 800, 2200);
  CHECK_INT_EQ(vc_ws_reader_init(&r, small, sizeof(small)), 0);
  CHECK_INT_EQ(vc_ws_read(&r, &msg, stream, 500, &consumed), 0);
  pos = consumed;
  CHECK_INT_EQ(vc_ws_read(&r, &msg, stream + pos, 320, &consumed), 0);
  pos += consumed;
  CHECK_INT_EQ(vc_ws_reader_grow(&r, small, sizeof(small) - 1),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_ws_reader_grow(&r, rbuf, sizeof(rbuf)), 0);
  memset(small, 0xee, sizeof(small)); /* the old buffer is ours again */
  CHECK_INT_EQ(vc_ws_read(&r, &msg, stream + pos, n - pos, &consumed), 1);
  pos += consumed;
  CHECK_INT_EQ(msg.opcode, VC_WS_PING);
  CHECK_MEM_EQ(msg.data, "still there?", 12);
  CHECK_INT_EQ(vc_ws_read(&r, &msg, stream + pos, n - pos, &consumed), 1);
  pos += consumed;
  CHECK_INT_EQ(pos, n);
  CHECK_INT_EQ(msg.opcode, VC_WS_BINARY);
  CHECK_INT_EQ(msg.len, sizeof(frag));
  CHECK_MEM_EQ(msg.data, frag, sizeof(frag));
}
