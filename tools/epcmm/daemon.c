// SPDX-License-Identifier: MIT
/*
 * daemon.c - `epcmm daemon`: parse the machine and the paths (from
 * --config FILE, epcmm.conf(5), then the command line over it), block
 * SIGTERM and SIGINT into a signalfd that stops the daemon, run
 * live_daemon_run(). Everything is checked before anything is bound or
 * mounted: a bad file or option exits 2 having changed nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>
#include <numa.h>

#include "daemon.h"
#include "epcmm-client.h"
#include "epcmm.h"
#include "options.h"
#include "scenario.h"
#include "tool.h"
#include "value.h"

#define DAEMON_DEFAULT_EPC  (64ULL << 20)
#define DAEMON_SECTION_BASE 0x80000000ULL

/* The host's cgroup tree: never mounted over, nor under. */
#define DAEMON_HOST_CGROUP "/sys/fs/cgroup"
/* The longest line of a config file. */
#define DAEMON_CONF_LINE 4096

/* The settings of epcmm.conf(5) and of the command line: a NULL string or a
 * zero @nodes is "not given". Strings from a file are owned (@owned). */
struct daemon_settings {
	const char *epc, *scenario, *socket, *mount;
	uint64_t nodes;
	int contents;	  /* -1 not given, 0 no, 1 yes */
	int numa_reclaim; /* -1 not given, 0 off, 1 on */
	bool owned;
};

struct conf_parser {
	struct daemon_settings *set;
	const char *path;
	FILE *f;
	unsigned line;
	char err[512];
};

/* inih's reader: one line, counted, for file:line in messages. */
static char *conf_reader(char *str, int num, void *stream)
{
	struct conf_parser *p = stream;
	char *r = fgets(str, num, p->f);

	if (r)
		p->line++;
	return r;
}

static int conf_fail(struct conf_parser *p, const char *fmt, const char *a, const char *b)
{
	char msg[400];

	snprintf(msg, sizeof(msg), fmt, a, b);
	if (!p->err[0])
		snprintf(p->err, sizeof(p->err), "%s:%u: %s", p->path, p->line, msg);
	return 0;
}

/* Set *@slot to a copy of @value; a key given twice is refused. */
static int conf_str(struct conf_parser *p, const char *key, const char *value, const char **slot)
{
	if (*slot)
		return conf_fail(p, "%s given twice%s", key, "");
	if (!*value)
		return conf_fail(p, "%s: no value%s", key, "");
	*slot = strdup(value);
	if (!*slot)
		return conf_fail(p, "out of memory%s%s", "", "");
	return 1;
}

/* The EPC sections of @list (a size list, value.h; @what names it in
 * messages), section i on node i % @nr_nodes, one after another from
 * DAEMON_SECTION_BASE. Return: how many; -1 with the reason in @msg. */
static int epc_sections(const char *what, const char *list, int nr_nodes,
			struct epc_section_desc *secs, char *msg, size_t len)
{
	uint64_t sizes[EPC_MAX_SECTIONS], base = DAEMON_SECTION_BASE;
	int nr = sim_value_size_list(what, list, EPC_PAGE_SIZE, SIM_MAX_SECTION_BYTES,
				     EPC_PAGE_SIZE, sizes, EPC_MAX_SECTIONS, msg, len);

	if (nr == -ENOMEM)
		snprintf(msg, len, "out of memory");
	for (int i = 0; i < nr; i++) {
		secs[i] = (struct epc_section_desc){base, sizes[i], i % nr_nodes};
		base += sizes[i];
	}
	return nr < 0 ? -1 : nr;
}

/* "on" 1, "off" 0, else -1. */
static int on_off(const char *value)
{
	return !strcmp(value, "on") ? 1 : !strcmp(value, "off") ? 0 : -1;
}

