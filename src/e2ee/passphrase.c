/*
 * passphrase.c: a meeting passphrase authenticates identity keys
 * (include/vc/e2ee.h). It never leaves the client: the page keeps it in
 * the URL fragment, which browsers do not send to servers.
 */
#include <string.h>

#include <sodium.h>

#include <vc/e2ee.h>

#define PWHASH_OPSLIMIT 2
#define PWHASH_MEMLIMIT ((size_t)16 * 1024 * 1024)

int vc_e2ee_passphrase_key(uint8_t key[VC_E2EE_AUTH_KEY_LEN],
                           const char *passphrase, const char *meeting_id) {
  uint8_t salt[crypto_pwhash_SALTBYTES];

  if (!passphrase || !*passphrase || !meeting_id) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  /* A salt per meeting: the same passphrase gives other keys elsewhere. */
  crypto_generichash(salt, sizeof(salt), (const uint8_t *)meeting_id,
                     strlen(meeting_id), (const uint8_t *)"vc passphrase", 13);
  if (crypto_pwhash(key, VC_E2EE_AUTH_KEY_LEN, passphrase, strlen(passphrase),
                    salt, PWHASH_OPSLIMIT, PWHASH_MEMLIMIT,
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return VC_ERR_NOMEM;
  }
  return 0;
}

void vc_e2ee_auth_tag(uint8_t tag[VC_E2EE_AUTH_TAG_LEN],
                      const uint8_t key[VC_E2EE_AUTH_KEY_LEN],
                      const uint8_t identity[VC_E2EE_PUBLIC_KEY_LEN]) {
  crypto_auth_hmacsha256(tag, identity, VC_E2EE_PUBLIC_KEY_LEN, key);
}

int vc_e2ee_auth_check(const uint8_t *tag, size_t tag_len,
                       const uint8_t key[VC_E2EE_AUTH_KEY_LEN],
                       const uint8_t identity[VC_E2EE_PUBLIC_KEY_LEN]) {
  return tag_len == VC_E2EE_AUTH_TAG_LEN &&
         crypto_auth_hmacsha256_verify(tag, identity, VC_E2EE_PUBLIC_KEY_LEN,
                                       key) == 0;
}
