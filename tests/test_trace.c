// SPDX-License-Identifier: MIT
/*
 * test_trace.c - the trace readers (sim/trace.h): Lackey files made by
 * valgrind (tests/data, counts worked out by hand in tests/data/README), the
 * plain format, the compact round trip, the dense first-touch numbering,
 * inputs longer than one read, every error message, the caps (10^12
 * accesses; a stream read no further than its header allows; a trace bigger
 * than the heap may grow), and the fuzz target's corpus
 * (tests/fuzz/corpus/trace) replayed through fuzz_trace_one().
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"
#include "corpus.h"

#include "trace.h"
#include "fuzz/fuzz_trace.h"

#define DATA_DIR   EPCMM_TEST_DIR "/data"
#define CORPUS_DIR EPCMM_TEST_DIR "/fuzz/corpus/trace"
#define MIN_SEEDS  20
#define MAX_EXPECT 64

struct access {
	uint64_t page;
	bool write;
};

/* tiny.lackey, worked out by hand from tiny.S (tests/data/README). */
static const struct access tiny_expect[] = {
	{0, false}, {1, true},	{0, false}, {2, true},	{0, false}, {3, true},	{0, false},
	{4, true},  {0, false}, {1, false}, {0, false}, {2, true},  {0, false}, {2, true},
	{3, true},  {0, false}, {4, true},  {0, false}, {0, false}, {0, false},
};

static struct sim_trace *open_ok(const char *path)
{
	struct sim_trace *t = NULL;
	char err[512] = "";
	int rc = sim_trace_open(path, &t, err, sizeof(err));

	if (rc)
		fail_msg("opening %s: %d, %s", path, rc, err);
	return t;
}

static struct sim_trace *buf_ok(const char *text)
{
	struct sim_trace *t = NULL;
	char err[512] = "";
	int rc = sim_trace_open_buffer(text, strlen(text), "buf", &t, err, sizeof(err));

	if (rc)
		fail_msg("opening '%s': %d, %s", text, rc, err);
	return t;
}

/* The replay of @t is exactly @want[0..@n), then the end. */
static void expect_seq(struct sim_trace *t, const struct access *want, size_t n, const char *what)
{
	uint64_t page;
	bool write;

	for (size_t i = 0; i < n; i++) {
		if (sim_trace_next(t, &page, &write) != 1)
			fail_msg("%s: the trace ended after %zu accesses, expected %zu", what, i,
				 n);
		if (page != want[i].page || write != want[i].write)
			fail_msg("%s: access %zu is page %" PRIu64 " %s, expected page %" PRIu64
				 " %s",
				 what, i, page, write ? "W" : "R", want[i].page,
				 want[i].write ? "W" : "R");
	}
	CHECK_EQ(sim_trace_next(t, &page, &write), 0, "the end of the trace");
	CHECK_EQ(sim_trace_next(t, &page, &write), 0, "the end again");
}

static void expect_counts(struct sim_trace *t, uint64_t records, uint64_t pages, uint64_t writes,
			  uint64_t entries)
{
	CHECK_EQ(sim_trace_nr_records(t), records, "accesses");
	CHECK_EQ(sim_trace_nr_pages(t), pages, "distinct pages");
	CHECK_EQ(sim_trace_nr_writes(t), writes, "writes");
	CHECK_EQ(sim_trace_nr_entries(t), entries, "runs");
}

static char *tmp_path(const char *what)
{
	char *p;

	if (asprintf(&p, "/tmp/test_trace-%ld-%s", (long)getpid(), what) < 0)
		fail_msg("asprintf");
	return p;
}

static void test_trace_lackey_tiny(void **state)
{
	struct sim_trace *t = open_ok(DATA_DIR "/tiny.lackey");

	(void)state;
	CHECK_EQ(sim_trace_format(t), SIM_TRACE_LACKEY, "tiny.lackey is read as Lackey");
	expect_counts(t, 20, 5, 8, 18);
	expect_seq(t, tiny_expect, 20, "tiny.lackey");
	CHECK_EQ(sim_trace_rewind(t), 0, "rewind");
	expect_seq(t, tiny_expect, 20, "tiny.lackey after rewind");
	sim_trace_close(t);
}

static void test_trace_lackey_true_head(void **state)
{
	/* the first accesses and the last, from the separate count (README) */
	static const struct access head[] = {{0, false}, {0, false}, {1, true},
					     {2, false}, {1, true},  {2, false}};
	struct sim_trace *t = open_ok(DATA_DIR "/true-head.lackey");
	uint64_t page, n = 0;
	bool write;

	(void)state;
	CHECK_EQ(sim_trace_format(t), SIM_TRACE_LACKEY, "read as Lackey");
	expect_counts(t, 200, 5, 27, 85);
	for (size_t i = 0; i < 6; i++) {
		CHECK_EQ(sim_trace_next(t, &page, &write), 1, "an access");
		CHECK_EQ(page, head[i].page, "page of one of the first accesses");
		CHECK_EQ(write, head[i].write, "kind of one of the first accesses");
		n++;
	}
	while (sim_trace_next(t, &page, &write) == 1)
		n++;
	CHECK_EQ(n, 200, "accesses replayed");
	CHECK_EQ(page, 2, "the last access's page");
	sim_trace_close(t);
}

