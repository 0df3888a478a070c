/*
 * deps_smoke_test.c: proves that the libopus and libsodium we link really
 * work, natively and in the WebAssembly build (run under Node by ctest),
 * before any module depends on them: a 20 ms Opus frame round-trips with
 * its tone intact, and an XChaCha20-Poly1305 frame opens only unmodified.
 */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <opus.h>
#include <sodium.h>

#define RATE 48000
#define FRAME (RATE / 50)
#define TWO_PI 6.283185307179586

static int check_opus(void) {
  static opus_int16 in[FRAME * 5], out[FRAME];
  unsigned char packet[1500];
  OpusEncoder *enc;
  OpusDecoder *dec;
  double energy = 0;
  int err, i, f, n = 0, len;

  enc = opus_encoder_create(RATE, 1, OPUS_APPLICATION_VOIP, &err);
  if (err != OPUS_OK) {
    fprintf(stderr, "opus_encoder_create: %s\n", opus_strerror(err));
    return 1;
  }
  dec = opus_decoder_create(RATE, 1, &err);
  if (err != OPUS_OK) {
    fprintf(stderr, "opus_decoder_create: %s\n", opus_strerror(err));
    opus_encoder_destroy(enc);
    return 1;
  }
  for (i = 0; i < FRAME * 5; i++) {
    in[i] = (opus_int16)(8000.0 * sin(TWO_PI * 440.0 * i / RATE));
  }
  /* The codec needs a few frames to settle; measure the last one. */
  for (f = 0; f < 5; f++) {
    len = opus_encode(enc, in + f * FRAME, FRAME, packet, sizeof(packet));
    if (len <= 0) {
      fprintf(stderr, "opus_encode: %d\n", len);
      n = -1;
      break;
    }
    n = opus_decode(dec, packet, len, out, FRAME, 0);
  }
  opus_encoder_destroy(enc);
  opus_decoder_destroy(dec);
  if (n != FRAME) {
    fprintf(stderr, "opus_decode returned %d, want %d\n", n, FRAME);
    return 1;
  }
  for (i = 0; i < FRAME; i++) {
    energy += (double)out[i] * out[i];
  }
  /* A 8000-amplitude sine has RMS about 5657; allow for codec loss. */
  if (sqrt(energy / FRAME) < 3000.0) {
    fprintf(stderr, "opus: decoded tone too quiet\n");
    return 1;
  }
  return 0;
}

static int check_sodium(void) {
  unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
  unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
  unsigned char msg[64], ct[64 + crypto_aead_xchacha20poly1305_ietf_ABYTES];
  unsigned char back[64];
  unsigned long long ctlen, backlen;

  if (sodium_init() < 0) {
    fprintf(stderr, "sodium_init failed\n");
    return 1;
  }
  memset(key, 1, sizeof(key));
  memset(nonce, 2, sizeof(nonce));
  memset(msg, 3, sizeof(msg));
  crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &ctlen, msg, sizeof(msg), NULL,
                                             0, NULL, nonce, key);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          back, &backlen, NULL, ct, ctlen, NULL, 0, nonce, key) != 0 ||
      backlen != sizeof(msg) || memcmp(back, msg, sizeof(msg)) != 0) {
    fprintf(stderr, "sodium: intact frame did not open\n");
    return 1;
  }
  ct[5] ^= 1;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          back, &backlen, NULL, ct, ctlen, NULL, 0, nonce, key) == 0) {
    fprintf(stderr, "sodium: tampered frame opened\n");
    return 1;
  }
  return 0;
}

int main(void) {
  int failed = check_opus() + check_sodium();
  printf("%s\n", failed ? "deps smoke test FAILED" : "deps smoke test ok");
  return failed ? 1 : 0;
}
