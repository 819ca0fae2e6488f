// SPDX-License-Identifier: MIT
/*
 * sweep.c - `epcmm sweep SCENARIO... --cgroup PATH --max FROM:TO:STEPS` and
 * `epcmm sweep --trace FILE`: argument handling for sim_sweep() (sim/sweep.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "options.h"
#include "pattern.h"
#include "plot.h"
#include "progress.h"
#include "report.h"
#include "scenario.h"
#include "size.h"
#include "sweep.h"
#include "tool.h"

static void sweep_usage(FILE *f)
{
	fprintf(f,
		"usage: epcmm sweep [OPTIONS] SCENARIO... --cgroup PATH [--max FROM:TO:STEPS|auto]\n"
		"       epcmm sweep [OPTIONS] --trace FILE [--max FROM:TO:STEPS|auto]\n"
		"\n"
		"Run the scenario once per limit of one cgroup's misc.max, STEPS limits evenly\n"
		"from FROM to TO (sizes: 4096, 64K, 16M, 2G), in parallel, and print the fault\n"
		"rate, evictions and modelled slowdown of the enclaves in that cgroup (and\n"
		"below it) at each, and the smallest limit that keeps the fault rate at or\n"
		"under a target. With --trace, the scenario is the trace replayed once as one\n"
		"enclave in the cgroup /trace. `epcmm size` answers for a trace by itself.\n"
		"\n"
		"options:\n"
		"  --cgroup PATH       the cgroup whose max is swept (required with SCENARIO)\n"
		"  --trace FILE        sweep a trace (a file `epcmm record` wrote), no scenario\n"
		"  --max FROM:TO:STEPS the limits, e.g. 1M:64M:16, or 1M:1M:1 for one;\n"
		"                      auto (the default): up to 16 limits up to the footprint\n"
		"                      of the cgroup's enclaves (pages, SECS and VA pages)\n"
		"  -j, --jobs N        runs at once (default: the number of CPUs)\n"
		"  --target PCT        the fault rate to stay under, in percent (default 1)\n"
		"  --target-slowdown X instead of --target: the modelled slowdown to stay\n"
		"                      under, e.g. 1.1 (the run's modelled time over its time\n"
		"                      without paging)\n"
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
	const char *cgroup, *max, *json, *csv, *plot, *trace;
	long jobs;
	double target_pct, target_slowdown;
	bool seed_set, quiet, target_set;
	uint64_t seed;
};

static int bad(const char *fmt, const char *arg)
{
	return tool_bad("sweep", fmt, arg);
}

enum {
	OPT_CGROUP = 256,
	OPT_MAX,
	OPT_TARGET,
	OPT_TARGET_SLOWDOWN,
	OPT_JSON,
	OPT_CSV,
	OPT_PLOT,
	OPT_SEED,
	OPT_TRACE
};

static const struct option sweep_longs[] = {
	{"cgroup", required_argument, NULL, OPT_CGROUP},
	{"max", required_argument, NULL, OPT_MAX},
	{"jobs", required_argument, NULL, 'j'},
	{"target", required_argument, NULL, OPT_TARGET},
	{"target-slowdown", required_argument, NULL, OPT_TARGET_SLOWDOWN},
	{"json", required_argument, NULL, OPT_JSON},
	{"csv", required_argument, NULL, OPT_CSV},
	{"plot", required_argument, NULL, OPT_PLOT},
	{"seed", required_argument, NULL, OPT_SEED},
	{"trace", required_argument, NULL, OPT_TRACE},
	{"quiet", no_argument, NULL, 'q'},
	TOOL_COMMON_OPTIONS,
};

static int sweep_main(int argc, char **argv);

const struct tool_command tool_cmd_sweep = {
	.name = "sweep",
	.summary = "run a scenario over a range of one cgroup's limit",
	.shorts = "j:q",
	.longs = sweep_longs,
	.usage = sweep_usage,
	.main = sweep_main,
};

/* One option of sweep's into @o. Return: 0; -1 (said why). */
static int sweep_option(int c, const char *arg, struct sweep_opts *o)
{
	switch (c) {
	case OPT_CGROUP:
		o->cgroup = arg;
		return 0;
	case OPT_MAX:
		o->max = arg;
		return 0;
	case OPT_TRACE:
		o->trace = arg;
		return 0;
	case 'j':
		return tool_opt_jobs("sweep", arg, &o->jobs);
	case OPT_TARGET:
		o->target_set = true;
		return tool_opt_target_pct("sweep", arg, &o->target_pct);
	case OPT_TARGET_SLOWDOWN:
		return tool_opt_target_slowdown("sweep", arg, &o->target_slowdown);
	case OPT_JSON:
		o->json = arg;
		return 0;
	case OPT_CSV:
		o->csv = arg;
		return 0;
	case OPT_PLOT:
		return tool_opt_plot("sweep", arg, &o->plot);
	case OPT_SEED:
		return tool_opt_seed("sweep", arg, &o->seed, &o->seed_set);
	default: /* 'q' */
		o->quiet = true;
		return 0;
	}
}

