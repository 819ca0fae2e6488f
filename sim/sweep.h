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
	/* instead of @target when > 0: the modelled slowdown to stay at or under
	 * (>= 1); the result names the smallest max whose slowdown is at or under it */
	double target_slowdown;
	/* after each point, from one of the workers (serialized) */
	void (*progress)(void *arg, unsigned done, unsigned total);
	/* as the points run: their accesses so far, of all the points' (every
	 * point makes the same accesses; a failed one counts as done); from the
	 * workers, serialized, often (the callee limits its redraws) */
	void (*progress_accesses)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
};

/*
 * A point whose run failed (its cgroup cannot hold the enclave's SECS, first
 * VA page and first page, say) has @failed set to why, its numbers zero; it
 * is left out of the knee, the target, the CSV and the plot.
 */
struct sim_sweep_point {
	uint64_t max;
	uint64_t accesses, faults, evictions;
	double fault_rate, slowdown, modelled_seconds;
	char failed[SIM_ERR_LEN]; /* "" if it ran */
};

struct sim_sweep_result {
	unsigned nr_points, nr_failed;
	struct sim_sweep_point *points; /* by max, ascending */
	bool target_found;
	uint64_t target_max; /* the smallest max that ran whose fault rate (or slowdown) is at or
			      * under the target */
	double target_slowdown_seen; /* the slowdown at target_max */
	bool knee_found;
	uint64_t knee; /* where the curve bends: sim_sweep_knee() */
};

/*
 * The knee of a fault-rate curve: where it bends most, the limit past which
 * the fault rate falls more slowly than before (not a limit past which paging
 * stops costing: the target answers that). Kneedle (Satopaa et al., ICDCS 2011) for a falling curve: with both axes
 * scaled to [0, 1], the point farthest below the straight line from the
 * first point to the last. No knee (false) for fewer than three points, a
 * curve that does not fall, or one that bends less than SIM_SWEEP_KNEE_MIN
 * of its range (a straight line has no knee).
 */
#define SIM_SWEEP_KNEE_MIN 0.05
bool sim_sweep_knee(const struct sim_sweep_point *pts, unsigned n, uint64_t *knee);

/* Return: 0 (points whose run failed are marked so: check nr_failed);
 * -EINVAL bad parameters or a point's run found a scenario error (@err);
 * -ENOMEM. */
int sim_sweep(const struct sim_sweep_params *p, struct sim_sweep_result **out, char *err,
	      size_t errlen);
void sim_sweep_free(struct sim_sweep_result *r);

/* The CSV the plot reads: max_bytes,fault_rate,evictions,modelled_slowdown;
 * failed points left out. */
void sim_sweep_csv(FILE *f, const struct sim_sweep_result *r);
/* The unit the table shows limits in (KiB, MiB or GiB: the largest in which
 * every point is exact to two decimals and at least 1), and its name. */
uint64_t sim_sweep_unit(const struct sim_sweep_result *r, const char **name);
/* The table (a failed point is a row saying why), the knee and target lines. */
void sim_sweep_report(FILE *f, const struct sim_sweep_params *p, const struct sim_sweep_result *r);
/* JSON: points[] with max fault_rate evictions modelled_slowdown (or max and
 * failed). Return: 0; -ENOMEM; -EIO. */
int sim_sweep_json(FILE *f, const struct sim_sweep_params *p, const struct sim_sweep_result *r);

#endif
