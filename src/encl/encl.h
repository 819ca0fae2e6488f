/* SPDX-License-Identifier: MIT */
/*
 * encl.h - enclaves on emulated SGX (kernel-spec §2.7, §4.8, §4.10).
 *
 * An enclave is a SECS, its pages (one struct epc__encl_page per 4 KiB of its
 * range), and the VA pages that hold the versions of its evicted pages. It is
 * the owner the reclaimer talks to (struct epc__reclaim_ops), and the fault
 * path that brings evicted pages back.
 *
 * Cost proportional to what was added, never to the size (up to 64 TiB):
 * - @pages, indexed by offset / EPC_PAGE_SIZE (the O(1) lookup EADD and faults use),
 *   is an anonymous MAP_NORESERVE mapping: the host zero-fills it on first
 *   touch, so only the 4 KiB host pages holding entries of added pages cost
 *   memory. A 1 TiB enclave reserves 8 GiB of address space and touches none
 *   of it until pages are added; nothing ever walks the whole array.
 * - @added lists the slot index of every page ever added, in the order they
 *   were first added (EADD, or EAUG). It is append-only: a page removed by
 *   EDMM keeps its entry (EPC__EPAGE_LISTED stays set on it, so a page added
 *   again at that slot is not listed twice), and walkers skip entries whose
 *   page is not EPC__EPAGE_ADDED now. So it is bounded by the distinct
 *   slots ever used, whatever an enclave's heap does; destroy and the
 *   checker walk it, O(pages ever added). Its room is reserved before an
 *   EADD or EAUG allocates anything, so the append at commit cannot fail.
 * - Dynamic regions (EDMM, epc_encl_declare_dynamic()) are a short array of
 *   ranges, looked at only when an access finds a slot with no page.
 *
 * EDMM (SGX2): pages are added on demand (EAUG by the fault path in a
 * dynamic region, or where a page was removed), have their permissions
 * restricted and their type changed, and trimmed pages are removed, one at a
 * time, with the kernel's checks (edmm.c). @type and @attr of a page mirror
 * its EPCM entry (the checker compares them); the EPCM itself (hw.h) is what
 * decides whether the enclave may touch the page.
 *
 * Backing store: a memfd per enclave, laid out like the kernel's shmem file:
 * [pages 0 .. size) [SECS at size] [an EPC__PCMD_SIZE (128) byte PCMD per page from size + EPC_PAGE_SIZE].
 * It is mapped shared, so EWB seals straight into it and ELDU opens straight
 * out of it; epc_encl_backing_fd() hands out the same file for inspection and
 * tampering. Backing space is allocated (fallocate) the first time a page is
 * evicted; that is the step that may fail and leave the page in EPC.
 *
 * Backing memory is charged (memory resource, cgroup/memcg.h) to @mem_cg, the
 * cgroup the creating task was in at ECREATE, pinned for the enclave's life:
 * the host pages a chunk's allocation brings in (its contents pages, and the
 * PCMD page they share with their neighbours when it is new), even with
 * no_contents (the kernel's shmem pages would exist all the same). The charge
 * is returned when the enclave is destroyed or killed. A charge the memory
 * limit refuses fails the eviction (the page stays in EPC, DIFFERENCES E1)
 * and counts "max" in memory.events.
 *
 * The OOM kill (behaviour 70): when an EPC allocation for the enclave (EADD,
 * with reclaim; or a fault, after its retry policy) ends without room, and
 * some backing charge was refused by a memory limit while it tried, the
 * enclave is killed, as the memcg OOM killer would kill the process holding
 * it (encl_oom_kill() in encl.c): every EPC page and VA page freed, every
 * charge returned, the backing store emptied, "oom" and "oom_kill" counted
 * at @mem_cg; the call that found it returns -EOWNERDEAD and so does every
 * later call on it but epc_encl_get_stats() and epc_encl_destroy(). The
 * struct stays until the owner destroys it.
 *
 * Locking: encl->lock (a mutex) serializes every ENCLS leaf on the enclave and
 * every field marked "lock". It is never held while reclaiming, because reclaim
 * takes enclave locks: ECREATE and EADD allocate their pages with reclaim
 * before taking it (under build_lock, which serializes builders of one
 * enclave), and the fault path allocates with NO_RECLAIM and drops the lock
 * before it waits for reclaim. EDMM (edmm.c): an EAUG (fault.c) and a
 * removal take build_lock and then the lock, as EADD does (both change
 * page_cnt and the added list, which builders read under build_lock); the
 * other EDMM calls take the lock alone, and reclaim (sgx_reclaim_direct())
 * before each page with neither held.
 *
 * Lifetime: @refs starts at 1 (the creator's). The reclaimer pins an enclave
 * for the length of a batch with "get unless zero or dying"; destroy marks it
 * dying, drops its reference, waits for the pins to go, then frees every page
 * and returns every charge before it returns.
 */
