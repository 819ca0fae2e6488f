// SPDX-License-Identifier: MIT
/*
 * bench_handover.c - what a request/reply hand-over between two threads
 * costs on this machine, by how the waiting side waits: the measurements
 * behind the live daemon's transport (docs/DESIGN-NOTES.md, "The live
 * transport"). A client thread posts a sequence number in a shared word and
 * waits for the server thread to post it back, ROUNDS times; each case
 * prints the median of its rounds, in microseconds per round trip:
 *
 *  - sched_yield(), both threads on one CPU (how the slot hands over);
 *  - two such pairs at once, one on each of two CPUs (do pairs scale?);
 *  - FUTEX_WAIT/FUTEX_WAKE, one CPU, and across two CPUs;
 *  - a pure spin across two CPUs (the fastest, at two CPUs a client).
 *
 * Cases that need two CPUs are skipped on a machine with one.
 *
 *   bench_handover [--trips N]   (default 20000 round trips a round)
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench_stat.h"

#define ROUNDS	      5
#define DEFAULT_TRIPS 20000u

enum wait_how {
	WAIT_YIELD,
	WAIT_FUTEX,
	WAIT_SPIN
};

struct pair {
	_Atomic uint32_t req, rep; /* the sequence numbers posted each way */
	enum wait_how how;
	int client_cpu, server_cpu;
	unsigned trips;
	double ns; /* the client's wall time for @trips round trips */
	pthread_barrier_t *start;
};

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set)) {
		fprintf(stderr, "bench_handover: cannot pin to CPU %d\n", cpu);
		exit(1);
	}
}

static void wait_for(_Atomic uint32_t *w, uint32_t want, enum wait_how how)
{
	for (;;) {
		uint32_t v = atomic_load_explicit(w, memory_order_acquire);

		if (v == want)
			return;
		if (how == WAIT_YIELD)
			sched_yield();
		else if (how == WAIT_FUTEX)
			syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
		else
			__builtin_ia32_pause();
	}
}

static void post(_Atomic uint32_t *w, uint32_t v, enum wait_how how)
{
	atomic_store_explicit(w, v, memory_order_release);
	if (how == WAIT_FUTEX)
		syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *server(void *arg)
{
	struct pair *p = arg;

	pin(p->server_cpu);
	for (uint32_t i = 1; i <= p->trips; i++) {
		wait_for(&p->req, i, p->how);
		post(&p->rep, i, p->how);
	}
	return NULL;
}

static void *client(void *arg)
{
	struct pair *p = arg;
	uint64_t t0;

	pin(p->client_cpu);
	pthread_barrier_wait(p->start);
	t0 = bench_now_ns();
	for (uint32_t i = 1; i <= p->trips; i++) {
		post(&p->req, i, p->how);
		wait_for(&p->rep, i, p->how);
	}
	p->ns = (double)(bench_now_ns() - t0);
	return NULL;
}

/* @n pairs at once, pair i on CPUs @cpus[i][0] (client) and [1] (server).
 * Return: the mean of the pairs' microseconds per round trip. */
static double run_pairs(int n, const int (*cpus)[2], enum wait_how how, unsigned trips)
{
	pthread_t th[4];
	struct pair p[2];
	pthread_barrier_t start;
	double us = 0;

	pthread_barrier_init(&start, NULL, (unsigned)n);
	for (int i = 0; i < n; i++) {
		p[i] = (struct pair){.how = how,
				     .client_cpu = cpus[i][0],
				     .server_cpu = cpus[i][1],
				     .trips = trips,
				     .start = &start};
		if (pthread_create(&th[2 * i], NULL, server, &p[i]) ||
		    pthread_create(&th[2 * i + 1], NULL, client, &p[i])) {
			fprintf(stderr, "bench_handover: pthread_create failed\n");
			exit(1);
		}
	}
	for (int i = 0; i < 2 * n; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < n; i++)
		us += p[i].ns / 1000.0 / trips;
	pthread_barrier_destroy(&start);
	return us / n;
}

struct handover_case {
	const char *what;
	enum wait_how how;
	int nr_pairs;
	int cpus[2][2]; /* per pair: client's, server's (indexes into the usable CPUs) */
	bool two_cpus;
};

static const struct handover_case cases[] = {
	{.what = "sched_yield(), one CPU",
	 .how = WAIT_YIELD,
	 .nr_pairs = 1,
	 .cpus = {{0, 0}, {0, 0}}},
	{.what = "sched_yield(), two pairs, a CPU each",
	 .how = WAIT_YIELD,
	 .nr_pairs = 2,
	 .cpus = {{0, 0}, {1, 1}},
	 .two_cpus = true},
	{.what = "futex, one CPU", .how = WAIT_FUTEX, .nr_pairs = 1, .cpus = {{0, 0}, {0, 0}}},
	{.what = "futex, across two CPUs",
	 .how = WAIT_FUTEX,
	 .nr_pairs = 1,
	 .cpus = {{0, 1}, {0, 0}},
	 .two_cpus = true},
	{.what = "pure spin, across two CPUs",
	 .how = WAIT_SPIN,
	 .nr_pairs = 1,
	 .cpus = {{0, 1}, {0, 0}},
	 .two_cpus = true},
};

int main(int argc, char **argv)
{
	unsigned trips = DEFAULT_TRIPS;
	int usable[2], nr_usable = 0;
	cpu_set_t set;

	if (argc == 3 && !strcmp(argv[1], "--trips")) {
		char *end;
		unsigned long v = strtoul(argv[2], &end, 10);

		if (*end || !v || v > UINT32_MAX) {
			fprintf(stderr, "bench_handover: --trips: not a count: %s\n", argv[2]);
			return 2;
		}
		trips = (unsigned)v;
	} else if (argc != 1) {
		fprintf(stderr, "usage: bench_handover [--trips N]\n");
		return 2;
	}
	if (sched_getaffinity(0, sizeof(set), &set)) {
		perror("bench_handover: sched_getaffinity");
		return 1;
	}
	for (int c = 0; c < CPU_SETSIZE && nr_usable < 2; c++)
		if (CPU_ISSET(c, &set))
			usable[nr_usable++] = c;
	printf("bench_handover: a request/reply hand-over through a shared word, %u round trips,\n"
	       "median of %d rounds (us per round trip; pairs at once: each pair's)\n",
	       trips, ROUNDS);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct handover_case *c = &cases[k];
		int cpus[2][2];
		double us[ROUNDS];

		if (c->two_cpus && nr_usable < 2) {
			printf("  %-40s skipped: one usable CPU\n", c->what);
			continue;
		}
		for (int i = 0; i < c->nr_pairs; i++)
			for (int j = 0; j < 2; j++)
				cpus[i][j] = usable[c->cpus[i][j]];
		for (int r = 0; r < ROUNDS; r++)
			us[r] = run_pairs(c->nr_pairs, (const int(*)[2])cpus, c->how, trips);
		printf("  %-40s %8.2f us\n", c->what, bench_median(us, ROUNDS));
	}
	return 0;
}
