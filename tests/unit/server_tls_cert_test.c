/*
 * server_tls_cert_test.c: the server's certificate (server-stub/
 * tls_cert.c): what a generated one holds and whether Chromium's
 * serverCertificateHashes could pin it (ECDSA P-256, at most 14 days,
 * the SHA-256 of its DER), PEM files loaded back or refused with the
 * right code, and a real GnuTLS handshake showing the pinned certificate.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "test.h"
#include "tls_cert.h"

#define NOW UINT64_C(1780000000) /* 2026-05-28T20:26:40Z */
#define DAY_S UINT32_C(86400)
#define VALID_S UINT32_C(1123200)    /* 13 days, as the server asks */
#define CA_VALID_S UINT64_C(7776000) /* 90 days, like a CA's certificate */

/* A copy of |c|'s leaf certificate, parsed back from its DER. */
static gnutls_x509_crt_t leaf_of(const vc_tls_cert *c) {
  gnutls_x509_crt_t *list = NULL, crt = NULL;
  gnutls_datum_t der = {NULL, 0};
  unsigned n = 0, i;

  if (gnutls_certificate_get_x509_crt(vc_tls_cert_credentials(c), 0, &list,
                                      &n) < 0) {
    return NULL;
  }
  if (n > 0 &&
      gnutls_x509_crt_export2(list[0], GNUTLS_X509_FMT_DER, &der) == 0 &&
      gnutls_x509_crt_init(&crt) == 0 &&
      gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER) < 0) {
    gnutls_x509_crt_deinit(crt);
    crt = NULL;
  }
  gnutls_free(der.data);
  for (i = 0; i < n; i++) {
    gnutls_x509_crt_deinit(list[i]);
  }
  gnutls_free(list);
  return crt;
}

/* SHA-256 of |crt|'s DER as GnuTLS's own fingerprint function gives it. */
static int fingerprint(gnutls_x509_crt_t crt,
                       uint8_t out[VC_TLS_CERT_SHA256_LEN]) {
  size_t size = VC_TLS_CERT_SHA256_LEN;

  if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, out, &size) < 0 ||
      size != VC_TLS_CERT_SHA256_LEN) {
    return -1;
  }
  return 0;
}

/* A temporary directory with a certificate and a key file in it. */
typedef struct pem_dir {
  char dir[64];
  char cert[96];
  char key[96];
} pem_dir;

static int pem_dir_make(pem_dir *d) {
  strcpy(d->dir, "/tmp/vc_tls_cert_test_XXXXXX");
  if (mkdtemp(d->dir) == NULL) {
    return -1;
  }
  (void)snprintf(d->cert, sizeof(d->cert), "%s/cert.pem", d->dir);
  (void)snprintf(d->key, sizeof(d->key), "%s/key.pem", d->dir);
  return 0;
}

static void pem_dir_remove(const pem_dir *d) {
  (void)unlink(d->cert);
  (void)unlink(d->key);
  (void)rmdir(d->dir);
}

/* Writes |len| bytes to |path|, replacing what was there. */
static int write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  int ok;

  if (f == NULL) {
    return -1;
  }
  ok = fwrite(data, 1, len, f) == len;
  return fclose(f) == 0 && ok ? 0 : -1;
}

/* Writes |c|'s leaf to |path| as PEM. */
static int write_cert_pem(const vc_tls_cert *c, const char *path) {
  gnutls_x509_crt_t crt = leaf_of(c);
  gnutls_datum_t pem = {NULL, 0};
  int rv = -1;

  if (crt != NULL &&
      gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem) == 0) {
    rv = write_file(path, pem.data, pem.size);
  }
  gnutls_free(pem.data);
  gnutls_x509_crt_deinit(crt);
  return rv;
}

/* How write_key_pem writes the key. */
enum key_form { KEY_SEC1, KEY_PKCS8, KEY_PKCS8_ENCRYPTED };