static void test_trace_lackey_span_and_chatter(void **state)
{
	static const struct access want[] = {
		{0, false}, {1, false}, {2, false}, /* 8192 bytes from 0x1ff8: three pages */
		{2, true},  {3, true},		    /* a modify across a boundary */
		{0, false},			    /* the last byte of page 1 */
	};
	struct sim_trace *t = buf_ok("==7== Lackey\n"
				     "--7-- a warning\n"
				     "**7** and an error\n"
				     "\n"
				     " L 1ff8,8192\r\n"
				     " M 3fff,2\n"
				     "I  1fff,1\n"
				     "==7== \n");

	(void)state;
	CHECK_EQ(sim_trace_format(t), SIM_TRACE_LACKEY, "chatter first: Lackey");
	expect_counts(t, 6, 4, 2, 6);
	expect_seq(t, want, 6, "spans");
	sim_trace_close(t);
}

static void test_trace_plain(void **state)
{
	static const struct access want[] = {
		{0, false}, {0, true},	{1, false}, {1, true}, {2, false},
		{0, true},  {3, false}, {3, false}, {4, true}, {5, false},
	};
	struct sim_trace *t = buf_ok("# a plain trace\n"
				     "0x1000\n"
				     "4096 W\n"
				     "R 0x2000\n"
				     "w 12287   # the last byte of the page of 0x2000\n"
				     "\n"
				     "  0X3abc\tr \r\n"
				     "W 0x1fff\n"
				     "0\n"
				     "0x00000000000000000000000000fff\n"
				     "0xffffffffffffffff W\n"
				     "18446744073709543424");

	(void)state;
	CHECK_EQ(sim_trace_format(t), SIM_TRACE_PLAIN, "read as plain");
	expect_counts(t, 10, 6, 4, 9);
	expect_seq(t, want, 10, "plain");
	sim_trace_close(t);
}

static void test_trace_compact_runs(void **state)
{
	char *text = NULL, *path = tmp_path("runs");
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct sim_trace *t, *u;
	char err[512];
	uint64_t page, n = 0;
	bool write;

	(void)state;
	for (int i = 0; i < 1000; i++)
		fprintf(f, "0x5000 W\n");
	fprintf(f, "0x5000\n0x6000\n0x5000\n");
	fclose(f);
	t = buf_ok(text);
	expect_counts(t, 1003, 2, 1000, 4);
	CHECK_EQ(sim_trace_compact_size(t), SIM_TRACE_HEADER_LEN + 3 + 1 + 1 + 1,
		 "1000 writes are one entry of 3 bytes (token, run 998 in two bytes)");
	CHECK_EQ(sim_trace_save(t, path, err, sizeof(err)), 0, "save");
	u = open_ok(path);
	CHECK_EQ(sim_trace_format(u), SIM_TRACE_COMPACT, "read back as compact");
	expect_counts(u, 1003, 2, 1000, 4);
	while (sim_trace_next(u, &page, &write) == 1) {
		CHECK_EQ(page, n == 1001, "page");
		CHECK_EQ(write, n < 1000, "kind");
		n++;
	}
	CHECK_EQ(n, 1003, "accesses read back");
	sim_trace_close(u);
	sim_trace_close(t);
	unlink(path);
	free(path);
	free(text);
}

/* A B A: the second A is coded against the page two entries back. */
static void test_trace_compact_far_base(void **state)
{
	static const struct access want[] = {{0, false}, {1, false}, {0, false},
					     {2, true},	 {0, false}, {2, true}};
	static const uint8_t entries[] = {0x00, 2 << 3, 4, 2 << 3 | 4 | 2, 4, 4 | 2};
	char *enc = NULL, buf[SIM_TRACE_HEADER_LEN + sizeof(entries)];
	size_t len = 0;
	FILE *f = open_memstream(&enc, &len);
	struct sim_trace *t = buf_ok("0x0\n0x1000\n0x0\n0x2000 W\n0x0\n0x2000 W\n"), *u;
	char err[512];

	(void)state;
	expect_counts(t, 6, 3, 2, 6);
	CHECK_EQ(sim_trace_write(t, f), 0, "encode");
	fclose(f);
	CHECK_EQ(len, sizeof(buf), "one byte an entry");
	CHECK_EQ(memcmp(enc + SIM_TRACE_HEADER_LEN, entries, sizeof(entries)), 0,
		 "page 1 is +1 from page 0; page 0 again is 0 from two back (far); page 2 is +1 "
		 "from "
		 "page 1 two back; then page 0 and page 2 are both 0 from two back");
	memcpy(buf, enc, sizeof(buf));
	CHECK_EQ(sim_trace_open_buffer(buf, sizeof(buf), "far", &u, err, sizeof(err)), 0,
		 "open the encoding");
	expect_seq(u, want, 6, "far base");
	sim_trace_close(u);
	sim_trace_close(t);
	free(enc);
}

