// SPDX-License-Identifier: MIT
/*
 * size.c - `epcmm size [OPTIONS] TRACE` and `epcmm size [OPTIONS] -- COMMAND
 * [ARGS...]`: how much EPC a program needs (sim/size.h), on one screen.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "options.h"
#include "plot.h"
#include "progress.h"
#include "report.h"
#include "size.h"
#include "sweep.h"
#include "tool.h"

#define SIZE_DEFAULT_TARGET_PCT	     1.0
#define SIZE_DEFAULT_TARGET_SLOWDOWN 1.1

static void size_usage(FILE *f)
{
	fprintf(f, "usage: epcmm size [OPTIONS] TRACE\n"
		   "       epcmm size [OPTIONS] -- COMMAND [ARGS...]\n"
		   "\n"
		   "How much EPC a program needs, and what a misc.max does to it: the footprint,\n"
		   "the smallest misc.max that keeps the fault rate at or under a target, the\n"
		   "smallest that keeps the modelled slowdown at or under a target, the knee of\n"
		   "the fault-rate curve, and the enclave size to declare. With a COMMAND, it is\n"
		   "first recorded under Valgrind (as `epcmm record`); a TRACE is a file `epcmm\n"
		   "record` wrote (or any trace `pattern = trace:` reads).\n"
		   "\n"
		   "The trace replays once as one enclave in a cgroup of its own, reclaimed as\n"
		   "v17 does. A one-pass curve of the whole trace aims; the figures printed are\n"
		   "full simulations, on a grid of 64 KiB (16 pages).\n"
		   "\n"
		   "options:\n"
		   "  --target PCT          the fault rate to stay under, in percent (default 1)\n"
		   "  --target-slowdown X   the modelled slowdown to stay under (default 1.1)\n"
		   "  -j, --jobs N          simulations at once (default: the number of CPUs)\n"
		   "  --json FILE           the answers and every point as JSON ('-': stdout)\n"
		   "  --plot FILE           the fault-rate curve with the answers marked\n"
		   "                        (.svg or .png; gnuplot)\n"
		   "  --dynamic             for an EDMM (SGX2) build: no pages added at build,\n"
		   "                        each EAUGed when first touched (not a fault)\n"
		   "  -o, --trace-out FILE  with a COMMAND: keep its trace in FILE\n"
		   "  -q, --quiet           no progress line\n"
		   "  -h, --help            this help\n"
		   "\n"
		   "exit status: 0 answered; 1 a target no limit meets (the rest is answered),\n"
		   "or the command or the recording failed; 2 bad usage or a bad trace.\n");
}

struct size_opts {
	const char *json, *plot, *trace_out;
	double target_pct, target_slowdown;
	long jobs;
	bool quiet, dynamic;
};

static int bad(const char *fmt, const char *arg)
{
	return tool_bad("size", fmt, arg);
}

enum {
	OPT_TARGET = 256,
	OPT_TARGET_SLOWDOWN,
	OPT_JSON,
	OPT_PLOT,
	OPT_DYNAMIC
};

static const struct option size_longs[] = {
	{"target", required_argument, NULL, OPT_TARGET},
	{"target-slowdown", required_argument, NULL, OPT_TARGET_SLOWDOWN},
	{"jobs", required_argument, NULL, 'j'},
	{"json", required_argument, NULL, OPT_JSON},
	{"plot", required_argument, NULL, OPT_PLOT},
	{"trace-out", required_argument, NULL, 'o'},
	{"dynamic", no_argument, NULL, OPT_DYNAMIC},
	{"quiet", no_argument, NULL, 'q'},
	TOOL_COMMON_OPTIONS,
};

static int size_main(int argc, char **argv);

const struct tool_command tool_cmd_size = {
	.name = "size",
	.summary = "how much EPC a program or trace needs, and what a misc.max does",
	.shorts = "j:o:q",
	.longs = size_longs,
	.usage = size_usage,
	.main = size_main,
};

/* One option of size's into @o. Return: 0; -1 (said why). */
static int size_option(int c, const char *arg, struct size_opts *o)
{
	switch (c) {
	case OPT_TARGET:
		return tool_opt_target_pct("size", arg, &o->target_pct);
	case OPT_TARGET_SLOWDOWN:
		return tool_opt_target_slowdown("size", arg, &o->target_slowdown);
	case 'j':
		return tool_opt_jobs("size", arg, &o->jobs);
	case OPT_JSON:
		o->json = arg;
		return 0;
	case OPT_PLOT:
		return tool_opt_plot("size", arg, &o->plot);
	case 'o':
		o->trace_out = arg;
		return 0;
	case OPT_DYNAMIC:
		o->dynamic = true;
		return 0;
	default: /* 'q' */
		o->quiet = true;
		return 0;
	}
}

