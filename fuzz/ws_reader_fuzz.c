/*
 * ws_reader_fuzz.c: fuzz target for server-stub's WebSocket reader
 * (ws_frame.c), which meets every byte a browser sends after the upgrade.
 *
 * Input: two control bytes, then the client's stream. Byte 0 bounds the
 * piece size (1 byte up to 256 KiB), byte 1 seeds the cuts. The cut stream
 * is read against a second reader that always gets all the remaining
 * bytes at once: both must yield the same messages, the same error at the
 * same byte, and the API contract must hold on every call. Every message
 * is then written back with the server's writers, masked as a client
 * would, and read by a third reader: it must come out the same.
 */
#include <stdlib.h>
#include <string.h>

#include "ws_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RBUF_LEN (VC_WS_MAX_MESSAGE_LEN + VC_WS_MAX_CONTROL_LEN)

static uint8_t cut_buf[RBUF_LEN];
static uint8_t whole_buf[RBUF_LEN];
static uint8_t echo_buf[RBUF_LEN];
static uint8_t server_frame[VC_WS_MAX_HEADER_LEN + VC_WS_MAX_MESSAGE_LEN];
static uint8_t client_frame[VC_WS_MAX_HEADER_LEN + 4 + VC_WS_MAX_MESSAGE_LEN];

