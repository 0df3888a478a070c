/*
 * rate_test.c: the rate controller (vc/rate.h, src/rate/). A small path
 * model here (a bottleneck with a FIFO queue, fixed propagation delay,
 * loss of every Nth packet) drives the whole controller: a growing queue
 * must bring the target down to what the path delivers, a flat delay must
 * let it grow, and the loss bands must back off, hold and grow. The
 * allocation's hysteresis is tested on its own (src/rate/rate_internal.h)
 * with exact budgets. tests/sim/rate_sim.c does the same against netem.
 */
#include "test.h"

#include <vc/rate.h>

#include "rate/rate_internal.h"

#define MS ((vc_tstamp)1000000)
#define FLOW_PKTS 16384
#define PKT_BYTES 1200

typedef struct flow {
  vc_rate *rc;
  vc_tstamp t;         /* now, ns */
  vc_tstamp next_send; /* pacing */
  vc_tstamp next_fb;
  uint64_t link_free_us; /* bottleneck busy until */
  uint16_t seq0;
  size_t n_sent, n_reported;
  vc_tstamp send_ns[FLOW_PKTS];
  uint64_t arrival_us[FLOW_PKTS]; /* 0: lost */
} flow;

static flow the_flow; /* too big for a test's stack */

static int flow_start(flow *f, const vc_rate_settings *s, uint16_t seq0) {
  memset(f, 0, sizeof(*f));
  f->seq0 = seq0;
  f->t = 1000 * MS; /* any origin */
  f->next_fb = f->t + 50 * MS;
  return vc_rate_new(&f->rc, s);
}

/*
 * Runs |dur_ms| of traffic at the controller's target through a path of
 * |cap_bps| (0: no bottleneck) and 20 ms delay that loses every
 * |loss_every|th packet (0: none), with a report every 50 ms of every
 * packet whose fate is known by then.
 */
static void flow_run(flow *f, uint32_t dur_ms, uint32_t cap_bps,
                     uint32_t loss_every) {
  vc_tstamp end = f->t + dur_ms * MS;
  vc_rate_feedback fb[512];

  for (; f->t < end; f->t += MS) {
    while (f->next_send <= f->t && f->n_sent < FLOW_PKTS) {
      size_t i = f->n_sent++;
      uint64_t send_us = f->t / 1000, leave_us = send_us;
      uint16_t seq = (uint16_t)(f->seq0 + i);

      vc_rate_on_packet_sent(f->rc, seq, PKT_BYTES, f->t);
      f->send_ns[i] = f->t;
      if (cap_bps) {
        if (f->link_free_us > leave_us) {
          leave_us = f->link_free_us;
        }
        leave_us += (uint64_t)PKT_BYTES * 8 * 1000000 / cap_bps;
        f->link_free_us = leave_us;
      }
      f->arrival_us[i] =
          loss_every && i % loss_every == loss_every - 1 ? 0 : leave_us + 20000;
      f->next_send =
          (f->next_send > f->t ? f->next_send : f->t) +
          (vc_tstamp)PKT_BYTES * 8 * 1000000000 / vc_rate_target(f->rc);
    }
    if (f->t >= f->next_fb) {
      size_t n = 0;
      f->next_fb += 50 * MS;
      /* In order: stop at the first packet still on its way. The report
       * reaches the sender at once; the test's RTT is the default. */
      while (f->n_reported < f->n_sent && n < 512) {
        size_t i = f->n_reported;
        uint64_t arr = f->arrival_us[i];
        if (arr && arr > f->t / 1000) {
          break;
        }
        fb[n].seq = (uint16_t)(f->seq0 + i);
        fb[n].received = arr != 0;
        fb[n].arrival_us = arr;
        n++;
        f->n_reported++;
      }
      vc_rate_on_feedback(f->rc, fb, n, f->t);
    }
  }
}

