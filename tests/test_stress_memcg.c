// SPDX-License-Identifier: MIT
/*
 * test_stress_memcg.c - EPC and backing-memory limits under real concurrency
 * (THREADS mode: ksgxd and the cgroup workers run).
 *
 * Three cgroups under /s, each with two worker threads; each worker owns an
 * enclave larger than its cgroup's EPC limit and faults random pages of it,
 * writing new versions and verifying reads against the versions it keeps.
 * Meanwhile a changer thread moves every misc.max and memory.max between a
 * tight and a loose value, so evictions are refused by memory limits and
 * enclaves get OOM-killed; a worker whose enclave was killed destroys it and
 * builds a new one, and every REBUILD_EVERY operations a worker rebuilds its
 * enclave anyway (backing is kept to the end, so only a young enclave can
 * run out of memory). At the end the changer writes the loose ("base") values,
 * the workers run a last stretch of faults, verify every page, and the test
 * checks: no cgroup above its limits, every byte as written (for enclaves not
 * killed), the books consistent, and after destroy every usage 0.
 *
 * A second case has two threads fault one enclave that gets killed under
 * them: both end with -EOWNERDEAD, nothing leaks.
 *
 * Workers never assert (STYLE §14). Sizing: EPCMM_STRESS_SCALE multiplies
 * the operations; the default run takes a few seconds.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "helpers.h"

#define NR_GROUPS	  3
#define WORKERS_PER_GROUP 2
#define NR_WORKERS	  (NR_GROUPS * WORKERS_PER_GROUP)
#define ENCL_PAGES	  64
#define OPS_PER_WORKER	  1500
#define FINAL_OPS	  64
#define REBUILD_EVERY	  250 /* ops: a fresh enclave needs fresh backing */
#define EPC_PAGES	  256

/* Limits in pages: the changer picks among these; the last is the base. */
static const uint64_t epc_limits[] = {24, 36, 48};
static const uint64_t mem_limits[] = {48, 96, 160};
static const uint64_t parent_mem_limits[] = {220, 320, 420};
#define PARENT_EPC_LIMIT 120
#define NR_LIMITS	 3

static void fill(void *buf, uint64_t tag, uint64_t idx)
{
	uint64_t s = (tag * 0x9E3779B97F4A7C15ULL) ^ ((idx + 1) * 0xBF58476D1CE4E5B9ULL) ^ 1;
	uint64_t *w = buf;

	for (int i = 0; i < PAGE / 8; i++)
		w[i] = rng_next(&s);
}

struct shared {
	struct epc *epc;
	struct epc_cgroup *parent, *cg[NR_GROUPS];
	_Atomic bool final;  /* base limits written: the last stretch */
	_Atomic int running; /* workers not done */
	_Atomic unsigned long errors, mismatches, kills, builds, build_enomem;
	_Atomic int last_error, last_error_where; /* for the failure message */
	unsigned long ops;
};

struct worker {
	struct shared *sh;
	int id;
	uint64_t seed;
	struct epc_task *t;
	struct epc_encl *e;	      /* the test thread destroys the last one */
	uint64_t gen;		      /* enclave generation: part of every tag */
	uint32_t version[ENCL_PAGES]; /* 0 = the initial contents */
};

static uint64_t tag_of(const struct worker *w, uint64_t page)
{
	return ((uint64_t)(w->id + 1) << 48) | (w->gen << 24) | w->version[page];
}

/*
 * Build a fresh enclave; an OOM kill or -ENOMEM during the build means try
 * again. -ENOMEM is the right answer while it lasts (v17's behaviour 54): the
 * cgroup is at its EPC limit and nothing in it can be evicted right now,
 * because the rest of its pages belong to an enclave another worker is
 * destroying or that is being killed (charged until freed, no longer
 * reclaimable), or because a tight memory.max refuses every eviction. What
 * ends it is another thread: the destroyer finishing, or the changer moving a
 * limit. So a retry waits a millisecond, and the retries are bounded only once
 * the base limits are back (loose: a build must then succeed soon); before
 * that the per-case time limit (helpers.h) is what would catch a hang.
 */
