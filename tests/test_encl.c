// SPDX-License-Identifier: MIT
/*
 * test_encl.c - enclaves through the public API: ECREATE/EADD/EINIT/access/
 * destroy, every documented error, accesses of any offset and length across
 * page boundaries and evictions, metadata-only mode, full accounting at
 * destroy, enclaves larger than the EPC, and enclaves in limited cgroups.
 * MANUAL mode throughout; internal fields are read only where the public
 * stats cannot say it (which page is resident).
 */
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "encl_helpers.h"

/* ------------------------------------------------------------- helpers */

/* A MANUAL-mode instance with no page contents (metadata only). */
static struct epc *make_epc_no_contents(uint64_t pages)
{
	struct topo tp = {.nr_nodes = 1, .nr_sections = 1, .pages = pages, .no_contents = true};

	return make_topo(&tp);
}

/* ----------------------------------------------------------- lifecycle */

static void test_encl_lifecycle_create_add_init_access_destroy(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_encl *e = NULL;
	unsigned char page[PAGE], got[PAGE];
	struct epc_encl_stats st;

	(void)state;
	CHECK_EQ(epc_encl_create(t, 16 * PAGE, &e), 0, "ECREATE");
	st = encl_stats(e);
	CHECK_EQ(st.nr_pages, 0, "no page yet");
	CHECK_EQ(st.nr_va_pages, 1, "the SECS brought a VA page");
	CHECK_EQ(cg_usage_pages(root), 2, "SECS + VA page charged");
	CHECK(epc_encl_backing_fd(e) >= 0, "a backing store");
	for (uint64_t i = 0; i < 8; i++) {
		fill(page, 1, i);
		CHECK_EQ(epc_encl_add_page2(t, e, i * PAGE, page, EPC_SECINFO_REG_RWX), 0, "EADD");
	}
	CHECK_EQ(epc_encl_init(e), 0, "EINIT");
	st = encl_stats(e);
	CHECK_EQ(st.nr_pages, 8, "8 pages");
	CHECK_EQ(st.nr_resident, 8, "all resident");
	CHECK_EQ(st.nr_faults + st.nr_evicted + st.nr_reloaded, 0, "no paging yet");
	CHECK_EQ(cg_usage_pages(root), 10, "pages charged");
	check_all(t, e, 8, 1);
	/* write, then read back */
	memset(page, 0x5a, sizeof(page));
	CHECK_EQ(epc_encl_access2(t, e, 3 * PAGE, page, PAGE, EPC_ACCESS_WRITE), 0, "write");
	CHECK_EQ(epc_encl_access2(t, e, 3 * PAGE, got, PAGE, EPC_ACCESS_READ), 0, "read");
	CHECK(!memcmp(got, page, PAGE), "the write is visible");
	check_page(t, e, 2, 1);
	check_page(t, e, 4, 1);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	CHECK_EQ(nr_free(epc), 64, "every page back");
	CHECK_EQ(cg_usage_pages(root), 0, "every charge back");
	epc_encl_destroy(NULL); /* a no-op */
	epc_task_destroy(t);
	epc_destroy(epc);
}

static void test_encl_add_null_src_gives_zeros(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 2, 0, 0, false);
	unsigned char got[PAGE], zero[PAGE] = {0};

	(void)state;
	memset(got, 0xff, sizeof(got));
	CHECK_EQ(epc_encl_add_page2(t, e, PAGE, NULL, EPC_SECINFO_REG_RWX), 0,
		 "EADD with NULL src");
	CHECK_EQ(epc_encl_access2(t, e, PAGE, got, PAGE, EPC_ACCESS_READ), 0, "read");
	CHECK(!memcmp(got, zero, PAGE), "zeros");
	CHECK_EQ(epc_reclaim(epc, 1), 1, "evict it");
	memset(got, 0xff, sizeof(got));
	CHECK_EQ(epc_encl_access2(t, e, PAGE, got, PAGE, EPC_ACCESS_READ), 0, "read after reload");
	CHECK(!memcmp(got, zero, PAGE), "still zeros");
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* -------------------------------------------------------------- errors */

static void test_encl_create_rejects_bad_sizes(void **state)
{
	static const uint64_t bad[] = {0, 1, PAGE - 1, PAGE + 1, 3 * PAGE + 17, 1ULL << 47};
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct epc_encl *e = NULL;

		CHECK_EQ(epc_encl_create(t, bad[i], &e), -EINVAL, "bad size");
		CHECK(e == NULL, "no enclave handed out");
	}
	CHECK_EQ(nr_free(epc), 64, "nothing allocated");
	CHECK_EQ(cg_usage(epc_cgroup_root(epc)), 0, "nothing charged");
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

