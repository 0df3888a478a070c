/*
 * token_bucket.h: one rate limit, sans-I/O: a bucket that fills at
 * |per_second| tokens a second up to |burst|, and from which each thing
 * limited takes its cost (1 for a message, its length for bytes). Time
 * is an argument, so tests move it by hand. The rooms use it for every
 * message a participant makes them send to others (room_limits.c) and
 * for the strikes that remove a persistent offender; QUIC for the
 * Initials per address (quic_admission.c) and each connection's packets
 * (quic_server.c).
 */
#ifndef VC_SERVER_TOKEN_BUCKET_H
#define VC_SERVER_TOKEN_BUCKET_H

#include <vc/vc.h>

typedef struct vc_token_rule {
  uint32_t per_second; /* 0: no limit */
  uint32_t burst;      /* the most taken at once, after a quiet spell */
} vc_token_rule;

/* All zero is a bucket never used: it starts full at its first take. */
typedef struct vc_token_bucket {
  uint64_t milli; /* tokens x 1000, so slow rates refill smoothly */
  vc_tstamp at;   /* when |milli| was last brought up to date */
  int primed;
} vc_token_bucket;

/* Takes |cost| tokens at |ts| (ns, non-decreasing; an earlier one counts
 * as |at|): 1 when they were there, else 0 and nothing is taken. A cost
 * over |rule->burst| never passes. */
int vc_token_bucket_take(vc_token_bucket *b, const vc_token_rule *rule,
                         uint64_t cost, vc_tstamp ts);

/* 1 when |cost| tokens are there at |ts| (nothing is taken). */
int vc_token_bucket_has(vc_token_bucket *b, const vc_token_rule *rule,
                        uint64_t cost, vc_tstamp ts);

/* 1 when the bucket is full at |ts|: its state says no more than a fresh
 * one's, so it may be forgotten. */
int vc_token_bucket_is_full(vc_token_bucket *b, const vc_token_rule *rule,
                            vc_tstamp ts);

#endif /* VC_SERVER_TOKEN_BUCKET_H */
