/*
 * scenarios.c: what users would notice, asserted over simulated meetings
 * (sim.h). Usage: vc_sim <scenario> [seed]; ctest runs each scenario.
 *
 * Bounds (docs/SIMULATION.md): a join or leave reaches every roster within
 * 1 s on a healthy path; a participant that vanishes without a word is
 * gone from every roster within liveness (5 s) + grace (10 s) + 2 s; a
 * partitioned participant is back in every roster within 15 s of the
 * heal; a reconnect inside the grace period produces no leave or join at
 * the others; chat arrives exactly once and in order per sender.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static int failures;

#define EXPECT(cond, ...)                                                      \
  do {                                                                         \
    if (!(cond)) {                                                             \
      failures++;                                                              \
      printf("  FAIL %s:%d: ", __FILE__, __LINE__);                            \
      printf(__VA_ARGS__);                                                     \
      printf("\n");                                                            \
    }                                                                          \
  } while (0)

/* Honest clients never meet the room's message limits (issue 20;
 * server-stub/room_limits.c): nothing refused, nobody removed. */
static void expect_within_limits(const sim *s) {
  vc_room_stats st;
  uint64_t refused = 0;
  int k;

  sim_room_stats(s, &st);
  for (k = 0; k < VC_ROOM_LIMIT_KINDS; k++) {
    refused += st.rate_limited[k];
  }
  EXPECT(refused == 0 && st.removed_for_flooding == 0,
         "%llu messages refused over the room's limits, %llu removed",
         (unsigned long long)refused,
         (unsigned long long)st.removed_for_flooding);
}

static void expect_rosters(sim *s, const char *when) {
  int bad = sim_check_rosters(s, stdout);

  EXPECT(bad == 0, "%d roster mismatches %s (t=%.1f s)", bad, when,
         (double)sim_now(s) / SIM_S);
}

/* |receiver| holds every message |sender| sent from number |from| on,
 * once each and in order; and nothing twice or out of order before. */
static void expect_chats(sim *s, int receiver, int sender, int from) {
  sim_client *r = sim_client_at(s, receiver);
  sim_client *x = sim_client_at(s, sender);
  int next = from, last = -1;
  size_t i;

  for (i = 0; i < r->n_chats; i++) {
    if (r->chats[i].sender != sender) {
      continue;
    }
    EXPECT(r->chats[i].n > last, "u%d saw c%d:%d after c%d:%d", receiver,
           sender, r->chats[i].n, sender, last);
    last = r->chats[i].n;
    if (r->chats[i].n >= from) {
      EXPECT(r->chats[i].n == next, "u%d saw c%d:%d, expected c%d:%d", receiver,
             sender, r->chats[i].n, sender, next);
      next = r->chats[i].n + 1;
    }
  }
  EXPECT(next == x->chats_sent, "u%d saw c%d up to %d of %d", receiver, sender,
         next, x->chats_sent);
}

static void act_join(sim *s, int i) {
  sim_join(s, i);
}
static void act_leave(sim *s, int i) {
  sim_leave(s, i);
}
static void act_crash(sim *s, int i) {
  sim_crash(s, i);
}
static void act_drop(sim *s, int i) {
  sim_drop_transport(s, i);
}
static void act_chat(sim *s, int i) {
  sim_chat(s, i);
}
static void act_partition(sim *s, int i) {
  sim_partition(s, i);
}
static void act_heal(sim *s, int i) {
  sim_heal(s, i);
}
static void act_talk(sim *s, int i) {
  sim_talk(s, i, 80);
}
static void act_quiet(sim *s, int i) {
  sim_talk(s, i, 0);
}

static vc_tstamp ms(uint64_t v) {
  return v * SIM_MS;
}

static uint32_t session_of(sim *s, int i) {
  sim_client *c = sim_client_at(s, i);
  return c->m ? vc_meeting_session_id(c->m) : 0;
}

/* ---- two participants --------------------------------------------------- */