static void test_encl_add_rejects_bad_offsets_and_states(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_encl *e = build(t, 4, 1, 2, false);
	unsigned char page[PAGE];
	uint64_t usage = cg_usage(root);

	(void)state;
	fill(page, 99, 0);
	CHECK_EQ(epc_encl_add_page2(t, e, 1, page, EPC_SECINFO_REG_RWX), -EINVAL,
		 "unaligned offset");
	CHECK_EQ(epc_encl_add_page2(t, e, PAGE + 8, page, EPC_SECINFO_REG_RWX), -EINVAL,
		 "unaligned offset");
	CHECK_EQ(epc_encl_add_page2(t, e, 4 * PAGE, page, EPC_SECINFO_REG_RWX), -EINVAL,
		 "offset == size");
	CHECK_EQ(epc_encl_add_page2(t, e, 100 * PAGE, page, EPC_SECINFO_REG_RWX), -EINVAL,
		 "offset past the end");
	CHECK_EQ(epc_encl_add_page2(t, e, UINT64_MAX & ~(uint64_t)(PAGE - 1), page,
				    EPC_SECINFO_REG_RWX),
		 -EINVAL, "huge offset");
	CHECK_EQ(epc_encl_add_page2(t, e, 0, page, EPC_SECINFO_REG_RWX), -EEXIST,
		 "page 0 is there");
	check_page(t, e, 0, 2); /* the rejected EADD did not overwrite it */
	CHECK_EQ(cg_usage(root), usage, "no charge from rejected EADDs");
	CHECK_EQ(encl_stats(e).nr_pages, 1, "still one page");
	CHECK_EQ(epc_encl_init(e), 0, "EINIT");
	CHECK_EQ(epc_encl_init(e), -EINVAL, "EINIT twice");
	CHECK_EQ(epc_encl_add_page2(t, e, PAGE, page, EPC_SECINFO_REG_RWX), -EINVAL,
		 "EADD after EINIT");
	CHECK_EQ(cg_usage(root), usage, "no charge from it");
	CHECK_EQ(encl_stats(e).nr_pages, 1, "still one page");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	CHECK_EQ(cg_usage(root), 0, "all returned");
	epc_task_destroy(t);
	epc_destroy(epc);
}

static void test_encl_access_rejects_bad_ranges(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 8, 0, 3, false);
	unsigned char buf[2 * PAGE], sentinel[2 * PAGE], page[PAGE];

	(void)state;
	/* pages 0, 1 and 3 added; page 2 never */
	for (uint64_t i = 0; i < 4; i++) {
		if (i == 2)
			continue;
		fill(page, 3, i);
		CHECK_EQ(epc_encl_add_page2(t, e, i * PAGE, page, EPC_SECINFO_REG_RWX), 0, "EADD");
	}
	memset(sentinel, 0xc3, sizeof(sentinel));
	memcpy(buf, sentinel, sizeof(buf));
	CHECK_EQ(epc_encl_access2(t, e, 2 * PAGE, buf, 8, EPC_ACCESS_READ), -EINVAL,
		 "page never added");
	CHECK_EQ(epc_encl_access2(t, e, 2 * PAGE + 100, buf, 1, EPC_ACCESS_WRITE), -EINVAL,
		 "write to it");
	CHECK_EQ(epc_encl_access2(t, e, 8 * PAGE, buf, 1, EPC_ACCESS_READ), -EINVAL, "at the end");
	CHECK_EQ(epc_encl_access2(t, e, 8 * PAGE - 4, buf, 8, EPC_ACCESS_READ), -EINVAL,
		 "across the end");
	CHECK_EQ(epc_encl_access2(t, e, 1000 * PAGE, buf, 8, EPC_ACCESS_READ), -EINVAL, "far out");
	CHECK_EQ(epc_encl_access2(t, e, UINT64_MAX - 3, buf, 8, EPC_ACCESS_READ), -EINVAL,
		 "wraps around");
	CHECK_EQ(epc_encl_access2(t, e, 0, NULL, 0, EPC_ACCESS_READ), -EINVAL,
		 "len 0 with a NULL buf");
	CHECK_EQ(epc_encl_access2(t, e, 0, NULL, 8, EPC_ACCESS_READ), -EINVAL, "NULL buf");
	CHECK_EQ(epc_encl_access2(t, e, 0, buf, 0, EPC_ACCESS_READ), 0,
		 "len 0 with a buf: nothing to do");
	CHECK_EQ(epc_encl_access2(t, e, 2 * PAGE, buf, 0, EPC_ACCESS_READ), 0,
		 "len 0 is fine anywhere (nothing is touched)");
	CHECK(!memcmp(buf, sentinel, sizeof(buf)), "no failed read wrote into the buffer");
	/* a range over pages 1..2 fails as a whole: page 1 is neither read nor written */
	CHECK_EQ(epc_encl_access2(t, e, PAGE + 100, buf, PAGE, EPC_ACCESS_READ), -EINVAL,
		 "read 1..2");
	CHECK(!memcmp(buf, sentinel, sizeof(buf)), "nothing of page 1 was read");
	CHECK_EQ(epc_encl_access2(t, e, PAGE + 100, sentinel, PAGE, EPC_ACCESS_WRITE), -EINVAL,
		 "write 1..2");
	check_page(t, e, 1, 3);
	check_page(t, e, 0, 3);
	check_page(t, e, 3, 3);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* --------------------------------------------------- access and eviction */

/*
 * Random offsets and lengths, crossing page boundaries, against a shadow
 * copy, with evictions in between: every read is exactly the shadow.
 */
