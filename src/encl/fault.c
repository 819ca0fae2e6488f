// SPDX-License-Identifier: MIT
/*
 * fault.c - enclave memory access and the fault path (kernel-spec §4.10).
 *
 * An access to an evicted page faults it back: the SECS first if it is out,
 * then the page, each allocated with NO_RECLAIM and charged to the faulting
 * task's cgroup, loaded with ELDU, and put back on the LRU tail. When the
 * allocation says -EBUSY (reclaimable pages exist, but no free page or no room
 * under a limit) the fault drops the enclave lock and waits for reclaim: in
 * THREADS mode ksgxd and the cgroup work are woken and the fault sleeps until
 * a reclaim batch frees pages (at most EPC__FAULT_WAIT_NS); in MANUAL mode the faulting thread runs one bounded reclaim step
 * itself. Then it retries. fault_idle_limit() rounds without any page
 * being reclaimed, or a page that fails verification, give -EFAULT: the case
 * where the kernel would SIGBUS.
 */
#include <errno.h>
#include <string.h>

#include "encl/encl_internal.h"

/* ELDU of @ep (evicted) into a new page charged to @t. Lock held. */
static int eldu_locked(struct epc_task *t, struct epc_encl *e, struct epc__encl_page *ep)
{
	struct epc *epc = e->epc;
	bool is_secs = ep == &e->secs;
	struct epc_page *p;
	int ret;

	epc__assert_mutex_held(&e->lock);
	ret = epc__encl_alloc_epc(t, e, ep, EPC_NO_RECLAIM, &p);
	if (ret)
		return ret;
	struct epc__eldu_args a = {
		.idx = epc__page_index(epc, p),
		.secs_idx = is_secs ? UINT64_MAX : epc__page_index(epc, e->secs.epc_page),
		.encl_id = e->id,
		.offset = epc__encl_page_offset(e, ep),
		.va_idx = epc__page_index(epc, ep->va_page->epc_page),
		.va_slot = ep->va_slot,
		.type = ep->type,
		.contents = epc__backing_contents(e, ep),
		.pcmd = epc__backing_pcmd(e, ep),
	};
	ret = epc__hw_eldu(&epc->hw, &a);
	if (ret) {
		epc__log(
			&epc->log, LOG_ERR,
			"ELDU of enclave %llu page 0x%llx failed: %d (0x%x): backing store corrupt",
			(unsigned long long)e->id, (unsigned long long)a.offset, ret, ret);
		epc__free_page(&epc->reclaim, p); /* never valid: no EREMOVE needed */
		return -EFAULT;
	}
	epc__va_slot_free(e, ep->va_page, ep->va_slot, true);
	ep->va_page = NULL;
	ep->epc_page = p;
	if (epc__events_on(&epc->cgroups.events))
		epc__encl_page_event(e, ep, EPC_EVENT_RELOAD);
	atomic_fetch_add_explicit(&p->cg->nr_reloaded, 1, memory_order_relaxed);
	atomic_fetch_add(&e->nr_reloaded, 1);
	atomic_fetch_add(&epc->encl.nr_reloaded, 1);
	if (!is_secs) {
		atomic_fetch_add(&e->nr_resident, 1);
		epc__reclaim_mark(&epc->reclaim, p);
	}
	return 0;
}

/*
 * Make @ep resident. @first: the first try of this access (a fault is counted
 * once, however often it is retried). Return: 0; -EBUSY retry;
 * -ENOMEM/-EFAULT/-EINTR. Lock held.
 */
static int load_page_locked(struct epc_task *t, struct epc_encl *e, struct epc__encl_page *ep,
			    bool first)
{
	int ret;

	epc__assert_mutex_held(&e->lock);
	if (ep->epc_page)
		return ep->flags & EPC__EPAGE_BEING_RECLAIMED ? -EBUSY : 0;
	if (first)
		atomic_fetch_add(&e->nr_faults, 1);
	if (!e->secs.epc_page) {
		ret = eldu_locked(t, e, &e->secs);
		if (ret)
			return ret;
	}
	return eldu_locked(t, e, ep);
}

/*
 * Wait for reclaim to make room, never holding the enclave lock. Return: true
 * if some page was reclaimed meanwhile (progress).
 */