#define BUILD_RETRIES_AFTER_FINAL 2000
static int worker_build(struct worker *w)
{
	struct timespec pause = {0, 1000 * 1000};
	unsigned char *buf = malloc(PAGE);
	int ret = -ENOMEM, after_final = 0;

	while (buf && after_final < BUILD_RETRIES_AFTER_FINAL) {
		if (atomic_load(&w->sh->final))
			after_final++;
		w->gen++;
		memset(w->version, 0, sizeof(w->version));
		ret = epc_encl_create(w->t, ENCL_PAGES * PAGE, &w->e);
		if (ret == -ENOMEM) {
			atomic_fetch_add(&w->sh->build_enomem, 1);
			nanosleep(&pause, NULL);
			continue;
		}
		if (ret)
			break;
		atomic_fetch_add(&w->sh->builds, 1);
		for (uint64_t i = 0; i < ENCL_PAGES && !ret; i++) {
			fill(buf, tag_of(w, i), i);
			ret = epc_encl_add_page2(w->t, w->e, i * PAGE, buf, EPC_SECINFO_REG_RWX);
		}
		if (!ret)
			ret = epc_encl_init(w->e);
		if (ret != -EOWNERDEAD && ret != -ENOMEM)
			break;
		atomic_fetch_add(ret == -ENOMEM ? &w->sh->build_enomem : &w->sh->kills, 1);
		epc_encl_destroy(w->e);
		w->e = NULL;
		nanosleep(&pause, NULL);
	}
	free(buf);
	return ret;
}

/* One access: write a new version of a page, or read one and verify it. */
static int worker_op(struct worker *w, unsigned char *buf, unsigned char *want)
{
	uint64_t r = rng_next(&w->seed), page = r % ENCL_PAGES;
	int ret;

	if (r & (1ULL << 40)) {
		w->version[page]++;
		fill(buf, tag_of(w, page), page);
		ret = epc_encl_access2(w->t, w->e, page * PAGE, buf, PAGE, EPC_ACCESS_WRITE);
		return ret;
	}
	ret = epc_encl_access2(w->t, w->e, page * PAGE, buf, PAGE, EPC_ACCESS_READ);
	if (!ret) {
		fill(want, tag_of(w, page), page);
		if (memcmp(buf, want, PAGE))
			atomic_fetch_add(&w->sh->mismatches, 1);
	}
	return ret;
}

static void note_error(struct shared *sh, int err, int where)
{
	atomic_fetch_add(&sh->errors, 1);
	atomic_store(&sh->last_error, err);
	atomic_store(&sh->last_error_where, where);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	unsigned char *buf = malloc(PAGE), *want = malloc(PAGE);
	unsigned long done = 0, after_final = 0;

	int ret = -ENOMEM;

	if (!buf || !want || (ret = worker_build(w))) {
		note_error(sh, ret, 1);
		goto out;
	}
	while (done < sh->ops || after_final < FINAL_OPS) {
		int ret = worker_op(w, buf, want);

		done++;
		if (atomic_load(&sh->final))
			after_final++;
		if (!ret && done % REBUILD_EVERY == 0 && !atomic_load(&sh->final))
			ret = 1; /* not a kill: a voluntary rebuild */
		if (ret == -EOWNERDEAD || ret == 1) {
			if (ret == -EOWNERDEAD)
				atomic_fetch_add(&sh->kills, 1);
			epc_encl_destroy(w->e);
			w->e = NULL;
			ret = worker_build(w);
			if (ret) {
				note_error(sh, ret, 2);
				goto out;
			}
		} else if (ret) {
			note_error(sh, ret, 3);
		}
	}
	/* every page as last written (a kill now would be an error: base limits) */
	for (uint64_t i = 0; i < ENCL_PAGES; i++) {
		int ret = epc_encl_access2(w->t, w->e, i * PAGE, buf, PAGE, EPC_ACCESS_READ);

		fill(want, tag_of(w, i), i);
		if (ret)
			note_error(sh, ret, 4);
		else if (memcmp(buf, want, PAGE))
			atomic_fetch_add(&sh->mismatches, 1);
	}
out:
	atomic_fetch_sub(&sh->running, 1);
	free(buf);
	free(want);
	return NULL;
}

static void write_pages(struct epc_cgroup *cg, const char *file, uint64_t pages,
			_Atomic unsigned long *errors)
{
	char text[64];

	if (!strcmp(file, "misc.max"))
		snprintf(text, sizeof(text), "sgx_epc %llu", (unsigned long long)(pages * PAGE));
	else
		snprintf(text, sizeof(text), "%llu", (unsigned long long)(pages * PAGE));
	if (epc_cgroup_write(cg, file, text))
		atomic_fetch_add(errors, 1);
}

