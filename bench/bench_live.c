// SPDX-License-Identifier: MIT
/*
 * bench_live.c - the cost of the live daemon's transport: a resident-page
 * access (an 8-byte read of an enclave page that stays in EPC) as a round
 * trip through epcmm_encl_read() to a daemon, with 1 and with 2 client
 * connections at once, through the connection's shared-memory slot (the
 * default) and over the socket alone (EPCMM_NO_SHM, as with a daemon
 * older than the slot), beside the same access in-process through
 * epc_encl_access2(). The daemon runs in a thread of this program
 * (live_daemon_run(), as `epcmm daemon` runs it), so both ends share the
 * machine's CPUs, as they would for a client and `epcmm daemon`. Client i
 * runs pinned to the i-th CPU the program may use (as a client that says
 * where it runs at HELLO does; the daemon pins the thread serving it there).
 *
 * Each case is measured ROUNDS times, the cases side by side in each round;
 * a figure is the median over rounds of: requests per second (all clients
 * together, counted over the time they all run: from the last client's
 * start to the first client's end, so that the one that ends last, slowed
 * by whatever else ran on its CPU, does not add a tail in which it runs
 * alone; the rate from the first start to the last end is printed beside
 * the ratio), the median round trip (every call timed), and the
 * CPU time the program used per request (both ends, every thread: a
 * transport that scales costs the same per request with 2 clients as with
 * 1, whatever else runs on the machine). Last,
 * the two figures issue 16 sets targets for, through the slot: two clients'
 * requests per second over one client's (>= 1.8x: the clients do not wait
 * for each other in the daemon) and one client's median round trip (<= 4 us).
 *
 *   bench_live [--calls N]      (default 50000 per client per round)
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "bench_stat.h"
#include "daemon.h"
#include "epcmm-client.h"
#include "epcmm.h"

#define ROUNDS	      5
#define DEFAULT_CALLS 50000
#define MAX_CLIENTS   2
#define EPC_BYTES     (16u << 20)
#define NR_CASES      5 /* in-process, then 1 and 2 clients through the slot, then the socket */

static double now_ns(void)
{
	return (double)bench_now_ns();
}

static double median(double *v, size_t n)
{
	return bench_median(v, (int)n);
}

/* The CPU time all the program's threads have used, in ns. */
static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A case's figures in one round. */
struct fig {
	double rps;	 /* requests per second while all the clients run */
	double rps_span; /* ... from the first client's start to the last one's end */
	double med;	 /* median round trip, ns */
	double cpu;	 /* CPU time per request, ns */
};

struct client {
	const char *sock;
	int cpu; /* -1: not pinned */
	size_t calls;
	double *lat;   /* ns per call */
	double *end;   /* when each call returned */
	double t0, t1; /* wall time at the start and the end */
	double c0, c1; /* the process's CPU time then */
	pthread_barrier_t *start;
	int err;
};

static void *client_thread(void *arg)
{
	struct client *cl = arg;
	struct epcmm_client *c;
	uint64_t e, v = 0;

	if (cl->cpu >= 0) {
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(cl->cpu, &one);
		pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
	}
	cl->err = epcmm_client_connect(cl->sock, &c);
	if (!cl->err)
		cl->err = epcmm_encl_create(c, 4096, &e);
	if (!cl->err)
		cl->err = epcmm_encl_add_pages(c, e, 0, 1, NULL);
	if (!cl->err)
		cl->err = epcmm_encl_init(c, e);
	for (int i = 0; i < 1000 && !cl->err; i++) /* warm up */
		cl->err = epcmm_encl_read(c, e, 8, &v, sizeof(v));
	pthread_barrier_wait(cl->start);
	cl->c0 = cpu_ns();
	cl->t0 = now_ns();
	for (size_t i = 0; i < cl->calls && !cl->err; i++) {
		double t = now_ns();

		cl->err = epcmm_encl_read(c, e, 8, &v, sizeof(v));
		cl->end[i] = now_ns();
		cl->lat[i] = cl->end[i] - t;
	}
	cl->t1 = now_ns();
	cl->c1 = cpu_ns();
	if (!cl->err)
		epcmm_client_close(c);
	return NULL;
}

