// SPDX-License-Identifier: MIT
/*
 * test_sim_cli.c - the epcmm tool as a user runs it: `epcmm run` prints the
 * golden report of the built-in default on stdout and nothing else there
 * (progress and wall time go to stderr, and only on a terminal), `--json -`
 * prints the golden JSON; the exit codes are 0 ok, 1 run failed, 2 usage or
 * scenario error, with the message on stderr; every command has --help.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"

#define EPCMM EPCMM_BUILD_DIR "/tools/epcmm/epcmm"

/* Run @cmd (a shell line) in the source tree; its stdout into *out. Return: exit status. */
static int run(const char *cmd, char **out)
{
	char *line;
	FILE *p;
	size_t len = 0, n;
	char buf[4096];
	int st;

	assert_true(asprintf(&line, "cd '%s' && %s", EPCMM_SOURCE_DIR, cmd) > 0);
	p = popen(line, "r");
	assert_non_null(p);
	*out = NULL;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
		*out = realloc(*out, len + n + 1);
		assert_non_null(*out);
		memcpy(*out + len, buf, n);
		len += n;
	}
	if (!*out)
		*out = calloc(1, 1);
	(*out)[len] = '\0';
	st = pclose(p);
	free(line);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *rel)
{
	char *path, *buf;
	FILE *f;
	long n;

	assert_true(asprintf(&path, "%s/%s", EPCMM_SOURCE_DIR, rel) > 0);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	free(path);
	return buf;
}

static void test_sim_cli_run_default_is_golden(void **state)
{
	char *out, *want = slurp("tests/golden/default.txt");

	(void)state;
	assert_int_equal(run(EPCMM " run 2>/dev/null", &out), 0);
	if (strcmp(out, want))
		fail_msg("epcmm run differs from tests/golden/default.txt:\n%s", out);
	free(out);
	/* stderr is not a terminal here: nothing on it */
	assert_int_equal(run(EPCMM " run 2>&1 >/dev/null", &out), 0);
	assert_string_equal(out, "");
	free(out);
	free(want);
	want = slurp("tests/golden/default.json");
	assert_int_equal(run(EPCMM " run --json - 2>/dev/null", &out), 0);
	if (strcmp(out, want))
		fail_msg("epcmm run --json - differs from tests/golden/default.json");
	free(out);
	free(want);
}