static void scenario_two(uint64_t seed) {
  sim_path path = {20, 5, 0, 0, 0};
  sim *s = sim_new(seed, 2, &path);
  int k;

  sim_at(s, 0, act_join, 0);
  sim_at(s, ms(500), act_join, 1);
  sim_run_until(s, ms(1500));
  expect_rosters(s, "1 s after the second join");
  EXPECT(vc_meeting_host(sim_client_at(s, 1)->m) == session_of(s, 0),
         "the first to join hosts");

  for (k = 0; k < 10; k++) {
    sim_at(s, ms(2000 + 100 * (uint64_t)k), act_chat, 0);
    sim_at(s, ms(2050 + 100 * (uint64_t)k), act_chat, 1);
  }
  sim_at(s, ms(4000), act_talk, 0);
  sim_at(s, ms(6000), act_quiet, 0);
  sim_at(s, ms(6000), act_talk, 1);
  sim_at(s, ms(8000), act_quiet, 1);
  sim_run_until(s, ms(5900));
  for (k = 0; k < 2; k++) {
    expect_chats(s, k, 0, 0);
    expect_chats(s, k, 1, 0);
  }
  EXPECT(sim_client_at(s, 0)->chats_acked == 10, "u0's chats acknowledged");
  EXPECT(sim_client_at(s, 1)->speaker == session_of(s, 0),
         "u1 sees u0 speaking");
  sim_run_until(s, ms(8000));
  EXPECT(sim_client_at(s, 0)->speaker == session_of(s, 1),
         "u0 sees u1 speaking");
  EXPECT(sim_client_at(s, 1)->speaker == session_of(s, 0),
         "u1 still shows u0, the last one who spoke");

  sim_at(s, ms(8000), act_leave, 0);
  sim_run_until(s, ms(9000));
  EXPECT(vc_meeting_roster_size(sim_client_at(s, 1)->m) == 0,
         "u1 alone 1 s after u0 left");
  EXPECT(sim_client_at(s, 1)->left_seen[0] == 1, "u1 saw u0 leave once");
  EXPECT(vc_meeting_host(sim_client_at(s, 1)->m) == session_of(s, 1),
         "the host role passed to u1");
  expect_within_limits(s);
  sim_del(s);
}

/* ---- ten participants on a lossy path ----------------------------------- */

static uint64_t scenario_ten(uint64_t seed) {
  sim_path path = {40, 20, 0.02, 0.1, 0.01};
  sim *s = sim_new(seed, 10, &path);
  int flicker_before[10], i, k, j;
  uint64_t hash;

  for (i = 0; i < 10; i++) {
    sim_at(s, ms(200 * (uint64_t)i), act_join, i);
  }
  sim_run_until(s, ms(4000));
  expect_rosters(s, "2 s after the last join");
  for (i = 0; i < 10; i++) {
    flicker_before[i] = 0;
    for (j = 0; j < 10; j++) {
      flicker_before[i] += sim_client_at(s, j)->flicker[i];
    }
  }
  for (k = 0; k < 5; k++) {
    for (i = 0; i < 10; i++) {
      sim_at(s, ms(4000 + 37 * (uint64_t)(k * 10 + i)), act_chat, i);
    }
  }
  sim_at(s, ms(4500), act_drop, 3);
  sim_at(s, ms(5000), act_crash, 7);
  sim_run_until(s, ms(5000 + 5000 + 10000 + 2000));
  expect_rosters(s, "liveness + grace + 2 s after a crash");
  for (j = 0; j < 10; j++) {
    int flicker = 0;
    if (j == 7) {
      continue;
    }
    for (i = 0; i < 10; i++) {
      if (i != 7) {
        expect_chats(s, j, i, 0);
      }
    }
    EXPECT(sim_client_at(s, j)->left_seen[7] == 1, "u%d saw u7 leave once", j);
    for (i = 0; i < 10; i++) {
      flicker += sim_client_at(s, i)->flicker[j];
    }
    if (j == 3) {
      EXPECT(flicker == flicker_before[3],
             "u3's reconnect was visible: %d leave/join events",
             flicker - flicker_before[3]);
    }
  }
  EXPECT(sim_client_at(s, 3)->resumes >= 1, "u3 resumed its session");
  hash = sim_trace_hash(s);
  printf("  ten: %llu events, trace %016llx\n",
         (unsigned long long)sim_events(s), (unsigned long long)hash);
  expect_within_limits(s);
  sim_del(s);
  return hash;
}

