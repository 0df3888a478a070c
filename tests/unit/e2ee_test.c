/*
 * e2ee_test.c: frame encryption and key delivery (src/e2ee/): the exact
 * bytes, the overhead, and every way a frame can be wrong (tampered,
 * truncated, replayed, too old, wrong key, wrong route), plus what late
 * joiners and departed participants can and cannot read.
 */
#include <string.h>

#include <sodium.h>

#include <vc/e2ee.h>

#include "../vectors/e2ee_v1.h"
#include "test.h"

static void fixed_material(uint8_t m[VC_E2EE_KEY_LEN], uint8_t base) {
  int i;

  for (i = 0; i < VC_E2EE_KEY_LEN; i++) {
    m[i] = (uint8_t)(base + i);
  }
}

static vc_route vector_route(void) {
  vc_route r;

  memset(&r, 0, sizeof(r));
  r.sender_session = 7;
  r.kind = VC_STREAM_KIND_AUDIO;
  r.timestamp_us = 1000000;
  return r;
}

static int all_zero(const uint8_t *p, size_t n) {
  size_t i;

  for (i = 0; i < n; i++) {
    if (p[i]) {
      return 0;
    }
  }
  return 1;
}

void test_vc_e2ee_matches_the_vector_and_the_format(void) {
  static const uint8_t ctx[8] = {'v', 'c', 'f', 'r', 'a', 'm', 'e', '1'};
  uint8_t material[32], key[32], salt16[16], nonce[12], aad[2 + 14];
  uint8_t out[64], indep[64];
  unsigned long long indep_len;
  vc_e2ee_sender s;
  vc_route r = vector_route();
  vc_ssize n;

  CHECK_INT_EQ(vc_e2ee_init(), 0);
  fixed_material(material, 0);
  memset(&s, 0, sizeof(s));
  CHECK_INT_EQ(vc_e2ee_sender_set_key(&s, 3, material), 0);
  n = vc_e2ee_seal(&s, &r, (const uint8_t *)"hello", 5, out, sizeof(out));
  CHECK_INT_EQ(n, sizeof(vc_vector_e2ee_v1_frame));
  CHECK_MEM_EQ(out, vc_vector_e2ee_v1_frame, (size_t)n);

  /* The same bytes from the format's description and raw libsodium. */
  crypto_kdf_derive_from_key(key, 32, 1, (const char *)ctx, material);
  crypto_kdf_derive_from_key(salt16, 16, 2, (const char *)ctx, material);
  memcpy(nonce, salt16, 12); /* counter 0: the salt itself */
  aad[0] = 0x30;             /* key id 3, counter length 1 */
  aad[1] = 0x00;             /* counter 0 */
  aad[2] = 0, aad[3] = 0, aad[4] = 0, aad[5] = 7; /* sender */
  aad[6] = VC_STREAM_KIND_AUDIO;                  /* kind */
  aad[7] = 0;                                     /* keyframe */
  memset(aad + 8, 0, 5);                          /* timestamp */
  aad[13] = 0x0f, aad[14] = 0x42, aad[15] = 0x40; /* 1 000 000 */
  crypto_aead_chacha20poly1305_ietf_encrypt(indep + 2, &indep_len,
                                            (const uint8_t *)"hello", 5, aad,
                                            sizeof(aad), NULL, nonce, key);
  indep[0] = 0x30;
  indep[1] = 0x00;
  CHECK_INT_EQ(indep_len + 2, n);
  CHECK_MEM_EQ(indep, out, (size_t)n);
}

void test_vc_e2ee_roundtrip_and_overhead(void) {
  static uint8_t plain[30000], frame[30000 + VC_E2EE_MAX_OVERHEAD], back[30000];
  uint8_t material[32];
  vc_e2ee_sender s;
  vc_e2ee_receiver rx;
  vc_route r = vector_route();
  size_t sizes[] = {0, 1, 100, 1200, sizeof(plain)}, i;
  vc_ssize n, m;

  vc_e2ee_init();
  fixed_material(material, 9);
  memset(&s, 0, sizeof(s));
  memset(&rx, 0, sizeof(rx));
  vc_e2ee_sender_set_key(&s, 1, material);
  vc_e2ee_receiver_set_key(&rx, 1, material);
  for (i = 0; i < sizeof(plain); i++) {
    plain[i] = (uint8_t)(i * 7);
  }
  for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    n = vc_e2ee_seal(&s, &r, plain, sizes[i], frame, sizeof(frame));
    CHECK(n > 0);
    CHECK((size_t)n - sizes[i] <= VC_E2EE_MAX_OVERHEAD);
    m = vc_e2ee_open(&rx, &r, frame, (size_t)n, back, sizeof(back));
    CHECK_INT_EQ(m, sizes[i]);
    CHECK_MEM_EQ(back, plain, sizes[i]);
  }
  CHECK_INT_EQ(vc_e2ee_seal(&s, &r, plain, 10, frame, 10 + 17), VC_ERR_NOBUF);
  /* The largest counter a key allows still fits in 22 bytes. */
  s.counter = VC_E2EE_MAX_COUNTER - 1;
  n = vc_e2ee_seal(&s, &r, plain, 10, frame, sizeof(frame));
  CHECK_INT_EQ(n, 10 + VC_E2EE_MAX_OVERHEAD);
  CHECK_INT_EQ(VC_E2EE_MAX_OVERHEAD, 22);
  CHECK_INT_EQ(vc_e2ee_seal(&s, &r, plain, 10, frame, sizeof(frame)),
               VC_ERR_STATE); /* exhausted: rekey, never wrap */
}

