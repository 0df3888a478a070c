/*
 * token_bucket.c: see token_bucket.h. The level is kept in thousandths
 * of a token: a rule of 1 a second refilled every 250 ms would otherwise
 * round each refill down to nothing.
 */
#include "token_bucket.h"

/* Past this a bucket is full whatever its rule: it also keeps the
 * multiplication below from overflowing (1e6 s x 4e9 / s x 1000 fits
 * neither, 1e3 s x 4e9 x 1000 / 1e3 does). */
#define FULL_AFTER_US ((uint64_t)1000 * 1000000)

static void refill(vc_token_bucket *b, const vc_token_rule *rule,
                   vc_tstamp ts) {
  uint64_t cap = (uint64_t)rule->burst * 1000, us;

  if (!b->primed) {
    b->primed = 1;
    b->milli = cap;
    b->at = ts;
    return;
  }
  if (ts <= b->at) {
    return;
  }
  us = (ts - b->at) / 1000;
  if (us >= FULL_AFTER_US) {
    b->milli = cap;
  } else {
    /* tokens x 1000 = us x per_second / 1e6 x 1000 */
    b->milli += us * rule->per_second / 1000;
  }
  if (b->milli > cap) {
    b->milli = cap;
  }
  /* Keep the remainder of a partial microsecond's worth: move |at| only
   * by whole microseconds. */
  b->at += us * 1000;
}

int vc_token_bucket_has(vc_token_bucket *b, const vc_token_rule *rule,
                        uint64_t cost, vc_tstamp ts) {
  if (rule->per_second == 0) {
    return 1;
  }
  refill(b, rule, ts);
  return cost <= rule->burst && b->milli >= cost * 1000;
}

int vc_token_bucket_is_full(vc_token_bucket *b, const vc_token_rule *rule,
                            vc_tstamp ts) {
  if (rule->per_second == 0) {
    return 1;
  }
  refill(b, rule, ts);
  return b->milli >= (uint64_t)rule->burst * 1000;
}

int vc_token_bucket_take(vc_token_bucket *b, const vc_token_rule *rule,
                         uint64_t cost, vc_tstamp ts) {
  if (!vc_token_bucket_has(b, rule, cost, ts)) {
    return 0;
  }
  if (rule->per_second != 0) {
    b->milli -= cost * 1000;
  }
  return 1;
}
