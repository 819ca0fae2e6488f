/* SPDX-License-Identifier: MIT */
/*
 * say.h - the daemon's log lines: one line on stderr, "epcmm daemon: ...",
 * which the journal takes when it runs as a service. For the files of live/
 * that log (the daemon's loop, the FUSE mount).
 */
#ifndef EPCMM_LIVE_SAY_H
#define EPCMM_LIVE_SAY_H

#include <stdarg.h>
#include <stdio.h>

#define LIVE_SAY_MAX 512 /* longer lines are cut */

static inline void live_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void live_say(const char *fmt, ...)
{
	char line[LIVE_SAY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "epcmm daemon: %s\n", line);
}

#endif