/* Lackey -> compact file -> the same sequence, and the file is stable. */
static void roundtrip(const char *lackey, const char *tag)
{
	char *path = tmp_path(tag), *path2 = tmp_path("again");
	struct sim_trace *t = open_ok(lackey), *u, *v;
	uint64_t p1, p2;
	bool w1, w2;
	char err[512];
	int r1, r2;
	char *a, *b;
	size_t la, lb;
	FILE *fa, *fb;

	CHECK_EQ(sim_trace_save(t, path, err, sizeof(err)), 0, "save as compact");
	u = open_ok(path);
	CHECK_EQ(sim_trace_format(u), SIM_TRACE_COMPACT, "read back as compact");
	CHECK_EQ(sim_trace_nr_records(u), sim_trace_nr_records(t), "accesses kept");
	CHECK_EQ(sim_trace_nr_pages(u), sim_trace_nr_pages(t), "pages kept");
	CHECK_EQ(sim_trace_nr_writes(u), sim_trace_nr_writes(t), "writes kept");
	do {
		r1 = sim_trace_next(t, &p1, &w1);
		r2 = sim_trace_next(u, &p2, &w2);
		CHECK_EQ(r2, r1, "both end together");
		if (r1 == 1) {
			CHECK_EQ(p2, p1, "the same page");
			CHECK_EQ(w2, w1, "the same kind");
		}
	} while (r1 == 1);
	CHECK_EQ(sim_trace_save(u, path2, err, sizeof(err)), 0, "save the compact one");
	v = open_ok(path2);
	fa = fopen(path, "rb");
	fb = fopen(path2, "rb");
	assert_non_null(fa);
	assert_non_null(fb);
	a = malloc(1 << 20);
	b = malloc(1 << 20);
	la = fread(a, 1, 1 << 20, fa);
	lb = fread(b, 1, 1 << 20, fb);
	CHECK_EQ(lb, la, "compact -> compact keeps the size");
	CHECK_EQ(la, sim_trace_compact_size(t), "compact size as announced");
	CHECK_EQ(memcmp(a, b, la), 0, "compact -> compact is byte for byte the same");
	fclose(fa);
	fclose(fb);
	free(a);
	free(b);
	sim_trace_close(v);
	sim_trace_close(u);
	sim_trace_close(t);
	unlink(path);
	unlink(path2);
	free(path);
	free(path2);
}

static void test_trace_compact_roundtrip(void **state)
{
	struct sim_trace *t;
	char *path = tmp_path("tiny");
	char err[512];

	(void)state;
	roundtrip(DATA_DIR "/tiny.lackey", "tiny1");
	roundtrip(DATA_DIR "/true-head.lackey", "true1");
	t = open_ok(DATA_DIR "/tiny.lackey");
	CHECK_EQ(sim_trace_save(t, path, err, sizeof(err)), 0, "save");
	sim_trace_close(t);
	t = open_ok(path);
	expect_counts(t, 20, 5, 8, 18);
	expect_seq(t, tiny_expect, 20, "tiny via compact");
	sim_trace_close(t);
	unlink(path);
	free(path);
}

/* 5000 pages touched in a scrambled order: indices follow first touch. */
static void test_trace_first_touch_order(void **state)
{
	enum {
		N = 5000
	};
	uint64_t *perm = malloc(N * sizeof(*perm)), page;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct sim_trace *t;
	bool write;

	(void)state;
	for (uint64_t i = 0; i < N; i++)
		perm[i] = i;
	for (uint64_t i = N - 1; i > 0; i--) { /* a fixed shuffle */
		uint64_t j = (i * 2654435761u + 12345) % (i + 1), x = perm[i];

		perm[i] = perm[j];
		perm[j] = x;
	}
	/* each page twice: once new, once again after the next new one */
	for (uint64_t i = 0; i < N; i++) {
		fprintf(f, "0x%" PRIx64 "\n", (perm[i] * 7919 + 3) << 12 | 0x123);
		if (i)
			fprintf(f, "%" PRIu64 " W\n", ((perm[i - 1] * 7919 + 3) << 12) + 7);
	}
	fclose(f);
	t = buf_ok(text);
	expect_counts(t, 2 * N - 1, N, N - 1, 2 * N - 1);
	for (uint64_t i = 0; i < N; i++) {
		CHECK_EQ(sim_trace_next(t, &page, &write), 1, "an access");
		CHECK_EQ(page, i, "a new page gets the next index");
		if (i) {
			CHECK_EQ(sim_trace_next(t, &page, &write), 1, "an access");
			CHECK_EQ(page, i - 1, "a page seen before keeps its index");
			CHECK_EQ(write, 1, "W");
		}
	}
	sim_trace_close(t);
	free(text);
	free(perm);
}

