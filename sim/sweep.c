// SPDX-License-Identifier: MIT
/*
 * sweep.c - sim_sweep() and its outputs (sweep.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "engine.h"
#include "report.h"
#include "sweep.h"

struct sweep {
	const struct sim_sweep_params *p;
	struct sim_sweep_result *r;
	atomic_uint next;
	pthread_mutex_t lock; /* protects done, failed, err, point_done, per_point */
	unsigned done;
	uint64_t *point_done; /* accesses of each point so far */
	uint64_t per_point;   /* accesses a point makes (0: not known yet) */
	int failed;
	char *err;
	size_t errlen;
};

static bool in_subtree(const char *cg, const char *path)
{
	size_t n = strlen(path);

	return !strcmp(cg, path) || (!strncmp(cg, path, n) && cg[n] == '/');
}

#define POINT_FINISHED UINT64_MAX /* in point_done: all of its accesses count */

struct point_ctx {
	struct sweep *sw;
	unsigned i;
};

/* Call with sw->lock held. */
static void report_accesses(struct sweep *sw)
{
	uint64_t sum = 0;

	if (!sw->p->progress_accesses || !sw->per_point)
		return;
	for (unsigned k = 0; k < sw->r->nr_points; k++)
		sum += sw->point_done[k] == POINT_FINISHED ? sw->per_point : sw->point_done[k];
	sw->p->progress_accesses(sw->p->progress_arg, sum, sw->per_point * sw->r->nr_points);
}

static void point_progress(void *arg, uint64_t done, uint64_t total)
{
	struct point_ctx *c = arg;

	pthread_mutex_lock(&c->sw->lock);
	c->sw->point_done[c->i] = done;
	if (total > c->sw->per_point)
		c->sw->per_point = total;
	report_accesses(c->sw);
	pthread_mutex_unlock(&c->sw->lock);
}

/* A point ended (ran or failed): all its accesses count as done. */
static void point_finished(struct sweep *sw, unsigned i)
{
	pthread_mutex_lock(&sw->lock);
	sw->point_done[i] = POINT_FINISHED;
	report_accesses(sw);
	pthread_mutex_unlock(&sw->lock);
}

static int run_point(struct sweep *sw, unsigned i)
{
	const struct sim_sweep_params *p = sw->p;
	struct sim_sweep_point *pt = &sw->r->points[i];
	struct point_ctx ctx = {.sw = sw, .i = i};
	struct sim_run_params rp = {.scenario = p->scenario,
				    .override_cgroup = p->cgroup,
				    .override_max = pt->max,
				    .progress = p->progress_accesses ? point_progress : NULL,
				    .progress_arg = &ctx,
				    .quiet = true};
	struct sim_result *res = NULL;
	char err[SIM_ERR_LEN];
	uint64_t cycles = 0;
	int ret = sim_run(&rp, &res, err, sizeof(err));

	if (ret == -EIO) { /* this limit does not work: say so and carry on */
		snprintf(pt->failed, sizeof(pt->failed), "%s", err[0] ? err : "the run failed");
		point_finished(sw, i);
		return 0;
	}
	if (ret) {
		char sz[32];

		fmt_size(sz, sizeof(sz), pt->max);
		pthread_mutex_lock(&sw->lock);
		if (!sw->failed) {
			sw->failed = ret;
			snprintf(sw->err, sw->errlen, "max %s: %s", sz, err);
		}
		pthread_mutex_unlock(&sw->lock);
		return ret;
	}
	for (int e = 0; e < res->nr_enclaves; e++) {
		const struct sim_enclave_result *er = &res->enclaves[e];

		if (!in_subtree(er->cgroup, p->cgroup))
			continue;
		pt->accesses += er->accesses;
		pt->faults += er->faults;
		cycles += er->cycles;
	}
	for (int c = 0; c < res->nr_cgroups; c++)
		if (!strcmp(res->cgroups[c].path, p->cgroup))
			pt->evictions = res->cgroups[c].evicted;
	pt->fault_rate = pt->accesses ? (double)pt->faults / (double)pt->accesses : 0;
	pt->slowdown = pt->accesses ? (double)cycles / ((double)pt->accesses *
							(double)p->scenario->run.cost.access)
				    : 1.0;
	if (p->scenario->run.cost.access == 0)
		pt->slowdown = 1.0;
	pt->modelled_seconds = res->modelled_seconds;
	sim_result_free(res);
	point_finished(sw, i);
	return 0;
}

