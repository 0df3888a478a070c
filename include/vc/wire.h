/*
 * wire.h: the protocol envelope (proto/envelope.proto, docs/PROTOCOL.md).
 *
 * Every frame travels as one envelope: a wire version, a clear routing
 * header the relay may read, and an opaque payload. Encoding writes into a
 * caller buffer; decoding checks every bound before it trusts a byte.
 */
#ifndef VC_WIRE_H
#define VC_WIRE_H

#include <vc/vc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The wire version this build writes and the newest it reads. */
#define VC_WIRE_VERSION 1

/* No encoded envelope may exceed this; decoders reject larger input. */
#define VC_ENVELOPE_MAX_LEN ((size_t)256 * 1024)

/* Envelope bytes besides the payload never exceed this. */
#define VC_ENVELOPE_MAX_OVERHEAD ((size_t)64)

/* The largest payload an envelope can carry. */
#define VC_ENVELOPE_MAX_PAYLOAD_LEN                                            \
  (VC_ENVELOPE_MAX_LEN - VC_ENVELOPE_MAX_OVERHEAD)

#define VC_MAX_SIMULCAST_LAYER 3
#define VC_AUDIO_LEVEL_SILENT 127

/* Values of vc_route.kind. A decoder keeps kinds it does not know. */
typedef enum vc_stream_kind {
  VC_STREAM_KIND_UNSPECIFIED = 0,
  VC_STREAM_KIND_CONTROL = 1,
  VC_STREAM_KIND_AUDIO = 2,
  VC_STREAM_KIND_VIDEO = 3,
  VC_STREAM_KIND_SCREEN = 4,
  VC_STREAM_KIND_DATA = 5
} vc_stream_kind;

/* The clear routing header. */
typedef struct vc_route {
  uint32_t sender_session;
  uint32_t kind;     /* a vc_stream_kind, or a newer peer's value */
  uint32_t layer;    /* 0 .. VC_MAX_SIMULCAST_LAYER */
  uint32_t keyframe; /* 0 or 1 */
  uint32_t sequence;
  uint32_t audio_level; /* 0 (loud) .. VC_AUDIO_LEVEL_SILENT */
  uint64_t timestamp_us;
} vc_route;

/*
 * Encodes one envelope of |route| and |payload| (|payloadlen| bytes; NULL
 * when 0) into |dest|. Returns the encoded length, VC_ERR_NOBUF when
 * |destlen| is short, VC_ERR_TOO_BIG when the payload exceeds
 * VC_ENVELOPE_MAX_PAYLOAD_LEN, VC_ERR_INVALID_ARGUMENT for a route out of
 * range. Nothing is kept after return.
 */
vc_ssize vc_envelope_encode(uint8_t *dest, size_t destlen,
                            const vc_route *route, const uint8_t *payload,
                            size_t payloadlen);

/*
 * Decodes the envelope in |data| (|datalen| bytes): the routing header into
 * |route| and the payload into |payload| (capacity |payloadcap|). Returns
 * the payload length, or one of VC_ERR_TOO_BIG (input over
 * VC_ENVELOPE_MAX_LEN), VC_ERR_MALFORMED, VC_ERR_UNSUPPORTED_VERSION (a
 * newer wire version), VC_ERR_NOBUF (payload over |payloadcap|). On error
 * |route| is zeroed and nothing is written to |payload|, so a caller never
 * sees half a frame. Nothing is kept after return.
 */
vc_ssize vc_envelope_decode(vc_route *route, uint8_t *payload,
                            size_t payloadcap, const uint8_t *data,
                            size_t datalen);

#ifdef __cplusplus
}
#endif

#endif /* VC_WIRE_H */
