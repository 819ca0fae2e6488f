/* SPDX-License-Identifier: MIT */
/*
 * check.h - the assertions every cmocka suite uses, with a message that names
 * what was expected. Needs only cmocka: suites linked against the public
 * libraries alone (the simulator's, the live daemon's, the ABI check) include
 * this; the library's own suites get it through helpers.h.
 */
#ifndef EPCMM_TESTS_CHECK_H
#define EPCMM_TESTS_CHECK_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define CHECK_EQ(got, want, what)                                                                  \
	do {                                                                                       \
		long long got_ = (long long)(got), want_ = (long long)(want);                      \
		if (got_ != want_)                                                                 \
			fail_msg("%s: got %lld, expected %lld", (what), got_, want_);              \
	} while (0)
#define CHECK(cond, what)                                                                          \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fail_msg("%s (failed: %s)", (what), #cond);                                \
	} while (0)

#endif