void test_vc_rate_growing_delay_means_overuse_and_a_lower_target(void) {
  flow *f = &the_flow;
  vc_rate_settings s;
  vc_rate_stats st;

  vc_rate_settings_default(&s);
  s.start_bitrate_bps = 1000000;
  CHECK_INT_EQ(flow_start(f, &s, 0), 0);
  /* The path carries 600 kbps: the queue grows at 400 kbps. */
  flow_run(f, 1500, 600000, 0);
  vc_rate_get_stats(f->rc, &st);
  CHECK(st.n_overuse >= 1);
  /* 0.85 x what arrived: under the capacity, not far under. */
  CHECK(vc_rate_target(f->rc) <= 540000);
  CHECK(vc_rate_target(f->rc) >= 400000);
  CHECK(st.receive_rate_bps > 500000 && st.receive_rate_bps < 700000);
  CHECK_INT_EQ(st.n_lost, 0);
  vc_rate_del(f->rc);
}

void test_vc_rate_flat_delay_means_growth(void) {
  flow *f = &the_flow;
  vc_rate_settings s;
  vc_rate_stats st;
  uint32_t before;

  vc_rate_settings_default(&s);
  s.start_bitrate_bps = 500000;
  CHECK_INT_EQ(flow_start(f, &s, 0), 0);
  flow_run(f, 1000, 0, 0);
  before = vc_rate_target(f->rc);
  CHECK(before > 500000);
  flow_run(f, 5000, 0, 0);
  vc_rate_get_stats(f->rc, &st);
  CHECK_INT_EQ(st.n_overuse, 0);
  CHECK_INT_EQ(st.usage, VC_RATE_NORMAL);
  CHECK(vc_rate_target(f->rc) > 2 * before);
  /* And it stops at the maximum. */
  flow_run(f, 10000, 0, 0);
  CHECK_INT_EQ(vc_rate_target(f->rc), s.max_bitrate_bps);
  vc_rate_del(f->rc);
}

void test_vc_rate_loss_over_ten_percent_backs_off(void) {
  flow *f = &the_flow;
  vc_rate_settings s;
  vc_rate_stats st;

  vc_rate_settings_default(&s);
  s.start_bitrate_bps = 1000000;
  CHECK_INT_EQ(flow_start(f, &s, 0), 0);
  flow_run(f, 3000, 0, 5); /* 20 % */
  vc_rate_get_stats(f->rc, &st);
  CHECK(st.loss_permille >= 150 && st.loss_permille <= 250);
  CHECK(vc_rate_target(f->rc) < 700000);
  CHECK(vc_rate_target(f->rc) >= s.min_bitrate_bps);
  vc_rate_del(f->rc);
}

void test_vc_rate_loss_between_two_and_ten_percent_holds(void) {
  flow *f = &the_flow;
  vc_rate_settings s;

  vc_rate_settings_default(&s);
  s.start_bitrate_bps = 1000000;
  CHECK_INT_EQ(flow_start(f, &s, 0), 0);
  flow_run(f, 3000, 0, 20); /* 5 % */
  /* What grew before the first loss window closed, and no more. */
  CHECK(vc_rate_target(f->rc) >= 1000000);
  CHECK(vc_rate_target(f->rc) <= 1080000);
  vc_rate_del(f->rc);
}

void test_vc_rate_loss_under_two_percent_allows_growth(void) {
  flow *f = &the_flow;
  vc_rate_settings s;

  vc_rate_settings_default(&s);
  s.start_bitrate_bps = 1000000;
  CHECK_INT_EQ(flow_start(f, &s, 0), 0);
  flow_run(f, 3000, 0, 200); /* 0.5 % */
  CHECK(vc_rate_target(f->rc) > 1400000);
  vc_rate_del(f->rc);
}

