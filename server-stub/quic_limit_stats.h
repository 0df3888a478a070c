/*
 * quic_limit_stats.h: what the QUIC limits refused or cut, one counter
 * each (docs/SERVER.md "Limits: QUIC and WebTransport"). A header of its
 * own so that metrics.c, which is sans-I/O, can print them without
 * quic_server.h, and main.c copies the block in one assignment.
 */
#ifndef VC_SERVER_QUIC_LIMIT_STATS_H
#define VC_SERVER_QUIC_LIMIT_STATS_H

#include <stdint.h>

typedef struct vc_quic_limit_stats {
  /* Datagrams whose HTTP/3 header (the quarter stream id) is missing,
   * cut short or out of range: dropped, the connection stays. */
  uint64_t datagrams_bad_header;
  /* Connections whose client reached max_client_uni_streams: no more
   * unidirectional stream credit for them. */
  uint64_t uni_streams_capped;
  /* Initials that would have opened a connection, refused by the
   * admission control (any reason), and those of them refused for their
   * address's rate alone. */
  uint64_t initials_refused;
  uint64_t initials_rate_limited;
  uint64_t retries_sent;     /* Initials answered with a Retry (load) */
  uint64_t retry_tokens_bad; /* forged, expired or another address's */
  /* Handshakes closed before their time to make room in a table 7/8
   * full. */
  uint64_t handshakes_evicted;
  /* Packets of a connection past its share of the loop: dropped before
   * decryption. */
  uint64_t packets_over_budget;
} vc_quic_limit_stats;

#endif /* VC_SERVER_QUIC_LIMIT_STATS_H */