/* inih's handler: the keys of the [daemon] section (epcmm.conf(5)). */
static int conf_handler(void *user, const char *section, const char *key, const char *value)
{
	struct conf_parser *p = user;
	struct daemon_settings *st = p->set;
	char msg[SIM_VALUE_ERR_LEN];

	if (p->err[0])
		return 0;
	if (strcmp(section, "daemon"))
		return conf_fail(p, "[%s]: unknown section (the settings are in [daemon])%s",
				 section, "");
	if (!strcmp(key, "epc")) {
		struct epc_section_desc secs[EPC_MAX_SECTIONS];

		if (epc_sections("epc", value, 1, secs, msg, sizeof(msg)) < 0)
			return conf_fail(p, "%s%s", msg, "");
		return conf_str(p, key, value, &st->epc);
	}
	if (!strcmp(key, "nodes")) {
		if (st->nodes)
			return conf_fail(p, "%s given twice%s", key, "");
		if (sim_value_uint("nodes", value, 1, EPC_MAX_NODES, &st->nodes, msg, sizeof(msg)))
			return conf_fail(p, "%s%s", msg, "");
		return 1;
	}
	if (!strcmp(key, "scenario"))
		return conf_str(p, key, value, &st->scenario);
	if (!strcmp(key, "socket"))
		return conf_str(p, key, value, &st->socket);
	if (!strcmp(key, "mount"))
		return conf_str(p, key, value, &st->mount);
	if (!strcmp(key, "contents")) {
		if (st->contents >= 0)
			return conf_fail(p, "%s given twice%s", key, "");
		if (strcmp(value, "yes") && strcmp(value, "no"))
			return conf_fail(p, "contents = %s: not yes or no%s", value, "");
		st->contents = !strcmp(value, "yes");
		return 1;
	}
	if (!strcmp(key, "numa-reclaim")) {
		if (st->numa_reclaim >= 0)
			return conf_fail(p, "%s given twice%s", key, "");
		st->numa_reclaim = on_off(value);
		if (st->numa_reclaim < 0)
			return conf_fail(p, "numa-reclaim = %s: not on or off%s", value, "");
		return 1;
	}
	return conf_fail(p,
			 "unknown key '%s' (epc, nodes, scenario, socket, mount, contents, "
			 "numa-reclaim)%s",
			 key, "");
}

static void settings_free(struct daemon_settings *st)
{
	if (!st->owned)
		return;
	free((char *)st->epc);
	free((char *)st->scenario);
	free((char *)st->socket);
	free((char *)st->mount);
}

/* Read @path into @st. Return: 0; TOOL_EXIT_USAGE ("file:line: what" said). */
static int conf_read(const char *path, struct daemon_settings *st)
{
	struct conf_parser p = {.set = st, .path = path};
	int ret;

	*st = (struct daemon_settings){.contents = -1, .numa_reclaim = -1, .owned = true};
	p.f = fopen(path, "r");
	if (!p.f) {
		fprintf(stderr, "epcmm daemon: %s: %s\n", path, strerror(errno));
		return TOOL_EXIT_USAGE;
	}
	ret = ini_parse_stream(conf_reader, &p, conf_handler, &p);
	fclose(p.f);
	if (!p.err[0] && ret > 0)
		snprintf(p.err, sizeof(p.err), "%s:%d: expected 'key = value', [daemon] or a comment",
			 path, ret);
	else if (!p.err[0] && ret < 0)
		snprintf(p.err, sizeof(p.err), "%s: out of memory", path);
	if (!p.err[0] && st->scenario && (st->epc || st->nodes))
		snprintf(p.err, sizeof(p.err), "%s: scenario gives the machine: no epc or nodes",
			 path);
	if (p.err[0]) {
		fprintf(stderr, "epcmm daemon: %s\n", p.err);
		return TOOL_EXIT_USAGE;
	}
	return 0;
}

static int stat_ns(pid_t pid, struct stat *st)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	return stat(path, st);
}

/* Ancestors looked at by private_mount_ns(): far more than any real chain. */
#define DAEMON_MAX_ANCESTORS 64

/* The parent of @pid (from /proc/PID/stat), or -1. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[1024], *p;
	size_t n;
	FILE *f;
	int ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may hold anything */
	return p && sscanf(p + 1, " %*c %d", &ppid) == 1 ? (pid_t)ppid : -1;
}