void test_vc_e2ee_every_damaged_frame_is_refused_and_zeroed(void) {
  uint8_t material[32], other[32], frame[64], bad[64], out[64];
  vc_e2ee_sender s;
  vc_e2ee_receiver rx, wrong;
  vc_route r = vector_route(), r2;
  vc_ssize n;
  size_t i;
  int bit;

  vc_e2ee_init();
  fixed_material(material, 0);
  fixed_material(other, 100);
  memset(&s, 0, sizeof(s));
  memset(&rx, 0, sizeof(rx));
  memset(&wrong, 0, sizeof(wrong));
  vc_e2ee_sender_set_key(&s, 3, material);
  vc_e2ee_receiver_set_key(&rx, 3, material);
  vc_e2ee_receiver_set_key(&wrong, 3, other);
  n = vc_e2ee_seal(&s, &r, (const uint8_t *)"secret words", 12, frame,
                   sizeof(frame));
  CHECK(n > 0);
  /* Every single bit flipped. */
  for (i = 0; i < (size_t)n; i++) {
    for (bit = 0; bit < 8; bit++) {
      memcpy(bad, frame, (size_t)n);
      bad[i] ^= (uint8_t)(1 << bit);
      memset(out, 0xee, sizeof(out));
      CHECK_INT_EQ(vc_e2ee_open(&rx, &r, bad, (size_t)n, out, sizeof(out)),
                   VC_ERR_DECRYPT);
      CHECK(all_zero(out, sizeof(out)));
    }
  }
  /* Every truncation. */
  for (i = 0; i < (size_t)n; i++) {
    memset(out, 0xee, sizeof(out));
    CHECK_INT_EQ(vc_e2ee_open(&rx, &r, frame, i, out, sizeof(out)),
                 VC_ERR_DECRYPT);
    CHECK(all_zero(out, sizeof(out)));
  }
  /* The wrong key, and the right key with another sender's route. */
  CHECK_INT_EQ(vc_e2ee_open(&wrong, &r, frame, (size_t)n, out, sizeof(out)),
               VC_ERR_DECRYPT);
  r2 = r;
  r2.sender_session = 8;
  CHECK_INT_EQ(vc_e2ee_open(&rx, &r2, frame, (size_t)n, out, sizeof(out)),
               VC_ERR_DECRYPT);
  r2 = r;
  r2.timestamp_us++;
  CHECK_INT_EQ(vc_e2ee_open(&rx, &r2, frame, (size_t)n, out, sizeof(out)),
               VC_ERR_DECRYPT);
  /* Intact: it opens once, and a replay is refused. */
  CHECK_INT_EQ(vc_e2ee_open(&rx, &r, frame, (size_t)n, out, sizeof(out)), 12);
  CHECK_MEM_EQ(out, "secret words", 12);
  CHECK_INT_EQ(vc_e2ee_open(&rx, &r, frame, (size_t)n, out, sizeof(out)),
               VC_ERR_DECRYPT);
  CHECK(all_zero(out, sizeof(out)));
}

#define SEALED (VC_E2EE_REPLAY_WINDOW + 172)