void test_vc_rate_aggregate_loss_reports_use_the_same_bands(void) {
  vc_rate *rc;
  vc_tstamp t = 0;
  int i;

  CHECK_INT_EQ(vc_rate_new(&rc, NULL), 0);
  for (i = 0; i < 10; i++) {
    t += 500 * MS;
    CHECK_INT_EQ(vc_rate_on_loss_report(rc, 95, 5, t), 0);
  }
  CHECK_INT_EQ(vc_rate_target(rc), 800000); /* held */
  for (i = 0; i < 10; i++) {
    t += 500 * MS;
    CHECK_INT_EQ(vc_rate_on_loss_report(rc, 70, 30, t), 0);
  }
  /* Ten times 0.85. */
  CHECK(vc_rate_target(rc) < 800000 / 4);
  CHECK(vc_rate_target(rc) > 800000 / 6);
  for (i = 0; i < 100; i++) {
    t += 500 * MS;
    CHECK_INT_EQ(vc_rate_on_loss_report(rc, 0, 100, t), 0);
  }
  CHECK_INT_EQ(vc_rate_target(rc), 50000); /* the floor holds */
  vc_rate_del(rc);
}

void test_vc_rate_audio_comes_first_then_the_lowest_layer(void) {
  vc_rate_settings s;
  uint32_t a, v;

  vc_rate_settings_default(&s);
  vc__rate_split(&s, 50000, &a, &v);
  CHECK_INT_EQ(a, 16000);
  CHECK_INT_EQ(v, 34000);
  vc__rate_split(&s, 200000, &a, &v);
  CHECK_INT_EQ(a, 50000);
  CHECK_INT_EQ(v, 150000);
  vc__rate_split(&s, 1000000, &a, &v);
  CHECK_INT_EQ(a, 64000);
  CHECK_INT_EQ(v, 936000);
  vc__rate_split(&s, 10000, &a, &v);
  CHECK_INT_EQ(a, 10000);
  CHECK_INT_EQ(v, 0);
  s.video_enabled = 0;
  vc__rate_split(&s, 1000000, &a, &v);
  CHECK_INT_EQ(a, 64000);
  CHECK_INT_EQ(v, 0);
  s.video_enabled = 1;
  s.audio_enabled = 0;
  vc__rate_split(&s, 1000000, &a, &v);
  CHECK_INT_EQ(a, 0);
  CHECK_INT_EQ(v, 1000000);
}

void test_vc_rate_layers_need_their_budget_and_do_not_flap(void) {
  vc_rate_settings s;
  vc__layers l;
  vc_rate_alloc out;
  vc_tstamp t = 0;
  int i, changes = 0;
  size_t was;

  vc_rate_settings_default(&s);
  /* 800 kbps: 736 k of video covers 150 k + 500 k: two layers at once. */
  vc__layers_init(&l, &s, 800000);
  CHECK_INT_EQ(l.n_on, 2);
  /* Two layers need 650 k of video, 714 k in all: dropped at once. */
  vc__layers_update(&l, &s, 700000, t);
  CHECK_INT_EQ(l.n_on, 1);
  /* Between covering it (714 k) and covering it with 10 % (779 k), the
   * sawtooth must not bring the layer back. */
  for (i = 0; i < 100; i++) {
    was = l.n_on;
    t += 100 * MS;
    vc__layers_update(&l, &s, i % 2 ? 700000 : 775000, t);
    changes += l.n_on != was;
  }
  CHECK_INT_EQ(changes, 0);
  CHECK_INT_EQ(l.n_on, 1);
  /* Over the margin: only after a whole second of it. */
  t += 100 * MS;
  vc__layers_update(&l, &s, 780000, t);
  vc__layers_update(&l, &s, 780000, t + 999 * MS);
  CHECK_INT_EQ(l.n_on, 1);
  /* A dip restarts the hold. */
  vc__layers_update(&l, &s, 760000, t + 999 * MS);
  vc__layers_update(&l, &s, 780000, t + 1000 * MS);
  vc__layers_update(&l, &s, 780000, t + 1999 * MS);
  CHECK_INT_EQ(l.n_on, 1);
  vc__layers_update(&l, &s, 780000, t + 2000 * MS);
  CHECK_INT_EQ(l.n_on, 2);
  t += 2000 * MS;
  /* Inside the band the layer stays. */
  for (i = 0; i < 100; i++) {
    t += 100 * MS;
    vc__layers_update(&l, &s, i % 2 ? 720000 : 790000, t);
    CHECK_INT_EQ(l.n_on, 2);
  }
  /* One layer per hold time, even when the budget jumps. */
  vc__layers_update(&l, &s, 2500000, t + 100 * MS);
  vc__layers_update(&l, &s, 2500000, t + 1100 * MS);
  CHECK_INT_EQ(l.n_on, 3);
  /* The top layer takes what the lower ones leave. */
  vc__rate_fill_alloc(&s, &l, 2500000, &out);
  CHECK_INT_EQ(out.n_layers, 3);
  CHECK_INT_EQ(out.audio_bps, 64000);
  CHECK_INT_EQ(out.layer_bps[0], 150000);
  CHECK_INT_EQ(out.layer_bps[1], 500000);
  CHECK_INT_EQ(out.layer_bps[2], 2500000 - 64000 - 650000);
  CHECK_INT_EQ(out.video_bps, 2500000 - 64000);
  /* A crash to the floor: one layer, under its nominal, at once. */
  vc__layers_update(&l, &s, 50000, t + 1200 * MS);
  vc__rate_fill_alloc(&s, &l, 50000, &out);
  CHECK_INT_EQ(out.n_layers, 1);
  CHECK_INT_EQ(out.layer_bps[0], 34000);
  CHECK_INT_EQ(out.layer_bps[1], 0);
  /* Video off: no layers. */
  s.video_enabled = 0;
  vc__layers_update(&l, &s, 2500000, t + 5000 * MS);
  CHECK_INT_EQ(l.n_on, 0);
}

