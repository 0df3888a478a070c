/*
 * frame_crypto.c: sealing and opening frames (include/vc/e2ee.h). The
 * only other file that includes <sodium.h> is key_seal.c, beside it.
 */
#include <string.h>

#include <sodium.h>

#include <vc/e2ee.h>

#define KDF_CONTEXT "vcframe1"
enum { SUBKEY_AEAD = 1, SUBKEY_SALT = 2, SUBKEY_RATCHET = 3 };

#define ROUTE_AAD_LEN 14

int vc_e2ee_init(void) {
  return sodium_init() < 0 ? VC_ERR_NOMEM : 0;
}

void vc_e2ee_wipe(void *p, size_t len) {
  sodium_memzero(p, len);
}

/* The AEAD key and nonce salt of one generation of key material. */
static void derive(uint8_t key[VC_E2EE_KEY_LEN], uint8_t salt[12],
                   const uint8_t material[VC_E2EE_KEY_LEN]) {
  uint8_t s16[16];

  crypto_kdf_derive_from_key(key, VC_E2EE_KEY_LEN, SUBKEY_AEAD, KDF_CONTEXT,
                             material);
  crypto_kdf_derive_from_key(s16, sizeof(s16), SUBKEY_SALT, KDF_CONTEXT,
                             material);
  memcpy(salt, s16, 12);
  sodium_memzero(s16, sizeof(s16));
}

void vc_e2ee_ratchet(uint8_t material[VC_E2EE_KEY_LEN]) {
  uint8_t next[VC_E2EE_KEY_LEN];

  crypto_kdf_derive_from_key(next, sizeof(next), SUBKEY_RATCHET, KDF_CONTEXT,
                             material);
  memcpy(material, next, sizeof(next));
  sodium_memzero(next, sizeof(next));
}

static void make_nonce(uint8_t nonce[12], const uint8_t salt[12],
                       uint64_t counter) {
  int i;

  memcpy(nonce, salt, 12);
  for (i = 0; i < 8; i++) {
    nonce[11 - i] ^= (uint8_t)(counter >> (8 * i));
  }
}

/* Header bytes, then the routing fields the frame is bound to. */
static size_t make_aad(uint8_t *aad, const uint8_t *header, size_t hlen,
                       const vc_route *route) {
  uint8_t *p = aad + hlen;
  int i;

  memcpy(aad, header, hlen);
  for (i = 3; i >= 0; i--) {
    *p++ = (uint8_t)(route->sender_session >> (8 * i));
  }
  *p++ = (uint8_t)route->kind;
  *p++ = (uint8_t)(route->keyframe != 0);
  for (i = 7; i >= 0; i--) {
    *p++ = (uint8_t)(route->timestamp_us >> (8 * i));
  }
  return hlen + ROUTE_AAD_LEN;
}

static size_t counter_len(uint64_t counter) {
  size_t n = 1;

  while (n < 8 && (counter >> (8 * n)) != 0) {
    n++;
  }
  return n;
}

int vc_e2ee_sender_set_key(vc_e2ee_sender *s, uint8_t key_id,
                           const uint8_t material[VC_E2EE_KEY_LEN]) {
  if (!s || !material || key_id > VC_E2EE_MAX_KEY_ID) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  vc_e2ee_sender_wipe(s);
  derive(s->key, s->salt, material);
  s->key_id = key_id;
  s->counter = 0;
  s->ready = 1;
  return 0;
}

void vc_e2ee_sender_wipe(vc_e2ee_sender *s) {
  sodium_memzero(s, sizeof(*s));
}

vc_ssize vc_e2ee_seal(vc_e2ee_sender *s, const vc_route *route,
                      const uint8_t *plain, size_t len, uint8_t *out,
                      size_t cap) {
  uint8_t nonce[12], aad[1 + VC_E2EE_MAX_COUNTER_LEN + ROUTE_AAD_LEN];
  size_t clen = counter_len(s->counter), hlen = 1 + clen, aadlen, i;
  unsigned long long sealed_len;

  if (!s->ready || s->counter >= VC_E2EE_MAX_COUNTER) {
    return VC_ERR_STATE;
  }
  if (cap < hlen + len + VC_E2EE_TAG_LEN) {
    return VC_ERR_NOBUF;
  }
  out[0] = (uint8_t)(s->key_id << 4 | (clen - 1));
  for (i = 0; i < clen; i++) {
    out[1 + i] = (uint8_t)(s->counter >> (8 * (clen - 1 - i)));
  }
  aadlen = make_aad(aad, out, hlen, route);
  make_nonce(nonce, s->salt, s->counter);
  crypto_aead_chacha20poly1305_ietf_encrypt(out + hlen, &sealed_len, plain, len,
                                            aad, aadlen, NULL, nonce, s->key);
  s->counter++; /* never again, for this key */
  return (vc_ssize)(hlen + sealed_len);
}