static void test_sim_cli_exit_codes(void **state)
{
	static const struct {
		const char *cmd;
		int status;
		const char *stderr_has;
	} cases[] = {
		{"run --help", 0, ""},
		{"sweep --help", 0, ""},
		{"demo --help", 0, ""},
		{"status --help", 0, ""},
		{"top --help", 0, ""},
		{"record --help", 0, ""},
		{"topology --help", 0, ""},
		{"selftest --help", 0, ""},
		{"daemon --help", 0, ""},
		{"--version", 0, ""},
		{"run --version", 0, ""},
		{"sweep --version", 0, ""},
		{"record --version", 0, ""},
		{"topology --version", 0, ""},
		{"run --seed -1", 2,
		 "epcmm run: --seed: '-1' is not a number (digits; 0 to 2^64-1)"},
		{"record -o /tmp/epcmm-cli-x.trace -- /nonexistent/cmd", 2,
		 "epcmm record: /nonexistent/cmd: no such program (not found, or not executable)"},
		{"", 2, "usage: epcmm"},
		{"run --bogus", 2, "epcmm run: unknown option '--bogus'"},
		{"run scenarios/over-limit.ini --bogus", 2, "epcmm run: unknown option '--bogus'"},
		{"run --json", 2, "epcmm run: --json needs a value"},
		{"run --plot x.pdf", 2, "the file name must end in .svg or .png"},
		{"run /nonexistent.ini", 2,
		 "/nonexistent.ini: cannot open: No such file or directory"},
		{"run tests/fuzz/corpus/scenario/bad-01", 2,
		 "tests/fuzz/corpus/scenario/bad-01:5: expected 'key = value', a [section] or a "
		 "comment"},
		{"sweep scenarios/over-limit.ini --cgroup /app --max 8M:1M:4", 2,
		 "--max: '8M:1M:4'"},
		{"sweep scenarios/over-limit.ini --cgroup / --max 1M:8M:4", 2,
		 "the root has no misc.max to sweep"},
		{"sweep scenarios/over-limit.ini --max 1M:8M:4", 2, "--cgroup PATH is required"},
		{"nosuch", 2, "epcmm: unknown command 'nosuch'"},
		/* one option parser (issue 16): --opt=value is --opt value, -- ends options */
		{"run --seed=-1", 2,
		 "epcmm run: --seed: '-1' is not a number (digits; 0 to 2^64-1)"},
		{"run --seed -1", 2,
		 "epcmm run: --seed: '-1' is not a number (digits; 0 to 2^64-1)"},
		{"sweep scenarios/over-limit.ini --cgroup=/app --max=1M:8M:4 -qj0", 2,
		 "epcmm sweep: -j: 0 is out of range (1 to 256)"},
		{"run -- --help", 2, "epcmm: --help: cannot open: No such file or directory"},
		{"run --mode=fast", 2,
		 "epcmm run: --mode: 'fast' (expected deterministic or threads)"},
		{"help run", 0, ""},
		{"help nosuch", 2, "epcmm help: unknown command 'nosuch'"},
		{"top -n 0", 2, "epcmm top: -n: 0 is out of range (1 to 1000000000)"},
		{"selftest --epc 64M,,8M", 2,
		 "epcmm selftest: --epc: '' is not a size (bytes, or with K, M, G, T"},
		{"daemon --epc 17179869185G", 2,
		 "epcmm daemon: --epc: 17179869185G is out of range (4K to 1T)"},
		{"daemon --epc -64M", 2, "epcmm daemon: --epc: '-64M' is not a size"},
		{"daemon --epc 0", 2, "epcmm daemon: --epc: 0 is out of range (4K to 1T)"},
		{"daemon --epc 64Q", 2, "epcmm daemon: --epc: '64Q' is not a size"},
		/* sweep --trace and --max auto (issue 18) */
		{"sweep --trace /nonexistent.trace", 2,
		 "epcmm sweep: --trace: /nonexistent.trace: No such file or directory"},
		{"sweep --trace scenarios/traces/sort.trace scenarios/over-limit.ini", 2,
		 "epcmm sweep: 'scenarios/over-limit.ini': a SCENARIO or --trace, not both"},
		{"sweep --trace scenarios/traces/sort.trace --cgroup /app", 2,
		 "epcmm sweep: --cgroup /app: a trace replays in /trace"},
		{"sweep --trace scenarios/traces/sort.trace --max 8K:4K:2", 2,
		 "epcmm sweep: --max: '8K:4K:2' is not FROM:TO:STEPS"},
		{"sweep scenarios/over-limit.ini", 2, "epcmm sweep: --cgroup PATH is required"},
		/* epcmm size (issue 18): one clear line for each bad input */
		{"size --help", 0, ""},
		{"size", 2, "epcmm size: what to size? a TRACE, or -- COMMAND [ARGS...]"},
		{"size a.trace b.trace", 2, "epcmm size: one TRACE (to size a program: epcmm size"},
		{"size --", 2, "epcmm size: no COMMAND after --"},
		{"size scenarios/traces/sort.trace -- true", 2,
		 "epcmm size: 'scenarios/traces/sort.trace': a TRACE or -- COMMAND, not both"},
		{"size -o x.trace scenarios/traces/sort.trace", 2,
		 "epcmm size: -o FILE keeps a COMMAND's trace; a TRACE is kept already"},
		{"size --target 200 scenarios/traces/sort.trace", 2,
		 "epcmm size: --target: 200 is out of range (0 to 100)"},
		{"size --target-slowdown 0.5 scenarios/traces/sort.trace", 2,
		 "epcmm size: --target-slowdown: 0.5 is out of range (1 to 1000000)"},
		{"size -j 0 scenarios/traces/sort.trace", 2, "epcmm size: -j: 0 is out of range"},
		{"size --bogus scenarios/traces/sort.trace", 2,
		 "epcmm size: unknown option '--bogus'"},
		{"size /nonexistent.trace", 2, "epcmm size: /nonexistent.trace"},
		{"size tests/data/tiny.S", 2, "epcmm size: tests/data/tiny.S:1:"},
		{"size --plot x.pdf scenarios/traces/sort.trace", 2,
		 "the file name must end in .svg or .png"},
		{"size -- /nonexistent/cmd", 2,
		 "epcmm size: /nonexistent/cmd: no such program (not found, or not executable)"},
		{"sweep scenarios/over-limit.ini --cgroup /nope --max 1M:8M:4", 2,
		 "epcmm sweep: --cgroup: no cgroup '/nope' in the scenario (it has /, /app)"},
		{"sweep scenarios/over-limit.ini --cgroup /app --max 1M:8M:4 --target 1 "
		 "--target-slowdown 1.1",
		 2, "--target and --target-slowdown: give one or the other"},
		{"sweep scenarios/over-limit.ini --cgroup /app --max 1M:8M:4 --target-slowdown 0.9",
		 2, "epcmm sweep: --target-slowdown: 0.9 is out of range (1 to 1000000)"},
		/* every number on every command line: range-checked, never wrapped (issue 15) */
		{"daemon --epc 18014398509481988K --socket /nonexistent/s", 2,
		 "epcmm daemon: --epc: 18014398509481988K is out of range (4K to 1T)"},
		{"daemon --epc 64M,17179869185G --socket /nonexistent/s", 2,
		 "epcmm daemon: --epc: 17179869185G is out of range (4K to 1T)"},
		{"daemon --epc 64MiB --socket /nonexistent/s", 2,
		 "epcmm daemon: --epc: '64MiB' is not a size (bytes, or with K, M, G, T: 4096, "
		 "64M, 2G; 4K to 1T)"},
		{"daemon --epc 6000 --socket /nonexistent/s", 2,
		 "epcmm daemon: --epc: 6000 is not a multiple of 4K (4K to 1T)"},
		{"daemon --nodes 1x --socket /nonexistent/s", 2,
		 "epcmm daemon: --nodes: '1x' is not a number (digits; 1 to 64)"},
		{"daemon --nodes 4294967297 --socket /nonexistent/s", 2,
		 "epcmm daemon: --nodes: 4294967297 is out of range (1 to 64)"},
		{"daemon --ready-fd -1 --socket /nonexistent/s", 2,
		 "epcmm daemon: --ready-fd: '-1' is not a number (digits; 0 to 2147483647)"},
		{"selftest --epc 17179869185G", 2,
		 "epcmm selftest: --epc: 17179869185G is out of range (4K to 1T)"},
		{"selftest --nodes 0", 2, "epcmm selftest: --nodes: 0 is out of range (1 to 64)"},
		{"selftest --seed 18446744073709551616", 2,
		 "epcmm selftest: --seed: 18446744073709551616 is out of range (0 to 2^64-1)"},
		{"run --timeline-interval 0", 2,
		 "epcmm run: --timeline-interval: 0 is out of range (1 to 1000000000000)"},
		{"sweep scenarios/over-limit.ini --cgroup /app --max 1M:8M:4 -j 0", 2,
		 "epcmm sweep: -j: 0 is out of range (1 to 256)"},
		{"sweep scenarios/over-limit.ini --cgroup /app --max 1M:8M:4 --target 1e3%", 2,
		 "epcmm sweep: --target: 1e3 is out of range (0 to 100)"},
		{"sweep scenarios/over-limit.ini --cgroup /app --max 1M:99999999999999999999:4", 2,
		 "epcmm sweep: --max TO: 99999999999999999999 is out of range (0 to 2^64-1)"},
		{"sweep scenarios/over-limit.ini --cgroup /app --max 1M:8M:1001", 2,
		 "epcmm sweep: --max STEPS: 1001 is out of range (1 to 1000)"},
		/* outputs are checked before anything runs: exit 2, not 1 after the run */
		{"run --json /nonexistent/dir/x.json scenarios/over-limit.ini", 2,
		 "epcmm run: --json: /nonexistent/dir/x.json: cannot create "
		 "/nonexistent/dir/x.json.tmp."},
		{"run --plot /nonexistent/x.png scenarios/over-limit.ini", 2,
		 "epcmm run: --plot: /nonexistent/x.png: cannot be created in /nonexistent/: No "
		 "such "
		 "file"},
		{"run --plot a.svg --plot b.svg", 2, "--plot: given twice (b.svg)"},
		{"sweep scenarios/over-limit.ini --cgroup /app --max 1M:8M:4 --json /nonexistent/x",
		 2, "epcmm sweep: --json: /nonexistent/x: cannot create /nonexistent/x.tmp."},
		{"sweep scenarios/over-limit.ini --cgroup /app --max 1M:8M:4 --csv /nonexistent/x",
		 2, "epcmm sweep: --csv: /nonexistent/x: cannot create /nonexistent/x.tmp."},
		{"sweep scenarios/over-limit.ini --cgroup /app --max 1M:8M:4 --plot "
		 "/nonexistent/x.svg",
		 2,
		 "epcmm sweep: --plot: /nonexistent/x.svg: cannot be created in /nonexistent/: No "
		 "such file"},
		/* every limit fails: exit 1; some fail: the others still run, exit 0 */
		{"sweep -q scenarios/over-limit.ini --cgroup /app --max 0:4K:2", 1, ""},
		{"sweep -q scenarios/over-limit.ini --cgroup /app --max 0:4K:2 --plot "
		 "/tmp/epcmm-cli-none.svg",
		 1, "epcmm sweep: --plot: no limit ran: nothing to plot"},
		{"sweep -q scenarios/over-limit.ini --cgroup /app --max 0:4M:2", 0, ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *cmd, *out;
		int st;

		assert_true(asprintf(&cmd, "%s %s 2>&1 >/dev/null", EPCMM, cases[i].cmd) > 0);
		st = run(cmd, &out);
		if (st != cases[i].status || !strstr(out, cases[i].stderr_has))
			fail_msg("epcmm %s: exit %d, stderr \"%s\"; expected exit %d and \"%s\"",
				 cases[i].cmd, st, out, cases[i].status, cases[i].stderr_has);
		free(out);
		free(cmd);
	}
}

/* `epcmm run -` reads the scenario from standard input; errors name it <stdin>. */
static void test_sim_cli_run_stdin(void **state)
{
	char *out, *want = slurp("tests/golden/over-limit.txt");

	(void)state;
	assert_int_equal(run(EPCMM " run -q - < scenarios/over-limit.ini 2>/dev/null", &out), 0);
	/* the same report but for the name in the header */
	if (!strstr(out, "epcmm 0.2.0: <stdin> (1 node") ||
	    strcmp(strchr(out, '\n'), strchr(want, '\n')))
		fail_msg("epcmm run - differs from over-limit.txt:\n%s", out);
	free(out);
	free(want);
	assert_int_equal(run("printf '[section 0]\\nsize = 1X\\n' | " EPCMM " run - 2>&1", &out),
			 2);
	assert_string_equal(out, "epcmm: <stdin>:2: [section 0] size: '1X' is not a size (bytes, "
				 "or with K, M, G, T: 4096, 64M, 2G; 4K to 1T)\n");
	free(out);
	/* a clock of 1e-300 GHz made the modelled time 10^30 s, printed without its unit */
	assert_int_equal(run("printf '[section 0]\\nsize = 1M\\n[enclave a]\\nsize = 8K\\n"
			     "[run]\\nclock-ghz = 1e-300\\n' | " EPCMM " run - 2>&1",
			     &out),
			 2);
	assert_string_equal(out, "epcmm: <stdin>:6: [run] clock-ghz: 1e-300 is out of range (0.1 "
				 "to 100)\n");
	free(out);
	/* endless input (epcmm run /dev/zero read 2 GB): 1 MiB is read, then refused */
	assert_int_equal(run("yes '; a comment' | head -c 3000000 | " EPCMM " run - 2>&1", &out),
			 2);
	assert_string_equal(out, "epcmm: <stdin>: more than 1048576 bytes: a scenario file is at "
				 "most 1 MiB\n");
	free(out);
	assert_int_equal(run(EPCMM " run /dev/zero 2>&1", &out), 2);
	assert_string_equal(out, "epcmm: /dev/zero: more than 1048576 bytes: a scenario file is at "
				 "most 1 MiB\n");
	free(out);
}

/* --plot without gnuplot on PATH: exit 2 before the run, the package named, no report. */
static void test_sim_cli_plot_without_gnuplot(void **state)
{
	static const char *const cmds[] = {
		"run scenarios/over-limit.ini --plot /tmp/epcmm-cli-nognu.svg",
		"sweep scenarios/over-limit.ini --cgroup /app --max 1M:8M:4 --plot "
		"/tmp/epcmm-cli-nognu.svg",
	};
	char *cmd, *out;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		assert_true(asprintf(&cmd, "PATH=/nonexistent %s %s 2>&1", EPCMM, cmds[i]) > 0);
		CHECK_EQ(run(cmd, &out), 2, check_fmt("epcmm %s without gnuplot: exit", cmds[i]));
		if (!strstr(out, "gnuplot not found: plots need it (Debian package gnuplot-nox)") ||
		    strstr(out, "epcmm 0."))
			fail_msg("epcmm %s without gnuplot: \"%s\"", cmds[i], out);
		free(out);
		free(cmd);
	}
}

