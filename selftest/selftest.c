// SPDX-License-Identifier: MIT
/*
 * selftest.c - the kernel's EPC cgroup selftest scenarios, in one process
 * (selftest.h). Only the public API (epcmm.h) is used.
 */
#include "selftest.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "epcmm.h"

/* Pages of a run's enclave besides its heap (the test enclave's code). */
#define CODE_PAGES 4
/* The most runs a case starts at once (the script's 8). */
#define MAX_RUNS 8
/* How long the leak check waits for the last charge (the script: 2 s). */
#define LEAK_WAIT_MS 2000

struct st {
	struct epc *epc;
	FILE *out;
	uint64_t capacity; /* bytes */
	uint64_t small;	   /* capacity / 512 bytes */
	uint64_t seed;
	bool no_contents; /* reads give zeros: the value cannot be checked */
	int nr_cpus;
	int case_no;
	struct selftest_result *res;
	struct epc_cgroup *top, *small_parent, *small_cg, *large, *larger;
};

enum outcome {
	RUN_PASS,
	RUN_FAIL,
	RUN_KILLED
};

/* One "process": test_sgx in a cgroup, with its own task and enclave. */
struct run {
	struct st *st;
	struct epc_task *t; /* made and destroyed by the main thread */
	uint64_t pages;
	_Atomic uint64_t added; /* progress, for the killer */
	_Atomic bool kill;	/* the SIGKILL */
	_Atomic bool done;
	pthread_barrier_t *end; /* a passed run keeps its enclave until all are done */
	enum outcome outcome;	/* the run's thread, read after the join */
	int err;
	const char *where;
};