/* Longer than one read (1 MiB), through a stream, the same as in memory. */
static void test_trace_stream_long(void **state)
{
	char *path = tmp_path("long");
	FILE *f = fopen(path, "w");
	struct sim_trace *t, *u = NULL;
	char err[512];
	uint64_t p1, p2, n = 0;
	bool w1, w2;

	(void)state;
	assert_non_null(f);
	for (int i = 0; i < 200000; i++)
		fprintf(f, "%s %08x,%d\n", i % 3 ? " L" : "I ", (i * 40503u) & 0xffffff, 1 + i % 8);
	fclose(f);
	t = open_ok(path);
	f = fopen(path, "r");
	CHECK_EQ(sim_trace_open_stream(f, "stream", &u, err, sizeof(err)), 0, "open a stream");
	fclose(f);
	CHECK_EQ(sim_trace_nr_records(u), sim_trace_nr_records(t), "the same accesses");
	CHECK(sim_trace_nr_records(t) >= 200000, "every line read");
	while (sim_trace_next(t, &p1, &w1) == 1) {
		CHECK_EQ(sim_trace_next(u, &p2, &w2), 1, "as long");
		CHECK_EQ(p2, p1, "same page");
		CHECK_EQ(w2, w1, "same kind");
		n++;
	}
	CHECK_EQ(n, sim_trace_nr_records(t), "replayed");
	sim_trace_close(u);
	sim_trace_close(t);
	unlink(path);
	free(path);
}

/* ---- errors ---- */

struct bad {
	const char *what;
	const char *data;
	size_t len; /* 0: strlen */
	int rc;
	const char *msg; /* the whole message after "NAME" */
};

static void le(char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++, v >>= 8)
		p[i] = (char)(v & 0xff);
}

/* A compact header with the given fields. */
static size_t header(char *p, uint32_t version, uint32_t shift, uint64_t records, uint64_t pages,
		     uint64_t entries, uint64_t writes)
{
	memcpy(p, SIM_TRACE_MAGIC, 8);
	le(p + 8, version, 4);
	le(p + 12, shift, 4);
	le(p + 16, records, 8);
	le(p + 24, pages, 8);
	le(p + 32, entries, 8);
	le(p + 40, writes, 8);
	return SIM_TRACE_HEADER_LEN;
}

static void expect_error(const char *what, const char *data, size_t len, int want_rc,
			 const char *want_msg)
{
	struct sim_trace *t = NULL;
	char err[512] = "", full[600];
	int rc = sim_trace_open_buffer(data, len, "in.trace", &t, err, sizeof(err));

	if (rc != want_rc)
		fail_msg("%s: open gave %d (%s), expected %d", what, rc, err, want_rc);
	snprintf(full, sizeof(full), "in.trace%s", want_msg);
	if (strcmp(err, full))
		fail_msg("%s: message\n  '%s', expected\n  '%s'", what, err, full);
	CHECK(t == NULL, "nothing returned on failure");
}

