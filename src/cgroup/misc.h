/* SPDX-License-Identifier: MIT */
/*
 * misc.h - the misc cgroup controller's sgx_epc resource, exactly as
 * kernel/cgroup/misc.c does it (kernel-spec §4.11, §5.1). The same counter
 * serves the memory controller's backing-memory resource (memcg.h), as the
 * kernel's page_counter serves memcg: one counter type, two resources
 * (enum epc__res_type).
 *
 * Charging: bottom-up from the cgroup to the root, one atomic add per level;
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

#include "mm/mm.h"

#define EPC__MISC_MAX UINT64_MAX

struct epc__misc_res {
	_Atomic int64_t usage __attribute__((aligned(EPC__CACHELINE))); /* bytes, self + subtree */
	_Atomic uint64_t max __attribute__((aligned(EPC__CACHELINE)));	/* bytes; U64_MAX = "max" */
	_Atomic uint64_t peak;						/* watermark */
	_Atomic uint64_t events;					/* hierarchical */
	_Atomic uint64_t events_local;
	_Atomic int warned_negative; /* root only: the one-time warning of behaviour 43 */
};

void epc__misc_res_init(struct epc__misc_res *res);

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

/* One level of the walk: the res and its parent's (NULL at the root). */
struct epc_cgroup;
struct epc__misc_res *epc__cg_res(struct epc_cgroup *cg, enum epc__res_type type);
struct epc_cgroup *epc__cg_parent(struct epc_cgroup *cg);

/**
 * epc__res_try_charge() - charge @amount bytes of resource @type to @cg and
 * every ancestor; the rest as epc__misc_try_charge() says (which is this
 * with EPC__RES_SGX_EPC). The memory resource has no capacity: pass
 * UINT64_MAX.
 */
int epc__res_try_charge(struct epc_cgroup *cg, enum epc__res_type type, uint64_t capacity,
			uint64_t amount, struct epc_cgroup **failed, uint64_t *min_max,
			bool *over_capacity);
/* epc__misc_uncharge() for resource @type. */
_Bool epc__res_uncharge(struct epc_cgroup *cg, enum epc__res_type type, uint64_t amount,
			const struct epc__log *log);

/**
 * epc__misc_try_charge() - charge @amount bytes to @cg and every ancestor.
 * @capacity: the resource's capacity (bytes, 0 = absent).
 * @failed: on -EBUSY (if non-NULL), the level that refused.
 * @min_max: on success (if non-NULL), the tightest max from @cg to the root.
 * @over_capacity: on -EBUSY (if non-NULL), whether the capacity refused
 *	rather than the level's max. The kernel checks the capacity at every
 *	level, so a full EPC can be refused below the root.
 * Return: 0; -EINVAL capacity 0; -EBUSY a level's max or the capacity.
 */
int epc__misc_try_charge(struct epc_cgroup *cg, uint64_t capacity, uint64_t amount,
			 struct epc_cgroup **failed, uint64_t *min_max, bool *over_capacity);

/**
 * epc__misc_uncharge() - return @amount bytes at @cg and every ancestor.
 * Return: true if some level's usage reached exactly 0 (a removed cgroup may
 * then be reaped). Going negative is not clamped; it warns once per tree (the
 * kernel's WARN_ONCE; the flag is the root's warned_negative).
 */
_Bool epc__misc_uncharge(struct epc_cgroup *cg, uint64_t amount, const struct epc__log *log);

/* Parse a misc.max write ("sgx_epc <n|max>"). Return: 0; -EINVAL; -ERANGE. */
int epc__misc_parse_max(const char *text, uint64_t *out);

/* kstrtou64() with base 0, one trailing newline allowed. Return: 0; -EINVAL; -ERANGE. */
int epc__kstrtou64(const char *s, uint64_t *out);

/* The kernel's isspace() (lib/ctype.c): locale-free, and 0xA0 counts. */
_Bool epc__kernel_isspace(unsigned char c);

enum epc__misc_file {
	EPC__MISC_CAPACITY,
	EPC__MISC_CURRENT,
	EPC__MISC_PEAK,
	EPC__MISC_MAX_FILE,
	EPC__MISC_EVENTS,
	EPC__MISC_EVENTS_LOCAL,
	EPC__MISC_NR_FILES,
};

/* The file @name names, or -ENOENT; @is_root decides which files exist. */
int epc__misc_file_lookup(const char *name, _Bool is_root);

/* Format @file of @res into @buf. Return: length; -ENOSPC. */
ssize_t epc__misc_format(const struct epc__misc_res *res, enum epc__misc_file file,
			 uint64_t capacity, char *buf, size_t len);

#endif
