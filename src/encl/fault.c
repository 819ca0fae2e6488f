// SPDX-License-Identifier: MIT
/*
 * fault.c - enclave memory access and the fault path (kernel-spec §4.10).
 *
 * An access to an evicted page faults it back: the SECS first if it is out,
 * then the page, each allocated with NO_RECLAIM and charged to the faulting
 * task's cgroup, loaded with ELDU, and put back on the LRU tail.
 *
 * When the allocation says -EBUSY (reclaimable pages exist in the scope that
 * must give way: the subtree of the level whose limit refused, or the whole
 * tree for a full EPC) the fault drops the enclave lock, waits for reclaim in
 * that scope and retries, as the kernel retries a fault that returned
 * VM_FAULT_NOPAGE. In THREADS mode the allocation has woken ksgxd or queued
 * the cgroup work; the fault sleeps until a page is freed (at most
 * EPC__FAULT_WAIT_NS a round), and when no reclaimer ran at all in that time
 * it runs one bounded step in the scope itself, so a fault never waits on a
 * thread that gets no CPU. In MANUAL mode it always runs the step itself.
 *
 * A fault fails (-EFAULT, the kernel's SIGBUS) only when a page fails
 * verification, when the scope has nothing reclaimable (the allocation's
 * -ENOMEM), or when the retry policy (struct epc__retry) sees reclaim batches
 * run and free nothing for a full second-chance pass. Never because of time,
 * nor because another thread took the page a batch freed.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "encl/encl_internal.h"

/* ELDU of @ep (evicted) into a new page charged to @t. Lock held. */
static int eldu_locked(struct epc_task *t, struct epc_encl *e, struct epc__encl_page *ep,
		       struct epc_cgroup **busy_scope)
{
	struct epc__encl_layer *l = e->layer;
	bool is_secs = ep == &e->secs;
	struct epc_page *p;
	int ret;

	epc__assert_mutex_held(&e->lock);
	ret = epc__encl_alloc_epc(t, e, ep, EPC_NO_RECLAIM, &p, busy_scope);
	if (ret)
		return ret;
	struct epc__eldu_args a = {
		.idx = encl_page_index(e, p),
		.secs_idx = is_secs ? UINT64_MAX : encl_page_index(e, e->secs.epc_page),
		.encl_id = e->id,
		.offset = epc__encl_page_offset(e, ep),
		.va_idx = encl_page_index(e, ep->va_page->epc_page),
		.va_slot = ep->va_slot,
		.type = ep->type,
		.contents = epc__backing_contents(e, ep),
		.pcmd = epc__backing_pcmd(e, ep),
	};
	ret = epc__hw_eldu(l->d.hw, &a);
	if (ret) {
		epc__log(
			l->d.log, LOG_ERR,
			"ELDU of enclave %llu page 0x%llx failed: %d (0x%x): backing store corrupt",
			(unsigned long long)e->id, (unsigned long long)a.offset, ret, ret);
		epc__free_page(l->d.reclaim, p); /* never valid: no EREMOVE needed */
		return -EFAULT;
	}
	epc__va_slot_free_locked(e, ep->va_page, ep->va_slot, true);
	ep->va_page = NULL;
	ep->epc_page = p;
	if (epc__events_on(l->d.events))
		epc__encl_page_event(e, ep, EPC_EVENT_RELOAD);
	atomic_fetch_add_explicit(&p->cg->nr_reloaded, 1, memory_order_relaxed);
	atomic_fetch_add(&e->nr_reloaded, 1);
	atomic_fetch_add(&l->nr_reloaded, 1);
	if (!is_secs) {
		atomic_fetch_add(&e->nr_resident, 1);
		epc__reclaim_mark(l->d.reclaim, p);
	}
	return 0;
}

/*
 * Make @ep resident. @first: the first try of this access (a fault is counted
 * once, however often it is retried). Return: 0; -EBUSY retry (*@busy_scope
 * says where reclaim must make room, or is NULL while the page is being
 * written back); -ENOMEM/-EFAULT/-EINTR. Lock held.
 */
static int load_page_locked(struct epc_task *t, struct epc_encl *e, struct epc__encl_page *ep,
			    bool first, struct epc_cgroup **busy_scope)
{
	int ret;

	epc__assert_mutex_held(&e->lock);
	if (atomic_load(&e->killed))
		return -EOWNERDEAD;
	if (ep->epc_page)
		return ep->flags & EPC__EPAGE_BEING_RECLAIMED ? -EBUSY : 0;
	if (first)
		atomic_fetch_add(&e->nr_faults, 1);
	if (!e->secs.epc_page) {
		ret = eldu_locked(t, e, &e->secs, busy_scope);
		if (ret)
			return ret;
	}
	return eldu_locked(t, e, ep, busy_scope);
}

