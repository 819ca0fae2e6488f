// SPDX-License-Identifier: MIT
/*
 * plot.c - gnuplot scripts for the timeline and sweep plots (see plot.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "outfile.h"
#include "plot.h"

extern char **environ;

#define MIB 1048576.0
/* Columns a timeline may have. */
#define PLOT_MAX_COLUMNS 1024
/* Longest CSV header line, bytes. */
#define PLOT_MAX_HEADER 65536
/* The first gnuplot tag of the events' arrows and labels (1 is taken). */
#define PLOT_EVENT_TAG 100
/* Event rows a timeline plot marks (more are not drawn). */
#define PLOT_MAX_EVENTS 1000
/* Line colours, one per series in turn (readable on white, distinct when printed). */
static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
				      "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
#define PALETTE_LEN (sizeof(palette) / sizeof(palette[0]))
/* Bytes of gnuplot's stderr quoted in an error. */
#define PLOT_ERR_QUOTE 200

/* @s as a gnuplot single-quoted string ('' stands for '). */
static void gp_str(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

static bool has_newline(const char *s)
{
	return strchr(s, '\n') || strchr(s, '\r');
}

static const char *extension(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (!dot || strchr(dot, '/'))
		return "";
	return dot;
}

/* The terminal lines for a plot to @out (its extension picks the terminal),
 * drawn into @render; or -EINVAL. */
static int gp_terminal(FILE *f, const char *out, const char *render, char *err, size_t errlen)
{
	const char *ext = extension(out);

	if (!strcasecmp(ext, ".svg")) {
		fprintf(f, "set terminal svg size 1000,600 dynamic enhanced font 'sans,12' "
			   "background rgb 'white'\n");
	} else if (!strcasecmp(ext, ".png")) {
		fprintf(f, "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
			   "  set terminal pngcairo size 1000,600 enhanced font 'sans,12' "
			   "background rgb 'white'\n"
			   "} else {\n"
			   "  set terminal png size 1000,600 enhanced font 'sans,12' "
			   "background rgb 'white'\n"
			   "}\n");
	} else {
		return sim_fail(err, errlen, -EINVAL, "%s: a plot is .svg or .png", out);
	}
	fprintf(f, "set output ");
	gp_str(f, render);
	fprintf(f, "\nset datafile separator ','\nset encoding utf8\n");
	return 0;
}

/* The header line of @csv, split at commas into @cols (pointers into *@line). */
static int csv_header(const char *csv, char **line, char **cols, int *nr, char *err, size_t errlen)
{
	FILE *f = fopen(csv, "r");
	size_t cap = 0;
	ssize_t n;
	char *s, *save = NULL;
	int rc = 0;

	*line = NULL;
	*nr = 0;
	if (!f)
		return sim_fail(err, errlen, -errno, "%s: %s", csv, strerror(errno));
	n = getline(line, &cap, f);
	fclose(f);
	if (n <= 0) {
		rc = sim_fail(err, errlen, -EINVAL, "%s: empty, expected a CSV header", csv);
		goto out;
	}
	if (n > PLOT_MAX_HEADER) {
		rc = sim_fail(err, errlen, -EINVAL, "%s: header longer than %d bytes", csv,
			      PLOT_MAX_HEADER);
		goto out;
	}
	(*line)[strcspn(*line, "\r\n")] = '\0';
	for (s = strtok_r(*line, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		if (*nr == PLOT_MAX_COLUMNS) {
			rc = sim_fail(err, errlen, -EINVAL, "%s: more than %d columns", csv,
				      PLOT_MAX_COLUMNS);
			goto out;
		}
		cols[(*nr)++] = s;
	}
out:
	if (rc) {
		free(*line);
		*line = NULL;
	}
	return rc;
}

/* A temporary file; its name in @path (PATH_MAX). */
static FILE *tmp_file(char *path, size_t len, const char *what)
{
	const char *dir = getenv("TMPDIR");
	int fd;
	FILE *f;

	snprintf(path, len, "%s/epcmm-%s-XXXXXX", dir && *dir ? dir : "/tmp", what);
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w+");
	if (!f) {
		close(fd);
		unlink(path);
	}
	return f;
}

/* The last non-empty line of @f (gnuplot's stderr), for a message. */
static void last_line(FILE *f, char *out, size_t len)
{
	char line[PLOT_ERR_QUOTE + 1];

	out[0] = '\0';
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[strspn(line, " \t^")])
			snprintf(out, len, "%s", line);
	}
}

