// SPDX-License-Identifier: MIT
/*
 * scenario_read.c - reading a scenario file's text (see scenario.h for the
 * format's rules): the file-size cap, the lines fed to libinih, and the
 * message of an error at the current line.
 *
 * libinih does the INI syntax; we feed it one line at a time through our own
 * reader, which counts lines (inih's handler gets no line number), sees every
 * section header (inih reports a section only with its first key, so an
 * empty [enclave x] would vanish) and refuses what inih would silently
 * misread (over-long lines, which it cuts; indented lines, which it joins to
 * the previous value; NUL bytes). The handler checks each key as it comes
 * (scenario_keys.c); sim_scenario_finalize() checks the cross references once
 * every file is in (scenario_check.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "scenario.h"
#include "scenario_internal.h"

/* ------------------------------------------------------ messages, memory */

void sim__fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->failed)
		return;
	p->failed = true;
	n = snprintf(p->err, p->errlen, "%s:%u: ", p->file, p->line);
	if (n < 0 || (size_t)n >= p->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* The table's name of @f, from the header's list: the parser does not need
 * the library linked (the scenario fuzzer links sim/ alone). */
const char *sim__file_name(enum epc_cgroup_file f)
{
	static const char *const names[] = {EPC_CGROUP_FILE_NAMES};

	return names[f];
}

struct sim_loc sim__here(struct parser *p)
{
	return (struct sim_loc){.file = p->file, .line = p->line};
}

void *sim__grow(struct parser *p, void *arr, int nr, size_t elem)
{
	char *g = realloc(arr, (size_t)(nr + 1) * elem);

	if (!g) {
		p->enomem = 1;
		return NULL;
	}
	memset(g + (size_t)nr * elem, 0, elem);
	return g;
}

char *sim__dup_str(struct parser *p, const char *s)
{
	char *d = strdup(s);

	if (!d)
		p->enomem = 1;
	return d;
}

/* inih cuts " ; comment" from @raw; cut " # comment" the same way, and trailing space. */
static void value_clean(char *value, size_t size, const char *raw)
{
	size_t n;

	snprintf(value, size, "%s", raw);
	for (char *c = value; *c; c++)
		if (*c == '#' && c > value && isspace((unsigned char)c[-1])) {
			*c = '\0';
			break;
		}
	for (n = strlen(value); n && isspace((unsigned char)value[n - 1]);)
		value[--n] = '\0';
}

/* @key given before in this section of this file; else remember it. */
static bool key_seen(struct parser *p, const char *key)
{
	for (int i = 0; i < p->nr_seen; i++)
		if (!strcmp(p->seen[i], key))
			return true;
	if (p->nr_seen < (int)(sizeof(p->seen) / sizeof(p->seen[0])) &&
	    strlen(key) < sizeof(p->seen[0]))
		strcpy(p->seen[p->nr_seen++], key);
	return false;
}

/* inih's handler: one "key = value"; the section is ours (the reader saw its header). */
static int handler(void *user, const char *section, const char *key, const char *raw)
{
	struct parser *p = user;
	char value[LINE_MAX_CHARS + 1];

	value_clean(value, sizeof(value), raw);
	(void)section; /* ours is tracked by the reader, which saw the header */
	if (p->failed || p->enomem)
		return 0;
	if (p->kind == SECT_NONE) {
		sim__fail(p, "'%s' outside any section (put it under [global], [run], ...)", key);
		return 0;
	}
	if (key_seen(p, key)) {
		sim__fail(p, "%s %s: given twice in this section", p->header, key);
		return 0;
	}
	if (!*value) {
		sim__fail(p, "%s %s: no value", p->header, key);
		return 0;
	}
	sim__key(p, key, value);
	return !p->failed && !p->enomem;
}

/* @line (@n bytes) starts with space and is not a comment: inih would join it
 * to the previous value. */
static bool indented(const char *line, size_t n)
{
	size_t i = 0;

	while (i < n && isspace((unsigned char)line[i]))
		i++;
	return i > 0 && i < n && line[i] != ';' && line[i] != '#';
}

/*
 * inih's line source: one line of p->text into @str. Section headers are
 * opened here, before inih sees the line.
 */
static char *reader(char *str, int num, void *stream)
{
	struct parser *p = stream;
	size_t start = p->pos, end, n;
	const char *line;

	if (p->failed || p->enomem || p->pos >= p->len)
		return NULL;
	p->line++;
	end = start;
	while (end < p->len && p->text[end] != '\n')
		end++;
	p->pos = end < p->len ? end + 1 : end;
	n = end - start;
	if (n && p->text[end - 1] == '\r')
		n--;
	line = p->text + start;
	if (memchr(line, '\0', n)) {
		sim__fail(p, "a NUL byte: not a text file");
		return NULL;
	}
	if (n > LINE_MAX_CHARS || (int)n + 2 > num) {
		sim__fail(p, "line longer than %d characters", LINE_MAX_CHARS);
		return NULL;
	}
	memcpy(str, line, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	/* skip a UTF-8 BOM on line 1 as inih does */
	if (p->line == 1 && n >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3))
		line += 3, n -= 3;
	if (indented(line, n)) {
		sim__fail(p, "indented line (INI would join it to the previous value); start it in "
			     "the first column");
		return NULL;
	}
	if (n && line[0] == '[') {
		char hdr[LINE_MAX_CHARS + 1];

		memcpy(hdr, line, n);
		hdr[n] = '\0';
		sim__open_header(p, hdr);
		if (p->failed || p->enomem)
			return NULL;
	}
	return str;
}

static int add_file_name(struct sim_scenario *s, const char *name, const char **out)
{
	char **files = realloc(s->files, (size_t)(s->nr_files + 1) * sizeof(*files));

	if (!files)
		return -ENOMEM;
	s->files = files;
	if (!(files[s->nr_files] = strdup(name)))
		return -ENOMEM;
	*out = files[s->nr_files++];
	return 0;
}

/* The error of a file longer than SIM_SCENARIO_MAX_BYTES. Return: -EINVAL. */
static int too_big(const char *name, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: more than %u bytes: a scenario file is at most 1 MiB", name,
		 SIM_SCENARIO_MAX_BYTES);
	return -EINVAL;
}

