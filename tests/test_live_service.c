// SPDX-License-Identifier: MIT
/*
 * test_live_service.c - `epcmm daemon` as contrib/epcmm.service runs it,
 * without systemd. The unit's own ExecStart= is read from the unit file and
 * run (its program replaced by the epcmm just built, its --config file by a
 * copy of the shipped contrib/epcmm.conf with /run/epcmm moved to a
 * temporary directory), in a private mount namespace, with NOTIFY_SOCKET
 * naming an abstract socket the test listens on: READY=1 must come, and
 * when it has, the socket accepts and the cgroup tree is mounted; SIGTERM
 * must bring STOPPING=1, exit status 0, the mount gone and the socket file
 * removed. That case needs root and /dev/fuse (skipped otherwise).
 *
 * `epcmm status --format openmetrics --interval 1 --output FILE` against a
 * daemon (no root needed): the file is written whole, and SIGTERM ends the
 * command with status 0 and no temporary file left beside it.
 *
 * Then bad settings files (no root needed): an unknown key, a bad size, a
 * bad number, a key twice, a missing file, a mount under /sys/fs/cgroup (in
 * the host's mount namespace) —
 * each refused with exit status 2 and FILE:LINE (FILE alone for a missing
 * file) and what is wrong, with nothing bound and nothing mounted although
 * the file names a socket and a mount directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"
#include "epcmm-client.h"

/* How long the daemon may take to start or stop on a loaded machine. */
#define SERVICE_WAIT_MS 60000
#define SERVICE_MAX_ARGS 32

static char tmpdir[] = "/tmp/epcmm-service.XXXXXX";

static const char *epcmm(void)
{
	const char *e = getenv("EPCMM");

	return e && *e ? e : NULL;
}

/* The whole of @path, NUL-terminated (NULL if it cannot be read). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int c;

	if (!f)
		return NULL;
	m = open_memstream(&buf, &len);
	while (m && (c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(f);
	if (m)
		fclose(m);
	return buf;
}

/* The daemon's log @path, or a note that it wrote none: never NULL. */
static char *slurp_log(const char *path)
{
	char *text = slurp(path);

	return text ? text : strdup("(no log)");
}

static void spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL, path);
	CHECK(fputs(text, f) >= 0 && fclose(f) == 0, path);
}

/* Run @argv with @env_notify as NOTIFY_SOCKET (NULL: none), stderr into
 * @log. Return: the pid. */
