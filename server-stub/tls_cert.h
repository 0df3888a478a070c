/*
 * tls_cert.h: the server's TLS certificate and key, ready for GnuTLS
 * server sessions (QUIC/WebTransport and TLS alike). Either generated in
 * memory, self-signed for localhost, short-lived enough for Chromium's
 * WebTransport serverCertificateHashes (docs: WEBTRANSPORT-NOTES §4: an
 * ECDSA key, at most 14 days of validity), or loaded from a real host's
 * PEM files. Either way the SHA-256 of the leaf certificate's DER is what
 * a page pins.
 *
 * The current time is an argument (unix seconds); nothing here reads a
 * clock. Key generation and the serial number draw from GnuTLS's RNG.
 */
#ifndef VC_SERVER_TLS_CERT_H
#define VC_SERVER_TLS_CERT_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

#include <vc/vc.h>

typedef struct vc_tls_cert vc_tls_cert;

/* 14 days: Chromium refuses pinned certificates valid for longer (§4). */
#define VC_TLS_CERT_MAX_VALID_S 1209600u
/* A generated certificate starts this long before "now" (clock skew). */
#define VC_TLS_CERT_BACKDATE_S 3600u
#define VC_TLS_CERT_SHA256_LEN 32
/* base64 of 32 bytes, padded, without the NUL. */
#define VC_TLS_CERT_SHA256_BASE64_LEN 44
/* Room for every message vc_tls_cert_load writes (it truncates to fit). */
#define VC_TLS_CERT_WHY_LEN 512
/* Each PEM file is read whole; bigger ones are refused. */
#define VC_TLS_CERT_MAX_FILE_LEN (1u << 20)

/*
 * Makes a fresh ECDSA P-256 key and a self-signed X.509 v3 certificate
 * for it, signed with SHA-256: subject and issuer CN=localhost, SAN
 * DNS:localhost, IP:127.0.0.1 and IP:::1, a random 16-byte serial, key
 * usage digitalSignature, extended key usage serverAuth, CA:FALSE.
 * notBefore is |now_unix_s| - VC_TLS_CERT_BACKDATE_S (a client whose
 * clock is a little behind still accepts it), notAfter |now_unix_s| +
 * |valid_s|. Pass at most 13 days so that the backdating keeps the whole
 * span within Chromium's 14.
 *
 * Returns 0 with |*pc| set, VC_ERR_INVALID_ARGUMENT when |valid_s| is 0
 * or over VC_TLS_CERT_MAX_VALID_S (Chromium would refuse the hash) or
 * |now_unix_s| + |valid_s| is not a time X.509 can write, or
 * VC_ERR_NOMEM when GnuTLS fails to make it (out of memory, or its RNG
 * failing). |*pc| is NULL on failure.
 */
int vc_tls_cert_generate(vc_tls_cert **pc, uint64_t now_unix_s,
                         uint32_t valid_s);

/*
 * Loads a real host's certificate chain and private key. |cert_pem_path|
 * holds one or more PEM certificates, the server's own first and then its
 * issuers (certbot's fullchain.pem; GnuTLS drops issuers that do not
 * follow on); |key_pem_path| an unencrypted PEM key (PKCS#8 "PRIVATE
 * KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY"). Any key type GnuTLS
 * takes is accepted: a CA-signed certificate needs no pinning, so the
 * ECDSA and 14-day rules of generated ones do not apply.
 *
 * Returns 0 with |*pc| set, or, with |*pc| NULL and a sentence naming the
 * file and the cause in |why| (NUL-terminated, truncated to |why_len|;
 * |why| may be NULL; VC_TLS_CERT_WHY_LEN always fits):
 *
 *   VC_ERR_INVALID_ARGUMENT  a NULL or empty path; a file that cannot be
 *                            opened or read (missing, no permission, a
 *                            directory); a key that is not the
 *                            certificate's
 *   VC_ERR_TOO_BIG           a file over VC_TLS_CERT_MAX_FILE_LEN
 *   VC_ERR_MALFORMED         no PEM certificate, or one GnuTLS cannot
 *                            parse; no PEM key, an encrypted one, or
 *                            one GnuTLS cannot parse
 *   VC_ERR_NOMEM             out of memory
 *
 * Nothing of the paths is kept; the file contents are wiped after use.
 */
int vc_tls_cert_load(vc_tls_cert **pc, const char *cert_pem_path,
                     const char *key_pem_path, char *why, size_t why_len);

/*
 * Frees |c| (NULL is fine). The key lives only inside the credentials,
 * and GnuTLS zeroes it as it frees them. Every session given the
 * credentials must be deinitialized first.
 */
void vc_tls_cert_del(vc_tls_cert *c);

/*
 * The certificate chain and key, for gnutls_credentials_set(session,
 * GNUTLS_CRD_CERTIFICATE, ...). Owned by |c|, valid until
 * vc_tls_cert_del; never NULL.
 */
gnutls_certificate_credentials_t vc_tls_cert_credentials(const vc_tls_cert *c);

/*
 * SHA-256 of the leaf certificate's DER, VC_TLS_CERT_SHA256_LEN bytes: the
 * value of serverCertificateHashes' {algorithm: "sha-256"}. Owned by |c|.
 */
const uint8_t *vc_tls_cert_sha256(const vc_tls_cert *c);

/* The same as padded base64, NUL-terminated, owned by |c|. */
const char *vc_tls_cert_sha256_base64(const vc_tls_cert *c);

/* The leaf certificate's notAfter, in unix seconds. */
uint64_t vc_tls_cert_not_after(const vc_tls_cert *c);

/* 1 when made by vc_tls_cert_generate, 0 when loaded. */
int vc_tls_cert_is_generated(const vc_tls_cert *c);

/*
 * When to make the next certificate, in unix seconds: halfway through
 * the span asked of vc_tls_cert_generate (now + valid_s / 2; 6.5 days
 * for 13). The server then generates the next one and announces both
 * hashes, so a page loaded before the switch still connects: the old
 * certificate stays valid as long again as it has been in use. UINT64_MAX
 * for a loaded certificate: renewing it is the host's business.
 */
uint64_t vc_tls_cert_renew_at(const vc_tls_cert *c);

#endif /* VC_SERVER_TLS_CERT_H */
