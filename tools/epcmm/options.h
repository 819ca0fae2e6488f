/* SPDX-License-Identifier: MIT */
/*
 * options.h - the commands of the epcmm tool and the one way each parses its
 * options.
 *
 * A command is a struct tool_command: its name, a one-line summary (`epcmm
 * help` lists them), its options as getopt_long(3) takes them, its --help
 * text and its entry point. Every command reads its options with
 * tool_getopt(), so every command follows the same rules:
 *  - `--opt value` and `--opt=value` alike, a short option's value after it
 *    or in the next argument (`-j4`, `-j 4`), short options bundled (`-qj4`);
 *  - options and operands in any order, `--` ends the options (a command
 *    that runs another program, record and size, stops at its first operand
 *    or at `--`: what follows is that program's);
 *  - a long option is spelled whole (no abbreviations: a new option never
 *    makes an old abbreviation ambiguous);
 *  - `-h`/`--help` prints the command's usage on stdout, `--version` the
 *    version; both exit 0;
 *  - an unknown option, a missing or empty value, a value given to an option
 *    that takes none: one line on stderr naming the command and the option,
 *    "Try 'epcmm CMD --help'.", exit status 2 (TOOL_EXIT_USAGE).
 * tests/test_cli_options.c checks these rules for every option of every
 * command in the table, so a new command cannot skip them.
 */
#ifndef EPCMM_TOOL_OPTIONS_H
#define EPCMM_TOOL_OPTIONS_H

#include <getopt.h>
#include <stdio.h>

/* The val of --version in a command's long options. */
#define TOOL_OPT_VERSION 0x7ffe
/* What every command's long options end with. */
#define TOOL_COMMON_OPTIONS                                                                        \
	{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, TOOL_OPT_VERSION},        \
	{                                                                                          \
		NULL, 0, NULL, 0                                                                   \
	}

struct tool_command {
	const char *name;    /* "run" */
	const char *summary; /* one line, for `epcmm help` */
	/* getopt's short options ("j:q"; -h is added); a leading '+': the
	 * options end at the first operand */
	const char *shorts;
	const struct option *longs;	    /* ending with TOOL_COMMON_OPTIONS */
	void (*usage)(FILE *f);		    /* --help's text */
	int (*main)(int argc, char **argv); /* @argv[0] is the name; an exit status */
};

/* The commands, in `epcmm help`'s order (commands.c). */
extern const struct tool_command *const tool_commands[];
extern const int tool_nr_commands;
/* The command called @name, or NULL. */
const struct tool_command *tool_command_find(const char *name);
/* `epcmm ARGS...`: the command argv[1] names. Return: an exit status. */
int tool_main(int argc, char **argv);

/* What tool_getopt() returns besides an option's val. */
enum {
	TOOL_OPT_DONE = -1, /* no more options: operands from optind on */
	TOOL_OPT_EXIT = -2, /* --help or --version printed: exit 0 */
	TOOL_OPT_BAD = -3,  /* bad usage, said on stderr: exit 2 */
};

/* One parse of a command's arguments: TOOL_GETOPT() starts one. */
struct tool_getopt {
	const struct tool_command *cmd;
	int argc;
	char **argv;
	char shorts[64]; /* cmd->shorts as getopt_long() is given them */
};
#define TOOL_GETOPT(command, nr, args)                                                             \
	{                                                                                          \
		.cmd = (command), .argc = (nr), .argv = (args)                                     \
	}

/*
 * tool_getopt() - the next option of @g->argv (argv[0] the command's name)
 * by the rules above. An option's value is in optarg; at TOOL_OPT_DONE,
 * optind is the first operand.
 * Return: the option's val (its short letter, or a long option's val);
 * TOOL_OPT_DONE; TOOL_OPT_EXIT; TOOL_OPT_BAD.
 */
int tool_getopt(struct tool_getopt *g);

/* A parse's end for tool_getopt()'s TOOL_OPT_EXIT or TOOL_OPT_BAD: 1 (exit
 * 0) or -1 (exit 2), as tool_parse_exit() maps them. */
int tool_opt_stop(int c);
/* The exit status for a parse that returned @ret: 0 after --help (1),
 * TOOL_EXIT_USAGE after a bad one (< 0). */
int tool_parse_exit(int ret);
/* The parse of a command with no options of its own and no operands.
 * Return: 0; 1 after --help or --version; -1 bad usage (said why). */
int tool_parse_bare(const struct tool_command *cmd, int argc, char **argv);
/* Refuse operands where a command takes none: "unexpected argument 'X'".
 * Return: 0 (none); -1 (said why). */
int tool_no_operands(const struct tool_command *cmd, int argc, char **argv);

#endif
