/* SPDX-License-Identifier: MIT */
/*
 * size.h - how much EPC a traced program needs: the answers of `epcmm size`.
 *
 * The trace replays once, as one enclave in one cgroup /trace on an EPC
 * eight times its footprint (so only the cgroup's misc.max limits it), with
 * the scenario defaults (deterministic mode, seed 1, the default cost model):
 * sim_trace_scenario(), which `epcmm sweep --trace` runs too.
 *
 * Answers, each a misc.max on a grid of SIM_SIZE_GRID bytes:
 *  - the smallest limit whose fault rate (faults / accesses) is at or under
 *    @target_rate, and the smallest whose modelled slowdown is at or under
 *    @target_slowdown: each is a full simulation that meets its target, and
 *    the limit one grid step below it was simulated too and does not;
 *  - the knee of the curve (sim_sweep_knee() on the one-pass curve), with
 *    the full simulation's figures there;
 *  - the footprint (the trace's pages, the SECS and the VA pages the enclave
 *    gets at EADD: one per SIM_SIZE_VA_SLOTS pages), the limit at which the
 *    enclave fits whole, and the enclave size to declare (a power of two, as
 *    SECS.SIZE must be).
 *
 * How: sim_mrc_build() gives the whole LRU curve in one pass; it places the
 * first probes. Then rounds of full simulations (sim_sweep(), @jobs at once)
 * gallop from there to a bracket and bisect it on the grid. A curve whose
 * fault rate does not fall monotonically is handled: the answer is the
 * smallest passing limit above the largest failing one simulated below it.
 */
#ifndef EPCMM_SIM_SIZE_H
#define EPCMM_SIM_SIZE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario.h"

#define SIM_SIZE_GRID	    (16 * 4096ull) /* answers are multiples of 16 pages */
#define SIM_SIZE_VA_SLOTS   512		   /* pages one VA page holds versions for */
#define SIM_TRACE_CGROUP    "/trace"	   /* the cgroup a trace's scenario replays in */
#define SIM_SIZE_AUTO_STEPS 16		   /* limits a sweep's --max auto tries */

struct sim_size_params {
	const char *trace_path;
	double target_rate;	/* 0..1 */
	double target_slowdown; /* >= 1 */
	unsigned jobs;		/* full simulations at once, 1..SIM_SWEEP_MAX_JOBS */
	/* an EDMM (SGX2) build of the program: no build-time EADD, every page
	 * EAUGed when first touched (not a fault) */
	bool dynamic;
	/* after each round of simulations: points simulated so far */
	void (*progress)(void *arg, unsigned nr_simulated);
	void *progress_arg;
};

struct sim_size_point {
	uint64_t max; /* bytes */
	uint64_t accesses, faults, evictions;
	double fault_rate, slowdown;
	bool failed; /* the run could not start (the limit holds not even the SECS) */
};

/* One answer: the limit and its figures, and the point one grid step below. */
struct sim_size_target {
	bool found;
	uint64_t max;
	struct sim_size_point at, below; /* below.max == 0: there is no smaller limit */
};

struct sim_size_answer {
	uint64_t nr_pages, nr_accesses, nr_va_pages;
	uint64_t footprint; /* bytes: pages, SECS, VA pages */
	uint64_t fits;	    /* the grid limit at or above the footprint */
	uint64_t declare;   /* the enclave size: the power of two at or above the pages */
	double target_rate, target_slowdown;
	bool dynamic; /* the params' */
	struct sim_size_target rate, slowdown;
	bool knee_found;
	struct sim_size_point knee;
	struct sim_size_point *points; /* every full simulation, by max */
	unsigned nr_points;
	/* the one-pass LRU curve on the grid, limits up to `fits` */
	struct sim_size_point *curve;
	unsigned nr_curve;
	struct sim_run_opts run; /* the cost model and mode the answers used */
};

/*
 * sim_size - answer for @p->trace_path.
 * Return: 0 and *@out (a target no limit up to SIM_SIZE_MAX_FACTOR times the
 * footprint meets is found == false); -EINVAL bad parameters or trace (@err
 * says why); -ENOMEM; -errno reading the trace.
 */
#define SIM_SIZE_MAX_FACTOR 4
/* The multiple of SIM_SIZE_GRID at or above @bytes (at least one). */
uint64_t sim_size_grid_up(uint64_t bytes);
/* An enclave's EPC when it is all resident: @nr_pages, the SECS and the VA
 * pages it gets at EADD (one per SIM_SIZE_VA_SLOTS pages), in bytes. */
uint64_t sim_size_footprint(uint64_t nr_pages);
/* The footprints of the enclaves in @cgroup and below it (their sizes, or
 * their traces' pages once sim_scenario_check_traces() ran), in bytes. */
uint64_t sim_scenario_footprint(const struct sim_scenario *s, const char *cgroup);
/* `--max auto`: up to SIM_SIZE_AUTO_STEPS limits evenly spaced up to @fits
 * (a grid limit: the footprint rounded up). */
void sim_size_auto_range(uint64_t fits, uint64_t *from, uint64_t *to, unsigned *steps);
/*
 * sim_trace_scenario - one enclave "trace" replaying @trace_path (every
 * access once) in the cgroup SIM_TRACE_CGROUP (no limit: a sweep sets it) on
 * one EPC section of @epc_bytes (at least 32 MiB), finalized and its trace
 * read; @dynamic: an EDMM enclave whose every page is EAUGed when first
 * touched. Return: 0 and *@out; -EINVAL (@err says why); -ENOMEM; -errno.
 */
int sim_trace_scenario(const char *trace_path, uint64_t epc_bytes, bool dynamic,
		       struct sim_scenario **out, char *err, size_t errlen);
int sim_size(const struct sim_size_params *p, struct sim_size_answer **out, char *err,
	     size_t errlen);
void sim_size_free(struct sim_size_answer *a);
/* The simulated point at @max (a grid limit), or NULL if none was simulated. */
const struct sim_size_point *sim_size_point_at(const struct sim_size_answer *a, uint64_t max);

#endif
