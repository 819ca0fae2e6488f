// SPDX-License-Identifier: MIT
/*
 * test_misc.c - the misc controller's sgx_epc resource (src/cgroup/misc.c):
 * the misc.max parser against the kernel's misc_cg_max_write()/kstrtou64(),
 * the cgroupfs text of every file, -ENOSPC boundaries, and kernel-spec §7
 * behaviours 36-49 (the number is in each case's name).
 *
 * Unless said otherwise: one node, one section of 64 pages (capacity 262144
 * bytes), MANUAL mode; R is the root, A = /A, C = /A/C, B = /A/B.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>

#include "helpers.h"

#include "cgroup/cgroup.h"
#include "cgroup/misc.h"

#define NPAGES	 64
#define CAPACITY ((uint64_t)NPAGES * PAGE)

/* ------------------------------------------------------------- helpers */

static void expect_file(struct epc_cgroup *cg, const char *file, const char *text)
{
	char buf[256];
	ssize_t n;

	memset(buf, 'X', sizeof(buf));
	n = epc_cgroup_read(cg, file, buf, sizeof(buf));
	if (n < 0)
		fail_msg("reading %s gave %zd, expected \"%s\"", file, n, text);
	assert_string_equal(buf, text);
	assert_int_equal(n, strlen(text));
}

static uint64_t raw_usage(struct epc_cgroup *cg)
{
	return (uint64_t)atomic_load(&cg->res.usage);
}

static uint64_t peak_of(struct epc_cgroup *cg)
{
	char buf[128];
	unsigned long long v = 0;

	cg_read(cg, "misc.peak", buf, sizeof(buf));
	assert_int_equal(sscanf(buf, "sgx_epc %llu", &v), 1);
	return v;
}

/* misc.events / misc.events.local counts, from the text. */
static uint64_t events_of(struct epc_cgroup *cg, const char *file)
{
	char buf[128];
	unsigned long long v = 0;

	cg_read(cg, file, buf, sizeof(buf));
	assert_int_equal(sscanf(buf, "sgx_epc.max %llu", &v), 1);
	return v;
}

static void expect_events(struct epc_cgroup *cg, uint64_t events, uint64_t local)
{
	char want[64];

	snprintf(want, sizeof(want), "sgx_epc.max %llu\n", (unsigned long long)events);
	expect_file(cg, "misc.events", want);
	snprintf(want, sizeof(want), "sgx_epc.max %llu\n", (unsigned long long)local);
	expect_file(cg, "misc.events.local", want);
}

static void expect_usage(struct epc_cgroup *cg, uint64_t bytes)
{
	char want[64];

	snprintf(want, sizeof(want), "sgx_epc %llu\n", (unsigned long long)bytes);
	expect_file(cg, "misc.current", want);
}

static void expect_peak(struct epc_cgroup *cg, uint64_t bytes)
{
	char want[64];

	snprintf(want, sizeof(want), "sgx_epc %llu\n", (unsigned long long)bytes);
	expect_file(cg, "misc.peak", want);
}

/* Every file of @cg, concatenated, to compare before and after. */
static void snapshot(struct epc_cgroup *cg, char *out, size_t len)
{
	static const char *const files[] = {"misc.capacity", "misc.current", "misc.peak",
					    "misc.max",	     "misc.events",  "misc.events.local"};
	size_t pos = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char buf[128];
		ssize_t n = epc_cgroup_read(cg, files[i], buf, sizeof(buf));

		pos += (size_t)snprintf(out + pos, len - pos, "%s=%s|", files[i],
					n >= 0 ? buf : "ENOENT");
		CHECK_AT(pos < len, i);
	}
}

/* ---------------------------------------------------- misc.max writes */

struct max_row {
	const char *text;
	int ret;
	const char *readback; /* misc.max after a successful write */
};

static const struct max_row max_rows[] = {
	/* accepted */
	{"sgx_epc 12345", 0, "sgx_epc 12345\n"},
	{"sgx_epc max", 0, "sgx_epc max\n"},
	{"sgx_epc max\n", 0, "sgx_epc max\n"},
	{"sgx_epc max\n\n", 0, "sgx_epc max\n"},
	{"  sgx_epc 4096  \n", 0, "sgx_epc 4096\n"},
	{"\t sgx_epc 7 \t\n", 0, "sgx_epc 7\n"},
	{"sgx_epc 4096\r\n", 0, "sgx_epc 4096\n"},
	{"\v\fsgx_epc 9\v\f", 0, "sgx_epc 9\n"},
	{"sgx_epc 5 ", 0, "sgx_epc 5\n"},
	{"sgx_epc 5\n\n", 0, "sgx_epc 5\n"},
	{"sgx_epc 0x1000", 0, "sgx_epc 4096\n"},
	{"sgx_epc 0X1000", 0, "sgx_epc 4096\n"},
	{"sgx_epc 0xfF", 0, "sgx_epc 255\n"},
	{"sgx_epc +0x10", 0, "sgx_epc 16\n"},
	{"sgx_epc 010", 0, "sgx_epc 8\n"},
	{"sgx_epc 0777", 0, "sgx_epc 511\n"},
	{"sgx_epc 00", 0, "sgx_epc 0\n"},
	{"sgx_epc 0", 0, "sgx_epc 0\n"},
	{"sgx_epc +5", 0, "sgx_epc 5\n"},
	{"sgx_epc 1099511627776", 0, "sgx_epc 1099511627776\n"},
	{"sgx_epc 18446744073709551614", 0, "sgx_epc 18446744073709551614\n"},
	/* U64_MAX is "max", however it is spelled */
	{"sgx_epc 18446744073709551615", 0, "sgx_epc max\n"},
	{"sgx_epc 0xffffffffffffffff", 0, "sgx_epc max\n"},
	{"sgx_epc 01777777777777777777777", 0, "sgx_epc max\n"},
	/* rejected: -EINVAL */
	{"", -EINVAL, NULL},
	{"   \n", -EINVAL, NULL},
	{"sgx_epc", -EINVAL, NULL},
	{"sgx_epc ", -EINVAL, NULL},
	{"sgx_epc\n", -EINVAL, NULL},
	{" sgx_epc", -EINVAL, NULL},
	{"max", -EINVAL, NULL},
	{"foo 1", -EINVAL, NULL},
	{"sev 1", -EINVAL, NULL},
	{"SGX_EPC 5", -EINVAL, NULL},
	{"sgx_epcc 5", -EINVAL, NULL},
	{"sgx_ep 5", -EINVAL, NULL},
	{"sgx_epc\t5", -EINVAL, NULL},
	{"sgx_epc  5", -EINVAL, NULL},
	{"sgx_epc  max", -EINVAL, NULL},
	{"sgx_epc MAX", -EINVAL, NULL},
	{"sgx_epc maxx", -EINVAL, NULL},
	{"sgx_epc max 1", -EINVAL, NULL},
	{"sgx_epc abc", -EINVAL, NULL},
	{"sgx_epc -1", -EINVAL, NULL},
	{"sgx_epc -0", -EINVAL, NULL},
	{"sgx_epc +", -EINVAL, NULL},
	{"sgx_epc ++5", -EINVAL, NULL},
	{"sgx_epc 0x", -EINVAL, NULL},
	{"sgx_epc 0x1g", -EINVAL, NULL},
	{"sgx_epc 09", -EINVAL, NULL},
	{"sgx_epc 08", -EINVAL, NULL},
	{"sgx_epc 1 2", -EINVAL, NULL},
	{"sgx_epc 5x", -EINVAL, NULL},
	{"sgx_epc 1.5", -EINVAL, NULL},
	{"sgx_epc 1e3", -EINVAL, NULL},
	{"sgx_epc 5\n6", -EINVAL, NULL},
	{"sgx_epc 5\t6", -EINVAL, NULL},
	/* rejected: -ERANGE (overflow is reported before trailing junk) */
	{"sgx_epc 99999999999999999999", -ERANGE, NULL},
	{"sgx_epc 18446744073709551616", -ERANGE, NULL},
	{"sgx_epc 0x10000000000000000", -ERANGE, NULL},
	{"sgx_epc 02000000000000000000000", -ERANGE, NULL},
	{"sgx_epc 99999999999999999999x", -ERANGE, NULL},
};

#define NR_MAX_ROWS (sizeof(max_rows) / sizeof(max_rows[0]))

