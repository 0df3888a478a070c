/*
 * delay_manager.c: the target buffer delay, from how late packets arrive
 * relative to the fastest recent one (NetEQ's DelayManager with its
 * "relative arrival delay"). For each packet, offset = arrival time minus
 * media time; its relative delay is the offset minus the smallest offset
 * of the last two seconds, so a sender clock that drifts is followed
 * within the window. The highest relative delay of each half second goes
 * into a histogram whose old mass fades by a forget factor per interval;
 * the target is the chosen quantile plus one packet (the wait inherent to
 * packetisation), clamped to the settings. The histogram starts with a
 * fast-forgetting ramp so the first intervals count fully.
 *
 * Beyond NetEQ: while packets are being lost, the target holds one packet
 * more, so the packet after a loss is already here when the loss is found
 * and its in-band FEC recovers the lost one instead of concealment.
 *
 * Delay peaks (NetEQ's DelayPeakDetector, in part): a packet whose
 * relative delay exceeds the histogram's target by more than NetEQ's peak
 * height is a peak, say the link stalled. Peaks stay out of the histogram:
 * a stall every few seconds is the highest delay of more than 5 % of the
 * half seconds, and would hold the target at its full height. Instead,
 * for a while after the latest peak the target holds a third of the
 * highest one. NetEQ holds all of it, which on a link that stalls 200 ms
 * costs 200 ms of delay all the time; a third (with stretching while the
 * buffer drains, in jitter_buffer.c) conceals no more than a fixed 80 ms
 * buffer at less delay.
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
/* A peak is this much later than the target (NetEQ's kPeakHeightMs). */
#define PEAK_MARGIN_MS 78
/* How long a peak is remembered. NetEQ forgets its peaks 20 s after the
 * last one; stalls from Wi-Fi scans or handovers can be further apart,
 * and 30 s passed more seeds of the spike profile (docs/AUDIO.md). */
#define PEAK_HOLD_MS 30000
/* The share of the highest peak the target covers. */
#define PEAK_COVER 3
/* Packets closer than this share of a packet's time arrive in a burst. */
#define BURST_SHARE 4

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
  dm->n_updates = dm->n_packets = 0;
  dm->interval_start_ms = dm->interval_max_ms = 0;
  dm->win_head = dm->win_n = 0;
  dm->have_first = 0;
  dm->loss = 0;
  dm->have_peak = dm->in_peak = 0;
  dm->peak_height_ms = 0;
  dm->jitter_ms = 0;
  dm->peak_cover_ms = 0;
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

/* Whether a packet with relative delay |rel| arriving at |now_ms| is a
 * delay peak; remembers the peak and forgets old ones. */
static int peak_update(vc__delay_manager *dm, double rel, double now_ms) {
  int late, burst;

  if (dm->have_peak && now_ms - dm->last_peak_ms > PEAK_HOLD_MS) {
    dm->have_peak = 0;
    dm->peak_height_ms = 0;
  }
  /* Until the histogram has settled every packet looks like a peak. A
   * peak lasts while packets are later than usual, and while they come in
   * a burst with it: the queue behind a stall, released at once. Their
   * delays fall packet by packet to zero, and the last ones before it
   * would otherwise be an interval's highest delay and ratchet the target
   * up, each stall ending a little higher. */
  if (dm->n_packets < START_PACKETS) {
    dm->in_peak = 0;
    return 0;
  }
  late = rel > (double)(dm->jitter_ms + dm->packet_ms) +
                   (dm->in_peak ? 0 : PEAK_MARGIN_MS);
  burst = dm->in_peak &&
          now_ms - dm->last_peak_ms < (double)dm->packet_ms / BURST_SHARE;
  if (!late && !burst) {
    dm->in_peak = 0;
    return 0;
  }
  dm->in_peak = 1;
  dm->have_peak = 1;
  dm->last_peak_ms = now_ms;
  if (rel > dm->peak_height_ms) {
    dm->peak_height_ms = rel;
  }
  return 1;
}

/* Adds an interval's highest relative delay to the histogram. */
static void histogram_add(vc__delay_manager *dm, double rel) {
  /* Start-up ramp: 1 - 2/(k+2) until it reaches the steady factor. */
  double forget = 1.0 - 2.0 / (double)(dm->n_updates + 2);
  size_t bucket, i;

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
  dm->jitter_ms = vc__delay_manager_quantile_ms(dm, dm->quantile);
}

void vc__delay_manager_update(vc__delay_manager *dm, uint64_t timestamp,
                              vc_tstamp arrival, uint32_t packet_samples) {
  double now_ms, media_ms, rel;
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
  dm->packet_ms = packet_samples / VC__SAMPLES_PER_MS;
  dm->n_packets++;

  /* The histogram counts intervals, not packets, each by its highest
   * delay (NetEQ's resampling): a hiccup every two seconds that holds up
   * five 10 ms packets is 2.5 % of packets, under the 95th percentile,
   * but a quarter of the intervals. The target is then what is late in
   * no more than 5 % of half seconds, whatever the packet rate. */
  if (!peak_update(dm, rel, now_ms)) {
    if (now_ms - dm->interval_start_ms >= VC__DELAY_INTERVAL_MS) {
      histogram_add(dm, dm->interval_max_ms);
      dm->interval_start_ms = now_ms;
      dm->interval_max_ms = 0;
    }
    if (rel > dm->interval_max_ms) {
      dm->interval_max_ms = rel;
    }
  }

  dm->loss *= LOSS_FILTER;
  target = dm->jitter_ms + dm->packet_ms;
  if (dm->loss > LOSS_FOR_FEC) {
    target += dm->packet_ms;
  }
  /* Until the histogram has seen 50 packets and a half second it knows
   * little: start cautious, like NetEQ, and come down as it learns. */
  if ((dm->n_packets < START_PACKETS || dm->n_updates == 0) &&
      target < START_TARGET_MS) {
    target = START_TARGET_MS;
  }
  dm->peak_cover_ms =
      dm->have_peak
          ? (uint32_t)(dm->peak_height_ms / PEAK_COVER) + dm->packet_ms
          : 0;
  if (target < dm->peak_cover_ms) {
    target = dm->peak_cover_ms;
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
