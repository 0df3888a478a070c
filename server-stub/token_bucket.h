/*
 * token_bucket.h: a token bucket (rate, burst), sans-I/O: the time is an
 * argument (ns, non-decreasing). Used by the QUIC admission control
 * (Initials per address) and the per-connection packet budget.
 */
#ifndef VC_SERVER_TOKEN_BUCKET_H
#define VC_SERVER_TOKEN_BUCKET_H

#include <vc/vc.h>

typedef struct vc_token_bucket {
  double tokens;
  vc_tstamp last; /* when |tokens| was last brought up to date */
} vc_token_bucket;

/* Starts full: |burst| tokens at |ts|. */
void vc_token_bucket_init(vc_token_bucket *b, double burst, vc_tstamp ts);

/* Refills at |rate_per_s| up to |burst| for the time since the last
 * call, then takes one token. Returns 1 when one was taken, 0 when the
 * bucket is empty (nothing is taken then). */
int vc_token_bucket_take(vc_token_bucket *b, double rate_per_s, double burst,
                         vc_tstamp ts);

/* The bucket would be full again at |ts|: its state says nothing more
 * than a fresh one's (so it may be forgotten). */
int vc_token_bucket_is_full(const vc_token_bucket *b, double rate_per_s,
                            double burst, vc_tstamp ts);

#endif /* VC_SERVER_TOKEN_BUCKET_H */
