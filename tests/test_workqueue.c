// SPDX-License-Identifier: MIT
/*
 * test_workqueue.c - the per-cgroup reclaim work pool (src/reclaim/workqueue.h):
 * MANUAL stepping, queue_work() semantics, no item running twice at once,
 * items of different cgroups in parallel, cancellation that waits for a run
 * in progress, and flushing. The work function here records what ran; the reclaimer's
 * own use of the pool is covered by test_reclaim_cgroup and the stress suites. In
 * the stress suite, so that the TSan build runs it (make tsan).
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "reclaim/workqueue.h"

#define NCG 4

struct rec {
	struct epc_cgroup *cg[NCG];
	_Atomic int runs[NCG];
	_Atomic int in_flight[NCG];
	_Atomic int max_in_flight[NCG];
	_Atomic int order[64];
	_Atomic int nr_order;
	/* run of cg[0] blocks until release (when block is set) */
	_Atomic bool block, started, release, done;
	/* run of cg[0] waits until cg[1]'s run has started (when pair is set) */
	_Atomic bool pair, second_started, saw_parallel;
	_Atomic int requeue; /* cg[0] queues itself again this many times */
	struct epc__workqueue *wq;
};

static int index_of(struct rec *r, struct epc_cgroup *cg)
{
	for (int i = 0; i < NCG; i++)
		if (r->cg[i] == cg)
			return i;
	return -1;
}

/* Spin-wait (with sleeps) up to 10 s for @flag: long enough for any loaded machine. */
static bool wait_flag(_Atomic bool *flag)
{
	for (int i = 0; i < 10000 && !atomic_load(flag); i++)
		usleep(1000);
	return atomic_load(flag);
}

static void work(void *arg, struct epc_cgroup *cg)
{
	struct rec *r = arg;
	int i = index_of(r, cg);
	int n = atomic_fetch_add(&r->in_flight[i], 1) + 1;
	int seen = atomic_load(&r->max_in_flight[i]);

	while (n > seen && !atomic_compare_exchange_weak(&r->max_in_flight[i], &seen, n))
		;
	atomic_store(&r->order[atomic_fetch_add(&r->nr_order, 1) % 64], i);
	if (i == 0 && atomic_load(&r->block)) {
		atomic_store(&r->started, true);
		wait_flag(&r->release);
		atomic_store(&r->done, true);
	}
	if (i == 0 && atomic_load(&r->pair))
		atomic_store(&r->saw_parallel, wait_flag(&r->second_started));
	if (i == 1 && atomic_load(&r->pair))
		atomic_store(&r->second_started, true);
	if (i == 0 && atomic_load(&r->requeue) > 0) {
		atomic_fetch_sub(&r->requeue, 1);
		epc__wq_queue(r->wq, cg);
	}
	usleep(100);
	atomic_fetch_sub(&r->in_flight[i], 1);
	atomic_fetch_add(&r->runs[i], 1);
}

static struct epc *setup(struct rec *r)
{
	struct epc *epc = make_epc(64);
	static const char *paths[NCG] = {"/a", "/b", "/c", "/d"};

	memset(r, 0, sizeof(*r));
	for (int i = 0; i < NCG; i++)
		r->cg[i] = make_cg(epc, paths[i]);
	return epc;
}

static void test_workqueue_manual_runs_queued_items_once_in_fifo_order(void **state)
{
	struct epc__workqueue wq;
	struct rec r;
	struct epc *epc = setup(&r);

	(void)state;
	r.wq = &wq;
	CHECK_EQ(epc__wq_init(&wq, 0, work, &r), 0, "MANUAL queue");
	epc__wq_queue(&wq, r.cg[2]);
	epc__wq_queue(&wq, r.cg[0]);
	epc__wq_queue(&wq, r.cg[2]); /* queued already: nothing */
	epc__wq_queue(&wq, r.cg[1]);
	CHECK_EQ(atomic_load(&r.runs[2]), 0, "nothing runs until stepped");
	CHECK_EQ(atomic_load(&r.cg[2]->pins), 1, "a queued item pins its cgroup once");
	CHECK_EQ(epc__wq_run_pending(&wq), 3, "three items ran");
	CHECK_EQ(atomic_load(&r.order[0]), 2, "FIFO: c first");
	CHECK_EQ(atomic_load(&r.order[1]), 0, "then a");
	CHECK_EQ(atomic_load(&r.order[2]), 1, "then b");
	CHECK_EQ(atomic_load(&r.runs[2]), 1, "a double queue ran once");
	CHECK_EQ(atomic_load(&r.cg[2]->pins), 0, "the pin went with the run");
	CHECK_EQ(epc__wq_run_pending(&wq), 0, "nothing left");
	CHECK_EQ(atomic_load(&wq.nr_run), 3, "counted");
	epc__wq_destroy(&wq);
	epc_destroy(epc);
}