static void test_trace_errors_text(void **state)
{
	static const struct bad bad[] = {
		{"unknown Lackey record", "I  1000,4\n X 1000,4\n", 0, -EINVAL,
		 ":2: unknown record type in ' X 1000,4' (Lackey lines are 'I  ADDR,SIZE', ' L "
		 "ADDR,SIZE', ' S ...' or ' M ...')"},
		{"Lackey then plain", "==1== x\n0x1000\n", 0, -EINVAL,
		 ":2: unknown record type in '0x1000' (Lackey lines are 'I  ADDR,SIZE', ' L "
		 "ADDR,SIZE', ' S ...' or ' M ...')"},
		{"bad hex", " L 10g0,4\n", 0, -EINVAL, ":1: bad hex address '10g0'"},
		{"17 hex digits", " S 12345678901234567,1\n", 0, -EINVAL,
		 ":1: bad hex address '12345678901234567'"},
		{"no address", " S ,1\n", 0, -EINVAL,
		 ":1: bad hex address '' (nothing before the ',')"},
		{"no size", "I  401000\n", 0, -EINVAL,
		 ":1: missing ',SIZE' after the address in 'I  401000'"},
		{"bad size", " L 1000,4x\n", 0, -EINVAL,
		 ":1: bad size in ' L 1000,4x' (a decimal number of bytes)"},
		{"empty size", " L 1000,\n", 0, -EINVAL,
		 ":1: bad size in ' L 1000,' (a decimal number of bytes)"},
		{"size 0", " M 1000,0\n", 0, -EINVAL, ":1: access of 0 bytes in ' M 1000,0'"},
		{"size too large", " L 1000,65537\n", 0, -EINVAL,
		 ":1: access size in ' L 1000,65537' above 65536 bytes"},
		{"size huge", " L 1000,99999999999999999999999\n", 0, -EINVAL,
		 ":1: access size in ' L 1000,9999999999999999...' above 65536 bytes"},
		{"past the end", " S ffffffffffffffff,2\n", 0, -EINVAL,
		 ":1: access in ' S ffffffffffffffff,2' runs past the end of the address space"},
		{"only chatter", "==5== Lackey\n==5== \n", 0, -EINVAL,
		 ": no memory accesses in the trace"},
		{"empty", "", 0, -EINVAL, ": no memory accesses in the trace"},
		{"only comments", "# nothing\n\n", 0, -EINVAL, ": no memory accesses in the trace"},
		{"plain junk", "0x1000\nhello\n", 0, -EINVAL,
		 ":2: bad address 'hello' (0x-prefixed hex or decimal)"},
		{"plain bad hex", "0x10z0\n", 0, -EINVAL,
		 ":1: bad address '0x10z0' (0x-prefixed hex or decimal)"},
		{"plain 0x alone", "0x\n", 0, -EINVAL,
		 ":1: bad address '0x' (0x-prefixed hex or decimal)"},
		{"plain hex without 0x", "1000\nff00\n", 0, -EINVAL,
		 ":2: bad address 'ff00' (hex needs a 0x prefix)"},
		{"plain decimal overflow", "18446744073709551616\n", 0, -EINVAL,
		 ":1: address '18446744073709551616' above 2^64 - 1"},
		{"plain hex overflow", "0x10000000000000000\n", 0, -EINVAL,
		 ":1: address '0x10000000000000000' above 2^64 - 1"},
		{"plain three fields", "R 0x1000 W\n", 0, -EINVAL,
		 ":1: too many fields in 'R 0x1000 W' (an address with an optional R or W)"},
		{"plain bad kind", "0x1000 X\n", 0, -EINVAL,
		 ":1: unknown access kind 'X' (R or W)"},
		{"plain two kinds", "R W\n", 0, -EINVAL,
		 ":1: bad address 'W' (0x-prefixed hex or decimal)"},
		{"plain NUL", "0x10\0000\n", 7, -EINVAL,
		 ":1: bad address '0x10?0' (0x-prefixed hex or decimal)"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(bad[i].what, bad[i].data,
			     bad[i].len ? bad[i].len : strlen(bad[i].data), bad[i].rc, bad[i].msg);
}

static void test_trace_errors_long_line(void **state)
{
	static char text[SIM_TRACE_MAX_LINE + 16];

	(void)state;
	strcpy(text, "0x1000\n");
	memset(text + 7, '1', SIM_TRACE_MAX_LINE + 1);
	text[7 + SIM_TRACE_MAX_LINE + 1] = '\0';
	expect_error("a line of 4097 bytes", text, strlen(text), -EINVAL,
		     ":2: line longer than 4096 bytes ('111111111111111111111111...')");
	text[7 + SIM_TRACE_MAX_LINE] = '\0';
	expect_error("a line of 4096 bytes is read", text, strlen(text), -EINVAL,
		     ":2: address '111111111111111111111111..."
		     "' above 2^64 - 1");
}

static void test_trace_errors_compact(void **state)
{
	char b[256];
	size_t n;

	(void)state;
	memcpy(b, "\x89PNG\r\n\x1a\n", 8);
	expect_error("bad magic", b, 8, -EINVAL, ": bad magic: not an epcmm compact trace");
	expect_error("a lone first byte", "\x89", 1, -EINVAL,
		     ": truncated compact trace: 1 bytes, the header alone is 48");
	n = header(b, 1, 12, 1, 1, 1, 0);
	expect_error("truncated header", b, 20, -EINVAL,
		     ": truncated compact trace: 20 bytes, the header alone is 48");
	header(b, 2, 12, 1, 1, 1, 0);
	b[n] = 0;
	expect_error("version 2", b, n + 1, -EINVAL,
		     ": compact trace version 2, this epcmm reads version 1");
	header(b, 0, 12, 1, 1, 1, 0);
	expect_error("version 0", b, n + 1, -EINVAL,
		     ": compact trace version 0, this epcmm reads version 1");
	header(b, 1, 16, 1, 1, 1, 0);
	expect_error("page shift", b, n + 1, -EINVAL, ": page shift 16 in the header, expected 12");
	header(b, 1, 12, 1, SIM_TRACE_MAX_PAGES + 1, 1, 0);
	expect_error("too many pages", b, n + 1, -E2BIG,
		     ": header says 4294967297 pages, at most 4294967296");
	header(b, 1, 12, 3, 1, 2, 0);
	b[n] = 0;
	expect_error("an entry missing", b, n + 1, -EINVAL,
		     ": truncated compact trace: entry 1 of 2 cut at byte 49");
	header(b, 1, 12, 3, 1, 1, 0);
	b[n] = 1; /* has a run, whose count is missing */
	expect_error("a run count missing", b, n + 1, -EINVAL,
		     ": truncated compact trace: entry 0 of 1 cut at byte 49");
	header(b, 1, 12, 1, 1, 1, 0);
	memset(b + n, 0x80, 10);
	b[n + 10] = 0;
	expect_error("an 11-byte varint", b, n + 11, -EINVAL, ": byte 48: entry 0: bad varint");
	memset(b + n, 0xff, 9);
	b[n + 9] = 0x02;
	expect_error("a varint above 2^64", b, n + 10, -EINVAL, ": byte 48: entry 0: bad varint");
	header(b, 1, 12, 2, 2, 2, 0);
	b[n] = 0;	   /* page 0 */
	b[n + 1] = 4 << 3; /* zigzag(+2) = 4: page 2 before page 1 */
	expect_error("a page out of order", b, n + 2, -EINVAL,
		     ": byte 49: entry 1: page 2 before page 1 was introduced");
	b[n + 1] = 1 << 3; /* zigzag(-1) = 1: page 2^64 - 1 */
	expect_error("a page below 0", b, n + 2, -EINVAL,
		     ": byte 49: entry 1: page 18446744073709551615 before page 1 was introduced");
	header(b, 1, 12, 1, 1, 1, 0);
	b[n] = 0;
	b[n + 1] = 0;
	expect_error("trailing bytes", b, n + 2, -EINVAL, ": 1 bytes after the last of 1 entries");
	header(b, 1, 12, 2, 1, 1, 0);
	expect_error("accesses mismatch", b, n + 1, -EINVAL,
		     ": entries hold 1 accesses to 1 pages (0 writes), header says 2 to 1 (0)");
	header(b, 1, 12, 1, 1, 1, 1);
	expect_error("writes mismatch", b, n + 1, -EINVAL,
		     ": entries hold 1 accesses to 1 pages (0 writes), header says 1 to 1 (1)");
	header(b, 1, 12, 0, 0, 0, 0);
	expect_error("no accesses", b, n, -EINVAL, ": no memory accesses in the trace");
	header(b, 1, 12, 1, 1, 1, 0);
	b[n] = 1; /* a run of 2^64 - 1 + 2 */
	memset(b + n + 1, 0xff, 9);
	b[n + 10] = 1;
	expect_error("a run above 2^64", b, n + 11, -EINVAL, ": byte 48: entry 0: run too long");
	header(b, 1, 12, 3, 1, 4, 0);
	expect_error("more entries than accesses", b, n, -EINVAL,
		     ": header says 4 entries for 3 accesses (an entry is one access or more)");
}

/* A compact trace of one run: its header, then the one entry (58 bytes for 2^62). */
static size_t one_run(char *b, uint64_t header_records, uint64_t run)
{
	size_t n = header(b, 1, 12, header_records, 1, 1, 0);
	uint64_t r = run - 2;

	b[n++] = 1; /* page 0, has a run */
	for (; r >= 0x80; r >>= 7)
		b[n++] = (char)(r | 0x80);
	b[n++] = (char)r;
	return n;
}

/*
 * A trace has at most SIM_TRACE_MAX_RECORDS (10^12) accesses. A 58-byte
 * compact trace of one run of 2^62 was accepted, and `epcmm run` set out to
 * make its 2^62 accesses (or, with threads = 4, wrapped to 0).
 */
static void test_trace_errors_too_many_accesses(void **state)
{
	char b[64], two[128], *path = tmp_path("run62");
	struct sim_trace *t = NULL;
	char err[512];
	size_t n, m;
	FILE *f;

	(void)state;
	n = one_run(b, 1ull << 62, 1ull << 62);
	CHECK_EQ(n, 58, "the issue's 58 bytes");
	expect_error("a run of 2^62", b, n, -E2BIG,
		     ": header says 4611686018427387904 accesses, at most 1000000000000 (the most "
		     "a trace may have)");
	/* the same as a file (mapped) and through a stream */
	f = fopen(path, "wb");
	assert_non_null(f);
	CHECK_EQ(fwrite(b, 1, n, f), n, "written");
	fclose(f);
	CHECK_EQ(sim_trace_open(path, &t, err, sizeof(err)), -E2BIG, "the file is refused");
	CHECK(strstr(err, "header says 4611686018427387904 accesses") != NULL, err);
	f = fopen(path, "rb");
	CHECK_EQ(sim_trace_open_stream(f, "s", &t, err, sizeof(err)), -E2BIG, "the stream too");
	fclose(f);
	unlink(path);
	free(path);
	/* a header within the cap whose entries pass it */
	n = one_run(b, SIM_TRACE_MAX_RECORDS, 1ull << 62);
	expect_error("a run past the cap", b, n, -E2BIG,
		     ": byte 48: entry 0: more than 1000000000000 accesses (the most a trace may "
		     "have)");
	m = one_run(two, SIM_TRACE_MAX_RECORDS, 600000000000ull);
	memcpy(two + m, two + SIM_TRACE_HEADER_LEN, m - SIM_TRACE_HEADER_LEN);
	two[32] = 2; /* two entries */
	m += m - SIM_TRACE_HEADER_LEN;
	expect_error("two runs past the cap", two, m, -E2BIG,
		     ": byte 55: entry 1: more than 1000000000000 accesses (the most a trace may "
		     "have)");
	/* exactly 10^12 is a trace */
	n = one_run(b, SIM_TRACE_MAX_RECORDS, SIM_TRACE_MAX_RECORDS);
	CHECK_EQ(sim_trace_open_buffer(b, n, "max", &t, err, sizeof(err)), 0, err);
	CHECK_EQ(sim_trace_nr_records(t), SIM_TRACE_MAX_RECORDS, "10^12 accesses");
	sim_trace_close(t);
}

/* ---- streams that never end, traces bigger than memory ---- */

/* A stream of @prefix, then @fill bytes of @fill_byte (or " L 0,65536\n" lines
 * when @fill_byte is 'L'), counting what was read. */
struct gen {
	const char *prefix;
	size_t prefix_len;
	uint64_t fill, served;
	int fill_byte;
};

static ssize_t gen_read(void *cookie, char *buf, size_t size)
{
	static const char line[] = " L 0,65536\n";
	struct gen *g = cookie;
	size_t n = 0;

	if (g->served < g->prefix_len) { /* the prefix, as much as fits */
		n = g->prefix_len - g->served < size ? g->prefix_len - g->served : size;
		memcpy(buf, g->prefix + g->served, n);
		g->served += n;
		return (ssize_t)n;
	}
	if (g->fill_byte != 'L') {
		uint64_t left = g->prefix_len + g->fill - g->served;

		n = left < size ? (size_t)left : size;
		memset(buf, g->fill_byte, n);
		g->served += n;
		return (ssize_t)n;
	}
	for (; n < size && g->served < g->prefix_len + g->fill; n++, g->served++)
		buf[n] = line[(g->served - g->prefix_len) % (sizeof(line) - 1)];
	return (ssize_t)n;
}

static FILE *gen_open(struct gen *g)
{
	FILE *f = fopencookie(g, "r", (cookie_io_functions_t){.read = gen_read});

	assert_non_null(f);
	return f;
}

/*
 * A stream that is no trace, or goes on past what its header announces, is
 * refused after a few MiB; it used to be read to its end (/dev/urandom, a
 * pipe that never ends: forever). 256 MiB stands for endless here.
 */
static void test_trace_endless_streams(void **state)
{
	char hdr[SIM_TRACE_HEADER_LEN + 1], err[512];
	static const struct {
		const char *what;
		size_t prefix_len;
		int fill_byte;
		int rc;
		const char *msg;
	} cases[] = {
		{"the magic, then zeros", SIM_TRACE_MAGIC_LEN, 0, -EINVAL,
		 "s: compact trace version 0, this epcmm reads version 1"},
		{"a header, one entry, then zeros", SIM_TRACE_HEADER_LEN + 1, 0, -EINVAL,
		 "s: more than 68 bytes, the most its header's 1 entries can take"},
		{"0x89, then noise", 1, 0xa5, -EINVAL, "s: bad magic: not an epcmm compact trace"},
		{"zeros (/dev/zero)", 0, 0, -EINVAL, "s:1: line longer than 4096 bytes"},
	};

	(void)state;
	header(hdr, 1, 12, 1, 1, 1, 0);
	hdr[SIM_TRACE_HEADER_LEN] = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gen g = {.prefix = hdr,
				.prefix_len = cases[i].prefix_len,
				.fill = 256u << 20,
				.fill_byte = cases[i].fill_byte};
		struct sim_trace *t = NULL;
		FILE *f = gen_open(&g);
		int rc = sim_trace_open_stream(f, "s", &t, err, sizeof(err));

		fclose(f);
		if (rc != cases[i].rc || strncmp(err, cases[i].msg, strlen(cases[i].msg)))
			fail_msg("%s: %d '%s', expected %d '%s'", cases[i].what, rc, err,
				 cases[i].rc, cases[i].msg);
		if (g.served > 8u << 20)
			fail_msg("%s: %" PRIu64 " bytes read before it was refused", cases[i].what,
				 g.served);
	}
}

/* Bytes of the data segment now (VmData), from /proc/self/status. */
static uint64_t vm_data_bytes(void)
{
	char line[256];
	uint64_t kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmData: %" SCNu64 " kB", &kb) == 1)
			break;
	fclose(f);
	CHECK(kb > 0, "VmData read");
	return kb << 10;
}

/* A compact trace of @n accesses alternating between two pages: 00 10 04 04 ... */
static void write_alternating(const char *path, uint64_t n)
{
	char h[SIM_TRACE_HEADER_LEN];
	static char ones[1 << 16];
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	header(h, 1, 12, n, 2, n, 0);
	memset(ones, 4, sizeof(ones));
	CHECK_EQ(fwrite(h, 1, sizeof(h), f), sizeof(h), "header");
	CHECK_EQ(fwrite("\x00\x10", 1, 2, f), 2, "pages 0 and 1");
	for (uint64_t left = n - 2; left;) {
		size_t k = left < sizeof(ones) ? (size_t)left : sizeof(ones);

		CHECK_EQ(fwrite(ones, 1, k, f), k, "the rest, each the page two back");
		left -= k;
	}
	CHECK_EQ(fclose(f), 0, "written");
}

/* In a child whose data segment may grow by only @room bytes: open, count, replay. */
static int open_in_little_memory(uint64_t room, const char *path, struct gen *g, uint64_t records)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = {.rlim_cur = vm_data_bytes() + room,
				    .rlim_max = vm_data_bytes() + room};
		struct sim_trace *t = NULL;
		char err[512];
		uint64_t page, n = 0;
		bool write;
		FILE *f = NULL;
		int rc;

		if (setrlimit(RLIMIT_DATA, &rl))
			_exit(3);
		if (g)
			f = gen_open(g);
		rc = f ? sim_trace_open_stream(f, "gen", &t, err, sizeof(err))
		       : sim_trace_open(path, &t, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "# open: %d %s\n", rc, err);
			_exit(1);
		}
		while (sim_trace_next(t, &page, &write) == 1)
			n++;
		if (n != records || sim_trace_nr_records(t) != records) {
			fprintf(stderr, "# %" PRIu64 " accesses replayed, expected %" PRIu64 "\n",
				n, records);
			_exit(2);
		}
		sim_trace_close(t);
		if (f)
			fclose(f);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * A trace bigger than the heap may grow (SIM_TRACE_HEAP_MAX plus a read
 * chunk) opens and replays whole: a compact file is mapped, a compact
 * stream and a long text's encoding go to a temporary file past
 * SIM_TRACE_HEAP_MAX. They were read whole into the heap.
 */
