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
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "epcmm-client.h"

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

/* An enclave of one code page and @heap bytes of heap; MAGIC put at the
 * heap's first and last page. */
static int run_enclave(struct ctx *x, uint64_t heap)
{
	uint64_t encl, size = PAGE + heap;
	int ret;

	ret = epcmm_encl_create(x->c, size, &encl);
	if (ret)
		return fail(x, "ECREATE", ret);
	ret = epcmm_encl_add_pages(x->c, encl, 0, size / PAGE, NULL);
	if (ret) {
		fail(x, "EADD", ret);
		goto out;
	}
	ret = epcmm_encl_init(x->c, encl);
	if (ret) {
		fail(x, "EINIT", ret);
		goto out;
	}
	ret = put_get(x, encl, PAGE);
	if (!ret)
		ret = put_get(x, encl, size - PAGE);
out:
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

	n = epcmm_cgroup_read(x->c, "/", "misc.capacity", text, sizeof(text));
	if (n < 0)
		return fail(x, "reading misc.capacity", (int)n);
	if (sscanf(text, "sgx_epc %llu", &cap) != 1 || cap < PAGE) {
		snprintf(x->why, sizeof(x->why), "misc.capacity says '%s'", text);
		return -1;
	}
	return run_enclave(x, cap / PAGE * PAGE);
}

static const struct test {
	const char *name;
	int (*fn)(struct ctx *x);
} tests[] = {
	{"unclobbered_vdso", test_unclobbered_vdso},
	{"unclobbered_vdso_oversubscribed", test_unclobbered_vdso_oversubscribed},
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
	int nr = 0, pass = 0, c, ret;
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
		if (!sel[i]->fn(&x)) {
			pass++;
			printf("#            OK  enclave.%s\nok %d enclave.%s\n", sel[i]->name,
			       i + 1, sel[i]->name);
		} else {
			printf("# %s\n#      FAIL  enclave.%s\nnot ok %d enclave.%s\n", x.why,
			       sel[i]->name, i + 1, sel[i]->name);
		}
		fflush(stdout);
	}
	printf("# %s: %d / %d tests passed.\n", pass == nr ? "PASSED" : "FAILED", pass, nr);
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n", pass, nr - pass);
	epcmm_client_close(x.c);
	return pass == nr ? KSFT_PASS : KSFT_FAIL;
}
