// SPDX-License-Identifier: MIT
/*
 * bench_size.c - how fast `epcmm size` answers, and how close its one-pass
 * LRU curve is to the simulated reclaimer (sim/mrc.h, sim/size.h).
 *
 *   bench_size [-j JOBS] [-c] TRACE...
 *
 * For each trace: the one-pass curve's rate (accesses a second, best of
 * three passes), then sim_size() as `epcmm size TRACE` runs it (the wall
 * time, the limits simulated, the answers). With -c, every grid limit
 * up to the footprint is also simulated and printed beside the curve's LRU
 * figure: faults, and their ratio (simulated / LRU), and the median ratio.
 * The machine must be quiet for the times to count: the CPU time the process
 * used over the wall time and the jobs is printed beside them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "mrc.h"
#include "size.h"
#include "sweep.h"
#include "trace.h"

#define MRC_PASSES 3

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static int bench_mrc(const char *path)
{
	char err[SIM_ERR_LEN];
	struct sim_trace *t;
	double best = 0;

	if (sim_trace_open(path, &t, err, sizeof(err))) {
		fprintf(stderr, "bench_size: %s\n", err);
		return -1;
	}
	for (int i = 0; i < MRC_PASSES; i++) {
		struct sim_mrc *m;
		double t0 = now_s(), rate;

		if (sim_mrc_build(t, false, &m)) {
			fprintf(stderr, "bench_size: %s: no curve\n", path);
			sim_trace_close(t);
			return -1;
		}
		rate = (double)m->nr_accesses / (now_s() - t0);
		best = rate > best ? rate : best;
		sim_mrc_free(m);
	}
	printf("  one-pass curve: %.1f M accesses/s (best of %d; %llu accesses, %llu pages, "
	       "%llu entries)\n",
	       best / 1e6, MRC_PASSES, (unsigned long long)sim_trace_nr_records(t),
	       (unsigned long long)sim_trace_nr_pages(t),
	       (unsigned long long)sim_trace_nr_entries(t));
	sim_trace_close(t);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Every grid limit the curve covers, simulated on sim_size()'s scenario. */
static int compare(const char *path, const struct sim_size_answer *a, unsigned jobs)
{
	char err[SIM_ERR_LEN];
	struct sim_scenario *s = NULL;
	struct sim_sweep_result *r = NULL;
	double *ratios = calloc(a->nr_curve, sizeof(*ratios));
	unsigned n = 0, first = 0;

	while (first < a->nr_curve && a->curve[first].failed)
		first++;
	if (!ratios || first + 2 > a->nr_curve)
		return free(ratios), 0;
	if (sim_trace_scenario(path, 2 * SIM_SIZE_MAX_FACTOR * a->fits, false, &s, err,
			       sizeof(err))) {
		fprintf(stderr, "bench_size: --compare: %s\n", err);
		free(ratios);
		return -1;
	}
	struct sim_sweep_params p = {.scenario = s,
				     .cgroup = SIM_TRACE_CGROUP,
				     .from = a->curve[first].max,
				     .to = a->curve[a->nr_curve - 1].max,
				     .steps = a->nr_curve - first,
				     .jobs = jobs,
				     .target = 1};
	if (sim_sweep(&p, &r, err, sizeof(err))) {
		fprintf(stderr, "bench_size: --compare: %s\n", err);
		sim_scenario_free(s);
		free(ratios);
		return -1;
	}
	printf("  %10s %12s %12s %7s\n", "max KiB", "LRU faults", "sim faults", "sim/LRU");
	for (unsigned i = 0; i < r->nr_points; i++) {
		const struct sim_size_point *c = &a->curve[first + i];
		const struct sim_sweep_point *q = &r->points[i];

		printf("  %10llu %12llu %12llu", (unsigned long long)(q->max / 1024),
		       (unsigned long long)c->faults, (unsigned long long)q->faults);
		if (c->faults) {
			ratios[n] = (double)q->faults / (double)c->faults;
			printf(" %7.3f", ratios[n++]);
		}
		putchar('\n');
	}
	if (n) {
		qsort(ratios, n, sizeof(*ratios), cmp_double);
		printf("  median sim/LRU over %u limits with LRU faults: %.3f (range %.3f-%.3f)\n",
		       n, ratios[n / 2], ratios[0], ratios[n - 1]);
	}
	sim_sweep_free(r);
	sim_scenario_free(s);
	free(ratios);
	return 0;
}

static int bench_answer(const char *path, unsigned jobs, bool cmp)
{
	struct sim_size_params p = {
		.trace_path = path, .target_rate = 0.01, .target_slowdown = 1.1, .jobs = jobs};
	struct sim_size_answer *a;
	char err[SIM_ERR_LEN] = "";
	double t0 = now_s(), c0 = cpu_s(), wall, cpu;
	int ret = sim_size(&p, &a, err, sizeof(err));

	if (ret) {
		fprintf(stderr, "bench_size: %s\n", err);
		return -1;
	}
	wall = now_s() - t0;
	cpu = cpu_s() - c0;
	printf("  epcmm size: %.2f s wall, %u limits simulated, -j %u; CPU busy %.0f%% of %u "
	       "(quiet: ~100%%)\n",
	       wall, a->nr_points, jobs, 100 * cpu / wall / jobs, jobs);
	printf("  answers: footprint %llu KiB, 1%% faults at %llu KiB, 1.1x at %llu KiB, "
	       "knee %llu KiB\n",
	       (unsigned long long)(a->footprint / 1024),
	       (unsigned long long)(a->rate.found ? a->rate.max / 1024 : 0),
	       (unsigned long long)(a->slowdown.found ? a->slowdown.max / 1024 : 0),
	       (unsigned long long)(a->knee_found ? a->knee.max / 1024 : 0));
	ret = cmp ? compare(path, a, jobs) : 0;
	sim_size_free(a);
	return ret;
}

int main(int argc, char **argv)
{
	unsigned jobs = 2;
	bool cmp = false;
	int c, status = 0;

	while ((c = getopt(argc, argv, "j:c")) != -1) {
		if (c == 'j' && atoi(optarg) >= 1 && atoi(optarg) <= SIM_SWEEP_MAX_JOBS) {
			jobs = (unsigned)atoi(optarg);
		} else if (c == 'c') {
			cmp = true;
		} else {
			fprintf(stderr, "usage: bench_size [-j JOBS] [-c] TRACE...\n");
			return 2;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "usage: bench_size [-j JOBS] [-c] TRACE...\n");
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		printf("%s\n", argv[i]);
		if (bench_mrc(argv[i]) || bench_answer(argv[i], jobs, cmp))
			status = 1;
	}
	return status;
}