/* Writes |c|'s key to |path| as PEM in |form|. */
static int write_key_pem(const vc_tls_cert *c, const char *path,
                         enum key_form form) {
  gnutls_x509_privkey_t key = NULL;
  gnutls_datum_t pem = {NULL, 0};
  int rv = -1;

  if (gnutls_certificate_get_x509_key(vc_tls_cert_credentials(c), 0, &key) <
      0) {
    return -1;
  }
  switch (form) {
  case KEY_SEC1: /* "EC PRIVATE KEY" */
    rv = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &pem);
    break;
  case KEY_PKCS8: /* "PRIVATE KEY", as openssl writes it */
    rv = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL,
                                           GNUTLS_PKCS_PLAIN, &pem);
    break;
  case KEY_PKCS8_ENCRYPTED:
    rv = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, "secret",
                                           GNUTLS_PKCS_PBES2_AES_256, &pem);
    break;
  }
  rv = rv == 0 ? write_file(path, pem.data, pem.size) : -1;
  if (pem.data != NULL) {
    gnutls_memset(pem.data, 0, pem.size);
  }
  gnutls_free(pem.data);
  gnutls_x509_privkey_deinit(key);
  return rv;
}

void test_vc_tls_cert_generated_is_ecdsa_p256_for_localhost(void) {
  static const uint8_t ipv4[4] = {127, 0, 0, 1};
  static const uint8_t ipv6[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                   0, 0, 0, 0, 0, 0, 0, 1};
  gnutls_datum_t x = {NULL, 0}, y = {NULL, 0};
  gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
  unsigned usage = 0, critical = 0, status = 1, seq, type;
  int san_dns = 0, san_ipv4 = 0, san_ipv6 = 0, rv;
  uint8_t serial[32];
  char buf[64];
  size_t size;
  gnutls_x509_crt_t crt;
  vc_tls_cert *c;

  CHECK_INT_EQ(vc_tls_cert_generate(&c, NOW, VALID_S), 0);
  CHECK_INT_EQ(vc_tls_cert_is_generated(c), 1);
  crt = leaf_of(c);
  CHECK(crt != NULL);

  CHECK_INT_EQ(gnutls_x509_crt_get_version(crt), 3);
  CHECK_INT_EQ(gnutls_x509_crt_get_pk_algorithm(crt, NULL), GNUTLS_PK_ECDSA);
  CHECK_INT_EQ(gnutls_x509_crt_get_pk_ecc_raw(crt, &curve, &x, &y), 0);
  gnutls_free(x.data);
  gnutls_free(y.data);
  CHECK_INT_EQ(curve, GNUTLS_ECC_CURVE_SECP256R1);
  CHECK_INT_EQ(gnutls_x509_crt_get_signature_algorithm(crt),
               GNUTLS_SIGN_ECDSA_SHA256);
  /* Self-signed, and the signature holds (the clock here is not NOW). */
  CHECK_INT_EQ(gnutls_x509_crt_verify(
                   crt, &crt, 1, GNUTLS_VERIFY_DISABLE_TIME_CHECKS, &status),
               0);
  CHECK_INT_EQ(status, 0);

  size = sizeof(buf);
  CHECK_INT_EQ(gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
                                             0, 0, buf, &size),
               0);
  CHECK(size == 9 && memcmp(buf, "localhost", 9) == 0);

  for (seq = 0;; seq++) {
    size = sizeof(buf);
    rv = gnutls_x509_crt_get_subject_alt_name2(crt, seq, buf, &size, &type,
                                               NULL);
    if (rv == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
      break;
    }
    CHECK(rv >= 0);
    san_dns += type == GNUTLS_SAN_DNSNAME && size == 9 &&
               memcmp(buf, "localhost", 9) == 0;
    san_ipv4 += type == GNUTLS_SAN_IPADDRESS && size == sizeof(ipv4) &&
                memcmp(buf, ipv4, sizeof(ipv4)) == 0;
    san_ipv6 += type == GNUTLS_SAN_IPADDRESS && size == sizeof(ipv6) &&
                memcmp(buf, ipv6, sizeof(ipv6)) == 0;
  }
  CHECK_INT_EQ(seq, 3);
  CHECK(san_dns == 1 && san_ipv4 == 1 && san_ipv6 == 1);

  CHECK_INT_EQ(gnutls_x509_crt_get_key_usage(crt, &usage, &critical), 0);
  CHECK_INT_EQ(usage, GNUTLS_KEY_DIGITAL_SIGNATURE);
  size = sizeof(buf);
  CHECK_INT_EQ(gnutls_x509_crt_get_key_purpose_oid(crt, 0, buf, &size, NULL),
               0);
  CHECK(strcmp(buf, GNUTLS_KP_TLS_WWW_SERVER) == 0);
  size = sizeof(buf);
  CHECK_INT_EQ(gnutls_x509_crt_get_key_purpose_oid(crt, 1, buf, &size, NULL),
               GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE);
  CHECK_INT_EQ(gnutls_x509_crt_get_ca_status(crt, NULL), 0);

  /* 16 random bytes, positive as DER wants. */
  size = sizeof(serial);
  CHECK_INT_EQ(gnutls_x509_crt_get_serial(crt, serial, &size), 0);
  CHECK_INT_EQ(size, 16);
  CHECK(serial[0] >= 0x40 && serial[0] < 0x80);

  gnutls_x509_crt_deinit(crt);
  vc_tls_cert_del(c);
}

