/* SPDX-License-Identifier: MIT */
/*
 * helpers.h - shared test scaffolding: instances on made-up topologies, a log
 * catcher, the invariant checker as an assertion, and stress sizing.
 *
 * Rules (STYLE.md §14): only the test thread asserts; worker threads count
 * failures in atomics and the test checks them after joining. Every assertion
 * says what it expected.
 */
#ifndef EPCMM_TESTS_HELPERS_H
#define EPCMM_TESTS_HELPERS_H

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"
#include "epc.h"

#define PAGE EPC_PAGE_SIZE

/* Every log line an instance wrote, for assertions on messages. */
struct log_catcher {
	char lines[256][EPC__LOG_LINE_MAX];
	int level[256];
	int nr; /* lines kept (the first 256) */
	int total;
};

static inline void log_catch(int level, const char *msg, void *arg)
{
	struct log_catcher *lc = arg;

	if (lc->nr < 256) {
		snprintf(lc->lines[lc->nr], sizeof(lc->lines[0]), "%s", msg);
		lc->level[lc->nr] = level;
		lc->nr++;
	}
	lc->total++;
}

/* Lines containing @needle. */
static inline int log_count(const struct log_catcher *lc, const char *needle)
{
	int n = 0;

	for (int i = 0; i < lc->nr; i++)
		n += strstr(lc->lines[i], needle) != NULL;
	return n;
}

/* A silent logger for tests that expect errors. */
static inline void log_quiet(int level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
}

/*
 * A made-up machine: @nr_sections sections of @pages pages each, section i at
 * 4 GiB * (i + 1) on node @sec_node[i] (NULL: node i). Zero fields take the
 * library's defaults; MANUAL mode unless @threads; sanitized unless
 * @no_sanitize; logs caught by @lc, or dropped.
 */
struct topo {
	int nr_nodes, nr_cpus;
	const int *cpu_to_node;
	const uint8_t *distance;
	int nr_sections;
	const int *sec_node;
	uint64_t pages;
	enum epc_fallback fallback;
	unsigned pcp_batch;
	bool threads, no_contents, no_sanitize;
	bool margin_reclaim; /* the post-charge trigger (DIFFERENCES C2); v17: off */
	bool numa_reclaim;   /* per-node LRUs and watermarks (DIFFERENCES C12); v17: off */
	struct log_catcher *lc;
};

static inline struct epc *make_topo(const struct topo *tp)
{
	struct epc_section_desc s[EPC_MAX_SECTIONS];
	struct epc_config c = {0};
	struct epc *epc = NULL;

	for (int i = 0; i < tp->nr_sections; i++) {
		s[i].phys_addr = (uint64_t)(i + 1) << 32;
		s[i].size = tp->pages * PAGE;
		s[i].node = tp->sec_node ? tp->sec_node[i] : i;
	}
	c.nr_nodes = tp->nr_nodes;
	c.nr_cpus = tp->nr_cpus;
	c.cpu_to_node = tp->cpu_to_node;
	c.distance = tp->distance;
	c.sections = s;
	c.nr_sections = tp->nr_sections;
	c.fallback = tp->fallback;
	c.background = tp->threads ? EPC_BACKGROUND_THREADS : EPC_BACKGROUND_MANUAL;
	c.pcp_batch = tp->pcp_batch;
	c.no_contents = tp->no_contents;
	c.log = tp->lc ? log_catch : log_quiet;
	c.log_arg = tp->lc;
	c.margin_reclaim = tp->margin_reclaim;
	c.numa_reclaim = tp->numa_reclaim;
	CHECK_ERR(epc_create2(&c, sizeof(c), &epc), 0, "epc_create2");
	if (!tp->no_sanitize)
		CHECK_ERR(epc_sanitize_wait(epc), 0, "epc_sanitize_wait");
	return epc;
}

/* @nr_nodes nodes, a section per entry of @epc_nodes (NULL: every node). */
static inline struct epc *make_epc_ex(int nr_nodes, const int *epc_nodes, int nr_sections,
				      uint64_t pages_per_section, unsigned pcp_batch,
				      struct log_catcher *lc)
{
	struct topo tp = {.nr_nodes = nr_nodes,
			  .nr_sections = nr_sections,
			  .sec_node = epc_nodes,
			  .pages = pages_per_section,
			  .pcp_batch = pcp_batch,
			  .lc = lc};

