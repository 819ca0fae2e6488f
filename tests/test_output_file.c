// SPDX-License-Identifier: MIT
/*
 * test_output_file.c - output files (sim/outfile.c) and the commands that
 * write them: a regular file is replaced whole (a failed write or a discard
 * leaves the old one, its permission bits survive, no temporary file is left
 * behind, not even when the writer is killed before its commit); a FIFO and a character device are written in place and stay what
 * they were; a directory and a socket are refused with a message that says
 * what they are, and a file its writer may not write is refused too; "-" is standard output; a symbolic link is followed (the
 * file it leads to is replaced, the link stays; a link to nothing creates its
 * target; a loop is -ELOOP), and a /proc fd link is written in place. Then
 * the same through `epcmm trace-convert` and `epcmm run --json`, as a user
 * runs them, and `run --plot` refusing a timeline it could not read back. The character device is made with mknod in a temporary folder:
 * that needs root (CI runs as root); without it those cases are skipped,
 * saying why.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"

#include "outfile.h"
#include "trace.h"

/* How long a FIFO's reader may wait for its writer before it is killed (a
 * writer that replaced the FIFO instead would leave it waiting forever). */
#define READER_WAIT_MS 20000
/* The file size limit that makes a write fail (RLIMIT_FSIZE, bytes). */
#define FSIZE_LIMIT 64

static char tmpdir[256];

static char *path_in(const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", tmpdir, name) < 0)
		abort();
	return p;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL, "create a test file");
	fputs(text, f);
	CHECK(fclose(f) == 0, "write a test file");
}

/* The whole of @path (NUL-terminated; NUL bytes inside are kept), length in
 * *@len if not NULL. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	do {
		if (n + 4096 + 1 > cap) {
			cap = 2 * cap + 8192;
			buf = realloc(buf, cap);
			CHECK(buf != NULL, "memory");
		}
		r = fread(buf + n, 1, 4096, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static void expect_text(const char *path, const char *want, const char *what)
{
	char *got = slurp(path, NULL);

	if (strcmp(got, want))
		fail_msg("%s: %s holds '%s', expected '%s'", what, path, got, want);
	free(got);
}

/* No "*.tmp.*" (nor ".epcmm-out.*") file left in the folder. */
static void expect_no_tmp(const char *what)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	CHECK(d != NULL, "open the test folder");
	while ((e = readdir(d)))
		if (strstr(e->d_name, ".tmp.") || strstr(e->d_name, ".epcmm-out."))
			fail_msg("%s: a temporary file was left behind: %s", what, e->d_name);
	closedir(d);
}

static mode_t kind_of(const char *path)
{
	struct stat st;

	CHECK(lstat(path, &st) == 0, "lstat the output");
	return st.st_mode & S_IFMT;
}

/* A child that opens the FIFO @fifo for reading and copies what comes to
 * @into. Return: its pid. */
static pid_t reader_start(const char *fifo, const char *into)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork a reader");
	if (pid == 0) {
		char buf[4096];
		int in = open(fifo, O_RDONLY), out = open(into, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		ssize_t n;

		if (in < 0 || out < 0)
			_exit(3);
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)n) != n)
				_exit(4);
		_exit(n < 0 ? 5 : 0);
	}
	return pid;
}

/* Wait for the reader; kill it if it is still waiting after READER_WAIT_MS.
 * Return: true when it read to the end and exited 0. */