void test_vc_tls_cert_generated_validity_is_within_fourteen_days(void) {
  gnutls_x509_crt_t crt;
  vc_tls_cert *c;
  time_t from, to;

  CHECK_INT_EQ(vc_tls_cert_generate(&c, NOW, VALID_S), 0);
  crt = leaf_of(c);
  CHECK(crt != NULL);
  from = gnutls_x509_crt_get_activation_time(crt);
  to = gnutls_x509_crt_get_expiration_time(crt);
  gnutls_x509_crt_deinit(crt);
  CHECK_INT_EQ(from, NOW - 3600);
  CHECK_INT_EQ(to, NOW + VALID_S);
  CHECK(to - from <= (time_t)VC_TLS_CERT_MAX_VALID_S);
  CHECK_INT_EQ(vc_tls_cert_not_after(c), to);
  /* Renewal comes halfway, and the old one is still good for as long. */
  CHECK_INT_EQ(vc_tls_cert_renew_at(c), NOW + VALID_S / 2);
  vc_tls_cert_del(c);

  /* A clock near the epoch cannot go back an hour: notBefore stops at 0. */
  CHECK_INT_EQ(vc_tls_cert_generate(&c, 60, DAY_S), 0);
  crt = leaf_of(c);
  CHECK(crt != NULL);
  CHECK_INT_EQ(gnutls_x509_crt_get_activation_time(crt), 0);
  gnutls_x509_crt_deinit(crt);
  vc_tls_cert_del(c);
}

void test_vc_tls_cert_sha256_is_the_fingerprint_of_the_der(void) {
  uint8_t want[VC_TLS_CERT_SHA256_LEN];
  unsigned char text_copy[VC_TLS_CERT_SHA256_BASE64_LEN];
  gnutls_datum_t b64, raw = {NULL, 0};
  gnutls_x509_crt_t crt;
  const char *text;
  vc_tls_cert *c;

  CHECK_INT_EQ(vc_tls_cert_generate(&c, NOW, 10 * DAY_S), 0);
  crt = leaf_of(c);
  CHECK(crt != NULL);
  CHECK_INT_EQ(fingerprint(crt, want), 0);
  gnutls_x509_crt_deinit(crt);
  CHECK_MEM_EQ(vc_tls_cert_sha256(c), want, sizeof(want));

  /* The base64 form decodes to the same 32 bytes. */
  text = vc_tls_cert_sha256_base64(c);
  CHECK_INT_EQ(strlen(text), VC_TLS_CERT_SHA256_BASE64_LEN);
  memcpy(text_copy, text, sizeof(text_copy));
  b64.data = text_copy;
  b64.size = VC_TLS_CERT_SHA256_BASE64_LEN;
  CHECK_INT_EQ(gnutls_base64_decode2(&b64, &raw), 0);
  CHECK(raw.size == sizeof(want) && memcmp(raw.data, want, raw.size) == 0);
  gnutls_free(raw.data);
  vc_tls_cert_del(c);
}

