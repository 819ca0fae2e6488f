// SPDX-License-Identifier: MIT
/*
 * err.c - the simulator's error messages (err.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "err.h"

int sim_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}
