// SPDX-License-Identifier: MIT
/*
 * common.c - what the simulator's commands (run, sweep, size) share: their
 * argv, loading the scenario files and the options they take (their output
 * files: output.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"
#include "sweep.h"
#include "tool.h"

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

/* @arg without one trailing @suffix, in @buf (64 bytes; longer text is cut, and refused). */
static const char *strip_suffix(char buf[64], const char *arg, char suffix)
{
	size_t n = strlen(arg);

	snprintf(buf, 64, "%.*s", (int)(n && arg[n - 1] == suffix ? n - 1 : n), arg);
	return buf;
}

int tool_opt_jobs(const char *cmd, const char *arg, long *jobs)
{
	char msg[SIM_VALUE_ERR_LEN];
	uint64_t v;

	if (sim_value_uint("-j", arg, 1, SIM_SWEEP_MAX_JOBS, &v, msg, sizeof(msg)))
		return tool_bad(cmd, "%s", msg);
	*jobs = (long)v;
	return 0;
}

long tool_default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > SIM_SWEEP_MAX_JOBS ? SIM_SWEEP_MAX_JOBS : n;
}

int tool_opt_target_pct(const char *cmd, const char *arg, double *pct)
{
	char msg[SIM_VALUE_ERR_LEN], num[64];

	if (sim_value_decimal("--target", strip_suffix(num, arg, '%'), 0, false, 100,
			      "a percentage like 1 or 0.5", pct, msg, sizeof(msg)))
		return tool_bad(cmd, "%s", msg);
	return 0;
}

int tool_opt_target_slowdown(const char *cmd, const char *arg, double *x)
{
	char msg[SIM_VALUE_ERR_LEN], num[64];

	if (sim_value_decimal("--target-slowdown", strip_suffix(num, arg, 'x'), 1, false,
			      TOOL_MAX_TARGET_SLOWDOWN, "like 1.1: 10% slower than without paging",
			      x, msg, sizeof(msg)))
		return tool_bad(cmd, "%s", msg);
	return 0;
}

int tool_mkstemp(char *path, size_t len, const char *stem)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	if ((size_t)snprintf(path, len, "%s/epcmm-%s-XXXXXX", dir, stem) >= len)
		return -ENAMETOOLONG;
	fd = mkstemp(path);
	return fd < 0 ? -errno : fd;
}