/* ---- two hundred participants ------------------------------------------- */

static void scenario_two_hundred(uint64_t seed) {
  sim_path path = {30, 10, 0.01, 0, 0};
  sim *s = sim_new(seed, 200, &path);
  int i, j;

  for (i = 0; i < 200; i++) {
    sim_at(s, ms(50 * (uint64_t)i), act_join, i);
  }
  sim_run_until(s, ms(10950 + 1000));
  expect_rosters(s, "1 s after the 200th join");
  for (i = 0; i < 10; i++) {
    for (j = 0; j < 3; j++) {
      sim_at(s, ms(12000 + 100 * (uint64_t)j), act_chat, i * 17);
    }
  }
  for (i = 180; i < 190; i++) {
    sim_at(s, ms(13000), act_leave, i);
  }
  for (i = 190; i < 200; i++) {
    sim_at(s, ms(13000), act_crash, i);
  }
  sim_run_until(s, ms(14000));
  for (j = 0; j < 180; j++) {
    for (i = 180; i < 190; i++) {
      EXPECT(sim_client_at(s, j)->left_seen[i] == 1,
             "u%d saw u%d leave within 1 s", j, i);
    }
  }
  sim_run_until(s, ms(13000 + 17000));
  expect_rosters(s, "liveness + grace + 2 s after ten crashes");
  for (j = 0; j < 180; j++) {
    for (i = 0; i < 10; i++) {
      expect_chats(s, j, i * 17, 0);
    }
  }
  expect_within_limits(s);
  sim_del(s);
}

/* ---- a thousand: the largest room DESIGN.md plans for ------------------- */

static void scenario_thousand(uint64_t seed) {
  sim_path path = {30, 10, 0.01, 0, 0};
  sim *s = sim_new(seed, 1000, &path);
  int i, j;

  for (i = 0; i < 1000; i++) {
    sim_at(s, ms(20 * (uint64_t)i), act_join, i);
  }
  sim_run_until(s, ms(19980 + 2000));
  expect_rosters(s, "2 s after the 1000th join");
  for (i = 0; i < 5; i++) {
    sim_at(s, ms(23000 + 100 * (uint64_t)i), act_chat, i * 199);
  }
  for (i = 900; i < 950; i++) {
    sim_at(s, ms(24000), act_leave, i);
  }
  sim_run_until(s, ms(26000));
  for (j = 0; j < 900; j++) {
    for (i = 0; i < 5; i++) {
      expect_chats(s, j, i * 199, 0);
    }
  }
  expect_rosters(s, "2 s after 50 left at once");
  printf("  thousand: %llu events\n", (unsigned long long)sim_events(s));
  expect_within_limits(s);
  sim_del(s);
}

/* ---- end-to-end encryption ------------------------------------------------
 */

/* 6 people with E2EE chat; a seventh joins late; one leaves (fresh keys).
 * Returns the plaintext markers seen on the wire (must be 0 with E2EE).
 * |media_limit|: audio frames per listener that may not open while keys
 * travel, |heard|: frames each early listener hears at least (a quarter
 * of it for the late joiner); both looser on a slower path. */
