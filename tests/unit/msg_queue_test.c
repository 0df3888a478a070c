/*
 * msg_queue_test.c: the bounded FIFO behind the meeting's outbox
 * (src/core/msg_queue.c): order, both caps, and reuse of the buffer after
 * the head moved on.
 */
#include <string.h>

#include "core/msg_queue.h"
#include "test.h"

void test_vc_msg_queue_keeps_order_and_both_caps(void) {
  vc__msg_queue q;
  const uint8_t *p;
  uint8_t big[100];
  size_t len;
  int i;

  CHECK_INT_EQ(vc__msg_queue_init(&q, 64, 3), 0);
  CHECK(vc__msg_queue_peek(&q, &len) == NULL);
  CHECK_INT_EQ(vc__msg_queue_push(&q, (const uint8_t *)"a", 1), 0);
  CHECK_INT_EQ(vc__msg_queue_push(&q, (const uint8_t *)"bb", 2), 0);
  CHECK_INT_EQ(vc__msg_queue_push(&q, (const uint8_t *)"", 0), 0);
  /* The count cap. */
  CHECK_INT_EQ(vc__msg_queue_push(&q, (const uint8_t *)"c", 1),
               VC_ERR_QUEUE_FULL);
  p = vc__msg_queue_peek(&q, &len);
  CHECK(p != NULL && len == 1 && p[0] == 'a');
  vc__msg_queue_pop(&q);
  p = vc__msg_queue_peek(&q, &len);
  CHECK(p != NULL && len == 2 && memcmp(p, "bb", 2) == 0);
  vc__msg_queue_pop(&q);
  vc__msg_queue_pop(&q);
  /* The byte cap: 64 bytes hold one 60-byte message with its prefix. */
  memset(big, 7, sizeof(big));
  CHECK_INT_EQ(vc__msg_queue_push(&q, big, 61), VC_ERR_QUEUE_FULL);
  CHECK_INT_EQ(vc__msg_queue_push(&q, big, 60), 0);
  CHECK_INT_EQ(vc__msg_queue_push(&q, big, 1), VC_ERR_QUEUE_FULL);
  vc__msg_queue_pop(&q);
  /* Many rounds through a small buffer: the live bytes move to the front. */
  for (i = 0; i < 100; i++) {
    uint8_t b = (uint8_t)i;
    CHECK_INT_EQ(vc__msg_queue_push(&q, big, 20), 0);
    CHECK_INT_EQ(vc__msg_queue_push(&q, &b, 1), 0);
    vc__msg_queue_pop(&q);
    p = vc__msg_queue_peek(&q, &len);
    CHECK(p != NULL && len == 1 && p[0] == b);
    vc__msg_queue_pop(&q);
  }
  vc__msg_queue_free(&q);
}
