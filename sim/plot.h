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
 * gnuplot has it, else png). gnuplot draws into a temporary file, which is
 * then written to the output by sim_outfile_open()'s rules (outfile.h: a
 * regular file replaced whole, a FIFO or character device written in place,
 * a directory, socket or block device refused), so gnuplot never opens the
 * output itself. The temporary files are removed.
 *
 * Timeline CSV: header "modelled_s,accesses", then per cgroup
 * "cg:PATH:current" and "cg:PATH:max" (bytes; max empty when unlimited),
 * per node with EPC "node:N:free" (bytes), then "faults" (per interval), and
 * optionally "event" last: the names of what fired at that row's moment
 * (space separated; empty in the other rows); one row per sample, the first
 * at 0 accesses. Drawn as two panels over the
 * accesses made (or modelled time), from the first sample after the start:
 * each cgroup's usage (solid) and limit (dashed, same colour) in MiB; free EPC
 * per node in MiB, with the faults per 1,000 accesses of each interval on the
 * right axis, drawn as steps across the interval; each event row as a dotted
 * vertical line across both panels, labelled with its names at the top.
 *
 * Sweep CSV: header "max_bytes,fault_rate,evictions,modelled_slowdown", one
 * row per limit. Drawn as the fault rate (%; a log axis when the rates span
 * more than a decade, zero rates then not drawn) against the limit (in the
 * unit the table uses), the modelled slowdown on the right axis, the knee
 * marked and labelled (the label beside the knee's line, inside the border),
 * the target as a labelled horizontal line and its limit as a point.
 *
 * Errors (0 or a negative errno, a message in @err):
 *  -EINVAL   the output is not .svg/.png, a name or title holds a newline,
 *            the CSV's header is not the one described above;
 *  -ENOENT   the CSV cannot be opened, or gnuplot is not installed (the
 *            message names the Debian package gnuplot-nox);
 *  -EISDIR, -errno  the output cannot be written (sim_outfile_open());
 *  -EIO      gnuplot failed (its last error line is quoted) or wrote nothing.
 */
#ifndef EPCMM_SIM_PLOT_H
#define EPCMM_SIM_PLOT_H

#include <stddef.h>
#include <stdint.h>

/* The program run, looked up in PATH. */
#define SIM_PLOT_GNUPLOT "gnuplot"

/*
 * Before a run that will plot to @out_path: .svg or .png (-EINVAL), an
 * output sim_outfile_check() accepts (-EISDIR, -EINVAL, -errno), gnuplot on
 * PATH (-ENOENT, naming the Debian package); a message in @err.
 * Return: 0 when the plot can be made.
 */
int sim_plot_check(const char *out_path, char *err, size_t errlen);

/* The timeline's x axis: accesses made (the default), or modelled time. */
enum sim_plot_x {
	SIM_PLOT_X_ACCESSES,
	SIM_PLOT_X_TIME,
};

int sim_plot_timeline(const char *csv_path, const char *out_path, const char *title,
		      enum sim_plot_x x, char *err, size_t errlen);

/* What a sweep plot marks besides its curves. */
struct sim_plot_sweep_marks {
	uint64_t knee_bytes;	/* the knee's limit, a dashed line and a point; 0: none */
	uint64_t target_bytes;	/* the target's limit, a point; 0: none */
	double target_rate;	/* a horizontal line at this fault rate (a fraction); < 0: none */
	double target_slowdown; /* > 0: the target is this slowdown instead (right axis) */
	uint64_t unit;		/* the x axis's unit in bytes (0: MiB), as the table's */
	const char *unit_name;	/* its name ("KiB"; NULL: "MiB") */
};

/* @marks may be NULL: no marks, MiB. */
int sim_plot_sweep(const char *csv_path, const char *out_path, const char *title,
		   const struct sim_plot_sweep_marks *marks, char *err, size_t errlen);

#endif
