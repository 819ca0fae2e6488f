/* SPDX-License-Identifier: MIT */
/*
 * memcg.h - the memory controller's part that enclaves touch: the host RAM
 * their backing stores use (evicted page contents, PCMDs, SECS images),
 * charged hierarchically to the cgroup of the enclave's owner (kernel-spec
 * behaviour 70), with the cgroup-v2 files memory.current, memory.peak,
 * memory.max, memory.events and memory.events.local in the kernel's text.
 *
 * The counter is the misc controller's (misc.h, resource EPC__RES_MEMORY):
 * the same bottom-up charge, the same refusal at the first level over its
 * max, the same "max" event at the refusing level (events.local) and at it
 * and every non-root ancestor (events), which is what memcg_memory_event()
 * does. The memory resource has no capacity. What memcg adds here: the
 * oom and oom_kill events (counted by the enclave layer when it kills an
 * enclave, encl.h), and the kernel's parsing of memory.max:
 *
 *   strstrip(); "max" -> no limit; else memparse(): simple_strtoull() with
 *   base 0 (0x hex, leading-0 octal, no sign, no spaces, wrapping on
 *   overflow), then one optional suffix K, M, G, T, P or E (either case,
 *   each a further << 10, wrapping), and nothing may follow. The byte count
 *   is rounded down to a page and capped at PAGE_COUNTER_MAX pages, which
 *   reads back as "max". An empty value is 0, as the kernel's memparse()
 *   makes it. page_counter_memparse() in mm/page_counter.c.
 *
 * Files: only non-root cgroups have them, as in the kernel (memory_files[]
 * marks current, peak, max, events and events.local CFTYPE_NOT_ON_ROOT).
 * The root's memory.stat is not emulated.
 *
 * Differences from the kernel (docs/DIFFERENCES.md M1-M6): a memory.max write
 * below the usage is accepted and neither reclaims nor kills at write time
 * (backing memory is not reclaimable without swap: the kernel would OOM-kill
 * at once); memory.peak is read-only (no per-open-file reset).
 */
#ifndef EPC_CGROUP_MEMCG_H
#define EPC_CGROUP_MEMCG_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup/misc.h"

/* The kernel's PAGE_COUNTER_MAX on 64-bit: LONG_MAX / PAGE_SIZE pages. */
#define EPC__PAGE_COUNTER_MAX_PAGES (INT64_MAX / EPC_PAGE_SIZE)

/* The keys of memory.events, in the kernel's order. */
enum epc__memcg_event {
	EPC__MEMCG_LOW,
	EPC__MEMCG_HIGH,
	EPC__MEMCG_MAX, /* kept by the counter itself: misc_res.events */
	EPC__MEMCG_OOM,
	EPC__MEMCG_OOM_KILL,
	EPC__MEMCG_OOM_GROUP_KILL,
	EPC__MEMCG_NR_EVENTS,
};

/* Per-cgroup memcg state besides the counter (relaxed atomics). */
struct epc__memcg {
	_Atomic uint64_t events[EPC__MEMCG_NR_EVENTS];	     /* hierarchical */
	_Atomic uint64_t events_local[EPC__MEMCG_NR_EVENTS]; /* this level */
};

struct epc_cgroup;

/*
 * Count @ev at @cg: events.local there, events there and at every ancestor
 * that has a parent (memcg_memory_event()). Not for EPC__MEMCG_MAX, which the
 * counter counts when it refuses.
 */
void epc__memcg_event(struct epc_cgroup *cg, enum epc__memcg_event ev);

/*
 * The kernel's memparse(): @s parsed as the header says, *@end (if non-NULL)
 * at the first byte not taken. Return: the value (wrapped on overflow).
 */
uint64_t epc__memparse(const char *s, const char **end);

/*
 * Parse a memory.max write. Return: 0 with *@bytes the limit (EPC__MISC_MAX
 * for none); -EINVAL for text memparse leaves unparsed.
 */
int epc__memcg_parse_max(const char *text, uint64_t *bytes);

enum epc__memcg_file {
	EPC__MEMCG_CURRENT,
	EPC__MEMCG_PEAK,
	EPC__MEMCG_MAX_FILE,
	EPC__MEMCG_EVENTS,
	EPC__MEMCG_EVENTS_LOCAL,
	EPC__MEMCG_NR_FILES,
};

/* Format @file of @cg. Return: length; -ENOSPC. */
ssize_t epc__memcg_format(struct epc_cgroup *cg, enum epc__memcg_file file, char *buf, size_t len);

#endif
