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
	{"run", epcmm_run, "run a scenario (default: the built-in one) and report"},
	{"size", epcmm_size, "how much EPC a program or trace needs, and what a misc.max does"},
	{"sweep", epcmm_sweep, "run a scenario over a range of one cgroup's limit"},
	{"demo", epcmm_demo, "walk through the allocator, cgroups and eviction on a tiny machine"},
	{"daemon", epcmm_daemon, "serve one EPC to client processes; mount its cgroup tree"},
	{"status", epcmm_status_cmd, "a running daemon's EPC, cgroups and clients, once"},
	{"top", epcmm_top, "the same, live, once a second (q quits)"},
	{"record", epcmm_record, "record a program's memory trace under Valgrind"},
	{"trace-convert", epcmm_trace_convert,
	 "convert a Lackey or plain trace to the compact format"},
	{"topology", epcmm_topology, "print the host's NUMA topology as a scenario fragment"},
	{"selftest", epcmm_selftest, "run the kernel's EPC cgroup selftest scenarios (TAP)"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: epcmm [--help | --version | COMMAND [ARGS...]]\n\n"
		   "The SGX Enclave Page Cache memory manager, emulated in user space.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'epcmm COMMAND --help' says more; `epcmm run` is the place to start.\n"
		   "See epcmm(1) and epcmm-scenario(5).\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return TOOL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("epcmm %s\n", EPCMM_VERSION_STRING);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name)) {
			/* --version on every command (up to a "--": a recorded program's own) */
			for (int a = 2; a < argc && strcmp(argv[a], "--"); a++)
				if (!strcmp(argv[a], "--version")) {
					printf("epcmm %s\n", EPCMM_VERSION_STRING);
					return 0;
				}
			return commands[i].fn(argc - 2, argv + 2);
		}
	fprintf(stderr, "epcmm: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return TOOL_EXIT_USAGE;
}
