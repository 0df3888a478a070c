/*
 * frame_buffer.c: the video frame buffer of video.h (docs/VIDEO.md).
 *
 * Frames are slots kept in an array sorted by unwrapped frame id. After
 * every change the buffer is evaluated in id order: a frame "will decode"
 * when it is complete and a keyframe, or each reference was handed out or
 * will decode; a delta is doomed when a reference can never be handed out
 * (older than the last frame out and not decoded, given up, or doomed).
 * Doomed frames are dropped at once and are a loss; so is a gap (a frame
 * missing or incomplete below a newer one) that no complete keyframe
 * above it mends and that outlives min(reorder_wait, RTT / 2).
 */
#include "video_internal.h"

#include <stdlib.h>
#include <string.h>

#define NS_PER_MS ((uint64_t)1000000)
#define MAX_FRAMES_LIMIT 4096
#define HISTORY 1024 /* frame ids remembered as decoded or given up */
#define TOO_OLD_SPAN ((int64_t)1 << 15)
#define OFF_NONE UINT32_MAX

enum { HIST_NONE = 0, HIST_DECODED = 1, HIST_GIVEN_UP = 2 };

typedef struct slot {
  int used;
  int64_t id;
  uint32_t wire_id;
  int keyframe;
  uint16_t n_packets, n_have;
  size_t n_refs;
  int64_t refs[VC_VIDEO_MAX_REFS];
  uint32_t wire_refs[VC_VIDEO_MAX_REFS];
  uint64_t timestamp_us;
  vc_tstamp first_arrival, completed;
  uint8_t *data; /* packets in arrival order until complete, then joined */
  size_t len, cap;
  uint32_t *off, *plen;    /* per packet index: where in |data|, how long */
  int will_decode, doomed; /* evaluation scratch */
} slot;

typedef struct hist_entry {
  int64_t id;
  uint8_t state;
} hist_entry;

struct vc_video_fb {
  vc_video_fb_settings s;
  slot *slots;
  uint16_t *order; /* indexes in |slots| of held frames, sorted by id */
  size_t n_held;
  size_t bytes_held;
  int have_highest;
  int64_t highest;
  int has_out;
  int64_t last_out;
  hist_entry hist[HISTORY];
  uint8_t *handed; /* the payload last handed out, freed on the next call */
  int blocked;     /* a gap stops decoding */
  vc_tstamp blocked_since; /* when the gap was first visible */
  vc_tstamp next_due;      /* earliest render time of a decodable frame */
  vc__video_timing timing;
  vc__video_kfreq kfreq;
  vc_video_stats st;
};

void vc_video_fb_settings_default(vc_video_fb_settings *s) {
  memset(s, 0, sizeof(*s));
  s->max_frames = 64;
  s->max_bytes = (size_t)4 * 1024 * 1024;
  s->max_packets = 1024;
  s->max_render_delay_ms = 300;
  s->reorder_wait_ms = 20;
  s->keyframe_backoff_min_ms = 100;
  s->keyframe_backoff_max_ms = 2000;
  s->rtt_ms = 100;
  s->latest_frame_wins = 1;
}

int vc_video_fb_new(vc_video_fb **pfb, const vc_video_fb_settings *settings) {
  vc_video_fb_settings def;
  vc_video_fb *fb;

  *pfb = NULL;
  if (!settings) {
    vc_video_fb_settings_default(&def);
    settings = &def;
  }
  if (settings->max_frames == 0 || settings->max_frames > MAX_FRAMES_LIMIT ||
      settings->max_bytes == 0 || settings->max_bytes > UINT32_MAX ||
      settings->max_packets == 0 ||
      settings->keyframe_backoff_min_ms > settings->keyframe_backoff_max_ms) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  fb = calloc(1, sizeof(*fb));
  if (!fb) {
    goto fail_fb;
  }
  fb->s = *settings;
  fb->slots = calloc(settings->max_frames, sizeof(*fb->slots));
  if (!fb->slots) {
    goto fail_slots;
  }
  fb->order = calloc(settings->max_frames, sizeof(*fb->order));
  if (!fb->order) {
    goto fail_order;
  }
  vc__video_timing_init(&fb->timing, settings->max_render_delay_ms);
  vc__video_kfreq_init(&fb->kfreq, settings->keyframe_backoff_min_ms,
                       settings->keyframe_backoff_max_ms, settings->rtt_ms);
  fb->next_due = UINT64_MAX;
  *pfb = fb;
  return 0;

fail_order:
  free(fb->slots);
fail_slots:
  free(fb);
fail_fb:
  return VC_ERR_NOMEM;
}

