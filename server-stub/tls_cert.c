/*
 * tls_cert.c: the server's certificate (tls_cert.h). Generation follows
 * WEBTRANSPORT-NOTES §4 (what Chromium accepts for serverCertificateHashes:
 * ECDSA, at most 14 days) with the extensions a browser expects of a
 * server certificate (RFC 5280 §4.2.1.3, §4.2.1.6, §4.2.1.12). Both paths
 * end in cert_finish, which hashes the leaf and hands chain and key to a
 * GnuTLS credentials object; from then on the key lives only there.
 */
#define _POSIX_C_SOURCE 200809L
#include "tls_cert.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

struct vc_tls_cert {
  gnutls_certificate_credentials_t cred;
  uint64_t not_after;
  uint64_t renew_at;
  int generated;
  uint8_t sha256[VC_TLS_CERT_SHA256_LEN];
  char sha256_base64[VC_TLS_CERT_SHA256_BASE64_LEN + 1];
};

#define CERT_SERIAL_LEN 16
/* 9999-12-31T23:59:59Z, the last time X.509 can write (RFC 5280 4.1.2.5). */
#define CERT_MAX_UNIX_S UINT64_C(253402300799)

static const char cert_cn[] = "localhost";
static const uint8_t cert_ipv4[4] = {127, 0, 0, 1};
static const uint8_t cert_ipv6[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                      0, 0, 0, 0, 0, 0, 0, 1};

/*
 * Hashes the leaf (chain[0]) and puts copies of chain and key into fresh
 * credentials in |c|; the caller still owns and frees |chain| and |key|.
 * Returns 0 or a GnuTLS error code.
 */
static int cert_finish(vc_tls_cert *c, gnutls_x509_crt_t *chain,
                       unsigned n_chain, gnutls_x509_privkey_t key) {
  gnutls_datum_t der = {NULL, 0}, b64 = {NULL, 0};
  time_t expires;
  int rv;

  rv = gnutls_x509_crt_export2(chain[0], GNUTLS_X509_FMT_DER, &der);
  if (rv < 0) {
    return rv;
  }
  rv = gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, c->sha256);
  gnutls_free(der.data);
  if (rv < 0) {
    return rv;
  }
  der.data = c->sha256;
  der.size = sizeof(c->sha256);
  rv = gnutls_base64_encode2(&der, &b64);
  if (rv < 0) {
    return rv;
  }
  if (b64.size != VC_TLS_CERT_SHA256_BASE64_LEN) {
    gnutls_free(b64.data);
    return GNUTLS_E_BASE64_ENCODING_ERROR;
  }
  memcpy(c->sha256_base64, b64.data, b64.size);
  c->sha256_base64[b64.size] = '\0';
  gnutls_free(b64.data);

  expires = gnutls_x509_crt_get_expiration_time(chain[0]);
  c->not_after = expires < 0 ? 0 : (uint64_t)expires;

  rv = gnutls_certificate_allocate_credentials(&c->cred);
  if (rv < 0) {
    c->cred = NULL;
    return rv;
  }
  /* Also checks that |key| is chain[0]'s (GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
   * and keeps only the issuers that follow on from the leaf. */
  rv = gnutls_certificate_set_x509_key(c->cred, chain, (int)n_chain, key);
  if (rv < 0) {
    /* GnuTLS documents the credentials as undefined now: only free them. */
    gnutls_certificate_free_credentials(c->cred);
    c->cred = NULL;
    return rv;
  }
  return 0;
}

/* The fields of a self-signed localhost certificate for |key|. */
static int cert_fill(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key,
                     time_t not_before, time_t not_after) {
  uint8_t serial[CERT_SERIAL_LEN];
  int rv;

  rv = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial));
  if (rv < 0) {
    return rv;
  }
  /* DER integers are signed: a clear top bit keeps the serial positive,
   * a set next bit keeps it 16 bytes long (RFC 5280 §4.1.2.2). */
  serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x40);

  if ((rv = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
      (rv = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) < 0 ||
      (rv = gnutls_x509_crt_set_key(crt, key)) < 0 ||
      (rv = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                          cert_cn, sizeof(cert_cn) - 1)) < 0 ||
      (rv = gnutls_x509_crt_set_activation_time(crt, not_before)) < 0 ||
      (rv = gnutls_x509_crt_set_expiration_time(crt, not_after)) < 0) {
    return rv;
  }
  if ((rv = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME,
                                                 cert_cn, sizeof(cert_cn) - 1,
                                                 GNUTLS_FSAN_APPEND)) < 0 ||
      (rv = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS,
                                                 cert_ipv4, sizeof(cert_ipv4),
                                                 GNUTLS_FSAN_APPEND)) < 0 ||
      (rv = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS,
                                                 cert_ipv6, sizeof(cert_ipv6),
                                                 GNUTLS_FSAN_APPEND)) < 0) {
    return rv;
  }
  if ((rv = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
      (rv = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) <
          0 ||
      (rv = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER,
                                                0)) < 0) {
    return rv;
  }
  return gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
}

