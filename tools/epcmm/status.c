// SPDX-License-Identifier: MIT
/*
 * status.c - `epcmm status [--socket PATH] [--format text|openmetrics]
 * [--interval N --output FILE]`: a running daemon's EPC, nodes, cgroups and
 * clients, once, or into FILE every N seconds (node_exporter's textfile
 * collector), replaced whole each time (sim/outfile.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "epcmm-client.h"
#include "options.h"
#include "outfile.h"
#include "tool.h"
#include "value.h"
#include "view.h"

/* Shared with top.c: connect to the daemon at @socket (NULL: the default).
 * Return: 0; TOOL_EXIT_FAILURE (said why). */
int tool_live_connect(const char *cmd, const char *socket, struct epcmm_client **c)
{
	int ret = epcmm_client_connect(socket, c);

	if (ret) {
		fprintf(stderr, "epcmm %s: no daemon at %s: %s\n", cmd,
			socket ? socket : epcmm_client_socket_path(), strerror(-ret));
		return TOOL_EXIT_FAILURE;
	}
	return 0;
}

/* Shared with top.c: why epcmm_snapshot_get() failed, for a person. */
const char *tool_status_error(int err)
{
	if (err == -E2BIG)
		return "the daemon's state is too big: over 1 GiB";
	if (err == -EOPNOTSUPP)
		return "the daemon is older than this epcmm (it has no SNAPSHOT request): "
		       "use its own epcmm status";
	if (err == -EPROTO)
		return "the daemon's reply is malformed";
	return strerror(-err);
}

/* The longest --interval (a day): longer is surely a typo. */
#define STATUS_MAX_INTERVAL 86400

struct status_opts {
	bool openmetrics;
	unsigned interval; /* 0: once */
	const char *output, *socket;
};

static void status_usage(FILE *f)
{
	fprintf(f, "usage: epcmm status [--socket PATH] [--format text|openmetrics]\n"
		   "                    [--interval N --output FILE]\n\n"
		   "A running daemon's EPC, cgroups and clients, once; --format openmetrics\n"
		   "prints them in the OpenMetrics text format. --interval N --output FILE\n"
		   "rewrites FILE atomically every N seconds (node_exporter's textfile\n"
		   "collector: FILE in its directory, named *.prom) until SIGTERM or SIGINT.\n");
}

enum {
	OPT_SOCKET = 256,
	OPT_FORMAT,
	OPT_INTERVAL,
	OPT_OUTPUT
};

static const struct option status_longs[] = {
	{"socket", required_argument, NULL, OPT_SOCKET},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"interval", required_argument, NULL, OPT_INTERVAL},
	{"output", required_argument, NULL, OPT_OUTPUT},
	TOOL_COMMON_OPTIONS,
};

static int status_main(int argc, char **argv);

const struct tool_command tool_cmd_status = {
	.name = "status",
	.summary = "a running daemon's EPC, cgroups and clients, once",
	.shorts = "",
	.longs = status_longs,
	.usage = status_usage,
	.main = status_main,
};

/* One option into @o. Return: 0; -1 (said why). */
static int status_option(int c, const char *arg, struct status_opts *o)
{
	char msg[SIM_VALUE_ERR_LEN];
	uint64_t v;

	switch (c) {
	case OPT_SOCKET:
		o->socket = arg;
		return 0;
	case OPT_FORMAT:
		if (strcmp(arg, "text") && strcmp(arg, "openmetrics"))
			return tool_bad("status", "--format %s: not text or openmetrics", arg);
		o->openmetrics = !strcmp(arg, "openmetrics");
		return 0;
	case OPT_INTERVAL:
		if (sim_value_uint("--interval", arg, 1, STATUS_MAX_INTERVAL, &v, msg, sizeof(msg)))
			return tool_bad("status", "%s", msg);
		o->interval = (unsigned)v;
		return 0;
	default: /* OPT_OUTPUT */
		o->output = arg;
		return 0;
	}
}

