/*
 * video_test.c: the video frame buffer (src/video/): reassembly, decode
 * order, keyframe gating, the render delay, latest-frame-wins, keyframe
 * requests and their backoff, the counters, both caps and every refused
 * input. Time moves by t += ...; frames are captured 33 ms apart.
 */
#include <string.h>

#include <vc/video.h>

#include "test.h"

#define MS ((vc_tstamp)1000000)
#define T0 ((vc_tstamp)1000 * MS)
#define FRAME_US 33000

static uint8_t byte_of(uint32_t id, size_t i) {
  return (uint8_t)(id * 31 + i * 7 + 1);
}

/* Packet |idx| of |n| of frame |id|, whose whole payload is |len| bytes
 * split evenly; a delta references |ref|. */
static int put(vc_video_fb *fb, uint32_t id, int key, uint32_t ref,
               uint16_t idx, uint16_t n, size_t len, vc_tstamp ts) {
  static uint8_t buf[64 * 1024];
  vc_video_packet p;
  size_t per = (len + n - 1) / n, from = per * idx, i;

  memset(&p, 0, sizeof(p));
  p.frame_id = id;
  p.packet_index = idx;
  p.packet_count = n;
  p.keyframe = key;
  p.refs[0] = ref;
  p.n_refs = key ? 0 : 1;
  p.timestamp_us = (uint64_t)id * FRAME_US;
  if (from > len) {
    from = len;
  }
  p.len = from + per > len ? len - from : per;
  for (i = 0; i < p.len; i++) {
    buf[i] = byte_of(id, from + i);
  }
  p.data = buf;
  return vc_video_fb_insert(fb, &p, ts);
}

/* A whole one-packet frame that arrives 20 ms after its capture (plus
 * |late_ms|): with steady transit the render delay stays 0. */
static int frame(vc_video_fb *fb, uint32_t id, int key, int late_ms) {
  vc_tstamp at =
      T0 + (vc_tstamp)id * FRAME_US * 1000 + 20 * MS + (vc_tstamp)late_ms * MS;
  return put(fb, id, key, id - 1, 0, 1, 100, at);
}

static vc_tstamp arrival(uint32_t id) {
  return T0 + (vc_tstamp)id * FRAME_US * 1000 + 20 * MS;
}

static int payload_ok(const vc_video_frame *f, size_t len) {
  size_t i;
  if (f->len != len) {
    return 0;
  }
  for (i = 0; i < len; i++) {
    if (f->data[i] != byte_of(f->frame_id, i)) {
      return 0;
    }
  }
  return 1;
}

static vc_video_fb *fb_new(int latest_wins) {
  vc_video_fb_settings s;
  vc_video_fb *fb;
  vc_video_fb_settings_default(&s);
  s.latest_frame_wins = latest_wins;
  if (vc_video_fb_new(&fb, &s) != 0) {
    return NULL;
  }
  vc_video_fb_set_rtt(fb, 40000);
  return fb;
}

void test_vc_video_reassembles_split_frames_in_any_order(void) {
  vc_video_fb *fb = fb_new(1);
  vc_video_frame f;
  vc_video_stats st;
  vc_tstamp t = arrival(0);

  CHECK(fb != NULL);
  CHECK_INT_EQ(put(fb, 0, 1, 0, 2, 3, 3000, t), 0);
  CHECK_INT_EQ(put(fb, 0, 1, 0, 0, 3, 3000, t), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, t, &f), 0);
  vc_video_fb_get_stats(fb, &st);
  CHECK_INT_EQ(st.frames_received, 0);
  CHECK_INT_EQ(st.bytes_held, 2000);
  CHECK_INT_EQ(put(fb, 0, 1, 0, 1, 3, 3000, t), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, t, &f), 1);
  CHECK(f.keyframe && f.frame_id == 0);
  CHECK(payload_ok(&f, 3000));
  vc_video_fb_get_stats(fb, &st);
  CHECK_INT_EQ(st.frames_received, 1);
  CHECK_INT_EQ(st.frames_decoded, 1);
  CHECK_INT_EQ(st.key_frames_decoded, 1);
  CHECK_INT_EQ(st.bytes_held, 0);
  vc_video_fb_del(fb);
}