static void *worker(void *arg)
{
	struct sweep *sw = arg;

	for (;;) {
		unsigned i = atomic_fetch_add(&sw->next, 1);

		if (i >= sw->r->nr_points)
			break;
		pthread_mutex_lock(&sw->lock);
		bool stop = sw->failed != 0;
		pthread_mutex_unlock(&sw->lock);
		if (stop || run_point(sw, i))
			break;
		pthread_mutex_lock(&sw->lock);
		sw->done++;
		if (sw->p->progress)
			sw->p->progress(sw->p->progress_arg, sw->done, sw->r->nr_points);
		pthread_mutex_unlock(&sw->lock);
	}
	return NULL;
}

static int check_params(const struct sim_sweep_params *p, char *err, size_t errlen)
{
	if (!p->cgroup || !strcmp(p->cgroup, "/")) {
		snprintf(err, errlen, "--cgroup: the root has no misc.max to sweep");
		return -EINVAL;
	}
	if (!sim_scenario_cgroup(p->scenario, p->cgroup)) {
		snprintf(err, errlen, "--cgroup: %s is not in the scenario", p->cgroup);
		return -EINVAL;
	}
	if (p->from > p->to || p->steps < 1 || p->steps > SIM_SWEEP_MAX_STEPS ||
	    (p->steps == 1 && p->from != p->to) || (p->steps > 1 && p->from == p->to)) {
		snprintf(err, errlen,
			 "--max: FROM must not exceed TO, and STEPS be 2 to %d (1 when FROM equals "
			 "TO)",
			 SIM_SWEEP_MAX_STEPS);
		return -EINVAL;
	}
	if (p->jobs < 1 || p->jobs > SIM_SWEEP_MAX_JOBS) {
		snprintf(err, errlen, "-j: %u jobs (1 to %d)", p->jobs, SIM_SWEEP_MAX_JOBS);
		return -EINVAL;
	}
	if (!(p->target >= 0 && p->target <= 1)) {
		snprintf(err, errlen, "--target: out of range (0 to 100%%)");
		return -EINVAL;
	}
	if (p->target_slowdown != 0 && !(p->target_slowdown >= 1 && p->target_slowdown < 1e12)) {
		snprintf(err, errlen, "--target-slowdown: out of range (1 or more)");
		return -EINVAL;
	}
	return 0;
}

/* The limits of @r's points: @p->steps from @p->from to @p->to, evenly,
 * each rounded down to a page. */
static void sweep_limits(const struct sim_sweep_params *p, struct sim_sweep_result *r)
{
	uint64_t span = p->to - p->from;

	for (unsigned i = 0; i < p->steps; i++) {
		uint64_t v = p->steps == 1 ? p->from
					   : p->from + (uint64_t)((unsigned __int128)span * i /
								  (p->steps - 1));

		r->points[i].max = v & ~(uint64_t)(EPC_PAGE_SIZE - 1);
	}
}

/* Run every point of @sw on up to @jobs threads (this one when none
 * starts). Return: 0; -ENOMEM. */