/* Is this process in a mount namespace of its own, that is, does an
 * ancestor (whose namespace can be read: PID 1's often cannot, in a
 * container) see other mounts? As under `unshare -m`; not under systemd. */
static bool private_mount_ns(void)
{
	struct stat self, anc;
	pid_t pid = getppid();

	if (stat("/proc/self/ns/mnt", &self))
		return false;
	for (int i = 0; i < DAEMON_MAX_ANCESTORS && pid > 0; i++) {
		if (!stat_ns(pid, &anc) && (anc.st_dev != self.st_dev || anc.st_ino != self.st_ino))
			return true;
		if (pid == 1)
			break;
		pid = parent_of(pid);
	}
	return false;
}

/* Is @dir the host's cgroup tree or under it (after its links, if it
 * exists)? Not in a private mount namespace (unshare -m), where
 * tests/live/kselftest.sh puts the emulated tree where the kernel's
 * selftests look for it. */
static bool under_host_cgroup(const char *dir)
{
	char *real = realpath(dir, NULL);
	const char *d = real ? real : dir;
	size_t n = strlen(DAEMON_HOST_CGROUP);
	bool under = !strncmp(d, DAEMON_HOST_CGROUP, n) && (d[n] == '\0' || d[n] == '/') &&
		     !private_mount_ns();

	free(real);
	return under;
}

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
	cfg->numa_reclaim = (*s)->run.numa_reclaim;
	cfg->nr_sections = (*s)->nr_sections;
	for (int i = 0; i < (*s)->nr_sections; i++)
		secs[i] = (struct epc_section_desc){.phys_addr = (*s)->sections[i].phys,
						    .size = (*s)->sections[i].size,
						    .node = (*s)->sections[i].node};
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: epcmm daemon [--config FILE] [--epc SIZE[,SIZE...]] [--nodes N | "
		"--scenario FILE]\n"
		"                    [--socket PATH] [--mount DIR] [--no-contents]\n"
		"                    [--numa-reclaim on|off]\n"
		"  --config   settings from FILE (epcmm.conf(5)); options override it\n"
		"  --epc      EPC sections (default 64M), section i on node i %% N\n"
		"  --nodes    NUMA nodes (default 1)\n"
		"  --scenario the machine of a scenario file: its [node N], [section N],\n"
		"             and [run] fallback, pcp_batch and numa-reclaim (epcmm-scenario(5))\n"
		"  --socket   default $EPCMM_SOCKET, else " EPCMM_DEFAULT_SOCKET "\n"
		"  --mount    mount the cgroup tree there as a cgroup v2 filesystem (FUSE)\n"
		"  --no-contents  metadata only: enclave bytes read as zeros, no crypto\n"
		"  --numa-reclaim on: NUMA-aware reclaim; off (the default): the kernel's\n"
		"             node-blind reclaim\n");
}

enum {
	OPT_EPC = 256,
	OPT_NODES,
	OPT_SOCKET,
	OPT_MOUNT,
	OPT_NO_CONTENTS,
	OPT_READY_FD,
	OPT_SCENARIO,
	OPT_NUMA_RECLAIM,
	OPT_CONFIG
};

static const struct option daemon_longs[] = {
	{"epc", required_argument, NULL, OPT_EPC},
	{"nodes", required_argument, NULL, OPT_NODES},
	{"socket", required_argument, NULL, OPT_SOCKET},
	{"mount", required_argument, NULL, OPT_MOUNT},
	{"no-contents", no_argument, NULL, OPT_NO_CONTENTS},
	{"ready-fd", required_argument, NULL, OPT_READY_FD},
	{"scenario", required_argument, NULL, OPT_SCENARIO},
	{"numa-reclaim", required_argument, NULL, OPT_NUMA_RECLAIM},
	{"config", required_argument, NULL, OPT_CONFIG},
	TOOL_COMMON_OPTIONS,
};

static int daemon_main(int argc, char **argv);

const struct tool_command tool_cmd_daemon = {
	.name = "daemon",
	.summary = "serve one EPC to client processes; mount its cgroup tree",
	.shorts = "",
	.longs = daemon_longs,
	.usage = usage,
	.main = daemon_main,
};