void test_vc_tls_cert_two_generations_differ(void) {
  uint8_t id_a[32], id_b[32];
  size_t size_a = sizeof(id_a), size_b = sizeof(id_b);
  gnutls_x509_crt_t crt_a, crt_b;
  vc_tls_cert *a, *b;

  CHECK_INT_EQ(vc_tls_cert_generate(&a, NOW, VALID_S), 0);
  CHECK_INT_EQ(vc_tls_cert_generate(&b, NOW, VALID_S), 0);
  CHECK(memcmp(vc_tls_cert_sha256(a), vc_tls_cert_sha256(b),
               VC_TLS_CERT_SHA256_LEN) != 0);
  CHECK(strcmp(vc_tls_cert_sha256_base64(a), vc_tls_cert_sha256_base64(b)) !=
        0);
  crt_a = leaf_of(a);
  crt_b = leaf_of(b);
  CHECK(crt_a != NULL && crt_b != NULL);
  CHECK_INT_EQ(gnutls_x509_crt_get_key_id(crt_a, 0, id_a, &size_a), 0);
  CHECK_INT_EQ(gnutls_x509_crt_get_key_id(crt_b, 0, id_b, &size_b), 0);
  gnutls_x509_crt_deinit(crt_a);
  gnutls_x509_crt_deinit(crt_b);
  CHECK(size_a == size_b && memcmp(id_a, id_b, size_a) != 0);
  vc_tls_cert_del(a);
  vc_tls_cert_del(b);
}

void test_vc_tls_cert_validity_over_fourteen_days_is_refused(void) {
  char sentinel;
  vc_tls_cert *c = (vc_tls_cert *)(void *)&sentinel; /* seen to be cleared */

  CHECK_INT_EQ(vc_tls_cert_generate(&c, NOW, VC_TLS_CERT_MAX_VALID_S + 1),
               VC_ERR_INVALID_ARGUMENT);
  CHECK(c == NULL);
  CHECK_INT_EQ(vc_tls_cert_generate(&c, NOW, UINT32_MAX),
               VC_ERR_INVALID_ARGUMENT);
  CHECK_INT_EQ(vc_tls_cert_generate(&c, NOW, 0), VC_ERR_INVALID_ARGUMENT);
  /* Past what X.509 can write. */
  CHECK_INT_EQ(vc_tls_cert_generate(&c, UINT64_MAX - 10, DAY_S),
               VC_ERR_INVALID_ARGUMENT);
  CHECK(c == NULL);

  /* Exactly 14 days is still allowed. */
  CHECK_INT_EQ(vc_tls_cert_generate(&c, NOW, VC_TLS_CERT_MAX_VALID_S), 0);
  CHECK_INT_EQ(vc_tls_cert_not_after(c), NOW + VC_TLS_CERT_MAX_VALID_S);
  vc_tls_cert_del(c);
}

void test_vc_tls_cert_load_round_trips_exported_pem(void) {
  char why[2][VC_TLS_CERT_WHY_LEN];
  vc_tls_cert *gen, *c[2] = {NULL, NULL};
  int rv[2] = {-1, -1}, i;
  pem_dir d;

  CHECK_INT_EQ(vc_tls_cert_generate(&gen, NOW, VALID_S), 0);
  CHECK_INT_EQ(pem_dir_make(&d), 0);
  /* The key as "EC PRIVATE KEY" and as PKCS#8 "PRIVATE KEY". */
  for (i = 0; i < 2; i++) {
    strcpy(why[i], "untouched");
    if (write_cert_pem(gen, d.cert) == 0 &&
        write_key_pem(gen, d.key, i == 0 ? KEY_SEC1 : KEY_PKCS8) == 0) {
      rv[i] = vc_tls_cert_load(&c[i], d.cert, d.key, why[i], sizeof(why[i]));
    }
  }
  pem_dir_remove(&d);
  for (i = 0; i < 2; i++) {
    CHECK_INT_EQ(rv[i], 0);
    CHECK(why[i][0] == '\0');
    CHECK_MEM_EQ(vc_tls_cert_sha256(c[i]), vc_tls_cert_sha256(gen),
                 VC_TLS_CERT_SHA256_LEN);
    CHECK(strcmp(vc_tls_cert_sha256_base64(c[i]),
                 vc_tls_cert_sha256_base64(gen)) == 0);
    CHECK_INT_EQ(vc_tls_cert_not_after(c[i]), vc_tls_cert_not_after(gen));
    CHECK_INT_EQ(vc_tls_cert_is_generated(c[i]), 0);
    CHECK(vc_tls_cert_renew_at(c[i]) == UINT64_MAX);
    vc_tls_cert_del(c[i]);
    c[i] = NULL;
  }
  vc_tls_cert_del(gen);
}

