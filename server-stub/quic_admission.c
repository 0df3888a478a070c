/*
 * quic_admission.c: see quic_admission.h. A hash table of addresses
 * with chaining. Entries stay until the table reaches its cap; then the
 * addresses without a connection are forgotten, those whose bucket is
 * full again first (nothing is lost with them). At most max_connections
 * addresses can have a connection, well under max_addrs, so a sweep
 * always makes room; an attacker flooding from thousands of addresses
 * may lose its rate state that way, and meets the Retry that the QUIC
 * layer sends under load instead.
 */
#include "quic_admission.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define N_BUCKETS 1024

typedef struct entry {
  struct entry *next;
  vc_quic_addr_key key;
  vc_token_bucket initials;
  unsigned conns, handshakes;
} entry;

struct vc_quic_admission {
  vc_quic_admission_config cfg;
  entry *buckets[N_BUCKETS];
  unsigned n_addrs, n_handshakes;
};

void vc_quic_admission_default_config(vc_quic_admission_config *cfg) {
  cfg->initials.per_second = 10;
  cfg->initials.burst = 30;
  cfg->max_conns_per_addr = 64;
  cfg->max_handshakes_per_addr = 16;
  cfg->max_addrs = 4096;
}

void vc_quic_addr_key_of(vc_quic_addr_key *key, const struct sockaddr *sa) {
  memset(key, 0, sizeof(*key));
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *a4 = (const struct sockaddr_in *)sa;
    key->b[10] = key->b[11] = 0xff;
    memcpy(key->b + 12, &a4->sin_addr, 4);
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)sa;
    /* An IPv4 client on a dual-stack socket is one host, not a /64
     * shared by every IPv4 client. */
    size_t len = IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr) ? 16 : 8;
    memcpy(key->b, &a6->sin6_addr, len);
  }
}

int vc_quic_admission_new(vc_quic_admission **pa,
                          const vc_quic_admission_config *cfg) {
  vc_quic_admission *a = calloc(1, sizeof(*a));

  *pa = NULL;
  if (!a) {
    return VC_ERR_NOMEM;
  }
  a->cfg = *cfg;
  *pa = a;
  return 0;
}

void vc_quic_admission_del(vc_quic_admission *a) {
  if (!a) {
    return;
  }
  for (size_t i = 0; i < N_BUCKETS; i++) {
    while (a->buckets[i]) {
      entry *e = a->buckets[i];
      a->buckets[i] = e->next;
      free(e);
    }
  }
  free(a);
}

/* FNV-1a over the key. */
static size_t slot_of(const vc_quic_addr_key *key) {
  uint32_t h = 2166136261u;

  for (size_t i = 0; i < sizeof(key->b); i++) {
    h = (h ^ key->b[i]) * 16777619u;
  }
  return h % N_BUCKETS;
}

static entry *find(const vc_quic_admission *a, const vc_quic_addr_key *key) {
  entry *e;

  for (e = a->buckets[slot_of(key)]; e; e = e->next) {
    if (memcmp(e->key.b, key->b, sizeof(key->b)) == 0) {
      return e;
    }
  }
  return NULL;
}

/* Forgets every address without a connection: first those whose bucket
 * is full again (nothing lost), then, if that made no room, the rest. */
static void sweep(vc_quic_admission *a, vc_tstamp ts, int all) {
  for (size_t i = 0; i < N_BUCKETS; i++) {
    entry **pe = &a->buckets[i];
    while (*pe) {
      entry *e = *pe;
      if (e->conns == 0 && (all || vc_token_bucket_is_full(
                                       &e->initials, &a->cfg.initials, ts))) {
        *pe = e->next;
        free(e);
        a->n_addrs--;
      } else {
        pe = &e->next;
      }
    }
  }
}

vc_quic_admit vc_quic_admission_check(vc_quic_admission *a,
                                      const vc_quic_addr_key *key,
                                      vc_tstamp ts) {
  entry *e = find(a, key);

  if (!e) {
    size_t slot = slot_of(key);
    if (a->n_addrs >= a->cfg.max_addrs) {
      sweep(a, ts, 0);
    }
    if (a->n_addrs >= a->cfg.max_addrs) {
      sweep(a, ts, 1);
    }
    if (a->n_addrs >= a->cfg.max_addrs || !(e = calloc(1, sizeof(*e)))) {
      return VC_QUIC_REFUSE_TABLE;
    }
    e->key = *key;
    e->next = a->buckets[slot];
    a->buckets[slot] = e;
    a->n_addrs++;
  }
  if (e->conns >= a->cfg.max_conns_per_addr) {
    return VC_QUIC_REFUSE_CONNS;
  }
  if (e->handshakes >= a->cfg.max_handshakes_per_addr) {
    return VC_QUIC_REFUSE_HANDSHAKES;
  }
  if (!vc_token_bucket_take(&e->initials, &a->cfg.initials, 1, ts)) {
    return VC_QUIC_REFUSE_RATE;
  }
  return VC_QUIC_ADMIT;
}

void vc_quic_admission_opened(vc_quic_admission *a,
                              const vc_quic_addr_key *key) {
  entry *e = find(a, key);

  if (e) {
    e->conns++;
    e->handshakes++;
    a->n_handshakes++;
  }
}

void vc_quic_admission_established(vc_quic_admission *a,
                                   const vc_quic_addr_key *key) {
  entry *e = find(a, key);

  if (e && e->handshakes > 0) {
    e->handshakes--;
    a->n_handshakes--;
  }
}

void vc_quic_admission_closed(vc_quic_admission *a, const vc_quic_addr_key *key,
                              int established) {
  entry *e = find(a, key);

  if (!e) {
    return;
  }
  if (!established && e->handshakes > 0) {
    e->handshakes--;
    a->n_handshakes--;
  }
  if (e->conns > 0) {
    e->conns--;
  }
}

unsigned vc_quic_admission_handshakes(const vc_quic_admission *a) {
  return a->n_handshakes;
}

unsigned vc_quic_admission_addrs(const vc_quic_admission *a) {
  return a->n_addrs;
}