static int sweep_run_points(struct sweep *sw, unsigned jobs)
{
	pthread_t *tids = calloc(jobs, sizeof(*tids));
	unsigned started = 0;

	sw->point_done = calloc(sw->p->steps, sizeof(*sw->point_done));
	if (!tids || !sw->point_done) {
		free(tids);
		free(sw->point_done);
		return -ENOMEM;
	}
	pthread_mutex_init(&sw->lock, NULL);
	for (; started < jobs; started++)
		if (pthread_create(&tids[started], NULL, worker, sw))
			break;
	if (started == 0)
		worker(sw);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	pthread_mutex_destroy(&sw->lock);
	free(tids);
	free(sw->point_done);
	return 0;
}

/* What @r's points say: how many failed, the smallest limit that meets the
 * target, the knee of those that ran. Return: 0; -ENOMEM. */
static int sweep_summarize(const struct sim_sweep_params *p, struct sim_sweep_result *r)
{
	struct sim_sweep_point *ran = malloc((size_t)p->steps * sizeof(*ran));
	unsigned nr_ran = 0;

	if (!ran)
		return -ENOMEM;
	for (unsigned i = 0; i < p->steps; i++) {
		const struct sim_sweep_point *pt = &r->points[i];

		if (pt->failed[0]) {
			r->nr_failed++;
			continue;
		}
		ran[nr_ran++] = *pt;
		if (!r->target_found && (p->target_slowdown > 0 ? pt->slowdown <= p->target_slowdown
								: pt->fault_rate <= p->target)) {
			r->target_found = true;
			r->target_max = pt->max;
			r->target_slowdown_seen = pt->slowdown;
		}
	}
	r->knee_found = sim_sweep_knee(ran, nr_ran, &r->knee);
	free(ran);
	return 0;
}

int sim_sweep(const struct sim_sweep_params *p, struct sim_sweep_result **out, char *err,
	      size_t errlen)
{
	struct sweep sw = {.p = p, .err = err, .errlen = errlen};
	int ret = check_params(p, err, errlen);

	if (ret)
		return ret;
	sw.r = calloc(1, sizeof(*sw.r));
	if (!sw.r)
		return -ENOMEM;
	sw.r->nr_points = p->steps;
	sw.r->points = calloc(p->steps, sizeof(*sw.r->points));
	if (!sw.r->points) {
		sim_sweep_free(sw.r);
		return -ENOMEM;
	}
	sweep_limits(p, sw.r);
	ret = sweep_run_points(&sw, p->jobs < p->steps ? p->jobs : p->steps);
	if (!ret && sw.failed)
		ret = sw.failed == -EINVAL || sw.failed == -ENOMEM ? sw.failed : -EIO;
	if (!ret)
		ret = sweep_summarize(p, sw.r);
	if (ret) {
		sim_sweep_free(sw.r);
		return ret;
	}
	*out = sw.r;
	return 0;
}

bool sim_sweep_knee(const struct sim_sweep_point *pts, unsigned n, uint64_t *knee)
{
	double x0, xr, ylo, yhi, first, last, best = SIM_SWEEP_KNEE_MIN;
	bool found = false;

	if (n < 3 || pts[n - 1].max <= pts[0].max)
		return false;
	ylo = yhi = pts[0].fault_rate;
	for (unsigned i = 1; i < n; i++) {
		ylo = pts[i].fault_rate < ylo ? pts[i].fault_rate : ylo;
		yhi = pts[i].fault_rate > yhi ? pts[i].fault_rate : yhi;
	}
	if (yhi <= ylo || pts[n - 1].fault_rate >= pts[0].fault_rate)
		return false;
	x0 = (double)pts[0].max;
	xr = (double)pts[n - 1].max - x0;
	first = (pts[0].fault_rate - ylo) / (yhi - ylo);
	last = (pts[n - 1].fault_rate - ylo) / (yhi - ylo);
	for (unsigned i = 1; i + 1 < n; i++) {
		double x = ((double)pts[i].max - x0) / xr;
		double y = (pts[i].fault_rate - ylo) / (yhi - ylo);
		double below = first + (last - first) * x - y;

		if (below > best) {
			best = below;
			*knee = pts[i].max;
			found = true;
		}
	}
	return found;
}

