/* SPDX-License-Identifier: MIT */
/*
 * report.h - what a run shows: the human report (tables with thousands
 * separators and sizes in KiB/MiB/GiB), and the JSON document (jansson,
 * stable keys, in a fixed order; epcmm(1) lists them).
 *
 * Both are pure functions of the scenario and the result: nothing measured
 * (wall-clock time) goes into either, so a deterministic run prints the same
 * bytes every time.
 */
#ifndef EPCMM_SIM_REPORT_H
#define EPCMM_SIM_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "fmt.h" /* sizes, counts, rates and tables */
#include "scenario.h"

/* The report's first line: title, machine, seed, mode. */
void sim_report_banner(FILE *f, const struct sim_scenario *s);
/* The tables and the modelled time. */
void sim_report_text(FILE *f, const struct sim_scenario *s, const struct sim_result *r);
/* The JSON document, with a trailing newline. Return: 0; -ENOMEM; -EIO. */
int sim_report_json(FILE *f, const struct sim_scenario *s, const struct sim_result *r);

#endif
