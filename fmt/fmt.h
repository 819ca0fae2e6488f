/* SPDX-License-Identifier: MIT */
/*
 * fmt.h - how epcmm prints numbers and tables for a person: sizes ("64 MiB",
 * "1.5 GiB"), counts with thousands separators, fault rates, and tables of
 * columns as wide as their widest cell. One renderer for the simulator's
 * reports (sim/report.c) and the daemon's views (`epcmm status` and `top`,
 * live/view.c); libc only, below both.
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
 * wide as its widest cell (or header), two spaces between columns, numbers
 * right-aligned, the last column unpadded. Widths count UTF-8 characters,
 * not bytes, so a name like "café" lines up. A column with a @max (8 or
 * more) shows at most that many characters of a cell: a longer one shows its
 * end after "..." (a path's leaf is what tells it apart). Cells are written by
 * fmt_table_cell() (a buffer of FMT_CELL bytes, for short cells) or set
 * whole by fmt_table_set() (any length). Out of memory aborts: a table is
 * output, and there is nothing sensible to print instead.
 */
#define FMT_CELL     40
#define FMT_MAX_COLS 16

struct fmt_table {
	int ncol;
	const char *const *hdr; /* @ncol names */
	const bool *right;	/* @ncol: right-aligned (numbers) */
	const int *max;		/* NULL, or @ncol widths (0: no limit) */
	char *(*cells)[FMT_MAX_COLS];
	int nrows, cap;
};

/* A new row, its cells empty. Return: its index. */
int fmt_table_row(struct fmt_table *t);
/* Row @row's cell @col as a buffer of FMT_CELL bytes to write into. */
char *fmt_table_cell(struct fmt_table *t, int row, int col);
/* Row @row's cell @col: a copy of @s, of any length. */
void fmt_table_set(struct fmt_table *t, int row, int col, const char *s);
/* Print the table to @f and free its rows (the table can be filled again). */
void fmt_table_print(FILE *f, struct fmt_table *t);

#endif
