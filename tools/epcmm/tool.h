/* SPDX-License-Identifier: MIT */
/* tool.h - what the epcmm tool's commands share. */
#ifndef EPCMM_TOOL_H
#define EPCMM_TOOL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes: 0 success, 1 a failure the run found, 2 bad usage or input. */
#define TOOL_EXIT_FAILURE 1
#define TOOL_EXIT_USAGE	  2

/* The commands (options.h), each in its file. */
struct tool_command;
extern const struct tool_command tool_cmd_run, tool_cmd_size, tool_cmd_sweep; /* run.c ... */
extern const struct tool_command tool_cmd_demo, tool_cmd_daemon, tool_cmd_selftest;
extern const struct tool_command tool_cmd_status, tool_cmd_top;		  /* status.c, top.c */
extern const struct tool_command tool_cmd_record, tool_cmd_trace_convert; /* record.c */
extern const struct tool_command tool_cmd_topology;

struct sim_scenario;
/* Read @files (none: the built-in default) into one finalized scenario;
 * errors go to stderr. Return: 0; -1. */
int tool_load_scenario(int nr, char **files, struct sim_scenario **out);

/* options.c: "epcmm CMD: <@fmt with @arg>" and "Try 'epcmm CMD --help'."
 * on stderr: a usage error. Return: -1. */
int tool_bad(const char *cmd, const char *fmt, const char *arg);

/* common.c: what run, sweep and size share. @cmd is the command's name ("run"). */
/* --plot FILE: .svg or .png, given once. Return: 0; -1 (said why). */
int tool_opt_plot(const char *cmd, const char *arg, const char **slot);
/* --seed N. Return: 0; -1 (said why). */
int tool_opt_seed(const char *cmd, const char *arg, uint64_t *seed, bool *set);
/* -j N: 1..SIM_SWEEP_MAX_JOBS. Return: 0; -1 (said why). */
int tool_opt_jobs(const char *cmd, const char *arg, long *jobs);
/* The default of -j: the online CPUs, within 1..SIM_SWEEP_MAX_JOBS. */
long tool_default_jobs(void);
/* --target PCT (0..100, a '%' allowed after it). Return: 0; -1 (said why). */
int tool_opt_target_pct(const char *cmd, const char *arg, double *pct);
/* --target-slowdown X (1..TOOL_MAX_TARGET_SLOWDOWN, an 'x' allowed after it).
 * Return: 0; -1 (said why). */
#define TOOL_MAX_TARGET_SLOWDOWN 1e6
int tool_opt_target_slowdown(const char *cmd, const char *arg, double *x);

/* A temporary file $TMPDIR/epcmm-@stem-XXXXXX (TMPDIR unset: /tmp), made
 * with mkstemp() into @path (@len bytes). Return: its fd; -errno. */
#define TOOL_TMP_PATH_MAX 4096
int tool_mkstemp(char *path, size_t len, const char *stem);

/* record.c: record @cmd under Valgrind into the trace file @out, as `epcmm
 * record -o OUT` does but with no summary; @prog names the command in
 * messages ("epcmm size"), @quiet: no progress line; the command's own
 * output goes to stderr, so stdout is the caller's. Return: an exit code
 * (0: recorded, and the command exited 0; the trace of a command that failed
 * is still written). */
int tool_record(const char *prog, const char *out, bool quiet, char **cmd);

struct sim_outfile;
/*
 * output.c: the output files of run, sweep and size, one pipeline for the
 * three, each file by sim_outfile_open()'s rules (sim/outfile.h: "-" is
 * stdout, a regular file is replaced whole at commit, a FIFO or device is
 * written in place):
 * --json FILE (a JSON document; "-" is stdout, instead of the text report),
 * a CSV (run's --timeline, written while the run goes, @csv_live; sweep's
 * --csv, written after) and --plot FILE, drawn from the CSV, or from a
 * temporary copy of it in $TMPDIR when there is no CSV file the plot can
 * read back (none asked for, or stdout, a FIFO, a device; a live CSV must be
 * a regular file then). Every file is opened, and the plot's directory and
 * gnuplot checked, before the work starts, so a long run is not lost to a
 * typo.
 *
 *	struct tool_output out = {.cmd = "sweep", .json = ..., .csv = ..., ...};
 *	if (tool_output_open(&out)) -> exit 2
 *	... the work; the text report only if tool_output_text(&out) ...
 *	if (tool_output_finish(&out, &writers, result)) -> exit 1
 *	tool_output_close(&out);
 */
struct tool_output {
	const char *cmd;	       /* "run" */
	const char *json, *csv, *plot; /* the files asked for, or NULL */
	const char *csv_option;	       /* the CSV's option: "--timeline", "--csv" */
	bool csv_live;		       /* the CSV is written during the work */
	struct sim_outfile *json_out, *csv_out;
	struct sim_outfile *plot_out;	  /* the plot's temporary CSV */
	char plot_csv[TOOL_TMP_PATH_MAX]; /* its path, or "" */
};

/* What a command writes: each a NULL-able callback with the command's
 * result in @arg. @json and @csv return 0 or -EIO; @plot draws the plot
 * @out from the CSV at @csv: 0, 1 nothing to plot (said why), or -errno
 * with the reason in @err. */
struct tool_output_writers {
	int (*json)(FILE *f, const void *arg);
	int (*csv)(FILE *f, const void *arg); /* NULL: written live */
	int (*plot)(const char *csv, const char *out, const void *arg, char *err, size_t len);
};

/* Open and check every output @o asks for. Return: 0; -1 (said why). */
int tool_output_open(struct tool_output *o);
/* Does the text report go to stdout (no --json -)? */
bool tool_output_text(const struct tool_output *o);
/* Where a live CSV goes while the work runs: the CSV's file or the plot's
 * temporary one; NULL for none. */
FILE *tool_output_live_csv(const struct tool_output *o);
/* The work is over: commit a live CSV (also after a failed run). Return: 0;
 * -1 (said why). */
int tool_output_csv_done(struct tool_output *o);
/* Write and commit --json, then the CSV, then plot, by @w with @arg.
 * Return: 0; -1 (said why). */
int tool_output_finish(struct tool_output *o, const struct tool_output_writers *w, const void *arg);
/* Discard what was not committed, remove the temporary CSV. */
void tool_output_close(struct tool_output *o);

#endif
