/*
 * wav.c: see wav.h. Walks the RIFF chunks for "fmt " and "data".
 */
#include "wav.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}

int wav_read_mono16(const char *path, int16_t **pcm, size_t *n, int *rate_hz) {
  FILE *f = fopen(path, "rb");
  uint8_t hdr[12], ch[8], fmt[16];
  int have_fmt = 0;

  *pcm = NULL;
  if (!f) {
    perror(path);
    return -1;
  }
  if (fread(hdr, 1, 12, f) != 12 || memcmp(hdr, "RIFF", 4) != 0 ||
      memcmp(hdr + 8, "WAVE", 4) != 0) {
    goto bad;
  }
  while (fread(ch, 1, 8, f) == 8) {
    uint32_t len = le32(ch + 4);
    if (memcmp(ch, "fmt ", 4) == 0 && len >= 16) {
      if (fread(fmt, 1, 16, f) != 16 || fseek(f, (long)(len - 16), SEEK_CUR)) {
        goto bad;
      }
      if (le16(fmt) != 1 || le16(fmt + 2) != 1 || le16(fmt + 14) != 16) {
        goto bad;
      }
      *rate_hz = (int)le32(fmt + 4);
      have_fmt = 1;
    } else if (memcmp(ch, "data", 4) == 0 && have_fmt) {
      size_t i;
      uint8_t *raw = malloc(len);
      *n = len / 2;
      *pcm = malloc(*n * sizeof(**pcm));
      if (!raw || !*pcm || fread(raw, 1, len, f) != len) {
        free(raw);
        free(*pcm);
        *pcm = NULL;
        goto bad;
      }
      for (i = 0; i < *n; i++) {
        (*pcm)[i] = (int16_t)le16(raw + 2 * i);
      }
      free(raw);
      fclose(f);
      return 0;
    } else if (fseek(f, (long)(len + (len & 1)), SEEK_CUR)) {
      goto bad;
    }
  }
bad:
  fprintf(stderr, "%s: not a 16-bit mono PCM WAV file\n", path);
  fclose(f);
  return -1;
}