/* What the command line gives besides the settings. */
struct daemon_cli {
	struct daemon_settings set;
	const char *config;
	int ready_fd;
};

/* One option into @cli. Return: 0; -1 (said why). */
static int daemon_option(int c, const char *arg, struct daemon_cli *cli)
{
	char msg[SIM_VALUE_ERR_LEN];
	uint64_t v;

	switch (c) {
	case OPT_EPC:
		cli->set.epc = arg;
		return 0;
	case OPT_NODES:
		return daemon_value(sim_value_uint("--nodes", arg, 1, EPC_MAX_NODES,
						   &cli->set.nodes, msg, sizeof(msg)),
				    msg);
	case OPT_SOCKET:
		cli->set.socket = arg;
		return 0;
	case OPT_MOUNT:
		cli->set.mount = arg;
		return 0;
	case OPT_NO_CONTENTS:
		cli->set.contents = 0;
		return 0;
	case OPT_READY_FD:
		if (daemon_value(
			    sim_value_uint("--ready-fd", arg, 0, INT_MAX, &v, msg, sizeof(msg)),
			    msg))
			return -1;
		cli->ready_fd = (int)v;
		return 0;
	case OPT_SCENARIO:
		cli->set.scenario = arg;
		return 0;
	case OPT_NUMA_RECLAIM:
		cli->set.numa_reclaim = on_off(arg);
		if (cli->set.numa_reclaim < 0)
			return tool_bad("daemon", "--numa-reclaim %s: not on or off", arg);
		return 0;
	default: /* OPT_CONFIG */
		cli->config = arg;
		return 0;
	}
}

/* Return: 0; 1 after --help or --version; -1 bad usage (said why). */
static int daemon_parse(int argc, char **argv, struct daemon_cli *cli)
{
	struct tool_getopt g = TOOL_GETOPT(&tool_cmd_daemon, argc, argv);
	int c;

	while ((c = tool_getopt(&g)) != TOOL_OPT_DONE)
		if (c < 0 || daemon_option(c, optarg, cli))
			return c < 0 ? tool_opt_stop(c) : -1;
	if (tool_no_operands(&tool_cmd_daemon, argc, argv))
		return -1;
	if (cli->set.scenario && (cli->set.epc || cli->set.nodes))
		return tool_bad("daemon", "%s",
				"--scenario gives the machine: no --epc or --nodes");
	return 0;
}

/*
 * The host's CPUs into @cfg (@cpu_to_node: EPC_MAX_CPUS entries), so that a
 * client's task runs on the CPU its HELLO names (docs/PROTOCOL.md): each on
 * its own node when the emulated machine has as many nodes as the host,
 * else spread as the library's default spreads them (cpu % nodes).
 */
static void host_cpus(struct epc_config *cfg, int *cpu_to_node)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);
	bool real = numa_available() >= 0 && numa_max_node() + 1 == cfg->nr_nodes;

	cfg->nr_cpus = n < 1 ? 1 : n > EPC_MAX_CPUS ? EPC_MAX_CPUS : (int)n;
	for (int c = 0; c < cfg->nr_cpus; c++) {
		int node = real ? numa_node_of_cpu(c) : -1;

		cpu_to_node[c] = node >= 0 && node < cfg->nr_nodes ? node : c % cfg->nr_nodes;
	}
	cfg->cpu_to_node = cpu_to_node;
}

/* The machine (@m: the command line's or the file's, whole) into @cfg,
 * @secs and @cpu_to_node (without a scenario: the host's CPUs); a scenario's
 * arrays are kept in *@s. Return: 0; -1 (said why). */
static int daemon_machine(const struct daemon_settings *m, struct epc_config *cfg,
			  struct epc_section_desc *secs, int *cpu_to_node, struct sim_scenario **s)
{
	char msg[SIM_VALUE_ERR_LEN];
	int nr;

