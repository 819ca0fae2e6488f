// SPDX-License-Identifier: MIT
/*
 * options.c - tool_getopt(): getopt_long(3) with the rules every command
 * shares (options.h), and the one shape of a usage error.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "epcmm.h"
#include "options.h"
#include "tool.h"

int tool_bad(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "epcmm %s: ", cmd);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'epcmm %s --help'.\n", cmd);
	return -1;
}

/* The long option @text names ("--name" or "--name=value"), whole, or NULL. */
static const struct option *long_named(const struct option *longs, const char *text)
{
	size_t n = strcspn(text + 2, "=");

	if (strncmp(text, "--", 2))
		return NULL;
	for (const struct option *o = longs; o->name; o++)
		if (strlen(o->name) == n && !strncmp(o->name, text + 2, n))
			return o;
	return NULL;
}

/* "--name" of @text without its "=value", in @buf. */
static const char *long_text(char buf[64], const char *text)
{
	snprintf(buf, 64, "%.*s", (int)strcspn(text, "="), text);
	return buf;
}

/*
 * The option getopt_long() just refused with @c, '?' or ':' (a missing
 * value). optopt tells which: 0 an unknown long option; a long option's val
 * (a letter of @g->shorts, or >= 256: a long-only option's) one given a
 * value it does not take; any other letter an unknown short option. A long
 * option's text is argv[optind - 1]. Return: TOOL_OPT_BAD.
 */
static int refuse(const struct tool_getopt *g, int c)
{
	const char *last = g->argv[optind - 1], *name = g->cmd->name;
	bool known = optopt >= 256 || (optopt && strchr(g->shorts, optopt));
	char buf[64], letter[3] = {'-', (char)optopt, '\0'};

	if (c == ':' && strncmp(last, "--", 2))
		tool_bad(name, "%s needs a value", letter);
	else if (c == '?' && optopt && !known)
		tool_bad(name, "unknown option '%s'", letter);
	else if (!long_named(g->cmd->longs, last))
		tool_bad(name, "unknown option '%s'", long_text(buf, last));
	else
		tool_bad(name, c == ':' ? "%s needs a value" : "%s takes no value",
			 long_text(buf, last));
	return TOOL_OPT_BAD;
}

/* The text of the long option getopt_long() just returned (before its value
 * when that is the next argument). */
static const char *long_given(const struct tool_getopt *g)
{
	return g->argv[optind - (optarg && optarg == g->argv[optind - 1] ? 2 : 1)];
}

int tool_getopt(struct tool_getopt *g)
{
	char buf[64], letter[3] = {'-', '\0', '\0'};
	int c, index = -1;

	if (!g->shorts[0]) {
		bool stop = g->cmd->shorts[0] == '+';

		snprintf(g->shorts, sizeof(g->shorts), "%s:%sh", stop ? "+" : "",
			 g->cmd->shorts + stop);
		optind = 0; /* glibc: start afresh */
		opterr = 0;
	}
	c = getopt_long(g->argc, g->argv, g->shorts, g->cmd->longs, &index);
	if (c == -1)
		return TOOL_OPT_DONE;
	if (c == '?' || c == ':')
		return refuse(g, c);
	/* getopt_long() takes an abbreviation: refuse it */
	if (index >= 0 && long_named(g->cmd->longs, long_given(g)) != &g->cmd->longs[index]) {
		tool_bad(g->cmd->name, "unknown option '%s'", long_text(buf, long_given(g)));
		return TOOL_OPT_BAD;
	}
	if (optarg && !*optarg) {
		letter[1] = (char)c;
		tool_bad(g->cmd->name, "%s needs a value",
			 index >= 0 ? long_text(buf, long_given(g)) : letter);
		return TOOL_OPT_BAD;
	}
	if (c == 'h') {
		g->cmd->usage(stdout);
		return TOOL_OPT_EXIT;
	}
	if (c == TOOL_OPT_VERSION) {
		printf("epcmm %s\n", EPCMM_VERSION_STRING);
		return TOOL_OPT_EXIT;
	}
	return c;
}

int tool_opt_stop(int c)
{
	return c == TOOL_OPT_EXIT ? 1 : -1;
}

int tool_parse_exit(int ret)
{
	return ret > 0 ? 0 : TOOL_EXIT_USAGE;
}

int tool_no_operands(const struct tool_command *cmd, int argc, char **argv)
{
	if (optind < argc)
		return tool_bad(cmd->name, "unexpected argument '%s'", argv[optind]);
	return 0;
}

int tool_parse_bare(const struct tool_command *cmd, int argc, char **argv)
{
	struct tool_getopt g = TOOL_GETOPT(cmd, argc, argv);
	int c = tool_getopt(&g);

	if (c != TOOL_OPT_DONE)
		return tool_opt_stop(c);
	return tool_no_operands(cmd, argc, argv);
}
