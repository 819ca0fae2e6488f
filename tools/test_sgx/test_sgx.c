// SPDX-License-Identifier: MIT
/*
 * test_sgx.c - a stand-in for the kernel's SGX selftest binary
 * (tools/testing/selftests/sgx/test_sgx) with the same command line, whose
 * enclaves live in a running `epcmm daemon` (found through $EPCMM_SOCKET,
 * else the default socket) instead of SGX hardware:
 *
 *   test_sgx -l          list the tests
 *   test_sgx -t NAME     run one (may be repeated)
 *   test_sgx             run them all
 *
 * Output is TAP 13 as the kselftest harness prints it; exit 0 only when
 * every test run passed (1 otherwise, 4 = skip when nothing was run).
 *
 * The SGX2 (EDMM) tests are the kernel's of the same names (main.c of the
 * selftests, Linux 6.0 on): each checks what the kernel's test checks of
 * memory and errno, on an enclave laid out as the kernel's test enclave is
 * (two TCSs, code, two data pages, a heap, a power-of-two size). What runs
 * inside the enclave is emulated with the daemon's calls: an op that writes
 * or reads an address is a write or a read of the enclave, and the #PF with
 * the SGX bit that the vDSO would report (error code 0x8005 or 0x8007) is
 * -EACCES; EACCEPT is the daemon's EACCEPT; "entering through a new TCS" is
 * its EACCEPT as a TCS (the EPCM says it is one) followed by the buffer ops
 * the kernel's test runs there; the mmap() of an address range no page backs
 * is a dynamic region. Each also checks that the misc.current of its cgroup
 * is back where it started once its enclave is gone.
 *
 * TEST_SGX_BARRIER=DIR:N makes the unclobbered_vdso tests of N concurrent
 * runs overlap, whatever the scheduler does: once its enclave is built (or
 * its build failed and the enclave is gone), a run puts a file in DIR and
 * waits until DIR holds N, then runs and destroys. The cgroup selftest's "of
 * 5 concurrent runs in 4 runs' room, one fails" depends on it: on a loaded
 * machine a run could otherwise end before another began.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "epcmm-client.h"
#include "epcmm.h" /* the cgroup file names (EPC_CGROUP_FILE_NAMES), no library call */

static const char *const cg_files[] = {EPC_CGROUP_FILE_NAMES};

#define KSFT_PASS 0
#define KSFT_FAIL 1
#define KSFT_SKIP 4

#define PAGE	     4096ULL
#define SMALL_PAGES  4ULL		   /* unclobbered_vdso: code, TCS, 2 heap pages */
#define MAGIC	     0x1122334455667788ULL /* the value written and read back */
#define MAX_SELECTED 16

struct ctx {
	struct epcmm_client *c;
	char why[512]; /* what failed */
};

static int fail(struct ctx *x, const char *what, int err)
{
	snprintf(x->why, sizeof(x->why), "%s: %s", what, strerror(-err));
	return -1;
}

/* Write MAGIC at @off and read it back. */
static int put_get(struct ctx *x, uint64_t encl, uint64_t off)
{
	uint64_t v = MAGIC, got = 0;
	int ret;

	ret = epcmm_encl_write(x->c, encl, off, &v, sizeof(v));
	if (ret)
		return fail(x, "EENTER (write to the heap)", ret);
	ret = epcmm_encl_read(x->c, encl, off, &got, sizeof(got));
	if (ret)
		return fail(x, "EENTER (read from the heap)", ret);
	if (got != MAGIC) {
		snprintf(x->why, sizeof(x->why),
			 "read back 0x%" PRIx64 " at offset 0x%" PRIx64 ", expected 0x%llx", got,
			 off, (unsigned long long)MAGIC);
		return -1;
	}
	return 0;
}

/* Files in @dir, "." and ".." left out; -1 if it cannot be read. */
static int barrier_count(const char *dir)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	int n = 0;

	if (!dp)
		return -1;
	while ((d = readdir(dp)))
		n += strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
	closedir(dp);
	return n;
}

