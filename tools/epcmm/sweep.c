// SPDX-License-Identifier: MIT
/*
 * sweep.c - `epcmm sweep SCENARIO... --cgroup PATH --max FROM:TO:STEPS`:
 * argument handling for sim_sweep() (sim/sweep.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "progress.h"
#include "report.h"
#include "scenario.h"
#include "sweep.h"
#include "tool.h"
#include "outfile.h"
#include "plot.h"

/* --target-slowdown's largest value: a million times slower than without paging. */

static void sweep_usage(FILE *f)
{
	fprintf(f,
		"usage: epcmm sweep [OPTIONS] SCENARIO... --cgroup PATH --max FROM:TO:STEPS\n"
		"\n"
		"Run the scenario once per limit of one cgroup's misc.max, STEPS limits evenly\n"
		"from FROM to TO (sizes: 4096, 64K, 16M, 2G), in parallel, and print the fault\n"
		"rate, evictions and modelled slowdown of the enclaves in that cgroup (and\n"
		"below it) at each, and the smallest limit that keeps the fault rate at or\n"
		"under a target.\n"
		"\n"
		"options:\n"
		"  --cgroup PATH       the cgroup whose max is swept (required)\n"
		"  --max FROM:TO:STEPS the limits (required), e.g. 1M:64M:16\n"
		"  -j, --jobs N        runs at once (default: the number of CPUs)\n"
		"  --target PCT        the fault rate to stay under, in percent (default 1)\n"
		"  --target-slowdown X instead of --target: the modelled slowdown to stay\n"
		"                      under, e.g. 1.1\n"
		"  --json FILE         write the points as JSON ('-': stdout, instead of the "
		"table)\n"
		"  --csv FILE          write the points as CSV\n"
		"  --plot FILE         plot the fault-rate curve to FILE (.svg or .png; gnuplot)\n"
		"  --seed N            override [run] seed\n"
		"  -q, --quiet         no progress line\n"
		"  -h, --help          this help\n"
		"\n"
		"A limit whose run fails (too small to build the enclave) is a row that says\n"
		"why; the sweep goes on.\n"
		"\n"
		"exit status: 0 ok (at least one limit ran), 1 every limit failed, 2 bad usage\n"
		"or scenario.\n");
}

struct sweep_opts {
	const char *cgroup, *max, *json, *csv, *plot;
	long jobs;
	double target_pct, target_slowdown;
	bool seed_set, quiet, target_set;
	uint64_t seed;
};

static int bad(const char *fmt, const char *arg)
{
	return tool_bad("sweep", fmt, arg);
}

static int parse_args(int argc, char **argv, struct sweep_opts *o)
{
	enum {
		OPT_CGROUP = 256,
		OPT_MAX,
		OPT_TARGET,
		OPT_TARGET_SLOWDOWN,
		OPT_JSON,
		OPT_CSV,
		OPT_PLOT,
		OPT_SEED
	};
	static const struct option longs[] = {
		{"cgroup", required_argument, NULL, OPT_CGROUP},
		{"max", required_argument, NULL, OPT_MAX},
		{"jobs", required_argument, NULL, 'j'},
		{"target", required_argument, NULL, OPT_TARGET},
		{"target-slowdown", required_argument, NULL, OPT_TARGET_SLOWDOWN},
		{"json", required_argument, NULL, OPT_JSON},
		{"csv", required_argument, NULL, OPT_CSV},
		{"plot", required_argument, NULL, OPT_PLOT},
		{"seed", required_argument, NULL, OPT_SEED},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "j:qh", longs, NULL)) != -1) {
		switch (c) {
		case OPT_CGROUP:
			o->cgroup = optarg;
			break;
		case OPT_MAX:
			o->max = optarg;
			break;
		case 'j':
			if (tool_opt_jobs("sweep", optarg, &o->jobs))
				return -1;
			break;
		case OPT_TARGET:
			if (tool_opt_target_pct("sweep", optarg, &o->target_pct))
				return -1;
			o->target_set = true;
			break;
		case OPT_TARGET_SLOWDOWN:
			if (tool_opt_target_slowdown("sweep", optarg, &o->target_slowdown))
				return -1;
			break;
		case OPT_JSON:
			o->json = optarg;
			break;
		case OPT_CSV:
			o->csv = optarg;
			break;
		case OPT_PLOT:
			if (tool_opt_plot("sweep", optarg, &o->plot))
				return -1;
			break;
		case OPT_SEED:
			if (tool_opt_seed("sweep", optarg, &o->seed, &o->seed_set))
				return -1;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			sweep_usage(stdout);
			return 1;
		default:
			return tool_bad_option("sweep", argv[optind - 1], optopt, "j");
		}
	}
	if (o->target_set && o->target_slowdown > 0)
		return bad("%s", "--target and --target-slowdown: give one or the other");
	if (!o->cgroup)
		return bad("%s", "--cgroup PATH is required");
	if (!o->max)
		return bad("%s", "--max FROM:TO:STEPS is required");
	if (optind >= argc)
		return bad("%s", "which scenario? (a file; `epcmm run` shows the built-in one)");
	return 0;
}

