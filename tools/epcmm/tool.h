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
int epcmm_selftest(int argc, char **argv);

#endif
