/* SPDX-License-Identifier: MIT */
/*
 * plot.h - plots with gnuplot from the CSV files the simulator writes.
 * Declared here so the tools can call them; sim/plot.c implements them.
 */
#ifndef EPCMM_SIM_PLOT_H
#define EPCMM_SIM_PLOT_H

#include <stddef.h>
#include <stdint.h>

/* runs gnuplot on a CSV you write; 0, or -ENOENT with a message naming the package
 * (gnuplot-nox) when gnuplot is missing, -EIO when gnuplot fails. out: .svg or .png */
int sim_plot_timeline(const char *csv_path, const char *out_path, const char *title, char *err,
		      size_t errlen);
int sim_plot_sweep(const char *csv_path, const char *out_path, const char *title,
		   uint64_t knee_bytes, char *err, size_t errlen);

#endif