/* TEST_SGX_BARRIER=DIR:N (see the top of the file): arrive, and wait for
 * the other runs, at most BARRIER_WAIT_S. */
#define BARRIER_WAIT_S 300
static void barrier_wait(void)
{
	const char *env = getenv("TEST_SGX_BARRIER");
	char dir[4096], mine[4200];
	const char *colon;
	int n, fd;

	if (!env || !(colon = strrchr(env, ':')) || (n = atoi(colon + 1)) < 1 ||
	    (size_t)(colon - env) >= sizeof(dir))
		return;
	snprintf(dir, sizeof(dir), "%.*s", (int)(colon - env), env);
	snprintf(mine, sizeof(mine), "%s/%d", dir, (int)getpid());
	fd = open(mine, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "test_sgx: barrier %s: %s\n", mine, strerror(errno));
		return;
	}
	close(fd);
	for (int ms = 0; barrier_count(dir) < n; ms += 10) {
		if (ms >= BARRIER_WAIT_S * 1000) {
			fprintf(stderr, "test_sgx: barrier %s: %d runs did not arrive in %d s\n",
				dir, n, BARRIER_WAIT_S);
			return;
		}
		usleep(10000);
	}
}

/* An enclave of one code page and @heap bytes of heap; MAGIC put at the
 * heap's first and last page. */
static int run_enclave(struct ctx *x, uint64_t heap)
{
	uint64_t encl, size = PAGE + heap;
	int ret;

	ret = epcmm_encl_create(x->c, size, &encl);
	if (ret) {
		barrier_wait();
		return fail(x, "ECREATE", ret);
	}
	ret = epcmm_encl_add_pages(x->c, encl, 0, size / PAGE, NULL);
	if (ret)
		fail(x, "EADD", ret);
	else if ((ret = epcmm_encl_init(x->c, encl)))
		fail(x, "EINIT", ret);
	if (ret) { /* what it holds goes before it waits, so the others can finish */
		epcmm_encl_destroy(x->c, encl);
		barrier_wait();
		return -1;
	}
	barrier_wait();
	ret = put_get(x, encl, PAGE);
	if (!ret)
		ret = put_get(x, encl, size - PAGE);
	epcmm_encl_destroy(x->c, encl);
	return ret ? -1 : 0;
}

static int test_unclobbered_vdso(struct ctx *x)
{
	return run_enclave(x, (SMALL_PAGES - 1) * PAGE);
}

static int test_unclobbered_vdso_oversubscribed(struct ctx *x)
{
	char text[256];
	unsigned long long cap;
	ssize_t n;

	n = epcmm_cgroup_read(x->c, "/", cg_files[EPC_CGF_MISC_CAPACITY], text, sizeof(text));
	if (n < 0)
		return fail(x, "reading misc.capacity", (int)n);
	if (sscanf(text, "sgx_epc %llu", &cap) != 1 || cap < PAGE) {
		snprintf(x->why, sizeof(x->why), "misc.capacity says '%s'", text);
		return -1;
	}
	return run_enclave(x, cap / PAGE * PAGE);
}

/* ------------------------------------------------------------ SGX2 */

/* The kernel's test enclave, page by page (offsets in pages). */
#define ENCL_TCS1   0 /* TCS #1 */
#define ENCL_TCS2   1 /* TCS #2: where an AEX is handled */
#define ENCL_TEXT   2
#define ENCL_DATA   3  /* encl_get_data_offset(): encl_buffer[], two pages */
#define ENCL_HEAP   5  /* ENCL_HEAP_SIZE_DEFAULT: one page */
#define ENCL_TOTAL  6  /* the sum of the segments' sizes */
#define ENCL_SIZE   16 /* a power of two above it */
#define MAGIC2	    0x8877665544332211ULL
#define SI_RW_PEND  (EPCMM_SECINFO_R | EPCMM_SECINFO_W | EPCMM_SECINFO_REG | EPCMM_SECINFO_PENDING)
#define SI_TRIM_MOD (EPCMM_SECINFO_TRIM | EPCMM_SECINFO_MODIFIED)

