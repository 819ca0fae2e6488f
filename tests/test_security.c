// SPDX-License-Identifier: MIT
/*
 * test_security.c - the backing store is untrusted memory. Every evicted page
 * is sealed (AES-GCM) with its enclave, offset, type and a version kept in a
 * VA slot inside the EPC; ELDU must refuse anything it did not write last:
 * flipped bytes in the image, the PCMD or the MAC, images swapped between
 * pages or enclaves, and old images replayed. A refused reload is the SIGBUS
 * case (-EFAULT) and must never hand out plaintext: not in the caller's
 * buffer, not in the EPC page it was decrypted into.
 *
 * The backing store is reached through epc_encl_backing_fd(): page i at
 * i * 4096, the SECS at `size`, the 128-byte PCMD of page i at
 * size + 4096 + i * 128 (SECS: i = size / 4096) with the MAC in its last 16.
 */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "encl_helpers.h"

#define PCMD_SIZE 128
#define MAC_OFF	  112

/* ------------------------------------------------------------- helpers */

/* Offsets in the backing store of page @i's image and PCMD. */
static off_t img_off(uint64_t i)
{
	return (off_t)(i * PAGE);
}

static off_t pcmd_off(struct epc_encl *e, uint64_t i)
{
	return (off_t)(e->size + PAGE + i * PCMD_SIZE);
}

static void xor_byte(int fd, off_t off, unsigned char mask)
{
	unsigned char b;

	CHECK_EQ(pread(fd, &b, 1, off), 1, "pread");
	b ^= mask;
	CHECK_EQ(pwrite(fd, &b, 1, off), 1, "pwrite");
}

/* A page's sealed image: its contents and its PCMD. */
struct image {
	unsigned char contents[PAGE];
	unsigned char pcmd[PCMD_SIZE];
};

static void image_get(struct epc_encl *e, uint64_t i, struct image *im)
{
	int fd = epc_encl_backing_fd(e);

	CHECK_EQ(pread(fd, im->contents, PAGE, img_off(i)), PAGE, "read image");
	CHECK_EQ(pread(fd, im->pcmd, PCMD_SIZE, pcmd_off(e, i)), PCMD_SIZE, "read PCMD");
}

static void image_put(struct epc_encl *e, uint64_t i, const struct image *im)
{
	int fd = epc_encl_backing_fd(e);

	CHECK_EQ(pwrite(fd, im->contents, PAGE, img_off(i)), PAGE, "write image");
	CHECK_EQ(pwrite(fd, im->pcmd, PCMD_SIZE, pcmd_off(e, i)), PCMD_SIZE, "write PCMD");
}

static bool evicted(struct epc_encl *e, uint64_t i)
{
	return e->pages[i].epc_page == NULL;
}

/* Records the EPC page each ELDU loads into (the hook lets every leaf run). */
struct eldu_rec {
	_Atomic int nr;
	uint64_t last_idx;
};

static int eldu_rec_fn(void *arg, enum epc__fault_site site, uint64_t idx)
{
	struct eldu_rec *r = arg;

	if (site == EPC__FAULT_ELDU) {
		r->last_idx = idx;
		atomic_fetch_add(&r->nr, 1);
	}
	return 0;
}

/*
 * An access of page @i that must be refused: -EFAULT, the buffer untouched,
 * the page still evicted, and the EPC page ELDU decrypted into (before the
 * MAC said no) wiped and free again. A freed EPC page may keep stale bytes
 * after EWB, as real EPC does (software cannot read it): what matters is that
 * a refused reload leaves no plaintext where it put it.
 */
