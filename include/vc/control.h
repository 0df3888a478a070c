/*
 * control.h: the meeting's control messages (proto/control.proto,
 * docs/PROTOCOL.md "Control messages"), as protobuf-c structs generated
 * into the build tree, with the bounds protobuf cannot state.
 *
 * Decoding uses a decoder that owns a fixed arena: one message at a time
 * lives in it, so a hostile message cannot make the decoder allocate more
 * than the arena, whatever lengths it claims. The previous message is
 * invalid once the next decode starts.
 */
#ifndef VC_CONTROL_H
#define VC_CONTROL_H

#include <vc/vc.h>

#include "control.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bounds every decoder enforces and every encoder respects. */
#define VC_CONTROL_MAX_ROSTER 1000     /* participants besides oneself */
#define VC_CONTROL_MAX_ROSTER_PAGE 500 /* per Welcome or RosterPage */
#define VC_CONTROL_MAX_SUBSCRIPTIONS 1000
#define VC_CONTROL_MAX_REPORTS 64
#define VC_CONTROL_MAX_CODECS 8
#define VC_CONTROL_MAX_CODEC_LEN 32
#define VC_CONTROL_MAX_SIMULCAST_LAYERS 4
#define VC_CONTROL_MAX_DISPLAY_NAME_CHARS 64
#define VC_CONTROL_MAX_DISPLAY_NAME_LEN 256 /* bytes of UTF-8 */
#define VC_CONTROL_MAX_TEXT_LEN 256         /* Leave and Error text */
#define VC_CONTROL_MAX_CHAT_LEN 4096
#define VC_CONTROL_MIN_RESUME_TOKEN_LEN 16
#define VC_CONTROL_MAX_RESUME_TOKEN_LEN 32
#define VC_CONTROL_IDENTITY_KEY_LEN 32
#define VC_CONTROL_AUTH_TAG_LEN 32
#define VC_CONTROL_MAX_SEALED_KEY_LEN 128

/*
 * Arena size that fits the largest valid message (a roster page of 500
 * maximal names, about 250 KiB decoded) with room to spare.
 */
#define VC_CONTROL_ARENA_LEN ((size_t)1024 * 1024)

typedef struct vc_control_decoder vc_control_decoder;

/*
 * Creates a decoder with an arena of |arena_len| bytes (at least 4096;
 * VC_CONTROL_ARENA_LEN fits every valid message). Returns 0 or
 * VC_ERR_NOMEM / VC_ERR_INVALID_ARGUMENT.
 */
int vc_control_decoder_new(vc_control_decoder **pdec, size_t arena_len);
void vc_control_decoder_del(vc_control_decoder *dec);

/*
 * Decodes one Control message from |data| into |*msg|, which points into
 * the decoder's arena and stays valid until the next call. Returns 0 or:
 * VC_ERR_TOO_BIG (input over VC_ENVELOPE_MAX_LEN, or it would need more
 * than the arena), VC_ERR_MALFORMED (not protobuf, or a bound broken;
 * vc_control_decoder_reason says which), VC_ERR_UNKNOWN_MESSAGE (a message
 * type from a newer peer: skip it, it is not an error of the connection).
 * On error |*msg| is NULL.
 */
int vc_control_decode(vc_control_decoder *dec, Vc__Wire__Control **msg,
                      const uint8_t *data, size_t datalen);

/* Why the last decode failed, in a few words ("Join.user: not in the safe
 * set"); "" after a success. Valid until the next decode. */
const char *vc_control_decoder_reason(const vc_control_decoder *dec);

/*
 * Checks |msg| against every bound a decoder enforces. Returns 0 or
 * VC_ERR_MALFORMED (with a reason in |*reason| when not NULL: static text)
 * or VC_ERR_UNKNOWN_MESSAGE (no message set).
 */
int vc_control_validate(const Vc__Wire__Control *msg, const char **reason);

/*
 * Encodes |msg| into |dest| after validating it, so nothing a peer would
 * reject ever leaves. Returns the length, VC_ERR_INVALID_ARGUMENT (fails
 * validation), VC_ERR_NOBUF, or VC_ERR_TOO_BIG.
 */
vc_ssize vc_control_encode(uint8_t *dest, size_t destlen,
                           const Vc__Wire__Control *msg);

/*
 * Encodes |msg| as the payload of a control envelope (kind CONTROL, from
 * |sender|, numbered |sequence|) into |dest|; |scratch| holds the Control
 * bytes on the way (|scratchlen| of them at most). Returns the envelope
 * length or a code of vc_control_encode or vc_envelope_encode.
 */
vc_ssize vc_control_encode_envelope(uint8_t *dest, size_t destlen,
                                    uint8_t *scratch, size_t scratchlen,
                                    uint32_t sender, uint32_t sequence,
                                    const Vc__Wire__Control *msg);

/* Is |s| a valid user name or meeting id ([A-Za-z0-9_-]{1,64})? */
int vc_name_is_safe(const char *s);

#ifdef __cplusplus
}
#endif

#endif /* VC_CONTROL_H */
