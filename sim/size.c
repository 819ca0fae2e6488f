// SPDX-License-Identifier: MIT
/*
 * size.c - the answers of `epcmm size` (size.h): a one-pass curve to aim
 * with, full simulations on a grid to answer with.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "mrc.h"
#include "size.h"
#include "sweep.h"
#include "trace.h"

#define PAGE SIM_TRACE_PAGE_SIZE
#define GRID SIM_SIZE_GRID

struct sizer {
	const struct sim_size_params *p;
	struct sim_scenario *scenario;
	struct sim_size_answer *a;
	uint64_t overhead; /* pages beside the trace's: SECS, VA pages */
	size_t cap_points;
	char *err;
	size_t errlen;
};

/* A target's test of a simulated point. */
typedef bool (*size_ok_fn)(const struct sim_size_answer *a, const struct sim_size_point *pt);

static bool ok_rate(const struct sim_size_answer *a, const struct sim_size_point *pt)
{
	return !pt->failed && pt->fault_rate <= a->target_rate;
}

static bool ok_slowdown(const struct sim_size_answer *a, const struct sim_size_point *pt)
{
	return !pt->failed && pt->slowdown <= a->target_slowdown;
}

/* ------------------------------------------------------------ the scenario */

uint64_t sim_size_grid_up(uint64_t bytes)
{
	uint64_t g = (bytes + GRID - 1) / GRID * GRID;

	return g ? g : GRID;
}

uint64_t sim_size_footprint(uint64_t nr_pages)
{
	return (nr_pages + 1 + (nr_pages + SIM_SIZE_VA_SLOTS - 1) / SIM_SIZE_VA_SLOTS) * PAGE;
}

uint64_t sim_scenario_footprint(const struct sim_scenario *s, const char *cgroup)
{
	size_t n = strlen(cgroup);
	uint64_t bytes = 0;

	for (int i = 0; i < s->nr_enclaves; i++) {
		const struct sim_enclave *e = &s->enclaves[i];
		const char *cg = e->cgroup ? e->cgroup : "/";

		if (strcmp(cgroup, "/") && (strncmp(cg, cgroup, n) || (cg[n] && cg[n] != '/')))
			continue;
		bytes += sim_size_footprint(e->size ? e->size / PAGE : e->trace_pages);
	}
	return bytes;
}

void sim_size_auto_range(uint64_t fits, uint64_t *from, uint64_t *to, unsigned *steps)
{
	uint64_t n = fits / GRID < SIM_SIZE_AUTO_STEPS ? fits / GRID : SIM_SIZE_AUTO_STEPS;

	*to = sim_size_grid_up(fits);
	*steps = n > 1 ? (unsigned)n : 1;
	*from = *steps > 1 ? *to / *steps : *to;
}

int sim_trace_scenario(const char *trace_path, uint64_t epc_bytes, bool dynamic,
		       struct sim_scenario **out, char *err, size_t errlen)
{
	uint64_t epc = sim_size_grid_up(epc_bytes < (32ull << 20) ? 32ull << 20 : epc_bytes);
	struct sim_scenario *s = NULL;
	struct sim_enclave *e;
	char text[256];
	int ret;

	/* The trace's path is set after parsing, so no character of it needs
	 * quoting in INI text. */
	snprintf(text, sizeof(text),
		 "[section 0]\nsize = %llu\n\n"
		 "[cgroup " SIM_TRACE_CGROUP "]\nmax = max\n\n"
		 "[enclave trace]\ncgroup = " SIM_TRACE_CGROUP "\npattern = trace:-\n%s",
		 (unsigned long long)epc, dynamic ? "dynamic = on\n" : "");
	ret = sim_scenario_new(&s);
	if (ret)
		return ret;
	ret = sim_scenario_parse(s, "trace", text, strlen(text), err, errlen);
	if (ret)
		goto err;
	e = &s->enclaves[0];
	free(e->pattern.trace_path);
	e->pattern.trace_path = strdup(trace_path);
	ret = e->pattern.trace_path ? sim_scenario_finalize(s, err, errlen) : -ENOMEM;
	if (!ret)
		ret = sim_scenario_check_traces(s, err, errlen);
	if (ret)
		goto err;
	*out = s;
	return 0;
err:
	sim_scenario_free(s);
	return ret;
}

