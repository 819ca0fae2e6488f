/* SPDX-License-Identifier: MIT */
/*
 * epcmm.h - the SGX Enclave Page Cache memory manager, in user space.
 *
 * One `struct epc` is one emulated machine: EPC sections on NUMA nodes, a
 * NUMA-aware page allocator (one free list and one lock per node, local node
 * first, then every other node once), a misc-cgroup tree that charges every
 * EPC page hierarchically, enclaves whose pages are evicted to an encrypted,
 * versioned backing store and faulted back, and the reclaimer that moves them.
 * Several instances coexist in one process; there is no global state.
 *
 * Conventions:
 *  - Every int-returning call returns 0 or a negative errno; results come back
 *    through out-parameters. Each call lists every error it can return.
 *  - The kernel's -ERESTARTSYS is -EINTR here.
 *  - Everything is thread-safe, except that one `struct epc_task` is used by one
 *    thread at a time (it stands for the kernel's `current`).
 *  - Bad input changes nothing: a rejected call leaves no charge, page or limit
 *    behind, and logs a line naming what was wrong.
 *  - A NULL handle, out-pointer or required argument is -EINVAL, refused
 *    before anything is done (a call returning void logs it and does nothing;
 *    a one-value getter logs it and returns what no valid handle gives: -EINVAL
 *    for a CPU or node, 0 for an id, UINT64_MAX for an address, NULL for an
 *    owner). Without an instance to log to, the line goes to stderr.
 *    tests/test_null_handles.c calls every function declared here so.
 *  - Handles never mix instances: a task of one `struct epc` used with the
 *    cgroup or enclave of another is -EINVAL with a line, nothing changed.
 *
 * ABI: what a program compiled against an older header may rely on.
 *  - The shared library exports exactly the functions declared here (a linker
 *    version script; tests/abi checks the list). Nothing is ever removed or
 *    changes meaning within major version 0: a call is only ever added.
 *  - The size rule. Every struct that the caller fills or the library fills
 *    travels with its size, sizeof as the caller was compiled: an argument
 *    (epc_create2(), the *_get_stats calls), or a field (struct epc_event's
 *    @size). Fields are only ever added at the end, each marked with the
 *    version that added it. The library reads or writes the first
 *    min(size, its own sizeof) bytes and never more. A struct the library
 *    fills: bytes past the library's own struct are left as the caller had
 *    them (so zero it first; epc_version() says which fields this library
 *    knows). A struct the caller fills: fields past @size take their
 *    defaults (zero); bytes past the library's own struct must be zero, or
 *    the call is -EINVAL (the caller asked for something this library lacks).
 *  - The calls of 0.1.0 that take no size (epc_create(), epc_get_stats(),
 *    epc_get_node_stats(), epc_encl_get_stats()) read or fill exactly their
 *    0.1.0 struct and stay, as documented aliases of the sized calls.
 *  - struct epc_section_desc is an array element and is frozen; so are the
 *    enum values that exist.
 *
 * Names: epc_<object>_<verb> (epc_cgroup_get_stats, epc_node_get_stats,
 * epc_encl_access2); calls on the instance itself leave the object out
 * (epc_create, epc_reclaim, epc_get_stats2); accessors that cannot fail name
 * the attribute (epc_task_cpu, epc_encl_id). Modes are enums, checked
 * (enum epc_reclaim, enum epc_access). The 0.1.0 names that broke the
 * pattern stay as documented aliases: epc_get_node_stats() (for
 * epc_node_get_stats()), epc_encl_access() with a bool (for
 * epc_encl_access2()).
 *
 * The semantics follow Linux's arch/x86/kernel/cpu/sgx and the (unmerged) v17
 * EPC cgroup series; docs/DIFFERENCES.md lists every place we differ, and why.
 */
#ifndef EPCMM_H
#define EPCMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The version of this header. epc_version() gives the library's, packed as
 * EPCMM_VERSION_ENCODE() does; a program may compare the two.
 */
#define EPCMM_VERSION_MAJOR  0
#define EPCMM_VERSION_MINOR  2
#define EPCMM_VERSION_PATCH  0
#define EPCMM_VERSION_STRING "0.2.0"
#define EPCMM_VERSION_ENCODE(ma, mi, pa)                                                           \
	(((uint32_t)(ma) << 16) | ((uint32_t)(mi) << 8) | (uint32_t)(pa))
#define EPCMM_VERSION                                                                              \
	EPCMM_VERSION_ENCODE(EPCMM_VERSION_MAJOR, EPCMM_VERSION_MINOR, EPCMM_VERSION_PATCH)

#define EPC_PAGE_SIZE	 4096
#define EPC_NO_NODE	 (-1)
#define EPC_MAX_NODES	 64
#define EPC_MAX_SECTIONS 8
#define EPC_MAX_CPUS	 4096

struct epc;
struct epc_cgroup;
struct epc_task;
struct epc_encl;
struct epc_page;

/**
 * struct epc_section_desc - one physically contiguous EPC range.
 * @phys_addr: start, page aligned.
 * @size: bytes, a non-zero multiple of EPC_PAGE_SIZE.
 * @node: the NUMA node the firmware (SRAT) maps it to, in [0, nr_nodes), or
 *	EPC_NO_NODE: then the section goes to node 0 with the kernel's
 *	"[Firmware Bug]" warning. Any other value is -EINVAL.
 */
struct epc_section_desc {
	uint64_t phys_addr;
	uint64_t size;
	int node;
};

enum epc_fallback {
	EPC_FALLBACK_NODE_ORDER, /* the kernel's: next node id, wrapping */
	EPC_FALLBACK_DISTANCE,	 /* nearest by SLIT distance first, ties by id */
};

enum epc_background {
	EPC_BACKGROUND_THREADS, /* ksgxd and the cgroup workers are threads */
	EPC_BACKGROUND_MANUAL,	/* no threads: the caller steps the work */
};

/* struct epc_config.cgroup_mode: the EPC controller on or off (behaviour 62). */
enum epc_cgroup_mode {
	/* v17: each page charged to its task's cgroup, on that cgroup's LRU */
	EPC_CGROUP_ON,
	/* misc disabled at boot (cgroup_disable=misc): every page charged
	 * to the root and on the root's LRU, whatever the task's cgroup;
	 * the capacity holds, no child is charged (misc.current of every
	 * child reads 0) and no misc.max is enforced */
	EPC_CGROUP_ROOT_ONLY,
	/* CONFIG_CGROUP_MISC=n: no accounting at all (the root's
	 * misc.current reads 0 too); every page on the root's LRU, which
	 * is mainline's one global LRU */
	EPC_CGROUP_NONE,
};

/**
 * struct epc_config - the machine. Zero-initialised fields take the defaults.
 * @nr_nodes: possible NUMA nodes, 1..EPC_MAX_NODES.
 * @nr_cpus: CPUs, 1..EPC_MAX_CPUS; default nr_nodes.
 * @cpu_to_node: nr_cpus entries, each in [0, nr_nodes); default cpu % nr_nodes.
 * @distance: nr_nodes * nr_nodes SLIT matrix, row-major; the diagonal must be
 *	10 and every other entry 11..255 (255: unreachable, tried last); default
 *	10 local, 20 remote.
 * @sections: 1..EPC_MAX_SECTIONS sections; they must not overlap.
 * @nr_sections: number of entries in @sections.
 * @fallback: order of the remote-node search.
 * @background: who runs ksgxd and the cgroup reclaim work.
 * @pcp_batch: per-CPU page cache batch, 0..EPC_PCP_BATCH_MAX; 0 = off, which
 *	is the kernel's exact behaviour.
 * @no_contents: metadata only (huge EPCs): no page bytes, no crypto; enclave
 *	reads give zeros and epc_encl_backing_fd() is -EOPNOTSUPP.
 * @log: receives every log line with a syslog LOG_* level; default: lines at
 *	LOG_WARNING and worse go to stderr, prefixed "epcmm: ". It runs on the
 *	thread that logs, from epc_create() on (before *@out is set). Almost
 *	every line is logged with no library lock held, and the callback may
 *	then call the library. These few are logged under a lock, and from them
 *	the callback may only call what an event handler may (see
 *	epc_set_event_handler()): under an enclave's lock, "EWB of enclave ...
 *	failed", "EWB: enclave ... has no free VA slot", "ELDU of enclave ...
 *	failed", "EREMOVE returned ... and an EPC page was leaked" (enclave
 *	teardown, a failed EADD's rollback), and "misc cgroup: resource sgx_epc
 *	usage went negative" when an enclave's page is uncharged; under the
 *	sanitizer's lock, "... EPC pages could not be sanitized ...".
 *	tests/test_log.c calls back into the library from every kind of line.
 * @log_arg: passed to @log.
 * @nr_workers: (0.2.0; epc_create2() only) THREADS mode: threads that run the per-cgroup background
 *	reclaim (v17's workqueue), 1..EPC_MAX_WORKERS; 0 = min(4, online CPUs).
 *	ksgxd is a thread of its own besides them. Unused in MANUAL mode.
 * @cgroup_mode: (0.2.0; epc_create2() only) the EPC controller (kernel-spec
 *	behaviour 62): on (the default), or off in one of the kernel's two
 *	ways; see enum epc_cgroup_mode. The memory controller (backing memory) stays on. In
 *	both off modes a misc.max write is refused with -EOPNOTSUPP (a limit
 *	that would be ignored is not accepted); the misc.* files can still be
 *	read.
 * @margin_reclaim: (epc_create2() only) false (the default): v17 as
 *	written, where a cgroup's background reclaim is queued when a charge is
 *	refused and then reclaims to 32 pages below the limit; an enclave whose
 *	pages fit its limit never pages. true: also queue it after a successful
 *	charge that leaves the cgroup within 32 pages of the tightest limit on
 *	its path (limits above 128 pages), the post-charge trigger v11's
 *	changelog meant but v10-v17 never reach (docs/DIFFERENCES.md C2).
 * @numa_reclaim: (newer than 0.2.0; epc_create2() only) false (the default):
 *	the kernel's node-blind reclaim (one LRU per cgroup, ksgxd woken by the
 *	free count of the whole EPC). true: NUMA-aware reclaim: a cgroup keeps
 *	one LRU per node; reclaim for an allocation takes pages of the node the
 *	allocator tries first for the caller when that node has reclaimable
 *	pages in the scope (else of the next node in its search order); each
 *	node with EPC has its own watermarks (fewer than 32 free pages of the
 *	node wake reclaim of its pages until 64 are free); and an allocation
 *	whose node has no free page reclaims there before it takes another
 *	node's: a caller that may reclaim does (its cgroup's pages there while
 *	another node has a free page, every cgroup's when none has), one that
 *	may not (EPC_NO_RECLAIM, a fault) gets -EBUSY. It takes another node's
 *	page when its cgroup has none of its node's on the LRUs, or the node's
 *	reclaim has freed nothing for two passes over its lists.
 *	docs/DIFFERENCES.md C12.
 */
