/*
 * loss_based.c: the loss-based controller (draft-ietf-rmcat-gcc section
 * 6), used as a brake on the delay-based estimate rather than a second
 * estimate: the target is the smaller of the two.
 *
 * Loss is counted over windows of at least 20 packets and 200 ms of
 * feedback (fewer packets make one lost packet look like 5 %). At the end
 * of each window: over 10 % lost, the cap becomes the current target times
 * (1 - loss / 2), at most once per RTT + 300 ms so that one congestion
 * event, reported over several windows, is paid for once; 2-10 %, the cap
 * becomes the current target (hold: random loss of a few percent is what
 * wireless links do, and backing off would not cure it); under 2 %, the
 * cap is lifted and the delay-based controller leads.
 */
#include "rate_internal.h"

#include <string.h>

#define WINDOW_PACKETS 20
#define WINDOW_NS ((vc_tstamp)200 * 1000000)
#define DECREASE_GAP_NS ((vc_tstamp)300 * 1000000)
#define HIGH_PERMILLE 100
#define LOW_PERMILLE 20

void vc__loss_based_init(vc__loss_based *l, uint32_t max_bps) {
  memset(l, 0, sizeof(*l));
  l->cap_bps = max_bps;
}

vc__loss_action vc__loss_based_update(vc__loss_based *l, uint32_t n_received,
                                      uint32_t n_lost, uint32_t target_bps,
                                      uint32_t rtt_us, uint32_t max_bps,
                                      vc_tstamp ts) {
  uint32_t total;
  uint64_t cap;

  if (!l->window_open) {
    l->window_open = 1;
    l->window_start = ts;
  }
  l->n_received += n_received;
  l->n_lost += n_lost;
  total = l->n_received + l->n_lost;
  if (total < WINDOW_PACKETS || ts - l->window_start < WINDOW_NS) {
    return VC__LOSS_NONE;
  }
  l->loss_permille = (uint32_t)((uint64_t)l->n_lost * 1000 / total);
  /* The next window starts now, whether or not reports follow at once. */
  l->n_received = l->n_lost = 0;
  l->window_start = ts;

  if (l->loss_permille > HIGH_PERMILLE) {
    if (l->has_decrease &&
        ts - l->last_decrease < DECREASE_GAP_NS + (vc_tstamp)rtt_us * 1000) {
      if (target_bps < l->cap_bps) {
        l->cap_bps = target_bps;
      }
      return VC__LOSS_HOLD;
    }
    cap = (uint64_t)target_bps * (2000 - l->loss_permille) / 2000;
    l->cap_bps = (uint32_t)cap;
    l->last_decrease = ts;
    l->has_decrease = 1;
    return VC__LOSS_DECREASE;
  }
  if (l->loss_permille >= LOW_PERMILLE) {
    if (target_bps < l->cap_bps) {
      l->cap_bps = target_bps;
    }
    return VC__LOSS_HOLD;
  }
  l->cap_bps = max_bps;
  return VC__LOSS_INCREASE;
}
