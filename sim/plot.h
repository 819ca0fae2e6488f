/* SPDX-License-Identifier: MIT */
/*
 * plot.h - plots of a run's timeline and of a limit sweep, drawn by gnuplot
 * from the CSV files the engine writes (`epcmm run --plot`, `epcmm sweep
 * --plot`).
 *
 * How: the CSV's header is read to learn its columns, a gnuplot script is
 * written to a temporary file (names and titles quoted as gnuplot strings,
 * shown without enhanced-text markup so '_' in a cgroup path stays '_'), and
 * gnuplot runs on it through posix_spawnp with an argument vector (no shell),
 * its stderr kept in a temporary file for the error message. The output's
 * extension picks the terminal: .svg (svg, 1000x600) or .png (pngcairo if
 * gnuplot has it, else png). The temporary files are removed.
 *
 * Timeline CSV: header "modelled_s,accesses", then per cgroup
 * "cg:PATH:current" and "cg:PATH:max" (bytes; max empty when unlimited),
 * per node with EPC "node:N:free" (bytes), then "faults" (per interval); one
 * row per sample. Drawn as two panels over modelled time: each cgroup's usage
 * (solid) and limit (dashed, same colour) in MiB; free EPC per node in MiB,
 * with the faults of each interval on the right axis.
 *
 * Sweep CSV: header "max_bytes,fault_rate,evictions,modelled_slowdown", one
 * row per limit. Drawn as the fault rate (%) against the limit (MiB), the
 * modelled slowdown on the right axis, and the knee marked and labelled.
 *
 * Errors (0 or a negative errno, a message in @err):
 *  -EINVAL   the output is not .svg/.png, a name or title holds a newline,
 *            the CSV's header is not the one described above;
 *  -ENOENT   the CSV cannot be opened, or gnuplot is not installed (the
 *            message names the Debian package gnuplot-nox);
 *  -EIO      gnuplot failed (its last error line is quoted) or wrote nothing.
 */
#ifndef EPCMM_SIM_PLOT_H
#define EPCMM_SIM_PLOT_H

#include <stddef.h>
#include <stdint.h>

/* The program run, looked up in PATH. */
#define SIM_PLOT_GNUPLOT "gnuplot"

int sim_plot_timeline(const char *csv_path, const char *out_path, const char *title, char *err,
		      size_t errlen);

/* @knee_bytes: the limit to mark as the knee; 0 marks none. */
int sim_plot_sweep(const char *csv_path, const char *out_path, const char *title,
		   uint64_t knee_bytes, char *err, size_t errlen);

#endif