static void expect_refused(struct epc *epc, struct epc_task *t, struct epc_encl *e, uint64_t i,
			   uint64_t tag, bool write)
{
	unsigned char buf[PAGE], sentinel[PAGE], zero[PAGE] = {0};
	struct eldu_rec rec = {.nr = 0};
	const unsigned char *dst;

	(void)tag;
	memset(sentinel, 0xa5, sizeof(sentinel));
	memcpy(buf, sentinel, sizeof(buf));
	epc__fault_set(epc, eldu_rec_fn, &rec);
	CHECK_EQ(epc_encl_access2(t, e, i * PAGE, buf, PAGE,
				  write ? EPC_ACCESS_WRITE : EPC_ACCESS_READ),
		 -EFAULT, "a tampered page is refused");
	epc__fault_set(epc, NULL, NULL);
	CHECK(!memcmp(buf, sentinel, PAGE), "the caller's buffer is untouched");
	CHECK(evicted(e, i), "the page stays evicted");
	CHECK_EQ(rec.nr, 1, "one ELDU was tried");
	dst = epc__hw_page_addr(&epc->hw, rec.last_idx);
	CHECK(!memcmp(dst, zero, PAGE), "the EPC page it decrypted into was wiped");
	CHECK_EQ(epc__page_state(epc__page_at(epc, rec.last_idx)), EPC__PAGE_FREE, "and freed");
}

static uint64_t encl_stats_nr_pages(struct epc_encl *e)
{
	struct epc_encl_stats st;

	epc_encl_get_stats2(e, &st, sizeof(st));
	return st.nr_pages;
}

/* A fixture: one enclave of 8 pages, all evicted (the SECS stays: uninitialized). */
struct fx {
	struct epc *epc;
	struct epc_task *t;
	struct epc_encl *e;
	int fd;
};

static void fx_init(struct fx *f, uint64_t tag)
{
	f->epc = make_epc(64);
	f->t = make_task(f->epc, NULL, 0);
	f->e = build(f->t, 8, 8, tag, false);
	f->fd = epc_encl_backing_fd(f->e);
	CHECK(f->fd >= 0, "a backing store");
	CHECK_EQ(epc_reclaim(f->epc, 8), 8, "evict all 8");
}

static void fx_fini(struct fx *f)
{
	assert_epc_consistent(f->epc);
	epc_encl_destroy(f->e);
	CHECK_EQ(stats(f->epc).nr_free, 64, "every page back after refused reloads");
	CHECK_EQ(cg_usage(epc_cgroup_root(f->epc)), 0, "every charge back");
	epc_task_destroy(f->t);
	epc_destroy(f->epc);
}

/* ------------------------------------------------------------ tampering */

static void test_security_flipped_ciphertext_byte_is_refused(void **state)
{
	static const off_t where[] = {0, 1, 100, 2048, PAGE - 1};
	struct fx f;

	(void)state;
	fx_init(&f, 1);
	for (size_t k = 0; k < sizeof(where) / sizeof(where[0]); k++) {
		xor_byte(f.fd, img_off(3) + where[k], 0x01);
		expect_refused(f.epc, f.t, f.e, 3, 1, false);
		expect_refused(f.epc, f.t, f.e, 3, 1, true); /* a write must verify first */
		xor_byte(f.fd, img_off(3) + where[k], 0x01);
	}
	CHECK_EQ(encl_stats_nr_pages(f.e), 8, "pages");
	check_all(f.t, f.e, 8, 1); /* the version slot survived the refusals */
	fx_fini(&f);
}

static void test_security_flipped_pcmd_byte_is_refused(void **state)
{
	/* SECINFO (type, flags, reserved), ENCLAVEID, reserved: all but the MAC */
	static const off_t where[] = {0, 1, 8, 63, 64, 71, 72, 100, 111};
	struct fx f;

	(void)state;
	fx_init(&f, 2);
	for (size_t k = 0; k < sizeof(where) / sizeof(where[0]); k++) {
		print_message("# PCMD byte %lld\n", (long long)where[k]);
		xor_byte(f.fd, pcmd_off(f.e, 5) + where[k], 0x80);
		expect_refused(f.epc, f.t, f.e, 5, 2, false);
		xor_byte(f.fd, pcmd_off(f.e, 5) + where[k], 0x80);
	}
	check_all(f.t, f.e, 8, 2);
	fx_fini(&f);
}

