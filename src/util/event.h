/* SPDX-License-Identifier: MIT */
/*
 * event.h - the optional event stream (epc_set_event_handler()): a handler,
 * a sequence number and the MANUAL-mode clock, shared by every layer of one
 * instance (layers hold a pointer, as they do to the log).
 *
 * Off costs one relaxed load and a branch predicted not taken at each place
 * that could emit (epc__events_on()); the event is built only when on.
 * Publication: the setter stores @arg, then @fn with release; an emitter
 * loads @fn with acquire before it reads @arg.
 */
#ifndef EPC_UTIL_EVENT_H
#define EPC_UTIL_EVENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "epcmm.h"

struct epc__events {
	_Atomic(epc_event_fn) fn;
	void *arg;	      /* published by the release store of fn */
	_Atomic uint64_t seq; /* the last sequence number handed out */
	_Atomic uint64_t now; /* MANUAL: epc_set_time() */
	bool manual;	      /* read-only after init */
};

static inline bool epc__events_on(const struct epc__events *ev)
{
	return __builtin_expect(
		atomic_load_explicit(&((struct epc__events *)ev)->fn, memory_order_relaxed) != NULL,
		0);
}

/* A zeroed event of @type (node -1): the caller fills what it knows. */
static inline struct epc_event epc__event_make(enum epc_event_type type)
{
	struct epc_event e = {.type = type, .node = -1};

	return e;
}

/* Stamp @e (size, seq, time) and hand it to the handler, if one is set. */
void epc__event_emit(struct epc__events *ev, struct epc_event *e);

#endif
