/*
 * cert_rotation.h: the certificate WebTransport presents, kept fresh on
 * the loop.
 *
 * Browsers pin a self-signed certificate by its SHA-256 hash
 * (serverCertificateHashes) only when it is valid for at most 14 days,
 * so the server makes one at start (tls_cert.h) and replaces it before
 * it runs out: at the renewal time the next certificate is made and both
 * hashes are announced; ROTATION_OVERLAP_S later new connections get the
 * next one. Pages that fetched the hashes before the switch still
 * connect, since they pin both. With --cert/--key a host's own
 * certificate is used as it is, and no hash is announced.
 */
#ifndef VC_SERVER_CERT_ROTATION_H
#define VC_SERVER_CERT_ROTATION_H

#include <ev.h>
#include <gnutls/gnutls.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vc_cert_rotation vc_cert_rotation;

/* Called when new connections should use |cred|. */
typedef void (*vc_cert_rotation_switch_cb)(
    void *user_data, gnutls_certificate_credentials_t cred);

typedef struct vc_cert_rotation_settings {
  uint32_t valid_s; /* a generated certificate's life (13 days) */
  double overlap_s; /* both hashes announced before the switch (600) */
} vc_cert_rotation_settings;

void vc_cert_rotation_settings_default(vc_cert_rotation_settings *s);

/*
 * Loads |cert_path| and |key_path|, or generates a certificate when both
 * are NULL. |settings| may be NULL for the defaults (tests shorten them).
 * Returns 0, or a negative code with a sentence in |why|.
 */
int vc_cert_rotation_start(vc_cert_rotation **pr, struct ev_loop *loop,
                           const vc_cert_rotation_settings *settings,
                           const char *cert_path, const char *key_path,
                           vc_cert_rotation_switch_cb on_switch,
                           void *user_data, char *why, size_t why_len);

gnutls_certificate_credentials_t
vc_cert_rotation_credentials(const vc_cert_rotation *r);

/* The base64 SHA-256 hashes a page should pin: none for a loaded
 * certificate, one, or two while a rotation is announced. Returns how
 * many were written to |out| (at most 2). */
size_t vc_cert_rotation_hashes(const vc_cert_rotation *r, const char *out[2]);

void vc_cert_rotation_stop(vc_cert_rotation *r);

#endif /* VC_SERVER_CERT_ROTATION_H */
