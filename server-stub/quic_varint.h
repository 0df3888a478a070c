/*
 * quic_varint.h: QUIC variable-length integers (RFC 9000 §16), which
 * HTTP/3 reuses for stream types, frame types and lengths, settings,
 * capsules and datagram headers. The two top bits of the first byte give
 * the length (1, 2, 4 or 8 bytes); the other bits are the value, big-
 * endian, up to 2^62 - 1. Readers accept any length (§16 allows values to
 * be sent longer than needed); writers always use the shortest.
 */
#ifndef VC_SERVER_QUIC_VARINT_H
#define VC_SERVER_QUIC_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define VC_QUIC_VARINT_MAX ((UINT64_C(1) << 62) - 1)
#define VC_QUIC_VARINT_MAX_LEN 8

/* The length of the varint whose first byte is |first|. */
static inline size_t vc_quic_varint_len_of(uint8_t first) {
  return (size_t)1 << (first >> 6);
}

/* The length of the shortest encoding of |v| (at most VC_QUIC_VARINT_MAX).
 */
static inline size_t vc_quic_varint_len(uint64_t v) {
  if (v < 0x40) {
    return 1;
  }
  if (v < 0x4000) {
    return 2;
  }
  if (v < 0x40000000) {
    return 4;
  }
  return 8;
}

/* Writes |v| (at most VC_QUIC_VARINT_MAX) in its shortest form into
 * |dest|, which has room for VC_QUIC_VARINT_MAX_LEN bytes. Returns the
 * length written. */
static inline size_t vc_quic_varint_put(uint8_t *dest, uint64_t v) {
  size_t n = vc_quic_varint_len(v), i;
  /* The length code is log2 of the length: 0, 1, 2 or 3. */
  uint8_t code = n == 1 ? 0 : n == 2 ? 1 : n == 4 ? 2 : 3;

  for (i = n; i > 0; i--) {
    dest[i - 1] = (uint8_t)v;
    v >>= 8;
  }
  dest[0] = (uint8_t)(dest[0] | (code << 6));
  return n;
}

/* Reads the varint at the start of |src| (|len| bytes) into |*v|. Returns
 * its length, or 0 (|*v| untouched) when |len| is too short for it. */
static inline size_t vc_quic_varint_get(const uint8_t *src, size_t len,
                                        uint64_t *v) {
  size_t n, i;
  uint64_t x;

  if (len == 0) {
    return 0;
  }
  n = vc_quic_varint_len_of(src[0]);
  if (len < n) {
    return 0;
  }
  x = src[0] & 0x3fu;
  for (i = 1; i < n; i++) {
    x = (x << 8) | src[i];
  }
  *v = x;
  return n;
}

#endif /* VC_SERVER_QUIC_VARINT_H */
