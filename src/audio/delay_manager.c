/*
 * delay_manager.c: the target buffer delay, from how late packets arrive
 * relative to the fastest recent one (NetEQ's DelayManager with its
 * "relative arrival delay"). For each packet, offset = arrival time minus
 * media time; its relative delay is the offset minus the smallest offset
 * of the last two seconds, so a sender clock that drifts is followed
 * within the window. Relative delays fill a histogram whose old mass
 * fades by a forget factor per packet; the target is the chosen quantile
 * plus one packet (the wait inherent to packetisation), clamped to the
 * settings. The histogram starts with a fast-forgetting ramp so the first
 * packets count fully.
 *
 * Beyond NetEQ: while packets are being lost, the target holds one packet
 * more, so the packet after a loss is already here when the loss is found
 * and its in-band FEC recovers the lost one instead of concealment.
 */
#include <string.h>

#include "audio_internal.h"

#define FORGET_FACTOR 0.983
/* Loss smoothing per packet (about 5 s at 50 packets/s), and the share
 * above which FEC is worth a packet of delay. */
#define LOSS_FILTER 0.995
#define LOSS_FOR_FEC 0.005
/* The target while the first packets arrive. */
#define START_PACKETS 50
#define START_TARGET_MS 60

void vc__delay_manager_init(vc__delay_manager *dm, double quantile,
                            uint32_t min_ms, uint32_t max_ms) {
  memset(dm, 0, sizeof(*dm));
  dm->forget = FORGET_FACTOR;
  dm->quantile = quantile;
  dm->min_ms = min_ms;
  dm->max_ms = max_ms;
  vc__delay_manager_reset(dm);
}

void vc__delay_manager_reset(vc__delay_manager *dm) {
  memset(dm->hist, 0, sizeof(dm->hist));
  dm->n_updates = 0;
  dm->win_head = dm->win_n = 0;
  dm->have_first = 0;
  dm->loss = 0;
  dm->packet_ms = 20;
  dm->target_ms = dm->packet_ms > dm->min_ms ? dm->packet_ms : dm->min_ms;
}

uint32_t vc__delay_manager_quantile_ms(const vc__delay_manager *dm, double q) {
  double total = 0, sum = 0;
  size_t i;
  for (i = 0; i < VC__DELAY_BUCKETS; i++) {
    total += dm->hist[i];
  }
  if (total <= 0) {
    return 0;
  }
  for (i = 0; i < VC__DELAY_BUCKETS; i++) {
    sum += dm->hist[i];
    if (sum >= q * total) {
      break;
    }
  }
  if (i == VC__DELAY_BUCKETS) {
    i--;
  }
  return (uint32_t)((i + 1) * VC__DELAY_BUCKET_MS);
}

/* The relative delay of a packet with offset |offset_ms| at |now_ms|, after
 * remembering it and forgetting offsets older than the window. */
static double relative_delay(vc__delay_manager *dm, double offset_ms,
                             double now_ms) {
  double min = offset_ms;
  size_t i;

  while (
      dm->win_n &&
      now_ms -
              dm->win_arrival_ms[(dm->win_head + VC__DELAY_WINDOW - dm->win_n) %
                                 VC__DELAY_WINDOW] >
          VC__DELAY_WINDOW_MS) {
    dm->win_n--;
  }
  dm->win_offset_ms[dm->win_head] = offset_ms;
  dm->win_arrival_ms[dm->win_head] = now_ms;
  dm->win_head = (dm->win_head + 1) % VC__DELAY_WINDOW;
  if (dm->win_n < VC__DELAY_WINDOW) {
    dm->win_n++;
  }
  for (i = 0; i < dm->win_n; i++) {
    double o = dm->win_offset_ms[(dm->win_head + VC__DELAY_WINDOW - 1 - i) %
                                 VC__DELAY_WINDOW];
    if (o < min) {
      min = o;
    }
  }
  return offset_ms - min;
}

void vc__delay_manager_update(vc__delay_manager *dm, uint64_t timestamp,
                              vc_tstamp arrival, uint32_t packet_samples) {
  double now_ms, media_ms, rel, forget;
  size_t bucket, i;
  uint32_t target;

  if (!dm->have_first) {
    dm->have_first = 1;
    dm->first_arrival = arrival;
    dm->first_timestamp = timestamp;
  }
  now_ms = (double)(arrival - dm->first_arrival) / 1e6;
  media_ms =
      ((double)timestamp - (double)dm->first_timestamp) / VC__SAMPLES_PER_MS;
  rel = relative_delay(dm, now_ms - media_ms, now_ms);

  /* Start-up ramp: 1 - 2/(k+2) until it reaches the steady factor. */
  forget = 1.0 - 2.0 / (double)(dm->n_updates + 2);
  if (forget > dm->forget) {
    forget = dm->forget;
  }
  for (i = 0; i < VC__DELAY_BUCKETS; i++) {
    dm->hist[i] *= forget;
  }
  bucket = (size_t)(rel / VC__DELAY_BUCKET_MS);
  if (bucket >= VC__DELAY_BUCKETS) {
    bucket = VC__DELAY_BUCKETS - 1;
  }
  dm->hist[bucket] += 1.0 - forget;
  dm->n_updates++;

  dm->packet_ms = packet_samples / VC__SAMPLES_PER_MS;
  dm->loss *= LOSS_FILTER;
  target = vc__delay_manager_quantile_ms(dm, dm->quantile) + dm->packet_ms;
  if (dm->loss > LOSS_FOR_FEC) {
    target += dm->packet_ms;
  }
  /* Until the histogram has seen a second of packets it knows little:
   * start cautious, like NetEQ, and come down as it learns. */
  if (dm->n_updates < START_PACKETS && target < START_TARGET_MS) {
    target = START_TARGET_MS;
  }
  if (target < dm->min_ms) {
    target = dm->min_ms;
  }
  if (target > dm->max_ms) {
    target = dm->max_ms;
  }
  dm->target_ms = target;
}

void vc__delay_manager_count_loss(vc__delay_manager *dm, uint64_t n_lost) {
  /* Each lost packet would have been one update of the filter. */
  while (n_lost-- > 0 && dm->loss < 1.0) {
    dm->loss = LOSS_FILTER * dm->loss + (1.0 - LOSS_FILTER);
  }
}

void vc__delay_manager_count_found(vc__delay_manager *dm) {
  dm->loss -= 1.0 - LOSS_FILTER;
  if (dm->loss < 0) {
    dm->loss = 0;
  }
}