void test_vc_video_reorders_into_decode_order(void) {
  vc_video_fb *fb = fb_new(1);
  vc_video_frame f;
  uint32_t order[] = {0, 2, 3, 1}, id;
  size_t i;

  CHECK(fb != NULL);
  for (i = 0; i < 4; i++) {
    CHECK_INT_EQ(frame(fb, order[i], order[i] == 0, 0), 0);
  }
  for (id = 0; id < 4; id++) {
    CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(4), &f), 1);
    CHECK_INT_EQ(f.frame_id, id);
    CHECK(payload_ok(&f, 100));
  }
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(4), &f), 0);
  vc_video_fb_del(fb);
}

void test_vc_video_delta_waits_for_its_references(void) {
  vc_video_fb *fb = fb_new(1);
  vc_video_frame f;
  vc_video_stats st;
  vc_video_packet p;

  CHECK(fb != NULL);
  CHECK_INT_EQ(frame(fb, 0, 1, 0), 0);
  CHECK_INT_EQ(frame(fb, 1, 0, 0), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(1), &f), 1);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(1), &f), 1);
  /* Frame 2 is lost: 3 and 4 are complete but must wait. */
  CHECK_INT_EQ(frame(fb, 3, 0, 0), 0);
  CHECK_INT_EQ(frame(fb, 4, 0, 0), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(4) + 500 * MS, &f), 0);
  /* A frame with two references, one of them missing, waits too. */
  memset(&p, 0, sizeof(p));
  p.frame_id = 5;
  p.packet_count = 1;
  p.refs[0] = 1;
  p.refs[1] = 2;
  p.n_refs = 2;
  p.timestamp_us = 5 * FRAME_US;
  CHECK_INT_EQ(vc_video_fb_insert(fb, &p, arrival(5)), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(5) + 500 * MS, &f), 0);
  /* The keyframe mends everything; the deltas before it are dropped. */
  CHECK_INT_EQ(frame(fb, 6, 1, 0), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(6), &f), 1);
  CHECK_INT_EQ(f.frame_id, 6);
  CHECK(f.keyframe);
  vc_video_fb_get_stats(fb, &st);
  CHECK_INT_EQ(st.frames_dropped, 3);
  CHECK_INT_EQ(st.frames_decoded, 3);
  CHECK_INT_EQ(st.frames_received, 6);
  CHECK_INT_EQ(st.frames_held, 0);
  vc_video_fb_del(fb);
}

void test_vc_video_late_reference_is_not_lost(void) {
  vc_video_fb *fb = fb_new(1);
  vc_video_frame f;
  vc_video_stats st;

  CHECK(fb != NULL);
  CHECK_INT_EQ(frame(fb, 0, 1, 0), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(0), &f), 1);
  CHECK_INT_EQ(frame(fb, 2, 0, 0), 0);
  /* Frame 1 overtaken by 2, but only by 5 ms: no loss is declared. */
  CHECK_INT_EQ(put(fb, 1, 0, 0, 0, 1, 100, arrival(2) + 5 * MS), 0);
  CHECK_INT_EQ(vc_video_fb_take_keyframe_request(fb, arrival(2) + 5 * MS), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(2) + 5 * MS, &f), 1);
  CHECK_INT_EQ(f.frame_id, 1);
  /* Frame 1's 38 ms of lateness is now the render delay. */
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(2) + 37 * MS, &f), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(2) + 38 * MS, &f), 1);
  CHECK_INT_EQ(f.frame_id, 2);
  vc_video_fb_get_stats(fb, &st);
  CHECK_INT_EQ(st.pli_count, 0);
  CHECK_INT_EQ(st.waiting_for_keyframe, 0);
  vc_video_fb_del(fb);
}