/* queue_work() semantics: a request made while the item runs queues it again. */
static void test_workqueue_requeue_during_a_run_runs_again(void **state)
{
	struct epc__workqueue wq;
	struct rec r;
	struct epc *epc = setup(&r);

	(void)state;
	r.wq = &wq;
	atomic_store(&r.requeue, 2);
	CHECK_EQ(epc__wq_init(&wq, 0, work, &r), 0, "MANUAL queue");
	epc__wq_queue(&wq, r.cg[0]);
	CHECK_EQ(epc__wq_run_pending(&wq), 3, "the run and the two it requested");
	CHECK_EQ(atomic_load(&r.runs[0]), 3, "three runs of a");
	CHECK_EQ(atomic_load(&r.cg[0]->pins), 0, "every pin returned");
	epc__wq_destroy(&wq);
	epc_destroy(epc);
}

struct queuer {
	struct epc__workqueue *wq;
	struct rec *r;
	int n;
};

static void *queue_loop(void *arg)
{
	struct queuer *q = arg;

	for (int i = 0; i < q->n; i++) {
		epc__wq_queue(q->wq, q->r->cg[i % 2]);
		if (i % 16 == 0)
			usleep(50);
	}
	return NULL;
}

/* Four workers, items queued from three threads: an item never runs on two at once. */
static void test_workqueue_an_item_never_runs_twice_at_once(void **state)
{
	struct epc__workqueue wq;
	struct rec r;
	struct epc *epc = setup(&r);
	struct queuer q = {.wq = &wq, .r = &r, .n = 400 * stress_scale()};
	pthread_t th[3];

	(void)state;
	r.wq = &wq;
	CHECK_EQ(epc__wq_init(&wq, 4, work, &r), 0, "four workers");
	for (int i = 0; i < 3; i++)
		CHECK_EQ_AT(pthread_create(&th[i], NULL, queue_loop, &q), 0, i);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	epc__wq_destroy(&wq); /* a queued run may be dropped, a running one finishes */
	CHECK(atomic_load(&r.runs[0]) > 0 && atomic_load(&r.runs[1]) > 0, "both items ran");
	CHECK_EQ(atomic_load(&r.max_in_flight[0]), 1, "a never ran twice at once");
	CHECK_EQ(atomic_load(&r.max_in_flight[1]), 1, "b never ran twice at once");
	CHECK_EQ(atomic_load(&r.cg[0]->pins) + atomic_load(&r.cg[1]->pins), 0, "no pin left");
	epc_destroy(epc);
}

/* Two workers run two cgroups' items at the same time (the reason for a pool). */
static void test_workqueue_two_items_run_in_parallel(void **state)
{
	struct epc__workqueue wq;
	struct rec r;
	struct epc *epc = setup(&r);

	(void)state;
	r.wq = &wq;
	atomic_store(&r.pair, true);
	CHECK_EQ(epc__wq_init(&wq, 2, work, &r), 0, "two workers");
	epc__wq_queue(&wq, r.cg[0]); /* waits inside its run for b's run to start */
	epc__wq_queue(&wq, r.cg[1]);
	CHECK(wait_flag(&r.second_started), "b started while a was still running");
	epc__wq_destroy(&wq);
	CHECK(atomic_load(&r.saw_parallel), "a saw b start during its own run");
	epc_destroy(epc);
}