static void test_encl_access_any_offset_and_length_across_pages(void **state)
{
	enum {
		NP = 24
	};
	static unsigned char shadow[NP * PAGE], buf[4 * PAGE];
	unsigned long seed = test_seed(20260101);
	uint64_t rng = seed | 1;
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, NP, NP, 4, true);

	(void)state;
	for (uint64_t i = 0; i < NP; i++)
		fill(shadow + i * PAGE, 4, i);
	/* the edge cases first: one byte at each side of each boundary, page-long spans */
	for (uint64_t i = 1; i < NP; i++) {
		uint64_t off = i * PAGE - 1;

		CHECK_EQ(epc_encl_access2(t, e, off, buf, 2, EPC_ACCESS_READ), 0,
			 "2 bytes across a boundary");
		CHECK(!memcmp(buf, shadow + off, 2), "right bytes");
		buf[0] = (unsigned char)i;
		buf[1] = (unsigned char)~i;
		CHECK_EQ(epc_encl_access2(t, e, off, buf, 2, EPC_ACCESS_WRITE), 0,
			 "write across a boundary");
		memcpy(shadow + off, buf, 2);
	}
	for (int iter = 0; iter < 3000; iter++) {
		uint64_t len = 1 + rng_next(&rng) % (3 * PAGE);
		uint64_t off = rng_next(&rng) % (NP * PAGE - len + 1);
		uint64_t op = rng_next(&rng) % 8;

		if (op < 3) {
			for (uint64_t k = 0; k < len; k++)
				buf[k] = (unsigned char)rng_next(&rng);
			CHECK_EQ(epc_encl_access2(t, e, off, buf, len, EPC_ACCESS_WRITE), 0,
				 "write");
			memcpy(shadow + off, buf, len);
		} else if (op < 7) {
			CHECK_EQ(epc_encl_access2(t, e, off, buf, len, EPC_ACCESS_READ), 0, "read");
			if (memcmp(buf, shadow + off, len))
				fail_msg("iteration %d: read of %llu bytes at 0x%llx differs", iter,
					 (unsigned long long)len, (unsigned long long)off);
		} else {
			epc_reclaim(epc, 1 + rng_next(&rng) % 24);
		}
	}
	CHECK(encl_stats(e).nr_reloaded > 0, "the accesses went through reloads");
	for (uint64_t i = 0; i < NP; i++) {
		CHECK_EQ(epc_encl_access2(t, e, i * PAGE, buf, PAGE, EPC_ACCESS_READ), 0,
			 "final read");
		CHECK(!memcmp(buf, shadow + i * PAGE, PAGE), "final contents");
	}
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

static void test_encl_write_survives_eviction_and_reload(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 8, 8, 5, true);
	unsigned char page[PAGE], got[PAGE];
	struct epc_encl_stats st;

	(void)state;
	fill(page, 55, 0);
	CHECK_EQ(epc_encl_access2(t, e, 5 * PAGE, page, PAGE, EPC_ACCESS_WRITE), 0, "write page 5");
	CHECK_EQ(epc_reclaim(epc, 100), 8, "evict all");
	st = encl_stats(e);
	CHECK_EQ(st.nr_resident, 0, "none resident");
	CHECK_EQ(st.nr_evicted, 9, "8 pages + the SECS");
	CHECK_EQ(epc_encl_access2(t, e, 5 * PAGE, got, PAGE, EPC_ACCESS_READ), 0, "read page 5");
	CHECK(!memcmp(got, page, PAGE), "the write survived");
	st = encl_stats(e);
	CHECK_EQ(st.nr_faults, 1, "one fault");
	CHECK_EQ(st.nr_reloaded, 2, "the SECS and the page");
	CHECK_EQ(st.nr_resident, 1, "one resident");
	CHECK_EQ(stats(epc).nr_reloaded, 2, "global reload count");
	/* a write to an evicted page faults it in too */
	page[0] ^= 1;
	CHECK_EQ(epc_encl_access2(t, e, 7 * PAGE, page, PAGE, EPC_ACCESS_WRITE), 0,
		 "write evicted page 7");
	CHECK_EQ(encl_stats(e).nr_faults, 2, "a fault");
	CHECK_EQ(epc_reclaim(epc, 100), 2, "evict again");
	CHECK_EQ(epc_encl_access2(t, e, 7 * PAGE, got, PAGE, EPC_ACCESS_READ), 0, "read page 7");
	CHECK(!memcmp(got, page, PAGE), "the second write survived");
	for (uint64_t i = 0; i < 8; i++)
		if (i != 5 && i != 7)
			check_page(t, e, i, 5);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * The backing store looks like the kernel's shmem file: page i at i * 4096
 * (sealed, never plaintext), the SECS at `size`, a 128-byte PCMD per page at
 * size + 4096 + i * 128 whose last 16 bytes are the MAC.
 */