static uint64_t run_e2ee(uint64_t seed, int e2ee, sim_path path,
                         uint64_t media_limit, uint64_t heard) {
  sim *s = sim_new(seed, 7, &path);
  uint64_t markers;
  int i, k, j;

  sim_set_e2ee(s, e2ee);
  for (i = 0; i < 6; i++) {
    sim_at(s, ms(100 * (uint64_t)i), act_join, i);
  }
  /* Three of them talk the whole time: media goes the same way. */
  sim_talk(s, 0, 60);
  sim_talk(s, 2, 40);
  sim_talk(s, 6, 50);
  for (k = 0; k < 3; k++) {
    for (i = 0; i < 6; i++) {
      sim_at(s, ms(2000 + 300 * (uint64_t)k + 20 * (uint64_t)i), act_chat, i);
    }
  }
  sim_at(s, ms(4000), act_join, 6);  /* the late joiner */
  sim_at(s, ms(6000), act_leave, 1); /* fresh keys for those who stay */
  for (k = 0; k < 2; k++) {
    for (i = 0; i < 7; i++) {
      if (i != 1) {
        sim_at(s, ms(7000 + 300 * (uint64_t)k + 20 * (uint64_t)i), act_chat, i);
      }
    }
  }
  sim_run_until(s, ms(10000));
  expect_rosters(s, "after the late join and a leave");
  for (j = 0; j < 7; j++) {
    sim_client *c = sim_client_at(s, j);
    vc_meeting_stats st;
    if (j == 1) {
      continue;
    }
    vc_meeting_get_stats(c->m, &st);
    EXPECT(c->errors == 0 && st.undecryptable == 0,
           "u%d read every message (%d unreadable, %llu undecryptable)", j,
           c->errors, (unsigned long long)st.undecryptable);
    /* Audio from each talker: frames that reach a newcomer before the
     * talker's key do not open (about 100-400 ms per talker while the
     * keys are exchanged); everything that opens is what was sent. */
    EXPECT(c->media_garbled == 0, "u%d: %llu media frames garbled", j,
           (unsigned long long)c->media_garbled);
    EXPECT(c->media_received >= (j == 6 ? heard / 4 : heard),
           "u%d heard %llu audio frames", j,
           (unsigned long long)c->media_received);
    EXPECT(st.media_undecryptable < media_limit,
           "u%d: %llu media frames did not open", j,
           (unsigned long long)st.media_undecryptable);
    for (i = 0; i < 7; i++) {
      /* The late joiner holds only what was sent after it arrived. */
      int from = j == 6 && i != 6 ? 3 : 0;
      if (i == 1 && j == 6) {
        continue; /* u1 left before saying anything u6 could see */
      }
      expect_chats(s, j, i, from);
    }
  }
  markers = sim_markers_seen(s);
  expect_within_limits(s);
  sim_del(s);
  return markers;
}

static void scenario_e2ee(uint64_t seed) {
  sim_path path = {30, 10, 0.01, 0, 0};
  uint64_t clear = run_e2ee(seed, 0, path, 60, 600), sealed;

  /* The check can fail: without E2EE the plaintext is on the wire. */
  EXPECT(clear > 0, "without E2EE the marker is seen (%llu frames)",
         (unsigned long long)clear);
  sealed = run_e2ee(seed, 1, path, 60, 600);
  EXPECT(sealed == 0, "with E2EE no frame holds the marker (%llu did)",
         (unsigned long long)sealed);
}

/* The same meeting on a slow, jittery path (100 ms + up to 300 ms): a
 * chat can overtake the key it was sealed with, and must still be read
 * (and in order) once the key is there. */
static void scenario_e2ee_jitter(uint64_t seed) {
  sim_path path = {100, 300, 0.01, 0, 0};

  EXPECT(run_e2ee(seed, 1, path, 250, 450) == 0, "no marker on the wire");
}

/* ---- switching E2EE off and on ------------------------------------------ */

static void act_e2ee_off(sim *s, int i) {
  sim_set_e2ee_off(s, i, 1);
}
static void act_e2ee_on(sim *s, int i) {
  sim_set_e2ee_off(s, i, 0);
}

/* |viewer|'s roster says |who| sends in the clear. */
static int sees_in_clear(sim *s, int viewer, int who) {
  vc_meeting *m = sim_client_at(s, viewer)->m;
  size_t k, n = vc_meeting_roster_size(m);

  for (k = 0; k < n; k++) {
    const vc_participant *p = vc_meeting_roster_at(m, k);
    if (strcmp(p->user, sim_client_at(s, who)->user) == 0) {
      return p->state.e2ee_off;
    }
  }
  return -1;
}

