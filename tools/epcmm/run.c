// SPDX-License-Identifier: MIT
/*
 * run.c - `epcmm run [OPTIONS] [SCENARIO...]`: read the scenario (or the
 * built-in default), run it, print the report; JSON, timeline and plot on
 * request. Argument handling only: the work is in sim/.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "outfile.h"
#include "progress.h"
#include "report.h"
#include "scenario.h"
#include "options.h"
#include "plot.h"
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

static int run_main(int argc, char **argv)
{
	struct run_opts o = {0};
	struct sim_scenario *s = NULL;
	struct sim_result *r = NULL;
	struct tool_progress prog;
	char err[SIM_ERR_LEN], tmp_csv[] = "/tmp/epcmm-timeline-XXXXXX";
	const char *csv_path = NULL;
	struct sim_outfile *tl = NULL, *json_out = NULL;
	FILE *report = stdout;
	int ret, status = TOOL_EXIT_FAILURE;
	bool tmp_made = false;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return tool_parse_exit(ret);
	ret = tool_load_scenario(argc - optind, argv + optind, &s);
	if (ret)
		return TOOL_EXIT_USAGE;
	if (o.seed_set)
		s->run.seed = o.seed;
	if (o.mode_set)
		s->run.mode = o.mode;
	if (o.json && !strcmp(o.json, "-"))
		report = NULL; /* stdout is the JSON's */
	if (o.timeline) {
		csv_path = o.timeline;
	} else if (o.plot) {
		int fd = mkstemp(tmp_csv);

		if (fd < 0) {
			fprintf(stderr, "epcmm run: --plot: cannot make a temporary file: %s\n",
				strerror(errno));
			goto out;
		}
		close(fd);
		tmp_made = true;
		csv_path = tmp_csv;
	}
	if (csv_path && !(tl = tool_out_open("run", csv_path, "--timeline"))) {
		status = TOOL_EXIT_USAGE;
		goto out;
	}
	if (tl && o.plot && !sim_outfile_is_regular(tl)) {
		fprintf(stderr,
			"epcmm run: --plot reads the timeline back: with --plot, "
			"--timeline must be a regular file (%s is not)\n",
			csv_path);
		status = TOOL_EXIT_USAGE;
		goto out;
	}
	/* every output checked before the run, so a long run is not lost to a typo */
	if (o.json && !(json_out = tool_out_open("run", o.json, "--json"))) {
		status = TOOL_EXIT_USAGE;
		goto out;
	}
	if (o.plot && sim_plot_check(o.plot, err, sizeof(err))) {
		fprintf(stderr, "epcmm run: --plot: %s\n", err);
		status = TOOL_EXIT_USAGE;
		goto out;
	}

	if (report) {
		sim_report_banner(report, s);
		fflush(report);
	}
	tool_progress_init(&prog, !o.quiet);
	struct sim_run_params p = {
		.scenario = s,
		.timeline = tl ? sim_outfile_stream(tl) : NULL,
		.timeline_interval = o.interval,
		.progress = tool_progress_update,
		.progress_arg = &prog,
	};
	ret = sim_run(&p, &r, err, sizeof(err));
	tool_progress_done(&prog, ret ? NULL : r);
	if (tl) {
		struct sim_outfile *done = tl;

		tl = NULL;
		if (tool_out_commit("run", done, "--timeline"))
			goto out;
	}
	if (ret) {
		fprintf(stderr, "epcmm run: %s\n", ret == -ENOMEM ? "out of memory" : err);
		status = ret == -EINVAL ? TOOL_EXIT_USAGE : TOOL_EXIT_FAILURE;
		goto out;
	}
	if (report)
		sim_report_text(report, s, r);
	if (json_out) {
		struct sim_outfile *done = json_out;

		json_out = NULL;
		if (sim_report_json(sim_outfile_stream(done), s, r)) {
			sim_outfile_discard(done);
			goto out;
		}
		if (tool_out_commit("run", done, "--json"))
			goto out;
	}
	if (o.plot) {
		char title[256];

		snprintf(title, sizeof(title), "epcmm: %s", s->title);
		if (sim_plot_timeline(csv_path, o.plot, title, o.plot_x, err, sizeof(err))) {
			fprintf(stderr, "epcmm run: --plot: %s\n", err);
			goto out;
		}
		fprintf(stderr, "epcmm run: plot written to %s\n", o.plot);
	}
	status = 0;
out:
	sim_outfile_discard(tl);
	sim_outfile_discard(json_out);
	if (tmp_made)
		unlink(tmp_csv);
	sim_result_free(r);
	sim_scenario_free(s);
	return status;
}
