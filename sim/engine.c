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

#define THREADS_FLUSH	      256	/* threads mode: accesses between updates of the total */
#define THREADS_POLL_NS	      20000000L /* threads mode: the main thread's sampling period */
#define THREADS_START_POLL_NS 200000L	/* a delayed enclave's wait for its start */
#define PROGRESS_EVERY	      (1u << 16)

struct eng_encl {
	const struct sim_enclave *e;
	int index;
	uint64_t size, nr_pages, accesses;
	struct epc_cgroup *cg;
	struct epc_encl *encl;
	struct sim_zipf zipf;
	uint64_t build_evicted, build_reloaded; /* its own pages', by the end of its build */
	int first_thread;
	atomic_int ready; /* threads mode: 1 created, -1 creation failed */
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
	/* timeline */
	uint64_t interval, next_sample, last_faults, last_sample;
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

static double cycles_to_seconds(const struct engine *eng, uint64_t cycles)
{
	return (double)cycles / (eng->s->run.cost.clock_ghz * 1e9 * eng->nr_cpus_used);
}

/* ------------------------------------------------------------- set-up */

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
		char text[64];

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
		if (max == SIM_UNLIMITED)
			snprintf(text, sizeof(text), "sgx_epc max");
		else
			snprintf(text, sizeof(text), "sgx_epc %llu", (unsigned long long)max);
		ret = epc_cgroup_write(eng->cgs[i], "misc.max", text);
		if (ret) {
			eng_fail(eng, -EIO, "cgroup %s: misc.max refused '%s': %s", c->path, text,
				 strerror(-ret));
			return ret;
		}
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
	epc_get_stats(eng->epc, &before);
	ret = build_enclave(eng, ee);
	epc_get_stats(eng->epc, &after);
	pthread_mutex_unlock(&eng->build_lock);
	pthread_mutex_lock(&eng->lock);
	eng->build_evicted += after.nr_evicted - before.nr_evicted;
	eng->build_reloaded += after.nr_reloaded - before.nr_reloaded;
	pthread_mutex_unlock(&eng->lock);
	if (!ret) {
		epc_encl_get_stats(ee->encl, &es);
		ee->build_evicted = es.nr_evicted;
		ee->build_reloaded = es.nr_reloaded;
		atomic_store(&ee->ready, 1); /* pairs with the loads in faults_now() and the
					      * threads */
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
	for (uint64_t i = 0; i < ee->nr_pages; i++) {
		ret = epc_encl_add_page(t, ee->encl, i * EPC_PAGE_SIZE, NULL);
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
	if (ret) {
		eng_fail(eng, -EIO, "enclave %s: EINIT failed: %s", ee->e->name, strerror(-ret));
		return ret;
	}
	return 0;
}

/*
 * @n accesses by @th. Return: 0; -errno (recorded).
 *
 * In deterministic mode an access to the page the thread's previous access
 * (in this call) touched is not made again: nothing ran in between, so the
 * page is still resident and marked accessed, and the access would change
 * nothing but the enclave's own access count (which no report reads). A
 * write after a read is made, since it stores the word. A trace's runs (most
 * of a real program's accesses) then cost one library call each.
 */
static int run_accesses(struct engine *eng, struct eng_thread *th, uint64_t n)
{
	struct epc_encl *encl = th->ee->encl;
	bool same_page_once = eng->s->run.mode == SIM_MODE_DETERMINISTIC;
	uint64_t word = 0, last = UINT64_MAX;
	bool last_write = false;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t page;
		bool write;
		int ret = sim_source_next(&th->src, &page, &write);

		if (ret) {
			eng_fail(eng, -EIO, "enclave %s: its trace failed: %s", th->ee->e->name,
				 strerror(-ret));
			return ret;
		}
		if (same_page_once && page == last && (last_write || !write)) {
			th->writes += write;
			continue;
		}
		last = page;
		last_write = write;
		word = page;
		ret = epc_encl_access(th->task, encl, page * EPC_PAGE_SIZE, &word, sizeof(word),
				      write);
		if (ret) {
			eng_fail(eng, -EIO,
				 "enclave %s thread %u: access to page %llu failed: %s%s",
				 th->ee->e->name, th->idx, (unsigned long long)page, strerror(-ret),
				 ret == -EFAULT ? " (the SIGBUS case: no EPC could be found)" : "");
			return ret;
		}
		th->writes += write;
	}
	th->done += n;
	th->remaining -= n;
	return 0;
}

/* ------------------------------------------------------------- timeline */

static uint64_t faults_now(struct engine *eng)
{
	uint64_t f = 0;

	for (int i = 0; i < eng->nr_encls; i++)
		if (atomic_load(&eng->encls[i].ready) == 1) {
			struct epc_encl_stats st;

			epc_encl_get_stats(eng->encls[i].encl, &st);
			f += st.nr_faults;
		}
	return f;
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

		if (!epc_get_node_stats(eng->epc, n, &ns) && ns.has_epc)
			fprintf(f, ",node:%d:free", n);
	}
	fprintf(f, ",faults\n");
}

