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

#include "mm/mm.h"

#define EPC__MISC_MAX UINT64_MAX

struct epc__misc_res {
	_Atomic int64_t usage __attribute__((aligned(EPC__CACHELINE))); /* bytes, self + subtree */
	_Atomic uint64_t max __attribute__((aligned(EPC__CACHELINE)));	/* bytes; U64_MAX = "max" */
	_Atomic uint64_t peak;						/* watermark */
	_Atomic uint64_t events;					/* hierarchical */
	_Atomic uint64_t events_local;
	_Atomic int warned_negative; /* root only: the one-time warning of behaviour 43 */
	/* read-only after init: the level above (NULL at the root) and what it counts */
	struct epc__misc_res *parent;
	int type; /* enum epc__res_type */
};

/* A counter under @parent (NULL: the root of its tree) for resource @type. */
void epc__misc_res_init(struct epc__misc_res *res, struct epc__misc_res *parent, int type);

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
