/*
 * msg_queue.h: a bounded FIFO of byte messages in one buffer. Used for
 * frames waiting for the transport: the caps on bytes and on count are
 * what keep a stalled peer from growing memory without limit.
 */
#ifndef VC_CORE_MSG_QUEUE_H
#define VC_CORE_MSG_QUEUE_H

#include <vc/vc.h>

typedef struct vc__msg_queue {
  uint8_t *buf; /* [len of message as uint32][bytes]... */
  size_t cap;   /* bytes of |buf| */
  size_t head;  /* offset of the oldest message */
  size_t tail;  /* end of the newest */
  size_t count; /* messages queued */
  size_t max_count;
} vc__msg_queue;

/* Returns 0 or VC_ERR_NOMEM. */
int vc__msg_queue_init(vc__msg_queue *q, size_t cap_bytes, size_t max_count);
void vc__msg_queue_free(vc__msg_queue *q);
void vc__msg_queue_clear(vc__msg_queue *q);

/* Appends a copy of |data|; VC_ERR_QUEUE_FULL at either cap. */
int vc__msg_queue_push(vc__msg_queue *q, const uint8_t *data, size_t len);

/* The oldest message, or NULL when empty. Valid until the next push/pop. */
const uint8_t *vc__msg_queue_peek(const vc__msg_queue *q, size_t *len);
void vc__msg_queue_pop(vc__msg_queue *q);

#endif /* VC_CORE_MSG_QUEUE_H */