static bool reader_done(pid_t pid)
{
	int status;

	for (int ms = 0; ms < READER_WAIT_MS; ms += 10) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0;
		poll(NULL, 0, 10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return false;
}

/* A character device like /dev/null at @path. Return: false (the case is
 * to be skipped, said why) when mknod is not allowed. */
static bool make_null_device(const char *path)
{
	if (!mknod(path, S_IFCHR | 0666, makedev(1, 3)))
		return true;
	printf("# mknod %s: %s: the character device case is skipped (it needs root)\n", path,
	       strerror(errno));
	return false;
}

/* Open @path, write @text, commit. Return: the commit's result (open must work). */
static int put(const char *path, const char *text, char *err, size_t errlen)
{
	struct sim_outfile *o;
	int rc = sim_outfile_open(path, &o, err, errlen);

	if (rc)
		fail_msg("open %s: %d %s", path, rc, err);
	fputs(text, sim_outfile_stream(o));
	return sim_outfile_commit(o, err, errlen);
}

/* ---- sim_outfile ---- */

static void test_output_file_regular_replaced_whole(void **state)
{
	char *path = path_in("report.json"), err[512] = "";
	struct sim_outfile *o;
	struct stat before, after;

	(void)state;
	write_text(path, "old\n");
	CHECK(chmod(path, 0640) == 0, "chmod");
	CHECK(stat(path, &before) == 0, "stat");
	CHECK_EQ(sim_outfile_open(path, &o, err, sizeof(err)), 0, "open a regular file");
	CHECK(sim_outfile_is_regular(o), "it is replaced, so it can be read back");
	fputs("new\n", sim_outfile_stream(o));
	fflush(sim_outfile_stream(o));
	expect_text(path, "old\n", "until the commit, the old file is all a reader sees");
	CHECK_EQ(sim_outfile_commit(o, err, sizeof(err)), 0, "commit");
	expect_text(path, "new\n", "after the commit, the new text");
	CHECK(stat(path, &after) == 0, "stat");
	CHECK(S_ISREG(after.st_mode), "still a regular file");
	CHECK_EQ(after.st_mode & 0777, 0640, "the replaced file's permission bits survive");
	CHECK(after.st_ino != before.st_ino, "a new file took the name (a rename, not a rewrite)");
	expect_no_tmp("after a commit");

	/* a discard leaves the old file as it was */
	CHECK_EQ(sim_outfile_open(path, &o, err, sizeof(err)), 0, "open again");
	fputs("half a rep", sim_outfile_stream(o));
	sim_outfile_discard(o);
	expect_text(path, "new\n", "a discard changes nothing");
	expect_no_tmp("after a discard");

	/* a new file is created */
	unlink(path);
	CHECK_EQ(put(path, "fresh\n", err, sizeof(err)), 0, "create");
	expect_text(path, "fresh\n", "a new file");
	unlink(path);
	free(path);
}

/*
 * Over @name holding "the old file\n", run @writer(path) in a child (it ends
 * by _exit() or by a signal), then check what any failed writer must leave:
 * the old file whole (@what says after what) and no temporary file.
 * Return: the child's wait status.
 */
static int old_file_after_child(const char *name, void (*writer)(const char *path),
				const char *what)
{
	char *path = path_in(name);
	int status;
	pid_t pid;

	write_text(path, "the old file\n");
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		writer(path);
		_exit(99);
	}
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	expect_text(path, "the old file\n", what);
	expect_no_tmp(what);
	unlink(path);
	free(path);
	return status;
}

/* With a file size limit: the write fails, the commit says so (exit 0). */
static void write_too_big(const char *path)
{
	struct rlimit rl = {.rlim_cur = FSIZE_LIMIT, .rlim_max = FSIZE_LIMIT};
	struct sim_outfile *o;
	char err[512];
	int rc;

	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl) || sim_outfile_open(path, &o, err, sizeof(err)))
		_exit(100);
	for (int i = 0; i < 1000; i++)
		fprintf(sim_outfile_stream(o), "line %d of a file too big to write\n", i);
	rc = sim_outfile_commit(o, err, sizeof(err));
	if (rc != -EFBIG || !strstr(err, "big.csv: write error: File too large"))
		_exit(101);
	_exit(0);
}

static void test_output_file_failed_write_keeps_old(void **state)
{
	int status = old_file_after_child("big.csv", write_too_big, "after a failed write");

	(void)state;
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the commit failed with -EFBIG and said so");
}

