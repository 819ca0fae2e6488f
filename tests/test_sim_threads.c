// SPDX-License-Identifier: MIT
/*
 * test_sim_threads.c - a short threads-mode run (a real thread per enclave
 * thread, ksgxd and the cgroup workers running): it finishes, makes every
 * access, keeps every limit, and an enclave that fits both its limit and the
 * EPC is never evicted. Run by the TSan build too (suite stress), where it
 * checks the engine's sharing between its threads and the sampler.
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

#include "check.h"

#include "engine.h"
#include "scenario.h"

static const char scenario[] = "[node 0]\ncpus = 0-1\n[node 1]\ncpus = 2-3\n"
			       "[section 0]\nsize = 4M\n[section 1]\nnode = 1\nsize = 4M\n"
			       "[cgroup /small]\nmax = 1M\n[cgroup /fits]\nmax = 2M\n"
			       "[global]\naccesses = 20k\nwrites = 50\n"
			       "[enclave pager]\ncgroup = /small\nsize = 2M\nthreads = 2\n"
			       "pattern = uniform\n"
			       "[enclave fits]\ncgroup = /fits\nsize = 512K\nthreads = 2\n"
			       "pattern = zipf:1.2\ncpus = 2-3\n"
			       "[enclave late]\nsize = 1M\npattern = sequential\n"
			       "start-delay = 10k\n"
			       "[run]\nmode = threads\nseed = 9\n";

static void progress(void *arg, uint64_t done, uint64_t total)
{
	uint64_t *last = arg;

	CHECK(done <= total, check_fmt("progress %llu of %llu", (unsigned long long)done,
				       (unsigned long long)total));
	*last = done;
}

static void test_sim_threads_smoke(void **state)
{
	struct sim_scenario *s;
	struct sim_result *r;
	char err[SIM_ERR_LEN], *csv = NULL;
	size_t csv_len = 0;
	uint64_t last = 0;
	FILE *tl = open_memstream(&csv, &csv_len);

	(void)state;
	assert_non_null(tl);
	CHECK_ERR(sim_scenario_new(&s), 0, "sim_scenario_new");
	if (sim_scenario_parse(s, "threads.ini", scenario, strlen(scenario), err, sizeof(err)) ||
	    sim_scenario_finalize(s, err, sizeof(err)))
		fail_msg("%s", err);
	struct sim_run_params p = {.scenario = s,
				   .timeline = tl,
				   .timeline_interval = 5000,
				   .progress = progress,
				   .progress_arg = &last,
				   .quiet = true};
	if (sim_run(&p, &r, err, sizeof(err)))
		fail_msg("threads-mode run failed: %s", err);
	fclose(tl);
	CHECK_EQ(last, 60000, "the last progress is every access");
	assert_int_equal(r->accesses, 60000);
	for (int i = 0; i < r->nr_enclaves; i++)
		CHECK_EQ_AT(r->enclaves[i].accesses, 20000, i);
	for (int i = 1; i < r->nr_cgroups; i++)
		CHECK_AT(r->cgroups[i].peak <= r->cgroups[i].max, i);
	assert_string_equal(r->enclaves[0].name, "pager");
	CHECK(r->enclaves[0].faults > 0, "pager: 2M in a 1M limit faults");
	assert_string_equal(r->enclaves[1].name, "fits");
	assert_int_equal(r->enclaves[1].evicted, 0);
	assert_int_equal(r->enclaves[1].faults, 0);
	/* the timeline: a header, a row at 0, rows as the run went, one at the end */
	assert_non_null(strstr(csv, "modelled_s,accesses,cg:/:current,cg:/:max,"));
	assert_non_null(strstr(csv, ",60000,"));
	free(csv);
	sim_result_free(r);
	sim_scenario_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_threads_smoke),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
