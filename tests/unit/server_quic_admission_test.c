/*
 * server_quic_admission_test.c: the QUIC admission control
 * (server-stub/quic_admission.c) and its token bucket, on a fake clock.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "quic_admission.h"
#include "test.h"
#include "token_bucket.h"

#define SEC ((vc_tstamp)1000000000)

static void key4(vc_quic_addr_key *k, const char *ip) {
  struct sockaddr_in sa;

  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  inet_pton(AF_INET, ip, &sa.sin_addr);
  vc_quic_addr_key_of(k, (struct sockaddr *)&sa);
}

static void key6(vc_quic_addr_key *k, const char *ip) {
  struct sockaddr_in6 sa;

  memset(&sa, 0, sizeof(sa));
  sa.sin6_family = AF_INET6;
  inet_pton(AF_INET6, ip, &sa.sin6_addr);
  vc_quic_addr_key_of(k, (struct sockaddr *)&sa);
}

void test_vc_quic_admission_token_bucket_refills_at_its_rate(void) {
  vc_token_bucket b;
  const vc_token_rule r = {2, 3};
  vc_tstamp t = 5 * SEC;
  int n = 0;

  memset(&b, 0, sizeof(b));
  while (vc_token_bucket_take(&b, &r, 1, t)) {
    n++;
  }
  CHECK_INT_EQ(n, 3);
  /* Half a token after 250 ms at 2/s: still nothing. */
  CHECK_INT_EQ(vc_token_bucket_take(&b, &r, 1, t + SEC / 4), 0);
  CHECK_INT_EQ(vc_token_bucket_take(&b, &r, 1, t + SEC / 2), 1);
  CHECK_INT_EQ(vc_token_bucket_take(&b, &r, 1, t + SEC / 2), 0);
  /* A long pause refills to the burst, not beyond. */
  CHECK(!vc_token_bucket_is_full(&b, &r, t + SEC));
  CHECK(vc_token_bucket_is_full(&b, &r, t + 100 * SEC));
  n = 0;
  while (vc_token_bucket_take(&b, &r, 1, t + 100 * SEC)) {
    n++;
  }
  CHECK_INT_EQ(n, 3);
  /* Time going backwards (it must not) takes nothing extra. */
  CHECK_INT_EQ(vc_token_bucket_take(&b, &r, 1, t), 0);
}

/* Issue 20 finding 3: Initials from one address, each opening a
 * connection that never completes its handshake. */
void test_vc_quic_admission_one_address_cannot_fill_the_table(void) {
  vc_quic_admission_config cfg;
  vc_quic_admission *a;
  vc_quic_addr_key attacker, other;
  int admitted = 0, by_handshakes = 0;

  vc_quic_admission_default_config(&cfg);
  CHECK_INT_EQ(vc_quic_admission_new(&a, &cfg), 0);
  key4(&attacker, "192.0.2.7");
  key4(&other, "198.51.100.1");
  for (int i = 0; i < 1100; i++) {
    vc_quic_admit v = vc_quic_admission_check(a, &attacker, SEC);
    if (v == VC_QUIC_ADMIT) {
      vc_quic_admission_opened(a, &attacker);
      admitted++;
    }
    by_handshakes += v == VC_QUIC_REFUSE_HANDSHAKES;
  }
  CHECK_INT_EQ(admitted, 16);
  CHECK_INT_EQ(by_handshakes, 1100 - 16);
  CHECK_INT_EQ(vc_quic_admission_handshakes(a), 16);
  /* Someone else is not held up by it. */
  CHECK_INT_EQ(vc_quic_admission_check(a, &other, SEC), VC_QUIC_ADMIT);
  vc_quic_admission_del(a);
}

void test_vc_quic_admission_initials_are_rate_limited_per_address(void) {
  vc_quic_admission_config cfg;
  vc_quic_admission *a;
  vc_quic_addr_key k;
  int admitted = 0;

  vc_quic_admission_default_config(&cfg);
  CHECK_INT_EQ(vc_quic_admission_new(&a, &cfg), 0);
  key4(&k, "192.0.2.7");
  /* Handshakes that complete at once: only the bucket limits. */
  for (int i = 0; i < 100; i++) {
    if (vc_quic_admission_check(a, &k, SEC) == VC_QUIC_ADMIT) {
      vc_quic_admission_opened(a, &k);
      vc_quic_admission_established(a, &k);
      admitted++;
    }
  }
  CHECK_INT_EQ(admitted, 30);
  CHECK_INT_EQ(vc_quic_admission_check(a, &k, SEC), VC_QUIC_REFUSE_RATE);
  /* 10 a second after that. */
  CHECK_INT_EQ(vc_quic_admission_check(a, &k, SEC + SEC / 10), VC_QUIC_ADMIT);
  CHECK_INT_EQ(vc_quic_admission_check(a, &k, SEC + SEC / 10),
               VC_QUIC_REFUSE_RATE);
  vc_quic_admission_del(a);
}