/* Return: 0; 1 after --help or --version; -1 bad usage (said why). */
static int status_parse(int argc, char **argv, struct status_opts *o)
{
	struct tool_getopt g = TOOL_GETOPT(&tool_cmd_status, argc, argv);
	int c;

	while ((c = tool_getopt(&g)) != TOOL_OPT_DONE)
		if (c < 0 || status_option(c, optarg, o))
			return c < 0 ? tool_opt_stop(c) : -1;
	if (tool_no_operands(&tool_cmd_status, argc, argv))
		return -1;
	if (!!o->interval != !!o->output)
		return tool_bad("status", "%s", "--interval and --output go together");
	return 0;
}

/* The daemon's state. Return: 0; an exit status (said why). */
static int status_take(struct status_opts *o, struct epcmm_snapshot **v)
{
	struct epcmm_client *c;
	int ret = tool_live_connect("status", o->socket, &c);

	if (ret)
		return ret;
	ret = epcmm_snapshot_get(c, v);
	epcmm_client_close(c);
	if (ret) {
		fprintf(stderr, "epcmm status: %s\n", tool_status_error(ret));
		return TOOL_EXIT_FAILURE;
	}
	return 0;
}

static void status_print(FILE *f, const struct status_opts *o, const struct epcmm_snapshot *v)
{
	if (o->openmetrics)
		live_view_openmetrics(f, v);
	else
		live_view_render(f, v, NULL, 0, 0); /* paths whole */
}

/* One report into @o->output, replaced whole. Return: 0; -1 no report
 * (said why, the file left as it was); TOOL_EXIT_FAILURE the file could not
 * be written (said why). */
static int status_write_file(struct status_opts *o)
{
	char err[512];
	struct sim_outfile *out;
	struct epcmm_snapshot *v;
	sigset_t set;
	int ret;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	ret = status_take(o, &v);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (ret)
		return -1;
	ret = sim_outfile_open(o->output, &out, err, sizeof(err));
	if (!ret) {
		status_print(sim_outfile_stream(out), o, v);
		ret = sim_outfile_commit(out, err, sizeof(err));
	}
	epcmm_snapshot_free(v);
	if (ret) {
		fprintf(stderr, "epcmm status: %s\n", err);
		return TOOL_EXIT_FAILURE;
	}
	return 0;
}

/* --interval: a report every @o->interval seconds until SIGTERM or SIGINT
 * (blocked and waited for while the file is written and between reports,
 * so a signal never cuts a write short: the file is always whole, no
 * temporary file is left, and the exit status is 0; while the daemon is
 * asked, which may hang with it, they are let through and end the command
 * at once, the file untouched). A daemon that does not answer is said on stderr and
 * the file left as it was (its mtime shows it is stale); the next interval
 * tries again. A file that cannot be written ends it. */
static int status_loop(struct status_opts *o)
{
	struct timespec ts = {.tv_sec = o->interval};
	char err[512];
	sigset_t set;

	if (sim_outfile_check(o->output, err, sizeof(err))) {
		fprintf(stderr, "epcmm status: %s\n", err);
		return TOOL_EXIT_USAGE;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		if (status_write_file(o) > 0)
			return TOOL_EXIT_FAILURE;
		if (sigtimedwait(&set, NULL, &ts) >= 0)
			return 0;
	}
}

static int status_main(int argc, char **argv)
{
	struct status_opts o = {0};
	struct epcmm_snapshot *v;
	int ret = status_parse(argc, argv, &o);

	if (ret)
		return tool_parse_exit(ret);
	if (o.interval)
		return status_loop(&o);
	ret = status_take(&o, &v);
	if (ret)
		return ret;
	status_print(stdout, &o, v);
	epcmm_snapshot_free(v);
	return fflush(stdout) ? TOOL_EXIT_FAILURE : 0;
}
