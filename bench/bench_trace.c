// SPDX-License-Identifier: MIT
/*
 * bench_trace.c - trace records replayed per second from the compact format
 * (DESIGN §8 / issue 10: >= 5 M records/s), and for reference how fast the
 * readers take in Lackey text and compact files (the pre-scan at open).
 *
 *   bench_trace [SORT_TRACE]
 *
 * Traces:
 *  - sort: scenarios/traces/sort.trace, a real program (GNU sort over 500
 *    lines): code and data pages alternate, 1.8 accesses a run;
 *  - uniform: 4 M accesses to pages drawn uniformly from 65,536 (no runs,
 *    deltas of 2-3 varint bytes: the worst case for the decoder);
 *  - sequential: 4 M accesses, each page 16 times in a row (runs).
 * A replay is sim_trace_next() until the end, summing the pages (so the
 * compiler keeps the loop) after a rewind. Method: replays are repeated
 * until one run takes >= RUN_SECONDS, RUNS runs, the median reported, in
 * thread CPU time (time spent waiting for a CPU that another process holds
 * is not counted). Exit status 1 if a replay returns the wrong count or a
 * figure misses its target.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_stat.h"
#include "trace.h"

#define RUNS		  5
#define RUN_SECONDS	  0.2
#define SYNTH_ACCESSES	  (4u << 20)
#define UNIFORM_PAGES	  65536
#define TARGET_REPLAY_MPS 5.0
#define LACKEY_TEXT_LINES (2u << 20)

static double cpu_seconds(void)
{
	return (double)bench_thread_cpu_ns() * 1e-9;
}

static bool failed;

/* One replay of @t; its records. */
static uint64_t replay(struct sim_trace *t, uint64_t *sink)
{
	uint64_t page, n = 0, sum = 0;
	bool write;

	sim_trace_rewind(t);
	while (sim_trace_next(t, &page, &write) == 1) {
		sum += page + write;
		n++;
	}
	*sink += sum;
	return n;
}

/* Median records per second replaying @t. */
static double bench_replay(struct sim_trace *t)
{
	double rates[RUNS];
	uint64_t sink = 0, per = sim_trace_nr_records(t);
	int reps = 1;

	for (;;) { /* calibrate */
		double t0 = cpu_seconds();

		for (int i = 0; i < reps; i++)
			if (replay(t, &sink) != per)
				failed = true;
		if (cpu_seconds() - t0 >= RUN_SECONDS / 4 || reps > (1 << 20))
			break;
		reps *= 2;
	}
	reps *= 4;
	for (int r = 0; r < RUNS; r++) {
		double t0 = cpu_seconds(), dt;

		for (int i = 0; i < reps; i++)
			if (replay(t, &sink) != per)
				failed = true;
		dt = cpu_seconds() - t0;
		rates[r] = (double)per * reps / dt;
	}
	if (sink == 42) /* keep the sums alive */
		printf(" ");
	return bench_median(rates, RUNS);
}

static struct sim_trace *open_text(const char *text, size_t len, const char *name)
{
	struct sim_trace *t;
	char err[512];

	if (sim_trace_open_buffer(text, len, name, &t, err, sizeof(err))) {
		fprintf(stderr, "bench_trace: %s\n", err);
		exit(1);
	}
	return t;
}

/* A plain trace of @n accesses; page i from @page_of. */
static struct sim_trace *synth(const char *name, uint64_t (*page_of)(uint64_t i, uint64_t *rng))
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	struct sim_trace *t;

	for (uint64_t i = 0; i < SYNTH_ACCESSES; i++)
		fprintf(f, "0x%" PRIx64 "%s\n", page_of(i, &rng) << 12, i % 5 == 0 ? " W" : "");
	fclose(f);
	t = open_text(text, len, name);
	free(text);
	return t;
}

static uint64_t uniform_page(uint64_t i, uint64_t *rng)
{
	(void)i;
	*rng ^= *rng << 13;
	*rng ^= *rng >> 7;
	*rng ^= *rng << 17;
	return *rng % UNIFORM_PAGES;
}

static uint64_t sequential_page(uint64_t i, uint64_t *rng)
{
	(void)rng;
	return i / 16;
}

/* Seconds per open of @len bytes at @data (median). */
static double bench_open(const char *data, size_t len)
{
	double secs[RUNS];

	for (int r = 0; r < RUNS; r++) {
		double t0 = cpu_seconds();

		sim_trace_close(open_text(data, len, "open"));
		secs[r] = cpu_seconds() - t0;
	}
	return bench_median(secs, RUNS);
}

static void row(const char *name, struct sim_trace *t)
{
	double mps = bench_replay(t) / 1e6;
	bool ok = mps >= TARGET_REPLAY_MPS;

	printf("%-12s %12" PRIu64 " %10" PRIu64 " %8" PRIu64 " %11.2f %11.1f   %s\n", name,
	       sim_trace_nr_records(t), sim_trace_nr_entries(t), sim_trace_nr_pages(t),
	       (double)sim_trace_compact_size(t) / (double)sim_trace_nr_records(t), mps,
	       ok ? "ok" : "MISSED");
	if (!ok)
		failed = true;
}

int main(int argc, char **argv)
{
	const char *sort_path = argc > 1 ? argv[1] : "scenarios/traces/sort.trace";
	struct sim_trace *sort = NULL, *uni, *seq;
	char err[512], *text = NULL, *compact = NULL;
	size_t len = 0, clen = 0;
	FILE *f;
	double secs;

	printf("bench_trace: compact trace replay (sim_trace_next), target >= %.0f M records/s\n"
	       "  median of %d runs, thread CPU time\n\n",
	       TARGET_REPLAY_MPS, RUNS);
	printf("%-12s %12s %10s %8s %11s %11s\n", "trace", "records", "runs", "pages", "bytes/rec",
	       "M rec/s");
	if (sim_trace_open(sort_path, &sort, err, sizeof(err)))
		fprintf(stderr, "bench_trace: %s (the sort row is left out)\n", err);
	else
		row("sort", sort);
	uni = synth("uniform", uniform_page);
	row("uniform", uni);
	seq = synth("sequential", sequential_page);
	row("sequential", seq);

	/* the readers: Lackey text parsed at open, and a compact file checked at open */
	f = open_memstream(&text, &len);
	for (uint32_t i = 0; i < LACKEY_TEXT_LINES; i++) {
		uint64_t a = 0x4000000 + ((uint64_t)(i * 2654435761u) % (1u << 24));

		if (i % 2)
			fprintf(f, " %c %09" PRIx64 ",8\n", i % 6 == 1 ? 'S' : 'L', a);
		else
			fprintf(f, "I  %08x,%u\n", 0x401000 + (i % 4000), 1 + i % 7);
	}
	fclose(f);
	secs = bench_open(text, len);
	printf("\nopen, Lackey text:  %.1f M lines/s (%.0f MB/s)\n", LACKEY_TEXT_LINES / secs / 1e6,
	       (double)len / secs / 1e6);
	f = open_memstream(&compact, &clen);
	sim_trace_write(uni, f);
	fclose(f);
	secs = bench_open(compact, clen);
	printf("open, compact file: %.1f M records/s checked (the uniform trace)\n",
	       (double)sim_trace_nr_records(uni) / secs / 1e6);

	free(text);
	free(compact);
	sim_trace_close(seq);
	sim_trace_close(uni);
	sim_trace_close(sort);
	if (failed)
		printf("\nbench_trace: a replay count was wrong or a target was missed\n");
	return failed ? 1 : 0;
}