void test_vc_rate_the_controller_drops_layers_with_the_target(void) {
  vc_rate *rc;
  vc_rate_settings s;
  vc_rate_alloc out;
  vc_tstamp t = 0;

  vc_rate_settings_default(&s);
  s.start_bitrate_bps = s.max_bitrate_bps;
  CHECK_INT_EQ(vc_rate_new(&rc, &s), 0);
  vc_rate_allocation(rc, &out);
  CHECK_INT_EQ(out.n_layers, 3);
  CHECK_INT_EQ(out.audio_bps + out.video_bps, 2500000);
  /* 50 % loss over the first window: x0.75, to 1.875 Mbps, which no
   * longer covers 720p. */
  CHECK_INT_EQ(vc_rate_on_loss_report(rc, 50, 50, t), 0);
  CHECK_INT_EQ(vc_rate_target(rc), 2500000); /* the window is open */
  t += 500 * MS;
  CHECK_INT_EQ(vc_rate_on_loss_report(rc, 50, 50, t), 0);
  vc_rate_allocation(rc, &out);
  CHECK_INT_EQ(vc_rate_target(rc), 1875000);
  CHECK_INT_EQ(out.n_layers, 2);
  CHECK_INT_EQ(out.audio_bps + out.video_bps, 1875000);
  vc_rate_del(rc);
}