struct epc_config {
	int nr_nodes;
	int nr_cpus;
	const int *cpu_to_node;
	const uint8_t *distance;
	const struct epc_section_desc *sections;
	int nr_sections;
	enum epc_fallback fallback;
	enum epc_background background;
	unsigned pcp_batch;
	bool no_contents;
	void (*log)(int level, const char *msg, void *arg);
	void *log_arg;
	int nr_workers;
	enum epc_cgroup_mode cgroup_mode;
	bool margin_reclaim;
	bool numa_reclaim;
};
#define EPC_MAX_WORKERS 64

#define EPC_PCP_BATCH_MAX 1024

/**
 * epc_create() - build an emulated machine.
 * @cfg: the configuration; it is copied, nothing is kept.
 * @out: the new instance.
 *
 * Pages start dirty, as after boot: they become allocatable once sanitized
 * (by ksgxd in THREADS mode; epc_sanitize_wait() waits for it, or does it in
 * MANUAL mode).
 *
 * Return: 0; -EINVAL for a bad field (a log line names it) or a NULL @cfg or
 * @out (then nothing is built); -ENOMEM when the metadata or the EPC mapping
 * cannot be had; -EIO when the OS random source cannot give the sealing key
 * (not with no_contents). On error nothing is leaked.
 */
int epc_create(const struct epc_config *cfg, struct epc **out);

/**
 * epc_create2() - epc_create() with the size of @cfg (the size rule): pass
 * sizeof(struct epc_config). epc_create() is epc_create2() with the 0.1.0
 * size.
 * Return: as epc_create(); also -EINVAL for a @size of 0 or non-zero bytes
 * past the end of the library's struct epc_config.
 */
int epc_create2(const struct epc_config *cfg, size_t size, struct epc **out);

/* The library's version: EPCMM_VERSION_ENCODE(major, minor, patch). */
uint32_t epc_version(void);

/**
 * epc_destroy() - stop the background threads and free everything.
 * Enclaves, tasks and raw pages still alive are freed with it; handles to them
 * become invalid. NULL is a no-op.
 */
void epc_destroy(struct epc *epc);

/**
 * epc_sanitize_wait() - wait until the dirty list has been sanitized.
 * Sanitization is two EREMOVE passes over every page (the second catches SECS
 * pages whose children blocked the first). Pages that fail both are leaked
 * with a warning. In MANUAL mode the calling thread does the work.
 * Return: 0; -EINTR when sanitization was stopped before it finished (the
 * instance is being destroyed; a line says how many pages stay dirty);
 * -EINVAL for a NULL @epc.
 */
int epc_sanitize_wait(struct epc *epc);

/**
 * epc_run_background() - MANUAL mode: run the pending ksgxd work and the
 * pending cgroup reclaim work until none is pending (each step is bounded).
 * Return: 0; -EINVAL in THREADS mode or for a NULL @epc; -EINTR when
 * sanitization was stopped (as epc_sanitize_wait()).
 */
int epc_run_background(struct epc *epc);

/**
 * epc_reclaim() - synchronous global reclaim of at least @nr_pages pages if
 * there are that many, in batches of 16 over every cgroup's LRU (the last
 * batch may take a few more).
 * Return: enclave pages reclaimed (a SECS written back after its last child
 * is not counted); 0 when nothing is reclaimable; -EINVAL for a NULL @epc.
 */
long epc_reclaim(struct epc *epc, unsigned long nr_pages);

/**
 * epc_node_read() - read a per-node attribute, as sysfs would show it.
 * @attr: "sgx_total_bytes": the bytes of EPC on @node, "%lu\n".
 * Return: the length read (the text is NUL-terminated when it fits);
 * -EINVAL for a node out of range, a NULL @epc or @attr, or a NULL @buf with
 * a non-zero @len; -ENOENT for a node without EPC (the x86/
 * group is invisible there) or an unknown attribute; -ENOSPC if @len is too
 * small.
 */
ssize_t epc_node_read(struct epc *epc, int node, const char *attr, char *buf, size_t len);

/**
 * epc_memory_failure() - report a hardware memory error at @phys_addr.
 * @flags: EPC_MF_ACTION_REQUIRED or 0.
 *
 * The page is marked poisoned; a free (or cached) page moves to its node's
 * poison list at once, a page in use is diverted there when it is freed.
 * Poisoned pages are never handed out and are not counted as free. A second
 * report for the same page changes nothing.
 * Return: 0; -ENXIO if the address is in no section; -EINVAL for unknown
 * flags (or a NULL @epc). With EPC_MF_ACTION_REQUIRED the kernel would also SIGBUS the
 * current task; there is none here, so the page is poisoned as usual, a
 * LOG_ERR line says the SIGBUS would be sent, and the call returns 0.
 */
int epc_memory_failure(struct epc *epc, uint64_t phys_addr, int flags);
#define EPC_MF_ACTION_REQUIRED 0x1

/**
 * struct epc_stats - a snapshot (each counter is exact when the system is
 * quiescent; under concurrent use each is read atomically on its own).
 * @nr_total: pages in all sections.
 * @nr_free: allocatable pages: on node free lists or in per-CPU caches.
 * @nr_dirty: pages not sanitized yet (or leaked by sanitization).
 * @nr_poisoned: pages marked poisoned (on a poison list or still in use).
 * @nr_reclaimable: pages on LRUs, isolated by a reclaimer, or being freed by
 *	their owner (an enclave's destroy): room reclaim can count on.
 * @nr_evicted: EWBs done so far (pages written to backing stores, a SECS
 *	that followed its last child out included).
 * @nr_reloaded: ELDUs done so far (pages loaded back, SECS included).
 * @nr_alloc_local: successful allocations from the caller's own node.
 * @nr_alloc_remote: successful allocations from another node.
 * @nr_alloc_failed: allocator searches that found no free page on any node
 *	(a charge refused first, e.g. by the capacity, never reaches the search;
 *	it counts as a "max" event of the level that refused, which for the
 *	root is its events.local, shown in no file).
 * @nr_ksgxd_wakeups: times the allocator woke ksgxd (or queued its work).
 * @nr_leaked: pages leaked because EREMOVE failed (sanitization or free).
 * @meta_bytes_per_page: manager metadata per page (the page record).
 * @epcm_bytes_per_page: emulated EPCM state per page.
 */
struct epc_stats {
	uint64_t nr_total;
	uint64_t nr_free;
	uint64_t nr_dirty;
	uint64_t nr_poisoned;
	uint64_t nr_reclaimable;
	uint64_t nr_evicted;
	uint64_t nr_reloaded;
	uint64_t nr_alloc_local;
	uint64_t nr_alloc_remote;
	uint64_t nr_alloc_failed;
	uint64_t nr_ksgxd_wakeups;
	uint64_t nr_leaked;
	uint32_t meta_bytes_per_page;
	uint32_t epcm_bytes_per_page;
	/* 0.2.0: epc_get_stats2() only */
	uint64_t nr_ksgxd_runs;
	uint64_t nr_ksgxd_batches;
	uint64_t nr_reclaimed_ksgxd;
	uint64_t nr_reclaimed_direct;
	uint64_t nr_reclaimed_cgroup;
};

/**
 * epc_get_stats2() - the instance's statistics (the size rule: see the top).
 * 0.2.0 fields:
 * @nr_ksgxd_runs: wakeups ksgxd served (in MANUAL mode: epc_run_background()
 *	calls that found a wakeup pending).
 * @nr_ksgxd_batches: reclaim batches ksgxd ran (one per cgroup LRU visited).
 * @nr_reclaimed_ksgxd: pages ksgxd's batches freed.
 * @nr_reclaimed_direct: pages freed by a caller's reclaim over the whole tree
 *	(a full EPC or a refused capacity, epc_reclaim(), a MANUAL-mode fault
 *	whose allocation found no free page).
 * @nr_reclaimed_cgroup: pages freed by reclaim confined below the root because
 *	a cgroup limit refused a charge: a caller's, or the cgroup's background
 *	work. The three sum to the pages reclaim batches freed: @nr_evicted less
 *	the SECS pages that followed their last child out.
 * Return: 0; -EINVAL for a NULL @epc or @st, or a @size of 0.
 */
