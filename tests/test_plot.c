// SPDX-License-Identifier: MIT
/*
 * test_plot.c - the gnuplot plots (sim/plot.h) from hand-made timeline and
 * sweep CSVs: gnuplot writes a non-empty SVG holding the title, the legend
 * and the axis labels, a PNG with a PNG signature, and every error has its
 * message. Exits 77 (skipped) when gnuplot is not installed.
 *
 *   build/tests/test_plot [DIR]   also leaves the plots in DIR, to look at
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"

#include "plot.h"

#define MIB (1024 * 1024)

static char tmpdir[256];
static const char *keep_dir; /* argv[1]: copies of the plots go there */

static char *path_in(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		fail_msg("%s was not written", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	CHECK(fread(buf, 1, (size_t)n, f) == (size_t)n, "read the plot");
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/*
 * A run of 10 modelled seconds: /app fills to its 48 MiB limit and stays
 * there, /app/worker_1 grows without a limit, /batch is limited to 16 MiB;
 * node 0 runs out of free EPC, node 1 keeps some; faults start when /app
 * reaches its limit.
 */
static char *write_timeline(void)
{
	char *csv = path_in(tmpdir, "timeline.csv");
	FILE *f = fopen(csv, "w");

	CHECK(f != NULL, "create the timeline CSV");
	fprintf(f, "modelled_s,accesses,cg:/:current,cg:/:max,cg:/app:current,cg:/app:max,"
		   "cg:/app/worker_1:current,cg:/app/worker_1:max,cg:/batch:current,cg:/batch:max,"
		   "node:0:free,node:1:free,faults\n");
	for (int i = 0; i <= 40; i++) {
		double t = i * 0.25;
		long long app = (long long)(t < 6 ? t * 8 : 48) * MIB;
		long long worker = (long long)(t < 6 ? t * 3 : 18) * MIB;
		long long batch = (long long)(t < 2 ? t * 8 : 16) * MIB;
		long long used = app + batch;
		long long free0 = 64LL * MIB - (used > 64LL * MIB ? 64LL * MIB : used * 3 / 4);
		long long free1 = 64LL * MIB - used / 4;

		fprintf(f, "%.2f,%d,%lld,,%lld,%lld,%lld,,%lld,%lld,%lld,%lld,%d\n", t, i * 100000,
			used, app, 48LL * MIB, worker, batch, 16LL * MIB, free0, free1,
			t < 6 ? 0 : 1500 + (i % 5) * 200);
	}
	fclose(f);
	return csv;
}

/* A sweep of /app from 1 to 64 MiB over 16 points; the knee at 30.4 MiB. */
static char *write_sweep(void)
{
	char *csv = path_in(tmpdir, "sweep.csv");
	FILE *f = fopen(csv, "w");

	CHECK(f != NULL, "create the sweep CSV");
	fprintf(f, "max_bytes,fault_rate,evictions,modelled_slowdown\n");
	for (int i = 0; i < 16; i++) {
		unsigned long long max = (1 * MIB) + (unsigned long long)i * (63ull * MIB / 15);
		double mib = (double)max / MIB;
		double rate = mib >= 30 ? 0.002 * (40 - mib > 0 ? (40 - mib) / 10 : 0)
					: 0.45 * (30 - mib) / 29 + 0.002;

		fprintf(f, "%llu,%.6f,%llu,%.4f\n", max, rate, (unsigned long long)(rate * 4000000),
			1 + rate * 60);
	}
	fclose(f);
	return csv;
}

static void keep(const char *path, const char *name)
{
	char *to, *buf;
	size_t len;
	FILE *f;

	if (!keep_dir)
		return;
	to = path_in(keep_dir, name);
	buf = slurp(path, &len);
	f = fopen(to, "wb");
	CHECK(f && fwrite(buf, 1, len, f) == len, "copy the plot");
	fclose(f);
	free(buf);
	free(to);
}

static void expect_svg(const char *svg, const char *const *want, int nr)
{
	size_t len;
	char *buf = slurp(svg, &len);

	CHECK(len > 1000, "gnuplot wrote a non-empty SVG");
	CHECK(strstr(buf, "<svg") != NULL, "it is an SVG");
	for (int i = 0; i < nr; i++)
		if (!strstr(buf, want[i]))
			fail_msg("%s does not contain '%s'", svg, want[i]);
	free(buf);
}

static void expect_png(const char *png)
{
	size_t len;
	char *buf = slurp(png, &len);

	CHECK(len > 1000, "gnuplot wrote a non-empty PNG");
	CHECK(!memcmp(buf, "\x89PNG\r\n\x1a\n", 8), "it has the PNG signature");
	free(buf);
}

static void test_plot_timeline_svg(void **state)
{
	static const char *const want[] = {
		"trace-sort: /app under 48 MiB",
		"accesses made (all enclaves, millions)", /* 0 to 4,000,000 */
		"EPC per cgroup (MiB)",
		"free EPC (MiB)",
		"/app usage",
		"/app limit",
		"/app/worker_1 usage",
		"node 0 free",
		"node 1 free",
		"faults per 1,000 accesses",
	};
	char *csv = write_timeline(), *svg = path_in(tmpdir, "timeline.svg"), err[512] = "", *buf;
	int rc = sim_plot_timeline(csv, svg, "trace-sort: /app under 48 MiB", SIM_PLOT_X_ACCESSES,
				   err, sizeof(err));
	size_t len;

	(void)state;
	if (rc)
		fail_msg("sim_plot_timeline: %d %s", rc, err);
	expect_svg(svg, want, sizeof(want) / sizeof(want[0]));
	buf = slurp(svg, &len);
	CHECK(!strstr(buf, "worker_1 limit") && !strstr(buf, ">/ limit<"),
	      "an unlimited cgroup has no limit line, nor a key entry for one");
	CHECK(strstr(buf, ">3.5<") != NULL, "a tick between two millions reads 3.5, not 4M");
	free(buf);
	keep(svg, "timeline.svg");
	rc = sim_plot_timeline(csv, svg, "by time", SIM_PLOT_X_TIME, err, sizeof(err));
	if (rc)
		fail_msg("sim_plot_timeline by time: %d %s", rc, err);
	expect_svg(svg, (const char *const[]){"modelled time (s; enclave builds included)"}, 1);
	free(csv);
	free(svg);
}

static void test_plot_timeline_png(void **state)
{
	char *csv = write_timeline(), *png = path_in(tmpdir, "timeline.png"), err[512] = "";
	int rc = sim_plot_timeline(csv, png, "trace-sort: /app under 48 MiB", SIM_PLOT_X_ACCESSES,
				   err, sizeof(err));

	(void)state;
	if (rc)
		fail_msg("sim_plot_timeline: %d %s", rc, err);
	expect_png(png);
	keep(png, "timeline.png");
	free(csv);
	free(png);
}

static void test_plot_sweep_svg_png(void **state)
{
	static const char *const want[] = {
		"sweep of /app: sort's fault rate",
		"fault rate (% of accesses, log scale)", /* 0.2% to 45%: more than a decade */
		"(MiB)",
		"modelled slowdown",
		"knee: 30.4 MiB",
		"target: 1% fault rate",
		"target limit",
	};
	char *csv = write_sweep(), *svg = path_in(tmpdir, "sweep.svg"),
	     *png = path_in(tmpdir, "sweep.PNG"), err[512] = "";
	uint64_t knee = 1 * MIB + 7ull * (63ull * MIB / 15);
	struct sim_plot_sweep_marks m = {.knee_bytes = knee,
					 .target_bytes = knee,
					 .target_rate = 0.01,
					 .unit = MIB,
					 .unit_name = "MiB"};
	int rc;

	(void)state;
	rc = sim_plot_sweep(csv, svg, "sweep of /app: sort's fault rate", &m, err, sizeof(err));
	if (rc)
		fail_msg("sim_plot_sweep: %d %s", rc, err);
	expect_svg(svg, want, sizeof(want) / sizeof(want[0]));
	rc = sim_plot_sweep(csv, png, "sweep of /app: sort's fault rate", &m, err, sizeof(err));
	if (rc)
		fail_msg("sim_plot_sweep png: %d %s", rc, err);
	expect_png(png);
	keep(svg, "sweep.svg");
	keep(png, "sweep.png");
	rc = sim_plot_sweep(csv, svg, "no knee", NULL, err, sizeof(err));
	CHECK(rc == 0, "a sweep without a knee");
	free(csv);
	free(svg);
	free(png);
}

/* The x axis is in the table's unit: a sweep shown in KiB is plotted in KiB,
 * the knee labelled in KiB; a slowdown target is a line on the right axis. */
static void test_plot_sweep_kib(void **state)
{
	static const char *const want[] = {"(KiB)", "knee: 108 KiB", "target: 1.1x slowdown"};
	char *csv = path_in(tmpdir, "sweepk.csv"), *svg = path_in(tmpdir, "sweepk.svg"),
	     err[512] = "";
	FILE *f = fopen(csv, "w");
	struct sim_plot_sweep_marks m = {.knee_bytes = 108 << 10,
					 .target_bytes = 132 << 10,
					 .target_rate = -1,
					 .target_slowdown = 1.1,
					 .unit = 1024,
					 .unit_name = "KiB"};
	int rc;

	(void)state;
	fprintf(f, "max_bytes,fault_rate,evictions,modelled_slowdown\n");
	for (int i = 0; i < 6; i++)
		fprintf(f, "%d,%.6f,%d,%.4f\n", (12 + 24 * i) << 10, 0.5 / (1 << (3 * i)),
			1000 >> i, 1 + 100 * 0.5 / (1 << (3 * i)));
	fclose(f);
	rc = sim_plot_sweep(csv, svg, "KiB", &m, err, sizeof(err));
	if (rc)
		fail_msg("sim_plot_sweep: %d %s", rc, err);
	expect_svg(svg, want, sizeof(want) / sizeof(want[0]));
	keep(svg, "sweep-kib.svg");
	free(csv);
	free(svg);
}

/* Flat data (no fault at any limit, one sample) still gives a plot. */
static void test_plot_flat(void **state)
{
	char *csv = path_in(tmpdir, "flat.csv"), *svg = path_in(tmpdir, "flat.svg"), err[512] = "";
	FILE *f = fopen(csv, "w");
	int rc;

	(void)state;
	fprintf(f, "max_bytes,fault_rate,evictions,modelled_slowdown\n");
	for (int i = 1; i <= 4; i++)
		fprintf(f, "%d,0,0,1\n", i * MIB);
	fclose(f);
	rc = sim_plot_sweep(
		csv, svg, "flat",
		&(struct sim_plot_sweep_marks){.knee_bytes = 2 * MIB, .target_rate = -1}, err,
		sizeof(err));
	if (rc)
		fail_msg("a flat sweep: %d %s", rc, err);
	f = fopen(csv, "w");
	fprintf(f, "modelled_s,accesses,cg:/:current,cg:/:max,node:0:free,faults\n0,0,0,,0,0\n");
	fclose(f);
	rc = sim_plot_timeline(csv, svg, "one sample", SIM_PLOT_X_ACCESSES, err, sizeof(err));
	if (rc)
		fail_msg("a one-sample timeline: %d %s", rc, err);
	/* no cgroup column: the usage panel is empty, the plot is still made */
	f = fopen(csv, "w");
	fprintf(f, "modelled_s,accesses,node:0:free,faults\n0,0,100,0\n1,1,50,3\n");
	fclose(f);
	rc = sim_plot_timeline(csv, svg, "no cgroups", SIM_PLOT_X_ACCESSES, err, sizeof(err));
	if (rc)
		fail_msg("a timeline without cgroups: %d %s", rc, err);
	/* a quote in a cgroup path and in the title stays inside gnuplot's strings */
	f = fopen(csv, "w");
	fprintf(f, "modelled_s,accesses,cg:/it's:current,cg:/it's:max,faults\n0,0,0,4096,0\n"
		   "1,5,4096,4096,1\n");
	fclose(f);
	rc = sim_plot_timeline(csv, svg, "it's '); system('false", SIM_PLOT_X_ACCESSES, err,
			       sizeof(err));
	if (rc)
		fail_msg("quotes: %d %s", rc, err);
	free(csv);
	free(svg);
}

static void expect_err(int rc, int want_rc, const char *err, const char *want)
{
	if (rc != want_rc)
		fail_msg("got %d (%s), expected %d", rc, err, want_rc);
	if (strcmp(err, want))
		fail_msg("message\n  '%s', expected\n  '%s'", err, want);
}

static void test_plot_errors(void **state)
{
	char *csv = write_timeline(), *sweep = write_sweep(), *svg = path_in(tmpdir, "e.svg");
	char *bad = path_in(tmpdir, "bad.csv"), want[1024], err[512];
	char *old_path = strdup(getenv("PATH") ? getenv("PATH") : "");
	FILE *f;
	int rc;

	(void)state;
	rc = sim_plot_timeline(csv, "/tmp/x.pdf", "t", SIM_PLOT_X_ACCESSES, err, sizeof(err));
	expect_err(rc, -EINVAL, err, "/tmp/x.pdf: a plot is .svg or .png");
	rc = sim_plot_sweep(sweep, "/tmp/svg", "t", NULL, err, sizeof(err));
	expect_err(rc, -EINVAL, err, "/tmp/svg: a plot is .svg or .png");
	rc = sim_plot_timeline(csv, svg, "two\nlines", SIM_PLOT_X_ACCESSES, err, sizeof(err));
	expect_err(rc, -EINVAL, err, "plot: a file name or the title holds a line break");
	rc = sim_plot_timeline("/nonexistent.csv", svg, "t", SIM_PLOT_X_ACCESSES, err, sizeof(err));
	expect_err(rc, -ENOENT, err, "/nonexistent.csv: No such file or directory");

	f = fopen(bad, "w");
	fprintf(f, "modelled_s,accesses,cg:/a:current,faults\n0,0,0,0\n");
	fclose(f);
	rc = sim_plot_timeline(bad, svg, "t", SIM_PLOT_X_ACCESSES, err, sizeof(err));
	snprintf(want, sizeof(want),
		 "%s: unexpected column 'cg:/a:current' in a timeline (column 3)", bad);
	expect_err(rc, -EINVAL, err, want);
	f = fopen(bad, "w");
	fprintf(f, "modelled_s,accesses,node:0' x:free,faults\n0,0,0,0\n");
	fclose(f);
	rc = sim_plot_timeline(bad, svg, "t", SIM_PLOT_X_ACCESSES, err, sizeof(err));
	snprintf(want, sizeof(want),
		 "%s: unexpected column 'node:0' x:free' in a timeline (column 3)", bad);
	expect_err(rc, -EINVAL, err, want);
	f = fopen(bad, "w");
	fprintf(f, "time,accesses,faults\n");
	fclose(f);
	rc = sim_plot_timeline(bad, svg, "t", SIM_PLOT_X_ACCESSES, err, sizeof(err));
	snprintf(want, sizeof(want),
		 "%s: not a timeline: the header starts with modelled_s,accesses", bad);
	expect_err(rc, -EINVAL, err, want);
	f = fopen(bad, "w");
	fprintf(f, "modelled_s,accesses,node:0:free\n");
	fclose(f);
	rc = sim_plot_timeline(bad, svg, "t", SIM_PLOT_X_ACCESSES, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: no faults column at the end of the header", bad);
	expect_err(rc, -EINVAL, err, want);
	rc = sim_plot_sweep(bad, svg, "t", NULL, err, sizeof(err));
	snprintf(want, sizeof(want),
		 "%s: not a sweep: the header is max_bytes,fault_rate,evictions,modelled_slowdown",
		 bad);
	expect_err(rc, -EINVAL, err, want);
	f = fopen(bad, "w");
	fclose(f);
	rc = sim_plot_sweep(bad, svg, "t", NULL, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: empty, expected a CSV header", bad);
	expect_err(rc, -EINVAL, err, want);
	f = fopen(bad, "w");
	fprintf(f, "max_bytes,fault_rate,evictions,modelled_slowdown\n1048576,0.5,3,1.2\nx,y\n");
	fclose(f);
	rc = sim_plot_sweep(
		bad, svg, "t",
		&(struct sim_plot_sweep_marks){.knee_bytes = 1048576, .target_rate = -1}, err,
		sizeof(err));
	snprintf(want, sizeof(want), "%s:3: expected max_bytes,fault_rate,...", bad);
	expect_err(rc, -EINVAL, err, want);

	/* the output cannot be created: said before gnuplot runs (gnuplot draws
	 * into a temporary file; the output is written by sim/outfile.c) */
	rc = sim_plot_timeline(csv, "/nonexistent/dir/x.svg", "t", SIM_PLOT_X_ACCESSES, err,
			       sizeof(err));
	expect_err(rc, -ENOENT, err,
		   "/nonexistent/dir/x.svg: cannot be created in /nonexistent/dir/: No such "
		   "file or directory");
	/* a directory named like a plot: refused, not replaced nor written into */
	snprintf(want, sizeof(want), "%s/d.svg", tmpdir);
	CHECK(!mkdir(want, 0700), "mkdir d.svg");
	rc = sim_plot_timeline(csv, want, "t", SIM_PLOT_X_ACCESSES, err, sizeof(err));
	CHECK(rc == -EISDIR && strstr(err, "d.svg: is a directory"), "a directory is refused");
	CHECK(!rmdir(want), "d.svg is still the empty directory");

	/* gnuplot missing */
	setenv("PATH", tmpdir, 1);
	rc = sim_plot_timeline(csv, svg, "t", SIM_PLOT_X_ACCESSES, err, sizeof(err));
	setenv("PATH", old_path, 1);
	expect_err(rc, -ENOENT, err,
		   "gnuplot not found: plots need it (Debian package gnuplot-nox)");
	rc = sim_plot_timeline(csv, svg, "t", SIM_PLOT_X_ACCESSES, err, sizeof(err));
	CHECK(rc == 0, "with PATH back, gnuplot is found again");
	unlink(bad);
	free(old_path);
	free(bad);
	free(csv);
	free(sweep);
	free(svg);
}

static int has_gnuplot(void)
{
	const char *path = getenv("PATH");
	char *dirs = strdup(path ? path : ""), *save = NULL;
	int found = 0;

	for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *p = path_in(d, "gnuplot");

		found = !access(p, X_OK);
		free(p);
	}
	free(dirs);
	return found;
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plot_timeline_svg),  cmocka_unit_test(test_plot_timeline_png),
		cmocka_unit_test(test_plot_sweep_svg_png), cmocka_unit_test(test_plot_sweep_kib),
		cmocka_unit_test(test_plot_flat),	   cmocka_unit_test(test_plot_errors),
	};
	char cmd[300];
	int rc;

	if (!has_gnuplot()) {
		printf("test_plot: gnuplot not installed (Debian package gnuplot-nox): skipped\n");
		return 77;
	}
	keep_dir = argc > 1 ? argv[1] : NULL;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_plot-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		fprintf(stderr, "test_plot: could not remove %s\n", tmpdir);
	return rc;
}
