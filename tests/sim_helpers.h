/* SPDX-License-Identifier: MIT */
/*
 * sim_helpers.h - what the simulator's test suites share: a scenario given
 * as text, parsed, finalized and run quietly, its result returned (the test
 * fails with the parser's or the engine's message otherwise).
 */
#ifndef EPCMM_TESTS_SIM_HELPERS_H
#define EPCMM_TESTS_SIM_HELPERS_H

#include <string.h>

#include "check.h"

#include "engine.h"
#include "scenario.h"

/* Run the scenario @text (named @name in messages); free with sim_result_free(). */
static inline struct sim_result *sim_run_text(const char *name, const char *text)
{
	struct sim_scenario *s = NULL;
	struct sim_result *r = NULL;
	char err[SIM_ERR_LEN] = "";

	CHECK_EQ(sim_scenario_new(&s), 0, "a scenario");
	if (sim_scenario_parse(s, name, text, strlen(text), err, sizeof(err)) ||
	    sim_scenario_finalize(s, err, sizeof(err)))
		fail_msg("the scenario: %s", err);
	struct sim_run_params p = {.scenario = s, .quiet = true};
	if (sim_run(&p, &r, err, sizeof(err)))
		fail_msg("the run: %s", err);
	sim_scenario_free(s);
	return r;
}

#endif