static pid_t spawn(char **argv, const char *env_notify, const char *log)
{
	pid_t pid = fork();

	CHECK(pid >= 0, "fork");
	if (!pid) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd >= 0)
			dup2(fd, 2);
		if (env_notify)
			setenv("NOTIFY_SOCKET", env_notify, 1);
		else
			unsetenv("NOTIFY_SOCKET");
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static int wait_exit(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		CHECK(errno == EINTR, "waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* --- bad settings files --------------------------------------------------- */

static void refused(const char *name, const char *body, const char *want)
{
	char conf[256], sock[256], mnt[256], log[256], procs[300], what[512];
	char *argv[] = {(char *)epcmm(), "daemon", "--config", conf, NULL};
	char *text, *err;
	pid_t pid;

	snprintf(conf, sizeof(conf), "%s/%s", tmpdir, name);
	snprintf(sock, sizeof(sock), "%s/bad.sock", tmpdir);
	snprintf(mnt, sizeof(mnt), "%s/badmnt", tmpdir);
	snprintf(log, sizeof(log), "%s/bad.log", tmpdir);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", mnt);
	mkdir(mnt, 0700);
	if (body) {
		if (asprintf(&text, body, sock, mnt) < 0)
			fail_msg("asprintf");
		spit(conf, text);
		free(text);
	}
	pid = spawn(argv, NULL, log);
	snprintf(what, sizeof(what), "%s: exit status 2", name);
	CHECK_EQ(wait_exit(pid), 2, what);
	err = slurp_log(log);
	snprintf(what, sizeof(what), "%s: the error names '%s' (got: %s)", name, want, err);
	CHECK(strstr(err, want) != NULL, what);
	snprintf(what, sizeof(what), "%s: nothing bound at %s", name, sock);
	CHECK(access(sock, F_OK) != 0, what);
	snprintf(what, sizeof(what), "%s: nothing mounted on %s", name, mnt);
	CHECK(access(procs, F_OK) != 0, what);
	free(err);
	unlink(conf);
}

/* Does an ancestor of the test see other mounts (then the test, and the
 * daemon it starts, are in a private mount namespace, where the daemon
 * allows a mount under /sys/fs/cgroup)? As the daemon decides it. */
static int private_mount_ns(void)
{
	struct stat self, anc;
	pid_t pid = getpid();

	if (stat("/proc/self/ns/mnt", &self))
		return 0;
	for (int i = 0; i < 64 && pid > 1; i++) {
		char path[64], buf[1024], *p;
		FILE *f;
		size_t n;
		int ppid;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if (!(f = fopen(path, "r")))
			return 0;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		p = strrchr(buf, ')');
		if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
			return 0;
		pid = ppid;
		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
		if (!stat(path, &anc) && (anc.st_dev != self.st_dev || anc.st_ino != self.st_ino))
			return 1;
	}
	return 0;
}

static void test_live_service_config_refused(void **state)
{
	char want[512];

	(void)state;
	if (!epcmm())
		skip();
	refused("unknown.conf", "[daemon]\nsocket = %s\nmount = %s\nepc_size = 64M\n",
		"unknown.conf:4: unknown key 'epc_size'");
	refused("size.conf", "[daemon]\nsocket = %s\nmount = %s\nepc = 64Q\n",
		"size.conf:4: epc: '64Q' is not a size");
	refused("unaligned.conf", "[daemon]\nsocket = %s\nmount = %s\nepc = 64M,1000\n",
		"unaligned.conf:4: epc:");
	refused("number.conf", "[daemon]\nsocket = %s\nmount = %s\n\nnodes = two\n",
		"number.conf:5: nodes:");
	refused("range.conf", "[daemon]\nsocket = %s\nmount = %s\nnodes = 65\n",
		"range.conf:4: nodes: 65 is out of range");
	refused("twice.conf", "[daemon]\nsocket = %s\nmount = %s\nsocket = /x\n",
		"twice.conf:4: socket given twice");
	refused("section.conf", "[daemon]\nsocket = %s\nmount = %s\n[demon]\nepc = 4M\n",
		"section.conf:5: [demon]: unknown section");
	refused("contents.conf", "[daemon]\nsocket = %s\nmount = %s\ncontents = maybe\n",
		"contents.conf:4: contents = maybe");
	refused("numa.conf", "[daemon]\nsocket = %s\nmount = %s\n\nnuma-reclaim = yes\n",
		"numa.conf:5: numa-reclaim = yes: not on or off");
	snprintf(want, sizeof(want), "%s/missing.conf: No such file or directory", tmpdir);
	refused("missing.conf", NULL, want);
	if (!private_mount_ns())
		refused("host.conf", "[daemon]\nsocket = %s\nepc = 4M\n#%s\nmount = /sys/fs/cgroup/epcmm\n",
			"mount /sys/fs/cgroup/epcmm: that is the host's cgroup tree");
}

/* --- the unit's own command line ------------------------------------------ */

/* ExecStart='s words from the unit (no quoting in ours: split at spaces). */
static int exec_start(const char *unit, char *words[SERVICE_MAX_ARGS], char **buf)
{
	char *text = slurp(unit), *line, *save = NULL;
	int nr = 0;

	CHECK(text != NULL, "contrib/epcmm.service is readable");
	CHECK(strstr(text, "\nType=notify\n") != NULL, "the unit is Type=notify");
	CHECK(strstr(text, "\nNotifyAccess=main\n") != NULL, "the unit has NotifyAccess=main");
	line = strstr(text, "\nExecStart=");
	CHECK(line != NULL, "the unit has ExecStart=");
	line += strlen("\nExecStart=");
	line[strcspn(line, "\n")] = '\0';
	CHECK(!strpbrk(line, "\"'\\$%"), "ExecStart= has no quoting or specifiers to expand");
	for (char *w = strtok_r(line, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		CHECK(nr < SERVICE_MAX_ARGS - 1, "ExecStart= has few words");
		words[nr++] = w;
	}
	words[nr] = NULL;
	*buf = text;
	return nr;
}

/* Wait for one datagram on @fd into @msg. Return: its length; -1 timeout. */
static int notify_wait(int fd, char *msg, size_t len)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;

	if (poll(&p, 1, SERVICE_WAIT_MS) != 1)
		return -1;
	n = recv(fd, msg, len - 1, 0);
	if (n < 0)
		return -1;
	msg[n] = '\0';
	return (int)n;
}

/* The shipped settings file with /run/epcmm moved to @dir, written to @out. */
static void conf_redirect(const char *shipped, const char *dir, const char *out)
{
	char *text = slurp(shipped), *p;
	FILE *f = fopen(out, "w");

	CHECK(text != NULL, "contrib/epcmm.conf is readable");
	CHECK(f != NULL, out);
	CHECK(strstr(text, "\nsocket = /run/epcmm/epcmm.sock\n") != NULL,
	      "the shipped socket is /run/epcmm/epcmm.sock");
	CHECK(strstr(text, "\nmount = /run/epcmm/cgroup\n") != NULL,
	      "the shipped mount is /run/epcmm/cgroup");
	for (p = text; *p;) {
		char *hit = strstr(p, "/run/epcmm");

		if (!hit) {
			fputs(p, f);
			break;
		}
		fwrite(p, 1, (size_t)(hit - p), f);
		fputs(dir, f);
		p = hit + strlen("/run/epcmm");
	}
	CHECK_EQ(fclose(f), 0, "the redirected settings file is written");
	free(text);
}

static void test_live_service_unit(void **state)
{
	char *words[SERVICE_MAX_ARGS], *unit_text, msg[256], conf[256], sock[256], mnt[300];
	char procs[320], log[256], notify[64], what[512], *said;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int nr, fd, cfd, have_config = 0, rc;
	pid_t pid;

	(void)state;
	if (!epcmm() || geteuid() != 0 || access("/dev/fuse", R_OK | W_OK))
		skip(); /* needs root and /dev/fuse for the unit's FUSE mount */
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		skip(); /* no private mount namespace: the mount must not reach the host */
	nr = exec_start(EPCMM_TEST_DIR "/../contrib/epcmm.service", words, &unit_text);
	CHECK(nr >= 2 && !strcmp(words[0], "/usr/bin/epcmm") && !strcmp(words[1], "daemon"),
	      "ExecStart= runs /usr/bin/epcmm daemon");
	snprintf(conf, sizeof(conf), "%s/epcmm.conf", tmpdir);
	snprintf(sock, sizeof(sock), "%s/epcmm.sock", tmpdir);
	snprintf(mnt, sizeof(mnt), "%s/cgroup", tmpdir);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", mnt);
	snprintf(log, sizeof(log), "%s/daemon.log", tmpdir);
	words[0] = (char *)epcmm();
	for (int i = 2; i < nr; i++) {
		CHECK(!strstr(words[i], "/run/epcmm"), "ExecStart= takes its paths from --config");
		if (!strcmp(words[i], "--config") && i + 1 < nr) {
			CHECK(!strcmp(words[i + 1], "/etc/epcmm/epcmm.conf"),
			      "ExecStart= reads /etc/epcmm/epcmm.conf");
			words[++i] = conf;
			have_config = 1;
		}
	}
	CHECK(have_config, "ExecStart= has --config");
	conf_redirect(EPCMM_TEST_DIR "/../contrib/epcmm.conf", tmpdir, conf);
	CHECK_EQ(mkdir(mnt, 0700), 0, "the mount point (systemd's RuntimeDirectory=)");

	/* systemd's notify socket: an abstract one, as '@' in NOTIFY_SOCKET */
	snprintf(notify, sizeof(notify), "@epcmm-test-service-%d", (int)getpid());
	memcpy(sa.sun_path + 1, notify + 1, strlen(notify) - 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0, "the notify socket");
	CHECK_EQ(bind(fd, (struct sockaddr *)&sa,
		      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(notify))),
		 0, "bind the notify socket");

	pid = spawn(words, notify, log);
	if (notify_wait(fd, msg, sizeof(msg)) < 0) {
		kill(pid, SIGKILL);
		wait_exit(pid);
		said = slurp_log(log);
		fail_msg("no READY=1 within %d ms; the daemon said:\n%s", SERVICE_WAIT_MS, said);
	}
	snprintf(what, sizeof(what), "the first notification is READY=1 (got '%s')", msg);
	CHECK(!strcmp(msg, "READY=1"), what);
	/* ready means ready: the socket accepts and the tree is mounted now */
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	CHECK(strlen(sock) < sizeof(sa.sun_path), "the socket path fits sun_path");
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_EQ(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)), 0,
		 "at READY=1 the socket accepts");
	close(cfd);
	CHECK_EQ(access(procs, F_OK), 0, "at READY=1 the cgroup tree is mounted");

	CHECK_EQ(kill(pid, SIGTERM), 0, "SIGTERM");
	CHECK(notify_wait(fd, msg, sizeof(msg)) > 0, "a notification after SIGTERM");
	snprintf(what, sizeof(what), "SIGTERM brings STOPPING=1 (got '%s')", msg);
	CHECK(!strcmp(msg, "STOPPING=1"), what);
	rc = wait_exit(pid);
	said = slurp_log(log);
	snprintf(what, sizeof(what), "the daemon exits 0 on SIGTERM; it said:\n%s", said);
	free(said);
	CHECK_EQ(rc, 0, what);
	CHECK(access(procs, F_OK) != 0, "the cgroup tree is unmounted after the stop");
	CHECK(access(sock, F_OK) != 0, "the socket file is removed after the stop");
	close(fd);
	rmdir(mnt);
	unlink(conf);
	unlink(log);
	free(unit_text);
}

