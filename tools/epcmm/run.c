// SPDX-License-Identifier: MIT
/*
 * run.c - `epcmm run [OPTIONS] [SCENARIO...]`: read the scenario (or the
 * built-in default), run it, print the report; JSON, timeline and plot on
 * request. Argument handling only: the work is in sim/.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "options.h"
#include "plot.h"
#include "progress.h"
#include "report.h"
#include "scenario.h"
#include "tool.h"

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: epcmm run [OPTIONS] [SCENARIO...]\n"
		"\n"
		"Run a scenario (an INI file, see epcmm-scenario(5)) and report what the EPC\n"
		"memory manager did. Several files are read in order, later ones adding to\n"
		"and overriding earlier ones ('-': standard input). With no file, the\n"
		"built-in default scenario.\n"
		"\n"
		"options:\n"
		"  --json FILE             write the result as JSON to FILE ('-': stdout, instead\n"
		"                          of the report)\n"
		"  --timeline FILE         write a CSV of usage over the run to FILE\n"
		"  --timeline-interval N   a timeline row every N accesses (default: 100 rows)\n"
		"  --plot FILE             plot the timeline to FILE (.svg or .png; needs "
		"gnuplot)\n"
		"  --plot-x accesses|time  the plot's x axis: accesses made (default) or\n"
		"                          modelled time\n"
		"  --seed N                override [run] seed\n"
		"  --mode MODE             override [run] mode: deterministic or threads\n"
		"  -q, --quiet             no progress line\n"
		"  -h, --help              this help\n"
		"\n"
		"exit status: 0 ok, 1 the run failed, 2 bad usage, scenario or output (found\n"
		"before the run).\n");
}

struct run_opts {
	const char *json, *timeline, *plot;
	uint64_t interval;
	bool seed_set, mode_set, quiet;
	uint64_t seed;
	enum sim_mode mode;
	enum sim_plot_x plot_x;
};

enum {
	OPT_JSON = 256,
	OPT_TIMELINE,
	OPT_INTERVAL,
	OPT_PLOT,
	OPT_SEED,
	OPT_MODE,
	OPT_PLOT_X
};

static const struct option run_longs[] = {
	{"json", required_argument, NULL, OPT_JSON},
	{"timeline", required_argument, NULL, OPT_TIMELINE},
	{"timeline-interval", required_argument, NULL, OPT_INTERVAL},
	{"plot", required_argument, NULL, OPT_PLOT},
	{"seed", required_argument, NULL, OPT_SEED},
	{"mode", required_argument, NULL, OPT_MODE},
	{"plot-x", required_argument, NULL, OPT_PLOT_X},
	{"quiet", no_argument, NULL, 'q'},
	TOOL_COMMON_OPTIONS,
};

static int run_main(int argc, char **argv);

const struct tool_command tool_cmd_run = {
	.name = "run",
	.summary = "run a scenario (default: the built-in one) and report",
	.shorts = "q",
	.longs = run_longs,
	.usage = run_usage,
	.main = run_main,
};

/* One option of run's into @o. Return: 0; -1 (said why). */
static int run_option(int c, const char *arg, struct run_opts *o)
{
	char msg[SIM_VALUE_ERR_LEN];

	switch (c) {
	case OPT_JSON:
		o->json = arg;
		return 0;
	case OPT_TIMELINE:
		o->timeline = arg;
		return 0;
	case OPT_INTERVAL:
		if (sim_value_count("--timeline-interval", arg, 1, SIM_MAX_ACCESSES, &o->interval,
				    msg, sizeof(msg)))
			return tool_bad("run", "%s", msg);
		return 0;
	case OPT_PLOT:
		return tool_opt_plot("run", arg, &o->plot);
	case OPT_SEED:
		return tool_opt_seed("run", arg, &o->seed, &o->seed_set);
	case OPT_MODE:
		if (strcmp(arg, "deterministic") && strcmp(arg, "threads"))
			return tool_bad("run", "--mode: '%s' (expected deterministic or threads)",
					arg);
		o->mode = strcmp(arg, "threads") ? SIM_MODE_DETERMINISTIC : SIM_MODE_THREADS;
		o->mode_set = true;
		return 0;
	case OPT_PLOT_X:
		if (strcmp(arg, "accesses") && strcmp(arg, "time"))
			return tool_bad("run", "--plot-x: '%s' (expected accesses or time)", arg);
		o->plot_x = strcmp(arg, "time") ? SIM_PLOT_X_ACCESSES : SIM_PLOT_X_TIME;
		return 0;
	default: /* 'q' */
		o->quiet = true;
		return 0;
	}
}