/* The options in @argv[1..@argc). Return: 0; 1 after --help or --version;
 * -1 bad usage (said why). */
static int parse_args(int argc, char **argv, struct size_opts *o)
{
	struct tool_getopt g = TOOL_GETOPT(&tool_cmd_size, argc, argv);
	int c;

	while ((c = tool_getopt(&g)) != TOOL_OPT_DONE)
		if (c < 0 || size_option(c, optarg, o))
			return c < 0 ? tool_opt_stop(c) : -1;
	return 0;
}

/* ------------------------------------------------------------ the screen */

/* The figures' table: a name, a value, what it means; no header, the first
 * two columns at least 12 and 10 wide with the gap (a name starts on column 3,
 * a value on 16, its meaning on 27). */
static const bool figures_right[] = {false, false, false};
static const int figures_min[] = {11, 9, 0};

/* One figure into @t: its name, its value, and what it means in two lines of
 * text. */
static void figure(struct fmt_table *t, const char *name, const char *value, const char *line1,
		   const char *line2)
{
	int row = fmt_table_row(t);

	fmt_table_set(t, row, 0, name);
	fmt_table_set(t, row, 1, value);
	fmt_table_set(t, row, 2, line1);
	if (line2 && *line2)
		fmt_table_set(t, fmt_table_row(t), 2, line2);
}

/* A target's figure into @tab: the limit, its figure there and one step below. */
static void target_figure(struct fmt_table *tab, const char *name, const struct sim_size_target *t,
			  const char *goal, bool slowdown)
{
	char max[32], below[32], at[32], at_below[32], l1[128], l2[128];

	if (!t->found) {
		snprintf(l1, sizeof(l1), "no misc.max up to %dx the footprint has",
			 SIM_SIZE_MAX_FACTOR);
		figure(tab, name, "none", l1, goal);
		return;
	}
	fmt_size(max, sizeof(max), t->max);
	if (slowdown) {
		snprintf(at, sizeof(at), "%.3fx", t->at.slowdown);
		snprintf(at_below, sizeof(at_below), "%.3fx", t->below.slowdown);
	} else {
		fmt_rate(at, sizeof(at), t->at.faults, t->at.fault_rate);
		fmt_rate(at_below, sizeof(at_below), t->below.faults, t->below.fault_rate);
	}
	snprintf(l1, sizeof(l1), "the smallest misc.max with %s", goal);
	if (!t->below.max)
		snprintf(l2, sizeof(l2), "(%s there; the smallest limit there is)", at);
	else if (t->below.failed)
		snprintf(l2, sizeof(l2), "(%s there; 16 pages less cannot build it)", at);
	else
		snprintf(l2, sizeof(l2), "(%s there; %s at %s, 16 pages less)", at, at_below,
			 (fmt_size(below, sizeof(below), t->below.max), below));
	figure(tab, name, max, l1, l2);
}