/* Four talk; u1 switches E2EE off from 3 s to 6 s; u3's client has no
 * E2EE at all. Only u1 (while off) and u3 put plaintext on the wire;
 * everyone who can read them hears them; u3 cannot read the sealed
 * others and is never handed their ciphertext as if it were sound. */
static void scenario_e2ee_switch(uint64_t seed) {
  sim_path path = {30, 10, 0.01, 0, 0};
  sim *s = sim_new(seed, 4, &path);
  uint64_t u1_on_again;
  int i, j;

  sim_set_e2ee(s, 1);
  sim_client_at(s, 3)->no_e2ee = 1;
  for (i = 0; i < 4; i++) {
    sim_at(s, ms(100 * (uint64_t)i), act_join, i);
    sim_talk(s, i, 60);
    sim_at(s, ms(2000 + 100 * (uint64_t)i), act_chat, i);
    sim_at(s, ms(4500 + 100 * (uint64_t)i), act_chat, i);
  }
  sim_at(s, ms(3000), act_e2ee_off, 1);
  sim_at(s, ms(6000), act_e2ee_on, 1);
  sim_run_until(s, ms(2900));
  EXPECT(sim_client_at(s, 1)->markers_sent == 0, "u1 sealed all until 3 s");
  EXPECT(sim_client_at(s, 3)->markers_sent > 0, "u3 sends in the clear");
  EXPECT(sees_in_clear(s, 0, 1) == 0 && sees_in_clear(s, 0, 3) == 1,
         "u0 sees u1 sealing and u3 not");
  sim_run_until(s, ms(5900));
  EXPECT(sim_client_at(s, 1)->markers_sent > 100,
         "u1 sent in the clear while off (%llu frames)",
         (unsigned long long)sim_client_at(s, 1)->markers_sent);
  EXPECT(sees_in_clear(s, 0, 1) == 1 && sees_in_clear(s, 2, 1) == 1 &&
             sees_in_clear(s, 3, 1) == 1,
         "everyone sees that u1 switched E2EE off");
  sim_run_until(s, ms(7000));
  u1_on_again = sim_client_at(s, 1)->markers_sent;
  EXPECT(sees_in_clear(s, 0, 1) == 0, "u0 sees u1 sealing again");
  sim_run_until(s, ms(9000));
  EXPECT(sim_client_at(s, 1)->markers_sent == u1_on_again,
         "u1 sealed everything after switching back on");
  EXPECT(sim_client_at(s, 0)->markers_sent == 0 &&
             sim_client_at(s, 2)->markers_sent == 0,
         "u0 and u2 never sent plaintext");
  for (j = 0; j < 4; j++) {
    sim_client *c = sim_client_at(s, j);
    vc_meeting_stats st;
    vc_meeting_get_stats(c->m, &st);
    /* A client without E2EE cannot tell a sealed frame from sound: the
     * first of u1's frames sealed again can overtake the roster change
     * (a datagram passing a resent control message) and reach u3 as is. */
    EXPECT(c->media_garbled <= (j == 3 ? 2u : 0u),
           "u%d: %llu media frames garbled", j,
           (unsigned long long)c->media_garbled);
    if (j == 3) {
      /* u1's three seconds in the clear, nothing sealed. */
      EXPECT(c->media_received >= 120 && c->media_received <= 160,
             "u3 heard u1 only while off (%llu frames)",
             (unsigned long long)c->media_received);
      EXPECT(st.media_undecryptable > 800, "u3 could not open the others");
      continue;
    }
    /* About 3 x 450 frames from three talkers over 9 s. */
    EXPECT(c->media_received >= 1100, "u%d heard %llu audio frames", j,
           (unsigned long long)c->media_received);
    EXPECT(st.media_in_clear >= 400, "u%d took %llu frames in the clear", j,
           (unsigned long long)st.media_in_clear);
    EXPECT(st.media_undecryptable < 60, "u%d: %llu media frames did not open",
           j, (unsigned long long)st.media_undecryptable);
    for (i = 0; i < 4; i++) {
      if (i != 3 || j != 3) {
        expect_chats(s, j, i, 0);
      }
    }
  }
  expect_within_limits(s);
  sim_del(s);
}

