/*
 * safety_code.c: the digits people compare (include/vc/e2ee.h).
 * BLAKE2b-512 over a domain tag, the meeting id and the sorted identity
 * keys; the first 66 bits become 20 decimal digits, 5 per group.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <vc/e2ee.h>

static int compare_keys(const void *a, const void *b) {
  return memcmp(a, b, VC_E2EE_PUBLIC_KEY_LEN);
}

int vc_e2ee_safety_code(char out[VC_E2EE_SAFETY_CODE_LEN],
                        const char *meeting_id, const uint8_t *keys, size_t n) {
  static const char tag[] = "vc safety code v1";
  uint8_t digest[crypto_generichash_BYTES_MAX], *sorted;
  crypto_generichash_state h;
  uint64_t bits = 0;
  size_t i;
  int g;

  if (!out || !meeting_id || (n > 0 && !keys)) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  sorted = malloc(n ? n * VC_E2EE_PUBLIC_KEY_LEN : 1);
  if (!sorted) {
    return VC_ERR_NOMEM;
  }
  if (n) {
    memcpy(sorted, keys, n * VC_E2EE_PUBLIC_KEY_LEN);
    qsort(sorted, n, VC_E2EE_PUBLIC_KEY_LEN, compare_keys);
  }
  crypto_generichash_init(&h, NULL, 0, sizeof(digest));
  crypto_generichash_update(&h, (const uint8_t *)tag, sizeof(tag));
  crypto_generichash_update(&h, (const uint8_t *)meeting_id,
                            strlen(meeting_id) + 1);
  crypto_generichash_update(&h, sorted, n * VC_E2EE_PUBLIC_KEY_LEN);
  crypto_generichash_final(&h, digest, sizeof(digest));
  free(sorted);
  /* Four groups, each from its own 8 digest bytes: 64 bits mod 10^5 is
   * uniform enough (bias below 2^-47). */
  for (g = 0; g < 4; g++) {
    size_t at = (size_t)g * 6;
    unsigned group;
    bits = 0;
    for (i = 0; i < 8; i++) {
      bits = bits << 8 | digest[at / 6 * 8 + i];
    }
    group = (unsigned)(bits % 100000u);
    for (i = 5; i > 0; i--) {
      out[at + i - 1] = (char)('0' + group % 10);
      group /= 10;
    }
    out[at + 5] = g < 3 ? ' ' : '\0';
  }
  return 0;
}
