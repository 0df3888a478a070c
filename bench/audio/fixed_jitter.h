/*
 * fixed_jitter.h: the benchmark's baseline, a fixed 80 ms jitter buffer
 * (the classic design before adaptive ones). Each packet plays at the
 * first packet's arrival + the fixed delay + its media time; what misses
 * its time is concealed with the same Opus decoder and FEC as ours, so the
 * two differ only in when they play. No time stretching.
 */
#ifndef VC_BENCH_FIXED_JITTER_H
#define VC_BENCH_FIXED_JITTER_H

#include <stddef.h>
#include <stdint.h>

typedef struct fixed_jitter fixed_jitter;

typedef struct fixed_jitter_stats {
  double delay_s;        /* sum over emitted packet samples */
  uint64_t emitted;      /* samples that came from packets */
  uint64_t concealed;    /* samples concealed (comfort noise excluded) */
  uint64_t output;       /* samples played since the first packet */
  uint64_t late_packets; /* arrived after their time */
} fixed_jitter_stats;

fixed_jitter *fixed_jitter_new(uint32_t delay_ms);
void fixed_jitter_del(fixed_jitter *f);
void fixed_jitter_insert(fixed_jitter *f, uint64_t timestamp,
                         const uint8_t *data, size_t len, uint64_t arrival_ns);
/* 480 samples due at |now_ns|. */
void fixed_jitter_pull(fixed_jitter *f, int16_t *pcm, uint64_t now_ns);
/* Timestamp of the next sample pulled; 0 before the first packet. */
uint64_t fixed_jitter_playout_timestamp(const fixed_jitter *f);
void fixed_jitter_get_stats(const fixed_jitter *f, fixed_jitter_stats *s);

#endif /* VC_BENCH_FIXED_JITTER_H */
