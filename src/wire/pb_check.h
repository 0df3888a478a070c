/*
 * pb_check.h: checks on a message protobuf-c has already unpacked, for
 * input protobuf-c lets through but the protobuf spec forbids.
 */
#ifndef VC_WIRE_PB_CHECK_H
#define VC_WIRE_PB_CHECK_H

#include <protobuf-c/protobuf-c.h>

/*
 * Nonzero when no message in the tree rooted at |msg| kept an unknown
 * field numbered 0. protobuf-c 1.4.1 accepts field 0 when its tag is
 * written in a non-minimal varint (82 00) and refuses it written minimally
 * (02), so such a message would decode once and never again after being
 * forwarded.
 */
int vc__pb_unknown_fields_valid(const ProtobufCMessage *msg);

#endif /* VC_WIRE_PB_CHECK_H */
