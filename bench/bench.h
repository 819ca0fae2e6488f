/* SPDX-License-Identifier: MIT */
/*
 * bench.h - what every benchmark shares: a clock, pinned threads started
 * together, calibration to a time budget, medians, and machine facts.
 *
 * Method (docs/PERFORMANCE.md): a run is N operations per thread, N
 * calibrated so that a run takes about bench_opts.run_seconds; a figure is
 * the median of bench_opts.runs runs. The cases of one table are measured
 * side by side (bench_measure_group(): each round runs every case once), so
 * that ratios between them can be taken round by round. Threads are pinned with
 * pthread_setaffinity_np (thread i on CPU i) and released together by a
 * barrier. Per-thread figures use each thread's own CPU time (so time spent
 * waiting for a CPU that another process holds is not counted); aggregate
 * throughput uses the wall time from the first thread's start to the last
 * thread's end. The share of wall time the threads were on a CPU is kept as
 * a noise indicator: near 100% on a quiet machine.
 */
#ifndef EPCMM_BENCH_H
#define EPCMM_BENCH_H

#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_stat.h"
#include "mm/mm.h"

#define BENCH_MAX_THREADS 2
/* Tunable: the calibration pass grows N until a run takes at least this. */
#define BENCH_CALIBRATE_SECONDS 0.05

/* Keep @p alive and make the compiler assume memory was read and written. */
#define bench_keep(p) __asm__ volatile("" : : "r"(p) : "memory")

/*
 * @n uncharged alloc+free pairs through the allocator alone (epc__mm_alloc and
 * epc__mm_free) as CPU @cpu. Return: the allocations that failed.
 */
static inline uint64_t bench_mm_pairs(struct epc__mm *mm, int cpu, uint64_t n)
{
	uint64_t failed = 0;

	for (uint64_t i = 0; i < n; i++) {
		struct epc_page *p;

		if (epc__mm_alloc(mm, cpu, &p)) {
			failed++;
			continue;
		}
		bench_keep(p);
		epc__mm_free(mm, p);
	}
	return failed;
}

struct bench_opts {
	int runs;	    /* runs per figure (the median is reported) */
	double run_seconds; /* target length of one run */
};

/* Pin the calling thread to @cpu. Return: 0; a positive errno. */
static inline int bench_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* The body of a measurement: @n operations on thread @tid. */
typedef void (*bench_loop_fn)(void *arg, int tid, uint64_t n);

struct bench_thread {
	pthread_t th;
	int tid;
	bench_loop_fn fn;
	void *arg;
	uint64_t n;
	pthread_barrier_t *start;
	uint64_t t0, t1; /* wall clock */
	uint64_t c0, c1; /* this thread's CPU time */
	int pin_err;
};

static inline void *bench_thread_main(void *a)
{
	struct bench_thread *t = a;

	t->pin_err = bench_pin(t->tid);
	pthread_barrier_wait(t->start);
	t->t0 = bench_now_ns();
	t->c0 = bench_thread_cpu_ns();
	t->fn(t->arg, t->tid, t->n);
	t->c1 = bench_thread_cpu_ns();
	t->t1 = bench_now_ns();
	return NULL;
}

/*
 * One run's outcome. ns_per_op counts each thread's CPU time, not its wall
 * time: on a shared machine a thread that waits for a CPU is not charged for
 * the wait (on a quiet machine the two agree; @on_cpu says how far apart
 * they were). The aggregate throughput is wall-clock based.
 */
struct bench_run {
	double ns_per_op; /* mean over threads of (own CPU time / n) */
	double wall_ns;	  /* first start to last end */
	double mops;	  /* aggregate: nthreads * n / wall, in millions per second */
	double on_cpu;	  /* sum of thread CPU times / sum of thread wall times */
};