/* Return: 0; 1 after --help or --version; -1 bad usage (said why). */
static int parse_args(int argc, char **argv, struct sweep_opts *o)
{
	struct tool_getopt g = TOOL_GETOPT(&tool_cmd_sweep, argc, argv);
	int c;

	while ((c = tool_getopt(&g)) != TOOL_OPT_DONE)
		if (c < 0 || sweep_option(c, optarg, o))
			return c < 0 ? tool_opt_stop(c) : -1;
	if (o->target_set && o->target_slowdown > 0)
		return bad("%s", "--target and --target-slowdown: give one or the other");
	if (o->trace) {
		if (optind < argc)
			return bad("'%s': a SCENARIO or --trace, not both", argv[optind]);
		if (o->cgroup && strcmp(o->cgroup, SIM_TRACE_CGROUP))
			return bad("--cgroup %s: a trace replays in " SIM_TRACE_CGROUP, o->cgroup);
		o->cgroup = SIM_TRACE_CGROUP;
		return 0;
	}
	if (!o->cgroup)
		return bad("%s", "--cgroup PATH is required");
	if (optind >= argc)
		return bad("%s", "which scenario? (a file, or --trace FILE; `epcmm run` shows the "
				 "built-in one)");
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

/* --max auto: the limits up to the footprint of @o->cgroup's enclaves.
 * Return: 0; -1 (said why). */
static int auto_range(const struct sweep_opts *o, const struct sim_scenario *s,
		      struct sim_sweep_params *p)
{
	uint64_t fits = sim_scenario_footprint(s, o->cgroup);

	if (!fits)
		return bad("--max auto: %s has no enclave to size the limits by; give "
			   "--max FROM:TO:STEPS",
			   o->cgroup);
	sim_size_auto_range(sim_size_grid_up(fits), &p->from, &p->to, &p->steps);
	return 0;
}

/* The scenario (@nr files, or --trace's) with the cgroup checked, and the
 * limits (--max, or auto). Return: 0; -1 (said why). */
static int sweep_load(const struct sweep_opts *o, int nr, char **files,
		      struct sim_sweep_params *p, struct sim_scenario **s)
{
	char err[SIM_ERR_LEN];
	bool autorange = !o->max || !strcmp(o->max, "auto");
	int ret;

	ret = autorange ? 0 : parse_range(o->max, p);
	if (ret == -1)
		bad("--max: '%s' is not FROM:TO:STEPS (sizes FROM <= TO, STEPS 2 to 1000, or 1 "
		    "when FROM = TO), e.g. 1M:64M:16, or auto",
		    o->max);
	if (ret)
		return -1;
	if (o->trace) {
		uint64_t pages, records, fits;

		if (sim_trace_probe(o->trace, &pages, &records, err, sizeof(err)) ||
		    (fits = sim_size_grid_up(sim_size_footprint(pages)),
		     sim_trace_scenario(o->trace, 2 * (p->to > fits ? p->to : fits), false, s,
					err, sizeof(err))))
			return bad("--trace: %s", err);
	} else if (tool_load_scenario(nr, files, s)) {
		return -1;
	}
	if (!strcmp(o->cgroup, "/"))
		return bad("%s", "--cgroup: the root has no misc.max to sweep");
	if (!sim_scenario_cgroup(*s, o->cgroup)) {
		fprintf(stderr, "epcmm sweep: --cgroup: no cgroup '%s' in the scenario (it has ",
			o->cgroup);
		for (int i = 0; i < (*s)->nr_cgroups; i++)
			fprintf(stderr, "%s%s", i ? ", " : "", (*s)->cgroups[i].path);
		fprintf(stderr, ")\n");
		return -1;
	}
	return autorange ? auto_range(o, *s, p) : 0;
}

/* The table's banner, and what the target means. */
static void sweep_banner(const struct sweep_opts *o, const struct sim_sweep_params *p,
			 const struct sim_scenario *s)
{
	char a[32], b[32];

	fmt_size(a, sizeof(a), p->from);
	fmt_size(b, sizeof(b), p->to);
	printf("epcmm %s: sweep of %s's misc.max from %s to %s, %u limit%s, over %s, "
	       "seed %llu\n",
	       EPCMM_VERSION_STRING, o->cgroup, a, b, p->steps, p->steps == 1 ? "" : "s",
	       o->trace ? o->trace : s->title, (unsigned long long)s->run.seed);
	fflush(stdout);
}

/* What sweep's outputs are written from (struct tool_output_writers). */
struct sweep_done {
	const struct sweep_opts *o;
	const struct sim_sweep_params *p;
	const struct sim_scenario *s;
	const struct sim_sweep_result *r;
};

static int sweep_json(FILE *f, const void *arg)
{
	const struct sweep_done *d = arg;

	return sim_sweep_json(f, d->p, d->r);
}

static int sweep_csv(FILE *f, const void *arg)
{
	const struct sweep_done *d = arg;

	sim_sweep_csv(f, d->r);
	return ferror(f) ? -EIO : 0;
}

static int sweep_plot(const char *csv, const char *out, const void *arg, char *err, size_t len)
{
	const struct sweep_done *d = arg;
	const struct sim_sweep_result *r = d->r;
	char title[256];

	if (r->nr_failed == r->nr_points) {
		fprintf(stderr, "epcmm sweep: --plot: no limit ran: nothing to plot\n");
		return 1;
	}
	snprintf(title, sizeof(title), "epcmm sweep: %s in %s", d->o->cgroup,
		 d->o->trace ? d->o->trace : d->s->title);
	struct sim_plot_sweep_marks marks = {
		.knee_bytes = r->knee_found ? r->knee : 0,
		.target_bytes = r->target_found ? r->target_max : 0,
		.target_rate = d->p->target_slowdown > 0 ? -1 : d->p->target,
		.target_slowdown = d->p->target_slowdown,
	};
	marks.unit = sim_sweep_unit(r, &marks.unit_name);
	return sim_plot_sweep(csv, out, title, &marks, err, len);
}

static const struct tool_output_writers sweep_writers = {
	.json = sweep_json, .csv = sweep_csv, .plot = sweep_plot};

/* Sweep @p with @s, report into @out. Return: an exit status. */
static int sweep_report(const struct sweep_opts *o, struct sim_sweep_params *p,
			const struct sim_scenario *s, struct tool_output *out)
{
	struct sweep_done d = {.o = o, .p = p, .s = s};
	struct sim_sweep_result *r = NULL;
	struct tool_progress prog;
	char err[SIM_ERR_LEN];
	int ret, status;

	if (tool_output_text(out))
		sweep_banner(o, p, s);
	tool_progress_init(&prog, !o->quiet);
	p->progress_arg = &prog;
	ret = sim_sweep(p, &r, err, sizeof(err));
	if (prog.on) {
		if (prog.shown)
			fputc('\n', stderr);
		fprintf(stderr, "measured: %.2f s wall time, %u job%s\n", tool_now() - prog.t0,
			p->jobs, p->jobs == 1 ? "" : "s");
	}
	if (ret) {
		fprintf(stderr, "epcmm sweep: %s\n", ret == -ENOMEM ? "out of memory" : err);
		return ret == -EINVAL ? TOOL_EXIT_USAGE : TOOL_EXIT_FAILURE;
	}
	if (tool_output_text(out))
		sim_sweep_report(stdout, p, r);
	d.r = r;
	status = TOOL_EXIT_FAILURE;
	if (!tool_output_finish(out, &sweep_writers, &d))
		status = r->nr_failed == r->nr_points ? TOOL_EXIT_FAILURE : 0;
	sim_sweep_free(r);
	return status;
}

static int sweep_main(int argc, char **argv)
{
	struct sweep_opts o = {.target_pct = 1.0, .jobs = tool_default_jobs()};
	struct sim_scenario *s = NULL;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return tool_parse_exit(ret);
	struct sim_sweep_params p = {.cgroup = o.cgroup,
				     .jobs = (unsigned)o.jobs,
				     .target = o.target_pct / 100,
				     .target_slowdown = o.target_slowdown,
				     .progress_accesses = tool_progress_update};
	struct tool_output out = {.cmd = "sweep",
				  .json = o.json,
				  .csv = o.csv,
				  .plot = o.plot,
				  .csv_option = "--csv"};

	if (sweep_load(&o, argc - optind, argv + optind, &p, &s)) {
		sim_scenario_free(s);
		return TOOL_EXIT_USAGE;
	}
	if (o.seed_set)
		s->run.seed = o.seed;
	p.scenario = s;
	/* every output checked before the sweep, so a long sweep is not lost to a typo */
	ret = tool_output_open(&out) ? TOOL_EXIT_USAGE : sweep_report(&o, &p, s, &out);
	tool_output_close(&out);
	sim_scenario_free(s);
	return ret;
}
