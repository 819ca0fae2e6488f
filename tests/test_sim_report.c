// SPDX-License-Identifier: MIT
/*
 * test_sim_report.c - the report's number formats: thousands separators
 * (also when the buffer is short: cut, never overrun) and sizes in binary
 * units, exact when whole and to one decimal otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "report.h"

static void test_sim_report_counts(void **state)
{
	char buf[32], small[5];

	(void)state;
	sim_fmt_count(buf, sizeof(buf), 0);
	assert_string_equal(buf, "0");
	sim_fmt_count(buf, sizeof(buf), 999);
	assert_string_equal(buf, "999");
	sim_fmt_count(buf, sizeof(buf), 1000);
	assert_string_equal(buf, "1,000");
	sim_fmt_count(buf, sizeof(buf), 1234567);
	assert_string_equal(buf, "1,234,567");
	sim_fmt_count(buf, sizeof(buf), UINT64_MAX);
	assert_string_equal(buf, "18,446,744,073,709,551,615");
	memset(small, 'x', sizeof(small));
	sim_fmt_count(small, sizeof(small), 1234567);
	assert_string_equal(small, "1,23");
}

static void test_sim_report_sizes(void **state)
{
	char buf[32];

	(void)state;
	sim_fmt_size(buf, sizeof(buf), 0);
	assert_string_equal(buf, "0 B");
	sim_fmt_size(buf, sizeof(buf), 4096);
	assert_string_equal(buf, "4 KiB");
	sim_fmt_size(buf, sizeof(buf), 64ULL << 20);
	assert_string_equal(buf, "64 MiB");
	sim_fmt_size(buf, sizeof(buf), (64ULL << 20) + (1ULL << 19));
	assert_string_equal(buf, "64.5 MiB");
	sim_fmt_size(buf, sizeof(buf), 1ULL << 40);
	assert_string_equal(buf, "1 TiB");
	sim_fmt_size(buf, sizeof(buf), 1023);
	assert_string_equal(buf, "1023 B");
}

/* A rate that rounds to 0.00% but has faults does not say 0.00%. */
static void test_sim_report_rates(void **state)
{
	char buf[32];

	(void)state;
	sim_fmt_rate(buf, sizeof(buf), 0, 0);
	assert_string_equal(buf, "0.00%");
	sim_fmt_rate(buf, sizeof(buf), 533, 533.0 / 20000000);
	assert_string_equal(buf, "<0.01%");
	sim_fmt_rate(buf, sizeof(buf), 1, 0.0001);
	assert_string_equal(buf, "0.01%");
	sim_fmt_rate(buf, sizeof(buf), 5862, 0.014655);
	assert_string_equal(buf, "1.47%");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_report_counts),
		cmocka_unit_test(test_sim_report_sizes),
		cmocka_unit_test(test_sim_report_rates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
