/* SPDX-License-Identifier: MIT */
/*
 * misc.h - the misc cgroup controller's sgx_epc resource, exactly as
 * kernel/cgroup/misc.c does it (kernel-spec §4.11, §5.1). The same counter
 * serves the memory controller's backing-memory resource (memcg.h), as the
 * kernel's page_counter serves memcg: one counter type, two resources
 * (enum epc__res_type).
 *
 * Charging (the exact path; most sgx_epc charges take a page from their
 * CPU's stock instead, see "Stocks" below): bottom-up from the cgroup to the
 * root, one atomic add per level;
 * the first level whose new usage exceeds its max, or the capacity, fails the
 * charge: that level's events.local and the events of it and every non-root
 * ancestor go up, and every level added so far is rolled back.
 *
 * Accepted races (as in the kernel):
 *  - Between a level's add and its rollback the usage is transiently high: a
 *    concurrent charge may fail that would have fitted, and a child's usage may
 *    briefly exceed its parent's.
 *  - Peak is raised to the new usage before the charge is known to succeed, so
 *    a failed charge can leave a level's peak at the transient value
 *    (behaviour 39).
 *  - max is read without a lock: a charge racing with a write sees the old or
 *    the new limit. Limits are never enforced retroactively.
 *
 * Each counter keeps its parent (read-only after init), as page_counter
 * does, so a charge walks counters, not cgroups: this module knows nothing of
 * the tree that embeds them and stands alone below cgroup.c.
 *
 * Layout: usage is written by every charge; max and peak are read by every
 * charge and written rarely. They sit on separate cache lines, the lesson of
 * the kernel's page_counter (Shakeel Butt, 2022).
 */
#ifndef EPC_CGROUP_MISC_H
#define EPC_CGROUP_MISC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hw/fault.h"
#include "mm/mm.h"
#include "util/lock.h"
#include "util/log.h"

#define EPC__MISC_MAX UINT64_MAX

/*
 * The resources one counter type serves: the misc controller's sgx_epc and
 * the memory controller's backing memory (cgroup/memcg.h). Both are the same
 * hierarchical page_counter: charged bottom-up, refused by the first level
 * over its max (or the capacity), "max" events counted alike.
 */
enum epc__res_type {
	EPC__RES_SGX_EPC,
	EPC__RES_MEMORY,
	EPC__NR_RES,
};

struct epc__misc_res {
	_Atomic int64_t usage __attribute__((aligned(EPC__CACHELINE))); /* bytes, self + subtree */
	_Atomic uint64_t max __attribute__((aligned(EPC__CACHELINE)));	/* bytes; U64_MAX = "max" */
	_Atomic uint64_t peak;						/* watermark */
	_Atomic uint64_t events;					/* hierarchical */
	_Atomic uint64_t events_local;
	_Atomic int warned_negative; /* root only: the one-time warning of behaviour 43 */
	/* read-only after init: the level above (NULL at the root) and what it counts */
	struct epc__misc_res *parent;
	enum epc__res_type type;
	/* the stocks' transfer lock: no stock may cache this counter (it is dying) */
	bool no_stock;
};

/* A counter under @parent (NULL: the root of its tree) for resource @type. */
void epc__misc_res_init(struct epc__misc_res *res, struct epc__misc_res *parent,
			enum epc__res_type type);

/**
 * epc__res_try_charge() - charge @amount bytes to @res and every level above
 * it (the counter keeps its parent, as the kernel's page_counter does, so the
 * walk needs nothing of the tree that embeds it).
 * @capacity: the resource's capacity (bytes; 0: absent, -EINVAL). The memory
 *	resource has none: pass UINT64_MAX.
 * @failed: on -EBUSY (if non-NULL), the level that refused.
 * @min_max: on success (if non-NULL), the tightest max from @res to the root.
 * @over_capacity: on -EBUSY (if non-NULL), whether the capacity refused
 *	rather than the level's max. The kernel checks the capacity at every
 *	level, so a full EPC can be refused below the root.
 * Return: 0; -EINVAL capacity 0; -EBUSY a level's max or the capacity.
 */
