/*
 * decision_logic.c: what the jitter buffer does when it needs samples
 * (NetEQ's DecisionLogic). In order:
 *   - nothing held: comfort noise while the sender is in DTX, otherwise
 *     expand (conceal) without moving the playout point, i.e. wait;
 *   - the held packet starts later than the playout point: what lies
 *     between is lost. Samples concealed while waiting stand for its
 *     start; the rest is concealed, except that the frame just before
 *     the packet comes from the packet's in-band FEC (even when waiting
 *     has run into it: recovered speech beats concealment, and the extra
 *     delay is accelerated away later);
 *   - the packet is on time: merge after concealment, else compare the
 *     smoothed buffer level with the limits around the target and
 *     accelerate, stretch (preemptive expand) or play it as it is;
 *   - after a wait (a stall: concealment while late packets were on their
 *     way) accelerate until the level is back at the target, not just
 *     inside the limits: the wait added that delay;
 *   - while packets are overdue on a link that stalls, the level measured
 *     at the last arrival is stale: judge by the level the overdue packet
 *     would find now, so what is left is stretched while it drains (NetEQ
 *     measures when it decodes and does the same).
 */
#include "audio_internal.h"

void vc__decision_limits(uint32_t target, uint32_t packet_samples,
                         uint32_t *low, uint32_t *high) {
  /* Above: a band of at least half a packet, so the sawtooth of arriving
   * packets and 10 ms pulls never triggers an acceleration alone. Below:
   * an eighth of the target, at least 2.5 ms (a short pitch period). The
   * level is measured at arrival, where that sawtooth does not show, and
   * what the level loses under the target comes out of the margin for
   * late packets: with a quarter, a sender clock 0.1 % slow let the level
   * sink 10 ms and the late tail of 2 ms jitter was concealed
   * (drift_slow, 6 of 80 seeds over the fixed buffer; none now). */
  uint32_t above = target / 4;
  uint32_t below = target / 8;
  if (above < packet_samples / 2) {
    above = packet_samples / 2;
  }
  if (below < VC__PITCH_MIN) {
    below = VC__PITCH_MIN;
  }
  *low = target > below ? target - below : 0;
  *high = target + above;
}

vc_jitter_op vc__decide(const vc__decision_input *in) {
  uint32_t low, high;
  double level;

  if (!in->have_packet) {
    return in->in_dtx ? VC_JITTER_OP_CNG : VC_JITTER_OP_EXPAND;
  }
  if (in->in_dtx) {
    return VC_JITTER_OP_NORMAL;
  }
  if (in->gap_samples > 0) {
    uint64_t g = in->gap_samples, p = in->packet_samples;
    if (g >= p && g - p <= in->wait_samples) {
      return VC_JITTER_OP_FEC;
    }
    return g <= in->wait_samples ? VC_JITTER_OP_MERGE : VC_JITTER_OP_EXPAND;
  }
  if (in->expanding) {
    return VC_JITTER_OP_MERGE;
  }
  if (!in->time_stretch) {
    return VC_JITTER_OP_NORMAL;
  }
  level = in->filtered_level;
  if (in->starving && in->level_now < level) {
    level = in->level_now;
  }
  vc__decision_limits(in->target, in->packet_samples, &low, &high);
  if (level > (double)high || (in->draining && level > (double)in->target)) {
    return VC_JITTER_OP_ACCELERATE;
  }
  if (level < (double)low) {
    return VC_JITTER_OP_PREEMPTIVE;
  }
  return VC_JITTER_OP_NORMAL;
}
