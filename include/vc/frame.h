/*
 * frame.h: envelopes on a reliable byte stream (docs/PROTOCOL.md "Framing
 * on a stream"): the WebTransport bidirectional stream, the WebSocket
 * fallback and the CLI's TCP connection.
 *
 * A stream has no message boundaries and protobuf has no end marker, so
 * each envelope is preceded by its length as a minimal LEB128 varint of 1
 * to VC_FRAME_MAX_HEADER_LEN bytes. The reader takes bytes as they arrive,
 * in pieces of any size, and hands back whole frames; a frame is never
 * longer than VC_ENVELOPE_MAX_LEN, so its memory is fixed at init.
 */
#ifndef VC_FRAME_H
#define VC_FRAME_H

#include <vc/vc.h>
#include <vc/wire.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A length header never exceeds this (VC_ENVELOPE_MAX_LEN needs 19 bits). */
#define VC_FRAME_MAX_HEADER_LEN 3

/*
 * Writes the length header of a frame of |framelen| bytes into |dest|.
 * Returns the header length (1 .. VC_FRAME_MAX_HEADER_LEN), VC_ERR_NOBUF
 * when |destlen| is short, VC_ERR_TOO_BIG when |framelen| exceeds
 * VC_ENVELOPE_MAX_LEN, VC_ERR_INVALID_ARGUMENT when |framelen| is 0 (a
 * reader would reject it). The frame's bytes follow; the caller writes
 * them. Nothing is kept after return.
 */
vc_ssize vc_frame_write_header(uint8_t *dest, size_t destlen, size_t framelen);

/*
 * The state of one stream's reader. Allocated by the caller and set up by
 * vc_frame_reader_init; the fields are private to frame.c.
 */
typedef struct vc_frame_reader {
  uint8_t *buf;    /* the caller's buffer, for frames that arrive split */
  size_t bufcap;   /* at least VC_ENVELOPE_MAX_LEN */
  size_t framelen; /* length of the frame being read; 0 in the header */
  size_t have;     /* bytes of that frame already in |buf| */
  uint32_t hdrval; /* the header's value so far */
  uint32_t hdrlen; /* header bytes seen so far */
  int err;         /* the fatal error once there is one, else 0 */
} vc_frame_reader;

/*
 * Prepares |r| to read a new stream, keeping frames that arrive in pieces
 * in |buf| (|bufcap| bytes). The reader never allocates; |r| and |buf| stay
 * the caller's and must outlive every use of |r|. Returns 0, or
 * VC_ERR_INVALID_ARGUMENT when |bufcap| is below VC_ENVELOPE_MAX_LEN or a
 * pointer is NULL. Calling it again starts over and clears an error.
 */
int vc_frame_reader_init(vc_frame_reader *r, uint8_t *buf, size_t bufcap);

/*
 * Reads the next |datalen| bytes of the stream from |data|, up to the end
 * of the first frame they complete. |*consumed| is always set to the
 * number of bytes of |data| used; the caller passes the rest in the next
 * call:
 *
 *   while (datalen > 0) {
 *     n = vc_frame_read(r, &frame, data, datalen, &consumed);
 *     if (n < 0) { close the stream; break; }
 *     data += consumed;
 *     datalen -= consumed;
 *     if (n > 0) { handle n bytes at frame; }
 *   }
 *
 * Returns the length of one complete frame and points |*frame| at it,
 * 0 when every byte of |data| was used and no frame is complete yet
 * (|*frame| is NULL), or an error (|*frame| is NULL):
 *
 *   VC_ERR_MALFORMED  a length of 0, or a varint longer than it needs be
 *   VC_ERR_TOO_BIG    a length over VC_ENVELOPE_MAX_LEN (or a header
 *                     longer than VC_FRAME_MAX_HEADER_LEN)
 *   VC_ERR_INVALID_ARGUMENT  a NULL pointer; the reader is unchanged
 *
 * MALFORMED and TOO_BIG end the stream whatever vc_err_is_fatal says:
 * nothing marks where the next frame would start, so the reader keeps
 * returning the same error (with |*consumed| 0) until it is initialised
 * again.
 *
 * A frame wholly inside |data| is not copied: |*frame| points into |data|.
 * A frame that arrives in pieces is gathered in the reader's buffer. Either
 * way it stays valid until the next call on |r| (and, in |data|, for as
 * long as the caller keeps |data|). Nothing of |data| is kept after
 * return: the reader copies what it needs.
 */
vc_ssize vc_frame_read(vc_frame_reader *r, const uint8_t **frame,
                       const uint8_t *data, size_t datalen, size_t *consumed);

/*
 * One whole frame in a message of its own, as a WebTransport datagram
 * carries it: |data| must be exactly a length header and that many
 * bytes. Returns the frame's length and points |*frame| into |data|, or
 * VC_ERR_MALFORMED (a bad header, or bytes missing or left over),
 * VC_ERR_TOO_BIG, VC_ERR_INVALID_ARGUMENT. Nothing is kept.
 */
vc_ssize vc_frame_parse_one(const uint8_t **frame, const uint8_t *data,
                            size_t datalen);

#ifdef __cplusplus
}
#endif

#endif /* VC_FRAME_H */
