// SPDX-License-Identifier: MIT
/*
 * bench_alloc.c - alloc+free pairs of the page allocator, side by side with
 * the rejected v3 design and with malloc(4096), plus the 1 TiB scale test
 * (DESIGN §8).
 *
 * Every figure is ns per alloc+free pair (one page allocated and at once
 * freed again, "pingpong"), per thread, and the aggregate throughput. The
 * machine is two virtual nodes with one 64 MiB section each, CPU 0 on node 0
 * and CPU 1 on node 1; thread i is pinned to CPU i and allocates as CPU i.
 *
 * Paths:
 *  - per-CPU cache (pcp_batch 32) and per-node (pcp_batch 0), each through the
 *    internal epc__mm_alloc()/epc__mm_free() (the allocator alone) and through
 *    the public epc_page_alloc()/epc_page_free() (adds charging to the root
 *    cgroup, EREMOVE, and finding the instance from the page);
 *  - v3: one global free list under one global lock (the design the kernel
 *    rejected), built here over the same page records, list and lock type;
 *  - malloc(4096)+free of glibc, jemalloc and tcmalloc: this program runs
 *    itself again as a child with LD_PRELOAD set (--malloc-child), the child
 *    checks which allocator it really got and reports one line;
 *  - a control: private arithmetic, no shared data (what two threads cost by
 *    themselves on this machine).
 * The library paths, v3 and the control are measured side by side (one run
 * of each per round), so their ratios are taken round by round. A separate,
 * instrumented v3 run counts how often its lock passes between the threads.
 *
 * Scale: epc_create2() of 2 x 512 GiB (metadata only, MANUAL), then
 * epc_sanitize_wait() timed on its own, metadata bytes per page and RSS.
 */
#include <dlfcn.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "bench.h"
#include "epc.h"

#define NODE_PAGES 16384u /* 64 MiB per node */
#define PCP_BATCH  32u
/* The scale test's largest EPC, GiB: the library's limit is 2^32 - 16 pages. */
#define MAX_SCALE_GIB 16382
/* Tunable: default length of one run, seconds (18 figures x 5 runs: ~40 s in all). */
#define RUN_SECONDS 0.4

static const char *const jemalloc_paths[] = {
	"/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", "/usr/lib64/libjemalloc.so.2",
	"/usr/lib/libjemalloc.so.2", "/usr/local/lib/libjemalloc.so.2", NULL};
static const char *const tcmalloc_paths[] = {
	"/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4", "/usr/lib64/libtcmalloc_minimal.so.4",
	"/usr/lib/libtcmalloc_minimal.so.4", "/usr/local/lib/libtcmalloc_minimal.so.4", NULL};

static _Atomic uint64_t nr_failed; /* allocations that failed inside a timed loop */

/* ------------------------------------------------------------ instances */

static void log_quiet(int level, const char *msg, void *arg)
{
	(void)arg;
	if (level <= LOG_ERR) /* errors still show */
		fprintf(stderr, "epcmm: %s\n", msg);
}

/* Two nodes, one section of @node_pages pages each, CPU i on node i. */
static struct epc *make_epc(unsigned pcp_batch, uint64_t node_pages, bool sanitize)
{
	static const int cpu_to_node[2] = {0, 1};
	struct epc_section_desc s[2] = {
		{.phys_addr = 1ull << 32, .size = node_pages * EPC_PAGE_SIZE, .node = 0},
		{.phys_addr = (1ull << 32) + node_pages * EPC_PAGE_SIZE * 2,
		 .size = node_pages * EPC_PAGE_SIZE,
		 .node = 1},
	};
	struct epc_config c = {
		.nr_nodes = 2,
		.nr_cpus = 2,
		.cpu_to_node = cpu_to_node,
		.sections = s,
		.nr_sections = 2,
		.background = EPC_BACKGROUND_MANUAL,
		.pcp_batch = pcp_batch,
		.no_contents = true,
		.log = log_quiet,
	};
	struct epc *epc = NULL;
	int ret = epc_create2(&c, sizeof(c), &epc);

	if (ret) {
		fprintf(stderr, "epc_create: %s\n", strerror(-ret));
		exit(1);
	}
	if (sanitize && epc_sanitize_wait(epc)) {
		fprintf(stderr, "epc_sanitize_wait failed\n");
		exit(1);
	}
	return epc;
}

