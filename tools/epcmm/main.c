// SPDX-License-Identifier: MIT
/*
 * main.c - the epcmm command line: dispatch to a command.
 */
#include <stdio.h>
#include <string.h>

#include "epcmm.h"
#include "tool.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{"demo", epcmm_demo, "walk through the allocator, cgroups and eviction on a tiny machine"},
	{"selftest", epcmm_selftest, "run the kernel's EPC cgroup selftest scenarios (TAP)"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: epcmm [--help | --version | COMMAND [ARGS...]]\n\n"
		   "The SGX Enclave Page Cache memory manager, emulated in user space.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nWith no command, epcmm runs the demo. See epcmm(1).\n");
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return epcmm_demo(0, NULL);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("epcmm %s\n", EPCMM_VERSION_STRING);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 2, argv + 2);
	fprintf(stderr, "epcmm: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return TOOL_EXIT_USAGE;
}
