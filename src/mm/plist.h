/* SPDX-License-Identifier: MIT */
/*
 * plist.h - doubly linked lists of pages, linked by index through the one page
 * array. The caller holds whatever lock protects the list; these helpers only
 * move links and keep @nr exact.
 */
#ifndef EPC_MM_PLIST_H
#define EPC_MM_PLIST_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "mm/page.h"

struct epc__plist {
	uint32_t head, tail; /* index + 1 of the first/last page; 0 = empty */
	uint64_t nr;	     /* pages on the list */
};

static inline void epc__plist_init(struct epc__plist *l)
{
	l->head = l->tail = EPC__LINK_NONE;
	l->nr = 0;
}

static inline bool epc__plist_empty(const struct epc__plist *l)
{
	return l->head == EPC__LINK_NONE;
}

static inline uint32_t epc__plink(const struct epc_page *base, const struct epc_page *p)
{
	return (uint32_t)(p - base) + 1;
}

static inline struct epc_page *epc__plist_page(struct epc_page *base, uint32_t link)
{
	return link == EPC__LINK_NONE ? NULL : &base[link - 1];
}

static inline struct epc_page *epc__plist_first(struct epc_page *base, const struct epc__plist *l)
{
	return epc__plist_page(base, l->head);
}

static inline struct epc_page *epc__plist_next(struct epc_page *base, const struct epc_page *p)
{
	return epc__plist_page(base, p->next);
}

static inline void epc__plist_add_tail(struct epc_page *base, struct epc__plist *l,
				       struct epc_page *p)
{
	uint32_t link = epc__plink(base, p);

	p->next = EPC__LINK_NONE;
	p->prev = l->tail;
	if (l->tail != EPC__LINK_NONE)
		base[l->tail - 1].next = link;
	else
		l->head = link;
	l->tail = link;
	l->nr++;
}

static inline void epc__plist_add_head(struct epc_page *base, struct epc__plist *l,
				       struct epc_page *p)
{
	uint32_t link = epc__plink(base, p);

	p->prev = EPC__LINK_NONE;
	p->next = l->head;
	if (l->head != EPC__LINK_NONE)
		base[l->head - 1].prev = link;
	else
		l->tail = link;
	l->head = link;
	l->nr++;
}

static inline void epc__plist_del(struct epc_page *base, struct epc__plist *l, struct epc_page *p)
{
	/* cheap debug checks: the neighbours point back at @p */
	assert(l->nr > 0);
	assert(p->prev == EPC__LINK_NONE ? l->head == epc__plink(base, p)
					 : base[p->prev - 1].next == epc__plink(base, p));
	assert(p->next == EPC__LINK_NONE ? l->tail == epc__plink(base, p)
					 : base[p->next - 1].prev == epc__plink(base, p));
	if (p->prev != EPC__LINK_NONE)
		base[p->prev - 1].next = p->next;
	else
		l->head = p->next;
	if (p->next != EPC__LINK_NONE)
		base[p->next - 1].prev = p->prev;
	else
		l->tail = p->prev;
	p->next = p->prev = EPC__LINK_NONE;
	l->nr--;
}

static inline struct epc_page *epc__plist_pop(struct epc_page *base, struct epc__plist *l)
{
	struct epc_page *p = epc__plist_first(base, l);

	if (p)
		epc__plist_del(base, l, p);
	return p;
}

/* Move every page of @from to the tail of @to. */
static inline void epc__plist_splice_tail(struct epc_page *base, struct epc__plist *to,
					  struct epc__plist *from)
{
	if (epc__plist_empty(from))
		return;
	if (epc__plist_empty(to)) {
		*to = *from;
	} else {
		base[to->tail - 1].next = from->head;
		base[from->head - 1].prev = to->tail;
		to->tail = from->tail;
		to->nr += from->nr;
	}
	epc__plist_init(from);
}

#define epc__plist_for_each(base, l, p)                                                            \
	for ((p) = epc__plist_first((base), (l)); (p); (p) = epc__plist_next((base), (p)))

#endif