void test_vc_e2ee_replay_window_takes_late_frames_once(void) {
  static uint8_t frames[SEALED][64];
  static vc_ssize lens[SEALED];
  uint8_t material[32], out[64];
  vc_e2ee_sender s;
  vc_e2ee_receiver rx;
  vc_route r = vector_route();
  int i;

  vc_e2ee_init();
  fixed_material(material, 50);
  memset(&s, 0, sizeof(s));
  memset(&rx, 0, sizeof(rx));
  vc_e2ee_sender_set_key(&s, 0, material);
  vc_e2ee_receiver_set_key(&rx, 0, material);
  for (i = 0; i < SEALED; i++) {
    lens[i] = vc_e2ee_seal(&s, &r, (const uint8_t *)"x", 1, frames[i], 64);
    CHECK(lens[i] > 0);
  }
  /* Newest first, then the older ones: within the window they open once,
   * beyond it they are refused (too old to tell a replay apart). */
  CHECK_INT_EQ(vc_e2ee_open(&rx, &r, frames[SEALED - 1],
                            (size_t)lens[SEALED - 1], out, 64),
               1);
  for (i = SEALED - 2; i >= 0; i--) {
    vc_ssize want = SEALED - 1 - i < VC_E2EE_REPLAY_WINDOW ? 1 : VC_ERR_DECRYPT;
    CHECK_INT_EQ(vc_e2ee_open(&rx, &r, frames[i], (size_t)lens[i], out, 64),
                 want);
  }
  for (i = SEALED - 1; i > SEALED - 1 - VC_E2EE_REPLAY_WINDOW; i--) {
    CHECK_INT_EQ(vc_e2ee_open(&rx, &r, frames[i], (size_t)lens[i], out, 64),
                 VC_ERR_DECRYPT);
  }
}

void test_vc_e2ee_late_joiners_and_the_departed_read_nothing_extra(void) {
  uint8_t gen1[32], gen2[32], fresh[32], f1[64], f2[64], f3[64], out[64];
  vc_e2ee_sender s;
  vc_e2ee_receiver early, late, departed;
  vc_route r = vector_route();
  vc_ssize n1, n2, n3;

  vc_e2ee_init();
  fixed_material(gen1, 1);
  memset(&s, 0, sizeof(s));
  memset(&early, 0, sizeof(early));
  memset(&late, 0, sizeof(late));
  vc_e2ee_sender_set_key(&s, 1, gen1);
  vc_e2ee_receiver_set_key(&early, 1, gen1);
  n1 = vc_e2ee_seal(&s, &r, (const uint8_t *)"before", 6, f1, sizeof(f1));

  /* Someone joins: the sender ratchets and the newcomer gets gen2 only. */
  memcpy(gen2, gen1, 32);
  vc_e2ee_ratchet(gen2);
  CHECK(memcmp(gen1, gen2, 32) != 0);
  vc_e2ee_sender_set_key(&s, 2, gen2);
  vc_e2ee_receiver_set_key(&late, 2, gen2);
  vc_e2ee_ratchet(gen1); /* those already in ratchet their copy too */
  vc_e2ee_receiver_set_key(&early, 2, gen1);
  n2 = vc_e2ee_seal(&s, &r, (const uint8_t *)"after", 5, f2, sizeof(f2));
  CHECK_INT_EQ(vc_e2ee_open(&late, &r, f1, (size_t)n1, out, 64),
               VC_ERR_DECRYPT);
  CHECK_INT_EQ(vc_e2ee_open(&late, &r, f2, (size_t)n2, out, 64), 5);
  CHECK_INT_EQ(vc_e2ee_open(&early, &r, f2, (size_t)n2, out, 64), 5);

  /* The newcomer leaves: fresh material, which it never receives. */
  departed = late;
  fixed_material(fresh, 200);
  vc_e2ee_sender_set_key(&s, 3, fresh);
  vc_e2ee_receiver_set_key(&early, 3, fresh);
  n3 = vc_e2ee_seal(&s, &r, (const uint8_t *)"later", 5, f3, sizeof(f3));
  CHECK_INT_EQ(vc_e2ee_open(&departed, &r, f3, (size_t)n3, out, 64),
               VC_ERR_DECRYPT);
  CHECK_INT_EQ(vc_e2ee_open(&early, &r, f3, (size_t)n3, out, 64), 5);
  vc_e2ee_sender_wipe(&s);
  CHECK(all_zero((const uint8_t *)&s, sizeof(s)));
}

