/*
 * rate_internal.h: the parts of the rate controller (vc/rate.h), one per
 * file: the delay-gradient detector (delay_gradient.c), the loss-based
 * cap (loss_based.c), the AIMD controller (aimd.c), the split between
 * audio and the simulcast layers (allocation.c); rate_control.c owns
 * the packet history and ties them together. docs/RATE.md explains the
 * constants.
 */
#ifndef VC_RATE_RATE_INTERNAL_H
#define VC_RATE_RATE_INTERNAL_H

#include <vc/rate.h>

/* ---- delay_gradient.c: draft-ietf-rmcat-gcc sections 5.2-5.4 ---- */

#define VC__TREND_WINDOW 20

typedef struct vc__delay_gradient {
  /* The group being filled, and the last complete one (us; send times on
   * the sender's clock, arrivals on the receiver's). */
  int has_group, has_prev;
  int64_t grp_first_send_us, grp_last_send_us, grp_last_arrival_us;
  int64_t prev_last_send_us, prev_last_arrival_us;
  int64_t origin_arrival_us; /* x axis origin of the regression */
  /* Trendline over the last VC__TREND_WINDOW group deltas. */
  double acc_delay_ms, smoothed_ms;
  double xs[VC__TREND_WINDOW], ys[VC__TREND_WINDOW];
  size_t n_pts, pos;
  uint32_t n_deltas;
  /* Overuse detector. */
  double trend_ms, prev_trend_ms, threshold_ms;
  int64_t last_update_us; /* arrival time of the last detector update */
  int has_update;
  double overuse_ms;
  uint32_t overuse_count;
  vc_rate_usage usage;
  uint64_t n_reordered, n_resets, n_overuse;
} vc__delay_gradient;

void vc__delay_gradient_init(vc__delay_gradient *g);
/* One received packet, in sequence order. Updates g->usage. */
void vc__delay_gradient_add(vc__delay_gradient *g, int64_t send_us,
                            int64_t arrival_us);

/* ---- loss_based.c: draft-ietf-rmcat-gcc section 6 ---- */

typedef enum vc__loss_action {
  VC__LOSS_NONE = 0, /* the window is still open */
  VC__LOSS_INCREASE, /* < 2 %: no cap */
  VC__LOSS_HOLD,     /* 2-10 %: no higher than now */
  VC__LOSS_DECREASE  /* > 10 %: back off by half the loss */
} vc__loss_action;

typedef struct vc__loss_based {
  uint32_t n_received, n_lost; /* in the open window */
  vc_tstamp window_start;
  int window_open;
  uint32_t loss_permille; /* of the last closed window */
  uint32_t cap_bps;
  vc_tstamp last_decrease;
  int has_decrease;
} vc__loss_based;

void vc__loss_based_init(vc__loss_based *l, uint32_t max_bps);
/* Counts packets into the window; when it closes, moves the cap from the
 * current |target_bps| and says how. */
vc__loss_action vc__loss_based_update(vc__loss_based *l, uint32_t n_received,
                                      uint32_t n_lost, uint32_t target_bps,
                                      uint32_t rtt_us, uint32_t max_bps,
                                      vc_tstamp ts);

/* ---- aimd.c: draft-ietf-rmcat-gcc section 5.5 ---- */

typedef enum vc__aimd_state {
  VC__AIMD_HOLD = 0,
  VC__AIMD_INCREASE,
  VC__AIMD_DECREASE
} vc__aimd_state;

typedef struct vc__aimd {
  double estimate_bps;
  vc__aimd_state state;
  /* The receive rate at recent overuses: the "congestion point". */
  int has_avg_max;
  double avg_max_kbps, var_max;
  vc_tstamp last_update, last_decrease;
  int has_update, has_decrease;
} vc__aimd;

void vc__aimd_init(vc__aimd *a, uint32_t start_bps);
/* One step with the detector's verdict and the measured receive rate
 * (0: unknown). Keeps the estimate within [min_bps, max_bps]. */
void vc__aimd_update(vc__aimd *a, vc_rate_usage usage,
                     uint32_t receive_rate_bps, uint32_t rtt_us,
                     uint32_t min_bps, uint32_t max_bps, vc_tstamp ts);

/* ---- allocation.c: audio, video and the simulcast layer set ---- */

typedef struct vc__layers {
  size_t n_on; /* layers sent: 0 .. n_on-1 */
  int up_pending;
  vc_tstamp up_since; /* when the budget first covered one more layer */
} vc__layers;

/* Audio's and video's shares of |target_bps|. */
void vc__rate_split(const vc_rate_settings *s, uint32_t target_bps,
                    uint32_t *audio_bps, uint32_t *video_bps);
/* The layers a fresh controller starts with: as many as |target_bps|
 * covers, without waiting. */
void vc__layers_init(vc__layers *l, const vc_rate_settings *s,
                     uint32_t target_bps);
/* Follows a new |target_bps| at |ts|, with hysteresis. */
void vc__layers_update(vc__layers *l, const vc_rate_settings *s,
                       uint32_t target_bps, vc_tstamp ts);
void vc__rate_fill_alloc(const vc_rate_settings *s, const vc__layers *l,
                         uint32_t target_bps, vc_rate_alloc *out);

#endif /* VC_RATE_RATE_INTERNAL_H */