/* Allocations counted by the library (pcp hits included), over both nodes. */
static uint64_t lib_nr_allocs(struct epc *epc, uint64_t *remote)
{
	uint64_t nr = 0;

	*remote = 0;
	for (int i = 0; i < 2; i++) {
		struct epc_node_stats ns;

		epc_node_get_stats(epc, i, &ns, sizeof(ns));
		nr += ns.nr_alloc_local + ns.nr_alloc_remote;
		*remote += ns.nr_alloc_remote;
	}
	return nr;
}

/* Allocations served by the per-CPU caches (internal counters). */
static uint64_t pcp_hits(struct epc *epc)
{
	uint64_t nr = 0;

	for (int i = 0; i < epc->mm.nr_cpus; i++) {
		epc__spin_lock(&epc->mm.pcps[i].lock);
		nr += epc->mm.pcps[i].nr_alloc;
		epc__spin_unlock(&epc->mm.pcps[i].lock);
	}
	return nr;
}

/* --------------------------------------------------------------- loops */

struct lib_ctx {
	struct epc *epc;
	struct epc_task *task[BENCH_MAX_THREADS];
};

static void loop_mm(void *arg, int tid, uint64_t n)
{
	atomic_fetch_add(&nr_failed, bench_mm_pairs(&((struct lib_ctx *)arg)->epc->mm, tid, n));
}

static void loop_public(void *arg, int tid, uint64_t n)
{
	struct epc_task *t = ((struct lib_ctx *)arg)->task[tid];

	for (uint64_t i = 0; i < n; i++) {
		struct epc_page *p;

		if (epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &p)) {
			atomic_fetch_add(&nr_failed, 1);
			continue;
		}
		bench_keep(p);
		epc_page_free(p);
	}
}

/*
 * The rejected v3 design: one free list and one lock for the whole EPC. The
 * critical sections are the library's node_freelist_pop() and free path
 * (same page records, same plist, same epc__spin, same counters), only with
 * a single list that every CPU shares.
 */
struct v3_allocator {
	struct epc__spin lock; /* protects free, nr_alloc */
	struct epc__plist free;
	uint64_t nr_alloc;
	_Atomic uint64_t nr_free; /* mirror for lockless readers, as the library keeps */
	struct epc_page *pages;	  /* read-only */
	uint64_t nr_pages;
} __attribute__((aligned(64)));

static void v3_init(struct v3_allocator *v, uint64_t nr_pages)
{
	memset(v, 0, sizeof(*v));
	epc__spin_init(&v->lock, EPC__RANK_NODE);
	epc__plist_init(&v->free);
	v->nr_pages = nr_pages;
	v->pages = aligned_alloc(64, nr_pages * sizeof(struct epc_page));
	if (!v->pages) {
		fprintf(stderr, "v3: out of memory\n");
		exit(1);
	}
	memset(v->pages, 0, nr_pages * sizeof(struct epc_page));
	for (uint64_t i = 0; i < nr_pages; i++) {
		struct epc_page *p = &v->pages[i];

		p->node = (uint8_t)(i >= nr_pages / 2);
		epc__page_set_state(p, EPC__PAGE_FREE);
		epc__plist_add_tail(v->pages, &v->free, p);
	}
	atomic_store(&v->nr_free, v->free.nr);
}

static struct epc_page *v3_alloc(struct v3_allocator *v, int cpu)
{
	struct epc_page *p;

	epc__spin_lock(&v->lock);
	p = epc__plist_pop(v->pages, &v->free);
	if (p) {
		epc__page_set_state(p, EPC__PAGE_INUSE);
		atomic_store_explicit(&v->nr_free, v->free.nr, memory_order_relaxed);
		v->nr_alloc++;
	}
	epc__spin_unlock(&v->lock);
	if (p)
		p->aux = (uint32_t)cpu;
	return p;
}

static void v3_free(struct v3_allocator *v, struct epc_page *p)
{
	epc__spin_lock(&v->lock);
	p->owner = NULL;
	p->cg = NULL;
	epc__plist_add_tail(v->pages, &v->free, p);
	epc__page_set_state(p, EPC__PAGE_FREE);
	atomic_store_explicit(&v->nr_free, v->free.nr, memory_order_relaxed);
	epc__spin_unlock(&v->lock);
}

