// SPDX-License-Identifier: MIT
/*
 * value.c - the numbers users give (value.h): the grammars, parsed digit by
 * digit with overflow checks, and the checked forms with their messages.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value.h"

/* Characters of the user's text quoted in a message. */
#define QUOTE_MAX 40

/* ---------------------------------------------------------------- grammars */

int sim_parse_digits(const char **text, uint64_t *out)
{
	const char *t = *text;
	uint64_t v = 0;
	int ret = 0;

	if (!isdigit((unsigned char)*t))
		return -EINVAL;
	for (; isdigit((unsigned char)*t); t++) {
		unsigned d = (unsigned)(*t - '0');

		if (v > (UINT64_MAX - d) / 10)
			ret = -ERANGE;
		else
			v = v * 10 + d;
	}
	*text = t;
	*out = v;
	return ret;
}

/* Digits and one optional suffix from @suffixes, each a factor @base more. */
static int parse_scaled(const char *text, uint64_t *out, const char *suffixes, uint64_t base)
{
	uint64_t v, mult = 1;
	const char *t = text, *s;
	int ret = sim_parse_digits(&t, &v);

	if (ret == -EINVAL)
		return ret;
	if (*t) {
		s = strchr(suffixes, toupper((unsigned char)*t));
		if (!s || t[1])
			return -EINVAL;
		for (long i = 0; i <= s - suffixes; i++)
			mult *= base;
	}
	if (ret || (v && mult > UINT64_MAX / v))
		return -ERANGE;
	*out = v * mult;
	return 0;
}

int sim_parse_size(const char *text, uint64_t *out)
{
	return parse_scaled(text, out, "KMGT", 1024);
}

int sim_parse_count(const char *text, uint64_t *out)
{
	return parse_scaled(text, out, "KMG", 1000);
}

int sim_parse_uint(const char *text, uint64_t *out)
{
	return parse_scaled(text, out, "", 1);
}

int sim_parse_decimal(const char *text, double *out)
{
	const char *t = text;

	if (!isdigit((unsigned char)*t))
		return -EINVAL;
	while (isdigit((unsigned char)*t))
		t++;
	if (*t == '.') {
		if (!isdigit((unsigned char)*++t))
			return -EINVAL;
		while (isdigit((unsigned char)*t))
			t++;
	}
	if (*t == 'e' || *t == 'E') {
		t += t[1] == '+' || t[1] == '-' ? 2 : 1;
		if (!isdigit((unsigned char)*t))
			return -EINVAL;
		while (isdigit((unsigned char)*t))
			t++;
	}
	if (*t)
		return -EINVAL;
	*out = strtod(text, NULL); /* the grammar is a subset of strtod's: inf if huge */
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int sim_parse_cpu_list(const char *text, int limit, int **out, int *nr)
{
	int *cpus = NULL, n = 0, cap = 0, ret = -EINVAL;
	const char *t = text;

	for (;;) {
		uint64_t lo, hi;
		int r = sim_parse_digits(&t, &lo);

		if (r == -EINVAL)
			goto fail;
		hi = lo;
		if (!r && *t == '-') {
			t++;
			r = sim_parse_digits(&t, &hi);
			if (r == -EINVAL)
				goto fail;
			if (!r && hi < lo) {
				ret = -EDOM;
				goto fail;
			}
		}
		if (r || hi >= (uint64_t)limit) {
			ret = -ERANGE;
			goto fail;
		}
		for (uint64_t c = lo; c <= hi; c++) {
			if (n == cap) {
				int *grown = realloc(cpus, (size_t)(cap = cap ? cap * 2 : 16) *
								   sizeof(*cpus));
				if (!grown) {
					ret = -ENOMEM;
					goto fail;
				}
				cpus = grown;
			}
			cpus[n++] = (int)c;
		}
		if (*t == '\0')
			break;
		if (*t != ',')
			goto fail;
		t++;
	}
	qsort(cpus, (size_t)n, sizeof(*cpus), cmp_int);
	for (int i = 1; i < n; i++)
		if (cpus[i] == cpus[i - 1])
			goto fail;
	*out = cpus;
	*nr = n;
	return 0;
fail:
	free(cpus);
	return ret;
}

/* ---------------------------------------------------------------- messages */

void sim_value_fmt_size(char *buf, size_t len, uint64_t v)
{
	static const char suffixes[] = "KMGT";
	int i = -1;

	if (v == UINT64_MAX) {
		snprintf(buf, len, "2^64-1");
		return;
	}
	while (v && i < 3 && v % 1024 == 0) {
		v /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)v, suffixes[i]);
}

