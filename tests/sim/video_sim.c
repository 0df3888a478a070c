/*
 * video_sim.c: one video stream through the frame buffer (src/video/)
 * over a netem path, on a fake clock in 1 ms steps (docs/VIDEO.md).
 *
 *   vc_video_sim <profile> [seed]
 *
 * The sender makes 30 frames a second for 60 s: a keyframe first and then
 * only when asked, deltas of about 4 KB, keyframes of about 30 KB, split
 * into packets of at most 1200 bytes. Keyframe requests travel back over
 * a second path of the same profile. Checks, each a FAIL line and exit 1:
 * the decoder never gets a delta before its references, or a frame whose
 * bytes differ from what was sent; after every loss the first request
 * goes out within one RTT of the gap becoming visible (the first packet
 * of a later frame) and repeats while unanswered, the first repeat after
 * max(RTT, 100 ms) and each next one after double the last gap, at most
 * 2 s; the video recovers after the last loss of the 60 s (frames keep
 * coming for a 20 s tail that only this check looks at); the counters add
 * up. The figures printed are those at 60 s. Same profile and seed, same
 * output. VC_VIDEO_SIM_TRACE=1 prints every keyframe event.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vc/video.h>

#include "netem.h"

#define MS NETEM_MS
#define FPS 30
#define SECONDS 60
#define TAIL_SECONDS 20 /* more frames, only to see the last loss mended */
#define N_MAIN (FPS * SECONDS)
#define N_FRAMES (FPS * (SECONDS + TAIL_SECONDS))
#define MAIN_NS ((uint64_t)SECONDS * 1000 * MS)
#define END_NS ((uint64_t)(SECONDS + TAIL_SECONDS) * 1000 * MS)
#define MTU 1200
#define OVERHEAD 40 /* envelope, UDP/QUIC and IP headers */
#define MAX_EVENTS 65536
#define MAX_REQUESTS 4096
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000

typedef struct event {
  uint64_t at;
  uint64_t order;
  int is_request;
  uint32_t frame, index;
} event;

typedef struct frame_rec {
  int key;
  size_t size;
  uint16_t n_packets, n_arrived;
  int lost_any;
  uint64_t send_ns;
  uint64_t first_arrival; /* UINT64_MAX: none arrived */
  uint64_t complete_at;   /* UINT64_MAX: never complete */
  int decoded;
} frame_rec;

static event heap[MAX_EVENTS];
static size_t n_heap;
static uint64_t n_order;
static frame_rec frames[N_FRAMES];
static uint64_t requests[MAX_REQUESTS];
static size_t n_requests;
static uint64_t kf_out[N_FRAMES]; /* keyframe hand-out times */
static uint32_t kf_out_id[N_FRAMES];
static size_t n_kf_out;
static int failures;
static int trace; /* VC_VIDEO_SIM_TRACE=1: one line per keyframe event */

#define FAIL(...)                                                              \
  do {                                                                         \
    printf("FAIL ");                                                           \
    printf(__VA_ARGS__);                                                       \
    printf("\n");                                                              \
    failures++;                                                                \
  } while (0)

static int before(const event *a, const event *b) {
  return a->at < b->at || (a->at == b->at && a->order < b->order);
}

static int push(event e) {
  size_t i;

  if (n_heap == MAX_EVENTS) {
    return -1;
  }
  e.order = n_order++;
  i = n_heap++;
  while (i > 0 && before(&e, &heap[(i - 1) / 2])) {
    heap[i] = heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  heap[i] = e;
  return 0;
}

static event pop(void) {
  event top = heap[0], last = heap[--n_heap];
  size_t i = 0;

  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n_heap) {
      break;
    }
    if (c + 1 < n_heap && before(&heap[c + 1], &heap[c])) {
      c++;
    }
    if (!before(&heap[c], &last)) {
      break;
    }
    heap[i] = heap[c];
    i = c;
  }
  heap[i] = last;
  return top;
}

static uint8_t byte_of(uint32_t frame, size_t off) {
  return (uint8_t)(frame * 131 + off * 7 + 3);
}

