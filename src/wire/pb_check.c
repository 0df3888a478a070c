/*
 * pb_check.c: see pb_check.h. Walks the unpacked tree through protobuf-c's
 * descriptors; only message-typed fields that are present are followed,
 * so the depth is bounded by the schema, not by the input.
 */
#include "pb_check.h"

#include <stdint.h>

static const ProtobufCMessage *const *
field_messages(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f,
               size_t *n) {
  const char *base = (const char *)msg;

  if (f->label == PROTOBUF_C_LABEL_REPEATED) {
    *n = *(const size_t *)(const void *)(base + f->quantifier_offset);
    return *(const ProtobufCMessage *const *const *)(const void *)(base +
                                                                   f->offset);
  }
  if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
      *(const uint32_t *)(const void *)(base + f->quantifier_offset) != f->id) {
    *n = 0; /* another member of the oneof is the one set */
    return NULL;
  }
  *n = 1;
  return (const ProtobufCMessage *const *)(const void *)(base + f->offset);
}

/* Our schema nests 4 deep; a recursive message type added later would
 * still be walked no deeper than this. */
#define MAX_DEPTH 16

/* Recursion is bounded by MAX_DEPTH, not by the input. */
static int tree_valid(const ProtobufCMessage *msg, // NOLINT(misc-no-recursion)
                      int depth) {
  const ProtobufCMessageDescriptor *d = msg->descriptor;
  unsigned i;
  size_t j, n;

  if (depth > MAX_DEPTH) {
    return 0;
  }
  for (i = 0; i < msg->n_unknown_fields; i++) {
    if (msg->unknown_fields[i].tag == 0) {
      return 0;
    }
  }
  for (i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    const ProtobufCMessage *const *subs;
    if (f->type != PROTOBUF_C_TYPE_MESSAGE) {
      continue;
    }
    subs = field_messages(msg, f, &n);
    for (j = 0; j < n; j++) {
      if (subs[j] && !tree_valid(subs[j], depth + 1)) {
        return 0;
      }
    }
  }
  return 1;
}

int vc__pb_unknown_fields_valid(const ProtobufCMessage *msg) {
  return tree_valid(msg, 0);
}
