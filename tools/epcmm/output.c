// SPDX-License-Identifier: MIT
/*
 * output.c - the output files of run and sweep (--json, --csv, --timeline)
 * through sim/outfile.c, with the tool's messages (tool.h).
 */
#include <stdio.h>

#include "outfile.h"
#include "tool.h"

struct sim_outfile *tool_out_open(const char *cmd, const char *path, const char *what)
{
	struct sim_outfile *o;
	char err[512];

	if (sim_outfile_open(path, &o, err, sizeof(err))) {
		fprintf(stderr, "epcmm %s: %s: %s\n", cmd, what, err);
		return NULL;
	}
	return o;
}

int tool_out_commit(const char *cmd, struct sim_outfile *o, const char *what)
{
	char err[512];

	if (sim_outfile_commit(o, err, sizeof(err))) {
		fprintf(stderr, "epcmm %s: %s: %s\n", cmd, what, err);
		return -1;
	}
	return 0;
}
