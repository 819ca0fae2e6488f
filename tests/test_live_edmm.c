// SPDX-License-Identifier: MIT
/*
 * test_live_edmm.c - EDMM (SGX2) through the daemon and the client library:
 * every call over the wire, the errno of bad arguments changing nothing,
 * the count of a call that stopped part way (its reply carries it whatever
 * the status), ranges longer than the daemon's chunk, handles another
 * connection owns or that are gone (-EBADF), and the charges of a member
 * cgroup back to where they started.
 */
#include <errno.h>

#include "live_fixture.h"

#define RWX	   (EPCMM_SECINFO_R | EPCMM_SECINFO_W | EPCMM_SECINFO_X)
#define RW_PENDING (EPCMM_SECINFO_REG | EPCMM_SECINFO_R | EPCMM_SECINFO_W | EPCMM_SECINFO_PENDING)
#define TRIM_MOD   (EPCMM_SECINFO_TRIM | EPCMM_SECINFO_MODIFIED)
#define MAGIC	   0x1122334455667788ULL

static long long current(struct epcmm_client *c, const char *cg)
{
	char buf[64];
	unsigned long long v = 0;

	CHECK(epcmm_cgroup_read(c, cg, "misc.current", buf, sizeof(buf)) >= 0, "misc.current");
	if (buf[0])
		CHECK_EQ(sscanf(buf, "sgx_epc %llu", &v), 1, "misc.current's format");
	return (long long)v;
}

/* An initialized enclave of @size pages, @nr pages RWX, the rest dynamic. */
static uint64_t encl_ok(struct epcmm_client *c, uint64_t size, uint64_t nr)
{
	uint64_t e;

	CHECK_EQ(epcmm_encl_create(c, size * PAGE, &e), 0, "ECREATE");
	if (nr)
		CHECK_EQ(epcmm_encl_add_pages2(c, e, 0, nr, NULL, EPCMM_SECINFO_REG | RWX), 0,
			 "EADD");
	if (nr < size)
		CHECK_EQ(epcmm_encl_declare_dynamic(c, e, nr * PAGE, (size - nr) * PAGE), 0,
			 "dynamic region");
	CHECK_EQ(epcmm_encl_init(c, e), 0, "EINIT");
	return e;
}

static void accept_ok(struct epcmm_client *c, uint64_t e, uint64_t page, uint64_t secinfo)
{
	uint64_t r = 1;

	CHECK_EQ(epcmm_encl_accept(c, e, page * PAGE, secinfo, &r), 0, "EACCEPT ran");
	CHECK_EQ(r, 0, "EACCEPT's answer");
}