int epc__res_try_charge(struct epc__misc_res *res, uint64_t capacity, uint64_t amount,
			struct epc__misc_res **failed, uint64_t *min_max, bool *over_capacity);
/**
 * epc__res_uncharge() - return @amount bytes at @res and every level above.
 * Return: true if some level's usage reached exactly 0 (a removed cgroup may
 * then be reaped). Going negative is not clamped; it warns once per tree (the
 * kernel's WARN_ONCE; the flag is the root's warned_negative).
 */
_Bool epc__res_uncharge(struct epc__misc_res *res, uint64_t amount, const struct epc__log *log);

/*
 * Stocks: charging that scales, with exact reads (DESIGN §4.3, §8;
 * docs/DESIGN-NOTES.md "Stocks" has the proof sketch).
 *
 * A stock is a slot's (a CPU's, modulo EPC__MISC_NR_STOCKS) cache of pages
 * already charged at one counter and every level above it, but used by no
 * page: memcg's per-CPU stock. A charge from a stock caching its counter
 * takes a page from it, an uncharge gives one back, both under the stock's
 * own lock on its own cache line, so two threads charging as two CPUs share
 * no line, at any depth. Everything else is a "transfer", done under the one
 * transfer lock (@xfer) of the tree:
 *  - a refill charges up to EPC__MISC_STOCK_BATCH pages at every level, but
 *    only within the headroom every level has under its max, the capacity
 *    AND its peak: a page taken from a stock never raises any level's usage
 *    above its recorded peak, so the fast path needs no peak update, and the
 *    peak is never a stock-inflated value;
 *  - when a level has no headroom left (a new peak, or the limit), every
 *    stock is drained first and the page is charged exactly as the kernel
 *    does (epc__res_try_charge()): peak, refusal and events then see the true
 *    usage, because no stock holds a page and none can refill meanwhile;
 *  - a misc.max write and a cgroup's removal drain (a dying counter is never
 *    cached again, @no_stock), so a limit is never exceeded by a stock and a
 *    dying cgroup's usage is its pages alone.
 * A reader (epc__misc_stocks_usage()) takes @xfer, freezes the stocks under
 * the counter it reads (each stock's fast path then goes to the slow one),
 * and returns the counter minus those stocks: the usage at one instant.
 *
 * Invariants (checked by epc__misc_stocks_check()): for every level L,
 * counter(L) = pages charged in L's subtree + pages of the stocks caching a
 * counter in L's subtree; counter(L) <= peak(L) except for the kernel's
 * transient add-then-rollback; a stock with no counter holds no page.
 */
#define EPC__MISC_NR_STOCKS   16u /* stock slots; a CPU uses slot cpu % this */
#define EPC__MISC_STOCK_BATCH 32u /* pages one refill charges at most */
#define EPC__MISC_STOCK_HIGH  64u /* pages a stock keeps at most: more are uncharged */

struct epc__misc_stock {
	struct epc__spin lock __attribute__((aligned(EPC__CACHELINE))); /* the fields below */
	struct epc__misc_res *res; /* lock, and @xfer to change: the counter cached, or NULL */
	uint64_t nr;		   /* lock: pages charged at @res and up, used by none */
	uint64_t min_max;	   /* lock: the tightest max from @res up, at the refill */
	bool frozen;		   /* lock, set under @xfer: a reader is counting this stock */
};

struct epc__misc_stocks {
	struct epc__spin xfer; /* every refill, drain and exact charge; readers; the @res of every stock */
	struct epc__misc_stock *slot; /* EPC__MISC_NR_STOCKS, cache-line aligned; read-only pointer */
	uint64_t capacity;	      /* bytes; read-only after init */
	const struct epc__log *log;   /* read-only after init */
};

/* Return: 0; -ENOMEM. */
int epc__misc_stocks_init(struct epc__misc_stocks *st, uint64_t capacity,
			  const struct epc__log *log, const struct epc__fault *fault);
void epc__misc_stocks_destroy(struct epc__misc_stocks *st);