int vc_tls_cert_generate(vc_tls_cert **pc, uint64_t now_unix_s,
                         uint32_t valid_s) {
  gnutls_x509_privkey_t key;
  gnutls_x509_crt_t crt;
  vc_tls_cert *c;
  uint64_t start, end;
  int rv;

  if (pc == NULL) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  *pc = NULL;
  if (valid_s == 0 || valid_s > VC_TLS_CERT_MAX_VALID_S ||
      now_unix_s > CERT_MAX_UNIX_S - valid_s) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  start = now_unix_s > VC_TLS_CERT_BACKDATE_S
              ? now_unix_s - VC_TLS_CERT_BACKDATE_S
              : 0;
  end = now_unix_s + valid_s;
  if ((uint64_t)(time_t)end != end) { /* a 32-bit time_t */
    return VC_ERR_INVALID_ARGUMENT;
  }

  c = calloc(1, sizeof(*c));
  if (c == NULL) {
    return VC_ERR_NOMEM;
  }
  if (gnutls_x509_privkey_init(&key) < 0) {
    goto fail_key;
  }
  rv = gnutls_x509_privkey_generate(
      key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
      0);
  if (rv < 0 || gnutls_x509_crt_init(&crt) < 0) {
    goto fail_crt;
  }
  if (cert_fill(crt, key, (time_t)start, (time_t)end) < 0 ||
      cert_finish(c, &crt, 1, key) < 0) {
    goto fail_finish;
  }
  gnutls_x509_crt_deinit(crt);
  gnutls_x509_privkey_deinit(key); /* zeroes it; the credentials have a copy */
  c->generated = 1;
  c->renew_at = now_unix_s + valid_s / 2;
  *pc = c;
  return 0;

fail_finish:
  gnutls_x509_crt_deinit(crt);
fail_crt:
  gnutls_x509_privkey_deinit(key);
fail_key:
  free(c);
  return VC_ERR_NOMEM;
}

/* Writes the sentence for a failed load into |why|, if there is one. */
static void set_why(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t why_len, const char *fmt, ...) {
  va_list ap;

  if (why == NULL || why_len == 0) {
    return;
  }
  va_start(ap, fmt);
  if (vsnprintf(why, why_len, fmt, ap) < 0) {
    why[0] = '\0';
  }
  va_end(ap);
}

/*
 * Reads all of |path| into a new buffer in |out|, with a NUL after its
 * end (free it with wipe_free). |what| names the file in messages.
 */
static int read_file(gnutls_datum_t *out, const char *path, const char *what,
                     char *why, size_t why_len) {
  uint8_t *buf;
  size_t n;
  FILE *f;
  int err;

  out->data = NULL;
  out->size = 0;
  if (path == NULL || path[0] == '\0') {
    set_why(why, why_len, "no %s file given", what);
    return VC_ERR_INVALID_ARGUMENT;
  }
  f = fopen(path, "rb");
  if (f == NULL) {
    err = errno;
    set_why(why, why_len, "cannot open %s file %s: %s", what, path,
            strerror(err));
    return VC_ERR_INVALID_ARGUMENT;
  }
  /* One byte more than the cap tells a file at the cap from a bigger one. */
  buf = malloc(VC_TLS_CERT_MAX_FILE_LEN + 1);
  if (buf == NULL) {
    (void)fclose(f);
    set_why(why, why_len, "out of memory reading %s file %s", what, path);
    return VC_ERR_NOMEM;
  }
  n = fread(buf, 1, VC_TLS_CERT_MAX_FILE_LEN + 1, f);
  err = ferror(f) ? (errno != 0 ? errno : EIO) : 0;
  (void)fclose(f);
  if (err != 0 || n > VC_TLS_CERT_MAX_FILE_LEN) {
    gnutls_memset(buf, 0, n);
    free(buf);
    if (err != 0) {
      set_why(why, why_len, "cannot read %s file %s: %s", what, path,
              strerror(err));
      return VC_ERR_INVALID_ARGUMENT;
    }
    set_why(why, why_len, "%s file %s is over %u bytes", what, path,
            VC_TLS_CERT_MAX_FILE_LEN);
    return VC_ERR_TOO_BIG;
  }
  buf[n] = '\0'; /* for strstr on the text */
  out->data = buf;
  out->size = (unsigned)n;
  return 0;
}

/* Frees what read_file read, zeroed first: it may be a private key. */
static void wipe_free(gnutls_datum_t *d) {
  if (d->data != NULL) {
    gnutls_memset(d->data, 0, d->size);
    free(d->data);
  }
  d->data = NULL;
  d->size = 0;
}