/* ---- a meeting passphrase ------------------------------------------------ */

/* Three share the passphrase, a fourth has another: the three read each
 * other and are told they cannot verify the fourth, who reads nothing. */
static void scenario_passphrase(uint64_t seed) {
  sim_path path = {30, 10, 0.01, 0, 0};
  sim *s = sim_new(seed, 4, &path);
  int i, j;

  sim_set_e2ee(s, 1);
  for (i = 0; i < 4; i++) {
    sim_client_at(s, i)->passphrase = i < 3 ? "correct horse" : "wrong guess";
    sim_at(s, ms(100 * (uint64_t)i), act_join, i);
    sim_at(s, ms(2000 + 100 * (uint64_t)i), act_chat, i);
    sim_at(s, ms(3000 + 100 * (uint64_t)i), act_chat, i);
  }
  sim_run_until(s, ms(5000));
  expect_rosters(s, "with one passphrase wrong");
  for (j = 0; j < 3; j++) {
    for (i = 0; i < 3; i++) {
      expect_chats(s, j, i, 0);
    }
    EXPECT(sim_client_at(s, j)->unverified_seen[3] == 1,
           "u%d was told it cannot verify u3", j);
    EXPECT(sim_client_at(s, 3)->unverified_seen[j] == 1,
           "u3 was told it cannot verify u%d", j);
  }
  /* u3 holds no one's key, and no one holds u3's. */
  for (i = 0; i < 3; i++) {
    vc_meeting_stats st;
    vc_meeting_get_stats(sim_client_at(s, i)->m, &st);
    EXPECT(st.undecryptable == 2, "u%d could not read u3's 2 messages", i);
  }
  {
    vc_meeting_stats st;
    vc_meeting_get_stats(sim_client_at(s, 3)->m, &st);
    EXPECT(st.undecryptable == 6, "u3 could not read the others' 6");
  }
  EXPECT(sim_markers_seen(s) == 0, "no plaintext on the wire");
  expect_within_limits(s);
  sim_del(s);
}

/* ---- a chat flood ------------------------------------------------------- */

static void scenario_chat_flood(uint64_t seed) {
  sim_path path = {30, 10, 0.02, 0, 0};
  sim *s = sim_new(seed, 3, &path);
  int i, k;

  for (i = 0; i < 3; i++) {
    sim_at(s, ms(100 * (uint64_t)i), act_join, i);
  }
  /* Far over the server's 20 per second: 40 messages at once, some
   * refused and resent later; then a burst that straddles the server's
   * rate window, so later messages reach it in a fresh window while
   * earlier ones were refused. Nothing may arrive out of order. */
  for (k = 0; k < 40; k++) {
    sim_at(s, ms(1000), act_chat, 0);
  }
  for (k = 0; k < 30; k++) {
    sim_at(s, ms(4000), act_chat, 2);
  }
  for (k = 0; k < 15; k++) {
    sim_at(s, ms(6000), act_chat, 1);
    sim_at(s, ms(6985), act_chat, 1);
    sim_at(s, ms(6990 + 10 * (uint64_t)k), act_chat, 1);
  }
  for (k = 0; k < 10; k++) {
    sim_at(s, ms(1500 + 100 * (uint64_t)k), act_chat, 0);
    sim_at(s, ms(1550 + 100 * (uint64_t)k), act_chat, 1);
  }
  sim_run_until(s, ms(15000));
  EXPECT(sim_client_at(s, 0)->chats_sent >= VC_MEETING_MAX_PENDING_CHAT,
         "u0 sent %d", sim_client_at(s, 0)->chats_sent);
  for (i = 0; i < 3; i++) {
    expect_chats(s, i, 0, 0);
    expect_chats(s, i, 1, 0);
    expect_chats(s, i, 2, 0);
  }
  EXPECT(sim_client_at(s, 0)->chats_acked == sim_client_at(s, 0)->chats_sent,
         "u0: %d of %d acknowledged", sim_client_at(s, 0)->chats_acked,
         sim_client_at(s, 0)->chats_sent);
  sim_del(s);
}