static void set_base(struct shared *sh)
{
	write_pages(sh->parent, "memory.max", parent_mem_limits[NR_LIMITS - 1], &sh->errors);
	for (int g = 0; g < NR_GROUPS; g++) {
		write_pages(sh->cg[g], "misc.max", epc_limits[NR_LIMITS - 1], &sh->errors);
		write_pages(sh->cg[g], "memory.max", mem_limits[NR_LIMITS - 1], &sh->errors);
	}
}

/* Move limits around until the workers have done their main run. */
static void *changer_main(void *arg)
{
	struct shared *sh = arg;
	struct timespec ts = {0, 2 * 1000 * 1000};
	uint64_t seed = 77;
	unsigned long changes = 0;

	while (atomic_load(&sh->running) > 0 && changes < 4000) {
		uint64_t r = rng_next(&seed);
		int g = (int)(r % NR_GROUPS), v = (int)((r >> 8) % NR_LIMITS);

		switch ((r >> 16) % 3) {
		case 0:
			write_pages(sh->cg[g], "misc.max", epc_limits[v], &sh->errors);
			break;
		case 1:
			write_pages(sh->cg[g], "memory.max", mem_limits[v], &sh->errors);
			break;
		default:
			write_pages(sh->parent, "memory.max", parent_mem_limits[v], &sh->errors);
			break;
		}
		changes++;
		nanosleep(&ts, NULL);
		if (changes >= 400 * stress_scale())
			break;
	}
	set_base(sh);
	atomic_store(&sh->final, true);
	return NULL;
}

static uint64_t file_u64(struct epc_cgroup *cg, const char *file)
{
	char buf[128];
	unsigned long long v = 0;

	cg_read(cg, file, buf, sizeof(buf));
	if (!strncmp(buf, "sgx_epc ", 8))
		v = strtoull(buf + 8, NULL, 10);
	else if (!strcmp(buf, "max\n"))
		v = UINT64_MAX;
	else
		v = strtoull(buf, NULL, 10);
	return v;
}

static void test_stress_memcg_limits_change_under_faults(void **state)
{
	struct topo tp = {.nr_nodes = 1,
			  .nr_cpus = NR_WORKERS,
			  .nr_sections = 1,
			  .pages = EPC_PAGES,
			  .threads = true};
	struct epc *epc = make_topo(&tp);
	struct shared *sh = calloc(1, sizeof(*sh));
	struct worker *w = calloc(NR_WORKERS, sizeof(*w));
	unsigned long seed = test_seed(5);
	pthread_t th[NR_WORKERS], changer;
	char path[32];

	(void)state;
	sh->epc = epc;
	sh->ops = OPS_PER_WORKER * stress_scale();
	sh->parent = make_cg(epc, "/s");
	write_pages(sh->parent, "misc.max", PARENT_EPC_LIMIT, &sh->errors);
	for (int g = 0; g < NR_GROUPS; g++) {
		snprintf(path, sizeof(path), "/s/g%d", g);
		sh->cg[g] = make_cg(epc, path);
	}
	set_base(sh);
	atomic_store(&sh->running, NR_WORKERS);
	for (int i = 0; i < NR_WORKERS; i++) {
		w[i] = (struct worker){.sh = sh, .id = i, .seed = seed * 31 + (uint64_t)i + 1};
		w[i].t = make_task(epc, sh->cg[i / WORKERS_PER_GROUP], i);
		CHECK_EQ_AT(pthread_create(&th[i], NULL, worker_main, &w[i]), 0, i);
	}
	assert_int_equal(pthread_create(&changer, NULL, changer_main, sh), 0);
	pthread_join(changer, NULL);
	for (int i = 0; i < NR_WORKERS; i++)
		pthread_join(th[i], NULL);
	print_message("# %lu enclaves built, %lu OOM kills, %lu builds refused -ENOMEM\n",
		      atomic_load(&sh->builds), atomic_load(&sh->kills),
		      atomic_load(&sh->build_enomem));
	if (atomic_load(&sh->errors))
		fail_msg("%lu calls failed, the last with %d at step %d (1 build, 2 rebuild, 3 "
			 "access, "
			 "4 final read)",
			 atomic_load(&sh->errors), atomic_load(&sh->last_error),
			 atomic_load(&sh->last_error_where));
	CHECK_EQ(atomic_load(&sh->mismatches), 0, "every read saw what was written");
	quiesce(epc);
	for (int g = 0; g < NR_GROUPS; g++) {
		CHECK(file_u64(sh->cg[g], "misc.current") <= file_u64(sh->cg[g], "misc.max"),
		      "no cgroup above its EPC limit when quiet");
		CHECK(file_u64(sh->cg[g], "memory.current") <= file_u64(sh->cg[g], "memory.max"),
		      "no cgroup above its memory limit when quiet");
	}
	CHECK(file_u64(sh->parent, "misc.current") <= PARENT_EPC_LIMIT * PAGE,
	      "the parent within its EPC limit");
	CHECK(file_u64(sh->parent, "memory.current") <= file_u64(sh->parent, "memory.max"),
	      "the parent within its memory limit");
	assert_epc_consistent(epc);
	for (int i = 0; i < NR_WORKERS; i++) {
		epc_encl_destroy(w[i].e);
		epc_task_destroy(w[i].t);
	}
	CHECK_EQ(file_u64(sh->parent, "misc.current"), 0, "every EPC charge back");
	CHECK_EQ(file_u64(sh->parent, "memory.current"), 0, "every memory charge back");
	CHECK_EQ(atomic_load(&epc->cgroups.root->mem.usage), 0, "at the root too");
	CHECK_EQ(cg_usage(epc_cgroup_root(epc)), 0, "EPC at the root too");
	assert_epc_consistent(epc);
	epc_destroy(epc);
	free(w);
	free(sh);
}