static void test_trace_bigger_than_the_heap(void **state)
{
	const uint64_t room = 24u << 20, n = 40u << 20; /* 40 MiB of entries */
	char *path = tmp_path("big");
	FILE *f;

	(void)state;
	write_alternating(path, n);
	CHECK_EQ(open_in_little_memory(room, path, NULL, n), 0,
		 "a 40 MiB compact file in 24 MiB of heap (mapped)");
	{
		struct gen g = {.prefix = "", .prefix_len = 0, .fill = 0};
		char *data;
		size_t len;

		f = fopen(path, "rb");
		assert_non_null(f);
		fseek(f, 0, SEEK_END);
		len = (size_t)ftell(f);
		rewind(f);
		data = malloc(len);
		assert_non_null(data);
		CHECK_EQ(fread(data, 1, len, f), len, "read back");
		fclose(f);
		g.prefix = data;
		g.prefix_len = len;
		CHECK_EQ(open_in_little_memory(room, NULL, &g, n), 0,
			 "the same as a stream in 24 MiB of heap (spooled to a file)");
		free(data);
	}
	unlink(path);
	free(path);
	{
		/* 1.5 M Lackey lines of 16 pages each: 24 M entries, ~26 MiB encoded */
		struct gen g = {.prefix = "",
				.prefix_len = 0,
				.fill = 11ull * 1536 * 1024,
				.fill_byte = 'L'};

		CHECK_EQ(open_in_little_memory(room, NULL, &g, 16ull * 1536 * 1024), 0,
			 "a text whose encoding passes the heap's share (spooled)");
	}
}