static bool wait_for_reclaim(struct epc_task *t)
{
	struct epc *epc = t->epc;
	struct epc__reclaimer *r = &epc->reclaim;
	uint64_t before = atomic_load(&r->nr_evicted);

	if (epc->mode == EPC_BACKGROUND_MANUAL) {
		epc__reclaim_step_for(r, t->cg);
	} else {
		epc__reclaim_wake_ksgxd(r);
		return epc__reclaim_wait_progress(r, before, EPC__FAULT_WAIT_NS);
	}
	return atomic_load(&r->nr_evicted) != before;
}

/*
 * Rounds without reclaim progress a fault may wait through. In MANUAL mode a
 * round is one batch the fault runs itself, so it gets the reclaimer's bound
 * (a full second-chance pass over the LRUs); in THREADS mode a round is a
 * short sleep while ksgxd works.
 */
static unsigned long fault_idle_limit(struct epc *epc)
{
	unsigned long limit = epc__reclaim_idle_limit(&epc->reclaim);

	if (epc->mode != EPC_BACKGROUND_MANUAL || limit < EPC__FAULT_MAX_IDLE_ROUNDS)
		return EPC__FAULT_MAX_IDLE_ROUNDS;
	return limit;
}

static int access_page(struct epc_task *t, struct epc_encl *e, struct epc__encl_page *ep,
		       size_t off, void *buf, size_t len, bool write)
{
	unsigned long idle = 0, limit = fault_idle_limit(t->epc);
	bool first = true;
	int ret;

	for (;; first = false) {
		epc__mutex_lock(&e->lock);
		ret = load_page_locked(t, e, ep, first);
		if (!ret) {
			unsigned char *bytes = epc__hw_page_addr(
				&e->epc->hw, epc__page_index(e->epc, ep->epc_page));

			if (bytes && write)
				memcpy(bytes + off, buf, len);
			else if (bytes)
				memcpy(buf, bytes + off, len);
			else if (!write)
				memset(buf, 0, len);
			atomic_store(&ep->accessed, 1);
			atomic_fetch_add_explicit(&e->nr_accesses, 1, memory_order_relaxed);
		}
		epc__mutex_unlock(&e->lock);
		if (ret != -EBUSY)
			return ret == -ENOMEM ? -EFAULT : ret;
		if (atomic_load(&t->signal))
			return -EINTR;
		if (wait_for_reclaim(t))
			idle = 0;
		else if (++idle >= limit)
			return -EFAULT;
	}
}

/*
 * Is every page of [@offset, @end) added? Under the enclave lock: the flags
 * byte is shared with the reclaimer's BEING_RECLAIMED and BACKING bits, which
 * it changes under that lock.
 */
static bool range_added(struct epc_encl *e, uint64_t offset, uint64_t end)
{
	uint64_t i;

	epc__mutex_lock(&e->lock);
	for (i = offset / 4096; i * 4096 < end; i++)
		if (!(e->pages[i].flags & EPC__EPAGE_ADDED))
			break;
	epc__mutex_unlock(&e->lock);
	if (i * 4096 < end) {
		epc__log(&e->epc->log, LOG_ERR, "access: page 0x%llx was never added",
			 (unsigned long long)(i * 4096));
		return false;
	}
	return true;
}

__attribute__((visibility("default"))) int epc_encl_access(struct epc_task *t, struct epc_encl *e,
							   uint64_t offset, void *buf, size_t len,
							   bool write)
{
	uint64_t end = offset + len;

	if (!buf || end < offset || end > e->size) {
		epc__log(&e->epc->log, LOG_ERR, "access: %s (0x%llx+%zu)",
			 buf ? "range outside the enclave" : "NULL buffer",
			 (unsigned long long)offset, len);
		return -EINVAL;
	}
	if (len == 0)
		return 0;
	if (!range_added(e, offset, end)) /* nothing is touched before this holds */
		return -EINVAL;
	while (offset < end) {
		size_t off = offset % 4096;
		size_t n = 4096 - off < end - offset ? 4096 - off : (size_t)(end - offset);
		int ret = access_page(t, e, &e->pages[offset / 4096], off, buf, n, write);

		if (ret == -EFAULT && epc__events_on(&e->epc->cgroups.events))
			epc__encl_page_event(e, &e->pages[offset / 4096], EPC_EVENT_ENCL_KILLED);
		if (ret)
			return ret;
		buf = (char *)buf + n;
		offset += n;
	}
	return 0;
}
