/*
 * frame_reader_fuzz.c: fuzz target for vc_frame_read, which meets every
 * byte of a WebTransport, WebSocket or TCP stream before anything else.
 *
 * Input: two control bytes, then the stream. The control bytes choose how
 * the stream is cut: byte 0 bounds the piece size (1 byte up to the whole
 * 256 KiB), byte 1 seeds the cuts. The cut stream is read against a second
 * reader that always gets all the remaining bytes at once: both must yield
 * the same frames, the same error at the same byte, and the API contract
 * must hold on every call. Every frame then goes to vc_envelope_decode.
 */
#include <stdlib.h>
#include <string.h>

#include <vc/frame.h>
#include <vc/wire.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t cut_buf[VC_ENVELOPE_MAX_LEN];
static uint8_t whole_buf[VC_ENVELOPE_MAX_LEN];
static uint8_t payload[VC_ENVELOPE_MAX_PAYLOAD_LEN];

static uint32_t next_random(uint32_t *state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

/* The contract of one vc_frame_read call on |datalen| bytes at |data|. */
static void check_call(const vc_frame_reader *r, vc_ssize n,
                       const uint8_t *frame, const uint8_t *data,
                       size_t datalen, size_t consumed) {
  if (consumed > datalen) {
    abort();
  }
  if (n < 0) {
    if ((n != VC_ERR_MALFORMED && n != VC_ERR_TOO_BIG) || frame) {
      abort();
    }
    return;
  }
  if (n == 0) {
    /* No frame means every byte was taken: the caller never re-sends. */
    if (consumed != datalen || frame) {
      abort();
    }
    return;
  }
  if (consumed == 0 || (size_t)n > VC_ENVELOPE_MAX_LEN || !frame) {
    abort();
  }
  /* In place it ends at the last byte consumed; else it is in the buffer. */
  if (frame != r->buf &&
      ((size_t)n > consumed || frame + n != data + consumed)) {
    abort();
  }
}

/*
 * The next frame of the reference reader, which is handed the whole rest
 * of the stream: never split, so it never copies. Returns its length, 0
 * at the end of the stream, or its error; |*pos| moves past the frame.
 */
static vc_ssize next_whole(vc_frame_reader *r, const uint8_t **frame,
                           const uint8_t *data, size_t size, size_t *pos) {
  uint8_t hdr[VC_FRAME_MAX_HEADER_LEN];
  size_t consumed;
  vc_ssize n, h;

  n = vc_frame_read(r, frame, data + *pos, size - *pos, &consumed);
  check_call(r, n, *frame, data + *pos, size - *pos, consumed);
  if (n > 0) {
    if (*frame == r->buf) {
      abort(); /* a frame wholly in |data| must not be copied */
    }
    /* Minimal varints: the header read is the one the writer makes. */
    h = vc_frame_write_header(hdr, sizeof(hdr), (size_t)n);
    if (h <= 0 || (size_t)h + (size_t)n != consumed ||
        memcmp(hdr, data + *pos, (size_t)h) != 0) {
      abort();
    }
  }
  *pos += consumed;
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  vc_frame_reader cut, whole;
  const uint8_t *frame, *whole_frame;
  size_t max_chunk, pos = 0, whole_pos = 0, chunk, consumed;
  uint32_t seed;
  vc_ssize n, w;
  vc_route route;

  if (size < 2) {
    return 0;
  }
  max_chunk = (size_t)1 << (data[0] % 19);
  seed = 0x9e3779b9u ^ data[1];
  data += 2;
  size -= 2;

  if (vc_frame_reader_init(&cut, cut_buf, sizeof(cut_buf)) != 0 ||
      vc_frame_reader_init(&whole, whole_buf, sizeof(whole_buf)) != 0) {
    abort();
  }
  while (pos < size) {
    chunk = 1 + next_random(&seed) % max_chunk;
    if (chunk > size - pos) {
      chunk = size - pos;
    }
    while (chunk > 0) {
      n = vc_frame_read(&cut, &frame, data + pos, chunk, &consumed);
      check_call(&cut, n, frame, data + pos, chunk, consumed);
      pos += consumed;
      chunk -= consumed;
      if (n == 0) {
        continue;
      }
      w = next_whole(&whole, &whole_frame, data, size, &whole_pos);
      if (w != n || whole_pos != pos) {
        abort(); /* a different frame or error, or at a different byte */
      }
      if (n < 0) {
        /* Sticky: the stream is over whatever follows. */
        if (vc_frame_read(&cut, &frame, data, size, &consumed) != n ||
            consumed != 0 || frame) {
          abort();
        }
        return 0;
      }
      if (memcmp(frame, whole_frame, (size_t)n) != 0) {
        abort();
      }
      vc_envelope_decode(&route, payload, sizeof(payload), frame, (size_t)n);
    }
  }
  /* The tail holds no frame for either, and both stop at the same byte. */
  if (next_whole(&whole, &whole_frame, data, size, &whole_pos) != 0 ||
      whole_pos != size || whole.hdrlen != cut.hdrlen ||
      whole.framelen != cut.framelen || whole.have != cut.have) {
    abort();
  }
  return 0;
}
