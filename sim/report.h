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
#include "scenario.h"

/* "64 MiB", "1.2 MiB", "4 KiB", "0 B" */
void sim_fmt_size(char *buf, size_t len, uint64_t bytes);
/* "1,234,567" */
void sim_fmt_count(char *buf, size_t len, uint64_t n);
#define SIM_RATE_MAX_DECIMALS 12 /* a rate of one fault in 10^12 accesses: 0.00000000010% */
/* A fault rate in percent, with the digits a decision needs: "9.87%" from
 * 1% up, two significant digits below ("0.62%", "0.0027%"), "0" for none. */
void sim_fmt_rate(char *buf, size_t len, uint64_t faults, double rate);

/* The report's first line: title, machine, seed, mode. */
void sim_report_banner(FILE *f, const struct sim_scenario *s);
/* The tables and the modelled time. */
void sim_report_text(FILE *f, const struct sim_scenario *s, const struct sim_result *r);
/* The JSON document, with a trailing newline. Return: 0; -ENOMEM; -EIO. */
int sim_report_json(FILE *f, const struct sim_scenario *s, const struct sim_result *r);

#endif
