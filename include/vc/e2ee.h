/*
 * e2ee.h: end-to-end encryption of media and chat payloads
 * (docs/E2EE.md). The server forwards envelopes it cannot read: only the
 * routing header stays clear, and it is bound to the ciphertext.
 *
 * A frame on the wire: [config][counter][ciphertext][16-byte tag]
 *   config  = key id (high 4 bits) | counter length - 1 (low 3 bits)
 *   counter = 1..5 bytes, big-endian, minimal
 * Overhead: 1 + counter bytes + 16, at most 22 bytes.
 *
 * AEAD: ChaCha20-Poly1305-IETF (libsodium, portable C: the same in WASM).
 * Nonce: the key's 12-byte salt XOR the counter (as RFC 9605 does), so a
 * nonce repeats only if a counter does, and counters only go up.
 * Associated data: the frame header, then the bound routing fields
 * (sender session, stream kind, keyframe flag, timestamp).
 *
 * The core draws no randomness: key material and seeds come from the
 * caller. Keys are wiped (sodium_memzero) when replaced or released.
 */
#ifndef VC_E2EE_H
#define VC_E2EE_H

#include <vc/wire.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VC_E2EE_KEY_LEN 32
#define VC_E2EE_TAG_LEN 16
#define VC_E2EE_MAX_COUNTER_LEN 5
#define VC_E2EE_MAX_OVERHEAD (1 + VC_E2EE_MAX_COUNTER_LEN + VC_E2EE_TAG_LEN)
#define VC_E2EE_MAX_KEY_ID 15
/* Counters run to 2^40 - 1 per key: 700 years of 50 frames a second. */
#define VC_E2EE_MAX_COUNTER ((uint64_t)1 << 40)
/* Frames up to this far behind the newest are still accepted once. One
 * sender's frames travel two ways (audio as WebTransport datagrams, video
 * on the stream), and a busy page reads one way seconds behind the other:
 * 2048 counters is 15 s of a camera's three layers and its sound. (128
 * lost every sound of some senders in a call of six on a busy machine.) */
#define VC_E2EE_REPLAY_WINDOW 2048
#define VC_E2EE_REPLAY_WORDS (VC_E2EE_REPLAY_WINDOW / 64)
/* A receiver keeps this many of a sender's keys (rekeys overlap). */
#define VC_E2EE_KEYS_PER_SENDER 4

/* Must be called once before anything else here. 0 or VC_ERR_NOMEM. */
int vc_e2ee_init(void);

/* Zeroes |len| bytes in a way the compiler cannot skip (key material). */
void vc_e2ee_wipe(void *p, size_t len);

/* One sender's current key: seals its frames. */
typedef struct vc_e2ee_sender {
  uint8_t key[VC_E2EE_KEY_LEN];
  uint8_t salt[12];
  uint8_t key_id;
  uint64_t counter; /* next to use */
  int ready;
} vc_e2ee_sender;

/* Installs |material| (32 bytes from the caller's randomness or a
 * ratchet) as key |key_id| (0..15); the counter starts at 0. */
int vc_e2ee_sender_set_key(vc_e2ee_sender *s, uint8_t key_id,
                           const uint8_t material[VC_E2EE_KEY_LEN]);
void vc_e2ee_sender_wipe(vc_e2ee_sender *s);

/*
 * Seals |plain| for |route| into |out|. Returns the frame length (plain +
 * at most VC_E2EE_MAX_OVERHEAD), VC_ERR_NOBUF, VC_ERR_STATE (no key, or
 * the counter is exhausted: rekey).
 */
vc_ssize vc_e2ee_seal(vc_e2ee_sender *s, const vc_route *route,
                      const uint8_t *plain, size_t len, uint8_t *out,
                      size_t cap);

/* What a receiver keeps for one remote sender. */
typedef struct vc_e2ee_receiver_key {
  uint8_t key[VC_E2EE_KEY_LEN];
  uint8_t salt[12];
  uint8_t key_id;
  int ready;
  uint64_t highest; /* highest counter opened */
  int seen_any;
  /* bit b: counter highest - b was opened */
  uint64_t window[VC_E2EE_REPLAY_WORDS];
} vc_e2ee_receiver_key;

typedef struct vc_e2ee_receiver {
  vc_e2ee_receiver_key keys[VC_E2EE_KEYS_PER_SENDER];
  unsigned next_slot;
} vc_e2ee_receiver;

/* Adds (or replaces) key |key_id|; the oldest of the kept keys goes. */
int vc_e2ee_receiver_set_key(vc_e2ee_receiver *r, uint8_t key_id,
                             const uint8_t material[VC_E2EE_KEY_LEN]);
void vc_e2ee_receiver_wipe(vc_e2ee_receiver *r);

