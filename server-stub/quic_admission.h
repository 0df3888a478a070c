/*
 * quic_admission.h: who may open a QUIC connection, per source address,
 * sans-I/O (docs/SERVER.md "Limits: QUIC and WebTransport"; issue 20
 * finding 3: 1,100 valid Initials from one UDP socket had filled the
 * 1,024-connection table for the 10 s handshake timeout).
 *
 * Each source address (an IPv4 address, or an IPv6 /64: one host or
 * one site) has a token bucket of Initials that may open a connection,
 * and counts its connections and, among them, those still in their
 * handshake. The QUIC layer asks before it creates a connection and
 * reports each one's handshake and end. The table of addresses has a
 * cap; addresses without a connection are forgotten when it is reached.
 *
 * Retry (RFC 9000 §8.1) is the QUIC layer's business: it asks
 * vc_quic_admission_handshakes() whether the server is under load.
 */
#ifndef VC_SERVER_QUIC_ADMISSION_H
#define VC_SERVER_QUIC_ADMISSION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <vc/vc.h>

#include "token_bucket.h"

typedef struct vc_quic_admission vc_quic_admission;

typedef struct vc_quic_admission_config {
  /* Initials that may open a connection, per address: a bucket of
   * |initials.burst| refilled at |initials.per_second|. */
  vc_token_rule initials;
  unsigned max_conns_per_addr;
  unsigned max_handshakes_per_addr; /* connections not yet established */
  unsigned max_addrs;               /* addresses remembered at once */
} vc_quic_admission_config;

/* initials 10/s with bursts of 30, max_conns_per_addr 64,
 * max_handshakes_per_addr 16, max_addrs 4096. */
void vc_quic_admission_default_config(vc_quic_admission_config *cfg);

/* The verdict on an Initial that would open a connection. */
typedef enum vc_quic_admit {
  VC_QUIC_ADMIT = 0,
  VC_QUIC_REFUSE_RATE,       /* the address's bucket is empty */
  VC_QUIC_REFUSE_CONNS,      /* max_conns_per_addr open */
  VC_QUIC_REFUSE_HANDSHAKES, /* max_handshakes_per_addr unfinished */
  VC_QUIC_REFUSE_TABLE       /* no room for another address */
} vc_quic_admit;

/* The key of a source address: 16 bytes (IPv4 as ::ffff:a.b.c.d, also
 * when it arrives mapped on an IPv6 socket; IPv6 cut to its /64). Other
 * families get all zeros. */
typedef struct vc_quic_addr_key {
  uint8_t b[16];
} vc_quic_addr_key;

void vc_quic_addr_key_of(vc_quic_addr_key *key, const struct sockaddr *sa);

/* Returns 0 or VC_ERR_NOMEM; |cfg| is copied. */
int vc_quic_admission_new(vc_quic_admission **pa,
                          const vc_quic_admission_config *cfg);
void vc_quic_admission_del(vc_quic_admission *a);

/* Judges an Initial from |key| at |ts| that would open a connection;
 * VC_QUIC_ADMIT takes a token from the address's bucket (a Retry sent
 * in answer costs one too). The caller then reports the connection with
 * vc_quic_admission_opened, or nothing if it made none. */
vc_quic_admit vc_quic_admission_check(vc_quic_admission *a,
                                      const vc_quic_addr_key *key,
                                      vc_tstamp ts);

/* A connection from |key| exists now, in its handshake (after an
 * ADMIT at the same |ts|, so the address is in the table). */
void vc_quic_admission_opened(vc_quic_admission *a,
                              const vc_quic_addr_key *key);

/* Its handshake completed. */
void vc_quic_admission_established(vc_quic_admission *a,
                                   const vc_quic_addr_key *key);

/* It is gone; |established| says whether its handshake had completed. */
void vc_quic_admission_closed(vc_quic_admission *a, const vc_quic_addr_key *key,
                              int established);

/* Connections in their handshake, over every address. */
unsigned vc_quic_admission_handshakes(const vc_quic_admission *a);

/* Addresses remembered now (for tests and /metrics). */
unsigned vc_quic_admission_addrs(const vc_quic_admission *a);

#endif /* VC_SERVER_QUIC_ADMISSION_H */
