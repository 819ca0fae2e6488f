/* SPDX-License-Identifier: MIT */
/*
 * sweep.h - one scenario over a range of one cgroup's misc.max: the curve of
 * fault rate against the limit that an operator sizes limits with (a
 * miss-ratio curve, in the caching literature's terms).
 *
 * Each point is an independent sim_run() on its own struct epc with the
 * cgroup's max overridden; points run on @jobs threads at once (there is no
 * global state to share). In deterministic mode every point is the same
 * whatever @jobs is. A point's fault rate, evictions and modelled slowdown
 * are those of the enclaves in the cgroup and below it.
 */
#ifndef EPCMM_SIM_SWEEP_H
#define EPCMM_SIM_SWEEP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario.h"

#define SIM_SWEEP_MAX_STEPS 1000
#define SIM_SWEEP_MAX_JOBS  256

struct sim_sweep_params {
	const struct sim_scenario *scenario;
	const char *cgroup; /* not the root */
	uint64_t from, to;  /* bytes, from <= to; each point is rounded down to 4K */
	unsigned steps;	    /* 1..SIM_SWEEP_MAX_STEPS (1 only when from == to) */
	unsigned jobs;	    /* 1..SIM_SWEEP_MAX_JOBS */
	double target;	    /* fault rate, 0..1: the result names the smallest max at or under it */
	/* after each point, from one of the workers (serialized) */
	void (*progress)(void *arg, unsigned done, unsigned total);
	void *progress_arg;
};

struct sim_sweep_point {
	uint64_t max;
	uint64_t accesses, faults, evictions;
	double fault_rate, slowdown, modelled_seconds;
};

struct sim_sweep_result {
	unsigned nr_points;
	struct sim_sweep_point *points; /* by max, ascending */
	bool target_found;
	uint64_t target_max; /* the smallest max whose fault rate is at or under the target */
	bool knee_found;
	uint64_t knee; /* where the curve bends: sim_sweep_knee() */
};

/*
 * The knee of a fault-rate curve: the limit past which more EPC buys least.
 * Kneedle (Satopaa et al., ICDCS 2011) for a falling curve: with both axes
 * scaled to [0, 1], the point farthest below the straight line from the
 * first point to the last. No knee (false) for fewer than three points, a
 * curve that does not fall, or one that bends less than SIM_SWEEP_KNEE_MIN
 * of its range (a straight line has no knee).
 */
#define SIM_SWEEP_KNEE_MIN 0.05
bool sim_sweep_knee(const struct sim_sweep_point *pts, unsigned n, uint64_t *knee);

/* Return: 0; -EINVAL bad parameters or a point's run found a scenario error;
 * -EIO a run failed (@err says which point and why); -ENOMEM. */
int sim_sweep(const struct sim_sweep_params *p, struct sim_sweep_result **out, char *err,
	      size_t errlen);
void sim_sweep_free(struct sim_sweep_result *r);

/* The CSV the plot reads: max_bytes,fault_rate,evictions,modelled_slowdown. */
void sim_sweep_csv(FILE *f, const struct sim_sweep_result *r);
/* The table and the knee line. */
void sim_sweep_report(FILE *f, const struct sim_sweep_params *p, const struct sim_sweep_result *r);
/* JSON: points[] with max fault_rate evictions modelled_slowdown. Return: 0; -ENOMEM; -EIO. */
int sim_sweep_json(FILE *f, const struct sim_sweep_params *p, const struct sim_sweep_result *r);

#endif