/* The sizing scenario: the trace once, on an EPC that only the cgroup's
 * limit binds (twice the largest limit a search may try). */
static int size_scenario(struct sizer *z)
{
	int ret = sim_trace_scenario(z->p->trace_path, 2 * SIM_SIZE_MAX_FACTOR * z->a->fits,
				     z->p->dynamic, &z->scenario, z->err, z->errlen);

	if (!ret)
		z->a->run = z->scenario->run;
	return ret;
}

/* ------------------------------------------------------------ points */

const struct sim_size_point *sim_size_point_at(const struct sim_size_answer *a, uint64_t max)
{
	for (unsigned i = 0; i < a->nr_points; i++)
		if (a->points[i].max == max)
			return &a->points[i];
	return NULL;
}

static int point_add(struct sizer *z, const struct sim_sweep_point *sp)
{
	struct sim_size_answer *a = z->a;
	unsigned i;

	if (a->nr_points == z->cap_points) {
		size_t cap = z->cap_points ? 2 * z->cap_points : 16;
		struct sim_size_point *np = realloc(a->points, cap * sizeof(*np));

		if (!np)
			return -ENOMEM;
		a->points = np;
		z->cap_points = cap;
	}
	for (i = a->nr_points; i > 0 && a->points[i - 1].max > sp->max; i--)
		a->points[i] = a->points[i - 1];
	a->points[i] = (struct sim_size_point){.max = sp->max,
					       .accesses = sp->accesses,
					       .faults = sp->faults,
					       .evictions = sp->evictions,
					       .fault_rate = sp->fault_rate,
					       .slowdown = sp->slowdown,
					       .failed = sp->failed[0] != 0};
	a->nr_points++;
	return 0;
}

/* Simulate @n evenly spaced grid limits from @from by @step (those not
 * simulated yet), @jobs at once. */
static int simulate(struct sizer *z, uint64_t from, uint64_t step, unsigned n)
{
	struct sim_sweep_params sp = {.scenario = z->scenario,
				      .cgroup = SIM_TRACE_CGROUP,
				      .jobs = z->p->jobs,
				      .target = 1.0};
	struct sim_sweep_result *r;
	int ret;

	/* Only what is not known yet; the rest stays evenly spaced. */
	while (n && sim_size_point_at(z->a, from)) {
		from += step;
		n--;
	}
	while (n && sim_size_point_at(z->a, from + (n - 1) * step))
		n--;
	if (!n)
		return 0;
	sp.from = from;
	sp.to = from + (n - 1) * step;
	sp.steps = n;
	ret = sim_sweep(&sp, &r, z->err, z->errlen);
	if (ret)
		return ret;
	for (unsigned i = 0; i < r->nr_points && !ret; i++)
		if (!sim_size_point_at(z->a, r->points[i].max))
			ret = point_add(z, &r->points[i]);
	sim_sweep_free(r);
	if (!ret && z->p->progress)
		z->p->progress(z->p->progress_arg, z->a->nr_points);
	return ret;
}

/* ------------------------------------------------------------ the search */

/* From what is simulated: @hi the smallest passing limit (0: none), @lo the
 * largest failing one below it (0: none). */
static void bracket(const struct sim_size_answer *a, size_ok_fn ok, uint64_t *lo, uint64_t *hi)
{
	*lo = *hi = 0;
	for (unsigned i = 0; i < a->nr_points && !*hi; i++)
		if (ok(a, &a->points[i]))
			*hi = a->points[i].max;
	for (unsigned i = 0; i < a->nr_points; i++)
		if (!ok(a, &a->points[i]) && (!*hi || a->points[i].max < *hi))
			*lo = a->points[i].max;
}

