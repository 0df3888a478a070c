/*
 * arena.h: a bump allocator over a caller's buffer, handed to protobuf-c
 * as its allocator so that decoding one message can never use more memory
 * than the buffer, whatever the input claims. Freeing is a no-op; reset
 * reclaims everything at once.
 */
#ifndef VC_WIRE_ARENA_H
#define VC_WIRE_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

typedef struct vc__arena {
  uint8_t *mem;
  size_t cap;
  size_t used;
  int exhausted; /* an allocation failed since the last reset */
  ProtobufCAllocator allocator;
} vc__arena;

void vc__arena_init(vc__arena *arena, void *mem, size_t cap);
void vc__arena_reset(vc__arena *arena);

#endif /* VC_WIRE_ARENA_H */