/* Behaviours 44/45: each row through epc_cgroup_write on a real cgroup. */
static void test_misc_b45_max_write_table(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *a = make_cg(epc, "/A");

	(void)state;
	assert_true(NR_MAX_ROWS >= 30);
	for (size_t i = 0; i < NR_MAX_ROWS; i++) {
		const struct max_row *row = &max_rows[i];
		/* alternate the old limit so "unchanged" is checked against both shapes */
		const char *old = i % 2 ? "sgx_epc 777" : "sgx_epc max";
		const char *old_text = i % 2 ? "sgx_epc 777\n" : "sgx_epc max\n";
		char buf[128];
		int ret;

		CHECK_EQ_AT(epc_cgroup_write(a, "misc.max", old), 0, i);
		ret = epc_cgroup_write(a, "misc.max", row->text);
		if (ret != row->ret)
			fail_msg("row %zu \"%s\": write gave %d, expected %d", i, row->text, ret,
				 row->ret);
		cg_read(a, "misc.max", buf, sizeof(buf));
		if (strcmp(buf, row->ret ? old_text : row->readback))
			fail_msg("row %zu \"%s\": misc.max reads \"%s\", expected \"%s\"", i,
				 row->text, buf, row->ret ? old_text : row->readback);
	}
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

/* The same rows through the parser alone: the value it stores. */
static void test_misc_parse_max_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < NR_MAX_ROWS; i++) {
		const struct max_row *row = &max_rows[i];
		uint64_t v = 42, want;
		int ret = epc__misc_parse_max(row->text, &v);

		if (ret != row->ret)
			fail_msg("row %zu \"%s\": parse gave %d, expected %d", i, row->text, ret,
				 row->ret);
		if (ret) {
			if (v != 42)
				fail_msg("row %zu: a rejected parse wrote its output", i);
			continue;
		}
		if (!strcmp(row->readback, "sgx_epc max\n"))
			want = UINT64_MAX;
		else
			CHECK_EQ_AT(sscanf(row->readback, "sgx_epc %" SCNu64, &want), 1, i);
		if (v != want)
			fail_msg("row %zu \"%s\": parsed %" PRIu64 ", expected %" PRIu64, i,
				 row->text, v, want);
	}
}

