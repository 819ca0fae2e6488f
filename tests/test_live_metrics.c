// SPDX-License-Identifier: MIT
/*
 * test_live_metrics.c - `epcmm status --format openmetrics`
 * (live_view_openmetrics) read by a strict reader of the OpenMetrics 1.0
 * text format written here: metric and label names by the format's grammar,
 * HELP and TYPE at most once per family and before its samples, a family's
 * samples together, a counter's samples ending in _total (a gauge's named
 * as the family), label values with only the \\, \" and \n escapes and valid
 * UTF-8, no label twice in a sample, no series twice, numbers that parse,
 * and "# EOF" as the last line. The reader is checked first on inputs that
 * break each rule; then a daemon's state with awkward cgroup names (a space,
 * a quote, a backslash, a control byte, bytes that are not UTF-8), a limit
 * and no limit, and enclaves, as SNAPSHOT records through the client's
 * decoder and out as metrics the reader accepts, with the expected samples.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#include "snap_helpers.h"
#include "view.h"

#define OM_MAX_FAMILIES 64
#define OM_MAX_SERIES	256
#define OM_LINE_MAX	8192

struct om_family {
	char name[128], type[16];
	int help, typed, samples, closed;
};

struct om_reader {
	struct om_family fam[OM_MAX_FAMILIES];
	int nr_fam, cur; /* cur: the family whose lines came last, or -1 */
	char *series[OM_MAX_SERIES];
	int nr_series;
	char why[256];
};

static int om_bad(struct om_reader *r, int line, const char *why, const char *text)
{
	snprintf(r->why, sizeof(r->why), "line %d: %s: %.120s", line, why, text);
	return -1;
}

static int is_name_char(char c, int first, int colon)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
	       (!first && c >= '0' && c <= '9');
}

/* The length of a metric name (@colon) or label name at @s; 0 if none. */
static size_t om_name(const char *s, int colon)
{
	size_t n = 0;

	while (is_name_char(s[n], n == 0, colon))
		n++;
	return n;
}

static int om_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
						 : (c & 0xf8) == 0xf0		  ? 4
										  : 0;

		if (!len || i + len > n || (len == 2 && c < 0xc2))
			return 0;
		for (unsigned k = 1; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		i += len;
	}
	return 1;
}

static struct om_family *om_find(struct om_reader *r, const char *name, size_t n)
{
	for (int i = 0; i < r->nr_fam; i++)
		if (strlen(r->fam[i].name) == n && !strncmp(r->fam[i].name, name, n))
			return &r->fam[i];
	return NULL;
}

/* Make @f the current family: a family whose lines ended cannot come back. */
static int om_enter(struct om_reader *r, struct om_family *f, int line, const char *text)
{
	int idx = (int)(f - r->fam);

	if (r->cur == idx)
		return 0;
	if (f->closed)
		return om_bad(r, line, "family interleaved with another", text);
	if (r->cur >= 0)
		r->fam[r->cur].closed = 1;
	r->cur = idx;
	return 0;
}

static int om_meta(struct om_reader *r, int line, char *text)
{
	const char *kind = text + 2, *name;
	struct om_family *f;
	size_t n;

	if (strncmp(kind, "HELP ", 5) && strncmp(kind, "TYPE ", 5) && strncmp(kind, "UNIT ", 5))
		return om_bad(r, line, "a comment that is not HELP, TYPE, UNIT or EOF", text);
	name = kind + 5;
	n = om_name(name, 1);
	if (!n || name[n] != ' ')
		return om_bad(r, line, "bad metric family name", text);
	f = om_find(r, name, n);
	if (!f) {
		if (r->nr_fam == OM_MAX_FAMILIES || n >= sizeof(f->name))
			return om_bad(r, line, "too many families for this reader", text);
		f = &r->fam[r->nr_fam++];
		memcpy(f->name, name, n);
	}
	if (om_enter(r, f, line, text))
		return -1;
	if (f->samples)
		return om_bad(r, line, "metadata after the family's samples", text);
	if (!strncmp(kind, "HELP", 4)) {
		if (f->help++)
			return om_bad(r, line, "HELP twice", text);
	} else if (!strncmp(kind, "TYPE", 4)) {
		const char *t = name + n + 1;
		static const char *const types[] = {"counter", "gauge",		  "histogram",
						    "gaugehistogram", "stateset", "info",
						    "summary",	"unknown"};
		int ok = 0;

		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			ok |= !strcmp(t, types[i]);
		if (!ok)
			return om_bad(r, line, "unknown TYPE", text);
		if (f->typed++)
			return om_bad(r, line, "TYPE twice", text);
		snprintf(f->type, sizeof(f->type), "%s", t);
	}
	return 0;
}

