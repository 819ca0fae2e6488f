// SPDX-License-Identifier: MIT
/*
 * fmt.c - sizes, counts, rates and tables for a person (fmt.h).
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"

void fmt_size(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	int u = 0;
	uint64_t unit = 1;

	while (u < 5 && bytes >= unit * 1024) {
		unit *= 1024;
		u++;
	}
	if (bytes % unit == 0)
		snprintf(buf, len, "%" PRIu64 " %s", bytes / unit, units[u]);
	else
		snprintf(buf, len, "%.1f %s", (double)bytes / (double)unit, units[u]);
}

void fmt_rate(char *buf, size_t len, uint64_t faults, double rate)
{
	double pct = 100 * rate;
	int decimals;

	if (!faults || rate <= 0) {
		snprintf(buf, len, "0");
		return;
	}
	/* Two significant digits below 1%, two decimals above. */
	decimals = pct >= 1 ? 2 : 1 - (int)floor(log10(pct));
	if (decimals > FMT_RATE_MAX_DECIMALS)
		decimals = FMT_RATE_MAX_DECIMALS;
	snprintf(buf, len, "%.*f%%", decimals, pct);
}

void fmt_count(char *buf, size_t len, uint64_t n)
{
	char digits[24];
	int nd = snprintf(digits, sizeof(digits), "%" PRIu64, n);
	size_t o = 0;

	if (len == 0)
		return;
	for (int i = 0; i < nd && o + 1 < len; i++) {
		if (i && (nd - i) % 3 == 0) {
			buf[o++] = ',';
			if (o + 1 >= len)
				break;
		}
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

/* ---------------------------------------------------------------- tables */

static void *fmt_alloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		abort(); /* fmt.h: out of memory while printing */
	return p;
}

int fmt_table_row(struct fmt_table *t)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->rows = fmt_alloc(t->rows, (size_t)t->cap * sizeof(*t->rows));
	}
	memset(&t->rows[t->nrows], 0, sizeof(*t->rows));
	return t->nrows++;
}

char *fmt_table_cell(struct fmt_table *t, int row, int col)
{
	char **c = &t->rows[row].cell[col];

	if (!*c)
		*c = fmt_alloc(NULL, FMT_CELL);
	**c = '\0';
	return *c;
}

/* *@dst: a copy of @s (its old text freed). */
static void fmt_copy(char **dst, const char *s)
{
	size_t n = strlen(s) + 1;

	*dst = fmt_alloc(*dst, n);
	memcpy(*dst, s, n);
}

void fmt_table_set(struct fmt_table *t, int row, int col, const char *s)
{
	fmt_copy(&t->rows[row].cell[col], s);
}

void fmt_table_note(struct fmt_table *t, int row, int col, const char *s)
{
	fmt_copy(&t->rows[row].note, s);
	t->rows[row].note_col = col;
}

/* The columns @s takes on a terminal: its characters, UTF-8 (a continuation
 * byte, 10xxxxxx, starts none). */
static int fmt_width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* Cell @s in a column of at most @max columns (0 or below 8: no limit): its
 * last @max - 3 characters, *@cut set for the "..." in front. */
static const char *fmt_fit(const char *s, int max, bool *cut)
{
	const char *p = s + strlen(s);

	*cut = max >= 8 && fmt_width(s) > max;
	if (!*cut)
		return s;
	for (int keep = max - 3; keep > 0;) /* back to the start of a character */
		keep -= (*--p & 0xc0) != 0x80;
	return p;
}

static void fmt_cell(FILE *f, const char *s, int w, int max, bool right, bool last)
{
	bool cut;
	const char *shown = fmt_fit(s, max, &cut);
	int pad = w - fmt_width(shown) - (cut ? 3 : 0);

	if (right)
		fprintf(f, "%*s", pad, "");
	fprintf(f, "%s%s", cut ? "..." : "", shown);
	if (!right && !last)
		fprintf(f, "%*s", pad, "");
	if (!last)
		fputs("  ", f);
}

/* Column @c of row @r shows a cell (no note of the row covers it). */
static bool fmt_shown(const struct fmt_table *t, int r, int c)
{
	return !t->rows[r].note || c < t->rows[r].note_col;
}

/* The columns' widths into @w: each its widest header or shown cell, at
 * least its min, at most its max. */
static void fmt_widths(const struct fmt_table *t, int *w)
{
	for (int c = 0; c < t->ncol; c++) {
		int max = t->max ? t->max[c] : 0;

		w[c] = t->hdr ? fmt_width(t->hdr[c]) : 0;
		if (t->min && t->min[c] > w[c])
			w[c] = t->min[c];
		for (int r = 0; r < t->nrows; r++) {
			const char *s = t->rows[r].cell[c];

			if (s && fmt_shown(t, r, c) && fmt_width(s) > w[c])
				w[c] = fmt_width(s);
		}
		if (max >= 8 && w[c] > max)
			w[c] = max;
	}
}

/* Row @r (-1: the header) as one line. */
static void fmt_line(FILE *f, const struct fmt_table *t, const int *w, int r)
{
	const struct fmt_row *row = r < 0 ? NULL : &t->rows[r];
	int end = row && row->note ? row->note_col : t->ncol;

	fprintf(f, "%*s", t->indent, "");
	for (int c = 0; c < end; c++) {
		const char *s = !row ? t->hdr[c] : row->cell[c] ? row->cell[c] : "";

		fmt_cell(f, s, w[c], t->max ? t->max[c] : 0, t->right[c], c == t->ncol - 1);
	}
	if (end < t->ncol)
		fputs(row->note, f);
	else if (row && row->note)
		fprintf(f, "  %s", row->note);
	fputc('\n', f);
}

void fmt_table_print(FILE *f, struct fmt_table *t)
{
	int w[FMT_MAX_COLS];

	fmt_widths(t, w);
	for (int r = t->hdr ? -1 : 0; r < t->nrows; r++)
		fmt_line(f, t, w, r);
	for (int r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncol; c++)
			free(t->rows[r].cell[c]);
		free(t->rows[r].note);
	}
	free(t->rows);
	t->rows = NULL;
	t->nrows = t->cap = 0;
}