/* The @i-th CPU this program may run on, -1 if there are fewer. */
static int nth_cpu(int i)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set) && i-- == 0)
			return c;
	return -1;
}

/* One round of @n clients, through the slot or (@no_shm) over the socket.
 * Return: 0; an error. */
static int client_round(const char *sock, bool no_shm, int n, size_t calls, struct fig *f)
{
	struct client cl[MAX_CLIENTS];
	pthread_t tid[MAX_CLIENTS];
	pthread_barrier_t start;
	double t0 = 1e300, t1 = 0, c0 = 1e300, c1 = 0, lo = 0, hi = 1e300;
	double *all = malloc(n * calls * sizeof(double)), *end = malloc(n * calls * sizeof(double));
	size_t within = 0;
	int err = 0;

	if (no_shm)
		setenv("EPCMM_NO_SHM", "1", 1); /* read at connect */
	pthread_barrier_init(&start, NULL, (unsigned)n);
	for (int i = 0; i < n; i++) {
		cl[i] = (struct client){.sock = sock,
					.cpu = nth_cpu(i),
					.calls = calls,
					.start = &start,
					.lat = all + i * calls,
					.end = end + i * calls};
		pthread_create(&tid[i], NULL, client_thread, &cl[i]);
	}
	for (int i = 0; i < n; i++) {
		pthread_join(tid[i], NULL);
		if (cl[i].err)
			err = cl[i].err;
		t0 = cl[i].t0 < t0 ? cl[i].t0 : t0;
		t1 = cl[i].t1 > t1 ? cl[i].t1 : t1;
		c0 = cl[i].c0 < c0 ? cl[i].c0 : c0;
		c1 = cl[i].c1 > c1 ? cl[i].c1 : c1;
		lo = cl[i].t0 > lo ? cl[i].t0 : lo;
		hi = cl[i].t1 < hi ? cl[i].t1 : hi;
	}
	for (size_t k = 0; k < n * calls; k++)
		within += end[k] > lo && end[k] <= hi;
	pthread_barrier_destroy(&start);
	unsetenv("EPCMM_NO_SHM");
	f->rps = (double)within / ((hi - lo) / 1e9);
	f->rps_span = (double)(n * calls) / ((t1 - t0) / 1e9);
	f->med = median(all, n * calls);
	f->cpu = (c1 - c0) / (double)(n * calls);
	free(all);
	free(end);
	return err;
}

/* The median over the rounds @f of the figure at @off. */
static double fig_median(const struct fig *f, size_t off)
{
	double v[ROUNDS];

	for (int r = 0; r < ROUNDS; r++)
		memcpy(&v[r], (const char *)&f[r] + off, sizeof(double));
	return median(v, ROUNDS);
}

static int inproc_round(struct epc *epc, size_t calls, struct fig *f)
{
	double *lat = malloc(calls * sizeof(double)), t0, c0;
	struct epc_task *t;
	struct epc_encl *e;
	uint64_t v;
	int ret;

	ret = epc_task_create(epc, NULL, 0, &t);
	if (ret)
		return ret;
	ret = epc_encl_create(t, 4096, &e);
	if (!ret)
		ret = epc_encl_add_page2(t, e, 0, NULL, EPC_SECINFO_REG_RWX);
	if (!ret)
		ret = epc_encl_init(e);
	for (int i = 0; i < 1000 && !ret; i++)
		ret = epc_encl_access2(t, e, 8, &v, sizeof(v), EPC_ACCESS_READ);
	c0 = cpu_ns();
	t0 = now_ns();
	for (size_t i = 0; i < calls && !ret; i++) {
		double s = now_ns();

		ret = epc_encl_access2(t, e, 8, &v, sizeof(v), EPC_ACCESS_READ);
		lat[i] = now_ns() - s;
	}
	f->rps = f->rps_span = (double)calls / ((now_ns() - t0) / 1e9);
	f->cpu = (cpu_ns() - c0) / (double)calls;
	f->med = median(lat, calls);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	free(lat);
	return ret;
}