void test_vc_video_gap_requests_keyframe_with_backoff(void) {
  vc_video_fb *fb = fb_new(1);
  vc_video_frame f;
  vc_video_stats st;
  vc_tstamp t, due;
  uint64_t gaps_ms[] = {100, 200, 400, 800, 1600, 2000, 2000};
  size_t i;

  CHECK(fb != NULL);
  CHECK_INT_EQ(frame(fb, 0, 1, 0), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(0), &f), 1);
  CHECK_INT_EQ(vc_video_fb_take_keyframe_request(fb, arrival(0)), 0);
  /* Frame 1 is lost; frame 2 shows the gap. RTT 40 ms: the gap is a loss
   * after min(20 ms, RTT / 2) = 20 ms, well within one RTT. */
  t = arrival(2);
  CHECK_INT_EQ(frame(fb, 2, 0, 0), 0);
  CHECK_INT_EQ(vc_video_fb_take_keyframe_request(fb, t), 0);
  CHECK(vc_video_fb_get_expiry(fb) == t + 20 * MS);
  t += 19 * MS;
  vc_video_fb_handle_expiry(fb, t);
  CHECK_INT_EQ(vc_video_fb_take_keyframe_request(fb, t), 0);
  t += 1 * MS;
  vc_video_fb_handle_expiry(fb, t);
  CHECK_INT_EQ(vc_video_fb_take_keyframe_request(fb, t), 1);
  CHECK_INT_EQ(vc_video_fb_take_keyframe_request(fb, t), 0);
  /* Repeats: max(RTT, 100 ms), doubling, capped at 2 s. */
  for (i = 0; i < sizeof(gaps_ms) / sizeof(gaps_ms[0]); i++) {
    due = t + gaps_ms[i] * MS;
    CHECK(vc_video_fb_get_expiry(fb) == due);
    CHECK_INT_EQ(vc_video_fb_take_keyframe_request(fb, due - 1), 0);
    CHECK_INT_EQ(vc_video_fb_take_keyframe_request(fb, due), 1);
    t = due;
  }
  vc_video_fb_get_stats(fb, &st);
  CHECK_INT_EQ(st.pli_count, 1 + sizeof(gaps_ms) / sizeof(gaps_ms[0]));
  CHECK_INT_EQ(st.waiting_for_keyframe, 1);
  /* The keyframe arrives and goes out: no more requests. */
  t += 10 * MS;
  CHECK_INT_EQ(put(fb, 300, 1, 0, 0, 1, 100, t), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, t, &f), 1);
  CHECK_INT_EQ(f.frame_id, 300);
  CHECK(vc_video_fb_get_expiry(fb) == UINT64_MAX);
  CHECK_INT_EQ(vc_video_fb_take_keyframe_request(fb, t + 10000 * MS), 0);
  vc_video_fb_get_stats(fb, &st);
  CHECK_INT_EQ(st.waiting_for_keyframe, 0);
  vc_video_fb_del(fb);
}

void test_vc_video_long_rtt_sets_the_first_backoff(void) {
  vc_video_fb *fb = fb_new(1);
  vc_video_frame f;
  vc_tstamp t;

  CHECK(fb != NULL);
  vc_video_fb_set_rtt(fb, 300000);
  CHECK_INT_EQ(frame(fb, 0, 1, 0), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(0), &f), 1);
  t = arrival(2);
  CHECK_INT_EQ(frame(fb, 2, 0, 0), 0);
  /* The reorder wait is 20 ms; the first repeat waits one RTT. */
  CHECK(vc_video_fb_get_expiry(fb) == t + 20 * MS);
  t += 20 * MS;
  vc_video_fb_handle_expiry(fb, t);
  CHECK_INT_EQ(vc_video_fb_take_keyframe_request(fb, t), 1);
  CHECK(vc_video_fb_get_expiry(fb) == t + 300 * MS);
  vc_video_fb_del(fb);
}

void test_vc_video_gap_is_timed_from_when_it_was_seen(void) {
  vc_video_fb *fb = fb_new(1);
  vc_video_frame f;
  vc_tstamp t;

  CHECK(fb != NULL);
  CHECK_INT_EQ(frame(fb, 0, 1, 0), 0);
  CHECK_INT_EQ(frame(fb, 1, 0, 0), 0);
  /* The decoder is slow: 0 and 1 wait while 2 is lost and 3 shows it. */
  CHECK_INT_EQ(frame(fb, 3, 0, 0), 0);
  t = arrival(3) + 30 * MS;
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, t, &f), 1);
  CHECK_INT_EQ(f.frame_id, 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, t, &f), 1);
  CHECK_INT_EQ(f.frame_id, 1);
  /* The gap was visible 30 ms ago: the request is due now, not in 20. */
  CHECK_INT_EQ(vc_video_fb_take_keyframe_request(fb, t), 1);
  vc_video_fb_del(fb);
}

void test_vc_video_doomed_delta_is_dropped_and_requests_at_once(void) {
  vc_video_fb *fb = fb_new(1);
  vc_video_frame f;
  vc_video_stats st;
  vc_tstamp t;

  CHECK(fb != NULL);
  CHECK_INT_EQ(frame(fb, 0, 1, 0), 0);
  CHECK_INT_EQ(frame(fb, 1, 0, 0), 0);
  CHECK_INT_EQ(frame(fb, 2, 1, 0), 0);
  /* Latest frame wins: keyframe 2 goes out, delta 1 is skipped. */
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(2), &f), 1);
  CHECK_INT_EQ(f.frame_id, 2);
  /* Delta 3 references the skipped frame 1: it can never decode. */
  t = arrival(3);
  CHECK_INT_EQ(put(fb, 3, 0, 1, 0, 1, 100, t), 0);
  vc_video_fb_get_stats(fb, &st);
  CHECK_INT_EQ(st.frames_held, 0);
  CHECK_INT_EQ(st.frames_dropped, 3);
  CHECK_INT_EQ(vc_video_fb_take_keyframe_request(fb, t), 1);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, t, &f), 0);
  vc_video_fb_del(fb);
}