static uint32_t next_random(uint32_t *state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

/* The contract of one vc_ws_read call on |len| bytes. */
static void check_call(const vc_ws_reader *r, int rv, const vc_ws_message *m,
                       size_t len, size_t consumed) {
  uint16_t cc = vc_ws_reader_close_code(r);

  if (consumed > len) {
    abort();
  }
  if (rv < 0) {
    if (m->data || m->len) {
      abort();
    }
    if (rv == VC_ERR_TOO_BIG) {
      if (cc != 1009) {
        abort();
      }
    } else if (rv != VC_ERR_MALFORMED || (cc != 1002 && cc != 1007)) {
      abort();
    }
    return;
  }
  if (cc != 1000) {
    abort();
  }
  if (rv == 0) {
    /* Nothing complete means every byte was taken. */
    if (consumed != len || m->data) {
      abort();
    }
    return;
  }
  if (rv != 1 || consumed == 0 || !m->data) {
    abort();
  }
  switch (m->opcode) {
  case VC_WS_TEXT:
  case VC_WS_BINARY:
    if (m->len > VC_WS_MAX_MESSAGE_LEN || m->data != r->buf) {
      abort();
    }
    break;
  case VC_WS_CLOSE:
    /* The reason, NUL-terminated; the code one a peer may send. */
    if (m->len > VC_WS_MAX_CONTROL_LEN - 2 || m->data[m->len] != 0 ||
        (m->close_code == 1005 && m->len != 0) ||
        (m->close_code != 1005 &&
         (m->close_code < 1000 || m->close_code >= 5000))) {
      abort();
    }
    break;
  case VC_WS_PING:
  case VC_WS_PONG:
    if (m->len > VC_WS_MAX_CONTROL_LEN) {
      abort();
    }
    break;
  default:
    abort();
  }
}

/* Masks a server frame of |n| bytes as a client would send it. */
static size_t mask_frame(uint8_t *out, const uint8_t *in, size_t n,
                         const uint8_t key[4]) {
  unsigned len7 = in[1] & 0x7fu;
  size_t hlen = len7 == 126 ? 4 : len7 == 127 ? 10 : 2, i;

  memcpy(out, in, hlen);
  out[1] |= 0x80u;
  memcpy(out + hlen, key, 4);
  for (i = hlen; i < n; i++) {
    out[i + 4] = (uint8_t)(in[i] ^ key[(i - hlen) % 4]);
  }
  return n + 4;
}

/* The writers can say what the reader read, and it reads the same. */
static void check_echo(const vc_ws_message *m, const uint8_t key[4]) {
  vc_ws_reader r;
  vc_ws_message back;
  vc_ssize h;
  size_t n, consumed;
  uint16_t code = m->close_code;

  if (m->opcode == VC_WS_CLOSE) {
    /* 1005 is never sent; a NUL inside the reason ends it early. */
    if (code == 1005 || strlen((const char *)m->data) != m->len) {
      return;
    }
    h = vc_ws_write_close(server_frame, sizeof(server_frame), code,
                          (const char *)m->data);
    if (h != (vc_ssize)(4 + m->len)) {
      abort();
    }
    n = (size_t)h;
  } else {
    h = vc_ws_write_header(server_frame, sizeof(server_frame), m->opcode,
                           m->len);
    if (h != (m->len < 126 ? 2 : m->len < 65536 ? 4 : 10)) {
      abort();
    }
    memcpy(server_frame + h, m->data, m->len);
    n = (size_t)h + m->len;
  }
  n = mask_frame(client_frame, server_frame, n, key);
  if (vc_ws_reader_init(&r, echo_buf, sizeof(echo_buf)) != 0 ||
      vc_ws_read(&r, &back, client_frame, n, &consumed) != 1 || consumed != n ||
      back.opcode != m->opcode || back.len != m->len ||
      memcmp(back.data, m->data, m->len) != 0 ||
      (m->opcode == VC_WS_CLOSE && back.close_code != code)) {
    abort();
  }
}

/*
 * The next message of the reference reader, which is handed the whole
 * rest of the stream. Returns 1, 0 at the end of the stream, or its error;
 * |*pos| moves past what it consumed.
 */
static int next_whole(vc_ws_reader *r, vc_ws_message *m, const uint8_t *data,
                      size_t size, size_t *pos) {
  size_t consumed;
  int rv;

  rv = vc_ws_read(r, m, data + *pos, size - *pos, &consumed);
  check_call(r, rv, m, size - *pos, consumed);
  *pos += consumed;
  return rv;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static vc_ws_reader cut, whole;
  vc_ws_message msg, whole_msg;
  size_t max_chunk, pos = 0, whole_pos = 0, chunk, consumed;
  uint32_t seed;
  uint8_t key[4];
  int rv, w;

  if (size < 2) {
    return 0;
  }
  max_chunk = (size_t)1 << (data[0] % 19);
  seed = 0x9e3779b9u ^ data[1];
  key[0] = data[0];
  key[1] = data[1];
  key[2] = (uint8_t)~data[0];
  key[3] = 0x5a;
  data += 2;
  size -= 2;

  if (vc_ws_reader_init(&cut, cut_buf, sizeof(cut_buf)) != 0 ||
      vc_ws_reader_init(&whole, whole_buf, sizeof(whole_buf)) != 0) {
    abort();
  }
  while (pos < size) {
    chunk = 1 + next_random(&seed) % max_chunk;
    if (chunk > size - pos) {
      chunk = size - pos;
    }
    while (chunk > 0) {
      rv = vc_ws_read(&cut, &msg, data + pos, chunk, &consumed);
      check_call(&cut, rv, &msg, chunk, consumed);
      pos += consumed;
      chunk -= consumed;
      if (rv == 0) {
        continue;
      }
      w = next_whole(&whole, &whole_msg, data, size, &whole_pos);
      if (w != rv || whole_pos != pos) {
        abort(); /* a different message or error, or at another byte */
      }
      if (rv < 0) {
        /* Sticky: the connection is over whatever follows. */
        if (vc_ws_read(&cut, &msg, data, size, &consumed) != rv ||
            consumed != 0 || msg.data ||
            vc_ws_reader_close_code(&cut) != vc_ws_reader_close_code(&whole)) {
          abort();
        }
        return 0;
      }
      if (msg.opcode != whole_msg.opcode || msg.len != whole_msg.len ||
          msg.close_code != whole_msg.close_code ||
          memcmp(msg.data, whole_msg.data, msg.len) != 0) {
        abort();
      }
      check_echo(&msg, key);
    }
  }
  /* The tail completes nothing for either, and both stop at one byte. */
  if (next_whole(&whole, &whole_msg, data, size, &whole_pos) != 0 ||
      whole_pos != size || whole.hdr_have != cut.hdr_have ||
      whole.frame_have != cut.frame_have || whole.msg_len != cut.msg_len ||
      whole.frag_opcode != cut.frag_opcode) {
    abort();
  }
  return 0;
}