static void test_encl_backing_store_layout(void **state)
{
	enum {
		NP = 8
	};
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, NP, NP, 6, true);
	int fd = epc_encl_backing_fd(e);
	unsigned char img[PAGE], plain[PAGE], pcmd[128], zero[PAGE] = {0};

	(void)state;
	CHECK(fd >= 0, "a backing fd");
	CHECK_EQ(pread(fd, img, PAGE, 0), PAGE, "read before eviction");
	CHECK(!memcmp(img, zero, PAGE), "nothing is written before an eviction");
	CHECK_EQ(epc_reclaim(epc, 100), NP, "evict all");
	for (uint64_t i = 0; i < NP; i++) {
		fill(plain, 6, i);
		CHECK_EQ(pread(fd, img, PAGE, (off_t)(i * PAGE)), PAGE, "read page image");
		CHECK(memcmp(img, zero, PAGE) && memcmp(img, plain, PAGE),
		      "the image is there and it is not the plaintext");
		CHECK_EQ(pread(fd, pcmd, 128, (off_t)(NP * PAGE + PAGE + i * 128)), 128, "PCMD");
		CHECK(memcmp(pcmd + 112, zero, 16), "a MAC in the PCMD's last 16 bytes");
	}
	CHECK_EQ(pread(fd, img, PAGE, NP * PAGE), PAGE, "read the SECS image");
	CHECK(memcmp(img, zero, PAGE), "the SECS was written at offset size");
	CHECK_EQ(pread(fd, pcmd, 128, (off_t)(NP * PAGE + PAGE + NP * 128)), 128, "SECS PCMD");
	CHECK(memcmp(pcmd + 112, zero, 16), "the SECS has a PCMD after the pages'");
	check_all(t, e, NP, 6);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * Enclave sizes whose PCMD area ends on a page boundary (a multiple of 32
 * pages): the SECS's PCMD comes after the last page's, so the backing store
 * must have room for nr_pages + 1 PCMDs (the kernel sizes its shmem file
 * (size + 4096) + (size + 4096) / 32 for that reason).
 */
static void test_encl_secs_eviction_when_size_is_a_multiple_of_32_pages(void **state)
{
	static const uint64_t sizes[] = {32, 64, 96};
	struct epc *epc = make_epc(256);
	struct epc_task *t = make_task(epc, NULL, 0);

	(void)state;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct epc_encl *e = build(t, sizes[k], sizes[k], 7 + k, true);
		unsigned char pcmd[128], zero[16] = {0};
		off_t secs_pcmd = (off_t)(sizes[k] * PAGE + PAGE + sizes[k] * 128);

		CHECK_EQ(epc_reclaim(epc, 1000), sizes[k], "evict all");
		CHECK(e->secs.epc_page == NULL, "the SECS went out too");
		CHECK_EQ(pread(epc_encl_backing_fd(e), pcmd, 128, secs_pcmd), 128,
			 "the SECS's PCMD lies inside the backing file");
		CHECK(memcmp(pcmd + 112, zero, 16), "and holds its MAC");
		check_all(t, e, sizes[k], 7 + k);
		epc_encl_destroy(e);
	}
	/* a 32-page enclave with one page added evicts its SECS as well */
	{
		struct epc_encl *e = build(t, 32, 1, 17, true);

		CHECK_EQ(epc_reclaim(epc, 10), 1, "evict the page");
		CHECK(e->secs.epc_page == NULL, "and the SECS");
		check_page(t, e, 0, 17);
		epc_encl_destroy(e);
	}
	CHECK_EQ(nr_free(epc), 256, "all freed");
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* ------------------------------------------------------ metadata only */