/* The labels at *@p ("{" already taken) into @canon, up to and with the
 * "}": a series is its name and its labels as written (this writer always
 * writes them in one order). */
static int om_labels(struct om_reader *r, int line, const char *text, const char **p, char *canon,
		     size_t len)
{
	char seen[16][64];
	int nr = 0;
	const char *s = *p;

	if (*s == '}') {
		*p = s + 1;
		return 0;
	}
	for (;;) {
		size_t n = om_name(s, 0), start;

		if (!n || n >= sizeof(seen[0]))
			return om_bad(r, line, "bad label name", text);
		for (int i = 0; i < nr; i++)
			if (strlen(seen[i]) == n && !strncmp(seen[i], s, n))
				return om_bad(r, line, "label twice in one sample", text);
		if (nr == 16)
			return om_bad(r, line, "too many labels for this reader", text);
		memcpy(seen[nr], s, n);
		seen[nr++][n] = '\0';
		s += n;
		if (s[0] != '=' || s[1] != '"')
			return om_bad(r, line, "label without =\"", text);
		s += 2;
		start = (size_t)(s - text);
		for (; *s != '"'; s++) {
			if (!*s)
				return om_bad(r, line, "unterminated label value", text);
			if (*s == '\\' && s[1] != '\\' && s[1] != '"' && s[1] != 'n')
				return om_bad(r, line, "bad escape in a label value", text);
			if (*s == '\\')
				s++;
		}
		if (!om_utf8((const unsigned char *)text + start, (size_t)(s - text) - start))
			return om_bad(r, line, "label value not UTF-8", text);
		s++;
		if (*s == '}')
			break;
		if (*s != ',' || s[1] == '}')
			return om_bad(r, line, "bad label separator", text);
		s++;
	}
	s++;
	if ((size_t)(s - *p) >= len)
		return om_bad(r, line, "labels too long for this reader", text);
	memcpy(canon, *p, (size_t)(s - *p));
	canon[s - *p] = '\0';
	*p = s;
	return 0;
}

static int om_sample(struct om_reader *r, int line, char *text)
{
	char canon[OM_LINE_MAX] = "", key[OM_LINE_MAX * 2];
	const char *p = text, *suffix;
	struct om_family *f = NULL;
	size_t n = om_name(text, 1), fl;
	char *end;

	if (!n)
		return om_bad(r, line, "bad metric name", text);
	/* the family: the name itself, or the name less a suffix its type allows */
	for (int i = 0; i < r->nr_fam && !f; i++) {
		fl = strlen(r->fam[i].name);
		if (fl > n || strncmp(text, r->fam[i].name, fl))
			continue;
		suffix = text + fl;
		if (!strcmp(r->fam[i].type, "counter") ? (n == fl + 6 && !strncmp(suffix, "_total", 6)) ||
							     (n == fl + 8 && !strncmp(suffix, "_created", 8))
						       : n == fl)
			f = &r->fam[i];
	}
	if (!f || !f->typed)
		return om_bad(r, line, "sample of no TYPEd family (or a counter not in _total)", text);
	if (om_enter(r, f, line, text))
		return -1;
	f->samples++;
	p = text + n;
	if (*p == '{') {
		p++;
		if (om_labels(r, line, text, &p, canon, sizeof(canon)))
			return -1;
	}
	if (*p != ' ')
		return om_bad(r, line, "no space before the value", text);
	p++;
	errno = 0;
	if (!*p || *p == ' ' || (strtod(p, &end), errno) || (*end && *end != ' '))
		return om_bad(r, line, "bad value", text);
	if (!strcmp(f->type, "counter") && *p == '-')
		return om_bad(r, line, "negative counter", text);
	if (*end && (strtod(end + 1, &end), *end))
		return om_bad(r, line, "bad timestamp", text);
	snprintf(key, sizeof(key), "%.*s%s%s", (int)n, text, *canon ? "{" : "", canon);
	for (int i = 0; i < r->nr_series; i++)
		if (!strcmp(r->series[i], key))
			return om_bad(r, line, "series twice", text);
	if (r->nr_series == OM_MAX_SERIES)
		return om_bad(r, line, "too many series for this reader", text);
	r->series[r->nr_series++] = strdup(key);
	return 0;
}

