/*
 * e2ee_v1.h: one sealed frame with fixed inputs (include/vc/e2ee.h):
 * key material 00 01 .. 1f as key id 3, counter 0, route sender 7, audio,
 * no keyframe, timestamp 1 000 000 us, plaintext "hello". The bytes are
 * also rebuilt in e2ee_test.c from libsodium's primitives and the format
 * described in the header, so the format, not only this code, is pinned.
 */
#ifndef VC_TEST_VECTORS_E2EE_V1_H
#define VC_TEST_VECTORS_E2EE_V1_H

#include <stdint.h>

static const uint8_t vc_vector_e2ee_v1_frame[] = {
    0x30, 0x00,                                     /* key id 3, counter 0 */
    0x11, 0x5f, 0x92, 0x9f, 0x44,                   /* "hello", encrypted */
    0x10, 0x57, 0x33, 0x7d, 0x43, 0xc5, 0x12, 0xa1, /* tag */
    0x8d, 0x1f, 0x97, 0x74, 0xb6, 0x80, 0xd9, 0x32};

#endif /* VC_TEST_VECTORS_E2EE_V1_H */