static void test_encl_metadata_only_mode(void **state)
{
	struct epc *epc = make_epc_no_contents(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_encl *e = NULL;
	unsigned char page[PAGE], got[PAGE], zero[PAGE] = {0};
	struct epc_encl_stats st;

	(void)state;
	CHECK_EQ(epc_encl_create(t, 100 * PAGE, &e), 0, "ECREATE");
	CHECK_EQ(epc_encl_backing_fd(e), -EOPNOTSUPP, "no backing store");
	memset(page, 0x77, sizeof(page));
	for (uint64_t i = 0; i < 100; i++)
		CHECK_EQ(epc_encl_add_page2(t, e, i * PAGE, page, EPC_SECINFO_REG_RWX), 0,
			 "EADD beyond the EPC size");
	CHECK_EQ(epc_encl_init(e), 0, "EINIT");
	st = encl_stats(e);
	CHECK_EQ(st.nr_pages, 100, "100 pages");
	CHECK(st.nr_evicted >= 100 - 62, "building it evicted pages");
	CHECK_EQ(epc_encl_add_page2(t, e, 0, page, EPC_SECINFO_REG_RWX), -EINVAL,
		 "EADD after EINIT");
	CHECK_EQ(epc_encl_access2(t, e, 100 * PAGE, got, 1, EPC_ACCESS_READ), -EINVAL,
		 "out of range");
	for (uint64_t i = 0; i < 100; i++) {
		memset(got, 0xee, sizeof(got));
		CHECK_EQ(epc_encl_access2(t, e, i * PAGE, page, PAGE, EPC_ACCESS_WRITE), 0,
			 "write");
		CHECK_EQ(epc_encl_access2(t, e, i * PAGE, got, PAGE, EPC_ACCESS_READ), 0, "read");
		CHECK(!memcmp(got, zero, PAGE), "reads give zeros");
	}
	CHECK_EQ(epc_encl_access2(t, e, PAGE - 3, got, 7, EPC_ACCESS_READ), 0, "across a boundary");
	CHECK(!memcmp(got, zero, 7), "zeros");
	st = encl_stats(e);
	CHECK(st.nr_faults > 0 && st.nr_reloaded > 0, "bookkeeping of faults and reloads");
	CHECK_EQ(st.nr_va_pages, 1, "VA pages");
	/* every page out, the SECS too, and back */
	epc_reclaim(epc, 1000);
	st = encl_stats(e);
	CHECK_EQ(st.nr_resident, 0, "all evicted");
	CHECK(e->secs.epc_page == NULL, "the SECS too");
	CHECK_EQ(nr_free(epc), 63, "only the VA page in EPC");
	CHECK_EQ(cg_usage_pages(root), 1, "and charged");
	CHECK_EQ(epc_encl_access2(t, e, 50 * PAGE, got, PAGE, EPC_ACCESS_READ), 0, "reload");
	CHECK_EQ(encl_stats(e).nr_resident, 1, "one resident");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	CHECK_EQ(nr_free(epc), 64, "every page back");
	CHECK_EQ(cg_usage_pages(root), 0, "every charge back");
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* ------------------------------------------------------------ VA pages */

/* The invariant checker passes; if not, fail with the line it logged. */
static void assert_books(struct epc *epc, struct log_catcher *lc)
{
	int before = lc->nr, ret = epc__check(epc);

	if (ret)
		fail_msg("epc__check() returned %d: %s", ret,
			 lc->nr > before ? lc->lines[lc->nr - 1] : "(no log line)");
}

/* The checker fails with a line containing @needle. */
static void assert_books_wrong(struct epc *epc, struct log_catcher *lc, const char *needle)
{
	int before = lc->nr;

	CHECK_EQ(epc__check(epc), -EUCLEAN, needle);
	CHECK(lc->nr > before && strstr(lc->lines[lc->nr - 1], needle), needle);
}

/*
 * Fault injection for failed EADDs: once armed, the second page allocation
 * since the last EADD (the EADD's own page, after the VA page it brings)
 * finds no free page, so the allocator reclaims right then, evicting pages
 * of the enclave being built; and every EADD fails.
 */
struct eadd_fault {
	bool armed;
	int allocs;   /* page allocations since the last EADD */
	int reclaims; /* allocations refused (each one reclaims) */
	int eadds;    /* EADDs failed */
};

static int eadd_fault_fn(void *arg, enum epc__fault_site site, uint64_t idx)
{
	struct eadd_fault *f = arg;

	(void)idx;
	if (!f->armed)
		return 0;
	if (site == EPC__FAULT_PAGE_ALLOC && ++f->allocs == 2) {
		f->reclaims++;
		return -ENOMEM;
	}
	if (site == EPC__FAULT_EADD) {
		f->allocs = 0;
		f->eadds++;
		return EPC__SGX_PG_INVLD;
	}
	return 0;
}

/*
 * The SECS and 511 pages fill the first VA page's 512 slots, so the next EADD
 * brings a second VA page. Reclaim during that EADD's own allocation evicts
 * pages of the enclave; when the EADD then fails it must give back exactly
 * what it took: the VA page and its charge, whatever reclaim did meanwhile.
 */
static void test_encl_failed_eadd_at_va_boundary_returns_its_va_page(void **state)
{
	static struct log_catcher lc;
	struct topo tp = {.nr_nodes = 1, .nr_sections = 1, .pages = 1024, .lc = &lc};
	struct epc *epc = make_topo(&tp);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_encl *e = build(t, 1024, EPC__VA_SLOTS - 1, 40, false);
	struct eadd_fault f = {0};
	unsigned char page[PAGE];
	struct epc_encl_stats st;

	(void)state;
	CHECK_EQ(encl_stats(e).nr_va_pages, 1, "the SECS and 511 pages fit one VA page");
	CHECK_EQ(cg_usage_pages(root), 2 + 511, "SECS, VA page and pages charged");
	epc__fault_set(epc, eadd_fault_fn, &f);
	f.armed = true;
	fill(page, 40, 511);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(epc_encl_add_page2(t, e, 511 * PAGE, page, EPC_SECINFO_REG_RWX), -EIO,
			 "the EADD fails");
	f.armed = false;
	epc__fault_set(epc, NULL, NULL);
	CHECK_EQ(f.eadds, 4, "four EADDs failed");
	CHECK_EQ(f.reclaims, 4, "each one's allocation had to reclaim");
	assert_books(epc, &lc);
	st = encl_stats(e);
	CHECK(st.nr_evicted >= 4, "reclaim evicted pages of the enclave during the EADDs");
	CHECK_EQ(st.nr_pages, 511, "no page added");
	CHECK_EQ(st.nr_va_pages, 1, "every failed EADD gave its VA page back");
	CHECK_EQ(va_slots_used(e), 511 - st.nr_resident, "a slot per evicted page");
	CHECK_EQ(cg_usage_pages(root), 1 + st.nr_va_pages + st.nr_resident,
		 "charged: the SECS, the VA pages and the resident pages, nothing more");
	/* the enclave is whole: the evicted pages come back, and the EADD works now */
	check_all(t, e, 511, 40);
	CHECK_EQ(epc_encl_add_page2(t, e, 511 * PAGE, page, EPC_SECINFO_REG_RWX), 0,
		 "the EADD without faults");
	CHECK_EQ(encl_stats(e).nr_va_pages, 2, "the 513th page brought the second VA page");
	check_page(t, e, 511, 40);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	CHECK_EQ(nr_free(epc), 1024, "every page back");
	CHECK_EQ(cg_usage_pages(root), 0, "every charge back");
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * The enclave checker reads every VA page against the evicted pages: an extra
 * VA page (what a failed EADD used to leave), a slot marked used that no page
 * holds, two pages holding one slot, a count that is not the bitmap, and a
 * VA page with room behind a full one are each reported, and so is an added
 * list that is not the added pages; the restored books pass again.
 */
static void test_encl_check_catches_wrong_va_books(void **state)
{
	static struct log_catcher lc;
	struct topo tp = {.nr_nodes = 1, .nr_sections = 1, .pages = 64, .lc = &lc};
	struct epc *epc = make_topo(&tp);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 40, 40, 41, false);
	struct epc__va_page *v = epc__list_first(&e->va_pages, struct epc__va_page, node);
	struct epc__va_page extra = {.epc_page = v->epc_page};
	struct epc__encl_page *p0 = &e->pages[0], *p1 = &e->pages[1];
	unsigned slot1;

	(void)state;
	CHECK_EQ(epc_reclaim(epc, 16), 16, "evict pages 0-15");
	assert_books(epc, &lc);
	CHECK_EQ(v->nr_used, 16, "16 slots in use");

	/* an extra, empty VA page at the head */
	epc__list_add_head(&e->va_pages, &extra.node);
	e->nr_va++;
	assert_books_wrong(epc, &lc, "VA pages (have, need)");
	epc__list_del(&extra.node);
	e->nr_va--;
	assert_books(epc, &lc);

	/* a slot in use that no evicted page holds */
	v->used[7] |= 1ULL << 63;
	v->nr_used++;
	assert_books_wrong(epc, &lc, "are not the versions of its evicted pages");
	v->used[7] &= ~(1ULL << 63);
	v->nr_used--;

	/* nr_used that is not the bitmap */
	v->nr_used++;
	assert_books_wrong(epc, &lc, "nr_used not its bitmap");
	v->nr_used--;

	/* two evicted pages holding one slot */
	slot1 = p1->va_slot;
	p1->va_slot = p0->va_slot;
	assert_books_wrong(epc, &lc, "another page holds its VA slot");
	p1->va_slot = (uint16_t)slot1;

	/* an evicted page whose slot is marked free */
	v->used[slot1 / 64] &= ~(1ULL << (slot1 % 64));
	v->nr_used--;
	assert_books_wrong(epc, &lc, "its VA slot is marked free");
	v->used[slot1 / 64] |= 1ULL << (slot1 % 64);
	v->nr_used++;

	/* a full VA page ahead of one with room */
	memset(extra.used, 0xff, sizeof(extra.used));
	extra.nr_used = EPC__VA_SLOTS;
	epc__list_add_head(&e->va_pages, &extra.node);
	e->nr_va++;
	assert_books_wrong(epc, &lc, "free slots behind a full one");
	epc__list_del(&extra.node);
	e->nr_va--;

	/* the added list losing a page, or naming one never added */
	e->nr_added_slots--;
	assert_books_wrong(epc, &lc, "added pages (listed, books)");
	e->nr_added_slots++;
	e->added[3] = 39 + 1;
	assert_books_wrong(epc, &lc, "is no added page");
	e->added[3] = 3;

	assert_books(epc, &lc);
	check_all(t, e, 40, 41);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* Seconds since @a. */
static double secs_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) + (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

/* Resident set size of this process in bytes (/proc/self/statm). */
static uint64_t rss_bytes(void)
{
	unsigned long long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%llu %llu", &size, &resident), 2);
	fclose(f);
	return resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/*
 * What an enclave costs is what was added to it, not its size: a 1 TiB
 * metadata-only enclave (268M slots) holding one page is created, checked
 * and destroyed in well under a second, and touches no memory proportional
 * to its size. (Destroy and the checker used to walk every slot: 46 s and
 * 8 GB of RSS.) The measured times are printed for docs/PERFORMANCE.md.
 */
static void test_encl_destroy_costs_pages_added_not_size(void **state)
{
	const uint64_t size = 1ULL << 40;
	struct epc *epc = make_epc_no_contents(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	double build = 0, check = 0, destroy = 0;
	struct epc_encl *e = NULL;
	uint64_t rss = rss_bytes();
	struct timespec a;

	(void)state;
	/* twice: destroy timed alone first, then the checker on a fresh enclave */
	for (int round = 0; round < 2; round++) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		CHECK_EQ(epc_encl_create(t, size, &e), 0, "ECREATE of 1 TiB");
		CHECK_EQ(epc_encl_add_page2(t, e, size - PAGE, NULL, EPC_SECINFO_REG_RWX), 0,
			 "EADD of its last page");
		if (!round)
			build = secs_since(&a);
		CHECK(rss_bytes() < rss + (64ULL << 20),
		      "creating the enclave touched no memory proportional to its size");
		if (round) {
			clock_gettime(CLOCK_MONOTONIC, &a);
			assert_epc_consistent(epc);
			check = secs_since(&a);
		}
		clock_gettime(CLOCK_MONOTONIC, &a);
		epc_encl_destroy(e);
		if (!round)
			destroy = secs_since(&a);
		CHECK_EQ(nr_free(epc), 64, "every page back");
		CHECK_EQ(cg_usage_pages(root), 0, "every charge back");
	}
	print_message(
		"# 1 TiB enclave, 1 page: create+add %.3f ms, destroy %.3f ms, check %.3f ms\n",
		build * 1e3, destroy * 1e3, check * 1e3);
	CHECK(build < 1.0, "create and add in under a second");
	CHECK(destroy < 1.0, "destroy in under a second");
	CHECK(check < 1.0, "the checker in under a second");
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* ---------------------------------------------------------- accounting */

static void test_encl_destroy_returns_every_page_and_charge(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_cgroup *a = make_cg(epc, "/a"), *b = make_cg(epc, "/b");
	struct epc_task *ta = make_task(epc, a, 0), *tb = make_task(epc, b, 0);
	struct epc_encl *e1 = build(ta, 50, 50, 20, true);
	struct epc_encl *e2 = build(tb, 50, 50, 21, false);
	struct epc_encl *e3 = build(ta, 10, 10, 22, true);
	struct epc_encl *e4 = build(tb, 10, 0, 23, false);
	char buf[64];

	(void)state;
	epc_reclaim(epc, 60);
	check_page(tb, e1, 7, 20); /* a reload charged to b */
	check_page(ta, e2, 7, 21); /* and one charged to a */
	CHECK_EQ(epc_reclaim(epc, 1000) > 0, 1, "evict everything reclaimable");
	CHECK(e1->secs.epc_page == NULL && e3->secs.epc_page == NULL, "initialized SECSs out");
	check_page(ta, e3, 0, 22); /* SECS back in */
	epc_encl_destroy(e1);
	epc_encl_destroy(e3);
	CHECK_EQ(cg_usage_pages(a), 0, "a's enclaves gone: a at 0");
	epc_encl_destroy(e2);
	epc_encl_destroy(e4);
	CHECK_EQ(nr_free(epc), 128, "every page free");
	CHECK_EQ(stats(epc).nr_reclaimable, 0, "nothing tracked");
	cg_read(root, "misc.current", buf, sizeof(buf));
	assert_string_equal(buf, "sgx_epc 0\n");
	cg_read(a, "misc.current", buf, sizeof(buf));
	assert_string_equal(buf, "sgx_epc 0\n");
	cg_read(b, "misc.current", buf, sizeof(buf));
	assert_string_equal(buf, "sgx_epc 0\n");
	assert_epc_consistent(epc);
	epc_task_destroy(ta);
	epc_task_destroy(tb);
	CHECK_EQ(epc_cgroup_remove(a), 0, "a can go");
	CHECK_EQ(epc_cgroup_remove(b), 0, "b can go");
	epc_destroy(epc);
}

/*
 * epc_destroy() with enclaves still alive, some of their pages evicted,
 * destroys each of them: their backing stores are closed. (ASan and LSan
 * check that nothing else of theirs is left.)
 */
static void test_encl_epc_destroy_frees_live_enclaves(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e[2];
	int fd[2];

	(void)state;
	e[0] = build(t, 40, 40, 24, true);
	e[1] = build(t, 40, 30, 25, false);
	CHECK(epc_reclaim(epc, 20) > 0, "pages are evicted when epc_destroy() runs");
	assert_epc_consistent(epc);
	for (int i = 0; i < 2; i++) {
		fd[i] = epc_encl_backing_fd(e[i]);
		CHECK(fd[i] >= 0, "each enclave has a backing store");
	}
	epc_destroy(epc);
	for (int i = 0; i < 2; i++) {
		errno = 0;
		CHECK(fcntl(fd[i], F_GETFD) == -1 && errno == EBADF,
		      "epc_destroy() destroyed each live enclave: its backing store is closed");
	}
}

static void test_encl_bigger_than_the_epc(void **state)
{
	enum {
		NP = 200
	};
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, NP, NP, 26, true);
	unsigned char page[PAGE];
	struct epc_encl_stats st = encl_stats(e);

	(void)state;
	CHECK_EQ(st.nr_pages, NP, "200 pages in a 64-page EPC");
	CHECK(st.nr_resident <= 62, "at most what fits is resident");
	CHECK(st.nr_evicted >= NP - 62, "the rest was evicted while building");
	check_all(t, e, NP, 26);
	for (uint64_t i = 0; i < NP; i++) {
		fill(page, 27, i);
		CHECK_EQ(epc_encl_access2(t, e, i * PAGE, page, PAGE, EPC_ACCESS_WRITE), 0,
			 "rewrite");
	}
	for (int round = 0; round < 2; round++)
		for (uint64_t i = NP; i-- > 0;)
			check_page(t, e, i, 27);
	st = encl_stats(e);
	CHECK(st.nr_faults >= NP, "pages came back through faults");
	CHECK_EQ(st.nr_va_pages, 1, "one VA page for 201 slots");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	CHECK_EQ(nr_free(epc), 64, "all freed");
	epc_task_destroy(t);
	epc_destroy(epc);
}

static void test_encl_two_enclaves_in_two_limited_cgroups(void **state)
{
	enum {
		NP = 60
	};
	struct epc *epc = make_epc(128);
	struct epc_cgroup *a = make_cg(epc, "/a"), *b = make_cg(epc, "/b");
	struct epc_task *ta = make_task(epc, a, 0), *tb = make_task(epc, b, 0);
	struct epc_encl *ea, *eb;
	uint64_t rng = 12345;

	(void)state;
	set_max_pages(a, 30);
	set_max_pages(b, 50);
	ea = build(ta, NP, NP, 30, true);
	eb = build(tb, NP, NP, 31, true);
	for (int i = 0; i < 2000; i++) {
		uint64_t p = rng_next(&rng) % NP;

		if (rng_next(&rng) & 1)
			check_page(ta, ea, p, 30);
		else
			check_page(tb, eb, p, 31);
	}
	CHECK(peak_pages(a) <= 30, "a never over its limit");
	CHECK(peak_pages(b) <= 50, "b never over its limit");
	CHECK(encl_stats(ea).nr_resident <= 28, "a's enclave within its share");
	CHECK(encl_stats(eb).nr_resident <= 48, "b's enclave within its share");
	CHECK_ERR(epc_run_background(epc), 0, "epc_run_background");
	/* Each enclave's pages are charged to its own cgroup, so the cgroup's
	 * eviction and reload counts are its enclave's. */
	for (int i = 0; i < 2; i++) {
		struct epc_cgroup_stats cs, small;
		struct epc_encl_stats es = encl_stats(i ? eb : ea);

		CHECK_EQ(epc_cgroup_get_stats(i ? b : a, &cs, sizeof(cs)), 0, "cgroup stats");
		CHECK_EQ(cs.nr_evicted, es.nr_evicted, "cgroup evictions are its enclave's");
		CHECK_EQ(cs.nr_reloaded, es.nr_reloaded, "cgroup reloads are its enclave's");
		CHECK_EQ(cs.current, cg_usage(i ? b : a), "current is misc.current");
		CHECK_EQ(cs.max, (uint64_t)(i ? 50 : 30) * PAGE, "max is misc.max");
		CHECK(cs.nr_evicted > 0 && cs.events > 0, "a limit smaller than the enclave pages");
		memset(&small, 0xa5, sizeof(small));
		CHECK_EQ(epc_cgroup_get_stats(i ? b : a, &small, 2 * sizeof(uint64_t)), 0,
			 "an older, smaller struct");
		CHECK_EQ(small.peak, cs.peak, "the fields it has are filled");
		CHECK_EQ(small.max, 0xa5a5a5a5a5a5a5a5ULL, "nothing past its size is written");
	}
	CHECK_EQ(epc_cgroup_get_stats(a, NULL, sizeof(struct epc_cgroup_stats)), -EINVAL,
		 "NULL stats refused");
	assert_epc_consistent(epc);
	epc_encl_destroy(ea);
	epc_encl_destroy(eb);
	CHECK_EQ(cg_usage_pages(a) + cg_usage_pages(b), 0, "all returned");
	epc_task_destroy(ta);
	epc_task_destroy(tb);
	epc_destroy(epc);
}

/* An enclave whose SECS cannot come back (EPC full of raw pages) gives -EFAULT, then recovers. */
static void test_encl_access_without_epc_gives_efault_then_recovers(void **state)
{
	struct epc *epc = make_epc(32);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 4, 4, 32, true);
	struct epc_page *raw[32];
	unsigned char buf[PAGE];
	int n = 0;

	(void)state;
	CHECK_EQ(epc_reclaim(epc, 10), 4, "evict all (SECS too)");
	while (n < 32 && epc_page_alloc(t, NULL, EPC_DO_RECLAIM, &raw[n]) == 0)
		n++;
	CHECK_EQ(n, 31, "raw pages take everything but the VA page");
	CHECK_EQ(epc_encl_access2(t, e, 0, buf, PAGE, EPC_ACCESS_READ), -EFAULT,
		 "no EPC: SIGBUS case");
	CHECK_EQ(cg_usage(epc_cgroup_root(epc)), 32 * PAGE, "no charge left by the failure");
	epc_page_free(raw[--n]);
	CHECK_EQ(epc_encl_access2(t, e, 0, buf, PAGE, EPC_ACCESS_READ), -EFAULT,
		 "one page is not enough for the SECS and the page");
	CHECK(e->secs.epc_page != NULL, "the SECS came back though");
	epc_page_free(raw[--n]);
	check_page(t, e, 0, 32);
	while (n)
		epc_page_free(raw[--n]);
	check_all(t, e, 4, 32);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encl_lifecycle_create_add_init_access_destroy),
		cmocka_unit_test(test_encl_add_null_src_gives_zeros),
		cmocka_unit_test(test_encl_create_rejects_bad_sizes),
		cmocka_unit_test(test_encl_add_rejects_bad_offsets_and_states),
		cmocka_unit_test(test_encl_access_rejects_bad_ranges),
		cmocka_unit_test(test_encl_access_any_offset_and_length_across_pages),
		cmocka_unit_test(test_encl_write_survives_eviction_and_reload),
		cmocka_unit_test(test_encl_backing_store_layout),
		cmocka_unit_test(test_encl_secs_eviction_when_size_is_a_multiple_of_32_pages),
		cmocka_unit_test(test_encl_metadata_only_mode),
		cmocka_unit_test(test_encl_failed_eadd_at_va_boundary_returns_its_va_page),
		cmocka_unit_test(test_encl_check_catches_wrong_va_books),
		cmocka_unit_test(test_encl_destroy_returns_every_page_and_charge),
		cmocka_unit_test(test_encl_destroy_costs_pages_added_not_size),
		cmocka_unit_test(test_encl_epc_destroy_frees_live_enclaves),
		cmocka_unit_test(test_encl_bigger_than_the_epc),
		cmocka_unit_test(test_encl_two_enclaves_in_two_limited_cgroups),
		cmocka_unit_test(test_encl_access_without_epc_gives_efault_then_recovers),
	};

	return cmocka_run_group_tests_name("encl", tests, NULL, NULL);
}
