// SPDX-License-Identifier: MIT
/*
 * test_sim_sweep.c - sim_sweep(): with uniform random access, on an EPC big
 * enough that ksgxd stays asleep, the fault rate falls as the cgroup's limit
 * grows and is zero once the limit holds the whole enclave with its SECS, its
 * VA pages and the async reclaim margin; the same points whatever the number
 * of jobs; bad parameters refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "scenario.h"
#include "check.h"
#include "sweep.h"

#define ENCL_PAGES  1024 /* 4M */
#define MARGIN	    32	 /* DESIGN 4.5: background reclaim within 32 pages of the limit */
#define VA_SLOTS    512	 /* versions per VA page */
#define SLACK_PAGES 4	 /* rounding in where the margin check bites */

static const char scenario[] = "[section 0]\nsize = 64M\n"
			       "[cgroup /app]\nmax = 1M\n"
			       "[enclave app]\ncgroup = /app\nsize = 4M\npattern = uniform\n"
			       "accesses = 50k\n"
			       "[enclave other]\nsize = 1M\naccesses = 10k\n";

static struct sim_scenario *load(void)
{
	struct sim_scenario *s;
	char err[SIM_ERR_LEN];

	CHECK_ERR(sim_scenario_new(&s), 0, "sim_scenario_new");
	if (sim_scenario_parse(s, "sweep.ini", scenario, strlen(scenario), err, sizeof(err)) ||
	    sim_scenario_finalize(s, err, sizeof(err)))
		fail_msg("%s", err);
	return s;
}

static uint64_t fits_bytes(void)
{
	uint64_t va = (ENCL_PAGES + VA_SLOTS - 1) / VA_SLOTS;

	return (ENCL_PAGES + 1 + va + MARGIN + SLACK_PAGES) * 4096ULL;
}

static void test_sim_sweep_fault_rate_falls(void **state)
{
	struct sim_scenario *s = load();
	struct sim_sweep_result *r1, *r2;
	char err[SIM_ERR_LEN];
	struct sim_sweep_params p = {.scenario = s,
				     .cgroup = "/app",
				     .from = 512 << 10,
				     .to = fits_bytes(),
				     .steps = 10,
				     .jobs = 1,
				     .target = 0.01};

	(void)state;
	if (sim_sweep(&p, &r1, err, sizeof(err)))
		fail_msg("sweep: %s", err);
	p.jobs = 3;
	if (sim_sweep(&p, &r2, err, sizeof(err)))
		fail_msg("sweep -j 3: %s", err);
	assert_int_equal(r1->nr_points, 10);
	for (unsigned i = 0; i < r1->nr_points; i++) {
		const struct sim_sweep_point *a = &r1->points[i], *b = &r2->points[i];

		CHECK_EQ(a->max % 4096, 0, check_fmt("point %u: a limit in whole pages", i));
		CHECK_EQ(a->accesses, 50000, check_fmt("point %u: only /app's enclave counts", i));
		if (a->faults != b->faults || a->evictions != b->evictions || a->max != b->max)
			fail_msg("point %u differs between -j 1 and -j 3", i);
		if (i && !(a->fault_rate < r1->points[i - 1].fault_rate || a->fault_rate == 0))
			fail_msg("fault rate %f at %llu is not below %f at %llu", a->fault_rate,
				 (unsigned long long)a->max, r1->points[i - 1].fault_rate,
				 (unsigned long long)r1->points[i - 1].max);
		CHECK(a->slowdown >= 1.0, check_fmt("point %u: slowdown %.3f", i, a->slowdown));
	}
	CHECK(r1->points[0].fault_rate > 0.5, "512K of 4M faults on most accesses");
	CHECK(r1->points[8].fault_rate > 0, "point 8 is still short of the whole enclave");
	CHECK_EQ(r1->points[9].max, fits_bytes(), "the last point is the limit that fits");
	assert_int_equal(r1->points[9].faults, 0);
	assert_int_equal(r1->points[9].evictions, 0);
	CHECK(r1->points[9].slowdown == 1.0, "no faults: no slowdown");
	CHECK(r1->target_found, "a limit meets the 1% target");
	CHECK(r1->target_max <= fits_bytes() && r1->target_max > r1->points[8].max - 1,
	      "the target is past point 8, at most what fits");
	/* uniform access falls in a straight line down to the limit that fits:
	 * a line has no knee (test_sim_sweep_knee_of_a_curve has one that does) */
	CHECK(!r1->knee_found, "a straight line has no knee");
	sim_sweep_free(r1);
	sim_sweep_free(r2);
	sim_scenario_free(s);
}

