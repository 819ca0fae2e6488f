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
int epc__encl_alloc_epc(struct epc_task *t, struct epc_encl *e, void *owner, int reclaim,
			struct epc_page **out, struct epc_cgroup **busy_scope);
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

#endif