/* A run the library refuses: exit 1, the reason on stderr. */
static void test_sim_cli_run_failed(void **state)
{
	char *out, tmp[] = "/tmp/epcmm-cli-XXXXXX", *cmd;
	int fd = mkstemp(tmp);
	static const char text[] =
		"[section 0]\nsize = 8M\n[cgroup /tiny]\nmax = 0\n[enclave a]\ncgroup = /tiny\n"
		"size = 1M\n";

	(void)state;
	CHECK(fd >= 0, check_fmt("mkstemp: %s", strerror(errno)));
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	assert_true(asprintf(&cmd, "%s run %s 2>&1 >/dev/null", EPCMM, tmp) > 0);
	assert_int_equal(run(cmd, &out), 1);
	assert_string_equal(out, "epcmm run: enclave a: ECREATE failed: Cannot allocate memory "
				 "(its cgroup /tiny cannot hold its SECS and first VA page)\n");
	free(out);
	free(cmd);
	unlink(tmp);
}

/* Write @text to @dir/@name. */
static void put(const char *dir, const char *name, const char *text)
{
	char *path;
	FILE *f;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

/*
 * A trace that is missing, empty or bigger than the enclave's size is a
 * scenario error found when the scenario is loaded: exit 2, nothing on
 * stdout (no header), "epcmm: FILE:LINE: ..." as other scenario errors, and
 * in a sweep the same text every time (no point's thread names it).
 */
static void test_sim_cli_trace_errors_before_anything(void **state)
{
	char dir[] = "/tmp/epcmm-cli-trace-XXXXXX", *cmd, *out, *first = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	put(dir, "miss.ini",
	    "[section 0]\nsize = 64M\n[cgroup /a]\n[enclave a]\ncgroup = /a\n"
	    "pattern = trace:nope.trace\n");
	put(dir, "empty.trace", "");
	put(dir, "empty.ini",
	    "[section 0]\nsize = 64M\n[enclave a]\npattern = trace:empty.trace\n");
	put(dir, "small.ini",
	    "[section 0]\nsize = 64M\n[enclave a]\nsize = 8K\npattern = trace:" EPCMM_SOURCE_DIR
	    "/scenarios/traces/sort.trace\n");
	static const struct {
		const char *cmd, *err;
	} cases[] = {
		{"run %s/miss.ini",
		 "epcmm: %s/miss.ini:6: [enclave a] pattern: %s/nope.trace: No such "
		 "file or directory\n"},
		{"run %s/empty.ini",
		 "epcmm: %s/empty.ini:4: [enclave a] pattern: %s/empty.trace: "},
		{"run %s/small.ini",
		 "epcmm: %s/small.ini:4: [enclave a] size: 8192 bytes is smaller "
		 "than its trace, which touches 215 pages"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *c, *want;

		assert_true(asprintf(&c, cases[i].cmd, dir) > 0);
		assert_true(asprintf(&want, cases[i].err, dir, dir) > 0);
		assert_true(asprintf(&cmd, "%s %s 2>/dev/null", EPCMM, c) > 0);
		CHECK_EQ(run(cmd, &out), 2, check_fmt("epcmm %s: exit", c));
		if (out[0])
			fail_msg("epcmm %s printed on stdout before failing: %s", c, out);
		free(out);
		free(cmd);
		assert_true(asprintf(&cmd, "%s %s 2>&1 >/dev/null", EPCMM, c) > 0);
		CHECK_EQ(run(cmd, &out), 2, check_fmt("epcmm %s: exit", c));
		if (strncmp(out, want, strlen(want)))
			fail_msg("epcmm %s: stderr \"%s\", expected \"%s...\"", c, out, want);
		free(out);
		free(cmd);
		free(want);
		free(c);
	}
	for (int k = 0; k < 4; k++) {
		assert_true(asprintf(&cmd,
				     "%s sweep -j 4 %s/miss.ini --cgroup /a --max 1M:2M:4 2>&1",
				     EPCMM, dir) > 0);
		CHECK_EQ(run(cmd, &out), 2, check_fmt("sweep of a missing trace, run %d: exit", k));
		if (!first)
			first = out;
		else if (strcmp(out, first))
			fail_msg("sweep said \"%s\" once and \"%s\" another time", first, out);
		else
			free(out);
		free(cmd);
	}
	CHECK(!strncmp(first, "epcmm: ", 7), check_fmt("the error is epcmm's: \"%s\"", first));
	free(first);
	assert_true(asprintf(&cmd, "rm -r '%s'", dir) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/*
 * A 58-byte compact trace of one run of 2^62 accesses was accepted; with
 * threads = 4 the enclave's accesses wrapped to 0 and the report said 0.
 * Now the trace is refused, before anything is printed on stdout.
 */
static void test_sim_cli_trace_count_cap(void **state)
{
	static const unsigned char trace[58] = {
		0x89, 'E',  'P',  'C',	'T',  'R',  'C',  '\n', 1,   0, 0, 0,
		12,   0,    0,	  0,	0,    0,    0,	  0,	0,   0, 0, 0x40, /* records 2^62 */
		1,    0,    0,	  0,	0,    0,    0,	  0,			 /* pages */
		1,    0,    0,	  0,	0,    0,    0,	  0,			 /* entries */
		0,    0,    0,	  0,	0,    0,    0,	  0,			 /* writes */
		1, /* page 0, a run of 2^62: the varint of 2^62 - 2 */
		0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f};
	char dir[] = "/tmp/epcmm-cli-trace-XXXXXX", *path, *cmd, *out;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_true(asprintf(&path, "%s/run62.trace", dir) > 0);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(trace, 1, sizeof(trace), f), sizeof(trace));
	fclose(f);
	put(dir, "t.ini",
	    "[section 0]\nsize = 64M\n[enclave a]\nthreads = 4\n"
	    "pattern = trace:run62.trace\n");
	assert_true(asprintf(&cmd, "%s run -q %s/t.ini 2>&1", EPCMM, dir) > 0);
	assert_int_equal(run(cmd, &out), 2);
	if (!strstr(out, "t.ini:5: [enclave a] pattern: ") ||
	    !strstr(out, "run62.trace: header says 4611686018427387904 accesses, at most "
			 "1000000000000 (the most a trace may have)") ||
	    strstr(out, "epcmm 0."))
		fail_msg("epcmm run with the 58-byte trace: \"%s\"", out);
	free(out);
	free(cmd);
	free(path);
	assert_true(asprintf(&cmd, "rm -r '%s'", dir) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* A trace with two threads and no accesses key: each thread replays all of it. */
static void test_sim_cli_trace_threads_replay_whole(void **state)
{
	char dir[] = "/tmp/epcmm-cli-trace-XXXXXX", *cmd, *out;

	(void)state;
	assert_non_null(mkdtemp(dir));
	put(dir, "t.ini",
	    "[section 0]\nsize = 64M\n[enclave a]\nthreads = 2\npattern = trace:" EPCMM_SOURCE_DIR
	    "/scenarios/traces/sort.trace\n");
	assert_true(asprintf(&cmd, "%s run -q --json - %s/t.ini | grep '\"accesses\"' | head -1",
			     EPCMM, dir) > 0);
	assert_int_equal(run(cmd, &out), 0);
	if (!strstr(out, "1761560")) /* 2 x the trace's 880,780 records */
		fail_msg("accesses: %s, expected 2 x 880780", out);
	free(out);
	free(cmd);
	assert_true(asprintf(&cmd, "rm -r '%s'", dir) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* `epcmm sweep --trace`: no scenario, the cgroup /trace, --max auto by
 * default (up to the footprint, where the trace stops faulting), a range of
 * one point, and --max auto over a scenario's cgroup. Small inputs: the
 * ASan build runs this too. */
static void test_sim_cli_sweep_trace(void **state)
{
	char *out = NULL;

	(void)state;
	assert_int_equal(run(EPCMM " sweep -q --trace tests/data/loop.trace", &out), 0);
	if (!strstr(out, "sweep of /trace's misc.max from 64 KiB to 512 KiB, 8 limits, over "
			 "tests/data/loop.trace") ||
	    !strstr(out, "512 KiB           0          0              1.00x"))
		fail_msg("sweep --trace:\n%s", out);
	free(out);
	assert_int_equal(run(EPCMM " sweep -q --trace tests/data/loop.trace --max 128K:128K:1 "
				   "--json -",
			     &out),
			 0);
	if (!strstr(out, "\"max\": 131072"))
		fail_msg("one point:\n%s", out);
	free(out);
	assert_int_equal(run("printf '[section 0]\\nsize = 4M\\n[cgroup /a]\\n[enclave e]\\n"
			     "cgroup = /a\\nsize = 256K\\naccesses = 2000\\n' > "
			     "/tmp/epcmm-cli-auto.ini && " EPCMM
			     " sweep -q /tmp/epcmm-cli-auto.ini --cgroup /a --max auto",
			     &out),
			 0);
	/* 64 pages, the SECS and a VA page: 264 KiB, fits from 320 KiB */
	if (!strstr(out, "from 64 KiB to 320 KiB, 5 limits"))
		fail_msg("--max auto stops at the footprint of /a's enclave:\n%s", out);
	free(out);
	assert_int_equal(run("printf '[section 0]\\nsize = 4M\\n[cgroup /empty]\\n[enclave e]\\n"
			     "size = 64K\\naccesses = 100\\n' > "
			     "/tmp/epcmm-cli-auto.ini && " EPCMM
			     " sweep -q /tmp/epcmm-cli-auto.ini --cgroup /empty 2>&1",
			     &out),
			 2);
	if (!strstr(out, "epcmm sweep: --max auto: /empty has no enclave to size the limits by"))
		fail_msg("--max auto with no enclave:\n%s", out);
	free(out);
	unlink("/tmp/epcmm-cli-auto.ini");
}

/* `epcmm size TRACE`: the answer on stdout, the JSON's keys, --dynamic, and
 * an empty or cut-short trace refused before anything is written. */
static void test_sim_cli_size_trace(void **state)
{
	char *out = NULL;
	const char *keys[] = {"\"footprint_bytes\": 499712", "\"declare_bytes\": 524288",
			      "\"target_fault_rate\": 0.01",  "\"target_max\": 524288",
			      "\"fault_rate_at_target_max\"", "\"knee\": ",
			      "\"points\": [",		 "\"max\": ",
			      "\"fault_rate\": ",		 "\"dynamic\": false"};

	(void)state;
	assert_int_equal(run(EPCMM " size -q tests/data/loop.trace", &out), 0);
	if (!strstr(out, "footprint    488 KiB    120 pages + the SECS + 1 VA page") ||
	    !strstr(out, "fault rate   512 KiB    the smallest misc.max with <= 1% of accesses") ||
	    !strstr(out, "declare      512 KiB"))
		fail_msg("the answer:\n%s", out);
	free(out);
	/* (120 EAUGs in 7,680 accesses: the default 1.1x is out of reach, 200x is not) */
	assert_int_equal(run(EPCMM " size -q --dynamic --target-slowdown 200 tests/data/loop.trace",
			     &out),
			 0);
	if (!strstr(out, "an EDMM build: no page added at build, each EAUGed at its first touch"))
		fail_msg("--dynamic says so:\n%s", out);
	free(out);
	/* EAUGs cost something at every limit: no limit is 1.0x */
	assert_int_equal(run(EPCMM " size -q --dynamic --target-slowdown 1 tests/data/loop.trace "
				   "2>&1",
			     &out),
			 1);
	if (!strstr(out, "slowdown     none       no misc.max up to 4x the footprint has") ||
	    !strstr(out, "epcmm size: no misc.max up to 4x the footprint meets the slowdown "
			 "target"))
		fail_msg("a target no limit meets:\n%s", out);
	free(out);
	assert_int_equal(run(EPCMM " size -q --json - tests/data/loop.trace", &out), 0);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strstr(out, keys[i]))
			fail_msg("--json - has no '%s':\n%.2000s", keys[i], out);
	assert_null(strstr(out, "epcmm size:")); /* the JSON alone on stdout */
	free(out);
	assert_int_equal(run("head -c 100 scenarios/traces/sort.trace > /tmp/epcmm-cli-cut.trace && "
			     EPCMM " size --json /tmp/epcmm-cli-cut.json /tmp/epcmm-cli-cut.trace "
			     "2>&1; st=$?; test ! -e /tmp/epcmm-cli-cut.json && exit $st",
			     &out),
			 2);
	if (!strstr(out, "epcmm size: /tmp/epcmm-cli-cut.trace"))
		fail_msg("a cut-short trace says which: %s", out);
	free(out);
	assert_int_equal(run(": > /tmp/epcmm-cli-empty.trace && " EPCMM
			     " size /tmp/epcmm-cli-empty.trace 2>&1",
			     &out),
			 2);
	if (!strstr(out, "epcmm size: /tmp/epcmm-cli-empty.trace"))
		fail_msg("an empty trace says which: %s", out);
	free(out);
	unlink("/tmp/epcmm-cli-cut.trace");
	unlink("/tmp/epcmm-cli-empty.trace");
}

/* `epcmm size -- COMMAND`: recorded under Valgrind and answered; a command
 * that fails gets no answer, exit 1, and leaves no file behind in TMPDIR (a
 * directory of its own: other programs use /tmp at the same time). */
static void test_sim_cli_size_command(void **state)
{
	char dir[] = "/tmp/epcmm-cli-tmp-XXXXXX", *out = NULL, *cmd;

	(void)state;
	if (run("command -v valgrind >/dev/null", &out) != 0) {
		free(out);
		skip(); /* required by install-deps.sh; a hand-made machine may lack it */
	}
	free(out);
	assert_non_null(mkdtemp(dir));
	assert_true(asprintf(&cmd, "TMPDIR=%s " EPCMM " size -q -o %s/true.trace -- true", dir,
			     dir) > 0);
	assert_int_equal(run(cmd, &out), 0);
	if (!strstr(out, "epcmm size: true: ") || !strstr(out, "footprint"))
		fail_msg("size -- true:\n%s", out);
	free(out);
	free(cmd);
	assert_true(asprintf(&cmd, "TMPDIR=%s " EPCMM " size -q -- false 2>&1", dir) > 0);
	assert_int_equal(run(cmd, &out), 1);
	if (!strstr(out, "epcmm size: false exited with status 1") ||
	    !strstr(out, "epcmm size: no answer") || strstr(out, "footprint"))
		fail_msg("size -- false:\n%s", out);
	free(out);
	free(cmd);
	/* the kept trace, and nothing else: the temporary one was removed */
	assert_true(asprintf(&cmd, "ls -A %s", dir) > 0);
	assert_int_equal(run(cmd, &out), 0);
	if (strcmp(out, "true.trace\n"))
		fail_msg("left in TMPDIR: '%s'", out);
	free(out);
	free(cmd);
	assert_true(asprintf(&cmd, "rm -r %s", dir) > 0);
	assert_int_equal(run(cmd, &out), 0);
	free(out);
	free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_cli_run_default_is_golden),
		cmocka_unit_test(test_sim_cli_exit_codes),
		cmocka_unit_test(test_sim_cli_run_failed),
		cmocka_unit_test(test_sim_cli_plot_without_gnuplot),
		cmocka_unit_test(test_sim_cli_run_stdin),
		cmocka_unit_test(test_sim_cli_trace_errors_before_anything),
		cmocka_unit_test(test_sim_cli_trace_threads_replay_whole),
		cmocka_unit_test(test_sim_cli_trace_count_cap),
		cmocka_unit_test(test_sim_cli_sweep_trace),
		cmocka_unit_test(test_sim_cli_size_trace),
		cmocka_unit_test(test_sim_cli_size_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