/* Run @fn on @nthreads pinned threads, @n operations each. Exits on failure. */
static inline struct bench_run bench_run_once(int nthreads, bench_loop_fn fn, void *arg, uint64_t n)
{
	struct bench_thread t[BENCH_MAX_THREADS];
	pthread_barrier_t start;
	uint64_t first = UINT64_MAX, last = 0;
	struct bench_run r = {0};
	double cpu = 0, wall = 0;

	pthread_barrier_init(&start, NULL, (unsigned)nthreads);
	for (int i = 0; i < nthreads; i++) {
		t[i] = (struct bench_thread){
			.tid = i, .fn = fn, .arg = arg, .n = n, .start = &start};
		if (pthread_create(&t[i].th, NULL, bench_thread_main, &t[i])) {
			fprintf(stderr, "bench: pthread_create failed\n");
			exit(1);
		}
	}
	for (int i = 0; i < nthreads; i++) {
		pthread_join(t[i].th, NULL);
		if (t[i].pin_err) {
			fprintf(stderr, "bench: cannot pin thread %d to CPU %d: %s\n", i, i,
				strerror(t[i].pin_err));
			exit(1);
		}
		r.ns_per_op += (double)(t[i].c1 - t[i].c0) / (double)n / nthreads;
		cpu += (double)(t[i].c1 - t[i].c0);
		wall += (double)(t[i].t1 - t[i].t0);
		if (t[i].t0 < first)
			first = t[i].t0;
		if (t[i].t1 > last)
			last = t[i].t1;
	}
	pthread_barrier_destroy(&start);
	r.wall_ns = (double)(last - first);
	r.mops = (double)n * nthreads / r.wall_ns * 1e3;
	r.on_cpu = wall > 0 ? cpu / wall : 1;
	return r;
}

/* The median figures of one measurement, and how many operations ran in all. */
struct bench_result {
	double ns_per_op; /* per thread */
	double mops;	  /* aggregate */
	double spread;	  /* (max - min) / median of ns_per_op over the runs */
	double on_cpu;	  /* median share of wall time the threads were on a CPU */
	uint64_t n;	  /* operations per thread per run */
	uint64_t total;	  /* operations over every thread and run, calibration included */
};

#define BENCH_MAX_RUNS 64

/*
 * One case of a group measured side by side: set @nthreads, @fn and @arg;
 * bench_measure_group() fills in the rest. The per-run figures stay, so that
 * callers can take ratios of two cases run by run (run i of every case ran
 * in the same round, close in time).
 */
struct bench_case {
	int nthreads;
	bench_loop_fn fn;
	void *arg;
	struct bench_result res;
	double ns[BENCH_MAX_RUNS], mops[BENCH_MAX_RUNS], on_cpu[BENCH_MAX_RUNS];
};

/* Grow N until a run takes BENCH_CALIBRATE_SECONDS, then scale it to @seconds. */
static inline uint64_t bench_calibrate(struct bench_case *c, double seconds)
{
	uint64_t n = 1 << 12;
	struct bench_run r;

	for (;;) {
		r = bench_run_once(c->nthreads, c->fn, c->arg, n);
		c->res.total += n * (uint64_t)c->nthreads;
		if (r.wall_ns >= BENCH_CALIBRATE_SECONDS * 1e9 || n >= (1ull << 40))
			break;
		n *= 4;
	}
	n = (uint64_t)((double)n * seconds * 1e9 / r.wall_ns);
	return n ? n : 1;
}

/*
 * Measure @nr cases side by side: calibrate each, then o->runs rounds, each
 * running every case once in turn. A slow drift of the machine's load then
 * hits every case alike, and per-round ratios cancel most of it.
 */
static inline void bench_measure_group(const struct bench_opts *o, struct bench_case *c, int nr)
{
	int runs = o->runs < BENCH_MAX_RUNS ? o->runs : BENCH_MAX_RUNS;

	for (int k = 0; k < nr; k++) {
		memset(&c[k].res, 0, sizeof(c[k].res));
		c[k].res.n = bench_calibrate(&c[k], o->run_seconds);
	}
	for (int i = 0; i < runs; i++)
		for (int k = 0; k < nr; k++) {
			struct bench_run r =
				bench_run_once(c[k].nthreads, c[k].fn, c[k].arg, c[k].res.n);

			c[k].res.total += c[k].res.n * (uint64_t)c[k].nthreads;
			c[k].ns[i] = r.ns_per_op;
			c[k].mops[i] = r.mops;
			c[k].on_cpu[i] = r.on_cpu;
		}
	for (int k = 0; k < nr; k++) {
		double tmp[BENCH_MAX_RUNS], lo = 1e300, hi = 0;

		for (int i = 0; i < runs; i++) {
			lo = c[k].ns[i] < lo ? c[k].ns[i] : lo;
			hi = c[k].ns[i] > hi ? c[k].ns[i] : hi;
		}
		memcpy(tmp, c[k].ns, sizeof(double) * (size_t)runs);
		c[k].res.ns_per_op = bench_median(tmp, runs);
		memcpy(tmp, c[k].mops, sizeof(double) * (size_t)runs);
		c[k].res.mops = bench_median(tmp, runs);
		memcpy(tmp, c[k].on_cpu, sizeof(double) * (size_t)runs);
		c[k].res.on_cpu = bench_median(tmp, runs);
		c[k].res.spread = (hi - lo) / c[k].res.ns_per_op;
	}
}

