// SPDX-License-Identifier: MIT
/*
 * test_sim_trace_glue.c - how the engine uses a trace (sim/source_trace.c and
 * the sizing in sim/engine.c), against a stand-in for the trace readers: a
 * fixed trace of 6 records over 4 pages. The enclave is sized to the trace
 * unless its size says more; without `accesses` it makes one pass; with more
 * it replays from the start; a size too small for the trace is a scenario
 * error naming the line; a reader error is a run failure.
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

#include <cmocka.h>

#include "check.h"

#include "engine.h"
#include "scenario.h"
#include "trace.h"

/* ------------------------------------------------ the stand-in readers */

static const uint64_t pages[] = {0, 1, 2, 1, 0, 3};
static const bool writes[] = {false, true, false, true, false, true};
#define NR_RECORDS (sizeof(pages) / sizeof(pages[0]))

struct sim_trace {
	size_t pos;
	bool broken; /* "broken.trace": fails after 3 records */
};

int sim_trace_open(const char *path, struct sim_trace **out, char *err, size_t errlen)
{
	if (strstr(path, "missing")) {
		snprintf(err, errlen, "%s: cannot open: No such file or directory", path);
		return -ENOENT;
	}
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	(*out)->broken = strstr(path, "broken") != NULL;
	return 0;
}

uint64_t sim_trace_nr_pages(const struct sim_trace *t)
{
	(void)t;
	return 4;
}

uint64_t sim_trace_nr_records(const struct sim_trace *t)
{
	(void)t;
	return NR_RECORDS;
}

int sim_trace_next(struct sim_trace *t, uint64_t *page, bool *write)
{
	if (t->broken && t->pos == 3)
		return -EIO;
	if (t->pos == NR_RECORDS)
		return 0;
	*page = pages[t->pos];
	*write = writes[t->pos];
	t->pos++;
	return 1;
}

int sim_trace_rewind(struct sim_trace *t)
{
	t->pos = 0;
	return 0;
}

void sim_trace_close(struct sim_trace *t)
{
	free(t);
}

/* ------------------------------------------------------------------ tests */

static int run_text(const char *text, struct sim_result **r, char *err)
{
	struct sim_scenario *s;
	int ret;

	CHECK_ERR(sim_scenario_new(&s), 0, "sim_scenario_new");
	if (sim_scenario_parse(s, "dir/t.ini", text, strlen(text), err, SIM_ERR_LEN) ||
	    sim_scenario_finalize(s, err, SIM_ERR_LEN))
		fail_msg("%s", err);
	struct sim_run_params p = {.scenario = s, .quiet = true};
	ret = sim_run(&p, r, err, SIM_ERR_LEN);
	sim_scenario_free(s);
	return ret;
}

static void test_sim_trace_glue_one_pass(void **state)
{
	struct sim_result *r;
	char err[SIM_ERR_LEN];

	(void)state;
	if (run_text("[section 0]\nsize = 1M\n[enclave e]\npattern = trace:x.trace\n", &r, err))
		fail_msg("%s", err);
	assert_int_equal(r->enclaves[0].size, 4 * 4096);
	assert_int_equal(r->enclaves[0].accesses, NR_RECORDS);
	assert_int_equal(r->enclaves[0].writes, 3);
	assert_int_equal(r->enclaves[0].faults, 0);
	sim_result_free(r);
}

static void test_sim_trace_glue_replay_and_size(void **state)
{
	struct sim_result *r;
	char err[SIM_ERR_LEN];

	(void)state;
	if (run_text("[section 0]\nsize = 1M\n[enclave e]\npattern = trace:x.trace\nsize = 64K\n"
		     "accesses = 20\n",
		     &r, err))
		fail_msg("%s", err);
	assert_int_equal(r->enclaves[0].size, 64 * 1024);
	assert_int_equal(r->enclaves[0].accesses, 20);
	assert_int_equal(r->enclaves[0].writes, 3 * 3 + 1); /* 3 passes and 2 records */
	sim_result_free(r);
}

static void test_sim_trace_glue_errors(void **state)
{
	struct sim_result *r = NULL;
	char err[SIM_ERR_LEN];

	(void)state;
	CHECK_ERR(run_text("[section 0]\nsize = 1M\n[enclave e]\npattern = trace:x.trace\n"
			   "size = 8K\n",
			   &r, err),
		  -EINVAL, "run_text");
	assert_string_equal(err, "dir/t.ini:5: [enclave e] size: 8192 bytes is smaller than its "
				 "trace, which touches 4 pages (16384 bytes)");
	CHECK_ERR(run_text("[section 0]\nsize = 1M\n[enclave e]\npattern = trace:missing.trace\n",
			   &r, err),
		  -EINVAL, "run_text");
	assert_string_equal(err, "dir/t.ini:4: [enclave e] pattern: dir/missing.trace: cannot "
				 "open: No such file or directory");
	CHECK_ERR(run_text("[section 0]\nsize = 1M\n[enclave e]\npattern = trace:broken.trace\n",
			   &r, err),
		  -EIO, "run_text");
	assert_string_equal(err, "enclave e: its trace failed: Input/output error");
	assert_null(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_trace_glue_one_pass),
		cmocka_unit_test(test_sim_trace_glue_replay_and_size),
		cmocka_unit_test(test_sim_trace_glue_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
