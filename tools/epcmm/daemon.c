// SPDX-License-Identifier: MIT
/*
 * daemon.c - `epcmm daemon`: parse the machine and the paths, block SIGTERM
 * and SIGINT into a signalfd that stops the daemon, run live_daemon_run().
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "epcmm-client.h"
#include "epcmm.h"
#include "scenario.h"
#include "tool.h"

#define DAEMON_DEFAULT_EPC  (64ULL << 20)
#define DAEMON_SECTION_BASE 0x80000000ULL

/* A number option by value.h's rules: "epcmm daemon: MSG" on error. Return: 0; -1. */
static int daemon_value(int ret, const char *msg)
{
	if (ret)
		fprintf(stderr, "epcmm daemon: %s\n", msg);
	return ret ? -1 : 0;
}

/* The machine of a scenario file into @cfg and @secs; @s keeps the arrays
 * @cfg points to. Return: 0; TOOL_EXIT_USAGE with a message. */
static int machine_from_scenario(const char *path, struct epc_config *cfg,
				 struct epc_section_desc *secs, struct sim_scenario **s)
{
	char err[SIM_ERR_LEN];
	int ret = sim_scenario_new(s);

	if (!ret)
		ret = sim_scenario_parse_file(*s, path, err, sizeof(err));
	if (!ret)
		ret = sim_scenario_finalize(*s, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "epcmm daemon: %s\n", ret == -ENOMEM ? "out of memory" : err);
		sim_scenario_free(*s);
		*s = NULL;
		return TOOL_EXIT_USAGE;
	}
	cfg->nr_nodes = (*s)->nr_nodes;
	cfg->nr_cpus = (*s)->nr_cpus;
	cfg->cpu_to_node = (*s)->cpu_to_node;
	cfg->distance = (*s)->distance;
	cfg->fallback = (*s)->run.fallback;
	cfg->pcp_batch = (*s)->run.pcp_batch;
	cfg->nr_sections = (*s)->nr_sections;
	for (int i = 0; i < (*s)->nr_sections; i++)
		secs[i] = (struct epc_section_desc){.phys_addr = (*s)->sections[i].phys,
						    .size = (*s)->sections[i].size,
						    .node = (*s)->sections[i].node};
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: epcmm daemon [--epc SIZE[,SIZE...]] [--nodes N | --scenario FILE]\n"
		   "                    [--socket PATH] [--mount DIR] [--no-contents]\n"
		   "  --epc      EPC sections (default 64M), section i on node i %% N\n"
		   "  --nodes    NUMA nodes (default 1)\n"
		   "  --scenario the machine of a scenario file: its [node N], [section N],\n"
		   "             and [run] fallback and pcp_batch (epcmm-scenario(5))\n"
		   "  --socket   default $EPCMM_SOCKET, else " EPCMM_DEFAULT_SOCKET "\n"
		   "  --mount    mount the cgroup tree there as a cgroup v2 filesystem (FUSE)\n"
		   "  --no-contents  metadata only: enclave bytes read as zeros, no crypto\n");
}