/* Read @text strictly. Return: 0; -1 with @r->why. */
static int om_read(struct om_reader *r, const char *text)
{
	const char *p = text;
	int line = 0, eof = 0;

	memset(r, 0, sizeof(*r));
	r->cur = -1;
	while (*p) {
		const char *nl = strchr(p, '\n');
		char buf[OM_LINE_MAX];
		size_t n;

		line++;
		if (!nl)
			return om_bad(r, line, "line without a newline", p);
		n = (size_t)(nl - p);
		if (n >= sizeof(buf))
			return om_bad(r, line, "line too long for this reader", p);
		memcpy(buf, p, n);
		buf[n] = '\0';
		p = nl + 1;
		if (eof)
			return om_bad(r, line, "a line after # EOF", buf);
		if (!strcmp(buf, "# EOF")) {
			eof = 1;
			continue;
		}
		if (buf[0] == '#' ? (buf[1] != ' ' ? om_bad(r, line, "bad comment", buf)
						   : om_meta(r, line, buf))
				  : om_sample(r, line, buf))
			return -1;
	}
	if (!eof)
		return om_bad(r, line, "no # EOF at the end", "");
	return 0;
}

static void om_free(struct om_reader *r)
{
	for (int i = 0; i < r->nr_series; i++)
		free(r->series[i]);
}

static int om_has(const struct om_reader *r, const char *series)
{
	for (int i = 0; i < r->nr_series; i++)
		if (!strcmp(r->series[i], series))
			return 1;
	return 0;
}

static void test_live_metrics_reader_refuses(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{"# TYPE a gauge\na 1\n", "no # EOF at the end"},
		{"a 1\n# EOF\n", "sample of no TYPEd family"},
		{"# TYPE a counter\na 1\n# EOF\n", "sample of no TYPEd family"},
		{"# TYPE a gauge\n# TYPE a gauge\n# EOF\n", "TYPE twice"},
		{"# HELP a x\n# HELP a y\n# EOF\n", "HELP twice"},
		{"# TYPE a gauge\na 1\n# HELP a x\n# EOF\n", "metadata after the family's samples"},
		{"# TYPE a gauge\n# TYPE b gauge\na 1\n# EOF\n", "family interleaved"},
		{"# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n# EOF\n", "series twice"},
		{"# TYPE a gauge\na{x=\"\\t\"} 1\n# EOF\n", "bad escape"},
		{"# TYPE a gauge\na{x=\"1\",x=\"2\"} 1\n# EOF\n", "label twice"},
		{"# TYPE a gauge\na{x=\"1\",} 1\n# EOF\n", "bad label separator"},
		{"# TYPE a gauge\na{x=\"\xff\"} 1\n# EOF\n", "not UTF-8"},
		{"# TYPE a gauge\na{1x=\"1\"} 1\n# EOF\n", "bad label name"},
		{"# TYPE a gauge\na one\n# EOF\n", "bad value"},
		{"# TYPE a gauge\n# EOF\n# TYPE b gauge\n", "after # EOF"},
		{"# TYPE a gauge\n# EOF", "without a newline"},
		{"# TYPE a gauge\n# whatever\n# EOF\n", "not HELP"},
	};
	struct om_reader r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char what[160];

		snprintf(what, sizeof(what), "the reader refuses case %zu (%s)", i, bad[i].why);
		CHECK(om_read(&r, bad[i].text) == -1, what);
		CHECK(strstr(r.why, bad[i].why) != NULL, bad[i].why);
		om_free(&r);
	}
	CHECK(om_read(&r, "# HELP a_b x\n# TYPE a_b counter\na_b_total{l=\"\\\\\\\"\\n\"} 1\n# EOF\n") == 0,
	      "the reader takes a counter with every escape");
	om_free(&r);
}

