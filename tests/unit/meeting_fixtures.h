/*
 * meeting_fixtures.h: what the server says, built for the unit tests of
 * the client core (meeting_test.c) and of the browser module's C side
 * (wasm_glue_test.c).
 */
#ifndef VC_TEST_MEETING_FIXTURES_H
#define VC_TEST_MEETING_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

#include <vc/control.h>

/* Wraps |msg| in a control envelope, as the server sends it. Returns its
 * length, 0 when it does not fit. */
size_t vc_test_server_frame(uint8_t *out, size_t cap,
                            const Vc__Wire__Control *msg);

/* A Welcome making us session 1 (host) with |n_first| of three others in
 * it: Bob (2) and Carol (3) send in the clear, Dave (4) seals. With
 * |page_out|, the rest follow in a RosterPage written there. Returns the
 * Welcome's length; *page_len gets the page's. */
size_t vc_test_welcome_frame(uint8_t *out, size_t cap, size_t n_first,
                             uint8_t *page_out, size_t page_cap,
                             size_t *page_len);

#endif