static void print_answer(FILE *f, const char *trace, const struct sim_size_answer *a)
{
	struct fmt_table t = {.ncol = 3, .right = figures_right, .min = figures_min, .indent = 2};
	char v[32], acc[32], l1[128], l2[128], goal[64];

	fmt_count(acc, sizeof(acc), a->nr_accesses);
	fprintf(f, "epcmm size: %s: %s accesses to %llu pages\n", trace, acc,
		(unsigned long long)a->nr_pages);
	if (a->dynamic)
		fprintf(f,
			"an EDMM build: no page added at build, each EAUGed at its first touch\n");
	fputc('\n', f);
	fmt_size(v, sizeof(v), a->footprint);
	snprintf(l1, sizeof(l1), "%llu pages + the SECS + %llu VA page%s",
		 (unsigned long long)a->nr_pages, (unsigned long long)a->nr_va_pages,
		 a->nr_va_pages == 1 ? "" : "s");
	fmt_size(goal, sizeof(goal), a->fits);
	snprintf(l2, sizeof(l2), "(from a misc.max of %s it fits and never pages)", goal);
	figure(&t, "footprint", v, l1, l2);
	fmt_size(v, sizeof(v), a->declare);
	figure(&t, "declare", v, "the enclave size (SECS.SIZE: a power of two)", NULL);
	snprintf(goal, sizeof(goal), "<= %g%% of accesses faulting", 100 * a->target_rate);
	target_figure(&t, "fault rate", &a->rate, goal, false);
	snprintf(goal, sizeof(goal), "a modelled slowdown <= %gx", a->target_slowdown);
	target_figure(&t, "slowdown", &a->slowdown, goal, true);
	if (a->knee_found) {
		char rate[32];

		fmt_size(v, sizeof(v), a->knee.max);
		fmt_rate(rate, sizeof(rate), a->knee.faults, a->knee.fault_rate);
		snprintf(l2, sizeof(l2), "(%s of accesses fault there, %.3fx)", rate,
			 a->knee.slowdown);
		figure(&t, "knee", v, "where the curve bends: below it, faults climb fast", l2);
	}
	fmt_table_print(f, &t);
	fprintf(f, "\nEach figure is a run of the trace as one enclave whose cgroup has that\n"
		   "misc.max, reclaimed as v17 does (limits in steps of 16 pages). A fault is\n"
		   "an access to an evicted page (an ELDU); the modelled slowdown is the run's\n"
		   "time by the cost model over its time without paging (epcmm-scenario(5)).\n");
}

/* ------------------------------------------------------------ JSON */

static json_t *json_point(const struct sim_size_point *pt)
{
	json_t *o = json_object();

	json_object_set_new(o, "max", json_integer((json_int_t)pt->max));
	if (pt->failed) {
		json_object_set_new(o, "failed", json_true());
		return o;
	}
	json_object_set_new(o, "fault_rate", json_real(pt->fault_rate));
	json_object_set_new(o, "faults", json_integer((json_int_t)pt->faults));
	json_object_set_new(o, "modelled_slowdown", json_real(pt->slowdown));
	return o;
}

static json_t *json_points(const struct sim_size_point *pts, unsigned n)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < n; i++)
		json_array_append_new(a, json_point(&pts[i]));
	return a;
}

static json_t *json_target(const struct sim_size_target *t)
{
	return t->found ? json_integer((json_int_t)t->max) : json_null();
}