void test_vc_tls_cert_load_refuses_a_key_that_is_not_the_certs(void) {
  char why[VC_TLS_CERT_WHY_LEN];
  vc_tls_cert *a, *b, *c = NULL;
  pem_dir d;
  int rv;

  CHECK_INT_EQ(vc_tls_cert_generate(&a, NOW, VALID_S), 0);
  CHECK_INT_EQ(vc_tls_cert_generate(&b, NOW, VALID_S), 0);
  CHECK_INT_EQ(pem_dir_make(&d), 0);
  rv = write_cert_pem(a, d.cert) | write_key_pem(b, d.key, KEY_PKCS8);
  if (rv == 0) {
    rv = vc_tls_cert_load(&c, d.cert, d.key, why, sizeof(why));
  }
  pem_dir_remove(&d);
  CHECK_INT_EQ(rv, VC_ERR_INVALID_ARGUMENT);
  CHECK(c == NULL);
  CHECK(strstr(why, "does not hold the key") != NULL);
  CHECK(strstr(why, d.key) != NULL);
  vc_tls_cert_del(a);
  vc_tls_cert_del(b);
}

/*
 * A certificate for |key| named |cn|, valid 90 days from NOW, signed by
 * |issuer| and |issuer_key| or, when they are NULL, by itself as a CA.
 */
static gnutls_x509_crt_t make_crt(gnutls_x509_privkey_t key, const char *cn,
                                  gnutls_x509_crt_t issuer,
                                  gnutls_x509_privkey_t issuer_key) {
  static const uint8_t serial[1] = {1};
  gnutls_x509_crt_t crt;
  int ca = issuer == NULL;

  if (gnutls_x509_crt_init(&crt) < 0) {
    return NULL;
  }
  if (gnutls_x509_crt_set_version(crt, 3) < 0 ||
      gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ||
      gnutls_x509_crt_set_key(crt, key) < 0 ||
      gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
                                    (unsigned)strlen(cn)) < 0 ||
      gnutls_x509_crt_set_activation_time(crt, (time_t)NOW) < 0 ||
      gnutls_x509_crt_set_expiration_time(crt, (time_t)(NOW + CA_VALID_S)) <
          0 ||
      gnutls_x509_crt_set_basic_constraints(crt, (unsigned)ca, -1) < 0 ||
      gnutls_x509_crt_set_key_usage(crt, ca ? GNUTLS_KEY_KEY_CERT_SIGN
                                            : GNUTLS_KEY_DIGITAL_SIGNATURE) <
          0 ||
      gnutls_x509_crt_sign2(crt, ca ? crt : issuer, ca ? key : issuer_key,
                            GNUTLS_DIG_SHA256, 0) < 0) {
    gnutls_x509_crt_deinit(crt);
    return NULL;
  }
  return crt;
}