/* Run gnuplot on @script; check that it wrote @render (the plot for @out). */
static int gp_run(const char *script, const char *render, const char *out, char *err, size_t errlen)
{
	char errpath[4096], msg[PLOT_ERR_QUOTE + 1];
	char *argv[] = {(char *)SIM_PLOT_GNUPLOT, (char *)script, NULL};
	posix_spawn_file_actions_t fa;
	FILE *ef = tmp_file(errpath, sizeof(errpath), "gnuplot-err");
	struct stat st;
	pid_t pid;
	int rc, status;

	if (!ef)
		return sim_fail(err, errlen, -errno, "cannot create a temporary file: %s",
				strerror(errno));
	if (posix_spawn_file_actions_init(&fa)) {
		rc = sim_fail(err, errlen, -ENOMEM, "out of memory");
		goto out_ef;
	}
	posix_spawn_file_actions_adddup2(&fa, fileno(ef), STDERR_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, SIM_PLOT_GNUPLOT, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc == ENOENT) {
		rc = sim_fail(err, errlen, -ENOENT,
			      "gnuplot not found: plots need it (Debian package gnuplot-nox)");
		goto out_ef;
	}
	if (rc) {
		rc = sim_fail(err, errlen, -rc, "cannot run gnuplot: %s", strerror(rc));
		goto out_ef;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			rc = sim_fail(err, errlen, -EIO, "waiting for gnuplot: %s",
				      strerror(errno));
			goto out_ef;
		}
	}
	last_line(ef, msg, sizeof(msg));
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			rc = sim_fail(
				err, errlen, -ENOENT,
				"gnuplot not found: plots need it (Debian package gnuplot-nox)");
		else
			rc = sim_fail(err, errlen, -EIO, "gnuplot failed on %s: %s", out,
				      msg[0] ? msg : "(no message)");
		goto out_ef;
	}
	if (stat(render, &st) || st.st_size == 0) {
		rc = sim_fail(err, errlen, -EIO, "gnuplot wrote no %s%s%s", out, msg[0] ? ": " : "",
			      msg);
		goto out_ef;
	}
	rc = 0;
out_ef:
	fclose(ef);
	unlink(errpath);
	return rc;
}

/* Copy the plot gnuplot drew into @render to @out, by the rules of
 * sim_outfile_open() (a regular file replaced whole, a FIFO or a device
 * written in place, "-" standard output). */
static int plot_deliver(const char *render, const char *out, char *err, size_t errlen)
{
	char buf[65536];
	struct sim_outfile *o;
	FILE *in = fopen(render, "rb");
	size_t n;
	int rc;

	if (!in)
		return sim_fail(err, errlen, -errno, "cannot read the plot gnuplot drew (%s): %s",
				render, strerror(errno));
	rc = sim_outfile_open(out, &o, err, errlen);
	if (rc)
		goto out_in;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0 &&
	       fwrite(buf, 1, n, sim_outfile_stream(o)) == n)
		;
	if (ferror(in)) {
		rc = sim_fail(err, errlen, -EIO, "cannot read the plot gnuplot drew (%s)", render);
		sim_outfile_discard(o);
	} else {
		rc = sim_outfile_commit(o, err, errlen);
	}
out_in:
	fclose(in);
	return rc;
}

/* Write the script with @body, run it into a temporary file, deliver that
 * to @out; remove the temporary files. gnuplot never opens @out itself, so
 * @out is replaced whole or not at all, whatever gnuplot does. */