static void loop_v3(void *arg, int tid, uint64_t n)
{
	struct v3_allocator *v = arg;

	for (uint64_t i = 0; i < n; i++) {
		struct epc_page *p = v3_alloc(v, tid);

		if (!p) {
			atomic_fetch_add(&nr_failed, 1);
			continue;
		}
		bench_keep(p);
		v3_free(v, p);
	}
}

/*
 * Diagnostic only (not a table figure): the same v3 alloc with a count of
 * lock handoffs, i.e. acquisitions by another thread than the previous one.
 * A test-and-test-and-set lock lets its releaser take it again at once, so
 * few handoffs mean the lock's cache line seldom moves between CPUs.
 */
struct v3_handoffs {
	struct v3_allocator *v;
	int last;	   /* v->lock */
	uint64_t handoffs; /* v->lock */
	uint64_t acquired; /* v->lock */
};

static void loop_v3_handoffs(void *arg, int tid, uint64_t n)
{
	struct v3_handoffs *h = arg;
	struct v3_allocator *v = h->v;

	for (uint64_t i = 0; i < n; i++) {
		struct epc_page *p;

		epc__spin_lock(&v->lock);
		h->handoffs += h->last != tid;
		h->last = tid;
		h->acquired++;
		p = epc__plist_pop(v->pages, &v->free);
		epc__page_set_state(p, EPC__PAGE_INUSE);
		epc__spin_unlock(&v->lock);
		bench_keep(p);
		v3_free(v, p);
	}
}