static void test_trace_errors_file(void **state)
{
	struct sim_trace *t = NULL;
	char err[512];

	(void)state;
	CHECK_EQ(sim_trace_open("/nonexistent/x.trace", &t, err, sizeof(err)), -ENOENT,
		 "a missing file");
	if (strcmp(err, "/nonexistent/x.trace: No such file or directory"))
		fail_msg("message '%s'", err);
	CHECK_EQ(sim_trace_open(DATA_DIR, &t, err, sizeof(err)), -EISDIR, "a directory");
	if (strcmp(err, DATA_DIR ": read error: Is a directory"))
		fail_msg("message '%s'", err);
	CHECK_EQ(sim_trace_open("/nonexistent/x.trace", &t, NULL, 0), -ENOENT, "no buffer");
	CHECK_EQ(sim_trace_open("/nonexistent/x.trace", &t, err, 5), -ENOENT, "a short buffer");
	CHECK_EQ(strlen(err), 4, "the message is cut to the buffer");
	t = buf_ok("0x1000\n");
	CHECK_EQ(sim_trace_save(t, "/nonexistent/dir/x.trace", err, sizeof(err)), -ENOENT,
		 "save into a missing directory");
	if (!strstr(err, "/nonexistent/dir/x.trace: cannot create /nonexistent/dir/x.trace.tmp."))
		fail_msg("message '%s'", err);
	sim_trace_close(t);
}