/* Median over the runs of a's figure / b's figure (ns per op, or throughput with @mops). */
static inline double bench_ratio(const struct bench_opts *o, const struct bench_case *a,
				 const struct bench_case *b, bool mops)
{
	int runs = o->runs < BENCH_MAX_RUNS ? o->runs : BENCH_MAX_RUNS;
	double v[BENCH_MAX_RUNS];

	for (int i = 0; i < runs; i++)
		v[i] = mops ? a->mops[i] / b->mops[i] : a->ns[i] / b->ns[i];
	return bench_median(v, runs);
}

/* One case on its own. */
static inline struct bench_result bench_measure(const struct bench_opts *o, int nthreads,
						bench_loop_fn fn, void *arg)
{
	struct bench_case c = {.nthreads = nthreads, .fn = fn, .arg = arg};

	bench_measure_group(o, &c, 1);
	return c.res;
}

/*
 * Below this share of wall time on a CPU, the threads of a 2-thread figure
 * did not really run at the same time (the machine is busy): contention is
 * understated and the aggregate throughput means little.
 */
#define BENCH_MIN_ON_CPU 0.9

static inline void bench_warn_on_cpu(int nr_low)
{
	if (nr_low)
		printf("WARNING: %d figure(s) ran with threads on a CPU less than %.0f%% of the "
		       "wall time:\n"
		       "         the machine was busy; 2-thread contention is understated there. "
		       "Re-run\n"
		       "         on a quiet machine (see the on-cpu columns).\n",
		       nr_low, 100 * BENCH_MIN_ON_CPU);
}

/* CPUs this process may run on. */
static inline int bench_nr_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	return CPU_COUNT(&set);
}

/* Resident set size of this process, bytes (from /proc/self/statm). */
static inline uint64_t bench_rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* MemAvailable from /proc/meminfo, bytes (0 if unknown). */
static inline uint64_t bench_mem_available(void)
{
	char line[256];
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb * 1024;
}

/* The 1-minute load average, to print beside noisy numbers. */
static inline double bench_loadavg(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

/* A header line that says where and when the numbers came from. */
static inline void bench_print_header(const char *name, const struct bench_opts *o)
{
	char date[64], host[64] = "?";
	time_t now = time(NULL);

	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", localtime(&now));
	gethostname(host, sizeof(host));
	printf("%s: %s on %s, %d CPUs usable, load average %.2f\n", name, date, host,
	       bench_nr_cpus(), bench_loadavg());
#ifdef NDEBUG
	printf("build: release (NDEBUG)");
#else
	printf("build: NOT a release build (assertions and lock witness on): numbers are not "
	       "representative");
#endif
	if (o)
		printf("; median of %d runs of ~%.2f s each", o->runs, o->run_seconds);
	printf("\n\n");
}

/* Parse the options every benchmark takes; returns the index of the first unknown one. */
static inline int bench_parse_common(int argc, char **argv, struct bench_opts *o, int i)
{
	if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
		o->runs = atoi(argv[i + 1]);
		if (o->runs < 1 || o->runs > BENCH_MAX_RUNS) {
			fprintf(stderr, "--runs must be 1..%d\n", BENCH_MAX_RUNS);
			exit(2);
		}
		return 2;
	}
	if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
		o->run_seconds = atof(argv[i + 1]);
		if (!(o->run_seconds > 0 && o->run_seconds <= 60)) {
			fprintf(stderr, "--seconds must be in (0, 60]\n");
			exit(2);
		}
		return 2;
	}
	return 0;
}

#endif