/* Bind an abstract datagram socket named @name ("@..."). Return: its fd. */
static int notify_listen(const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0, "the notify socket");
	memcpy(sa.sun_path + 1, name + 1, strlen(name) - 1);
	CHECK_EQ(bind(fd, (struct sockaddr *)&sa,
		      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name))),
		 0, "bind the notify socket");
	return fd;
}

/* `epcmm status --format openmetrics --interval 1 --output FILE` against a
 * daemon (a socket only: no root needed): FILE appears whole, in the format,
 * and SIGTERM ends the command with status 0 and no temporary file left. */
/* Run the daemon @argv (stderr into @log) and wait for its READY=1 on
 * @notify, whose listening socket is left in *@fd. Return: its pid. */
static pid_t spawn_ready(char **argv, const char *notify, const char *log, int *fd)
{
	char msg[64];
	pid_t pid;

	*fd = notify_listen(notify);
	pid = spawn(argv, notify, log);
	if (notify_wait(*fd, msg, sizeof(msg)) < 0 || strcmp(msg, "READY=1")) {
		kill(pid, SIGKILL);
		wait_exit(pid);
		fail_msg("the daemon did not say READY=1 (it logs to %s)", log);
	}
	return pid;
}

static void test_live_service_metrics_file(void **state)
{
	char sock[256], prom[256], log[256], slog[256], notify[64], *text;
	char *daemon_argv[] = {(char *)epcmm(), "daemon", "--socket", sock, "--epc", "4M", NULL};
	char *status_argv[] = {(char *)epcmm(), "status", "--socket", sock, "--format", "openmetrics",
			       "--interval", "1", "--output", prom, NULL};
	struct timespec tick = {.tv_nsec = 10 * 1000 * 1000};
	pid_t daemon, status;
	int fd, waited = 0;

	(void)state;
	if (!epcmm())
		skip();
	snprintf(sock, sizeof(sock), "%s/m.sock", tmpdir);
	snprintf(prom, sizeof(prom), "%s/epcmm.prom", tmpdir);
	snprintf(log, sizeof(log), "%s/m-daemon.log", tmpdir);
	snprintf(slog, sizeof(slog), "%s/m-status.log", tmpdir);
	snprintf(notify, sizeof(notify), "@epcmm-test-metrics-%d", (int)getpid());
	daemon = spawn_ready(daemon_argv, notify, log, &fd);
	status = spawn(status_argv, NULL, slog);
	/* the first report is written at once; wait for it (not for a time) */
	while (access(prom, F_OK) && waited < SERVICE_WAIT_MS) {
		nanosleep(&tick, NULL);
		waited += 10;
	}
	text = slurp(prom);
	CHECK(text != NULL, "the status command wrote its file");
	CHECK(!strncmp(text, "# HELP epcmm_", 13), "the file starts with a HELP line");
	CHECK(strlen(text) > 6 && !strcmp(text + strlen(text) - 6, "# EOF\n"),
	      "the file is whole: it ends in # EOF");
	CHECK(strstr(text, "\nepcmm_epc_total_bytes 4194304\n") != NULL, "the daemon's 4M EPC");
	CHECK(strstr(text, "\nepcmm_cgroup_usage_bytes{cgroup=\"/\"} ") != NULL,
	      "the root cgroup's usage");
	free(text);
	CHECK_EQ(kill(status, SIGTERM), 0, "SIGTERM to the status command");
	CHECK_EQ(wait_exit(status), 0, "the status command exits 0 on SIGTERM");
	text = slurp(prom);
	CHECK(text != NULL && strstr(text, "# EOF\n") != NULL, "the file is still whole");
	free(text);
	CHECK_EQ(kill(daemon, SIGTERM), 0, "SIGTERM to the daemon");
	CHECK_EQ(wait_exit(daemon), 0, "the daemon exits 0");
	close(fd);
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "ls '%s' | grep -q 'epcmm.prom.tmp'", tmpdir);
		CHECK(system(cmd) != 0, "no temporary file is left beside the file");
	}
}