struct canceller {
	struct epc__workqueue *wq;
	struct rec *r;
	_Atomic bool returned;
	bool done_at_return;
};

static void *cancel_thread(void *arg)
{
	struct canceller *c = arg;

	epc__wq_cancel(c->wq, c->r->cg[0]);
	c->done_at_return = atomic_load(&c->r->done);
	atomic_store(&c->returned, true);
	return NULL;
}

/* cancel_work_sync(): cancelling an item that runs waits for the run to end. */
static void test_workqueue_cancel_waits_for_a_run_in_progress(void **state)
{
	struct epc__workqueue wq;
	struct rec r;
	struct epc *epc = setup(&r);
	struct canceller c = {.wq = &wq, .r = &r};
	pthread_t th;

	(void)state;
	r.wq = &wq;
	atomic_store(&r.block, true);
	CHECK_EQ(epc__wq_init(&wq, 1, work, &r), 0, "one worker");
	epc__wq_queue(&wq, r.cg[0]);
	CHECK(wait_flag(&r.started), "the run started");
	epc__wq_queue(&wq, r.cg[0]); /* queued again behind the running one */
	assert_int_equal(pthread_create(&th, NULL, cancel_thread, &c), 0);
	usleep(20000);
	CHECK(!atomic_load(&c.returned), "cancel waits while the run is blocked");
	atomic_store(&r.release, true);
	pthread_join(th, NULL);
	CHECK(c.done_at_return, "cancel returned only after the run ended");
	CHECK_EQ(atomic_load(&r.cg[0]->work_pending), false, "the second request was cancelled");
	epc__wq_destroy(&wq);
	CHECK_EQ(atomic_load(&r.runs[0]), 1, "the cancelled request never ran");
	CHECK_EQ(atomic_load(&r.cg[0]->pins), 0, "both pins returned");
	epc_destroy(epc);
}

/*
 * Flush waits for every queued item and the run in progress, pins returned
 * included (a run's unpin may reap its cgroup), and returns at once when
 * nothing is queued or running.
 */
struct flusher {
	struct epc__workqueue *wq;
	struct rec *r;
	_Atomic bool returned;
	int runs_at_return, pins_at_return;
};

static void *flush_thread(void *arg)
{
	struct flusher *f = arg;

	epc__wq_flush(f->wq);
	for (int i = 0; i < 3; i++) {
		f->runs_at_return += atomic_load(&f->r->runs[i]);
		f->pins_at_return += atomic_load(&f->r->cg[i]->pins);
	}
	atomic_store(&f->returned, true);
	return NULL;
}

static void test_workqueue_flush_waits_for_queued_and_running_items(void **state)
{
	struct epc__workqueue wq;
	struct rec r;
	struct epc *epc = setup(&r);
	struct flusher f = {.wq = &wq, .r = &r};
	pthread_t th;

	(void)state;
	r.wq = &wq;
	atomic_store(&r.block, true);
	CHECK_EQ(epc__wq_init(&wq, 1, work, &r), 0, "one worker");
	epc__wq_flush(&wq); /* nothing queued: at once */
	epc__wq_queue(&wq, r.cg[0]);
	CHECK(wait_flag(&r.started), "the run started");
	epc__wq_queue(&wq, r.cg[1]);
	epc__wq_queue(&wq, r.cg[2]);
	assert_int_equal(pthread_create(&th, NULL, flush_thread, &f), 0);
	usleep(20000);
	CHECK(!atomic_load(&f.returned), "flush waits while a run is blocked");
	atomic_store(&r.release, true);
	pthread_join(th, NULL);
	CHECK_EQ(f.runs_at_return, 3, "every queued item had run when flush returned");
	CHECK_EQ(f.pins_at_return, 0, "and every pin was returned");
	epc__wq_destroy(&wq);
	epc_destroy(epc);
}