static void *daemon_thread(void *arg)
{
	live_daemon_run(arg);
	return NULL;
}

int main(int argc, char **argv)
{
	struct epc_section_desc sec = {0x100000, EPC_BYTES, 0};
	struct epc_config cfg = {.nr_nodes = 1,
				 .sections = &sec,
				 .nr_sections = 1,
				 .background = EPC_BACKGROUND_THREADS};
	static const char *const names[NR_CASES] = {"in-process epc_encl_access", "slot, 1 client",
						    "slot, 2 clients", "socket, 1 client",
						    "socket, 2 clients"};
	struct fig fig[NR_CASES][ROUNDS], m[NR_CASES];
	char dir[] = "/tmp/epcmm-bench-live-XXXXXX", sock[64];
	size_t calls = DEFAULT_CALLS;
	struct live_daemon_opts o;
	struct epc *epc;
	pthread_t dt;
	int ready[2], ret = 0;
	uint64_t one = 1;
	char ch;

	if (argc == 3 && !strcmp(argv[1], "--calls"))
		calls = strtoul(argv[2], NULL, 10);
	if (!calls || !mkdtemp(dir) || pipe(ready))
		return 2;
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	o = (struct live_daemon_opts){
		.cfg = &cfg, .socket_path = sock, .stop_fd = eventfd(0, 0), .ready_fd = ready[1]};
	pthread_create(&dt, NULL, daemon_thread, &o);
	if (read(ready[0], &ch, 1) != 1)
		return 1;
	if (epc_create2(&cfg, sizeof(cfg), &epc) || epc_sanitize_wait(epc))
		return 1;

	for (int r = 0; r < ROUNDS && !ret; r++) {
		ret = inproc_round(epc, calls, &fig[0][r]);
		for (int c = 1; c < NR_CASES && !ret; c++)
			ret = client_round(sock, c > 2, 2 - c % 2, calls, &fig[c][r]);
	}
	if (ret) {
		fprintf(stderr, "bench_live: %s\n", strerror(-ret));
		return 1;
	}
	printf("bench_live: a resident-page 8-byte read, %zu calls per client, median of %d "
	       "rounds\n",
	       calls, ROUNDS);
	printf("%-28s %14s %18s %16s\n", "case", "requests/s", "median round trip",
	       "CPU per request");
	for (int c = 0; c < NR_CASES; c++) {
		m[c].rps = fig_median(fig[c], offsetof(struct fig, rps));
		m[c].rps_span = fig_median(fig[c], offsetof(struct fig, rps_span));
		m[c].med = fig_median(fig[c], offsetof(struct fig, med));
		m[c].cpu = fig_median(fig[c], offsetof(struct fig, cpu));
		printf("%-28s %14.0f %15.2f us %13.2f us\n", names[c], m[c].rps, m[c].med / 1000,
		       m[c].cpu / 1000);
	}
	printf("slot: two clients / one client: %.2fx requests/s (target >= 1.8x; %.2fx from the "
	       "first start to the last end); one client's median round trip %.2f us (target <= 4 "
	       "us)\n",
	       m[2].rps / m[1].rps, m[2].rps_span / m[1].rps_span, m[1].med / 1000);
	printf("socket: two clients / one client: %.2fx requests/s (%.2fx from the first start to "
	       "the last end); one client's median round trip %.2f us\n",
	       m[4].rps / m[3].rps, m[4].rps_span / m[3].rps_span, m[3].med / 1000);
	if (write(o.stop_fd, &one, sizeof(one)) != sizeof(one))
		return 1;
	pthread_join(dt, NULL);
	epc_destroy(epc);
	rmdir(dir);
	return 0;
}
