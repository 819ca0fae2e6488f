// SPDX-License-Identifier: MIT
/*
 * record.c - `epcmm record` and `epcmm trace-convert`: memory traces of real
 * programs for `pattern = trace:FILE` (docs/TRACE-FORMAT.md).
 *
 * record runs the command under `valgrind --tool=lackey --trace-mem=yes`
 * with Lackey's log on a pipe (--log-fd), and reads the pipe as Lackey writes
 * it (sim_trace_open_stream), so the text, often gigabytes, is never stored:
 * only the page-granular encoding grows in memory, and is saved in the
 * compact format when the command ends. Only the command itself is traced,
 * not the children it starts (Valgrind's default --trace-children=no).
 *
 * The trace goes where sim_outfile_open() (sim/outfile.h) puts an output:
 * "-" is standard output (record then sends the command's own output to
 * stderr), a regular file is replaced whole once the trace is complete (a
 * failure leaves the old one), a FIFO or character device is written in
 * place, a symbolic link is followed, a directory, socket or block device is
 * refused. record checks the output before it starts the command.
 *
 * EPCMM_VALGRIND names the valgrind program to run (default: valgrind, found
 * in PATH); the tests use it to play a machine without valgrind.
 *
 * Exit status: 0 the trace was written and the command exited 0; 1 the
 * command failed (the trace is still written if it holds accesses), valgrind
 * is missing, or the trace could not be written; 2 bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "options.h"
#include "outfile.h"
#include "progress.h"
#include "report.h"
#include "tool.h"
#include "trace.h"

#define MIB (1024.0 * 1024.0)
/* The arguments record puts before the command. */
#define RECORD_VG_ARGS 5

static void record_usage(FILE *f)
{
	fprintf(f, "usage: epcmm record -o FILE [--plain] [--] COMMAND [ARGS...]\n"
		   "       epcmm trace-convert [--plain] IN OUT\n\n"
		   "record: run COMMAND under Valgrind Lackey and write its memory accesses\n"
		   "as a page-granular trace (compact format; --plain: one 'ADDRESS R|W' line\n"
		   "per access, the pages numbered in order of first touch) for a scenario's\n"
		   "`pattern = trace:FILE`. Needs valgrind (Debian package valgrind).\n"
		   "trace-convert: read a Lackey, plain or compact trace and write it compact.\n\n"
		   "  -o, --output FILE  where the trace goes ('-': standard output)\n"
		   "      --plain        write the plain text format instead\n"
		   "  -h, --help         this text\n\n"
		   "Exit status: 0 written; 1 the command failed or valgrind is missing;\n"
		   "2 bad usage. See docs/TRACE-FORMAT.md.\n");
}

/* @n with thousands separators, in @buf. */
static const char *count(char buf[32], uint64_t n)
{
	fmt_count(buf, 32, n);
	return buf;
}

static int write_plain(struct sim_trace *t, FILE *f)
{
	uint64_t page;
	bool write;

	fprintf(f,
		"# epcmm plain trace: %" PRIu64 " accesses to %" PRIu64
		" pages, numbered in order of first touch\n",
		sim_trace_nr_records(t), sim_trace_nr_pages(t));
	sim_trace_rewind(t);
	while (sim_trace_next(t, &page, &write) == 1)
		fprintf(f, "0x%" PRIx64 " %c\n", page << SIM_TRACE_PAGE_SHIFT, write ? 'W' : 'R');
	sim_trace_rewind(t);
	return ferror(f) ? -EIO : 0;
}

/*
 * Write @t to @path (sim_outfile_open()'s rules: "-" standard output, a
 * regular file replaced whole, a FIFO or device written in place); the
 * bytes written in *@bytes, or -1 where that cannot be told (a FIFO).
 * Return: 0; -errno (message in @err).
 */