/* Half a file written, then killed before the commit (SIGKILL: no handler runs). */
static void write_then_die(const char *path)
{
	struct sim_outfile *o;
	char err[512];

	if (sim_outfile_open(path, &o, err, sizeof(err)))
		_exit(100);
	fputs("half a report", sim_outfile_stream(o));
	fflush(sim_outfile_stream(o));
	raise(SIGKILL);
}

/* A writer killed before its commit leaves nothing behind: the new file has
 * no name until then. */
static void test_output_file_killed_leaves_nothing(void **state)
{
	int status = old_file_after_child("killed.json", write_then_die, "after a killed writer");

	(void)state;
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the writer was killed");
}

static void test_output_file_fifo_in_place(void **state)
{
	char *fifo = path_in("fifo"), *got = path_in("fifo.got"), err[512] = "";
	struct sim_outfile *o;
	pid_t pid;

	(void)state;
	CHECK(mkfifo(fifo, 0600) == 0, "mkfifo");
	CHECK_EQ(sim_outfile_check(fifo, err, sizeof(err)), 0, "check does not open (or block)");
	pid = reader_start(fifo, got);
	CHECK_EQ(sim_outfile_open(fifo, &o, err, sizeof(err)), 0, "open the FIFO");
	CHECK(!sim_outfile_is_regular(o), "a FIFO cannot be read back");
	fputs("through the fifo\n", sim_outfile_stream(o));
	CHECK_EQ(sim_outfile_commit(o, err, sizeof(err)), 0, "commit");
	CHECK(reader_done(pid), "the reader got to the end");
	expect_text(got, "through the fifo\n", "the reader got the text");
	CHECK_EQ(kind_of(fifo), S_IFIFO, "the FIFO is still a FIFO");
	expect_no_tmp("after a FIFO");
	unlink(fifo);
	unlink(got);
	free(fifo);
	free(got);
}

static void test_output_file_char_device_in_place(void **state)
{
	char *dev = path_in("null"), err[512] = "";
	struct stat st;

	(void)state;
	if (!make_null_device(dev)) {
		free(dev);
		skip();
	}
	CHECK_EQ(put(dev, "into the void\n", err, sizeof(err)), 0, "write to the device");
	CHECK(lstat(dev, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3),
	      "the device is still the same character device");
	expect_no_tmp("after a device");
	unlink(dev);
	free(dev);
}

static void test_output_file_refused_kinds(void **state)
{
	char *dir = path_in("adir"), *sock = path_in("sock"), err[512] = "", want[600];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct sim_outfile *o = NULL;
	int fd;

	(void)state;
	CHECK(mkdir(dir, 0700) == 0, "mkdir");
	CHECK_EQ(sim_outfile_open(dir, &o, err, sizeof(err)), -EISDIR, "a directory");
	snprintf(want, sizeof(want), "%s: is a directory", dir);
	CHECK(!strcmp(err, want), "the message says it is a directory");
	CHECK_EQ(sim_outfile_check(dir, err, sizeof(err)), -EISDIR, "check: a directory");
	CHECK_EQ(kind_of(dir), S_IFDIR, "the directory is left alone");

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(fd >= 0 && strlen(sock) < sizeof(sa.sun_path), "a socket");
	strcpy(sa.sun_path, sock);
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind");
	CHECK_EQ(sim_outfile_open(sock, &o, err, sizeof(err)), -EINVAL, "a socket");
	CHECK(strstr(err, "sock: is a socket: not written") != NULL,
	      "the message says it is a socket");
	CHECK_EQ(kind_of(sock), S_IFSOCK, "the socket is left alone");
	close(fd);

	CHECK_EQ(sim_outfile_open("", &o, err, sizeof(err)), -EINVAL, "an empty name");
	CHECK_EQ(sim_outfile_open("/nonexistent/dir/x", &o, err, sizeof(err)), -ENOENT,
		 "a missing directory");
	CHECK(!strncmp(err, "/nonexistent/dir/x: cannot create /nonexistent/dir/x.tmp.", 57),
	      "the message names the file");
	CHECK_EQ(sim_outfile_check("/nonexistent/dir/x", err, sizeof(err)), -ENOENT,
		 "check: a missing directory");
	CHECK(!strcmp(err, "/nonexistent/dir/x: cannot be created in /nonexistent/dir/: No such "
			   "file or directory"),
	      "check's message");
	CHECK(o == NULL, "no handle from a refusal");
	expect_no_tmp("after refusals");
	rmdir(dir);
	unlink(sock);
	free(dir);
	free(sock);
}