int vc_e2ee_receiver_set_key(vc_e2ee_receiver *r, uint8_t key_id,
                             const uint8_t material[VC_E2EE_KEY_LEN]) {
  vc_e2ee_receiver_key *k = NULL;
  unsigned i;

  if (!r || !material || key_id > VC_E2EE_MAX_KEY_ID) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  for (i = 0; i < VC_E2EE_KEYS_PER_SENDER; i++) {
    if (r->keys[i].ready && r->keys[i].key_id == key_id) {
      k = &r->keys[i]; /* the same id again: a new generation replaces it */
    }
  }
  if (!k) {
    k = &r->keys[r->next_slot];
    r->next_slot = (r->next_slot + 1) % VC_E2EE_KEYS_PER_SENDER;
  }
  sodium_memzero(k, sizeof(*k));
  derive(k->key, k->salt, material);
  k->key_id = key_id;
  k->ready = 1;
  return 0;
}

void vc_e2ee_receiver_wipe(vc_e2ee_receiver *r) {
  sodium_memzero(r, sizeof(*r));
}

/* 1 when |counter| is new to |k| (not replayed, not too old). */
static int fresh(const vc_e2ee_receiver_key *k, uint64_t counter) {
  uint64_t back;

  if (!k->seen_any || counter > k->highest) {
    return 1;
  }
  back = k->highest - counter;
  return back < VC_E2EE_REPLAY_WINDOW &&
         !(k->window[back / 64] >> (back % 64) & 1u);
}

/* Moves the window |shift| counters on: bit b (counter highest - b)
 * becomes bit b + shift; what falls off the end is forgotten. */
static void slide(uint64_t w[VC_E2EE_REPLAY_WORDS], uint64_t shift) {
  size_t words, bits, i;

  if (shift >= VC_E2EE_REPLAY_WINDOW) {
    memset(w, 0, VC_E2EE_REPLAY_WORDS * sizeof(*w));
    return;
  }
  words = (size_t)(shift / 64);
  bits = (size_t)(shift % 64);
  for (i = VC_E2EE_REPLAY_WORDS; i-- > 0;) {
    uint64_t hi = i >= words ? w[i - words] : 0;
    uint64_t lo = i >= words + 1 ? w[i - words - 1] : 0;
    w[i] = bits ? hi << bits | lo >> (64 - bits) : hi;
  }
}

static void remember(vc_e2ee_receiver_key *k, uint64_t counter) {
  uint64_t back;

  if (!k->seen_any) {
    memset(k->window, 0, sizeof(k->window));
    k->highest = counter;
    k->seen_any = 1;
  } else if (counter > k->highest) {
    slide(k->window, counter - k->highest);
    k->highest = counter;
  }
  back = k->highest - counter;
  k->window[back / 64] |= (uint64_t)1 << (back % 64);
}

vc_ssize vc_e2ee_open(vc_e2ee_receiver *r, const vc_route *route,
                      const uint8_t *frame, size_t len, uint8_t *out,
                      size_t cap) {
  uint8_t nonce[12], aad[1 + VC_E2EE_MAX_COUNTER_LEN + ROUTE_AAD_LEN];
  vc_e2ee_receiver_key *k = NULL;
  size_t clen, hlen, aadlen, i;
  unsigned long long plain_len;
  uint64_t counter = 0;
  uint8_t key_id;

  if (len < 2 + VC_E2EE_TAG_LEN || (frame[0] & 0x08) != 0) {
    goto reject; /* too short, or a reserved bit set */
  }
  key_id = frame[0] >> 4;
  clen = (size_t)(frame[0] & 0x07) + 1;
  hlen = 1 + clen;
  if (clen > VC_E2EE_MAX_COUNTER_LEN || len < hlen + VC_E2EE_TAG_LEN ||
      (clen > 1 && frame[1] == 0)) {
    goto reject; /* a counter too long, or not minimal */
  }
  if (cap < len - hlen - VC_E2EE_TAG_LEN) {
    sodium_memzero(out, cap);
    return VC_ERR_NOBUF;
  }
  for (i = 0; i < clen; i++) {
    counter = counter << 8 | frame[1 + i];
  }
  for (i = 0; i < VC_E2EE_KEYS_PER_SENDER; i++) {
    if (r->keys[i].ready && r->keys[i].key_id == key_id) {
      k = &r->keys[i];
    }
  }
  if (!k || !fresh(k, counter)) {
    goto reject;
  }
  aadlen = make_aad(aad, frame, hlen, route);
  make_nonce(nonce, k->salt, counter);
  if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &plain_len, NULL,
                                                frame + hlen, len - hlen, aad,
                                                aadlen, nonce, k->key) != 0) {
    goto reject;
  }
  remember(k, counter);
  return (vc_ssize)plain_len;

reject:
  if (out && cap) {
    sodium_memzero(out, cap);
  }
  return VC_ERR_DECRYPT;
}
