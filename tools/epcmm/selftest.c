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
#include "options.h"
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

enum {
	OPT_EPC = 256,
	OPT_NODES,
	OPT_SEED,
	OPT_NO_CONTENTS
};

static const struct option selftest_longs[] = {
	{"epc", required_argument, NULL, OPT_EPC},
	{"nodes", required_argument, NULL, OPT_NODES},
	{"seed", required_argument, NULL, OPT_SEED},
	{"no-contents", no_argument, NULL, OPT_NO_CONTENTS},
	TOOL_COMMON_OPTIONS,
};

static int selftest_main(int argc, char **argv);

const struct tool_command tool_cmd_selftest = {
	.name = "selftest",
	.summary = "run the kernel's EPC cgroup selftest scenarios (TAP)",
	.shorts = "",
	.longs = selftest_longs,
	.usage = usage,
	.main = selftest_main,
};

/* One option into @cfg (@sizes its sections). Return: 0; -1 (said why). */
static int selftest_option(int c, const char *arg, struct selftest_config *cfg, uint64_t *sizes)
{
	char msg[SIM_VALUE_ERR_LEN];
	bool seed_set;
	uint64_t v;
	int ret;

	switch (c) {
	case OPT_EPC:
		ret = sim_value_size_list("--epc", arg, EPC_PAGE_SIZE, SIM_MAX_SECTION_BYTES,
					  EPC_PAGE_SIZE, sizes, EPC_MAX_SECTIONS, msg, sizeof(msg));
		if (ret < 0) {
			fprintf(stderr, "epcmm selftest: %s\n",
				ret == -ENOMEM ? "out of memory" : msg);
			return -1;
		}
		cfg->nr_sections = ret;
		return 0;
	case OPT_NODES:
		if (sim_value_uint("--nodes", arg, 1, EPC_MAX_NODES, &v, msg, sizeof(msg))) {
			fprintf(stderr, "epcmm selftest: %s\n", msg);
			return -1;
		}
		cfg->nr_nodes = (int)v;
		return 0;
	case OPT_SEED:
		return tool_opt_seed("selftest", arg, &cfg->seed, &seed_set);
	default: /* OPT_NO_CONTENTS */
		cfg->no_contents = true;
		return 0;
	}
}

static int selftest_main(int argc, char **argv)
{
	uint64_t sizes[EPC_MAX_SECTIONS] = {DEFAULT_EPC};
	struct selftest_config cfg = {
		.epc_sizes = sizes, .nr_sections = 1, .nr_nodes = 1, .seed = 1};
	struct tool_getopt g = TOOL_GETOPT(&tool_cmd_selftest, argc, argv);
	struct selftest_result res;
	int c, ret;

	while ((c = tool_getopt(&g)) != TOOL_OPT_DONE)
		if (c < 0 || selftest_option(c, optarg, &cfg, sizes))
			return tool_parse_exit(c < 0 ? tool_opt_stop(c) : -1);
	if (tool_no_operands(&tool_cmd_selftest, argc, argv))
		return TOOL_EXIT_USAGE;
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