static int save(struct sim_trace *t, const char *path, bool plain, off_t *bytes, char *err,
		size_t errlen)
{
	struct sim_outfile *o;
	FILE *f;
	int rc = sim_outfile_open(path, &o, err, errlen);

	if (rc)
		return rc;
	f = sim_outfile_stream(o);
	errno = 0;
	rc = plain ? write_plain(t, f) : sim_trace_write(t, f);
	if (rc) {
		rc = errno ? -errno : rc;
		snprintf(err, errlen, "%s: write error: %s", path, strerror(-rc));
		sim_outfile_discard(o);
		return rc;
	}
	*bytes = fflush(f) || !sim_outfile_is_regular(o) ? -1 : ftello(f);
	return sim_outfile_commit(o, err, errlen);
}

static void summary(const char *prog, struct sim_trace *t, const char *path, bool plain,
		    off_t bytes)
{
	char a[32], b[32], c[32];
	uint64_t rec = sim_trace_nr_records(t), pages = sim_trace_nr_pages(t);

	fprintf(stderr,
		"%s: %s accesses (%.1f%% writes) to %s distinct pages: a %.1f MiB footprint\n",
		prog, count(a, rec), 100.0 * (double)sim_trace_nr_writes(t) / (double)rec,
		count(b, pages), (double)pages * SIM_TRACE_PAGE_SIZE / MIB);
	fprintf(stderr, "%s: wrote %s", prog, strcmp(path, "-") ? path : "standard output");
	if (bytes >= 0)
		fprintf(stderr, ": %s bytes", count(c, (uint64_t)bytes));
	fprintf(stderr, " (%s %s)\n", count(a, plain ? rec : sim_trace_nr_entries(t)),
		plain ? "lines, one per access" : "entries, repeats of a page folded");
}

/* Is @prog an executable in PATH? */
static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char *dirs, *dir, *save = NULL;
	bool found = false;

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	dirs = strdup(path);
	if (!dirs)
		return true; /* let exec decide */
	for (dir = strtok_r(dirs, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char full[4096];

		snprintf(full, sizeof(full), "%s/%s", *dir ? dir : ".", prog);
		found = !access(full, X_OK);
	}
	free(dirs);
	return found;
}

/* Read what is left of @f so the writer never blocks. */
static void drain(FILE *f)
{
	char buf[65536];

	while (fread(buf, 1, sizeof(buf), f) > 0)
		;
}

/* The progress line on a terminal while Lackey's output is read. */
struct record_progress {
	const char *prog, *cmd;
	double t0, last;
	bool shown;
};

static void record_progress(void *arg, uint64_t accesses, uint64_t pages)
{
	struct record_progress *rp = arg;
	double now = tool_now();
	char a[32], p[32];

	if (now - rp->last < TOOL_PROGRESS_PERIOD_S)
		return;
	rp->last = now;
	rp->shown = true;
	fprintf(stderr, "\r%s: recording %s: %s accesses to %s pages, %.0f s\033[K", rp->prog,
		rp->cmd, count(a, accesses), count(p, pages), now - rp->t0);
}

/* How record() runs. */
struct record_opts {
	const char *prog; /* messages begin with it */
	const char *out;  /* the trace's file ("-": stdout) */
	bool plain;	  /* the plain text format */
	bool quiet;	  /* no progress line (there is none unless stderr is a terminal) */
	bool summarize;	  /* say what was written */
	bool cmd_stdout_to_stderr; /* the command's own output kept off stdout */
};

/* Can @cmd be recorded into @o->out: the output, valgrind and the command
 * there? Checked before a run that may take minutes. Return: 0; an exit
 * code (said why). */
