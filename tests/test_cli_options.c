// SPDX-License-Identifier: MIT
/*
 * test_cli_options.c - the rules every command of the epcmm tool follows
 * when it reads its options (tools/epcmm/options.h), checked for every
 * command in the command table and every option each one has: --help and
 * -h print the command's usage and exit 0, --version the version; an unknown
 * option (long or short), an abbreviated one, a missing or empty value in
 * either form (`--opt`, `--opt=`, `--opt ''`), a value given to an option
 * that takes none, an operand where a command takes none: one line naming
 * the command and the option, the --help hint, exit 2, nothing on stdout.
 * A new command or option in the table is checked without a line here.
 *
 * The commands run in this process (their parse refuses before anything is
 * done), stdout and stderr caught in temporary files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "epcmm.h"
#include "options.h"
#include "tool.h"

#define MAX_ARGS 8

struct outcome {
	int status;
	char out[8192], err[8192];
};

/* The text of the temporary file @fd, into @buf. */
static void take(int fd, char *buf, size_t len)
{
	ssize_t n;

	CHECK(lseek(fd, 0, SEEK_SET) == 0, "rewind a capture file");
	n = read(fd, buf, len - 1);
	CHECK(n >= 0, "read a capture file");
	buf[n] = '\0';
}

/* A capture file: an unlinked temporary file. */
static int capture_file(void)
{
	char path[] = "/tmp/epcmm-test-cli-XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0, "mkstemp");
	unlink(path);
	return fd;
}

/* Run @cmd with the NULL-terminated arguments after its name. */
static void run_cmd(const struct tool_command *cmd, struct outcome *o, ...)
{
	char *argv[MAX_ARGS + 2] = {(char *)cmd->name};
	int argc = 1, out = capture_file(), err = capture_file();
	int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
	va_list ap;

	va_start(ap, o);
	for (char *a; (a = va_arg(ap, char *));)
		argv[argc++] = a;
	va_end(ap);
	CHECK(argc <= MAX_ARGS, "few enough arguments");
	fflush(stdout);
	fflush(stderr);
	dup2(out, STDOUT_FILENO);
	dup2(err, STDERR_FILENO);
	o->status = cmd->main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);
	take(out, o->out, sizeof(o->out));
	take(err, o->err, sizeof(o->err));
	close(out);
	close(err);
}

/* @o is a usage error of @cmd saying @what (with @arg), and nothing else. */
static void expect_usage_error(const struct tool_command *cmd, const struct outcome *o,
			       const char *what, const char *arg, const char *given)
{
	char want[512], msg[256];

	snprintf(msg, sizeof(msg), what, arg);
	snprintf(want, sizeof(want), "epcmm %s: %s\nTry 'epcmm %s --help'.\n", cmd->name, msg,
		 cmd->name);
	if (o->status != TOOL_EXIT_USAGE || strcmp(o->err, want) || o->out[0])
		fail_msg("epcmm %s %s: exit %d, stderr \"%s\", stdout \"%s\"; expected exit 2, "
			 "stderr \"%s\" and nothing on stdout",
			 cmd->name, given, o->status, o->err, o->out, want);
}

/* --help, -h and --version on every command. */
static void test_cli_options_help_and_version(void **state)
{
	char usage[64], version[64];
	struct outcome o;

	(void)state;
	snprintf(version, sizeof(version), "epcmm %s\n", EPCMM_VERSION_STRING);
	for (int i = 0; i < tool_nr_commands; i++) {
		const struct tool_command *cmd = tool_commands[i];

		snprintf(usage, sizeof(usage), "epcmm %s", cmd->name);
		CHECK(cmd->summary && cmd->summary[0], "every command has a summary");
		for (int h = 0; h < 2; h++) {
			run_cmd(cmd, &o, h ? "-h" : "--help", NULL);
			if (o.status != 0 || strncmp(o.out, "usage: ", 7) ||
			    !strstr(o.out, usage) || o.err[0])
				fail_msg("epcmm %s %s: exit %d, stdout \"%s\", stderr \"%s\"",
					 cmd->name, h ? "-h" : "--help", o.status, o.out, o.err);
		}
		run_cmd(cmd, &o, "--version", NULL);
		if (o.status != 0 || strcmp(o.out, version) || o.err[0])
			fail_msg("epcmm %s --version: exit %d, stdout \"%s\", stderr \"%s\"",
				 cmd->name, o.status, o.out, o.err);
		/* a value to an option that takes none */
		run_cmd(cmd, &o, "--help=yes", NULL);
		expect_usage_error(cmd, &o, "%s takes no value", "--help", "--help=yes");
	}
}

