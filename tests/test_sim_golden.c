// SPDX-License-Identifier: MIT
/*
 * test_sim_golden.c - golden tests of `epcmm run`: the built-in default and
 * every example scenario in scenarios/, run in deterministic mode; the
 * report (banner and tables, as stdout shows them) and the JSON are compared
 * byte for byte with tests/golden/NAME.txt and NAME.json, which a person read
 * and found right. Each run is also checked against invariants that hold
 * whatever the numbers (a limit is never exceeded, every access is made, a
 * fault is a reload), and run twice to show it repeats.
 *
 * EPCMM_GOLDEN_UPDATE=1 rewrites the golden files (then read the diff!).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"

#include "engine.h"
#include "report.h"
#include "pattern.h"
#include "scenario.h"

#define GOLDEN_DIR "tests/golden"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

static struct sim_scenario *load(const char *file)
{
	struct sim_scenario *s;
	char err[SIM_ERR_LEN];

	if (!file) {
		if (sim_scenario_default(&s, err, sizeof(err)))
			fail_msg("built-in: %s", err);
		return s;
	}
	CHECK_ERR(sim_scenario_new(&s), 0, "sim_scenario_new");
	if (sim_scenario_parse_file(s, file, err, sizeof(err)) ||
	    sim_scenario_finalize(s, err, sizeof(err)))
		fail_msg("%s: %s", file, err);
	return s;
}

/* An event wrote cgroup @i's misc.max: its usage may pass the limit it has
 * at the end (a cut evicts nothing until the next charge). */
static bool max_changed(const struct sim_scenario *s, int i)
{
	for (int e = 0; e < s->nr_events; e++)
		if (s->events[e].action == SIM_EVENT_MISC_MAX && s->events[e].target == i)
			return true;
	return false;
}

/* What must hold in any run, golden or not. */
static void check_invariants(const char *name, const struct sim_scenario *s,
			     const struct sim_result *r)
{
	uint64_t accesses = 0;

	for (int i = 0; i < r->nr_cgroups; i++) {
		const struct sim_cgroup_result *c = &r->cgroups[i];

		if (c->max != SIM_UNLIMITED && !max_changed(s, i) &&
		    (c->current > c->max || c->peak > c->max))
			fail_msg("%s: cgroup %s current %llu / peak %llu above max %llu", name,
				 c->path, (unsigned long long)c->current,
				 (unsigned long long)c->peak, (unsigned long long)c->max);
		if (c->current > r->epc_bytes || c->peak > r->epc_bytes)
			fail_msg("%s: cgroup %s holds more than the EPC", name, c->path);
	}
	for (int i = 0; i < r->nr_enclaves; i++) {
		const struct sim_enclave_result *e = &r->enclaves[i];

		uint64_t want = s->enclaves[i].accesses, pages;
		char terr[256];

		/* a trace without an `accesses` key is replayed once by each thread */
		if (s->enclaves[i].pattern.kind == SIM_PATTERN_TRACE &&
		    !(s->enclaves[i].set & (1u << SIM_EK_ACCESSES))) {
			CHECK_EQ_AT(sim_trace_probe(s->enclaves[i].pattern.trace_path, &pages,
						    &want, terr, sizeof(terr)),
				    0, i);
			want *= s->enclaves[i].threads;
		}
		/* a stopped or killed enclave makes fewer */
		if (e->accesses != want && !((e->stopped || e->killed) && e->accesses < want))
			fail_msg("%s: enclave %s made %llu accesses of %llu", name, e->name,
				 (unsigned long long)e->accesses, (unsigned long long)want);
		if (e->faults > e->accesses || e->reloaded < e->faults)
			fail_msg("%s: enclave %s: %llu faults, %llu reloads, %llu accesses", name,
				 e->name, (unsigned long long)e->faults,
				 (unsigned long long)e->reloaded, (unsigned long long)e->accesses);
		accesses += e->accesses;
	}
	CHECK_EQ(accesses, r->accesses, "the enclaves' accesses add up to the run's");
	CHECK_EQ(r->cgroups[0].evicted, r->reclaim.evicted, "the root counts every eviction");
	CHECK(r->modelled_seconds >= r->baseline_seconds, "paging never makes a run faster");
}

static char *render(const struct sim_scenario *s, const struct sim_result *r, bool json,
		    size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	if (json) {
		assert_int_equal(sim_report_json(f, s, r), 0);
	} else {
		sim_report_banner(f, s);
		sim_report_text(f, s, r);
	}
	fclose(f);
	return buf;
}

static void compare(const char *name, const char *ext, const char *got, size_t len)
{
	char path[256];
	char *want;
	size_t wlen = 0;

	snprintf(path, sizeof(path), "%s/%s.%s", GOLDEN_DIR, name, ext);
	if (getenv("EPCMM_GOLDEN_UPDATE")) {
		FILE *f = fopen(path, "wb");

		assert_non_null(f);
		assert_int_equal(fwrite(got, 1, len, f), len);
		fclose(f);
		return;
	}
	want = slurp(path, &wlen);
	if (!want)
		fail_msg("%s missing (EPCMM_GOLDEN_UPDATE=1 writes it)", path);
	if (wlen != len || memcmp(want, got, len)) {
		print_error("--- %s (golden)\n%s\n--- this run\n%s\n", path, want, got);
		fail_msg("%s: the output differs from the golden file", path);
	}
	free(want);
}