static void slot_free(vc_video_fb *fb, slot *sl) {
  fb->bytes_held -= sl->len;
  free(sl->data);
  free(sl->off);
  free(sl->plen);
  memset(sl, 0, sizeof(*sl));
}

void vc_video_fb_del(vc_video_fb *fb) {
  size_t i;

  if (!fb) {
    return;
  }
  for (i = 0; i < fb->s.max_frames; i++) {
    if (fb->slots[i].used) {
      slot_free(fb, &fb->slots[i]);
    }
  }
  free(fb->handed);
  free(fb->order);
  free(fb->slots);
  free(fb);
}

void vc_video_fb_restart(vc_video_fb *fb) {
  size_t i;

  for (i = 0; i < fb->s.max_frames; i++) {
    if (fb->slots[i].used) {
      slot_free(fb, &fb->slots[i]);
    }
  }
  fb->n_held = 0;
  fb->have_highest = 0;
  fb->has_out = 0;
  memset(fb->hist, 0, sizeof(fb->hist));
  fb->blocked = 0;
  fb->blocked_since = 0;
  fb->next_due = UINT64_MAX;
}

void vc_video_fb_set_rtt(vc_video_fb *fb, uint32_t rtt_us) {
  vc__video_kfreq_set_rtt(&fb->kfreq, rtt_us);
}

static uint8_t hist_get(const vc_video_fb *fb, int64_t id) {
  const hist_entry *e = &fb->hist[(uint64_t)id % HISTORY];
  return e->id == id ? e->state : HIST_NONE;
}

static void hist_set(vc_video_fb *fb, int64_t id, uint8_t state) {
  hist_entry *e = &fb->hist[(uint64_t)id % HISTORY];
  e->id = id;
  e->state = state;
}

/* The |i|th held frame in id order. */
static slot *held(const vc_video_fb *fb, size_t i) {
  return &fb->slots[fb->order[i]];
}