void test_vc_e2ee_sealed_keys_reach_only_their_recipient(void) {
  uint8_t seed_a[32], seed_b[32], eph[32], pk_a[32], sk_a[32], pk_b[32],
      sk_b[32];
  uint8_t msg[33], sealed[33 + VC_E2EE_SEALED_OVERHEAD], out[64];
  vc_ssize n;

  vc_e2ee_init();
  fixed_material(seed_a, 10);
  fixed_material(seed_b, 20);
  fixed_material(eph, 30);
  fixed_material(msg, 40);
  CHECK_INT_EQ(vc_e2ee_identity(pk_a, sk_a, seed_a), 0);
  CHECK_INT_EQ(vc_e2ee_identity(pk_b, sk_b, seed_b), 0);
  n = vc_e2ee_seal_to(sealed, sizeof(sealed), msg, sizeof(msg), pk_a, eph);
  CHECK_INT_EQ(n, sizeof(sealed));
  /* libsodium's own sealed-box opener reads our format. */
  CHECK_INT_EQ(crypto_box_seal_open(out, sealed, sizeof(sealed), pk_a, sk_a),
               0);
  CHECK_MEM_EQ(out, msg, sizeof(msg));
  CHECK_INT_EQ(
      vc_e2ee_open_sealed(out, sizeof(out), sealed, sizeof(sealed), pk_a, sk_a),
      sizeof(msg));
  memset(out, 0xee, sizeof(out));
  CHECK_INT_EQ(
      vc_e2ee_open_sealed(out, sizeof(out), sealed, sizeof(sealed), pk_b, sk_b),
      VC_ERR_DECRYPT);
  CHECK(all_zero(out, sizeof(out)));
}

void test_vc_e2ee_safety_code_depends_on_the_set_not_its_order(void) {
  uint8_t keys[3 * 32], swapped[3 * 32];
  char a[VC_E2EE_SAFETY_CODE_LEN], b[VC_E2EE_SAFETY_CODE_LEN];
  size_t i;

  vc_e2ee_init();
  for (i = 0; i < sizeof(keys); i++) {
    keys[i] = (uint8_t)(i * 13 + 5);
  }
  memcpy(swapped, keys + 64, 32);
  memcpy(swapped + 32, keys, 32);
  memcpy(swapped + 64, keys + 32, 32);
  CHECK_INT_EQ(vc_e2ee_safety_code(a, "room1", keys, 3), 0);
  CHECK_INT_EQ(vc_e2ee_safety_code(b, "room1", swapped, 3), 0);
  CHECK(strcmp(a, b) == 0);
  CHECK_INT_EQ(strlen(a), 23);
  CHECK(a[5] == ' ' && a[11] == ' ' && a[17] == ' ');
  /* One key swapped for another, or another meeting: other digits. */
  swapped[0] ^= 1;
  CHECK_INT_EQ(vc_e2ee_safety_code(b, "room1", swapped, 3), 0);
  CHECK(strcmp(a, b) != 0);
  CHECK_INT_EQ(vc_e2ee_safety_code(b, "room2", keys, 3), 0);
  CHECK(strcmp(a, b) != 0);
}

/* The window slides by any amount: frames opened in steps of 1, 63, 64,
 * 65 and 1000 counters ahead, and each earlier one within the window then
 * opens exactly once, in any order. */
void test_vc_e2ee_replay_window_slides_by_any_step(void) {
  static uint8_t frames[3000][64];
  static vc_ssize lens[3000];
  static const int steps[] = {0, 1, 64, 127, 192, 193, 1193, 2900};
  uint8_t material[32], out[64];
  vc_e2ee_sender s;
  vc_e2ee_receiver rx;
  vc_route r = vector_route();
  int i, opened = 0;
  size_t k;

  vc_e2ee_init();
  fixed_material(material, 51);
  memset(&s, 0, sizeof(s));
  memset(&rx, 0, sizeof(rx));
  vc_e2ee_sender_set_key(&s, 0, material);
  vc_e2ee_receiver_set_key(&rx, 0, material);
  for (i = 0; i < 3000; i++) {
    lens[i] = vc_e2ee_seal(&s, &r, (const uint8_t *)"x", 1, frames[i], 64);
    CHECK(lens[i] > 0);
  }
  for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
    int f = steps[k];
    CHECK_INT_EQ(vc_e2ee_open(&rx, &r, frames[f], (size_t)lens[f], out, 64), 1);
    CHECK_INT_EQ(vc_e2ee_open(&rx, &r, frames[f], (size_t)lens[f], out, 64),
                 VC_ERR_DECRYPT);
  }
  /* Newest is 2900: 853 .. 2899 are inside the window. */
  for (i = 2899; i >= 0; i--) {
    int seen = 0;
    for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
      seen |= steps[k] == i;
    }
    if (seen || 2900 - i >= VC_E2EE_REPLAY_WINDOW) {
      CHECK_INT_EQ(vc_e2ee_open(&rx, &r, frames[i], (size_t)lens[i], out, 64),
                   VC_ERR_DECRYPT);
    } else {
      opened += vc_e2ee_open(&rx, &r, frames[i], (size_t)lens[i], out, 64) == 1;
    }
  }
  CHECK_INT_EQ(opened, VC_E2EE_REPLAY_WINDOW - 1 - 1); /* less 1193 */
}
