/*
 * reference.h: a deliberately simple model of the matching engine, for differential testing.
 *
 * Same contract as src/engine/engine.h (commands in, the same events in the same order out, the
 * same hash), written to be obviously correct rather than fast: resting orders live in one plain
 * array in arrival order, and every decision is a linear scan. It shares no code with the engine
 * beyond the public types of engine.h. It may use malloc; it is never linked into xTrader.
 */
#ifndef XT_REFERENCE_H
#define XT_REFERENCE_H

#include "engine/engine.h"

typedef struct xt_ref xt_ref;

/* A model with the same capacity limits as an engine built from cfg (NULL if cfg is invalid). */
xt_ref	   *xt_ref_create(const xt_engine_config *cfg);
void		xt_ref_destroy(xt_ref *ref);

/* Same results and events as xt_engine_apply. */
xt_result	xt_ref_apply(xt_ref *ref, const xt_command *cmd, xt_event_fn sink, void *ctx);

/* Same values as xt_engine_hash / xt_engine_depth / xt_engine_order for the same history. */
uint64_t	xt_ref_hash(const xt_ref *ref);
uint32_t	xt_ref_depth(const xt_ref *ref, uint32_t symbol, xt_side side,
						 xt_level_info *out, uint32_t max);
bool		xt_ref_order(const xt_ref *ref, uint64_t order_id, xt_order_info *out);
uint32_t	xt_ref_resting_orders(const xt_ref *ref);

#endif							/* XT_REFERENCE_H */
