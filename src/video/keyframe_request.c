/*
 * keyframe_request.c: when to send a keyframe request (a PLI, RFC 4585
 * 6.3.1) for one video stream. A request is due as soon as the frame
 * buffer declares a loss it cannot repair; while no keyframe is handed to
 * the decoder it is repeated, first after max(RTT, min) (an answer cannot
 * come sooner), then doubling up to max, so a lost request or a lost
 * keyframe costs little while a sender that cannot answer is not flooded.
 */
#include "video_internal.h"

#define NS_PER_MS ((uint64_t)1000000)

static uint64_t first_backoff(const vc__video_kfreq *k) {
  return k->rtt_ns > k->min_ns ? k->rtt_ns : k->min_ns;
}

void vc__video_kfreq_init(vc__video_kfreq *k, uint32_t min_ms, uint32_t max_ms,
                          uint32_t rtt_ms) {
  k->wanted = 0;
  k->due = 0;
  k->min_ns = min_ms * NS_PER_MS;
  k->max_ns = max_ms * NS_PER_MS;
  k->rtt_ns = rtt_ms * NS_PER_MS;
  k->backoff_ns = first_backoff(k);
  k->sent_any = 0;
  k->last_sent = 0;
  k->n_sent = 0;
}

void vc__video_kfreq_set_rtt(vc__video_kfreq *k, uint32_t rtt_us) {
  k->rtt_ns = (uint64_t)rtt_us * 1000;
}

void vc__video_kfreq_on_loss(vc__video_kfreq *k, vc_tstamp ts) {
  if (k->wanted) {
    return;
  }
  k->wanted = 1;
  k->due = ts;
  k->backoff_ns = first_backoff(k);
  if (k->backoff_ns > k->max_ns) {
    k->backoff_ns = k->max_ns;
  }
}

void vc__video_kfreq_on_keyframe_out(vc__video_kfreq *k) {
  k->wanted = 0;
}

int vc__video_kfreq_take(vc__video_kfreq *k, vc_tstamp ts) {
  if (!k->wanted || ts < k->due) {
    return 0;
  }
  k->sent_any = 1;
  k->last_sent = ts;
  k->n_sent++;
  k->due = ts + k->backoff_ns;
  k->backoff_ns *= 2;
  if (k->backoff_ns > k->max_ns) {
    k->backoff_ns = k->max_ns;
  }
  return 1;
}

vc_tstamp vc__video_kfreq_expiry(const vc__video_kfreq *k) {
  return k->wanted ? k->due : UINT64_MAX;
}