/* A test's outcome: 0 pass, -1 fail (x->why says why), 1 skip (likewise). */
#define SKIP 1

static int failf(struct ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int failf(struct ctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->why, sizeof(x->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* The EXPECT_EQ of the kernel's tests: the first mismatch is the failure. */
#define EXPECT(x, got, want, what)                                                                 \
	do {                                                                                       \
		long long got_ = (long long)(got), want_ = (long long)(want);                      \
		if (got_ != want_)                                                                 \
			return failf((x), "%s: got %lld, expected %lld", (what), got_, want_);     \
	} while (0)

/*
 * The cgroup this process is charged to, from the daemon's status report
 * ("client PID cgroup PATH ..."), else "/".
 */
static void own_cgroup(struct ctx *x, char *path, size_t len)
{
	char *text = NULL, *line, *save = NULL, want[32];

	snprintf(path, len, "/");
	if (epcmm_status(x->c, &text))
		return;
	snprintf(want, sizeof(want), "client %d cgroup ", (int)getpid());
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, want, strlen(want))) {
			snprintf(path, len, "%.*s", (int)strcspn(line + strlen(want), " "),
				 line + strlen(want));
			break;
		}
	free(text);
}

/* misc.current of @cg in bytes; -errno. */
static long long misc_current(struct ctx *x, const char *cg)
{
	char text[128];
	unsigned long long v = 0;
	ssize_t n = epcmm_cgroup_read(x->c, cg, cg_files[EPC_CGF_MISC_CURRENT], text, sizeof(text));

	if (n < 0)
		return n;
	if (n > 0 && sscanf(text, "sgx_epc %llu", &v) != 1)
		return -EPROTO;
	return (long long)v;
}

/*
 * The kernel's setup_test_encl(): ECREATE of ENCL_SIZE pages; the two TCSs,
 * code (R|X), data and heap (R|W) EADD'd; EINIT.
 */
static int setup_test_encl(struct ctx *x, uint64_t *encl)
{
	int ret = epcmm_encl_create(x->c, ENCL_SIZE * PAGE, encl);

	if (ret)
		return fail(x, "ECREATE", ret);
	if ((ret = epcmm_encl_add_pages2(x->c, *encl, ENCL_TCS1 * PAGE, 2, NULL,
					 EPCMM_SECINFO_TCS)) ||
	    (ret = epcmm_encl_add_pages2(x->c, *encl, ENCL_TEXT * PAGE, 1, NULL,
					 EPCMM_SECINFO_REG | EPCMM_SECINFO_R | EPCMM_SECINFO_X)) ||
	    (ret = epcmm_encl_add_pages2(x->c, *encl, ENCL_DATA * PAGE, ENCL_TOTAL - ENCL_DATA,
					 NULL,
					 EPCMM_SECINFO_REG | EPCMM_SECINFO_R | EPCMM_SECINFO_W))) {
		epcmm_encl_destroy(x->c, *encl);
		return fail(x, "EADD", ret);
	}
	ret = epcmm_encl_init(x->c, *encl);
	if (ret) {
		epcmm_encl_destroy(x->c, *encl);
		return fail(x, "EINIT", ret);
	}
	return 0;
}

/* ENCL_OP_PUT_TO_ADDRESS / _GET_FROM_ADDRESS: 0, or -EACCES for the #PF. */
static int put_to_addr(struct ctx *x, uint64_t encl, uint64_t page, uint64_t v)
{
	return epcmm_encl_write(x->c, encl, page * PAGE, &v, sizeof(v));
}

static int get_from_addr(struct ctx *x, uint64_t encl, uint64_t page, uint64_t *v)
{
	*v = 0;
	return epcmm_encl_read(x->c, encl, page * PAGE, v, sizeof(*v));
}

/* ENCL_OP_EACCEPT: the call's errno (0: it ran), its SGX code in *@ret. */
static int eaccept(struct ctx *x, uint64_t encl, uint64_t page, uint64_t flags, uint64_t *ret)
{
	*ret = ~0ULL;
	return epcmm_encl_accept(x->c, encl, page * PAGE, flags, ret);
}

/* EACCEPT of @page with @flags: the call succeeds (@what) and the enclave's
 * EACCEPT returns 0 (@what_ret). */
#define EXPECT_ACCEPT(x, encl, page, flags, what, what_ret)                                        \
	do {                                                                                       \
		uint64_t r_;                                                                       \
		EXPECT((x), eaccept((x), (encl), (page), (flags), &r_), 0, (what));                \
		EXPECT((x), r_, 0, (what_ret));                                                    \
	} while (0)

/*
 * The kernel's first step of every SGX2 test: MODIFY_TYPES (or
 * RESTRICT_PERMISSIONS) with every field zero must fail with -EINVAL; a
 * daemon that does not know the request is a skip (its ENOTTY).
 */
static int sgx2_supported(struct ctx *x, uint64_t encl, bool restrict_perms)
{
	struct epcmm_restrict_permissions rp = {0};
	struct epcmm_modify_types mt = {0};
	int ret = restrict_perms ? epcmm_encl_restrict_permissions(x->c, encl, &rp)
				 : epcmm_encl_modify_types(x->c, encl, &mt);

	if (ret == -EBADMSG || ret == -EPROTONOSUPPORT) {
		snprintf(x->why, sizeof(x->why), "the daemon does not support EDMM (SGX2)");
		return SKIP;
	}
	EXPECT(x, ret, -EINVAL, "a request with invalid parameters (length 0)");
	return 0;
}

/* Runs @body on a fresh test enclave, then destroys it and checks the charge. */
static int with_test_encl(struct ctx *x, int (*body)(struct ctx *x, uint64_t encl))
{
	char cg[4096];
	long long before, after;
	uint64_t encl;
	int ret, dret;

	own_cgroup(x, cg, sizeof(cg));
	before = misc_current(x, cg);
	if (before < 0)
		return fail(x, "reading misc.current", (int)before);
	if (setup_test_encl(x, &encl))
		return -1;
	ret = body(x, encl);
	dret = epcmm_encl_destroy(x->c, encl);
	if (ret)
		return ret;
	if (dret)
		return fail(x, "destroying the enclave", dret);
	after = misc_current(x, cg);
	if (after != before)
		return failf(x, "misc.current of %s is %lld after the test, %lld before it", cg,
			     after, before);
	return 0;
}

/* The kernel's "augment": a write EAUGs a page, faults on it until EACCEPT. */
static int augment_body(struct ctx *x, uint64_t encl)
{
	uint64_t page = ENCL_TOTAL, v;
	int ret;

	EXPECT(x, ENCL_TOTAL + 1 < ENCL_SIZE, 1, "room past the loaded enclave");
	/* mmap() of one page right after the segments */
	ret = epcmm_encl_declare_dynamic(x->c, encl, page * PAGE, PAGE);
	if (ret == -EBADMSG)
		return snprintf(x->why, sizeof(x->why), "no EDMM in the daemon"), SKIP;
	EXPECT(x, ret, 0, "mmap() of the page to add");
	/* the first #PF EAUGs; the page needs EACCEPT, so the write faults again
	 * (SGX bit: error code 0x8007) */
	EXPECT(x, put_to_addr(x, encl, page, MAGIC), -EACCES, "write to the new page: #PF");
	/* handle the AEX by running EACCEPT from TCS #2 */
	EXPECT_ACCEPT(x, encl, page, SI_RW_PEND, "EACCEPT", "EACCEPT's return");
	/* ERESUME on TCS #1: the write goes through */
	EXPECT(x, put_to_addr(x, encl, page, MAGIC), 0, "write after EACCEPT");
	EXPECT(x, get_from_addr(x, encl, page, &v), 0, "read");
	EXPECT(x, v, MAGIC, "the value read back");
	return 0;
}

static int test_augment(struct ctx *x)
{
	return with_test_encl(x, augment_body);
}

/* The kernel's "augment_via_eaccept": EACCEPT of a page not there yet. */
static int augment_via_eaccept_body(struct ctx *x, uint64_t encl)
{
	uint64_t page = ENCL_TOTAL, v;
	int ret;

	EXPECT(x, ENCL_TOTAL + 1 < ENCL_SIZE, 1, "room past the loaded enclave");
	ret = epcmm_encl_declare_dynamic(x->c, encl, page * PAGE, PAGE);
	if (ret == -EBADMSG)
		return snprintf(x->why, sizeof(x->why), "no EDMM in the daemon"), SKIP;
	EXPECT(x, ret, 0, "mmap() of the page to add");
	/* #PF -> EAUG -> EACCEPT again, all unseen by user space */
	EXPECT_ACCEPT(x, encl, page, SI_RW_PEND, "EACCEPT of a page not there", "EACCEPT's return");
	EXPECT(x, put_to_addr(x, encl, page, MAGIC), 0, "write to the new page");
	EXPECT(x, get_from_addr(x, encl, page, &v), 0, "read");
	EXPECT(x, v, MAGIC, "the value read back");
	return 0;
}

static int test_augment_via_eaccept(struct ctx *x)
{
	return with_test_encl(x, augment_via_eaccept_body);
}

/*
 * The kernel's "tcs_create": three pages EAUG'd (stack, TCS, SSA), the TCS
 * filled and made one, a workload run through it; then the three trimmed,
 * accepted, removed, and a regular page added where the TCS was.
 */
static int tcs_create_body(struct ctx *x, uint64_t encl)
{
	const uint64_t stack = ENCL_TOTAL, tcs = ENCL_TOTAL + 1, ssa = ENCL_TOTAL + 2;
	struct epcmm_modify_types mt;
	struct epcmm_remove_pages rm;
	uint64_t v, fields[4];
	int ret = sgx2_supported(x, encl, false);

	if (ret)
		return ret;
	EXPECT(x, ENCL_TOTAL + 3 < ENCL_SIZE, 1, "room for three pages");
	EXPECT(x, epcmm_encl_declare_dynamic(x->c, encl, stack * PAGE, 3 * PAGE), 0,
	       "mmap() of the three pages");
	/* EACCEPT->(#PF)->EAUG->EACCEPT on each */
	EXPECT_ACCEPT(x, encl, stack, SI_RW_PEND, "EACCEPT of the stack page", "its return");
	EXPECT_ACCEPT(x, encl, ssa, SI_RW_PEND, "EACCEPT of the SSA page", "its return");
	EXPECT_ACCEPT(x, encl, tcs, SI_RW_PEND, "EACCEPT of the TCS page", "its return");
	/* ENCL_OP_INIT_TCS_PAGE: the enclave fills the TCS (OSSA, NSSA, OENTRY) */
	fields[0] = 0;
	fields[1] = 0;
	fields[2] = ssa * PAGE;
	fields[3] = 1;
	EXPECT(x, epcmm_encl_write(x->c, encl, tcs * PAGE, fields, sizeof(fields)), 0,
	       "filling the TCS page");
	/* SGX_IOC_ENCLAVE_MODIFY_TYPES to TCS */
	mt = (struct epcmm_modify_types){
		.offset = tcs * PAGE, .length = PAGE, .page_type = EPCMM_PAGE_TYPE_TCS};
	EXPECT(x, epcmm_encl_modify_types(x->c, encl, &mt), 0, "MODIFY_TYPES to TCS");
	EXPECT(x, mt.result, 0, "result");
	EXPECT(x, mt.count, PAGE, "count");
	EXPECT_ACCEPT(x, encl, tcs, EPCMM_SECINFO_TCS | EPCMM_SECINFO_MODIFIED,
		      "EACCEPT of the new TCS", "its return: the page is a TCS now");
	/* the workload through the new TCS: encl_buffer written and read back */
	EXPECT(x, put_to_addr(x, encl, ENCL_DATA, MAGIC), 0, "ENCL_OP_PUT_TO_BUFFER");
	EXPECT(x, get_from_addr(x, encl, ENCL_DATA, &v), 0, "ENCL_OP_GET_FROM_BUFFER");
	EXPECT(x, v, MAGIC, "the buffer's value");
	/* phase 2: trim the three, accept each, remove them */
	mt = (struct epcmm_modify_types){
		.offset = stack * PAGE, .length = 3 * PAGE, .page_type = EPCMM_PAGE_TYPE_TRIM};
	EXPECT(x, epcmm_encl_modify_types(x->c, encl, &mt), 0, "MODIFY_TYPES to TRIM");
	EXPECT(x, mt.result, 0, "result");
	EXPECT(x, mt.count, 3 * PAGE, "count");
	EXPECT_ACCEPT(x, encl, stack, SI_TRIM_MOD, "EACCEPT the stack's trim", "its return");
	EXPECT_ACCEPT(x, encl, tcs, SI_TRIM_MOD, "EACCEPT the TCS's trim", "its return");
	EXPECT_ACCEPT(x, encl, ssa, SI_TRIM_MOD, "EACCEPT the SSA's trim", "its return");
	rm = (struct epcmm_remove_pages){.offset = stack * PAGE, .length = 3 * PAGE};
	EXPECT(x, epcmm_encl_remove_pages(x->c, encl, &rm), 0, "REMOVE_PAGES");
	EXPECT(x, rm.count, 3 * PAGE, "count");
	/* a regular page where the TCS was */
	EXPECT_ACCEPT(x, encl, tcs, SI_RW_PEND, "EACCEPT where the TCS was", "its return");
	EXPECT(x, put_to_addr(x, encl, tcs, MAGIC), 0, "write to the new page");
	EXPECT(x, get_from_addr(x, encl, tcs, &v), 0, "read");
	EXPECT(x, v, MAGIC, "the value read back");
	return 0;
}

static int test_tcs_create(struct ctx *x)
{
	return with_test_encl(x, tcs_create_body);
}

/* The kernel's "tcs_permissions": a TCS's permissions cannot be restricted. */
static int tcs_permissions_body(struct ctx *x, uint64_t encl)
{
	struct epcmm_restrict_permissions rp;
	int ret = sgx2_supported(x, encl, true);

	if (ret)
		return ret;
	rp = (struct epcmm_restrict_permissions){
		.offset = ENCL_TCS1 * PAGE, .length = PAGE, .permissions = EPCMM_SECINFO_R};
	EXPECT(x, epcmm_encl_restrict_permissions(x->c, encl, &rp), -EINVAL,
	       "RESTRICT_PERMISSIONS of the TCS");
	EXPECT(x, rp.result, 0, "result");
	EXPECT(x, rp.count, 0, "count");
	return 0;
}

static int test_tcs_permissions(struct ctx *x)
{
	return with_test_encl(x, tcs_permissions_body);
}

/* The data page the removal tests use: encl_buffer's second page. */
#define DATA_START (ENCL_DATA + 1)

/* Write MAGIC to the data page, read it back, trim it: the removal tests' start. */
static int write_and_trim(struct ctx *x, uint64_t encl, bool touch)
{
	struct epcmm_modify_types mt;
	uint64_t v;

	if (touch) {
		EXPECT(x, put_to_addr(x, encl, DATA_START, MAGIC), 0, "write to the data page");
		EXPECT(x, get_from_addr(x, encl, DATA_START, &v), 0, "read");
		EXPECT(x, v, MAGIC, "the value read back");
	}
	mt = (struct epcmm_modify_types){
		.offset = DATA_START * PAGE, .length = PAGE, .page_type = EPCMM_PAGE_TYPE_TRIM};
	EXPECT(x, epcmm_encl_modify_types(x->c, encl, &mt), 0, "MODIFY_TYPES to TRIM");
	EXPECT(x, mt.result, 0, "result");
	EXPECT(x, mt.count, PAGE, "count");
	return 0;
}

/* The kernel's "remove_added_page_no_eaccept": removal without EACCEPT is -EPERM. */
static int remove_no_eaccept_body(struct ctx *x, uint64_t encl)
{
	struct epcmm_remove_pages rm;
	int ret = sgx2_supported(x, encl, false);

	if (ret || (ret = write_and_trim(x, encl, true)))
		return ret;
	rm = (struct epcmm_remove_pages){.offset = DATA_START * PAGE, .length = PAGE};
	EXPECT(x, epcmm_encl_remove_pages(x->c, encl, &rm), -EPERM, "REMOVE_PAGES without EACCEPT");
	EXPECT(x, rm.count, 0, "count");
	return 0;
}

static int test_remove_added_page_no_eaccept(struct ctx *x)
{
	return with_test_encl(x, remove_no_eaccept_body);
}

/* The kernel's "remove_added_page_invalid_access": a trimmed page faults. */
static int remove_invalid_access_body(struct ctx *x, uint64_t encl)
{
	uint64_t v;
	int ret = sgx2_supported(x, encl, false);

	if (ret || (ret = write_and_trim(x, encl, true)))
		return ret;
	/* present to the kernel, not to SGX: #PF with the SGX bit (0x8005) */
	EXPECT(x, get_from_addr(x, encl, DATA_START, &v), -EACCES, "read of the trimmed page");
	return 0;
}

static int test_remove_added_page_invalid_access(struct ctx *x)
{
	return with_test_encl(x, remove_invalid_access_body);
}

/* The kernel's "remove_added_page_invalid_access_after_eaccept". */
static int remove_invalid_access_after_eaccept_body(struct ctx *x, uint64_t encl)
{
	uint64_t v;
	int ret = sgx2_supported(x, encl, false);

	if (ret || (ret = write_and_trim(x, encl, true)))
		return ret;
	EXPECT_ACCEPT(x, encl, DATA_START, SI_TRIM_MOD, "EACCEPT of the trim", "its return");
	/* no REMOVE_PAGES: the page is still there to the kernel, not to SGX */
	EXPECT(x, get_from_addr(x, encl, DATA_START, &v), -EACCES, "read of the trimmed page");
	return 0;
}

static int test_remove_added_page_invalid_access_after_eaccept(struct ctx *x)
{
	return with_test_encl(x, remove_invalid_access_after_eaccept_body);
}

/* The kernel's "remove_untouched_page": trim, accept, remove; the charge goes. */
static int remove_untouched_body(struct ctx *x, uint64_t encl)
{
	struct epcmm_remove_pages rm;
	char cg[4096];
	long long before;
	int ret = sgx2_supported(x, encl, false);

	if (ret || (ret = write_and_trim(x, encl, false)))
		return ret;
	EXPECT_ACCEPT(x, encl, DATA_START, SI_TRIM_MOD, "EACCEPT of the trim", "its return");
	own_cgroup(x, cg, sizeof(cg));
	before = misc_current(x, cg);
	rm = (struct epcmm_remove_pages){.offset = DATA_START * PAGE, .length = PAGE};
	EXPECT(x, epcmm_encl_remove_pages(x->c, encl, &rm), 0, "REMOVE_PAGES");
	EXPECT(x, rm.count, PAGE, "count");
	EXPECT(x, misc_current(x, cg), before - (long long)PAGE, "the page's charge returned");
	return 0;
}

static int test_remove_untouched_page(struct ctx *x)
{
	return with_test_encl(x, remove_untouched_body);
}

static const struct test {
	const char *name;
	int (*fn)(struct ctx *x);
} tests[] = {
	{"unclobbered_vdso", test_unclobbered_vdso},
	{"unclobbered_vdso_oversubscribed", test_unclobbered_vdso_oversubscribed},
	{"tcs_permissions", test_tcs_permissions},
	{"augment", test_augment},
	{"augment_via_eaccept", test_augment_via_eaccept},
	{"tcs_create", test_tcs_create},
	{"remove_added_page_no_eaccept", test_remove_added_page_no_eaccept},
	{"remove_added_page_invalid_access", test_remove_added_page_invalid_access},
	{"remove_added_page_invalid_access_after_eaccept",
	 test_remove_added_page_invalid_access_after_eaccept},
	{"remove_untouched_page", test_remove_untouched_page},
};
#define NR_TESTS (sizeof(tests) / sizeof(tests[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"usage: test_sgx [-h] [-l] [-t TEST]...\n"
		"  -l       list the tests\n"
		"  -t TEST  run TEST (repeatable); default: all\n"
		"Enclaves live in the epcmm daemon at $EPCMM_SOCKET (default %s).\n",
		EPCMM_DEFAULT_SOCKET);
}