static void test_security_flipped_mac_byte_is_refused(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, 3);
	for (off_t k = MAC_OFF; k < PCMD_SIZE; k++) {
		xor_byte(f.fd, pcmd_off(f.e, 6) + k, 0x10);
		expect_refused(f.epc, f.t, f.e, 6, 3, false);
		xor_byte(f.fd, pcmd_off(f.e, 6) + k, 0x10);
	}
	check_all(f.t, f.e, 8, 3);
	fx_fini(&f);
}

static void test_security_zeroed_image_is_refused(void **state)
{
	struct fx f;
	struct image saved, zero;

	(void)state;
	fx_init(&f, 4);
	memset(&zero, 0, sizeof(zero));
	image_get(f.e, 2, &saved);
	image_put(f.e, 2, &zero);
	expect_refused(f.epc, f.t, f.e, 2, 4, false);
	image_put(f.e, 2, &saved);
	check_all(f.t, f.e, 8, 4);
	fx_fini(&f);
}

/* Two evicted pages' images and PCMDs swapped: both refused (the offset is in the AAD). */
static void test_security_swapped_pages_are_refused(void **state)
{
	struct fx f;
	struct image a, b;

	(void)state;
	fx_init(&f, 5);
	image_get(f.e, 1, &a);
	image_get(f.e, 4, &b);
	image_put(f.e, 1, &b);
	image_put(f.e, 4, &a);
	expect_refused(f.epc, f.t, f.e, 1, 5, false);
	expect_refused(f.epc, f.t, f.e, 4, 5, false);
	/* only the PCMDs swapped */
	image_put(f.e, 1, &a);
	image_put(f.e, 4, &b);
	CHECK_EQ(pwrite(f.fd, b.pcmd, PCMD_SIZE, pcmd_off(f.e, 1)), PCMD_SIZE, "PCMD swap");
	CHECK_EQ(pwrite(f.fd, a.pcmd, PCMD_SIZE, pcmd_off(f.e, 4)), PCMD_SIZE, "PCMD swap");
	expect_refused(f.epc, f.t, f.e, 1, 5, false);
	expect_refused(f.epc, f.t, f.e, 4, 5, false);
	image_put(f.e, 1, &a);
	image_put(f.e, 4, &b);
	check_all(f.t, f.e, 8, 5);
	fx_fini(&f);
}

/* An image from another enclave at the same offset: refused (the enclave id is in the AAD). */
static void test_security_image_from_another_enclave_is_refused(void **state)
{
	struct fx f;
	struct epc_encl *other;
	struct image mine, theirs;

	(void)state;
	fx_init(&f, 6);
	other = build(f.t, 8, 8, 7, false);
	CHECK_EQ(epc_reclaim(f.epc, 8), 8, "evict the other enclave");
	image_get(other, 0, &theirs);
	image_get(f.e, 0, &mine);
	image_put(f.e, 0, &theirs);
	expect_refused(f.epc, f.t, f.e, 0, 6, false);
	image_put(f.e, 0, &mine);
	check_all(f.t, f.e, 8, 6);
	check_all(f.t, other, 8, 7);
	epc_encl_destroy(other);
	fx_fini(&f);
}

/*
 * Replay: keep a page's evicted image, let it be reloaded, written and
 * evicted again, put the old image back: refused (the VA slot holds the new
 * version). The current image still loads.
 */