	return make_topo(&tp);
}

/* One node, one section of @pages pages, MANUAL, sanitized. */
static inline struct epc *make_epc(uint64_t pages)
{
	return make_epc_ex(1, NULL, 1, pages, 0, NULL);
}

#define assert_epc_consistent(epc) assert_int_equal(epc__check(epc), 0)

/*
 * THREADS mode, every thread of the test joined: wait until ksgxd and the
 * cgroup workers are idle, for epc__check() and exact counters. Then no
 * page is isolated by a batch or being freed by its owner.
 */
static inline void quiesce(struct epc *epc)
{
	epc__quiesce(epc);
	CHECK_EQ(atomic_load(&epc->reclaim.nr_reclaimable), atomic_load(&epc->reclaim.nr_on_lrus),
		 "once idle, every reclaimable page is on an LRU");
}

static inline struct epc_task *make_task(struct epc *epc, struct epc_cgroup *cg, int cpu)
{
	struct epc_task *t = NULL;

	CHECK_ERR(epc_task_create(epc, cg, cpu, &t), 0, "epc_task_create");
	return t;
}

static inline struct epc_cgroup *make_cg(struct epc *epc, const char *path)
{
	struct epc_cgroup *cg = NULL;

	CHECK_ERR(epc_cgroup_create(epc, path, &cg), 0, "epc_cgroup_create");
	return cg;
}

/* A raw page allocation that must succeed (DO_RECLAIM). */
static inline struct epc_page *alloc_ok(struct epc_task *t)
{
	struct epc_page *p = NULL;

	CHECK_ERR(epc_page_alloc(t, NULL, EPC_DO_RECLAIM, &p), 0, "epc_page_alloc");
	assert_non_null(p);
	return p;
}

/* A raw page allocation that must fail with @err and hand out nothing. */
static inline void alloc_fails(struct epc_task *t, enum epc_reclaim r, int err)
{
	struct epc_page *p = NULL;

	CHECK_ERR(epc_page_alloc(t, NULL, r, &p), err, "epc_page_alloc");
	assert_null(p);
}

/* A cgroupfs file as text (static buffer per call site is the caller's). */
static inline const char *cg_read(struct epc_cgroup *cg, const char *file, char *buf, size_t len)
{
	ssize_t n = epc_cgroup_read(cg, file, buf, len);

	CHECK_ERR(n < 0 ? n : 0, 0, check_fmt("reading %s", file));
	return buf;
}

/* misc.current of @cg in bytes. */
static inline uint64_t cg_usage(struct epc_cgroup *cg)
{
	char buf[128];
	unsigned long long v = 0;

	cg_read(cg, "misc.current", buf, sizeof(buf));
	if (buf[0])
		assert_int_equal(sscanf(buf, "sgx_epc %llu", &v), 1);
	return v;
}

/* Stress sizing: EPCMM_STRESS_SCALE (default 1) multiplies iteration counts. */
static inline unsigned long stress_scale(void)
{
	const char *s = getenv("EPCMM_STRESS_SCALE");
	unsigned long v = s ? strtoul(s, NULL, 10) : 1;

	return v ? v : 1;
}

/* Seed from EPCMM_TEST_SEED (default @dflt), printed so failures reproduce. */
static inline unsigned long test_seed(unsigned long dflt)
{
	const char *s = getenv("EPCMM_TEST_SEED");
	unsigned long v = s ? strtoul(s, NULL, 10) : dflt;

	print_message("# seed %lu (set EPCMM_TEST_SEED to repeat)\n", v);
	return v;
}

