// SPDX-License-Identifier: MIT
/*
 * test_record.c - `epcmm record` and `epcmm trace-convert` end to end:
 * recording tests/data/tiny.S (built by the test build on x86-64) gives
 * exactly the accesses of the checked-in tiny.lackey; /bin/true records; the
 * command's exit status is reported; valgrind missing, bad usage and a bad
 * input each get their message and exit code; `epcmm topology` prints a
 * [node 0] with cpus and distances; `-o -` puts the trace alone on stdout. Exits 77 (skipped) when valgrind is not
 * installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"

#include "trace.h"

#define DATA_DIR EPCMM_TEST_DIR "/data"

static char tmpdir[256];

static char *path_in(const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", tmpdir, name) < 0)
		abort();
	return p;
}

/* Run epcmm with @args (NULL-terminated); its stderr in @err. Return: the exit status. */
static int run(char *err, size_t errlen, const char *env, const char *const *args)
{
	char *errpath = path_in("stderr");
	const char *argv[32] = {EPCMM_TOOL};
	int status, n = 1;
	pid_t pid;
	FILE *f;

	for (; args[n - 1]; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int out = open("/dev/null", O_WRONLY);

		if (fd < 0 || out < 0 || dup2(fd, 2) < 0 || dup2(out, 1) < 0)
			_exit(126);
		if (env)
			putenv((char *)env);
		execv(argv[0], (char **)argv);
		_exit(126);
	}
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	f = fopen(errpath, "r");
	CHECK(f != NULL, "read stderr");
	errlen = fread(err, 1, errlen - 1, f);
	err[errlen] = '\0';
	fclose(f);
	free(errpath);
	CHECK(WIFEXITED(status), "epcmm exited");
	return WEXITSTATUS(status);
}

static void expect_in(const char *err, const char *want)
{
	if (!strstr(err, want))
		fail_msg("stderr\n%s\ndoes not contain '%s'", err, want);
}

static struct sim_trace *open_ok(const char *path)
{
	struct sim_trace *t = NULL;
	char err[512] = "";
	int rc = sim_trace_open(path, &t, err, sizeof(err));

	if (rc)
		fail_msg("opening %s: %d, %s", path, rc, err);
	return t;
}

static void expect_same(struct sim_trace *a, struct sim_trace *b)
{
	uint64_t p1, p2;
	bool w1, w2;
	int r1, r2;

	CHECK(sim_trace_nr_records(a) == sim_trace_nr_records(b), "the same number of accesses");
	CHECK(sim_trace_nr_pages(a) == sim_trace_nr_pages(b), "the same number of pages");
	do {
		r1 = sim_trace_next(a, &p1, &w1);
		r2 = sim_trace_next(b, &p2, &w2);
		CHECK(r1 == r2, "both end together");
		CHECK(r1 != 1 || (p1 == p2 && w1 == w2), "the same access");
	} while (r1 == 1);
}

static void test_record_tiny(void **state)
{
#ifdef TINY_PROG
	char *out = path_in("tiny.trace"), *plain = path_in("tiny.plain"), err[4096];
	const char *args[] = {"record", "-o", out, "--", TINY_PROG, NULL};
	const char *pargs[] = {"record", "--plain", "-o", plain, TINY_PROG, NULL};
	struct sim_trace *want, *got;

	(void)state;
	CHECK(run(err, sizeof(err), NULL, args) == 0, "epcmm record tiny exits 0");
	expect_in(err, "exited with status 0");
	expect_in(err, "epcmm record: 20 accesses (40.0% writes) to 5 distinct pages: a 0.0 MiB "
		       "footprint");
	expect_in(err, "bytes (18 entries, repeats of a page folded)");
	want = open_ok(DATA_DIR "/tiny.lackey");
	got = open_ok(out);
	CHECK(sim_trace_format(got) == SIM_TRACE_COMPACT, "record writes the compact format");
	expect_same(want, got);
	sim_trace_close(got);

	CHECK(run(err, sizeof(err), NULL, pargs) == 0, "epcmm record --plain exits 0");
	got = open_ok(plain);
	CHECK(sim_trace_format(got) == SIM_TRACE_PLAIN, "--plain writes the plain format");
	sim_trace_rewind(want);
	expect_same(want, got);
	sim_trace_close(got);
	sim_trace_close(want);
	unlink(out);
	unlink(plain);
	free(out);
	free(plain);
#else
	(void)state;
	skip();
#endif
}