int epc_get_stats2(struct epc *epc, struct epc_stats *st, size_t size);
/* The 0.1.0 form: fills the fields up to @epcm_bytes_per_page, never more.
 * A NULL @epc or @st is logged and ignored. */
void epc_get_stats(struct epc *epc, struct epc_stats *st);

/**
 * struct epc_node_stats - one node.
 * @has_epc: the node owns at least one section.
 * @nr_total, @nr_free, @nr_poisoned: pages of this node.
 * @nr_alloc_local: allocations served here for callers on this node.
 * @nr_alloc_remote: allocations served here for callers on other nodes
 *	(counted by the serving node: pages this node gave to others).
 * @nr_alloc_away: (newer than 0.2.0; epc_node_get_stats() only) allocations
 *	for callers on this node that another node served (counted by the
 *	requesting node). The share of this node's callers served locally is
 *	@nr_alloc_local / (@nr_alloc_local + @nr_alloc_away); summed over the
 *	nodes, @nr_alloc_away equals @nr_alloc_remote.
 */
struct epc_node_stats {
	bool has_epc;
	uint64_t nr_total;
	uint64_t nr_free;
	uint64_t nr_poisoned;
	uint64_t nr_alloc_local;
	uint64_t nr_alloc_remote;
	uint64_t nr_alloc_away;
};
/* Return: 0; -EINVAL for a node out of range, a NULL @epc or @st, or a @size of 0. */
int epc_node_get_stats(struct epc *epc, int node, struct epc_node_stats *st, size_t size);
/* The 0.1.0 name: epc_node_get_stats() with the 0.1.0 size. */
int epc_get_node_stats(struct epc *epc, int node, struct epc_node_stats *st);

/* ----------------------------------------------------------------- events */

enum epc_event_type {
	EPC_EVENT_ALLOC = 1,	  /* a page was allocated: @node, @remote, @cgroup charged */
	EPC_EVENT_CHARGE_REFUSED, /* @cgroup: the level that refused; @over_capacity */
	EPC_EVENT_RECLAIM_BATCH,  /* one batch from @cgroup's LRU: @nr isolated, @nr_freed, @by */
	EPC_EVENT_EVICT,	  /* EWB of @encl_id's page at @offset (the SECS: @offset =
				     the enclave's size), charged to @cgroup */
	EPC_EVENT_RELOAD,	  /* ELDU of @encl_id's page at @offset, charged to @cgroup */
	EPC_EVENT_ENCL_KILLED,	  /* an access of @encl_id's page at @offset gave -EFAULT
				     (the kernel's SIGBUS) */
	EPC_EVENT_POISON,	  /* a memory failure at @phys on @node; @in_use */
};

/* Who ran a reclaim batch (epc_get_stats2() counts the same three). */
enum epc_reclaim_by {
	EPC_BY_KSGXD,  /* ksgxd, or epc_run_background() in MANUAL mode */
	EPC_BY_DIRECT, /* a caller, over the whole tree */
	EPC_BY_CGROUP, /* a caller or a cgroup's work, confined below the root */
};

/**
 * struct epc_event - one thing that happened. The library fills it; the
 * size rule holds through @size: fields past it are absent (a newer header
 * than the library), and fields this header lacks follow it (an older one).
 * @size: sizeof the library's struct epc_event.
 * @type: enum epc_event_type.
 * @seq: 1, 2, 3, ... per instance, in the order the events were emitted.
 * @time: MANUAL mode: the value of the last epc_set_time() (0 before any);
 *	THREADS mode: CLOCK_MONOTONIC in nanoseconds.
 * @cgroup: the cgroup the event concerns, or NULL; valid during the call
 *	only (take a reference with epc_cgroup_lookup() to keep it).
 * @encl_id, @offset: the enclave (epc_encl_id()) and the page's offset.
 * @phys: the page's physical address (ALLOC, EVICT, RELOAD, POISON).
 * @node: the page's node (ALLOC, POISON); -1 otherwise.
 * @by: enum epc_reclaim_by (RECLAIM_BATCH).
 * @nr, @nr_freed: pages isolated and freed (RECLAIM_BATCH).
 * @remote: ALLOC: from another node than the caller's.
 * @in_use: POISON: the page was allocated (it goes to the poison list when
 *	freed), not free.
 * @over_capacity: CHARGE_REFUSED: the capacity refused, not the level's max.
 * Fields an event does not use are 0 (or -1 for @node).
 */
struct epc_event {
	uint32_t size;
	uint32_t type;
	uint64_t seq;
	uint64_t time;
	struct epc_cgroup *cgroup;
	uint64_t encl_id;
	uint64_t offset;
	uint64_t phys;
	int32_t node;
	uint32_t by;
	uint32_t nr;
	uint32_t nr_freed;
	bool remote;
	bool over_capacity;
	bool in_use;
};

typedef void (*epc_event_fn)(const struct epc_event *ev, void *arg);

/**
 * epc_set_event_handler() - call @fn(@ev, @arg) for every event, or with @fn
 * NULL, stop. Off by default; while off, each place that could emit costs
 * one predictable branch.
 *
 * Context: @fn runs on the thread that did the work (a caller's, ksgxd's)
 * and may run on several threads at once (@seq orders them). It may be
 * called with internal locks held: an enclave's lock (EVICT, RELOAD, and the
 * ALLOC and CHARGE_REFUSED of a fault's reload or a SECS write-back). It
 * must return quickly and may only read: the *_get_stats calls of the
 * instance, nodes and cgroups, epc_cgroup_read(), epc_cgroup_path(),
 * epc_cgroup_name(), epc_node_read(). It must not call anything that takes
 * an enclave's lock or allocates, frees, reclaims, creates, removes or puts
 * (a deadlock or a lock-order assertion), nor epc_set_event_handler().
 *
 * Set it while no other call on @epc is in flight (ksgxd included: it is
 * idle between allocations); @arg is published with @fn.
 * Return: 0; -EINVAL for a NULL @epc.
 */
int epc_set_event_handler(struct epc *epc, epc_event_fn fn, void *arg);

/*
 * epc_set_time() - MANUAL mode: the clock events carry from now on (any
 * unit; the library never reads a clock in MANUAL mode). It may go backwards.
 * Return: 0; -EINVAL in THREADS mode (events carry CLOCK_MONOTONIC there)
 * or for a NULL @epc.
 */
int epc_set_time(struct epc *epc, uint64_t now);

/* ---------------------------------------------------------------- cgroups */

/*
 * Cgroup handles are counted references. epc_cgroup_create(),
 * epc_cgroup_lookup() and epc_cgroup_list_children() each hand out one, and
 * epc_cgroup_put() gives it back; a handle stays valid, whatever other
 * threads do, until its holder puts it. A removed cgroup that is still
 * referenced, or still charged, is "dying": gone from lookups and listings
 * (its name may be taken again), its files still readable through a handle,
 * the charges of its pages still returned to it; it is freed with the last
 * put and the last uncharge. epc_destroy() frees every cgroup, referenced or
 * not, so a program that never puts (as every 0.1.0 program) keeps working:
 * its removed cgroups stay until then. The root is not counted: it lives as
 * long as @epc, and putting it does nothing.
 */

/* The root of the misc-cgroup tree; it lives as long as @epc (no reference).
 * NULL for a NULL @epc. */
struct epc_cgroup *epc_cgroup_root(struct epc *epc);

/**
 * epc_cgroup_create() - mkdir. @path is absolute, "/a/b": its components
 * are the kernel's cgroup names (0.2.0 took [A-Za-z0-9._-] only): any bytes
 * but '/' and '\n', 1 to 4095 of them (what a relative mkdir can pass), not
 * "." or "..". A name equal to a file the parent has ("cgroup.procs",
 * "misc.max" below the root) is taken, as in the kernel.
 * @out: the new cgroup, a reference (epc_cgroup_put()).
 * Return: 0; -EINVAL malformed or NULL path, NULL @epc or @out (nothing is created);
 * -ENOENT a missing parent; -EEXIST the cgroup or a file of that name exists
 * ("/" always does); -ENOMEM.
 */
int epc_cgroup_create(struct epc *epc, const char *path, struct epc_cgroup **out);

/**
 * epc_cgroup_create_child() - mkdirat: the child @name of @parent (newer than
 * 0.2.0), with the kernel's errors for a name, as a cgroupfs gives them.
 * @out: the new cgroup, a reference (epc_cgroup_put()).
 * Return: 0; -EINVAL an empty name, one with a '/' or a '\n', a NULL
 * argument; -EEXIST a live child or a file of @parent of that name, "." or
 * ".."; -ENAMETOOLONG more than 4095 bytes; -ENOENT @parent was removed;
 * -ENOMEM.
 */
int epc_cgroup_create_child(struct epc_cgroup *parent, const char *name, struct epc_cgroup **out);

/*
 * epc_cgroup_child() - @parent's live child @name, a reference (newer than
 * 0.2.0). One probe, whatever the number of siblings.
 * Return: 0; -ENOENT none (a name no cgroup can have included, or @parent
 * removed); -EINVAL a NULL argument.
 */
int epc_cgroup_child(struct epc_cgroup *parent, const char *name, struct epc_cgroup **out);

/* Its id (newer than 0.2.0): unique within the instance, never reused, 1
 * for the root, then in creation order; 0 for a NULL @cg. */
uint64_t epc_cgroup_id(const struct epc_cgroup *cg);