/* The index in |order| of the first held frame with id >= |id|. */
static size_t lower_bound(const vc_video_fb *fb, int64_t id) {
  size_t lo = 0, hi = fb->n_held;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (held(fb, mid)->id < id) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

static slot *find(const vc_video_fb *fb, int64_t id) {
  size_t i = lower_bound(fb, id);
  return i < fb->n_held && held(fb, i)->id == id ? held(fb, i) : NULL;
}

static int complete(const slot *sl) {
  return sl->n_have == sl->n_packets;
}

/* Frees the held frame at |order[i]| and closes the hole. */
static void remove_at(vc_video_fb *fb, size_t i) {
  slot_free(fb, held(fb, i));
  memmove(&fb->order[i], &fb->order[i + 1],
          (fb->n_held - i - 1) * sizeof(*fb->order));
  fb->n_held--;
}

/* Removes the held frame at |order[i]| without handing it out: counted as
 * dropped when it was complete, as incomplete otherwise. */
static void give_up(vc_video_fb *fb, size_t i) {
  slot *sl = held(fb, i);

  if (complete(sl)) {
    fb->st.frames_dropped++;
  } else {
    fb->st.frames_incomplete++;
  }
  hist_set(fb, sl->id, HIST_GIVEN_UP);
  remove_at(fb, i);
}

/* Marks will_decode and doomed on every held frame, in id order. */
static void mark(vc_video_fb *fb) {
  size_t i, r;

  for (i = 0; i < fb->n_held; i++) {
    slot *sl = held(fb, i);
    int refs_ok = 1, doomed = 0;

    for (r = 0; !sl->keyframe && r < sl->n_refs; r++) {
      int64_t ref = sl->refs[r];
      uint8_t h = hist_get(fb, ref);
      const slot *rs;

      if (h == HIST_DECODED) {
        continue;
      }
      /* Refs are older, so |rs| was marked already. With nothing handed
       * out yet a reference may still come; it counts only when held. */
      rs = find(fb, ref);
      if (h == HIST_GIVEN_UP || (fb->has_out && ref <= fb->last_out) ||
          (rs && rs->doomed)) {
        doomed = 1;
      }
      if (!rs || !rs->will_decode) {
        refs_ok = 0;
      }
    }
    sl->doomed = doomed;
    sl->will_decode = complete(sl) && refs_ok && !doomed;
  }
}

/* Whether every reference of |sl| was handed out already. */
static int ready(const vc_video_fb *fb, const slot *sl) {
  size_t r;

  if (!complete(sl)) {
    return 0;
  }
  if (sl->keyframe) {
    return 1;
  }
  if (!fb->has_out) {
    return 0;
  }
  for (r = 0; r < sl->n_refs; r++) {
    if (hist_get(fb, sl->refs[r]) != HIST_DECODED) {
      return 0;
    }
  }
  return 1;
}

/* How long a gap may be reordering before it is a loss: the reorder wait,
 * or the render delay when jitter is larger (a packet that late is still
 * in time), but never over half an RTT so the request goes out within
 * one RTT of the gap. */
static uint64_t grace_ns(const vc_video_fb *fb) {
  uint64_t wait = (uint64_t)fb->s.reorder_wait_ms * NS_PER_MS;
  uint64_t jitter = (uint64_t)fb->timing.target_us * 1000;
  uint64_t half_rtt = fb->kfreq.rtt_ns / 2;

  if (jitter > wait) {
    wait = jitter;
  }
  return wait < half_rtt ? wait : half_rtt;
}

/* The first frame id at or above the decode point that is missing or
 * incomplete while a newer frame was seen, or INT64_MAX. */
static int64_t first_gap(const vc_video_fb *fb) {
  int64_t expect;
  size_t i;

  if (fb->n_held == 0) {
    return INT64_MAX;
  }
  if (fb->has_out) {
    expect = fb->last_out + 1;
  } else {
    expect = held(fb, 0)->id;
    if (!held(fb, 0)->keyframe) {
      return expect - 1; /* its references were never seen */
    }
  }
  for (i = 0; i < fb->n_held; i++) {
    const slot *sl = held(fb, i);
    if (sl->id > expect) {
      return expect;
    }
    if (!complete(sl) && sl->id < fb->highest) {
      return sl->id;
    }
    expect = sl->id + 1;
  }
  return INT64_MAX;
}

/* When |gap| became visible: the first packet of a frame above it. */
static vc_tstamp gap_seen(const vc_video_fb *fb, int64_t gap) {
  vc_tstamp at = UINT64_MAX;
  size_t i;

  for (i = lower_bound(fb, gap + 1); i < fb->n_held; i++) {
    if (held(fb, i)->first_arrival < at) {
      at = held(fb, i)->first_arrival;
    }
  }
  return at;
}

/* Whether frames above |gap| show that it blocks decoding. */
static int gap_blocks(const vc_video_fb *fb, int64_t gap) {
  size_t i;
  int any_complete = 0, all_decode = 1;

  for (i = lower_bound(fb, gap); i < fb->n_held; i++) {
    const slot *sl = held(fb, i);
    if (sl->id <= gap || !complete(sl)) {
      continue;
    }
    if (sl->keyframe) {
      return 0; /* a complete keyframe mends it */
    }
    any_complete = 1;
    all_decode = all_decode && sl->will_decode;
  }
  /* Nothing complete above yet: assume the worst (a simple codec's next
   * frame always needs the one before). */
  return !any_complete || !all_decode;
}

static void evaluate(vc_video_fb *fb, vc_tstamp ts) {
  size_t i;
  int64_t gap;
  int lost = 0;

  mark(fb);
  for (i = 0; i < fb->n_held;) {
    if (held(fb, i)->doomed) {
      give_up(fb, i);
      lost = 1;
    } else {
      i++;
    }
  }
  if (lost) {
    mark(fb);
  }
  gap = first_gap(fb);
  fb->blocked = 0;
  if (gap != INT64_MAX && gap_blocks(fb, gap)) {
    /* Timed from when the gap became visible, not from now: a keyframe
     * handed out meanwhile must not delay the request for a gap above
     * it. */
    fb->blocked = 1;
    fb->blocked_since = gap_seen(fb, gap);
    if (fb->blocked_since != UINT64_MAX &&
        ts >= fb->blocked_since + grace_ns(fb)) {
      lost = 1;
    }
  }
  if (lost) {
    vc__video_kfreq_on_loss(&fb->kfreq, ts);
  }
  fb->next_due = UINT64_MAX;
  for (i = 0; i < fb->n_held; i++) {
    const slot *sl = held(fb, i);
    if (ready(fb, sl)) {
      vc_tstamp at = vc__video_timing_render_time(&fb->timing, sl->timestamp_us,
                                                  sl->completed);
      if (at < fb->next_due) {
        fb->next_due = at;
      }
    }
  }
}

static int64_t unwrap(const vc_video_fb *fb, uint32_t wire_id) {
  if (!fb->have_highest) {
    return (int64_t)wire_id + ((int64_t)1 << 32);
  }
  return fb->highest + (int32_t)(wire_id - (uint32_t)fb->highest);
}

static int refuse(vc_video_fb *fb, int rv) {
  fb->st.packets_invalid++;
  return rv;
}

/* Frees room for one more frame (|need_slot|) and |need_bytes| by giving
 * up frames that will not decode, oldest first, sparing |keep|; gives up
 * nothing unless that is enough. */
static int make_room(vc_video_fb *fb, int need_slot, size_t need_bytes,
                     const slot *keep) {
  size_t i, free_bytes = fb->s.max_bytes - fb->bytes_held, n_free = 0;
  int free_slot = fb->n_held < fb->s.max_frames;

  if ((!need_slot || free_slot) && need_bytes <= free_bytes) {
    return 0;
  }
  for (i = 0; i < fb->n_held; i++) {
    const slot *sl = held(fb, i);
    if (sl != keep && !sl->will_decode) {
      free_bytes += sl->len;
      n_free++;
    }
  }
  if (need_bytes > free_bytes || (need_slot && !free_slot && n_free == 0)) {
    return VC_ERR_QUEUE_FULL;
  }
  free_bytes = fb->s.max_bytes - fb->bytes_held;
  for (i = 0; i < fb->n_held;) {
    const slot *sl = held(fb, i);
    if ((!need_slot || fb->n_held < fb->s.max_frames) &&
        need_bytes <= free_bytes) {
      break;
    }
    if (sl != keep && !sl->will_decode) {
      free_bytes += sl->len;
      give_up(fb, i);
    } else {
      i++;
    }
  }
  return 0;
}

static slot *new_slot(vc_video_fb *fb, int64_t id, const vc_video_packet *pkt,
                      const int64_t *refs, vc_tstamp ts) {
  size_t i, at;
  slot *sl = NULL;

  for (i = 0; i < fb->s.max_frames; i++) {
    if (!fb->slots[i].used) {
      sl = &fb->slots[i];
      break;
    }
  }
  if (!sl) {
    return NULL;
  }
  sl->off = malloc(pkt->packet_count * sizeof(*sl->off));
  sl->plen = malloc(pkt->packet_count * sizeof(*sl->plen));
  if (!sl->off || !sl->plen) {
    free(sl->off);
    free(sl->plen);
    sl->off = sl->plen = NULL;
    return NULL;
  }
  for (i = 0; i < pkt->packet_count; i++) {
    sl->off[i] = OFF_NONE;
  }
  sl->used = 1;
  sl->id = id;
  sl->wire_id = pkt->frame_id;
  sl->keyframe = pkt->keyframe != 0;
  sl->n_packets = pkt->packet_count;
  sl->n_refs = sl->keyframe ? 0 : pkt->n_refs;
  for (i = 0; i < sl->n_refs; i++) {
    sl->refs[i] = refs[i];
    sl->wire_refs[i] = pkt->refs[i];
  }
  sl->timestamp_us = pkt->timestamp_us;
  sl->first_arrival = ts;
  at = lower_bound(fb, id);
  memmove(&fb->order[at + 1], &fb->order[at],
          (fb->n_held - at) * sizeof(*fb->order));
  fb->order[at] = (uint16_t)(sl - fb->slots);
  fb->n_held++;
  return sl;
}

/* Joins the packets of a complete frame in index order. */
static int join(slot *sl) {
  uint8_t *joined;
  size_t i, pos = 0;

  if (sl->n_packets == 1) {
    return 0;
  }
  joined = malloc(sl->len ? sl->len : 1);
  if (!joined) {
    return VC_ERR_NOMEM;
  }
  for (i = 0; i < sl->n_packets; i++) {
    if (sl->plen[i] > 0) {
      memcpy(joined + pos, sl->data + sl->off[i], sl->plen[i]);
    }
    sl->off[i] = (uint32_t)pos;
    pos += sl->plen[i];
  }
  free(sl->data);
  sl->data = joined;
  sl->cap = sl->len ? sl->len : 1;
  return 0;
}

static int append(vc_video_fb *fb, slot *sl, const vc_video_packet *pkt) {
  if (sl->len + pkt->len > sl->cap) {
    size_t cap = sl->cap ? sl->cap : 1;
    uint8_t *p;
    while (cap < sl->len + pkt->len) {
      cap *= 2;
    }
    if (cap > fb->s.max_bytes) {
      cap = fb->s.max_bytes; /* >= sl->len + pkt->len > 0 */
    }
    if (cap == 0) {
      return VC_ERR_NOMEM;
    }
    p = realloc(sl->data, cap);
    if (!p) {
      return VC_ERR_NOMEM;
    }
    sl->data = p;
    sl->cap = cap;
  }
  if (pkt->len > 0) {
    memcpy(sl->data + sl->len, pkt->data, pkt->len);
  }
  sl->off[pkt->packet_index] = (uint32_t)sl->len;
  sl->plen[pkt->packet_index] = (uint32_t)pkt->len;
  sl->len += pkt->len;
  sl->n_have++;
  fb->bytes_held += pkt->len;
  return 0;
}

/* Takes back the packet append() just added (it is the last bytes). */
static void unappend(vc_video_fb *fb, slot *sl, const vc_video_packet *pkt) {
  sl->off[pkt->packet_index] = OFF_NONE;
  sl->len -= pkt->len;
  sl->n_have--;
  fb->bytes_held -= pkt->len;
}

int vc_video_fb_insert(vc_video_fb *fb, const vc_video_packet *pkt,
                       vc_tstamp ts) {
  int64_t id, refs[VC_VIDEO_MAX_REFS];
  size_t r;
  slot *sl;
  int rv;

  if (pkt->packet_count == 0 || pkt->packet_count > fb->s.max_packets ||
      pkt->packet_index >= pkt->packet_count ||
      pkt->n_refs > VC_VIDEO_MAX_REFS || (!pkt->keyframe && !pkt->n_refs) ||
      (pkt->len > 0 && !pkt->data) ||
      (pkt->keyframe != 0 && pkt->keyframe != 1)) {
    return refuse(fb, VC_ERR_INVALID_ARGUMENT);
  }
  if (pkt->len > fb->s.max_bytes) {
    return refuse(fb, VC_ERR_TOO_BIG);
  }
  id = unwrap(fb, pkt->frame_id);
  for (r = 0; !pkt->keyframe && r < pkt->n_refs; r++) {
    refs[r] = id + (int32_t)(pkt->refs[r] - pkt->frame_id);
    if (refs[r] >= id) {
      return refuse(fb, VC_ERR_INVALID_ARGUMENT);
    }
  }
  sl = find(fb, id);
  if (sl) {
    if (sl->n_packets != pkt->packet_count ||
        sl->keyframe != (pkt->keyframe != 0) ||
        sl->timestamp_us != pkt->timestamp_us) {
      return refuse(fb, VC_ERR_INVALID_ARGUMENT);
    }
    if (sl->off[pkt->packet_index] != OFF_NONE) {
      fb->st.packets_duplicate++;
      return VC_ERR_STATE;
    }
    if (sl->len + pkt->len > fb->s.max_bytes) {
      return refuse(fb, VC_ERR_TOO_BIG);
    }
  } else if ((fb->has_out && id <= fb->last_out) ||
             hist_get(fb, id) != HIST_NONE ||
             (fb->have_highest && id < fb->highest - TOO_OLD_SPAN)) {
    fb->st.packets_too_old++;
    return VC_ERR_STATE;
  }
  mark(fb);
  rv = make_room(fb, sl == NULL, pkt->len, sl);
  if (rv != 0) {
    fb->st.packets_refused++;
    return rv;
  }
  if (!sl) {
    sl = new_slot(fb, id, pkt, refs, ts);
    if (!sl) {
      return VC_ERR_NOMEM;
    }
  }
  rv = append(fb, sl, pkt);
  if (rv == 0 && complete(sl)) {
    rv = join(sl);
    if (rv != 0) {
      unappend(fb, sl, pkt);
    }
  }
  if (rv != 0) {
    if (sl->n_have == 0) {
      remove_at(fb, lower_bound(fb, id));
    }
    return rv;
  }
  if (!fb->have_highest || id > fb->highest) {
    fb->have_highest = 1;
    fb->highest = id;
  }
  if (complete(sl)) {
    sl->completed = ts;
    fb->st.frames_received++;
    vc__video_timing_on_complete(&fb->timing, sl->timestamp_us, ts);
  }
  evaluate(fb, ts);
  return 0;
}

/* Picks the frame to hand out at |ts|: its index in |order|, or -1. */
static long pick(const vc_video_fb *fb, vc_tstamp ts) {
  size_t i;
  long first = -1, newest_key = -1;

  for (i = 0; i < fb->n_held; i++) {
    const slot *sl = held(fb, i);
    vc_tstamp at;
    if (!ready(fb, sl)) {
      continue;
    }
    at = vc__video_timing_render_time(&fb->timing, sl->timestamp_us,
                                      sl->completed);
    if (first < 0) {
      if (at > ts) {
        return -1; /* the oldest decodable frame is not due */
      }
      first = (long)i;
    }
    if (at > ts || !fb->s.latest_frame_wins) {
      break;
    }
    if (sl->keyframe) {
      newest_key = (long)i;
    }
  }
  return newest_key >= 0 ? newest_key : first;
}

/* Hands out |order[i]|, giving up every older frame. */
static slot *hand_out(vc_video_fb *fb, size_t i, vc_tstamp ts) {
  slot *sl;

  while (i > 0) {
    give_up(fb, 0);
    i--;
  }
  sl = held(fb, 0);
  fb->has_out = 1;
  fb->last_out = sl->id;
  hist_set(fb, sl->id, HIST_DECODED);
  fb->st.frames_decoded++;
  fb->st.jitter_buffer_emitted_count++;
  fb->st.jitter_buffer_delay_s += (double)(ts - sl->first_arrival) / 1e9;
  fb->st.jitter_buffer_target_delay_s += (double)fb->timing.target_us / 1e6;
  if (sl->keyframe) {
    fb->st.key_frames_decoded++;
    vc__video_kfreq_on_keyframe_out(&fb->kfreq);
  }
  vc__video_timing_on_output(&fb->timing, ts);
  return sl;
}

static void fill(vc_video_frame *out, const slot *sl, const uint8_t *data) {
  size_t r;

  memset(out, 0, sizeof(*out));
  out->frame_id = sl->wire_id;
  out->keyframe = sl->keyframe;
  out->n_refs = sl->n_refs;
  for (r = 0; r < sl->n_refs; r++) {
    out->refs[r] = sl->wire_refs[r];
  }
  out->timestamp_us = sl->timestamp_us;
  out->data = data;
  out->len = sl->len;
}

int vc_video_fb_next_frame(vc_video_fb *fb, vc_tstamp ts, vc_video_frame *out) {
  long i;
  slot *sl;

  free(fb->handed);
  fb->handed = NULL;
  memset(out, 0, sizeof(*out));
  evaluate(fb, ts);
  i = pick(fb, ts);
  if (i < 0) {
    return 0;
  }
  sl = hand_out(fb, (size_t)i, ts);
  fill(out, sl, sl->data);
  /* The payload outlives the slot until the next call. */
  fb->handed = sl->data;
  fb->bytes_held -= sl->len;
  sl->data = NULL;
  sl->len = 0;
  remove_at(fb, 0);
  evaluate(fb, ts);
  return 1;
}

vc_ssize vc_video_fb_next_frame_write(vc_video_fb *fb, uint8_t *dest,
                                      size_t destlen, vc_tstamp ts,
                                      vc_video_frame *out) {
  long i;
  slot *sl;
  size_t len;

  free(fb->handed);
  fb->handed = NULL;
  memset(out, 0, sizeof(*out));
  evaluate(fb, ts);
  i = pick(fb, ts);
  if (i < 0) {
    return 0;
  }
  if (held(fb, i)->len > destlen) {
    return VC_ERR_NOBUF;
  }
  sl = hand_out(fb, (size_t)i, ts);
  len = sl->len;
  if (len > 0) {
    memcpy(dest, sl->data, len);
  }
  fill(out, sl, dest);
  remove_at(fb, 0);
  evaluate(fb, ts);
  return (vc_ssize)len;
}

vc_tstamp vc_video_fb_get_expiry(const vc_video_fb *fb) {
  vc_tstamp at = vc__video_kfreq_expiry(&fb->kfreq);

  if (fb->blocked && !fb->kfreq.wanted && fb->blocked_since != UINT64_MAX) {
    vc_tstamp lose = fb->blocked_since + grace_ns(fb);
    if (lose < at) {
      at = lose;
    }
  }
  return fb->next_due < at ? fb->next_due : at;
}

void vc_video_fb_handle_expiry(vc_video_fb *fb, vc_tstamp ts) {
  evaluate(fb, ts);
}

int vc_video_fb_take_keyframe_request(vc_video_fb *fb, vc_tstamp ts) {
  return vc__video_kfreq_take(&fb->kfreq, ts);
}

void vc_video_fb_get_stats(const vc_video_fb *fb, vc_video_stats *out) {
  *out = fb->st;
  out->freeze_count = fb->timing.freeze_count;
  out->total_freezes_duration_s = (double)fb->timing.freeze_ns / 1e9;
  out->pli_count = fb->kfreq.n_sent;
  out->bytes_held = fb->bytes_held;
  out->frames_held = fb->n_held;
  out->target_delay_us = fb->timing.target_us;
  out->waiting_for_keyframe = fb->kfreq.wanted;
}
