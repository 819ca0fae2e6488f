// SPDX-License-Identifier: MIT
/*
 * source_trace.c - `pattern = trace:FILE`: a thread replays the trace from its
 * start, and again from the start when it runs out, until its share of the
 * enclave's accesses is done. Built only with the trace readers (trace.c).
 */
#include <errno.h>
#include <stdio.h>

#include "pattern.h"
#include "trace.h"

int sim_source_trace_open(struct sim_source *src, const char *path, char *err, size_t errlen)
{
	return sim_trace_open(path, &src->trace, err, errlen);
}

int sim_source_trace_next(struct sim_source *src, uint64_t *page, bool *write)
{
	int ret = sim_trace_next(src->trace, page, write);

	if (ret == 0) { /* the end: replay it again */
		ret = sim_trace_rewind(src->trace);
		if (ret)
			return ret;
		ret = sim_trace_next(src->trace, page, write);
	}
	if (ret == 1 && *page >= src->nr_pages)
		return -ERANGE; /* the reader broke its contract */
	return ret == 1 ? 0 : ret < 0 ? ret : -EIO;
}

void sim_source_trace_close(struct sim_source *src)
{
	sim_trace_close(src->trace);
	src->trace = NULL;
}

int sim_trace_probe(const char *path, uint64_t *nr_pages, uint64_t *nr_records, char *err,
		    size_t errlen)
{
	struct sim_trace *t;
	int ret = sim_trace_open(path, &t, err, errlen);

	if (ret)
		return ret;
	*nr_pages = sim_trace_nr_pages(t);
	*nr_records = sim_trace_nr_records(t);
	sim_trace_close(t);
	if (*nr_pages == 0) {
		snprintf(err, errlen, "%s: the trace has no accesses", path);
		return -EINVAL;
	}
	return 0;
}