static int size_json(FILE *f, const char *trace, const struct sim_size_answer *a)
{
	json_t *o = json_object();
	int ret;

	json_object_set_new(o, "trace", json_string(trace));
	json_object_set_new(o, "accesses", json_integer((json_int_t)a->nr_accesses));
	json_object_set_new(o, "pages", json_integer((json_int_t)a->nr_pages));
	json_object_set_new(o, "va_pages", json_integer((json_int_t)a->nr_va_pages));
	json_object_set_new(o, "dynamic", json_boolean(a->dynamic));
	json_object_set_new(o, "footprint_bytes", json_integer((json_int_t)a->footprint));
	json_object_set_new(o, "fits_max", json_integer((json_int_t)a->fits));
	json_object_set_new(o, "declare_bytes", json_integer((json_int_t)a->declare));
	json_object_set_new(o, "target_fault_rate", json_real(a->target_rate));
	json_object_set_new(o, "target_max", json_target(&a->rate));
	json_object_set_new(o, "fault_rate_at_target_max",
			    a->rate.found ? json_real(a->rate.at.fault_rate) : json_null());
	json_object_set_new(o, "target_slowdown", json_real(a->target_slowdown));
	json_object_set_new(o, "target_slowdown_max", json_target(&a->slowdown));
	json_object_set_new(o, "slowdown_at_target_slowdown_max",
			    a->slowdown.found ? json_real(a->slowdown.at.slowdown) : json_null());
	json_object_set_new(o, "knee",
			    a->knee_found ? json_integer((json_int_t)a->knee.max) : json_null());
	json_object_set_new(o, "points", json_points(a->points, a->nr_points));
	json_object_set_new(o, "lru_curve", json_points(a->curve, a->nr_curve));
	ret = json_dumpf(o, f, JSON_INDENT(2) | JSON_REAL_PRECISION(6)) || fputc('\n', f) == EOF
		      ? -EIO
		      : 0;
	json_decref(o);
	return ret;
}

/* ------------------------------------------------------------ the outputs */

/* What size's outputs are written from (struct tool_output_writers). */
struct size_done {
	const char *trace;
	const struct sim_size_answer *a;
};

static int size_json_out(FILE *f, const void *arg)
{
	const struct size_done *d = arg;

	return size_json(f, d->trace, d->a);
}

/* The plot's CSV: the one-pass curve in a sweep's columns, the simulated
 * figures in place of the curve's where there are some. */
static int size_csv(FILE *f, const void *arg)
{
	const struct sim_size_answer *a = ((const struct size_done *)arg)->a;

	fprintf(f, "max_bytes,fault_rate,evictions,modelled_slowdown\n");
	for (unsigned i = 0; i < a->nr_curve; i++) {
		const struct sim_size_point *pt = sim_size_point_at(a, a->curve[i].max);

		if (!pt)
			pt = &a->curve[i];
		if (!pt->failed)
			fprintf(f, "%llu,%.9g,%llu,%.9g\n", (unsigned long long)pt->max,
				pt->fault_rate, (unsigned long long)pt->evictions, pt->slowdown);
	}
	return ferror(f) ? -EIO : 0;
}

/* The curve with the answers marked. */
static int size_plot(const char *csv, const char *out, const void *arg, char *err, size_t len)
{
	const struct size_done *d = arg;
	const struct sim_size_answer *a = d->a;
	struct sim_plot_sweep_marks marks = {.knee_bytes = a->knee_found ? a->knee.max : 0,
					     .target_bytes = a->rate.found ? a->rate.max : 0,
					     .target_rate = a->target_rate,
					     .unit = 1024,
					     .unit_name = "KiB"};
	char title[256];

	snprintf(title, sizeof(title), "epcmm size: %s (LRU curve, simulated at the marks)",
		 d->trace);
	return sim_plot_sweep(csv, out, title, &marks, err, len);
}

static const struct tool_output_writers size_writers = {
	.json = size_json_out, .csv = size_csv, .plot = size_plot};

/* ------------------------------------------------------------ the command */

static void size_progress(void *arg, unsigned nr)
{
	bool *on = arg;

	if (*on)
		fprintf(stderr, "\repcmm size: %u limit%s simulated", nr, nr == 1 ? "" : "s");
}

