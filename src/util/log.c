// SPDX-License-Identifier: MIT
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>

void epc__log(const struct epc__log *log, int level, const char *fmt, ...)
{
	char line[EPC__LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log && log->fn)
		log->fn(level, line, log->arg);
	else if (level <= LOG_WARNING)
		fprintf(stderr, "epcmm: %s\n", line);
}
