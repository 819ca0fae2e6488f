/* SPDX-License-Identifier: MIT */
/*
 * trace.h - memory traces of real programs as enclave accesses (the trace
 * readers: Valgrind Lackey, plain, compact). Declared here so the engine can
 * use them; sim/trace.c implements them.
 */
#ifndef EPCMM_SIM_TRACE_H
#define EPCMM_SIM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_trace;
/* Opens FILE, detects the format (Lackey, plain, compact), pre-scans so the counts are known.
 * Return 0 or -errno; on error a message naming file:line and what is wrong in err. */
int sim_trace_open(const char *path, struct sim_trace **out, char *err, size_t errlen);
uint64_t sim_trace_nr_pages(const struct sim_trace *t);	  /* distinct pages */
uint64_t sim_trace_nr_records(const struct sim_trace *t); /* accesses */
/* Next access: page index in order of first touch (0..nr_pages-1) and whether it writes.
 * Return 1 a record, 0 end, -errno error. */
int sim_trace_next(struct sim_trace *t, uint64_t *page, bool *write);
int sim_trace_rewind(struct sim_trace *t);
void sim_trace_close(struct sim_trace *t);

#endif
