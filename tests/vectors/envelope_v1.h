/*
 * envelope_v1.h: golden bytes of wire version 1 envelopes, worked out by
 * hand from the protobuf encoding rules (not produced by our encoder), so
 * a change to the wire format or to protobuf-c cannot pass unnoticed.
 */
#ifndef VC_VECTORS_ENVELOPE_V1_H
#define VC_VECTORS_ENVELOPE_V1_H

#include <stdint.h>

/*
 * version 1; route: sender 7, kind VIDEO (3), layer 2, keyframe, sequence
 * 300, audio level 30, timestamp 1000000 us; payload "hi".
 */
static const uint8_t vc_vector_envelope_video[] = {
    0x08, 0x01,             /* 1: version = 1 */
    0x12, 0x11,             /* 2: route, 17 bytes */
    0x08, 0x07,             /*   1: sender_session = 7 */
    0x10, 0x03,             /*   2: kind = VIDEO */
    0x18, 0x02,             /*   3: layer = 2 */
    0x20, 0x01,             /*   4: keyframe = true */
    0x28, 0xac, 0x02,       /*   5: sequence = 300 */
    0x30, 0x1e,             /*   6: audio_level = 30 */
    0x38, 0xc0, 0x84, 0x3d, /*   7: timestamp_us = 1000000 */
    0x7a, 0x02, 0x68, 0x69, /* 15: payload = "hi" */
};

/* Where the route ends and the payload field begins. */
#define VC_VECTOR_ENVELOPE_VIDEO_ROUTE_END 21u

#endif /* VC_VECTORS_ENVELOPE_V1_H */
