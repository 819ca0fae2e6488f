// SPDX-License-Identifier: MIT
/*
 * engine.c - sim_run(): builds the machine, drives the enclave threads in
 * deterministic or threads mode, samples the timeline and collects the
 * result (engine.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "engine.h"
#include "pattern.h"

#define THREADS_FLUSH	      256	  /* threads mode: accesses between updates of the total */
#define THREADS_POLL_NS	      20000000L	  /* threads mode: the main thread's sampling period */
#define THREADS_START_POLL_NS 200000L	  /* a delayed enclave's wait for its start */
#define THREADS_EVENT_POLL_NS 2000000L	  /* the sampling thread's period while events may fire */
#define EVENT_KILL_PREFIX     "oom-kill:" /* an OOM kill in the timeline's event column */
#define PROGRESS_EVERY	      (1u << 16)
#define TRIM_CHUNK	      64   /* pages per EMODT / EREMOVE call of a trim */
#define EDMM_RETRIES	      1000 /* -EAGAIN / -EBUSY retries of one EDMM call */
#define EAUG_RETRIES	      4	   /* EACCEPT-then-access rounds of one access */
#define RW_PENDING	      (EPC_SECINFO_REG | EPC_SECINFO_R | EPC_SECINFO_W | EPC_SECINFO_PENDING)
#define TRIM_ACCEPT	      (EPC_SECINFO_TRIM | EPC_SECINFO_MODIFIED)

struct eng_encl {
	const struct sim_enclave *e;
	int index;
	uint64_t size, nr_pages, accesses;
	struct epc_cgroup *cg;
	struct epc_encl *encl;
	struct sim_zipf zipf;
	uint64_t build_evicted, build_reloaded; /* its own pages', by the end of its build */
	int first_thread;
	/* 0 not yet built, 1 built, -1 never (creation failed, OOM-killed while
	 * built, stopped first), 2 destroyed by a stop event */
	atomic_int ready;
	/* start = event, threads mode: 1 go, -1 never (stopped first); set by the
	 * event thread after it counted the threads in eng->active */
	atomic_int go;
	atomic_bool stopping; /* threads mode: a stop event; its threads leave their loop */
	atomic_int exited;    /* threads mode: its threads past their loop */
	atomic_bool killed;   /* OOM-killed: set once, by the thread that saw it */
	uint64_t killed_at;   /* the machine's accesses then (written by that thread) */
	/* owned by the event thread (the deterministic loop, or the sampling thread) */
	bool started;		     /* deterministic mode: created or kept from starting */
	bool stopped, kill_logged;   /* a stop event came; its kill is in eng->log */
	struct epc_encl_stats final; /* its counts when a stop event destroyed it */
	/* EDMM (dynamic = on): pages [static_pages, nr_pages) are added on demand */
	uint64_t static_pages;
	/* the dynamic pages EAUGed and accepted, not trimmed since: a bit per
	 * page from static_pages; set by the thread whose EACCEPT succeeded
	 * (atomic), read and cleared by a trim (with every thread out: trim_lock) */
	_Atomic uint64_t *present;
	/* threads mode: each thread holds it for reading over a batch of
	 * accesses; a trim holds it for writing. trimming: a trim waits for it
	 * (threads then wait before taking it, so the trim is not starved) */
	pthread_rwlock_t trim_lock;
	atomic_bool trimming;
};

/* A scenario event while the run goes (owner: the event thread). */
struct eng_event {
	const struct sim_event *ev;
	bool fired;
};

struct eng_thread {
	struct eng_encl *ee;
	unsigned idx;
	int cpu;
	struct epc_task *task;
	struct sim_source src;
	uint64_t remaining, done, writes;
	bool started; /* deterministic mode */
	pthread_t tid;
	struct engine *eng;
};

struct engine {
	const struct sim_run_params *p;
	const struct sim_scenario *s;
	struct epc *epc;
	struct epc_cgroup **cgs; /* per scenario cgroup */
	struct eng_encl *encls;
	int nr_encls;
	struct eng_thread *threads;
	int nr_threads;
	int nr_cpus_used;
	uint64_t total_accesses;
	bool edmm; /* a dynamic enclave: EDMM costs and counts */
	/* timeline */
	uint64_t interval, next_sample, last_faults, last_sample;
	bool event_column; /* the timeline has one (events or a memory.max) */
	/* events, owned by the event thread: access events by at, then time
	 * events by at (each in the scenario's order on ties); the next of each */
	struct eng_event *events;
	int nr_events, nr_access_events, next_access, next_time;
	struct sim_event_result *log; /* what fired, in order: nr_events + nr_encls */
	int nr_log;
	char *label; /* the names of what fired at one check, for the timeline */
	/* deterministic mode: the enclave threads that may run */
	int *runnable, nr_runnable;
	/* threads mode */
	atomic_uint_fast64_t done;
	atomic_int active; /* threads in their access loop, or about to be */
	atomic_bool stop;
	pthread_mutex_t lock; /* protects err, failed and the log counters */
	char *err;
	size_t errlen;
	int failed;
	uint64_t log_lines;
	uint64_t build_evicted, build_reloaded; /* EWBs and ELDUs while enclaves were built
						 * (protected by lock) */
	/* one build at a time, so the builds' shares of the machine's counts do
	 * not overlap (threads mode; deterministic mode has one thread) */
	pthread_mutex_t build_lock;
};

