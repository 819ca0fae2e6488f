// SPDX-License-Identifier: MIT
/*
 * event.c - stamping and delivering events (event.h). The only clock read
 * is THREADS mode's, and only while a handler is set.
 */
#include "util/event.h"

#include <time.h>

void epc__event_emit(struct epc__events *ev, struct epc_event *e)
{
	epc_event_fn fn = atomic_load_explicit(&ev->fn, memory_order_acquire);
	struct timespec ts;

	if (!fn)
		return;
	e->size = sizeof(*e);
	e->seq = atomic_fetch_add_explicit(&ev->seq, 1, memory_order_relaxed) + 1;
	if (ev->manual) {
		e->time = atomic_load_explicit(&ev->now, memory_order_relaxed);
	} else {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		e->time = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	}
	fn(e, ev->arg);
}