/*
 * `epcmm daemon` with no scenario has the host's CPUs: a client pinned to a
 * CPU other than 0 says so at HELLO, and its task (status's CPU column) is
 * on that CPU, not on CPU 0 as every client's was.
 */
static void test_live_service_client_cpu(void **state)
{
	char sock[256], log[256], out[256], notify[64], row[32], *text, *line;
	char *daemon_argv[] = {(char *)epcmm(), "daemon", "--socket", sock, "--epc", "4M", NULL};
	cpu_set_t set;
	pid_t daemon, status;
	int fd, cpu = -1, got_cpu = -1;

	(void)state;
	if (!epcmm())
		skip();
	CHECK_EQ(sched_getaffinity(0, sizeof(set), &set), 0, "sched_getaffinity");
	for (int c = 1; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			cpu = c;
	if (cpu < 0)
		skip(); /* one CPU: nothing to tell apart */
	snprintf(sock, sizeof(sock), "%s/c.sock", tmpdir);
	snprintf(log, sizeof(log), "%s/c-daemon.log", tmpdir);
	snprintf(out, sizeof(out), "%s/c-status.txt", tmpdir);
	snprintf(notify, sizeof(notify), "@epcmm-test-cpu-%d", (int)getpid());
	daemon = spawn_ready(daemon_argv, notify, log, &fd);
	status = fork();
	CHECK(status >= 0, "fork");
	if (!status) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (o < 0 || dup2(o, 1) < 0 || sched_setaffinity(0, sizeof(set), &set))
			_exit(126);
		execl(epcmm(), epcmm(), "status", "--socket", sock, (char *)NULL);
		_exit(127);
	}
	CHECK_EQ(wait_exit(status), 0, "epcmm status, pinned, exits 0");
	kill(daemon, SIGTERM);
	CHECK_EQ(wait_exit(daemon), 0, "the daemon exits 0");
	close(fd);
	text = slurp(out);
	CHECK(text != NULL, "status wrote its report");
	/* its own row in the client table: "PID  CGROUP  CPU  NODE ..." */
	snprintf(row, sizeof(row), "%d ", (int)status);
	for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char cg[64];

		line += strspn(line, " ");
		if (!strncmp(line, row, strlen(row)) &&
		    sscanf(line, "%*d %63s %d", cg, &got_cpu) == 2)
			break;
	}
	free(text);
	CHECK_EQ(got_cpu, cpu, "the status client's task is on the CPU it was pinned to");
}