static int record_check(const struct record_opts *o, const char *vg, char **cmd)
{
	char err[512];

	if (sim_outfile_check(o->out, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", o->prog, err);
		return TOOL_EXIT_FAILURE;
	}
	if (!strchr(vg, '/') && !in_path(vg)) {
		fprintf(stderr,
			"%s: %s not found: recording needs Valgrind "
			"(Debian package valgrind)\n",
			o->prog, vg);
		return TOOL_EXIT_FAILURE;
	}
	if (strchr(cmd[0], '/') ? access(cmd[0], X_OK) != 0 : !in_path(cmd[0])) {
		fprintf(stderr, "%s: %s: no such program (not found%s, or not executable)\n",
			o->prog, cmd[0], strchr(cmd[0], '/') ? "" : " in PATH");
		return TOOL_EXIT_USAGE;
	}
	return 0;
}

/* Start @cmd under Valgrind @vg's Lackey, its log on a pipe whose read end
 * is *@log. Return: the child's pid; -1 (said why). */
static pid_t spawn_lackey(const struct record_opts *o, const char *vg, char **cmd, int *log)
{
	char fdarg[32], **argv;
	int fds[2], nr = 0;
	pid_t pid;

	while (cmd[nr])
		nr++;
	argv = calloc((size_t)nr + RECORD_VG_ARGS + 1, sizeof(*argv));
	if (!argv || pipe2(fds, O_CLOEXEC)) {
		fprintf(stderr, "%s: %s\n", o->prog, strerror(errno));
		free(argv);
		return -1;
	}
	snprintf(fdarg, sizeof(fdarg), "--log-fd=%d", fds[1]);
	argv[0] = (char *)vg;
	argv[1] = "--tool=lackey";
	argv[2] = "--trace-mem=yes";
	argv[3] = "--basic-counts=no";
	argv[4] = fdarg;
	memcpy(argv + RECORD_VG_ARGS, cmd, (size_t)nr * sizeof(*argv));
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* the write end stays open across exec; the read end does not; with
		 * -o -, the command's output goes to stderr: stdout is the trace's */
		if (fcntl(fds[1], F_SETFD, 0) == 0 &&
		    (!o->cmd_stdout_to_stderr || dup2(STDERR_FILENO, STDOUT_FILENO) >= 0))
			execvp(vg, argv);
		fprintf(stderr, "%s: cannot run %s: %s\n", o->prog, vg, strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		fprintf(stderr, "%s: fork: %s\n", o->prog, strerror(errno));
		close(fds[0]);
	}
	free(argv);
	close(fds[1]);
	*log = fds[0];
	return pid;
}

/* Read the trace from @log as Lackey writes it into *@t, then wait for
 * @pid and say how @cmd ended (in *@status). Return: 0; an exit code (said
 * why; *@t NULL). */
static int read_lackey(const struct record_opts *o, int log, pid_t pid, char **cmd,
		       struct sim_trace **t, int *status)
{
	struct record_progress rp = {.prog = o->prog, .cmd = cmd[0], .t0 = tool_now()};
	struct sim_trace_progress progress = {record_progress, &rp};
	FILE *f = fdopen(log, "rb");
	char err[512];
	int rc;

	if (!f) {
		fprintf(stderr, "%s: %s\n", o->prog, strerror(errno));
		close(log);
		kill(pid, SIGKILL);
		waitpid(pid, status, 0);
		return TOOL_EXIT_FAILURE;
	}
	rc = sim_trace_open_stream_progress(f, "valgrind lackey output",
					    o->quiet || !isatty(STDERR_FILENO) ? NULL : &progress,
					    t, err, sizeof(err));
	if (rp.shown)
		fprintf(stderr, "\r\033[K");
	if (rc)
		drain(f);
	fclose(f);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(*status))
		fprintf(stderr, "%s: %s exited with status %d\n", o->prog, cmd[0],
			WEXITSTATUS(*status));
	else if (WIFSIGNALED(*status))
		fprintf(stderr, "%s: %s killed by signal %d (%s)\n", o->prog, cmd[0],
			WTERMSIG(*status), strsignal(WTERMSIG(*status)));
	if (rc) {
		fprintf(stderr, "%s: no trace written: %s\n", o->prog, err);
		*t = NULL;
		return TOOL_EXIT_FAILURE;
	}
	return 0;
}

