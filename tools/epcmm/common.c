// SPDX-License-Identifier: MIT
/*
 * common.c - what the simulator's commands (run, sweep) share: their argv,
 * loading the scenario files and the options both take (their output files:
 * output.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "tool.h"

char **tool_argv(const char *name, int nr_args, char **args)
{
	char **argv = malloc((size_t)(nr_args + 2) * sizeof(*argv));

	if (!argv) {
		fprintf(stderr, "epcmm: out of memory\n");
		return NULL;
	}
	argv[0] = (char *)name;
	memcpy(argv + 1, args, (size_t)nr_args * sizeof(*argv));
	argv[nr_args + 1] = NULL;
	return argv;
}

/* Read every file (or the default) into one finalized scenario. Return: 0; -1 (said why). */
int tool_load_scenario(int nr, char **files, struct sim_scenario **out)
{
	char err[SIM_ERR_LEN];
	struct sim_scenario *s;
	int ret;

	if (nr == 0) {
		ret = sim_scenario_default(out, err, sizeof(err));
		if (ret)
			fprintf(stderr, "epcmm: the built-in scenario: %s\n", err);
		return ret ? -1 : 0;
	}
	if (sim_scenario_new(&s)) {
		fprintf(stderr, "epcmm: out of memory\n");
		return -1;
	}
	for (int i = 0; i < nr; i++) {
		ret = sim_scenario_parse_file(s, files[i], err, sizeof(err));
		if (ret)
			goto fail;
	}
	ret = sim_scenario_finalize(s, err, sizeof(err));
	if (!ret)
		ret = sim_scenario_check_traces(s, err, sizeof(err));
	if (ret)
		goto fail;
	*out = s;
	return 0;
fail:
	fprintf(stderr, "epcmm: %s\n", ret == -ENOMEM ? "out of memory" : err);
	sim_scenario_free(s);
	return -1;
}

int tool_bad(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "epcmm %s: ", cmd);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'epcmm %s --help'.\n", cmd);
	return -1;
}

int tool_opt_plot(const char *cmd, const char *arg, const char **slot)
{
	const char *dot = strrchr(arg, '.');

	if (!dot || (strcmp(dot, ".svg") && strcmp(dot, ".png")))
		return tool_bad(cmd, "--plot: '%s': the file name must end in .svg or .png", arg);
	if (*slot)
		return tool_bad(cmd, "--plot: given twice (%s): one plot per command", arg);
	*slot = arg;
	return 0;
}

int tool_opt_seed(const char *cmd, const char *arg, uint64_t *seed, bool *set)
{
	char msg[SIM_VALUE_ERR_LEN];

	if (sim_value_uint("--seed", arg, 0, UINT64_MAX, seed, msg, sizeof(msg)))
		return tool_bad(cmd, "%s", msg);
	*set = true;
	return 0;
}