int sim_scenario_parse(struct sim_scenario *s, const char *name, const char *text, size_t len,
		       char *err, size_t errlen)
{
	struct parser p = {.s = s, .text = text, .len = len, .err = err, .errlen = errlen};
	int ret;

	if (errlen)
		err[0] = '\0';
	if (add_file_name(s, name, &p.file))
		return -ENOMEM;
	if (len > SIM_SCENARIO_MAX_BYTES)
		return too_big(name, err, errlen);
	ret = ini_parse_stream(reader, &p, handler, &p);
	free(p.opened);
	if (p.enomem)
		return -ENOMEM;
	if (p.failed)
		return -EINVAL;
	if (ret < 0)
		return -ENOMEM;
	if (ret > 0) {
		p.line = (unsigned)ret;
		sim__fail(&p, "expected 'key = value', a [section] or a comment");
		return -EINVAL;
	}
	return 0;
}

/*
 * Read @f into *@buf (*@len bytes), one byte past SIM_SCENARIO_MAX_BYTES at
 * most: that byte tells a file too long, whatever it is (a pipe, /dev/zero).
 * Return: 0; -ENOMEM (*@buf freed).
 */
static int read_capped(FILE *f, char **buf, size_t *len)
{
	size_t cap = 0;

	*buf = NULL;
	*len = 0;
	while (*len <= SIM_SCENARIO_MAX_BYTES) {
		size_t got;

		if (*len == cap) {
			char *g;

			cap = cap ? cap * 2 : 8192;
			if (cap > SIM_SCENARIO_MAX_BYTES + 1)
				cap = SIM_SCENARIO_MAX_BYTES + 1;
			g = realloc(*buf, cap);
			if (!g) {
				free(*buf);
				return -ENOMEM;
			}
			*buf = g;
		}
		got = fread(*buf + *len, 1, cap - *len, f);
		*len += got;
		if (got == 0)
			break;
	}
	return 0;
}

int sim_scenario_parse_file(struct sim_scenario *s, const char *path, char *err, size_t errlen)
{
	bool is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "<stdin>" : path;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	char *buf;
	size_t len;
	int ret;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return ret;
	}
	if (read_capped(f, &buf, &len)) {
		ret = -ENOMEM;
		goto out_close;
	}
	if (ferror(f)) {
		ret = -EIO;
		snprintf(err, errlen, "%s: cannot read", path);
	} else if (len > SIM_SCENARIO_MAX_BYTES) {
		ret = too_big(name, err, errlen);
	} else {
		ret = sim_scenario_parse(s, name, buf, len, err, errlen);
	}
	free(buf);
out_close:
	if (!is_stdin)
		fclose(f);
	return ret;
}
