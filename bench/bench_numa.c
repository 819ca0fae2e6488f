// SPDX-License-Identifier: MIT
/*
 * bench_numa.c - NUMA-aware reclaim (numa-reclaim, issue 20) beside the
 * kernel's node-blind reclaim, in one run: for each scenario, both policies,
 * the share of allocations served by the requesting task's own node and the
 * fault rate, and the two targets of DESIGN §8 on the built-in default
 * scenario (>= 97% local; fault rate within 10% of node-blind).
 *
 * Scenarios: the built-in default, then each file given on the command line
 * (its own numa-reclaim key is overridden). Deterministic mode gives the same
 * figures on every machine (they are counts, not times); threads mode (-t)
 * adds rows whose figures depend on how the reclaimer is scheduled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "epcmm.h"
#include "scenario.h"

#define TARGET_LOCAL	   0.97
#define TARGET_FAULT_RATIO 1.10

struct figures {
	double local, fault_rate;
	uint64_t faults, remote;
};

/* Run @path (NULL: the built-in default) with numa-reclaim @numa in @mode. */
static int run_one(const char *path, bool numa, enum sim_mode mode, struct figures *fig)
{
	struct sim_scenario *s = NULL;
	struct sim_result *r = NULL;
	char err[SIM_ERR_LEN] = "";
	uint64_t local = 0, remote = 0;
	int ret = sim_scenario_new(&s);

	if (!ret)
		ret = path ? sim_scenario_parse_file(s, path, err, sizeof(err))
			   : sim_scenario_parse(s, "built-in default", sim_default_scenario,
						strlen(sim_default_scenario), err, sizeof(err));
	if (!ret)
		ret = sim_scenario_finalize(s, err, sizeof(err));
	if (!ret) {
		struct sim_run_params p = {.scenario = s, .quiet = true};

		s->run.numa_reclaim = numa;
		s->run.mode = mode;
		ret = sim_run(&p, &r, err, sizeof(err));
	}
	if (ret) {
		fprintf(stderr, "bench_numa: %s: %s\n", path ? path : "built-in default", err);
		sim_scenario_free(s);
		return ret;
	}
	for (int n = 0; n < r->nr_nodes; n++) {
		local += r->nodes[n].alloc_local;
		remote += r->nodes[n].alloc_away;
	}
	fig->local = local + remote ? (double)local / (double)(local + remote) : 1.0;
	fig->remote = remote;
	fig->faults = r->faults;
	fig->fault_rate = r->accesses ? (double)r->faults / (double)r->accesses : 0.0;
	sim_result_free(r);
	sim_scenario_free(s);
	return 0;
}

/* One policy's row; "vs blind" is its fault rate over node-blind's ("-" when that is 0). */
static void row(const char *name, const char *mode, const char *policy, const struct figures *f,
		const struct figures *blind)
{
	char ratio[32] = "-";

	if (blind->fault_rate > 0)
		snprintf(ratio, sizeof(ratio), "%.2fx", f->fault_rate / blind->fault_rate);
	printf("%-28s %-13s %-10s %6.1f%% %9llu %9llu %9.3f%% %8s\n", name, mode, policy,
	       100.0 * f->local, (unsigned long long)f->remote, (unsigned long long)f->faults,
	       100.0 * f->fault_rate, ratio);
}

/* Both policies on @path in @mode; the figures of the numa run in @on, of the blind in @off. */
static int compare(const char *path, enum sim_mode mode, struct figures *off, struct figures *on)
{
	const char *name =
		path ? strrchr(path, '/') ? strrchr(path, '/') + 1 : path : "built-in default";
	const char *m = mode == SIM_MODE_THREADS ? "threads" : "deterministic";

	if (run_one(path, false, mode, off) || run_one(path, true, mode, on))
		return 1;
	row(name, m, "blind", off, off);
	row(name, m, "numa", on, off);
	return 0;
}

int main(int argc, char **argv)
{
	bool threads = argc > 1 && !strcmp(argv[1], "-t");
	int first = threads ? 2 : 1;
	struct figures off, on, d_off, d_on, t_off, t_on;
	int ret = 0, t_ret = 1;

	printf("bench_numa: node-blind (v17) and NUMA-aware reclaim side by side\n");
	printf("%-28s %-13s %-10s %7s %9s %9s %10s %8s\n", "scenario", "mode", "policy", "local",
	       "remote", "faults", "fault rate", "vs blind");
	if (compare(NULL, SIM_MODE_DETERMINISTIC, &d_off, &d_on))
		return 1;
	for (int i = first; i < argc; i++)
		ret |= compare(argv[i], SIM_MODE_DETERMINISTIC, &off, &on);
	if (threads) {
		t_ret = compare(NULL, SIM_MODE_THREADS, &t_off, &t_on);
		ret |= t_ret;
		for (int i = first; i < argc; i++)
			ret |= compare(argv[i], SIM_MODE_THREADS, &off, &on);
	}
	printf("\nbuilt-in default, deterministic: %.1f%% local with numa-reclaim (target >= "
	       "%.0f%%: %s), node-blind %.1f%%;\n",
	       100.0 * d_on.local, 100.0 * TARGET_LOCAL,
	       d_on.local >= TARGET_LOCAL ? "met" : "not met", 100.0 * d_off.local);
	printf("  fault rate %.2fx node-blind's (target <= %.2fx: %s)\n",
	       d_on.fault_rate / d_off.fault_rate, TARGET_FAULT_RATIO,
	       d_on.fault_rate <= TARGET_FAULT_RATIO * d_off.fault_rate ? "met" : "not met");
	if (!t_ret)
		printf("built-in default, threads: %.1f%% local with numa-reclaim (deterministic "
		       "%.1f%%), node-blind %.1f%%;\n  fault rate %.2fx node-blind's in threads "
		       "mode\n",
		       100.0 * t_on.local, 100.0 * d_on.local, 100.0 * t_off.local,
		       t_on.fault_rate / t_off.fault_rate);
	return ret;
}