/* A queued item is taken off the queue by cancel, and its pin returned. */
static void test_workqueue_cancel_unqueues(void **state)
{
	struct epc__workqueue wq;
	struct rec r;
	struct epc *epc = setup(&r);

	(void)state;
	r.wq = &wq;
	CHECK_EQ(epc__wq_init(&wq, 0, work, &r), 0, "MANUAL queue");
	epc__wq_queue(&wq, r.cg[0]);
	epc__wq_queue(&wq, r.cg[1]);
	epc__wq_queue(&wq, r.cg[2]);
	epc__wq_cancel(&wq, r.cg[1]); /* the middle one */
	epc__wq_cancel(&wq, r.cg[3]); /* never queued: nothing */
	CHECK_EQ(atomic_load(&r.cg[1]->pins), 0, "its pin returned");
	CHECK_EQ(epc__wq_run_pending(&wq), 2, "the other two ran");
	CHECK_EQ(atomic_load(&r.runs[1]), 0, "not the cancelled one");
	epc__wq_queue(&wq, r.cg[2]); /* the tail was fixed up: queueing still works */
	CHECK_EQ(epc__wq_run_pending(&wq), 1, "queued after a cancel");
	epc__wq_destroy(&wq);
	epc_destroy(epc);
}

static void test_workqueue_rejects_bad_pool_sizes(void **state)
{
	struct epc__workqueue wq;

	(void)state;
	CHECK_EQ(epc__wq_init(&wq, -1, work, NULL), -EINVAL, "negative");
	CHECK_EQ(epc__wq_init(&wq, EPC__WQ_MAX_THREADS + 1, work, NULL), -EINVAL, "too many");
	CHECK(epc__wq_default_threads() >= 1 &&
		      epc__wq_default_threads() <= EPC__WQ_DEFAULT_THREADS,
	      "default is min(4, CPUs)");
}

/* The public switch: nr_workers is validated, and a removed cgroup's work is cancelled. */
static void test_workqueue_config_and_remove(void **state)
{
	struct epc_section_desc s = {.phys_addr = 1ULL << 32, .size = 64 * PAGE, .node = 0};
	struct epc_config cfg = {.nr_nodes = 1,
				 .sections = &s,
				 .nr_sections = 1,
				 .background = EPC_BACKGROUND_THREADS,
				 .log = log_quiet,
				 .nr_workers = EPC_MAX_WORKERS + 1};
	struct epc *epc = NULL;

	(void)state;
	CHECK_EQ(epc_create2(&cfg, sizeof(cfg), &epc), -EINVAL, "too many workers refused");
	cfg.nr_workers = -1;
	CHECK_EQ(epc_create2(&cfg, sizeof(cfg), &epc), -EINVAL, "negative refused");
	cfg.nr_workers = 2;
	CHECK_EQ(epc_create2(&cfg, sizeof(cfg), &epc), 0, "two workers");
	CHECK_EQ(epc->reclaim.wq.nr_threads, 2, "as configured");
	epc_destroy(epc);
	cfg.nr_workers = 0;
	CHECK_EQ(epc_create2(&cfg, sizeof(cfg), &epc), 0, "default");
	CHECK_EQ(epc->reclaim.wq.nr_threads, epc__wq_default_threads(), "the default pool");
	epc_destroy(epc);
	cfg.nr_workers = 3;
	CHECK_EQ(epc_create(&cfg, &epc), 0, "a 0.1.0 caller");
	CHECK_EQ(epc->reclaim.wq.nr_threads, epc__wq_default_threads(),
		 "epc_create() reads the 0.1.0 struct: no nr_workers");
	epc_destroy(epc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workqueue_manual_runs_queued_items_once_in_fifo_order),
		cmocka_unit_test(test_workqueue_requeue_during_a_run_runs_again),
		cmocka_unit_test(test_workqueue_an_item_never_runs_twice_at_once),
		cmocka_unit_test(test_workqueue_two_items_run_in_parallel),
		cmocka_unit_test(test_workqueue_cancel_waits_for_a_run_in_progress),
		cmocka_unit_test(test_workqueue_cancel_unqueues),
		cmocka_unit_test(test_workqueue_flush_waits_for_queued_and_running_items),
		cmocka_unit_test(test_workqueue_rejects_bad_pool_sizes),
		cmocka_unit_test(test_workqueue_config_and_remove),
	};

	return cmocka_run_group_tests_name("workqueue", tests, NULL, NULL);
}
