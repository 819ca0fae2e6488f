// SPDX-License-Identifier: MIT
/*
 * test_fmt.c - the one table renderer (fmt/fmt.h) that `epcmm run`'s
 * reports and `epcmm status`/`top` print with: columns as wide as their
 * widest cell or header, two spaces apart, numbers right-aligned, the last
 * column unpadded; widths in UTF-8 characters; a column's max keeping a
 * long cell's end after "...", cut at a character, never inside one; a cell
 * of any length (set whole) or written into its FMT_CELL buffer; the table
 * empty again after printing; a row's note, which replaces its last cells
 * and widens no column; a table with no header, an indent and minimum widths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#include "fmt.h"

#define E "\xc3\xa9" /* one character, two bytes */

/* @got must be @want; else the test fails showing both. */
static void str_eq(const char *got, const char *want, const char *what)
{
	if (strcmp(got, want))
		fail_msg("%s: got\n[%s]\nwant\n[%s]", what, got, want);
}

/* @t printed, in a malloc'd string. */
static char *printed(struct fmt_table *t)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	CHECK(f != NULL, "open_memstream");
	fmt_table_print(f, t);
	CHECK_EQ(fclose(f), 0, "the table is written");
	return out;
}

static void test_fmt_table_layout(void **state)
{
	static const char *const hdr[] = {"NAME", "SIZE", "NOTE"};
	static const bool right[] = {false, true, false};
	struct fmt_table t = {.ncol = 3, .hdr = hdr, .right = right};
	char *out;
	int row;

	(void)state;
	row = fmt_table_row(&t);
	fmt_table_set(&t, row, 0, "/a");
	fmt_size(fmt_table_cell(&t, row, 1), FMT_CELL, 64ULL << 20);
	fmt_table_set(&t, row, 2, "x");
	row = fmt_table_row(&t);
	fmt_table_set(&t, row, 0, "/caf\xc3\xa9");
	fmt_size(fmt_table_cell(&t, row, 1), FMT_CELL, 4096);
	out = printed(&t);
	str_eq(out,
	       "NAME     SIZE  NOTE\n"
	       "/a     64 MiB  x\n"
	       "/caf\xc3\xa9   4 KiB  \n",
	       "widths in characters, numbers right, the last column unpadded");
	free(out);
	CHECK(t.nrows == 0 && t.rows == NULL, "printing empties the table");
	row = fmt_table_row(&t);
	fmt_table_set(&t, row, 0, "again");
	out = printed(&t);
	str_eq(out,
	       "NAME   SIZE  NOTE\n"
	       "again"
	       "        "
	       "\n",
	       "and it fills again");
	free(out);
}

static void test_fmt_table_max_and_long_cells(void **state)
{
	static const char *const hdr[] = {"PATH", "N"};
	static const bool right[] = {false, true};
	const int max[] = {10, 0};
	struct fmt_table t = {.ncol = 2, .hdr = hdr, .right = right, .max = max};
	size_t n = 100000;
	char *lng = malloc(n + 1), *out;
	int row;

	(void)state;
	CHECK(lng != NULL, "memory");
	memset(lng, 'p', n);
	memcpy(lng + n - 6, "/leaf!", 6);
	lng[n] = '\0';
	row = fmt_table_row(&t);
	fmt_table_set(&t, row, 0, lng);
	snprintf(fmt_table_cell(&t, row, 1), FMT_CELL, "%d", 7);
	row = fmt_table_row(&t);
	fmt_table_set(&t, row, 0, "/" E E E E E E E E E E); /* 11 characters, 21 bytes */
	row = fmt_table_row(&t);
	fmt_table_set(&t, row, 0, "/short");
	out = printed(&t);
	str_eq(out,
	       "PATH        N\n"
	       "...p/leaf!  7\n"
	       "..." E E E E E E E "   \n"
	       "/short"
	       "       "
	       "\n",
	       "long cells keep their end, cut at a character, within the max");
	free(out);

	/* without a max, a 100,000-byte cell is printed whole */
	t.max = NULL;
	row = fmt_table_row(&t);
	fmt_table_set(&t, row, 0, lng);
	out = printed(&t);
	CHECK(strstr(out, lng) != NULL, "a cell of any length, whole");
	free(out);
	free(lng);
}

static void test_fmt_table_notes(void **state)
{
	static const char *const hdr[] = {"max", "rate", "slowdown"};
	static const bool right[] = {true, true, true};
	struct fmt_table t = {.ncol = 3, .hdr = hdr, .right = right};
	char *out;
	int row;

	(void)state;
	row = fmt_table_row(&t);
	fmt_table_set(&t, row, 0, "4 MiB");
	fmt_table_set(&t, row, 1, "88.01%");
	fmt_table_set(&t, row, 2, "177.01x");
	row = fmt_table_row(&t);
	fmt_table_set(&t, row, 0, "32 MiB");
	fmt_table_set(&t, row, 1, "0.38%");
	fmt_table_set(&t, row, 2, "1.77x");
	fmt_table_note(&t, row, 3, "<- knee");
	row = fmt_table_row(&t);
	fmt_table_set(&t, row, 0, "1 MiB");
	fmt_table_set(&t, row, 1, "a cell the note hides, and so counts in no width");
	fmt_table_note(&t, row, 1, "fails: its cgroup /app cannot hold SECS + VA + 1 page");
	out = printed(&t);
	str_eq(out,
	       "   max    rate  slowdown\n"
	       " 4 MiB  88.01%   177.01x\n"
	       "32 MiB   0.38%     1.77x  <- knee\n"
	       " 1 MiB  fails: its cgroup /app cannot hold SECS + VA + 1 page\n",
	       "a note after the last column, and one from a column on");
	free(out);
}

static void test_fmt_table_no_header_indent_min(void **state)
{
	static const bool right[] = {false, false, false};
	const int min[] = {11, 9, 0};
	struct fmt_table t = {.ncol = 3, .right = right, .min = min, .indent = 2};
	char *out;
	int row;

	(void)state;
	row = fmt_table_row(&t);
	fmt_table_set(&t, row, 0, "footprint");
	fmt_table_set(&t, row, 1, "1.2 MiB");
	fmt_table_set(&t, row, 2, "304 pages");
	row = fmt_table_row(&t);
	fmt_table_set(&t, row, 2, "(it fits)");
	out = printed(&t);
	str_eq(out,
	       "  footprint    1.2 MiB    304 pages\n"
	       "                          (it fits)\n",
	       "no header row; indented; columns at least their min");
	free(out);
	row = fmt_table_row(&t);
	fmt_table_set(&t, row, 0, "a name wider than 11");
	fmt_table_set(&t, row, 2, "x");
	out = printed(&t);
	str_eq(out, "  a name wider than 11             x\n", "a min is no max");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_table_layout),
		cmocka_unit_test(test_fmt_table_max_and_long_cells),
		cmocka_unit_test(test_fmt_table_notes),
		cmocka_unit_test(test_fmt_table_no_header_indent_min),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