/* Unknown options, long and short, before and after an operand. */
static void test_cli_options_unknown(void **state)
{
	struct outcome o;

	(void)state;
	for (int i = 0; i < tool_nr_commands; i++) {
		const struct tool_command *cmd = tool_commands[i];

		run_cmd(cmd, &o, "--no-such-option", NULL);
		expect_usage_error(cmd, &o, "unknown option '%s'", "--no-such-option",
				   "--no-such-option");
		run_cmd(cmd, &o, "--no-such-option=3", NULL);
		expect_usage_error(cmd, &o, "unknown option '%s'", "--no-such-option",
				   "--no-such-option=3");
		run_cmd(cmd, &o, "-Z", NULL);
		expect_usage_error(cmd, &o, "unknown option '%s'", "-Z", "-Z");
		/* an abbreviation is not the option */
		run_cmd(cmd, &o, "--hel", NULL);
		expect_usage_error(cmd, &o, "unknown option '%s'", "--hel", "--hel");
	}
}

/* Every option of every command that takes a value: missing or empty, in
 * each form; every one that takes none: given one; every long option
 * abbreviated by one letter. */
static void test_cli_options_values(void **state)
{
	char opt[64], eq[70], abbr[64];
	struct outcome o;

	(void)state;
	for (int i = 0; i < tool_nr_commands; i++) {
		const struct tool_command *cmd = tool_commands[i];

		for (const struct option *lo = cmd->longs; lo->name; lo++) {
			snprintf(opt, sizeof(opt), "--%s", lo->name);
			if (lo->has_arg == required_argument) {
				run_cmd(cmd, &o, opt, NULL);
				expect_usage_error(cmd, &o, "%s needs a value", opt, opt);
				snprintf(eq, sizeof(eq), "%s=", opt);
				run_cmd(cmd, &o, eq, NULL);
				expect_usage_error(cmd, &o, "%s needs a value", opt, eq);
				run_cmd(cmd, &o, opt, "", NULL);
				expect_usage_error(cmd, &o, "%s needs a value", opt, "''");
			} else {
				snprintf(eq, sizeof(eq), "%s=1", opt);
				run_cmd(cmd, &o, eq, NULL);
				expect_usage_error(cmd, &o, "%s takes no value", opt, eq);
			}
			snprintf(abbr, sizeof(abbr), "%.*s", (int)strlen(opt) - 1, opt);
			run_cmd(cmd, &o, abbr, NULL);
			expect_usage_error(cmd, &o, "unknown option '%s'", abbr, abbr);
		}
		for (const char *c = cmd->shorts; *c; c++) {
			char letter[3] = {'-', *c, '\0'};

			if (c[1] != ':' || *c == '+')
				continue;
			run_cmd(cmd, &o, letter, NULL);
			expect_usage_error(cmd, &o, "%s needs a value", letter, letter);
			run_cmd(cmd, &o, letter, "", NULL);
			expect_usage_error(cmd, &o, "%s needs a value", letter, "''");
		}
	}
}

/* The table: names once each, `epcmm help` lists them all, `epcmm help CMD`
 * is CMD --help, an unknown command is refused. */
static void test_cli_options_table(void **state)
{
	const struct tool_command *help = tool_command_find("help");
	struct outcome o, h;

	(void)state;
	CHECK(help != NULL, "there is a help command");
	run_cmd(help, &o, NULL);
	CHECK_EQ(o.status, 0, "epcmm help exits 0");
	for (int i = 0; i < tool_nr_commands; i++) {
		char line[128];

		for (int j = 0; j < i; j++)
			CHECK(strcmp(tool_commands[i]->name, tool_commands[j]->name),
			      "each command once in the table");
		snprintf(line, sizeof(line), "  %-14s %s\n", tool_commands[i]->name,
			 tool_commands[i]->summary);
		if (!strstr(o.out, line))
			fail_msg("epcmm help does not list \"%s\":\n%s", line, o.out);
		run_cmd(help, &h, tool_commands[i]->name, NULL);
		run_cmd(tool_commands[i], &o, "--help", NULL);
		CHECK(h.status == 0 && !strcmp(h.out, o.out),
		      "epcmm help CMD prints what CMD --help does");
		run_cmd(help, &o, NULL);
	}
	run_cmd(help, &o, "nosuch", NULL);
	expect_usage_error(help, &o, "unknown command '%s'", "nosuch", "nosuch");
}

/* Operands where a command takes none; `--` ends the options. */
static void test_cli_options_operands(void **state)
{
	static const char *const bare[] = {"demo",   "topology", "daemon",
					   "status", "top",	 "selftest"};
	struct outcome o;

	(void)state;
	for (size_t i = 0; i < sizeof(bare) / sizeof(bare[0]); i++) {
		const struct tool_command *cmd = tool_command_find(bare[i]);

		CHECK(cmd != NULL, "the command is in the table");
		run_cmd(cmd, &o, "stray", NULL);
		expect_usage_error(cmd, &o, "unexpected argument '%s'", "stray", "stray");
		run_cmd(cmd, &o, "--", "--help", NULL);
		expect_usage_error(cmd, &o, "unexpected argument '%s'", "--help", "-- --help");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_options_help_and_version),
		cmocka_unit_test(test_cli_options_unknown),
		cmocka_unit_test(test_cli_options_values),
		cmocka_unit_test(test_cli_options_table),
		cmocka_unit_test(test_cli_options_operands),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