/* ---------------------------------------------- a kill under two threads */

struct pair {
	struct epc *epc;
	struct epc_encl *e;
	struct epc_task *t;
	int half;
	_Atomic int *dead, *errors;
};

static void *pair_main(void *arg)
{
	struct pair *p = arg;
	unsigned char buf[256];

	for (uint64_t i = 0; i < 100000; i++) {
		uint64_t page = (i * 7 + (uint64_t)p->half) % ENCL_PAGES;
		int ret = epc_encl_access2(p->t, p->e, page * PAGE, buf, sizeof(buf),
					   (i & 1) ? EPC_ACCESS_WRITE : EPC_ACCESS_READ);

		if (ret == -EOWNERDEAD) {
			atomic_fetch_add(p->dead, 1);
			return NULL;
		}
		if (ret)
			atomic_fetch_add(p->errors, 1);
	}
	return NULL;
}

static void test_stress_memcg_kill_under_two_threads(void **state)
{
	struct topo tp = {
		.nr_nodes = 1, .nr_cpus = 2, .nr_sections = 1, .pages = 128, .threads = true};
	struct epc *epc = make_topo(&tp);
	struct epc_cgroup *a = make_cg(epc, "/a");
	_Atomic int dead = 0, errors = 0;
	struct pair p[2];
	pthread_t th[2];
	struct epc_encl *e = NULL;

	(void)state;
	for (int i = 0; i < 2; i++)
		p[i] = (struct pair){.epc = epc,
				     .t = make_task(epc, a, i),
				     .half = i,
				     .dead = &dead,
				     .errors = &errors};
	/* 18 EPC pages: the SECS, a VA page and the last chunk (16 pages) */
	CHECK_EQ(epc_cgroup_write(a, "misc.max", "sgx_epc 73728"), 0, "misc.max");
	CHECK_EQ(epc_encl_create(p[0].t, ENCL_PAGES * PAGE, &e), 0, "ECREATE");
	for (uint64_t i = 0; i < ENCL_PAGES; i++)
		CHECK_EQ(epc_encl_add_page2(p[0].t, e, i * PAGE, NULL, EPC_SECINFO_REG_RWX), 0,
			 "EADD");
	CHECK_EQ(epc_encl_init(e), 0, "EINIT");
	/* chunks 0-2 are out, the last is in and has no backing; no more memory:
	 * a fault can evict nothing, so the first one kills */
	CHECK_EQ(epc_cgroup_write(a, "memory.max", "0"), 0, "memory.max");
	for (int i = 0; i < 2; i++) {
		p[i].e = e;
		CHECK_EQ_AT(pthread_create(&th[i], NULL, pair_main, &p[i]), 0, i);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(atomic_load(&dead), 2, "both threads saw the kill");
	CHECK_EQ(atomic_load(&errors), 0, "and no other error");
	quiesce(epc);
	CHECK_EQ(cg_usage(a), 0, "every EPC page freed");
	CHECK_EQ(file_u64(a, "memory.current"), 0, "every backing charge returned");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	for (int i = 0; i < 2; i++)
		epc_task_destroy(p[i].t);
	CHECK_EQ(epc_cgroup_remove(a), 0, "the cgroup goes");
	epc_destroy(epc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_memcg_limits_change_under_faults),
		cmocka_unit_test(test_stress_memcg_kill_under_two_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
