// SPDX-License-Identifier: MIT
/*
 * test_memcg.c - the backing-memory limit (kernel-spec behaviour 70): the
 * memory.* files byte for byte, memory.max parsed as the kernel's
 * page_counter_memparse() does, evictions refused by memory.max, and the OOM
 * kill of an enclave whose cgroup can make no progress.
 */
#include <errno.h>

#include "encl_helpers.h"

/* The text of @file of @cg, which must exist. */
static const char *rd(struct epc_cgroup *cg, const char *file)
{
	static char buf[512];
	ssize_t n = epc_cgroup_read(cg, file, buf, sizeof(buf));

	if (n < 0)
		fail_msg("read of %s: %zd", file, n);
	return buf;
}

static void check_text(struct epc_cgroup *cg, const char *file, const char *want)
{
	const char *got = rd(cg, file);

	if (strcmp(got, want))
		fail_msg("%s reads '%s', expected '%s'", file, got, want);
}

static uint64_t mem_current(struct epc_cgroup *cg)
{
	return strtoull(rd(cg, "memory.current"), NULL, 10);
}

/* The count of @key in memory.events (or .local) of @cg. */
static uint64_t mem_event(struct epc_cgroup *cg, const char *file, const char *key)
{
	const char *t = rd(cg, file);
	size_t kl = strlen(key);

	for (const char *l = t; *l; l = strchr(l, '\n') + 1) {
		if (!strncmp(l, key, kl) && l[kl] == ' ')
			return strtoull(l + kl + 1, NULL, 10);
		if (!strchr(l, '\n'))
			break;
	}
	fail_msg("%s has no key %s", file, key);
	return 0;
}

static int64_t root_mem(struct epc *epc)
{
	return atomic_load(&epc->cgroups.root->mem.usage);
}

static void set_mem_max(struct epc_cgroup *cg, const char *text)
{
	CHECK_EQ(epc_cgroup_write(cg, "memory.max", text), 0, "memory.max write");
}

/* ------------------------------------------------------------ the files */

static void test_memcg_files_byte_exact(void **state)
{
	const char *zero = "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n";
	struct epc *epc = make_epc(64);
	struct epc_cgroup *a = make_cg(epc, "/a"), *root = epc_cgroup_root(epc);
	static const char *files[] = {"memory.current", "memory.peak", "memory.max",
				      "memory.events", "memory.events.local"};
	char buf[256];

	(void)state;
	check_text(a, "memory.current", "0\n");
	check_text(a, "memory.peak", "0\n");
	check_text(a, "memory.max", "max\n");
	check_text(a, "memory.events", zero);
	check_text(a, "memory.events.local", zero);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		/* the kernel marks all five CFTYPE_NOT_ON_ROOT */
		CHECK_EQ(epc_cgroup_read(root, files[i], buf, sizeof(buf)), -ENOENT,
			 "the root has no memory.* file");
		CHECK_EQ(epc_cgroup_write(root, files[i], "max"), -ENOENT,
			 "nor can the root's be written");
	}
	CHECK_EQ(epc_cgroup_write(a, "memory.current", "0"), -EACCES,
		 "memory.current is read-only");
	CHECK_EQ(epc_cgroup_write(a, "memory.peak", "0"), -EACCES, "memory.peak is read-only");
	CHECK_EQ(epc_cgroup_write(a, "memory.events", "0"), -EACCES, "memory.events is read-only");
	CHECK_EQ(epc_cgroup_read(a, "memory.stat", buf, sizeof(buf)), -ENOENT,
		 "memory.stat is not emulated");
	CHECK_EQ(epc_cgroup_read(a, "memory.events", buf, 10), -ENOSPC, "a short buffer: -ENOSPC");
	set_mem_max(a, "1M");
	check_text(a, "memory.max", "1048576\n");
	/* misc files are untouched by memory writes, and the other way round */
	check_text(a, "misc.max", "sgx_epc max\n");
	epc_destroy(epc);
}

