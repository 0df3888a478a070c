/*
 * ws_frame.h: WebSocket framing (RFC 6455 §5), sans-I/O. The reader takes
 * the bytes a client sent, in pieces of any size, and hands back whole
 * messages: data messages reassembled from their fragments (§5.4) and
 * control frames (§5.5) as they come. The writers make the server's
 * frames, which are never masked and never fragmented.
 */
#ifndef VC_SERVER_WS_FRAME_H
#define VC_SERVER_WS_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <vc/vc.h>
#include <vc/wire.h>

/* Cap on one reassembled data message: an envelope and some slack. */
#define VC_WS_MAX_MESSAGE_LEN ((size_t)VC_ENVELOPE_MAX_LEN + 16)
/* A control frame's payload never exceeds this (§5.5). */
#define VC_WS_MAX_CONTROL_LEN 125
/* The smallest buffer a reader takes: a control frame and as much again
 * for data messages. */
#define VC_WS_MIN_READER_BUF (2 * VC_WS_MAX_CONTROL_LEN)
/* The longest header of a server frame: server frames are unmasked. */
#define VC_WS_MAX_HEADER_LEN 10

typedef enum vc_ws_opcode {
  VC_WS_CONTINUATION = 0,
  VC_WS_TEXT = 1,
  VC_WS_BINARY = 2,
  VC_WS_CLOSE = 8,
  VC_WS_PING = 9,
  VC_WS_PONG = 10
} vc_ws_opcode;

/*
 * One message read from the client. |data| points into the reader's
 * buffer and stays valid until the next vc_ws_read on the same reader.
 */
typedef struct vc_ws_message {
  vc_ws_opcode opcode; /* TEXT, BINARY (reassembled), CLOSE, PING or PONG */
  /*
   * The payload, unmasked. For CLOSE it is only the reason that follows
   * the code (possibly empty), with a NUL written after it.
   */
  const uint8_t *data;
  size_t len;
  uint16_t close_code; /* CLOSE: the peer's code, 1005 when it sent none */
} vc_ws_message;

/*
 * The state of one connection's reader, allocated by the caller and set up
 * by vc_ws_reader_init; the fields are private to ws_frame.c.
 */
typedef struct vc_ws_reader {
  uint8_t *buf; /* data message at 0, control payload in the last 125 */
  size_t cap;
  uint8_t hdr[2];      /* the first two bytes of the frame's header */
  uint8_t mask[4];     /* the frame's masking key */
  size_t hdr_have;     /* header bytes seen of the current frame */
  size_t hdr_len;      /* its full length, once the second byte is in */
  uint64_t frame_len;  /* the frame's payload length, once read */
  uint64_t frame_have; /* payload bytes of the frame read so far */
  int frag_opcode;     /* TEXT or BINARY while reassembling, else 0 */
  size_t msg_len;      /* bytes of that message in |buf| */
  int err;             /* the fatal error once there is one, else 0 */
  uint16_t err_close_code;
} vc_ws_reader;

/*
 * Prepares |r| for a new connection, with |buf| (|cap| bytes) holding
 * partial messages. The reader never allocates; |r| and |buf| stay the
 * caller's and must outlive every use of |r|. Data messages may be up to
 * |cap| - VC_WS_MAX_CONTROL_LEN bytes, at most VC_WS_MAX_MESSAGE_LEN
 * (a buffer of VC_WS_MAX_MESSAGE_LEN + VC_WS_MAX_CONTROL_LEN takes them
 * all); a longer one is VC_ERR_TOO_BIG. Returns 0, or
 * VC_ERR_INVALID_ARGUMENT when a pointer is NULL or |cap| is below
 * VC_WS_MIN_READER_BUF. Calling it again starts over and clears an error.
 */
int vc_ws_reader_init(vc_ws_reader *r, uint8_t *buf, size_t cap);

/*
 * Moves |r| to a larger buffer (|cap| at least the present one) without
 * losing what it holds, even in the middle of a message: a server keeps
 * a small buffer until it knows the client (issue 20: 256 KiB for every
 * connection that never joined). The old buffer is the caller's again
 * once this returns 0; |msg|s read before point into it. Returns
 * VC_ERR_INVALID_ARGUMENT for a NULL pointer or a smaller |cap|.
 */
int vc_ws_reader_grow(vc_ws_reader *r, uint8_t *buf, size_t cap);

/*
 * Consumes bytes from a client, whose frames must be masked (§5.3).
 * |*consumed| is always set to the number of bytes of |data| used; the
 * caller passes the rest in the next call. Returns:
 *
 *   1  |*msg| holds one complete message: a data message reassembled from
 *      its fragments, or a control frame. Control frames may arrive
 *      between fragments; they are returned without disturbing the
 *      reassembly.
 *   0  all |len| bytes were consumed and nothing is complete.
 *   VC_ERR_MALFORMED  a protocol error: an unmasked frame, RSV bits set,
 *      an unknown opcode, a control frame over 125 bytes or fragmented, a
 *      continuation without a start, a new data frame while one is being
 *      reassembled, a non-minimal 16/64-bit length, a 64-bit length with
 *      the top bit set, a close payload of 1 byte, a close code that may
 *      not be sent (§7.4; 1000-1003, 1007-1014 and 3000-4999 may), invalid
 *      UTF-8 in a TEXT message or a close reason.
 *   VC_ERR_TOO_BIG  a data message over VC_WS_MAX_MESSAGE_LEN, seen from
 *      the frame header before any of its payload is buffered.
 *   VC_ERR_INVALID_ARGUMENT  a NULL pointer; the reader is unchanged.
 *
 * MALFORMED and TOO_BIG are fatal and sticky: every later call returns
 * the same code and consumes nothing. Errors are found at the byte that
 * shows them; a bad TEXT message or close frame at its last byte.
 */
int vc_ws_read(vc_ws_reader *r, vc_ws_message *msg, const uint8_t *data,
               size_t len, size_t *consumed);

/*
 * The close code the server should send after a fatal error: 1002
 * (protocol error), 1009 (message too big) or 1007 (invalid UTF-8); 1000
 * while there is no error.
 */
uint16_t vc_ws_reader_close_code(const vc_ws_reader *r);

/*
 * Writes the header of one server->client frame (FIN set, no mask) with
 * |payload_len| bytes to follow, which the caller writes. Returns its
 * length (2, 4 or 10), VC_ERR_NOBUF when |destlen| is short, or
 * VC_ERR_INVALID_ARGUMENT for an unknown opcode or a control frame
 * payload over 125 bytes.
 */
vc_ssize vc_ws_write_header(uint8_t *dest, size_t destlen, vc_ws_opcode op,
                            size_t payload_len);

/*
 * Writes a whole close frame with |code| and |reason| (NULL or a UTF-8
 * string, cut at a character boundary to fit the 125-byte payload).
 * Returns its length, VC_ERR_NOBUF when |destlen| is short, or
 * VC_ERR_INVALID_ARGUMENT for a code that may not be sent (1005, 1006,
 * 1015, below 1000...) or a reason that is not UTF-8.
 */
vc_ssize vc_ws_write_close(uint8_t *dest, size_t destlen, uint16_t code,
                           const char *reason);

#endif /* VC_SERVER_WS_FRAME_H */
