/*
 * ws_frame.c: WebSocket framing (RFC 6455 §5.2-§5.5, close codes §7.4).
 *
 * The header is read one byte at a time and checked as each byte comes,
 * so a stream cut anywhere reads the same as one in a single piece and
 * every error is found at the same byte. Payloads are always copied: the
 * client masks them and |data| is const, so they must be unmasked
 * somewhere. Data fragments are gathered at the start of the buffer and
 * control payloads in its last VC_WS_MAX_CONTROL_LEN bytes, so a ping
 * between two fragments leaves the message being reassembled alone.
 *
 * No extension is ever negotiated (the handshake answers none), so RSV
 * bits are always an error.
 */
#include "ws_frame.h"

#include <string.h>

#include "wire/utf8.h"

#define WS_FIN 0x80u
#define WS_RSV 0x70u
#define WS_OPCODE 0x0fu
#define WS_CONTROL 0x08u
#define WS_MASK 0x80u
#define WS_LEN7 0x7fu
#define WS_LEN16 126u
#define WS_LEN64 127u
#define WS_MASK_KEY_LEN 4u
/* A close payload starts with a 2-byte code; the reason gets the rest. */
#define WS_MAX_REASON_LEN (VC_WS_MAX_CONTROL_LEN - 2)

enum {
  CLOSE_NORMAL = 1000,
  CLOSE_PROTOCOL_ERROR = 1002,
  CLOSE_NO_STATUS = 1005,
  CLOSE_INVALID_DATA = 1007,
  CLOSE_TOO_BIG = 1009
};

static int is_control(unsigned op) {
  return (op & WS_CONTROL) != 0;
}

static int is_known_opcode(unsigned op) {
  return op <= VC_WS_BINARY || (op >= VC_WS_CLOSE && op <= VC_WS_PONG);
}

/*
 * §7.4: the codes a peer may put in a close frame. 1012-1014 were
 * registered with IANA after the RFC; 1005, 1006 and 1015 are only ever
 * reported locally, never sent.
 */
