/*
 * audio_internal.h: the parts of the jitter buffer (jitter_buffer.c), one
 * concept per file as in WebRTC's NetEQ: the packet buffer
 * (packet_buffer.c), the delay manager (delay_manager.c), the decision
 * logic (decision_logic.c) and time stretching (time_stretch.c).
 */
#ifndef VC_AUDIO_INTERNAL_H
#define VC_AUDIO_INTERNAL_H

#include <vc/audio.h>

/* Samples per millisecond at 48 kHz. */
#define VC__SAMPLES_PER_MS 48

/* ---- packet buffer ------------------------------------------------------ */

typedef struct vc__audio_packet {
  uint64_t timestamp; /* first sample, sender clock, 48 kHz */
  vc_tstamp arrival;
  uint32_t samples; /* at 48 kHz */
  uint16_t len;
  uint8_t data[VC_AUDIO_MAX_PACKET_LEN];
} vc__audio_packet;

/* Packets sorted by timestamp; |order| indexes |slots|, |free_slots| are
 * unused slot numbers. Capacity fixed at init. */
typedef struct vc__packet_buffer {
  vc__audio_packet *slots;
  uint32_t *order;
  uint32_t *free_slots;
  size_t cap, n;
  uint64_t span_samples; /* sum of the held packets' durations */
} vc__packet_buffer;

int vc__packet_buffer_init(vc__packet_buffer *pb, size_t cap);
void vc__packet_buffer_free(vc__packet_buffer *pb);
/* 0 inserted, 1 a packet with this timestamp is already held,
 * VC_ERR_QUEUE_FULL (nothing inserted). */
int vc__packet_buffer_insert(vc__packet_buffer *pb, uint64_t timestamp,
                             vc_tstamp arrival, const uint8_t *data, size_t len,
                             uint32_t samples);
/* The earliest packet, or NULL. Valid until the next call that changes
 * |pb|. */
const vc__audio_packet *vc__packet_buffer_peek(const vc__packet_buffer *pb);
void vc__packet_buffer_pop(vc__packet_buffer *pb);
/* Drops packets that start before |timestamp|; returns how many. */
size_t vc__packet_buffer_discard_before(vc__packet_buffer *pb,
                                        uint64_t timestamp);
/* Drops everything; returns how many. */
size_t vc__packet_buffer_flush(vc__packet_buffer *pb);

/* ---- delay manager ------------------------------------------------------ */

#define VC__DELAY_BUCKET_MS 2
#define VC__DELAY_BUCKETS 1000 /* 2 s of relative delay */
#define VC__DELAY_WINDOW 256   /* arrivals remembered for the minimum */
#define VC__DELAY_WINDOW_MS 2000
/* The histogram takes the highest relative delay of each interval. */
#define VC__DELAY_INTERVAL_MS 500

typedef struct vc__delay_manager {
  double hist[VC__DELAY_BUCKETS];
  uint64_t n_updates; /* intervals in the histogram */
  uint64_t n_packets;
  double forget; /* per interval, once past the start */
  double interval_start_ms, interval_max_ms;
  double quantile;
  uint32_t min_ms, max_ms;
  /* Offsets (arrival - media time) of recent packets, ring. */
  double win_offset_ms[VC__DELAY_WINDOW];
  double win_arrival_ms[VC__DELAY_WINDOW];
  size_t win_head, win_n;
  int have_first;
  vc_tstamp first_arrival;
  uint64_t first_timestamp;
  uint32_t packet_ms;
  uint32_t target_ms;
  double loss; /* smoothed share of packets lost */
  /* Delay peaks: packets later than the histogram's target by a margin. */
  int have_peak, in_peak;
  double last_peak_ms;    /* arrival of the latest peak packet */
  double peak_height_ms;  /* the highest relative delay since peaks began */
  uint32_t jitter_ms;     /* the quantile of relative delay, without peaks */
  uint32_t peak_cover_ms; /* what the target holds for peaks; 0: none */
} vc__delay_manager;

void vc__delay_manager_init(vc__delay_manager *dm, double quantile,
                            uint32_t min_ms, uint32_t max_ms);
void vc__delay_manager_reset(vc__delay_manager *dm);
/* A packet arrived: updates the histogram and the target. */
void vc__delay_manager_update(vc__delay_manager *dm, uint64_t timestamp,
                              vc_tstamp arrival, uint32_t packet_samples);
/* |n_lost| packets went missing before one that arrived (0: none). */
void vc__delay_manager_count_loss(vc__delay_manager *dm, uint64_t n_lost);
/* A packet counted lost arrived after all (reordered). */
void vc__delay_manager_count_found(vc__delay_manager *dm);
/* The relative delay (ms) the histogram holds at |q|, bucket upper edge. */
uint32_t vc__delay_manager_quantile_ms(const vc__delay_manager *dm, double q);

/* ---- decision logic ----------------------------------------------------- */

/* What the buffer holds when the next samples are due, in samples. */
typedef struct vc__decision_input {
  int have_packet;       /* a packet is held */
  int expanding;         /* the last output was concealment */
  int in_dtx;            /* the sender said it went silent */
  uint64_t gap_samples;  /* from the playout point to the held packet */
  uint64_t wait_samples; /* concealed in place since the last decode */
  double filtered_level; /* smoothed level, samples */
  uint32_t target;       /* samples */
  uint32_t packet_samples;
  int time_stretch;
  /* No packet for longer than jitter explains, on a link known to stall:
   * |level_now| is the level the overdue packet would find if it came now. */
  int starving;
  double level_now;
  int draining; /* a wait added delay: accelerate down to the target */
} vc__decision_input;

vc_jitter_op vc__decide(const vc__decision_input *in);
/* Thresholds around the target (samples): below |low| stretch, above
 * |high| accelerate. */
void vc__decision_limits(uint32_t target, uint32_t packet_samples,
                         uint32_t *low, uint32_t *high);

/* ---- time stretching ---------------------------------------------------- */

/* Shortest and longest pitch period searched: 2.5 ms .. 10 ms. */
#define VC__PITCH_MIN ((size_t)120)
#define VC__PITCH_MAX ((size_t)480)

/*
 * Finds the pitch period of |x| and returns it, with the normalised
 * correlation of two consecutive periods in |*corr| and whether the
 * segment is near silence in |*quiet|. Periods up to |n| / 2 are searched:
 * all of them when |n| >= 2 * VC__PITCH_MAX.
 */
size_t vc__pitch_period(const int16_t *x, size_t n, double *corr, int *quiet);
/* Removes one period |t| at the start of |x| by cross-fading period one
 * into period two. |ts| and |arrival| (per sample) follow. Returns n - t. */
size_t vc__stretch_remove(int16_t *x, uint64_t *ts, vc_tstamp *arrival,
                          size_t n, size_t t);
/* Inserts one period |t| after the first: room for n + t is needed. */
size_t vc__stretch_insert(int16_t *x, uint64_t *ts, vc_tstamp *arrival,
                          size_t n, size_t t);

#endif /* VC_AUDIO_INTERNAL_H */
