/*
 * leave_beacon.c: see leave_beacon.h.
 */
#include "leave_beacon.h"

#include <string.h>

#include <vc/control.h>
#include <vc/vc.h>

#include "hex_digit.h"

#define PATH "/leave"

int vc_leave_beacon_matches(const char *target) {
  size_t n = strlen(PATH);
  return strncmp(target, PATH, n) == 0 &&
         (target[n] == '\0' || target[n] == '?');
}

static int parse_session(uint32_t *out, const char *v, size_t len) {
  uint64_t n = 0;
  size_t i;
  if (len == 0 || len > 10 || v[0] == '0') {
    return -1;
  }
  for (i = 0; i < len; i++) {
    if (v[i] < '0' || v[i] > '9') {
      return -1;
    }
    n = n * 10 + (uint64_t)(v[i] - '0');
  }
  if (n > UINT32_MAX) {
    return -1;
  }
  *out = (uint32_t)n;
  return 0;
}

static int parse_token(uint8_t *out, const char *v, size_t len) {
  size_t i;
  if (len != 2 * VC_LEAVE_BEACON_TOKEN_LEN) {
    return -1;
  }
  for (i = 0; i < VC_LEAVE_BEACON_TOKEN_LEN; i++) {
    int hi = vc_hex_digit(v[2 * i]), lo = vc_hex_digit(v[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return -1;
    }
    out[i] = (uint8_t)(hi * 16 + lo);
  }
  return 0;
}

int vc_leave_beacon_parse(vc_leave_beacon *out, const char *target) {
  const char *p;
  int seen = 0; /* bits: meeting 1, session 2, token 4 */

  memset(out, 0, sizeof(*out));
  if (!vc_leave_beacon_matches(target) || target[strlen(PATH)] != '?') {
    return VC_ERR_MALFORMED;
  }
  p = target + strlen(PATH) + 1;
  while (*p) {
    const char *amp = strchr(p, '&'), *eq;
    size_t len = amp ? (size_t)(amp - p) : strlen(p), klen;
    const char *v;
    size_t vlen;
    int bit, rv;
    eq = memchr(p, '=', len);
    if (!eq) {
      return VC_ERR_MALFORMED;
    }
    klen = (size_t)(eq - p);
    v = eq + 1;
    vlen = len - klen - 1;
    if (klen == 7 && memcmp(p, "meeting", 7) == 0) {
      bit = 1;
      rv = vlen < sizeof(out->meeting_id) ? 0 : -1;
      if (rv == 0) {
        memcpy(out->meeting_id, v, vlen);
        out->meeting_id[vlen] = '\0';
        rv = vc_name_is_safe(out->meeting_id) ? 0 : -1;
      }
    } else if (klen == 7 && memcmp(p, "session", 7) == 0) {
      bit = 2;
      rv = parse_session(&out->session, v, vlen);
    } else if (klen == 5 && memcmp(p, "token", 5) == 0) {
      bit = 4;
      rv = parse_token(out->token, v, vlen);
    } else {
      bit = 0; /* not ours: ignored */
      rv = 0;
    }
    if (rv != 0 || (seen & bit)) {
      return VC_ERR_MALFORMED;
    }
    seen |= bit;
    p += len + (amp ? 1 : 0);
  }
  return seen == 7 ? 0 : VC_ERR_MALFORMED;
}