/* A file its writer may not write is refused, not replaced behind its back
 * (rename only needs the directory). As root, checked as user nobody. */
static void test_output_file_write_protected(void **state)
{
	char *dir = path_in("shared"), *path = path_in("shared/ro.json");
	int status;
	pid_t pid;

	(void)state;
	CHECK(mkdir(dir, 0700) == 0 && chmod(dir, 0777) == 0, "a folder anyone may write");
	write_text(path, "protected\n");
	CHECK(chmod(path, 0444) == 0, "chmod 0444");
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		struct sim_outfile *o;
		char err[512];
		int rc;

		if (geteuid() == 0 && (chmod(tmpdir, 0711) || setgid(65534) || setuid(65534)))
			_exit(100);
		rc = sim_outfile_open(path, &o, err, sizeof(err));
		_exit(rc == -EACCES && strstr(err, "ro.json: Permission denied") ? 0 : 101);
	}
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "refused with -EACCES, saying so");
	expect_text(path, "protected\n", "the file is as it was");
	CHECK(chmod(tmpdir, 0700) == 0, "the test folder private again");
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

static void test_output_file_stdout(void **state)
{
	char *path = path_in("stdout"), err[512] = "";
	struct sim_outfile *o;
	int saved, fd;

	(void)state;
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(saved >= 0 && fd >= 0 && dup2(fd, STDOUT_FILENO) >= 0, "stdout to a file");
	close(fd);
	CHECK_EQ(sim_outfile_open("-", &o, err, sizeof(err)), 0, "open -");
	CHECK(sim_outfile_stream(o) == stdout, "- is standard output");
	CHECK(!sim_outfile_is_regular(o), "- cannot be read back by name");
	fputs("to stdout\n", sim_outfile_stream(o));
	CHECK_EQ(sim_outfile_commit(o, err, sizeof(err)), 0, "commit flushes it");
	CHECK(dup2(saved, STDOUT_FILENO) >= 0, "stdout back");
	close(saved);
	CHECK(fileno(stdout) == STDOUT_FILENO, "stdout is not closed");
	expect_text(path, "to stdout\n", "the text went to standard output");
	unlink(path);
	free(path);
}