/*
 * The smallest grid limit that passes @ok with the one below it failing,
 * starting from @estimate (bytes, from the one-pass curve). Each round
 * simulates two limits: first the estimate and the step below it; then
 * galloping (doubling steps) until a limit passes and one fails, then
 * bisecting between them.
 */
static int search(struct sizer *z, size_ok_fn ok, uint64_t estimate, struct sim_size_target *t)
{
	const struct sim_size_answer *a = z->a;
	uint64_t top = SIM_SIZE_MAX_FACTOR * a->fits, lo, hi, d = GRID;
	uint64_t e = sim_size_grid_up(estimate) < top ? sim_size_grid_up(estimate) : top;
	int ret;

	for (;;) {
		bracket(a, ok, &lo, &hi);
		if (hi && (hi == GRID || (lo && hi - lo == GRID)))
			break;
		if (!hi && !lo) { /* nothing yet: the estimate and one below */
			ret = e > GRID ? simulate(z, e - GRID, GRID, 2)
				       : simulate(z, GRID, GRID, 2);
		} else if (!hi) { /* every limit tried fails: gallop up */
			if (lo >= top)
				break;
			ret = simulate(z, lo + d, d, lo + 2 * d <= top ? 2 : 1);
			d *= 2;
		} else if (!lo) { /* every limit tried passes: gallop down */
			uint64_t below = (hi - GRID) / GRID; /* grid limits under hi */

			if (below <= 2) {
				ret = simulate(z, GRID, GRID, (unsigned)below);
			} else {
				if (2 * d > hi - GRID)
					d = (hi - GRID) / 2 / GRID * GRID;
				ret = simulate(z, hi - 2 * d, d, 2);
				d *= 2;
			}
		} else { /* bisect (lo, hi) with two limits: thirds */
			uint64_t steps = (hi - lo) / GRID, third = steps / 3 ? steps / 3 : 1;

			ret = steps <= 3 ? simulate(z, lo + GRID, GRID, (unsigned)(steps - 1))
					 : simulate(z, lo + third * GRID, third * GRID, 2);
		}
		if (ret)
			return ret;
	}
	if (!hi)
		return 0;
	t->found = true;
	t->max = hi;
	t->at = *sim_size_point_at(a, hi);
	if (lo)
		t->below = *sim_size_point_at(a, lo);
	return 0;
}

/* ------------------------------------------------------------ the curve */

/* The one-pass curve on the grid, as a sweep's points would be, for the
 * knee and the plot; a limit below the overhead runs nothing (failed). */
static int curve_fill(struct sizer *z, const struct sim_mrc *m)
{
	struct sim_size_answer *a = z->a;
	const struct sim_cost *c = &a->run.cost;
	double per_fault = sim_cost_fault_weight(c);
	unsigned n = (unsigned)(a->fits / GRID);

	a->curve = calloc(n, sizeof(*a->curve));
	if (!a->curve)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		struct sim_size_point *pt = &a->curve[i];
		uint64_t pages = (uint64_t)(i + 1) * GRID / PAGE;

		pt->max = (uint64_t)(i + 1) * GRID;
		pt->accesses = m->nr_accesses;
		pt->failed = pages <= z->overhead;
		if (pt->failed)
			continue;
		pt->faults = sim_mrc_misses(m, pages - z->overhead);
		pt->evictions = pt->faults;
		pt->fault_rate = (double)pt->faults / (double)m->nr_accesses;
		pt->slowdown = 1 + pt->fault_rate * per_fault;
	}
	a->nr_curve = n;
	return 0;
}

