/* SPDX-License-Identifier: MIT */
/*
 * encl_helpers.h - what the enclave, reclaim, fault and security suites share:
 * checks that fail with a message, enclaves built from a seeded pattern and
 * verified against it, and short-hands for the statistics.
 */
#ifndef EPCMM_TESTS_ENCL_HELPERS_H
#define EPCMM_TESTS_ENCL_HELPERS_H

#include "helpers.h"

/* The bytes of page @idx of an enclave tagged @tag: a pure function of both. */
static inline void fill(void *buf, uint64_t tag, uint64_t idx)
{
	uint64_t s = (tag * 0x9E3779B97F4A7C15ULL) ^ ((idx + 1) * 0xBF58476D1CE4E5B9ULL) ^ 1;
	uint64_t *w = buf;

	for (int i = 0; i < PAGE / 8; i++)
		w[i] = rng_next(&s);
}

static inline struct epc_encl *build(struct epc_task *t, uint64_t size_pages, uint64_t nr,
				     uint64_t tag, bool init)
{
	static unsigned char buf[PAGE];
	struct epc_encl *e = NULL;

	CHECK_EQ(epc_encl_create(t, size_pages * PAGE, &e), 0, "ECREATE");
	for (uint64_t i = 0; i < nr; i++) {
		fill(buf, tag, i);
		CHECK_EQ(epc_encl_add_page2(t, e, i * PAGE, buf, EPC_SECINFO_REG_RWX), 0, "EADD");
	}
	if (init)
		CHECK_EQ(epc_encl_init(e), 0, "EINIT");
	return e;
}

static inline void check_page(struct epc_task *t, struct epc_encl *e, uint64_t idx, uint64_t tag)
{
	static unsigned char want[PAGE], got[PAGE];

	fill(want, tag, idx);
	CHECK_EQ(epc_encl_access2(t, e, idx * PAGE, got, PAGE, EPC_ACCESS_READ), 0,
		 "read of an added page");
	if (memcmp(got, want, PAGE))
		fail_msg("page %llu of the enclave tagged %llu has the wrong bytes",
			 (unsigned long long)idx, (unsigned long long)tag);
}

static inline void check_all(struct epc_task *t, struct epc_encl *e, uint64_t nr, uint64_t tag)
{
	for (uint64_t i = 0; i < nr; i++)
		check_page(t, e, i, tag);
}

static inline struct epc_stats stats(struct epc *epc)
{
	struct epc_stats st;

	epc_get_stats2(epc, &st, sizeof(st));
	return st;
}

static inline struct epc_encl_stats encl_stats(struct epc_encl *e)
{
	struct epc_encl_stats st;

	epc_encl_get_stats2(e, &st, sizeof(st));
	return st;
}

static inline uint64_t nr_free(struct epc *epc)
{
	return stats(epc).nr_free;
}

static inline void set_max_pages(struct epc_cgroup *cg, uint64_t pages)
{
	char text[64];

	snprintf(text, sizeof(text), "sgx_epc %llu", (unsigned long long)(pages * PAGE));
	CHECK_EQ(epc_cgroup_write(cg, "misc.max", text), 0, "misc.max write");
}

static inline uint64_t peak_pages(struct epc_cgroup *cg)
{
	char buf[128];
	unsigned long long v = 0;

	cg_read(cg, "misc.peak", buf, sizeof(buf));
	assert_int_equal(sscanf(buf, "sgx_epc %llu", &v), 1);
	return v / PAGE;
}

/* VA slots in use over every VA page of @e. Quiescent. */
static inline uint64_t va_slots_used(struct epc_encl *e)
{
	uint64_t n = 0;

	struct epc__va_page *v;

	epc__list_for_each(v, &e->va_pages, node) n += v->nr_used;
	return n;
}

static inline uint64_t idx_of(struct epc *epc, struct epc_page *p)
{
	return epc__page_index(epc, p);
}

static inline uint64_t cg_usage_pages(struct epc_cgroup *cg)
{
	return cg_usage(cg) / PAGE;
}

#endif