/* ---- churn --------------------------------------------------------------- */

static void scenario_churn(uint64_t seed) {
  sim_path path = {30, 15, 0.02, 0.1, 0};
  sim *s = sim_new(seed, 40, &path);
  uint64_t r = seed * 2654435761u + 1;
  int t, i;

  for (i = 0; i < 20; i++) {
    sim_at(s, ms(100 * (uint64_t)i), act_join, i);
  }
  for (t = 3; t < 60; t++) {
    int who, what;
    r = r * 6364136223846793005ull + 1442695040888963407ull;
    who = (int)((r >> 33) % 40);
    what = (int)((r >> 20) % 5);
    sim_run_until(s, ms(1000 * (uint64_t)t));
    {
      sim_client *c = sim_client_at(s, who);
      int present = c->m && c->alive && !c->ended;
      if (!present) {
        sim_join(s, who);
      } else if (what == 0) {
        sim_leave(s, who);
      } else if (what == 1) {
        sim_crash(s, who);
      } else if (what == 2) {
        sim_drop_transport(s, who);
      } else {
        sim_chat(s, who);
      }
    }
  }
  /* The last crash may be at 59 s: liveness + grace + 2 s later. */
  sim_run_until(s, ms(59000 + 17000));
  expect_rosters(s, "after an hour's worth of churn in a minute");
  expect_within_limits(s);
  sim_del(s);
}

/* ---- partitions ------------------------------------------------------------
 */

static void scenario_partition(uint64_t seed) {
  sim_path path = {30, 10, 0.01, 0, 0};
  sim *s = sim_new(seed, 10, &path);
  int flicker_before[10], i, j, k;

  for (i = 0; i < 10; i++) {
    sim_at(s, ms(100 * (uint64_t)i), act_join, i);
  }
  sim_run_until(s, ms(3000));
  expect_rosters(s, "before the partitions");
  for (i = 0; i < 10; i++) {
    flicker_before[i] = 0;
    for (j = 0; j < 10; j++) {
      flicker_before[i] += sim_client_at(s, j)->flicker[i];
    }
  }
  for (i = 1; i <= 3; i++) {
    sim_at(s, ms(3000), act_partition, i); /* shorter than liveness */
    sim_at(s, ms(6000), act_heal, i);
  }
  for (i = 8; i <= 9; i++) {
    sim_at(s, ms(3000), act_partition, i); /* longer than liveness+grace */
    sim_at(s, ms(33000), act_heal, i);
  }
  for (k = 0; k < 5; k++) {
    sim_at(s, ms(3500 + 400 * (uint64_t)k), act_chat, 0);
    sim_at(s, ms(3700 + 400 * (uint64_t)k), act_chat, 4);
    sim_at(s, ms(3600 + 400 * (uint64_t)k), act_chat, 2); /* partitioned */
  }
  sim_run_until(s, ms(3000 + 5000 + 10000 + 2000));
  for (j = 0; j < 8; j++) {
    EXPECT(sim_client_at(s, j)->left_seen[8] == 1 &&
               sim_client_at(s, j)->left_seen[9] == 1,
           "u%d saw the long-partitioned u8 and u9 leave", j);
    for (i = 1; i <= 3; i++) {
      int flicker = 0, x;
      for (x = 0; x < 10; x++) {
        flicker += sim_client_at(s, x)->flicker[i];
      }
      EXPECT(flicker == flicker_before[i],
             "u%d's 3 s partition was visible: %d leave/join events", i,
             flicker - flicker_before[i]);
    }
    expect_chats(s, j, 0, 0);
    expect_chats(s, j, 4, 0);
    expect_chats(s, j, 2, 0);
  }
  sim_run_until(s, ms(33000 + 15000));
  expect_rosters(s, "15 s after the long partition healed");
  expect_within_limits(s);
  sim_del(s);
}

