/*
 * jitter_insert_fuzz.c: fuzz target for what a peer's audio packets can do
 * to the jitter buffer and the Opus decoder behind it (src/audio/). The
 * input is a script of steps, each chosen by one byte:
 *   0: insert the next bytes as a packet (length byte, then the bytes) at
 *      a timestamp moved by a signed 16-bit step of 2.5 ms;
 *   1: insert a real 20 ms Opus packet (made once) at a moved timestamp;
 *   2: pull 10 ms;
 *   3: let up to 255 ms pass, and set the minimum delay from the next byte.
 * Every pull must give 10 ms; the counters must stay consistent.
 */
#include <stdlib.h>
#include <string.h>

#include <vc/audio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MS ((vc_tstamp)1000000)

static uint8_t real[VC_AUDIO_MAX_PACKET_LEN];
static size_t real_len;

static void make_real_packet(void) {
  vc_audio_encoder_settings s;
  vc_audio_encoder *e;
  int16_t pcm[960];
  size_t i;
  vc_ssize n;

  vc_audio_encoder_settings_default(&s);
  if (vc_audio_encoder_new(&e, &s) != 0) {
    abort();
  }
  for (i = 0; i < 960; i++) {
    pcm[i] = (int16_t)((i * 37) % 2000 - 1000);
  }
  n = vc_audio_encode(e, pcm, real, sizeof(real));
  vc_audio_encoder_del(e);
  if (n <= 0) {
    abort();
  }
  real_len = (size_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  vc_jitter_settings s;
  vc_jitter *j;
  vc_jitter_stats st;
  int16_t pcm[VC_AUDIO_PULL_SAMPLES];
  uint64_t timestamp = 1000000;
  vc_tstamp now = MS;
  size_t i = 0, pulls = 0;

  if (real_len == 0) {
    make_real_packet();
  }
  vc_jitter_settings_default(&s);
  s.max_packets = 16; /* small, so the fuzzer reaches the cap */
  if (vc_jitter_new(&j, &s) != 0) {
    abort();
  }
  while (i < size) {
    uint8_t op = data[i++] % 4;
    if (op <= 1 && i + 2 <= size) {
      int16_t step = (int16_t)(data[i] | data[i + 1] << 8);
      i += 2;
      timestamp += (uint64_t)((int64_t)step * 120);
      if (op == 0 && i < size) {
        size_t len = data[i++];
        if (len > size - i) {
          len = size - i;
        }
        vc_jitter_insert(j, timestamp, data + i, len, now);
        i += len;
      } else if (op == 1) {
        if (vc_jitter_insert(j, timestamp, real, real_len, now) != 0) {
          abort(); /* a valid packet is always taken */
        }
      }
    } else if (op == 2) {
      if (vc_jitter_pull(j, pcm, now) != VC_AUDIO_PULL_SAMPLES) {
        abort();
      }
      pulls++;
      now += 10 * MS;
    } else if (op == 3 && i < size) {
      now += (vc_tstamp)data[i] * MS;
      vc_jitter_set_min_delay(j, (uint32_t)data[i] * 4);
      i++;
    }
  }
  vc_jitter_get_stats(j, &st);
  if (st.concealed_samples > pulls * VC_AUDIO_PULL_SAMPLES + 2 * 5760 ||
      st.silent_concealed_samples > st.concealed_samples ||
      st.packets_discarded > st.packets_received) {
    abort();
  }
  vc_jitter_del(j);
  return 0;
}
