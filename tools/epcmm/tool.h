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
/* output.c: an output file (@what: "--json") by sim_outfile_open()'s rules
 * (sim/outfile.h: "-" is stdout, a regular file is replaced whole at commit,
 * a FIFO or device is written in place). Write to sim_outfile_stream();
 * sim_outfile_discard() gives up. Return: the handle; NULL (said why). */
struct sim_outfile *tool_out_open(const char *cmd, const char *path, const char *what);
/* Finish it (sim_outfile_commit(); frees @o). Return: 0; -1 (said why). */
int tool_out_commit(const char *cmd, struct sim_outfile *o, const char *what);

#endif