/* Record @cmd as @o says. Return: an exit code. */
static int record(const struct record_opts *o, char **cmd)
{
	const char *vg = getenv("EPCMM_VALGRIND") ? getenv("EPCMM_VALGRIND") : "valgrind";
	struct sim_trace *t = NULL;
	int log, status, rc;
	char err[512];
	off_t bytes;
	pid_t pid;

	rc = record_check(o, vg, cmd);
	if (rc)
		return rc;
	pid = spawn_lackey(o, vg, cmd, &log);
	if (pid < 0)
		return TOOL_EXIT_FAILURE;
	rc = read_lackey(o, log, pid, cmd, &t, &status);
	if (rc)
		return rc;
	rc = save(t, o->out, o->plain, &bytes, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s: %s\n", o->prog, err);
		sim_trace_close(t);
		return TOOL_EXIT_FAILURE;
	}
	if (o->summarize)
		summary(o->prog, t, o->out, o->plain, bytes);
	sim_trace_close(t);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : TOOL_EXIT_FAILURE;
}

int tool_record(const char *prog, const char *out, bool quiet, char **cmd)
{
	struct record_opts o = {.prog = prog, .out = out, .quiet = quiet, .cmd_stdout_to_stderr = true};

	return record(&o, cmd);
}

enum {
	OPT_PLAIN = 256
};

static const struct option record_longs[] = {
	{"output", required_argument, NULL, 'o'},
	{"plain", no_argument, NULL, OPT_PLAIN},
	TOOL_COMMON_OPTIONS,
};

static int record_main(int argc, char **argv);
static int trace_convert_main(int argc, char **argv);

const struct tool_command tool_cmd_record = {
	.name = "record",
	.summary = "record a program's memory trace under Valgrind",
	.shorts = "+o:", /* the options end at the COMMAND: its own are its */
	.longs = record_longs,
	.usage = record_usage,
	.main = record_main,
};

const struct tool_command tool_cmd_trace_convert = {
	.name = "trace-convert",
	.summary = "convert a Lackey or plain trace to the compact format",
	.shorts = "",
	.longs = record_longs + 1, /* --plain */
	.usage = record_usage,
	.main = trace_convert_main,
};

/* Record's and trace-convert's options into *@out and *@plain. Return: 0;
 * 1 after --help or --version; -1 bad usage (said why). */
static int record_parse(const struct tool_command *cmd, int argc, char **argv, const char **out,
			bool *plain)
{
	struct tool_getopt g = TOOL_GETOPT(cmd, argc, argv);
	int c;

	while ((c = tool_getopt(&g)) != TOOL_OPT_DONE) {
		if (c < 0)
			return tool_opt_stop(c);
		if (c == 'o')
			*out = optarg;
		else
			*plain = true;
	}
	return 0;
}

static int record_main(int argc, char **argv)
{
	const char *out = NULL;
	bool plain = false;
	int ret = record_parse(&tool_cmd_record, argc, argv, &out, &plain);

	if (!ret && !out)
		ret = tool_bad("record", "%s", "-o FILE is required");
	if (!ret && optind == argc)
		ret = tool_bad("record", "%s", "no command to record");
	if (ret)
		return tool_parse_exit(ret);
	struct record_opts o = {.prog = "epcmm record",
				.out = out,
				.plain = plain,
				.summarize = true,
				.cmd_stdout_to_stderr = !strcmp(out, "-")};

	ret = record(&o, argv + optind);
	if (!ret && strcmp(out, "-"))
		fprintf(stderr, "epcmm record: next: epcmm size %s\n", out);
	return ret;
}

static int trace_convert_main(int argc, char **argv)
{
	const char *out = NULL, *in;
	struct sim_trace *t;
	bool plain = false;
	char err[512];
	int rc;
	off_t bytes;

	rc = record_parse(&tool_cmd_trace_convert, argc, argv, &out, &plain);
	if (!rc && argc - optind != 2)
		rc = tool_bad("trace-convert", "%s", "one input and one output: IN OUT");
	if (rc)
		return tool_parse_exit(rc);
	in = argv[optind];
	out = argv[optind + 1];
	rc = sim_trace_open(in, &t, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "epcmm trace-convert: %s\n", err);
		return TOOL_EXIT_USAGE;
	}
	rc = save(t, out, plain, &bytes, err, sizeof(err));
	if (rc)
		fprintf(stderr, "epcmm trace-convert: %s\n", err);
	else
		summary("epcmm trace-convert", t, out, plain, bytes);
	sim_trace_close(t);
	return rc ? TOOL_EXIT_FAILURE : 0;
}
