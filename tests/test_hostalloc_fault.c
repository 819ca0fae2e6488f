// SPDX-License-Identifier: MIT
/*
 * test_hostalloc_fault.c - host-allocation failure (malloc, calloc, mmap,
 * memfd, lock set-up) at every point of the set-up paths (issue 7).
 *
 * A hook (hw/fault.h, EPC__FAULT_HOST_ALLOC) fails the Nth host allocation of
 * one call; the sweep runs N = 1, 2, ... until the call succeeds. Every failed
 * call must return -ENOMEM, hand nothing out, and leave the instance as it was
 * (checker clean, nothing charged, every page free). Leaks are LSan's to find:
 * `make asan` runs this binary with detect_leaks=1. epc_create() is swept
 * through epc__create_with_fault(), which has the hook from its first
 * allocation on.
 *
 * Also here: the error codes that used to say -ENOMEM for something else (the
 * OS random source, the per-process file limit).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>

#include "helpers.h"

/* Tunable: a sweep that needs more points than this has lost its way. */
#define MAX_POINTS 256

struct nth_fail {
	int site;   /* the site to fail */
	int n;	    /* fail the nth call to it (1-based); 0: none */
	int calls;  /* calls seen */
	int err;    /* what to fail with */
	int others; /* calls to other sites (seen, not failed) */
};

static int nth_hook(void *arg, enum epc__fault_site site, uint64_t idx)
{
	struct nth_fail *f = arg;

	(void)idx;
	if ((int)site != f->site) {
		f->others++;
		return 0;
	}
	return ++f->calls == f->n ? f->err : 0;
}

static void cfg_init(struct epc_config *c, struct epc_section_desc s[2], bool no_contents)
{
	memset(c, 0, sizeof(*c));
	s[0] = (struct epc_section_desc){.phys_addr = 1ULL << 32, .size = 64 * PAGE, .node = 0};
	s[1] = (struct epc_section_desc){.phys_addr = 2ULL << 32, .size = 64 * PAGE, .node = 1};
	c->nr_nodes = 2;
	c->nr_cpus = 4;
	c->sections = s;
	c->nr_sections = 2;
	c->pcp_batch = 4; /* the per-CPU slots are one more allocation */
	c->background = EPC_BACKGROUND_MANUAL;
	c->no_contents = no_contents;
	c->log = log_quiet;
}