void test_vc_video_first_frames_without_keyframe_request_one(void) {
  vc_video_fb *fb = fb_new(1);
  vc_video_frame f;
  vc_tstamp t = arrival(5);

  CHECK(fb != NULL);
  /* Joined late: the first frame seen is a delta. */
  CHECK_INT_EQ(frame(fb, 5, 0, 0), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, t, &f), 0);
  t += 20 * MS;
  vc_video_fb_handle_expiry(fb, t);
  CHECK_INT_EQ(vc_video_fb_take_keyframe_request(fb, t), 1);
  CHECK_INT_EQ(frame(fb, 6, 0, 0), 0);
  CHECK_INT_EQ(frame(fb, 7, 1, 0), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(7), &f), 1);
  CHECK_INT_EQ(f.frame_id, 7);
  vc_video_fb_del(fb);
}

void test_vc_video_broken_keyframe_keeps_the_backoff(void) {
  vc_video_fb *fb = fb_new(1);
  vc_video_frame f;
  vc_tstamp t, first;
  int i;

  CHECK(fb != NULL);
  CHECK_INT_EQ(frame(fb, 0, 1, 0), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(0), &f), 1);
  t = arrival(2);
  CHECK_INT_EQ(frame(fb, 2, 0, 0), 0);
  t += 20 * MS;
  vc_video_fb_handle_expiry(fb, t);
  first = t;
  CHECK_INT_EQ(vc_video_fb_take_keyframe_request(fb, t), 1);
  for (i = 0; i < 3; i++) { /* repeats at +100, +300, +700 ms */
    t = vc_video_fb_get_expiry(fb);
    CHECK_INT_EQ(vc_video_fb_take_keyframe_request(fb, t), 1);
  }
  CHECK(t == first + 700 * MS);
  /* The answer comes with a packet missing, as it would on a congested
   * link: asking faster would only congest it more. */
  t += 50 * MS;
  CHECK_INT_EQ(put(fb, 40, 1, 0, 0, 2, 1000, t), 0);
  CHECK_INT_EQ(put(fb, 41, 0, 40, 0, 1, 100, t), 0);
  t += 20 * MS;
  vc_video_fb_handle_expiry(fb, t);
  CHECK_INT_EQ(vc_video_fb_take_keyframe_request(fb, t), 0);
  CHECK(vc_video_fb_get_expiry(fb) == first + 1500 * MS);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, t, &f), 0);
  /* The second half arrives after all: that keyframe goes out. */
  CHECK_INT_EQ(put(fb, 40, 1, 0, 1, 2, 1000, t), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, t, &f), 1);
  CHECK_INT_EQ(f.frame_id, 40);
  CHECK_INT_EQ(vc_video_fb_take_keyframe_request(fb, first + 1500 * MS), 0);
  vc_video_fb_del(fb);
}

void test_vc_video_render_delay_follows_jitter(void) {
  vc_video_fb *fb = fb_new(1);
  vc_video_frame f;
  vc_video_stats st;
  uint32_t id;
  vc_tstamp t;

  CHECK(fb != NULL);
  /* Steady transit: no delay at all. */
  CHECK_INT_EQ(frame(fb, 0, 1, 0), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(0), &f), 1);
  /* Every other frame 40 ms late: the target becomes 40 ms. */
  for (id = 1; id < 60; id++) {
    CHECK_INT_EQ(frame(fb, id, 0, (id % 2) ? 40 : 0), 0);
    CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(id) + 40 * MS, &f), 1);
  }
  vc_video_fb_get_stats(fb, &st);
  CHECK_INT_EQ(st.target_delay_us, 40000);
  /* An on-time frame now waits 40 ms. */
  t = arrival(60);
  CHECK_INT_EQ(frame(fb, 60, 0, 0), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, t, &f), 0);
  CHECK(vc_video_fb_get_expiry(fb) == t + 40 * MS);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, t + 39 * MS, &f), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, t + 40 * MS, &f), 1);
  CHECK_INT_EQ(f.frame_id, 60);
  /* Huge variation is clamped to max_render_delay_ms (300). */
  for (id = 61; id < 120; id++) {
    CHECK_INT_EQ(frame(fb, id, 0, (id % 2) ? 900 : 0), 0);
  }
  vc_video_fb_get_stats(fb, &st);
  CHECK_INT_EQ(st.target_delay_us, 300000);
  vc_video_fb_del(fb);
}

