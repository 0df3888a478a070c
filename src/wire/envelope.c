/*
 * envelope.c: encode and decode of the protocol envelope
 * (proto/envelope.proto; docs/PROTOCOL.md "Envelope").
 *
 * protobuf-c does the byte work; this file owns the rules protobuf cannot
 * state: size limits, which versions we accept, and the ranges of routing
 * fields. Decoding checks everything before it writes to the caller's
 * payload buffer, so a rejected frame leaves nothing behind.
 */
#include <string.h>

#include <vc/wire.h>

#include "envelope.pb-c.h"
#include "pb_check.h"

static int route_in_range(const vc_route *route) {
  return route->layer <= VC_MAX_SIMULCAST_LAYER && route->keyframe <= 1 &&
         route->audio_level <= VC_AUDIO_LEVEL_SILENT;
}

vc_ssize vc_envelope_encode(uint8_t *dest, size_t destlen,
                            const vc_route *route, const uint8_t *payload,
                            size_t payloadlen) {
  Vc__Wire__Envelope env = VC__WIRE__ENVELOPE__INIT;
  Vc__Wire__RoutingHeader hdr = VC__WIRE__ROUTING_HEADER__INIT;
  /* protobuf-c's bytes field is not const, but packing only reads it. */
  union {
    const uint8_t *in;
    uint8_t *field;
  } payload_ref;
  size_t len;

  if (!route || (!payload && payloadlen > 0) || !route_in_range(route)) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  if (payloadlen > VC_ENVELOPE_MAX_PAYLOAD_LEN) {
    return VC_ERR_TOO_BIG;
  }
  hdr.sender_session = route->sender_session;
  hdr.kind = (Vc__Wire__StreamKind)route->kind;
  hdr.layer = route->layer;
  hdr.keyframe = (protobuf_c_boolean)route->keyframe;
  hdr.sequence = route->sequence;
  hdr.audio_level = route->audio_level;
  hdr.timestamp_us = route->timestamp_us;
  env.version = VC_WIRE_VERSION;
  env.route = &hdr;
  payload_ref.in = payload;
  env.payload.data = payload_ref.field;
  env.payload.len = payloadlen;

  len = vc__wire__envelope__get_packed_size(&env);
  if (len > destlen) {
    return VC_ERR_NOBUF;
  }
  return (vc_ssize)vc__wire__envelope__pack(&env, dest);
}

vc_ssize vc_envelope_decode(vc_route *route, uint8_t *payload,
                            size_t payloadcap, const uint8_t *data,
                            size_t datalen) {
  Vc__Wire__Envelope *env;
  vc_ssize rv;

  if (!route) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  memset(route, 0, sizeof(*route));
  if ((!data && datalen > 0) || (!payload && payloadcap > 0)) {
    return VC_ERR_INVALID_ARGUMENT;
  }
  if (datalen > VC_ENVELOPE_MAX_LEN) {
    return VC_ERR_TOO_BIG;
  }
  /* protobuf-c allocates at most about |datalen| bytes for this message. */
  env = vc__wire__envelope__unpack(NULL, datalen, data);
  if (!env) {
    return VC_ERR_MALFORMED;
  }
  if (env->version == 0 || !env->route ||
      !vc__pb_unknown_fields_valid(&env->base)) {
    rv = VC_ERR_MALFORMED;
    goto done;
  }
  if (env->version > VC_WIRE_VERSION) {
    rv = VC_ERR_UNSUPPORTED_VERSION;
    goto done;
  }
  route->sender_session = env->route->sender_session;
  route->kind = (uint32_t)env->route->kind;
  route->layer = env->route->layer;
  route->keyframe = env->route->keyframe ? 1 : 0;
  route->sequence = env->route->sequence;
  route->audio_level = env->route->audio_level;
  route->timestamp_us = env->route->timestamp_us;
  if (!route_in_range(route)) {
    rv = VC_ERR_MALFORMED;
    goto done;
  }
  if (env->payload.len > payloadcap) {
    rv = VC_ERR_NOBUF;
    goto done;
  }
  if (env->payload.len > 0) {
    memcpy(payload, env->payload.data, env->payload.len);
  }
  rv = (vc_ssize)env->payload.len;

done:
  if (rv < 0) {
    memset(route, 0, sizeof(*route));
  }
  vc__wire__envelope__free_unpacked(env, NULL);
  return rv;
}