/* Writes the PEM of |a| and then |b| to |path|. */
static int write_chain_pem(const char *path, gnutls_x509_crt_t a,
                           gnutls_x509_crt_t b) {
  gnutls_datum_t pa = {NULL, 0}, pb = {NULL, 0};
  FILE *f;
  int ok;

  ok = gnutls_x509_crt_export2(a, GNUTLS_X509_FMT_PEM, &pa) == 0 &&
       gnutls_x509_crt_export2(b, GNUTLS_X509_FMT_PEM, &pb) == 0 &&
       (f = fopen(path, "wb")) != NULL;
  if (ok) {
    ok = fwrite(pa.data, 1, pa.size, f) == pa.size &&
         fwrite(pb.data, 1, pb.size, f) == pb.size;
    ok = fclose(f) == 0 && ok;
  }
  gnutls_free(pa.data);
  gnutls_free(pb.data);
  return ok ? 0 : -1;
}

void test_vc_tls_cert_load_keeps_the_chain_after_the_leaf(void) {
  gnutls_x509_privkey_t ca_key = NULL, leaf_key = NULL;
  gnutls_x509_crt_t ca = NULL, leaf = NULL, *sent = NULL;
  uint8_t want[VC_TLS_CERT_SHA256_LEN];
  gnutls_datum_t key_pem = {NULL, 0};
  vc_tls_cert *c = NULL, *reversed = NULL;
  char why[VC_TLS_CERT_WHY_LEN];
  unsigned n_sent = 0, i;
  int ok, loaded = -1, refused = -1;
  pem_dir d;

  /* A host's certificate from a CA: RSA, 90 days, none of which matters
   * for a certificate that is not pinned. */
  ok = gnutls_x509_privkey_init(&ca_key) == 0 &&
       gnutls_x509_privkey_init(&leaf_key) == 0 &&
       gnutls_x509_privkey_generate(
           ca_key, GNUTLS_PK_ECDSA,
           GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP384R1), 0) == 0 &&
       gnutls_x509_privkey_generate(leaf_key, GNUTLS_PK_RSA, 2048, 0) == 0 &&
       (ca = make_crt(ca_key, "test CA", NULL, NULL)) != NULL &&
       (leaf = make_crt(leaf_key, "host.example", ca, ca_key)) != NULL &&
       fingerprint(leaf, want) == 0 &&
       gnutls_x509_privkey_export2(leaf_key, GNUTLS_X509_FMT_PEM, &key_pem) ==
           0 &&
       pem_dir_make(&d) == 0;
  if (ok) {
    ok = write_file(d.key, key_pem.data, key_pem.size) == 0 &&
         write_chain_pem(d.cert, leaf, ca) == 0;
    loaded = vc_tls_cert_load(&c, d.cert, d.key, why, sizeof(why));
    /* The issuer first: the first certificate is taken for the host's. */
    ok = ok && write_chain_pem(d.cert, ca, leaf) == 0;
    refused = vc_tls_cert_load(&reversed, d.cert, d.key, why, sizeof(why));
    pem_dir_remove(&d);
  }
  if (key_pem.data != NULL) {
    gnutls_memset(key_pem.data, 0, key_pem.size);
  }
  gnutls_free(key_pem.data);
  gnutls_x509_crt_deinit(leaf);
  gnutls_x509_crt_deinit(ca);
  gnutls_x509_privkey_deinit(leaf_key);
  gnutls_x509_privkey_deinit(ca_key);
  CHECK(ok);
  CHECK_INT_EQ(loaded, 0);
  CHECK_INT_EQ(refused, VC_ERR_INVALID_ARGUMENT);
  CHECK(reversed == NULL);
  CHECK(strstr(why, "first certificate") != NULL);

  /* Both go to the peer, the host's first, and the host's is pinned. */
  CHECK_MEM_EQ(vc_tls_cert_sha256(c), want, sizeof(want));
  CHECK_INT_EQ(gnutls_certificate_get_x509_crt(vc_tls_cert_credentials(c), 0,
                                               &sent, &n_sent),
               0);
  ok = n_sent == 2 && fingerprint(sent[0], want) == 0 &&
       memcmp(want, vc_tls_cert_sha256(c), sizeof(want)) == 0;
  for (i = 0; i < n_sent; i++) {
    gnutls_x509_crt_deinit(sent[i]);
  }
  gnutls_free(sent);
  CHECK(ok);
  CHECK_INT_EQ(vc_tls_cert_not_after(c), NOW + CA_VALID_S);
  vc_tls_cert_del(c);
}