int epcmm_daemon(int argc, char **argv)
{
	static const struct option opts[] = {
		{"epc", required_argument, NULL, 'e'},
		{"nodes", required_argument, NULL, 'n'},
		{"socket", required_argument, NULL, 's'},
		{"mount", required_argument, NULL, 'm'},
		{"no-contents", no_argument, NULL, 'C'},
		{"ready-fd", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{"scenario", required_argument, NULL, 'S'},
		{NULL, 0, NULL, 0},
	};
	struct epc_section_desc sections[EPC_MAX_SECTIONS];
	struct epc_config cfg = {.nr_nodes = 1, .background = EPC_BACKGROUND_THREADS};
	struct live_daemon_opts o = {.socket_path = epcmm_client_socket_path(), .ready_fd = -1};
	const char *epc_arg = NULL, *scenario = NULL;
	struct sim_scenario *s = NULL;
	char msg[SIM_VALUE_ERR_LEN];
	uint64_t v;
	sigset_t set;
	int c, ret;

	optind = 0; /* argv[0] is the first argument, not the program */
	while ((c = getopt_long(argc + 1, argv - 1, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			epc_arg = optarg;
			break;
		case 'n':
			if (daemon_value(sim_value_uint("--nodes", optarg, 1, EPC_MAX_NODES, &v,
							msg, sizeof(msg)),
					 msg))
				return TOOL_EXIT_USAGE;
			cfg.nr_nodes = (int)v;
			break;
		case 's':
			o.socket_path = optarg;
			break;
		case 'm':
			o.mount_dir = optarg;
			break;
		case 'C':
			cfg.no_contents = true;
			break;
		case 'r':
			if (daemon_value(sim_value_uint("--ready-fd", optarg, 0, INT_MAX, &v, msg,
							sizeof(msg)),
					 msg))
				return TOOL_EXIT_USAGE;
			o.ready_fd = (int)v;
			break;
		case 'S':
			scenario = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return TOOL_EXIT_USAGE;
		}
	}
	if (optind != argc + 1) {
		fprintf(stderr, "epcmm daemon: unexpected argument '%s'\n", argv[optind - 1]);
		return TOOL_EXIT_USAGE;
	}
	if (scenario && (epc_arg || cfg.nr_nodes != 1)) {
		fprintf(stderr,
			"epcmm daemon: --scenario gives the machine: no --epc or --nodes\n");
		return TOOL_EXIT_USAGE;
	}
	if (scenario) {
		ret = machine_from_scenario(scenario, &cfg, sections, &s);
		if (ret)
			return ret;
	} else if (!epc_arg) {
		sections[0] = (struct epc_section_desc){DAEMON_SECTION_BASE, DAEMON_DEFAULT_EPC, 0};
		cfg.nr_sections = 1;
	} else {
		char *copy = strdup(epc_arg), *save = NULL;
		uint64_t base = DAEMON_SECTION_BASE;

		for (char *tok = strtok_r(copy, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			uint64_t size;

			if (cfg.nr_sections == EPC_MAX_SECTIONS) {
				fprintf(stderr, "epcmm daemon: --epc %s: more than %d sections\n",
					epc_arg, EPC_MAX_SECTIONS);
				free(copy);
				return TOOL_EXIT_USAGE;
			}
			if (daemon_value(sim_value_size("--epc", tok, EPC_PAGE_SIZE,
							SIM_MAX_SECTION_BYTES, EPC_PAGE_SIZE, &size,
							msg, sizeof(msg)),
					 msg)) {
				free(copy);
				return TOOL_EXIT_USAGE;
			}
			sections[cfg.nr_sections] = (struct epc_section_desc){
				base, size, cfg.nr_sections % cfg.nr_nodes};
			cfg.nr_sections++;
			base += size;
		}
		free(copy);
		if (!cfg.nr_sections) {
			fprintf(stderr, "epcmm daemon: --epc: no size given\n");
			return TOOL_EXIT_USAGE;
		}
	}
	cfg.sections = sections;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL); /* before any thread: they inherit it */
	signal(SIGPIPE, SIG_IGN);
	o.stop_fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (o.stop_fd < 0) {
		perror("epcmm daemon: signalfd");
		return TOOL_EXIT_FAILURE;
	}
	o.cfg = &cfg;
	/* The default socket's directory is ours to make (systemd makes it too). */
	if (!strcmp(o.socket_path, EPCMM_DEFAULT_SOCKET) && mkdir("/run/epcmm", 0700) &&
	    errno != EEXIST)
		fprintf(stderr, "epcmm daemon: cannot create /run/epcmm: %s\n", strerror(errno));
	ret = live_daemon_run(&o);
	close(o.stop_fd);
	sim_scenario_free(s);
	if (ret == -EINVAL || ret == -EOPNOTSUPP)
		return TOOL_EXIT_USAGE;
	return ret ? TOOL_EXIT_FAILURE : 0;
}
