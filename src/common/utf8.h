/*
 * utf8.h: strict UTF-8 decoding of one sequence, shared by the JSON parser (src/net/json.c) and
 * the WebSocket text-frame check (src/net/ws_frame.c), so both refuse exactly the same bytes.
 *
 * Strict means Unicode Table 3-7: the second byte's range depends on the lead byte, which excludes
 * overlong forms (C0, C1, E0 80..9F, F0 80..8F), UTF-16 surrogates (ED A0..BF) and code points
 * above U+10FFFF (F4 90.., F5..FF). Pure C11, no state.
 */
#ifndef XT_COMMON_UTF8_H
#define XT_COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Length (2..4) of the valid sequence at p[0 .. n), whose lead byte p[0] is >= 0x80 (n >= 1), or
 * 0 if it is invalid. *truncated is set when the bytes so far are a valid prefix that n cuts off.
 */
size_t		xt_utf8_seq(const uint8_t *p, size_t n, bool *truncated);

#endif							/* XT_COMMON_UTF8_H */