void test_vc_rate_bad_input_is_counted_and_survived(void) {
  vc_rate *rc;
  vc_rate_settings s;
  vc_rate_stats st;
  vc_rate_feedback fb[3];
  vc_tstamp t = 10 * MS;

  /* Settings that make no sense are refused. */
  CHECK_INT_EQ(vc_rate_new(NULL, NULL), VC_ERR_INVALID_ARGUMENT);
  vc_rate_settings_default(&s);
  s.min_bitrate_bps = s.max_bitrate_bps + 1;
  CHECK_INT_EQ(vc_rate_new(&rc, &s), VC_ERR_INVALID_ARGUMENT);
  CHECK(rc == NULL);
  vc_rate_settings_default(&s);
  s.layer_bps[1] = 0;
  CHECK_INT_EQ(vc_rate_new(&rc, &s), VC_ERR_INVALID_ARGUMENT);
  vc_rate_settings_default(&s);
  s.n_layers = VC_RATE_MAX_LAYERS + 1;
  CHECK_INT_EQ(vc_rate_new(&rc, &s), VC_ERR_INVALID_ARGUMENT);
  vc_rate_settings_default(&s);
  s.n_layers = 0;
  CHECK_INT_EQ(vc_rate_new(&rc, &s), VC_ERR_INVALID_ARGUMENT);
  vc_rate_settings_default(&s);
  s.audio_min_bps = s.audio_max_bps + 1;
  CHECK_INT_EQ(vc_rate_new(&rc, &s), VC_ERR_INVALID_ARGUMENT);

  CHECK_INT_EQ(vc_rate_new(&rc, NULL), 0);
  /* Sent packets: empty, huge, time going back, a sequence used twice. */
  CHECK_INT_EQ(vc_rate_on_packet_sent(rc, 1, 1200, t), 0);
  CHECK_INT_EQ(vc_rate_on_packet_sent(rc, 2, 0, t), VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_rate_on_packet_sent(rc, 2, 70000, t),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_rate_on_packet_sent(rc, 2, 1200, t - 1),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_rate_on_packet_sent(rc, 1, 1200, t), VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_rate_on_packet_sent(rc, 2, 1200, t), 0);
  vc_rate_get_stats(rc, &st);
  CHECK_INT_EQ(st.n_bad_input, 4);
  CHECK_INT_EQ(st.n_sent, 2);

  /* Feedback: NULL, over the cap, for packets never sent, twice. */
  CHECK_INT_EQ(vc_rate_on_feedback(rc, NULL, 1, t), VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_rate_on_feedback(rc, fb, VC_RATE_MAX_FEEDBACK + 1, t),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_rate_on_feedback(rc, NULL, 0, t), 0);
  fb[0] = (vc_rate_feedback){.seq = 1, .received = 1, .arrival_us = 5000};
  fb[1] = (vc_rate_feedback){.seq = 3, .received = 1, .arrival_us = 6000};
  fb[2] = (vc_rate_feedback){.seq = 40000, .received = 1, .arrival_us = 1};
  CHECK_INT_EQ(vc_rate_on_feedback(rc, fb, 3, t), 1);
  CHECK_INT_EQ(vc_rate_on_feedback(rc, fb, 1, t), 0);
  /* An arrival no clock can give. */
  fb[0] = (vc_rate_feedback){.seq = 2, .received = 1, .arrival_us = ~0ULL};
  CHECK_INT_EQ(vc_rate_on_feedback(rc, fb, 1, t), 1);
  /* Time going back. */
  CHECK_INT_EQ(vc_rate_on_feedback(rc, fb, 1, t - 1), VC_ERR_INVALID_ARGUMENT);
  /* RTT and aggregate reports out of range. */
  CHECK_INT_EQ(vc_rate_on_rtt(rc, 0), VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_rate_on_rtt(rc, 20000000), VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_rate_on_rtt(rc, 40000), 0);
  CHECK_INT_EQ(vc_rate_on_loss_report(rc, 0, 0, t), VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_rate_on_loss_report(rc, 200000, 0, t),
               VC_ERR_INVALID_ARGUMENT);
  vc_rate_get_stats(rc, &st);
  CHECK_INT_EQ(st.n_unknown_seq, 2);
  CHECK_INT_EQ(st.n_duplicate, 1);
  CHECK_INT_EQ(st.n_bad_input, 4 + 2 + 1 + 1 + 2 + 2);
  CHECK_INT_EQ(st.rtt_us, 40000);
  CHECK_INT_EQ(vc_rate_target(rc), 800000);
  vc_rate_del(rc);
}