static int gp_plot(const char *csv, const char *out, const char *title,
		   int (*body)(FILE *f, const void *arg, char *err, size_t errlen), const void *arg,
		   char *err, size_t errlen)
{
	char path[4096], render[4096];
	FILE *f;
	int rc;

	if (has_newline(csv) || has_newline(out) || has_newline(title))
		return sim_fail(err, errlen, -EINVAL,
				"plot: a file name or the title holds a line break");
	rc = sim_outfile_check(out, err, errlen);
	if (rc)
		return rc; /* before gnuplot runs for nothing */
	f = tmp_file(render, sizeof(render), "plot-out");
	if (!f)
		return sim_fail(err, errlen, -errno, "cannot create a temporary file: %s",
				strerror(errno));
	fclose(f);
	f = tmp_file(path, sizeof(path), "plot");
	if (!f) {
		rc = sim_fail(err, errlen, -errno, "cannot create a temporary file: %s",
			      strerror(errno));
		goto out_render;
	}
	rc = gp_terminal(f, out, render, err, errlen);
	if (!rc)
		rc = body(f, arg, err, errlen);
	if (!rc && (fflush(f) || ferror(f)))
		rc = sim_fail(err, errlen, -EIO, "cannot write the gnuplot script %s", path);
	fclose(f);
	if (!rc)
		rc = gp_run(path, render, out, err, errlen);
	unlink(path);
	if (!rc)
		rc = plot_deliver(render, out, err, errlen);
out_render:
	unlink(render);
	return rc;
}

int sim_plot_check(const char *out_path, char *err, size_t errlen)
{
	const char *path = getenv("PATH");
	bool found = false;
	int rc;

	if (strcasecmp(extension(out_path), ".svg") && strcasecmp(extension(out_path), ".png"))
		return sim_fail(err, errlen, -EINVAL, "%s: a plot is .svg or .png", out_path);
	rc = sim_outfile_check(out_path, err, errlen);
	if (rc)
		return rc;
	if (strchr(SIM_PLOT_GNUPLOT, '/')) {
		found = access(SIM_PLOT_GNUPLOT, X_OK) == 0;
	} else {
		for (const char *p = path ? path : "/usr/bin:/bin"; !found; p++) {
			size_t n = strcspn(p, ":");
			char cand[4096];

			snprintf(cand, sizeof(cand), "%.*s/%s", (int)(n ? n : 1), n ? p : ".",
				 SIM_PLOT_GNUPLOT);
			found = access(cand, X_OK) == 0;
			p += n;
			if (!*p)
				break;
		}
	}
	if (!found)
		return sim_fail(err, errlen, -ENOENT,
				"gnuplot not found: plots need it (Debian package gnuplot-nox)");
	return 0;
}

/* ---- timeline ---- */

/* A row of the timeline that names events: a vertical line and a label. */
struct tl_event {
	double seconds, accesses; /* its first two columns */
	char *label;		  /* its last column, malloc'd */
};

struct timeline {
	const char *csv, *title;
	char **cols;
	int nr;
	enum sim_plot_x x;
	bool skip0;	       /* leave out the row at 0 accesses (the start is not joined to the
		     * first sample by a slope) */
	double xs;	       /* accesses are drawn divided by this: 1, 1e3 or 1e6 */
	const char *xunit;     /* and the x label says so: "", ", thousands", ", millions" */
	const bool *has_value; /* per column: some row has a value (an unlimited
				* cgroup's max column is empty throughout) */
	int end;	       /* the columns before "event", if it is the last */
	const struct tl_event *events; /* the rows with an event named */
	int nr_events;
};

