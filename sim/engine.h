/* SPDX-License-Identifier: MIT */
/*
 * engine.h - runs a scenario on one struct epc and collects what happened.
 *
 * Set-up: the machine of the scenario (MANUAL background in deterministic
 * mode, THREADS in threads mode), its cgroups and their limits, one task per
 * enclave thread on its CPU. An enclave is created (ECREATE, EADD of every
 * page, EINIT) by its first thread when its start-delay has passed, then its
 * threads make their accesses (8 bytes at the start of the page the pattern
 * picks), faulting evicted pages back.
 *
 * Deterministic mode: one thread. A scheduler seeded from the run's seed picks
 * which enclave thread runs next, for a quantum of SIM_QUANTUM accesses (cut
 * short at an enclave's start and at an event's access count, so both fall
 * on an exact access count; timeline samples are taken at the end of the
 * first quantum past each interval, so asking for a timeline changes nothing
 * in the run); after each quantum epc_run_background() steps ksgxd and the
 * cgroup workers. Same seed, same scenario: the same result, bit for bit.
 * Threads mode: a real thread per enclave thread, ksgxd and the cgroup
 * workers running as threads; the calling thread samples the timeline,
 * fires the events and reports progress.
 *
 * Events ([event NAME], scenario.h): checked before each quantum (after the
 * previous one's background step), or at each poll of the sampling thread
 * (THREADS_POLL_NS; an access count is then passed by up to the accesses
 * made meanwhile). Due events fire in order: access counts ascending, then
 * modelled times ascending, ties in the scenario's order. misc.max and
 * memory.max are written with epc_cgroup_write() (a cut below the usage
 * evicts nothing at once: the next charge over it reclaims, as the kernel's
 * misc.max does); a start creates a start = event enclave; a stop ends its
 * threads and destroys it (its pages uncharged), or keeps it from starting.
 * When nothing runs and an enclave still waits (a start-delay or a start
 * event), the clock jumps as for start-delay: to the next access event or
 * start-delay, whichever comes first, then to the next modelled-time event.
 * Events not reached by then do not fire. An enclave the library OOM-kills
 * (memory.max, epcmm.h "Backing memory") stops making accesses; the run goes
 * on, and the kill is listed with the events.
 *
 * The cost model (scenario.h struct sim_cost) turns counts into cycles:
 * accesses x access + faults x fault + EWBs x ewb + ELDUs x eldu, over every
 * CPU that runs an enclave thread as if they ran in parallel: modelled
 * seconds = cycles / (clock x CPUs used). The enclaves' builds (the EWBs and
 * ELDUs while their pages are EADDed) are counted apart from the run: the
 * run is the rest. EDMM adds augmented x eaug + trimmed x trim (EAUGs are
 * the run's: a dynamic enclave's build EADDs its static part only).
 * "Baseline" is the run with no paging (accesses only);
 * slowdown = the run's modelled time / baseline.
 *
 * Dynamic enclaves (dynamic = on, EDMM): the build EADDs the static part
 * and declares the rest dynamic. An access there with no page EAUGs it and
 * answers -EACCES (PENDING): the thread EACCEPTs it and makes the access
 * again (another thread's EACCEPT may come first: the access then works).
 * A trim event takes the enclave's threads out of their loop (threads mode:
 * a per-enclave lock, held by each thread over each batch of accesses),
 * then trims the highest pages it EAUGed, TRIM_CHUNK at a time: EMODT to
 * TRIM (retrying -EAGAIN and -EBUSY), EACCEPT of each, EREMOVE. An access
 * there later EAUGs the page again.
 *
 * No global state; several runs may go on at once in one process (a sweep).
 */
#ifndef EPCMM_SIM_ENGINE_H
#define EPCMM_SIM_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario.h"

#define SIM_QUANTUM	    64	/* accesses per scheduling step (deterministic mode) */
#define SIM_TIMELINE_POINTS 100 /* default samples over a run */
#define SIM_LOG_LINES_SHOWN 5	/* library warnings echoed to stderr, per run */

struct sim_node_result {
	bool has_epc;
	uint64_t total, free; /* pages */
	/* counted by the serving node: for its own tasks, for other nodes' */
	uint64_t alloc_local, alloc_remote;
	/* counted by the requesting node: its tasks' allocations another node served */
	uint64_t alloc_away;
};

struct sim_cgroup_result {
	const char *path;		/* the scenario's */
	uint64_t max;			/* bytes, SIM_UNLIMITED for max */
	uint64_t current, peak, events; /* as misc.current, misc.peak, misc.events max */
	uint64_t evicted, reloaded;	/* EWBs and ELDUs of pages charged to it or below it */
	/* its own (epc_cgroup_get_stats): reclaim rounds callers ran over its
	 * subtree, rounds its background work ran, that work queued and run */
	uint64_t reclaim_sync, reclaim_async, work_queued, work_run;
	/* EDMM, of pages charged to it or below it: EAUGed, trimmed, removed */
	uint64_t augmented, trimmed, removed;
};