void test_vc_rate_arrivals_going_back_or_jumping_are_contained(void) {
  vc_rate *rc;
  vc_rate_stats st;
  vc_rate_feedback fb[64];
  vc_tstamp t = 0;
  size_t i;

  CHECK_INT_EQ(vc_rate_new(&rc, NULL), 0);
  /* Groups 10 ms apart; group 3 arrives before group 2 ended. */
  for (i = 0; i < 8; i++) {
    CHECK_INT_EQ(vc_rate_on_packet_sent(rc, (uint16_t)i, 1200, t), 0);
    fb[i].seq = (uint16_t)i;
    fb[i].received = 1;
    fb[i].arrival_us = 100000 + i * 10000;
    t += 10 * MS;
  }
  fb[3].arrival_us = 100000 + 1 * 10000 - 500;
  /* Then the receiver's clock leaps by 100 s. */
  fb[6].arrival_us += 100000000;
  fb[7].arrival_us += 100000000;
  CHECK_INT_EQ(vc_rate_on_feedback(rc, fb, 8, t), 8);
  vc_rate_get_stats(rc, &st);
  CHECK(st.n_reordered >= 1);
  CHECK_INT_EQ(st.n_resets, 1);
  CHECK_INT_EQ(st.usage, VC_RATE_NORMAL);
  CHECK(vc_rate_target(rc) >= 800000);
  vc_rate_del(rc);
}

void test_vc_rate_history_is_a_ring_with_a_cap(void) {
  vc_rate *rc;
  vc_rate_settings s;
  vc_rate_stats st;
  vc_rate_feedback fb[200];
  vc_tstamp t = 0;
  size_t i;

  vc_rate_settings_default(&s);
  s.history_len = 1; /* raised to VC_RATE_MIN_HISTORY */
  CHECK_INT_EQ(vc_rate_new(&rc, &s), 0);
  for (i = 0; i < 200; i++) {
    CHECK_INT_EQ(vc_rate_on_packet_sent(rc, (uint16_t)i, 1200, t), 0);
    fb[i].seq = (uint16_t)i;
    fb[i].received = 1;
    fb[i].arrival_us = 1000 + i * 1000;
    t += MS;
  }
  /* Only the newest 64 are remembered. */
  CHECK_INT_EQ(vc_rate_on_feedback(rc, fb, 200, t), VC_RATE_MIN_HISTORY);
  vc_rate_get_stats(rc, &st);
  CHECK_INT_EQ(st.n_unknown_seq, 200 - VC_RATE_MIN_HISTORY);
  CHECK_INT_EQ(st.n_acked, VC_RATE_MIN_HISTORY);
  vc_rate_del(rc);
}

void test_vc_rate_sequence_wraps_at_sixteen_bits(void) {
  flow *f = &the_flow;
  vc_rate_stats st;

  CHECK_INT_EQ(flow_start(f, NULL, 65000), 0);
  flow_run(f, 5000, 0, 0);
  CHECK(f->n_sent > 65536 - 65000 + 100); /* well past 65535 */
  vc_rate_get_stats(f->rc, &st);
  CHECK_INT_EQ(st.n_unknown_seq, 0);
  CHECK_INT_EQ(st.n_bad_input, 0);
  CHECK(st.n_acked + 20 >= f->n_sent);
  CHECK(vc_rate_target(f->rc) > 800000);
  vc_rate_del(f->rc);
}

void test_vc_rate_target_stays_within_min_and_max(void) {
  flow *f = &the_flow;
  vc_rate_settings s;

  vc_rate_settings_default(&s);
  s.min_bitrate_bps = 100000;
  s.max_bitrate_bps = 1000000;
  s.start_bitrate_bps = 5000000; /* clamped */
  CHECK_INT_EQ(flow_start(f, &s, 0), 0);
  CHECK_INT_EQ(vc_rate_target(f->rc), 1000000);
  flow_run(f, 10000, 0, 2); /* 50 % */
  CHECK_INT_EQ(vc_rate_target(f->rc), 100000);
  flow_run(f, 20000, 0, 0);
  CHECK_INT_EQ(vc_rate_target(f->rc), 1000000);
  vc_rate_del(f->rc);
}