	cfg->nr_nodes = m->nodes ? (int)m->nodes : 1;
	cfg->sections = secs;
	if (m->scenario)
		return machine_from_scenario(m->scenario, cfg, secs, s) ? -1 : 0;
	host_cpus(cfg, cpu_to_node);
	if (!m->epc) {
		secs[0] = (struct epc_section_desc){DAEMON_SECTION_BASE, DAEMON_DEFAULT_EPC, 0};
		cfg->nr_sections = 1;
		return 0;
	}
	nr = epc_sections("--epc", m->epc, cfg->nr_nodes, secs, msg, sizeof(msg));
	if (daemon_value(nr < 0, msg))
		return -1;
	cfg->nr_sections = nr;
	return 0;
}

/* Block SIGINT and SIGTERM into @o->stop_fd and run the daemon until one
 * comes. Return: an exit status. */
static int daemon_serve(struct live_daemon_opts *o)
{
	sigset_t set;
	int ret;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL); /* before any thread: they inherit it */
	signal(SIGPIPE, SIG_IGN);
	o->stop_fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (o->stop_fd < 0) {
		perror("epcmm daemon: signalfd");
		return TOOL_EXIT_FAILURE;
	}
	/* The default socket's directory is ours to make (systemd makes it too). */
	if (!strcmp(o->socket_path, EPCMM_DEFAULT_SOCKET) && mkdir("/run/epcmm", 0700) &&
	    errno != EEXIST)
		fprintf(stderr, "epcmm daemon: cannot create /run/epcmm: %s\n", strerror(errno));
	ret = live_daemon_run(o);
	close(o->stop_fd);
	if (ret == -EINVAL || ret == -EOPNOTSUPP)
		return TOOL_EXIT_USAGE;
	return ret ? TOOL_EXIT_FAILURE : 0;
}

static int daemon_main(int argc, char **argv)
{
	struct epc_section_desc sections[EPC_MAX_SECTIONS];
	int cpu_to_node[EPC_MAX_CPUS];
	struct epc_config cfg = {.background = EPC_BACKGROUND_THREADS};
	struct daemon_cli cli = {.set = {.contents = -1, .numa_reclaim = -1}, .ready_fd = -1};
	struct daemon_settings file = {.contents = -1, .numa_reclaim = -1};
	const struct daemon_settings *st = &cli.set;
	struct live_daemon_opts o = {.cfg = &cfg};
	struct sim_scenario *s = NULL;
	int ret;

	ret = daemon_parse(argc, argv, &cli);
	if (ret)
		return tool_parse_exit(ret);
	if (cli.config && conf_read(cli.config, &file))
		goto out_usage;
	/* The command line over the file; the machine comes whole from one. */
	o.ready_fd = cli.ready_fd;
	o.socket_path = st->socket    ? st->socket
			: file.socket ? file.socket
				      : epcmm_client_socket_path();
	o.mount_dir = st->mount ? st->mount : file.mount;
	cfg.no_contents = !(st->contents >= 0	 ? st->contents
			    : file.contents >= 0 ? file.contents
						 : 1);
	if (o.mount_dir && under_host_cgroup(o.mount_dir)) {
		fprintf(stderr,
			"epcmm daemon: mount %s: that is the host's cgroup tree "
			"(" DAEMON_HOST_CGROUP
			"), which systemd and the kernel own: mount the emulated one elsewhere "
			"(/run/epcmm/cgroup), or from a private mount namespace (unshare -m)\n",
			o.mount_dir);
		goto out_usage;
	}
	if (daemon_machine(st->epc || st->nodes || st->scenario ? st : &file, &cfg, sections,
			   cpu_to_node, &s))
		goto out_usage;
	/* the command line's, the file's, else the scenario's [run] (else off, v17) */
	if (st->numa_reclaim >= 0 || file.numa_reclaim >= 0)
		cfg.numa_reclaim = st->numa_reclaim >= 0 ? st->numa_reclaim : file.numa_reclaim;
	ret = daemon_serve(&o);
	sim_scenario_free(s);
	settings_free(&file);
	return ret;
out_usage:
	sim_scenario_free(s);
	settings_free(&file);
	return TOOL_EXIT_USAGE;
}
