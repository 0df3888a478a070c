/*
 * cert_rotation_test.c: the WebTransport certificate's rotation
 * (server-stub/cert_rotation.c) on a real libev loop, with its life cut
 * from 13 days to 6 s and the overlap from 10 minutes to 2 s: halfway
 * the next certificate is made and both hashes are announced; after the
 * overlap new connections get it (the switch callback) and only its hash
 * is announced; a host's own certificate is never rotated.
 */
#include <stdio.h>
#include <string.h>

#include <ev.h>

#include "cert_rotation.h"

static int failures;
static int switches;
static gnutls_certificate_credentials_t switched_to;
static vc_cert_rotation *rot;
static size_t hashes_at_switch;
static char hash_at_switch[64];

/* |cond| is evaluated once: it may start things. */
#define EXPECT(cond, ...)                                                      \
  do {                                                                         \
    int ok_ = (cond);                                                          \
    printf("%s ", ok_ ? "ok  " : "FAIL");                                      \
    printf(__VA_ARGS__);                                                       \
    printf("\n");                                                              \
    if (!ok_) {                                                                \
      failures++;                                                              \
    }                                                                          \
  } while (0)

static void on_switch(void *user_data, gnutls_certificate_credentials_t c) {
  const char *h[2];

  (void)user_data;
  switches++;
  switched_to = c;
  hashes_at_switch = vc_cert_rotation_hashes(rot, h);
  snprintf(hash_at_switch, sizeof(hash_at_switch), "%s",
           hashes_at_switch ? h[0] : "");
}

static void on_stop(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)w;
  (void)revents;
  ev_break(loop, EVBREAK_ONE);
}

/* Runs |loop| for |s| seconds. */
static void run_for(struct ev_loop *loop, double s) {
  ev_timer t;

  ev_timer_init(&t, on_stop, s, 0.);
  ev_timer_start(loop, &t);
  ev_run(loop, 0);
  ev_timer_stop(loop, &t);
}

int main(void) {
  struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
  vc_cert_rotation_settings s;
  vc_cert_rotation *r = NULL;
  const char *h[2];
  char first[64], why[256];
  gnutls_certificate_credentials_t before;
  size_t n;

  vc_cert_rotation_settings_default(&s);
  EXPECT(s.valid_s == 13u * 24u * 3600u && s.overlap_s == 600.0,
         "defaults: 13 days, 10 minutes of overlap");
  s.valid_s = 6;
  s.overlap_s = 2.0;
  EXPECT(vc_cert_rotation_start(&r, loop, &s, NULL, NULL, on_switch, NULL, why,
                                sizeof(why)) == 0,
         "a certificate is made at start");
  rot = r;
  n = vc_cert_rotation_hashes(r, h);
  EXPECT(n == 1 && strlen(h[0]) == 44, "one hash announced (%zu)", n);
  snprintf(first, sizeof(first), "%s", n ? h[0] : "");
  before = vc_cert_rotation_credentials(r);

  /* Renewal is halfway (3 s, counted in whole seconds, so 2-3 s from
   * now): by 3.5 s the next is announced beside the current one, and
   * the switch (2 s later) has not come. */
  run_for(loop, 3.5);
  n = vc_cert_rotation_hashes(r, h);
  EXPECT(n == 2 && strcmp(h[0], first) == 0 && strcmp(h[1], first) != 0,
         "halfway: the next hash is announced beside the current one");
  EXPECT(switches == 0, "no switch before the overlap ran out");
  EXPECT(vc_cert_rotation_credentials(r) == before,
         "new connections still get the current certificate");

  /* After the overlap: switched, and then only the new hash announced. */
  run_for(loop, 2.0);
  EXPECT(switches == 1 && switched_to != before,
         "after the overlap new connections get the next certificate");
  EXPECT(hashes_at_switch == 1 && strcmp(hash_at_switch, first) != 0,
         "from the switch on only the new hash is announced");
  vc_cert_rotation_stop(r);

  /* A host's certificate that cannot be loaded: a sentence, no rotation. */
  r = NULL;
  EXPECT(vc_cert_rotation_start(&r, loop, &s, "/nonexistent/cert.pem",
                                "/nonexistent/key.pem", on_switch, NULL, why,
                                sizeof(why)) < 0 &&
             strstr(why, "/nonexistent/cert.pem") != NULL,
         "a missing --cert file is refused with its name (%s)", why);

  printf("cert_rotation: %d failures\n", failures);
  return failures ? 1 : 0;
}