int vc_tls_cert_load(vc_tls_cert **pc, const char *cert_pem_path,
                     const char *key_pem_path, char *why, size_t why_len) {
  gnutls_datum_t cert_pem = {NULL, 0}, key_pem = {NULL, 0};
  gnutls_x509_crt_t *chain = NULL;
  gnutls_x509_privkey_t key = NULL;
  unsigned n_chain = 0, i;
  vc_tls_cert *c = NULL;
  int rv;

  set_why(why, why_len, "%s", "");
  if (pc == NULL) {
    set_why(why, why_len, "no place for the certificate");
    return VC_ERR_INVALID_ARGUMENT;
  }
  *pc = NULL;
  if ((rv = read_file(&cert_pem, cert_pem_path, "certificate", why, why_len)) <
          0 ||
      (rv = read_file(&key_pem, key_pem_path, "key", why, why_len)) < 0) {
    goto done;
  }

  rv = gnutls_x509_crt_list_import2(&chain, &n_chain, &cert_pem,
                                    GNUTLS_X509_FMT_PEM, 0);
  if (rv < 0) {
    chain = NULL;
    n_chain = 0;
    set_why(why, why_len, "certificate file %s: %s", cert_pem_path,
            rv == GNUTLS_E_NO_CERTIFICATE_FOUND ? "no PEM certificate in it"
                                                : gnutls_strerror(rv));
    rv = rv == GNUTLS_E_MEMORY_ERROR ? VC_ERR_NOMEM : VC_ERR_MALFORMED;
    goto done;
  }
  if (gnutls_x509_privkey_init(&key) < 0) {
    key = NULL;
    set_why(why, why_len, "out of memory");
    rv = VC_ERR_NOMEM;
    goto done;
  }
  /* No password: an encrypted key fails here, and says so. */
  rv = gnutls_x509_privkey_import2(key, &key_pem, GNUTLS_X509_FMT_PEM, NULL, 0);
  if (rv < 0) {
    set_why(why, why_len, "key file %s: %s", key_pem_path,
            strstr((const char *)key_pem.data, "ENCRYPTED") != NULL
                ? "the key is encrypted; store it decrypted"
            : strstr((const char *)key_pem.data, "PRIVATE KEY-----") == NULL
                ? "no PEM private key in it"
                : gnutls_strerror(rv));
    rv = rv == GNUTLS_E_MEMORY_ERROR ? VC_ERR_NOMEM : VC_ERR_MALFORMED;
    goto done;
  }

  c = calloc(1, sizeof(*c));
  if (c == NULL) {
    set_why(why, why_len, "out of memory");
    rv = VC_ERR_NOMEM;
    goto done;
  }
  rv = cert_finish(c, chain, n_chain, key);
  if (rv == GNUTLS_E_CERTIFICATE_KEY_MISMATCH) {
    set_why(why, why_len,
            "key file %s does not hold the key of the first certificate "
            "in %s",
            key_pem_path, cert_pem_path);
    rv = VC_ERR_INVALID_ARGUMENT;
  } else if (rv < 0) {
    set_why(why, why_len, "certificate file %s with key file %s: %s",
            cert_pem_path, key_pem_path, gnutls_strerror(rv));
    rv = rv == GNUTLS_E_MEMORY_ERROR ? VC_ERR_NOMEM : VC_ERR_MALFORMED;
  } else {
    c->generated = 0;
    c->renew_at = UINT64_MAX;
    *pc = c;
    c = NULL;
  }

done:
  free(c);
  gnutls_x509_privkey_deinit(key);
  for (i = 0; i < n_chain; i++) {
    gnutls_x509_crt_deinit(chain[i]);
  }
  gnutls_free(chain);
  wipe_free(&key_pem);
  wipe_free(&cert_pem);
  return rv;
}

void vc_tls_cert_del(vc_tls_cert *c) {
  if (c == NULL) {
    return;
  }
  gnutls_certificate_free_credentials(c->cred);
  gnutls_memset(c, 0, sizeof(*c));
  free(c);
}

gnutls_certificate_credentials_t vc_tls_cert_credentials(const vc_tls_cert *c) {
  return c->cred;
}

const uint8_t *vc_tls_cert_sha256(const vc_tls_cert *c) {
  return c->sha256;
}

const char *vc_tls_cert_sha256_base64(const vc_tls_cert *c) {
  return c->sha256_base64;
}

uint64_t vc_tls_cert_not_after(const vc_tls_cert *c) {
  return c->not_after;
}

int vc_tls_cert_is_generated(const vc_tls_cert *c) {
  return c->generated;
}

uint64_t vc_tls_cert_renew_at(const vc_tls_cert *c) {
  return c->renew_at;
}
