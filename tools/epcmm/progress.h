/* SPDX-License-Identifier: MIT */
/*
 * progress.h - the live progress line of `epcmm run` and `epcmm sweep` on
 * stderr: a bar, the accesses done, an ETA; redrawn at most 10 times a second
 * and only when stderr is a terminal (nothing at all otherwise). When the run
 * ends it leaves the measured wall time: the only wall-clock figure the tool
 * prints, and never on stdout.
 */
#ifndef EPCMM_TOOL_PROGRESS_H
#define EPCMM_TOOL_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

#define TOOL_PROGRESS_BAR      28
#define TOOL_PROGRESS_PERIOD_S 0.1

struct tool_progress {
	bool on;
	double t0, last;
	bool shown;
	uint64_t done;
	const char *unit; /* "accesses" */
};

void tool_progress_init(struct tool_progress *p, bool wanted);
/* A struct sim_run_params progress callback; @arg is the struct tool_progress. */
void tool_progress_update(void *arg, uint64_t done, uint64_t total);
/* The final line with the wall time; @r NULL when the run failed. */
void tool_progress_done(struct tool_progress *p, const struct sim_result *r);
/* "950", "12.3 k", "4.0 M" */
void tool_fmt_short(char *buf, size_t len, double n);
double tool_now(void);

#endif
