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
	fmt_count(buf, sizeof(buf), 0);
	assert_string_equal(buf, "0");
	fmt_count(buf, sizeof(buf), 999);
	assert_string_equal(buf, "999");
	fmt_count(buf, sizeof(buf), 1000);
	assert_string_equal(buf, "1,000");
	fmt_count(buf, sizeof(buf), 1234567);
	assert_string_equal(buf, "1,234,567");
	fmt_count(buf, sizeof(buf), UINT64_MAX);
	assert_string_equal(buf, "18,446,744,073,709,551,615");
	memset(small, 'x', sizeof(small));
	fmt_count(small, sizeof(small), 1234567);
	assert_string_equal(small, "1,23");
}

static void test_sim_report_sizes(void **state)
{
	char buf[32];

	(void)state;
	fmt_size(buf, sizeof(buf), 0);
	assert_string_equal(buf, "0 B");
	fmt_size(buf, sizeof(buf), 4096);
	assert_string_equal(buf, "4 KiB");
	fmt_size(buf, sizeof(buf), 64ULL << 20);
	assert_string_equal(buf, "64 MiB");
	fmt_size(buf, sizeof(buf), (64ULL << 20) + (1ULL << 19));
	assert_string_equal(buf, "64.5 MiB");
	fmt_size(buf, sizeof(buf), 1ULL << 40);
	assert_string_equal(buf, "1 TiB");
	fmt_size(buf, sizeof(buf), 1023);
	assert_string_equal(buf, "1023 B");
}

/* Rates print with the digits a decision needs: two decimals from 1%, two
 * significant digits below (never "<0.01%"), and no faults as "0". */
static void test_sim_report_rates(void **state)
{
	static const struct {
		uint64_t faults;
		double rate;
		const char *want;
	} cases[] = {
		{0, 0, "0"},
		{533, 533.0 / 20000000, "0.0027%"},
		{1, 0.0001, "0.010%"},
		{1, 1e-12, "0.00000000010%"},
		{3132, 0.0062, "0.62%"},
		{5862, 0.014655, "1.47%"},
		{44000, 0.88, "88.00%"},
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fmt_rate(buf, sizeof(buf), cases[i].faults, cases[i].rate);
		if (strcmp(buf, cases[i].want))
			fail_msg("rate %g (%llu faults): '%s', expected '%s'", cases[i].rate,
				 (unsigned long long)cases[i].faults, buf, cases[i].want);
	}
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