/* "1M:64M:16". Return: 0; -1 not of that shape; -2 a bad number (said why). */
static int parse_range(const char *text, struct sim_sweep_params *p)
{
	char buf[128], msg[SIM_VALUE_ERR_LEN], *a, *b, *c;
	uint64_t steps;

	if (strlen(text) >= sizeof(buf))
		return -1;
	strcpy(buf, text);
	a = buf;
	b = strchr(a, ':');
	c = b ? strchr(b + 1, ':') : NULL;
	if (!b || !c)
		return -1;
	*b++ = '\0';
	*c++ = '\0';
	if (sim_value_size("--max FROM", a, 0, UINT64_MAX, 1, &p->from, msg, sizeof(msg)) ||
	    sim_value_size("--max TO", b, 0, UINT64_MAX, 1, &p->to, msg, sizeof(msg)) ||
	    sim_value_count("--max STEPS", c, 1, SIM_SWEEP_MAX_STEPS, &steps, msg, sizeof(msg))) {
		bad("%s", msg);
		return -2;
	}
	if (p->from > p->to || (steps == 1) != (p->from == p->to))
		return -1;
	p->steps = (unsigned)steps;
	return 0;
}

int epcmm_sweep(int nr_args, char **args)
{
	struct sweep_opts o = {.target_pct = 1.0};
	struct sim_scenario *s = NULL;
	struct sim_sweep_result *r = NULL;
	struct tool_progress prog;
	char err[SIM_ERR_LEN], tmp_csv[] = "/tmp/epcmm-sweep-XXXXXX";
	char **argv = tool_argv("epcmm sweep", nr_args, args);
	int argc = nr_args + 1, ret, status = TOOL_EXIT_FAILURE;
	const char *csv_path = NULL;
	bool tmp_made = false;
	struct sim_outfile *json_out = NULL, *csv_out = NULL, *done;

	if (!argv)
		return TOOL_EXIT_FAILURE;
	o.jobs = tool_default_jobs();
	ret = parse_args(argc, argv, &o);
	if (ret) {
		free(argv);
		return ret > 0 ? 0 : TOOL_EXIT_USAGE;
	}
	struct sim_sweep_params p = {.cgroup = o.cgroup,
				     .jobs = (unsigned)o.jobs,
				     .target = o.target_pct / 100,
				     .target_slowdown = o.target_slowdown,
				     .progress_accesses = tool_progress_update,
				     .progress_arg = &prog};
	ret = parse_range(o.max, &p);
	if (ret) {
		free(argv);
		if (ret == -1)
			bad("--max: '%s' is not FROM:TO:STEPS (sizes FROM <= TO, STEPS 2 to 1000, "
			    "or 1 when FROM = TO), e.g. 1M:64M:16",
			    o.max);
		return TOOL_EXIT_USAGE;
	}
	ret = tool_load_scenario(argc - optind, argv + optind, &s);
	free(argv);
	if (ret)
		return TOOL_EXIT_USAGE;
	if (o.seed_set)
		s->run.seed = o.seed;
	p.scenario = s;
	if (!strcmp(o.cgroup, "/")) {
		fprintf(stderr, "epcmm sweep: --cgroup: the root has no misc.max to sweep\n");
		status = TOOL_EXIT_USAGE;
		goto out;
	}
	if (!sim_scenario_cgroup(s, o.cgroup)) {
		fprintf(stderr, "epcmm sweep: --cgroup: no cgroup '%s' in the scenario (it has ",
			o.cgroup);
		for (int i = 0; i < s->nr_cgroups; i++)
			fprintf(stderr, "%s%s", i ? ", " : "", s->cgroups[i].path);
		fprintf(stderr, ")\n");
		status = TOOL_EXIT_USAGE;
		goto out;
	}
	/* every output checked before the sweep, so a long sweep is not lost to a typo */
	if ((o.json && !(json_out = tool_out_open("sweep", o.json, "--json"))) ||
	    (o.csv && !(csv_out = tool_out_open("sweep", o.csv, "--csv")))) {
		status = TOOL_EXIT_USAGE;
		goto out;
	}
	if (o.plot && sim_plot_check(o.plot, err, sizeof(err))) {
		fprintf(stderr, "epcmm sweep: --plot: %s\n", err);
		status = TOOL_EXIT_USAGE;
		goto out;
	}
	if (!o.json || strcmp(o.json, "-")) {
		char a[32], b[32];

		sim_fmt_size(a, sizeof(a), p.from);
		sim_fmt_size(b, sizeof(b), p.to);
		printf("epcmm %s: sweep of %s's misc.max from %s to %s, %u limit%s, over %s, "
		       "seed %llu\n",
		       EPCMM_VERSION_STRING, o.cgroup, a, b, p.steps, p.steps == 1 ? "" : "s",
		       s->title, (unsigned long long)s->run.seed);
		fflush(stdout);
	}
	tool_progress_init(&prog, !o.quiet);
	ret = sim_sweep(&p, &r, err, sizeof(err));
	if (prog.on) {
		if (prog.shown)
			fputc('\n', stderr);
		fprintf(stderr, "measured: %.2f s wall time, %u job%s\n", tool_now() - prog.t0,
			p.jobs, p.jobs == 1 ? "" : "s");
	}
	if (ret) {
		fprintf(stderr, "epcmm sweep: %s\n", ret == -ENOMEM ? "out of memory" : err);
		status = ret == -EINVAL ? TOOL_EXIT_USAGE : TOOL_EXIT_FAILURE;
		goto out;
	}
	if (!o.json || strcmp(o.json, "-"))
		sim_sweep_report(stdout, &p, r);
	if (json_out) {
		done = json_out;
		json_out = NULL;
		if (sim_sweep_json(sim_outfile_stream(done), &p, r)) {
			sim_outfile_discard(done);
			goto out;
		}
		if (tool_out_commit("sweep", done, "--json"))
			goto out;
	}
	/* the plot reads the CSV back: --csv's file if it is a regular one (not
	 * -, a FIFO, a device), else a temporary file */
	csv_path = csv_out && sim_outfile_is_regular(csv_out) ? o.csv : NULL;
	if (csv_out) {
		done = csv_out;
		csv_out = NULL;
		sim_sweep_csv(sim_outfile_stream(done), r);
		if (tool_out_commit("sweep", done, "--csv"))
			goto out;
	}
	if (!csv_path && o.plot) {
		int fd = mkstemp(tmp_csv);

		if (fd < 0) {
			fprintf(stderr, "epcmm sweep: --plot: cannot make a temporary file\n");
			goto out;
		}
		close(fd);
		tmp_made = true;
		csv_path = tmp_csv;
		if (!(done = tool_out_open("sweep", tmp_csv, "--plot")))
			goto out;
		sim_sweep_csv(sim_outfile_stream(done), r);
		if (tool_out_commit("sweep", done, "--plot"))
			goto out;
	}
	if (o.plot && r->nr_failed == r->nr_points) {
		fprintf(stderr, "epcmm sweep: --plot: no limit ran: nothing to plot\n");
	} else if (o.plot) {
		char title[256];

		snprintf(title, sizeof(title), "epcmm sweep: %s in %s", o.cgroup, s->title);
		struct sim_plot_sweep_marks marks = {
			.knee_bytes = r->knee_found ? r->knee : 0,
			.target_bytes = r->target_found ? r->target_max : 0,
			.target_rate = p.target_slowdown > 0 ? -1 : p.target,
			.target_slowdown = p.target_slowdown,
		};

		marks.unit = sim_sweep_unit(r, &marks.unit_name);
		if (sim_plot_sweep(csv_path, o.plot, title, &marks, err, sizeof(err))) {
			fprintf(stderr, "epcmm sweep: --plot: %s\n", err);
			goto out;
		}
		fprintf(stderr, "epcmm sweep: plot written to %s\n", o.plot);
	}
	status = r->nr_failed == r->nr_points ? TOOL_EXIT_FAILURE : 0;
out:
	sim_outfile_discard(json_out);
	sim_outfile_discard(csv_out);
	if (tmp_made)
		unlink(tmp_csv);
	sim_sweep_free(r);
	sim_scenario_free(s);
	return status;
}