/* A state with awkward cgroup names, a limit and none, enclaves, and an
 * enclave record that does not follow its client's (left out), as SNAPSHOT
 * records decoded by the client library. */
static struct epcmm_snapshot *awkward_state(void)
{
	struct epcmm_wr w = {.max = SIZE_MAX};
	struct epcmm_snapshot *v;

	SNAP_REC(&w, EPCMM_SNAP_EPC, NULL, 4096, 1000, 7, 30, 20);
	SNAP_REC(&w, EPCMM_SNAP_NODE, NULL, 0, 2048, 500);
	SNAP_REC(&w, EPCMM_SNAP_NODE, NULL, 1, 2048, 500);
	SNAP_REC(&w, EPCMM_SNAP_CGROUP, "/", 100, 200, UINT64_MAX, 0, 30, 20, 0);
	SNAP_REC(&w, EPCMM_SNAP_CGROUP, "/a", 4096, 8192, 1048576, 3, 5, 4, 1);
	SNAP_REC(&w, EPCMM_SNAP_CGROUP, "/a/x y", 0, 0, UINT64_MAX, 0, 0, 0, 0);
	SNAP_REC(&w, EPCMM_SNAP_CGROUP, "/q\"uote\\back", 0, 0, UINT64_MAX, 0, 0, 0, 0);
	SNAP_REC(&w, EPCMM_SNAP_CGROUP, "/tab\t", 0, 0, UINT64_MAX, 0, 0, 0, 0);
	SNAP_REC(&w, EPCMM_SNAP_CGROUP, "/latin\xe9", 0, 0, UINT64_MAX, 0, 0, 0, 0);
	SNAP_REC(&w, EPCMM_SNAP_CGROUP, "/caf\xc3\xa9", 0, 0, UINT64_MAX, 0, 0, 0, 0);
	SNAP_REC(&w, EPCMM_SNAP_CLIENT, "/a", 42, 2, 3, 0, 0);
	SNAP_REC(&w, EPCMM_SNAP_ENCL, NULL, 42, 4294967296, 65536, 2, 1, 5, 4, 9);
	SNAP_REC(&w, EPCMM_SNAP_ENCL, NULL, 42, 4294967297, 8192, 1, 1, 0, 0, 0);
	SNAP_REC(&w, EPCMM_SNAP_CLIENT, "/", 43, 1, 1, 1, 0);
	SNAP_REC(&w, EPCMM_SNAP_ENCL, NULL, 43, 4294967298, 4096, 1, 1, 0, 0, 0);
	SNAP_REC(&w, EPCMM_SNAP_ENCL, NULL, 44, 4294967299, 4096, 1, 1, 0, 0, 0);
	CHECK_EQ(epcmm_wr_err(&w), 0, "the records are written");
	CHECK_EQ(epcmm_snap_decode(w.buf, w.len, &v), 0, "the records decode");
	epcmm_wr_free(&w);
	return v;
}

static char *metrics_of(const struct epcmm_snapshot *v)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&out, &len);
	CHECK(f != NULL, "open_memstream");
	live_view_openmetrics(f, v);
	CHECK_EQ(fclose(f), 0, "the metrics are written");
	return out;
}