void test_vc_video_render_delay_follows_a_drifting_clock(void) {
  vc_video_fb *fb = fb_new(1);
  vc_video_frame f;
  vc_video_stats st;
  uint32_t id;

  CHECK(fb != NULL);
  /* The sender's clock runs 0.1 % slow: transit grows 1 ms a second, 20
   * ms over the run. The base follows, so the delay stays small. */
  for (id = 0; id < 600; id++) {
    vc_tstamp t = arrival(id) + (vc_tstamp)id * FRAME_US;
    CHECK_INT_EQ(put(fb, id, id == 0, id - 1, 0, 1, 100, t), 0);
    CHECK_INT_EQ(vc_video_fb_next_frame(fb, t + 10 * MS, &f), 1);
  }
  vc_video_fb_get_stats(fb, &st);
  CHECK(st.target_delay_us <= 5000);
  vc_video_fb_del(fb);
}

void test_vc_video_latest_frame_wins_only_at_keyframes(void) {
  vc_video_fb *fb = fb_new(1);
  vc_video_frame f;
  vc_video_stats st;
  uint32_t id;

  CHECK(fb != NULL);
  /* The decoder fell behind: 0 (key) .. 6 all due, 4 is a keyframe. */
  for (id = 0; id < 7; id++) {
    CHECK_INT_EQ(frame(fb, id, id == 0 || id == 4, 0), 0);
  }
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(6), &f), 1);
  CHECK_INT_EQ(f.frame_id, 4);
  /* Deltas after it are never skipped: each is needed by the next. */
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(6), &f), 1);
  CHECK_INT_EQ(f.frame_id, 5);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(6), &f), 1);
  CHECK_INT_EQ(f.frame_id, 6);
  vc_video_fb_get_stats(fb, &st);
  CHECK_INT_EQ(st.frames_dropped, 4);
  CHECK_INT_EQ(st.frames_decoded, 3);
  CHECK_INT_EQ(st.key_frames_decoded, 1);
  vc_video_fb_del(fb);

  /* Switched off: everything in order. */
  fb = fb_new(0);
  CHECK(fb != NULL);
  for (id = 0; id < 7; id++) {
    CHECK_INT_EQ(frame(fb, id, id == 0 || id == 4, 0), 0);
  }
  for (id = 0; id < 7; id++) {
    CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(6), &f), 1);
    CHECK_INT_EQ(f.frame_id, id);
  }
  vc_video_fb_del(fb);
}

void test_vc_video_freezes_and_delay_are_counted(void) {
  vc_video_fb *fb = fb_new(1);
  vc_video_frame f;
  vc_video_stats st;
  uint32_t id;

  CHECK(fb != NULL);
  for (id = 0; id < 10; id++) {
    CHECK_INT_EQ(frame(fb, id, id == 0, 0), 0);
    /* Each frame waits 5 ms in the buffer. */
    CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(id) + 5 * MS, &f), 1);
  }
  vc_video_fb_get_stats(fb, &st);
  CHECK_INT_EQ(st.freeze_count, 0);
  CHECK_INT_EQ(st.jitter_buffer_emitted_count, 10);
  CHECK_INT_EQ((long long)(st.jitter_buffer_delay_s * 1e6 + 0.5), 50000);
  /* 190 ms between frames: over avg + 150 ms = 183 ms. */
  CHECK_INT_EQ(frame(fb, 10, 0, 0), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(9) + 195 * MS, &f), 1);
  vc_video_fb_get_stats(fb, &st);
  CHECK_INT_EQ(st.freeze_count, 1);
  CHECK_INT_EQ((long long)(st.total_freezes_duration_s * 1e3 + 0.5), 190);
  /* 170 ms is not a freeze. */
  CHECK_INT_EQ(frame(fb, 11, 0, 0), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(9) + 365 * MS, &f), 1);
  vc_video_fb_get_stats(fb, &st);
  CHECK_INT_EQ(st.freeze_count, 1);
  vc_video_fb_del(fb);
}