/*
 * epc_cgroup_lookup_id() - the live cgroup whose id is @id, a reference
 * (newer than 0.2.0). A removed cgroup's id stays -ENOENT for good.
 * Return: 0; -ENOENT; -EINVAL a NULL @epc or @out.
 */
int epc_cgroup_lookup_id(struct epc *epc, uint64_t id, struct epc_cgroup **out);

/*
 * @out: a new reference on every successful call (the same handle for the
 * same live cgroup). Return: 0; -EINVAL malformed or NULL path, NULL @epc or @out;
 * -ENOENT no such (live) cgroup.
 */
int epc_cgroup_lookup(struct epc *epc, const char *path, struct epc_cgroup **out);

/**
 * epc_cgroup_put() - give back a reference from create, lookup or a listing.
 * @cg may be freed by it (when removed, uncharged and unreferenced): do not
 * use the handle after. NULL and the root are no-ops.
 * Return: 0; -EINVAL when @cg holds no reference (one put too many; nothing
 * changes, a log line says so; a handle already freed cannot be detected).
 */
int epc_cgroup_put(struct epc_cgroup *cg);

/**
 * epc_cgroup_remove() - rmdir. A cgroup that is still charged or referenced
 * is gone from lookups at once and freed with the last put and the last
 * uncharge; its pages stay reclaimable through its ancestors. Removing does
 * not put the caller's reference.
 * Return: 0; -EBUSY with live children or tasks; -EINVAL for the root (or NULL);
 * -ENOENT when @cg was removed already (by this or another thread).
 */
int epc_cgroup_remove(struct epc_cgroup *cg);

/* The path of @cg ("/" for the root) into @buf. Return: length; -ENOSPC;
 * -EINVAL for a NULL @cg, or a NULL @buf with a non-zero @len. */
ssize_t epc_cgroup_path(struct epc_cgroup *cg, char *buf, size_t len);
/* Its name, the path's last component ("" for the root). Return: length;
 * -ENOSPC; -EINVAL for a NULL @cg, or a NULL @buf with a non-zero @len. */
ssize_t epc_cgroup_name(struct epc_cgroup *cg, char *buf, size_t len);

/*
 * Listings. Each is a snapshot taken in one pass under one internal lock, so
 * it is consistent however other threads create, remove or destroy: every
 * entry existed (live) at one instant. A listing fills at most @cap entries
 * and sets *@nr to how many there were; when *@nr > @cap, call again with a
 * bigger array. Enclaves and tasks are listed by id (epc_encl_id(),
 * epc_task_id()): unique within the instance and never reused, they stay
 * meaningful after the object goes, where a handle would dangle.
 * Each returns 0, or -EINVAL for a NULL @cg (@epc), a NULL @nr, or a NULL
 * array with @cap > 0.
 */

/* Its live children in creation order, each a reference to put (epc_cgroup_put()). */
int epc_cgroup_list_children(struct epc_cgroup *cg, struct epc_cgroup **out, size_t cap,
			     size_t *nr);
/* The ids of the tasks in @cg (not its descendants), newest first. */
int epc_cgroup_list_tasks(struct epc_cgroup *cg, uint64_t *ids, size_t cap, size_t *nr);
/*
 * The ids of the enclaves created by a task in @cg (an enclave belongs to
 * its creator's cgroup for life, even when its pages are charged elsewhere
 * later), newest first.
 */
int epc_cgroup_list_encls(struct epc_cgroup *cg, uint64_t *ids, size_t cap, size_t *nr);
/* The ids of every enclave of @epc, newest first. */
int epc_list_encls(struct epc *epc, uint64_t *ids, size_t cap, size_t *nr);

/**
 * epc_cgroup_read() - read a cgroupfs file, byte-exact kernel text.
 * @file: a name of the file table (EPC_CGROUP_FILES, below) that @cg has:
 *	the misc.* files (misc.capacity root only; misc.max, misc.events,
 *	misc.events.local non-root only), the memory.* files (non-root only, as
 *	the kernel's memory_files[] mark them; see "Backing memory" below) and,
 *	newer than 0.2.0, the core cgroup.* files (epc_cgroup_file_read()).
 * Return: the length read (NUL-terminated); -ENOENT for a file the cgroup
 * lacks; -ENOSPC if @len is too small for the text and its NUL; -EINVAL for
 * a NULL @cg or @file, or a NULL @buf with a non-zero @len.
 */
ssize_t epc_cgroup_read(struct epc_cgroup *cg, const char *file, char *buf, size_t len);

/**
 * epc_cgroup_write() - write a cgroupfs file: those the table gives mode
 * 0644 (cgroup.procs and cgroup.subtree_control, newer than 0.2.0: see
 * epc_cgroup_file_write()). misc.max takes "sgx_epc <bytes|max>", as the
 * kernel parses it: leading and trailing white
 * space stripped (strstrip), the value after the first space read by
 * kstrtou64 with base 0 (decimal, 0x hex, leading-0 octal). A limit below the usage is accepted and reclaims nothing
 * at write time; a limit above the capacity is accepted.
 * memory.max (non-root) takes "max" or a byte count as the kernel's
 * page_counter_memparse() reads it: white space stripped, memparse() (base 0
 * digits, then an optional K, M, G, T, P or E suffix in either case, each
 * x1024, wrapping as the kernel's does), nothing after it; rounded down to a
 * page; PAGE_COUNTER_MAX pages or more read back as "max". Like the kernel,
 * an empty value is 0. A limit below the usage is accepted; it reclaims and
 * kills nothing at write time (the kernel would OOM-kill: DIFFERENCES M2).
 * Return: 0; -ENOENT for a file the cgroup lacks; -EACCES for a read-only
 * file; -EINVAL for bad text, an unknown resource or a missing value; -ERANGE
 * for a number that does not fit in 64 bits (misc.max); -EINVAL for a NULL
 * @cg, @file or @text; -EOPNOTSUPP a misc.max write while the EPC controller is
 * off (struct epc_config.cgroup_mode). A rejected write changes nothing.
 */
int epc_cgroup_write(struct epc_cgroup *cg, const char *file, const char *text);

/**
 * struct epc_cgroup_stats - one cgroup, a snapshot (each field read atomically
 * on its own; exact when the system is quiescent).
 * @current: bytes charged to it and its subtree (misc.current).
 * @peak: the highest @current seen (misc.peak).
 * @max: its own limit in bytes (misc.max); UINT64_MAX for "max".
 * @events: charges refused at it or below it (misc.events "max").
 * @events_local: charges refused at it (misc.events.local "max").
 * @nr_lru: pages on its own LRU (not its descendants').
 * @nr_evicted: EWBs of pages charged to it (its own, not its descendants';
 *	an enclave's SECS included).
 * @nr_reloaded: ELDUs into pages charged to it (likewise).
 * (The size rule, at the top: pass sizeof(struct epc_cgroup_stats).)
 */
struct epc_cgroup_stats {
	uint64_t current;
	uint64_t peak;
	uint64_t max;
	uint64_t events;
	uint64_t events_local;
	uint64_t nr_lru;
	uint64_t nr_evicted;
	uint64_t nr_reloaded;
	uint64_t nr_reclaim_sync;
	uint64_t nr_reclaim_async;
	uint64_t nr_work_queued;
	uint64_t nr_work_run;
	uint64_t nr_augmented;
	uint64_t nr_trimmed;
	uint64_t nr_removed;
};
/*
 * (struct epc_cgroup_stats and its call are new in 0.2.0.)
 * @nr_reclaim_sync: reclaim rounds callers ran over its subtree: a charge it
 *	or a descendant refused (or, for the root, a full EPC, epc_reclaim());
 *	a round is one fair-walk step, a batch or more until pages were isolated.
 * @nr_reclaim_async: rounds its background work ran (for the root: ksgxd's).
 * @nr_work_queued: times its background work was queued (a request while it
 *	is queued already is not counted).
 * @nr_work_run: times that work ran.
 * EDMM (newer than 0.2.0), of pages charged to it (its own, not its
 * descendants'):
 * @nr_augmented: pages EAUG'd.
 * @nr_trimmed: pages trimmed (EMODT).
 * @nr_removed: pages removed.
 */
/* Return: 0; -EINVAL for a NULL @cg or @st, or a @size of 0. */
int epc_cgroup_get_stats(struct epc_cgroup *cg, struct epc_cgroup_stats *st, size_t size);
/* ------------------------------------------------------------------ tasks */

/**
 * epc_task_create() - a stand-in for a thread: a CPU, a cgroup, a signal flag.
 * @cg: its cgroup (NULL = the root).
 * Return: 0; -EINVAL for a CPU out of range, a removed cgroup, a cgroup of
 * another instance, or a NULL @epc or @out; -ENOMEM.
 */
int epc_task_create(struct epc *epc, struct epc_cgroup *cg, int cpu, struct epc_task **out);
/* NULL is a no-op. */
void epc_task_destroy(struct epc_task *t);

/* Move @t to @cg (NULL = the root); charges stay where they are. Return: 0;
 * -EINVAL (a NULL @t, a removed cgroup, or a cgroup of another instance than
 * @t's). */
int epc_task_move(struct epc_task *t, struct epc_cgroup *cg);

/* Its node becomes cpu_to_node[cpu]. Return: 0; -EINVAL out of range (or a NULL @t). */
int epc_task_set_cpu(struct epc_task *t, int cpu);
/* Its CPU; -EINVAL for a NULL @t. */
int epc_task_cpu(const struct epc_task *t);
/* Its id: unique within the instance, never reused (1, 2, ... in creation
 * order); 0 for a NULL @t. */
