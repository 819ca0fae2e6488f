// SPDX-License-Identifier: MIT
/*
 * test_edmm.c - SGX2 (EDMM) through the public API: pages added on demand
 * (EAUG on an access or an EACCEPT, PENDING until accepted, charged with v17's
 * rules, reclaimable, evicted and faulted back with their contents and their
 * state), permissions restricted, types changed, trimmed pages removed and
 * uncharged; every errno the kernel's ioctls give for bad arguments, each
 * changing nothing; partial progress (@count); -EAGAIN for a page that
 * cannot be loaded back now; sgx_reclaim_direct() before each call
 * (kernel-spec behaviour 61); VA pages that do not grow while a heap
 * breathes; and injected failures of EAUG, EMODPR, EMODT and ETRACK.
 * MANUAL mode throughout.
 */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "encl_helpers.h"

#define RW_PENDING  (EPC_SECINFO_REG | EPC_SECINFO_R | EPC_SECINFO_W | EPC_SECINFO_PENDING)
#define TRIM_ACCEPT (EPC_SECINFO_TRIM | EPC_SECINFO_MODIFIED)
#define MAGIC	    0x1122334455667788ULL

static struct log_catcher lc;

/* ------------------------------------------------------------- helpers */

static struct epc *mk_epc(uint64_t pages)
{
	memset(&lc, 0, sizeof(lc));
	return make_epc_ex(1, NULL, 1, pages, 0, &lc);
}

/*
 * An initialized enclave of @size pages: @nr pages EADD'd with the pattern of
 * tag 7 (RWX), pages [@dyn, @size) declared dynamic (none if @dyn == @size).
 */
static struct epc_encl *mk_encl(struct epc_task *t, uint64_t size, uint64_t nr, uint64_t dyn)
{
	struct epc_encl *e = build(t, size, nr, 7, false);

	if (dyn < size)
		CHECK_EQ(epc_encl_declare_dynamic(e, dyn * PAGE, (size - dyn) * PAGE), 0,
			 "declare dynamic");
	CHECK_EQ(epc_encl_init(e), 0, "EINIT");
	return e;
}

static int put(struct epc_task *t, struct epc_encl *e, uint64_t page, uint64_t v)
{
	return epc_encl_access2(t, e, page * PAGE + 8, &v, sizeof(v), EPC_ACCESS_WRITE);
}

static int get(struct epc_task *t, struct epc_encl *e, uint64_t page, uint64_t *v)
{
	return epc_encl_access2(t, e, page * PAGE + 8, v, sizeof(*v), EPC_ACCESS_READ);
}

static uint64_t accept(struct epc_task *t, struct epc_encl *e, uint64_t page, uint64_t secinfo)
{
	uint64_t result = 0xdead;

	CHECK_EQ(epc_encl_accept(t, e, page * PAGE, secinfo, &result), 0, "EACCEPT ran");
	return result;
}

static int restrict_perms(struct epc_task *t, struct epc_encl *e, uint64_t page, uint64_t nr,
			  uint64_t perms, struct epc_restrict_permissions *p)
{
	*p = (struct epc_restrict_permissions){
		.offset = page * PAGE, .length = nr * PAGE, .permissions = perms};
	return epc_encl_restrict_permissions(t, e, p, sizeof(*p));
}

static int modify(struct epc_task *t, struct epc_encl *e, uint64_t page, uint64_t nr, uint64_t type,
		  struct epc_modify_types *m)
{
	*m = (struct epc_modify_types){
		.offset = page * PAGE, .length = nr * PAGE, .page_type = type};
	return epc_encl_modify_types(t, e, m, sizeof(*m));
}

static int remove_pages(struct epc_task *t, struct epc_encl *e, uint64_t page, uint64_t nr,
			struct epc_remove_pages *r)
{
	*r = (struct epc_remove_pages){.offset = page * PAGE, .length = nr * PAGE};
	return epc_encl_remove_pages(t, e, r, sizeof(*r));
}

static struct epc_encl_stats estats(struct epc_encl *e)
{
	struct epc_encl_stats st;

	memset(&st, 0, sizeof(st));
	CHECK_EQ(epc_encl_get_stats2(e, &st, sizeof(st)), 0, "enclave stats");
	return st;
}

static struct epc_cgroup_stats cstats(struct epc_cgroup *cg)
{
	struct epc_cgroup_stats st;

	memset(&st, 0, sizeof(st));
	CHECK_EQ(epc_cgroup_get_stats(cg, &st, sizeof(st)), 0, "cgroup stats");
	return st;
}

/* Trim @nr pages from @page, accept each, remove them: the whole flow. */
static void trim_accept_remove(struct epc_task *t, struct epc_encl *e, uint64_t page, uint64_t nr)
{
	struct epc_modify_types m;
	struct epc_remove_pages r;

	CHECK_EQ(modify(t, e, page, nr, EPC_PAGE_TYPE_TRIM, &m), 0, "trim");
	CHECK_EQ(m.count, nr * PAGE, "trim count");
	for (uint64_t i = 0; i < nr; i++)
		CHECK_EQ(accept(t, e, page + i, TRIM_ACCEPT), 0, "EACCEPT of the trim");
	CHECK_EQ(remove_pages(t, e, page, nr, &r), 0, "remove");
	CHECK_EQ(r.count, nr * PAGE, "remove count");
}

/* ----------------------------------------------------------------- EAUG */