static void test_record_true(void **state)
{
	char *out = path_in("true.trace"), err[4096];
	const char *args[] = {"record", "--output", out, "/bin/true", NULL};
	struct sim_trace *t;

	(void)state;
	CHECK(run(err, sizeof(err), NULL, args) == 0, "epcmm record /bin/true exits 0");
	expect_in(err, "epcmm record: /bin/true exited with status 0");
	t = open_ok(out);
	CHECK(sim_trace_nr_records(t) > 1000, "the loader and libc start-up are in the trace");
	CHECK(sim_trace_nr_pages(t) > 10, "over several pages");
	sim_trace_close(t);
	unlink(out);
	free(out);
}

static void test_record_exit_status(void **state)
{
	char *out = path_in("exit3.trace"), err[4096];
	const char *args[] = {"record", "-o", out, "--", "/bin/sh", "-c", "exit 3", NULL};
	const char *missing[] = {"record", "-o", out, "--", "/nonexistent/program", NULL};
	struct sim_trace *t;

	(void)state;
	CHECK(run(err, sizeof(err), NULL, args) == 1, "a failing command makes record exit 1");
	expect_in(err, "epcmm record: /bin/sh exited with status 3");
	t = open_ok(out);
	CHECK(sim_trace_nr_records(t) > 0, "the trace of the failed run is still written");
	sim_trace_close(t);
	unlink(out);
	CHECK(run(err, sizeof(err), NULL, missing) == 2, "a missing command: exit 2");
	expect_in(err, "epcmm record: /nonexistent/program: no such program (not found, or not "
		       "executable)");
	CHECK(access(out, F_OK) != 0, "no trace file");
	free(out);
}

/* -o -: the trace is standard output, alone: the command's own output goes
 * to stderr. */
static void test_record_to_stdout(void **state)
{
	char *out = path_in("stdout.trace"), *errp = path_in("stdout.err"), text[4096];
	const char *argv[] = {EPCMM_TOOL, "record", "-o", "-", "--", "/bin/echo", "a-marker", NULL};
	struct sim_trace *t;
	int status;
	size_t n;
	pid_t pid;
	FILE *f;

	(void)state;
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		if (!freopen(out, "w", stdout) || !freopen(errp, "w", stderr))
			_exit(126);
		execv(argv[0], (char **)argv);
		_exit(126);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status),
	      "record -o - exits 0");
	t = open_ok(out);
	CHECK(sim_trace_format(t) == SIM_TRACE_COMPACT, "stdout holds the compact trace, alone");
	CHECK(sim_trace_nr_records(t) > 1000, "echo's accesses");
	sim_trace_close(t);
	f = fopen(errp, "r");
	CHECK(f != NULL, "read stderr");
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	expect_in(text, "a-marker\n");
	expect_in(text, "epcmm record: wrote standard output");
	unlink(out);
	unlink(errp);
	free(out);
	free(errp);
}

static void test_record_errors(void **state)
{
	char *out = path_in("x.trace"), err[4096];
	const char *args[] = {"record", "-o", out, "--", "/bin/true", NULL};
	const char *no_o[] = {"record", "/bin/true", NULL};
	const char *bad_dir[] = {"record", "-o", "/nonexistent/dir/x.trace", "/bin/true", NULL};
	const char *no_cmd[] = {"record", "-o", out, "--", NULL};
	const char *bad_opt[] = {"record", "--frobnicate", NULL};
	const char *o_last[] = {"record", "-o", NULL};

	(void)state;
	CHECK(run(err, sizeof(err), "EPCMM_VALGRIND=no-such-valgrind", args) == 1,
	      "valgrind missing: exit 1");
	expect_in(err, "epcmm record: no-such-valgrind not found: recording needs Valgrind "
		       "(Debian package valgrind)");
	CHECK(run(err, sizeof(err), NULL, bad_dir) == 1, "an output directory that is not there");
	expect_in(err, "epcmm record: /nonexistent/dir/x.trace: cannot be created in "
		       "/nonexistent/dir/: No such file or directory");
	CHECK(strstr(err, "exited with status") == NULL, "found before running anything");
	CHECK(run(err, sizeof(err), NULL, no_o) == 2, "no -o: exit 2");
	expect_in(err, "epcmm record: -o FILE is required\nTry 'epcmm record --help'.");
	CHECK(run(err, sizeof(err), NULL, no_cmd) == 2, "no command: exit 2");
	expect_in(err, "epcmm record: no command to record\nTry 'epcmm record --help'.");
	CHECK(run(err, sizeof(err), NULL, bad_opt) == 2, "unknown option: exit 2");
	expect_in(err, "epcmm record: unknown option '--frobnicate'\nTry 'epcmm record --help'.");
	CHECK(run(err, sizeof(err), NULL, o_last) == 2, "-o without a file: exit 2");
	expect_in(err, "epcmm record: -o needs a value\nTry 'epcmm record --help'.");
	CHECK(access(out, F_OK) != 0, "nothing written");
	free(out);
}