void sim_sweep_free(struct sim_sweep_result *r)
{
	if (!r)
		return;
	free(r->points);
	free(r);
}

void sim_sweep_csv(FILE *f, const struct sim_sweep_result *r)
{
	fprintf(f, "max_bytes,fault_rate,evictions,modelled_slowdown\n");
	for (unsigned i = 0; i < r->nr_points; i++)
		if (!r->points[i].failed[0])
			fprintf(f, "%" PRIu64 ",%.6f,%" PRIu64 ",%.4f\n", r->points[i].max,
				r->points[i].fault_rate, r->points[i].evictions,
				r->points[i].slowdown);
}

uint64_t sim_sweep_unit(const struct sim_sweep_result *r, const char **name)
{
	static const char *const names[] = {"KiB", "MiB", "GiB"};
	uint64_t unit = 1024;
	int u = 0;

	for (int next = 1; next < 3; next++) {
		uint64_t cand = (uint64_t)1 << (10 * (next + 1));
		bool exact = true;

		for (unsigned i = 0; i < r->nr_points && exact; i++)
			exact = r->points[i].max >= cand && (r->points[i].max * 100) % cand == 0;
		if (!exact)
			break;
		unit = cand;
		u = next;
	}
	if (name)
		*name = names[u];
	return unit;
}

/* @bytes in @unit, exact: "108", "1.5", "0.25". */
static void fmt_in_unit(char *buf, size_t len, uint64_t bytes, uint64_t unit)
{
	if (bytes % unit == 0)
		snprintf(buf, len, "%" PRIu64, bytes / unit);
	else if ((bytes * 10) % unit == 0)
		snprintf(buf, len, "%.1f", (double)bytes / (double)unit);
	else
		snprintf(buf, len, "%.2f", (double)bytes / (double)unit);
}

static void fmt_limit(char *buf, size_t len, uint64_t bytes, const struct sim_sweep_result *r)
{
	const char *name;
	uint64_t unit = sim_sweep_unit(r, &name);
	char n[24];

	fmt_in_unit(n, sizeof(n), bytes, unit);
	snprintf(buf, len, "%s %s", n, name);
}

/* What a failed point's table row says: the reason in the message's last
 * parentheses ("its cgroup /app cannot hold SECS + VA + 1 page"), else all of it. */
static const char *short_reason(const char *failed, int *len)
{
	size_t n = strlen(failed);
	const char *open = n && failed[n - 1] == ')' ? strrchr(failed, '(') : NULL;

	if (!open) {
		*len = (int)n;
		return failed;
	}
	*len = (int)(failed + n - 1 - (open + 1));
	return open + 1;
}

static void target_text(char *buf, size_t len, const struct sim_sweep_params *p)
{
	if (p->target_slowdown > 0)
		snprintf(buf, len, "a modelled slowdown at or under %.2fx", p->target_slowdown);
	else
		snprintf(buf, len, "a fault rate at or under %g%%", 100 * p->target);
}

/* What a fault-rate target means by the scenario's cost model: each fault
 * costs its entry, an EWB and an ELDU on top of the access, so a rate r
 * models as a slowdown of about 1 + r x (fault + ewb + eldu) / access. */
static void target_meaning(FILE *f, const struct sim_sweep_params *p)
{
	double weight = sim_cost_fault_weight(&p->scenario->run.cost);

	if (!p->scenario->run.cost.access)
		return;
	fprintf(f,
		"(by the cost model, a fault costs %.0f accesses' time: %g%% of accesses "
		"faulting is\n about a %.1fx modelled slowdown; --target-slowdown sets that "
		"instead)\n",
		weight, 100 * p->target, 1 + p->target * weight);
}