/* kstrtou64(s, 0): the kernel's lib/kstrtox.c, one trailing newline. */
static void test_misc_kstrtou64(void **state)
{
	static const struct {
		const char *s;
		int ret;
		uint64_t v;
	} rows[] = {
		{"0", 0, 0},
		{"5", 0, 5},
		{"5\n", 0, 5},
		{"+5", 0, 5},
		{"+0x10", 0, 16},
		{"0x1F", 0, 31},
		{"0XfF", 0, 255},
		{"010", 0, 8},
		{"0777", 0, 511},
		{"007", 0, 7},
		{"18446744073709551615", 0, UINT64_MAX},
		{"0xffffffffffffffff", 0, UINT64_MAX},
		{"0x0000000000000000000000001", 0, 1},
		{"00000000000000000000000000000000012", 0, 10},
		{"01777777777777777777777", 0, UINT64_MAX},
		{"4294967296", 0, 4294967296ULL},
		{"", -EINVAL, 0},
		{"\n", -EINVAL, 0},
		{"+", -EINVAL, 0},
		{"-", -EINVAL, 0},
		{"-1", -EINVAL, 0},
		{"-0", -EINVAL, 0},
		{"++1", -EINVAL, 0},
		{"+-1", -EINVAL, 0},
		{" 1", -EINVAL, 0},
		{"1 ", -EINVAL, 0},
		{"5\n\n", -EINVAL, 0},
		{"5\r\n", -EINVAL, 0},
		{"\n5", -EINVAL, 0},
		{"0x", -EINVAL, 0},
		{"0xg", -EINVAL, 0},
		{"0x\n", -EINVAL, 0},
		{"x10", -EINVAL, 0},
		{"08", -EINVAL, 0},
		{"09", -EINVAL, 0},
		{"0b101", -EINVAL, 0},
		{"abc", -EINVAL, 0},
		{"max", -EINVAL, 0},
		{"12a", -EINVAL, 0},
		{"1,000", -EINVAL, 0},
		{"18446744073709551616", -ERANGE, 0},
		{"99999999999999999999", -ERANGE, 0},
		{"99999999999999999999junk", -ERANGE, 0},
		{"0x10000000000000000", -ERANGE, 0},
		{"0x1ffffffffffffffff", -ERANGE, 0},
		{"02000000000000000000000", -ERANGE, 0},
		{"184467440737095516150", -ERANGE, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t v = 42;
		int ret = epc__kstrtou64(rows[i].s, &v);

		if (ret != rows[i].ret)
			fail_msg("kstrtou64(\"%s\") gave %d, expected %d", rows[i].s, ret,
				 rows[i].ret);
		if (ret == 0 && v != rows[i].v)
			fail_msg("kstrtou64(\"%s\") = %" PRIu64 ", expected %" PRIu64, rows[i].s, v,
				 rows[i].v);
		if (ret != 0 && v != 42)
			fail_msg("kstrtou64(\"%s\") failed but wrote its output", rows[i].s);
	}
}

/*
 * The kernel's strstrip() uses the kernel's isspace(), which is locale-free
 * and also takes 0xA0 (lib/ctype.c: 160 is _S|_SP). Bytes above 0x7f must
 * never count as space in any other position (and never as digits).
 */
static void test_misc_max_write_kernel_isspace(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *a = make_cg(epc, "/A");
	uint64_t v = 0;

	(void)state;
	assert_int_equal(epc__misc_parse_max("\xa0sgx_epc 5\xa0", &v), 0);
	assert_int_equal(v, 5);
	CHECK_ERR(epc_cgroup_write(a, "misc.max", "sgx_epc 6\xa0\n"), 0, "epc_cgroup_write");
	expect_file(a, "misc.max", "sgx_epc 6\n");
	/* 0xA0 is not the separator: only ' ' is (strsep(&buf, " ")) */
	CHECK_ERR(epc_cgroup_write(a, "misc.max",
				   "sgx_epc\xa0"
				   "7"),
		  -EINVAL, "epc_cgroup_write");
	CHECK_ERR(epc_cgroup_write(a, "misc.max",
				   "sgx_epc \xa0"
				   "7"),
		  -EINVAL, "epc_cgroup_write");
	CHECK_ERR(epc_cgroup_write(a, "misc.max", "sgx_epc 7\x85"), -EINVAL, "epc_cgroup_write");
	CHECK_ERR(epc_cgroup_write(a, "misc.max", "sgx_epc 7\xff"), -EINVAL, "epc_cgroup_write");
	CHECK_ERR(epc_cgroup_write(a, "misc.max", "sgx_epc \xb2"), -EINVAL, "epc_cgroup_write");
	expect_file(a, "misc.max", "sgx_epc 6\n");
	epc_destroy(epc);
}

/* ------------------------------------------------------------- files */

static void test_misc_file_texts_root(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *r = epc_cgroup_root(epc);
	char buf[64];

	(void)state;
	expect_file(r, "misc.capacity", "sgx_epc 262144\n");
	expect_file(r, "misc.current", "sgx_epc 0\n");
	expect_file(r, "misc.peak", "sgx_epc 0\n");
	CHECK_ERR(epc_cgroup_read(r, "misc.max", buf, sizeof(buf)), -ENOENT, "epc_cgroup_read");
	CHECK_ERR(epc_cgroup_read(r, "misc.events", buf, sizeof(buf)), -ENOENT, "epc_cgroup_read");
	CHECK_ERR(epc_cgroup_read(r, "misc.events.local", buf, sizeof(buf)), -ENOENT,
		  "epc_cgroup_read");
	CHECK_ERR(epc_cgroup_read(r, "misc.bogus", buf, sizeof(buf)), -ENOENT, "epc_cgroup_read");
	CHECK_ERR(epc_cgroup_read(r, "", buf, sizeof(buf)), -ENOENT, "epc_cgroup_read");
	CHECK_ERR(epc_cgroup_read(r, "misc.current ", buf, sizeof(buf)), -ENOENT,
		  "epc_cgroup_read");
	/* the core files are the library's too: no member id in the root */
	assert_int_equal(epc_cgroup_read(r, "cgroup.procs", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");

	/* writes: only misc.max is writable, and the root has none */
	CHECK_ERR(epc_cgroup_write(r, "misc.max", "sgx_epc 4096"), -ENOENT, "epc_cgroup_write");
	CHECK_ERR(epc_cgroup_write(r, "misc.capacity", "sgx_epc 4096"), -EACCES,
		  "epc_cgroup_write");
	CHECK_ERR(epc_cgroup_write(r, "misc.current", "sgx_epc 4096"), -EACCES, "epc_cgroup_write");
	CHECK_ERR(epc_cgroup_write(r, "misc.peak", "sgx_epc 4096"), -EACCES, "epc_cgroup_write");
	CHECK_ERR(epc_cgroup_write(r, "misc.events", "sgx_epc.max 1"), -ENOENT, "epc_cgroup_write");
	CHECK_ERR(epc_cgroup_write(r, "misc.events.local", "sgx_epc.max 1"), -ENOENT,
		  "epc_cgroup_write");
	CHECK_ERR(epc_cgroup_write(r, "misc.bogus", "sgx_epc 1"), -ENOENT, "epc_cgroup_write");
	expect_file(r, "misc.capacity", "sgx_epc 262144\n");
	expect_file(r, "misc.current", "sgx_epc 0\n");
	expect_file(r, "misc.peak", "sgx_epc 0\n");
	epc_destroy(epc);
}

/* Behaviour 47: a new cgroup's files; the root's set is checked above. */
static void test_misc_b47_file_texts_nonroot_defaults(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_cgroup *c = make_cg(epc, "/A/C");
	char buf[64];

	(void)state;
	for (struct epc_cgroup *cg = a; cg; cg = cg == a ? c : NULL) {
		expect_file(cg, "misc.current", "sgx_epc 0\n");
		expect_file(cg, "misc.peak", "sgx_epc 0\n");
		expect_file(cg, "misc.max", "sgx_epc max\n");
		expect_file(cg, "misc.events", "sgx_epc.max 0\n");
		expect_file(cg, "misc.events.local", "sgx_epc.max 0\n");
		CHECK_ERR(epc_cgroup_read(cg, "misc.capacity", buf, sizeof(buf)), -ENOENT,
			  "epc_cgroup_read");
		CHECK_ERR(epc_cgroup_read(cg, "misc.maximum", buf, sizeof(buf)), -ENOENT,
			  "epc_cgroup_read");
		CHECK_ERR(epc_cgroup_write(cg, "misc.capacity", "sgx_epc 1"), -ENOENT,
			  "epc_cgroup_write");
		CHECK_ERR(epc_cgroup_write(cg, "misc.current", "sgx_epc 1"), -EACCES,
			  "epc_cgroup_write");
		CHECK_ERR(epc_cgroup_write(cg, "misc.peak", "sgx_epc 1"), -EACCES,
			  "epc_cgroup_write");
		CHECK_ERR(epc_cgroup_write(cg, "misc.events", "sgx_epc.max 1"), -EACCES,
			  "epc_cgroup_write");
		CHECK_ERR(epc_cgroup_write(cg, "misc.events.local", "sgx_epc.max 1"), -EACCES,
			  "epc_cgroup_write");
		CHECK_ERR(epc_cgroup_write(cg, "misc.nope", "sgx_epc 1"), -ENOENT,
			  "epc_cgroup_write");
		/* nothing changed by the refused writes */
		expect_file(cg, "misc.current", "sgx_epc 0\n");
		expect_file(cg, "misc.max", "sgx_epc max\n");
		expect_file(cg, "misc.events", "sgx_epc.max 0\n");
	}
	epc_destroy(epc);
}

/* The text must fit with its NUL: exactly length + 1 works, length fails. */
static void check_enospc(struct epc_cgroup *cg, const char *file)
{
	char full[256], buf[256];
	ssize_t n = epc_cgroup_read(cg, file, full, sizeof(full));

	CHECK(n > 0, check_fmt("%s is readable: %zd", file, n));
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(epc_cgroup_read(cg, file, buf, (size_t)n + 1), n);
	assert_memory_equal(buf, full, (size_t)n + 1);
	assert_int_equal(buf[n + 1], 'X'); /* nothing written past len */
	memset(buf, 'X', sizeof(buf));
	CHECK_ERR(epc_cgroup_read(cg, file, buf, (size_t)n), -ENOSPC, "epc_cgroup_read");
	assert_int_equal(buf[n], 'X');
	CHECK_ERR(epc_cgroup_read(cg, file, buf, 1), -ENOSPC, "epc_cgroup_read");
	CHECK_ERR(epc_cgroup_read(cg, file, buf, 0), -ENOSPC, "epc_cgroup_read");
	assert_int_equal(buf[0] == 'X' || buf[0] == '\0', 1);
}

static void test_misc_read_enospc_boundaries(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *r = epc_cgroup_root(epc);
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_task *t = make_task(epc, a, 0);
	struct epc_page *p;
	static const char *const nonroot[] = {"misc.current", "misc.peak", "misc.max",
					      "misc.events", "misc.events.local"};

	(void)state;
	check_enospc(r, "misc.capacity");
	check_enospc(r, "misc.current");
	check_enospc(r, "misc.peak");
	for (size_t i = 0; i < 5; i++)
		check_enospc(a, nonroot[i]);
	/* longer texts: a number, a limit, an event */
	CHECK_ERR(epc_cgroup_write(a, "misc.max", "sgx_epc 4096"), 0, "epc_cgroup_write");
	p = alloc_ok(t);
	alloc_fails(t, EPC_NO_RECLAIM, -ENOMEM);
	for (size_t i = 0; i < 5; i++)
		check_enospc(a, nonroot[i]);
	check_enospc(r, "misc.current");
	CHECK_ERR(epc_cgroup_write(a, "misc.max", "sgx_epc 18446744073709551614"), 0,
		  "epc_cgroup_write");
	expect_file(a, "misc.max", "sgx_epc 18446744073709551614\n");
	check_enospc(a, "misc.max");
	/* and the path */
	{
		char buf[8];

		assert_int_equal(epc_cgroup_path(a, buf, 3), 2);
		assert_string_equal(buf, "/A");
		CHECK_ERR(epc_cgroup_path(a, buf, 2), -ENOSPC, "epc_cgroup_path");
		assert_int_equal(epc_cgroup_path(r, buf, 2), 1);
		assert_string_equal(buf, "/");
		CHECK_ERR(epc_cgroup_path(r, buf, 1), -ENOSPC, "epc_cgroup_path");
	}
	epc_page_free(p);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* The misc.* files of the table, where each exists (the whole table: test_cgroup_model.c). */
static void test_misc_file_lookup_table(void **state)
{
	struct epc *epc = make_epc(16);
	struct epc_cgroup *root = epc_cgroup_root(epc), *a = make_cg(epc, "/a");
	enum epc_cgroup_file f;

	(void)state;
	CHECK_ERR(epc__cg_file_lookup(root, "misc.capacity", &f), 0, "epc__cg_file_lookup");
	assert_int_equal(f, EPC_CGF_MISC_CAPACITY);
	CHECK_ERR(epc__cg_file_lookup(a, "misc.capacity", &f), -ENOENT, "epc__cg_file_lookup");
	CHECK_ERR(epc__cg_file_lookup(root, "misc.current", &f), 0, "epc__cg_file_lookup");
	assert_int_equal(f, EPC_CGF_MISC_CURRENT);
	CHECK_ERR(epc__cg_file_lookup(a, "misc.current", &f), 0, "epc__cg_file_lookup");
	CHECK_ERR(epc__cg_file_lookup(root, "misc.peak", &f), 0, "epc__cg_file_lookup");
	CHECK_ERR(epc__cg_file_lookup(a, "misc.peak", &f), 0, "epc__cg_file_lookup");
	assert_int_equal(f, EPC_CGF_MISC_PEAK);
	CHECK_ERR(epc__cg_file_lookup(root, "misc.max", &f), -ENOENT, "epc__cg_file_lookup");
	CHECK_ERR(epc__cg_file_lookup(a, "misc.max", &f), 0, "epc__cg_file_lookup");
	assert_int_equal(f, EPC_CGF_MISC_MAX);
	CHECK_ERR(epc__cg_file_lookup(root, "misc.events", &f), -ENOENT, "epc__cg_file_lookup");
	CHECK_ERR(epc__cg_file_lookup(a, "misc.events", &f), 0, "epc__cg_file_lookup");
	assert_int_equal(f, EPC_CGF_MISC_EVENTS);
	CHECK_ERR(epc__cg_file_lookup(root, "misc.events.local", &f), -ENOENT,
		  "epc__cg_file_lookup");
	CHECK_ERR(epc__cg_file_lookup(a, "misc.events.local", &f), 0, "epc__cg_file_lookup");
	assert_int_equal(f, EPC_CGF_MISC_EVENTS_LOCAL);
	CHECK_ERR(epc__cg_file_lookup(a, "misc.", &f), -ENOENT, "epc__cg_file_lookup");
	CHECK_ERR(epc__cg_file_lookup(a, "misc.events.locals", &f), -ENOENT, "epc__cg_file_lookup");
	CHECK_ERR(epc__cg_file_lookup(a, "MISC.MAX", &f), -ENOENT, "epc__cg_file_lookup");
	epc_cgroup_put(a);
	epc_destroy(epc);
}

/* --------------------------------------------------------- behaviours */

/* 36: a charge raises usage and peak at every level; peak never drops. */
static void test_misc_b36_peak_rises(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *r = epc_cgroup_root(epc);
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_cgroup *c = make_cg(epc, "/A/C");
	struct epc_cgroup *b = make_cg(epc, "/A/B");
	struct epc_task *t = make_task(epc, c, 0);
	struct epc_page *p1, *p2;

	(void)state;
	p1 = alloc_ok(t);
	for (struct epc_cgroup *cg = c; cg; cg = cg == c ? a : cg == a ? r : NULL) {
		expect_usage(cg, 4096);
		expect_peak(cg, 4096);
	}
	expect_usage(b, 0);
	expect_peak(b, 0);
	p2 = alloc_ok(t);
	for (struct epc_cgroup *cg = c; cg; cg = cg == c ? a : cg == a ? r : NULL) {
		expect_usage(cg, 8192);
		expect_peak(cg, 8192);
	}
	epc_page_free(p1);
	epc_page_free(p2);
	for (struct epc_cgroup *cg = c; cg; cg = cg == c ? a : cg == a ? r : NULL) {
		expect_usage(cg, 0);
		expect_peak(cg, 8192); /* no reset */
	}
	expect_peak(b, 0);
	/* the misc layer alone: a charge of 3 pages in one go */
	assert_int_equal(
		epc__cg_res_try_charge(c, EPC__RES_SGX_EPC, CAPACITY, 3 * PAGE, NULL, NULL, NULL),
		0);
	expect_peak(c, 3 * PAGE);
	expect_peak(r, 3 * PAGE);
	epc__cg_res_uncharge(c, EPC__RES_SGX_EPC, 3 * PAGE, &epc->log);
	expect_usage(r, 0);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* A = 2 pages, held by B's task; C's charges fail at A. */
struct b37 {
	struct epc *epc;
	struct epc_cgroup *r, *a, *b, *c;
	struct epc_task *tb, *tc;
	struct epc_page *pb[2];
};

static void b37_setup(struct b37 *s)
{
	s->epc = make_epc(NPAGES);
	s->r = epc_cgroup_root(s->epc);
	s->a = make_cg(s->epc, "/A");
	s->b = make_cg(s->epc, "/A/B");
	s->c = make_cg(s->epc, "/A/C");
	s->tb = make_task(s->epc, s->b, 0);
	s->tc = make_task(s->epc, s->c, 0);
	CHECK_ERR(epc_cgroup_write(s->a, "misc.max", "sgx_epc 8192"), 0, "epc_cgroup_write");
	s->pb[0] = alloc_ok(s->tb);
	s->pb[1] = alloc_ok(s->tb);
}

static void b37_teardown(struct b37 *s)
{
	epc_page_free(s->pb[0]);
	epc_page_free(s->pb[1]);
	expect_usage(s->r, 0);
	assert_epc_consistent(s->epc);
	epc_task_destroy(s->tb);
	epc_task_destroy(s->tc);
	epc_destroy(s->epc);
}

/* 37: a charge in C failing at A. */
static void test_misc_b37_fail_at_parent_counts_events(void **state)
{
	struct b37 s;
	struct epc_cgroup *failed = NULL;

	(void)state;
	b37_setup(&s);
	/* the misc layer says -EBUSY and names A */
	CHECK_ERR(epc__cg_try_charge_page(s.c, &failed, NULL, NULL), -EBUSY,
		  "epc__cg_try_charge_page");
	assert_ptr_equal(failed, s.a);
	expect_usage(s.c, 0);
	expect_usage(s.a, 8192);
	expect_usage(s.r, 8192);
	expect_events(s.a, 1, 1);
	expect_events(s.c, 0, 0);
	expect_events(s.b, 0, 0);
	/* the root shows no event anywhere, and counts none hierarchically */
	assert_int_equal(atomic_load(&s.r->res.events), 0);
	assert_int_equal(atomic_load(&s.r->res.events_local), 0);

	/* through the allocator: nothing reclaimable in C's subtree -> -ENOMEM,
	 * in both modes, one event each time */
	alloc_fails(s.tc, EPC_NO_RECLAIM, -ENOMEM);
	alloc_fails(s.tc, EPC_DO_RECLAIM, -ENOMEM);
	expect_events(s.a, 3, 3);
	expect_events(s.c, 0, 0);
	expect_usage(s.c, 0);
	expect_usage(s.a, 8192);
	expect_usage(s.r, 8192);
	assert_int_equal(atomic_load(&s.r->res.events), 0);
	assert_int_equal(atomic_load(&s.r->res.events_local), 0);
	b37_teardown(&s);
}

/* 38: a charge failing at C itself. */
static void test_misc_b38_fail_at_self_counts_events(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *r = epc_cgroup_root(epc);
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_cgroup *c = make_cg(epc, "/A/C");
	struct epc_cgroup *failed = NULL;
	struct epc_task *t = make_task(epc, c, 0);
	struct epc_page *p;

	(void)state;
	CHECK_ERR(epc_cgroup_write(c, "misc.max", "sgx_epc 4096"), 0, "epc_cgroup_write");
	p = alloc_ok(t);
	alloc_fails(t, EPC_DO_RECLAIM, -ENOMEM);
	expect_events(c, 1, 1);
	expect_events(a, 1, 0);
	assert_int_equal(atomic_load(&r->res.events), 0);
	assert_int_equal(atomic_load(&r->res.events_local), 0);
	CHECK_ERR(epc__cg_try_charge_page(c, &failed, NULL, NULL), -EBUSY,
		  "epc__cg_try_charge_page");
	assert_ptr_equal(failed, c);
	expect_events(c, 2, 2);
	expect_events(a, 2, 0);
	expect_usage(c, 4096);
	expect_usage(a, 4096);
	expect_usage(r, 4096);

	/* deeper: D under C fails at C: events at C and A, local at C only */
	{
		struct epc_cgroup *d = make_cg(epc, "/A/C/D");
		struct epc_task *td = make_task(epc, d, 0);

		alloc_fails(td, EPC_NO_RECLAIM, -ENOMEM);
		expect_events(d, 0, 0);
		expect_events(c, 3, 3);
		expect_events(a, 3, 0);
		epc_task_destroy(td);
	}
	epc_page_free(p);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * 39: the levels below the failing one were charged and their peak raised
 * before the failure: C's peak shows the rolled-back value.
 */
static void test_misc_b39_peak_quirk_transient_value(void **state)
{
	struct b37 s;
	struct epc_page *pc;

	(void)state;
	b37_setup(&s);
	alloc_fails(s.tc, EPC_DO_RECLAIM, -ENOMEM);
	expect_usage(s.c, 0);
	expect_peak(s.c, 4096); /* never held a page, peak says one */
	expect_peak(s.a, 8192); /* the failing level's peak is not raised */
	expect_peak(s.r, 8192);

	/* C holding one page, A = 3 pages full: C's peak becomes 2 pages */
	CHECK_ERR(epc_cgroup_write(s.a, "misc.max", "sgx_epc 12288"), 0, "epc_cgroup_write");
	epc_page_free(s.pb[1]);
	pc = alloc_ok(s.tc);
	s.pb[1] = alloc_ok(s.tb);
	expect_usage(s.a, 12288);
	expect_peak(s.c, 4096);
	alloc_fails(s.tc, EPC_NO_RECLAIM, -ENOMEM);
	expect_usage(s.c, 4096);
	expect_peak(s.c, 8192);
	expect_peak(s.a, 12288);
	expect_peak(s.r, 12288);
	/* the misc layer directly: the same */
	CHECK_ERR(
		epc__cg_res_try_charge(s.c, EPC__RES_SGX_EPC, CAPACITY, 5 * PAGE, NULL, NULL, NULL),
		-EBUSY, "epc__cg_res_try_charge");
	expect_peak(s.c, 6 * PAGE);
	expect_usage(s.c, 4096);
	expect_events(s.a, 3, 3);
	epc_page_free(pc);
	b37_teardown(&s);
}

/*
 * 40: a charge failing at the root's capacity: only the root's events.local
 * changes, and no file shows it. Set up so the peak quirk cannot show: A's
 * peak already is the transient value.
 */
static void test_misc_b40_fail_at_capacity_invisible(void **state)
{
	struct epc *epc = make_epc(8);
	struct epc_cgroup *r = epc_cgroup_root(epc);
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_cgroup *b = make_cg(epc, "/B");
	struct epc_task *ta = make_task(epc, a, 0), *tb = make_task(epc, b, 0);
	struct epc_page *pa[2], *pb[7];
	struct epc_cgroup *failed = NULL;
	char before[3][1024], after[3][1024];

	(void)state;
	pa[0] = alloc_ok(ta);
	pa[1] = alloc_ok(ta);
	epc_page_free(pa[1]);
	for (int i = 0; i < 7; i++)
		pb[i] = alloc_ok(tb);
	expect_usage(r, 8 * PAGE);
	snapshot(r, before[0], sizeof(before[0]));
	snapshot(a, before[1], sizeof(before[1]));
	snapshot(b, before[2], sizeof(before[2]));

	alloc_fails(ta, EPC_DO_RECLAIM, -ENOMEM);
	alloc_fails(ta, EPC_NO_RECLAIM, -ENOMEM);
	CHECK_ERR(epc__cg_try_charge_page(a, &failed, NULL, NULL), -EBUSY,
		  "epc__cg_try_charge_page");
	assert_ptr_equal(failed, r);

	snapshot(r, after[0], sizeof(after[0]));
	snapshot(a, after[1], sizeof(after[1]));
	snapshot(b, after[2], sizeof(after[2]));
	for (int i = 0; i < 3; i++)
		assert_string_equal(after[i], before[i]);
	assert_int_equal(atomic_load(&r->res.events_local), 3);
	assert_int_equal(atomic_load(&r->res.events), 0);
	assert_int_equal(atomic_load(&a->res.events_local), 0);
	assert_int_equal(atomic_load(&a->res.events), 0);

	epc_page_free(pa[0]);
	for (int i = 0; i < 7; i++)
		epc_page_free(pb[i]);
	expect_usage(r, 0);
	assert_epc_consistent(epc);
	epc_task_destroy(ta);
	epc_task_destroy(tb);
	epc_destroy(epc);
}

/*
 * The capacity is checked at every level (kernel misc_cg_try_charge): a
 * cgroup whose own usage would pass the capacity fails at itself, so the
 * event is visible there.
 */
static void test_misc_b40_capacity_checked_at_every_level(void **state)
{
	struct epc *epc = make_epc(8);
	struct epc_cgroup *r = epc_cgroup_root(epc);
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_cgroup *c = make_cg(epc, "/A/C");
	struct epc_task *t = make_task(epc, c, 0);
	struct epc_page *p[8];
	struct epc_cgroup *failed = NULL;

	(void)state;
	for (int i = 0; i < 8; i++)
		p[i] = alloc_ok(t);
	alloc_fails(t, EPC_DO_RECLAIM, -ENOMEM);
	expect_events(c, 1, 1);
	expect_events(a, 1, 0);
	assert_int_equal(atomic_load(&r->res.events_local), 0);
	CHECK_ERR(epc__cg_try_charge_page(c, &failed, NULL, NULL), -EBUSY,
		  "epc__cg_try_charge_page");
	assert_ptr_equal(failed, c);
	expect_usage(c, 8 * PAGE);
	expect_usage(r, 8 * PAGE);
	expect_peak(c, 8 * PAGE);
	for (int i = 0; i < 8; i++)
		epc_page_free(p[i]);
	epc_task_destroy(t);
	epc_destroy(epc);
}

static void expect_internal_file(struct epc_cgroup *cg, const char *file, const char *text)
{
	char buf[128];
	ssize_t n;

	memset(buf, 'X', sizeof(buf));
	n = epc__cg_read(cg, file, buf, sizeof(buf));
	assert_int_equal(n, strlen(text));
	assert_string_equal(buf, text);
}

/* 41: capacity 0 (SGX absent): charges and limit writes -EINVAL, no lines. */
static void test_misc_b41_capacity_zero(void **state)
{
	struct log_catcher *lc = calloc(1, sizeof(*lc));
	struct epc__log log = {log_catch, lc};
	struct epc__cgroups tree;
	struct epc_cgroup *a = NULL, *failed = NULL;

	(void)state;
	assert_non_null(lc);
	assert_int_equal(epc__cgroups_init(&tree, 0, &log, NULL), 0);
	assert_int_equal(epc__cg_create(&tree, "/A", &a), 0);
	CHECK_ERR(epc__cg_try_charge_page(a, &failed, NULL, NULL), -EINVAL,
		  "epc__cg_try_charge_page");
	assert_null(failed);
	CHECK_ERR(epc__cg_try_charge_page(tree.root, &failed, NULL, NULL), -EINVAL,
		  "epc__cg_try_charge_page");
	/* capacity 0 wins even over amount 0 (the kernel checks it first) */
	CHECK_ERR(epc__cg_res_try_charge(a, EPC__RES_SGX_EPC, 0, 0, &failed, NULL, NULL), -EINVAL,
		  "epc__cg_res_try_charge");
	assert_int_equal(atomic_load(&a->res.usage), 0);
	assert_int_equal(atomic_load(&tree.root->res.usage), 0);
	assert_int_equal(atomic_load(&a->res.events), 0);
	assert_int_equal(atomic_load(&a->res.events_local), 0);

	CHECK_ERR(epc__cg_write(a, "misc.max", "sgx_epc 5"), -EINVAL, "epc__cg_write");
	CHECK_ERR(epc__cg_write(a, "misc.max", "sgx_epc max"), -EINVAL, "epc__cg_write");
	/* a parse error still comes first, as in misc_cg_max_write() */
	CHECK_ERR(epc__cg_write(a, "misc.max", "sgx_epc 99999999999999999999"), -ERANGE,
		  "epc__cg_write");
	CHECK_ERR(epc__cg_write(a, "misc.max", "sgx_epc abc"), -EINVAL, "epc__cg_write");
	assert_int_equal(atomic_load(&a->res.max), UINT64_MAX);

	expect_internal_file(tree.root, "misc.capacity", "");
	expect_internal_file(tree.root, "misc.current", "");
	expect_internal_file(tree.root, "misc.peak", "");
	expect_internal_file(a, "misc.max", "");
	expect_internal_file(a, "misc.current", "");
	expect_internal_file(a, "misc.peak", "");
	expect_internal_file(a, "misc.events", "");
	expect_internal_file(a, "misc.events.local", "");
	/* an empty text still needs room for its NUL */
	{
		char b[1] = {'X'};

		assert_int_equal(epc__cg_read(a, "misc.current", b, 1), 0);
		assert_int_equal(b[0], '\0');
		CHECK_ERR(epc__cg_read(a, "misc.current", b, 0), -ENOSPC, "epc__cg_read");
	}
	/* a line appears once the count is non-zero */
	atomic_store(&a->res.usage, 4096);
	atomic_store(&a->res.peak, 8192);
	atomic_store(&a->res.events, 2);
	expect_internal_file(a, "misc.current", "sgx_epc 4096\n");
	expect_internal_file(a, "misc.peak", "sgx_epc 8192\n");
	expect_internal_file(a, "misc.events", "sgx_epc.max 2\n");
	expect_internal_file(a, "misc.events.local", "");
	expect_internal_file(a, "misc.max", "");
	atomic_store(&a->res.usage, 0);
	atomic_store(&a->res.peak, 0);
	atomic_store(&a->res.events, 0);
	expect_internal_file(a, "misc.current", "");

	epc__cgroups_destroy(&tree);
	free(lc);
}

/* 42: charging 0 bytes succeeds and changes nothing, even at a 0 limit. */
static void test_misc_b42_charge_zero_bytes(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *r = epc_cgroup_root(epc);
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_cgroup *c = make_cg(epc, "/A/C");
	struct epc_cgroup *failed = (struct epc_cgroup *)0x1;
	char before[2][1024], after[2][1024];

	(void)state;
	CHECK_ERR(epc_cgroup_write(c, "misc.max", "sgx_epc 0"), 0, "epc_cgroup_write");
	snapshot(c, before[0], sizeof(before[0]));
	snapshot(r, before[1], sizeof(before[1]));
	for (int i = 0; i < 3; i++)
		CHECK_EQ_AT(epc__cg_res_try_charge(c, EPC__RES_SGX_EPC, CAPACITY, 0, &failed, NULL,
						   NULL),
			    0, i);
	assert_ptr_equal(failed, (struct epc_cgroup *)0x1);
	CHECK(!epc__cg_res_uncharge(c, EPC__RES_SGX_EPC, 0, &epc->log),
	      "uncharging 0 empties no level");
	CHECK(!epc__cg_res_uncharge(NULL, EPC__RES_SGX_EPC, 4096, &epc->log),
	      "uncharging no cgroup empties no level");
	snapshot(c, after[0], sizeof(after[0]));
	snapshot(r, after[1], sizeof(after[1]));
	assert_string_equal(after[0], before[0]);
	assert_string_equal(after[1], before[1]);
	expect_events(a, 0, 0);
	/* and one byte more is refused at C */
	CHECK_ERR(epc__cg_res_try_charge(c, EPC__RES_SGX_EPC, CAPACITY, 1, &failed, NULL, NULL),
		  -EBUSY, "epc__cg_res_try_charge");
	assert_ptr_equal(failed, c);
	epc_destroy(epc);
}

/* 43: uncharging more than charged: negative, not clamped, one warning. */
static void test_misc_b43_uncharge_below_zero_warns_once(void **state)
{
	struct log_catcher *lc = calloc(1, sizeof(*lc));
	struct epc *epc;
	struct epc_cgroup *r, *a, *c, *b;

	(void)state;
	assert_non_null(lc);
	epc = make_epc_ex(1, NULL, 1, NPAGES, 0, lc);
	r = epc_cgroup_root(epc);
	a = make_cg(epc, "/A");
	c = make_cg(epc, "/A/C");
	b = make_cg(epc, "/B");
	assert_int_equal(log_count(lc, "negative"), 0);

	CHECK(!epc__cg_res_uncharge(c, EPC__RES_SGX_EPC, 4096, &epc->log),
	      "uncharging more than is charged goes below 0, not to 0");
	assert_int_equal(atomic_load(&c->res.usage), -4096);
	assert_int_equal(atomic_load(&a->res.usage), -4096);
	assert_int_equal(atomic_load(&r->res.usage), -4096);
	/* the kernel prints the s64 as u64 */
	expect_file(c, "misc.current", "sgx_epc 18446744073709547520\n");
	assert_int_equal(log_count(lc, "negative"), 1);

	/* no clamp, and no second warning: not again, not elsewhere */
	epc__cg_res_uncharge(c, EPC__RES_SGX_EPC, 4096, &epc->log);
	assert_int_equal(atomic_load(&c->res.usage), -8192);
	assert_int_equal(atomic_load(&r->res.usage), -8192);
	epc__cg_res_uncharge(b, EPC__RES_SGX_EPC, 4096, &epc->log);
	assert_int_equal(atomic_load(&b->res.usage), -4096);
	assert_int_equal(atomic_load(&r->res.usage), -12288);
	assert_int_equal(log_count(lc, "negative"), 1);
	/* a charge at a negative usage is refused (s64 compared as u64, as the kernel does) */
	CHECK_ERR(epc__cg_res_try_charge(c, EPC__RES_SGX_EPC, CAPACITY, 4096, NULL, NULL, NULL),
		  -EBUSY, "epc__cg_res_try_charge");

	atomic_store(&c->res.usage, 0);
	atomic_store(&a->res.usage, 0);
	atomic_store(&b->res.usage, 0);
	atomic_store(&r->res.usage, 0);
	epc_destroy(epc);
	free(lc);
}

/* 44: "sgx_epc 12345" stores 12345 and allows floor(12345/4096) = 3 pages. */
static void test_misc_b44_limit_12345_holds_3_pages(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_task *t = make_task(epc, a, 0);
	struct epc_page *p[3];

	(void)state;
	CHECK_ERR(epc_cgroup_write(a, "misc.max", "sgx_epc 12345"), 0, "epc_cgroup_write");
	expect_file(a, "misc.max", "sgx_epc 12345\n");
	assert_int_equal(atomic_load(&a->res.max), 12345);
	for (int i = 0; i < 3; i++)
		p[i] = alloc_ok(t);
	alloc_fails(t, EPC_DO_RECLAIM, -ENOMEM);
	alloc_fails(t, EPC_NO_RECLAIM, -ENOMEM);
	expect_usage(a, 12288);
	expect_events(a, 2, 2);
	for (int i = 0; i < 3; i++)
		epc_page_free(p[i]);
	expect_usage(a, 0);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 45: the spec's own examples (the full table is test_misc_b45_max_write_table). */
static void test_misc_b45_spec_examples(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *a = make_cg(epc, "/A");

	(void)state;
	CHECK_ERR(epc_cgroup_write(a, "misc.max", "sgx_epc 4096"), 0, "epc_cgroup_write");
	CHECK_ERR(epc_cgroup_write(a, "misc.max", "sgx_epc max"), 0, "epc_cgroup_write");
	expect_file(a, "misc.max", "sgx_epc max\n");
	CHECK_ERR(epc_cgroup_write(a, "misc.max", "sgx_epc"), -EINVAL, "epc_cgroup_write");
	CHECK_ERR(epc_cgroup_write(a, "misc.max", "foo 1"), -EINVAL, "epc_cgroup_write");
	CHECK_ERR(epc_cgroup_write(a, "misc.max", "sgx_epc abc"), -EINVAL, "epc_cgroup_write");
	CHECK_ERR(epc_cgroup_write(a, "misc.max", "sgx_epc 99999999999999999999"), -ERANGE,
		  "epc_cgroup_write");
	expect_file(a, "misc.max", "sgx_epc max\n");
	CHECK_ERR(epc_cgroup_write(a, "misc.max", "sgx_epc 0x1000"), 0, "epc_cgroup_write");
	expect_file(a, "misc.max", "sgx_epc 4096\n");
	CHECK_ERR(epc_cgroup_write(a, "misc.max", "sgx_epc 99999999999999999999"), -ERANGE,
		  "epc_cgroup_write");
	expect_file(a, "misc.max", "sgx_epc 4096\n");
	epc_destroy(epc);
}

/* 46: a limit below the usage is accepted; nothing is taken back at write time. */
static void test_misc_b46_max_below_usage(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_task *t = make_task(epc, a, 0);
	struct epc_page *p[3];
	struct epc_stats st;

	(void)state;
	for (int i = 0; i < 3; i++)
		p[i] = alloc_ok(t);
	CHECK_ERR(epc_cgroup_write(a, "misc.max", "sgx_epc 4096"), 0, "epc_cgroup_write");
	expect_file(a, "misc.max", "sgx_epc 4096\n");
	expect_usage(a, 3 * PAGE);
	epc_get_stats2(epc, &st, sizeof(st));
	assert_int_equal(st.nr_free, NPAGES - 3);
	assert_int_equal(st.nr_evicted, 0);
	alloc_fails(t, EPC_DO_RECLAIM, -ENOMEM);
	alloc_fails(t, EPC_NO_RECLAIM, -ENOMEM);
	expect_events(a, 2, 2);
	expect_usage(a, 3 * PAGE);
	epc_page_free(p[2]);
	epc_page_free(p[1]);
	alloc_fails(t, EPC_DO_RECLAIM, -ENOMEM); /* 1 + 1 > 1 */
	epc_page_free(p[0]);
	p[0] = alloc_ok(t);
	alloc_fails(t, EPC_DO_RECLAIM, -ENOMEM);
	expect_events(a, 4, 4);
	epc_page_free(p[0]);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 48: a limit above the capacity is accepted; the capacity still binds. */
static void test_misc_b48_limit_above_capacity(void **state)
{
	struct epc *epc = make_epc(8);
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_task *t = make_task(epc, a, 0);
	struct epc_page *p[8];

	(void)state;
	CHECK_ERR(epc_cgroup_write(a, "misc.max", "sgx_epc 1099511627776"), 0, "epc_cgroup_write");
	expect_file(a, "misc.max", "sgx_epc 1099511627776\n");
	for (int i = 0; i < 8; i++)
		p[i] = alloc_ok(t);
	alloc_fails(t, EPC_DO_RECLAIM, -ENOMEM);
	expect_usage(a, 8 * PAGE);
	/* the capacity check happens at A's own level (see b40) */
	expect_events(a, 1, 1);
	for (int i = 0; i < 8; i++)
		epc_page_free(p[i]);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 49: misc.events is exactly "sgx_epc.max <n>\n". */
static void test_misc_b49_events_text_exact(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_task *t = make_task(epc, a, 0);

	(void)state;
	expect_file(a, "misc.events", "sgx_epc.max 0\n");
	CHECK_ERR(epc_cgroup_write(a, "misc.max", "sgx_epc 0"), 0, "epc_cgroup_write");
	for (int i = 0; i < 3; i++)
		alloc_fails(t, i % 2 ? EPC_NO_RECLAIM : EPC_DO_RECLAIM, -ENOMEM);
	expect_file(a, "misc.events", "sgx_epc.max 3\n");
	expect_file(a, "misc.events.local", "sgx_epc.max 3\n");
	for (int i = 0; i < 9; i++)
		alloc_fails(t, EPC_NO_RECLAIM, -ENOMEM);
	expect_file(a, "misc.events", "sgx_epc.max 12\n");
	assert_int_equal(events_of(a, "misc.events.local"), 12);
	expect_usage(a, 0);
	expect_peak(a, 0); /* the failing level's peak is not raised */
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* min_max: the tightest limit from the cgroup to the root, on success. */
static void test_misc_try_charge_reports_tightest_limit(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_cgroup *c = make_cg(epc, "/A/C");
	uint64_t min_max = 0;

	(void)state;
	assert_int_equal(
		epc__cg_res_try_charge(c, EPC__RES_SGX_EPC, CAPACITY, PAGE, NULL, &min_max, NULL),
		0);
	CHECK(min_max == UINT64_MAX, "no level has a limit: the smallest max is max");
	CHECK_ERR(epc_cgroup_write(a, "misc.max", "sgx_epc 40960"), 0, "epc_cgroup_write");
	CHECK_ERR(epc_cgroup_write(c, "misc.max", "sgx_epc 81920"), 0, "epc_cgroup_write");
	assert_int_equal(
		epc__cg_res_try_charge(c, EPC__RES_SGX_EPC, CAPACITY, PAGE, NULL, &min_max, NULL),
		0);
	assert_int_equal(min_max, 40960);
	assert_int_equal(epc__cg_effective_max(c), 40960);
	assert_int_equal(raw_usage(c), 2 * PAGE);
	epc__cg_res_uncharge(c, EPC__RES_SGX_EPC, 2 * PAGE, &epc->log);
	assert_int_equal(raw_usage(a), 0);
	assert_int_equal(peak_of(a), 2 * PAGE);
	epc_destroy(epc);
}

/* -------------------------------------------- stocks (issue 17, misc.h) */

#define NR_STOCK_CPUS 4

/* One node of NPAGES pages, NR_STOCK_CPUS CPUs on it: one stock each. */
static struct epc *make_stock_epc(void)
{
	static const int cpu_to_node[NR_STOCK_CPUS] = {0, 0, 0, 0};
	struct topo tp = {.nr_nodes = 1,
			  .nr_cpus = NR_STOCK_CPUS,
			  .cpu_to_node = cpu_to_node,
			  .nr_sections = 1,
			  .pages = NPAGES};

	return make_topo(&tp);
}

static void set_max_pages(struct epc_cgroup *cg, uint64_t pages)
{
	char text[64];

	snprintf(text, sizeof(text), "sgx_epc %llu", (unsigned long long)(pages * PAGE));
	CHECK_EQ(epc_cgroup_write(cg, "misc.max", text), 0, "misc.max write");
}

/* Allocate and free one page on @t, @n times (the page goes to @t's stock). */
static void alloc_free(struct epc_task *t, int n)
{
	for (int i = 0; i < n; i++)
		epc_page_free(alloc_ok(t));
}

/*
 * Pages held by stocks are counted by the counter but not by misc.current:
 * a read in the middle of stocked charging is exact, and so is the root's.
 */
static void test_misc_stock_read_exact_mid_stock(void **state)
{
	struct epc *epc = make_stock_epc();
	struct epc_cgroup *r = epc_cgroup_root(epc), *a = make_cg(epc, "/A");
	struct epc_task *t = make_task(epc, a, 0);
	struct epc_page *p[10];
	struct epc_cgroup_stats st;

	(void)state;
	for (int i = 0; i < 10; i++)
		p[i] = alloc_ok(t);
	for (int i = 0; i < 10; i++)
		epc_page_free(p[i]);
	for (int i = 0; i < 3; i++)
		p[i] = alloc_ok(t);
	CHECK(raw_usage(a) > 3 * PAGE, "the stock holds charged pages (the test tests stocks)");
	CHECK_EQ(cg_usage(a), 3 * PAGE, "misc.current of A: its 3 pages, not its stock");
	CHECK_EQ(cg_usage(r), 3 * PAGE, "the root's too");
	CHECK_EQ(epc__cg_usage(a), 3 * PAGE, "the reclaimer's read too");
	CHECK_ERR(epc_cgroup_get_stats(a, &st, sizeof(st)), 0, "epc_cgroup_get_stats");
	CHECK_EQ(st.current, 3 * PAGE, "and the stats'");
	CHECK_EQ(peak_of(a), 10 * PAGE, "peak: the 10 pages held at once");
	assert_epc_consistent(epc); /* counter = pages + stocks, at every level */
	for (int i = 0; i < 3; i++)
		epc_page_free(p[i]);
	expect_usage(a, 0);
	expect_usage(r, 0);
	expect_peak(r, 10 * PAGE);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * Two CPUs' stocks hold all of A's limit, used by no page: a third CPU's
 * charges must drain them rather than be refused (no false refusal, no
 * event), and only a charge beyond the limit is refused, once.
 */
static void test_misc_stock_drained_before_refusal(void **state)
{
	struct epc *epc = make_stock_epc();
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_task *t0 = make_task(epc, a, 0), *t1 = make_task(epc, a, 1);
	struct epc_task *t2 = make_task(epc, a, 2);
	struct epc_page *p0, *p1, *q[2];

	(void)state;
	set_max_pages(a, 2);
	p0 = alloc_ok(t0);
	p1 = alloc_ok(t1); /* a new peak: drains (and forgets) CPU 0's stock */
	epc_page_free(p0);
	epc_page_free(p1);
	alloc_free(t0, 1); /* CPU 0 stocks again, within the peak */
	CHECK_EQ(raw_usage(a), 2 * PAGE, "CPUs 0 and 1 stock A's whole limit");
	expect_usage(a, 0);
	q[0] = alloc_ok(t2);
	q[1] = alloc_ok(t2);
	expect_events(a, 0, 0);
	expect_usage(a, 2 * PAGE);
	alloc_fails(t2, EPC_NO_RECLAIM, -ENOMEM);
	expect_events(a, 1, 1);
	/* and the stocks of CPUs 0 and 1 gave A's room back for good */
	epc_page_free(q[0]);
	epc_page_free(q[1]);
	p0 = alloc_ok(t0);
	p1 = alloc_ok(t1);
	alloc_fails(t2, EPC_NO_RECLAIM, -ENOMEM);
	expect_events(a, 2, 2);
	epc_page_free(p0);
	epc_page_free(p1);
	expect_usage(a, 0);
	expect_peak(a, 2 * PAGE);
	assert_epc_consistent(epc);
	epc_task_destroy(t0);
	epc_task_destroy(t1);
	epc_task_destroy(t2);
	epc_destroy(epc);
}

/*
 * misc.peak is never a stock's: one page charged and freed a hundred times
 * peaks at one page; a second CPU's page while the first CPU's stock holds
 * one is still one page in use (its stock is drained, not the peak raised);
 * two pages held at once by siblings are two, at the parent and the root.
 */
static void test_misc_stock_peak_never_inflated(void **state)
{
	struct epc *epc = make_stock_epc();
	struct epc_cgroup *r = epc_cgroup_root(epc), *a = make_cg(epc, "/A");
	struct epc_cgroup *b = make_cg(epc, "/A/B"), *c = make_cg(epc, "/A/C");
	struct epc_task *tb = make_task(epc, b, 0), *tc = make_task(epc, c, 1);
	struct epc_page *pb, *pc;

	(void)state;
	alloc_free(tb, 100);
	expect_peak(b, PAGE);
	expect_peak(a, PAGE);
	expect_peak(r, PAGE);
	CHECK_EQ(raw_usage(b), PAGE, "B's page sits in CPU 0's stock");
	alloc_free(tc, 100);
	expect_peak(c, PAGE);
	expect_peak(a, PAGE);
	expect_peak(r, PAGE);
	pb = alloc_ok(tb);
	pc = alloc_ok(tc);
	expect_peak(a, 2 * PAGE);
	expect_peak(r, 2 * PAGE);
	epc_page_free(pb);
	epc_page_free(pc);
	alloc_free(tb, 50);
	alloc_free(tc, 50);
	expect_peak(b, PAGE);
	expect_peak(c, PAGE);
	expect_peak(a, 2 * PAGE);
	expect_peak(r, 2 * PAGE);
	expect_usage(r, 0);
	assert_epc_consistent(epc);
	epc_task_destroy(tb);
	epc_task_destroy(tc);
	epc_destroy(epc);
}

/*
 * A misc.max write drains the stocks: pages stocked under the old limit
 * never pass the new one. A limit below the usage is accepted, as the
 * kernel's (behaviour 46), and the next charge is refused.
 */
static void test_misc_stock_max_write_drains(void **state)
{
	struct epc *epc = make_stock_epc();
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_task *t = make_task(epc, a, 0);
	struct epc_page *p[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		p[i] = alloc_ok(t);
	for (int i = 0; i < 4; i++)
		epc_page_free(p[i]);
	CHECK_EQ(raw_usage(a), 4 * PAGE, "CPU 0's stock holds 4 pages");
	set_max_pages(a, 2);
	CHECK_EQ(raw_usage(a), 0, "the write drained it");
	p[0] = alloc_ok(t);
	p[1] = alloc_ok(t);
	alloc_fails(t, EPC_NO_RECLAIM, -ENOMEM);
	expect_events(a, 1, 1);
	set_max_pages(a, 1); /* below the usage */
	expect_usage(a, 2 * PAGE);
	alloc_fails(t, EPC_NO_RECLAIM, -ENOMEM);
	expect_events(a, 2, 2);
	epc_page_free(p[0]);
	alloc_fails(t, EPC_NO_RECLAIM, -ENOMEM); /* still at 1 page: refused */
	epc_page_free(p[1]);
	p[0] = alloc_ok(t);
	expect_usage(a, PAGE);
	expect_events(a, 3, 3);
	epc_page_free(p[0]);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * Removal drains the stocks that cache the cgroup: with no page left it is
 * reaped at once (it does not look charged for ever); with a page left it
 * is dying, its usage that page alone, and reaped when the page goes.
 */
static void test_misc_stock_removal_reaps(void **state)
{
	struct epc *epc = make_stock_epc();
	struct epc_cgroup *r = epc_cgroup_root(epc), *d = make_cg(epc, "/D");
	struct epc_cgroup *e = make_cg(epc, "/E");
	struct epc_task *t = make_task(epc, d, 0);
	struct epc_page *p;

	(void)state;
	alloc_free(t, 3);
	CHECK(raw_usage(d) > 0, "CPU 0's stock caches D");
	CHECK_ERR(epc_task_move(t, e), 0, "epc_task_move");
	CHECK_ERR(epc_cgroup_remove(d), 0, "epc_cgroup_remove");
	CHECK_EQ(raw_usage(r), 0, "its stocked page went back to the root");
	CHECK_ERR(epc_cgroup_put(d), 0, "epc_cgroup_put");
	CHECK_EQ(atomic_load(&epc->cgroups.nr_dying), 0, "D reaped with its handle");

	/* E: one page held, one stocked, then removed */
	p = alloc_ok(t);
	alloc_free(t, 1);
	epc_page_free(alloc_ok(t));
	CHECK(raw_usage(e) > PAGE || cg_usage(e) == PAGE, "E's stock at work");
	CHECK_ERR(epc_task_move(t, r), 0, "epc_task_move");
	CHECK_ERR(epc_cgroup_remove(e), 0, "epc_cgroup_remove");
	CHECK_ERR(epc_cgroup_put(e), 0, "epc_cgroup_put");
	CHECK_EQ(atomic_load(&epc->cgroups.nr_dying), 1, "E dying: a page is still charged");
	CHECK_EQ(raw_usage(r), PAGE, "the root's counter: that page, no stock of E");
	expect_usage(r, PAGE);
	assert_epc_consistent(epc);
	epc_page_free(p);
	CHECK_EQ(atomic_load(&epc->cgroups.nr_dying), 0, "E reaped with its last page");
	expect_usage(r, 0);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * A task that moves leaves its CPU's stock caching the old cgroup: the next
 * charge in the new one gives the old one's stocked pages back, so both
 * read and count exactly.
 */
static void test_misc_stock_task_move(void **state)
{
	struct epc *epc = make_stock_epc();
	struct epc_cgroup *a = make_cg(epc, "/A"), *b = make_cg(epc, "/B");
	struct epc_task *t = make_task(epc, a, 0);
	struct epc_page *p;

	(void)state;
	alloc_free(t, 5);
	CHECK_EQ(raw_usage(a), PAGE, "A's page in CPU 0's stock");
	CHECK_ERR(epc_task_move(t, b), 0, "epc_task_move");
	p = alloc_ok(t);
	CHECK_EQ(raw_usage(a), 0, "the stock switched to B and gave A's page back");
	expect_usage(a, 0);
	expect_usage(b, PAGE);
	assert_epc_consistent(epc);
	/* a page of A freed while the stock caches B goes straight back to A */
	CHECK_ERR(epc_task_move(t, a), 0, "epc_task_move");
	epc_page_free(p);
	expect_usage(b, 0);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_misc_b45_max_write_table),
		cmocka_unit_test(test_misc_parse_max_values),
		cmocka_unit_test(test_misc_kstrtou64),
		cmocka_unit_test(test_misc_max_write_kernel_isspace),
		cmocka_unit_test(test_misc_file_texts_root),
		cmocka_unit_test(test_misc_b47_file_texts_nonroot_defaults),
		cmocka_unit_test(test_misc_read_enospc_boundaries),
		cmocka_unit_test(test_misc_file_lookup_table),
		cmocka_unit_test(test_misc_b36_peak_rises),
		cmocka_unit_test(test_misc_b37_fail_at_parent_counts_events),
		cmocka_unit_test(test_misc_b38_fail_at_self_counts_events),
		cmocka_unit_test(test_misc_b39_peak_quirk_transient_value),
		cmocka_unit_test(test_misc_b40_fail_at_capacity_invisible),
		cmocka_unit_test(test_misc_b40_capacity_checked_at_every_level),
		cmocka_unit_test(test_misc_b41_capacity_zero),
		cmocka_unit_test(test_misc_b42_charge_zero_bytes),
		cmocka_unit_test(test_misc_b43_uncharge_below_zero_warns_once),
		cmocka_unit_test(test_misc_b44_limit_12345_holds_3_pages),
		cmocka_unit_test(test_misc_b45_spec_examples),
		cmocka_unit_test(test_misc_b46_max_below_usage),
		cmocka_unit_test(test_misc_b48_limit_above_capacity),
		cmocka_unit_test(test_misc_b49_events_text_exact),
		cmocka_unit_test(test_misc_try_charge_reports_tightest_limit),
		cmocka_unit_test(test_misc_stock_read_exact_mid_stock),
		cmocka_unit_test(test_misc_stock_drained_before_refusal),
		cmocka_unit_test(test_misc_stock_peak_never_inflated),
		cmocka_unit_test(test_misc_stock_max_write_drains),
		cmocka_unit_test(test_misc_stock_removal_reaps),
		cmocka_unit_test(test_misc_stock_task_move),
	};

	return cmocka_run_group_tests_name("misc", tests, NULL, NULL);
}