static void test_security_replayed_old_image_is_refused(void **state)
{
	struct fx f;
	struct image old, cur;
	unsigned char page[PAGE], got[PAGE];

	(void)state;
	fx_init(&f, 8);
	image_get(f.e, 3, &old);
	check_page(f.t, f.e, 3, 8); /* reload */
	fill(page, 88, 3);
	CHECK_EQ(epc_encl_access2(f.t, f.e, 3 * PAGE, page, PAGE, EPC_ACCESS_WRITE), 0, "write");
	CHECK_EQ(epc_reclaim(f.epc, 8), 1, "evict it again");
	CHECK(evicted(f.e, 3), "evicted");
	image_get(f.e, 3, &cur);
	CHECK(memcmp(&old, &cur, sizeof(old)), "a new image");
	image_put(f.e, 3, &old);
	expect_refused(f.epc, f.t, f.e, 3, 8, false);
	/* the same page, unmodified, replayed after a plain reload/evict cycle */
	image_put(f.e, 3, &cur);
	CHECK_EQ(epc_encl_access2(f.t, f.e, 3 * PAGE, got, PAGE, EPC_ACCESS_READ), 0,
		 "current image loads");
	CHECK(!memcmp(got, page, PAGE), "with the new contents");
	CHECK_EQ(epc_reclaim(f.epc, 8), 1, "evict again, same contents");
	image_put(f.e, 3, &cur);
	{
		unsigned char buf[PAGE], sentinel[PAGE];

		memset(sentinel, 0x3c, sizeof(sentinel));
		memcpy(buf, sentinel, sizeof(buf));
		CHECK_EQ(epc_encl_access2(f.t, f.e, 3 * PAGE, buf, PAGE, EPC_ACCESS_READ), -EFAULT,
			 "an older image of identical contents is refused too");
		CHECK(!memcmp(buf, sentinel, PAGE), "buffer untouched");
	}
	fx_fini(&f);
}

/* The SECS's image is sealed too. */
static void test_security_tampered_secs_is_refused(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 4, 4, 9, true);
	int fd = epc_encl_backing_fd(e);
	unsigned char buf[PAGE], sentinel[PAGE];

	(void)state;
	CHECK_EQ(epc_reclaim(epc, 4), 4, "evict all");
	CHECK(e->secs.epc_page == NULL, "the SECS is out");
	xor_byte(fd, (off_t)e->size + 17, 0x04);
	memset(sentinel, 0x5e, sizeof(sentinel));
	memcpy(buf, sentinel, sizeof(buf));
	CHECK_EQ(epc_encl_access2(t, e, 0, buf, PAGE, EPC_ACCESS_READ), -EFAULT, "tampered SECS");
	CHECK(!memcmp(buf, sentinel, PAGE), "buffer untouched");
	CHECK(e->secs.epc_page == NULL, "the SECS stays out");
	xor_byte(fd, (off_t)e->size + 17, 0x04);
	xor_byte(fd, pcmd_off(e, 4) + MAC_OFF + 3, 0x04); /* its MAC */
	CHECK_EQ(epc_encl_access2(t, e, 0, buf, PAGE, EPC_ACCESS_READ), -EFAULT,
		 "tampered SECS MAC");
	xor_byte(fd, pcmd_off(e, 4) + MAC_OFF + 3, 0x04);
	check_all(t, e, 4, 9);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * A read spanning a good page and a tampered one: the good page's bytes may
 * arrive (they are genuine), nothing of the tampered page or beyond does.
 * fault.c copies page by page and stops at the first refusal.
 */