int main(int argc, char **argv)
{
	const struct test *sel[MAX_SELECTED];
	int nr = 0, pass = 0, skipped = 0, c, ret;
	struct ctx x = {0};

	while ((c = getopt(argc, argv, "hlt:")) != -1) {
		switch (c) {
		case 'l':
			for (size_t i = 0; i < NR_TESTS; i++)
				printf("enclave %s\n", tests[i].name);
			return KSFT_PASS;
		case 't': {
			size_t i;

			for (i = 0; i < NR_TESTS && strcmp(tests[i].name, optarg); i++)
				;
			if (i == NR_TESTS) {
				fprintf(stderr, "test_sgx: no test named '%s' (-l lists them)\n",
					optarg);
				return KSFT_FAIL;
			}
			if (nr == MAX_SELECTED) {
				fprintf(stderr, "test_sgx: at most %d -t\n", MAX_SELECTED);
				return KSFT_FAIL;
			}
			sel[nr++] = &tests[i];
			break;
		}
		case 'h':
			usage(stdout);
			return KSFT_PASS;
		default:
			usage(stderr);
			return KSFT_FAIL;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return KSFT_FAIL;
	}
	if (!nr)
		for (size_t i = 0; i < NR_TESTS; i++)
			sel[nr++] = &tests[i];

	ret = epcmm_client_connect(NULL, &x.c);
	if (ret) {
		fprintf(stderr,
			"test_sgx: cannot reach an epcmm daemon at %s: %s\n"
			"test_sgx: start one (epcmm daemon --socket PATH) and set EPCMM_SOCKET\n",
			epcmm_client_socket_path(), strerror(-ret));
		return KSFT_FAIL;
	}
	printf("TAP version 13\n1..%d\n# Starting %d tests from 1 test cases.\n", nr, nr);
	fflush(stdout);
	for (int i = 0; i < nr; i++) {
		printf("#  RUN           enclave.%s ...\n", sel[i]->name);
		fflush(stdout);
		x.why[0] = '\0';
		ret = x.c ? sel[i]->fn(&x) : fail(&x, "reconnecting", -ECONNRESET);
		if (!ret) {
			pass++;
			printf("#            OK  enclave.%s\nok %d enclave.%s\n", sel[i]->name,
			       i + 1, sel[i]->name);
		} else if (ret == SKIP) {
			skipped++;
			printf("#      SKIP      %s\n#            OK  enclave.%s\n"
			       "ok %d enclave.%s # SKIP %s\n",
			       x.why, sel[i]->name, i + 1, sel[i]->name, x.why);
		} else {
			printf("# %s\n#      FAIL  enclave.%s\nnot ok %d enclave.%s\n", x.why,
			       sel[i]->name, i + 1, sel[i]->name);
		}
		fflush(stdout);
		/* a daemon without EDMM closes the connection on an unknown request */
		if (ret == SKIP) {
			epcmm_client_close(x.c);
			x.c = NULL;
			epcmm_client_connect(NULL, &x.c);
		}
	}
	printf("# %s: %d / %d tests passed.\n", pass + skipped == nr ? "PASSED" : "FAILED", pass,
	       nr);
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0\n", pass,
	       nr - pass - skipped, skipped);
	epcmm_client_close(x.c);
	if (pass + skipped < nr)
		return KSFT_FAIL;
	return pass ? KSFT_PASS : KSFT_SKIP;
}
