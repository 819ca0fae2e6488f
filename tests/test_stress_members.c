// SPDX-License-Identifier: MIT
/*
 * test_stress_members.c - tasks that follow an id (epc_task_follow()) under
 * the race the daemon sees: clients charge and free pages through their
 * tasks while `echo $pid > cgroup.procs` moves their pid between cgroups and
 * a shell removes the cgroup the pid just left and makes it again. Every
 * charge lands in a cgroup that existed; a cgroup the id left is removable
 * at once, whatever its followers are doing (they hold it, dying, until
 * their next call); nothing is leaked once the tasks go. Run under TSan
 * (make tsan) and ASan, it also proves the unlocked generation check sound.
 *
 * Workers never assert (STYLE §14): they count anomalies and keep the first
 * message; the test thread checks after joining. EPCMM_STRESS_SCALE
 * multiplies the rounds.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "helpers.h"

#define NR_WORKERS 3
#define ROUNDS	   3000
#define ID	   4242

struct shared {
	struct epc *epc;
	unsigned long rounds;
	_Atomic bool stop;
	_Atomic unsigned long anomalies, charges, moves, removes;
	_Atomic int ready; /* clients that have charged once: the mover starts then */
	_Atomic bool msg_taken;
	char msg[256];
};

__attribute__((format(printf, 2, 3))) static void anomaly(struct shared *sh, const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&sh->anomalies, 1) == 0 && !atomic_exchange(&sh->msg_taken, true)) {
		va_start(ap, fmt);
		vsnprintf(sh->msg, sizeof(sh->msg), fmt, ap);
		va_end(ap);
	}
}

/* A client: its own task, following the shared id; a page at a time. */
static void *client(void *arg)
{
	struct shared *sh = arg;
	struct epc_task *t = NULL;
	int ret = epc_task_create(sh->epc, NULL, 0, &t);
	bool ready = false;

	if (!ret)
		ret = epc_task_follow(t, ID);
	if (ret) {
		anomaly(sh, "a client's task: %d", ret);
		return NULL;
	}
	while (!atomic_load(&sh->stop)) {
		struct epc_page *p = NULL;

		ret = epc_page_alloc(t, NULL, EPC_DO_RECLAIM, &p);
		if (ret) {
			anomaly(sh, "a page for a following task: %d", ret);
			break;
		}
		atomic_fetch_add(&sh->charges, 1);
		if (!ready) {
			ready = true;
			atomic_fetch_add(&sh->ready, 1);
		}
		epc_page_free(p);
	}
	epc_task_destroy(t);
	return NULL;
}

/* The shell: moves the id /a -> /b -> the root -> /a, removing /b each time
 * the id has left it and making it again. */
static void mover(struct shared *sh)
{
	struct epc_cgroup *root = epc_cgroup_root(sh->epc), *a = NULL, *b = NULL;
	int ret = epc_cgroup_create(sh->epc, "/a", &a);

	/* every client in its loop first, so the moves race real charges */
	while (atomic_load(&sh->ready) < NR_WORKERS && !atomic_load(&sh->anomalies))
		sched_yield();

	for (unsigned long r = 0; !ret && r < sh->rounds; r++) {
		ret = epc_cgroup_create(sh->epc, "/b", &b);
		if (!ret)
			ret = epc_cgroup_attach(a, ID);
		if (!ret)
			ret = epc_cgroup_attach(b, ID);
		if (!ret)
			ret = epc_cgroup_attach(r % 2 ? root : a, ID);
		if (ret) {
			anomaly(sh, "round %lu: a move of the id: %d", r, ret);
			break;
		}
		atomic_fetch_add(&sh->moves, 3);
		/* the id left /b: followers in a call still charge it, dying */
		ret = epc_cgroup_remove(b);
		if (ret)
			anomaly(sh, "round %lu: /b, which the id left, cannot go: %d", r, ret);
		else
			atomic_fetch_add(&sh->removes, 1);
		epc_cgroup_put(b);
	}
	if (ret && !atomic_load(&sh->anomalies))
		anomaly(sh, "the mover stopped: %d", ret);
	atomic_store(&sh->stop, true);
	epc_cgroup_attach(root, ID);
	if (a) {
		epc_cgroup_remove(a);
		epc_cgroup_put(a);
	}
}

static void test_stress_members_follow_while_moved_and_removed(void **state)
{
	struct shared sh = {.rounds = ROUNDS * stress_scale()};
	pthread_t th[NR_WORKERS];
	struct epc_snapshot *s = NULL;

	(void)state;
	sh.epc = make_epc(256);
	for (int i = 0; i < NR_WORKERS; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, client, &sh), 0, "a client thread");
	mover(&sh);
	for (int i = 0; i < NR_WORKERS; i++)
		pthread_join(th[i], NULL);
	if (atomic_load(&sh.anomalies))
		fail_msg("%lu anomalies; the first: %s", atomic_load(&sh.anomalies), sh.msg);
	CHECK_EQ(atomic_load(&sh.removes), sh.rounds, "/b went every round");
	CHECK(atomic_load(&sh.charges) > 0, "the clients charged pages");
	assert_epc_consistent(sh.epc);
	CHECK_EQ(cg_usage(epc_cgroup_root(sh.epc)), 0, "every charge was returned");
	/* the tasks are gone, and with them the last dying /b and /a */
	CHECK_EQ(epc_snapshot_take(sh.epc, &s), 0, "a snapshot");
	CHECK_EQ(s->nr_cgroups, 1, "the root alone is left");
	CHECK_EQ(s->nr_tasks, 0, "no task is left");
	epc_snapshot_free(s);
	CHECK_EQ(epc_member_forget(sh.epc, ID), -ENOENT, "the id is in no cgroup");
	epc_destroy(sh.epc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_members_follow_while_moved_and_removed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