/* A machine whose node 1 is host CPU 0's: 256 pages on each of two nodes. */
static const char numa_machine[] = "[node 0]\ncpus = 1\n[node 1]\ncpus = 0\n"
				   "[section 0]\nnode = 0\nsize = 1M\n"
				   "[section 1]\nnode = 1\nsize = 1M\n"
				   "[enclave e]\nsize = 4K\ncpus = 0\n";

/*
 * The daemon with numa-reclaim @setting in its settings file (NULL: the key
 * left out), on numa_machine: a client on node 1 fills it with an enclave
 * (SECS + VA + 254 pages), then asks for one more page (it may reclaim).
 * Return: the node the page came from.
 */
static int numa_daemon_page_node(const char *setting)
{
	char conf[256], scen[256], sock[256], log[256], notify[96], text[1024], what[32];
	char *argv[] = {(char *)epcmm(), "daemon", "--config", conf, NULL};
	struct epcmm_client *c = NULL;
	uint64_t e, page;
	int fd, node = -1, task_node = -1;
	pid_t pid;

	snprintf(what, sizeof(what), "numa-%s", setting ? setting : "default");
	snprintf(conf, sizeof(conf), "%s/%s.conf", tmpdir, what);
	snprintf(scen, sizeof(scen), "%s/%s.ini", tmpdir, what);
	snprintf(sock, sizeof(sock), "%s/%s.sock", tmpdir, what);
	snprintf(log, sizeof(log), "%s/%s.log", tmpdir, what);
	snprintf(notify, sizeof(notify), "@epcmm-test-%s-%d", what, (int)getpid());
	spit(scen, numa_machine);
	snprintf(text, sizeof(text), "[daemon]\nscenario = %s\nsocket = %s\n%s%s\n", scen, sock,
		 setting ? "numa-reclaim = " : "", setting ? setting : "");
	spit(conf, text);
	pid = spawn_ready(argv, notify, log, &fd);
	CHECK_EQ(epcmm_client_connect(sock, &c), 0, "connect");
	/* else host CPU 0 is not on host node 0: no client on node 1 (-1) */
	if (!epcmm_hello(c, 0, 0, NULL, &task_node) && task_node == 1) {
		CHECK_EQ(epcmm_encl_create(c, 256 * 4096ULL, &e), 0, "create on node 1");
		CHECK_EQ(epcmm_encl_add_pages(c, e, 0, 254, NULL), 0, "fill node 1");
		CHECK_EQ(epcmm_page_alloc(c, true, &page, NULL, &node), 0, "one more page");
		CHECK_EQ(epcmm_page_free(c, page), 0, "free it");
	}
	epcmm_client_close(c);
	CHECK_EQ(kill(pid, SIGTERM), 0, "SIGTERM");
	CHECK_EQ(wait_exit(pid), 0, "the daemon exits 0");
	close(fd);
	unlink(conf);
	unlink(scen);
	unlink(log);
	return node;
}

/*
 * numa-reclaim in epcmm.conf reaches the library: on, the page comes from
 * the client's own node (its enclave's pages there reclaimed); off, and left
 * out (v17's node-blind reclaim), from the other node's free pages.
 */
static void test_live_service_numa_reclaim_setting(void **state)
{
	int on;

	(void)state;
	if (!epcmm())
		skip();
	on = numa_daemon_page_node("on");
	if (on < 0)
		skip();
	CHECK_EQ(on, 1, "numa-reclaim = on: a page of the client's node");
	CHECK_EQ(numa_daemon_page_node("off"), 0, "numa-reclaim = off: node 0's free page");
	CHECK_EQ(numa_daemon_page_node(NULL), 0, "not given: off, v17's");
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_service_config_refused),
		cmocka_unit_test(test_live_service_metrics_file),
		cmocka_unit_test(test_live_service_client_cpu),
		cmocka_unit_test(test_live_service_numa_reclaim_setting),
		cmocka_unit_test(test_live_service_unit),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
