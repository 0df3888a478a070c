/*
 * roster.c: see roster.h. A sorted array: lookups are binary searches,
 * and joins mostly append because the server hands out session ids in
 * increasing order.
 */
#include "roster.h"

#include <stdlib.h>
#include <string.h>

int vc__roster_init(vc__roster *r, size_t cap) {
  r->items = calloc(cap, sizeof(*r->items));
  r->n = 0;
  r->cap = cap;
  return r->items ? 0 : VC_ERR_NOMEM;
}

void vc__roster_free(vc__roster *r) {
  free(r->items);
  memset(r, 0, sizeof(*r));
}

/* Index of the first entry with a session id >= |session|. */
static size_t lower_bound(const vc__roster *r, uint32_t session) {
  size_t lo = 0, hi = r->n;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (r->items[mid].p.session_id < session) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

vc__member *vc__roster_find(const vc__roster *r, uint32_t session) {
  size_t i = lower_bound(r, session);

  return i < r->n && r->items[i].p.session_id == session ? &r->items[i] : NULL;
}

vc__member *vc__roster_put(vc__roster *r, const vc_participant *p, int *added) {
  size_t i = lower_bound(r, p->session_id);

  if (i < r->n && r->items[i].p.session_id == p->session_id) {
    r->items[i].p = *p;
    *added = 0;
    return &r->items[i];
  }
  if (r->n == r->cap) {
    return NULL;
  }
  memmove(&r->items[i + 1], &r->items[i], (r->n - i) * sizeof(*r->items));
  memset(&r->items[i], 0, sizeof(r->items[i]));
  r->items[i].p = *p;
  r->n++;
  *added = 1;
  return &r->items[i];
}

int vc__roster_remove(vc__roster *r, uint32_t session) {
  size_t i = lower_bound(r, session);

  if (i == r->n || r->items[i].p.session_id != session) {
    return 0;
  }
  memmove(&r->items[i], &r->items[i + 1], (r->n - i - 1) * sizeof(*r->items));
  r->n--;
  return 1;
}

int vc__participant_differs(const vc_participant *a, const vc_participant *b) {
  return a->is_host != b->is_host ||
         memcmp(&a->state, &b->state, sizeof(a->state)) != 0 ||
         strcmp(a->user, b->user) != 0 ||
         strcmp(a->display_name, b->display_name) != 0;
}