static void test_live_metrics_strict(void **state)
{
	static const char *const want[] = {
		"epcmm_epc_total_bytes",
		"epcmm_epc_free_bytes",
		"epcmm_epc_evictions_total",
		"epcmm_node_free_bytes{node=\"0\"}",
		"epcmm_node_free_bytes{node=\"1\"}",
		"epcmm_cgroup_usage_bytes{cgroup=\"/\"}",
		"epcmm_cgroup_usage_bytes{cgroup=\"/a\"}",
		"epcmm_cgroup_usage_bytes{cgroup=\"/a/x y\"}",
		"epcmm_cgroup_usage_bytes{cgroup=\"/q\\\"uote\\\\back\"}",
		"epcmm_cgroup_usage_bytes{cgroup=\"/tab\t\"}",
		"epcmm_cgroup_usage_bytes{cgroup=\"/latin\\\\351\"}",
		"epcmm_cgroup_usage_bytes{cgroup=\"/caf\xc3\xa9\"}",
		"epcmm_cgroup_max_bytes{cgroup=\"/a\"}",
		"epcmm_cgroup_events_max_total{cgroup=\"/a\"}",
		"epcmm_cgroup_evictions_total{cgroup=\"/a\"}",
		"epcmm_cgroup_reloads_total{cgroup=\"/a\"}",
		"epcmm_client_enclaves{pid=\"42\",cgroup=\"/a\"}",
		"epcmm_enclave_faults_total{pid=\"42\",enclave=\"4294967296\"}",
		"epcmm_enclave_faults_total{pid=\"42\",enclave=\"4294967297\"}",
		"epcmm_enclave_reloads_total{pid=\"42\",enclave=\"4294967296\"}",
	};
	struct epcmm_snapshot *v = awkward_state();
	char *out = metrics_of(v);
	struct om_reader r;

	(void)state;
	if (om_read(&r, out))
		fail_msg("the strict reader refuses the metrics: %s\n%s", r.why, out);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK(om_has(&r, want[i]), want[i]);
	CHECK(!om_has(&r, "epcmm_cgroup_max_bytes{cgroup=\"/\"}"),
	      "no max sample for a cgroup without a limit");
	CHECK(strstr(out, "epcmm_cgroup_max_bytes{cgroup=\"/a\"} 1048576\n") != NULL,
	      "the limit in bytes");
	CHECK(strstr(out, "epcmm_enclave_faults_total{pid=\"42\",enclave=\"4294967296\"} 9\n") != NULL,
	      "the enclave's faults");
	CHECK(strstr(out, "epcmm_node_free_bytes{node=\"1\"} 2048000\n") != NULL,
	      "a node's free pages in bytes");
	CHECK(strstr(out, "epcmm_enclave_size_bytes{pid=\"43\",enclave=\"4294967298\"} 4096\n") !=
		      NULL,
	      "the second client's enclave");
	CHECK(strstr(out, "pid=\"44\"") == NULL,
	      "an enclave record after another client's is left out");
	CHECK(strstr(out, "# TYPE epcmm_enclave_faults counter\n") != NULL,
	      "a counter's TYPE names the family without _total");
	om_free(&r);
	free(out);
	epcmm_snapshot_free(v);
}

static void test_live_metrics_empty(void **state)
{
	struct epcmm_snapshot empty = {0};
	char *out = metrics_of(&empty);
	struct om_reader r;

	(void)state;
	if (om_read(&r, out))
		fail_msg("the strict reader refuses the metrics of an empty report: %s\n%s", r.why,
			 out);
	CHECK(strstr(out, "# TYPE epcmm_cgroup_usage_bytes gauge\n") != NULL,
	      "every family is there without samples");
	om_free(&r);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_metrics_reader_refuses),
		cmocka_unit_test(test_live_metrics_strict),
		cmocka_unit_test(test_live_metrics_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