struct sim_enclave_result {
	const char *name, *cgroup;
	uint64_t size;
	unsigned threads;
	bool stopped, killed; /* by a stop event; OOM-killed by the library */
	uint64_t accesses, writes, faults, evicted, reloaded;
	double fault_rate;		      /* faults / accesses */
	bool dynamic;			      /* EDMM: its heap EAUGed on first touch */
	uint64_t augmented, trimmed, removed; /* EAUGs, pages trimmed, pages removed */
	uint64_t cycles; /* modelled, the run's: its own build's EWBs and ELDUs left out */
};

/* The reclaimer: epc_get_stats2() and the cgroups' reclaim counters. */
struct sim_reclaim_result {
	uint64_t ksgxd_wakeups, ksgxd_runs, ksgxd_batches;
	uint64_t evicted, reloaded;		/* EWBs and ELDUs, SECS included */
	uint64_t build_evicted, build_reloaded; /* of those, while enclaves were built */
	/* pages freed by ksgxd, by a caller's reclaim over the whole tree (a full
	 * EPC), by reclaim confined below the root (a cgroup limit) */
	uint64_t reclaimed_ksgxd, reclaimed_direct, reclaimed_cgroup;
	/* summed over the cgroups below the root: reclaim rounds callers ran
	 * (sync) and their background work ran (async); the work queued and run */
	uint64_t cgroup_rounds_sync, cgroup_rounds_async;
	uint64_t cgroup_work_queued, cgroup_work_run;
	uint64_t alloc_failed;
};

/* What happened during the run: a scenario event, or the library's OOM kill. */
struct sim_event_result {
	const struct sim_event *event; /* NULL: an OOM kill of @enclave */
	const char *enclave;	       /* the enclave killed */
	bool fired;		       /* false: the run ended first */
	uint64_t accesses;	       /* the machine's, when it fired */
	double modelled_seconds;       /* modelled time then (builds included, as the timeline) */
	uint64_t trimmed;	       /* a trim: the pages it trimmed and removed */
};

struct sim_result {
	uint64_t seed;
	enum sim_mode mode;
	int nr_nodes;
	struct sim_node_result *nodes;
	int nr_cgroups;
	struct sim_cgroup_result *cgroups;
	int nr_enclaves;
	struct sim_enclave_result *enclaves;
	struct sim_reclaim_result reclaim;
	/* in the order they fired, those that did not fire last (by their at) */
	int nr_events;
	struct sim_event_result *events;
	uint64_t epc_bytes;
	uint64_t accesses, faults;
	bool edmm;			      /* a dynamic enclave ran: EDMM columns shown */
	bool numa_reclaim;		      /* [run] numa-reclaim: locality rows shown */
	uint64_t augmented, trimmed, removed; /* summed over the enclaves */
	uint64_t cycles, build_cycles, baseline_cycles; /* run, build, run without paging */
	int nr_cpus_used;
	double modelled_seconds, build_seconds, baseline_seconds,
		slowdown;    /* slowdown: the run's */
	double wall_seconds; /* measured: never on stdout or in JSON */
	uint64_t log_lines;  /* library log lines at LOG_WARNING or worse */
};

struct sim_run_params {
	const struct sim_scenario *scenario;
	/* a sweep's override of one cgroup's max (NULL: none) */
	const char *override_cgroup;
	uint64_t override_max;
	/* the timeline CSV (NULL: none), a row every @timeline_interval accesses
	 * (0: SIM_TIMELINE_POINTS rows over the run) and one at each event, named
	 * in a last column "event" (present when the scenario has events or a
	 * memory.max: an OOM kill is "oom-kill:ENCLAVE") */
	FILE *timeline;
	uint64_t timeline_interval;
	/* progress, from the calling thread: accesses done of @total */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
	bool quiet; /* library warnings are counted but not echoed */
};

/*
 * Run it. Return: 0 and *out; -EINVAL a scenario problem found only now (a
 * trace that does not fit its enclave's size): "FILE:LINE: ..." in @err;
 * -EIO the run failed (an access or allocation the library refused): what
 * and why in @err; -ENOMEM.
 */
int sim_run(const struct sim_run_params *p, struct sim_result **out, char *err, size_t errlen);
void sim_result_free(struct sim_result *r);

/* Cycles of one enclave or of the machine, by the cost model. */
uint64_t sim_cost_cycles(const struct sim_cost *c, uint64_t accesses, uint64_t faults,
			 uint64_t evicted, uint64_t reloaded);
/* What one fault costs by the cost model, in accesses' time: its entry, an
 * EWB and an ELDU over an access (0 when an access costs nothing). A fault
 * rate r then models as a slowdown of about 1 + r times this. */
double sim_cost_fault_weight(const struct sim_cost *c);
/* EDMM's share: @augmented x eaug + @trimmed x trim. */
uint64_t sim_cost_edmm_cycles(const struct sim_cost *c, uint64_t augmented, uint64_t trimmed);

#endif