#ifndef EPC_ENCL_ENCL_H
#define EPC_ENCL_ENCL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cgroup/cgroup.h"
#include "hw/hw.h"
#include "mm/mm.h"
#include "reclaim/reclaim.h"
#include "task/task.h"
#include "util/event.h"
#include "util/list.h"
#include "util/lock.h"
#include "util/log.h"

struct epc__encl_layer;

/* Tunable: the longest a THREADS-mode fault waits for reclaim per round (it
 * wakes as soon as a batch frees pages). */
#define EPC__FAULT_WAIT_NS 1000000L
#define EPC__VA_SLOTS	   512

#define EPC__EPAGE_ADDED	   0x1
#define EPC__EPAGE_BEING_RECLAIMED 0x2
#define EPC__EPAGE_BACKING	   0x4 /* backing space allocated (may precede EADD) */
#define EPC__EPAGE_LISTED	   0x8 /* in @added (ever added: still mapped once removed) */
/* The kernel's vm_max_prot_bits: what the page may be mapped with (EADD's
 * SECINFO permissions; RWX for EAUG'd pages; RW once made a TCS). */
#define EPC__EPAGE_MAX_R     0x10
#define EPC__EPAGE_MAX_W     0x20
#define EPC__EPAGE_MAX_X     0x40
#define EPC__EPAGE_MAX_SHIFT 4 /* EPC_SECINFO_R/W/X << this */

/* Tunable: pages whose backing space is allocated together (a reclaim batch). */
#define EPC__BACKING_CHUNK 16

struct epc__va_page {
	struct epc_page *epc_page;
	uint64_t used[EPC__VA_SLOTS / 64]; /* slot bitmap */
	unsigned nr_used;
	struct epc__list node; /* on its enclave's va_pages (the enclave's lock) */
};

struct epc__encl_page {
	struct epc_page *epc_page;    /* lock; NULL when evicted or never added */
	struct epc_encl *encl;	      /* read-only once added */
	struct epc__va_page *va_page; /* lock; evicted: holds the version */
	uint16_t va_slot;	      /* lock */
	uint8_t flags;		      /* lock; EPC__EPAGE_* */
	uint8_t type;		      /* lock; enum epc__page_type (the kernel's entry->type) */
	uint8_t attr;		      /* lock; the EPCM attributes (hw.h) as last set: ELDU's
					 with no_contents, and the checker's */
	_Atomic uint8_t accessed;     /* set on access, cleared by aging */
};

/* A range of slots where accesses may add pages (EDMM): [first, end). */
struct epc__encl_range {
	uint64_t first, end;
};

struct epc_encl {
	struct epc__encl_layer *layer; /* read-only: the instance's enclave layer */
	struct epc_cgroup *cg;	       /* read-only: its creator's, referenced (the listings) */
	uint64_t id;		       /* read-only: unique within the epc */
	uint64_t size;		       /* read-only: bytes */
	uint64_t nr_slots;	       /* read-only: size / EPC_PAGE_SIZE */
	struct epc__mutex lock;
	struct epc__mutex build_lock; /* ECREATE/EADD; page_cnt */

	struct epc__encl_page *pages; /* nr_slots entries, lazily zeroed */
	size_t pages_len;
	uint64_t *added;	 /* build_lock + lock to change, either to read */
	uint64_t nr_added_slots; /* entries of @added */
	uint64_t added_cap;	 /* build_lock + lock */
	struct epc__encl_page secs;
	struct epc__list va_pages; /* lock; slots come from the first */
	uint64_t nr_va;		   /* lock */
	uint64_t page_cnt;	   /* build_lock: SECS + added pages (VA growth) */
	bool initialized;	   /* lock */
	struct epc__encl_range dyn[EPC_ENCL_MAX_DYNAMIC]; /* lock: dynamic regions */
	unsigned nr_dyn;				  /* lock */

	int backing_fd; /* -1 with no_contents */
	unsigned char *backing;
	size_t backing_len;
	struct epc_cgroup *mem_cg; /* read-only: charged for backing memory, pinned */
	uint64_t mem_charged;	   /* lock: bytes of backing memory charged */
	_Atomic bool killed;	   /* set under build_lock + lock; read anywhere */