static void test_output_file_symlinks(void **state)
{
	char *target = path_in("target"), *link = path_in("link"), *dangling = path_in("dangling");
	char *made = path_in("made"), *a = path_in("loop-a"), *b = path_in("loop-b");
	char procfd[64], err[512] = "", buf[64];
	struct sim_outfile *o;
	int p[2];

	(void)state;
	write_text(target, "old\n");
	CHECK(symlink("target", link) == 0, "symlink link -> target");
	CHECK_EQ(put(link, "new\n", err, sizeof(err)), 0, "write through the link");
	expect_text(target, "new\n", "the file the link leads to is replaced");
	CHECK_EQ(kind_of(link), S_IFLNK, "the link stays a link");
	expect_no_tmp("after a link");

	CHECK(symlink("made", dangling) == 0, "symlink dangling -> made");
	CHECK_EQ(put(dangling, "created\n", err, sizeof(err)), 0, "write through a dangling link");
	expect_text(made, "created\n", "a link to nothing creates its target");
	CHECK_EQ(kind_of(dangling), S_IFLNK, "and stays a link");

	CHECK(symlink("loop-b", a) == 0 && symlink("loop-a", b) == 0, "a loop of links");
	CHECK_EQ(sim_outfile_open(a, &o, err, sizeof(err)), -ELOOP, "a loop is -ELOOP");

	/* /proc/self/fd/N names an open file (here a pipe): written in place */
	CHECK(pipe(p) == 0, "pipe");
	snprintf(procfd, sizeof(procfd), "/proc/self/fd/%d", p[1]);
	CHECK_EQ(sim_outfile_open(procfd, &o, err, sizeof(err)), 0, "open a /proc fd link");
	CHECK(!sim_outfile_is_regular(o), "written in place");
	fputs("piped", sim_outfile_stream(o));
	CHECK_EQ(sim_outfile_commit(o, err, sizeof(err)), 0, "commit");
	close(p[1]);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 5, "the pipe got the text");
	CHECK(!memcmp(buf, "piped", 5), "the text");
	close(p[0]);

	unlink(target);
	unlink(link);
	unlink(dangling);
	unlink(made);
	unlink(a);
	unlink(b);
	free(target);
	free(link);
	free(dangling);
	free(made);
	free(a);
	free(b);
}

/* ---- the commands ---- */

/*
 * Run epcmm with @args (NULL-terminated), its stdout into @out_path (NULL:
 * /dev/null), its stderr into @err; with @fsize, under that file size limit.
 * Return: its exit status (-1 killed).
 */