void test_vc_video_frame_cap_drops_undecodable_first(void) {
  vc_video_fb_settings s;
  vc_video_fb *fb;
  vc_video_frame f;
  vc_video_stats st;
  uint32_t id;

  vc_video_fb_settings_default(&s);
  s.max_frames = 4;
  CHECK_INT_EQ(vc_video_fb_new(&fb, &s), 0);
  /* Four decodable frames the decoder has not taken: a fifth is refused
   * and nothing held is lost. */
  for (id = 0; id < 4; id++) {
    CHECK_INT_EQ(frame(fb, id, id == 0, 0), 0);
  }
  CHECK_INT_EQ(frame(fb, 4, 0, 0), VC_ERR_QUEUE_FULL);
  vc_video_fb_get_stats(fb, &st);
  CHECK_INT_EQ(st.packets_refused, 1);
  CHECK_INT_EQ(st.frames_held, 4);
  for (id = 0; id < 4; id++) {
    CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(4), &f), 1);
    CHECK_INT_EQ(f.frame_id, id);
  }
  /* Frame 4 never came: 6..9 wait for it and fill the buffer; then the
   * oldest of them makes room for a new frame. */
  for (id = 6; id < 10; id++) {
    CHECK_INT_EQ(frame(fb, id, 0, 0), 0);
  }
  CHECK_INT_EQ(frame(fb, 10, 1, 0), 0);
  vc_video_fb_get_stats(fb, &st);
  /* 6 was given up; 7..9 depend on it and can never decode. */
  CHECK_INT_EQ(st.frames_dropped, 4);
  CHECK_INT_EQ(st.frames_held, 1);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(10), &f), 1);
  CHECK_INT_EQ(f.frame_id, 10);
  vc_video_fb_del(fb);
}

void test_vc_video_byte_cap_is_kept(void) {
  vc_video_fb_settings s;
  vc_video_fb *fb;
  vc_video_frame f;
  vc_video_stats st;

  vc_video_fb_settings_default(&s);
  s.max_bytes = 1000;
  CHECK_INT_EQ(vc_video_fb_new(&fb, &s), 0);
  /* A frame over the cap alone is too big, split or not. */
  CHECK_INT_EQ(put(fb, 0, 1, 0, 0, 1, 1001, arrival(0)), VC_ERR_TOO_BIG);
  CHECK_INT_EQ(put(fb, 0, 1, 0, 0, 2, 1200, arrival(0)), 0);
  CHECK_INT_EQ(put(fb, 0, 1, 0, 1, 2, 1200, arrival(0)), VC_ERR_TOO_BIG);
  /* That incomplete keyframe (600 bytes) makes way for a decodable one. */
  CHECK_INT_EQ(put(fb, 1, 1, 0, 0, 1, 600, arrival(1)), 0);
  vc_video_fb_get_stats(fb, &st);
  CHECK_INT_EQ(st.bytes_held, 600);
  CHECK_INT_EQ(st.frames_incomplete, 1);
  /* Decodable frames are never given up for room. */
  CHECK_INT_EQ(put(fb, 2, 0, 1, 0, 1, 500, arrival(2)), VC_ERR_QUEUE_FULL);
  CHECK_INT_EQ(put(fb, 2, 0, 1, 0, 1, 400, arrival(2)), 0);
  vc_video_fb_get_stats(fb, &st);
  CHECK_INT_EQ(st.bytes_held, 1000);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(2), &f), 1);
  CHECK_INT_EQ(f.frame_id, 1);
  CHECK(payload_ok(&f, 600));
  vc_video_fb_del(fb);
}