	_Atomic int refs;
	_Atomic bool dying;
	pthread_mutex_t refs_lock; /* with refs_cond: destroy waits for pins */
	pthread_cond_t refs_cond;

	/* statistics (lock, read racily by stats) */
	_Atomic uint64_t nr_added, nr_resident, nr_faults, nr_evicted, nr_reloaded;
	_Atomic uint64_t nr_accesses; /* pages touched by accesses (relaxed) */
	_Atomic uint64_t nr_augmented, nr_trimmed, nr_removed; /* EDMM */

	struct epc__list layer_node; /* on the layer's encls (layer lock) */
};

/*
 * What the enclave layer uses of the layers below, given by the library face
 * at init (every pointer outlives the layer). The enclaves reach the rest of
 * their instance through these and nothing else.
 */
struct epc__encl_deps {
	struct epc__hw *hw;		/* ENCLS leaves, page contents */
	struct epc__mm *mm;		/* page records: index and address */
	struct epc__cgroups *cgroups;	/* the tree (the checker's root usage) */
	struct epc__reclaimer *reclaim; /* allocation, LRUs, waiting for room */
	struct epc__events *events;	/* the event stream */
	const struct epc__fault *fault; /* the fault-injection hook (host allocations) */
	const struct epc__log *log;
	bool threads;	  /* THREADS background mode (else MANUAL: faults reclaim themselves) */
	bool no_contents; /* metadata only: no backing store */
};

struct epc__encl_layer {
	struct epc__encl_deps d; /* read-only after init */

	pthread_mutex_t lock; /* the list and next_id */
	struct epc__list encls;
	uint64_t next_id;
	/*
	 * Counters, off the line of @d, which every EWB and ELDU reads. EWBs of
	 * pages are counted by the reclaimer, once a batch (it frees what it
	 * wrote): a count here, written for every page by every reclaimer,
	 * was a line two workers fought over.
	 */
	_Atomic uint64_t nr_secs_evicted __attribute__((aligned(EPC__CACHELINE)));
	/* ^ EWBs of SECS pages (after their last child) */
	_Atomic uint64_t nr_reloaded;	     /* ELDUs of every enclave, SECS included */
	_Atomic uint64_t nr_backing_refused; /* backing charges a memory limit refused */
	_Atomic uint64_t nr_oom_kills;	     /* enclaves killed */
};

extern const struct epc__reclaim_ops epc__encl_reclaim_ops;

/*
 * ECREATE on @t's behalf in @l, @t's instance's layer (epc_encl_create(),
 * which the face defines: it knows a task's instance). Return: as
 * epc_encl_create().
 */
int epc__encl_create(struct epc__encl_layer *l, struct epc_task *t, uint64_t size,
		     struct epc_encl **out);

/* Return: 0; -errno (the lock's init). */
int epc__encl_layer_init(struct epc__encl_layer *l, const struct epc__encl_deps *deps);
/* Destroys every enclave still alive. */
void epc__encl_layer_destroy(struct epc__encl_layer *l);
uint64_t epc__encl_nr_reloaded(struct epc__encl_layer *l);
/* EWBs of SECS pages; those of the other pages are the reclaimer's nr_evicted. */
uint64_t epc__encl_nr_secs_evicted(struct epc__encl_layer *l);
/*
 * The ids of up to @cap enclaves (those created in @cg; NULL: all), newest
 * first, under the layer's lock: a snapshot. Return: how many there are.
 */
size_t epc__encl_list(struct epc__encl_layer *l, struct epc_cgroup *cg, uint64_t *ids, size_t cap);
/* One enclave as a snapshot lists it (epc_snapshot_take()). */
struct epc__encl_brief {
	uint64_t id;
	struct epc_cgroup *cg; /* its creator's: compare, do not follow */
	uint64_t size, nr_pages, nr_resident, nr_faults, nr_evicted, nr_reloaded, nr_accesses;
};
/*
 * Up to @cap enclaves, newest first, in one pass under the layer's lock
 * (their counters read as epc_encl_get_stats2() reads them, no enclave lock
 * taken). Return: how many there are (may exceed @cap).
 */
size_t epc__encl_collect(struct epc__encl_layer *l, struct epc__encl_brief *out, size_t cap);
/* Every enclave's books against the pages it owns. Quiescent. Return: 0; -EUCLEAN. */
int epc__encl_check(struct epc__encl_layer *l);

#endif