static void timeline_sample(struct engine *eng, uint64_t accesses)
{
	FILE *f = eng->p->timeline;
	struct epc_stats st;
	uint64_t faults = faults_now(eng);

	epc_get_stats(eng->epc, &st);
	fprintf(f, "%.6f,%llu",
		cycles_to_seconds(eng, sim_cost_cycles(&eng->s->run.cost, accesses, faults,
						       st.nr_evicted, st.nr_reloaded)),
		(unsigned long long)accesses);
	for (int i = 0; i < eng->s->nr_cgroups; i++) {
		struct epc_cgroup_stats cs;

		epc_cgroup_get_stats(eng->cgs[i], &cs, sizeof(cs));
		fprintf(f, ",%llu,", (unsigned long long)cs.current);
		if (i && cs.max != UINT64_MAX)
			fprintf(f, "%llu", (unsigned long long)cs.max);
	}
	for (int n = 0; n < eng->s->nr_nodes; n++) {
		struct epc_node_stats ns;

		if (!epc_get_node_stats(eng->epc, n, &ns) && ns.has_epc)
			fprintf(f, ",%llu", (unsigned long long)(ns.nr_free * EPC_PAGE_SIZE));
	}
	fprintf(f, ",%llu\n", (unsigned long long)(faults - eng->last_faults));
	eng->last_faults = faults;
	eng->last_sample = accesses;
}

/* ---------------------------------------------------- deterministic mode */

static int run_deterministic(struct engine *eng)
{
	uint64_t done = 0, next_progress = PROGRESS_EVERY;
	int *runnable = malloc((size_t)eng->nr_threads * sizeof(int)), nr_runnable = 0;
	bool *started = calloc((size_t)eng->nr_encls, sizeof(bool));
	int nr_started = 0, ret = 0;
	struct sim_rng sched;

	if (!runnable || !started) {
		ret = -ENOMEM;
		goto out;
	}
	sim_rng_seed(&sched, eng->s->run.seed ^ 0x5ced5ced5ced5cedULL);
	for (;;) {
		uint64_t next_start = UINT64_MAX, q;
		int pick;

		/* start every enclave whose delay has passed; with nothing left to run,
		 * the next one in line at once */
		for (int i = 0; i < eng->nr_encls; i++) {
			struct eng_encl *ee = &eng->encls[i];

			if (started[i])
				continue;
			if (ee->e->start_delay > done) {
				if (ee->e->start_delay < next_start)
					next_start = ee->e->start_delay;
				continue;
			}
			started[i] = true;
			nr_started++;
			if ((ret = create_enclave(eng, ee)))
				goto out;
			for (unsigned k = 0; k < ee->e->threads; k++)
				if (eng->threads[ee->first_thread + (int)k].remaining)
					runnable[nr_runnable++] = ee->first_thread + (int)k;
		}
		if (nr_runnable == 0) {
			if (nr_started == eng->nr_encls)
				break;
			for (int i = 0; i < eng->nr_encls; i++) /* the earliest, ties in order */
				if (!started[i] && eng->encls[i].e->start_delay == next_start) {
					started[i] = true;
					nr_started++;
					if ((ret = create_enclave(eng, &eng->encls[i])))
						goto out;
					for (unsigned k = 0; k < eng->encls[i].e->threads; k++)
						if (eng->threads[eng->encls[i].first_thread +
								 (int)k]
							    .remaining)
							runnable[nr_runnable++] =
								eng->encls[i].first_thread + (int)k;
					break;
				}
			continue;
		}
		pick = (int)sim_rng_below(&sched, (uint64_t)nr_runnable);
		struct eng_thread *th = &eng->threads[runnable[pick]];

		q = th->remaining < SIM_QUANTUM ? th->remaining : SIM_QUANTUM;
		if (next_start != UINT64_MAX && next_start - done < q)
			q = next_start - done;
		if ((ret = run_accesses(eng, th, q)))
			goto out;
		done += q;
		if (!th->remaining)
			runnable[pick] = runnable[--nr_runnable];
		epc_run_background(eng->epc);
		if (eng->p->timeline && done >= eng->next_sample) {
			timeline_sample(eng, done);
			while (eng->next_sample <= done)
				eng->next_sample += eng->interval;
		}
		if (eng->p->progress && done >= next_progress) {
			eng->p->progress(eng->p->progress_arg, done, eng->total_accesses);
			next_progress = done + PROGRESS_EVERY;
		}
	}
	if (eng->p->timeline && done != eng->last_sample)
		timeline_sample(eng, done);
out:
	free(runnable);
	free(started);
	return ret;
}