/**
 * epc__misc_stocks_try_charge() - charge one page (EPC_PAGE_SIZE bytes) to
 * @res and every level above, from slot @slot's stock when it can.
 * @slot: the caller's CPU (any int: taken modulo EPC__MISC_NR_STOCKS), or -1
 *	for no stock (an exact charge, still serialized with the transfers).
 * @failed, @min_max, @over_capacity: as epc__res_try_charge().
 * A refusal is real: every stock was drained before the exact charge failed.
 * Return: 0; -EINVAL capacity 0; -EBUSY a level's max or the capacity.
 */
int epc__misc_stocks_try_charge(struct epc__misc_stocks *st, struct epc__misc_res *res, int slot,
				struct epc__misc_res **failed, uint64_t *min_max,
				bool *over_capacity);
/**
 * epc__misc_stocks_uncharge() - return @nr pages charged at @res: into slot
 * @slot's stock when it caches @res and has room (one page at a time), else
 * to the counters (epc__res_uncharge()).
 * Return: as epc__res_uncharge() (some level's usage reached 0).
 */
_Bool epc__misc_stocks_uncharge(struct epc__misc_stocks *st, struct epc__misc_res *res, int slot,
				unsigned nr);
/**
 * epc__misc_stocks_charge_exact() - charge @amount bytes at @res and up with
 * no stock, as epc__res_try_charge() does, serialized with the transfers;
 * when some level lacks the room, every stock is drained first, so a refusal
 * is real. Return: as epc__res_try_charge().
 */
int epc__misc_stocks_charge_exact(struct epc__misc_stocks *st, struct epc__misc_res *res,
				  uint64_t amount, struct epc__misc_res **failed,
				  uint64_t *min_max, bool *over_capacity);

/* @res's usage in bytes, exact: its counter minus the stocks below it. */
uint64_t epc__misc_stocks_usage(struct epc__misc_stocks *st, struct epc__misc_res *res);
/* Pages the stocks hold at @res or below it (a snapshot under @xfer). */
uint64_t epc__misc_stocks_held(struct epc__misc_stocks *st, struct epc__misc_res *res);

/* Give every stock's pages back (a misc.max write). */
void epc__misc_stocks_drain(struct epc__misc_stocks *st);
/*
 * @res is dying: drain the stocks caching it and never cache it again.
 * Return: true if its usage reached 0 (it may be reaped).
 */
_Bool epc__misc_stocks_forbid(struct epc__misc_stocks *st, struct epc__misc_res *res);

/*
 * The stocks' own invariants: a stock without a counter holds nothing, none
 * caches a counter it may not, none holds more than EPC__MISC_STOCK_HIGH.
 * Quiescent callers. Return: 0; -EUCLEAN (logged).
 */
int epc__misc_stocks_check(struct epc__misc_stocks *st, const struct epc__log *log);

/* Parse a misc.max write ("sgx_epc <n|max>"). Return: 0; -EINVAL; -ERANGE. */
int epc__misc_parse_max(const char *text, uint64_t *out);

/* kstrtou64() with base 0, one trailing newline allowed. Return: 0; -EINVAL; -ERANGE. */
int epc__kstrtou64(const char *s, uint64_t *out);
/* The same over @s[0..@len). */
int epc__kstrtou64_len(const char *s, size_t len, uint64_t *out);

/* The kernel's isspace() (lib/ctype.c): locale-free, and 0xA0 counts. */
_Bool epc__kernel_isspace(unsigned char c);

/* What misc_format() prints: the misc.* files (their names and where they
 * exist are the file table's, cgroup/files.c). */
enum epc__misc_file {
	EPC__MISC_CAPACITY,
	EPC__MISC_CURRENT,
	EPC__MISC_PEAK,
	EPC__MISC_MAX_FILE,
	EPC__MISC_EVENTS,
	EPC__MISC_EVENTS_LOCAL,
	EPC__MISC_NR_FILES,
};

/* Format @file of @res into @buf. Return: length; -ENOSPC. */
ssize_t epc__misc_format(const struct epc__misc_res *res, enum epc__misc_file file,
			 uint64_t capacity, char *buf, size_t len);
/* As epc__misc_format(), misc.current exact through @st (may be NULL: no stocks). */
ssize_t epc__misc_format_stocked(struct epc__misc_stocks *st, const struct epc__misc_res *res,
				 enum epc__misc_file file, uint64_t capacity, char *buf,
				 size_t len);

#endif