void test_vc_rate_silence_from_the_receiver_halves_the_target(void) {
  flow *f = &the_flow;
  vc_rate_stats st;
  uint16_t seq = 0;
  vc_tstamp t = 0;
  int i;

  CHECK_INT_EQ(flow_start(f, NULL, 0), 0);
  /* 5 s of packets and no report: 1.2 s per halving (default RTT). */
  for (i = 0; i < 500; i++) {
    CHECK_INT_EQ(vc_rate_on_packet_sent(f->rc, seq++, 1200, t), 0);
    t += 10 * MS;
  }
  vc_rate_get_stats(f->rc, &st);
  CHECK_INT_EQ(st.n_feedback_timeouts, 4);
  CHECK_INT_EQ(vc_rate_target(f->rc), 800000 / 16);
  vc_rate_del(f->rc);

  /* Reports as they should come: no halving, however long. */
  CHECK_INT_EQ(flow_start(f, NULL, 0), 0);
  flow_run(f, 10000, 0, 0);
  vc_rate_get_stats(f->rc, &st);
  CHECK_INT_EQ(st.n_feedback_timeouts, 0);
  vc_rate_del(f->rc);
}

/* CPU adaptation: 30 frames a second, each taking |encode_ms| to encode,
 * for |secs|; returns the level at the end. */
static uint32_t encode_for(vc_cpu_adaptation *ca, vc_tstamp *t,
                           uint32_t encode_ms, int secs) {
  vc_cpu_adaptation_target tg;
  int i;

  for (i = 0; i < secs * 30; i++) {
    *t += 33 * MS;
    (void)vc_cpu_adaptation_on_frame(ca, encode_ms * 1000, *t);
  }
  vc_cpu_adaptation_get_target(ca, &tg);
  return tg.level;
}

void test_vc_rate_slow_encoding_steps_the_camera_down(void) {
  vc_cpu_adaptation *ca;
  vc_cpu_adaptation_target tg;
  vc_tstamp t = 5000 * MS;

  CHECK_INT_EQ(vc_cpu_adaptation_new(&ca, NULL), 0);
  /* 20 of 33 ms (60 %): a machine that keeps up stays at full size. */
  CHECK_INT_EQ(encode_for(ca, &t, 20, 20), 0);
  /* 31 of 33 ms (94 %): two checks (4 s) later, one level down. */
  CHECK_INT_EQ(encode_for(ca, &t, 31, 3), 0);
  CHECK_INT_EQ(encode_for(ca, &t, 31, 2), 1);
  vc_cpu_adaptation_get_target(ca, &tg);
  CHECK_INT_EQ(tg.scale_pct, 67);
  CHECK_INT_EQ(tg.max_fps, 30);
  CHECK(tg.usage_pct > 85);
  /* Still overloaded: down to the last level (half size, 15 fps), and no
   * further. */
  CHECK_INT_EQ(encode_for(ca, &t, 31, 30), VC_CPU_MAX_LEVEL);
  vc_cpu_adaptation_get_target(ca, &tg);
  CHECK_INT_EQ(tg.scale_pct, 50);
  CHECK_INT_EQ(tg.max_fps, 15);
  CHECK_INT_EQ(tg.n_down, 3);
  vc_cpu_adaptation_del(ca);
}

void test_vc_rate_frames_dropped_before_the_encoder_step_it_down(void) {
  vc_cpu_adaptation *ca;
  vc_tstamp t = 1 * MS;
  int i, changed = 0;

  CHECK_INT_EQ(vc_cpu_adaptation_new(&ca, NULL), 0);
  /* Quick encodes, but one frame in four never reached an encoder: one
   * check is enough. */
  for (i = 0; i < 70 && !changed; i++) {
    t += 33 * MS;
    if (i % 4 == 3)
      changed = vc_cpu_adaptation_on_dropped(ca, t);
    else
      changed = vc_cpu_adaptation_on_frame(ca, 5000, t);
  }
  CHECK_INT_EQ(changed, 1);
  CHECK(t < 2200 * MS); /* at the first check, 2 s in */
  vc_cpu_adaptation_del(ca);
}