/* ---- server restarts
 * ---------------------------------------------------------- */

static void scenario_server_restart(uint64_t seed) {
  sim_path path = {25, 10, 0.01, 0, 0};
  sim *s = sim_new(seed, 10, &path);
  int sent_before[10], i, j;

  for (i = 0; i < 10; i++) {
    sim_at(s, ms(100 * (uint64_t)i), act_join, i);
    sim_at(s, ms(2000 + 50 * (uint64_t)i), act_chat, i);
  }
  sim_run_until(s, ms(5000));
  expect_rosters(s, "before the restart");
  sim_server_restart(s, 2000);
  sim_run_until(s, ms(5000 + 2000 + 12000));
  expect_rosters(s, "12 s after a graceful restart with 2 s down");
  for (i = 0; i < 10; i++) {
    sent_before[i] = sim_client_at(s, i)->chats_sent;
    sim_at(s, ms(19500 + 50 * (uint64_t)i), act_chat, i);
  }
  sim_run_until(s, ms(21000));
  for (j = 0; j < 10; j++) {
    for (i = 0; i < 10; i++) {
      expect_chats(s, j, i, sent_before[i]);
    }
  }
  sim_server_crash(s, 3000);
  sim_run_until(s, ms(21000 + 5000 + 3000 + 12000));
  expect_rosters(s, "after a crash: liveness + 3 s down + 12 s");
  expect_within_limits(s);
  sim_del(s);
}

int main(int argc, char **argv) {
  const char *name = argc > 1 ? argv[1] : "";
  uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;

  if (strcmp(name, "two") == 0) {
    scenario_two(seed);
  } else if (strcmp(name, "ten") == 0) {
    scenario_ten(seed);
  } else if (strcmp(name, "two_hundred") == 0) {
    scenario_two_hundred(seed);
  } else if (strcmp(name, "thousand") == 0) {
    scenario_thousand(seed);
  } else if (strcmp(name, "passphrase") == 0) {
    scenario_passphrase(seed);
  } else if (strcmp(name, "e2ee") == 0) {
    scenario_e2ee(seed);
  } else if (strcmp(name, "e2ee_jitter") == 0) {
    scenario_e2ee_jitter(seed);
  } else if (strcmp(name, "e2ee_switch") == 0) {
    scenario_e2ee_switch(seed);
  } else if (strcmp(name, "chat_flood") == 0) {
    scenario_chat_flood(seed);
  } else if (strcmp(name, "churn") == 0) {
    scenario_churn(seed);
  } else if (strcmp(name, "partition") == 0) {
    scenario_partition(seed);
  } else if (strcmp(name, "server_restart") == 0) {
    scenario_server_restart(seed);
  } else if (strcmp(name, "determinism") == 0) {
    uint64_t a = scenario_ten(seed), b = scenario_ten(seed);
    uint64_t c = scenario_ten(seed + 1);
    EXPECT(a == b, "the same seed gave traces %016llx and %016llx",
           (unsigned long long)a, (unsigned long long)b);
    EXPECT(a != c, "seeds %llu and %llu gave the same trace",
           (unsigned long long)seed, (unsigned long long)seed + 1);
  } else {
    fprintf(
        stderr,
        "usage: vc_sim "
        "two|ten|two_hundred|thousand|e2ee|e2ee_jitter|e2ee_switch|passphrase|"
        "chat_flood|churn|"
        "partition|"
        "server_restart|determinism [seed]\n");
    return 2;
  }
  printf("sim %s (seed %llu): %s, %d failures\n", name,
         (unsigned long long)seed, failures ? "FAILED" : "ok", failures);
  return failures ? 1 : 0;
}