/* An enclave of 40 pages evicted whole: the host pages its backing takes. */
static void test_memcg_b70_charge_is_the_backing_pages(void **state)
{
	struct epc *epc = make_epc(256);
	struct epc_cgroup *a = make_cg(epc, "/a"), *b = make_cg(epc, "/a/b");
	struct epc_task *t = make_task(epc, b, 0);
	struct epc_encl *e = build(t, 40, 40, 7, true);

	(void)state;
	CHECK_EQ(mem_current(b), 0, "nothing evicted, nothing charged");
	CHECK_EQ(epc_reclaim(epc, 16), 16, "chunk 0 out");
	/* 16 contents pages and the PCMD page of slots 0..31 */
	CHECK_EQ(mem_current(b), 17 * PAGE, "chunk 0 and its PCMD page");
	CHECK_EQ(mem_current(a), 17 * PAGE, "charged hierarchically");
	CHECK_EQ(root_mem(epc), 17 * PAGE, "up to the root");
	CHECK_EQ(epc_reclaim(epc, 24), 24, "the rest out");
	/* chunk 1 shares PCMD page 0; chunk 2 (8 pages) brings PCMD page 1,
	 * which the SECS (slot 40) shares; the SECS followed its last child */
	CHECK_EQ(encl_stats(e).nr_resident, 0, "every page evicted");
	CHECK_EQ(encl_stats(e).nr_evicted, 41, "and the SECS");
	CHECK_EQ(mem_current(b), (17 + 16 + 9 + 1) * PAGE, "contents, SECS, two PCMD pages");
	check_text(b, "memory.peak", "176128\n");
	check_all(t, e, 40, 7);
	CHECK_EQ(mem_current(b), 43 * PAGE, "a reload keeps the backing (DIFFERENCES E2)");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	CHECK_EQ(mem_current(b), 0, "destroy returns the charge");
	CHECK_EQ(mem_current(a), 0, "at every level");
	CHECK_EQ(root_mem(epc), 0, "the root too");
	check_text(b, "memory.peak", "176128\n");
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* no_contents: no bytes, but the memory the kernel would use is accounted. */
static void test_memcg_b70_no_contents_still_charged(void **state)
{
	struct topo tp = {.nr_nodes = 1, .nr_sections = 1, .pages = 64, .no_contents = true};
	struct epc *epc = make_topo(&tp);
	struct epc_cgroup *a = make_cg(epc, "/a");
	struct epc_task *t = make_task(epc, a, 0);
	struct epc_encl *e = build(t, 16, 16, 1, false);

	(void)state;
	CHECK_EQ(epc_reclaim(epc, 16), 16, "evicted");
	CHECK_EQ(mem_current(a), 17 * PAGE, "charged without contents");
	epc_encl_destroy(e);
	CHECK_EQ(mem_current(a), 0, "returned");
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* The creator's cgroup at ECREATE pays, wherever the creator or the faulter goes. */
static void test_memcg_b70_owner_pays_not_the_faulter(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_cgroup *a = make_cg(epc, "/a"), *b = make_cg(epc, "/b");
	struct epc_task *t = make_task(epc, a, 0), *u = make_task(epc, b, 0);
	struct epc_encl *e = build(t, 32, 32, 13, true);

	(void)state;
	CHECK_EQ(epc_task_move(t, b), 0, "the creator moves to /b");
	CHECK_EQ(epc_reclaim(epc, 16), 16, "chunk 0 out");
	CHECK_EQ(mem_current(a), 17 * PAGE, "charged to the cgroup the creator was in");
	CHECK_EQ(mem_current(b), 0, "not to where it went");
	check_all(u, e, 32, 13); /* reloads by a task of /b: EPC charged to /b */
	CHECK_EQ(epc_reclaim(epc, 64), 32, "everything out (the SECS follows, uncounted)");
	CHECK_EQ(encl_stats(e).nr_resident, 0, "nothing resident");
	CHECK_EQ(mem_current(a), (32 + 1 + 1 + 1) * PAGE, "all the backing still on /a");
	CHECK_EQ(mem_current(b), 0, "the faulter's cgroup pays no backing memory");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	CHECK_EQ(mem_current(a), 0, "returned to /a");
	epc_task_destroy(t);
	epc_task_destroy(u);
	epc_destroy(epc);
}

/* ------------------------------------------------------------ memparse */

struct parse_case {
	const char *in;
	int ret;
	const char *back; /* memory.max read back after a good write */
};

static const struct parse_case parse_cases[] = {
	{"max", 0, "max\n"},
	{" max \n", 0, "max\n"},
	{"max\n", 0, "max\n"},
	{"4096", 0, "4096\n"},
	{"4097", 0, "4096\n"}, /* rounded down to a page */
	{"8191\n", 0, "4096\n"},
	{"4095", 0, "0\n"},
	{"0", 0, "0\n"},
	{"", 0, "0\n"},	     /* memparse("") is 0 and stops at the NUL: accepted */
	{" \t\n", 0, "0\n"}, /* stripped to "" */
	{"1k", 0, "0\n"},
	{"4k", 0, "4096\n"},
	{"4K", 0, "4096\n"},
	{"1m", 0, "1048576\n"},
	{"1M", 0, "1048576\n"},
	{"3G", 0, "3221225472\n"},
	{"2t", 0, "2199023255552\n"},
	{"1T", 0, "1099511627776\n"},
	{"1P", 0, "1125899906842624\n"},
	{"1e", 0, "1152921504606846976\n"},
	{"8E", 0, "max\n"}, /* 2^51 pages: at PAGE_COUNTER_MAX or above reads "max" */
	{"16E", 0, "0\n"},  /* the kernel's shift wraps */
	{"0x1000", 0, "4096\n"},
	{"0X2000", 0, "8192\n"},
	{"0x1k", 0, "0\n"}, /* 1 KiB: under a page */
	{"0x4k", 0, "4096\n"},
	{"010000", 0, "4096\n"}, /* leading 0: octal */
	{"\xa0"
	 "8192\xa0",
	 0, "8192\n"},					     /* the kernel's isspace() takes 0xA0 */
	{"9223372036854767616", 0, "9223372036854767616\n"}, /* PAGE_COUNTER_MAX - 1 pages */
	{"9223372036854771712", 0, "max\n"},		     /* PAGE_COUNTER_MAX pages */
	{"18446744073709551615", 0, "max\n"},
	{"18446744073709551616", 0, "0\n"}, /* simple_strtoull wraps */
	{"abc", -EINVAL, NULL},
	{"MAX", -EINVAL, NULL},
	{"maximum", -EINVAL, NULL},
	{"1KB", -EINVAL, NULL},
	{"1 K", -EINVAL, NULL},
	{"4096 4096", -EINVAL, NULL},
	{"-4096", -EINVAL, NULL},
	{"+4096", -EINVAL, NULL},
	{"08", -EINVAL, NULL},
	{"0x", -EINVAL, NULL},
	{"0xg", -EINVAL, NULL},
	{"1.5G", -EINVAL, NULL},
	{"4096\n\n", 0, "4096\n"},
	{"1k2", -EINVAL, NULL},
	{"k", 0, "0\n"}, /* memparse: no digits is 0, then the suffix */
	{"kk", -EINVAL, NULL},
};

static void test_memcg_max_parse_table(void **state)
{
	struct epc *epc = make_epc(16);
	struct epc_cgroup *a = make_cg(epc, "/a");

	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		int ret;

		set_mem_max(a, "12288");
		ret = epc_cgroup_write(a, "memory.max", c->in);
		if (ret != c->ret)
			fail_msg("memory.max <- '%s': %d, expected %d", c->in, ret, c->ret);
		if (c->ret) {
			if (strcmp(rd(a, "memory.max"), "12288\n"))
				fail_msg("memory.max <- '%s' was refused but changed the limit to "
					 "%s",
					 c->in, rd(a, "memory.max"));
			continue;
		}
		if (strcmp(rd(a, "memory.max"), c->back))
			fail_msg("memory.max <- '%s' reads back '%s', expected '%s'", c->in,
				 rd(a, "memory.max"), c->back);
	}
	epc_destroy(epc);
}

static void test_memcg_memparse_end(void **state)
{
	const char *end;

	(void)state;
	CHECK_EQ(epc__memparse("12kx", &end), 12 * 1024, "12k");
	CHECK_EQ(*end, 'x', "stops after the suffix");
	CHECK_EQ(epc__memparse("0x10M", &end), 16 << 20, "hex with a suffix");
	CHECK_EQ(*end, '\0', "all taken");
	CHECK_EQ(epc__memparse("077", &end), 63, "octal");
	CHECK_EQ(epc__memparse("z", &end), 0, "no digits: 0");
	CHECK_EQ(*end, 'z', "and nothing taken");
}

/* ------------------------------------------------------- refused eviction */

static void test_memcg_b70_eviction_refused_keeps_page(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_cgroup *p = make_cg(epc, "/p"), *c = make_cg(epc, "/p/c");
	struct epc_task *t = make_task(epc, c, 0);
	struct epc_encl *e = build(t, 32, 32, 3, true);
	uint64_t maxes;

	(void)state;
	set_mem_max(p, "0");
	CHECK_EQ(epc_reclaim(epc, 16), 0, "memory.max 0: nothing can be evicted");
	CHECK_EQ(encl_stats(e).nr_resident, 32, "every page still resident");
	maxes = mem_event(p, "memory.events.local", "max");
	CHECK(maxes > 0, "the refusals are counted at the refusing level");
	CHECK_EQ(mem_event(p, "memory.events", "max"), maxes, "and in its hierarchical events");
	CHECK_EQ(mem_event(c, "memory.events", "max"), 0, "not in the child's: the parent refused");
	CHECK_EQ(mem_event(c, "memory.events", "oom"), 0, "a refused eviction is no OOM");
	CHECK_EQ(mem_current(c), 0, "nothing charged");
	CHECK_EQ(cg_usage_pages(c), 34, "EPC: 32 pages, the SECS, a VA page");
	assert_epc_consistent(epc);

	/* room for exactly chunk 0 and its PCMD page */
	set_mem_max(p, "69632");
	CHECK_EQ(epc_reclaim(epc, 32), 16, "chunk 0 goes, chunk 1 is refused");
	CHECK_EQ(encl_stats(e).nr_resident, 16, "chunk 1 stays resident");
	CHECK(mem_event(p, "memory.events.local", "max") > maxes, "more refusals counted");
	CHECK_EQ(mem_current(c), 69632, "exactly chunk 0 charged");
	/* as page_counter_try_charge(): the child's watermark rose before its
	 * parent refused (the transient of behaviour 39) */
	check_text(c, "memory.peak", "135168\n");
	check_text(p, "memory.peak", "69632\n");
	set_mem_max(p, "max");
	check_all(t, e, 32, 3);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	CHECK_EQ(mem_current(p), 0, "all returned");
	CHECK_EQ(root_mem(epc), 0, "at the root too");
	CHECK_EQ(cg_usage(p), 0, "EPC too");
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* -------------------------------------------------------------- OOM kill */

/* Every call on a killed enclave fails with -EOWNERDEAD. */
static void check_dead(struct epc_task *t, struct epc_encl *e)
{
	unsigned char buf[16] = {0};

	CHECK_EQ(epc_encl_access2(t, e, 0, buf, sizeof(buf), EPC_ACCESS_READ), -EOWNERDEAD, "read");
	CHECK_EQ(epc_encl_access2(t, e, 0, buf, sizeof(buf), EPC_ACCESS_WRITE), -EOWNERDEAD,
		 "write");
	CHECK_EQ(epc_encl_add_page2(t, e, (e->size / PAGE - 1) * PAGE, NULL, EPC_SECINFO_REG_RWX),
		 -EOWNERDEAD, "EADD");
	CHECK_EQ(epc_encl_init(e), -EOWNERDEAD, "EINIT");
	CHECK_EQ(epc_encl_backing_fd(e), -EOWNERDEAD, "the backing fd");
	CHECK_EQ(encl_stats(e).nr_resident, 0, "nothing resident");
	CHECK_EQ(encl_stats(e).nr_va_pages, 0, "no VA page");
}

/* EADD with reclaim: the EPC limit needs evictions, memory.max refuses them. */
static void test_memcg_b70_oom_kill_on_eadd(void **state)
{
	struct log_catcher *lc = calloc(1, sizeof(*lc));
	struct epc *epc = make_epc_ex(1, NULL, 1, 256, 0, lc);
	struct epc_cgroup *a = make_cg(epc, "/a"), *b = make_cg(epc, "/b");
	struct epc_task *t = make_task(epc, a, 0), *tb = make_task(epc, b, 0);
	struct epc_encl *other = build(tb, 16, 16, 9, true);
	struct epc_encl *e = NULL;
	int ret = 0;
	uint64_t i;

	(void)state;
	set_max_pages(a, 20);
	set_mem_max(a, "69632"); /* one chunk and its PCMD page */
	CHECK_EQ(epc_encl_create(t, 64 * PAGE, &e), 0, "ECREATE");
	for (i = 0; i < 64; i++) {
		ret = epc_encl_add_page2(t, e, i * PAGE, NULL, EPC_SECINFO_REG_RWX);
		if (ret)
			break;
	}
	CHECK_EQ(ret, -EOWNERDEAD, "the EADD that found no room killed the enclave");
	/* 20 pages: SECS, VA, 18 resident; chunk 0 out (16): 34 added, the 35th
	 * needs an eviction from chunk 1, which memory.max refuses */
	CHECK_EQ(i, 34, "it died at the first EADD that needed chunk 1 out");
	CHECK_EQ(cg_usage(a), 0, "every EPC page freed");
	CHECK_EQ(mem_current(a), 0, "every backing charge returned");
	check_text(a, "memory.peak", "69632\n");
	CHECK_EQ(mem_event(a, "memory.events", "oom"), 1, "oom counted");
	CHECK_EQ(mem_event(a, "memory.events", "oom_kill"), 1, "oom_kill counted");
	CHECK_EQ(mem_event(a, "memory.events.local", "oom_kill"), 1, "locally too");
	CHECK_EQ(mem_event(a, "memory.events", "oom_group_kill"), 0, "no group kill");
	CHECK(mem_event(a, "memory.events", "max") > 0, "the refusals that led to it");
	CHECK_EQ(log_count(lc, "Memory cgroup out of memory"), 1, "one kill logged");
	CHECK_EQ(atomic_load(&epc->encl.nr_oom_kills), 1, "one kill counted");
	check_dead(t, e);
	assert_epc_consistent(epc);
	check_all(tb, other, 16, 9); /* the neighbour is untouched */
	CHECK_EQ(mem_event(b, "memory.events", "oom"), 0, "the neighbour saw no OOM");
	epc_encl_destroy(e);
	epc_encl_destroy(other);
	CHECK_EQ(cg_usage(epc_cgroup_root(epc)), 0, "EPC all back");
	CHECK_EQ(root_mem(epc), 0, "memory all back");
	epc_task_destroy(t);
	epc_task_destroy(tb);
	epc_destroy(epc);
	free(lc);
}

/* A fault that needs room that only a refused eviction could make. */
static void test_memcg_b70_oom_kill_on_fault(void **state)
{
	struct epc *epc = make_epc(256);
	struct epc_cgroup *a = make_cg(epc, "/a");
	struct epc_task *t = make_task(epc, a, 0);
	struct epc_encl *e = build(t, 32, 32, 5, true);
	unsigned char buf[PAGE];
	char text[64];

	(void)state;
	CHECK_EQ(epc_reclaim(epc, 16), 16, "chunk 0 out");
	CHECK_EQ(mem_current(a), 69632, "charged");
	set_mem_max(a, "69632");
	snprintf(text, sizeof(text), "sgx_epc %llu", (unsigned long long)cg_usage(a));
	CHECK_EQ(epc_cgroup_write(a, "misc.max", text), 0, "EPC limit at the usage");
	CHECK_EQ(epc_encl_access2(t, e, 16 * PAGE, buf, PAGE, EPC_ACCESS_READ), 0,
		 "a resident page reads");
	CHECK_EQ(epc_encl_access2(t, e, 0, buf, PAGE, EPC_ACCESS_READ), -EOWNERDEAD,
		 "the fault could evict nothing: killed");
	CHECK_EQ(cg_usage(a), 0, "every EPC page freed");
	CHECK_EQ(mem_current(a), 0, "every backing charge returned");
	CHECK_EQ(mem_event(a, "memory.events", "oom_kill"), 1, "oom_kill counted");
	check_dead(t, e);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	CHECK_EQ(root_mem(epc), 0, "memory all back");
	epc_task_destroy(t);
	CHECK_EQ(epc_cgroup_remove(a), 0, "the cgroup goes");
	epc_destroy(epc);
}

/* Without a memory limit in play, running out of EPC is no OOM kill. */
static void test_memcg_b70_enomem_without_memory_limit_is_no_kill(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_cgroup *a = make_cg(epc, "/a");
	struct epc_task *t = make_task(epc, a, 0);
	struct epc_encl *e = NULL;
	struct epc_page *p[3];

	(void)state;
	set_max_pages(a, 5);
	CHECK_EQ(epc_encl_create(t, 16 * PAGE, &e), 0, "ECREATE");
	for (int i = 0; i < 3; i++)
		p[i] = alloc_ok(t);
	/* 2 + 3 pages, none reclaimable: -ENOMEM, as behaviour 54 */
	CHECK_EQ(epc_encl_add_page2(t, e, 0, NULL, EPC_SECINFO_REG_RWX), -ENOMEM, "EADD refused");
	CHECK_EQ(mem_event(a, "memory.events", "oom_kill"), 0, "no kill");
	CHECK_EQ(epc_encl_init(e), 0, "the enclave lives on");
	for (int i = 0; i < 3; i++)
		epc_page_free(p[i]);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* The owner's cgroup may be removed while its enclave lives; it goes after. */
static void test_memcg_owner_cgroup_removed_while_enclave_lives(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_cgroup *a = make_cg(epc, "/a"), *found;
	struct epc_task *t = make_task(epc, a, 0);
	struct epc_encl *e = build(t, 32, 32, 11, true);

	(void)state;
	CHECK_EQ(epc_task_move(t, NULL), 0, "the task leaves");
	CHECK_EQ(epc_cgroup_remove(a), 0, "rmdir");
	CHECK_EQ(epc_cgroup_put(a), 0, "the handle goes; the enclave's pin keeps the cgroup");
	CHECK_EQ(epc_cgroup_lookup(epc, "/a", &found), -ENOENT, "gone from lookups");
	CHECK_EQ(atomic_load(&epc->cgroups.nr_dying), 1, "dying, not reaped");
	CHECK_EQ(epc_reclaim(epc, 32), 32, "evictions still charge the dying cgroup");
	/* contents, their PCMD page, the SECS (slot 32) and its own PCMD page */
	CHECK_EQ(root_mem(epc), (32 + 1 + 1 + 1) * PAGE, "contents, PCMD pages, SECS");
	check_all(t, e, 32, 11);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	CHECK_EQ(root_mem(epc), 0, "all returned");
	CHECK_EQ(atomic_load(&epc->cgroups.nr_dying), 0, "the dying cgroup was reaped");
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* ------------------------------------- the EPC controller off (b62) */

static struct epc *make_epc_mode(uint64_t pages, enum epc_cgroup_mode mode)
{
	struct epc_section_desc sec = {.phys_addr = 1ULL << 32, .size = pages * PAGE, .node = 0};
	struct epc_config c = {.nr_nodes = 1,
			       .sections = &sec,
			       .nr_sections = 1,
			       .background = EPC_BACKGROUND_MANUAL,
			       .log = log_quiet,
			       .cgroup_mode = mode};
	struct epc *epc = NULL;

	CHECK_EQ(epc_create2(&c, sizeof(c), &epc), 0, "epc_create2");
	CHECK_EQ(epc_sanitize_wait(epc), 0, "sanitize");
	return epc;
}

static uint64_t nr_lru(struct epc_cgroup *cg)
{
	struct epc_cgroup_stats st;

	CHECK_EQ(epc_cgroup_get_stats(cg, &st, sizeof(st)), 0, "cgroup stats");
	return st.nr_lru;
}

/* misc disabled at boot: every page charged to and listed on the root. */
static void test_cgroup_off_b62_root_only(void **state)
{
	struct epc *epc = make_epc_mode(64, EPC_CGROUP_ROOT_ONLY);
	struct epc_cgroup *root = epc_cgroup_root(epc), *a = make_cg(epc, "/a");
	struct epc_cgroup *b = make_cg(epc, "/a/b");
	struct epc_task *t = make_task(epc, b, 0);
	struct epc_encl *e, *big;

	(void)state;
	CHECK_EQ(epc_cgroup_write(b, "misc.max", "sgx_epc 4096"), -EOPNOTSUPP,
		 "no limit is accepted when the controller is off");
	check_text(b, "misc.max", "sgx_epc max\n");
	e = build(t, 16, 16, 21, true);
	CHECK_EQ(cg_usage_pages(root), 18, "16 pages, the SECS and a VA page on the root");
	CHECK_EQ(cg_usage(a), 0, "the parent is not charged");
	CHECK_EQ(cg_usage(b), 0, "nor the task's cgroup");
	CHECK_EQ(nr_lru(root), 16, "every reclaimable page on the root's LRU");
	CHECK_EQ(nr_lru(b), 0, "none on the task's cgroup's");
	/* twice the EPC: reclaim works off the root's LRU; the capacity holds */
	big = build(t, 128, 128, 22, true);
	CHECK(cg_usage_pages(root) <= 64, "never above the capacity");
	check_all(t, e, 16, 21);
	check_all(t, big, 128, 22);
	CHECK_EQ(cg_usage(b), 0, "reloads are not charged to the task's cgroup either");
	CHECK(mem_current(b) > 0, "the memory controller is still on");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_encl_destroy(big);
	CHECK_EQ(cg_usage(root), 0, "every charge back");
	CHECK_EQ(mem_current(a), 0, "every memory charge back");
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* The controller compiled out: nothing accounted, one global LRU (the root's). */
static void test_cgroup_off_b62_none(void **state)
{
	struct epc *epc = make_epc_mode(64, EPC_CGROUP_NONE);
	struct epc_cgroup *root = epc_cgroup_root(epc), *a = make_cg(epc, "/a");
	struct epc_task *t = make_task(epc, a, 0);
	struct epc_encl *e;
	struct epc_page *raw;

	(void)state;
	CHECK_EQ(epc_cgroup_write(a, "misc.max", "sgx_epc max"), -EOPNOTSUPP, "no limits");
	e = build(t, 16, 16, 31, true);
	raw = alloc_ok(t);
	CHECK_EQ(cg_usage(root), 0, "no accounting at all, not even at the root");
	CHECK_EQ(cg_usage(a), 0, "nor in the task's cgroup");
	CHECK_EQ(nr_lru(root), 16, "the pages are on the one global LRU");
	CHECK_EQ(nr_lru(a), 0, "not the cgroup's");
	epc_encl_destroy(e);
	e = build(t, 160, 160, 32, true); /* 2.5 times the EPC */
	check_all(t, e, 160, 32);
	CHECK(stats(epc).nr_evicted > 0, "global reclaim made the room");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_page_free(raw);
	CHECK_EQ(stats(epc).nr_free, 64, "every page back");
	CHECK_EQ(cg_usage(root), 0, "still nothing accounted");
	epc_task_destroy(t);
	epc_destroy(epc);
}

static void test_cgroup_off_b62_bad_mode_rejected(void **state)
{
	struct epc_section_desc sec = {.phys_addr = 1ULL << 32, .size = 16 * PAGE, .node = 0};
	struct epc_config c = {.nr_nodes = 1,
			       .sections = &sec,
			       .nr_sections = 1,
			       .background = EPC_BACKGROUND_MANUAL,
			       .log = log_quiet,
			       .cgroup_mode = (enum epc_cgroup_mode)3};
	struct epc *epc = NULL;

	(void)state;
	CHECK_EQ(epc_create2(&c, sizeof(c), &epc), -EINVAL, "an unknown cgroup_mode is refused");
	CHECK(epc == NULL, "and nothing is made");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memcg_files_byte_exact),
		cmocka_unit_test(test_memcg_b70_charge_is_the_backing_pages),
		cmocka_unit_test(test_memcg_b70_no_contents_still_charged),
		cmocka_unit_test(test_memcg_b70_owner_pays_not_the_faulter),
		cmocka_unit_test(test_memcg_max_parse_table),
		cmocka_unit_test(test_memcg_memparse_end),
		cmocka_unit_test(test_memcg_b70_eviction_refused_keeps_page),
		cmocka_unit_test(test_memcg_b70_oom_kill_on_eadd),
		cmocka_unit_test(test_memcg_b70_oom_kill_on_fault),
		cmocka_unit_test(test_memcg_b70_enomem_without_memory_limit_is_no_kill),
		cmocka_unit_test(test_memcg_owner_cgroup_removed_while_enclave_lives),
		cmocka_unit_test(test_cgroup_off_b62_root_only),
		cmocka_unit_test(test_cgroup_off_b62_none),
		cmocka_unit_test(test_cgroup_off_b62_bad_mode_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