/* Every failure point of epc_create(): -ENOMEM, nothing handed out. */
static void sweep_create(bool no_contents)
{
	struct epc_section_desc s[2];
	struct epc_config c;
	struct epc *epc = NULL;
	int n, ret = -1;

	cfg_init(&c, s, no_contents);
	for (n = 1; n <= MAX_POINTS; n++) {
		struct nth_fail f = {.site = EPC__FAULT_HOST_ALLOC, .n = n, .err = -ENOMEM};

		ret = epc__create_with_fault(&c, nth_hook, &f, &epc);
		if (!ret) {
			CHECK(f.calls < n, "the call that succeeded had fewer allocations than n");
			break;
		}
		if (ret != -ENOMEM)
			fail_msg("epc_create with host allocation %d failing: %d, expected -ENOMEM",
				 n, ret);
		CHECK(epc == NULL, "a failed epc_create hands out no instance");
		CHECK(f.calls >= n, "the failed allocation was reached");
	}
	print_message("# epc_create%s: %d host allocations, each failed once\n",
		      no_contents ? " (no_contents)" : "", n - 1);
	CHECK(n > 8, "epc_create's allocations all go through the hook");
	CHECK(epc != NULL, "epc_create succeeds once no allocation fails");
	epc__fault_set(epc, NULL, NULL);
	CHECK_EQ(epc_sanitize_wait(epc), 0, "the instance built last works");
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

static void test_hostalloc_fault_create_every_point(void **state)
{
	(void)state;
	sweep_create(false);
}

static void test_hostalloc_fault_create_every_point_no_contents(void **state)
{
	(void)state;
	sweep_create(true);
}

/* The instance as it was: nothing charged, every page free, checker clean. */
static void check_untouched(struct epc *epc, struct epc_cgroup *cg, uint64_t want_usage,
			    uint64_t want_free, const char *when)
{
	struct epc_stats st;

	epc_get_stats2(epc, &st, sizeof(st));
	if (cg_usage(cg) != want_usage || st.nr_free != want_free)
		fail_msg("%s: usage %llu (expected %llu), %llu free (expected %llu)", when,
			 (unsigned long long)cg_usage(cg), (unsigned long long)want_usage,
			 (unsigned long long)st.nr_free, (unsigned long long)want_free);
	assert_epc_consistent(epc);
}

static void sweep_encl_create(bool no_contents)
{
	struct topo tp = {.nr_nodes = 1, .nr_sections = 1, .pages = 64, .no_contents = no_contents};
	struct epc *epc = make_topo(&tp);
	struct epc_cgroup *cg = make_cg(epc, "/e");
	struct epc_task *t = make_task(epc, cg, 0);
	struct epc_encl *e = NULL;
	int n, ret = -1;

	for (n = 1; n <= MAX_POINTS; n++) {
		struct nth_fail f = {.site = EPC__FAULT_HOST_ALLOC, .n = n, .err = -ENOMEM};

		epc__fault_set(epc, nth_hook, &f);
		ret = epc_encl_create(t, 16 * PAGE, &e);
		epc__fault_set(epc, NULL, NULL);
		if (!ret)
			break;
		if (ret != -ENOMEM)
			fail_msg("epc_encl_create with host allocation %d failing: %d, expected "
				 "-ENOMEM",
				 n, ret);
		CHECK(e == NULL, "a failed ECREATE hands out no enclave");
		check_untouched(epc, cg, 0, 64, "after a failed ECREATE");
	}
	print_message("# epc_encl_create%s: %d host allocations, each failed once\n",
		      no_contents ? " (no_contents)" : "", n - 1);
	CHECK(n > 4, "ECREATE's allocations all go through the hook");
	CHECK(e != NULL, "ECREATE succeeds once no allocation fails");
	CHECK_EQ(cg_usage(cg), 2 * PAGE, "the SECS and the first VA page are charged");
	CHECK_EQ(epc_encl_add_page2(t, e, 0, NULL, EPC_SECINFO_REG_RWX), 0,
		 "the enclave built last works");
	epc_encl_destroy(e);
	check_untouched(epc, cg, 0, 64, "after destroy");
	epc_task_destroy(t);
	epc_destroy(epc);
}

static void test_hostalloc_fault_encl_create_every_point(void **state)
{
	(void)state;
	sweep_encl_create(false);
}

static void test_hostalloc_fault_encl_create_every_point_no_contents(void **state)
{
	(void)state;
	sweep_encl_create(true);
}

/*
 * EADD allocates on the host only when it needs a new VA page: the 512th page
 * the enclave holds (the SECS counts). Sweep that one; an EADD in between has
 * no failure point at all.
 */
static void test_hostalloc_fault_add_page_every_point(void **state)
{
	struct epc *epc = make_epc(600);
	struct epc_cgroup *cg = make_cg(epc, "/e");
	struct epc_task *t = make_task(epc, cg, 0);
	struct epc_encl *e = NULL;
	struct epc_encl_stats es;
	uint64_t usage;
	int n, ret = -1;

	(void)state;
	CHECK_EQ(epc_encl_create(t, 1024 * PAGE, &e), 0, "ECREATE");
	for (uint64_t i = 0; i < 510; i++)
		CHECK_EQ(epc_encl_add_page2(t, e, i * PAGE, NULL, EPC_SECINFO_REG_RWX), 0, "EADD");
	{
		struct nth_fail f = {.site = EPC__FAULT_HOST_ALLOC, .n = 1, .err = -ENOMEM};

		epc__fault_set(epc, nth_hook, &f);
		ret = epc_encl_add_page2(t, e, 510 * PAGE, NULL, EPC_SECINFO_REG_RWX);
		epc__fault_set(epc, NULL, NULL);
		CHECK_EQ(ret, 0, "the 511th page needs no VA page: no host allocation to fail");
		CHECK_EQ(f.calls, 0, "no host allocation");
	}
	/* SECS + 511 pages: the next EADD brings the second VA page */
	usage = cg_usage(cg);
	for (n = 1; n <= MAX_POINTS; n++) {
		struct nth_fail f = {.site = EPC__FAULT_HOST_ALLOC, .n = n, .err = -ENOMEM};
		struct epc_stats st;

		epc__fault_set(epc, nth_hook, &f);
		ret = epc_encl_add_page2(t, e, 511 * PAGE, NULL, EPC_SECINFO_REG_RWX);
		epc__fault_set(epc, NULL, NULL);
		if (!ret)
			break;
		CHECK_EQ(ret, -ENOMEM, "EADD with a host allocation failing");
		epc_get_stats2(epc, &st, sizeof(st));
		check_untouched(epc, cg, usage, st.nr_total - usage / PAGE, "after a failed EADD");
		epc_encl_get_stats2(e, &es, sizeof(es));
		CHECK_EQ(es.nr_pages, 511, "the page was not added");
		CHECK_EQ(es.nr_va_pages, 1, "no VA page kept");
	}
	CHECK(n > 1, "the VA page's allocation goes through the hook");
	CHECK_EQ(ret, 0, "EADD succeeds once no allocation fails");
	epc_encl_get_stats2(e, &es, sizeof(es));
	CHECK_EQ(es.nr_va_pages, 2, "the second VA page");
	CHECK_EQ(cg_usage(cg), usage + 2 * PAGE, "the page and its VA page are charged");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	CHECK_EQ(cg_usage(cg), 0, "destroy returns every charge");
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* RAND_bytes failing is not "out of memory": -EIO, and a line that says so. */
static void test_hostalloc_fault_random_source_fails_eio(void **state)
{
	struct log_catcher *lc = calloc(1, sizeof(*lc));
	struct epc_section_desc s[2];
	struct nth_fail f = {.site = EPC__FAULT_RANDOM, .n = 1, .err = -EIO};
	struct epc_config c;
	struct epc *epc = NULL;

	(void)state;
	assert_non_null(lc);
	cfg_init(&c, s, false);
	c.log = log_catch;
	c.log_arg = lc;
	CHECK_EQ(epc__create_with_fault(&c, nth_hook, &f, &epc), -EIO,
		 "epc_create with no randomness for the sealing key");
	CHECK(epc == NULL, "no instance");
	CHECK_EQ(f.calls, 1, "the random source was asked once");
	CHECK_EQ(log_count(lc, "sealing key"), 1, "a line names the sealing key");

	/* no_contents has no key: the random source is not asked */
	f = (struct nth_fail){.site = EPC__FAULT_RANDOM, .n = 1, .err = -EIO};
	c.no_contents = true;
	CHECK_EQ(epc__create_with_fault(&c, nth_hook, &f, &epc), 0, "no_contents needs no key");
	CHECK_EQ(f.calls, 0, "the random source was not asked");
	epc_destroy(epc);
	free(lc);
}

/*
 * Out of file descriptors is not "out of memory": ECREATE passes memfd's
 * EMFILE on. Real, not injected: RLIMIT_NOFILE is lowered and filled up.
 */
static void test_hostalloc_fault_memfd_emfile(void **state)
{
	struct epc *epc = make_epc(16);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = NULL;
	struct rlimit old, low;
	int fds[64], nr = 0, ret;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 64;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	while (nr < 64) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			break;
		fds[nr++] = fd;
	}
	ret = epc_encl_create(t, 4 * PAGE, &e);
	while (nr > 0)
		close(fds[--nr]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	CHECK_EQ(ret, -EMFILE, "ECREATE with every file descriptor taken");
	CHECK(e == NULL, "no enclave");
	CHECK_EQ(cg_usage(epc_cgroup_root(epc)), 0, "nothing charged");
	assert_epc_consistent(epc);

	CHECK_EQ(epc_encl_create(t, 4 * PAGE, &e), 0, "with descriptors back, ECREATE works");
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * Every other host resource the set-up takes fails as itself too: fail each
 * point with -ENFILE and see that the calls that report an errno report
 * -ENFILE or -ENOMEM (malloc and mmap say ENOMEM whatever the cause), never
 * anything else, and that memfd's point says -ENFILE.
 */
static void test_hostalloc_fault_errno_passed_on(void **state)
{
	struct epc *epc = make_epc(16);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = NULL;
	int n, ret = -1, nr_enfile = 0;

	(void)state;
	for (n = 1; n <= MAX_POINTS; n++) {
		struct nth_fail f = {.site = EPC__FAULT_HOST_ALLOC, .n = n, .err = -ENFILE};

		epc__fault_set(epc, nth_hook, &f);
		ret = epc_encl_create(t, 4 * PAGE, &e);
		epc__fault_set(epc, NULL, NULL);
		if (!ret)
			break;
		CHECK(ret == -ENFILE || ret == -ENOMEM, "-ENFILE passed on, or -ENOMEM");
		nr_enfile += ret == -ENFILE;
		assert_epc_consistent(epc);
	}
	CHECK(nr_enfile >= 1, "the memfd's -ENFILE reaches the caller");
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostalloc_fault_create_every_point),
		cmocka_unit_test(test_hostalloc_fault_create_every_point_no_contents),
		cmocka_unit_test(test_hostalloc_fault_encl_create_every_point),
		cmocka_unit_test(test_hostalloc_fault_encl_create_every_point_no_contents),
		cmocka_unit_test(test_hostalloc_fault_add_page_every_point),
		cmocka_unit_test(test_hostalloc_fault_random_source_fails_eio),
		cmocka_unit_test(test_hostalloc_fault_memfd_emfile),
		cmocka_unit_test(test_hostalloc_fault_errno_passed_on),
	};

	return cmocka_run_group_tests_name("hostalloc_fault", tests, NULL, NULL);
}