uint64_t epc_task_id(const struct epc_task *t);
/* Its node, cpu_to_node[its CPU]; -EINVAL for a NULL @t. */
int epc_task_node(const struct epc_task *t);

/* While pending, reclaim loops on the task's behalf return -EINTR. A NULL @t
 * is logged and ignored. */
void epc_task_set_signal(struct epc_task *t, bool pending);

/* ------------------------------------------------------------- raw pages */

enum epc_reclaim {
	EPC_NO_RECLAIM,
	EPC_DO_RECLAIM,
};

/**
 * epc_page_alloc() - allocate a raw page (like a vEPC page): charged to the
 * task's cgroup, never reclaimable.
 * @owner: opaque, stored with the page.
 * @r: whether the caller may reclaim to find a free page.
 * Return: 0; -ENOMEM no free page and nothing reclaimable, or a cgroup limit
 * that nothing in its subtree can give way to (the event is counted);
 * -EBUSY (EPC_NO_RECLAIM) no room now but reclaimable pages exist: ksgxd has
 * been woken (no free page, or the EPC is full; with numa_reclaim, also no
 * free page on the task's node while its cgroup has pages there to reclaim)
 * or the cgroup's background reclaim queued (a cgroup limit refused); -EINTR
 * a signal is pending (while a limit refuses the charge, in both modes; while
 * no page is free, with EPC_DO_RECLAIM); -EINVAL an unknown @r, or a NULL @t or @out. On error
 * nothing is charged.
 */
int epc_page_alloc(struct epc_task *t, void *owner, enum epc_reclaim r, struct epc_page **out);

/* Free a raw page: it is uncharged from the cgroup that was charged for it.
 * NULL is a no-op. */
void epc_page_free(struct epc_page *p);
/* Its node; -EINVAL for a NULL @p. */
int epc_page_node(const struct epc_page *p);
/* Its physical address; UINT64_MAX (never a page's) for a NULL @p. */
uint64_t epc_page_phys(const struct epc_page *p);
/* The @owner it was allocated with; NULL for a NULL @p (logged). */
void *epc_page_owner(const struct epc_page *p);

/* --------------------------------------------------------------- enclaves */

/*
 * Backing memory (kernel-spec behaviour 70). The host RAM an enclave's
 * backing store uses (evicted page contents, PCMDs, the SECS image) is
 * charged, hierarchically, to the memory resource of the cgroup its creator
 * was in at ECREATE (the kernel charges the shmem pages of the enclave's
 * backing file to the memcg of the enclave's mm). Space is taken per aligned
 * chunk of 16 pages (and the PCMD page they share) at the first eviction of
 * any of them, and kept until the enclave goes (DIFFERENCES E2); with
 * no_contents it is accounted all the same.
 *
 * An eviction whose charge memory.max refuses leaves the page in EPC and
 * counts "max" in memory.events. There is no swap here: backing memory is
 * never reclaimed, as in the kernel's selftest after swapoff -a.
 *
 * The OOM kill: when an EPC allocation for an enclave finds no room (EADD,
 * whose reclaim gave up; or a fault, whose retry policy gave up) and some
 * backing charge was refused by a memory limit while it tried, the enclave
 * is killed, as the memcg OOM killer kills the process holding the enclave
 * fd: every EPC page and VA page freed, every EPC and memory charge
 * returned, "oom" and "oom_kill" counted in the memory.events of its memory
 * cgroup (and, hierarchically, its ancestors'). The call that found it, and
 * every later epc_encl_add_page(), epc_encl_init(), epc_encl_access() and
 * epc_encl_backing_fd() on it, returns -EOWNERDEAD (the process holding the
 * enclave is gone). epc_encl_get_stats() still works, and the owner still
 * calls epc_encl_destroy(). Calls in flight on other threads when the kill
 * happens return -EOWNERDEAD (or finish first).
 */

/**
 * epc_encl_create() - ECREATE: an enclave of @size bytes (a non-zero multiple
 * of EPC_PAGE_SIZE, at most EPC_ENCL_MAX_SIZE), charged to @t's cgroup for its
 * SECS (and its first VA page).
 * Return: 0; -EINVAL bad size or a NULL @t or @out; -ENOMEM / -EINTR as
 * epc_page_alloc() with EPC_DO_RECLAIM, or no host memory for the enclave's
 * books; -EMFILE / -ENFILE no file descriptor for the backing store (its
 * memfd); -EIO the emulated hardware refused. On error nothing is left.
 */
int epc_encl_create(struct epc_task *t, uint64_t size, struct epc_encl **out);
#define EPC_ENCL_MAX_SIZE (1ULL << 46) /* 64 TiB */

/**
 * epc_encl_add_page() - EADD one page at @offset with the bytes of @src (NULL
 * = zeros), before epc_encl_init(). The page becomes reclaimable.
 * Return: 0; -EINVAL bad offset, the enclave is initialized, @e belongs to
 * another instance than @t, or a NULL @t or @e; -EEXIST the page is there already; -ENOMEM /
 * -EINTR as epc_page_alloc() (-ENOMEM also when the host has no memory for a
 * new VA page's books); -EIO; -EOWNERDEAD the enclave was OOM-killed, by this
 * call or before it.
 */
int epc_encl_add_page(struct epc_task *t, struct epc_encl *e, uint64_t offset, const void *src);

/* EINIT. Return: 0; -EINVAL already initialized (or NULL); -EOWNERDEAD OOM-killed. */
int epc_encl_init(struct epc_encl *e);

/**
 * epc_encl_access() - read (@write false) or write enclave memory, as the
 * enclave itself would (the 0.1.0 form of epc_encl_access2()): any offset
 * and length within added pages, faulting evicted pages back in (the SECS
 * first) and setting their accessed bit. Since EDMM (below), also pages an
 * access may add: those of a region epc_encl_declare_dynamic() declared, and
 * those added once and removed since; a fault there with no page EAUGs one.
 * A page range is done page by page: on an error the pages before the
 * failing one were read or written.
 * Return: 0; -EINVAL range outside the enclave or not added, a NULL @t, @e or
 * @buf, or @e of another instance than @t; -EFAULT the SIGBUS case: an evicted page failed verification
 * (tampered, swapped or replayed backing store), or no EPC could be found
 * for a reload after a bounded number of rounds, or a page would be EAUG'd
 * in an enclave not initialized yet (or with no host memory for its books);
 * -EINTR a signal is pending;
 * -EOWNERDEAD the enclave was OOM-killed, by this call (the fault found no
 * room because its memory cgroup is full) or before it. EDMM (newer than
 * 0.2.0): -EACCES the enclave may not make this access to a page (the #PF
 * with the SGX bit that the enclave itself would take, error code 0x8005 or
 * 0x8007 in the kernel's selftests): it is PENDING (EAUG'd, not accepted
 * yet), MODIFIED (its type changed, not accepted yet), a TCS or trimmed page,
 * or lacks the permission (EPC_SECINFO_R to read, _W to write).
 */
int epc_encl_access(struct epc_task *t, struct epc_encl *e, uint64_t offset, void *buf, size_t len,
		    bool write);

/* Its id: unique within the instance, never reused (from 1); events and
 * listings name it. 0 for a NULL @e. */
uint64_t epc_encl_id(const struct epc_encl *e);

enum epc_access {
	EPC_ACCESS_READ,
	EPC_ACCESS_WRITE,
};

/*
 * epc_encl_access2() - epc_encl_access() with the mode as an enum, like
 * epc_page_alloc()'s reclaim mode. Return: as epc_encl_access(); also
 * -EINVAL for an unknown @mode (nothing is touched).
 */
int epc_encl_access2(struct epc_task *t, struct epc_encl *e, uint64_t offset, void *buf, size_t len,
		     enum epc_access mode);

/* The enclave's backing store (a memfd, owned by the enclave). Return: fd;
 * -EOPNOTSUPP (no_contents); -EINVAL (NULL); -EOWNERDEAD (OOM-killed: the
 * store is emptied). */
int epc_encl_backing_fd(struct epc_encl *e);

/*
 * Free every page and VA page, return every charge, before returning. It waits
 * for a reclaimer that is writing one of the enclave's pages back. No other
 * call on @e may be in flight or follow. NULL is a no-op.
 */
void epc_encl_destroy(struct epc_encl *e);

/* --------------------------------------------------------- EDMM (SGX2) */

/*
 * EDMM, the SGX2 calls of Linux 6.0 (all newer than 0.2.0): an initialized
 * enclave's pages added on demand (EAUG), their permissions restricted
 * (EMODPR), their type changed (EMODT, to a TCS or to "trimmed") and trimmed
 * pages removed, as the kernel's page fault handler and its ioctls
 * SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, _MODIFY_TYPES and _REMOVE_PAGES do,
 * with their argument checks and errno; and EACCEPT, which the enclave runs
 * to agree to each change (the instruction-level parts inside the enclave
 * are emulated: docs/DIFFERENCES.md, "EDMM").
 *
 * Charges follow v17: a page EAUG'd by a fault is charged to the faulting
 * task's cgroup, allocated without reclaim (a fault that finds no room
 * waits for the reclaim it queued and retries, as the kernel retries the
 * fault), and so is the VA page it may need; it is reclaimable at once,
 * PENDING or not (EWB seals its attributes with it, ELDU restores them). A
 * page loaded back for one of the three calls is charged to its task. Each
 * of the three first reclaims as the kernel's sgx_reclaim_direct() does,
 * before every page (kernel-spec behaviour 61): at least 16 pages from the
 * task's cgroup's subtree when v17's should_reclaim() holds for it, then one
 * global batch when fewer than 32 pages are free. A removed page is EREMOVEd
 * and its charge returned. VA pages stay until the enclave goes (the
 * kernel's comment on SGX_IOC_ENCLAVE_REMOVE_PAGES).
 *
 * Each of the three works page by page over [@offset, @offset + @length) and
 * stops at the first page that fails; @count says how many bytes were done
 * before it, on success and on error (the kernel's partial progress).
 */

