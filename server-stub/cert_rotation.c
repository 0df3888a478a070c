/*
 * cert_rotation.c: see cert_rotation.h.
 *
 * A certificate that was replaced is kept until the next rotation (days
 * later), because GnuTLS sessions still running on it hold its
 * credentials.
 */
#include "cert_rotation.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <vc/vc.h>

#include "log.h"
#include "tls_cert.h"

/* A generated certificate is valid this long (under Chromium's 14 days,
 * with a day to spare for clocks that disagree). */
#define VALID_S (13u * 24u * 3600u)
/* Both hashes are announced this long before new connections switch. */
#define ROTATION_OVERLAP_S 600.0

struct vc_cert_rotation {
  struct ev_loop *loop;
  vc_cert_rotation_settings s;
  vc_cert_rotation_switch_cb on_switch;
  void *user_data;
  vc_tls_cert *current, *next, *retired;
  ev_timer timer;
};

static void schedule_renewal(vc_cert_rotation *r) {
  uint64_t at = vc_tls_cert_renew_at(r->current);
  uint64_t now = (uint64_t)time(NULL);

  if (at == UINT64_MAX) {
    return; /* a host's own certificate */
  }
  ev_timer_set(&r->timer, at > now ? (double)(at - now) : 1.0, 0.);
  ev_timer_start(r->loop, &r->timer);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents) {
  vc_cert_rotation *r = w->data;

  (void)loop;
  (void)revents;
  if (!r->next) {
    /* Renewal time: make the next one and announce it. */
    if (vc_tls_cert_generate(&r->next, (uint64_t)time(NULL), r->s.valid_s) !=
        0) {
      vc_log(VC_LOG_ERROR, "certificate: could not make the next one; "
                           "trying again in a minute");
      r->next = NULL;
      ev_timer_set(&r->timer, 60., 0.);
      ev_timer_start(r->loop, &r->timer);
      return;
    }
    vc_log(VC_LOG_INFO, "certificate: next one announced (sha-256 %s)",
           vc_tls_cert_sha256_base64(r->next));
    ev_timer_set(&r->timer, r->s.overlap_s, 0.);
    ev_timer_start(r->loop, &r->timer);
    return;
  }
  /* Switch: new connections get the next certificate. */
  vc_tls_cert_del(r->retired);
  r->retired = r->current;
  r->current = r->next;
  r->next = NULL;
  r->on_switch(r->user_data, vc_tls_cert_credentials(r->current));
  vc_log(VC_LOG_INFO, "certificate: switched to sha-256 %s",
         vc_tls_cert_sha256_base64(r->current));
  schedule_renewal(r);
}

void vc_cert_rotation_settings_default(vc_cert_rotation_settings *s) {
  s->valid_s = VALID_S;
  s->overlap_s = ROTATION_OVERLAP_S;
}

int vc_cert_rotation_start(vc_cert_rotation **pr, struct ev_loop *loop,
                           const vc_cert_rotation_settings *settings,
                           const char *cert_path, const char *key_path,
                           vc_cert_rotation_switch_cb on_switch,
                           void *user_data, char *why, size_t why_len) {
  vc_cert_rotation *r = calloc(1, sizeof(*r));
  int rv;

  if (!r) {
    snprintf(why, why_len, "out of memory");
    return VC_ERR_NOMEM;
  }
  if (settings) {
    r->s = *settings;
  } else {
    vc_cert_rotation_settings_default(&r->s);
  }
  if (cert_path || key_path) {
    rv = vc_tls_cert_load(&r->current, cert_path, key_path, why, why_len);
  } else {
    rv = vc_tls_cert_generate(&r->current, (uint64_t)time(NULL), r->s.valid_s);
    if (rv != 0) {
      snprintf(why, why_len, "could not make a certificate: %s",
               vc_strerror(rv));
    }
  }
  if (rv != 0) {
    free(r);
    return rv;
  }
  r->loop = loop;
  r->on_switch = on_switch;
  r->user_data = user_data;
  ev_timer_init(&r->timer, on_timer, 1., 0.);
  r->timer.data = r;
  schedule_renewal(r);
  *pr = r;
  return 0;
}

gnutls_certificate_credentials_t
vc_cert_rotation_credentials(const vc_cert_rotation *r) {
  return vc_tls_cert_credentials(r->current);
}

size_t vc_cert_rotation_hashes(const vc_cert_rotation *r, const char *out[2]) {
  size_t n = 0;

  if (!vc_tls_cert_is_generated(r->current)) {
    return 0;
  }
  out[n++] = vc_tls_cert_sha256_base64(r->current);
  if (r->next) {
    out[n++] = vc_tls_cert_sha256_base64(r->next);
  }
  return n;
}

void vc_cert_rotation_stop(vc_cert_rotation *r) {
  if (!r) {
    return;
  }
  ev_timer_stop(r->loop, &r->timer);
  vc_tls_cert_del(r->current);
  vc_tls_cert_del(r->next);
  vc_tls_cert_del(r->retired);
  free(r);
}