/* Every call, over the wire, in the kernel's order of a heap's life. */
static void test_live_edmm_round_trip(void **state)
{
	struct epcmm_client *c = connect_ok(*state);
	struct epcmm_restrict_permissions rp;
	struct epcmm_modify_types mt;
	struct epcmm_remove_pages rm;
	long long start = current(c, "/");
	uint64_t e, v = MAGIC, got = 0, r;

	CHECK_EQ(epcmm_encl_create(c, 16 * PAGE, &e), 0, "ECREATE");
	CHECK_EQ(epcmm_encl_add_pages2(c, e, 0, 1, NULL, EPCMM_SECINFO_TCS), 0, "a TCS");
	CHECK_EQ(epcmm_encl_add_pages2(c, e, PAGE, 3, NULL,
				       EPCMM_SECINFO_REG | EPCMM_SECINFO_R | EPCMM_SECINFO_W),
		 0, "data");
	CHECK_EQ(epcmm_encl_add_pages2(c, e, 4 * PAGE, 1, NULL, EPCMM_SECINFO_TCS | RWX), -EINVAL,
		 "a TCS with permissions");
	CHECK_EQ(epcmm_encl_declare_dynamic(c, e, 8 * PAGE, 8 * PAGE), 0, "a heap");
	CHECK_EQ(epcmm_encl_init(c, e), 0, "EINIT");
	CHECK_EQ(epcmm_encl_write(c, e, 8 * PAGE, &v, sizeof(v)), -EACCES, "EAUG, then #PF");
	accept_ok(c, e, 8, RW_PENDING);
	CHECK_EQ(epcmm_encl_write(c, e, 8 * PAGE, &v, sizeof(v)), 0, "write");
	CHECK_EQ(epcmm_encl_read(c, e, 8 * PAGE, &got, sizeof(got)), 0, "read");
	CHECK_EQ(got, MAGIC, "the value");
	CHECK_EQ(epcmm_encl_accept(c, e, 8 * PAGE, RW_PENDING, &r), 0, "EACCEPT again");
	CHECK_EQ(r, EPCMM_SGX_ATTR_MISMATCH, "nothing pending");

	rp = (struct epcmm_restrict_permissions){
		.offset = 8 * PAGE, .length = PAGE, .permissions = EPCMM_SECINFO_R};
	CHECK_EQ(epcmm_encl_restrict_permissions(c, e, &rp), 0, "restrict");
	CHECK_EQ(rp.count, PAGE, "count");
	CHECK_EQ(epcmm_encl_write(c, e, 8 * PAGE, &v, sizeof(v)), -EACCES, "read-only now");
	accept_ok(c, e, 8, EPCMM_SECINFO_REG | EPCMM_SECINFO_R | EPCMM_SECINFO_PR);

	mt = (struct epcmm_modify_types){
		.offset = 8 * PAGE, .length = PAGE, .page_type = EPCMM_PAGE_TYPE_TRIM};
	CHECK_EQ(epcmm_encl_modify_types(c, e, &mt), 0, "trim");
	CHECK_EQ(mt.count, PAGE, "count");
	rm = (struct epcmm_remove_pages){.offset = 8 * PAGE, .length = PAGE};
	CHECK_EQ(epcmm_encl_remove_pages(c, e, &rm), -EPERM, "not accepted yet");
	CHECK_EQ(rm.count, 0, "count");
	accept_ok(c, e, 8, TRIM_MOD);
	rm = (struct epcmm_remove_pages){.offset = 8 * PAGE, .length = PAGE};
	CHECK_EQ(epcmm_encl_remove_pages(c, e, &rm), 0, "remove");
	CHECK_EQ(rm.count, PAGE, "count");
	CHECK_EQ(epcmm_encl_destroy(c, e), 0, "destroy");
	CHECK_EQ(current(c, "/"), start, "every charge back");
	epcmm_client_close(c);
}