/* ---- fuzz corpus ---- */

static void test_trace_corpus_seed(void **state)
{
	size_t n;
	uint8_t *data = corpus_read(*state, &n);

	CHECK_EQ(fuzz_trace_one(data, n), 0, "the fuzz properties hold");
	free(data);
}

static void test_trace_corpus_has_seeds(void **state)
{
	(void)state;
	corpus_check_size(CORPUS_DIR, MIN_SEEDS);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_trace_lackey_tiny),
		cmocka_unit_test(test_trace_lackey_true_head),
		cmocka_unit_test(test_trace_lackey_span_and_chatter),
		cmocka_unit_test(test_trace_plain),
		cmocka_unit_test(test_trace_compact_runs),
		cmocka_unit_test(test_trace_compact_far_base),
		cmocka_unit_test(test_trace_compact_roundtrip),
		cmocka_unit_test(test_trace_first_touch_order),
		cmocka_unit_test(test_trace_stream_long),
		cmocka_unit_test(test_trace_errors_text),
		cmocka_unit_test(test_trace_errors_long_line),
		cmocka_unit_test(test_trace_errors_compact),
		cmocka_unit_test(test_trace_errors_too_many_accesses),
		cmocka_unit_test(test_trace_errors_file),
		cmocka_unit_test(test_trace_endless_streams),
		cmocka_unit_test(test_trace_bigger_than_the_heap),
		cmocka_unit_test(test_trace_corpus_has_seeds),
	};

	return corpus_run("trace", fixed, sizeof(fixed) / sizeof(fixed[0]), CORPUS_DIR,
			  "test_trace_corpus_seed_", test_trace_corpus_seed, NULL);
}
