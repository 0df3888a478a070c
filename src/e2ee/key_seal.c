/*
 * key_seal.c: identities and sealed key delivery (include/vc/e2ee.h).
 *
 * libsodium's crypto_box_seal draws its one-time key pair from its own
 * random source; the core takes randomness only from its caller, so the
 * same construction is built here from a caller's seed: the output is
 * byte-for-byte the sealed-box format and crypto_box_seal_open opens it.
 */
#include <string.h>

#include <sodium.h>

#include <vc/e2ee.h>

int vc_e2ee_identity(uint8_t pk[VC_E2EE_PUBLIC_KEY_LEN],
                     uint8_t sk[VC_E2EE_SECRET_KEY_LEN],
                     const uint8_t seed[VC_E2EE_SEED_LEN]) {
  return crypto_box_seed_keypair(pk, sk, seed) == 0 ? 0
                                                    : VC_ERR_INVALID_ARGUMENT;
}

vc_ssize vc_e2ee_seal_to(uint8_t *out, size_t cap, const uint8_t *msg,
                         size_t len,
                         const uint8_t recipient_pk[VC_E2EE_PUBLIC_KEY_LEN],
                         const uint8_t eph_seed[VC_E2EE_SEED_LEN]) {
  uint8_t epk[crypto_box_PUBLICKEYBYTES], esk[crypto_box_SECRETKEYBYTES];
  uint8_t nonce[crypto_box_NONCEBYTES];
  crypto_generichash_state h;
  int rv;

  if (cap < len + VC_E2EE_SEALED_OVERHEAD) {
    return VC_ERR_NOBUF;
  }
  if (crypto_box_seed_keypair(epk, esk, eph_seed) != 0) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  /* The sealed-box nonce: BLAKE2b(ephemeral pk || recipient pk). */
  crypto_generichash_init(&h, NULL, 0, sizeof(nonce));
  crypto_generichash_update(&h, epk, sizeof(epk));
  crypto_generichash_update(&h, recipient_pk, VC_E2EE_PUBLIC_KEY_LEN);
  crypto_generichash_final(&h, nonce, sizeof(nonce));
  rv = crypto_box_easy(out + sizeof(epk), msg, len, nonce, recipient_pk, esk);
  memcpy(out, epk, sizeof(epk));
  sodium_memzero(esk, sizeof(esk));
  return rv == 0 ? (vc_ssize)(len + VC_E2EE_SEALED_OVERHEAD)
                 : VC_ERR_INVALID_ARGUMENT;
}

vc_ssize vc_e2ee_open_sealed(uint8_t *out, size_t cap, const uint8_t *sealed,
                             size_t len,
                             const uint8_t pk[VC_E2EE_PUBLIC_KEY_LEN],
                             const uint8_t sk[VC_E2EE_SECRET_KEY_LEN]) {
  if (len < VC_E2EE_SEALED_OVERHEAD || cap < len - VC_E2EE_SEALED_OVERHEAD ||
      crypto_box_seal_open(out, sealed, len, pk, sk) != 0) {
    if (out && cap) {
      sodium_memzero(out, cap);
    }
    return VC_ERR_DECRYPT;
  }
  return (vc_ssize)(len - VC_E2EE_SEALED_OVERHEAD);
}