/* At that limit the EPC never fills: ksgxd is never woken. */
static void test_sim_sweep_ksgxd_asleep(void **state)
{
	struct sim_scenario *s = load();
	struct sim_result *r;
	char err[SIM_ERR_LEN];
	struct sim_run_params p = {.scenario = s,
				   .override_cgroup = "/app",
				   .override_max = fits_bytes(),
				   .quiet = true};

	(void)state;
	if (sim_run(&p, &r, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(r->reclaim.ksgxd_wakeups, 0);
	assert_int_equal(r->reclaim.evicted, 0);
	assert_int_equal(r->cgroups[1].max, fits_bytes());
	sim_result_free(r);
	sim_scenario_free(s);
}

static void test_sim_sweep_bad_params(void **state)
{
	struct sim_scenario *s = load();
	struct sim_sweep_result *r = NULL;
	char err[SIM_ERR_LEN];
	struct sim_sweep_params p = {.scenario = s,
				     .cgroup = "/",
				     .from = 1 << 20,
				     .to = 2 << 20,
				     .steps = 2,
				     .jobs = 1};

	(void)state;
	CHECK_ERR(sim_sweep(&p, &r, err, sizeof(err)), -EINVAL, "sim_sweep");
	assert_string_equal(err, "--cgroup: the root has no misc.max to sweep");
	p.cgroup = "/nope";
	CHECK_ERR(sim_sweep(&p, &r, err, sizeof(err)), -EINVAL, "sim_sweep");
	assert_string_equal(err, "--cgroup: /nope is not in the scenario");
	p.cgroup = "/app";
	p.steps = 1;
	CHECK_ERR(sim_sweep(&p, &r, err, sizeof(err)), -EINVAL, "sim_sweep");
	p.steps = 2;
	p.jobs = 0;
	CHECK_ERR(sim_sweep(&p, &r, err, sizeof(err)), -EINVAL, "sim_sweep");
	assert_string_equal(err, "-j: 0 jobs (1 to 256)");
	p.jobs = 1;
	p.target = 1.5;
	CHECK_ERR(sim_sweep(&p, &r, err, sizeof(err)), -EINVAL, "sim_sweep");
	assert_null(r);
	sim_scenario_free(s);
}

/* Kneedle on made-up curves: an L bends where it turns; a line has no knee. */
static void test_sim_sweep_knee_of_a_curve(void **state)
{
	static const double l_shape[] = {0.90, 0.50, 0.10, 0.08, 0.06, 0.05};
	static const double line[] = {0.50, 0.40, 0.30, 0.20, 0.10, 0.00};
	static const double flat[] = {0.10, 0.10, 0.10, 0.10};
	struct sim_sweep_point pts[6] = {{0}};
	uint64_t knee = 0;

	(void)state;
	for (unsigned i = 0; i < 6; i++) {
		pts[i].max = (i + 1) << 20;
		pts[i].fault_rate = l_shape[i];
	}
	CHECK(sim_sweep_knee(pts, 6, &knee), "an L has a knee");
	assert_int_equal(knee, 3 << 20); /* the third point, where the L turns */
	for (unsigned i = 0; i < 6; i++)
		pts[i].fault_rate = line[i];
	CHECK(!sim_sweep_knee(pts, 6, &knee), "a line has no knee");
	for (unsigned i = 0; i < 4; i++)
		pts[i].fault_rate = flat[i];
	CHECK(!sim_sweep_knee(pts, 4, &knee), "a flat curve has no knee");
	CHECK(!sim_sweep_knee(pts, 2, &knee), "two points: no bend to find");
}

/*
 * The result carries the reclaimer's figures (epc_get_stats2, the cgroups'
 * reclaim counters) and keeps the build apart: the 4M enclave is EADDed into
 * a 1M limit, so its build evicts; the run's modelled cycles and slowdown
 * leave those EWBs out, and the build's cycles are theirs alone.
 */
static void test_sim_sweep_run_reclaimer_and_build(void **state)
{
	struct sim_scenario *s = load();
	struct sim_result *r;
	char err[SIM_ERR_LEN];
	struct sim_run_params p = {.scenario = s, .quiet = true};
	const struct sim_cost *c = &s->run.cost;
	const struct sim_reclaim_result *k;

	(void)state;
	if (sim_run(&p, &r, err, sizeof(err)))
		fail_msg("%s", err);
	k = &r->reclaim;
	CHECK(k->reclaimed_cgroup > 0, "the 1M limit makes cgroup reclaim");
	CHECK(r->cgroups[1].reclaim_sync + r->cgroups[1].reclaim_async > 0,
	      "the limited cgroup counts its reclaim");
	CHECK_EQ(k->cgroup_rounds_sync + k->cgroup_rounds_async,
		 r->cgroups[1].reclaim_sync + r->cgroups[1].reclaim_async,
		 "the machine's cgroup rounds are the one limited cgroup's");
	if (k->reclaimed_ksgxd + k->reclaimed_direct + k->reclaimed_cgroup > k->evicted)
		fail_msg("reclaimed %llu + %llu + %llu > evicted %llu",
			 (unsigned long long)k->reclaimed_ksgxd,
			 (unsigned long long)k->reclaimed_direct,
			 (unsigned long long)k->reclaimed_cgroup, (unsigned long long)k->evicted);
	CHECK(k->build_evicted >= ENCL_PAGES - (1 << 20) / 4096,
	      check_fmt("a 4M build into 1M evicts the difference: %llu",
			(unsigned long long)k->build_evicted));
	CHECK(k->build_evicted < k->evicted, "the run evicts too, after the build");
	assert_int_equal(r->cycles,
			 sim_cost_cycles(c, r->accesses, r->faults, k->evicted - k->build_evicted,
					 k->reloaded - k->build_reloaded));
	assert_int_equal(r->build_cycles,
			 sim_cost_cycles(c, 0, 0, k->build_evicted, k->build_reloaded));
	CHECK(r->slowdown == (double)r->cycles / (double)r->baseline_cycles,
	      "slowdown is the run's cycles over the baseline's");
	CHECK(r->build_seconds > 0, "the build takes modelled time");
	sim_result_free(r);
	sim_scenario_free(s);
}

struct seen {
	uint64_t done, total;
	unsigned calls;
	bool backwards;
};

static void seen_progress(void *arg, uint64_t done, uint64_t total)
{
	struct seen *s = arg;

	s->backwards |= done < s->done || (s->total && total != s->total);
	s->done = done;
	s->total = total;
	s->calls++;
}

/* Progress counts the accesses of every point as they run (not only whole
 * points), never goes back, and ends at all of them; a failed point counts. */
static void test_sim_sweep_progress_in_accesses(void **state)
{
	struct sim_scenario *s = load();
	struct sim_sweep_result *r;
	struct seen seen = {0};
	char err[SIM_ERR_LEN];
	struct sim_sweep_params p = {.scenario = s,
				     .cgroup = "/app",
				     .from = 8 << 10,
				     .to = 2 << 20,
				     .steps = 4,
				     .jobs = 2,
				     .target = 0.01,
				     .progress_accesses = seen_progress,
				     .progress_arg = &seen};

	(void)state;
	if (sim_sweep(&p, &r, err, sizeof(err)))
		fail_msg("sweep: %s", err);
	assert_int_equal(r->nr_failed, 1); /* 8K */
	CHECK(!seen.backwards, "progress never goes backwards");
	assert_int_equal(seen.total, 4 * 60000); /* app's 50k and other's 10k, per point */
	assert_int_equal(seen.done, seen.total);
	CHECK(seen.calls > 4,
	      check_fmt("progress more often than once a point: %d calls", (int)seen.calls));
	sim_sweep_free(r);
	sim_scenario_free(s);
}

/* A limit too small to build the enclave fails on its own: the other points
 * run, the failed one says why and is left out of the target and the knee. */
static void test_sim_sweep_failed_point_does_not_abort(void **state)
{
	struct sim_scenario *s = load();
	struct sim_sweep_result *r;
	char err[SIM_ERR_LEN];
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	struct sim_sweep_params p = {.scenario = s,
				     .cgroup = "/app",
				     .from = 8 << 10,
				     .to = fits_bytes(),
				     .steps = 5,
				     .jobs = 2,
				     .target = 1.0}; /* any rate: the first point that ran */

	(void)state;
	if (sim_sweep(&p, &r, err, sizeof(err)))
		fail_msg("sweep: %s", err);
	assert_int_equal(r->nr_points, 5);
	assert_int_equal(r->nr_failed, 1);
	if (!strstr(r->points[0].failed, "cannot hold SECS + VA + 1 page"))
		fail_msg("8K: failed \"%s\", expected SECS + VA + 1 page", r->points[0].failed);
	for (unsigned i = 1; i < 5; i++)
		if (r->points[i].failed[0] || r->points[i].accesses != 50000)
			fail_msg("point %u did not run: %s", i, r->points[i].failed);
	CHECK(r->target_found, "the first point that ran meets any rate");
	assert_int_equal(r->target_max, r->points[1].max); /* not the failed 8K */
	f = open_memstream(&text, &len);
	sim_sweep_report(f, &p, r);
	sim_sweep_csv(f, r);
	fclose(f);
	if (!strstr(text, "8 KiB  fails: its cgroup /app cannot hold SECS + VA + 1 page\n"))
		fail_msg("the table has no failed row:\n%s", text);
	if (strstr(text, "\n8192,"))
		fail_msg("the failed point is in the CSV:\n%s", text);
	free(text);
	sim_sweep_free(r);
	/* every point failing is still a result, not an error */
	p.from = 0;
	p.to = 8 << 10;
	p.steps = 3;
	if (sim_sweep(&p, &r, err, sizeof(err)))
		fail_msg("sweep: %s", err);
	assert_int_equal(r->nr_failed, 3);
	CHECK(!r->target_found, "no target when every point failed");
	sim_sweep_free(r);
	sim_scenario_free(s);
}

/* --target-slowdown picks the smallest limit whose modelled slowdown is at
 * or under it; the report names it with its fault rate and slowdown. */
static void test_sim_sweep_target_slowdown(void **state)
{
	struct sim_scenario *s = load();
	struct sim_sweep_result *r;
	char err[SIM_ERR_LEN];
	struct sim_sweep_params p = {.scenario = s,
				     .cgroup = "/app",
				     .from = 512 << 10,
				     .to = fits_bytes(),
				     .steps = 10,
				     .jobs = 2,
				     .target_slowdown = 20};

	(void)state;
	if (sim_sweep(&p, &r, err, sizeof(err)))
		fail_msg("sweep: %s", err);
	CHECK(r->target_found, "a limit has slowdown <= 20");
	for (unsigned i = 0; i < r->nr_points; i++) {
		if (r->points[i].max < r->target_max && r->points[i].slowdown <= 20)
			fail_msg("%llu has slowdown %.2f <= 20 below the target %llu",
				 (unsigned long long)r->points[i].max, r->points[i].slowdown,
				 (unsigned long long)r->target_max);
		if (r->points[i].max == r->target_max)
			CHECK(r->points[i].slowdown <= 20 &&
				      r->target_slowdown_seen == r->points[i].slowdown,
			      check_fmt("the target's point %u: slowdown %.2f, reported %.2f", i,
					r->points[i].slowdown, r->target_slowdown_seen));
	}
	CHECK(r->target_max > p.from, "the first point is far slower than 20");
	sim_sweep_free(r);
	p.target_slowdown = 0.5;
	CHECK_ERR(sim_sweep(&p, &r, err, sizeof(err)), -EINVAL, "sim_sweep");
	sim_scenario_free(s);
}

/* The first point already meets the target: the answer is "at or below" it. */
static void test_sim_sweep_target_at_first_point(void **state)
{
	struct sim_scenario *s = load();
	struct sim_sweep_result *r;
	char err[SIM_ERR_LEN], *text = NULL;
	size_t len = 0;
	FILE *f;
	struct sim_sweep_params p = {.scenario = s,
				     .cgroup = "/app",
				     .from = fits_bytes(),
				     .to = fits_bytes() + (64 << 10),
				     .steps = 2,
				     .jobs = 1,
				     .target = 0.01};

	(void)state;
	if (sim_sweep(&p, &r, err, sizeof(err)))
		fail_msg("sweep: %s", err);
	f = open_memstream(&text, &len);
	sim_sweep_report(f, &p, r);
	fclose(f);
	if (!strstr(text, "at or below ") || !strstr(text, "the smallest limit tried") ||
	    !strstr(text, "start --max lower"))
		fail_msg("the target line does not say the answer may be lower:\n%s", text);
	free(text);
	sim_sweep_free(r);
	sim_scenario_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_sweep_knee_of_a_curve),
		cmocka_unit_test(test_sim_sweep_fault_rate_falls),
		cmocka_unit_test(test_sim_sweep_ksgxd_asleep),
		cmocka_unit_test(test_sim_sweep_bad_params),
		cmocka_unit_test(test_sim_sweep_failed_point_does_not_abort),
		cmocka_unit_test(test_sim_sweep_run_reclaimer_and_build),
		cmocka_unit_test(test_sim_sweep_progress_in_accesses),
		cmocka_unit_test(test_sim_sweep_target_slowdown),
		cmocka_unit_test(test_sim_sweep_target_at_first_point),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
