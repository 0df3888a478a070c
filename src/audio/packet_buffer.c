/*
 * packet_buffer.c: received audio packets waiting to be decoded, kept in
 * timestamp order (NetEQ's PacketBuffer). The slots are allocated once;
 * a sorted index array makes insertion a short memmove, which is cheap at
 * the sizes used (a hundred packets at most).
 */
#include <stdlib.h>
#include <string.h>

#include "audio_internal.h"

int vc__packet_buffer_init(vc__packet_buffer *pb, size_t cap) {
  size_t i;

  memset(pb, 0, sizeof(*pb));
  pb->slots = calloc(cap, sizeof(*pb->slots));
  pb->order = calloc(cap, sizeof(*pb->order));
  pb->free_slots = calloc(cap, sizeof(*pb->free_slots));
  if (!pb->slots || !pb->order || !pb->free_slots) {
    vc__packet_buffer_free(pb);
    return VC_ERR_NOMEM;
  }
  pb->cap = cap;
  for (i = 0; i < cap; i++) {
    pb->free_slots[i] = (uint32_t)(cap - 1 - i);
  }
  return 0;
}

void vc__packet_buffer_free(vc__packet_buffer *pb) {
  free(pb->slots);
  free(pb->order);
  free(pb->free_slots);
  memset(pb, 0, sizeof(*pb));
}

/* The first position whose packet starts at or after |timestamp|. */
static size_t lower_bound(const vc__packet_buffer *pb, uint64_t timestamp) {
  size_t lo = 0, hi = pb->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (pb->slots[pb->order[mid]].timestamp < timestamp) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

int vc__packet_buffer_insert(vc__packet_buffer *pb, uint64_t timestamp,
                             vc_tstamp arrival, const uint8_t *data, size_t len,
                             uint32_t samples) {
  size_t pos = lower_bound(pb, timestamp);
  uint32_t slot;
  vc__audio_packet *p;

  if (pos < pb->n && pb->slots[pb->order[pos]].timestamp == timestamp) {
    return 1;
  }
  if (pb->n == pb->cap) {
    return VC_ERR_QUEUE_FULL;
  }
  slot = pb->free_slots[pb->cap - pb->n - 1];
  p = &pb->slots[slot];
  p->timestamp = timestamp;
  p->arrival = arrival;
  p->samples = samples;
  p->len = (uint16_t)len;
  memcpy(p->data, data, len);
  memmove(&pb->order[pos + 1], &pb->order[pos],
          (pb->n - pos) * sizeof(*pb->order));
  pb->order[pos] = slot;
  pb->n++;
  pb->span_samples += samples;
  return 0;
}

const vc__audio_packet *vc__packet_buffer_peek(const vc__packet_buffer *pb) {
  return pb->n ? &pb->slots[pb->order[0]] : NULL;
}

void vc__packet_buffer_pop(vc__packet_buffer *pb) {
  uint32_t slot;
  if (pb->n == 0) {
    return;
  }
  slot = pb->order[0];
  pb->span_samples -= pb->slots[slot].samples;
  memmove(&pb->order[0], &pb->order[1], (pb->n - 1) * sizeof(*pb->order));
  pb->n--;
  pb->free_slots[pb->cap - pb->n - 1] = slot;
}

size_t vc__packet_buffer_discard_before(vc__packet_buffer *pb,
                                        uint64_t timestamp) {
  size_t n = 0;
  while (pb->n && pb->slots[pb->order[0]].timestamp < timestamp) {
    vc__packet_buffer_pop(pb);
    n++;
  }
  return n;
}

size_t vc__packet_buffer_flush(vc__packet_buffer *pb) {
  size_t n = pb->n;
  while (pb->n) {
    vc__packet_buffer_pop(pb);
  }
  return n;
}
