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
#include <stdio.h>
#include <string.h>

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

/*
 * Checks inside a loop: a failure names the expression and the loop's index
 * ("epc_page_node(pages[i]) at i = 3: got 1, expected 0"), and an expected
 * value spelled -EXXX gets the errno names too.
 */
#define CHECK_EQ_AT(got, want, idx)                                                                \
	do {                                                                                       \
		long long got_ = (long long)(got), want_ = (long long)(want);                      \
		if (got_ != want_)                                                                 \
			fail_msg("%s at %s = %lld: got %lld%s%s%s, expected %lld%s%s%s", #got,     \
				 #idx, (long long)(idx), got_, CHECK_ERRNAME_(#want, got_), want_, \
				 CHECK_ERRNAME_(#want, want_));                                    \
	} while (0)
#define CHECK_AT(cond, idx)                                                                        \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fail_msg("failed: %s at %s = %lld", #cond, #idx, (long long)(idx));        \
	} while (0)
/* " (EBUSY)" after a value when the expected one is spelled -EXXX, else "". */
#define CHECK_ERRNAME_(want_text, v)                                                               \
	check_is_errno_text(want_text) ? " (" : "",                                                \
		check_is_errno_text(want_text) ? check_errname(v) : "",                            \
		check_is_errno_text(want_text) ? ")" : ""

static inline int check_is_errno_text(const char *t)
{
	return t[0] == '-' && t[1] == 'E';
}

/* A 0-or-negative-errno result: a failure names both errors
 * ("epc_reclaim: got -16 (EBUSY), expected 0 (success)"). */
#define CHECK_ERR(got, want, what)                                                                 \
	do {                                                                                       \
		long long got_ = (long long)(got), want_ = (long long)(want);                      \
		if (got_ != want_)                                                                 \
			fail_msg("%s: got %lld (%s), expected %lld (%s)", (what), got_,            \
				 check_errname(got_), want_, check_errname(want_));                \
	} while (0)

static inline const char *check_errname(long long r)
{
	const char *name = r < 0 && r > -4096 ? strerrorname_np((int)-r) : NULL;

	return name ? name : r == 0 ? "success" : "not an errno";
}

/*
 * A message with values in it, for a check in a loop ("page 7") or one whose
 * numbers explain: CHECK_EQ(x, 0, check_fmt("node %d", n)). Formatted only
 * when the check fails (the what argument is evaluated then); the test
 * thread's only: one buffer per suite.
 */
__attribute__((format(printf, 1, 2))) static inline const char *check_fmt(const char *fmt, ...)
{
	static char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return buf;
}

#endif