/* The knee of the one-pass curve, simulated. */
static int knee_find(struct sizer *z)
{
	struct sim_size_answer *a = z->a;
	struct sim_sweep_point *pts = calloc(a->nr_curve, sizeof(*pts));
	unsigned n = 0;
	uint64_t knee;
	int ret = 0;

	if (!pts)
		return -ENOMEM;
	for (unsigned i = 0; i < a->nr_curve; i++)
		if (!a->curve[i].failed)
			pts[n++] = (struct sim_sweep_point){.max = a->curve[i].max,
							    .fault_rate = a->curve[i].fault_rate};
	if (sim_sweep_knee(pts, n, &knee)) {
		ret = simulate(z, knee, GRID, 1);
		if (!ret) {
			a->knee_found = true;
			a->knee = *sim_size_point_at(a, knee);
		}
	}
	free(pts);
	return ret;
}

/* The pages (of the trace's) an LRU cache needs for a miss rate at or under
 * @rate, as a limit: plus the enclave's own pages. */
static uint64_t estimate(const struct sizer *z, const struct sim_mrc *m, double rate)
{
	return (sim_mrc_pages_for_rate(m, rate) + z->overhead) * PAGE;
}

static int size_trace(struct sizer *z)
{
	struct sim_size_answer *a = z->a;
	const struct sim_cost *c;
	struct sim_trace *t;
	struct sim_mrc *m;
	double sd_rate;
	int ret;

	ret = sim_trace_open(z->p->trace_path, &t, z->err, z->errlen);
	if (ret)
		return ret;
	ret = sim_mrc_build(t, z->p->dynamic, &m);
	a->nr_pages = sim_trace_nr_pages(t);
	a->nr_accesses = sim_trace_nr_records(t);
	sim_trace_close(t);
	if (ret) {
		snprintf(z->err, z->errlen, "%s: %s", z->p->trace_path,
			 ret == -E2BIG ? "the trace is too long for its curve" : strerror(-ret));
		return ret;
	}
	a->nr_va_pages = (a->nr_pages + SIM_SIZE_VA_SLOTS - 1) / SIM_SIZE_VA_SLOTS;
	z->overhead = 1 + a->nr_va_pages;
	a->footprint = sim_size_footprint(a->nr_pages);
	a->fits = sim_size_grid_up(a->footprint);
	for (a->declare = PAGE; a->declare < a->nr_pages * PAGE; a->declare *= 2)
		;
	ret = size_scenario(z);
	if (!ret)
		ret = curve_fill(z, m);
	if (ret)
		goto out;
	/* The slowdown target as a fault rate: each fault costs its entry, an
	 * EWB and an ELDU over the access it interrupts. */
	c = &a->run.cost;
	sd_rate = sim_cost_fault_weight(c) ? (a->target_slowdown - 1) / sim_cost_fault_weight(c)
					   : 1; /* faults cost nothing: any rate */
	ret = search(z, ok_rate, estimate(z, m, a->target_rate), &a->rate);
	if (!ret)
		ret = search(z, ok_slowdown, estimate(z, m, sd_rate), &a->slowdown);
	if (!ret)
		ret = knee_find(z);
out:
	sim_mrc_free(m);
	return ret;
}

int sim_size(const struct sim_size_params *p, struct sim_size_answer **out, char *err,
	     size_t errlen)
{
	struct sizer z = {.p = p, .err = err, .errlen = errlen};
	int ret;

	if (!p->trace_path || !(p->target_rate >= 0 && p->target_rate <= 1) ||
	    !(p->target_slowdown >= 1) || p->jobs < 1 || p->jobs > SIM_SWEEP_MAX_JOBS) {
		snprintf(err, errlen, "bad sizing parameters");
		return -EINVAL;
	}
	z.a = calloc(1, sizeof(*z.a));
	if (!z.a)
		return -ENOMEM;
	z.a->target_rate = p->target_rate;
	z.a->target_slowdown = p->target_slowdown;
	z.a->dynamic = p->dynamic;
	ret = size_trace(&z);
	sim_scenario_free(z.scenario);
	if (ret) {
		sim_size_free(z.a);
		return ret;
	}
	*out = z.a;
	return 0;
}

void sim_size_free(struct sim_size_answer *a)
{
	if (!a)
		return;
	free(a->points);
	free(a->curve);
	free(a);
}