static void test_record_trace_convert(void **state)
{
	char *out = path_in("conv.trace"), *bad = path_in("bad.lackey"), err[4096];
	const char *args[] = {"trace-convert", DATA_DIR "/tiny.lackey", out, NULL};
	const char *bad_args[] = {"trace-convert", bad, out, NULL};
	const char *one[] = {"trace-convert", out, NULL};
	struct sim_trace *want, *got;
	FILE *f;

	(void)state;
	CHECK(run(err, sizeof(err), NULL, args) == 0, "trace-convert exits 0");
	expect_in(err, "epcmm trace-convert: 20 accesses (40.0% writes) to 5 distinct pages");
	want = open_ok(DATA_DIR "/tiny.lackey");
	got = open_ok(out);
	expect_same(want, got);
	sim_trace_close(got);
	sim_trace_close(want);
	f = fopen(bad, "w");
	fprintf(f, "I  401000,3\n X 12,4\n");
	fclose(f);
	CHECK(run(err, sizeof(err), NULL, bad_args) == 2, "a bad input: exit 2");
	expect_in(err, "bad.lackey:2: unknown record type in ' X 12,4'");
	CHECK(run(err, sizeof(err), NULL, one) == 2, "one file: exit 2");
	expect_in(err, "epcmm trace-convert: one input and one output: IN OUT\nTry 'epcmm "
		       "trace-convert --help'.");
	unlink(out);
	unlink(bad);
	free(out);
	free(bad);
}

static void test_record_topology(void **state)
{
	const char *args[] = {"topology", NULL};
	const char *bad[] = {"topology", "--frobnicate", NULL};
	char *out = path_in("stdout"), err[4096], text[8192];
	const char *argv[] = {EPCMM_TOOL, "topology", NULL};
	size_t n;
	FILE *f;
	pid_t pid;
	int status;

	(void)state;
	CHECK(run(err, sizeof(err), NULL, args) == 0, "epcmm topology exits 0");
	CHECK(err[0] == '\0', "nothing on stderr");
	CHECK(run(err, sizeof(err), NULL, bad) == 2, "an argument: exit 2");
	expect_in(err,
		  "epcmm topology: unknown option '--frobnicate'\nTry 'epcmm topology --help'.");
	pid = fork();
	if (pid == 0) {
		if (!freopen(out, "w", stdout))
			_exit(126);
		execv(argv[0], (char **)argv);
		_exit(126);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status),
	      "topology to a file");
	f = fopen(out, "r");
	CHECK(f != NULL, "read its output");
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	expect_in(text, "\n[node 0]\n");
	expect_in(text, "\ncpus = 0");
	expect_in(text, "\ndistances = 10");
	CHECK(text[0] == '#', "a comment header first");
	unlink(out);
	free(out);
}

static int has_valgrind(void)
{
	return system("valgrind --version >/dev/null 2>&1") == 0;
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_tiny),	     cmocka_unit_test(test_record_true),
		cmocka_unit_test(test_record_exit_status),   cmocka_unit_test(test_record_errors),
		cmocka_unit_test(test_record_trace_convert), cmocka_unit_test(test_record_topology),
		cmocka_unit_test(test_record_to_stdout),
	};
	char cmd[300];
	int rc;

	if (!has_valgrind()) {
		printf("test_record: valgrind not installed (Debian package valgrind): skipped\n");
		return 77;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_record-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		fprintf(stderr, "test_record: could not remove %s\n", tmpdir);
	return rc;
}
