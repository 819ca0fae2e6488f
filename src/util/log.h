/* SPDX-License-Identifier: MIT */
/*
 * log.h - every log line goes through the config's callback with a syslog
 * level; without one, LOG_WARNING and worse go to stderr as "epcmm: <msg>".
 * Lines are formatted into a bounded stack buffer (EPC__LOG_LINE_MAX) and
 * truncated beyond it; logging never allocates and never fails.
 */
#ifndef EPC_UTIL_LOG_H
#define EPC_UTIL_LOG_H

#include <syslog.h>

#define EPC__LOG_LINE_MAX 512

struct epc__log {
	void (*fn)(int level, const char *msg, void *arg); /* read-only after init */
	void *arg;
};

__attribute__((format(printf, 3, 4))) void epc__log(const struct epc__log *log, int level,
						    const char *fmt, ...);

#endif
