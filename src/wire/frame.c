/*
 * frame.c: length-prefixed envelopes on a byte stream (docs/PROTOCOL.md
 * "Framing on a stream").
 *
 * The header is a protobuf varint read one byte at a time, so it may be
 * split anywhere. Only the minimal encoding is accepted: every length then
 * has exactly one header, the fuzzer can check the reader against the
 * writer, and a peer cannot hide bytes in padding. The reader copies only
 * what it must: a frame that arrives whole in one call is returned in
 * place, and only frames split across calls are gathered in the buffer.
 */
#include <string.h>

#include <vc/frame.h>

/* Each varint byte carries 7 bits of the value; the top bit says "more". */
#define VARINT_MORE 0x80u
#define VARINT_BITS 7u

vc_ssize vc_frame_write_header(uint8_t *dest, size_t destlen, size_t framelen) {
  size_t len = 1, i;

  if (!dest && destlen > 0) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  if (framelen == 0) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  if (framelen > VC_ENVELOPE_MAX_LEN) {
    return VC_ERR_TOO_BIG;
  }
  while ((framelen >> (VARINT_BITS * len)) != 0) {
    len++;
  }
  if (len > destlen) {
    return VC_ERR_NOBUF;
  }
  for (i = 0; i + 1 < len; i++) {
    dest[i] = (uint8_t)((framelen & 0x7fu) | VARINT_MORE);
    framelen >>= VARINT_BITS;
  }
  dest[i] = (uint8_t)framelen;
  return (vc_ssize)len;
}

int vc_frame_reader_init(vc_frame_reader *r, uint8_t *buf, size_t bufcap) {
  if (!r || !buf || bufcap < VC_ENVELOPE_MAX_LEN) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  memset(r, 0, sizeof(*r));
  r->buf = buf;
  r->bufcap = bufcap;
  return 0;
}

/*
 * Ready for the next header. |buf| is left alone: it may hold the frame
 * just returned, which the caller reads until its next call.
 */
static void reset_frame(vc_frame_reader *r) {
  r->framelen = 0;
  r->have = 0;
  r->hdrval = 0;
  r->hdrlen = 0;
}

/*
 * Takes one header byte. Returns 1 when the header is complete (and
 * r->framelen is set), 0 when more bytes are needed, or an error.
 */
static int read_header_byte(vc_frame_reader *r, uint8_t b) {
  r->hdrval |= (uint32_t)(b & 0x7fu) << (VARINT_BITS * r->hdrlen);
  r->hdrlen++;
  if (b & VARINT_MORE) {
    /* A fourth byte could only say "at least 2^21": over the cap. */
    return r->hdrlen < VC_FRAME_MAX_HEADER_LEN ? 0 : VC_ERR_TOO_BIG;
  }
  /*
   * A last byte of 0 after others only pads a shorter encoding; a lone 0
   * is an empty frame, which no envelope can be.
   */
  if (b == 0) {
    return VC_ERR_MALFORMED;
  }
  if (r->hdrval > VC_ENVELOPE_MAX_LEN) {
    return VC_ERR_TOO_BIG;
  }
  r->framelen = r->hdrval;
  r->have = 0;
  return 1;
}

vc_ssize vc_frame_parse_one(const uint8_t **frame, const uint8_t *data,
                            size_t datalen) {
  vc_frame_reader r;
  size_t pos = 0;
  int rv;

  if (!frame || (!data && datalen > 0)) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  *frame = NULL;
  memset(&r, 0, sizeof(r)); /* only the header state is used */
  while (r.framelen == 0) {
    if (pos == datalen) {
      return VC_ERR_MALFORMED;
    }
    rv = read_header_byte(&r, data[pos++]);
    if (rv < 0) {
      return rv;
    }
  }
  if (datalen - pos != r.framelen) {
    return VC_ERR_MALFORMED;
  }
  *frame = data + pos;
  return (vc_ssize)r.framelen;
}

vc_ssize vc_frame_read(vc_frame_reader *r, const uint8_t **frame,
                       const uint8_t *data, size_t datalen, size_t *consumed) {
  size_t pos = 0, need, n;
  int rv;

  if (!r || !frame || !consumed || (!data && datalen > 0)) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  *frame = NULL;
  *consumed = 0;
  if (r->err) {
    return r->err;
  }

  while (r->framelen == 0) {
    if (pos == datalen) {
      *consumed = pos;
      return 0;
    }
    rv = read_header_byte(r, data[pos++]);
    if (rv < 0) {
      r->err = rv;
      *consumed = pos;
      return rv;
    }
  }

  need = r->framelen - r->have;
  if (r->have == 0 && datalen - pos >= need) {
    *frame = data + pos;
    *consumed = pos + need;
    reset_frame(r);
    return (vc_ssize)need;
  }
  n = datalen - pos < need ? datalen - pos : need;
  if (n > 0) {
    memcpy(r->buf + r->have, data + pos, n);
  }
  r->have += n;
  *consumed = pos + n;
  if (r->have < r->framelen) {
    return 0;
  }
  *frame = r->buf;
  n = r->framelen;
  reset_frame(r);
  return (vc_ssize)n;
}
