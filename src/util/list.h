/* SPDX-License-Identifier: MIT */
/*
 * list.h - the one intrusive doubly linked list, circular with a head node,
 * as the kernel's list_head: O(1) add and delete anywhere, no allocation.
 * A node embedded in an object links it into one list at a time; the head
 * lives in the list's owner. Locking is the owner's: each use says which
 * lock protects its list.
 *
 * (EPC pages are linked differently, by 32-bit indices into the record
 * array, to keep the page record at 32 bytes: mm/plist.h.)
 */
#ifndef EPC_UTIL_LIST_H
#define EPC_UTIL_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct epc__list {
	struct epc__list *next, *prev;
};

/* An empty list (a head), or a node on no list. */
static inline void epc__list_init(struct epc__list *l)
{
	l->next = l->prev = l;
}

static inline bool epc__list_empty(const struct epc__list *head)
{
	return head->next == head;
}

static inline void epc__list_insert(struct epc__list *n, struct epc__list *prev,
				    struct epc__list *next)
{
	n->prev = prev;
	n->next = next;
	prev->next = n;
	next->prev = n;
}

static inline void epc__list_add_head(struct epc__list *head, struct epc__list *n)
{
	epc__list_insert(n, head, head->next);
}

static inline void epc__list_add_tail(struct epc__list *head, struct epc__list *n)
{
	epc__list_insert(n, head->prev, head);
}

/* Take @n off its list; it is then on none (epc__list_empty(@n) holds). */
static inline void epc__list_del(struct epc__list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	epc__list_init(n);
}

/* The object of type @type whose member @member is node @n. */
#define epc__list_entry(n, type, member) ((type *)((char *)(n)-offsetof(type, member)))

/* The first object on @head, or NULL when it is empty. */
#define epc__list_first(head, type, member)                                                        \
	(epc__list_empty(head) ? NULL : epc__list_entry((head)->next, type, member))

/* The object after @obj on the list headed by @head, or NULL at the end. */
#define epc__list_next(obj, head, member)                                                          \
	((obj)->member.next == (head)                                                              \
		 ? NULL                                                                            \
		 : epc__list_entry((obj)->member.next, __typeof__(*(obj)), member))

/* The object before @obj, or NULL at the start. */
#define epc__list_prev(obj, head, member)                                                          \
	((obj)->member.prev == (head)                                                              \
		 ? NULL                                                                            \
		 : epc__list_entry((obj)->member.prev, __typeof__(*(obj)), member))

/* Every object on @head, in order; @obj must not be deleted inside the loop. */
#define epc__list_for_each(obj, head, member)                                                      \
	for ((obj) = epc__list_first(head, __typeof__(*(obj)), member); (obj);                     \
	     (obj) = epc__list_next(obj, head, member))

#endif