/* Control: private arithmetic, no shared data (the VM's own 2-thread cost). */
static void loop_control(void *arg, int tid, uint64_t n)
{
	static struct {
		uint64_t x;
	} __attribute__((aligned(64))) state[BENCH_MAX_THREADS];
	uint64_t x = state[tid].x + 88172645463325252ull;

	(void)arg;
	for (uint64_t i = 0; i < n; i++) {
		for (int k = 0; k < 16; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		bench_keep(x);
	}
	state[tid].x = x;
}

static void loop_malloc(void *arg, int tid, uint64_t n)
{
	(void)arg;
	(void)tid;
	for (uint64_t i = 0; i < n; i++) {
		char *p = malloc(4096);

		if (!p) {
			atomic_fetch_add(&nr_failed, 1);
			continue;
		}
		*(volatile char *)p = 1; /* one byte written into each allocation */
		bench_keep(p);
		free(p);
	}
}

/* --------------------------------------------------------- measurements */

/* One row of the table: 1 thread and 2 threads. */
struct row {
	const char *name;
	bool have[2];
	struct bench_result r[2];
	const char *note;
	struct bench_case c[2]; /* rows measured in this process */
};

static int nr_threads_max;
static bool checks_failed;

static void check(bool ok, const char *what)
{
	if (!ok) {
		checks_failed = true;
		printf("  CHECK FAILED: %s\n", what);
	}
}

/* A library path: one instance serves the row's 1-thread and 2-thread cases. */
struct lib_row {
	struct lib_ctx ctx;
	unsigned pcp_batch;
	bool public_api;
	uint64_t allocs0, remote0, hits0;
};

static void lib_row_init(struct lib_row *l, struct row *row, unsigned pcp_batch, bool public_api)
{
	l->ctx.epc = make_epc(pcp_batch, NODE_PAGES, true);
	l->pcp_batch = pcp_batch;
	l->public_api = public_api;
	for (int t = 0; t < nr_threads_max; t++)
		if (epc_task_create(l->ctx.epc, NULL, t, &l->ctx.task[t])) {
			fprintf(stderr, "epc_task_create failed\n");
			exit(1);
		}
	l->allocs0 = lib_nr_allocs(l->ctx.epc, &l->remote0);
	l->hits0 = pcp_hits(l->ctx.epc);
	for (int k = 0; k < nr_threads_max; k++)
		row->c[k] = (struct bench_case){.nthreads = k + 1,
						.fn = public_api ? loop_public : loop_mm,
						.arg = &l->ctx};
}

/*
 * After the measurement: the library counted exactly the allocations we
 * made, both threads stayed on their own node, the per-CPU caches served
 * every allocation (when on), every page and every charge came back.
 */
static void lib_row_check(struct lib_row *l, const struct row *row)
{
	uint64_t remote, allocs = lib_nr_allocs(l->ctx.epc, &remote), made = 0;
	struct epc_stats st;
	char msg[256];

	for (int k = 0; k < nr_threads_max; k++)
		made += row->c[k].res.total;
	epc_get_stats2(l->ctx.epc, &st, sizeof(st));
	snprintf(msg, sizeof(msg), "%s: library counted %llu allocations, we made %llu", row->name,
		 (unsigned long long)(allocs - l->allocs0), (unsigned long long)made);
	check(allocs - l->allocs0 == made, msg);
	snprintf(msg, sizeof(msg), "%s: %llu remote allocations (threads must stay local)",
		 row->name, (unsigned long long)(remote - l->remote0));
	check(remote == l->remote0, msg);
	if (l->pcp_batch) {
		snprintf(msg, sizeof(msg),
			 "%s: %llu of %llu allocations served by the per-CPU caches", row->name,
			 (unsigned long long)(pcp_hits(l->ctx.epc) - l->hits0),
			 (unsigned long long)made);
		check(pcp_hits(l->ctx.epc) - l->hits0 == made, msg);
	}
	snprintf(msg, sizeof(msg), "%s: %llu of %llu pages free after the run", row->name,
		 (unsigned long long)st.nr_free, (unsigned long long)st.nr_total);
	check(st.nr_free == st.nr_total, msg);
	if (l->public_api) {
		char buf[64] = "";

		epc_cgroup_file_read(epc_cgroup_root(l->ctx.epc), EPC_CGF_MISC_CURRENT, buf,
				     sizeof(buf));
		snprintf(msg, sizeof(msg), "%s: root misc.current is \"%.*s\" after the run",
			 row->name, (int)strcspn(buf, "\n"), buf);
		check(!strcmp(buf, "sgx_epc 0\n"), msg);
	}
	for (int t = 0; t < nr_threads_max; t++)
		epc_task_destroy(l->ctx.task[t]);
	epc_destroy(l->ctx.epc);
}

/* Fraction of v3 lock acquisitions that moved the lock to the other thread. */
static double v3_handoff_rate(void)
{
	struct v3_allocator *v = aligned_alloc(64, sizeof(*v));
	struct v3_handoffs h = {.v = v, .last = -1};

	v3_init(v, 2 * NODE_PAGES);
	bench_run_once(2, loop_v3_handoffs, &h, 2000000);
	free(v->pages);
	free(v);
	return (double)h.handoffs / (double)h.acquired;
}

static void v3_check(struct v3_allocator *v, const struct row *row)
{
	uint64_t made = 0;
	char msg[256];

	for (int k = 0; k < nr_threads_max; k++)
		made += row->c[k].res.total;
	snprintf(msg, sizeof(msg), "v3: counted %llu allocations, we made %llu; %llu free of %llu",
		 (unsigned long long)v->nr_alloc, (unsigned long long)made,
		 (unsigned long long)v->free.nr, (unsigned long long)v->nr_pages);
	check(v->nr_alloc == made && v->free.nr == v->nr_pages, msg);
	free(v->pages);
	free(v);
}

/*
 * Rows 0-4 and @control: the library paths, v3 and the control, all
 * measured side by side (one run of each case per round).
 */
static void measure_in_process(const struct bench_opts *o, struct row *rows, struct row *control)
{
	static const struct {
		unsigned pcp_batch;
		bool public_api;
	} lib_rows[4] = {{PCP_BATCH, false}, {PCP_BATCH, true}, {0, false}, {0, true}};
	struct bench_case cases[12];
	struct row *r[6] = {&rows[0], &rows[1], &rows[2], &rows[3], &rows[4], control};
	struct lib_row lib[4];
	struct v3_allocator *v3 = aligned_alloc(64, sizeof(*v3));
	int nr = 0;

	for (int i = 0; i < 4; i++)
		lib_row_init(&lib[i], &rows[i], lib_rows[i].pcp_batch, lib_rows[i].public_api);
	v3_init(v3, 2 * NODE_PAGES);
	for (int k = 0; k < nr_threads_max; k++) {
		rows[4].c[k] = (struct bench_case){.nthreads = k + 1, .fn = loop_v3, .arg = v3};
		control->c[k] = (struct bench_case){.nthreads = k + 1, .fn = loop_control};
	}
	for (int i = 0; i < 6; i++)
		for (int k = 0; k < nr_threads_max; k++)
			cases[nr++] = r[i]->c[k];
	atomic_store(&nr_failed, 0);
	bench_measure_group(o, cases, nr);
	nr = 0;
	for (int i = 0; i < 6; i++)
		for (int k = 0; k < nr_threads_max; k++) {
			r[i]->c[k] = cases[nr++];
			r[i]->r[k] = r[i]->c[k].res;
			r[i]->have[k] = true;
		}
	check(!atomic_load(&nr_failed), "no allocation may fail");
	for (int i = 0; i < 4; i++)
		lib_row_check(&lib[i], &rows[i]);
	v3_check(v3, &rows[4]);
}

/* ---------------------------------------------------------------- malloc */

static const char *malloc_identity(void)
{
	if (dlsym(RTLD_DEFAULT, "mallctl"))
		return "jemalloc";
	if (dlsym(RTLD_DEFAULT, "tc_malloc"))
		return "tcmalloc";
	return "glibc";
}

/* The child: measure malloc at @nthreads and print one parsable line. */
static int malloc_child(const struct bench_opts *o, int nthreads)
{
	struct bench_result r = bench_measure(o, nthreads, loop_malloc, NULL);

	printf("RESULT %s %.3f %.3f %.3f %.3f %llu %llu\n", malloc_identity(), r.ns_per_op, r.mops,
	       r.spread, r.on_cpu, (unsigned long long)r.n,
	       (unsigned long long)atomic_load(&nr_failed));
	return 0;
}

static const char *first_existing(const char *const *paths)
{
	for (int i = 0; paths[i]; i++)
		if (!access(paths[i], R_OK))
			return paths[i];
	return NULL;
}

/*
 * Run this program again with LD_PRELOAD=@preload (NULL: no preload at all)
 * and read back its RESULT line. Return: 0; -1 with a reason in @why.
 */
static int run_malloc_child(const struct bench_opts *o, const char *preload, const char *expect,
			    int nthreads, struct bench_result *r, char *why, size_t why_len)
{
	char runs[16], secs[32], thr[16], line[512] = "", ident[64];
	unsigned long long n, failed;
	int fd[2], status;
	FILE *f;
	pid_t pid;

	snprintf(runs, sizeof(runs), "%d", o->runs);
	snprintf(secs, sizeof(secs), "%g", o->run_seconds);
	snprintf(thr, sizeof(thr), "%d", nthreads);
	if (pipe(fd)) {
		snprintf(why, why_len, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		snprintf(why, why_len, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		char *argv[] = {"bench_alloc", "--malloc-child", thr,  "--runs",
				runs,	       "--seconds",	 secs, NULL};

		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
		if (preload)
			setenv("LD_PRELOAD", preload, 1);
		else
			unsetenv("LD_PRELOAD");
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(fd[1]);
	f = fdopen(fd[0], "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "RESULT ", 7))
			break;
	if (f)
		fclose(f);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(why, why_len, "child failed (status 0x%x)", status);
		return -1;
	}
	if (sscanf(line, "RESULT %63s %lf %lf %lf %lf %llu %llu", ident, &r->ns_per_op, &r->mops,
		   &r->spread, &r->on_cpu, &n, &failed) != 7) {
		snprintf(why, why_len, "no result from the child");
		return -1;
	}
	r->n = n;
	if (strcmp(ident, expect)) {
		snprintf(why, why_len, "LD_PRELOAD=%s gave %s, not %s", preload ? preload : "",
			 ident, expect);
		return -1;
	}
	if (failed) {
		snprintf(why, why_len, "%llu mallocs failed", failed);
		return -1;
	}
	return 0;
}

static void measure_malloc(const struct bench_opts *o, struct row *row, const char *preload,
			   const char *expect)
{
	char why[256];

	for (int k = 0; k < nr_threads_max; k++) {
		if (run_malloc_child(o, preload, expect, k + 1, &row->r[k], why, sizeof(why))) {
			printf("  %s, %d thread(s): not measured: %s\n", row->name, k + 1, why);
			continue;
		}
		row->have[k] = true;
	}
}

/* ------------------------------------------------------------ reporting */

static void print_row(const struct row *row)
{
	printf("%-44s", row->name);
	for (int k = 0; k < 2; k++) {
		if (row->have[k])
			printf(" %8.1f %9.1f %5.0f%% %5.0f%%", row->r[k].ns_per_op, row->r[k].mops,
			       100 * row->r[k].spread, 100 * row->r[k].on_cpu);
		else
			printf(" %8s %9s %6s %6s", "-", "-", "", "");
	}
	printf("%s%s\n", row->note ? "  " : "", row->note ? row->note : "");
}

static const char *verdict(bool ok)
{
	return ok ? "met" : "NOT met";
}

/* ----------------------------------------------------------------- scale */

static double tv_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static int scale_test(uint64_t gib)
{
	uint64_t half = gib / 2 * (1ull << 30);
	uint64_t pages = 2 * half / EPC_PAGE_SIZE;
	uint64_t need = pages * (sizeof(struct epc_page) + 8) + (256ull << 20);
	uint64_t avail = bench_mem_available();
	uint64_t rss0, rss1, rss2, t0, t1, t2, t3;
	struct rusage ru0, ru1;
	struct epc_stats st;
	struct epc *epc;

	printf("\n== scale: epc_create of 2 x %llu GiB (metadata only, MANUAL), then sanitization "
	       "==\n",
	       (unsigned long long)(gib / 2));
	if (avail && need > avail) {
		uint64_t fit = 2;

		/* a power of two that leaves a fifth of the available memory alone */
		while (fit * 2 * (need / gib) <= avail / 5 * 4)
			fit *= 2;
		printf("  skipped: it needs about %.1f GiB and %.1f GiB are available (try "
		       "--scale-gib %llu)\n",
		       need / 1073741824.0, avail / 1073741824.0, (unsigned long long)fit);
		return 0;
	}
	rss0 = bench_rss_bytes();
	t0 = bench_now_ns();
	epc = make_epc(0, half / EPC_PAGE_SIZE, false);
	t1 = bench_now_ns();
	rss1 = bench_rss_bytes();
	getrusage(RUSAGE_SELF, &ru0);
	epc_sanitize_wait(epc);
	t2 = bench_now_ns();
	getrusage(RUSAGE_SELF, &ru1);
	rss2 = bench_rss_bytes();
	epc_get_stats2(epc, &st, sizeof(st));
	epc_destroy(epc);
	t3 = bench_now_ns();

	printf("  pages                      %llu (%llu GiB)\n", (unsigned long long)pages,
	       (unsigned long long)gib);
	printf("  epc_create                 %.3f s   target <= 5 s: %s\n", (t1 - t0) / 1e9,
	       verdict(t1 - t0 <= 5000000000ull));
	printf("  epc_sanitize_wait          %.3f s   (%.1f ns per page; timed separately)\n",
	       (t2 - t1) / 1e9, (double)(t2 - t1) / (double)pages);
	printf("    of which user %.3f s, system %.3f s, %ld minor faults (first touch of the "
	       "records)\n",
	       tv_s(&ru1.ru_utime) - tv_s(&ru0.ru_utime), tv_s(&ru1.ru_stime) - tv_s(&ru0.ru_stime),
	       ru1.ru_minflt - ru0.ru_minflt);
	printf("  epc_destroy                %.3f s\n", (t3 - t2) / 1e9);
	printf("  meta_bytes_per_page        %u       target <= 32: %s\n", st.meta_bytes_per_page,
	       verdict(st.meta_bytes_per_page <= 32));
	printf("  epcm_bytes_per_page        %u       target <= 8: %s\n", st.epcm_bytes_per_page,
	       verdict(st.epcm_bytes_per_page <= 8));
	printf("  RSS before create          %.1f MiB\n", rss0 / 1048576.0);
	printf("  RSS after create           %.1f MiB\n", rss1 / 1048576.0);
	printf("  RSS after sanitization     %.1f MiB (%.2f bytes per page over the start)\n",
	       rss2 / 1048576.0, (double)(rss2 - rss0) / (double)pages);
	printf("  free pages after sanitize  %llu of %llu, dirty %llu\n",
	       (unsigned long long)st.nr_free, (unsigned long long)st.nr_total,
	       (unsigned long long)st.nr_dirty);
	check(st.nr_free == pages && st.nr_total == pages && st.nr_dirty == 0,
	      "scale: every page must be free after sanitization");
	return 0;
}

/* ------------------------------------------------------------------ main */

static void usage(void)
{
	printf("usage: bench_alloc [--runs N] [--seconds S] [--no-malloc] [--scale-gib G | "
	       "--scale-only]\n"
	       "  --runs N       runs per figure, the median is reported (default 5)\n"
	       "  --seconds S    length of one run (default %.1f)\n"
	       "  --no-malloc    skip the malloc(4096) comparison\n"
	       "  --scale-gib G  EPC size of the scale test in GiB, even (default 1024; 0 skips "
	       "it)\n"
	       "  --scale-only   run only the scale test\n",
	       RUN_SECONDS);
}

/* The alloc+free table and the pair targets. */
static void pairs(const struct bench_opts *o, bool do_malloc)
{
	const char *je, *tc;

	printf("machine: 2 virtual nodes x %u pages (64 MiB), CPU i on node i; thread i pinned to "
	       "CPU i\n",
	       NODE_PAGES);
	if (nr_threads_max < 2)
		printf("only one CPU usable: the 2-thread columns are skipped\n");

	struct row rows[9] = {
		{.name = "per-CPU cache, epc__mm_alloc/free (batch 32)"},
		{.name = "per-CPU cache, epc_page_alloc/free (charged)"},
		{.name = "per-node, epc__mm_alloc/free (pcp off)"},
		{.name = "per-node, epc_page_alloc/free (charged)"},
		{.name = "v3: one global list + lock (bench/)"},
		{.name = "malloc(4096)+free, glibc"},
		{.name = "malloc(4096)+free, jemalloc", .note = "LD_PRELOAD"},
		{.name = "malloc(4096)+free, tcmalloc_minimal", .note = "LD_PRELOAD"},
		{.name = "control: private arithmetic, no shared data", .note = "ns/iteration"},
	};
	double handoffs = -1;

	printf("\nmeasuring (each row: 1 thread, then 2 threads) ...\n");
	measure_in_process(o, rows, &rows[8]);
	if (nr_threads_max >= 2)
		handoffs = v3_handoff_rate();
	if (do_malloc) {
		je = first_existing(jemalloc_paths);
		tc = first_existing(tcmalloc_paths);
		measure_malloc(o, &rows[5], NULL, "glibc");
		if (je)
			measure_malloc(o, &rows[6], je, "jemalloc");
		else
			printf("  jemalloc: libjemalloc.so.2 not found (Debian: libjemalloc2)\n");
		if (tc)
			measure_malloc(o, &rows[7], tc, "tcmalloc");
		else
			printf("  tcmalloc: libtcmalloc_minimal.so.4 not found (Debian: "
			       "libtcmalloc-minimal4)\n");
	}

	printf("\n== alloc+free pairs: ns per pair per thread (CPU time), aggregate M pairs/s "
	       "(wall) ==\n");
	printf("%-44s %33s %33s\n", "", "1 thread", "2 threads (2 nodes)");
	printf("%-44s %8s %9s %6s %6s %8s %9s %6s %6s\n", "path", "ns/pair", "Mpairs/s", "spread",
	       "on-cpu", "ns/pair", "Mpairs/s", "spread", "on-cpu");
	for (int i = 0; i < 9; i++)
		if (do_malloc || i < 5 || i == 8)
			print_row(&rows[i]);
	{
		int low = 0;

		for (int i = 0; i < 9; i++)
			for (int k = 0; k < 2; k++)
				low += rows[i].have[k] && rows[i].r[k].on_cpu < BENCH_MIN_ON_CPU;
		bench_warn_on_cpu(low);
	}
	if (nr_threads_max >= 2) {
		printf("  2-thread slowdown with no shared data (control): %.2fx per thread\n",
		       rows[8].r[1].ns_per_op / rows[8].r[0].ns_per_op);
		printf("  v3 lock handoffs between the 2 threads: %.1f%% of acquisitions\n",
		       100 * handoffs);
	}

	printf("\n== targets (DESIGN §8) ==\n");
	{
		double cache = rows[0].r[0].ns_per_op, node = rows[2].r[0].ns_per_op;

		printf("  per-CPU cache hit <= 25 ns:         %.1f ns  %s\n", cache,
		       verdict(cache <= 25));
		if (do_malloc && rows[6].have[0])
			printf("  cache path / jemalloc (1 thread):   %.2f  (jemalloc %.1f ns, "
			       "tcmalloc "
			       "%.1f ns, glibc %.1f ns)\n",
			       cache / rows[6].r[0].ns_per_op, rows[6].r[0].ns_per_op,
			       rows[7].have[0] ? rows[7].r[0].ns_per_op : -1,
			       rows[5].have[0] ? rows[5].r[0].ns_per_op : -1);
		if (do_malloc && rows[6].have[1])
			printf("  cache path / jemalloc (2 threads):  %.2f\n",
			       rows[0].r[1].ns_per_op / rows[6].r[1].ns_per_op);
		printf("  per-node path <= 40 ns:             %.1f ns  %s\n", node,
		       verdict(node <= 40));
		if (nr_threads_max >= 2) {
			double v3 = rows[4].r[1].mops;
			double rn = bench_ratio(o, &rows[2].c[1], &rows[4].c[1], true);
			double rc = bench_ratio(o, &rows[0].c[1], &rows[4].c[1], true);

			printf("  2 nodes / v3, aggregate throughput (target >= 3x):\n");
			printf("    per-node path (pcp off):          %.1fx  %s  (%.1f vs %.1f "
			       "Mpairs/s)\n",
			       rn, verdict(rn >= 3), rows[2].r[1].mops, v3);
			printf("    per-CPU cache path:               %.1fx  %s  (%.1f vs %.1f "
			       "Mpairs/s)\n",
			       rc, verdict(rc >= 3), rows[0].r[1].mops, v3);
		}
		printf("  public path overhead over the allocator (1 thread): cache +%.1f ns, "
		       "per-node +%.1f ns\n",
		       rows[1].r[0].ns_per_op - cache, rows[3].r[0].ns_per_op - node);
	}
}

int main(int argc, char **argv)
{
	struct bench_opts o = {.runs = 5, .run_seconds = RUN_SECONDS};
	uint64_t scale_gib = 1024;
	bool do_malloc = true, scale_only = false;
	int child_threads = 0;

	for (int i = 1; i < argc;) {
		int used = bench_parse_common(argc, argv, &o, i);

		if (used) {
			i += used;
		} else if (!strcmp(argv[i], "--malloc-child") && i + 1 < argc) {
			child_threads = atoi(argv[i + 1]);
			i += 2;
		} else if (!strcmp(argv[i], "--scale-gib") && i + 1 < argc) {
			scale_gib = strtoull(argv[i + 1], NULL, 0);
			if (scale_gib % 2 || scale_gib > MAX_SCALE_GIB) {
				fprintf(stderr,
					"--scale-gib must be 0 or an even number up to %d\n",
					MAX_SCALE_GIB);
				return 2;
			}
			i += 2;
		} else if (!strcmp(argv[i], "--scale-only")) {
			scale_only = true;
			i++;
		} else if (!strcmp(argv[i], "--no-malloc")) {
			do_malloc = false;
			i++;
		} else {
			usage();
			return strcmp(argv[i], "--help") ? 2 : 0;
		}
	}
	if (child_threads)
		return malloc_child(&o, child_threads);

	setvbuf(stdout, NULL, _IOLBF, 0);
	nr_threads_max = bench_nr_cpus() >= 2 ? 2 : 1;
	bench_print_header("bench_alloc", scale_only ? NULL : &o);
	if (!scale_only)
		pairs(&o, do_malloc);
	if (scale_gib)
		scale_test(scale_gib);

	printf("\nchecks: %s\n", checks_failed ? "FAILED (see above)" : "all passed");
	printf("note: a shared or busy machine makes these numbers noisy; compare ratios from one "
	       "run\n");
	return checks_failed ? 1 : 0;
}