static uint64_t rng(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ULL;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void diag(struct st *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void diag(struct st *st, const char *fmt, ...)
{
	va_list ap;

	fputs("# ", st->out);
	va_start(ap, fmt);
	vfprintf(st->out, fmt, ap);
	va_end(ap);
	fputc('\n', st->out);
	fflush(st->out);
}

static void report(struct st *st, bool ok, const char *name, const char *reason)
{
	st->case_no++;
	if (ok) {
		fprintf(st->out, "ok %d - %s\n", st->case_no, name);
		st->res->passed++;
	} else {
		fprintf(st->out, "not ok %d - %s # %s\n", st->case_no, name, reason);
		st->res->failed++;
	}
	fflush(st->out);
}

/* ------------------------------------------------------------- one run */

static enum outcome run_fail(struct run *r, int err, const char *where)
{
	if (atomic_load(&r->kill))
		return RUN_KILLED;
	r->err = err;
	r->where = where;
	return RUN_FAIL;
}

/* test_sgx -t unclobbered_vdso_oversubscribed, as far as the EPC sees it. */
static enum outcome run_body(struct run *r, struct epc_encl **ep)
{
	uint64_t value = 0x5eed0000ULL + r->pages, got = 0, heap = (r->pages / 2) * EPC_PAGE_SIZE;
	struct epc_encl *e = NULL;
	int ret;

	ret = epc_encl_create(r->t, r->pages * EPC_PAGE_SIZE, &e);
	if (ret)
		return run_fail(r, ret, "ECREATE");
	*ep = e;
	for (uint64_t i = 0; i < r->pages; i++) {
		if (atomic_load(&r->kill))
			return RUN_KILLED;
		ret = epc_encl_add_page(r->t, e, i * EPC_PAGE_SIZE, NULL);
		if (ret)
			return run_fail(r, ret, "EADD");
		atomic_fetch_add(&r->added, 1);
	}
	ret = epc_encl_init(e);
	if (ret)
		return run_fail(r, ret, "EINIT");
	/* ENCL_OP_PUT_TO_BUFFER / GET_FROM_BUFFER: through the heap */
	ret = epc_encl_access(r->t, e, heap, &value, sizeof(value), true);
	if (!ret)
		ret = epc_encl_access(r->t, e, heap, &got, sizeof(got), false);
	if (ret)
		return run_fail(r, ret, "access");
	if (got != value && !r->st->no_contents)
		return run_fail(r, -EIO, "the value read back");
	return atomic_load(&r->kill) ? RUN_KILLED : RUN_PASS;
}

static void *run_main(void *arg)
{
	struct run *r = arg;
	struct epc_encl *e = NULL;

	r->outcome = run_body(r, &e);
	/*
	 * A failed or killed process exits at once and its enclave goes with
	 * it. A passed one lives until the slowest of its case is done: on a
	 * machine with a CPU per run they all hold their enclaves at the same
	 * time, and on two CPUs a fast run must not give its pages back before
	 * a slow one has built up (the 5-run case counts on that).
	 */
	if (r->outcome != RUN_PASS) {
		epc_encl_destroy(e);
		e = NULL;
	}
	atomic_store(&r->done, true);
	pthread_barrier_wait(r->end);
	epc_encl_destroy(e);
	return NULL;
}

/*
 * Start @n runs in @cg at once, kill run @victim (-1: none) once it has
 * EADDed @kill_at pages, and wait for all. Return: 0; -errno (nothing ran).
 */
static int run_many(struct st *st, struct epc_cgroup *cg, int n, struct run *runs, int victim,
		    uint64_t kill_at)
{
	pthread_t th[MAX_RUNS];
	pthread_barrier_t end;
	int started = 0, ret = 0;

	for (int i = 0; i < n; i++)
		runs[i] = (struct run){
			.st = st, .pages = st->capacity / EPC_PAGE_SIZE + CODE_PAGES, .end = &end};
	for (int i = 0; i < n; i++) {
		ret = epc_task_create(st->epc, cg, i % st->nr_cpus, &runs[i].t);
		if (ret)
			goto out;
	}
	ret = -pthread_barrier_init(&end, NULL, (unsigned)n);
	if (ret)
		goto out;
	for (; started < n; started++) {
		ret = -pthread_create(&th[started], NULL, run_main, &runs[started]);
		if (ret) /* the barrier would wait for it forever: nothing can run */
			abort();
	}
	if (victim >= 0 && victim < started) {
		struct run *v = &runs[victim];
		struct timespec ts = {0, 100 * 1000};

		while (!atomic_load(&v->done) && atomic_load(&v->added) < kill_at)
			nanosleep(&ts, NULL);
		atomic_store(&v->kill, true);
		epc_task_set_signal(v->t, true);
	}
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&end);
out:
	for (int i = 0; i < n; i++)
		epc_task_destroy(runs[i].t);
	return ret;
}

static int count(const struct run *runs, int n, enum outcome o)
{
	int k = 0;

	for (int i = 0; i < n; i++)
		k += runs[i].outcome == o;
	return k;
}

static void diag_runs(struct st *st, const struct run *runs, int n)
{
	for (int i = 0; i < n; i++) {
		const struct run *r = &runs[i];

		if (r->outcome == RUN_FAIL)
			diag(st,
			     "run %d failed: %s returned %d (%s) after %" PRIu64 " of %" PRIu64
			     " EADDs",
			     i, r->where, r->err, strerror(-r->err), atomic_load(&r->added),
			     r->pages);
		else
			diag(st, "run %d %s", i, r->outcome == RUN_PASS ? "passed" : "was killed");
	}
}

/* ------------------------------------------------------------- cgroups */

static int write_epc_limit(struct epc_cgroup *cg, uint64_t bytes)
{
	char text[64];

	snprintf(text, sizeof(text), "sgx_epc %" PRIu64, bytes);
	return epc_cgroup_file_write(cg, EPC_CGF_MISC_MAX, text);
}

static int layout(struct st *st)
{
	int ret = epc_cgroup_create(st->epc, "/sgx_kselftest", &st->top);

	if (!ret)
		ret = epc_cgroup_create(st->epc, "/sgx_kselftest/sgx_test_small_parent",
					&st->small_parent);
	if (!ret)
		ret = epc_cgroup_create(st->epc,
					"/sgx_kselftest/sgx_test_small_parent/sgx_test_small",
					&st->small_cg);
	if (!ret)
		ret = epc_cgroup_create(st->epc, "/sgx_kselftest/sgx_test_large", &st->large);
	if (!ret)
		ret = epc_cgroup_create(st->epc, "/sgx_kselftest/sgx_test_larger", &st->larger);
	if (!ret)
		ret = write_epc_limit(st->small_parent, st->small);
	if (!ret)
		ret = write_epc_limit(st->large, 4 * st->small);
	if (!ret)
		ret = write_epc_limit(st->larger, st->capacity);
	return ret;
}

/* ---------------------------------------------------------------- cases */

static void case_small(struct st *st)
{
	struct run runs[1];
	int ret = run_many(st, st->small_cg, 1, runs, -1, 0);

	diag_runs(st, runs, ret ? 0 : 1);
	report(st, !ret && runs[0].outcome == RUN_FAIL,
	       "small: capacity/512 on the parent, a capacity-sized enclave in the child fails",
	       ret ? "the run could not be started" : "the run passed");
}

static void case_large(struct st *st, int n)
{
	struct run runs[MAX_RUNS];
	int ret = run_many(st, st->large, n, runs, -1, 0);
	bool four = n == 4;
	bool ok = !ret && (four ? count(runs, n, RUN_PASS) >= 1 : count(runs, n, RUN_FAIL) >= 1);

	diag_runs(st, runs, ret ? 0 : n);
	report(st, ok,
	       four ? "large: 4 x small, 4 concurrent runs: at least one passes"
		    : "large: 4 x small, 5 concurrent runs: at least one fails",
	       ret    ? "the runs could not be started"
	       : four ? "every run failed"
		      : "every run passed");
}

static void case_larger(struct st *st, bool kill)
{
	struct run runs[MAX_RUNS];
	uint64_t seed = st->seed, pages = st->capacity / EPC_PAGE_SIZE + CODE_PAGES;
	int victim = kill ? (int)(rng(&seed) % MAX_RUNS) : -1;
	uint64_t kill_at = kill ? 1 + rng(&seed) % (pages - 1) : 0;
	int ret, others;

	if (kill)
		diag(st,
		     "run %d is killed after %" PRIu64 " of its %" PRIu64 " EADDs (seed %" PRIu64
		     ")",
		     victim, kill_at, pages, st->seed);
	ret = run_many(st, st->larger, MAX_RUNS, runs, victim, kill_at);
	diag_runs(st, runs, ret ? 0 : MAX_RUNS);
	others = count(runs, MAX_RUNS, RUN_PASS) - (kill && runs[victim].outcome == RUN_PASS);
	report(st, !ret && others == MAX_RUNS - kill,
	       kill ? "larger: capacity, 8 concurrent runs, one killed at a random moment: the "
		      "others pass"
		    : "larger: capacity, 8 concurrent runs: all pass",
	       ret ? "the runs could not be started" : "a run failed");
}

static uint64_t oom_kills(struct epc_cgroup *cg)
{
	char buf[256], *p;

	if (epc_cgroup_file_read(cg, EPC_CGF_MEMORY_EVENTS, buf, sizeof(buf)) < 0)
		return 0;
	p = strstr(buf, "\noom_kill ");
	return p ? strtoull(p + 10, NULL, 10) : 0;
}

static void case_memcg(struct st *st)
{
	uint64_t large = 4 * st->small, before = oom_kills(st->large);
	struct run runs[4];
	char text[64];
	int ret;

	/* swapoff -a: there is no swap here at all */
	snprintf(text, sizeof(text), "%" PRIu64, st->capacity - 2 * large);
	ret = epc_cgroup_file_write(st->large, EPC_CGF_MEMORY_MAX, text);
	if (!ret)
		ret = run_many(st, st->large, 4, runs, -1, 0);
	if (!ret) {
		diag_runs(st, runs, 4);
		diag(st, "%" PRIu64 " runs OOM-killed", oom_kills(st->large) - before);
	}
	epc_cgroup_file_write(st->large, EPC_CGF_MEMORY_MAX, "max");
	report(st, !ret && count(runs, 4, RUN_FAIL) == 4,
	       "memcg: large, memory.max = capacity - 2 x large, 4 concurrent runs: all fail",
	       ret ? "the runs could not be started" : "a run passed");
}

static void case_leak(struct st *st)
{
	struct timespec ts = {0, 10 * 1000 * 1000};
	char misc[64] = "", mem[64] = "";
	struct epc_stats s;
	bool ok = false;

	for (int waited = 0; !ok && waited <= LEAK_WAIT_MS; waited += 10) {
		if (waited)
			nanosleep(&ts, NULL);
		epc_cgroup_file_read(st->top, EPC_CGF_MISC_CURRENT, misc, sizeof(misc));
		epc_cgroup_file_read(st->top, EPC_CGF_MEMORY_CURRENT, mem, sizeof(mem));
		epc_get_stats(st->epc, &s);
		ok = !strcmp(misc, "sgx_epc 0\n") && !strcmp(mem, "0\n") && s.nr_free == s.nr_total;
	}
	if (!ok)
		diag(st,
		     "misc.current %.*s, memory.current %.*s, %" PRIu64 " of %" PRIu64
		     " pages free",
		     (int)strcspn(misc, "\n"), misc, (int)strcspn(mem, "\n"), mem, s.nr_free,
		     s.nr_total);
	report(st, ok, "leak check: sgx_kselftest misc.current is sgx_epc 0, memory.current 0",
	       "usage left behind");
}

/* ------------------------------------------------------------ the machine */

static int make_machine(const struct selftest_config *cfg, struct st *st)
{
	struct epc_section_desc secs[EPC_MAX_SECTIONS];
	struct epc_config c = {0};
	int ret;

	if (!cfg->epc_sizes || cfg->nr_sections < 1 || cfg->nr_sections > EPC_MAX_SECTIONS) {
		fprintf(stderr, "selftest: %d EPC sections (must be 1..%d)\n", cfg->nr_sections,
			EPC_MAX_SECTIONS);
		return -EINVAL;
	}
	if (cfg->nr_nodes < 1 || cfg->nr_nodes > EPC_MAX_NODES) {
		fprintf(stderr, "selftest: %d nodes (must be 1..%d)\n", cfg->nr_nodes,
			EPC_MAX_NODES);
		return -EINVAL;
	}
	st->capacity = 0;
	for (int i = 0; i < cfg->nr_sections; i++) {
		if (!cfg->epc_sizes[i] || cfg->epc_sizes[i] % EPC_PAGE_SIZE) {
			fprintf(stderr,
				"selftest: section %d: %" PRIu64
				" bytes is not a non-zero multiple of %d\n",
				i, cfg->epc_sizes[i], EPC_PAGE_SIZE);
			return -EINVAL;
		}
		secs[i] = (struct epc_section_desc){.phys_addr = (uint64_t)(i + 1) << 40,
						    .size = cfg->epc_sizes[i],
						    .node = i % cfg->nr_nodes};
		st->capacity += cfg->epc_sizes[i];
	}
	if (st->capacity < 512 * EPC_PAGE_SIZE) {
		fprintf(stderr, "selftest: the EPC must have at least 512 pages (capacity/512 is "
				"the small limit)\n");
		return -EINVAL;
	}
	st->small = st->capacity / 512;
	st->nr_cpus = cfg->nr_nodes > MAX_RUNS ? cfg->nr_nodes : MAX_RUNS;
	c.nr_nodes = cfg->nr_nodes;
	c.nr_cpus = st->nr_cpus;
	c.sections = secs;
	c.nr_sections = cfg->nr_sections;
	c.background = EPC_BACKGROUND_THREADS;
	c.no_contents = cfg->no_contents;
	ret = epc_create2(&c, sizeof(c), &st->epc);
	if (ret)
		return ret;
	return epc_sanitize_wait(st->epc);
}

int selftest_run(const struct selftest_config *cfg, struct selftest_result *res)
{
	struct st st = {.out = cfg && cfg->out ? cfg->out : stdout, .res = res};
	int ret;

	if (!cfg || !res)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	st.seed = cfg->seed;
	st.no_contents = cfg->no_contents;
	ret = make_machine(cfg, &st);
	if (ret) {
		epc_destroy(st.epc);
		return ret;
	}
	fprintf(st.out, "1..%d\n", SELFTEST_NR_CASES);
	diag(&st,
	     "EPC %" PRIu64 " bytes in %d section(s) on %d node(s); small limit %" PRIu64
	     " bytes; seed %" PRIu64,
	     st.capacity, cfg->nr_sections, cfg->nr_nodes, st.small, st.seed);
	ret = layout(&st);
	report(&st, !ret,
	       "layout: sgx_kselftest/{sgx_test_small_parent/sgx_test_small, sgx_test_large, "
	       "sgx_test_larger}",
	       "a cgroup or a limit was refused");
	if (ret) {
		/* the script SKIPs here; every other case fails with it */
		for (int i = st.case_no; i < SELFTEST_NR_CASES; i++)
			report(&st, false, "not run", "no layout");
	} else {
		case_small(&st);
		case_large(&st, 4);
		case_large(&st, 5);
		case_larger(&st, false);
		case_larger(&st, true);
		case_memcg(&st);
		case_leak(&st);
	}
	fprintf(st.out, "%d passed, %d failed\n", res->passed, res->failed);
	fflush(st.out);
	epc_destroy(st.epc);
	return 0;
}
