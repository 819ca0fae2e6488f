// SPDX-License-Identifier: MIT
/*
 * selftest.c - `epcmm selftest`: the kernel's EPC cgroup selftest scenarios
 * (selftest/selftest.h) on an emulated machine, as TAP.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "epcmm.h"
#include "selftest.h"
#include "tool.h"

#define DEFAULT_EPC (64ULL << 20)

static void usage(FILE *f)
{
	fprintf(f, "usage: epcmm selftest [--epc SIZE[,SIZE...]] [--nodes N] [--seed N] "
		   "[--no-contents]\n\n"
		   "Run the kernel's EPC cgroup selftest scenarios (run_epc_cg_selftests.sh)\n"
		   "in this process, each test process a thread with its own task and enclave.\n"
		   "Output is TAP; the exit status is 0 only when every case passes.\n\n"
		   "  --epc SIZE[,SIZE...]  EPC sections, bytes with an optional K, M or G\n"
		   "                        suffix (default 64M); at least 512 pages in all\n"
		   "  --nodes N             NUMA nodes, section i on node i %% N (default 1)\n"
		   "  --seed N              picks the run killed in the kill case (default 1)\n"
		   "  --no-contents         no page contents (big EPCs; accounting unchanged)\n");
}

/* "64M", "4096", "1G": bytes. Return: 0; -EINVAL. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_sizes(char *arg, uint64_t *sizes, int *n)
{
	char *save = NULL, *tok;

	*n = 0;
	for (tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == EPC_MAX_SECTIONS || parse_size(tok, &sizes[*n]) || !sizes[*n] ||
		    sizes[*n] % EPC_PAGE_SIZE) {
			fprintf(stderr,
				"epcmm selftest: --epc: '%s' is not a size in whole pages (or more "
				"than %d sections)\n",
				tok, EPC_MAX_SECTIONS);
			return -EINVAL;
		}
		(*n)++;
	}
	if (!*n) {
		fprintf(stderr, "epcmm selftest: --epc needs at least one size\n");
		return -EINVAL;
	}
	return 0;
}

static int parse_int(const char *opt, const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "epcmm selftest: %s: '%s' is not a number in %ld..%ld\n", opt, s,
			lo, hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int epcmm_selftest(int argc, char **argv)
{
	uint64_t sizes[EPC_MAX_SECTIONS] = {DEFAULT_EPC};
	struct selftest_config cfg = {
		.epc_sizes = sizes, .nr_sections = 1, .nr_nodes = 1, .seed = 1};
	struct selftest_result res;
	long v;
	int ret;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		bool has_value = i + 1 < argc;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--no-contents")) {
			cfg.no_contents = true;
		} else if (!strcmp(a, "--epc") && has_value) {
			if (parse_sizes(argv[++i], sizes, &cfg.nr_sections))
				return TOOL_EXIT_USAGE;
		} else if (!strcmp(a, "--nodes") && has_value) {
			if (parse_int(a, argv[++i], 1, EPC_MAX_NODES, &v))
				return TOOL_EXIT_USAGE;
			cfg.nr_nodes = (int)v;
		} else if (!strcmp(a, "--seed") && has_value) {
			if (parse_int(a, argv[++i], 0, LONG_MAX, &v))
				return TOOL_EXIT_USAGE;
			cfg.seed = (uint64_t)v;
		} else {
			fprintf(stderr, "epcmm selftest: unknown option or missing value: '%s'\n\n",
				a);
			usage(stderr);
			return TOOL_EXIT_USAGE;
		}
	}
	ret = selftest_run(&cfg, &res);
	if (ret == -EINVAL)
		return TOOL_EXIT_USAGE;
	if (ret) {
		fprintf(stderr, "epcmm selftest: the machine could not be built: %s\n",
			strerror(-ret));
		return TOOL_EXIT_FAILURE;
	}
	return res.failed ? TOOL_EXIT_FAILURE : 0;
}