/* The kernel's "augment": a write EAUGs, faults on PENDING, EACCEPT, then it works. */
static void test_edmm_access_eaugs_a_pending_page(void **state)
{
	struct epc *epc = mk_epc(64);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = mk_encl(t, 16, 4, 8);
	uint64_t before = cg_usage_pages(root), v = 0;

	(void)state;
	CHECK_EQ(put(t, e, 8, MAGIC), -EACCES, "a write EAUGs, then faults on the PENDING page");
	CHECK_EQ(estats(e).nr_augmented, 1, "one EAUG");
	CHECK_EQ(estats(e).nr_pages, 5, "the page is added");
	CHECK_EQ(cstats(root).nr_augmented, 1, "counted for the cgroup charged");
	CHECK_EQ(cg_usage_pages(root), before + 1, "charged to the faulting task's cgroup");
	CHECK_EQ(get(t, e, 8, &v), -EACCES, "a read faults on it too");
	CHECK_EQ(estats(e).nr_augmented, 1, "and adds nothing more");
	CHECK_EQ(accept(t, e, 8, RW_PENDING), 0, "EACCEPT");
	CHECK_EQ(get(t, e, 8, &v), 0, "read");
	CHECK_EQ(v, 0, "an EAUG'd page is zeroed");
	CHECK_EQ(put(t, e, 8, MAGIC), 0, "write");
	CHECK_EQ(get(t, e, 8, &v), 0, "read back");
	CHECK_EQ(v, MAGIC, "the value written");
	CHECK_EQ(accept(t, e, 8, RW_PENDING), EPC_SGX_PAGE_ATTRIBUTES_MISMATCH,
		 "nothing left to accept");
	check_all(t, e, 4, 7);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	CHECK_EQ(cg_usage_pages(root), 0, "every charge back");
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* The kernel's "augment_via_eaccept": EACCEPT first, the fault EAUGs, no error. */
static void test_edmm_accept_eaugs_then_accepts(void **state)
{
	struct epc *epc = mk_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = mk_encl(t, 16, 4, 4);
	uint64_t v = 0;

	(void)state;
	CHECK_EQ(accept(t, e, 6, RW_PENDING), 0, "EACCEPT of a page not there");
	CHECK_EQ(estats(e).nr_augmented, 1, "it was EAUG'd first");
	CHECK_EQ(put(t, e, 6, MAGIC), 0, "usable at once");
	CHECK_EQ(get(t, e, 6, &v), 0, "read");
	CHECK_EQ(v, MAGIC, "the value");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* Wrong SECINFOs are the instruction's answer, not an errno; bad bits are a #GP. */
static void test_edmm_accept_checks_its_secinfo(void **state)
{
	struct epc *epc = mk_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = mk_encl(t, 16, 4, 4);
	uint64_t result = 0;

	(void)state;
	CHECK_EQ(accept(t, e, 5, EPC_SECINFO_REG | EPC_SECINFO_R | EPC_SECINFO_PENDING),
		 EPC_SGX_PAGE_ATTRIBUTES_MISMATCH, "R only: not the page's RW");
	CHECK_EQ(accept(t, e, 5, EPC_SECINFO_TCS | EPC_SECINFO_PENDING),
		 EPC_SGX_PAGE_ATTRIBUTES_MISMATCH, "not a TCS");
	CHECK_EQ(accept(t, e, 5, EPC_SECINFO_REG | EPC_SECINFO_R | EPC_SECINFO_W),
		 EPC_SGX_PAGE_ATTRIBUTES_MISMATCH, "no PENDING named");
	CHECK_EQ(put(t, e, 5, 1), -EACCES, "still pending");
	CHECK_EQ(accept(t, e, 0, RW_PENDING), EPC_SGX_PAGE_ATTRIBUTES_MISMATCH,
		 "an EADD'd page has nothing pending");
	CHECK_EQ(epc_encl_accept(t, e, 5 * PAGE, RW_PENDING | 0x40, &result), -EINVAL,
		 "a reserved bit");
	CHECK_EQ(epc_encl_accept(t, e, 5 * PAGE + 8, RW_PENDING, &result), -EINVAL, "unaligned");
	CHECK_EQ(epc_encl_accept(t, e, 16 * PAGE, RW_PENDING, &result), -EINVAL, "past the end");
	CHECK_EQ(accept(t, e, 5, RW_PENDING), 0, "the right one");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* No EAUG outside a dynamic region, nor before EINIT (the kernel's SIGBUS). */
static void test_edmm_eaug_only_where_and_when_allowed(void **state)
{
	struct epc *epc = mk_epc(64);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 16, 4, 7, false);
	uint64_t before, v, result;

	(void)state;
	CHECK_EQ(epc_encl_declare_dynamic(e, 8 * PAGE, 4 * PAGE), 0, "declare [8, 12)");
	before = cg_usage_pages(root);
	CHECK_EQ(get(t, e, 9, &v), -EFAULT, "an EAUG before EINIT is a SIGBUS");
	CHECK_EQ(cg_usage_pages(root), before, "and leaves no charge");
	CHECK_EQ(epc_encl_init(e), 0, "EINIT");
	CHECK_EQ(get(t, e, 12, &v), -EINVAL, "no region there");
	CHECK_EQ(epc_encl_accept(t, e, 5 * PAGE, RW_PENDING, &result), -EINVAL,
		 "EACCEPT where no access may add a page");
	CHECK_EQ(cg_usage_pages(root), before, "nothing charged");
	CHECK_EQ(estats(e).nr_augmented, 0, "nothing added");
	/* the region's own checks */
	CHECK_EQ(epc_encl_declare_dynamic(e, 1, PAGE), -EINVAL, "unaligned offset");
	CHECK_EQ(epc_encl_declare_dynamic(e, 0, 0), -EINVAL, "empty");
	CHECK_EQ(epc_encl_declare_dynamic(e, 0, PAGE + 1), -EINVAL, "unaligned length");
	CHECK_EQ(epc_encl_declare_dynamic(e, 15 * PAGE, 2 * PAGE), -EINVAL, "past the end");
	CHECK_EQ(epc_encl_declare_dynamic(e, UINT64_MAX - PAGE + 1, 2 * PAGE), -EINVAL, "wrapping");
	for (int i = 1; i < EPC_ENCL_MAX_DYNAMIC; i++)
		CHECK_EQ(epc_encl_declare_dynamic(e, 12 * PAGE, PAGE), 0, "a region");
	CHECK_EQ(epc_encl_declare_dynamic(e, 12 * PAGE, PAGE), -ENOSPC, "one too many");
	CHECK_EQ(get(t, e, 12, &v), -EACCES, "the last region counts");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* An EAUG'd page is reclaimable: evicted and faulted back with its bytes and
 * its state (a PENDING page stays PENDING across EWB and ELDU). */
static void test_edmm_eaug_page_is_evicted_and_reloaded(void **state)
{
	struct epc *epc = mk_epc(64);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = mk_encl(t, 16, 2, 2);
	unsigned char want[PAGE], got[PAGE];
	uint64_t v;

	(void)state;
	CHECK_EQ(accept(t, e, 3, RW_PENDING), 0, "EAUG + EACCEPT page 3");
	fill(want, 99, 3);
	CHECK_EQ(epc_encl_access2(t, e, 3 * PAGE, want, PAGE, EPC_ACCESS_WRITE), 0, "fill it");
	CHECK_EQ(get(t, e, 5, &v), -EACCES, "EAUG page 5, left PENDING");
	CHECK(epc_reclaim(epc, 100) >= 4, "everything out");
	CHECK_EQ(estats(e).nr_resident, 0, "no page resident");
	CHECK(e->secs.epc_page == NULL, "the SECS followed");
	CHECK_EQ(cg_usage_pages(root), 1, "only the VA page charged");
	CHECK_EQ(epc_encl_access2(t, e, 3 * PAGE, got, PAGE, EPC_ACCESS_READ), 0, "fault it back");
	CHECK(!memcmp(got, want, PAGE), "with its contents");
	CHECK_EQ(get(t, e, 5, &v), -EACCES, "page 5 came back PENDING");
	CHECK_EQ(accept(t, e, 5, RW_PENDING), 0, "and can be accepted now");
	CHECK_EQ(get(t, e, 5, &v), 0, "then read");
	CHECK_EQ(v, 0, "zeros");
	CHECK_EQ(estats(e).nr_reloaded, 3, "SECS, page 3, page 5");
	check_all(t, e, 2, 7);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* The attributes are sealed with the page: flipping PENDING off in the
 * backing store is caught, never a page the enclave did not accept. */
static void test_edmm_attributes_in_the_pcmd_are_authenticated(void **state)
{
	struct epc *epc = mk_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = mk_encl(t, 16, 2, 2);
	int fd = epc_encl_backing_fd(e);
	off_t pcmd = (off_t)(16 * PAGE + PAGE + 4 * 128 + 1);
	unsigned char attr;
	uint64_t v;

	(void)state;
	CHECK_EQ(get(t, e, 4, &v), -EACCES, "EAUG page 4, PENDING");
	epc_reclaim(epc, 100);
	CHECK_EQ(pread(fd, &attr, 1, pcmd), 1, "its PCMD's attribute byte");
	CHECK_EQ(attr, EPC_SECINFO_R | EPC_SECINFO_W | EPC_SECINFO_PENDING, "RW, PENDING");
	attr &= (unsigned char)~EPC_SECINFO_PENDING;
	CHECK_EQ(pwrite(fd, &attr, 1, pcmd), 1, "tamper");
	CHECK_EQ(get(t, e, 4, &v), -EFAULT, "ELDU refuses it (SIGBUS)");
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* EAUG allocates with NO_RECLAIM: at its cgroup's limit the fault waits for
 * reclaim and retries; with nothing reclaimable it is a SIGBUS. */
static void test_edmm_eaug_at_the_limit_retries_or_sigbus(void **state)
{
	struct epc *epc = mk_epc(128);
	struct epc_cgroup *a = make_cg(epc, "/a"), *b = make_cg(epc, "/b");
	struct epc_task *ta = make_task(epc, a, 0), *tb = make_task(epc, b, 0);
	struct epc_encl *e, *f;
	uint64_t v;

	(void)state;
	set_max_pages(a, 10);
	e = mk_encl(ta, 32, 8, 8); /* SECS + VA + 8 pages: at the limit */
	CHECK_EQ(cg_usage_pages(a), 10, "at the limit");
	CHECK_EQ(get(ta, e, 20, &v), -EACCES, "EAUG evicts to make room, then PENDING");
	CHECK(cg_usage_pages(a) <= 10, "never over the limit");
	CHECK(cstats(a).events > 0, "the refused charge was counted");
	CHECK(estats(e).nr_evicted > 0, "a page of its own made room");
	CHECK_EQ(estats(e).nr_augmented, 1, "added");
	check_all(ta, e, 8, 7);

	set_max_pages(b, 2); /* SECS + VA: nothing reclaimable ever */
	f = mk_encl(tb, 8, 0, 0);
	CHECK_EQ(cg_usage_pages(b), 2, "SECS + VA");
	CHECK_EQ(get(tb, f, 3, &v), -EFAULT, "no room, nothing to reclaim: SIGBUS");
	CHECK_EQ(cg_usage_pages(b), 2, "nothing left charged");
	CHECK_EQ(estats(f).nr_augmented, 0, "nothing added");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_encl_destroy(f);
	CHECK_EQ(cg_usage_pages(a) + cg_usage_pages(b), 0, "every charge back");
	epc_task_destroy(ta);
	epc_task_destroy(tb);
	epc_cgroup_put(a);
	epc_cgroup_put(b);
	epc_destroy(epc);
}

/* ---------------------------------------------------- restrict permissions */

/* Every argument check of the kernel's ioctl, each changing nothing. */
static void test_edmm_restrict_permissions_argument_errors(void **state)
{
	struct epc *epc = mk_epc(64);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *u = build(t, 16, 4, 7, false), *e;
	struct epc_restrict_permissions p;
	uint64_t v, before;
	const uint64_t R = EPC_SECINFO_R;
	struct {
		struct epc_restrict_permissions p;
		uint64_t tail;
	} big;

	(void)state;
	CHECK_EQ(restrict_perms(t, u, 0, 1, R, &p), -EINVAL, "the enclave is not initialized");
	CHECK_EQ(p.count, 0, "count");
	epc_encl_destroy(u);
	e = mk_encl(t, 16, 8, 8);
	CHECK_EQ(epc_encl_add_page2(t, e, 8 * PAGE, NULL, EPC_SECINFO_REG), -EINVAL,
		 "no EADD once initialized");
	before = cg_usage_pages(root);
	p = (struct epc_restrict_permissions){.offset = 8, .length = PAGE, .permissions = R};
	CHECK_EQ(epc_encl_restrict_permissions(t, e, &p, sizeof(p)), -EINVAL, "unaligned offset");
	p = (struct epc_restrict_permissions){.offset = 0, .length = 0, .permissions = R};
	CHECK_EQ(epc_encl_restrict_permissions(t, e, &p, sizeof(p)), -EINVAL, "length 0");
	p = (struct epc_restrict_permissions){.offset = 0, .length = 100, .permissions = R};
	CHECK_EQ(epc_encl_restrict_permissions(t, e, &p, sizeof(p)), -EINVAL, "unaligned length");
	CHECK_EQ(restrict_perms(t, e, 15, 2, R, &p), -EINVAL, "past the end");
	CHECK_EQ(restrict_perms(t, e, 16, 1, R, &p), -EINVAL, "outside");
	p = (struct epc_restrict_permissions){
		.offset = PAGE, .length = UINT64_MAX - PAGE + 1, .permissions = R};
	CHECK_EQ(epc_encl_restrict_permissions(t, e, &p, sizeof(p)), -EINVAL, "wrapping");
	CHECK_EQ(restrict_perms(t, e, 0, 1, 0x8, &p), -EINVAL, "a bit beyond RWX");
	CHECK_EQ(restrict_perms(t, e, 0, 1, EPC_SECINFO_W, &p), -EINVAL, "W without R");
	p = (struct epc_restrict_permissions){
		.offset = 0, .length = PAGE, .permissions = R, .result = 1};
	CHECK_EQ(epc_encl_restrict_permissions(t, e, &p, sizeof(p)), -EINVAL, "result not 0");
	p = (struct epc_restrict_permissions){
		.offset = 0, .length = PAGE, .permissions = R, .count = PAGE};
	CHECK_EQ(epc_encl_restrict_permissions(t, e, &p, sizeof(p)), -EINVAL, "count not 0");
	CHECK_EQ(p.count, PAGE, "left as it was");
	p = (struct epc_restrict_permissions){.offset = 0, .length = PAGE, .permissions = R};
	CHECK_EQ(epc_encl_restrict_permissions(t, e, &p, 0), -EINVAL, "size 0");
	memset(&big, 0, sizeof(big));
	big.p = p;
	big.tail = 1;
	CHECK_EQ(epc_encl_restrict_permissions(t, e, &big.p, sizeof(big)), -EINVAL,
		 "a field this library lacks");
	big.tail = 0;
	CHECK_EQ(epc_encl_restrict_permissions(t, e, &big.p, sizeof(big)), 0,
		 "a bigger struct with a zero tail");
	CHECK_EQ(big.p.count, PAGE, "done");
	CHECK_EQ(put(t, e, 0, 1), -EACCES, "page 0 is read-only now");
	/* nothing else changed: every other page writable, no charge moved */
	for (uint64_t i = 1; i < 8; i++)
		CHECK_EQ(put(t, e, i, i), 0, "still writable");
	CHECK_EQ(get(t, e, 1, &v), 0, "read");
	CHECK_EQ(cg_usage_pages(root), before, "no charge moved");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* Restricting, the EACCEPT of it, partial progress, and the pages that refuse. */
static void test_edmm_restrict_permissions_pages(void **state)
{
	struct epc *epc = mk_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 16, 0, 0, false);
	struct epc_restrict_permissions p;
	uint64_t v;

	(void)state;
	CHECK_EQ(epc_encl_add_page2(t, e, 0, NULL, EPC_SECINFO_TCS), 0, "a TCS");
	for (uint64_t i = 1; i < 6; i++)
		CHECK_EQ(epc_encl_add_page2(t, e, i * PAGE, NULL,
					    EPC_SECINFO_REG | EPC_SECINFO_R | EPC_SECINFO_W),
			 0, "RW pages");
	CHECK_EQ(epc_encl_declare_dynamic(e, 8 * PAGE, 8 * PAGE), 0, "a heap");
	CHECK_EQ(epc_encl_init(e), 0, "EINIT");

	/* the kernel's tcs_permissions */
	CHECK_EQ(restrict_perms(t, e, 0, 1, EPC_SECINFO_R, &p), -EINVAL, "a TCS refuses");
	CHECK_EQ(p.result, 0, "no leaf ran");
	CHECK_EQ(p.count, 0, "nothing done");

	/* the kernel's epcm_permissions, up to EMODPE */
	CHECK_EQ(put(t, e, 1, MAGIC), 0, "writable");
	CHECK_EQ(restrict_perms(t, e, 1, 1, EPC_SECINFO_R, &p), 0, "RW to R");
	CHECK_EQ(p.count, PAGE, "one page");
	CHECK_EQ(put(t, e, 1, 2), -EACCES, "a write faults (EPCM)");
	CHECK_EQ(get(t, e, 1, &v), 0, "a read does not");
	CHECK_EQ(v, MAGIC, "the value");
	CHECK_EQ(accept(t, e, 1, EPC_SECINFO_REG | EPC_SECINFO_R | EPC_SECINFO_W | EPC_SECINFO_PR),
		 EPC_SGX_PAGE_ATTRIBUTES_MISMATCH, "not the permissions it has now");
	CHECK_EQ(accept(t, e, 1, EPC_SECINFO_REG | EPC_SECINFO_R | EPC_SECINFO_PR), 0,
		 "EACCEPT of the restriction");
	CHECK_EQ(restrict_perms(t, e, 1, 1, EPC_SECINFO_R, &p), 0, "again: nothing to take");
	CHECK_EQ(accept(t, e, 1, EPC_SECINFO_REG | EPC_SECINFO_R | EPC_SECINFO_PR),
		 EPC_SGX_PAGE_ATTRIBUTES_MISMATCH, "and so nothing to accept");

	/* partial progress: pages 2 and 3 done, page 0 (a TCS) stops it at 5..? */
	CHECK_EQ(restrict_perms(t, e, 2, 4, EPC_SECINFO_R, &p), 0, "four pages");
	CHECK_EQ(p.count, 4 * PAGE, "all four");
	CHECK_EQ(restrict_perms(t, e, 5, 5, EPC_SECINFO_R, &p), -EFAULT, "page 6 was never added");
	CHECK_EQ(p.count, PAGE, "page 5 was done");
	CHECK_EQ(get(t, e, 9, &v), -EACCES, "EAUG page 9");
	CHECK_EQ(restrict_perms(t, e, 9, 1, EPC_SECINFO_R, &p), -EFAULT, "a PENDING page");
	CHECK_EQ(p.result, EPC_SGX_PAGE_NOT_MODIFIABLE, "EMODPR said so");
	CHECK_EQ(p.count, 0, "nothing done");
	CHECK_EQ(accept(t, e, 9, RW_PENDING), 0, "accepted, it is RW");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* ------------------------------------------------------------ modify types */

/* The kernel's tcs_create, in the library: three pages EAUG'd, one made a TCS. */
static void test_edmm_modify_types_tcs_and_errors(void **state)
{
	struct epc *epc = mk_epc(64);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 16, 0, 0, false);
	struct epc_modify_types m;
	uint64_t before, v;

	(void)state;
	CHECK_EQ(epc_encl_add_page2(t, e, 0, NULL, EPC_SECINFO_TCS), 0, "a TCS");
	CHECK_EQ(epc_encl_add_page2(t, e, PAGE, NULL, EPC_SECINFO_REG | EPC_SECINFO_R), 0,
		 "a read-only page");
	CHECK_EQ(epc_encl_add_page2(t, e, 2 * PAGE, NULL,
				    EPC_SECINFO_REG | EPC_SECINFO_R | EPC_SECINFO_W),
		 0, "a data page");
	CHECK_EQ(epc_encl_add_page2(t, e, 3 * PAGE, NULL, EPC_SECINFO_W), -EINVAL, "W without R");
	CHECK_EQ(epc_encl_add_page2(t, e, 3 * PAGE, NULL, EPC_SECINFO_TCS | EPC_SECINFO_R), -EINVAL,
		 "a TCS with permissions");
	CHECK_EQ(epc_encl_add_page2(t, e, 3 * PAGE, NULL, EPC_SECINFO_TRIM), -EINVAL,
		 "a trimmed page");
	CHECK_EQ(epc_encl_add_page2(t, e, 3 * PAGE, NULL, RW_PENDING), -EINVAL, "PENDING");
	CHECK_EQ(modify(t, e, 2, 1, EPC_PAGE_TYPE_TCS, &m), -EINVAL, "not initialized");
	CHECK_EQ(epc_encl_declare_dynamic(e, 8 * PAGE, 8 * PAGE), 0, "a heap");
	CHECK_EQ(epc_encl_init(e), 0, "EINIT");
	before = cg_usage_pages(root);

	CHECK_EQ(modify(t, e, 2, 1, EPC_PAGE_TYPE_REG, &m), -EINVAL, "to regular: no");
	CHECK_EQ(m.count, 0, "nothing done");
	CHECK_EQ(modify(t, e, 2, 1, 0x100, &m), -EINVAL, "beyond the type mask");
	CHECK_EQ(modify(t, e, 0, 1, EPC_PAGE_TYPE_TCS, &m), -EINVAL, "a TCS made a TCS");
	CHECK_EQ(modify(t, e, 1, 1, EPC_PAGE_TYPE_TCS, &m), -EPERM, "not added RW: no TCS");
	CHECK_EQ(m.count, 0, "nothing done");
	CHECK_EQ(modify(t, e, 8, 1, EPC_PAGE_TYPE_TCS, &m), -EFAULT, "no page there");
	CHECK_EQ(cg_usage_pages(root), before, "nothing charged");

	for (uint64_t i = 8; i < 11; i++)
		CHECK_EQ(accept(t, e, i, RW_PENDING), 0, "EAUG + EACCEPT");
	CHECK_EQ(modify(t, e, 11, 1, EPC_PAGE_TYPE_TRIM, &m), -EFAULT, "11 is not there");
	CHECK_EQ(get(t, e, 11, &v), -EACCES, "EAUG 11");
	CHECK_EQ(modify(t, e, 11, 1, EPC_PAGE_TYPE_TRIM, &m), -EFAULT, "a PENDING page");
	CHECK_EQ(m.result, EPC_SGX_PAGE_NOT_MODIFIABLE, "EMODT said so");
	CHECK_EQ(put(t, e, 9, MAGIC), 0, "the TCS-to-be, written as a regular page");
	CHECK_EQ(modify(t, e, 9, 1, EPC_PAGE_TYPE_TCS, &m), 0, "made a TCS");
	CHECK_EQ(m.count, PAGE, "count");
	CHECK_EQ(get(t, e, 9, &v), -EACCES, "no access at the new type");
	CHECK_EQ(modify(t, e, 9, 1, EPC_PAGE_TYPE_TRIM, &m), -EFAULT, "MODIFIED: not yet");
	CHECK_EQ(m.result, EPC_SGX_PAGE_NOT_MODIFIABLE, "EMODT said so");
	CHECK_EQ(accept(t, e, 9, EPC_SECINFO_REG | EPC_SECINFO_MODIFIED),
		 EPC_SGX_PAGE_ATTRIBUTES_MISMATCH, "the wrong type");
	CHECK_EQ(accept(t, e, 9, EPC_SECINFO_TCS | EPC_SECINFO_MODIFIED), 0, "EACCEPT the TCS");
	CHECK_EQ(get(t, e, 9, &v), -EACCES, "a TCS is no data");
	CHECK_EQ(modify(t, e, 9, 1, EPC_PAGE_TYPE_TCS, &m), -EINVAL, "a TCS made a TCS");
	/* partial progress over [8, 12): 8 trimmed, 9 (TCS) trimmed, 10 too, 11 PENDING */
	CHECK_EQ(modify(t, e, 8, 4, EPC_PAGE_TYPE_TRIM, &m), -EFAULT, "stops at page 11");
	CHECK_EQ(m.count, 3 * PAGE, "three done");
	CHECK_EQ(estats(e).nr_trimmed, 3, "three trimmed");
	CHECK_EQ(modify(t, e, 8, 1, EPC_PAGE_TYPE_TRIM, &m), -EINVAL, "trimmed already");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	CHECK_EQ(cg_usage_pages(root), 0, "every charge back");
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* ------------------------------------------------------------ remove pages */

/* The kernel's remove_added_page_* cases and tcs_create's phase 2, and the
 * charges: back to where they started once the pages are removed. */
static void test_edmm_remove_pages(void **state)
{
	struct epc *epc = mk_epc(64);
	struct epc_cgroup *a = make_cg(epc, "/a");
	struct epc_task *t = make_task(epc, a, 0);
	struct epc_encl *e = mk_encl(t, 16, 6, 8);
	struct epc_modify_types m;
	struct epc_remove_pages r;
	uint64_t start = cg_usage_pages(a), v;

	(void)state;
	/* remove_added_page_no_eaccept */
	CHECK_EQ(put(t, e, 4, MAGIC), 0, "write the data page");
	CHECK_EQ(modify(t, e, 4, 1, EPC_PAGE_TYPE_TRIM, &m), 0, "trim it");
	CHECK_EQ(m.count, PAGE, "count");
	CHECK_EQ(remove_pages(t, e, 4, 1, &r), -EPERM, "not accepted: EPERM");
	CHECK_EQ(r.count, 0, "nothing removed");
	/* remove_added_page_invalid_access */
	CHECK_EQ(get(t, e, 4, &v), -EACCES, "a trimmed page faults (#PF, SGX)");
	/* remove_added_page_invalid_access_after_eaccept */
	CHECK_EQ(accept(t, e, 4, TRIM_ACCEPT), 0, "EACCEPT of the trim");
	CHECK_EQ(get(t, e, 4, &v), -EACCES, "still faults");
	CHECK_EQ(remove_pages(t, e, 5, 1, &r), -EPERM, "a page not trimmed: EPERM");
	CHECK_EQ(remove_pages(t, e, 4, 2, &r), -EPERM, "page 5 stops it");
	CHECK_EQ(r.count, PAGE, "page 4 was removed");
	CHECK_EQ(estats(e).nr_removed, 1, "one removed");
	CHECK_EQ(estats(e).nr_pages, 5, "one page less");
	CHECK_EQ(cstats(a).nr_removed, 1, "for its cgroup");
	CHECK_EQ(cg_usage_pages(a), start - 1, "its charge returned");
	CHECK_EQ(remove_pages(t, e, 4, 1, &r), -EFAULT, "not there any more");
	/* its mapping stays: an access EAUGs a fresh page there */
	CHECK_EQ(get(t, e, 4, &v), -EACCES, "EAUG'd again, PENDING");
	CHECK_EQ(accept(t, e, 4, RW_PENDING), 0, "accepted");
	CHECK_EQ(get(t, e, 4, &v), 0, "read");
	CHECK_EQ(v, 0, "a new page: zeros");
	CHECK_EQ(cg_usage_pages(a), start, "charged again");

	/* remove_untouched_page, and a heap that grows and shrinks */
	trim_accept_remove(t, e, 5, 1);
	for (int round = 0; round < 3; round++) {
		for (uint64_t i = 8; i < 16; i++)
			CHECK_EQ(accept(t, e, i, RW_PENDING), 0, "grow");
		CHECK_EQ(cg_usage_pages(a), start + 7, "8 heap pages, one data page less");
		trim_accept_remove(t, e, 8, 8);
		CHECK_EQ(cg_usage_pages(a), start - 1, "shrunk back");
	}
	CHECK_EQ(estats(e).nr_augmented, 25, "every EAUG counted");
	CHECK_EQ(estats(e).nr_removed, 26, "every removal counted");
	check_all(t, e, 4, 7);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	CHECK_EQ(cg_usage_pages(a), 0, "every charge back");
	epc_task_destroy(t);
	epc_cgroup_put(a);
	epc_destroy(epc);
}

/* Argument checks of removal, and a removal of an evicted page. */
static void test_edmm_remove_pages_arguments_and_evicted_pages(void **state)
{
	struct epc *epc = mk_epc(64);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = mk_encl(t, 16, 8, 8);
	struct epc_modify_types m;
	struct epc_remove_pages r;
	uint64_t before;

	(void)state;
	r = (struct epc_remove_pages){.offset = 0, .length = PAGE, .count = 1};
	CHECK_EQ(epc_encl_remove_pages(t, e, &r, sizeof(r)), -EINVAL, "count not 0");
	CHECK_EQ(remove_pages(t, e, 0, 17, &r), -EINVAL, "past the end");
	r = (struct epc_remove_pages){.offset = PAGE / 2, .length = PAGE};
	CHECK_EQ(epc_encl_remove_pages(t, e, &r, sizeof(r)), -EINVAL, "unaligned");
	CHECK_EQ(modify(t, e, 2, 2, EPC_PAGE_TYPE_TRIM, &m), 0, "trim 2 and 3");
	CHECK_EQ(accept(t, e, 2, TRIM_ACCEPT), 0, "accept 2");
	CHECK_EQ(accept(t, e, 3, TRIM_ACCEPT), 0, "accept 3");
	epc_reclaim(epc, 100);
	CHECK_EQ(estats(e).nr_resident, 0, "all out");
	before = cg_usage_pages(root);
	CHECK_EQ(remove_pages(t, e, 2, 2, &r), 0, "loaded back, then removed");
	CHECK_EQ(r.count, 2 * PAGE, "both");
	CHECK_EQ(cg_usage_pages(root), before + 1, "only the SECS came back with them");
	check_all(t, e, 2, 7);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* -EAGAIN: a page that must be loaded back finds no room now; nothing changes. */
static int fail_page_alloc(void *arg, enum epc__fault_site site, uint64_t idx)
{
	(void)arg;
	(void)idx;
	return site == EPC__FAULT_PAGE_ALLOC ? -ENOMEM : 0;
}

static void test_edmm_page_being_loaded_is_eagain(void **state)
{
	struct epc *epc = mk_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = mk_encl(t, 16, 8, 8), *f;
	struct epc_restrict_permissions p;
	struct epc_modify_types m;
	struct epc_remove_pages r;

	(void)state;
	CHECK_EQ(modify(t, e, 6, 1, EPC_PAGE_TYPE_TRIM, &m), 0, "trim 6");
	CHECK_EQ(accept(t, e, 6, TRIM_ACCEPT), 0, "accept");
	f = mk_encl(t, 32, 32, 32); /* reclaimable pages that stay */
	epc_reclaim(epc, 8);	    /* one batch: e's pages first, the oldest */
	CHECK_EQ(estats(e).nr_resident, 0, "e is out");
	CHECK(estats(f).nr_resident > 0, "f still has pages to reclaim");
	epc__fault_set(epc, fail_page_alloc, NULL);
	CHECK_EQ(restrict_perms(t, e, 0, 1, EPC_SECINFO_R, &p), -EAGAIN, "no room to load it now");
	CHECK_EQ(p.count, 0, "nothing done");
	CHECK_EQ(modify(t, e, 0, 1, EPC_PAGE_TYPE_TRIM, &m), -EAGAIN, "modify: the same");
	CHECK_EQ(remove_pages(t, e, 6, 1, &r), -EAGAIN, "remove: the same");
	CHECK_EQ(r.count, 0, "nothing removed");
	epc__fault_set(epc, NULL, NULL);
	/* nothing reclaimable anywhere: -EFAULT (the allocation's -ENOMEM) */
	epc_encl_destroy(f);
	epc_reclaim(epc, 100);
	epc__fault_set(epc, fail_page_alloc, NULL);
	CHECK_EQ(restrict_perms(t, e, 0, 1, EPC_SECINFO_R, &p), -EFAULT, "no room will come");
	epc__fault_set(epc, NULL, NULL);
	CHECK_EQ(remove_pages(t, e, 6, 1, &r), 0, "then it works");
	CHECK_EQ(restrict_perms(t, e, 0, 1, EPC_SECINFO_R, &p), 0, "and this");
	check_all(t, e, 1, 7);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* -------------------------------------------------- behaviour 61, VA pages */

/*
 * Behaviour 61: sgx_reclaim_direct() before each EDMM call reclaims at least
 * 16 pages from the task's cgroup's subtree when should_reclaim() holds for
 * it, and one global batch only when fewer than 32 pages are free.
 */
static void test_edmm_reclaim_direct_before_each_call(void **state)
{
	struct epc *epc = mk_epc(256);
	struct epc_cgroup *root = epc_cgroup_root(epc), *c = make_cg(epc, "/c");
	struct epc_task *t = make_task(epc, c, 0), *tr = make_task(epc, NULL, 0);
	struct epc_restrict_permissions p;
	struct epc_encl *e, *g;
	struct epc_cgroup_stats cs0, rs0;
	uint64_t ev0;

	(void)state;
	set_max_pages(c, 64);	    /* at most 128 pages: no margin, should_reclaim at the limit */
	e = mk_encl(t, 64, 62, 62); /* SECS + VA + 62: exactly at the limit */
	CHECK_EQ(cg_usage_pages(c), 64, "at the limit");
	cs0 = cstats(c);
	rs0 = cstats(root);
	ev0 = stats(epc).nr_evicted;
	CHECK(nr_free(epc) >= 32, "the EPC is not short");
	CHECK_EQ(restrict_perms(t, e, 61, 1, EPC_SECINFO_R | EPC_SECINFO_W, &p), 0, "an EDMM call");
	CHECK(cstats(c).nr_evicted - cs0.nr_evicted >= 16, "at least 16 of /c's pages went");
	CHECK_EQ(cstats(c).nr_reclaim_sync - cs0.nr_reclaim_sync, 1, "one reclaim of /c");
	CHECK_EQ(cstats(root).nr_reclaim_sync, rs0.nr_reclaim_sync, "no global batch");
	CHECK(stats(epc).nr_evicted - ev0 <= 17, "16 and no more (maybe the SECS)");

	/* below the threshold: nothing at all */
	cs0 = cstats(c);
	ev0 = stats(epc).nr_evicted;
	CHECK_EQ(restrict_perms(t, e, 61, 1, EPC_SECINFO_R | EPC_SECINFO_W, &p), 0, "again");
	CHECK_EQ(stats(epc).nr_evicted, ev0, "nothing reclaimed");
	CHECK_EQ(cstats(c).nr_reclaim_sync, cs0.nr_reclaim_sync, "no reclaim of /c");

	/* the EPC short (< 32 free): one global batch, also from the root cgroup */
	g = mk_encl(tr, 256, nr_free(epc) - 2 - 20, 256); /* leaves 20 free */
	CHECK(nr_free(epc) < 32, "short of free pages");
	rs0 = cstats(root);
	ev0 = stats(epc).nr_evicted;
	CHECK_EQ(restrict_perms(tr, g, 0, 1, EPC_SECINFO_R | EPC_SECINFO_W, &p), 0, "a call");
	CHECK_EQ(cstats(root).nr_reclaim_sync - rs0.nr_reclaim_sync, 1, "one global round");
	CHECK(stats(epc).nr_evicted - ev0 >= 1 && stats(epc).nr_evicted - ev0 <= 17,
	      "one batch of at most 16");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_encl_destroy(g);
	epc_task_destroy(t);
	epc_task_destroy(tr);
	epc_cgroup_put(c);
	epc_destroy(epc);
}

/* An EAUG past 512 pages brings a VA page (NO_RECLAIM); a heap breathing
 * across that boundary does not keep adding VA pages. */
static void test_edmm_va_pages_follow_eaug_and_stay_bounded(void **state)
{
	struct epc *epc = mk_epc(1024);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = mk_encl(t, 1024, 511, 511);
	uint64_t start = cg_usage_pages(root);

	(void)state;
	CHECK_EQ(estats(e).nr_va_pages, 1, "SECS + 511 pages: one VA page");
	for (int round = 0; round < 4; round++) {
		CHECK_EQ(accept(t, e, 511, RW_PENDING), 0, "page 512 of the enclave");
		CHECK_EQ(accept(t, e, 512, RW_PENDING), 0, "page 513");
		CHECK_EQ(estats(e).nr_va_pages, 2, "a second VA page, and only one");
		trim_accept_remove(t, e, 511, 2);
		CHECK_EQ(estats(e).nr_va_pages, 2, "VA pages stay");
		assert_epc_consistent(epc);
	}
	CHECK_EQ(cg_usage_pages(root), start + 1, "the second VA page is charged, nothing else");
	epc_encl_destroy(e);
	CHECK_EQ(cg_usage_pages(root), 0, "every charge back");
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* ------------------------------------------------------ foreign, killed */

static void test_edmm_other_instances_handles_are_refused(void **state)
{
	struct epc *x = mk_epc(64), *y = make_epc(64);
	struct epc_task *tx = make_task(x, NULL, 0), *ty = make_task(y, NULL, 0);
	struct epc_encl *e = mk_encl(tx, 16, 4, 4);
	struct epc_restrict_permissions p;
	struct epc_modify_types m;
	struct epc_remove_pages r;
	uint64_t result;

	(void)state;
	CHECK_EQ(epc_encl_accept(ty, e, 4 * PAGE, RW_PENDING, &result), -EINVAL, "EACCEPT");
	CHECK_EQ(restrict_perms(ty, e, 0, 1, EPC_SECINFO_R, &p), -EINVAL, "restrict");
	CHECK_EQ(modify(ty, e, 0, 1, EPC_PAGE_TYPE_TRIM, &m), -EINVAL, "modify");
	CHECK_EQ(remove_pages(ty, e, 0, 1, &r), -EINVAL, "remove");
	CHECK_EQ(epc_encl_add_page2(ty, e, 0, NULL, EPC_SECINFO_REG), -EINVAL, "EADD");
	CHECK_EQ(estats(e).nr_augmented + estats(e).nr_trimmed, 0, "nothing happened");
	assert_epc_consistent(x);
	assert_epc_consistent(y);
	epc_encl_destroy(e);
	epc_task_destroy(tx);
	epc_task_destroy(ty);
	epc_destroy(x);
	epc_destroy(y);
}

/* ---------------------------------------------------------- THREADS mode */

#define HEAP_WORKERS 3
#define HEAP_PAGES   32
#define HEAP_ROUNDS  60

struct heap_worker {
	struct epc_task *t;
	struct epc_encl *e;
	int id;
	_Atomic int failures;
	_Atomic int last_err;
};

static void heap_fail(struct heap_worker *w, int err)
{
	atomic_fetch_add(&w->failures, 1);
	atomic_store(&w->last_err, err);
}

/* Retry while the page is being written back or no room is there yet. */
static int retry_busy(int ret)
{
	return ret == -EAGAIN || ret == -EBUSY;
}

/* A heap that grows (EACCEPT, write), is read back, and shrinks (trim,
 * EACCEPT, remove), while ksgxd and the cgroup work evict underneath. */
static void *heap_main(void *arg)
{
	struct heap_worker *w = arg;

	for (int round = 0; round < HEAP_ROUNDS; round++) {
		struct epc_modify_types m;
		struct epc_remove_pages r;
		uint64_t v = 0, res = 0;
		int ret;

		for (uint64_t i = 0; i < HEAP_PAGES; i++) {
			ret = epc_encl_accept(w->t, w->e, (8 + i) * PAGE, RW_PENDING, &res);
			if (ret || res)
				heap_fail(w, ret ? ret : (int)res);
			if ((ret = put(w->t, w->e, 8 + i, (uint64_t)w->id << 32 | round << 8 | i)))
				heap_fail(w, ret);
		}
		for (uint64_t i = 0; i < HEAP_PAGES; i++)
			if ((ret = get(w->t, w->e, 8 + i, &v)) ||
			    v != ((uint64_t)w->id << 32 | round << 8 | i))
				heap_fail(w, ret ? ret : -EBADMSG);
		do
			ret = modify(w->t, w->e, 8, HEAP_PAGES, EPC_PAGE_TYPE_TRIM, &m);
		while (retry_busy(ret) && m.count == 0);
		if (ret || m.count != HEAP_PAGES * PAGE) { /* a retry picks up where it stopped */
			uint64_t done = m.count;

			while (retry_busy(ret) && done < HEAP_PAGES * PAGE) {
				ret = modify(w->t, w->e, 8 + done / PAGE, HEAP_PAGES - done / PAGE,
					     EPC_PAGE_TYPE_TRIM, &m);
				done += m.count;
			}
			if (ret)
				heap_fail(w, ret);
		}
		for (uint64_t i = 0; i < HEAP_PAGES; i++) {
			ret = epc_encl_accept(w->t, w->e, (8 + i) * PAGE, TRIM_ACCEPT, &res);
			if (ret || res)
				heap_fail(w, ret ? ret : (int)res);
		}
		for (uint64_t done = 0; done < HEAP_PAGES * PAGE;) {
			ret = remove_pages(w->t, w->e, 8 + done / PAGE, HEAP_PAGES - done / PAGE, &r);
			done += r.count;
			if (ret && !retry_busy(ret)) {
				heap_fail(w, ret);
				break;
			}
		}
	}
	return NULL;
}

static void test_edmm_threads_heaps_breathe_under_reclaim(void **state)
{
	struct topo tp = {.nr_nodes = 1, .nr_sections = 1, .pages = 96, .threads = true};
	struct epc *epc = make_topo(&tp);
	struct epc_cgroup *root = epc_cgroup_root(epc), *c = make_cg(epc, "/c");
	struct heap_worker w[HEAP_WORKERS];
	pthread_t th[HEAP_WORKERS];

	(void)state;
	set_max_pages(c, 40); /* one heap of 32 and its enclave's pages are over it */
	for (int i = 0; i < HEAP_WORKERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = i;
		w[i].t = make_task(epc, c, 0);
		w[i].e = mk_encl(w[i].t, 8 + HEAP_PAGES, 8, 8);
	}
	for (int i = 0; i < HEAP_WORKERS; i++)
		CHECK_EQ_AT(pthread_create(&th[i], NULL, heap_main, &w[i]), 0, i);
	for (int i = 0; i < HEAP_WORKERS; i++)
		pthread_join(th[i], NULL);
	quiesce(epc);
	for (int i = 0; i < HEAP_WORKERS; i++) {
		if (atomic_load(&w[i].failures))
			fail_msg("worker %d: %d failures, the last %d", i,
				 atomic_load(&w[i].failures), atomic_load(&w[i].last_err));
		CHECK_EQ(estats(w[i].e).nr_pages, 8, "the heap is gone again");
		CHECK_EQ(estats(w[i].e).nr_removed, HEAP_ROUNDS * HEAP_PAGES, "every page removed");
		check_all(w[i].t, w[i].e, 8, 7);
	}
	CHECK(cstats(c).peak <= 40 * PAGE, "never over the limit");
	CHECK(cstats(c).nr_evicted > 0, "the limit made reclaim evict heap pages");
	print_message("# %llu pages evicted, %llu reloaded under the heaps\n",
		      (unsigned long long)cstats(c).nr_evicted,
		      (unsigned long long)cstats(c).nr_reloaded);
	assert_epc_consistent(epc);
	for (int i = 0; i < HEAP_WORKERS; i++) {
		epc_encl_destroy(w[i].e);
		epc_task_destroy(w[i].t);
	}
	CHECK_EQ(cg_usage_pages(root), 0, "every charge back");
	epc_cgroup_put(c);
	epc_destroy(epc);
}

/* ------------------------------------------------------ fault injection */

struct hook {
	int site;
	int ret;
	int left; /* calls to fail; -1: all */
};

static int hook_fn(void *arg, enum epc__fault_site site, uint64_t idx)
{
	struct hook *h = arg;

	(void)idx;
	if ((int)site != h->site || !h->left)
		return 0;
	if (h->left > 0)
		h->left--;
	return h->ret;
}

/* EAUG, EMODPR, EMODT and ETRACK failing: the errno, the books intact. */
static void test_edmm_fault_injection(void **state)
{
	struct epc *epc = mk_epc(64);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = mk_encl(t, 16, 4, 4);
	struct epc_restrict_permissions p;
	struct epc_modify_types m;
	struct hook h;
	uint64_t before = cg_usage_pages(root), v;

	(void)state;
	h = (struct hook){.site = EPC__FAULT_EAUG, .ret = EPC__SGX_ENCLS_FAULT, .left = -1};
	epc__fault_set(epc, hook_fn, &h);
	CHECK_EQ(get(t, e, 5, &v), -EFAULT, "EAUG failing: SIGBUS");
	CHECK_EQ(cg_usage_pages(root), before, "nothing left charged");
	CHECK_EQ(estats(e).nr_pages, 4, "nothing added");
	assert_epc_consistent(epc);

	h = (struct hook){
		.site = EPC__FAULT_EMODPR, .ret = EPC__SGX_PAGE_NOT_MODIFIABLE, .left = -1};
	CHECK_EQ(restrict_perms(t, e, 0, 2, EPC_SECINFO_R, &p), -EFAULT, "EMODPR failing");
	CHECK_EQ(p.result, EPC__SGX_PAGE_NOT_MODIFIABLE, "its code in result");
	CHECK_EQ(p.count, 0, "nothing done");
	CHECK_EQ(put(t, e, 0, 1), 0, "page 0 still writable");

	h = (struct hook){.site = EPC__FAULT_EMODT, .ret = EPC__SGX_ENCLS_FAULT | 14, .left = 1};
	CHECK_EQ(modify(t, e, 1, 1, EPC_PAGE_TYPE_TRIM, &m), -EFAULT, "EMODT faulting");
	CHECK_EQ(m.result, 0, "a fault is no SGX code");
	CHECK_EQ(put(t, e, 1, 1), 0, "page 1 unchanged");

	/* ETRACK failing twice: -EFAULT, the type changed all the same; the
	 * enclave's EACCEPT then finds the change not tracked */
	h = (struct hook){.site = EPC__FAULT_ETRACK, .ret = EPC__SGX_PREV_TRK_INCMPL, .left = 2};
	CHECK_EQ(modify(t, e, 2, 1, EPC_PAGE_TYPE_TRIM, &m), -EFAULT, "ETRACK failing");
	CHECK_EQ(m.count, 0, "the page did not count");
	CHECK(log_count(&lc, "ETRACK repeat returned") == 1, "both ETRACKs logged");
	CHECK_EQ(accept(t, e, 2, TRIM_ACCEPT), EPC_SGX_NOT_TRACKED, "EACCEPT: not tracked");
	assert_epc_consistent(epc);
	/* ETRACK failing once: the retry makes it */
	h = (struct hook){.site = EPC__FAULT_ETRACK, .ret = EPC__SGX_PREV_TRK_INCMPL, .left = 1};
	CHECK_EQ(modify(t, e, 3, 1, EPC_PAGE_TYPE_TRIM, &m), 0, "the second ETRACK works");
	CHECK_EQ(accept(t, e, 3, TRIM_ACCEPT), 0, "tracked");
	epc__fault_set(epc, NULL, NULL);
	/* an ETRACK later tracks page 2's change too */
	CHECK_EQ(accept(t, e, 2, TRIM_ACCEPT), 0, "tracked by then");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	CHECK_EQ(cg_usage_pages(root), 0, "every charge back");
	epc_task_destroy(t);
	epc_destroy(epc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edmm_access_eaugs_a_pending_page),
		cmocka_unit_test(test_edmm_accept_eaugs_then_accepts),
		cmocka_unit_test(test_edmm_accept_checks_its_secinfo),
		cmocka_unit_test(test_edmm_eaug_only_where_and_when_allowed),
		cmocka_unit_test(test_edmm_eaug_page_is_evicted_and_reloaded),
		cmocka_unit_test(test_edmm_attributes_in_the_pcmd_are_authenticated),
		cmocka_unit_test(test_edmm_eaug_at_the_limit_retries_or_sigbus),
		cmocka_unit_test(test_edmm_restrict_permissions_argument_errors),
		cmocka_unit_test(test_edmm_restrict_permissions_pages),
		cmocka_unit_test(test_edmm_modify_types_tcs_and_errors),
		cmocka_unit_test(test_edmm_remove_pages),
		cmocka_unit_test(test_edmm_remove_pages_arguments_and_evicted_pages),
		cmocka_unit_test(test_edmm_page_being_loaded_is_eagain),
		cmocka_unit_test(test_edmm_reclaim_direct_before_each_call),
		cmocka_unit_test(test_edmm_va_pages_follow_eaug_and_stay_bounded),
		cmocka_unit_test(test_edmm_other_instances_handles_are_refused),
		cmocka_unit_test(test_edmm_fault_injection),
		cmocka_unit_test(test_edmm_threads_heaps_breathe_under_reclaim),
	};

	return cmocka_run_group_tests_name("edmm", tests, NULL, NULL);
}