/* SECINFO flags (the SDM's and the kernel's uapi SGX_SECINFO_* values): the
 * permissions, the SGX2 states, and the page type in bits 15:8. */
#define EPC_SECINFO_R		    0x01
#define EPC_SECINFO_W		    0x02
#define EPC_SECINFO_X		    0x04
#define EPC_SECINFO_PENDING	    0x08 /* EAUG'd, not accepted yet */
#define EPC_SECINFO_MODIFIED	    0x10 /* EMODT'd, not accepted yet */
#define EPC_SECINFO_PR		    0x20 /* EMODPR'd, not accepted yet */
#define EPC_SECINFO_PERMISSION_MASK 0x07
#define EPC_SECINFO_PAGE_TYPE_MASK  0xff00

/* Page types (the kernel's enum sgx_page_type); in a SECINFO, shifted by 8. */
enum epc_page_type {
	EPC_PAGE_TYPE_SECS = 0,
	EPC_PAGE_TYPE_TCS = 1,
	EPC_PAGE_TYPE_REG = 2,
	EPC_PAGE_TYPE_VA = 3,
	EPC_PAGE_TYPE_TRIM = 4,
};
#define EPC_SECINFO_TCS (EPC_PAGE_TYPE_TCS << 8)
#define EPC_SECINFO_REG (EPC_PAGE_TYPE_REG << 8)
/* A regular page readable, writable and executable: what epc_encl_add_page() adds. */
#define EPC_SECINFO_REG_RWX (EPC_SECINFO_REG | EPC_SECINFO_R | EPC_SECINFO_W | EPC_SECINFO_X)
#define EPC_SECINFO_TRIM    (EPC_PAGE_TYPE_TRIM << 8)

/* SGX return codes the EDMM calls hand back (in @result, or EACCEPT's). */
#define EPC_SGX_NOT_TRACKED		 11
#define EPC_SGX_PAGE_ATTRIBUTES_MISMATCH 19
#define EPC_SGX_PAGE_NOT_MODIFIABLE	 20

/**
 * epc_encl_add_page2() - epc_encl_add_page() with a SECINFO: @secinfo is
 * EPC_SECINFO_REG with permissions (EPC_SECINFO_W only with _R), or
 * EPC_SECINFO_TCS with none, as the kernel's SGX_IOC_ENCLAVE_ADD_PAGES
 * checks it. epc_encl_add_page() adds EPC_SECINFO_REG | R | W | X.
 * Return: as epc_encl_add_page(); -EINVAL also for any other @secinfo.
 */
int epc_encl_add_page2(struct epc_task *t, struct epc_encl *e, uint64_t offset, const void *src,
		       uint64_t secinfo);

/**
 * epc_encl_declare_dynamic() - let accesses add pages in [@offset, @offset +
 * @length): the kernel's mmap() of the enclave over a range no page backs.
 * Once the enclave is initialized, an access, or an EACCEPT, to a page of the
 * region that has none EAUGs it (PENDING, zeroed, R|W: the enclave must
 * EACCEPT it, with EPC_SECINFO_REG | R | W | PENDING, before it can use it).
 * A page added and removed since is such a page too, region or not (its
 * mapping stays). Regions may overlap and are never taken back; up to
 * EPC_ENCL_MAX_DYNAMIC of them.
 * Return: 0; -EINVAL @offset or @length not page-aligned, @length 0, the
 * range past the enclave's end, or a NULL @e; -ENOSPC the enclave has
 * EPC_ENCL_MAX_DYNAMIC regions already; -EOWNERDEAD OOM-killed.
 */
int epc_encl_declare_dynamic(struct epc_encl *e, uint64_t offset, uint64_t length);
#define EPC_ENCL_MAX_DYNAMIC 64

/**
 * epc_encl_accept() - ENCLU[EACCEPT], run by the enclave on @t's CPU: agree
 * to the change pending on the page at @offset, which @secinfo describes as
 * it is to be: EPC_SECINFO_REG | R | W | PENDING for an EAUG'd page; the new
 * type | MODIFIED for a changed type; EPC_SECINFO_REG | the permissions left
 * | PR for restricted permissions. The page is faulted in as an access would
 * (an EAUG where an access may add it; an ELDU when it is evicted).
 * @result: the instruction's answer: 0, EPC_SGX_PAGE_ATTRIBUTES_MISMATCH (no
 * such change pending, or @secinfo is not the page), EPC_SGX_NOT_TRACKED (no
 * ETRACK since the change; never after the calls below, which track).
 * Return: 0 (EACCEPT ran; see *@result); -EINVAL @offset unaligned, outside
 * the enclave or on a page no access may add, bits in @secinfo outside the
 * attributes and the page type (the instruction's #GP), a NULL @t, @e or
 * @result, or @e of another instance; otherwise as epc_encl_access().
 */
int epc_encl_accept(struct epc_task *t, struct epc_encl *e, uint64_t offset, uint64_t secinfo,
		    uint64_t *result);

/**
 * struct epc_restrict_permissions - SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS.
 * @offset, @length: the pages, page-aligned, inside the enclave.
 * @permissions: the EPC_SECINFO_R/W/X bits the pages keep (at most).
 * @result: out: the EMODPR's SGX code when it failed (the call's -EFAULT);
 *	must be 0 in.
 * @count: out: bytes done; must be 0 in.
 */
struct epc_restrict_permissions {
	uint64_t offset;
	uint64_t length;
	uint64_t permissions;
	uint64_t result;
	uint64_t count;
};

/**
 * epc_encl_restrict_permissions() - EMODPR each page to its permissions AND
 * @p->permissions, then ETRACK: the enclave must EACCEPT each (PR). A mask
 * that takes nothing away changes nothing on that page. @size: sizeof(*@p)
 * (the size rule).
 * Return: 0; -EINVAL the enclave is not initialized, @offset or @length
 * unaligned, @length 0, the range outside the enclave, bits beyond
 * EPC_SECINFO_PERMISSION_MASK or W without R in @permissions, @result or
 * @count not 0, a page that is not a regular page (a TCS, trimmed), a NULL
 * @t, @e or @p, @size 0 or non-zero bytes past the library's struct, or @e
 * of another instance; -EFAULT a page that is not there (never added, or
 * removed), a page that could not be loaded back (no EPC, or it failed
 * verification), EMODPR failed (PENDING or MODIFIED: @result says
 * EPC_SGX_PAGE_NOT_MODIFIABLE) or ETRACK failed; -EAGAIN a page being
 * written back, or whose load back found no room now (retry; the room is
 * being made); -EOWNERDEAD OOM-killed. Pages before the failing one stay
 * changed (@count).
 */
int epc_encl_restrict_permissions(struct epc_task *t, struct epc_encl *e,
				  struct epc_restrict_permissions *p, size_t size);

/**
 * struct epc_modify_types - SGX_IOC_ENCLAVE_MODIFY_TYPES.
 * @offset, @length: as above.
 * @page_type: EPC_PAGE_TYPE_TCS or EPC_PAGE_TYPE_TRIM.
 * @result, @count: as above.
 */
struct epc_modify_types {
	uint64_t offset;
	uint64_t length;
	uint64_t page_type;
	uint64_t result;
	uint64_t count;
};

/**
 * epc_encl_modify_types() - EMODT each page to @m->page_type, then ETRACK:
 * the enclave must EACCEPT each (the new type | MODIFIED) before the change
 * holds. A regular page may become a TCS or be trimmed, a TCS only trimmed.
 * A regular page becomes a TCS only if it was added readable and writable
 * (the kernel's vm_max_prot_bits: EAUG'd pages always are). Trimming is the
 * first step of removal: trim, EACCEPT, epc_encl_remove_pages().
 * Return: 0; -EINVAL as epc_encl_restrict_permissions() for the enclave, the
 * range, @result, @count, @size and the handles; a @page_type other than TCS
 * or TRIM, or a page that cannot take it (a TCS made a TCS, a trimmed page);
 * -EPERM a regular page made a TCS that was not added R|W; -EFAULT and
 * -EAGAIN as epc_encl_restrict_permissions() (EMODT for EMODPR);
 * -EOWNERDEAD.
 */
int epc_encl_modify_types(struct epc_task *t, struct epc_encl *e, struct epc_modify_types *m,
			  size_t size);

/**
 * struct epc_remove_pages - SGX_IOC_ENCLAVE_REMOVE_PAGES.
 * @offset, @length: as above.
 * @count: out: bytes removed; must be 0 in.
 */
struct epc_remove_pages {
	uint64_t offset;
	uint64_t length;
	uint64_t count;
};

/**
 * epc_encl_remove_pages() - remove trimmed pages the enclave has accepted:
 * each is EREMOVEd, freed and uncharged, and gone from the enclave (an
 * access there EAUGs a new page). Nothing is tracked: the trim was.
 * Return: 0; -EINVAL as epc_encl_restrict_permissions() for the enclave, the
 * range, @count, @size and the handles; -EPERM a page that is not trimmed,
 * or trimmed and not accepted yet; -EFAULT a page that is not there, or
 * could not be loaded back; -EAGAIN as above; -EBUSY a reclaimer holds the
 * page right now (retry); -EOWNERDEAD.
 */
