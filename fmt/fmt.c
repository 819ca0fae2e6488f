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
		t->cells = fmt_alloc(t->cells, (size_t)t->cap * sizeof(*t->cells));
	}
	memset(t->cells[t->nrows], 0, sizeof(*t->cells));
	return t->nrows++;
}

char *fmt_table_cell(struct fmt_table *t, int row, int col)
{
	char **c = &t->cells[row][col];

	if (!*c)
		*c = fmt_alloc(NULL, FMT_CELL);
	**c = '\0';
	return *c;
}

void fmt_table_set(struct fmt_table *t, int row, int col, const char *s)
{
	size_t n = strlen(s) + 1;
	char **c = &t->cells[row][col];

	*c = fmt_alloc(*c, n);
	memcpy(*c, s, n);
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

void fmt_table_print(FILE *f, struct fmt_table *t)
{
	int w[FMT_MAX_COLS];

	for (int c = 0; c < t->ncol; c++) {
		int max = t->max ? t->max[c] : 0;

		w[c] = fmt_width(t->hdr[c]);
		for (int r = 0; r < t->nrows; r++)
			if (t->cells[r][c] && fmt_width(t->cells[r][c]) > w[c])
				w[c] = fmt_width(t->cells[r][c]);
		if (max >= 8 && w[c] > max)
			w[c] = max;
	}
	for (int r = -1; r < t->nrows; r++) {
		for (int c = 0; c < t->ncol; c++) {
			const char *s = r < 0 ? t->hdr[c] : t->cells[r][c] ? t->cells[r][c] : "";

			fmt_cell(f, s, w[c], t->max ? t->max[c] : 0, t->right[c], c == t->ncol - 1);
		}
		fputc('\n', f);
	}
	for (int r = 0; r < t->nrows; r++)
		for (int c = 0; c < t->ncol; c++)
			free(t->cells[r][c]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}
