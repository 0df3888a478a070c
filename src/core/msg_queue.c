/*
 * msg_queue.c: see msg_queue.h. Messages are appended at the tail; when
 * the tail would pass the end, the live bytes move to the front (at most
 * once per buffer's worth of traffic, so the cost is amortised).
 */
#include "msg_queue.h"

#include <stdlib.h>
#include <string.h>

#define LEN_PREFIX sizeof(uint32_t)

int vc__msg_queue_init(vc__msg_queue *q, size_t cap_bytes, size_t max_count) {
  memset(q, 0, sizeof(*q));
  q->buf = malloc(cap_bytes);
  if (!q->buf) {
    return VC_ERR_NOMEM;
  }
  q->cap = cap_bytes;
  q->max_count = max_count;
  return 0;
}

void vc__msg_queue_free(vc__msg_queue *q) {
  free(q->buf);
  memset(q, 0, sizeof(*q));
}

void vc__msg_queue_clear(vc__msg_queue *q) {
  q->head = q->tail = q->count = 0;
}

int vc__msg_queue_push(vc__msg_queue *q, const uint8_t *data, size_t len) {
  uint32_t len32 = (uint32_t)len;
  size_t need = LEN_PREFIX + len;

  if (q->count == q->max_count || len > UINT32_MAX ||
      need > q->cap - (q->tail - q->head)) {
    return VC_ERR_QUEUE_FULL;
  }
  if (q->tail + need > q->cap) {
    memmove(q->buf, q->buf + q->head, q->tail - q->head);
    q->tail -= q->head;
    q->head = 0;
  }
  memcpy(q->buf + q->tail, &len32, LEN_PREFIX);
  if (len > 0) {
    memcpy(q->buf + q->tail + LEN_PREFIX, data, len);
  }
  q->tail += need;
  q->count++;
  return 0;
}

const uint8_t *vc__msg_queue_peek(const vc__msg_queue *q, size_t *len) {
  uint32_t len32;

  if (q->count == 0) {
    return NULL;
  }
  memcpy(&len32, q->buf + q->head, LEN_PREFIX);
  *len = len32;
  return q->buf + q->head + LEN_PREFIX;
}

void vc__msg_queue_pop(vc__msg_queue *q) {
  uint32_t len32;

  if (q->count == 0) {
    return;
  }
  memcpy(&len32, q->buf + q->head, LEN_PREFIX);
  q->head += LEN_PREFIX + len32;
  q->count--;
  if (q->count == 0) {
    q->head = q->tail = 0;
  }
}