int epc_encl_remove_pages(struct epc_task *t, struct epc_encl *e, struct epc_remove_pages *r,
			  size_t size);

/**
 * struct epc_encl_stats - one enclave.
 * @nr_pages: pages added.
 * @nr_resident: pages in EPC now (the SECS and VA pages not included).
 * @nr_va_pages: VA pages owned.
 * @nr_faults: page accesses that found the page evicted (each counted once,
 *	however often the fault had to wait for reclaim).
 * @nr_evicted: EWBs of this enclave's pages (the SECS included).
 * @nr_reloaded: ELDUs (the SECS included).
 * 0.2.0 (epc_encl_get_stats2() only):
 * @size: the enclave's size in bytes.
 * @nr_out: added pages evicted now (@nr_pages - @nr_resident).
 * @secs_out: 1 while the SECS is evicted, else 0.
 * @nr_accesses: pages touched by successful accesses: an epc_encl_access()
 *	over 3 pages counts 3; a failed call counts the pages it finished.
 * @backing_bytes: backing store bytes holding evicted pages now: 4096 of
 *	contents and 128 of PCMD per page out, the SECS included; 0 with
 *	no_contents (there is no backing store).
 * @backing_allocated: bytes the backing store occupies in host memory (it
 *	is allocated 16 pages at a time and never shrinks); 0 with no_contents.
 * EDMM (newer than 0.2.0; @nr_pages counts EAUG'd pages too, less removed ones):
 * @nr_augmented: pages EAUG'd (added on demand by an access or an EACCEPT).
 * @nr_trimmed: pages whose type was changed to trimmed (EMODT).
 * @nr_removed: pages removed (epc_encl_remove_pages()).
 */
struct epc_encl_stats {
	uint64_t nr_pages, nr_resident, nr_va_pages, nr_faults, nr_evicted, nr_reloaded;
	uint64_t size;
	uint64_t nr_out;
	uint64_t secs_out;
	uint64_t nr_accesses;
	uint64_t backing_bytes;
	uint64_t backing_allocated;
	uint64_t nr_augmented;
	uint64_t nr_trimmed;
	uint64_t nr_removed;
};
/* Return: 0; -EINVAL for a NULL @e or @st, or a @size of 0. */
int epc_encl_get_stats2(struct epc_encl *e, struct epc_encl_stats *st, size_t size);
/* The 0.1.0 form: fills the six fields up to @nr_reloaded, never more.
 * A NULL @e or @st is logged and ignored. */
void epc_encl_get_stats(struct epc_encl *e, struct epc_encl_stats *st);

/* ----------------------------------------------------------- cgroup files */

/*
 * The cgroup's files, declared once (newer than 0.2.0), in the spirit of the
 * kernel's struct cftype: every file a cgroupfs over this library shows, its
 * permission bits, where it exists, and (through epc_cgroup_file_read() and
 * epc_cgroup_file_write(), by handle) what reading and writing it does. A
 * cgroupfs walks this table; it keeps no list of its own. The names are
 * spelled here and nowhere else in the project's C sources
 * (scripts/check-cgroup-files.sh): address a file by its enum value.
 *
 * X(enum value, name, mode, flags); the order is enum epc_cgroup_file's, a
 * directory listing's, and is only ever added to at the end.
 */
#define EPC_CFTYPE_ONLY_ON_ROOT 0x1u /* the root alone has it (the kernel's CFTYPE_ONLY_ON_ROOT) */
#define EPC_CFTYPE_NOT_ON_ROOT	0x2u /* every cgroup but the root has it (CFTYPE_NOT_ON_ROOT) */
/* It reads or changes membership by id (below): a cgroupfs whose ids come
 * and go with processes brings membership up to date before it. */
#define EPC_CFTYPE_MEMBERS 0x4u

#define EPC_CGROUP_FILES(X)                                                                        \
	X(EPC_CGF_PROCS, "cgroup.procs", 0644, EPC_CFTYPE_MEMBERS)                                 \
	X(EPC_CGF_CONTROLLERS, "cgroup.controllers", 0444, 0)                                      \
	X(EPC_CGF_SUBTREE_CONTROL, "cgroup.subtree_control", 0644, 0)                              \
	X(EPC_CGF_EVENTS, "cgroup.events", 0444, EPC_CFTYPE_NOT_ON_ROOT | EPC_CFTYPE_MEMBERS)      \
	X(EPC_CGF_MEMORY_CURRENT, "memory.current", 0444, EPC_CFTYPE_NOT_ON_ROOT)                  \
	X(EPC_CGF_MEMORY_EVENTS, "memory.events", 0444, EPC_CFTYPE_NOT_ON_ROOT)                    \
	X(EPC_CGF_MEMORY_EVENTS_LOCAL, "memory.events.local", 0444, EPC_CFTYPE_NOT_ON_ROOT)        \
	X(EPC_CGF_MEMORY_MAX, "memory.max", 0644, EPC_CFTYPE_NOT_ON_ROOT)                          \
	X(EPC_CGF_MEMORY_PEAK, "memory.peak", 0444, EPC_CFTYPE_NOT_ON_ROOT)                        \
	X(EPC_CGF_MISC_CAPACITY, "misc.capacity", 0444, EPC_CFTYPE_ONLY_ON_ROOT)                   \
	X(EPC_CGF_MISC_CURRENT, "misc.current", 0444, 0)                                           \
	X(EPC_CGF_MISC_EVENTS, "misc.events", 0444, EPC_CFTYPE_NOT_ON_ROOT)                        \
	X(EPC_CGF_MISC_EVENTS_LOCAL, "misc.events.local", 0444, EPC_CFTYPE_NOT_ON_ROOT)            \
	X(EPC_CGF_MISC_MAX, "misc.max", 0644, EPC_CFTYPE_NOT_ON_ROOT)                              \
	X(EPC_CGF_MISC_PEAK, "misc.peak", 0444, 0)

/* EPC_CGF_NR is this header's count of files: it grows as files are added
 * (the values before it never change); epc_cgroup_file_type() says whether
 * the library at hand knows a value. */
#define EPC_CGF_ENUM_(id, name, mode, flags) id,
enum epc_cgroup_file {
	EPC_CGROUP_FILES(EPC_CGF_ENUM_) EPC_CGF_NR
};
#undef EPC_CGF_ENUM_

/*
 * The names alone, indexed by enum epc_cgroup_file, for a program that does
 * not link the library (a client of the daemon):
 *	static const char *const names[] = {EPC_CGROUP_FILE_NAMES};
 */
#define EPC_CGF_NAME_(id, name, mode, flags) [id] = name,
#define EPC_CGROUP_FILE_NAMES		     EPC_CGROUP_FILES(EPC_CGF_NAME_)

/**
 * struct epc_cftype - one file of the table.
 * @name: "misc.max".
 * @mode: its permission bits: 0644 writable, 0444 read-only.
 * @flags: EPC_CFTYPE_*.
 */
struct epc_cftype {
	const char *name;
	uint32_t mode;
	uint32_t flags;
};

/* The table's entry for @file; NULL (logged) for a value past the table. */
const struct epc_cftype *epc_cgroup_file_type(enum epc_cgroup_file file);

/*
 * Which file of @cg @name is. Return: 0 with *@out set; -ENOENT for a name
 * the table lacks or a file this cgroup does not have (a root-only file of a
 * child, a non-root file of the root); -EINVAL for a NULL @cg, @name or @out.
 */
int epc_cgroup_file_lookup(struct epc_cgroup *cg, const char *name, enum epc_cgroup_file *out);

/**
 * epc_cgroup_file_read() - epc_cgroup_read() by the file's enum value. The
 * core files read as the kernel's: cgroup.procs the member ids in @cg (not
 * its descendants), ascending, one a line; cgroup.controllers the
 * controllers its parent enabled for it (the root: every one, "memory
 * misc"); cgroup.subtree_control those it enabled for its children;
 * cgroup.events "populated 0|1" (a member id in its subtree) and "frozen 0".
 * Return: as epc_cgroup_read(); -ENOENT also for a value past the table.
 */
ssize_t epc_cgroup_file_read(struct epc_cgroup *cg, enum epc_cgroup_file file, char *buf,
			     size_t len);

/**
 * epc_cgroup_file_write() - epc_cgroup_write() by the file's enum value.
 * cgroup.procs takes an id as the kernel's kstrtoint(strstrip(text), 0)
 * reads it ("+123", "0x7b", white space around) and attaches it
 * (epc_cgroup_attach()); 0, the writer in a cgroupfs, names no id here
 * (-EINVAL: the cgroupfs resolves it). cgroup.subtree_control takes
 * space-separated "+name"/"-name" tokens of "memory" and "misc", the last
 * for a controller winning; enabling one that is enabled, or disabling one
 * that is not, is a no-op; enabling one the cgroup does not have is -ENOENT,
 * disabling one a child enabled in its own is -EBUSY.
 * Return: as epc_cgroup_write(); -ENODEV a write to a removed cgroup's
 * cgroup.procs or cgroup.subtree_control; -ENOENT also for a value past the
 * table.
 */
int epc_cgroup_file_write(struct epc_cgroup *cg, enum epc_cgroup_file file, const char *text);