/*
 * Opens |frame| sealed for |route|. Returns the plaintext length, or
 * VC_ERR_DECRYPT for anything wrong with the frame (unknown key id,
 * truncation, a tag that does not verify, a replay, a counter outside
 * the window), or VC_ERR_NOBUF. On any error |out| (|cap| bytes) is
 * zeroed: nothing half-decrypted is ever seen.
 */
vc_ssize vc_e2ee_open(vc_e2ee_receiver *r, const vc_route *route,
                      const uint8_t *frame, size_t len, uint8_t *out,
                      size_t cap);

/*
 * The next generation of |material|, in place (a one-way KDF step). A
 * participant who joins gets the ratcheted key and cannot open what was
 * sealed before it; after someone leaves, senders choose fresh material
 * instead, which the departed never receives.
 */
void vc_e2ee_ratchet(uint8_t material[VC_E2EE_KEY_LEN]);

/* ---- key delivery --------------------------------------------------- */

#define VC_E2EE_PUBLIC_KEY_LEN 32
#define VC_E2EE_SECRET_KEY_LEN 32
#define VC_E2EE_SEED_LEN 32
/* A sealed key: ephemeral public key, then ciphertext with its MAC. */
#define VC_E2EE_SEALED_OVERHEAD 48

/* An X25519 identity from a 32-byte seed (the caller's randomness). */
int vc_e2ee_identity(uint8_t pk[VC_E2EE_PUBLIC_KEY_LEN],
                     uint8_t sk[VC_E2EE_SECRET_KEY_LEN],
                     const uint8_t seed[VC_E2EE_SEED_LEN]);

/*
 * Seals |len| bytes (a key id and key material) to |recipient_pk| so only
 * its owner can open them; |eph_seed| makes the one-time key pair. The
 * output is libsodium's sealed-box format (crypto_box_seal_open opens
 * it). Returns len + VC_E2EE_SEALED_OVERHEAD or a negative code.
 */
vc_ssize vc_e2ee_seal_to(uint8_t *out, size_t cap, const uint8_t *msg,
                         size_t len,
                         const uint8_t recipient_pk[VC_E2EE_PUBLIC_KEY_LEN],
                         const uint8_t eph_seed[VC_E2EE_SEED_LEN]);

/* Opens a sealed message for the identity |pk|/|sk|. Returns its length
 * or VC_ERR_DECRYPT (|out| zeroed). */
vc_ssize vc_e2ee_open_sealed(uint8_t *out, size_t cap, const uint8_t *sealed,
                             size_t len,
                             const uint8_t pk[VC_E2EE_PUBLIC_KEY_LEN],
                             const uint8_t sk[VC_E2EE_SECRET_KEY_LEN]);

/* ---- meeting passphrase ---------------------------------------------- */

#define VC_E2EE_AUTH_KEY_LEN 32
#define VC_E2EE_AUTH_TAG_LEN 32

/*
 * The key that authenticates identity announcements in a meeting with a
 * passphrase: Argon2id (libsodium's crypto_pwhash) over the passphrase,
 * salted with the meeting id, at 2 passes over 16 MiB (about 20 ms
 * natively, once per join; WASM-friendly memory). Every client must use
 * these same parameters. Returns 0, VC_ERR_INVALID_ARGUMENT (empty
 * passphrase) or VC_ERR_NOMEM.
 */
int vc_e2ee_passphrase_key(uint8_t key[VC_E2EE_AUTH_KEY_LEN],
                           const char *passphrase, const char *meeting_id);

/* The tag over an identity key, and its constant-time check (1: valid). */
void vc_e2ee_auth_tag(uint8_t tag[VC_E2EE_AUTH_TAG_LEN],
                      const uint8_t key[VC_E2EE_AUTH_KEY_LEN],
                      const uint8_t identity[VC_E2EE_PUBLIC_KEY_LEN]);
int vc_e2ee_auth_check(const uint8_t *tag, size_t tag_len,
                       const uint8_t key[VC_E2EE_AUTH_KEY_LEN],
                       const uint8_t identity[VC_E2EE_PUBLIC_KEY_LEN]);

/* ---- safety code ------------------------------------------------------ */

/* "12345 67890 12345 67890": four groups of five digits (66 bits). */
#define VC_E2EE_SAFETY_CODE_LEN 24 /* with the NUL */

/*
 * The meeting's safety code: a hash of the meeting id and every
 * participant's identity key, in sorted order, so everyone who holds the
 * same set sees the same digits. People read them to each other: the same
 * code means no one in the middle swapped a key. |keys| holds |n| keys of
 * VC_E2EE_PUBLIC_KEY_LEN bytes each, in any order. Returns 0,
 * VC_ERR_INVALID_ARGUMENT or VC_ERR_NOMEM.
 */
int vc_e2ee_safety_code(char out[VC_E2EE_SAFETY_CODE_LEN],
                        const char *meeting_id, const uint8_t *keys, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* VC_E2EE_H */