/* ----------------------------------------------------------- threads mode */

static void *thread_main(void *arg)
{
	struct eng_thread *th = arg;
	struct engine *eng = th->eng;
	struct eng_encl *ee = th->ee;
	struct timespec nap = {.tv_nsec = THREADS_START_POLL_NS};

	if (th->idx == 0) {
		if (ee->e->start_delay) {
			while (!atomic_load(&eng->stop) &&
			       atomic_load(&eng->done) < ee->e->start_delay &&
			       atomic_load(&eng->active) > 0)
				nanosleep(&nap, NULL);
			atomic_fetch_add(&eng->active, (int)ee->e->threads);
		}
		if (atomic_load(&eng->stop) || create_enclave(eng, ee))
			atomic_store(&ee->ready, -1);
	} else {
		while (atomic_load(&ee->ready) == 0)
			nanosleep(&nap, NULL);
	}
	while (atomic_load(&ee->ready) == 1 && th->remaining && !atomic_load(&eng->stop)) {
		uint64_t q = th->remaining < THREADS_FLUSH ? th->remaining : THREADS_FLUSH;

		if (run_accesses(eng, th, q))
			break;
		atomic_fetch_add(&eng->done, q);
	}
	atomic_fetch_sub(&eng->active, 1);
	return NULL;
}

static int run_threads(struct engine *eng)
{
	struct timespec poll = {.tv_nsec = THREADS_POLL_NS};
	int nr_started = 0, ret = 0;

	for (int i = 0; i < eng->nr_encls; i++)
		if (!eng->encls[i].e->start_delay)
			atomic_fetch_add(&eng->active, (int)eng->encls[i].e->threads);
	for (; nr_started < eng->nr_threads; nr_started++) {
		ret = pthread_create(&eng->threads[nr_started].tid, NULL, thread_main,
				     &eng->threads[nr_started]);
		if (ret) {
			eng_fail(eng, -EIO, "cannot start a thread: %s", strerror(ret));
			break;
		}
	}
	for (;;) {
		uint64_t done = atomic_load(&eng->done);
		bool all = atomic_load(&eng->active) <= 0;

		if (all) { /* every started thread is done; delayed ones may still start */
			all = true;
			for (int i = 0; i < eng->nr_encls; i++)
				if (atomic_load(&eng->encls[i].ready) == 0)
					all = false;
		}
		if (eng->p->timeline && done >= eng->next_sample && !all) {
			timeline_sample(eng, done);
			while (eng->next_sample <= done)
				eng->next_sample += eng->interval;
		}
		if (eng->p->progress)
			eng->p->progress(eng->p->progress_arg, done, eng->total_accesses);
		if (all || atomic_load(&eng->stop))
			break;
		nanosleep(&poll, NULL);
	}
	for (int i = 0; i < nr_started; i++)
		pthread_join(eng->threads[i].tid, NULL);
	if (eng->p->timeline)
		timeline_sample(eng, atomic_load(&eng->done));
	return eng->failed ? eng->failed : ret;
}