static int close_code_is_sendable(unsigned code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

static int is_utf8(const uint8_t *s, size_t len) {
  return len == 0 || vc__utf8_count((const char *)s, len, 0) >= 0;
}

int vc_ws_reader_init(vc_ws_reader *r, uint8_t *buf, size_t cap) {
  if (!r || !buf || cap < VC_WS_MIN_READER_BUF) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  memset(r, 0, sizeof(*r));
  r->buf = buf;
  r->cap = cap;
  return 0;
}

/* The longest data message |r|'s buffer holds. */
static size_t message_cap(const vc_ws_reader *r) {
  size_t cap = r->cap - VC_WS_MAX_CONTROL_LEN;

  return cap < VC_WS_MAX_MESSAGE_LEN ? cap : VC_WS_MAX_MESSAGE_LEN;
}

int vc_ws_reader_grow(vc_ws_reader *r, uint8_t *buf, size_t cap) {
  size_t old_msg_cap;

  if (!r || !buf || cap < r->cap) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  old_msg_cap = message_cap(r);
  memcpy(buf, r->buf, old_msg_cap);
  memcpy(buf + cap - VC_WS_MAX_CONTROL_LEN, r->buf + old_msg_cap,
         VC_WS_MAX_CONTROL_LEN);
  r->buf = buf;
  r->cap = cap;
  return 0;
}

uint16_t vc_ws_reader_close_code(const vc_ws_reader *r) {
  return r && r->err ? r->err_close_code : CLOSE_NORMAL;
}

static int fail(vc_ws_reader *r, int err, uint16_t close_code) {
  r->err = err;
  r->err_close_code = close_code;
  return err;
}

static unsigned frame_opcode(const vc_ws_reader *r) {
  return r->hdr[0] & WS_OPCODE;
}

/* Once the length is known: is it minimal, and does the message fit? */
static int check_length(const vc_ws_reader *r) {
  unsigned len7 = r->hdr[1] & WS_LEN7;

  if (len7 == WS_LEN16 && r->frame_len < WS_LEN16) {
    return VC_ERR_MALFORMED;
  }
  if (len7 == WS_LEN64 &&
      ((r->frame_len >> 63) != 0 || r->frame_len <= UINT16_MAX)) {
    return VC_ERR_MALFORMED;
  }
  /* Control frames are capped at 125 by the second byte already. */
  if (!is_control(frame_opcode(r)) &&
      r->frame_len > message_cap(r) - r->msg_len) {
    return VC_ERR_TOO_BIG;
  }
  return 0;
}

/*
 * Takes one header byte. Returns 1 when the header is complete, 0 when
 * more bytes are needed, or an error.
 */
static int read_header_byte(vc_ws_reader *r, uint8_t b) {
  size_t i = r->hdr_have++, len_end;
  unsigned op, len7;

  if (i == 0) {
    op = b & WS_OPCODE;
    if ((b & WS_RSV) != 0 || !is_known_opcode(op)) {
      return VC_ERR_MALFORMED;
    }
    if (is_control(op)) {
      if ((b & WS_FIN) == 0) {
        return VC_ERR_MALFORMED; /* §5.5: control frames are never split */
      }
    } else if ((op == VC_WS_CONTINUATION) != (r->frag_opcode != 0)) {
      /* A continuation needs a start; a start needs no message open. */
      return VC_ERR_MALFORMED;
    }
    r->hdr[0] = b;
    return 0;
  }
  if (i == 1) {
    len7 = b & WS_LEN7;
    if ((b & WS_MASK) == 0) {
      return VC_ERR_MALFORMED; /* §5.1: clients always mask */
    }
    if (is_control(frame_opcode(r)) && len7 > VC_WS_MAX_CONTROL_LEN) {
      return VC_ERR_MALFORMED;
    }
    r->hdr[1] = b;
    r->hdr_len = 2 + WS_MASK_KEY_LEN;
    if (len7 == WS_LEN16) {
      r->hdr_len += 2;
    } else if (len7 == WS_LEN64) {
      r->hdr_len += 8;
    } else {
      r->frame_len = len7;
      return check_length(r);
    }
    return 0;
  }
  len_end = r->hdr_len - WS_MASK_KEY_LEN;
  if (i < len_end) {
    r->frame_len = (r->frame_len << 8) | b;
    return i + 1 == len_end ? check_length(r) : 0;
  }
  r->mask[i - len_end] = b;
  return r->hdr_have == r->hdr_len ? 1 : 0;
}

static uint8_t *payload_dest(const vc_ws_reader *r) {
  if (is_control(frame_opcode(r))) {
    return r->buf + message_cap(r);
  }
  return r->buf + r->msg_len;
}

/* |n| payload bytes, |off| bytes into the frame, unmasked (§5.3). */
static void unmask(uint8_t *dst, const uint8_t *src, size_t n,
                   const uint8_t mask[4], uint64_t off) {
  size_t i;

  for (i = 0; i < n; i++) {
    dst[i] = src[i] ^ mask[(off + i) & 3u];
  }
}

/* A close frame's payload, checked and split into code and reason. */
static int finish_close(vc_ws_reader *r, vc_ws_message *msg, uint8_t *p,
                        size_t n) {
  uint16_t code = CLOSE_NO_STATUS;

  if (n == 1) {
    return fail(r, VC_ERR_MALFORMED, CLOSE_PROTOCOL_ERROR);
  }
  if (n >= 2) {
    code = (uint16_t)((p[0] << 8) | p[1]);
    if (!close_code_is_sendable(code)) {
      return fail(r, VC_ERR_MALFORMED, CLOSE_PROTOCOL_ERROR);
    }
    if (!is_utf8(p + 2, n - 2)) {
      return fail(r, VC_ERR_MALFORMED, CLOSE_INVALID_DATA);
    }
    /* The reason first, so there is room for a NUL within the 125. */
    memmove(p, p + 2, n - 2);
    n -= 2;
  }
  p[n] = '\0';
  msg->opcode = VC_WS_CLOSE;
  msg->data = p;
  msg->len = n;
  msg->close_code = code;
  return 1;
}

/*
 * The current frame's payload is all in. Returns 1 when it completes a
 * message (in |*msg|), 0 for a data fragment that does not, or an error.
 */
static int finish_frame(vc_ws_reader *r, vc_ws_message *msg) {
  unsigned op = frame_opcode(r);
  int fin = (r->hdr[0] & WS_FIN) != 0;
  size_t n = (size_t)r->frame_len;
  uint8_t *p = payload_dest(r);

  r->hdr_have = 0;
  r->hdr_len = 0;
  r->frame_len = 0;
  r->frame_have = 0;
  if (op == VC_WS_CLOSE) {
    return finish_close(r, msg, p, n);
  }
  if (is_control(op)) {
    msg->opcode = (vc_ws_opcode)op;
    msg->data = p;
    msg->len = n;
    return 1;
  }
  if (op != VC_WS_CONTINUATION) {
    r->frag_opcode = (int)op;
  }
  r->msg_len += n;
  if (!fin) {
    return 0;
  }
  if (r->frag_opcode == VC_WS_TEXT && !is_utf8(r->buf, r->msg_len)) {
    return fail(r, VC_ERR_MALFORMED, CLOSE_INVALID_DATA);
  }
  msg->opcode = (vc_ws_opcode)r->frag_opcode;
  msg->data = r->buf;
  msg->len = r->msg_len;
  r->frag_opcode = 0;
  r->msg_len = 0;
  return 1;
}

int vc_ws_read(vc_ws_reader *r, vc_ws_message *msg, const uint8_t *data,
               size_t len, size_t *consumed) {
  size_t pos = 0, n;
  uint64_t left;
  int rv;

  if (!r || !msg || !consumed || (!data && len > 0)) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  memset(msg, 0, sizeof(*msg));
  *consumed = 0;
  if (r->err) {
    return r->err;
  }
  for (;;) {
    if (r->hdr_len == 0 || r->hdr_have < r->hdr_len) {
      if (pos == len) {
        *consumed = pos;
        return 0;
      }
      rv = read_header_byte(r, data[pos++]);
      if (rv < 0) {
        *consumed = pos;
        return fail(
            r, rv, rv == VC_ERR_TOO_BIG ? CLOSE_TOO_BIG : CLOSE_PROTOCOL_ERROR);
      }
      if (rv == 0) {
        continue;
      }
    }
    /* An empty frame completes right after its header. */
    left = r->frame_len - r->frame_have;
    n = left < len - pos ? (size_t)left : len - pos;
    unmask(payload_dest(r) + r->frame_have, data + pos, n, r->mask,
           r->frame_have);
    pos += n;
    r->frame_have += n;
    if (r->frame_have < r->frame_len) {
      *consumed = pos;
      return 0;
    }
    rv = finish_frame(r, msg);
    if (rv != 0) {
      *consumed = pos;
      return rv;
    }
  }
}

vc_ssize vc_ws_write_header(uint8_t *dest, size_t destlen, vc_ws_opcode op,
                            size_t payload_len) {
  uint64_t len64 = payload_len;
  size_t hlen, i;

  if ((!dest && destlen > 0) || !is_known_opcode((unsigned)op) ||
      (is_control((unsigned)op) && payload_len > VC_WS_MAX_CONTROL_LEN)) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  /* §5.2: the shortest form that holds the length. */
  if (payload_len < WS_LEN16) {
    hlen = 2;
  } else if (payload_len <= UINT16_MAX) {
    hlen = 4;
  } else {
    hlen = 10;
  }
  if (destlen < hlen) {
    return VC_ERR_NOBUF;
  }
  dest[0] = (uint8_t)(WS_FIN | (unsigned)op);
  if (hlen == 2) {
    dest[1] = (uint8_t)payload_len;
  } else if (hlen == 4) {
    dest[1] = WS_LEN16;
    dest[2] = (uint8_t)(payload_len >> 8);
    dest[3] = (uint8_t)payload_len;
  } else {
    dest[1] = WS_LEN64;
    for (i = 0; i < 8; i++) {
      dest[2 + i] = (uint8_t)(len64 >> (56 - 8 * i));
    }
  }
  return (vc_ssize)hlen;
}

vc_ssize vc_ws_write_close(uint8_t *dest, size_t destlen, uint16_t code,
                           const char *reason) {
  size_t rlen = reason ? strlen(reason) : 0, total;

  if ((!dest && destlen > 0) || !close_code_is_sendable(code)) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  if (rlen > WS_MAX_REASON_LEN) {
    /* Back off while the first byte cut off continues a character. */
    rlen = WS_MAX_REASON_LEN;
    while (rlen > 0 && ((unsigned char)reason[rlen] & 0xc0u) == 0x80u) {
      rlen--;
    }
  }
  if (!is_utf8((const uint8_t *)reason, rlen)) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  total = 2 + 2 + rlen;
  if (destlen < total) {
    return VC_ERR_NOBUF;
  }
  dest[0] = (uint8_t)(WS_FIN | VC_WS_CLOSE);
  dest[1] = (uint8_t)(2 + rlen);
  dest[2] = (uint8_t)(code >> 8);
  dest[3] = (uint8_t)code;
  if (rlen > 0) {
    /* A frame, not a string: no NUL goes on the wire. */
    // NOLINTNEXTLINE(bugprone-not-null-terminated-result)
    memcpy(dest + 4, reason, rlen);
  }
  return (vc_ssize)total;
}
