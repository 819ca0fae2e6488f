// SPDX-License-Identifier: MIT
/*
 * test_sim_size.c - the answers of `epcmm size` (sim/size.c), checked
 * against sweeps run apart from it: each target's limit meets its target
 * and the limit 16 pages below does not; a limit at the footprint never
 * pages (v17); the declared size is the power of two over the pages; the
 * knee is a simulated point; and bad traces and parameters are refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"

#include "size.h"
#include "sweep.h"

#define LOOP_PAGES 96	 /* pages a loop walks over and over */
#define HOT_PAGES  24	 /* pages touched between every two loop pages */
#define ROUNDS	   40	 /* times the loop is walked */

struct size_fx {
	char path[64];
};

/* A plain trace: a loop over LOOP_PAGES pages, a hot page between each two:
 * a curve that falls in two steps, so the targets and the knee differ. */
static int fx_setup(void **state)
{
	struct size_fx *fx = calloc(1, sizeof(*fx));
	FILE *f;
	int fd;

	if (!fx)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "/tmp/epcmm-size-test-XXXXXX");
	fd = mkstemp(fx->path);
	if (fd < 0 || !(f = fdopen(fd, "w")))
		return -1;
	for (int r = 0; r < ROUNDS; r++)
		for (int p = 0; p < LOOP_PAGES; p++)
			fprintf(f, "0x%x\n0x%x\n", (HOT_PAGES + p) * 4096, (p % HOT_PAGES) * 4096);
	if (fclose(f))
		return -1;
	*state = fx;
	return 0;
}

static int fx_teardown(void **state)
{
	struct size_fx *fx = *state;

	unlink(fx->path);
	free(fx);
	return 0;
}

static struct sim_size_answer *size_of(const char *path, double rate, double slowdown,
				       bool dynamic)
{
	struct sim_size_params p = {.trace_path = path,
				    .target_rate = rate,
				    .target_slowdown = slowdown,
				    .jobs = 2,
				    .dynamic = dynamic};
	struct sim_size_answer *a = NULL;
	char err[SIM_ERR_LEN] = "";
	int ret = sim_size(&p, &a, err, sizeof(err));

	if (ret)
		fail_msg("sim_size: %d: %s", ret, err);
	return a;
}

/* The trace's run at @max, by a sweep of one point over a scenario written
 * out as a user would. */
static struct sim_sweep_point sweep_at(const char *trace, uint64_t max, bool dynamic)
{
	char text[512], err[SIM_ERR_LEN] = "";
	struct sim_scenario *s = NULL;
	struct sim_sweep_result *r = NULL;
	struct sim_sweep_point pt;

	snprintf(text, sizeof(text),
		 "[section 0]\nsize = 32M\n[cgroup /t]\nmax = 1M\n"
		 "[enclave e]\ncgroup = /t\npattern = trace:%s\naccesses = %d\n%s",
		 trace, 2 * ROUNDS * LOOP_PAGES, dynamic ? "dynamic = on\n" : "");
	CHECK_EQ(sim_scenario_new(&s), 0, "a scenario");
	if (sim_scenario_parse(s, "t.ini", text, strlen(text), err, sizeof(err)) ||
	    sim_scenario_finalize(s, err, sizeof(err)) ||
	    sim_scenario_check_traces(s, err, sizeof(err)))
		fail_msg("the scenario: %s", err);
	struct sim_sweep_params p = {
		.scenario = s, .cgroup = "/t", .from = max, .to = max, .steps = 1, .jobs = 1};
	if (sim_sweep(&p, &r, err, sizeof(err)))
		fail_msg("the sweep: %s", err);
	pt = r->points[0];
	CHECK_EQ(pt.failed[0], 0, "the point ran");
	sim_sweep_free(r);
	sim_scenario_free(s);
	return pt;
}

static void test_sim_size_targets_met_and_not_one_step_below(void **state)
{
	struct size_fx *fx = *state;
	struct sim_size_answer *a = size_of(fx->path, 0.05, 1.2, false);
	struct sim_sweep_point at, below;

	CHECK_EQ(a->nr_pages, LOOP_PAGES + HOT_PAGES, "the trace's pages");
	CHECK_EQ(a->nr_accesses, 2 * ROUNDS * LOOP_PAGES, "the trace's accesses");
	CHECK(!a->run.numa_reclaim && !a->run.margin_reclaim, "answered with v17's reclaim");
	CHECK(a->rate.found, "a limit meets the fault-rate target");
	CHECK_EQ(a->rate.max % SIM_SIZE_GRID, 0, "on the grid");
	CHECK(a->rate.max > SIM_SIZE_GRID, "with a grid limit below it");
	at = sweep_at(fx->path, a->rate.max, false);
	below = sweep_at(fx->path, a->rate.max - SIM_SIZE_GRID, false);
	CHECK(at.fault_rate <= 0.05, "the answer meets the target in a sweep of its own");
	CHECK(below.fault_rate > 0.05, "16 pages below it does not");
	CHECK_EQ(at.faults, a->rate.at.faults, "the figures printed are the sweep's");

	CHECK(a->slowdown.found, "a limit meets the slowdown target");
	at = sweep_at(fx->path, a->slowdown.max, false);
	below = sweep_at(fx->path, a->slowdown.max - SIM_SIZE_GRID, false);
	CHECK(at.slowdown <= 1.2, "the answer meets the slowdown target");
	CHECK(below.slowdown > 1.2, "16 pages below it does not");
	sim_size_free(a);
}