/* Return: 0; 1 after --help or --version; -1 bad usage (said why). */
static int parse_args(int argc, char **argv, struct run_opts *o)
{
	struct tool_getopt g = TOOL_GETOPT(&tool_cmd_run, argc, argv);
	int c;

	while ((c = tool_getopt(&g)) != TOOL_OPT_DONE)
		if (c < 0 || run_option(c, optarg, o))
			return c < 0 ? tool_opt_stop(c) : -1;
	return 0;
}

/* What run's outputs are written from (struct tool_output_writers). */
struct run_done {
	const struct sim_scenario *s;
	const struct sim_result *r;
	enum sim_plot_x plot_x;
};

static int run_json(FILE *f, const void *arg)
{
	const struct run_done *d = arg;

	return sim_report_json(f, d->s, d->r);
}

static int run_plot(const char *csv, const char *out, const void *arg, char *err, size_t len)
{
	const struct run_done *d = arg;
	char title[256];

	snprintf(title, sizeof(title), "epcmm: %s", d->s->title);
	return sim_plot_timeline(csv, out, title, d->plot_x, err, len);
}

static const struct tool_output_writers run_writers = {.json = run_json, .plot = run_plot};

/* Run @s, the timeline into @out, and report. Return: an exit status. */
static int run_report(const struct run_opts *o, const struct sim_scenario *s,
		      struct tool_output *out)
{
	struct run_done d = {.s = s, .plot_x = o->plot_x};
	struct sim_result *r = NULL;
	struct tool_progress prog;
	char err[SIM_ERR_LEN];
	int ret, status = 0;

	if (tool_output_text(out)) {
		sim_report_banner(stdout, s);
		fflush(stdout);
	}
	tool_progress_init(&prog, !o->quiet);
	struct sim_run_params p = {
		.scenario = s,
		.timeline = tool_output_live_csv(out),
		.timeline_interval = o->interval,
		.progress = tool_progress_update,
		.progress_arg = &prog,
	};
	ret = sim_run(&p, &r, err, sizeof(err));
	tool_progress_done(&prog, ret ? NULL : r);
	if (tool_output_csv_done(out)) {
		status = TOOL_EXIT_FAILURE;
	} else if (ret) {
		fprintf(stderr, "epcmm run: %s\n", ret == -ENOMEM ? "out of memory" : err);
		status = ret == -EINVAL ? TOOL_EXIT_USAGE : TOOL_EXIT_FAILURE;
	} else {
		if (tool_output_text(out))
			sim_report_text(stdout, s, r);
		d.r = r;
		if (tool_output_finish(out, &run_writers, &d))
			status = TOOL_EXIT_FAILURE;
	}
	sim_result_free(r);
	return status;
}

static int run_main(int argc, char **argv)
{
	struct run_opts o = {0};
	struct sim_scenario *s = NULL;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return tool_parse_exit(ret);
	if (tool_load_scenario(argc - optind, argv + optind, &s))
		return TOOL_EXIT_USAGE;
	if (o.seed_set)
		s->run.seed = o.seed;
	if (o.mode_set)
		s->run.mode = o.mode;
	struct tool_output out = {.cmd = "run",
				  .json = o.json,
				  .csv = o.timeline,
				  .plot = o.plot,
				  .csv_option = "--timeline",
				  .csv_live = true};

	/* every output checked before the run, so a long run is not lost to a typo */
	ret = tool_output_open(&out) ? TOOL_EXIT_USAGE : run_report(&o, s, &out);
	tool_output_close(&out);
	sim_scenario_free(s);
	return ret;
}
