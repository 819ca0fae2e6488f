// SPDX-License-Identifier: MIT
/*
 * source_trace_none.c - stands in for source_trace.c in a build without the
 * trace readers (sim/trace.c): a trace pattern is then a clear error.
 */
#include <errno.h>
#include <stdio.h>

#include "pattern.h"

int sim_source_trace_open(struct sim_source *src, const char *path, char *err, size_t errlen)
{
	(void)src;
	snprintf(err, errlen, "%s: trace patterns need the trace readers, which this build lacks",
		 path);
	return -EOPNOTSUPP;
}

int sim_source_trace_next(struct sim_source *src, uint64_t *page, bool *write)
{
	(void)src;
	(void)page;
	(void)write;
	return -EOPNOTSUPP;
}

void sim_source_trace_close(struct sim_source *src)
{
	(void)src;
}

int sim_trace_probe(const char *path, uint64_t *nr_pages, uint64_t *nr_records, char *err,
		    size_t errlen)
{
	(void)nr_pages;
	(void)nr_records;
	snprintf(err, errlen, "%s: trace patterns need the trace readers, which this build lacks",
		 path);
	return -EOPNOTSUPP;
}