/*
 * One round of waiting for room in @scope (NULL: the page is being written
 * back by a reclaimer; wait for that batch), never holding the enclave lock.
 */
static void wait_for_reclaim(struct epc_encl *e, struct epc_cgroup *scope,
			     const struct epc__retry *rt)
{
	struct epc__reclaimer *r = e->layer->d.reclaim;

	if (e->layer->d.threads) {
		if (epc__reclaim_wait_progress(r, rt->evicted, EPC__FAULT_WAIT_NS) ||
		    epc__retry_anything_ran(r, rt))
			return;
	}
	/*
	 * Nothing to isolate: the scope's pages are in a batch in flight or being
	 * freed by their owner (RELEASING); either holds no lock we need, let it
	 * finish. NULL: the page itself is being written back.
	 */
	if (!scope || !epc__reclaim_step_for(r, scope))
		sched_yield();
}

/*
 * A fault that could not get a page: when a backing charge was refused by a
 * memory limit since @refused, the enclave's cgroup is out of memory and the
 * enclave is OOM-killed (encl.h). Return: the fault's answer.
 */
static int fault_failed(struct epc_encl *e, uint64_t refused)
{
	if (!epc__encl_backing_refused_since(e, refused))
		return -EFAULT;
	epc__mutex_lock(&e->build_lock);
	epc__encl_oom_kill_build_locked(e);
	epc__mutex_unlock(&e->build_lock);
	return -EOWNERDEAD;
}

static int access_page(struct epc_task *t, struct epc_encl *e, struct epc__encl_page *ep,
		       size_t off, void *buf, size_t len, bool write)
{
	struct epc__encl_layer *l = e->layer;
	uint64_t refused = atomic_load(&l->nr_backing_refused);
	struct epc__retry rt;
	bool first = true;
	int ret;

	epc__retry_start(l->d.reclaim, &rt);
	for (;; first = false) {
		struct epc_cgroup *scope = NULL;

		epc__mutex_lock(&e->lock);
		ret = load_page_locked(t, e, ep, first, &scope);
		if (!ret) {
			unsigned char *bytes =
				epc__hw_page_addr(l->d.hw, encl_page_index(e, ep->epc_page));

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
			return ret == -ENOMEM ? fault_failed(e, refused) : ret;
		if (atomic_load(&t->signal))
			return -EINTR;
		wait_for_reclaim(e, scope, &rt);
		if (!epc__retry_next(l->d.reclaim, &rt))
			return fault_failed(e, refused);
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
	for (i = offset / EPC_PAGE_SIZE; i * EPC_PAGE_SIZE < end; i++)
		if (!(e->pages[i].flags & EPC__EPAGE_ADDED))
			break;
	epc__mutex_unlock(&e->lock);
	if (i * EPC_PAGE_SIZE < end) {
		epc__log(e->layer->d.log, LOG_ERR, "access: page 0x%llx was never added",
			 (unsigned long long)(i * EPC_PAGE_SIZE));
		return false;
	}
	return true;
}

EPC_API int epc_encl_access(struct epc_task *t, struct epc_encl *e, uint64_t offset, void *buf,
			    size_t len, bool write)
{
	uint64_t end = offset + len;
	int ret;

	if (!t || !e) {
		epc__log(t ? t->reclaim->log : NULL, LOG_ERR, "access: NULL %s",
			 t ? "enclave" : "task");
		return -EINVAL;
	}
	ret = epc__encl_same_instance(t, e, "access");
	if (ret)
		return ret;
	if (!buf || end < offset || end > e->size) {
		epc__log(e->layer->d.log, LOG_ERR, "access: %s (0x%llx+%zu)",
			 buf ? "range outside the enclave" : "NULL buffer",
			 (unsigned long long)offset, len);
		return -EINVAL;
	}
	if (len == 0)
		return 0;
	if (atomic_load(&e->killed)) {
		epc__log(e->layer->d.log, LOG_INFO,
			 "access: enclave %llu was killed (out of memory)",
			 (unsigned long long)e->id);
		return -EOWNERDEAD;
	}
	if (!range_added(e, offset, end)) /* nothing is touched before this holds */
		return -EINVAL;
	while (offset < end) {
		size_t off = offset % EPC_PAGE_SIZE;
		size_t n = EPC_PAGE_SIZE - off < end - offset ? EPC_PAGE_SIZE - off
							      : (size_t)(end - offset);
		int ret = access_page(t, e, &e->pages[offset / EPC_PAGE_SIZE], off, buf, n, write);

		if (ret == -EFAULT && epc__events_on(e->layer->d.events))
			epc__encl_page_event(e, &e->pages[offset / EPC_PAGE_SIZE],
					     EPC_EVENT_ENCL_KILLED);
		if (ret)
			return ret;
		buf = (char *)buf + n;
		offset += n;
	}
	return 0;
}