/* splitmix64 for frame sizes, separate from the paths' generators. */
static uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static void send_frame(netem *fwd, uint32_t id, int key, uint64_t now,
                       uint64_t *rng) {
  frame_rec *f = &frames[id];
  size_t base = key ? 30000 : 4000, k;
  uint64_t arrival;

  f->key = key;
  f->size = base - base / 4 + (size_t)(rng_next(rng) % (base / 2 + 1));
  f->n_packets = (uint16_t)((f->size + MTU - 1) / MTU);
  f->send_ns = now;
  f->first_arrival = UINT64_MAX;
  f->complete_at = UINT64_MAX;
  for (k = 0; k < f->n_packets; k++) {
    size_t len = k + 1 < f->n_packets ? MTU : f->size - k * MTU;
    if (netem_send(fwd, now, len + OVERHEAD, &arrival)) {
      event e = {arrival, 0, 0, id, (uint32_t)k};
      if (push(e) != 0) {
        FAIL("event heap full");
        return;
      }
    } else {
      f->lost_any++;
    }
  }
  if (trace && key) {
    printf("%9.3f send keyframe %u: %d of %u packets lost\n", (double)now / 1e9,
           id, f->lost_any, f->n_packets);
  }
}

static void deliver(vc_video_fb *fb, const event *e, uint64_t now,
                    uint64_t sender_ts_us) {
  static uint8_t buf[MTU];
  frame_rec *f = &frames[e->frame];
  vc_video_packet p;
  size_t off = (size_t)e->index * MTU, i;
  int rv;

  memset(&p, 0, sizeof(p));
  p.frame_id = e->frame;
  p.packet_index = (uint16_t)e->index;
  p.packet_count = f->n_packets;
  p.keyframe = f->key;
  p.refs[0] = e->frame - 1;
  p.n_refs = f->key ? 0 : 1;
  p.timestamp_us = sender_ts_us;
  p.len = e->index + 1u < f->n_packets ? MTU : f->size - off;
  for (i = 0; i < p.len; i++) {
    buf[i] = byte_of(e->frame, off + i);
  }
  p.data = buf;
  if (f->first_arrival == UINT64_MAX) {
    f->first_arrival = now;
  }
  if (++f->n_arrived == f->n_packets) {
    f->complete_at = now;
    if (trace && f->key) {
      printf("%9.3f keyframe %u complete\n", (double)now / 1e9, e->frame);
    }
  }
  rv = vc_video_fb_insert(fb, &p, now);
  if (rv != 0 && rv != VC_ERR_STATE && rv != VC_ERR_QUEUE_FULL) {
    FAIL("insert of frame %u packet %u: %s", e->frame, e->index,
         vc_strerror(rv));
  }
}

static void check_frame(const vc_video_frame *out, uint64_t now) {
  size_t i;
  uint32_t id = out->frame_id;

  if (id >= N_FRAMES || frames[id].decoded) {
    FAIL("frame %u handed out twice or never sent", id);
    return;
  }
  if (!out->keyframe) {
    for (i = 0; i < out->n_refs; i++) {
      if (out->refs[i] >= N_FRAMES || !frames[out->refs[i]].decoded) {
        FAIL("delta %u reached the decoder before its reference %u", id,
             out->refs[i]);
      }
    }
  }
  if (out->len != frames[id].size || out->keyframe != frames[id].key) {
    FAIL("frame %u: %zu bytes, want %zu", id, out->len, frames[id].size);
    return;
  }
  for (i = 0; i < out->len; i++) {
    if (out->data[i] != byte_of(id, i)) {
      FAIL("frame %u: byte %zu differs", id, i);
      return;
    }
  }
  frames[id].decoded = 1;
  if (out->keyframe) {
    if (trace) {
      printf("%9.3f keyframe %u decoded\n", (double)now / 1e9, id);
    }
    kf_out[n_kf_out] = now;
    kf_out_id[n_kf_out++] = id;
  }
}

/* Whether a keyframe was handed out in (from, to]. */
static int answered_between(uint64_t from, uint64_t to) {
  size_t k;
  for (k = 0; k < n_kf_out; k++) {
    if (kf_out[k] > from && kf_out[k] <= to) {
      return 1;
    }
  }
  return 0;
}