/* The kernel's errno for bad arguments, over the wire; nothing changes. */
static void test_live_edmm_errors_and_partial_counts(void **state)
{
	struct epcmm_client *c = connect_ok(*state), *d = connect_ok(*state);
	struct epcmm_restrict_permissions rp;
	struct epcmm_modify_types mt;
	struct epcmm_remove_pages rm;
	uint64_t e = encl_ok(c, 16, 8), gone, v = 1, r;
	long long before = current(c, "/");

	rp = (struct epcmm_restrict_permissions){
		.offset = 12, .length = PAGE, .permissions = EPCMM_SECINFO_R};
	CHECK_EQ(epcmm_encl_restrict_permissions(c, e, &rp), -EINVAL, "unaligned");
	CHECK_EQ(rp.count, 0, "count");
	rp = (struct epcmm_restrict_permissions){
		.offset = 0, .length = 17 * PAGE, .permissions = EPCMM_SECINFO_R};
	CHECK_EQ(epcmm_encl_restrict_permissions(c, e, &rp), -EINVAL, "past the end");
	rp = (struct epcmm_restrict_permissions){
		.offset = 0, .length = PAGE, .permissions = EPCMM_SECINFO_W};
	CHECK_EQ(epcmm_encl_restrict_permissions(c, e, &rp), -EINVAL, "W without R");
	rp = (struct epcmm_restrict_permissions){.offset = 0, .length = PAGE, .count = PAGE};
	CHECK_EQ(epcmm_encl_restrict_permissions(c, e, &rp), -EINVAL, "count not 0");
	mt = (struct epcmm_modify_types){.offset = 0, .length = PAGE, .page_type = 2};
	CHECK_EQ(epcmm_encl_modify_types(c, e, &mt), -EINVAL, "to a regular page");
	rm = (struct epcmm_remove_pages){.offset = 0, .length = PAGE};
	CHECK_EQ(epcmm_encl_remove_pages(c, e, &rm), -EPERM, "not trimmed");
	CHECK_EQ(epcmm_encl_accept(c, e, 12, RW_PENDING, &r), -EINVAL, "EACCEPT unaligned");
	CHECK_EQ(epcmm_encl_declare_dynamic(c, e, 0, 0), -EINVAL, "an empty region");
	CHECK_EQ(current(c, "/"), before, "nothing charged");
	for (uint64_t i = 0; i < 8; i++)
		CHECK_EQ(epcmm_encl_write(c, e, i * PAGE, &v, sizeof(v)), 0, "nothing changed");

	/* partial progress: pages 6 and 7 done, page 8 has nothing */
	rp = (struct epcmm_restrict_permissions){
		.offset = 6 * PAGE, .length = 4 * PAGE, .permissions = EPCMM_SECINFO_R};
	CHECK_EQ(epcmm_encl_restrict_permissions(c, e, &rp), -EFAULT, "page 8 is not there");
	CHECK_EQ(rp.count, 2 * PAGE, "the count came back with the error");
	CHECK_EQ(epcmm_encl_read(c, e, 9 * PAGE, &v, sizeof(v)), -EACCES, "EAUG page 9");
	mt = (struct epcmm_modify_types){
		.offset = 9 * PAGE, .length = PAGE, .page_type = EPCMM_PAGE_TYPE_TRIM};
	CHECK_EQ(epcmm_encl_modify_types(c, e, &mt), -EFAULT, "a PENDING page");
	CHECK_EQ(mt.result, EPCMM_SGX_NOT_MODIFIABLE, "EMODT's code came back");

	/* another connection's handle, and one that is gone */
	rp = (struct epcmm_restrict_permissions){
		.offset = 0, .length = PAGE, .permissions = EPCMM_SECINFO_R};
	CHECK_EQ(epcmm_encl_restrict_permissions(d, e, &rp), -EBADF, "not d's enclave");
	CHECK_EQ(rp.count, 0, "count");
	CHECK_EQ(epcmm_encl_accept(d, e, 0, RW_PENDING, &r), -EBADF, "EACCEPT: not d's");
	CHECK_EQ(epcmm_encl_declare_dynamic(d, e, 0, PAGE), -EBADF, "a region: not d's");
	CHECK_EQ(epcmm_encl_add_pages2(d, e, 10 * PAGE, 1, NULL, EPCMM_SECINFO_REG), -EBADF,
		 "EADD: not d's");
	gone = encl_ok(c, 4, 4);
	CHECK_EQ(epcmm_encl_destroy(c, gone), 0, "destroy");
	mt = (struct epcmm_modify_types){
		.offset = 0, .length = PAGE, .page_type = EPCMM_PAGE_TYPE_TRIM};
	CHECK_EQ(epcmm_encl_modify_types(c, gone, &mt), -EBADF, "a destroyed enclave");
	rm = (struct epcmm_remove_pages){.offset = 0, .length = PAGE};
	CHECK_EQ(epcmm_encl_remove_pages(c, gone, &rm), -EBADF, "removal there too");
	CHECK_EQ(epcmm_ping(c), 0, "the connection goes on");
	CHECK_EQ(epcmm_encl_destroy(c, e), 0, "destroy");
	epcmm_client_close(d);
	expect_settled(c);
	epcmm_client_close(c);
}

/* Ranges longer than the daemon's chunk: the count adds up; a bad range
 * changes nothing even where its first chunk would have been valid. */