void test_vc_video_bad_input_is_refused_and_loses_nothing(void) {
  vc_video_fb *fb = fb_new(1);
  vc_video_packet p;
  vc_video_frame f;
  vc_video_stats st;
  uint8_t b[4] = {1, 2, 3, 4};
  vc_tstamp t = arrival(0);

  CHECK(fb != NULL);
  /* Hold half of a two-packet keyframe first. */
  CHECK_INT_EQ(put(fb, 0, 1, 0, 0, 2, 200, t), 0);
  memset(&p, 0, sizeof(p));
  p.frame_id = 0;
  p.keyframe = 1;
  p.data = b;
  p.len = sizeof(b);
  p.packet_count = 2;
  p.packet_index = 2; /* index >= count */
  CHECK_INT_EQ(vc_video_fb_insert(fb, &p, t), VC_ERR_INVALID_ARGUMENT);
  p.packet_index = 0;
  p.packet_count = 0; /* count 0 */
  CHECK_INT_EQ(vc_video_fb_insert(fb, &p, t), VC_ERR_INVALID_ARGUMENT);
  p.packet_count = 1025; /* over max_packets */
  CHECK_INT_EQ(vc_video_fb_insert(fb, &p, t), VC_ERR_INVALID_ARGUMENT);
  p.packet_index = 1;
  p.packet_count = 3; /* unlike packet 0's count */
  CHECK_INT_EQ(vc_video_fb_insert(fb, &p, t), VC_ERR_INVALID_ARGUMENT);
  p.packet_count = 2;
  p.keyframe = 0; /* unlike packet 0's flag */
  p.refs[0] = 4294967295u;
  p.n_refs = 1;
  CHECK_INT_EQ(vc_video_fb_insert(fb, &p, t), VC_ERR_INVALID_ARGUMENT);
  p.keyframe = 1;
  p.timestamp_us = 5; /* unlike packet 0's capture time */
  CHECK_INT_EQ(vc_video_fb_insert(fb, &p, t), VC_ERR_INVALID_ARGUMENT);
  p.timestamp_us = 0;
  p.keyframe = 2;
  CHECK_INT_EQ(vc_video_fb_insert(fb, &p, t), VC_ERR_INVALID_ARGUMENT);
  p.keyframe = 1;
  p.data = NULL; /* len without data */
  CHECK_INT_EQ(vc_video_fb_insert(fb, &p, t), VC_ERR_INVALID_ARGUMENT);
  p.data = b;
  /* Deltas: too many references, none, or one not older. */
  p.frame_id = 1;
  p.packet_index = 0;
  p.packet_count = 1;
  p.keyframe = 0;
  p.n_refs = VC_VIDEO_MAX_REFS + 1;
  CHECK_INT_EQ(vc_video_fb_insert(fb, &p, t), VC_ERR_INVALID_ARGUMENT);
  p.n_refs = 0;
  CHECK_INT_EQ(vc_video_fb_insert(fb, &p, t), VC_ERR_INVALID_ARGUMENT);
  p.n_refs = 1;
  p.refs[0] = 1;
  CHECK_INT_EQ(vc_video_fb_insert(fb, &p, t), VC_ERR_INVALID_ARGUMENT);
  p.refs[0] = 2;
  CHECK_INT_EQ(vc_video_fb_insert(fb, &p, t), VC_ERR_INVALID_ARGUMENT);
  vc_video_fb_get_stats(fb, &st);
  CHECK_INT_EQ(st.packets_invalid, 12);
  CHECK_INT_EQ(st.frames_held, 1);
  CHECK_INT_EQ(st.bytes_held, 100);
  /* The held half is intact: the other half completes the frame. */
  CHECK_INT_EQ(put(fb, 0, 1, 0, 1, 2, 200, t), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, t, &f), 1);
  CHECK(payload_ok(&f, 200));
  vc_video_fb_del(fb);
}

void test_vc_video_duplicates_and_old_frames_are_ignored(void) {
  vc_video_fb *fb = fb_new(1);
  vc_video_frame f;
  vc_video_stats st;

  CHECK(fb != NULL);
  CHECK_INT_EQ(put(fb, 0, 1, 0, 0, 2, 200, arrival(0)), 0);
  CHECK_INT_EQ(put(fb, 0, 1, 0, 0, 2, 200, arrival(0)), VC_ERR_STATE);
  CHECK_INT_EQ(put(fb, 0, 1, 0, 1, 2, 200, arrival(0)), 0);
  CHECK_INT_EQ(frame(fb, 1, 0, 0), 0);
  CHECK_INT_EQ(frame(fb, 1, 0, 0), VC_ERR_STATE);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(1), &f), 1);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, arrival(1), &f), 1);
  /* Handed out already, and far older than anything seen. */
  CHECK_INT_EQ(put(fb, 0, 1, 0, 1, 2, 200, arrival(2)), VC_ERR_STATE);
  CHECK_INT_EQ(put(fb, 4000000000u, 1, 0, 0, 1, 10, arrival(2)), VC_ERR_STATE);
  vc_video_fb_get_stats(fb, &st);
  CHECK_INT_EQ(st.packets_duplicate, 2);
  CHECK_INT_EQ(st.packets_too_old, 2);
  CHECK_INT_EQ(st.frames_received, 2);
  CHECK_INT_EQ(st.frames_held, 0);
  vc_video_fb_del(fb);
}

