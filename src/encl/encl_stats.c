// SPDX-License-Identifier: MIT
/*
 * encl_stats.c - what enclaves report: the sized statistics
 * (epc_encl_get_stats2()), the id, and the listings by id. Every counter is read on its own
 * (atomics, or the VA count and the SECS under the enclave lock), so a
 * snapshot never stops the enclave for longer than that lock is held.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "encl/encl_internal.h"

/* Bytes of backing store one evicted page holds: its sealed contents and PCMD. */
#define BACKING_BYTES_PER_PAGE (EPC_PAGE_SIZE + EPC__PCMD_SIZE)

EPC_API int epc_encl_get_stats2(struct epc_encl *e, struct epc_encl_stats *st, size_t size)
{
	struct epc_encl_stats s;
	struct stat sb;
	bool secs_out;

	if (!e) {
		epc__log(NULL, LOG_ERR, "enclave stats: NULL enclave: %s", strerror(EINVAL));
		return -EINVAL;
	}
	if (!st || !size) {
		epc__log(e->layer->d.log, LOG_ERR, "enclave stats: %s: %s",
			 st ? "size 0" : "NULL stats", strerror(EINVAL));
		return -EINVAL;
	}
	memset(&s, 0, sizeof(s));
	epc__mutex_lock(&e->lock);
	s.nr_va_pages = e->nr_va;
	secs_out = !e->secs.epc_page;
	epc__mutex_unlock(&e->lock);
	s.nr_pages = atomic_load(&e->nr_added);
	s.nr_resident = atomic_load(&e->nr_resident);
	s.nr_faults = atomic_load(&e->nr_faults);
	s.nr_evicted = atomic_load(&e->nr_evicted);
	s.nr_reloaded = atomic_load(&e->nr_reloaded);
	s.size = e->size;
	/* racy: each counter is read on its own; never below 0 */
	s.nr_out = s.nr_pages > s.nr_resident ? s.nr_pages - s.nr_resident : 0;
	s.secs_out = secs_out;
	s.nr_accesses = atomic_load_explicit(&e->nr_accesses, memory_order_relaxed);
	s.nr_augmented = atomic_load(&e->nr_augmented);
	s.nr_trimmed = atomic_load(&e->nr_trimmed);
	s.nr_removed = atomic_load(&e->nr_removed);
	if (e->backing_fd >= 0) {
		s.backing_bytes = (s.nr_out + s.secs_out) * BACKING_BYTES_PER_PAGE;
		if (!fstat(e->backing_fd, &sb))
			s.backing_allocated = (uint64_t)sb.st_blocks * 512;
	}
	memcpy(st, &s, size < sizeof(s) ? size : sizeof(s));
	return 0;
}

EPC_API uint64_t epc_encl_id(const struct epc_encl *e)
{
	if (!e) {
		epc__log(NULL, LOG_ERR, "enclave id: NULL enclave: %s", strerror(EINVAL));
		return 0; /* ids start at 1 */
	}
	return e->id;
}

size_t epc__encl_list(struct epc__encl_layer *l, struct epc_cgroup *cg, uint64_t *ids, size_t cap)
{
	size_t n = 0;

	pthread_mutex_lock(&l->lock);
	struct epc_encl *e;

	epc__list_for_each(e, &l->encls, layer_node)
	{
		if (cg && e->cg != cg)
			continue;
		if (n < cap)
			ids[n] = e->id;
		n++;
	}
	pthread_mutex_unlock(&l->lock);
	return n;
}

size_t epc__encl_collect(struct epc__encl_layer *l, struct epc__encl_brief *out, size_t cap)
{
	struct epc_encl *e;
	size_t n = 0;

	pthread_mutex_lock(&l->lock);
	epc__list_for_each(e, &l->encls, layer_node)
	{
		if (n < cap)
			out[n] = (struct epc__encl_brief){
				.id = e->id,
				.cg = e->cg,
				.size = e->size,
				.nr_pages = atomic_load(&e->nr_added),
				.nr_resident = atomic_load(&e->nr_resident),
				.nr_faults = atomic_load(&e->nr_faults),
				.nr_evicted = atomic_load(&e->nr_evicted),
				.nr_reloaded = atomic_load(&e->nr_reloaded),
				.nr_accesses =
					atomic_load_explicit(&e->nr_accesses, memory_order_relaxed),
			};
		n++;
	}
	pthread_mutex_unlock(&l->lock);
	return n;
}

void epc__encl_page_event(struct epc_encl *e, struct epc__encl_page *ep, enum epc_event_type type)
{
	struct epc_event ev = epc__event_make(type);
	struct epc__encl_layer *l = e->layer;

	ev.encl_id = e->id;
	ev.offset = epc__encl_page_offset(e, ep);
	if (type != EPC_EVENT_ENCL_KILLED && ep->epc_page) {
		ev.cgroup = ep->epc_page->cg;
		ev.phys = epc__mm_page_phys(l->d.mm, ep->epc_page);
	}
	epc__event_emit(l->d.events, &ev);
}
