/*
 * hex_digit.h: the value of one hexadecimal digit, for the parsers of
 * request targets (percent escapes in routes.c, tokens in leave_beacon.c).
 */
#ifndef VC_SERVER_HEX_DIGIT_H
#define VC_SERVER_HEX_DIGIT_H

/* 0 to 15, or -1 when |c| is not a hex digit (either case). */
static inline int vc_hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

#endif /* VC_SERVER_HEX_DIGIT_H */