/* The loss checks, after the run. */
static void check_requests(uint64_t rtt_ns, uint64_t *worst_first_ns,
                           size_t *n_losses) {
  static uint64_t seen_after[N_FRAMES + 1];
  uint64_t first_backoff =
      rtt_ns > BACKOFF_MIN_MS * MS ? rtt_ns : BACKOFF_MIN_MS * MS;
  size_t f, r, k;
  long last_lost = -1;

  /* seen_after[f]: the first arrival of any packet of a frame above f. */
  seen_after[N_FRAMES] = UINT64_MAX;
  for (f = N_FRAMES; f > 0; f--) {
    uint64_t a = frames[f - 1].first_arrival;
    seen_after[f - 1] = seen_after[f] < a ? seen_after[f] : a;
  }
  *worst_first_ns = 0;
  *n_losses = 0;
  for (f = 0; f < N_FRAMES; f++) {
    uint64_t visible = seen_after[f + 1], deadline, last_kf = 0, mended;
    int ok = 0;
    if (!frames[f].lost_any) {
      continue;
    }
    if (f < N_MAIN) {
      last_lost = (long)f;
    }
    if (visible == UINT64_MAX || visible + rtt_ns + MS > END_NS) {
      continue;
    }
    (*n_losses)++;
    deadline = visible + rtt_ns + MS; /* one step of the fake clock */
    /* Mended without asking: a keyframe above it complete in time. */
    for (k = f + 1; k < N_FRAMES && !ok; k++) {
      mended = frames[k].complete_at;
      ok = frames[k].key && mended <= deadline;
    }
    for (k = 0; k < n_kf_out && !ok; k++) {
      ok = kf_out_id[k] > f && kf_out[k] <= deadline;
    }
    if (ok) {
      continue;
    }
    /* A request after the last keyframe handed out, by the deadline. */
    for (k = 0; k < n_kf_out && kf_out[k] <= deadline; k++) {
      last_kf = kf_out[k];
    }
    for (r = 0; r < n_requests && requests[r] <= deadline; r++) {
      if (requests[r] >= last_kf) {
        uint64_t lat = requests[r] > visible ? requests[r] - visible : 0;
        ok = 1;
        if (lat > *worst_first_ns) {
          *worst_first_ns = lat;
        }
        break;
      }
    }
    if (!ok) {
      FAIL("frame %zu lost, gap visible at %.3f s: no keyframe request "
           "within one RTT",
           f, (double)visible / 1e9);
    }
  }
  /* Repeats while unanswered: the first after max(RTT, 100 ms), then
   * each double the one before, up to 2 s (to the step of the clock). */
  for (r = 1; r < n_requests; r++) {
    uint64_t gap = requests[r] - requests[r - 1], want = first_backoff;
    if (answered_between(requests[r - 1], requests[r])) {
      continue;
    }
    if (r >= 2 && !answered_between(requests[r - 2], requests[r - 1])) {
      want = 2 * (requests[r - 1] - requests[r - 2]);
      if (want > BACKOFF_MAX_MS * MS) {
        want = BACKOFF_MAX_MS * MS;
      }
    }
    if (gap + MS < want || gap > want + MS) {
      FAIL("requests at %.3f and %.3f s: %.0f ms apart, want %.0f ms",
           (double)requests[r - 1] / 1e9, (double)requests[r] / 1e9,
           (double)gap / 1e6, (double)want / 1e6);
    }
  }
  /* Recovery: a frame above the last loss of the 60 s decoded (by the end
   * of the tail). */
  if (last_lost >= 0) {
    int recovered = 0;
    for (f = (size_t)last_lost + 1; f < N_FRAMES && !recovered; f++) {
      recovered = frames[f].decoded;
    }
    if (!recovered) {
      FAIL("no frame decoded after the loss of frame %ld", last_lost);
    }
  }
}

