/*
 * token_bucket.c: see token_bucket.h. Tokens are a double so that rates
 * below one a second and bursts of one work without rounding.
 */
#include "token_bucket.h"

void vc_token_bucket_init(vc_token_bucket *b, double burst, vc_tstamp ts) {
  b->tokens = burst;
  b->last = ts;
}

static double refilled(const vc_token_bucket *b, double rate_per_s,
                       double burst, vc_tstamp ts) {
  double t = b->tokens;

  if (ts > b->last) {
    t += (double)(ts - b->last) * rate_per_s / 1e9;
  }
  return t > burst ? burst : t;
}

int vc_token_bucket_take(vc_token_bucket *b, double rate_per_s, double burst,
                         vc_tstamp ts) {
  b->tokens = refilled(b, rate_per_s, burst, ts);
  if (ts > b->last) {
    b->last = ts;
  }
  if (b->tokens < 1.0) {
    return 0;
  }
  b->tokens -= 1.0;
  return 1;
}

int vc_token_bucket_is_full(const vc_token_bucket *b, double rate_per_s,
                            double burst, vc_tstamp ts) {
  return refilled(b, rate_per_s, burst, ts) >= burst;
}