/* Point @pt's marks after its row ("<- knee, target"), or "". */
static void point_marks(char *buf, size_t len, const struct sim_sweep_result *r,
			const struct sim_sweep_point *pt)
{
	bool knee = r->knee_found && pt->max == r->knee;
	bool target = r->target_found && pt->max == r->target_max;

	snprintf(buf, len, "%s%s%s", knee || target ? "<- " : "", knee ? "knee" : "",
		 target ? (knee ? ", target" : "target") : "");
}

/* The table of @r's points, each limit a row (a failed one says why), the
 * knee and the target marked. Return: the first point that ran, or NULL. */
static const struct sim_sweep_point *report_table(FILE *f, const struct sim_sweep_result *r)
{
	static const char *const hdr[] = {"max", "fault rate", "evictions", "modelled slowdown"};
	static const bool right[] = {true, true, true, true};
	struct fmt_table t = {.ncol = 4, .hdr = hdr, .right = right};
	const struct sim_sweep_point *first_ok = NULL;
	char marks[32], why[SIM_ERR_LEN + 8];

	for (unsigned i = 0; i < r->nr_points; i++) {
		const struct sim_sweep_point *pt = &r->points[i];
		int row = fmt_table_row(&t), n;

		fmt_limit(fmt_table_cell(&t, row, 0), FMT_CELL, pt->max, r);
		if (pt->failed[0]) {
			const char *reason = short_reason(pt->failed, &n);

			snprintf(why, sizeof(why), "fails: %.*s", n, reason);
			fmt_table_note(&t, row, 1, why);
			continue;
		}
		if (!first_ok)
			first_ok = pt;
		fmt_rate(fmt_table_cell(&t, row, 1), FMT_CELL, pt->faults, pt->fault_rate);
		fmt_count(fmt_table_cell(&t, row, 2), FMT_CELL, pt->evictions);
		snprintf(fmt_table_cell(&t, row, 3), FMT_CELL, "%.2fx", pt->slowdown);
		point_marks(marks, sizeof(marks), r, pt);
		if (marks[0])
			fmt_table_note(&t, row, 4, marks);
	}
	fputc('\n', f);
	fmt_table_print(f, &t);
	fputc('\n', f);
	return first_ok;
}

/* The target's line: the smallest limit that meets it (@first_ok the first
 * point that ran: then the answer may lie below the limits tried). */
static void report_target_found(FILE *f, const struct sim_sweep_params *p,
				const struct sim_sweep_result *r,
				const struct sim_sweep_point *first_ok, const char *what)
{
	const struct sim_sweep_point *tp = NULL;
	char limit[32], rate[32], below[32];

	for (unsigned i = 0; i < r->nr_points; i++)
		if (r->points[i].max == r->target_max)
			tp = &r->points[i];
	fmt_limit(limit, sizeof(limit), r->target_max, r);
	fmt_rate(rate, sizeof(rate), tp->faults, tp->fault_rate);
	fprintf(f,
		"target: the smallest limit of %s with %s: %s%s (%" PRIu64
		" bytes; fault rate %s, modelled slowdown %.2fx)",
		p->cgroup, what, tp == first_ok ? "at or below " : "", limit, r->target_max, rate,
		tp->slowdown);
	if (tp == first_ok && tp == &r->points[0]) {
		fprintf(f, ",\n  the smallest limit tried: start --max lower\n");
	} else if (tp == first_ok) {
		fmt_limit(below, sizeof(below), tp[-1].max, r);
		fprintf(f,
			",\n  the smallest limit that ran: try limits between %s (fails) "
			"and %s\n",
			below, limit);
	} else {
		fputc('\n', f);
	}
}

/* No limit meets the target: say so, and why when the last limits change
 * nothing. */