void test_vc_quic_admission_connections_per_address_are_capped(void) {
  vc_quic_admission_config cfg;
  vc_quic_admission *a;
  vc_quic_addr_key k;
  vc_tstamp t = SEC;

  vc_quic_admission_default_config(&cfg);
  cfg.max_conns_per_addr = 4;
  CHECK_INT_EQ(vc_quic_admission_new(&a, &cfg), 0);
  key6(&k, "2001:db8:1:2::5");
  for (int i = 0; i < 4; i++) {
    CHECK_INT_EQ(vc_quic_admission_check(a, &k, t), VC_QUIC_ADMIT);
    vc_quic_admission_opened(a, &k);
    vc_quic_admission_established(a, &k);
  }
  CHECK_INT_EQ(vc_quic_admission_check(a, &k, t), VC_QUIC_REFUSE_CONNS);
  /* Another host in the same /64 is the same source. */
  key6(&k, "2001:db8:1:2:ffff::1");
  CHECK_INT_EQ(vc_quic_admission_check(a, &k, t), VC_QUIC_REFUSE_CONNS);
  /* IPv4 hosts mapped on a dual-stack socket are not one /64, and each
   * is the same source as over IPv4. */
  {
    vc_quic_addr_key m1, m2, v4;
    key6(&m1, "::ffff:192.0.2.1");
    key6(&m2, "::ffff:192.0.2.2");
    key4(&v4, "192.0.2.1");
    CHECK(memcmp(m1.b, m2.b, 16) != 0);
    CHECK_MEM_EQ(m1.b, v4.b, 16);
  }
  /* One ends: room for one more. */
  vc_quic_admission_closed(a, &k, 1);
  CHECK_INT_EQ(vc_quic_admission_check(a, &k, t), VC_QUIC_ADMIT);
  CHECK_INT_EQ(vc_quic_admission_handshakes(a), 0);
  /* A handshake that fails frees its place too. */
  vc_quic_admission_opened(a, &k);
  CHECK_INT_EQ(vc_quic_admission_handshakes(a), 1);
  vc_quic_admission_closed(a, &k, 0);
  CHECK_INT_EQ(vc_quic_admission_handshakes(a), 0);
  CHECK_INT_EQ(vc_quic_admission_check(a, &k, t), VC_QUIC_ADMIT);
  vc_quic_admission_del(a);
}

void test_vc_quic_admission_a_full_table_forgets_idle_addresses(void) {
  vc_quic_admission_config cfg;
  vc_quic_admission *a;
  vc_quic_addr_key busy, k;
  char ip[32];

  vc_quic_admission_default_config(&cfg);
  cfg.max_addrs = 8;
  CHECK_INT_EQ(vc_quic_admission_new(&a, &cfg), 0);
  key4(&busy, "10.0.0.1");
  CHECK_INT_EQ(vc_quic_admission_check(a, &busy, SEC), VC_QUIC_ADMIT);
  vc_quic_admission_opened(a, &busy);
  /* Spoofed sources, one Initial each, never a connection. */
  for (int i = 0; i < 100; i++) {
    snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 250, i % 250 + 1);
    key4(&k, ip);
    CHECK_INT_EQ(vc_quic_admission_check(a, &k, SEC), VC_QUIC_ADMIT);
    CHECK(vc_quic_admission_addrs(a) <= 8);
  }
  /* The address with a connection was kept, with its count. */
  for (int i = 0; i < 15; i++) {
    CHECK_INT_EQ(vc_quic_admission_check(a, &busy, SEC), VC_QUIC_ADMIT);
    vc_quic_admission_opened(a, &busy);
  }
  CHECK_INT_EQ(vc_quic_admission_check(a, &busy, SEC),
               VC_QUIC_REFUSE_HANDSHAKES);
  vc_quic_admission_del(a);
}