static void test_sim_size_footprint_and_declared_size(void **state)
{
	struct size_fx *fx = *state;
	struct sim_size_answer *a = size_of(fx->path, 0.01, 1.1, false);
	struct sim_sweep_point fits;

	/* 120 pages + SECS + 1 VA page. */
	CHECK_EQ(a->nr_va_pages, 1, "one VA page for up to 512 pages");
	CHECK_EQ(a->footprint, (LOOP_PAGES + HOT_PAGES + 2) * 4096, "the footprint");
	CHECK_EQ(a->fits, 512 * 1024, "the grid limit over the footprint");
	CHECK_EQ(a->declare, 512 * 1024, "the power of two over 120 pages");
	fits = sweep_at(fx->path, a->fits, false);
	CHECK_EQ(fits.faults, 0, "at the footprint the enclave never pages (v17)");
	CHECK(a->knee_found, "the curve has a knee");
	CHECK(a->knee.max > 0 && a->knee.max < a->fits, "below the footprint");
	CHECK(a->nr_curve == a->fits / SIM_SIZE_GRID, "the curve covers the grid up to the fit");
	sim_size_free(a);
}

/* An EDMM build: the same checks against sweeps of a dynamic enclave, whose
 * first touches are EAUGs, not faults. */
static void test_sim_size_dynamic_targets(void **state)
{
	struct size_fx *fx = *state;
	struct sim_size_answer *a = size_of(fx->path, 0.05, 1.2, true);
	struct sim_sweep_point at, below;

	CHECK(a->dynamic, "the answer says it is an EDMM build's");
	CHECK(a->rate.found, "a limit meets the fault-rate target");
	at = sweep_at(fx->path, a->rate.max, true);
	below = sweep_at(fx->path, a->rate.max - SIM_SIZE_GRID, true);
	CHECK(at.fault_rate <= 0.05, "the answer meets the target in a dynamic sweep");
	CHECK(below.fault_rate > 0.05, "16 pages below it does not");
	CHECK_EQ(at.faults, a->rate.at.faults, "the figures are the dynamic sweep's");
	CHECK_EQ(sweep_at(fx->path, a->fits, true).faults, 0, "at the footprint: no fault");
	sim_size_free(a);
}

static void test_sim_size_refuses_bad_input(void **state)
{
	struct size_fx *fx = *state;
	struct sim_size_params p = {
		.trace_path = fx->path, .target_rate = 0.01, .target_slowdown = 1.1, .jobs = 1};
	struct sim_size_answer *a = NULL;
	char err[SIM_ERR_LEN], empty[] = "/tmp/epcmm-size-empty-XXXXXX";
	int fd;

	p.target_rate = 1.5;
	CHECK_EQ(sim_size(&p, &a, err, sizeof(err)), -EINVAL, "a rate above 1");
	p.target_rate = 0.01;
	p.target_slowdown = 0.5;
	CHECK_EQ(sim_size(&p, &a, err, sizeof(err)), -EINVAL, "a slowdown under 1");
	p.target_slowdown = 1.1;
	p.jobs = 0;
	CHECK_EQ(sim_size(&p, &a, err, sizeof(err)), -EINVAL, "no jobs");
	p.jobs = 1;
	p.trace_path = "/nonexistent/epcmm.trace";
	CHECK_EQ(sim_size(&p, &a, err, sizeof(err)), -ENOENT, "a missing trace");
	CHECK(strstr(err, "/nonexistent/epcmm.trace") != NULL, "the message names it");
	fd = mkstemp(empty);
	CHECK(fd >= 0, "an empty file");
	close(fd);
	p.trace_path = empty;
	CHECK_EQ(sim_size(&p, &a, err, sizeof(err)), -EINVAL, "an empty trace");
	CHECK(strstr(err, empty) != NULL, "the message names it");
	unlink(empty);
	CHECK(a == NULL, "no answer came out of a refusal");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_size_targets_met_and_not_one_step_below),
		cmocka_unit_test(test_sim_size_footprint_and_declared_size),
		cmocka_unit_test(test_sim_size_dynamic_targets),
		cmocka_unit_test(test_sim_size_refuses_bad_input),
	};

	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