/* One refused load: its code and its sentence. */
typedef struct refusal {
  int rv;
  char why[VC_TLS_CERT_WHY_LEN];
} refusal;

static void load_refused(refusal *r, const char *cert, const char *key) {
  vc_tls_cert *c = NULL;

  r->rv = vc_tls_cert_load(&c, cert, key, r->why, sizeof(r->why));
  if (r->rv == 0 || c != NULL) {
    r->rv = 0; /* loaded: the caller's check fails */
    vc_tls_cert_del(c);
  }
}

void test_vc_tls_cert_load_refuses_missing_and_unparsable_files(void) {
  static const char garbage[] = "-----BEGIN CERTIFICATE-----\n"
                                "bm90IGEgY2VydGlmaWNhdGU=\n"
                                "-----END CERTIFICATE-----\n";
  refusal missing_cert, missing_key, no_path, directory, key_as_cert,
      cert_as_key, encrypted_key, garbage_cert;
  vc_tls_cert *gen, *c = NULL;
  int written, no_why;
  pem_dir d;

  CHECK_INT_EQ(vc_tls_cert_generate(&gen, NOW, VALID_S), 0);
  CHECK_INT_EQ(pem_dir_make(&d), 0);
  written = write_cert_pem(gen, d.cert) == 0 &&
            write_key_pem(gen, d.key, KEY_PKCS8) == 0;
  load_refused(&missing_cert, "/nonexistent/cert.pem", d.key);
  load_refused(&missing_key, d.cert, "/nonexistent/key.pem");
  load_refused(&no_path, d.cert, "");
  load_refused(&directory, d.dir, d.key);
  /* A key where the certificate should be, and the other way round. */
  load_refused(&key_as_cert, d.key, d.key);
  load_refused(&cert_as_key, d.cert, d.cert);
  written = written && write_key_pem(gen, d.key, KEY_PKCS8_ENCRYPTED) == 0;
  load_refused(&encrypted_key, d.cert, d.key);
  written = written && write_file(d.cert, garbage, sizeof(garbage) - 1) == 0;
  load_refused(&garbage_cert, d.cert, d.key);
  /* No room for a sentence is fine too. */
  no_why = vc_tls_cert_load(&c, d.dir, d.key, NULL, 0);
  pem_dir_remove(&d);
  vc_tls_cert_del(gen);
  CHECK(written);
  CHECK_INT_EQ(no_why, VC_ERR_INVALID_ARGUMENT);

  /* A file that cannot be read is named, with the system's reason. */
  CHECK_INT_EQ(missing_cert.rv, VC_ERR_INVALID_ARGUMENT);
  CHECK(strstr(missing_cert.why, "/nonexistent/cert.pem") != NULL);
  CHECK(strstr(missing_cert.why, "No such file") != NULL);
  CHECK_INT_EQ(missing_key.rv, VC_ERR_INVALID_ARGUMENT);
  CHECK(strstr(missing_key.why, "/nonexistent/key.pem") != NULL);
  CHECK_INT_EQ(no_path.rv, VC_ERR_INVALID_ARGUMENT);
  CHECK(strcmp(no_path.why, "no key file given") == 0);
  CHECK_INT_EQ(directory.rv, VC_ERR_INVALID_ARGUMENT);
  CHECK(strstr(directory.why, "Is a directory") != NULL);

  /* A file that is there but is not what it should be is malformed. */
  CHECK_INT_EQ(key_as_cert.rv, VC_ERR_MALFORMED);
  CHECK(strstr(key_as_cert.why, "no PEM certificate") != NULL);
  CHECK_INT_EQ(cert_as_key.rv, VC_ERR_MALFORMED);
  CHECK(strstr(cert_as_key.why, "no PEM private key") != NULL);
  CHECK_INT_EQ(encrypted_key.rv, VC_ERR_MALFORMED);
  CHECK(strstr(encrypted_key.why, "encrypted") != NULL);
  CHECK_INT_EQ(garbage_cert.rv, VC_ERR_MALFORMED);
  CHECK(strstr(garbage_cert.why, d.cert) != NULL);
  CHECK(c == NULL);
}