static void golden(const char *name, const char *file)
{
	struct sim_scenario *s = load(file);
	struct sim_result *r = NULL, *again = NULL;
	struct sim_run_params p = {.scenario = s, .quiet = true};
	char err[SIM_ERR_LEN], *text, *json, *text2;
	size_t tl, jl, tl2;

	if (sim_run(&p, &r, err, sizeof(err)))
		fail_msg("%s: run failed: %s", name, err);
	check_invariants(name, s, r);
	text = render(s, r, false, &tl);
	json = render(s, r, true, &jl);
	compare(name, "txt", text, tl);
	compare(name, "json", json, jl);
	/* the same again, with a timeline being written: nothing may change */
	p.timeline = fopen("/dev/null", "w");
	assert_non_null(p.timeline);
	if (sim_run(&p, &again, err, sizeof(err)))
		fail_msg("%s: second run failed: %s", name, err);
	fclose(p.timeline);
	text2 = render(s, again, false, &tl2);
	if (tl != tl2 || memcmp(text, text2, tl))
		fail_msg("%s: a second run with a timeline differs:\n%s\n%s", name, text, text2);
	free(text);
	free(text2);
	free(json);
	sim_result_free(r);
	sim_result_free(again);
	sim_scenario_free(s);
}

static void test_sim_golden_default(void **state)
{
	(void)state;
	golden("default", NULL);
}

/* scenarios/default.ini is the built-in default, byte for byte. */
static void test_sim_golden_default_file_matches(void **state)
{
	char *file = slurp("scenarios/default.ini", NULL);

	(void)state;
	assert_non_null(file);
	if (strcmp(file, sim_default_scenario))
		fail_msg("scenarios/default.ini and sim/default_scenario.c differ");
	free(file);
}

static void test_sim_golden_two_socket(void **state)
{
	(void)state;
	golden("two-socket", "scenarios/two-socket.ini");
}

static void test_sim_golden_noisy_neighbour(void **state)
{
	(void)state;
	golden("noisy-neighbour", "scenarios/noisy-neighbour.ini");
}

static void test_sim_golden_over_limit(void **state)
{
	(void)state;
	golden("over-limit", "scenarios/over-limit.ini");
}

static void test_sim_golden_node_without_epc(void **state)
{
	(void)state;
	golden("node-without-epc", "scenarios/node-without-epc.ini");
}

/* NUMA-aware reclaim on a node whose tenants want more than it holds: the
 * locality rows, the JSON's "locality" (issue 20). */
static void test_sim_golden_numa_overcommit(void **state)
{
	(void)state;
	golden("numa-overcommit", "scenarios/numa-overcommit.ini");
}

/* Only once the trace file is there and the readers are built (see main()). */
static void test_sim_golden_trace_sort(void **state)
{
	(void)state;
	golden("trace-sort", "scenarios/trace-sort.ini");
}

/* Events: a limit cut, an enclave started late and stopped (the report's
 * events table, the JSON's "events"). */
static void test_sim_golden_what_if(void **state)
{
	(void)state;
	golden("what-if", "scenarios/what-if.ini");
}

/* EDMM: a dynamic heap past its cgroup's limit, trimmed back twice (the
 * EAUGs, trimmed and removed columns; the trim events). */
static void test_sim_golden_dynamic_heap(void **state)
{
	struct sim_scenario *s = load("scenarios/dynamic-heap.ini");
	struct sim_run_params p = {.scenario = s, .quiet = true};
	struct sim_result *r = NULL;
	char err[SIM_ERR_LEN];

	(void)state;
	golden("dynamic-heap", "scenarios/dynamic-heap.ini");
	if (sim_run(&p, &r, err, sizeof(err)))
		fail_msg("dynamic-heap: run failed: %s", err);
	if (!r->edmm || r->augmented <= s->cgroups[1].max / EPC_PAGE_SIZE)
		fail_msg("dynamic-heap: %llu EAUGs, not past the limit's %llu pages",
			 (unsigned long long)r->augmented,
			 (unsigned long long)(s->cgroups[1].max / EPC_PAGE_SIZE));
	if (r->trimmed == 0 || r->removed != r->trimmed)
		fail_msg("dynamic-heap: %llu trimmed, %llu removed: every trimmed page is removed",
			 (unsigned long long)r->trimmed, (unsigned long long)r->removed);
	if (r->cgroups[1].augmented != r->augmented || r->cgroups[0].removed != r->removed)
		fail_msg("dynamic-heap: the cgroups' counts are not the enclave's");
	if (r->reclaim.build_evicted != 0)
		fail_msg("dynamic-heap: the build (1M EADDed) paged");
	sim_result_free(r);
	sim_scenario_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_golden_default_file_matches),
		cmocka_unit_test(test_sim_golden_default),
		cmocka_unit_test(test_sim_golden_two_socket),
		cmocka_unit_test(test_sim_golden_noisy_neighbour),
		cmocka_unit_test(test_sim_golden_over_limit),
		cmocka_unit_test(test_sim_golden_node_without_epc),
		cmocka_unit_test(test_sim_golden_numa_overcommit),
		cmocka_unit_test(test_sim_golden_what_if),
		cmocka_unit_test(test_sim_golden_dynamic_heap),
		cmocka_unit_test(test_sim_golden_trace_sort),
	};
	size_t n = sizeof(tests) / sizeof(tests[0]);
	struct stat st;

	if (chdir(EPCMM_SOURCE_DIR)) {
		perror(EPCMM_SOURCE_DIR);
		return 1;
	}
	/* cmocka 1.1 reports a skipped case as "not ok", which meson counts as failed:
	 * leave the trace case out until its trace and readers exist */
	if (stat("scenarios/traces/sort.trace", &st))
		n--;
	return _cmocka_run_group_tests("sim_golden", tests, n, NULL, NULL);
}
