/*
 * utf8.c: see utf8.h. A table-free decoder; each branch is one row of
 * RFC 3629's well-formed byte sequences.
 */
#include "utf8.h"

#include <stdint.h>

static int is_cont(uint8_t b) {
  return (b & 0xc0) == 0x80;
}

long vc__utf8_count(const char *s, size_t len, int no_controls) {
  const uint8_t *p = (const uint8_t *)s, *end = p + len;
  long n = 0;

  while (p < end) {
    uint32_t cp;
    uint8_t b = *p;
    size_t left = (size_t)(end - p);

    if (b < 0x80) {
      cp = b;
      p += 1;
    } else if (b >= 0xc2 && b <= 0xdf && left >= 2 && is_cont(p[1])) {
      cp = ((uint32_t)(b & 0x1f) << 6) | (p[1] & 0x3f);
      p += 2;
    } else if (b >= 0xe0 && b <= 0xef && left >= 3 && is_cont(p[1]) &&
               is_cont(p[2])) {
      cp = ((uint32_t)(b & 0x0f) << 12) | ((uint32_t)(p[1] & 0x3f) << 6) |
           (p[2] & 0x3f);
      if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) {
        return -1; /* overlong, or a surrogate */
      }
      p += 3;
    } else if (b >= 0xf0 && b <= 0xf4 && left >= 4 && is_cont(p[1]) &&
               is_cont(p[2]) && is_cont(p[3])) {
      cp = ((uint32_t)(b & 0x07) << 18) | ((uint32_t)(p[1] & 0x3f) << 12) |
           ((uint32_t)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
      if (cp < 0x10000 || cp > 0x10ffff) {
        return -1;
      }
      p += 4;
    } else {
      return -1;
    }
    if (no_controls && (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
                        cp == 0x2028 || cp == 0x2029)) {
      return -1;
    }
    n++;
  }
  return n;
}