/* ------------------------------------------------------------- results */

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

		epc_get_node_stats(eng->epc, n, &ns);
		r->nodes[n] = (struct sim_node_result){.has_epc = ns.has_epc,
						       .total = ns.nr_total,
						       .free = ns.nr_free,
						       .alloc_local = ns.nr_alloc_local,
						       .alloc_remote = ns.nr_alloc_remote};
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
		};
		if (i) {
			r->reclaim.cgroup_rounds_sync += cs.nr_reclaim_sync;
			r->reclaim.cgroup_rounds_async += cs.nr_reclaim_async;
			r->reclaim.cgroup_work_queued += cs.nr_work_queued;
			r->reclaim.cgroup_work_run += cs.nr_work_run;
		}
	}
	/* evicted and reloaded of the subtree, as current and peak are */
	for (int i = r->nr_cgroups - 1; i > 0; i--) {
		const char *path = r->cgroups[i].path, *slash = strrchr(path, '/');
		size_t plen = (size_t)(slash - path);

		for (int j = i - 1; j >= 0; j--)
			if (strlen(r->cgroups[j].path) == (plen ? plen : 1) &&
			    !strncmp(r->cgroups[j].path, path, plen ? plen : 1)) {
				r->cgroups[j].evicted += r->cgroups[i].evicted;
				r->cgroups[j].reloaded += r->cgroups[i].reloaded;
				break;
			}
	}
	for (int i = 0; i < eng->nr_encls; i++) {
		struct eng_encl *ee = &eng->encls[i];
		struct sim_enclave_result *er = &r->enclaves[i];
		struct epc_encl_stats es = {0};

		if (ee->encl)
			epc_encl_get_stats(ee->encl, &es);
		er->name = ee->e->name;
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
		er->cycles = sim_cost_cycles(&s->run.cost, er->accesses, er->faults,
					     er->evicted - ee->build_evicted,
					     er->reloaded - ee->build_reloaded);
		r->accesses += er->accesses;
		r->faults += er->faults;
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
	r->cycles = sim_cost_cycles(&s->run.cost, r->accesses, r->faults,
				    st.nr_evicted - eng->build_evicted,
				    st.nr_reloaded - eng->build_reloaded);
	r->build_cycles =
		sim_cost_cycles(&s->run.cost, 0, 0, eng->build_evicted, eng->build_reloaded);
	r->baseline_cycles = sim_cost_cycles(&s->run.cost, r->accesses, 0, 0, 0);
	r->modelled_seconds = cycles_to_seconds(eng, r->cycles);
	r->build_seconds = cycles_to_seconds(eng, r->build_cycles);
	r->baseline_seconds = cycles_to_seconds(eng, r->baseline_cycles);
	r->slowdown = r->baseline_cycles ? (double)r->cycles / (double)r->baseline_cycles : 1.0;
	r->log_lines = eng->log_lines;
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
	free(r);
}

static void teardown(struct engine *eng)
{
	for (int i = 0; i < eng->nr_encls; i++) {
		if (eng->encls[i].encl)
			epc_encl_destroy(eng->encls[i].encl);
		sim_zipf_free(&eng->encls[i].zipf);
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
	if (!ret && p->timeline) {
		eng.interval = p->timeline_interval ? p->timeline_interval
						    : eng.total_accesses / SIM_TIMELINE_POINTS;
		if (!eng.interval)
			eng.interval = 1;
		eng.next_sample = eng.interval;
		timeline_header(&eng);
		timeline_sample(&eng, 0);
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
