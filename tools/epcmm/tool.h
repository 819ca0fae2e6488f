/* SPDX-License-Identifier: MIT */
/* tool.h - what the epcmm tool's commands share. */
#ifndef EPCMM_TOOL_H
#define EPCMM_TOOL_H

#include <stdarg.h>

/* Exit codes: 0 success, 1 a failure the run found, 2 bad usage or input. */
#define TOOL_EXIT_FAILURE 1
#define TOOL_EXIT_USAGE	  2

/* Each command gets the arguments after its name. */
int epcmm_demo(int argc, char **argv);
int epcmm_daemon(int argc, char **argv);
int epcmm_status_cmd(int argc, char **argv);
int epcmm_top(int argc, char **argv);
int epcmm_record(int argc, char **argv);	/* record.c */
int epcmm_trace_convert(int argc, char **argv); /* record.c */
int epcmm_topology(int argc, char **argv);	/* topology.c */
int epcmm_run(int argc, char **argv);
int epcmm_sweep(int argc, char **argv);

struct sim_scenario;
/* Read @files (none: the built-in default) into one finalized scenario;
 * errors go to stderr. Return: 0; -1. */
int tool_load_scenario(int nr, char **files, struct sim_scenario **out);
/* A NULL-terminated argv for getopt: @name, then @args. Free it with free(). */
char **tool_argv(const char *name, int nr_args, char **args);
int epcmm_selftest(int argc, char **argv);

#endif