/* The PATH of "cg:PATH:what", in @buf. */
static const char *cg_path(const char *col, char *buf, size_t len)
{
	const char *end = strrchr(col, ':');

	snprintf(buf, len, "%.*s", (int)(end - col - 3), col + 3);
	return buf;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* "node:N:free" with N decimal digits (N goes into the script unquoted). */
static bool is_node_free(const char *c)
{
	size_t digits;

	if (strncmp(c, "node:", 5))
		return false;
	digits = strspn(c + 5, "0123456789");
	return digits > 0 && digits < 10 && !strcmp(c + 5 + digits, ":free");
}

/*
 * Each event row as a dotted vertical line across both panels (arrows stay
 * set from one panel to the next), its label along the line at the top of
 * the upper panel.
 */
static void timeline_events(FILE *f, const struct timeline *tl)
{
	for (int i = 0; i < tl->nr_events; i++) {
		const struct tl_event *e = &tl->events[i];
		double x = tl->x == SIM_PLOT_X_TIME ? e->seconds : e->accesses / tl->xs;
		int tag = PLOT_EVENT_TAG + i;

		fprintf(f,
			"set arrow %d from first %.17g, graph 0 to first %.17g, graph 1 nohead "
			"lw 1 dt 3 lc rgb '#444444' front\n"
			"set label %d ",
			tag, x, x, tag);
		gp_str(f, e->label);
		fprintf(f,
			" at first %.17g, graph 1 rotate by 90 right offset character -0.6, "
			"character -0.4 font 'sans,9' tc rgb '#444444' noenhanced front\n",
			x);
	}
}

static int timeline_body(FILE *f, const void *arg, char *err, size_t errlen)
{
	const struct timeline *tl = arg;
	char path[1024];
	int color = 0, faults = -1;
	char x[32];
	const char *skip = tl->skip0 ? "$2 == 0 ? NaN : " : "";
	bool first, no_cg = true;

	if (tl->nr < 3 || strcmp(tl->cols[0], "modelled_s") || strcmp(tl->cols[1], "accesses"))
		return sim_fail(err, errlen, -EINVAL,
				"%s: not a timeline: the header starts with modelled_s,accesses",
				tl->csv);
	for (int i = 2; i < tl->end; i++) {
		const char *c = tl->cols[i];

		if (!strcmp(c, "faults") && i == tl->end - 1) {
			faults = i;
		} else if (!strncmp(c, "cg:", 3) && ends_with(c, ":current") && strlen(c) > 3 + 8 &&
			   i + 1 < tl->nr && !strncmp(tl->cols[i + 1], c, strlen(c) - 7) &&
			   !strcmp(tl->cols[i + 1] + strlen(c) - 7, "max")) {
			i++;
		} else if (is_node_free(c)) {
		} else {
			return sim_fail(err, errlen, -EINVAL,
					"%s: unexpected column '%s' in a timeline (column %d)",
					tl->csv, c, i + 1);
		}
	}
	if (faults < 0)
		return sim_fail(err, errlen, -EINVAL,
				"%s: no faults column at the end of the header", tl->csv);

	/*
	 * Accesses in thousands or millions as the largest count needs, so that
	 * every tick reads right (an SI format such as '%.0s%c' labels 1.2M "1M").
	 */
	if (tl->x == SIM_PLOT_X_TIME)
		snprintf(x, sizeof(x), "1");
	else
		snprintf(x, sizeof(x), "($2/%g)", tl->xs);
	fprintf(f, "set grid lc rgb '#cccccc'\n"
		   "set lmargin at screen 0.10\nset rmargin at screen 0.70\n"
		   "set xrange [0:*]\nset yrange [0:*]\nset mxtics\n"
		   "set multiplot\n"
		   "set tmargin at screen 0.92\nset bmargin at screen 0.40\n"
		   "set key at screen 0.785, screen 0.92 left top Left reverse samplen 2 font "
		   "'sans,11' noenhanced\n"
		   "set title ");
	gp_str(f, tl->title);
	fprintf(f, " noenhanced font 'sans,14'\n"
		   "set format x ''\nunset xlabel\n"
		   "set ylabel 'EPC per cgroup (MiB)'\n");
	timeline_events(f, tl);
	for (int i = 2; i < faults; i++)
		no_cg &= strncmp(tl->cols[i], "cg:", 3) != 0;
	if (no_cg)
		fprintf(f, "set label 1 'no cgroup in this timeline' at graph 0.5, graph 0.5 "
			   "center\n");
	fprintf(f, "plot ");
	first = true;
	for (int i = 2; i < faults; i++) {
		if (strncmp(tl->cols[i], "cg:", 3))
			continue;
		cg_path(tl->cols[i], path, sizeof(path));
		fprintf(f, "%s", first ? "" : ", \\\n  ");
		first = false;
		gp_str(f, tl->csv);
		fprintf(f, " using %s:(%s$%d/%.1f) with lines lw 2 lc rgb '%s' title ", x, skip,
			i + 1, MIB, palette[color % PALETTE_LEN]);
		fprintf(f, "'");
		for (const char *s = path; *s; s++)
			fprintf(f, *s == '\'' ? "''" : "%c", *s);
		fprintf(f, " usage'");
		if (tl->has_value[i + 1]) { /* "max": no line, and no key entry for one */
			fprintf(f, ", \\\n  ");
			gp_str(f, tl->csv);
			fprintf(f,
				" using %s:(%s$%d/%.1f) with lines lw 1.5 dt (12,8) lc rgb '%s' "
				"title '",
				x, skip, i + 2, MIB, palette[color % PALETTE_LEN]);
			for (const char *s = path; *s; s++)
				fprintf(f, *s == '\'' ? "''" : "%c", *s);
			fprintf(f, " limit'");
		}
		color++;
		i++;
	}
	if (first) { /* no cgroup: an empty panel with its axes (gnuplot refuses no points) */
		gp_str(f, tl->csv);
		fprintf(f, " using %s:(0) with lines lc rgb 'white' notitle\nunset label 1", x);
	}
	for (int i = 0; i < tl->nr_events; i++) /* the lines go on below, the labels not */
		fprintf(f, "\nunset label %d", PLOT_EVENT_TAG + i);
	fprintf(f,
		"\n"
		"set tmargin at screen 0.36\nset bmargin at screen 0.09\n"
		"unset title\nset format x '%%g'\n"
		"set key at screen 0.785, screen 0.36 left top Left reverse samplen 2 font "
		"'sans,11' noenhanced\n"
		"set xlabel '%s%s)'\n"
		"set ylabel 'free EPC (MiB)'\n"
		"set y2label 'faults per 1,000 accesses'\n"
		"set y2range [0:*]\nset ytics nomirror\nset y2tics\n"
		"prev = 0\n"
		"plot ",
		tl->x == SIM_PLOT_X_TIME ? "modelled time (s; enclave builds included"
					 : "accesses made (all enclaves",
		tl->x == SIM_PLOT_X_TIME ? "" : tl->xunit);
	for (int i = 2; i < faults; i++) {
		const char *c = tl->cols[i];

		if (strncmp(c, "node:", 5))
			continue;
		gp_str(f, tl->csv);
		fprintf(f,
			" using %s:(%s$%d/%.1f) with lines lw 2 lc rgb '%s' title 'node %.*s "
			"free', \\\n  ",
			x, skip, i + 1, MIB, palette[color % PALETTE_LEN], (int)(strlen(c) - 10),
			c + 5);
		color++;
	}
	/* each row's faults are those of the interval it ends: over the accesses
	 * since the previous row, drawn across that interval */
	gp_str(f, tl->csv);
	fprintf(f,
		" using %s:(d = $2 - prev, prev = $2, d > 0 ? 1000.0 * $%d / d : %s) axes x1y2 "
		"with fsteps lw 1 lc rgb '#888888' title 'faults'\n"
		"unset multiplot\n",
		x, faults + 1, tl->skip0 ? "NaN" : "0");
	return 0;
}

/*
 * One pass over the rows after the header: how many there are, the largest
 * value of column 2 (the access count), and which of the first @nr columns
 * have a value in some row. A file that cannot be read gives 0 rows.
 */
static unsigned long scan_rows(const char *csv, int nr, double *max2, bool *has_value)
{
	FILE *f = fopen(csv, "r");
	char *line = NULL;
	size_t cap = 0;
	unsigned long rows = 0;

	*max2 = 0;
	if (!f)
		return 0;
	for (bool header = true; getline(&line, &cap, f) > 0; header = false) {
		char *p = line;

		if (header)
			continue;
		rows++;
		for (int col = 0; col < nr && p; col++) {
			char *end = strchr(p, ',');
			size_t len = end ? (size_t)(end - p) : strcspn(p, "\r\n");

			if (len)
				has_value[col] = true;
			if (col == 1 && strtod(p, NULL) > *max2)
				*max2 = strtod(p, NULL);
			p = end ? end + 1 : NULL;
		}
	}
	free(line);
	fclose(f);
	return rows;
}

static void free_events(struct tl_event *ev, int n)
{
	for (int i = 0; i < n; i++)
		free(ev[i].label);
	free(ev);
}

/*
 * The rows whose last column (the "event" column) names something, at most
 * PLOT_MAX_EVENTS. Return: 0 with *@out (NULL when none); -ENOMEM.
 */
static int scan_events(const char *csv, struct tl_event **out, int *nr)
{
	FILE *f = fopen(csv, "r");
	struct tl_event *ev = NULL;
	char *line = NULL;
	size_t cap = 0;
	int n = 0, rc = 0;

	*out = NULL;
	*nr = 0;
	if (!f)
		return 0; /* as scan_rows(): gnuplot will say */
	for (bool header = true; n < PLOT_MAX_EVENTS && getline(&line, &cap, f) > 0;
	     header = false) {
		char *label = strrchr(line, ','), *comma = strchr(line, ',');
		struct tl_event *g;

		if (header || !label || !comma)
			continue;
		label[strcspn(label, "\r\n")] = '\0';
		if (!label[1])
			continue;
		g = realloc(ev, (size_t)(n + 1) * sizeof(*ev));
		if (!g || !(g[n].label = strdup(label + 1))) {
			ev = g ? g : ev;
			rc = -ENOMEM;
			break;
		}
		ev = g;
		g[n].seconds = strtod(line, NULL);
		g[n++].accesses = strtod(comma + 1, NULL);
	}
	free(line);
	fclose(f);
	if (rc) {
		free_events(ev, n);
		return rc;
	}
	*out = ev;
	*nr = n;
	return 0;
}

int sim_plot_timeline(const char *csv_path, const char *out_path, const char *title,
		      enum sim_plot_x x, char *err, size_t errlen)
{
	struct tl_event *events = NULL;
	char *cols[PLOT_MAX_COLUMNS], *line;
	struct timeline tl = {.csv = csv_path, .title = title, .cols = cols, .x = x};
	double max_accesses;
	bool *has_value;
	int rc;

	if (has_newline(csv_path) || has_newline(out_path) || has_newline(title))
		return sim_fail(err, errlen, -EINVAL,
				"plot: a file name or the title holds a line break");
	rc = csv_header(csv_path, &line, cols, &tl.nr, err, errlen);
	if (rc)
		return rc;
	has_value = calloc((size_t)tl.nr, sizeof(*has_value));
	if (!has_value) {
		free(line);
		return sim_fail(err, errlen, -ENOMEM, "plot: out of memory");
	}
	tl.skip0 = scan_rows(csv_path, tl.nr, &max_accesses, has_value) > 1;
	tl.has_value = has_value;
	tl.xs = max_accesses >= 1e6 ? 1e6 : max_accesses >= 1e4 ? 1e3 : 1;
	tl.xunit = tl.xs == 1e6 ? ", millions" : tl.xs == 1e3 ? ", thousands" : "";
	tl.end = tl.nr;
	if (tl.nr > 3 && !strcmp(cols[tl.nr - 1], "event")) {
		tl.end--;
		rc = scan_events(csv_path, &events, &tl.nr_events);
		if (rc)
			rc = sim_fail(err, errlen, rc, "plot: out of memory");
	}
	tl.events = events;
	if (!rc)
		rc = gp_plot(csv_path, out_path, title, timeline_body, &tl, err, errlen);
	free_events(events, tl.nr_events);
	free(has_value);
	free(line);
	return rc;
}

/* ---- sweep ---- */

struct sweep {
	const char *csv, *title;
	struct sim_plot_sweep_marks m;
	uint64_t unit;
	const char *unit_name;
	double knee_rate;  /* fault rate at the knee, a fraction; < 0: not in the CSV */
	double target_y;   /* the target point's rate (or slowdown); < 0: not in the CSV */
	double xmin, xmax; /* limits, bytes */
	double ymin_pos;   /* the smallest non-zero fault rate; 0 if none */
	double ymax;	   /* the largest fault rate */
	bool zero, log_y;  /* a zero fault rate; a log y axis */
};

/* @v in the plot's unit, as the table writes it: "108", "1.5", "0.25". */
static void fmt_x(char *buf, size_t len, uint64_t v, uint64_t unit)
{
	if (v % unit == 0)
		snprintf(buf, len, "%" PRIu64, v / unit);
	else if ((v * 10) % unit == 0)
		snprintf(buf, len, "%.1f", (double)v / (double)unit);
	else {
		size_t n = (size_t)snprintf(buf, len, "%.2f", (double)v / (double)unit);

		while (n > 1 && n < len && buf[n - 1] == '0')
			buf[--n] = '\0';
	}
}

static int sweep_body(FILE *f, const void *arg, char *err, size_t errlen)
{
	const struct sweep *sw = arg;
	const struct sim_plot_sweep_marks *m = &sw->m;
	double u = (double)sw->unit;
	char x[32];

	(void)err;
	(void)errlen;
	fprintf(f, "set grid lc rgb '#cccccc'\n"
		   "set lmargin at screen 0.10\nset rmargin at screen 0.70\n"
		   "set title ");
	gp_str(f, sw->title);
	fprintf(f,
		" noenhanced font 'sans,14'\n"
		"set key at screen 0.785, screen 0.92 left top Left reverse samplen 2 font "
		"'sans,11' noenhanced\n"
		"set xlabel 'cgroup limit, sgx\\_epc misc.max (%s)'\n"
		"set ylabel 'fault rate (%% of accesses%s)'\n"
		"set y2label 'modelled slowdown (x)'\n"
		"set xrange [0:*]\nset y2range [1:*]\n"
		"set ytics nomirror\nset y2tics\nset mxtics\n",
		sw->unit_name, sw->log_y ? ", log scale" : "");
	if (sw->log_y) {
		fprintf(f,
			"set logscale y\nset format y '%%g'\nset yrange [%.6g:%.6g]\n"
			"set logscale y2\nset format y2 '%%g'\nset y2label 'modelled slowdown (x, "
			"log "
			"scale)'\n",
			sw->ymin_pos * 100 / 2, sw->ymax * 100 * 2);
		if (sw->zero)
			fprintf(f,
				"set label 3 \"limits with no fault\\nare not drawn on the\\nlog "
				"axis\" at screen 0.79, screen 0.70 left font 'sans,10'\n");
	} else
		fprintf(f, "set yrange [0:*]\n");
	if (m->knee_bytes) {
		/* the label at the top of the knee's line, on the side with more room:
		 * right of it (above the falling curve), or left of it near the right edge */
		bool left = sw->xmax > 0 && (double)m->knee_bytes > 0.65 * sw->xmax;

		fmt_x(x, sizeof(x), m->knee_bytes, sw->unit);
		fprintf(f,
			"set arrow 1 from %.6f, graph 0 to %.6f, graph 1 nohead dt (4,4) lc rgb "
			"'#444444'\n",
			(double)m->knee_bytes / u, (double)m->knee_bytes / u);
		fprintf(f, "set label 1 'knee: %s %s' at %.6f, graph 0.96 %s offset %s,0 front\n",
			x, sw->unit_name, (double)m->knee_bytes / u, left ? "right" : "left",
			left ? "-0.8" : "0.8");
	}
	if (m->target_rate >= 0 || m->target_slowdown > 0) {
		bool by_rate = !(m->target_slowdown > 0);

		fprintf(f,
			"set arrow 2 from graph 0, %s %.6g to graph 1, %s %.6g nohead lw 1.5 lc "
			"rgb '#2ca02c'\n",
			by_rate ? "first" : "second",
			by_rate ? m->target_rate * 100 : m->target_slowdown,
			by_rate ? "first" : "second",
			by_rate ? m->target_rate * 100 : m->target_slowdown);
		if (by_rate)
			fprintf(f,
				"set label 2 'target: %.3g%% fault rate' at graph 0.99, first %.6g "
				"right offset 0,0.7 front textcolor rgb '#2ca02c'\n",
				m->target_rate * 100, m->target_rate * 100);
		else
			fprintf(f,
				"set label 2 'target: %.3gx slowdown' at graph 0.99, second %.6g "
				"right offset 0,0.7 front textcolor rgb '#2ca02c'\n",
				m->target_slowdown, m->target_slowdown);
	}
	fprintf(f, "plot ");
	gp_str(f, sw->csv);
	fprintf(f,
		" using ($1/%.1f):($2*100) with linespoints lw 2 pt 7 ps 0.8 lc rgb '#1f77b4' "
		"title '%s', \\\n  ",
		u, "fault rate");
	gp_str(f, sw->csv);
	fprintf(f,
		" using ($1/%.1f):4 axes x1y2 with linespoints lw 1.5 dt (12,8) pt 6 ps 0.8 lc rgb "
		"'#ff7f0e' title 'modelled slowdown'",
		u);
	if (m->knee_bytes && sw->knee_rate >= 0 && (!sw->log_y || sw->knee_rate > 0))
		fprintf(f, ", \\\n  '-' using 1:2 with points pt 7 ps 2 lc rgb '#d62728' "
			   "title 'knee'");
	if (m->target_bytes && sw->target_y >= 0 &&
	    (m->target_slowdown > 0 || !sw->log_y || sw->target_y > 0))
		fprintf(f,
			", \\\n  '-' using 1:2 %swith points pt 9 ps 2 lc rgb '#2ca02c' "
			"title 'target limit'",
			m->target_slowdown > 0 ? "axes x1y2 " : "");
	fprintf(f, "\n");
	if (m->knee_bytes && sw->knee_rate >= 0 && (!sw->log_y || sw->knee_rate > 0))
		fprintf(f, "%.6f,%.6g\ne\n", (double)m->knee_bytes / u, sw->knee_rate * 100);
	if (m->target_bytes && sw->target_y >= 0 &&
	    (m->target_slowdown > 0 || !sw->log_y || sw->target_y > 0))
		fprintf(f, "%.6f,%.6g\ne\n", (double)m->target_bytes / u,
			m->target_slowdown > 0 ? sw->target_y : sw->target_y * 100);
	return 0;
}

/* Read the rows: the ranges, and the values at the knee and the target. */
static int sweep_scan(const char *csv, struct sweep *sw, char *err, size_t errlen)
{
	FILE *f = fopen(csv, "r");
	char line[512];
	uint64_t lineno = 1;

	sw->knee_rate = sw->target_y = -1;
	if (!f)
		return sim_fail(err, errlen, -errno, "%s: %s", csv, strerror(errno));
	if (!fgets(line, sizeof(line), f))
		goto out;
	while (fgets(line, sizeof(line), f)) {
		uint64_t max, ev;
		double r, slow;

		lineno++;
		if (sscanf(line, "%" SCNu64 ",%lf,%" SCNu64 ",%lf", &max, &r, &ev, &slow) != 4) {
			fclose(f);
			return sim_fail(err, errlen, -EINVAL,
					"%s:%" PRIu64 ": expected max_bytes,fault_rate,...", csv,
					lineno);
		}
		if (lineno == 2 || (double)max < sw->xmin)
			sw->xmin = (double)max;
		if ((double)max > sw->xmax)
			sw->xmax = (double)max;
		if (r > sw->ymax)
			sw->ymax = r;
		if (r > 0 && (sw->ymin_pos == 0 || r < sw->ymin_pos))
			sw->ymin_pos = r;
		sw->zero |= r == 0;
		if (max == sw->m.knee_bytes)
			sw->knee_rate = r;
		if (max == sw->m.target_bytes)
			sw->target_y = sw->m.target_slowdown > 0 ? slow : r;
	}
out:
	fclose(f);
	/* a log axis when the rates span more than a decade */
	sw->log_y = sw->ymin_pos > 0 && sw->ymax > 10 * sw->ymin_pos;
	if (sw->log_y && sw->m.target_rate > 0 && sw->m.target_rate < sw->ymin_pos)
		sw->ymin_pos = sw->m.target_rate;
	return 0;
}

int sim_plot_sweep(const char *csv_path, const char *out_path, const char *title,
		   const struct sim_plot_sweep_marks *marks, char *err, size_t errlen)
{
	static const char *const want[] = {"max_bytes", "fault_rate", "evictions",
					   "modelled_slowdown"};
	char *cols[PLOT_MAX_COLUMNS], *line;
	struct sweep sw = {.csv = csv_path, .title = title};
	int nr, rc;

	if (marks)
		sw.m = *marks;
	else
		sw.m.target_rate = -1;
	sw.unit = sw.m.unit ? sw.m.unit : 1048576;
	sw.unit_name = sw.m.unit_name ? sw.m.unit_name : "MiB";
	if (has_newline(csv_path) || has_newline(out_path) || has_newline(title) ||
	    strchr(sw.unit_name, '\'') || has_newline(sw.unit_name))
		return sim_fail(err, errlen, -EINVAL,
				"plot: a file name or the title holds a line break");
	rc = csv_header(csv_path, &line, cols, &nr, err, errlen);
	if (rc)
		return rc;
	for (int i = 0; i < 4 && !rc; i++)
		if (i >= nr || strcmp(cols[i], want[i]))
			rc = sim_fail(err, errlen, -EINVAL,
				      "%s: not a sweep: the header is "
				      "max_bytes,fault_rate,evictions,modelled_slowdown",
				      csv_path);
	if (!rc && nr != 4)
		rc = sim_fail(err, errlen, -EINVAL, "%s: not a sweep: %d columns, expected 4",
			      csv_path, nr);
	free(line);
	if (!rc)
		rc = sweep_scan(csv_path, &sw, err, errlen);
	if (rc)
		return rc;
	return gp_plot(csv_path, out_path, title, sweep_body, &sw, err, errlen);
}
