/* SPDX-License-Identifier: MIT */
/*
 * encl_internal.h - what encl.c, evict.c and fault.c share.
 */
#ifndef EPC_ENCL_ENCL_INTERNAL_H
#define EPC_ENCL_ENCL_INTERNAL_H

#include "encl/encl.h"
#include "util/api.h"

/* The index of @p (an EPC page of @e's instance) for the ENCLS leaves. */
static inline uint64_t encl_page_index(const struct epc_encl *e, const struct epc_page *p)
{
	return epc__mm_page_index(e->layer->d.mm, p);
}

/* A LOG_ERR line: @call was given an enclave of another instance than @t's. Return: -EINVAL. */
int epc__encl_refuse_foreign(struct epc_task *t, const char *call);

/*
 * @t and @e (both non-NULL) are of one instance: they allocate from the same
 * reclaimer (task.h). Inline: every access asks. Return: 0; -EINVAL (logged).
 */
static inline int epc__encl_same_instance(struct epc_task *t, struct epc_encl *e, const char *call)
{
	return t->reclaim == e->layer->d.reclaim ? 0 : epc__encl_refuse_foreign(t, call);
}

/* VA list helpers (encl lock held): slots come from the first VA page. */
static inline struct epc__va_page *va_first(struct epc_encl *e)
{
	return epc__list_first(&e->va_pages, struct epc__va_page, node);
}

static inline bool va_is_first(struct epc_encl *e, struct epc__va_page *v)
{
	return e->va_pages.next == &v->node;
}

static inline bool va_is_last(struct epc_encl *e, struct epc__va_page *v)
{
	return e->va_pages.prev == &v->node;
}

/* A slot from the head VA page. Return: false when every VA page is full. */
bool epc__va_slot_alloc_locked(struct epc_encl *e, struct epc__va_page **va, unsigned *slot);
/* Free a slot; @to_head moves its VA page to the head (the reload path). */
void epc__va_slot_free_locked(struct epc_encl *e, struct epc__va_page *v, unsigned slot,
			      bool to_head);

/*
 * Allocate an EPC page for @e on @t's behalf (charged to @t's cgroup). On
 * -EBUSY, *@busy_scope (if non-NULL) is the cgroup whose subtree must give
 * way (struct epc__alloc_req).
 */
int epc__encl_alloc_epc(struct epc_task *t, struct epc_encl *e, void *owner,
			enum epc_reclaim reclaim, struct epc_page **out,
			struct epc_cgroup **busy_scope);
/* EREMOVE and free (warn and leak if EREMOVE fails). */
void epc__encl_free_epc(struct epc_encl *e, struct epc_page *p);

uint64_t epc__encl_page_offset(const struct epc_encl *e, const struct epc__encl_page *ep);
void *epc__backing_contents(struct epc_encl *e, const struct epc__encl_page *ep);
void *epc__backing_pcmd(struct epc_encl *e, const struct epc__encl_page *ep);

/*
 * The OOM kill (encl.h). build_lock held, enclave lock not. Idempotent. Waits
 * for reclaimers that hold one of the enclave's pages.
 */
void epc__encl_oom_kill_build_locked(struct epc_encl *e);

/* The kill trigger's question: was a backing charge refused since @before? */
static inline bool epc__encl_backing_refused_since(struct epc_encl *e, uint64_t before)
{
	return atomic_load(&e->layer->nr_backing_refused) != before;
}

/*
 * Emit @type for @ep: EVICT and RELOAD while @ep->epc_page is the page
 * (under the enclave lock), ENCL_KILLED after the access failed.
 */
void epc__encl_page_event(struct epc_encl *e, struct epc__encl_page *ep, enum epc_event_type type);

/* EWB of @ep (blocked unless it is the SECS) into the backing store. Lock held.
 * Return: 0; -EIO (the page stays resident). */
int epc__encl_ewb_locked(struct epc_encl *e, struct epc__encl_page *ep);

/*
 * VA growth for a page added with NO_RECLAIM under the enclave lock (EAUG,
 * the kernel's sgx_encl_grow(encl, SGX_NO_RECLAIM)): counts the page in
 * page_cnt and hands back in *@va a new VA page when one is needed, not
 * listed yet (NULL otherwise). build_lock and lock held. Return: 0; the
 * allocation's -EBUSY (*@busy_scope says where room must be made) or
 * -ENOMEM; -EIO (EPA).
 */
int epc__encl_grow_locked(struct epc_task *t, struct epc_encl *e, struct epc__va_page **va,
			  struct epc_cgroup **busy_scope);
/* List @v (from a grow, may be NULL) for eviction. Lock held. */
void epc__encl_va_commit_locked(struct epc_encl *e, struct epc__va_page *v);
/* Undo a grow whose page was not committed: page_cnt back, @v (may be NULL)
 * EREMOVEd and uncharged. build_lock and lock held. */
void epc__encl_shrink_locked(struct epc_encl *e, struct epc__va_page *v);
/* Room in the added list for @ep (none needed once listed). build_lock and
 * lock held. Return: 0; -ENOMEM. */
int epc__encl_added_reserve_locked(struct epc_encl *e, struct epc__encl_page *ep);
/* @ep is added: ADDED, and listed unless it was before. Lock held. */
void epc__encl_added_commit_locked(struct epc_encl *e, struct epc__encl_page *ep);

/*
 * The kernel's __sgx_encl_load_page() for an added page @ep: 0 when resident
 * (-EBUSY while a reclaimer writes it back, *@busy_scope NULL), else the SECS
 * (if out) and the page are loaded back with NO_RECLAIM on @t's behalf.
 * @count_fault: count it in nr_faults (an access's first try).
 * Return: 0; -EBUSY (retry once room is made in *@busy_scope); -ENOMEM;
 * -EFAULT (ELDU failed verification); -EOWNERDEAD. Lock held.
 */
int epc__encl_load_page_locked(struct epc_task *t, struct epc_encl *e, struct epc__encl_page *ep,
			       bool count_fault, struct epc_cgroup **busy_scope);

/*
 * Fault @ep in on @t's behalf, as an access does (EAUG where an access may
 * add it, ELDU when evicted, waiting for reclaim and retrying on -EBUSY),
 * then call @fn with the enclave lock held and @ep resident. Return: @fn's;
 * the fault's -EFAULT, -EINTR, -ENOMEM, -EOWNERDEAD.
 */
typedef int (*epc__encl_resident_fn)(struct epc_encl *e, struct epc__encl_page *ep, void *arg);
int epc__encl_fault_in(struct epc_task *t, struct epc_encl *e, struct epc__encl_page *ep,
		       epc__encl_resident_fn fn, void *arg);

/* May an access reach slot @i (added, added once, or in a dynamic region)? Lock held. */
bool epc__encl_slot_mapped_locked(const struct epc_encl *e, uint64_t i);

#endif