static void test_security_partial_read_stops_at_the_refused_page(void **state)
{
	struct fx f;
	unsigned char buf[3 * PAGE], sentinel[3 * PAGE], plain[PAGE];

	(void)state;
	fx_init(&f, 10);
	xor_byte(f.fd, img_off(2) + 7, 0x01);
	memset(sentinel, 0x99, sizeof(sentinel));
	memcpy(buf, sentinel, sizeof(buf));
	CHECK_EQ(epc_encl_access2(f.t, f.e, PAGE + 100, buf, 2 * PAGE, EPC_ACCESS_READ), -EFAULT,
		 "read over pages 1..3");
	fill(plain, 10, 1);
	CHECK(!memcmp(buf, plain + 100, PAGE - 100), "page 1's genuine bytes");
	CHECK(!memcmp(buf + PAGE - 100, sentinel, PAGE + 100),
	      "nothing of page 2 or after was written");
	CHECK(evicted(f.e, 2) && evicted(f.e, 3), "pages 2 and 3 not loaded");
	/* a write over the same range: page 1 written, page 2 refused, page 3 untouched */
	memset(buf, 0x42, sizeof(buf));
	CHECK_EQ(epc_encl_access2(f.t, f.e, PAGE + 100, buf, 2 * PAGE, EPC_ACCESS_WRITE), -EFAULT,
		 "write over pages 1..3");
	CHECK(evicted(f.e, 2) && evicted(f.e, 3), "pages 2 and 3 not loaded");
	xor_byte(f.fd, img_off(2) + 7, 0x01);
	CHECK_EQ(epc_encl_access2(f.t, f.e, PAGE, buf, PAGE, EPC_ACCESS_READ), 0, "read page 1");
	CHECK(!memcmp(buf, plain, 100), "page 1 below the write unchanged");
	for (int k = 100; k < PAGE; k++)
		if (buf[k] != 0x42)
			fail_msg("page 1 byte %d was not written before the refusal", k);
	check_page(f.t, f.e, 2, 10);
	check_page(f.t, f.e, 3, 10);
	fx_fini(&f);
}

/* ------------------------------------------------------- seeded model */

/*
 * Random writes through epc_encl_access at random offsets and lengths over an
 * enclave three times the EPC, with random reclaim, against a shadow copy:
 * every read is exactly the shadow's bytes.
 */
static void test_security_seeded_random_access_matches_shadow(void **state)
{
	enum {
		EPC_PAGES = 64,
		NP = 3 * EPC_PAGES,
		MAXLEN = 3 * PAGE
	};
	unsigned long seed = test_seed(77);
	unsigned long iters = 20000 * stress_scale();
	uint64_t rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	unsigned char *shadow = calloc(NP, PAGE);
	unsigned char *buf = malloc(MAXLEN);
	struct epc *epc = make_epc(EPC_PAGES);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, NP, NP, 11, true);
	uint64_t reads = 0, writes = 0;

	(void)state;
	assert_non_null(shadow);
	assert_non_null(buf);
	for (uint64_t i = 0; i < NP; i++)
		fill(shadow + i * PAGE, 11, i);
	for (unsigned long it = 0; it < iters; it++) {
		uint64_t r = rng_next(&rng);
		uint64_t len = 1 + rng_next(&rng) % (r & 1 ? MAXLEN : 64);
		uint64_t off = rng_next(&rng) % ((uint64_t)NP * PAGE - len + 1);

		switch ((r >> 1) % 10) {
		case 0:
		case 1:
		case 2:
		case 3:
			for (uint64_t k = 0; k < len; k++)
				buf[k] = (unsigned char)rng_next(&rng);
			CHECK_EQ(epc_encl_access2(t, e, off, buf, len, EPC_ACCESS_WRITE), 0,
				 "write");
			memcpy(shadow + off, buf, len);
			writes++;
			break;
		case 9:
			epc_reclaim(epc, 1 + rng_next(&rng) % 40);
			break;
		default:
			CHECK_EQ(epc_encl_access2(t, e, off, buf, len, EPC_ACCESS_READ), 0, "read");
			if (memcmp(buf, shadow + off, len))
				fail_msg("seed %lu iteration %lu: %llu bytes at 0x%llx differ from "
					 "the shadow",
					 seed, it, (unsigned long long)len,
					 (unsigned long long)off);
			reads++;
			break;
		}
	}
	for (uint64_t i = 0; i < NP; i++) {
		CHECK_EQ(epc_encl_access2(t, e, i * PAGE, buf, PAGE, EPC_ACCESS_READ), 0,
			 "final read");
		if (memcmp(buf, shadow + i * PAGE, PAGE))
			fail_msg("seed %lu: page %llu differs at the end", seed,
				 (unsigned long long)i);
	}
	print_message("# %llu reads, %llu writes, %llu reloads\n", (unsigned long long)reads,
		      (unsigned long long)writes, (unsigned long long)stats(epc).nr_reloaded);
	CHECK(stats(epc).nr_reloaded > NP, "the run went through many reloads");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
	free(buf);
	free(shadow);
}

