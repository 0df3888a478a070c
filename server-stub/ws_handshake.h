/*
 * ws_handshake.h: the server's side of the WebSocket opening handshake
 * (RFC 6455 §4.2): whether a parsed GET /ws may become a WebSocket, and
 * the bytes of the answer either way. Sans-I/O: nothing here reads a
 * socket or a clock.
 */
#ifndef VC_SERVER_WS_HANDSHAKE_H
#define VC_SERVER_WS_HANDSHAKE_H

#include <stddef.h>

#include <vc/vc.h>

#include "http_request.h"

/* Sec-WebSocket-Accept: base64 of a SHA-1, 28 characters, and a NUL. */
#define VC_WS_ACCEPT_LEN 28

/*
 * Decides the upgrade of |req| (the target is the router's business).
 * Returns 0 when it may go ahead, with |accept| set to the NUL-terminated
 * Sec-WebSocket-Accept value, base64(SHA-1(key + the RFC's GUID)); or the
 * HTTP status to refuse it with, and |*why| a short static sentence for
 * the body:
 *
 *   400  not GET, HTTP/1.0, no Host, no "websocket" in Upgrade, no
 *        "upgrade" in Connection, or a Sec-WebSocket-Key that is not the
 *        base64 (canonical, padded) of exactly 16 bytes
 *   426  a Sec-WebSocket-Version other than 13, or none; the refusal must
 *        carry "Sec-WebSocket-Version: 13" (vc_ws_write_refusal adds it)
 *   403  an Origin whose host[:port] differs from Host (ignoring case).
 *        No Origin at all is allowed: native clients send none, and a
 *        browser always does.
 *
 * The version is judged before the key, so a client of an older draft,
 * whose key looks different, learns which version to speak. |*why| is
 * NULL on success. Nothing is kept after return.
 */
int vc_ws_check_upgrade(const vc_http_request *req,
                        char accept[VC_WS_ACCEPT_LEN + 1], const char **why);

/*
 * Writes the head of the 101 Switching Protocols response (no extension,
 * no subprotocol) with |accept| from vc_ws_check_upgrade. Returns its
 * length, VC_ERR_NOBUF when |cap| is short, or VC_ERR_INVALID_ARGUMENT
 * when |accept| is not 28 characters.
 */
vc_ssize vc_ws_write_upgrade_response(char *dest, size_t cap,
                                      const char accept[VC_WS_ACCEPT_LEN + 1]);

/*
 * Writes a complete refusal: the status line, Sec-WebSocket-Version: 13
 * for 426, Connection: close, and |why| (NULL: the reason phrase) as a
 * text/plain body. Returns its length, VC_ERR_NOBUF when |cap| is short,
 * or VC_ERR_INVALID_ARGUMENT for a |status| outside 400-599.
 */
vc_ssize vc_ws_write_refusal(char *dest, size_t cap, int status,
                             const char *why);

#endif /* VC_SERVER_WS_HANDSHAKE_H */
