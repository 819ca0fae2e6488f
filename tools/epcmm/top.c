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
#include "tool.h"
#include "view.h"

#define TOP_INTERVAL_MS 1000

int tool_live_connect(int argc, char **argv, const char *cmd, struct epcmm_client **c, int *extra);
const char *tool_status_error(int err); /* status.c */

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

int epcmm_top(int argc, char **argv)
{
	struct live_view *prev = NULL, *v;
	struct termios saved, raw;
	struct epcmm_client *c;
	int limit = 0, ret, screens = 0;
	bool tty = isatty(STDIN_FILENO);
	double t_prev = 0;

	ret = tool_live_connect(argc, argv, "top", &c, &limit);
	if (ret)
		return ret < 0 ? 0 : ret;
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
		char *text;

		ret = epcmm_status(c, &text);
		if (ret) {
			fprintf(stderr, "epcmm top: %s%s\n",
				ret == -E2BIG || ret == -EPROTO || ret == -ENOMEM
					? ""
					: "the daemon went away: ",
				tool_status_error(ret));
			ret = TOOL_EXIT_FAILURE;
			break;
		}
		ret = live_view_parse(text, &v);
		free(text);
		if (ret) {
			fprintf(stderr, "epcmm top: the daemon's report does not parse: %s\n",
				strerror(-ret));
			ret = TOOL_EXIT_FAILURE;
			break;
		}
		printf("\033[H\033[2J");
		printf("epcmm top: %s    (q quits)\n\n", epcmm_client_socket_path());
		live_view_render(stdout, v, prev, t - t_prev, screen_width());
		fflush(stdout);
		live_view_free(prev);
		prev = v;
		t_prev = t;
		ret = 0;
		if (limit && ++screens >= limit)
			break;
		if (quit_pressed(TOP_INTERVAL_MS, tty))
			break;
	}
	live_view_free(prev);
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	epcmm_client_close(c);
	return ret;
}