/* ------------------------------------------------------------- versions */

/*
 * The version is the GCM nonce: it must never repeat under one key. Sealers
 * on different CPUs take versions from their own shard, which takes blocks
 * from one counter: two threads drawing at once never get the same one.
 */
#define NR_DRAWN 20000

struct drawer {
	struct epc__seal *seal;
	uint64_t v[NR_DRAWN];
};

static void *draw_versions(void *arg)
{
	struct drawer *d = arg;

	for (int i = 0; i < NR_DRAWN; i++)
		d->v[i] = epc__seal_next_version(d->seal);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_security_versions_never_repeat_across_threads(void **state)
{
	struct epc *epc = make_epc(64);
	struct drawer *d = calloc(2, sizeof(*d));
	uint64_t *all = calloc(2 * NR_DRAWN, sizeof(*all));
	pthread_t th[2];

	(void)state;
	for (int i = 0; i < 2; i++) {
		d[i].seal = &epc->hw.seal;
		CHECK_EQ_AT(pthread_create(&th[i], NULL, draw_versions, &d[i]), 0, i);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	memcpy(all, d[0].v, sizeof(d[0].v));
	memcpy(all + NR_DRAWN, d[1].v, sizeof(d[1].v));
	qsort(all, 2 * NR_DRAWN, sizeof(*all), cmp_u64);
	CHECK(all[0] != 0, "no version is 0");
	for (int i = 1; i < 2 * NR_DRAWN; i++)
		if (all[i] == all[i - 1])
			fail_msg("version %llu handed out twice", (unsigned long long)all[i]);
	free(all);
	free(d);
	epc_destroy(epc);
}

/*
 * An exhausted counter refuses to seal rather than wrap: EWB says
 * INVALID_COUNTER, the page stays resident and intact.
 */
static void test_security_exhausted_version_counter_refuses_to_seal(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 4, 4, 21, true);

	(void)state;
	atomic_store(&epc->hw.seal.next_block, UINT64_MAX - 8);
	for (int i = 0; i < EPC__SEAL_SHARDS; i++)
		epc->hw.seal.shards[i].next = epc->hw.seal.shards[i].end = 0;
	CHECK_EQ(epc__seal_next_version(&epc->hw.seal), 0, "no block fits below UINT64_MAX");
	CHECK_EQ(epc_reclaim(epc, 8), 0, "nothing can be sealed, nothing evicted");
	CHECK_EQ(encl_stats(e).nr_resident, 4, "every page still resident");
	check_all(t, e, 4, 21);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_security_flipped_ciphertext_byte_is_refused),
		cmocka_unit_test(test_security_flipped_pcmd_byte_is_refused),
		cmocka_unit_test(test_security_flipped_mac_byte_is_refused),
		cmocka_unit_test(test_security_zeroed_image_is_refused),
		cmocka_unit_test(test_security_swapped_pages_are_refused),
		cmocka_unit_test(test_security_image_from_another_enclave_is_refused),
		cmocka_unit_test(test_security_replayed_old_image_is_refused),
		cmocka_unit_test(test_security_tampered_secs_is_refused),
		cmocka_unit_test(test_security_partial_read_stops_at_the_refused_page),
		cmocka_unit_test(test_security_seeded_random_access_matches_shadow),
		cmocka_unit_test(test_security_versions_never_repeat_across_threads),
		cmocka_unit_test(test_security_exhausted_version_counter_refuses_to_seal),
	};

	return cmocka_run_group_tests_name("security", tests, NULL, NULL);
}
