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
 *
 * EDMM: a fault on a slot with no page where an access may add one (a
 * dynamic region, or a page removed since) EAUGs one, as the kernel's
 * sgx_encl_eaug_page(): the SECS loaded back if it is out, the page and the
 * VA page it may need allocated with NO_RECLAIM under the enclave lock (and
 * build_lock, which orders it with the builders and removal), -EBUSY retried
 * as above. The new page is PENDING: the access then finds the enclave may
 * not touch it (-EACCES, the #PF with the SGX bit) until EACCEPT. Every
 * access asks the EPCM (epc__hw_encl_may_access()) after the fault.
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
		.attr = ep->attr,
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

/* The kernel's sgx_encl_load_secs(): the SECS back in if it is out. Lock held. */
static int load_secs_locked(struct epc_task *t, struct epc_encl *e, struct epc_cgroup **busy_scope)
{
	return e->secs.epc_page ? 0 : eldu_locked(t, e, &e->secs, busy_scope);
}

int epc__encl_load_page_locked(struct epc_task *t, struct epc_encl *e, struct epc__encl_page *ep,
			       bool count_fault, struct epc_cgroup **busy_scope)
{
	int ret;

	epc__assert_mutex_held(&e->lock);
	if (atomic_load(&e->killed))
		return -EOWNERDEAD;
	if (ep->epc_page)
		return ep->flags & EPC__EPAGE_BEING_RECLAIMED ? -EBUSY : 0;
	if (count_fault)
		atomic_fetch_add(&e->nr_faults, 1);
	ret = load_secs_locked(t, e, busy_scope);
	return ret ? ret : eldu_locked(t, e, ep, busy_scope);
}

/*
 * EAUG a page at @ep (not added; an access may add it), charged to @t, as
 * sgx_encl_eaug_page(). build_lock and lock held. Return: 0 (the page is
 * there, PENDING, on its cgroup's LRU); -EBUSY retry (*@busy_scope as for a
 * reload); -EFAULT the enclave is not initialized (SIGBUS), or EAUG failed;
 * -ENOMEM no room where it must be made, or no host memory for the books.
 */
static int eaug_locked(struct epc_task *t, struct epc_encl *e, struct epc__encl_page *ep,
		       struct epc_cgroup **busy_scope)
{
	struct epc__encl_layer *l = e->layer;
	struct epc__va_page *va;
	struct epc_page *p;
	int ret;

	epc__assert_mutex_held(&e->build_lock);
	epc__assert_mutex_held(&e->lock);
	if (!e->initialized) {
		epc__log(l->d.log, LOG_ERR, "EAUG at 0x%llx: enclave %llu is not initialized",
			 (unsigned long long)epc__encl_page_offset(e, ep),
			 (unsigned long long)e->id);
		return -EFAULT;
	}
	ret = load_secs_locked(t, e, busy_scope);
	if (!ret)
		ret = epc__encl_added_reserve_locked(e, ep);
	if (ret)
		return ret;
	ret = epc__encl_alloc_epc(t, e, ep, EPC_NO_RECLAIM, &p, busy_scope);
	if (ret)
		return ret;
	ret = epc__encl_grow_locked(t, e, &va, busy_scope);
	if (ret)
		goto err_page;
	ret = epc__hw_eaug(l->d.hw, encl_page_index(e, p), encl_page_index(e, e->secs.epc_page));
	if (ret) {
		epc__log(l->d.log, LOG_WARNING, "EAUG returned %d (0x%x)", ret, ret);
		epc__encl_shrink_locked(e, va);
		ret = -EFAULT;
		goto err_page;
	}
	/*
	 * Read-only once set: a page added again after a removal has it already,
	 * and a reclaimer that put an earlier page of this slot back on its LRU
	 * may still read it to drop its pin (lru_requeue()).
	 */
	if (!ep->encl)
		ep->encl = e;
	ep->type = EPC__PT_REG;
	ep->attr = epc__hw_attr(l->d.hw, encl_page_index(e, p));
	/* no policy on what the enclave maps: it decides with EACCEPT and EMODPE */
	ep->flags |= EPC__EPAGE_MAX_R | EPC__EPAGE_MAX_W | EPC__EPAGE_MAX_X;
	ep->epc_page = p;
	epc__encl_added_commit_locked(e, ep);
	epc__encl_va_commit_locked(e, va);
	atomic_fetch_add(&e->nr_added, 1);
	atomic_fetch_add(&e->nr_resident, 1);
	atomic_fetch_add(&e->nr_augmented, 1);
	atomic_fetch_add_explicit(&p->cg->nr_augmented, 1, memory_order_relaxed);
	epc__reclaim_mark(l->d.reclaim, p);
	return 0;

err_page:
	epc__free_page(l->d.reclaim, p); /* never valid: no EREMOVE needed */
	return ret;
}

/*
 * One round of waiting for room in @scope (NULL: the page is being written
 * back by a reclaimer; wait for that batch), never holding the enclave lock.
 */
static void wait_for_reclaim(struct epc_encl *e, struct epc_cgroup *scope, int cpu,
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
	if (!scope || !epc__reclaim_step_for(r, scope, cpu))
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

/*
 * One try at making @ep resident: EAUG it when it has no page, else load it.
 * @first: the first try of this access (a fault is counted once, however
 * often it is retried). Returns with the enclave lock held, and build_lock
 * too when *@built says so (an EAUG needs it, and it comes before the lock).
 * Return: as epc__encl_load_page_locked(); eaug_locked()'s.
 */
static int make_resident(struct epc_task *t, struct epc_encl *e, struct epc__encl_page *ep,
			 bool first, struct epc_cgroup **scope, bool *built)
{
	*built = false;
	epc__mutex_lock(&e->lock);
	if (ep->flags & EPC__EPAGE_ADDED)
		return epc__encl_load_page_locked(t, e, ep, first, scope);
	epc__mutex_unlock(&e->lock);
	epc__mutex_lock(&e->build_lock);
	epc__mutex_lock(&e->lock);
	*built = true;
	if (atomic_load(&e->killed))
		return -EOWNERDEAD;
	if (ep->flags & EPC__EPAGE_ADDED) /* added meanwhile */
		return epc__encl_load_page_locked(t, e, ep, first, scope);
	return eaug_locked(t, e, ep, scope);
}

int epc__encl_fault_in(struct epc_task *t, struct epc_encl *e, struct epc__encl_page *ep,
		       epc__encl_resident_fn fn, void *arg)
{
	struct epc__encl_layer *l = e->layer;
	uint64_t refused = atomic_load(&l->nr_backing_refused);
	struct epc__retry rt;
	bool first = true, built;
	int ret;

	epc__retry_start(l->d.reclaim, &rt);
	for (;; first = false) {
		struct epc_cgroup *scope = NULL;

		ret = make_resident(t, e, ep, first, &scope, &built);
		if (!ret)
			ret = fn(e, ep, arg);
		epc__mutex_unlock(&e->lock);
		if (built)
			epc__mutex_unlock(&e->build_lock);
		if (ret != -EBUSY)
			return ret == -ENOMEM ? fault_failed(e, refused) : ret;
		if (atomic_load(&t->signal))
			return -EINTR;
		wait_for_reclaim(e, scope, t->cpu, &rt);
		if (!epc__retry_next(l->d.reclaim, &rt))
			return fault_failed(e, refused);
	}
}

struct access_args {
	size_t off, len;
	void *buf;
	bool write;
};

/* The access itself, @ep resident: what the EPCM lets the enclave do. */
static int access_resident(struct epc_encl *e, struct epc__encl_page *ep, void *arg)
{
	struct epc__encl_layer *l = e->layer;
	struct access_args *a = arg;
	uint64_t idx = encl_page_index(e, ep->epc_page);
	unsigned char *bytes;

	if (!epc__hw_encl_may_access(l->d.hw, idx, a->write)) {
		epc__log(l->d.log, LOG_INFO,
			 "access: %s of enclave %llu page 0x%llx: #PF (SGX), the EPCM says "
			 "type %d, attributes 0x%x",
			 a->write ? "write" : "read", (unsigned long long)e->id,
			 (unsigned long long)epc__encl_page_offset(e, ep), l->d.hw->epcm[idx].type,
			 epc__hw_attr(l->d.hw, idx));
		return -EACCES;
	}
	bytes = epc__hw_page_addr(l->d.hw, idx);
	if (bytes && a->write)
		memcpy(bytes + a->off, a->buf, a->len);
	else if (bytes)
		memcpy(a->buf, bytes + a->off, a->len);
	else if (!a->write)
		memset(a->buf, 0, a->len);
	atomic_store(&ep->accessed, 1);
	atomic_fetch_add_explicit(&e->nr_accesses, 1, memory_order_relaxed);
	return 0;
}

static int access_page(struct epc_task *t, struct epc_encl *e, struct epc__encl_page *ep,
		       size_t off, void *buf, size_t len, bool write)
{
	struct access_args a = {.off = off, .len = len, .buf = buf, .write = write};

	return epc__encl_fault_in(t, e, ep, access_resident, &a);
}

bool epc__encl_slot_mapped_locked(const struct epc_encl *e, uint64_t i)
{
	epc__assert_mutex_held(&e->lock);
	if (e->pages[i].flags & (EPC__EPAGE_ADDED | EPC__EPAGE_LISTED))
		return true;
	for (unsigned k = 0; k < e->nr_dyn; k++)
		if (i >= e->dyn[k].first && i < e->dyn[k].end)
			return true;
	return false;
}

/*
 * May an access reach every page of [@offset, @end)? Under the enclave lock:
 * the flags byte is shared with the reclaimer's BEING_RECLAIMED and BACKING
 * bits, which it changes under that lock.
 */
static bool range_added(struct epc_encl *e, uint64_t offset, uint64_t end)
{
	uint64_t i;

	epc__mutex_lock(&e->lock);
	for (i = offset / EPC_PAGE_SIZE; i * EPC_PAGE_SIZE < end; i++)
		if (!epc__encl_slot_mapped_locked(e, i))
			break;
	epc__mutex_unlock(&e->lock);
	if (i * EPC_PAGE_SIZE < end) {
		epc__log(e->layer->d.log, LOG_ERR,
			 "access: page 0x%llx was never added and is in no dynamic region",
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
	epc__task_sync(t);
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
