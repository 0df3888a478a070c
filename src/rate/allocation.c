/*
 * allocation.c: how the target is spent (vc_rate_allocation).
 *
 * Audio first, because a call survives bad video but not bad audio: Opus
 * gets its minimum, then the lowest video layer gets up to its nominal
 * (a person who cannot be seen at all is worse off than one heard at
 * 32 kbps instead of 64), then audio grows to its maximum, and video
 * takes the rest.
 *
 * A simulcast layer is sent only while the video budget covers its
 * nominal plus all lower layers'; the lowest is always sent when video is
 * on, below its nominal if need be. Layers are dropped at once (sending a
 * layer the path cannot carry fills the queue within a second) but added
 * only after the budget has exceeded the cumulative nominal by a margin
 * for a hold time, one layer per hold: a receiver switching layers sees a
 * key frame and a change of resolution, and the AIMD sawtooth near a
 * layer boundary must not make it do so every few seconds.
 */
#include "rate_internal.h"

#include <string.h>

void vc__rate_split(const vc_rate_settings *s, uint32_t target_bps,
                    uint32_t *audio_bps, uint32_t *video_bps) {
  uint32_t rem = target_bps, a = 0, v0, extra;

  if (!s->video_enabled) {
    *audio_bps =
        s->audio_enabled
            ? (target_bps < s->audio_max_bps ? target_bps : s->audio_max_bps)
            : 0;
    *video_bps = 0;
    return;
  }
  if (s->audio_enabled) {
    a = rem < s->audio_min_bps ? rem : s->audio_min_bps;
    rem -= a;
  }
  v0 = rem < s->layer_bps[0] ? rem : s->layer_bps[0];
  rem -= v0;
  if (s->audio_enabled) {
    extra = s->audio_max_bps - s->audio_min_bps;
    extra = rem < extra ? rem : extra;
    a += extra;
    rem -= extra;
  }
  *audio_bps = a;
  *video_bps = v0 + rem;
}

static uint64_t nominal_sum(const vc_rate_settings *s, size_t k) {
  uint64_t sum = 0;
  size_t i;

  for (i = 0; i < k; i++) {
    sum += s->layer_bps[i];
  }
  return sum;
}

static uint64_t with_margin(const vc_rate_settings *s, size_t k) {
  return nominal_sum(s, k) * (100 + s->layer_up_margin_pct) / 100;
}

void vc__layers_init(vc__layers *l, const vc_rate_settings *s,
                     uint32_t target_bps) {
  uint32_t audio, video;

  memset(l, 0, sizeof(*l));
  if (!s->video_enabled) {
    return;
  }
  vc__rate_split(s, target_bps, &audio, &video);
  l->n_on = 1;
  while (l->n_on < s->n_layers && nominal_sum(s, l->n_on + 1) <= video) {
    l->n_on++;
  }
}

void vc__layers_update(vc__layers *l, const vc_rate_settings *s,
                       uint32_t target_bps, vc_tstamp ts) {
  uint32_t audio, video;

  if (!s->video_enabled) {
    l->n_on = 0;
    return;
  }
  vc__rate_split(s, target_bps, &audio, &video);
  if (l->n_on < 1) {
    l->n_on = 1;
  }
  while (l->n_on > 1 && nominal_sum(s, l->n_on) > video) {
    l->n_on--;
    l->up_pending = 0;
  }
  if (l->n_on >= s->n_layers || video < with_margin(s, l->n_on + 1)) {
    l->up_pending = 0;
    return;
  }
  if (!l->up_pending) {
    l->up_pending = 1;
    l->up_since = ts;
    return;
  }
  if (ts - l->up_since >= (vc_tstamp)s->layer_up_hold_ms * 1000000) {
    l->n_on++;
    l->up_since = ts; /* the next layer waits its own hold time */
  }
}

void vc__rate_fill_alloc(const vc_rate_settings *s, const vc__layers *l,
                         uint32_t target_bps, vc_rate_alloc *out) {
  uint32_t left;
  size_t i;

  memset(out, 0, sizeof(*out));
  vc__rate_split(s, target_bps, &out->audio_bps, &out->video_bps);
  out->n_layers = l->n_on;
  left = out->video_bps;
  for (i = 0; i < l->n_on; i++) {
    if (i + 1 == l->n_on) {
      out->layer_bps[i] = left; /* the top layer takes what is left */
    } else {
      out->layer_bps[i] = left < s->layer_bps[i] ? left : s->layer_bps[i];
      left -= out->layer_bps[i];
    }
  }
}