void test_vc_video_frame_ids_wrap(void) {
  vc_video_fb *fb = fb_new(1);
  vc_video_frame f;
  uint32_t id = 4294967294u;
  int i;

  CHECK(fb != NULL);
  CHECK_INT_EQ(put(fb, id, 1, 0, 0, 1, 50, T0), 0);
  for (i = 1; i < 5; i++) {
    CHECK_INT_EQ(
        put(fb, id + (uint32_t)i, 0, id + (uint32_t)i - 1, 0, 1, 50, T0), 0);
  }
  for (i = 0; i < 5; i++) {
    CHECK_INT_EQ(vc_video_fb_next_frame(fb, T0 + 1000 * MS, &f), 1);
    CHECK_INT_EQ(f.frame_id, id + (uint32_t)i);
  }
  vc_video_fb_del(fb);
}

void test_vc_video_write_copies_or_is_nobuf(void) {
  vc_video_fb *fb = fb_new(1);
  vc_video_frame f;
  uint8_t dest[200];

  CHECK(fb != NULL);
  CHECK_INT_EQ(put(fb, 0, 1, 0, 0, 2, 150, arrival(0)), 0);
  CHECK_INT_EQ(
      vc_video_fb_next_frame_write(fb, dest, sizeof(dest), arrival(0), &f), 0);
  CHECK_INT_EQ(put(fb, 0, 1, 0, 1, 2, 150, arrival(0)), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame_write(fb, dest, 149, arrival(0), &f),
               VC_ERR_NOBUF);
  CHECK_INT_EQ(
      vc_video_fb_next_frame_write(fb, dest, sizeof(dest), arrival(0), &f),
      150);
  CHECK(f.data == dest);
  CHECK(payload_ok(&f, 150));
  vc_video_fb_del(fb);
}

void test_vc_video_settings_are_checked(void) {
  vc_video_fb_settings s;
  vc_video_fb *fb = (vc_video_fb *)&s;

  vc_video_fb_settings_default(&s);
  CHECK_INT_EQ(s.max_frames, 64);
  CHECK_INT_EQ(s.max_bytes, 4 * 1024 * 1024);
  s.max_frames = 0;
  CHECK_INT_EQ(vc_video_fb_new(&fb, &s), VC_ERR_INVALID_ARGUMENT);
  CHECK(fb == NULL);
  vc_video_fb_settings_default(&s);
  s.max_bytes = 0;
  CHECK_INT_EQ(vc_video_fb_new(&fb, &s), VC_ERR_INVALID_ARGUMENT);
  vc_video_fb_settings_default(&s);
  s.keyframe_backoff_min_ms = 3000;
  CHECK_INT_EQ(vc_video_fb_new(&fb, &s), VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_video_fb_new(&fb, NULL), 0);
  vc_video_fb_del(fb);
  vc_video_fb_del(NULL);
}

/* A simulcast layer switch: the new layer's ids are unrelated to the old
 * one's (lower here, so refused as old without a restart). After the
 * restart its keyframe goes out at once, nothing held of the old layer
 * comes out, and the counters carry on. */
void test_vc_video_restart_takes_another_stream(void) {
  vc_video_fb *fb = fb_new(1);
  vc_video_frame f;
  vc_video_stats st;
  vc_tstamp t = arrival(110);

  CHECK(fb != NULL);
  CHECK_INT_EQ(put(fb, 100, 1, 0, 0, 1, 100, t), 0);
  CHECK_INT_EQ(put(fb, 101, 0, 100, 0, 1, 100, t), 0);
  CHECK_INT_EQ(put(fb, 103, 0, 102, 0, 1, 100, t), 0); /* 102 missing */
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, t, &f), 1);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, t, &f), 1);
  CHECK_INT_EQ(f.frame_id, 101);
  CHECK_INT_EQ(put(fb, 5, 1, 0, 0, 1, 100, t), VC_ERR_STATE);
  vc_video_fb_restart(fb);
  vc_video_fb_get_stats(fb, &st);
  CHECK_INT_EQ(st.bytes_held, 0);
  CHECK_INT_EQ(put(fb, 6, 0, 5, 0, 1, 100, t), 0); /* waits for 5 */
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, t, &f), 0);
  CHECK_INT_EQ(put(fb, 5, 1, 0, 0, 1, 100, t), 0);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, t, &f), 1);
  CHECK(f.keyframe && f.frame_id == 5 && payload_ok(&f, 100));
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, t, &f), 1);
  CHECK_INT_EQ(f.frame_id, 6);
  CHECK_INT_EQ(vc_video_fb_next_frame(fb, t, &f), 0);
  vc_video_fb_get_stats(fb, &st);
  CHECK_INT_EQ(st.frames_decoded, 4);
  CHECK_INT_EQ(st.key_frames_decoded, 2);
  vc_video_fb_del(fb);
}