/* xorshift64*: a small deterministic generator for model tests. */
static inline uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/*
 * Per-case time limit: a hang names its case.
 *
 * Every cmocka group run in a binary that includes this header goes through
 * case_timer_run_group() (the macro below takes over cmocka's
 * _cmocka_run_group_tests, which cmocka_run_group_tests_name() expands to), so
 * no test list has to change. Each case runs under alarm(): its own setup and
 * teardown are chained, and if it is still running when the limit passes, the
 * SIGALRM handler writes "Bail out! <case> exceeded its time limit" to stdout
 * (TAP) and stderr and aborts the binary (hung threads cannot be trusted to
 * finish, so the run ends there).
 *
 * The limit: EPCMM_CASE_TIMEOUT seconds if set (0 turns it off); otherwise
 * EPCMM_CASE_TIMEOUT_DEFAULT (120 s; tests/meson.build makes it 600 s for the
 * stress suite, times EPCMM_STRESS_SCALE there). Generous on purpose: it must
 * never fire on a slow, loaded machine, only on a hang. Meson's per-binary
 * timeouts are set above it, so under `meson test` the case limit fires first.
 *
 * Test-only static state: a signal handler can reach nothing else, and a
 * binary runs one group at a time on one thread.
 */
#ifndef EPCMM_CASE_TIMEOUT_DEFAULT
#define EPCMM_CASE_TIMEOUT_DEFAULT 120
#endif

static struct {
	const struct CMUnitTest *tests; /* the caller's table (its fixtures) */
	size_t nr, cur;
	unsigned seconds;
	char msg[320];
	size_t msg_len;
} case_timer;

static inline unsigned case_timeout_seconds(void)
{
	const char *s = getenv("EPCMM_CASE_TIMEOUT");
	unsigned long v;

	if (s && *s)
		return (unsigned)strtoul(s, NULL, 10);
	v = EPCMM_CASE_TIMEOUT_DEFAULT;
#ifdef EPCMM_CASE_TIMEOUT_STRESS
	v *= stress_scale();
#endif
	return v > 86400 ? 86400 : (unsigned)v;
}

static inline void case_timer_fire(int sig)
{
	ssize_t r;

	(void)sig;
	/* async-signal-safe: write() and abort() only */
	r = write(STDOUT_FILENO, case_timer.msg, case_timer.msg_len);
	r = write(STDERR_FILENO, case_timer.msg, case_timer.msg_len);
	(void)r;
	abort();
}

static inline int case_timer_setup(void **state)
{
	const struct CMUnitTest *t;

	/* cmocka runs the cases in order, one setup each (no binary sets a cmocka
	 * test filter, which would skip setups and shift the names) */
	case_timer.cur = case_timer.cur < case_timer.nr ? case_timer.cur : case_timer.nr - 1;
	t = &case_timer.tests[case_timer.cur];
	snprintf(case_timer.msg, sizeof(case_timer.msg),
		 "Bail out! %s exceeded its time limit of %u s (EPCMM_CASE_TIMEOUT): hung?\n",
		 t->name, case_timer.seconds);
	case_timer.msg_len = strlen(case_timer.msg);
	alarm(case_timer.seconds);
	if (t->setup_func) {
		int ret = t->setup_func(state);

		if (ret) { /* cmocka skips the case and its teardown */
			alarm(0);
			case_timer.cur++;
		}
		return ret;
	}
	return 0;
}

static inline int case_timer_teardown(void **state)
{
	const struct CMUnitTest *t = &case_timer.tests[case_timer.cur++];
	int ret = t->teardown_func ? t->teardown_func(state) : 0;

	alarm(0);
	return ret;
}

static inline int case_timer_run_group(const char *name, const struct CMUnitTest *tests, size_t nr,
				       CMFixtureFunction group_setup,
				       CMFixtureFunction group_teardown)
{
	struct CMUnitTest *wrapped = calloc(nr ? nr : 1, sizeof(*wrapped));
	struct sigaction sa;
	int ret;

	if (!wrapped)
		return 1;
	/* TAP lines reach the log as each case ends, even if the binary is killed */
	setvbuf(stdout, NULL, _IOLBF, 0);
	case_timer.tests = tests;
	case_timer.nr = nr;
	case_timer.cur = 0;
	case_timer.seconds = case_timeout_seconds();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = case_timer_fire;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	for (size_t i = 0; i < nr; i++) {
		wrapped[i] = tests[i];
		wrapped[i].setup_func = case_timer_setup;
		wrapped[i].teardown_func = case_timer_teardown;
	}
	ret = (_cmocka_run_group_tests)(name, wrapped, nr, group_setup, group_teardown);
	alarm(0);
	free(wrapped);
	return ret;
}

#define _cmocka_run_group_tests(name, tests, nr, setup, teardown)                                  \
	case_timer_run_group((name), (tests), (nr), (setup), (teardown))

#endif