static int run_tool(const char *const *args, const char *out_path, rlim_t fsize, char *err,
		    size_t errlen)
{
	const char *argv[16] = {EPCMM_TOOL};
	size_t n = 0;
	int p[2], status, i;
	ssize_t r;
	pid_t pid;

	for (i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe");
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		int out = open(out_path ? out_path : "/dev/null",
			       O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		struct rlimit rl = {.rlim_cur = fsize, .rlim_max = fsize};

		if (out < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(p[1], STDERR_FILENO) < 0)
			_exit(126);
		if (fsize && (signal(SIGXFSZ, SIG_IGN) == SIG_ERR || setrlimit(RLIMIT_FSIZE, &rl)))
			_exit(126);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(p[1]);
	while (n + 1 < errlen && (r = read(p[0], err + n, errlen - 1 - n)) > 0)
		n += (size_t)r;
	err[n] = '\0';
	close(p[0]);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void expect_in(const char *err, const char *want)
{
	if (!strstr(err, want))
		fail_msg("stderr\n%s\ndoes not contain '%s'", err, want);
}

/* A plain trace of @n accesses to distinct pages, at @path. */
static void write_trace(const char *path, int n)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL, "create the input trace");
	for (int i = 0; i < n; i++)
		fprintf(f, "0x%x %c\n", (i * 7919 % 100003) << 12, i % 3 ? 'R' : 'W');
	CHECK(fclose(f) == 0, "write the input trace");
}

/* The compact trace's magic, at the start of @path. */
static bool is_compact(const char *path)
{
	size_t n;
	char *s = slurp(path, &n);
	bool yes = n >= SIM_TRACE_MAGIC_LEN && !memcmp(s, SIM_TRACE_MAGIC, SIM_TRACE_MAGIC_LEN);

	free(s);
	return yes;
}

static void test_output_file_cli_trace_convert_fifo(void **state)
{
	char *in = path_in("in.txt"), *fifo = path_in("conv.fifo"), *got = path_in("conv.got");
	const char *args[] = {"trace-convert", in, fifo, NULL};
	char err[4096];
	pid_t pid;

	(void)state;
	write_trace(in, 100);
	CHECK(mkfifo(fifo, 0600) == 0, "mkfifo");
	pid = reader_start(fifo, got);
	CHECK_EQ(run_tool(args, NULL, 0, err, sizeof(err)), 0, "trace-convert into a FIFO");
	CHECK(reader_done(pid), "the FIFO's reader got the whole trace");
	CHECK(is_compact(got), "what it read is the compact trace");
	CHECK_EQ(kind_of(fifo), S_IFIFO, "the FIFO is still a FIFO, not replaced by a file");
	expect_in(err, "wrote ");
	expect_no_tmp("trace-convert into a FIFO");
	unlink(in);
	unlink(fifo);
	unlink(got);
	free(in);
	free(fifo);
	free(got);
}

static void test_output_file_cli_trace_convert_device(void **state)
{
	char *in = path_in("in.txt"), *dev = path_in("n"), err[4096];
	const char *args[] = {"trace-convert", in, dev, NULL};
	struct stat st;

	(void)state;
	if (!make_null_device(dev)) {
		free(in);
		free(dev);
		skip();
	}
	write_trace(in, 100);
	CHECK_EQ(run_tool(args, NULL, 0, err, sizeof(err)), 0, "trace-convert into a device");
	CHECK(lstat(dev, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3),
	      "the device is still the device, not replaced by a file");
	expect_no_tmp("trace-convert into a device");
	unlink(in);
	unlink(dev);
	free(in);
	free(dev);
}

static void test_output_file_cli_trace_convert_directory_and_stdout(void **state)
{
	char *in = path_in("in.txt"), *dir = path_in("outdir"), *out = path_in("stdout.bin");
	const char *to_dir[] = {"trace-convert", in, dir, NULL};
	const char *to_stdout[] = {"trace-convert", in, "-", NULL};
	char err[4096], want[600];

	(void)state;
	write_trace(in, 100);
	CHECK(mkdir(dir, 0700) == 0, "mkdir");
	CHECK_EQ(run_tool(to_dir, NULL, 0, err, sizeof(err)), 1, "a directory: exit 1");
	snprintf(want, sizeof(want), "epcmm trace-convert: %s: is a directory", dir);
	expect_in(err, want);
	CHECK_EQ(kind_of(dir), S_IFDIR, "the directory is left alone");

	CHECK_EQ(run_tool(to_stdout, out, 0, err, sizeof(err)), 0, "- : exit 0");
	CHECK(is_compact(out), "- writes the trace to standard output");
	expect_in(err, "wrote standard output");
	CHECK(access("-", F_OK) != 0, "no file named '-'");
	expect_no_tmp("trace-convert into a directory and -");
	rmdir(dir);
	unlink(in);
	unlink(out);
	free(in);
	free(dir);
	free(out);
}

static void test_output_file_cli_trace_convert_regular_atomic(void **state)
{
	char *in = path_in("in.txt"), *out = path_in("out.trace"), err[4096];
	const char *args[] = {"trace-convert", in, out, NULL};

	(void)state;
	write_trace(in, 5000);
	write_text(out, "the old trace\n");
	/* the trace is bigger than the file size limit: the write fails */
	CHECK_EQ(run_tool(args, NULL, FSIZE_LIMIT, err, sizeof(err)), 1, "a failed write: exit 1");
	expect_in(err, "write error");
	expect_text(out, "the old trace\n", "a failed write leaves the old file whole");
	expect_no_tmp("a failed trace-convert");
	CHECK_EQ(run_tool(args, NULL, 0, err, sizeof(err)), 0, "without the limit: exit 0");
	CHECK(is_compact(out), "the old file is replaced by the trace");
	CHECK_EQ(kind_of(out), S_IFREG, "a regular file");
	expect_no_tmp("trace-convert");
	unlink(in);
	unlink(out);
	free(in);
	free(out);
}

/* run --json takes the same path: a FIFO gets the JSON and stays a FIFO. */
static void test_output_file_cli_run_json_fifo(void **state)
{
	char *fifo = path_in("json.fifo"), *got = path_in("json.got"), err[4096], *json;
	const char *args[] = {
		"run", "-q", "--json", fifo, EPCMM_SOURCE_DIR "/scenarios/over-limit.ini", NULL};
	pid_t pid;

	(void)state;
	CHECK(mkfifo(fifo, 0600) == 0, "mkfifo");
	pid = reader_start(fifo, got);
	CHECK_EQ(run_tool(args, NULL, 0, err, sizeof(err)), 0, "run --json into a FIFO");
	CHECK(reader_done(pid), "the FIFO's reader got to the end");
	json = slurp(got, NULL);
	CHECK(json[0] == '{' && strstr(json, "\"scenario\"") != NULL, "the reader got the JSON");
	free(json);
	CHECK_EQ(kind_of(fifo), S_IFIFO, "the FIFO is still a FIFO");
	expect_no_tmp("run --json into a FIFO");
	unlink(fifo);
	unlink(got);
	free(fifo);
	free(got);
}

/* `epcmm run --json FILE | true`: standard output closes before the run
 * writes to it, and the tool dies of SIGPIPE, as a pipeline's writer does.
 * FILE is as it was and no temporary file is left beside it. */
static void test_output_file_cli_run_json_stdout_closed(void **state)
{
	char *path = path_in("piped.json");
	const char *argv[] = {EPCMM_TOOL, "run", "-q", "--json", path, NULL};
	int p[2], status;
	pid_t pid;

	(void)state;
	write_text(path, "the old report\n");
	CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe");
	close(p[0]); /* the reader is gone before the first write */
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		if (dup2(p[1], STDOUT_FILENO) < 0 || signal(SIGPIPE, SIG_DFL) == SIG_ERR)
			_exit(126);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(p[1]);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE,
	      "the tool died of SIGPIPE at its first write");
	expect_text(path, "the old report\n", "the --json file is as it was");
	expect_no_tmp("run --json with standard output closed");
	unlink(path);
	free(path);
}

