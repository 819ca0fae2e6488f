// SPDX-License-Identifier: MIT
/*
 * test_log.c - the log callback calls back into the library from every kind
 * of line: a refused call (no lock held) and the lines logged under an
 * enclave's lock (a failed EWB, a failed ELDU, a page leaked at teardown).
 * With the calls the header allows there, none deadlocks, and the callback
 * sees consistent answers. The callback also gets epc_create()'s lines,
 * before the instance exists.
 */
#include <errno.h>
#include <unistd.h>

#include "encl_helpers.h"

struct reenter {
	struct epc *epc; /* NULL until epc_create() returns */
	int lines, early_lines, calls_ok;
	int ewb_failed, eldu_failed, leaked, refused;
};

static void reenter_log(int level, const char *msg, void *arg)
{
	struct reenter *r = arg;
	struct epc_cgroup *a = NULL;
	struct epc_cgroup_stats cs;
	struct epc_stats st;
	char buf[64];

	(void)level;
	r->lines++;
	r->ewb_failed += strstr(msg, "EWB of enclave") != NULL;
	r->eldu_failed += strstr(msg, "ELDU of enclave") != NULL;
	r->leaked += strstr(msg, "an EPC page was leaked") != NULL;
	r->refused += strstr(msg, "cgroup create '/no/such'") != NULL;
	if (!r->epc) {
		r->early_lines++;
		return;
	}
	/* what the header allows from any line, locked or not */
	r->calls_ok += epc_get_stats2(r->epc, &st, sizeof(st)) == 0;
	r->calls_ok +=
		epc_cgroup_read(epc_cgroup_root(r->epc), "misc.current", buf, sizeof(buf)) > 0;
	r->calls_ok += epc_node_read(r->epc, 0, "sgx_total_bytes", buf, sizeof(buf)) > 0;
	if (epc_cgroup_lookup(r->epc, "/a", &a) == 0) {
		r->calls_ok += epc_cgroup_get_stats(a, &cs, sizeof(cs)) == 0;
		r->calls_ok += epc_cgroup_put(a) == 0;
	} else {
		r->calls_ok += 2;
	}
}

/* Fail the writes of one page's backing, and the EREMOVE of another, once each. */
struct hook {
	uint64_t fail_write_idx, fail_eremove_idx;
	int writes_failed, eremoves_failed;
};

static int hook_fn(void *arg, enum epc__fault_site site, uint64_t idx)
{
	struct hook *h = arg;

	if (site == EPC__FAULT_BACKING_WRITE && idx == h->fail_write_idx && !h->writes_failed++)
		return -EIO;
	if (site == EPC__FAULT_EREMOVE && idx == h->fail_eremove_idx && !h->eremoves_failed++)
		return EPC__SGX_ENCLS_FAULT;
	return 0;
}

static void test_log_callback_reenters_from_every_kind_of_line(void **state)
{
	struct epc_section_desc s = {.phys_addr = 1ULL << 32, .size = 64 * PAGE, .node = 0};
	struct reenter *r = calloc(1, sizeof(*r));
	struct epc_config c = {.nr_nodes = 1,
			       .sections = &s,
			       .nr_sections = 1,
			       .background = EPC_BACKGROUND_MANUAL,
			       .log = reenter_log,
			       .log_arg = r};
	struct epc *epc = NULL;
	struct epc_cgroup *a = NULL, *x = NULL;
	struct epc_task *t;
	struct epc_encl *e;
	struct hook h = {0};
	unsigned char buf[PAGE];
	int lines_before;

	(void)state;
	CHECK_EQ(epc_create2(&c, sizeof(c), &epc), 0, "create");
	CHECK(r->early_lines >= 1, "epc_create's lines reach the callback");
	r->epc = epc;
	CHECK_EQ(epc_sanitize_wait(epc), 0, "sanitize");
	CHECK_EQ(epc_cgroup_create(epc, "/a", &a), 0, "/a");
	t = make_task(epc, a, 0);
	e = build(t, 8, 8, 5, true);

	/* a refused call: no lock held */
	CHECK_EQ(epc_cgroup_create(epc, "/no/such", &x), -ENOENT, "missing parent");
	CHECK_EQ(r->refused, 1, "its line");

	/* a failed EWB, logged under the enclave's lock */
	h.fail_write_idx = idx_of(epc, e->pages[0].epc_page);
	h.fail_eremove_idx = idx_of(epc, e->pages[7].epc_page);
	epc__fault_set(epc, hook_fn, &h);
	CHECK_EQ(epc_reclaim(epc, 4), 7, "a batch: page 0's write fails, 7 go");
	CHECK_EQ(r->ewb_failed, 1, "the EWB failure line");

	/* a failed ELDU (tampered copy of page 1), under the enclave's lock */
	memset(buf, 0x77, 32);
	CHECK_EQ(pwrite(epc_encl_backing_fd(e), buf, 32, 1 * PAGE), 32, "tamper");
	CHECK_EQ(epc_encl_access2(t, e, PAGE, buf, PAGE, EPC_ACCESS_READ), -EFAULT, "SIGBUS");
	CHECK_EQ(r->eldu_failed, 1, "the ELDU failure line");

	/* page 7 reloaded, then a failed EREMOVE at teardown leaks it, under the lock */
	CHECK_EQ(epc_encl_access2(t, e, 7 * PAGE, buf, PAGE, EPC_ACCESS_READ), 0, "page 7 back");
	h.fail_eremove_idx = idx_of(epc, e->pages[7].epc_page);
	lines_before = r->lines;
	epc_encl_destroy(e);
	/* page 7, then the SECS: EREMOVE of a SECS with a child left is CHILD_PRESENT */
	CHECK_EQ(r->leaked, 2, "the leak lines");
	CHECK(r->lines > lines_before, "teardown logged");
	epc__fault_set(epc, NULL, NULL);

	CHECK_EQ(r->calls_ok, 5 * (r->lines - r->early_lines),
		 "every call from every line after create succeeded");
	epc_task_destroy(t);
	epc_destroy(epc);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_callback_reenters_from_every_kind_of_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
