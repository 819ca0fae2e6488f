// SPDX-License-Identifier: MIT
/*
 * output.c - the output files of run, sweep and size (tool.h: struct
 * tool_output) through sim/outfile.c, with the tool's messages: opened and
 * checked before the work, written after it in one order (--json, the CSV,
 * --plot), a temporary CSV for the plot when there is none it can read back.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "outfile.h"
#include "plot.h"
#include "report.h"
#include "tool.h"

/* @path for the output @what ("--json"). Return: the handle; NULL (said why). */
static struct sim_outfile *out_open(const char *cmd, const char *path, const char *what)
{
	struct sim_outfile *o;
	char err[512];

	if (sim_outfile_open(path, &o, err, sizeof(err))) {
		fprintf(stderr, "epcmm %s: %s: %s\n", cmd, what, err);
		return NULL;
	}
	return o;
}

/* Finish @o (sim_outfile_commit(); frees it). Return: 0; -1 (said why). */
static int out_commit(const char *cmd, struct sim_outfile *o, const char *what)
{
	char err[512];

	if (sim_outfile_commit(o, err, sizeof(err))) {
		fprintf(stderr, "epcmm %s: %s: %s\n", cmd, what, err);
		return -1;
	}
	return 0;
}

/* A temporary file for the plot's CSV, opened in @o->plot_out. Return: 0;
 * -1 (said why). */
static int open_plot_csv(struct tool_output *o)
{
	int fd = tool_mkstemp(o->plot_csv, sizeof(o->plot_csv), o->cmd);

	if (fd < 0) {
		fprintf(stderr, "epcmm %s: --plot: a temporary file: %s\n", o->cmd, strerror(-fd));
		o->plot_csv[0] = '\0';
		return -1;
	}
	close(fd);
	o->plot_out = out_open(o->cmd, o->plot_csv, "--plot");
	return o->plot_out ? 0 : -1;
}

int tool_output_open(struct tool_output *o)
{
	char err[SIM_ERR_LEN];
	bool readable;

	if (o->csv && !(o->csv_out = out_open(o->cmd, o->csv, o->csv_option)))
		return -1;
	readable = o->csv_out && sim_outfile_is_regular(o->csv_out);
	if (o->plot && o->csv_live && o->csv_out && !readable) {
		fprintf(stderr,
			"epcmm %s: --plot reads the %s back: with --plot, %s must be a regular "
			"file (%s is not)\n",
			o->cmd, o->csv_option + 2, o->csv_option, o->csv);
		return -1;
	}
	if (o->plot && !readable && open_plot_csv(o))
		return -1;
	if (o->json && !(o->json_out = out_open(o->cmd, o->json, "--json")))
		return -1;
	if (o->plot && sim_plot_check(o->plot, err, sizeof(err))) {
		fprintf(stderr, "epcmm %s: --plot: %s\n", o->cmd, err);
		return -1;
	}
	return 0;
}

bool tool_output_text(const struct tool_output *o)
{
	return !o->json || strcmp(o->json, "-");
}

FILE *tool_output_live_csv(const struct tool_output *o)
{
	struct sim_outfile *f = o->csv_out ? o->csv_out : o->plot_out;

	return f ? sim_outfile_stream(f) : NULL;
}

/* Write @f by @write (NULL: written already), then commit it; @f is taken.
 * Return: 0; -1 (said why). */
static int finish_file(const struct tool_output *o, struct sim_outfile *f, const char *what,
		       int (*write)(FILE *f, const void *arg), const void *arg)
{
	if (!f)
		return 0;
	if (write && write(sim_outfile_stream(f), arg)) {
		fprintf(stderr, "epcmm %s: %s: %s\n", o->cmd, what, strerror(EIO));
		sim_outfile_discard(f);
		return -1;
	}
	return out_commit(o->cmd, f, what);
}

int tool_output_csv_done(struct tool_output *o)
{
	struct sim_outfile *csv = o->csv_out, *copy = o->plot_out;

	o->csv_out = o->plot_out = NULL;
	if (finish_file(o, csv, o->csv_option, NULL, NULL)) {
		sim_outfile_discard(copy);
		return -1;
	}
	return finish_file(o, copy, "--plot", NULL, NULL);
}

int tool_output_finish(struct tool_output *o, const struct tool_output_writers *w, const void *arg)
{
	struct sim_outfile *json = o->json_out, *csv = o->csv_out, *copy = o->plot_out;
	char err[SIM_ERR_LEN] = "";
	const char *plot_csv;
	int ret;

	o->json_out = o->csv_out = o->plot_out = NULL;
	ret = finish_file(o, json, "--json", w->json, arg);
	if (!ret)
		ret = finish_file(o, csv, o->csv_option, w->csv, arg);
	if (!ret)
		ret = finish_file(o, copy, "--plot", w->csv, arg);
	else
		sim_outfile_discard(copy);
	if (ret || !o->plot)
		return ret;
	plot_csv = o->plot_csv[0] ? o->plot_csv : o->csv;
	ret = w->plot(plot_csv, o->plot, arg, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "epcmm %s: --plot: %s\n", o->cmd, *err ? err : strerror(-ret));
		return -1;
	}
	if (ret == 0)
		fprintf(stderr, "epcmm %s: plot written to %s\n", o->cmd, o->plot);
	return 0;
}

void tool_output_close(struct tool_output *o)
{
	sim_outfile_discard(o->json_out);
	sim_outfile_discard(o->csv_out);
	sim_outfile_discard(o->plot_out);
	o->json_out = o->csv_out = o->plot_out = NULL;
	if (o->plot_csv[0])
		unlink(o->plot_csv);
	o->plot_csv[0] = '\0';
}