/*
 * epc_cgroup_procs_parse() - a cgroup.procs write's number as the kernel
 * reads it: kstrtoint(strstrip(@text), 0) ("+123", "0x7b", "0173", white
 * space around), negative numbers refused. 0 is the writer, which a
 * cgroupfs resolves before it writes the id. Return: 0 with *@id set;
 * -EINVAL no number, bytes after it, out of int's range, negative, or a
 * NULL @text or @id.
 */
int epc_cgroup_procs_parse(const char *text, int *id);

/* ------------------------------------------------------ membership by id */

/*
 * Membership by id (newer than 0.2.0): the library records which cgroup an
 * id (a process id, for a cgroupfs over it) belongs to, as the kernel's
 * cgroup.procs does. An id in no cgroup is in the root; attaching it to the
 * root takes it out of every other. A cgroup with member ids cannot be
 * removed (-EBUSY), and its cgroup.events says "populated 1", as do its
 * ancestors'. Ids are the caller's: the library never reuses or checks them.
 *
 * A task may follow an id (epc_task_follow()): its cgroup is then the id's,
 * re-read at the start of each call made with it (one load of a line only
 * that id's moves write: no lock), so moving the id moves the task with no
 * call of its own. A task following an id holds its cgroup by a reference,
 * not as a member, so a cgroup the id left can be removed while such a task
 * is in a call; it is freed when the task moves on (its next call) or goes.
 */

/* Attach @id to @cg (the root: to no other cgroup). Return: 0; -EINVAL a
 * NULL @cg or an id of 0; -ENODEV @cg was removed; -ENOMEM. */
int epc_cgroup_attach(struct epc_cgroup *cg, uint64_t id);
/* The cgroup @id is in, a reference (epc_cgroup_put()); the root when it is
 * in none. Return: 0; -EINVAL a NULL @epc or @out, or an id of 0. */
int epc_member_cgroup(struct epc *epc, uint64_t id, struct epc_cgroup **out);
/* @id is gone (its process exited): it leaves its cgroup. Return: 0;
 * -EINVAL a NULL @epc or an id of 0; -ENOENT it was in no cgroup. */
int epc_member_forget(struct epc *epc, uint64_t id);
/* The ids in @cg (not its descendants), ascending; a listing as above. */
int epc_cgroup_list_members(struct epc_cgroup *cg, uint64_t *ids, size_t cap, size_t *nr);
/*
 * @t follows @id from now on (see above), leaving the cgroup it was in, or
 * with @id 0 stops following and stays where it is, a member again.
 * Return: 0; -EINVAL a NULL @t; -ENOMEM.
 */
int epc_task_follow(struct epc_task *t, uint64_t id);

/* --------------------------------------------------------------- snapshot */

/*
 * One structured snapshot of the instance for every reader (status, top,
 * reports): its nodes, its cgroups with their parent, its enclaves and its
 * tasks, taken in one call (newer than 0.2.0). Each part is taken in one
 * pass under its own internal lock, so each list is consistent on its own:
 * every cgroup listed existed at one instant, every enclave at one instant
 * (a little later), and so on; the counters are read as the *_get_stats
 * calls read them.
 *
 * The size rule, as struct epc_event keeps it: the library allocates and
 * fills everything, and says how big each of its structs is. @size is
 * sizeof its struct epc_snapshot; each array's elements are @node_size,
 * @cgroup_size, @encl_size or @task_size bytes apart (the library's sizeof):
 * index them with EPC_SNAPSHOT_NODE() and its siblings, never with [i]. A
 * field at or past its struct's size is absent (a newer header than the
 * library): test offsetof(field) < size before reading a field newer than
 * the library you need.
 */

/**
 * struct epc_snapshot_node - one NUMA node, as epc_node_get_stats() gives it.
 * @node: its id, 0 .. nr_nodes - 1 (the array's index too).
 */
struct epc_snapshot_node {
	int32_t node;
	bool has_epc;
	uint64_t nr_total, nr_free, nr_poisoned, nr_alloc_local, nr_alloc_remote;
	uint64_t nr_alloc_away; /* by the requesting node (struct epc_node_stats) */
};

/**
 * struct epc_snapshot_cgroup - one cgroup. The root comes first and every
 * parent before its children, siblings in creation order (a pre-order walk).
 * @cg: its handle, a reference the snapshot holds (epc_snapshot_free() puts
 *	it): valid as long as the snapshot is.
 * @name: its own name, the last component of its path ("" for the root),
 *	valid as long as the snapshot is. Its path is its ancestors' names
 *	joined by "/", found through @parent: epc_snapshot_path() writes it
 *	(the snapshot stores no paths: a chain's would be quadratic in depth).
 * @parent: its parent's index in the array; -1 for the root.
 * @depth: 0 for the root, 1 for its children, ...
 * @dying: removed, but still charged or referenced (see "Cgroup handles").
 * @nr_tasks: tasks in it (epc_task_create(), epc_task_move()).
 * @nr_members: member ids in it (epc_cgroup_list_members() counts them).
 * @current ... @nr_reloaded: as struct epc_cgroup_stats names them.
 * @mem_current, @mem_peak, @mem_max: its backing memory (memory.current,
 *	memory.peak, memory.max, in bytes; UINT64_MAX for "max").
 */
struct epc_snapshot_cgroup {
	struct epc_cgroup *cg;
	const char *name;
	int32_t parent;
	int32_t depth;
	bool dying;
	uint32_t nr_tasks;
	uint32_t nr_members;
	uint64_t current, peak, max, events, events_local, nr_lru, nr_evicted, nr_reloaded;
	uint64_t mem_current, mem_peak, mem_max;
};

/**
 * struct epc_snapshot_encl - one enclave.
 * @id: epc_encl_id().
 * @cgroup: the index of the cgroup it was created in (it stays there for
 *	life); -1 when that cgroup is not in the snapshot (made after the
 *	cgroups were taken).
 * @size ... @nr_accesses: as struct epc_encl_stats names them.
 */
struct epc_snapshot_encl {
	uint64_t id;
	int32_t cgroup;
	uint64_t size, nr_pages, nr_resident, nr_faults, nr_evicted, nr_reloaded, nr_accesses;
};

/**
 * struct epc_snapshot_task - one task.
 * @id: epc_task_id().
 * @cgroup: the index of its cgroup, or -1 as for an enclave. A task that
 *	follows an id (epc_task_follow()) is in that id's cgroup, as its next
 *	call will be.
 * @cpu, @node: epc_task_cpu(), epc_task_node().
 */
struct epc_snapshot_task {
	uint64_t id;
	int32_t cgroup;
	int32_t cpu;
	int32_t node;
};

/**
 * struct epc_snapshot - what epc_snapshot_take() hands out.
 * @size: sizeof the library's struct epc_snapshot.
 * @node_size, @cgroup_size, @encl_size, @task_size: the arrays' strides.
 * @nr_nodes, @nr_cgroups, @nr_encls, @nr_tasks: their lengths (enclaves and
 *	tasks newest first, as the listings give them).
 * @stats: the instance's statistics (epc_get_stats2() at @stats_size).
 */
struct epc_snapshot {
	uint32_t size;
	uint32_t node_size, cgroup_size, encl_size, task_size;
	uint32_t stats_size;
	size_t nr_nodes, nr_cgroups, nr_encls, nr_tasks;
	const void *nodes, *cgroups, *encls, *tasks;
	const struct epc_stats *stats;
};

/* Element @i of a snapshot's arrays (no bounds check: @i < its nr_*). */
#define EPC_SNAPSHOT_AT(s, arr, sz, type, i)                                                       \
	((const struct type *)(const void *)((const char *)(s)->arr + (size_t)(i) * (s)->sz))
#define EPC_SNAPSHOT_NODE(s, i)	  EPC_SNAPSHOT_AT(s, nodes, node_size, epc_snapshot_node, i)
#define EPC_SNAPSHOT_CGROUP(s, i) EPC_SNAPSHOT_AT(s, cgroups, cgroup_size, epc_snapshot_cgroup, i)
#define EPC_SNAPSHOT_ENCL(s, i)	  EPC_SNAPSHOT_AT(s, encls, encl_size, epc_snapshot_encl, i)
#define EPC_SNAPSHOT_TASK(s, i)	  EPC_SNAPSHOT_AT(s, tasks, task_size, epc_snapshot_task, i)

/**
 * epc_snapshot_take() - take a snapshot of @epc (newer than 0.2.0).
 * @out: the snapshot; give it back with epc_snapshot_free().
 * It may be called from any thread, not from an event handler.
 * Return: 0; -EINVAL a NULL @epc or @out; -ENOMEM (nothing is left).
 */
int epc_snapshot_take(struct epc *epc, struct epc_snapshot **out);
/* Free a snapshot and put the cgroup references it holds. NULL is a no-op. */
void epc_snapshot_free(struct epc_snapshot *s);
/**
 * epc_snapshot_path() - the path of cgroup @i of @s ("/" for the root, "/a/b"),
 * built from the names up its parents: theirs, or with @names, names[j] for
 * cgroup j (another namespace's, as a file system that names its directories
 * its own way has them; none may be NULL up @i's parents). Written as
 * snprintf() does: into @buf when it fits in @len bytes with its NUL, else
 * nothing (NULL, 0 asks the length).
 * Return: the path's length without its NUL; -EINVAL a NULL @s, @i not below
 * @s->nr_cgroups, a NULL @buf with a non-zero @len, or a NULL name up the way.
 */
ssize_t epc_snapshot_path(const struct epc_snapshot *s, size_t i, const char *const *names,
			  char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* EPCMM_H */