static void eng_fail(struct engine *eng, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void eng_fail(struct engine *eng, int ret, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&eng->lock);
	if (!eng->failed) {
		eng->failed = ret;
		va_start(ap, fmt);
		vsnprintf(eng->err, eng->errlen, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&eng->lock);
	atomic_store(&eng->stop, true);
}

static void eng_log(int level, const char *msg, void *arg)
{
	struct engine *eng = arg;

	if (level > LOG_WARNING)
		return;
	pthread_mutex_lock(&eng->lock);
	if (eng->log_lines++ < SIM_LOG_LINES_SHOWN && !eng->p->quiet)
		fprintf(stderr, "epcmm: library: %s\n", msg);
	pthread_mutex_unlock(&eng->lock);
}

uint64_t sim_cost_cycles(const struct sim_cost *c, uint64_t accesses, uint64_t faults,
			 uint64_t evicted, uint64_t reloaded)
{
	return accesses * c->access + faults * c->fault + evicted * c->ewb + reloaded * c->eldu;
}

double sim_cost_fault_weight(const struct sim_cost *c)
{
	return c->access ? (double)(c->fault + c->ewb + c->eldu) / (double)c->access : 0;
}

uint64_t sim_cost_edmm_cycles(const struct sim_cost *c, uint64_t augmented, uint64_t trimmed)
{
	return augmented * c->eaug + trimmed * c->trim;
}

static double cycles_to_seconds(const struct engine *eng, uint64_t cycles)
{
	return (double)cycles / (eng->s->run.cost.clock_ghz * 1e9 * eng->nr_cpus_used);
}

/* ------------------------------------------------------------- set-up */

/* Write scenario cgroup @i's misc.max or memory.max (@which), @limit bytes
 * or SIM_UNLIMITED. Return: 0; -errno (recorded). */
static int cgroup_set_limit(struct engine *eng, int i, enum sim_event_action which, uint64_t limit)
{
	enum epc_cgroup_file file =
		which == SIM_EVENT_MISC_MAX ? EPC_CGF_MISC_MAX : EPC_CGF_MEMORY_MAX;
	const char *prefix = which == SIM_EVENT_MISC_MAX ? "sgx_epc " : "";
	char text[64];
	int ret;

	if (limit == SIM_UNLIMITED)
		snprintf(text, sizeof(text), "%smax", prefix);
	else
		snprintf(text, sizeof(text), "%s%llu", prefix, (unsigned long long)limit);
	ret = epc_cgroup_file_write(eng->cgs[i], file, text);
	if (ret)
		eng_fail(eng, -EIO, "cgroup %s: %s refused '%s': %s", eng->s->cgroups[i].path,
			 epc_cgroup_file_type(file)->name, text, strerror(-ret));
	return ret;
}

static int setup_machine(struct engine *eng)
{
	const struct sim_scenario *s = eng->s;
	struct epc_section_desc secs[EPC_MAX_SECTIONS];
	struct epc_config cfg = {
		.nr_nodes = s->nr_nodes,
		.nr_cpus = s->nr_cpus,
		.cpu_to_node = s->cpu_to_node,
		.distance = s->distance,
		.sections = secs,
		.nr_sections = s->nr_sections,
		.fallback = s->run.fallback,
		.background = s->run.mode == SIM_MODE_DETERMINISTIC ? EPC_BACKGROUND_MANUAL
								    : EPC_BACKGROUND_THREADS,
		.pcp_batch = s->run.pcp_batch,
		.no_contents = !s->run.contents,
		.log = eng_log,
		.log_arg = eng,
		.margin_reclaim = s->run.margin_reclaim,
		.numa_reclaim = s->run.numa_reclaim,
	};
	int ret;

	for (int i = 0; i < s->nr_sections; i++)
		secs[i] = (struct epc_section_desc){.phys_addr = s->sections[i].phys,
						    .size = s->sections[i].size,
						    .node = s->sections[i].node};
	ret = epc_create2(&cfg, sizeof(cfg), &eng->epc);
	if (ret) {
		eng_fail(eng, -EIO, "cannot build the machine: %s", strerror(-ret));
		return ret;
	}
	epc_sanitize_wait(eng->epc);
	eng->cgs = calloc((size_t)s->nr_cgroups, sizeof(*eng->cgs));
	if (!eng->cgs)
		return -ENOMEM;
	for (int i = 0; i < s->nr_cgroups; i++) {
		const struct sim_cgroup *c = &s->cgroups[i];
		uint64_t max = c->max;

		if (!strcmp(c->path, "/")) {
			eng->cgs[i] = epc_cgroup_root(eng->epc);
			continue;
		}
		ret = epc_cgroup_create(eng->epc, c->path, &eng->cgs[i]);
		if (ret) {
			eng_fail(eng, -EIO, "cgroup %s: cannot create it: %s", c->path,
				 strerror(-ret));
			return ret;
		}
		if (eng->p->override_cgroup && !strcmp(eng->p->override_cgroup, c->path))
			max = eng->p->override_max;
		if ((ret = cgroup_set_limit(eng, i, SIM_EVENT_MISC_MAX, max)))
			return ret;
		if (c->memory_max != SIM_UNLIMITED &&
		    (ret = cgroup_set_limit(eng, i, SIM_EVENT_MEMORY_MAX, c->memory_max)))
			return ret;
	}
	return 0;
}

static struct epc_cgroup *cg_of(struct engine *eng, const char *path)
{
	for (int i = 0; i < eng->s->nr_cgroups; i++)
		if (!strcmp(eng->s->cgroups[i].path, path))
			return eng->cgs[i];
	return NULL;
}

/* A dynamic enclave's static part and its bitmap of pages present. */
static int setup_dynamic(struct engine *eng, struct eng_encl *ee)
{
	const struct sim_enclave *e = ee->e;
	uint64_t dyn;

	if (e->static_size > ee->size) { /* a trace's size, known only now */
		const struct sim_loc *l = &e->key_loc[SIM_EK_STATIC];

		snprintf(eng->err, eng->errlen,
			 "%s:%u: [enclave %s] static: larger than the %llu pages its trace touches",
			 l->file, l->line, e->name, (unsigned long long)ee->nr_pages);
		eng->failed = -EINVAL;
		return -EINVAL;
	}
	ee->static_pages = e->static_size / EPC_PAGE_SIZE;
	dyn = ee->nr_pages - ee->static_pages;
	ee->present = calloc((size_t)(dyn / 64 + 1), sizeof(*ee->present));
	return ee->present ? 0 : -ENOMEM;
}

/* Sizes and access counts; a trace sizes its enclave. */
static int setup_enclaves(struct engine *eng)
{
	const struct sim_scenario *s = eng->s;
	uint64_t encl_pages = 0;
	bool *used;
	int ret = 0;

	eng->nr_encls = s->nr_enclaves;
	eng->encls = calloc((size_t)s->nr_enclaves, sizeof(*eng->encls));
	if (!eng->encls)
		return -ENOMEM;
	for (int i = 0; i < s->nr_enclaves; i++) {
		struct eng_encl *ee = &eng->encls[i];
		const struct sim_enclave *e = &s->enclaves[i];

		ee->e = e;
		ee->index = i;
		ee->size = e->size;
		ee->accesses = e->accesses;
		ee->cg = cg_of(eng, e->cgroup);
		if (e->pattern.kind == SIM_PATTERN_TRACE) {
			uint64_t pages = e->trace_pages, records = e->trace_records;

			if (!e->trace_checked) { /* a caller that did not check: do it now */
				ret = sim_enclave_check_trace(e, &pages, &records, eng->err,
							      eng->errlen);
				if (ret) {
					eng->failed = ret;
					return ret;
				}
			}
			if (!e->size)
				ee->size = pages * EPC_PAGE_SIZE;
			ee->accesses = sim_enclave_accesses(e, records);
		}
		ee->nr_pages = ee->size / EPC_PAGE_SIZE;
		pthread_rwlock_init(&ee->trim_lock, NULL);
		eng->edmm |= e->dynamic;
		if (e->dynamic && (ret = setup_dynamic(eng, ee)))
			return ret;
		if (e->pattern.kind == SIM_PATTERN_ZIPF) {
			ret = sim_zipf_init(&ee->zipf, ee->nr_pages, e->pattern.theta);
			if (ret == -E2BIG) {
				const struct sim_loc *l = &e->key_loc[SIM_EK_PATTERN];

				snprintf(eng->err, eng->errlen,
					 "%s:%u: [enclave %s] pattern: zipf takes enclaves up to "
					 "%lluG",
					 l->file, l->line, e->name,
					 (unsigned long long)(SIM_ZIPF_MAX_PAGES * 4096 >> 30));
				eng->failed = -EINVAL;
				return -EINVAL;
			}
			if (ret)
				return ret;
		}
		eng->nr_threads += (int)e->threads;
		eng->total_accesses += ee->accesses;
		encl_pages += ee->nr_pages;
	}
	/* (sim_scenario_check_traces() did, unless the caller skipped it) */
	ret = sim_scenario_check_cost(s, eng->total_accesses, encl_pages, eng->err, eng->errlen);
	if (ret) {
		eng->failed = ret;
		return ret;
	}
	eng->threads = calloc((size_t)eng->nr_threads, sizeof(*eng->threads));
	used = calloc((size_t)s->nr_cpus, sizeof(bool));
	if (!eng->threads || !used) {
		free(used);
		return -ENOMEM;
	}
	for (int i = 0, t = 0; i < s->nr_enclaves; i++) {
		struct eng_encl *ee = &eng->encls[i];
		const struct sim_enclave *e = ee->e;

		ee->first_thread = t;
		for (unsigned k = 0; k < e->threads; k++, t++) {
			struct eng_thread *th = &eng->threads[t];

			th->eng = eng;
			th->ee = ee;
			th->idx = k;
			th->cpu = e->cpus ? e->cpus[k % (unsigned)e->nr_cpus]
					  : (int)((unsigned)(i + (int)k) % (unsigned)s->nr_cpus);
			th->remaining = ee->accesses / e->threads + (k < ee->accesses % e->threads);
			if (!used[th->cpu]) {
				used[th->cpu] = true;
				eng->nr_cpus_used++;
			}
			ret = epc_task_create(eng->epc, ee->cg, th->cpu, &th->task);
			if (ret) {
				free(used);
				eng_fail(eng, -EIO, "enclave %s: cannot create its task: %s",
					 e->name, strerror(-ret));
				return ret;
			}
			ret = sim_source_init(&th->src, e, ee->nr_pages, k, e->threads, s->run.seed,
					      &ee->zipf, eng->err, eng->errlen);
			if (ret) {
				free(used);
				eng->failed = -EIO;
				return ret;
			}
		}
	}
	free(used);
	return 0;
}

/*
 * ECREATE, EADD of every page, EINIT, by the enclave's first thread. The
 * EWBs and ELDUs the machine does meanwhile (evictions to make room for the
 * EADDs) are the build's, not the run's: the cost model reports them apart.
 * (In threads mode builds take turns, but other enclaves' runs may add to
 * them at the same time.)
 */
static int build_enclave(struct engine *eng, struct eng_encl *ee);

static int create_enclave(struct engine *eng, struct eng_encl *ee)
{
	struct epc_stats before, after;
	struct epc_encl_stats es;
	int ret;

	pthread_mutex_lock(&eng->build_lock);
	epc_get_stats2(eng->epc, &before, sizeof(before));
	ret = build_enclave(eng, ee);
	epc_get_stats2(eng->epc, &after, sizeof(after));
	pthread_mutex_unlock(&eng->build_lock);
	pthread_mutex_lock(&eng->lock);
	eng->build_evicted += after.nr_evicted - before.nr_evicted;
	eng->build_reloaded += after.nr_reloaded - before.nr_reloaded;
	pthread_mutex_unlock(&eng->lock);
	if (!ret) {
		epc_encl_get_stats2(ee->encl, &es, sizeof(es));
		ee->build_evicted = es.nr_evicted;
		ee->build_reloaded = es.nr_reloaded;
		atomic_store(&ee->ready, 1); /* pairs with the loads in faults_now() and the
					      * threads */
	} else {
		atomic_store(&ee->ready, -1);
	}
	return ret;
}

static int build_enclave(struct engine *eng, struct eng_encl *ee)
{
	struct epc_task *t = eng->threads[ee->first_thread].task;
	int ret = epc_encl_create(t, ee->size, &ee->encl);

	if (ret) {
		eng_fail(eng, -EIO, "enclave %s: ECREATE failed: %s%s%s%s", ee->e->name,
			 strerror(-ret), ret == -ENOMEM ? " (its cgroup " : "",
			 ret == -ENOMEM ? ee->e->cgroup : "",
			 ret == -ENOMEM ? " cannot hold its SECS and first VA page)" : "");
		return ret;
	}
	uint64_t nr_eadd = ee->e->dynamic ? ee->static_pages : ee->nr_pages;

	if (ee->e->dynamic && nr_eadd < ee->nr_pages) {
		ret = epc_encl_declare_dynamic(ee->encl, nr_eadd * EPC_PAGE_SIZE,
					       (ee->nr_pages - nr_eadd) * EPC_PAGE_SIZE);
		if (ret == -EOWNERDEAD)
			return ret;
		if (ret) {
			eng_fail(eng, -EIO, "enclave %s: declaring its heap dynamic failed: %s",
				 ee->e->name, strerror(-ret));
			return ret;
		}
	}
	for (uint64_t i = 0; i < nr_eadd; i++) {
		ret = epc_encl_add_page2(t, ee->encl, i * EPC_PAGE_SIZE, NULL, EPC_SECINFO_REG_RWX);
		if (ret == -EOWNERDEAD)
			return ret; /* OOM-killed (memory.max): an outcome, not a failure */
		if (ret) {
			eng_fail(eng, -EIO,
				 "enclave %s: EADD of page %llu failed: %s (its cgroup %s cannot "
				 "%s)",
				 ee->e->name, (unsigned long long)i, strerror(-ret), ee->e->cgroup,
				 i == 0 && ret == -ENOMEM ? "hold SECS + VA + 1 page"
							  : "make room");
			return ret;
		}
		if (eng->s->run.mode == SIM_MODE_DETERMINISTIC &&
		    i % SIM_QUANTUM == SIM_QUANTUM - 1)
			epc_run_background(eng->epc);
	}
	ret = epc_encl_init(ee->encl);
	if (ret && ret != -EOWNERDEAD) {
		eng_fail(eng, -EIO, "enclave %s: EINIT failed: %s", ee->e->name, strerror(-ret));
		return ret;
	}
	return 0;
}

/*
 * An access to a dynamic enclave's page answered -EACCES: the page is
 * PENDING (EAUGed by this access or another's). EACCEPT it and make the
 * access again. The thread whose EACCEPT succeeds marks the page present.
 * Return: as epc_encl_access2().
 */
static int access_accept(struct eng_thread *th, uint64_t page, uint64_t *word, bool write)
{
	struct eng_encl *ee = th->ee;
	uint64_t off = page * EPC_PAGE_SIZE, result, i;
	int ret = -EACCES;

	for (int tries = 0; tries < EAUG_RETRIES && ret == -EACCES; tries++) {
		ret = epc_encl_accept(th->task, ee->encl, off, RW_PENDING, &result);
		if (ret)
			return ret;
		if (result == 0 && page >= ee->static_pages) {
			i = page - ee->static_pages;
			atomic_fetch_or(&ee->present[i / 64], 1ULL << (i % 64));
		}
		ret = epc_encl_access2(th->task, ee->encl, off, word, sizeof(*word),
				       write ? EPC_ACCESS_WRITE : EPC_ACCESS_READ);
	}
	return ret;
}

/*
 * @n accesses by @th; *@made says how many were made. Return: 0; -EOWNERDEAD
 * the library OOM-killed the enclave (not a failure: the caller ends its
 * threads); -errno (recorded).
 *
 * In deterministic mode an access to the page the thread's previous access
 * (in this call) touched is not made again: nothing ran in between, so the
 * page is still resident and marked accessed, and the access would change
 * nothing but the enclave's own access count (which no report reads). A
 * write after a read is made, since it stores the word. A trace's runs (most
 * of a real program's accesses) then cost one library call each.
 */
static int run_accesses(struct engine *eng, struct eng_thread *th, uint64_t n, uint64_t *made)
{
	struct epc_encl *encl = th->ee->encl;
	bool same_page_once = eng->s->run.mode == SIM_MODE_DETERMINISTIC;
	uint64_t word = 0, last = UINT64_MAX, i;
	bool last_write = false;
	int ret = 0;

	for (i = 0; i < n; i++) {
		uint64_t page;
		bool write;

		ret = sim_source_next(&th->src, &page, &write);
		if (ret) {
			eng_fail(eng, -EIO, "enclave %s: its trace failed: %s", th->ee->e->name,
				 strerror(-ret));
			break;
		}
		if (same_page_once && page == last && (last_write || !write)) {
			th->writes += write;
			continue;
		}
		last = page;
		last_write = write;
		word = page;
		ret = epc_encl_access2(th->task, encl, page * EPC_PAGE_SIZE, &word, sizeof(word),
				       write ? EPC_ACCESS_WRITE : EPC_ACCESS_READ);
		if (ret == -EACCES && th->ee->e->dynamic)
			ret = access_accept(th, page, &word, write);
		if (ret == -EOWNERDEAD)
			break;
		if (ret) {
			eng_fail(eng, -EIO,
				 "enclave %s thread %u: access to page %llu failed: %s%s",
				 th->ee->e->name, th->idx, (unsigned long long)page, strerror(-ret),
				 ret == -EFAULT ? " (the SIGBUS case: no EPC could be found)" : "");
			break;
		}
		th->writes += write;
	}
	th->done += i;
	th->remaining -= i;
	*made = i;
	return ret;
}

/* The library OOM-killed @ee (an access or EADD said -EOWNERDEAD) when the
 * machine had made @at accesses: the first thread to see it records it. */
static void enclave_killed(struct eng_encl *ee, uint64_t at)
{
	if (!atomic_exchange(&ee->killed, true))
		ee->killed_at = at;
}

/* ------------------------------------------------------------- timeline */

/* Called by the event thread only: it alone destroys enclaves. */
static uint64_t faults_now(struct engine *eng)
{
	uint64_t f = 0;

	for (int i = 0; i < eng->nr_encls; i++) {
		struct eng_encl *ee = &eng->encls[i];
		int ready = atomic_load(&ee->ready);

		if (ready == 1) {
			struct epc_encl_stats st;

			epc_encl_get_stats2(ee->encl, &st, sizeof(st));
			f += st.nr_faults;
		} else if (ready == 2) {
			f += ee->final.nr_faults;
		}
	}
	return f;
}

/* The EDMM cycles so far (EAUGs and trims of every enclave). Called by the
 * event thread only, as faults_now(). */
static uint64_t edmm_cycles_now(struct engine *eng)
{
	uint64_t aug = 0, trim = 0;

	for (int i = 0; eng->edmm && i < eng->nr_encls; i++) {
		struct eng_encl *ee = &eng->encls[i];
		int ready = atomic_load(&ee->ready);
		struct epc_encl_stats st = {0};

		if (ready == 1)
			epc_encl_get_stats2(ee->encl, &st, sizeof(st));
		else if (ready == 2)
			st = ee->final;
		aug += st.nr_augmented;
		trim += st.nr_trimmed;
	}
	return sim_cost_edmm_cycles(&eng->s->run.cost, aug, trim);
}

/* The modelled time once the machine made @accesses with @faults, builds
 * included (the timeline's first column). */
static double modelled_at(struct engine *eng, uint64_t accesses, uint64_t faults)
{
	struct epc_stats st;

	epc_get_stats2(eng->epc, &st, sizeof(st));
	return cycles_to_seconds(eng, sim_cost_cycles(&eng->s->run.cost, accesses, faults,
						      st.nr_evicted, st.nr_reloaded) +
					      edmm_cycles_now(eng));
}

static void timeline_header(struct engine *eng)
{
	FILE *f = eng->p->timeline;

	fprintf(f, "modelled_s,accesses");
	for (int i = 0; i < eng->s->nr_cgroups; i++)
		fprintf(f, ",cg:%s:current,cg:%s:max", eng->s->cgroups[i].path,
			eng->s->cgroups[i].path);
	for (int n = 0; n < eng->s->nr_nodes; n++) {
		struct epc_node_stats ns;

		if (!epc_node_get_stats(eng->epc, n, &ns, sizeof(ns)) && ns.has_epc)
			fprintf(f, ",node:%d:free", n);
	}
	fprintf(f, ",faults%s\n", eng->event_column ? ",event" : "");
}

/* A row; @events names what fired at this moment ("" or NULL: nothing). */
static void timeline_sample(struct engine *eng, uint64_t accesses, const char *events)
{
	FILE *f = eng->p->timeline;
	uint64_t faults = faults_now(eng);

	fprintf(f, "%.6f,%llu", modelled_at(eng, accesses, faults), (unsigned long long)accesses);
	for (int i = 0; i < eng->s->nr_cgroups; i++) {
		struct epc_cgroup_stats cs;

		epc_cgroup_get_stats(eng->cgs[i], &cs, sizeof(cs));
		fprintf(f, ",%llu,", (unsigned long long)cs.current);
		if (i && cs.max != UINT64_MAX)
			fprintf(f, "%llu", (unsigned long long)cs.max);
	}
	for (int n = 0; n < eng->s->nr_nodes; n++) {
		struct epc_node_stats ns;

		if (!epc_node_get_stats(eng->epc, n, &ns, sizeof(ns)) && ns.has_epc)
			fprintf(f, ",%llu", (unsigned long long)(ns.nr_free * EPC_PAGE_SIZE));
	}
	fprintf(f, ",%llu", (unsigned long long)(faults - eng->last_faults));
	if (eng->event_column)
		fprintf(f, ",%s", events ? events : "");
	fputc('\n', f);
	eng->last_faults = faults;
	eng->last_sample = accesses;
}

/* ------------------------------------------------------------- events */

/* Access events first, by count; then time events, by time; ties in the
 * scenario's order. */
static int cmp_event(const void *a, const void *b)
{
	const struct sim_event *x = ((const struct eng_event *)a)->ev,
			       *y = ((const struct eng_event *)b)->ev;

	if (x->clock != y->clock)
		return x->clock == SIM_AT_ACCESSES ? -1 : 1;
	if (x->clock == SIM_AT_ACCESSES && x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (x->clock == SIM_AT_SECONDS && x->at_seconds != y->at_seconds)
		return x->at_seconds < y->at_seconds ? -1 : 1;
	return (x > y) - (x < y);
}

static int setup_events(struct engine *eng)
{
	const struct sim_scenario *s = eng->s;
	size_t log_cap = (size_t)s->nr_events + (size_t)eng->nr_encls;

	eng->nr_events = s->nr_events;
	eng->events = calloc((size_t)s->nr_events + 1, sizeof(*eng->events));
	eng->log = calloc(log_cap + 1, sizeof(*eng->log));
	eng->label = malloc(log_cap * (SIM_NAME_MAX + sizeof(EVENT_KILL_PREFIX)) + 1);
	if (!eng->events || !eng->log || !eng->label)
		return -ENOMEM;
	for (int i = 0; i < s->nr_events; i++) {
		eng->events[i].ev = &s->events[i];
		eng->nr_access_events += s->events[i].clock == SIM_AT_ACCESSES;
	}
	qsort(eng->events, (size_t)s->nr_events, sizeof(*eng->events), cmp_event);
	eng->next_time = eng->nr_access_events;
	eng->event_column = s->nr_events > 0;
	for (int i = 0; i < s->nr_cgroups; i++)
		eng->event_column |= s->cgroups[i].memory_max != SIM_UNLIMITED;
	return 0;
}

static struct eng_event *next_access_event(struct engine *eng)
{
	return eng->next_access < eng->nr_access_events ? &eng->events[eng->next_access] : NULL;
}

static struct eng_event *next_time_event(struct engine *eng)
{
	return eng->next_time < eng->nr_events ? &eng->events[eng->next_time] : NULL;
}

/* The next event not fired: access events before time events. */
static struct eng_event *next_event(struct engine *eng)
{
	struct eng_event *x = next_access_event(eng);

	return x ? x : next_time_event(eng);
}

static void label_add(char *label, const char *prefix, const char *name)
{
	size_t n = strlen(label);

	sprintf(label + n, "%s%s%s", n ? " " : "", prefix, name); /* sized in setup_events() */
}

/* A stop event's end of @ee, by the event thread once none of its threads
 * runs: its counts kept, the enclave destroyed (every page uncharged). */
static void encl_destroy_stopped(struct eng_encl *ee)
{
	if (atomic_load(&ee->ready) != 1)
		return;
	epc_encl_get_stats2(ee->encl, &ee->final, sizeof(ee->final));
	epc_encl_destroy(ee->encl);
	ee->encl = NULL;
	atomic_store(&ee->ready, 2);
}

static void det_runnable_remove(struct engine *eng, struct eng_encl *ee);

/*
 * One EDMM call over [@offset, @offset + @len) of @ee, by @t, made again
 * from where it stopped while it says -EAGAIN or -EBUSY (the room for a
 * load back is being made: deterministic mode steps the background between
 * tries). @call is epc_encl_modify_types() to TRIM (@remove false) or
 * epc_encl_remove_pages(). Return: 0; -errno.
 */
static int trim_call(struct engine *eng, struct epc_task *t, struct eng_encl *ee, uint64_t offset,
		     uint64_t len, bool remove)
{
	struct timespec nap = {.tv_nsec = THREADS_START_POLL_NS};
	uint64_t done = 0;
	int ret = 0;

	for (int tries = 0; done < len && tries < EDMM_RETRIES; tries++) {
		if (remove) {
			struct epc_remove_pages r = {.offset = offset + done, .length = len - done};

			ret = epc_encl_remove_pages(t, ee->encl, &r, sizeof(r));
			done += r.count;
		} else {
			struct epc_modify_types m = {.offset = offset + done,
						     .length = len - done,
						     .page_type = EPC_PAGE_TYPE_TRIM};

			ret = epc_encl_modify_types(t, ee->encl, &m, sizeof(m));
			done += m.count;
		}
		if (ret != -EAGAIN && ret != -EBUSY)
			break;
		if (eng->s->run.mode == SIM_MODE_DETERMINISTIC)
			epc_run_background(eng->epc);
		else
			nanosleep(&nap, NULL);
	}
	return ret;
}

/* Trim pages [@first, @first + @n) of @ee, all present: EMODT, EACCEPT of
 * each, EREMOVE; then they are absent. Return: 0; -errno. */
static int trim_range(struct engine *eng, struct eng_encl *ee, uint64_t first, uint64_t n)
{
	struct epc_task *t = eng->threads[ee->first_thread].task;
	uint64_t result;
	int ret;

	ret = trim_call(eng, t, ee, first * EPC_PAGE_SIZE, n * EPC_PAGE_SIZE, false);
	for (uint64_t p = first; !ret && p < first + n; p++) {
		ret = epc_encl_accept(t, ee->encl, p * EPC_PAGE_SIZE, TRIM_ACCEPT, &result);
		if (!ret && result)
			ret = -EPROTO; /* the trim we just made is not pending: a bug */
	}
	if (!ret)
		ret = trim_call(eng, t, ee, first * EPC_PAGE_SIZE, n * EPC_PAGE_SIZE, true);
	for (uint64_t p = first; !ret && p < first + n; p++) {
		uint64_t i = p - ee->static_pages;

		atomic_fetch_and(&ee->present[i / 64], ~(1ULL << (i % 64)));
	}
	return ret;
}

/*
 * A trim event: up to @bytes of @ee's dynamic pages, the highest present
 * first, in runs of at most TRIM_CHUNK pages. No thread of @ee runs
 * meanwhile. *@trimmed counts the pages removed. Return: 0; -EOWNERDEAD
 * (OOM-killed meanwhile); -errno.
 */
static int encl_trim(struct engine *eng, struct eng_encl *ee, uint64_t bytes, uint64_t *trimmed)
{
	uint64_t want = bytes / EPC_PAGE_SIZE, p = ee->nr_pages;
	int ret = 0;

	*trimmed = 0;
	while (want && p > ee->static_pages) {
		uint64_t hi, i;

		i = --p - ee->static_pages;
		if (!(atomic_load(&ee->present[i / 64]) >> (i % 64) & 1))
			continue;
		hi = p; /* a run of present pages down from hi */
		while (hi - p + 1 < want && hi - p + 1 < TRIM_CHUNK && p > ee->static_pages) {
			i = p - 1 - ee->static_pages;
			if (!(atomic_load(&ee->present[i / 64]) >> (i % 64) & 1))
				break;
			p--;
		}
		if ((ret = trim_range(eng, ee, p, hi - p + 1)))
			break;
		*trimmed += hi - p + 1;
		want -= hi - p + 1;
	}
	return ret;
}

/* Fire a trim of @ee at the machine's @done accesses (its threads taken out
 * of their loop first in threads mode). Return: 0; -errno (recorded). */
static int event_trim(struct engine *eng, struct eng_encl *ee, uint64_t bytes, uint64_t done,
		      uint64_t *trimmed)
{
	int ret;

	*trimmed = 0;
	if (atomic_load(&ee->ready) != 1 || atomic_load(&ee->killed))
		return 0; /* not started, stopped or killed: nothing to trim */
	atomic_store(&ee->trimming, true);
	pthread_rwlock_wrlock(&ee->trim_lock);
	ret = encl_trim(eng, ee, bytes, trimmed);
	pthread_rwlock_unlock(&ee->trim_lock);
	atomic_store(&ee->trimming, false);
	if (ret == -EOWNERDEAD) {
		enclave_killed(ee, done);
		if (eng->s->run.mode == SIM_MODE_DETERMINISTIC)
			det_runnable_remove(eng, ee);
		return 0;
	}
	if (ret)
		eng_fail(eng, -EIO, "enclave %s: trimming its heap failed: %s", ee->e->name,
			 strerror(-ret));
	return ret;
}

/* Deterministic mode: the threads of @ee with accesses left may run. */
static void det_runnable_add(struct engine *eng, struct eng_encl *ee)
{
	for (unsigned k = 0; k < ee->e->threads; k++)
		if (eng->threads[ee->first_thread + (int)k].remaining)
			eng->runnable[eng->nr_runnable++] = ee->first_thread + (int)k;
}

/* Deterministic mode: the threads of @ee run no more. */
static void det_runnable_remove(struct engine *eng, struct eng_encl *ee)
{
	for (int i = 0; i < eng->nr_runnable;) {
		if (eng->threads[eng->runnable[i]].ee == ee)
			eng->runnable[i] = eng->runnable[--eng->nr_runnable];
		else
			i++;
	}
}

/* Deterministic mode: create @ee, at the machine's @done accesses, and let
 * its threads run. Return: 0 (an OOM kill while it is built included); -errno. */
static int det_start(struct engine *eng, struct eng_encl *ee, uint64_t done)
{
	int ret;

	if (ee->started)
		return 0;
	ee->started = true;
	ret = create_enclave(eng, ee);
	if (ret == -EOWNERDEAD) {
		enclave_killed(ee, done);
		return 0;
	}
	if (!ret)
		det_runnable_add(eng, ee);
	return ret;
}

/* Threads mode: let @ee's first thread go on (@go 1) or give up (-1). Its
 * threads are counted as active first, so that the sampling loop never
 * sees them neither waiting nor active. */
static void threads_release(struct engine *eng, struct eng_encl *ee, int go)
{
	atomic_fetch_add(&eng->active, (int)ee->e->threads);
	atomic_store(&ee->go, go);
}

static int event_start(struct engine *eng, struct eng_encl *ee, uint64_t done)
{
	if (ee->stopped)
		return 0; /* a stop came first: it never starts */
	if (eng->s->run.mode == SIM_MODE_DETERMINISTIC)
		return det_start(eng, ee, done);
	threads_release(eng, ee, 1);
	return 0;
}

static void event_stop(struct engine *eng, struct eng_encl *ee)
{
	struct timespec nap = {.tv_nsec = THREADS_START_POLL_NS};

	ee->stopped = true;
	if (eng->s->run.mode == SIM_MODE_DETERMINISTIC) {
		ee->started = true; /* if it had not: it never will */
		det_runnable_remove(eng, ee);
	} else {
		atomic_store(&ee->stopping, true);
		if (ee->e->start_event && atomic_load(&ee->go) == 0)
			threads_release(eng, ee, -1);
		/* its threads leave their loop within THREADS_FLUSH accesses */
		while (atomic_load(&ee->exited) < (int)ee->e->threads)
			nanosleep(&nap, NULL);
	}
	encl_destroy_stopped(ee);
}

/* Fire @x at the machine's @done accesses. Return: 0; -errno (recorded). */
static int event_fire(struct engine *eng, struct eng_event *x, uint64_t done)
{
	const struct sim_event *ev = x->ev;

	x->fired = true;
	eng->log[eng->nr_log++] = (struct sim_event_result){
		.event = ev,
		.fired = true,
		.accesses = done,
		.modelled_seconds = modelled_at(eng, done, faults_now(eng)),
	};
	label_add(eng->label, "", ev->name);
	switch (ev->action) {
	case SIM_EVENT_START:
		return event_start(eng, &eng->encls[ev->target], done);
	case SIM_EVENT_STOP:
		event_stop(eng, &eng->encls[ev->target]);
		return 0;
	case SIM_EVENT_TRIM:
		return event_trim(eng, &eng->encls[ev->target], ev->value, done,
				  &eng->log[eng->nr_log - 1].trimmed);
	default:
		return cgroup_set_limit(eng, ev->target, ev->action, ev->value);
	}
}

/* The OOM kills not yet in the log, at the machine's @done accesses. */
static void log_kills(struct engine *eng, uint64_t done)
{
	for (int i = 0; i < eng->nr_encls; i++) {
		struct eng_encl *ee = &eng->encls[i];

		if (ee->kill_logged || !atomic_load(&ee->killed))
			continue;
		ee->kill_logged = true;
		eng->log[eng->nr_log++] = (struct sim_event_result){
			.enclave = ee->e->name,
			.fired = true,
			.accesses = ee->killed_at,
			.modelled_seconds = modelled_at(eng, done, faults_now(eng)),
		};
		label_add(eng->label, EVENT_KILL_PREFIX, ee->e->name);
	}
}

/*
 * By the event thread, at the machine's @done accesses: fire every due
 * event (and @force, the next one, when the clock jumps), log the OOM kills
 * seen since the last call, and give the timeline a row naming them.
 * Return: 0; -errno (the run failed, recorded).
 */
static int events_check(struct engine *eng, uint64_t done, struct eng_event *force)
{
	int ret = 0;

	eng->label[0] = '\0';
	for (;;) {
		struct eng_event *x = next_access_event(eng);

		if (x && (x == force || x->ev->at <= done)) {
			eng->next_access++;
		} else if ((x = next_time_event(eng)) &&
			   (x == force ||
			    x->ev->at_seconds <= modelled_at(eng, done, faults_now(eng)))) {
			eng->next_time++;
		} else {
			break;
		}
		if ((ret = event_fire(eng, x, done)))
			break;
	}
	log_kills(eng, done);
	if (eng->label[0] && eng->p->timeline)
		timeline_sample(eng, done, eng->label);
	return ret;
}

/* ---------------------------------------------------- deterministic mode */

/* An enclave still to start by an event. */
static bool det_waits_event(const struct engine *eng)
{
	for (int i = 0; i < eng->nr_encls; i++)
		if (eng->encls[i].e->start_event && !eng->encls[i].started)
			return true;
	return false;
}

/*
 * Nothing runs: what the clock jumps to (engine.h). Return: 0 with *@force
 * the event to fire, or with an enclave started; 1 nothing waits (the run
 * is over); -errno.
 */
static int det_jump(struct engine *eng, uint64_t done, uint64_t next_start,
		    struct eng_event **force)
{
	struct eng_event *acc = next_access_event(eng);
	bool waits = det_waits_event(eng);

	if (acc && acc->ev->at <= next_start && (next_start != UINT64_MAX || waits)) {
		*force = acc;
		return 0;
	}
	if (next_start != UINT64_MAX) {
		for (int i = 0; i < eng->nr_encls; i++) /* the earliest, ties in order */
			if (!eng->encls[i].started && !eng->encls[i].e->start_event &&
			    eng->encls[i].e->start_delay == next_start)
				return det_start(eng, &eng->encls[i], done);
	}
	if (waits && (*force = next_time_event(eng)))
		return 0;
	return 1;
}

static int run_deterministic(struct engine *eng)
{
	uint64_t done = 0, next_progress = PROGRESS_EVERY;
	struct eng_event *force = NULL;
	struct sim_rng sched;
	int ret = 0;

	eng->runnable = malloc((size_t)eng->nr_threads * sizeof(int));
	if (!eng->runnable)
		return -ENOMEM;
	sim_rng_seed(&sched, eng->s->run.seed ^ 0x5ced5ced5ced5cedULL);
	for (;;) {
		uint64_t next_start = UINT64_MAX, q, made;
		struct eng_event *acc;
		struct eng_thread *th;
		int pick;

		if ((ret = events_check(eng, done, force)))
			return ret;
		force = NULL;
		/* start every enclave whose delay has passed */
		for (int i = 0; i < eng->nr_encls; i++) {
			struct eng_encl *ee = &eng->encls[i];

			if (ee->started || ee->e->start_event)
				continue;
			if (ee->e->start_delay > done) {
				if (ee->e->start_delay < next_start)
					next_start = ee->e->start_delay;
				continue;
			}
			if ((ret = det_start(eng, ee, done)))
				return ret;
		}
		if (eng->nr_runnable == 0) {
			ret = det_jump(eng, done, next_start, &force);
			if (ret < 0)
				return ret;
			if (ret)
				break;
			continue;
		}
		pick = (int)sim_rng_below(&sched, (uint64_t)eng->nr_runnable);
		th = &eng->threads[eng->runnable[pick]];
		/* cut at the next start and the next access event (both past @done) */
		q = th->remaining < SIM_QUANTUM ? th->remaining : SIM_QUANTUM;
		if (next_start != UINT64_MAX && next_start - done < q)
			q = next_start - done;
		acc = next_access_event(eng);
		if (acc && acc->ev->at - done < q)
			q = acc->ev->at - done;
		ret = run_accesses(eng, th, q, &made);
		done += made;
		if (ret == -EOWNERDEAD) {
			enclave_killed(th->ee, done);
			det_runnable_remove(eng, th->ee);
		} else if (ret) {
			return ret;
		} else if (!th->remaining) {
			eng->runnable[pick] = eng->runnable[--eng->nr_runnable];
		}
		epc_run_background(eng->epc);
		if (eng->p->timeline && done >= eng->next_sample) {
			timeline_sample(eng, done, NULL);
			while (eng->next_sample <= done)
				eng->next_sample += eng->interval;
		}
		if (eng->p->progress && done >= next_progress) {
			eng->p->progress(eng->p->progress_arg, done, eng->total_accesses);
			next_progress = done + PROGRESS_EVERY;
		}
	}
	if (eng->p->timeline && done != eng->last_sample)
		timeline_sample(eng, done, NULL);
	return 0;
}

/* ----------------------------------------------------------- threads mode */

/* The first thread's wait for its enclave's start. Return: true to build it. */
static bool threads_wait_start(struct engine *eng, struct eng_encl *ee)
{
	struct timespec nap = {.tv_nsec = THREADS_START_POLL_NS};

	if (ee->e->start_event) {
		while (!atomic_load(&eng->stop) && atomic_load(&ee->go) == 0)
			nanosleep(&nap, NULL);
		return atomic_load(&ee->go) == 1 && !atomic_load(&ee->stopping);
	}
	if (ee->e->start_delay) {
		while (!atomic_load(&eng->stop) && !atomic_load(&ee->stopping) &&
		       atomic_load(&eng->done) < ee->e->start_delay &&
		       atomic_load(&eng->active) > 0)
			nanosleep(&nap, NULL);
		atomic_fetch_add(&eng->active, (int)ee->e->threads);
	}
	return !atomic_load(&ee->stopping);
}

static void *thread_main(void *arg)
{
	struct eng_thread *th = arg;
	struct engine *eng = th->eng;
	struct eng_encl *ee = th->ee;
	struct timespec nap = {.tv_nsec = THREADS_START_POLL_NS};

	if (th->idx == 0) {
		int ret = -ECANCELED;

		if (threads_wait_start(eng, ee) && !atomic_load(&eng->stop))
			ret = create_enclave(eng, ee);
		if (ret == -EOWNERDEAD)
			enclave_killed(ee, atomic_load(&eng->done));
		if (ret)
			atomic_store(&ee->ready, -1);
	} else {
		while (atomic_load(&ee->ready) == 0)
			nanosleep(&nap, NULL);
	}
	while (atomic_load(&ee->ready) == 1 && th->remaining && !atomic_load(&eng->stop) &&
	       !atomic_load(&ee->stopping)) {
		uint64_t q = th->remaining < THREADS_FLUSH ? th->remaining : THREADS_FLUSH, made;
		int ret;

		if (ee->e->dynamic) { /* a trim takes the enclave's threads out */
			while (atomic_load(&ee->trimming))
				nanosleep(&nap, NULL);
			pthread_rwlock_rdlock(&ee->trim_lock);
		}
		ret = run_accesses(eng, th, q, &made);
		if (ee->e->dynamic)
			pthread_rwlock_unlock(&ee->trim_lock);

		atomic_fetch_add(&eng->done, made);
		if (ret == -EOWNERDEAD)
			enclave_killed(ee, atomic_load(&eng->done));
		if (ret)
			break;
	}
	atomic_fetch_add(&ee->exited, 1);
	atomic_fetch_sub(&eng->active, 1);
	return NULL;
}

/* Nothing runs and an enclave waits for its start event: the next event,
 * which the clock jumps to; or NULL. */
static struct eng_event *threads_jump(struct engine *eng)
{
	if (atomic_load(&eng->active) > 0)
		return NULL;
	for (int i = 0; i < eng->nr_encls; i++) {
		struct eng_encl *ee = &eng->encls[i];

		if (ee->e->start_event && !ee->stopped && atomic_load(&ee->go) == 0)
			return next_event(eng);
	}
	return NULL;
}

static int run_threads(struct engine *eng)
{
	/* with events to fire, poll more often (progress still every THREADS_POLL_NS) */
	long poll_ns = eng->nr_events ? THREADS_EVENT_POLL_NS : THREADS_POLL_NS;
	struct timespec poll = {.tv_nsec = poll_ns};
	int nr_started = 0, ret = 0;

	for (int i = 0; i < eng->nr_encls; i++)
		if (!eng->encls[i].e->start_delay && !eng->encls[i].e->start_event)
			atomic_fetch_add(&eng->active, (int)eng->encls[i].e->threads);
	for (; nr_started < eng->nr_threads; nr_started++) {
		ret = pthread_create(&eng->threads[nr_started].tid, NULL, thread_main,
				     &eng->threads[nr_started]);
		if (ret) {
			eng_fail(eng, -EIO, "cannot start a thread: %s", strerror(ret));
			break;
		}
	}
	for (long polls = 0;; polls++) {
		uint64_t done = atomic_load(&eng->done);
		bool all;

		if (!ret && events_check(eng, done, threads_jump(eng)))
			atomic_store(&eng->stop, true); /* eng_fail() said why */
		all = atomic_load(&eng->active) <= 0;
		if (all) { /* every started thread is done; delayed ones may still start */
			for (int i = 0; i < eng->nr_encls; i++)
				if (atomic_load(&eng->encls[i].ready) == 0)
					all = false;
		}
		if (eng->p->timeline && done >= eng->next_sample && !all) {
			timeline_sample(eng, done, NULL);
			while (eng->next_sample <= done)
				eng->next_sample += eng->interval;
		}
		if (eng->p->progress && polls % (THREADS_POLL_NS / poll_ns) == 0)
			eng->p->progress(eng->p->progress_arg, done, eng->total_accesses);
		/* The threads may have finished after @done was read: what became
		 * due since fires now, at the final count (an event the run reached
		 * is never skipped); one that starts an enclave keeps the run going. */
		if (all && !ret && !atomic_load(&eng->stop) && atomic_load(&eng->done) != done &&
		    events_check(eng, atomic_load(&eng->done), threads_jump(eng)))
			atomic_store(&eng->stop, true);
		if (all && atomic_load(&eng->active) > 0)
			all = false;
		if (all || atomic_load(&eng->stop))
			break;
		nanosleep(&poll, NULL);
	}
	for (int i = 0; i < nr_started; i++)
		pthread_join(eng->threads[i].tid, NULL);
	eng->label[0] = '\0';
	log_kills(eng, atomic_load(&eng->done));
	if (eng->p->timeline)
		timeline_sample(eng, atomic_load(&eng->done), eng->label);
	return eng->failed ? eng->failed : ret;
}

/* ------------------------------------------------------------- results */

/* The log, then the events that did not fire, in the order they would have. */
static int collect_events(struct engine *eng, struct sim_result *r)
{
	r->events = calloc((size_t)(eng->nr_log + eng->nr_events) + 1, sizeof(*r->events));
	if (!r->events)
		return -ENOMEM;
	memcpy(r->events, eng->log, (size_t)eng->nr_log * sizeof(*r->events));
	r->nr_events = eng->nr_log;
	for (int i = 0; i < eng->nr_events; i++)
		if (!eng->events[i].fired)
			r->events[r->nr_events++] =
				(struct sim_event_result){.event = eng->events[i].ev};
	return 0;
}

/* The scenario index of @cg, one of the run's cgroups, or -1. */
static int cg_index(const struct engine *eng, const struct epc_cgroup *cg)
{
	for (int i = 0; i < eng->s->nr_cgroups; i++)
		if (eng->cgs[i] == cg)
			return i;
	return -1;
}

/*
 * Add each cgroup's own counts of pages (evicted, reloaded, EDMM) into its
 * ancestors', as the library's current and peak are: the parents are the
 * library's (its snapshot), children after their parents in the scenario.
 * Return: 0; -ENOMEM.
 */
static int subtree_sums(struct engine *eng, struct sim_result *r)
{
	struct epc_snapshot *snap;
	int ret = epc_snapshot_take(eng->epc, &snap);

	if (ret)
		return ret;
	for (int i = r->nr_cgroups - 1; i > 0; i--) {
		int j = -1;

		for (size_t k = 0; k < snap->nr_cgroups && j < 0; k++) {
			const struct epc_snapshot_cgroup *c = EPC_SNAPSHOT_CGROUP(snap, k);

			if (c->cg == eng->cgs[i] && c->parent >= 0)
				j = cg_index(eng, EPC_SNAPSHOT_CGROUP(snap, c->parent)->cg);
		}
		if (j < 0)
			continue;
		r->cgroups[j].evicted += r->cgroups[i].evicted;
		r->cgroups[j].reloaded += r->cgroups[i].reloaded;
		r->cgroups[j].augmented += r->cgroups[i].augmented;
		r->cgroups[j].trimmed += r->cgroups[i].trimmed;
		r->cgroups[j].removed += r->cgroups[i].removed;
	}
	epc_snapshot_free(snap);
	return 0;
}

static int collect(struct engine *eng, struct sim_result **out)
{
	const struct sim_scenario *s = eng->s;
	struct sim_result *r = calloc(1, sizeof(*r));
	struct epc_stats st;

	if (!r)
		return -ENOMEM;
	r->seed = s->run.seed;
	r->mode = s->run.mode;
	r->nr_nodes = s->nr_nodes;
	r->nr_cgroups = s->nr_cgroups;
	r->nr_enclaves = eng->nr_encls;
	r->nodes = calloc((size_t)r->nr_nodes, sizeof(*r->nodes));
	r->cgroups = calloc((size_t)r->nr_cgroups, sizeof(*r->cgroups));
	r->enclaves = calloc((size_t)r->nr_enclaves, sizeof(*r->enclaves));
	if (!r->nodes || !r->cgroups || !r->enclaves) {
		sim_result_free(r);
		return -ENOMEM;
	}
	for (int n = 0; n < r->nr_nodes; n++) {
		struct epc_node_stats ns;

		epc_node_get_stats(eng->epc, n, &ns, sizeof(ns));
		r->nodes[n] = (struct sim_node_result){.has_epc = ns.has_epc,
						       .total = ns.nr_total,
						       .free = ns.nr_free,
						       .alloc_local = ns.nr_alloc_local,
						       .alloc_remote = ns.nr_alloc_remote,
						       .alloc_away = ns.nr_alloc_away};
		r->epc_bytes += ns.nr_total * EPC_PAGE_SIZE;
	}
	for (int i = 0; i < r->nr_cgroups; i++) {
		struct epc_cgroup_stats cs;

		epc_cgroup_get_stats(eng->cgs[i], &cs, sizeof(cs));
		r->cgroups[i] = (struct sim_cgroup_result){
			.path = s->cgroups[i].path,
			.max = i ? cs.max : SIM_UNLIMITED,
			.current = cs.current,
			.peak = cs.peak,
			.events = cs.events,
			.evicted = cs.nr_evicted,
			.reloaded = cs.nr_reloaded,
			.reclaim_sync = cs.nr_reclaim_sync,
			.reclaim_async = cs.nr_reclaim_async,
			.work_queued = cs.nr_work_queued,
			.work_run = cs.nr_work_run,
			.augmented = cs.nr_augmented,
			.trimmed = cs.nr_trimmed,
			.removed = cs.nr_removed,
		};
		if (i) {
			r->reclaim.cgroup_rounds_sync += cs.nr_reclaim_sync;
			r->reclaim.cgroup_rounds_async += cs.nr_reclaim_async;
			r->reclaim.cgroup_work_queued += cs.nr_work_queued;
			r->reclaim.cgroup_work_run += cs.nr_work_run;
		}
	}
	/* evicted and reloaded of the subtree, as current and peak are */
	if (subtree_sums(eng, r)) {
		sim_result_free(r);
		return -ENOMEM;
	}
	for (int i = 0; i < eng->nr_encls; i++) {
		struct eng_encl *ee = &eng->encls[i];
		struct sim_enclave_result *er = &r->enclaves[i];
		struct epc_encl_stats es = {0};

		if (atomic_load(&ee->ready) == 2)
			es = ee->final;
		else if (ee->encl)
			epc_encl_get_stats2(ee->encl, &es, sizeof(es));
		er->name = ee->e->name;
		er->stopped = ee->stopped;
		er->killed = atomic_load(&ee->killed);
		er->cgroup = ee->e->cgroup;
		er->size = ee->size;
		er->threads = ee->e->threads;
		for (unsigned k = 0; k < ee->e->threads; k++) {
			er->accesses += eng->threads[ee->first_thread + (int)k].done;
			er->writes += eng->threads[ee->first_thread + (int)k].writes;
		}
		er->faults = es.nr_faults;
		er->evicted = es.nr_evicted;
		er->reloaded = es.nr_reloaded;
		er->fault_rate = er->accesses ? (double)er->faults / (double)er->accesses : 0;
		er->dynamic = ee->e->dynamic;
		er->augmented = es.nr_augmented;
		er->trimmed = es.nr_trimmed;
		er->removed = es.nr_removed;
		er->cycles = sim_cost_cycles(&s->run.cost, er->accesses, er->faults,
					     er->evicted - ee->build_evicted,
					     er->reloaded - ee->build_reloaded) +
			     sim_cost_edmm_cycles(&s->run.cost, er->augmented, er->trimmed);
		r->accesses += er->accesses;
		r->faults += er->faults;
		r->augmented += er->augmented;
		r->trimmed += er->trimmed;
		r->removed += er->removed;
	}
	epc_get_stats2(eng->epc, &st, sizeof(st));
	r->reclaim.ksgxd_wakeups = st.nr_ksgxd_wakeups;
	r->reclaim.ksgxd_runs = st.nr_ksgxd_runs;
	r->reclaim.ksgxd_batches = st.nr_ksgxd_batches;
	r->reclaim.reclaimed_ksgxd = st.nr_reclaimed_ksgxd;
	r->reclaim.reclaimed_direct = st.nr_reclaimed_direct;
	r->reclaim.reclaimed_cgroup = st.nr_reclaimed_cgroup;
	r->reclaim.evicted = st.nr_evicted;
	r->reclaim.reloaded = st.nr_reloaded;
	r->reclaim.alloc_failed = st.nr_alloc_failed;
	r->reclaim.build_evicted = eng->build_evicted;
	r->reclaim.build_reloaded = eng->build_reloaded;
	r->nr_cpus_used = eng->nr_cpus_used;
	r->edmm = eng->edmm;
	r->numa_reclaim = s->run.numa_reclaim;
	r->cycles = sim_cost_cycles(&s->run.cost, r->accesses, r->faults,
				    st.nr_evicted - eng->build_evicted,
				    st.nr_reloaded - eng->build_reloaded) +
		    sim_cost_edmm_cycles(&s->run.cost, r->augmented, r->trimmed);
	r->build_cycles =
		sim_cost_cycles(&s->run.cost, 0, 0, eng->build_evicted, eng->build_reloaded);
	r->baseline_cycles = sim_cost_cycles(&s->run.cost, r->accesses, 0, 0, 0);
	r->modelled_seconds = cycles_to_seconds(eng, r->cycles);
	r->build_seconds = cycles_to_seconds(eng, r->build_cycles);
	r->baseline_seconds = cycles_to_seconds(eng, r->baseline_cycles);
	r->slowdown = r->baseline_cycles ? (double)r->cycles / (double)r->baseline_cycles : 1.0;
	r->log_lines = eng->log_lines;
	if (collect_events(eng, r)) {
		sim_result_free(r);
		return -ENOMEM;
	}
	*out = r;
	return 0;
}

void sim_result_free(struct sim_result *r)
{
	if (!r)
		return;
	free(r->nodes);
	free(r->cgroups);
	free(r->enclaves);
	free(r->events);
	free(r);
}

static void teardown(struct engine *eng)
{
	for (int i = 0; i < eng->nr_encls; i++) {
		if (eng->encls[i].encl)
			epc_encl_destroy(eng->encls[i].encl);
		sim_zipf_free(&eng->encls[i].zipf);
		free(eng->encls[i].present);
		pthread_rwlock_destroy(&eng->encls[i].trim_lock);
	}
	for (int t = 0; t < eng->nr_threads; t++) {
		sim_source_fini(&eng->threads[t].src);
		if (eng->threads[t].task)
			epc_task_destroy(eng->threads[t].task);
	}
	epc_destroy(eng->epc);
	free(eng->threads);
	free(eng->encls);
	free(eng->cgs);
	free(eng->events);
	free(eng->log);
	free(eng->label);
	free(eng->runnable);
	pthread_mutex_destroy(&eng->lock);
	pthread_mutex_destroy(&eng->build_lock);
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int sim_run(const struct sim_run_params *p, struct sim_result **out, char *err, size_t errlen)
{
	struct engine eng = {.p = p, .s = p->scenario, .err = err, .errlen = errlen};
	double t0 = now_seconds();
	int ret;

	if (errlen)
		err[0] = '\0';
	pthread_mutex_init(&eng.lock, NULL);
	pthread_mutex_init(&eng.build_lock, NULL);
	ret = setup_machine(&eng);
	if (!ret)
		ret = setup_enclaves(&eng);
	if (!ret)
		ret = setup_events(&eng);
	if (!ret && p->timeline) {
		eng.interval = p->timeline_interval ? p->timeline_interval
						    : eng.total_accesses / SIM_TIMELINE_POINTS;
		if (!eng.interval)
			eng.interval = 1;
		eng.next_sample = eng.interval;
		timeline_header(&eng);
		timeline_sample(&eng, 0, NULL);
	}
	if (!ret)
		ret = eng.s->run.mode == SIM_MODE_DETERMINISTIC ? run_deterministic(&eng)
								: run_threads(&eng);
	if (!ret && eng.failed)
		ret = eng.failed;
	if (!ret && p->progress)
		p->progress(p->progress_arg, eng.total_accesses, eng.total_accesses);
	if (!ret)
		ret = collect(&eng, out);
	if (!ret)
		(*out)->wall_seconds = now_seconds() - t0;
	if (ret && eng.failed)
		ret = eng.failed;
	else if (ret && ret != -ENOMEM && !err[0])
		snprintf(err, errlen, "the run failed: %s", strerror(-ret));
	teardown(&eng);
	return ret;
}
