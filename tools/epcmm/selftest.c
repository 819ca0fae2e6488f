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
#include "scenario.h"
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
		   "  --epc SIZE[,SIZE...]  EPC sections: sizes as in epcmm-scenario(5), 4096,\n"
		   "                        64K, 64M, 2G (default 64M); 512 pages at least\n"
		   "  --nodes N             NUMA nodes, section i on node i %% N (default 1)\n"
		   "  --seed N              picks the run killed in the kill case (default 1)\n"
		   "  --no-contents         no page contents (big EPCs; accounting unchanged)\n");
}

int epcmm_selftest(int argc, char **argv)
{
	uint64_t sizes[EPC_MAX_SECTIONS] = {DEFAULT_EPC};
	struct selftest_config cfg = {
		.epc_sizes = sizes, .nr_sections = 1, .nr_nodes = 1, .seed = 1};
	struct selftest_result res;
	char msg[SIM_VALUE_ERR_LEN];
	bool seed_set;
	uint64_t v;
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
			ret = sim_value_size_list("--epc", argv[++i], EPC_PAGE_SIZE,
						  SIM_MAX_SECTION_BYTES, EPC_PAGE_SIZE, sizes,
						  EPC_MAX_SECTIONS, msg, sizeof(msg));
			if (ret < 0) {
				fprintf(stderr, "epcmm selftest: %s\n",
					ret == -ENOMEM ? "out of memory" : msg);
				return TOOL_EXIT_USAGE;
			}
			cfg.nr_sections = ret;
		} else if (!strcmp(a, "--nodes") && has_value) {
			if (sim_value_uint(a, argv[++i], 1, EPC_MAX_NODES, &v, msg, sizeof(msg))) {
				fprintf(stderr, "epcmm selftest: %s\n", msg);
				return TOOL_EXIT_USAGE;
			}
			cfg.nr_nodes = (int)v;
		} else if (!strcmp(a, "--seed") && has_value) {
			if (tool_opt_seed("selftest", argv[++i], &cfg.seed, &seed_set))
				return TOOL_EXIT_USAGE;
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