/* Runs both handshakes over non-blocking sockets until both are done. */
static int handshake_both(gnutls_session_t client, gnutls_session_t server) {
  int client_rv = GNUTLS_E_AGAIN, server_rv = GNUTLS_E_AGAIN, round;

  for (round = 0; round < 100; round++) {
    if (client_rv != 0) {
      client_rv = gnutls_handshake(client);
    }
    if (server_rv != 0) {
      server_rv = gnutls_handshake(server);
    }
    if (client_rv == 0 && server_rv == 0) {
      return 0;
    }
    if ((client_rv < 0 && gnutls_error_is_fatal(client_rv)) ||
        (server_rv < 0 && gnutls_error_is_fatal(server_rv))) {
      return -1;
    }
  }
  return -1;
}

void test_vc_tls_cert_handshake_shows_the_pinned_certificate(void) {
  gnutls_certificate_credentials_t client_cred = NULL;
  gnutls_session_t client = NULL, server = NULL;
  uint8_t hash[VC_TLS_CERT_SHA256_LEN];
  const gnutls_datum_t *peers;
  unsigned n_peers = 0;
  char got[8] = {0};
  int fds[2], ok;
  vc_tls_cert *c;

  CHECK_INT_EQ(vc_tls_cert_generate(&c, NOW, VALID_S), 0);
  CHECK_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ok = fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0 &&
       fcntl(fds[1], F_SETFL, O_NONBLOCK) == 0 &&
       gnutls_init(&server, GNUTLS_SERVER | GNUTLS_NONBLOCK) == 0 &&
       gnutls_init(&client, GNUTLS_CLIENT | GNUTLS_NONBLOCK) == 0 &&
       gnutls_certificate_allocate_credentials(&client_cred) == 0 &&
       gnutls_set_default_priority(server) == 0 &&
       gnutls_set_default_priority(client) == 0 &&
       gnutls_credentials_set(server, GNUTLS_CRD_CERTIFICATE,
                              vc_tls_cert_credentials(c)) == 0 &&
       gnutls_credentials_set(client, GNUTLS_CRD_CERTIFICATE, client_cred) ==
           0 &&
       gnutls_server_name_set(client, GNUTLS_NAME_DNS, "localhost", 9) == 0;
  if (ok) {
    /* No gnutls_session_set_verify_cert: the client does not verify, as
     * a page with serverCertificateHashes only compares the hash. */
    gnutls_transport_set_int(server, fds[0]);
    gnutls_transport_set_int(client, fds[1]);
    ok = handshake_both(client, server) == 0;
  }
  /* QUIC carries TLS 1.3 only (RFC 9001 §4.2). */
  ok = ok && gnutls_protocol_get_version(server) == GNUTLS_TLS1_3;
  if (ok) {
    peers = gnutls_certificate_get_peers(client, &n_peers);
    ok = peers != NULL && n_peers == 1 &&
         gnutls_hash_fast(GNUTLS_DIG_SHA256, peers[0].data, peers[0].size,
                          hash) == 0;
  }
  /* The key works for records too, not just for the handshake. */
  if (ok && gnutls_record_send(client, "ping", 4) == 4) {
    ok = gnutls_record_recv(server, got, sizeof(got)) == 4;
  }
  if (server != NULL) {
    gnutls_deinit(server);
  }
  if (client != NULL) {
    gnutls_deinit(client);
  }
  if (client_cred != NULL) {
    gnutls_certificate_free_credentials(client_cred);
  }
  (void)close(fds[0]);
  (void)close(fds[1]);
  CHECK(ok);
  CHECK_MEM_EQ(hash, vc_tls_cert_sha256(c), sizeof(hash));
  CHECK(memcmp(got, "ping", 4) == 0);
  vc_tls_cert_del(c);
}