int main(int argc, char **argv) {
  const netem_profile *prof;
  netem fwd, back;
  vc_video_fb *fb;
  vc_video_stats st, main_st = {0};
  vc_video_frame out;
  uint64_t seed = 1, now, rng, rtt_ns, worst_first = 0, last_req_check = 0;
  uint32_t next_frame = 0;
  int kf_pending = 1;
  size_t n_losses = 0;
  double drift;

  if (argc < 2 || !(prof = netem_profile_named(argv[1]))) {
    fprintf(stderr, "usage: vc_video_sim <profile> [seed]\n");
    return 2;
  }
  if (argc > 2) {
    seed = strtoull(argv[2], NULL, 10);
  }
  trace = getenv("VC_VIDEO_SIM_TRACE") != NULL;
  rng = seed * 0x2545f4914f6cdd1dULL + 7;
  netem_init(&fwd, prof, seed);
  netem_init(&back, prof, seed ^ 0x5eedULL);
  if (vc_video_fb_new(&fb, NULL) != 0) {
    printf("FAIL vc_video_fb_new\n");
    return 1;
  }
  rtt_ns = 2 * (uint64_t)prof->delay_ms * MS;
  vc_video_fb_set_rtt(fb, (uint32_t)(rtt_ns / 1000));
  drift = 1.0 + prof->drift_ppm / 1e6;

  for (now = 0; now <= END_NS; now += MS) {
    uint64_t frame_at = (uint64_t)next_frame * 1000 * MS / FPS;
    int got;

    /* Requests that reached the sender, then this step's frame. */
    while (n_heap > 0 && heap[0].at <= now) {
      event e = pop();
      if (e.is_request) {
        kf_pending = 1;
      } else {
        uint64_t cap_ns = frames[e.frame].send_ns;
        deliver(fb, &e, now, (uint64_t)((double)cap_ns * drift / 1000.0));
      }
    }
    if (next_frame < N_FRAMES && frame_at <= now) {
      send_frame(&fwd, next_frame, kf_pending, now, &rng);
      kf_pending = 0;
      next_frame++;
    }
    if (vc_video_fb_get_expiry(fb) <= now) {
      vc_video_fb_handle_expiry(fb, now);
    }
    while ((got = vc_video_fb_next_frame(fb, now, &out)) == 1) {
      check_frame(&out, now);
    }
    while (vc_video_fb_take_keyframe_request(fb, now)) {
      uint64_t arrival;
      if (trace) {
        printf("%9.3f request\n", (double)now / 1e9);
      }
      if (n_requests < MAX_REQUESTS) {
        requests[n_requests++] = now;
      }
      if (netem_send(&back, now, 60, &arrival)) {
        event e = {arrival, 0, 1, 0, 0};
        if (push(e) != 0) {
          FAIL("event heap full");
        }
      }
    }
    /* While a keyframe is wanted, requests never stop. */
    vc_video_fb_get_stats(fb, &st);
    if (st.waiting_for_keyframe && n_requests > 0 &&
        now > requests[n_requests - 1] + BACKOFF_MAX_MS * MS + MS &&
        now > last_req_check) {
      FAIL("waiting for a keyframe at %.3f s, last request %.3f s",
           (double)now / 1e9, (double)requests[n_requests - 1] / 1e9);
      last_req_check = now + 1000 * MS;
    }
    if (now == MAIN_NS) {
      main_st = st; /* the figures are those of the 60 s */
    }
  }

  check_requests(rtt_ns, &worst_first, &n_losses);
  vc_video_fb_get_stats(fb, &st);
  if (st.frames_decoded + st.frames_dropped > st.frames_received ||
      st.frames_received - st.frames_decoded - st.frames_dropped >
          st.frames_held) {
    FAIL("counters: received %llu != decoded %llu + dropped %llu + held",
         (unsigned long long)st.frames_received,
         (unsigned long long)st.frames_decoded,
         (unsigned long long)st.frames_dropped);
  }
  st = main_st;
  printf("video %-10s seed %-3llu received %4llu decoded %4llu dropped %3llu "
         "freezes %2llu (%.2f s) pli %3llu mean jb delay %5.1f ms "
         "worst first request %4.1f ms after %zu losses\n",
         prof->name, (unsigned long long)seed,
         (unsigned long long)st.frames_received,
         (unsigned long long)st.frames_decoded,
         (unsigned long long)st.frames_dropped,
         (unsigned long long)st.freeze_count, st.total_freezes_duration_s,
         (unsigned long long)st.pli_count,
         st.jitter_buffer_emitted_count
             ? st.jitter_buffer_delay_s * 1000.0 /
                   (double)st.jitter_buffer_emitted_count
             : 0.0,
         (double)worst_first / 1e6, n_losses);
  vc_video_fb_del(fb);
  netem_free(&fwd);
  netem_free(&back);
  return failures ? 1 : 0;
}
