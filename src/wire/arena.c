/*
 * arena.c: see arena.h. Allocations are aligned for any C object.
 */
#include "arena.h"

#include <stdalign.h>

static void *arena_alloc(void *data, size_t size) {
  vc__arena *a = data;
  size_t align = alignof(max_align_t);
  size_t start = (a->used + align - 1) & ~(align - 1);

  if (start > a->cap || size > a->cap - start) {
    a->exhausted = 1;
    return NULL;
  }
  a->used = start + size;
  return a->mem + start;
}

static void arena_free(void *data, void *ptr) {
  (void)data;
  (void)ptr;
}

void vc__arena_init(vc__arena *arena, void *mem, size_t cap) {
  arena->mem = mem;
  arena->cap = cap;
  arena->used = 0;
  arena->exhausted = 0;
  arena->allocator.alloc = arena_alloc;
  arena->allocator.free = arena_free;
  arena->allocator.allocator_data = arena;
}

void vc__arena_reset(vc__arena *arena) {
  arena->used = 0;
  arena->exhausted = 0;
}