void test_vc_rate_a_machine_with_room_steps_back_up_after_a_wait(void) {
  vc_cpu_adaptation *ca;
  vc_tstamp t = 1 * MS;

  CHECK_INT_EQ(vc_cpu_adaptation_new(&ca, NULL), 0);
  CHECK_INT_EQ(encode_for(ca, &t, 32, 5), 1);
  /* 10 % usage: up again, but not before 10 s after the step down. */
  CHECK_INT_EQ(encode_for(ca, &t, 3, 8), 1);
  CHECK_INT_EQ(encode_for(ca, &t, 3, 4), 0);
  /* Between the marks (60 %): stays where it is, down or up. */
  CHECK_INT_EQ(encode_for(ca, &t, 20, 60), 0);
  CHECK_INT_EQ(encode_for(ca, &t, 32, 7), 1);
  CHECK_INT_EQ(encode_for(ca, &t, 20, 60), 1);
  vc_cpu_adaptation_del(ca);
}

void test_vc_rate_flapping_between_levels_doubles_the_wait(void) {
  vc_cpu_adaptation *ca;
  vc_cpu_adaptation_target tg;
  vc_tstamp t = 1 * MS;

  CHECK_INT_EQ(vc_cpu_adaptation_new(&ca, NULL), 0);
  CHECK_INT_EQ(encode_for(ca, &t, 32, 5), 1);
  CHECK_INT_EQ(encode_for(ca, &t, 3, 12), 0); /* up after 10 s */
  CHECK_INT_EQ(encode_for(ca, &t, 32, 7), 1); /* full size was too much */
  /* The wait is 20 s now: 12 s of room is not enough, 22 s is. */
  CHECK_INT_EQ(encode_for(ca, &t, 3, 12), 1);
  CHECK_INT_EQ(encode_for(ca, &t, 3, 10), 0);
  vc_cpu_adaptation_get_target(ca, &tg);
  CHECK_INT_EQ(tg.n_down, 2);
  CHECK_INT_EQ(tg.n_up, 2);
  vc_cpu_adaptation_del(ca);
}

void test_vc_rate_cpu_adaptation_refuses_bad_settings_and_time(void) {
  vc_cpu_adaptation *ca;
  vc_cpu_adaptation_settings s;

  vc_cpu_adaptation_settings_default(&s);
  s.low_usage_pct = s.high_usage_pct;
  CHECK_INT_EQ(vc_cpu_adaptation_new(&ca, &s), VC_ERR_INVALID_ARGUMENT);
  vc_cpu_adaptation_settings_default(&s);
  s.check_interval_ms = 0;
  CHECK_INT_EQ(vc_cpu_adaptation_new(&ca, &s), VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_cpu_adaptation_new(&ca, NULL), 0);
  CHECK_INT_EQ(vc_cpu_adaptation_on_frame(ca, 1000, 10 * MS), 0);
  CHECK_INT_EQ(vc_cpu_adaptation_on_frame(ca, 1000, 5 * MS),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_cpu_adaptation_on_dropped(ca, 5 * MS),
               VC_ERR_INVALID_ARGUMENT);
  vc_cpu_adaptation_del(ca);
}

void test_vc_rate_an_engine_running_late_steps_it_down(void) {
  vc_cpu_adaptation *ca;
  vc_cpu_adaptation_target tg;
  vc_tstamp t = 1 * MS;
  int i, changed = 0;

  CHECK_INT_EQ(vc_cpu_adaptation_new(&ca, NULL), 0);
  /* Quick encodes, but the 10 ms timer fires 3 ms late every time (30 %
   * of the time behind): down after two checks. */
  for (i = 0; i < 600 && !changed; i++) {
    t += 10 * MS;
    if (i % 3 == 0)
      (void)vc_cpu_adaptation_on_frame(ca, 5000, t);
    changed = vc_cpu_adaptation_on_lag(ca, 3000, t);
  }
  CHECK_INT_EQ(changed, 1);
  vc_cpu_adaptation_get_target(ca, &tg);
  CHECK_INT_EQ(tg.level, 1);
  CHECK(tg.lag_pct >= 25);
  CHECK(t < 4200 * MS);
  /* 1 ms late (10 %) is not more than the mark: it stays. */
  for (i = 0; i < 1000; i++) {
    t += 10 * MS;
    CHECK_INT_EQ(vc_cpu_adaptation_on_lag(ca, 1000, t), 0);
  }
  vc_cpu_adaptation_del(ca);
}
