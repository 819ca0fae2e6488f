// SPDX-License-Identifier: MIT
/*
 * status.c - `epcmm status [--socket PATH]`: a running daemon's EPC, nodes,
 * cgroups and clients, once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "epcmm-client.h"
#include "tool.h"
#include "view.h"

/* Shared with top.c: --socket PATH, or the default. Return: 0; -1 after
 * --help (printed; exit 0); an exit status. */
int tool_live_connect(int argc, char **argv, const char *cmd, struct epcmm_client **c, int *extra)
{
	const char *path = NULL;
	int ret;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: epcmm %s [--socket PATH]\n\n%s\n", cmd,
			       !strcmp(cmd, "top") ? "A running daemon's EPC, cgroups and clients, "
						     "redrawn once a second (q quits)."
						   : "A running daemon's EPC, cgroups and clients, "
						     "once.");
			return -1;
		}
		if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			path = argv[++i];
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc && extra) {
			*extra = atoi(argv[++i]);
		} else {
			fprintf(stderr, "usage: epcmm %s [--socket PATH]\n", cmd);
			return TOOL_EXIT_USAGE;
		}
	}
	ret = epcmm_client_connect(path, c);
	if (ret) {
		fprintf(stderr, "epcmm %s: no daemon at %s: %s\n", cmd,
			path ? path : epcmm_client_socket_path(), strerror(-ret));
		return TOOL_EXIT_FAILURE;
	}
	return 0;
}

/* Shared with top.c: why epcmm_status() failed, for a person. */
const char *tool_status_error(int err)
{
	if (err == -E2BIG)
		return "the daemon's report is too big: over 1 GiB, or over one reply from a "
		       "daemon that cannot send it in pages (older than this epcmm)";
	if (err == -EPROTO)
		return "the daemon's reply is malformed";
	return strerror(-err);
}

int epcmm_status_cmd(int argc, char **argv)
{
	struct epcmm_client *c;
	struct live_view *v;
	char *text;
	int ret = tool_live_connect(argc, argv, "status", &c, NULL);

	if (ret)
		return ret < 0 ? 0 : ret;
	ret = epcmm_status(c, &text);
	epcmm_client_close(c);
	if (ret) {
		fprintf(stderr, "epcmm status: %s\n", tool_status_error(ret));
		return TOOL_EXIT_FAILURE;
	}
	ret = live_view_parse(text, &v);
	free(text);
	if (ret) {
		fprintf(stderr, "epcmm status: the daemon's report does not parse: %s\n",
			strerror(-ret));
		return TOOL_EXIT_FAILURE;
	}
	live_view_render(stdout, v, NULL, 0, 100);
	live_view_free(v);
	return 0;
}