/* --plot reads the timeline back by name: a timeline that is not a regular
 * file (-, a FIFO) is refused before the run, not read back after it. */
static void test_output_file_cli_run_timeline_for_plot(void **state)
{
	const char *args[] = {"run",
			      "-q",
			      "--timeline",
			      "-",
			      "--plot",
			      "/tmp/epcmm-never-written.svg",
			      EPCMM_SOURCE_DIR "/scenarios/over-limit.ini",
			      NULL};
	char err[4096];

	(void)state;
	CHECK_EQ(run_tool(args, NULL, 0, err, sizeof(err)), 2, "exit 2");
	expect_in(err, "epcmm run: --plot reads the timeline back: with --plot, --timeline must "
		       "be a regular file (- is not)");
	CHECK(access("/tmp/epcmm-never-written.svg", F_OK) != 0, "nothing was plotted");
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/epcmm-outfile-XXXXXX",
		 getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_file_regular_replaced_whole),
		cmocka_unit_test(test_output_file_failed_write_keeps_old),
		cmocka_unit_test(test_output_file_killed_leaves_nothing),
		cmocka_unit_test(test_output_file_fifo_in_place),
		cmocka_unit_test(test_output_file_char_device_in_place),
		cmocka_unit_test(test_output_file_refused_kinds),
		cmocka_unit_test(test_output_file_write_protected),
		cmocka_unit_test(test_output_file_stdout),
		cmocka_unit_test(test_output_file_symlinks),
		cmocka_unit_test(test_output_file_cli_trace_convert_fifo),
		cmocka_unit_test(test_output_file_cli_trace_convert_device),
		cmocka_unit_test(test_output_file_cli_trace_convert_directory_and_stdout),
		cmocka_unit_test(test_output_file_cli_trace_convert_regular_atomic),
		cmocka_unit_test(test_output_file_cli_run_json_fifo),
		cmocka_unit_test(test_output_file_cli_run_json_stdout_closed),
		cmocka_unit_test(test_output_file_cli_run_timeline_for_plot),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
