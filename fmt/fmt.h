/* SPDX-License-Identifier: MIT */
/*
 * fmt.h - how epcmm prints numbers and tables for a person: sizes ("64 MiB",
 * "1.5 GiB"), counts with thousands separators, fault rates, and tables of
 * columns as wide as their widest cell. One renderer for every table a
 * person reads: the simulator's reports (sim/report.c, sim/sweep.c), the
 * daemon's views (`epcmm status` and `top`, live/view.c) and the tool's own
 * (`epcmm size`'s figures, `demo`, the command list); libc only, below all.
 */
#ifndef EPCMM_FMT_H
#define EPCMM_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Bytes in binary units, exact when whole ("4 KiB", "64 MiB"), else one
 * decimal ("1.5 GiB"). */
void fmt_size(char *buf, size_t len, uint64_t bytes);
/* Digits with a thousands separator: 1234567 -> "1,234,567" (cut to @len). */
void fmt_count(char *buf, size_t len, uint64_t n);
/* A fault rate as a percentage: two decimals from 1%, two significant
 * digits below (at most FMT_RATE_MAX_DECIMALS), "0" with no faults. */
#define FMT_RATE_MAX_DECIMALS 12 /* one fault in 10^12 accesses: 0.00000000010% */
void fmt_rate(char *buf, size_t len, uint64_t faults, double rate);

/*
 * A table: a header row, then rows of cells; printed with each column as
 * wide as its widest cell (or header, or its @min), two spaces between
 * columns, numbers right-aligned, the last column unpadded, every line after
 * @indent spaces. Widths count UTF-8 characters, not bytes, so a name like
 * "café" lines up. A column with a @max (8 or more) shows at most that many
 * characters of a cell: a longer one shows its end after "..." (a path's leaf
 * is what tells it apart). Cells are written by fmt_table_cell() (a buffer of
 * FMT_CELL bytes, for short cells) or set whole by fmt_table_set() (any
 * length). A row may end in a note instead of its remaining cells
 * (fmt_table_note()). Out of memory aborts: a table is output, and there is
 * nothing sensible to print instead.
 */
#define FMT_CELL     40
#define FMT_MAX_COLS 16

struct fmt_row {
	char *cell[FMT_MAX_COLS];
	char *note; /* NULL, or what the row shows from column @note_col on */
	int note_col;
};

struct fmt_table {
	int ncol;
	const char *const *hdr; /* @ncol names, or NULL: no header row */
	const bool *right;	/* @ncol: right-aligned (numbers) */
	const int *max;		/* NULL, or @ncol widths (0: no limit) */
	const int *min;		/* NULL, or @ncol widths a column has at least */
	int indent;		/* spaces before every line */
	struct fmt_row *rows;
	int nrows, cap;
};

/* A new row, its cells empty. Return: its index. */
int fmt_table_row(struct fmt_table *t);
/* Row @row's cell @col as a buffer of FMT_CELL bytes to write into. */
char *fmt_table_cell(struct fmt_table *t, int row, int col);
/* Row @row's cell @col: a copy of @s, of any length. */
void fmt_table_set(struct fmt_table *t, int row, int col, const char *s);
/*
 * Row @row shows @s from column @col on (0 <= @col <= ncol; ncol: after the
 * last column), left-aligned and as long as it is, instead of its cells
 * there: a remark on the row ("fails: ...", "<- knee") that widens no column.
 */
void fmt_table_note(struct fmt_table *t, int row, int col, const char *s);
/* Print the table to @f and free its rows (the table can be filled again). */
void fmt_table_print(FILE *f, struct fmt_table *t);

#endif