static void test_live_edmm_long_ranges(void **state)
{
	struct epcmm_client *c = connect_ok(*state);
	struct epcmm_restrict_permissions rp;
	struct epcmm_modify_types mt;
	struct epcmm_remove_pages rm;
	uint64_t e = encl_ok(c, 160, 150), v = 7;
	long long before = current(c, "/");

	rp = (struct epcmm_restrict_permissions){
		.offset = 0, .length = 161 * PAGE, .permissions = EPCMM_SECINFO_R};
	CHECK_EQ(epcmm_encl_restrict_permissions(c, e, &rp), -EINVAL, "past the end");
	CHECK_EQ(rp.count, 0, "nothing done");
	CHECK_EQ(epcmm_encl_write(c, e, 0, &v, sizeof(v)), 0, "page 0 is still writable");
	rp = (struct epcmm_restrict_permissions){
		.offset = 0, .length = 140 * PAGE, .permissions = EPCMM_SECINFO_R};
	CHECK_EQ(epcmm_encl_restrict_permissions(c, e, &rp), 0, "140 pages");
	CHECK_EQ(rp.count, 140 * PAGE, "all of them");
	CHECK_EQ(epcmm_encl_write(c, e, 139 * PAGE, &v, sizeof(v)), -EACCES, "the last one too");
	mt = (struct epcmm_modify_types){
		.offset = 10 * PAGE, .length = 150 * PAGE, .page_type = EPCMM_PAGE_TYPE_TRIM};
	CHECK_EQ(epcmm_encl_modify_types(c, e, &mt), -EFAULT, "page 150 is not there");
	CHECK_EQ(mt.count, 140 * PAGE, "the count over three chunks");
	for (uint64_t i = 10; i < 150; i++)
		accept_ok(c, e, i, TRIM_MOD);
	rm = (struct epcmm_remove_pages){.offset = 10 * PAGE, .length = 140 * PAGE};
	CHECK_EQ(epcmm_encl_remove_pages(c, e, &rm), 0, "remove 140");
	CHECK_EQ(rm.count, 140 * PAGE, "count");
	CHECK_EQ(current(c, "/"), before - 140 * PAGE, "their charges returned");
	CHECK_EQ(epcmm_encl_destroy(c, e), 0, "destroy");
	expect_settled(c);
	epcmm_client_close(c);
}

/* A member of a limited cgroup: its EAUGs are charged there, and go. */
static void test_live_edmm_member_cgroup(void **state)
{
	struct epcmm_client *c = connect_ok(*state);
	struct epcmm_modify_types mt;
	struct epcmm_remove_pages rm;
	uint64_t e;

	CHECK_EQ(epcmm_cgroup_mkdir(c, "/edmm"), 0, "mkdir");
	CHECK_EQ(epcmm_cgroup_write(c, "/edmm", "misc.max", "sgx_epc 65536"), 0, "16 pages");
	CHECK_EQ(epcmm_cgroup_write(c, "/edmm", "cgroup.procs", "0"), 0, "join it");
	e = encl_ok(c, 64, 2);
	CHECK_EQ(current(c, "/edmm"), 4 * PAGE, "SECS, VA, two pages");
	for (uint64_t i = 2; i < 30; i++)
		accept_ok(c, e, i, RW_PENDING);
	CHECK(current(c, "/edmm") <= 16 * PAGE, "a heap of 28 pages in 16 pages of EPC");
	mt = (struct epcmm_modify_types){
		.offset = 2 * PAGE, .length = 28 * PAGE, .page_type = EPCMM_PAGE_TYPE_TRIM};
	CHECK_EQ(epcmm_encl_modify_types(c, e, &mt), 0, "trim the heap");
	for (uint64_t i = 2; i < 30; i++)
		accept_ok(c, e, i, TRIM_MOD);
	rm = (struct epcmm_remove_pages){.offset = 2 * PAGE, .length = 28 * PAGE};
	CHECK_EQ(epcmm_encl_remove_pages(c, e, &rm), 0, "remove it");
	CHECK(current(c, "/edmm") <= 4 * PAGE, "back to at most SECS, VA and two pages");
	CHECK_EQ(epcmm_encl_destroy(c, e), 0, "destroy");
	CHECK_EQ(current(c, "/edmm"), 0, "every charge back");
	CHECK_EQ(epcmm_cgroup_write(c, "/", "cgroup.procs", "0"), 0, "back to the root");
	CHECK_EQ(epcmm_cgroup_rmdir(c, "/edmm"), 0, "rmdir");
	epcmm_client_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_edmm_round_trip),
		cmocka_unit_test(test_live_edmm_errors_and_partial_counts),
		cmocka_unit_test(test_live_edmm_long_ranges),
		cmocka_unit_test(test_live_edmm_member_cgroup),
	};

	return cmocka_run_group_tests_name("live_edmm", tests, fx_setup, fx_teardown);
}
