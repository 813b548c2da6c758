/*
 * event_print.h: one readable line per engine event, for the C suites' failure reports.
 * Test support only (linked into every unit binary with the other non-test_ files here).
 */
#ifndef XT_EVENT_PRINT_H
#define XT_EVENT_PRINT_H

#include "engine/engine.h"

/* Print to stderr: indent, seq, type name, then every non-zero field as name=value. */
void		xt_test_print_event(const char *indent, const xt_event *e);

#endif							/* XT_EVENT_PRINT_H */