static void report_target_missed(FILE *f, const struct sim_sweep_params *p,
				 const struct sim_sweep_result *r, const char *what)
{
	const struct sim_sweep_point *last = &r->points[r->nr_points - 1];
	char to[32];

	fmt_size(to, sizeof(to), p->to);
	fprintf(f, "no limit of %s up to %s keeps %s\n", p->cgroup, to, what + 2);
	if (r->nr_points >= 2 && !last[0].failed[0] && !last[-1].failed[0] &&
	    last[0].faults == last[-1].faults)
		fprintf(f, "(the last limits change nothing: those faults do not come from "
			   "this limit but from\n a full EPC or a limit above it; see `epcmm "
			   "run` at the largest limit)\n");
}

void sim_sweep_report(FILE *f, const struct sim_sweep_params *p, const struct sim_sweep_result *r)
{
	const struct sim_sweep_point *first_ok = report_table(f, r);
	char what[64], limit[32];

	if (!first_ok) {
		fmt_limit(limit, sizeof(limit), r->points[r->nr_points - 1].max, r);
		fprintf(f, "every limit failed: the smallest that works is above %s\n", limit);
		return;
	}
	if (r->knee_found) {
		fmt_limit(limit, sizeof(limit), r->knee, r);
		fprintf(f,
			"knee of the curve (where the fault rate's fall bends most): %s (%" PRIu64
			" bytes)\n",
			limit, r->knee);
	}
	target_text(what, sizeof(what), p);
	if (r->target_found)
		report_target_found(f, p, r, first_ok, what);
	else
		report_target_missed(f, p, r, what);
	if (!(p->target_slowdown > 0))
		target_meaning(f, p);
	if (r->nr_failed)
		fprintf(f, "%u of %u limits failed (the rows that say so)\n", r->nr_failed,
			r->nr_points);
}

int sim_sweep_json(FILE *f, const struct sim_sweep_params *p, const struct sim_sweep_result *r)
{
	json_t *doc = json_object(), *pts = json_array();
	int ret = -ENOMEM;

	if (!doc || !pts)
		goto out;
	for (unsigned i = 0; i < r->nr_points; i++) {
		const struct sim_sweep_point *pt = &r->points[i];
		json_t *o =
			pt->failed[0]
				? json_pack("{s:I, s:s}", "max", (json_int_t)pt->max, "failed",
					    pt->failed)
				: json_pack("{s:I, s:f, s:I, s:I, s:I, s:f, s:f}", "max",
					    (json_int_t)pt->max, "fault_rate", pt->fault_rate,
					    "accesses", (json_int_t)pt->accesses, "faults",
					    (json_int_t)pt->faults, "evictions",
					    (json_int_t)pt->evictions, "modelled_slowdown",
					    pt->slowdown, "modelled_seconds", pt->modelled_seconds);

		if (!o || json_array_append_new(pts, o))
			goto out;
	}
	if (json_object_set_new(doc, "epcmm_version", json_string(EPCMM_VERSION_STRING)) ||
	    json_object_set_new(doc, "scenario", json_string(p->scenario->title)) ||
	    json_object_set_new(doc, "seed", json_integer((json_int_t)p->scenario->run.seed)) ||
	    json_object_set_new(doc, "cgroup", json_string(p->cgroup)) ||
	    json_object_set_new(doc, "target_fault_rate",
				p->target_slowdown > 0 ? json_null() : json_real(p->target)) ||
	    json_object_set_new(doc, "target_slowdown",
				p->target_slowdown > 0 ? json_real(p->target_slowdown)
						       : json_null()) ||
	    json_object_set_new(doc, "knee",
				r->knee_found ? json_integer((json_int_t)r->knee) : json_null()) ||
	    json_object_set_new(doc, "target_max",
				r->target_found ? json_integer((json_int_t)r->target_max)
						: json_null()) ||
	    json_object_set_new(doc, "points_failed", json_integer(r->nr_failed)))
		goto out;
	ret = json_object_set(doc, "points", pts) ? -ENOMEM : 0;
	if (!ret &&
	    (json_dumpf(doc, f, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) || fputc('\n', f) == EOF))
		ret = -EIO;
out:
	json_decref(pts);
	json_decref(doc);
	return ret;
}