/* Answer for the trace in @path (@name in messages). Return: an exit code. */
static int size_answer(const struct size_opts *o, const char *path, const char *name)
{
	bool progress = !o->quiet && isatty(STDERR_FILENO);
	struct sim_size_params p = {.trace_path = path,
				    .target_rate = o->target_pct / 100,
				    .target_slowdown = o->target_slowdown,
				    .jobs = (unsigned)o->jobs,
				    .dynamic = o->dynamic,
				    .progress = size_progress,
				    .progress_arg = &progress};
	struct tool_output out = {.cmd = "size", .json = o->json, .plot = o->plot};
	struct size_done d = {.trace = name};
	struct sim_size_answer *a = NULL;
	char err[SIM_ERR_LEN] = "";
	int ret, status = 0;

	if (tool_output_open(&out)) {
		tool_output_close(&out);
		return TOOL_EXIT_USAGE;
	}
	ret = sim_size(&p, &a, err, sizeof(err));
	if (progress)
		fputc('\n', stderr);
	if (ret) {
		fprintf(stderr, "epcmm size: %s\n", *err ? err : strerror(-ret));
		tool_output_close(&out);
		/* a trace that cannot be read or is bad is bad input */
		return ret == -ENOMEM ? TOOL_EXIT_FAILURE : TOOL_EXIT_USAGE;
	}
	if (tool_output_text(&out))
		print_answer(stdout, name, a);
	d.a = a;
	if (tool_output_finish(&out, &size_writers, &d))
		status = TOOL_EXIT_FAILURE;
	tool_output_close(&out);
	if (!a->rate.found || !a->slowdown.found) {
		fprintf(stderr,
			"epcmm size: no misc.max up to %dx the footprint meets the %s target\n",
			SIM_SIZE_MAX_FACTOR, !a->rate.found ? "fault-rate" : "slowdown");
		status = TOOL_EXIT_FAILURE;
	}
	sim_size_free(a);
	return status;
}

/* Record @cmd to a trace (o->trace_out, or a temporary file), then answer. */
static int size_command(const struct size_opts *o, char **cmd)
{
	char tmp[TOOL_TMP_PATH_MAX];
	const char *path = o->trace_out;
	struct stat st;
	int fd, status;

	if (!path) {
		fd = tool_mkstemp(tmp, sizeof(tmp), "size-trace");
		if (fd < 0) {
			fprintf(stderr, "epcmm size: a temporary trace file: %s\n", strerror(-fd));
			return TOOL_EXIT_FAILURE;
		}
		close(fd);
		path = tmp;
	}
	status = tool_record("epcmm size", path, o->quiet, cmd);
	if (status == 0)
		status = size_answer(o, path, cmd[0]);
	else if (stat(path, &st) || st.st_size == 0)
		fprintf(stderr, "epcmm size: no answer: nothing was recorded\n");
	else if (o->trace_out)
		fprintf(stderr,
			"epcmm size: no answer for a run that failed (its trace is in %s)\n", path);
	else
		fprintf(stderr, "epcmm size: no answer for a run that failed\n");
	if (!o->trace_out)
		unlink(tmp);
	return status;
}

static int size_main(int argc, char **argv)
{
	struct size_opts o = {.target_pct = SIZE_DEFAULT_TARGET_PCT,
			      .target_slowdown = SIZE_DEFAULT_TARGET_SLOWDOWN,
			      .jobs = tool_default_jobs()};
	int nr_opts = 1, ret;

	/* Options end at "--": what follows is the COMMAND, its options its own. */
	while (nr_opts < argc && strcmp(argv[nr_opts], "--"))
		nr_opts++;
	ret = parse_args(nr_opts, argv, &o);
	if (ret)
		return tool_parse_exit(ret);
	if (nr_opts < argc) { /* -- COMMAND [ARGS...] */
		if (optind < nr_opts)
			ret = bad("'%s': a TRACE or -- COMMAND, not both", argv[optind]);
		else if (nr_opts + 1 == argc)
			ret = bad("%s", "no COMMAND after --");
		else
			ret = size_command(&o, argv + nr_opts + 1);
	} else if (optind != nr_opts - 1) {
		ret = bad("%s", optind == nr_opts
					? "what to size? a TRACE, or -- COMMAND [ARGS...]"
					: "one TRACE (to size a program: epcmm size -- COMMAND "
					  "[ARGS...])");
	} else if (o.trace_out) {
		ret = bad("%s", "-o FILE keeps a COMMAND's trace; a TRACE is kept already");
	} else {
		ret = size_answer(&o, argv[optind], argv[optind]);
	}
	return ret < 0 ? TOOL_EXIT_USAGE : ret;
}
