// SPDX-License-Identifier: MIT
/*
 * commands.c - the table of the tool's commands (options.h) and `epcmm`
 * itself: `epcmm --help` and `epcmm help` list the table, `epcmm help
 * COMMAND` prints that command's --help, an unknown command is named.
 */
#include <stdio.h>
#include <string.h>

#include "epcmm.h"
#include "fmt.h"
#include "options.h"
#include "tool.h"

extern const struct tool_command tool_cmd_help;

const struct tool_command *const tool_commands[] = {
	&tool_cmd_run,		 &tool_cmd_size,     &tool_cmd_sweep,	 &tool_cmd_demo,
	&tool_cmd_daemon,	 &tool_cmd_status,   &tool_cmd_top,	 &tool_cmd_record,
	&tool_cmd_trace_convert, &tool_cmd_topology, &tool_cmd_selftest, &tool_cmd_help,
};
const int tool_nr_commands = sizeof(tool_commands) / sizeof(tool_commands[0]);

const struct tool_command *tool_command_find(const char *name)
{
	for (int i = 0; i < tool_nr_commands; i++)
		if (!strcmp(name, tool_commands[i]->name))
			return tool_commands[i];
	return NULL;
}

static void usage(FILE *f)
{
	static const bool right[] = {false, false};
	static const int min[] = {13, 0}; /* a summary starts on column 18 */
	struct fmt_table t = {.ncol = 2, .right = right, .min = min, .indent = 2};

	fprintf(f, "usage: epcmm [--help | --version | COMMAND [ARGS...]]\n\n"
		   "The SGX Enclave Page Cache memory manager, emulated in user space.\n\n"
		   "commands:\n");
	for (int i = 0; i < tool_nr_commands; i++) {
		int row = fmt_table_row(&t);

		fmt_table_set(&t, row, 0, tool_commands[i]->name);
		fmt_table_set(&t, row, 1, tool_commands[i]->summary);
	}
	fmt_table_print(f, &t);
	fprintf(f, "\n'epcmm COMMAND --help' says more; `epcmm run` is the place to start.\n"
		   "See epcmm(1) and epcmm-scenario(5).\n");
}

static void help_usage(FILE *f)
{
	fprintf(f, "usage: epcmm help [COMMAND]\n\n"
		   "The commands, or what COMMAND --help says.\n");
}

static int help_main(int argc, char **argv)
{
	struct tool_getopt g = TOOL_GETOPT(&tool_cmd_help, argc, argv);
	const struct tool_command *cmd;
	int c;

	c = tool_getopt(&g);
	if (c != TOOL_OPT_DONE)
		return tool_parse_exit(tool_opt_stop(c));
	if (optind == argc) {
		usage(stdout);
		return 0;
	}
	if (optind + 1 < argc)
		return tool_parse_exit(
			tool_bad("help", "unexpected argument '%s'", argv[optind + 1]));
	cmd = tool_command_find(argv[optind]);
	if (!cmd)
		return tool_parse_exit(tool_bad("help", "unknown command '%s'", argv[optind]));
	cmd->usage(stdout);
	return 0;
}

static const struct option help_longs[] = {TOOL_COMMON_OPTIONS};

const struct tool_command tool_cmd_help = {
	.name = "help",
	.summary = "the commands, or one command's --help",
	.shorts = "",
	.longs = help_longs,
	.usage = help_usage,
	.main = help_main,
};

int tool_main(int argc, char **argv)
{
	const struct tool_command *cmd;

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
	cmd = tool_command_find(argv[1]);
	if (!cmd) {
		fprintf(stderr, "epcmm: unknown command '%s'\n\n", argv[1]);
		usage(stderr);
		return TOOL_EXIT_USAGE;
	}
	return cmd->main(argc - 1, argv + 1);
}