static void fmt_uint(char *buf, size_t len, uint64_t v)
{
	if (v == UINT64_MAX)
		snprintf(buf, len, "2^64-1");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

/* @text for a message: at most QUOTE_MAX characters, "..." if cut. */
static const char *quote(char q[QUOTE_MAX + 4], const char *text)
{
	snprintf(q, QUOTE_MAX + 4, "%.*s%s", QUOTE_MAX, text,
		 strlen(text) > QUOTE_MAX ? "..." : "");
	return q;
}

/* "WHAT: 'TEXT' is not SYNTAX; RANGE)", @syntax ending in an open "(...". */
static int refuse_syntax(char *err, size_t errlen, const char *what, const char *text,
			 const char *syntax, const char *range)
{
	char q[QUOTE_MAX + 4];

	snprintf(err, errlen, "%s: '%s' is not %s; %s)", what, quote(q, text), syntax, range);
	return -EINVAL;
}

/* "WHAT: TEXT is out of range (RANGE)" */
static int refuse_range(char *err, size_t errlen, const char *what, const char *text,
			const char *range)
{
	char q[QUOTE_MAX + 4];

	snprintf(err, errlen, "%s: %s is out of range (%s)", what, quote(q, text), range);
	return -EINVAL;
}

/* "MIN to MAX" into @range (80 bytes), as sizes or as plain numbers. */
static const char *fmt_range(char range[80], uint64_t min, uint64_t max, bool sizes)
{
	char a[32], b[32];

	if (sizes) {
		sim_value_fmt_size(a, sizeof(a), min);
		sim_value_fmt_size(b, sizeof(b), max);
	} else {
		fmt_uint(a, sizeof(a), min);
		fmt_uint(b, sizeof(b), max);
	}
	snprintf(range, 80, "%s to %s", a, b);
	return range;
}

/* The checks every integer grammar shares, @ret being its parser's. */
static int check_u64(const char *what, const char *text, int ret, uint64_t v, uint64_t min,
		     uint64_t max, const char *syntax, bool sizes, char *err, size_t errlen)
{
	char range[80];

	fmt_range(range, min, max, sizes);
	if (ret == -EINVAL)
		return refuse_syntax(err, errlen, what, text, syntax, range);
	if (ret || v < min || v > max)
		return refuse_range(err, errlen, what, text, range);
	return 0;
}

int sim_value_size(const char *what, const char *text, uint64_t min, uint64_t max, uint64_t align,
		   uint64_t *out, char *err, size_t errlen)
{
	uint64_t v = 0;
	int ret = sim_parse_size(text, &v);

	ret = check_u64(what, text, ret, v, min, max,
			"a size (bytes, or with K, M, G, T: 4096, 64M, 2G", true, err, errlen);
	if (ret)
		return ret;
	if (align > 1 && v % align) {
		char a[32], range[80], q[QUOTE_MAX + 4];

		sim_value_fmt_size(a, sizeof(a), align);
		snprintf(err, errlen, "%s: %s is not a multiple of %s (%s)", what, quote(q, text),
			 a, fmt_range(range, min, max, true));
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int sim_value_size_list(const char *what, const char *text, uint64_t min, uint64_t max,
			uint64_t align, uint64_t *out, int max_nr, char *err, size_t errlen)
{
	char *copy = strdup(text), *tok, *comma;
	int nr = 0, ret = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = copy; !ret; tok = comma + 1) {
		comma = strchr(tok, ',');
		if (comma)
			*comma = '\0';
		while (tok != copy && isblank((unsigned char)*tok))
			tok++;
		if (nr == max_nr) {
			char q[QUOTE_MAX + 4];

			snprintf(err, errlen, "%s %s: more than %d sizes", what, quote(q, text),
				 max_nr);
			ret = -EINVAL;
		} else {
			ret = sim_value_size(what, tok, min, max, align, &out[nr++], err, errlen);
		}
		if (!comma)
			break;
	}
	free(copy);
	return ret ? ret : nr;
}

int sim_value_count(const char *what, const char *text, uint64_t min, uint64_t max, uint64_t *out,
		    char *err, size_t errlen)
{
	uint64_t v = 0;
	int ret = sim_parse_count(text, &v);

	ret = check_u64(what, text, ret, v, min, max,
			"a number (digits, optionally with k, M or G: 1000, 10k, 2M", false, err,
			errlen);
	if (!ret)
		*out = v;
	return ret;
}

int sim_value_uint(const char *what, const char *text, uint64_t min, uint64_t max, uint64_t *out,
		   char *err, size_t errlen)
{
	uint64_t v = 0;
	int ret = sim_parse_uint(text, &v);

	ret = check_u64(what, text, ret, v, min, max, "a number (digits", false, err, errlen);
	if (!ret)
		*out = v;
	return ret;
}

int sim_value_decimal(const char *what, const char *text, double min, bool min_excluded, double max,
		      const char *hint, double *out, char *err, size_t errlen)
{
	char range[96], syntax[128];
	double v = 0;
	int ret = sim_parse_decimal(text, &v);

	if (min_excluded)
		snprintf(range, sizeof(range), "above %.15g, at most %.15g", min, max);
	else
		snprintf(range, sizeof(range), "%.15g to %.15g", min, max);
	snprintf(syntax, sizeof(syntax), "a number (%s", hint);
	if (ret)
		return refuse_syntax(err, errlen, what, text, syntax, range);
	if (!isfinite(v) || v < min || (min_excluded && v == min) || v > max)
		return refuse_range(err, errlen, what, text, range);
	*out = v;
	return 0;
}
