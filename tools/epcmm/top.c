// SPDX-License-Identifier: MIT
/*
 * top.c - `epcmm top [--socket PATH]`: the status view redrawn once a
 * second with plain ANSI (home, clear), with rates from the previous
 * snapshot; `q` quits (the terminal is put in non-canonical mode and
 * restored). `-n N` stops after N screens (for scripts and tests).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "epcmm-client.h"
#include "options.h"
#include "tool.h"
#include "value.h"
#include "view.h"

#define TOP_INTERVAL_MS 1000

/* status.c */
int tool_live_connect(const char *cmd, const char *socket, struct epcmm_client **c);
const char *tool_status_error(int err);

/* The most screens -n asks for: far more than anyone watches. */
#define TOP_MAX_SCREENS 1000000000

static void top_usage(FILE *f)
{
	fprintf(f, "usage: epcmm top [--socket PATH] [-n N]\n\n"
		   "A running daemon's EPC, cgroups and clients, redrawn once a second (q quits).\n"
		   "  --socket PATH  the daemon's socket (default $EPCMM_SOCKET, "
		   "else " EPCMM_DEFAULT_SOCKET ")\n"
		   "  -n N           stop after N screens\n");
}

enum {
	OPT_SOCKET = 256
};

static const struct option top_longs[] = {
	{"socket", required_argument, NULL, OPT_SOCKET},
	TOOL_COMMON_OPTIONS,
};

static int top_main(int argc, char **argv);

const struct tool_command tool_cmd_top = {
	.name = "top",
	.summary = "the same, live, once a second (q quits)",
	.shorts = "n:",
	.longs = top_longs,
	.usage = top_usage,
	.main = top_main,
};

/* --socket into *@socket, -n into *@limit. Return: 0; 1 after --help or
 * --version; -1 bad usage (said why). */
static int top_parse(int argc, char **argv, const char **socket, int *limit)
{
	struct tool_getopt g = TOOL_GETOPT(&tool_cmd_top, argc, argv);
	char msg[SIM_VALUE_ERR_LEN];
	uint64_t v;
	int c;

	while ((c = tool_getopt(&g)) != TOOL_OPT_DONE) {
		if (c < 0)
			return tool_opt_stop(c);
		if (c == OPT_SOCKET) {
			*socket = optarg;
		} else if (sim_value_uint("-n", optarg, 1, TOP_MAX_SCREENS, &v, msg, sizeof(msg))) {
			return tool_bad("top", "%s", msg);
		} else {
			*limit = (int)v;
		}
	}
	return tool_no_operands(&tool_cmd_top, argc, argv);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int screen_width(void)
{
	struct winsize ws;

	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col >= 40)
		return ws.ws_col;
	return 100;
}

/* Wait up to @ms for a key; true when it was q. Without a terminal on
 * stdin, just wait. */
static bool quit_pressed(int ms, bool tty)
{
	struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
	char ch;

	if (!tty) {
		poll(NULL, 0, ms);
		return false;
	}
	if (poll(&p, 1, ms) <= 0)
		return false;
	if (read(STDIN_FILENO, &ch, 1) != 1)
		return false;
	return ch == 'q' || ch == 'Q';
}

static int top_main(int argc, char **argv)
{
	const char *socket = NULL;
	struct epcmm_snapshot *prev = NULL, *v;
	struct termios saved, raw;
	struct epcmm_client *c;
	int limit = 0, ret, screens = 0;
	bool tty = isatty(STDIN_FILENO);
	double t_prev = 0;

	ret = top_parse(argc, argv, &socket, &limit);
	if (ret)
		return tool_parse_exit(ret);
	ret = tool_live_connect("top", socket, &c);
	if (ret)
		return ret;
	if (tty && !tcgetattr(STDIN_FILENO, &saved)) {
		raw = saved;
		raw.c_lflag &= ~(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	} else {
		tty = false;
	}
	for (;;) {
		double t = now();

		ret = epcmm_snapshot_get(c, &v);
		if (ret) {
			fprintf(stderr, "epcmm top: %s%s\n",
				ret == -E2BIG || ret == -EPROTO || ret == -ENOMEM ||
						ret == -EOPNOTSUPP
					? ""
					: "the daemon went away: ",
				tool_status_error(ret));
			ret = TOOL_EXIT_FAILURE;
			break;
		}
		printf("\033[H\033[2J");
		printf("epcmm top: %s    (q quits)\n\n",
		       socket ? socket : epcmm_client_socket_path());
		live_view_render(stdout, v, prev, t - t_prev, screen_width());
		fflush(stdout);
		epcmm_snapshot_free(prev);
		prev = v;
		t_prev = t;
		ret = 0;
		if (limit && ++screens >= limit)
			break;
		if (quit_pressed(TOP_INTERVAL_MS, tty))
			break;
	}
	epcmm_snapshot_free(prev);
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	epcmm_client_close(c);
	return ret;
}
