// SPDX-License-Identifier: MIT
/*
 * scenario.c - the scenario parser (see scenario.h for the format's rules).
 *
 * libinih does the INI syntax; we feed it one line at a time through our own
 * reader, which counts lines (inih's handler gets no line number), sees every
 * section header (inih reports a section only with its first key, so an
 * empty [enclave x] would vanish) and refuses what inih would silently
 * misread (over-long lines, which it cuts; indented lines, which it joins to
 * the previous value; NUL bytes). The handler checks each key as it comes;
 * sim_scenario_finalize() checks the cross references once every file is in.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "pattern.h"
#include "scenario.h"
#include "trace.h"
#include "value.h"

#define LINE_MAX_CHARS	 (200 - 2) /* inih's buffer, less the newline and NUL */
#define DEFAULT_ACCESSES 1000000
#define AUTO_PHYS_BASE	 0x80000000ULL /* where sections without phys go */
/* an event's at: the machine's accesses, every enclave's at most */
#define SIM_MAX_EVENT_ACCESSES (SIM_MAX_ACCESSES * SIM_MAX_ENCLAVES)

enum sect_kind {
	SECT_NONE,
	SECT_NODE,
	SECT_SECTION,
	SECT_CGROUP,
	SECT_ENCLAVE,
	SECT_GLOBAL,
	SECT_RUN,
	SECT_EVENT,
};

struct parser {
	struct sim_scenario *s;
	const char *file; /* owned by s->files */
	const char *text;
	size_t len, pos;
	unsigned line;
	char *err;
	size_t errlen;
	bool failed;
	int enomem;
	/* the current section */
	enum sect_kind kind;
	char header[300];  /* "[enclave db]", for messages */
	int index;	   /* into the array of its kind */
	char seen[32][32]; /* keys given in this section in this file */
	int nr_seen;
	/* the sections opened in this file ("enclave db", "node 0"), each with
	 * its header's line: one header per section per file */
	struct opened {
		char id[160];
		unsigned line;
	} * opened;
	int nr_opened;
};

/* ------------------------------------------------------------- messages */

static void fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct parser *p, const char *fmt, ...)
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

static int fail_at(char *err, size_t errlen, const struct sim_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_at(char *err, size_t errlen, const struct sim_loc *loc, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (loc->line)
		n = snprintf(err, errlen, "%s:%u: ", loc->file, loc->line);
	else
		n = snprintf(err, errlen, "%s: ", loc->file);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The library's cgroup path grammar (epcmm.h), checked here to name the line. */
static bool cgroup_path_ok(const char *path)
{
	size_t n = strlen(path), start = 1;

	if (n == 0 || path[0] != '/')
		return false;
	if (n == 1)
		return true;
	for (size_t i = 1; i <= n; i++) {
		size_t len;

		if (i < n && path[i] != '/') {
			char c = path[i];

			if (!(isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-'))
				return false;
			continue;
		}
		len = i - start;
		if (len == 0 || len > 255 || (len == 1 && path[start] == '.') ||
		    (len == 2 && path[start] == '.' && path[start + 1] == '.'))
			return false;
		start = i + 1;
	}
	return true;
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= SIM_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)name[i]) || name[i] == '.' || name[i] == '_' ||
		      name[i] == '-'))
			return false;
	return true;
}

/* ------------------------------------------------------------ allocation */

static void *grow(struct parser *p, void *arr, int nr, size_t elem)
{
	char *g = realloc(arr, (size_t)(nr + 1) * elem);

	if (!g) {
		p->enomem = 1;
		return NULL;
	}
	memset(g + (size_t)nr * elem, 0, elem);
	return g;
}

static char *dup_str(struct parser *p, const char *s)
{
	char *d = strdup(s);

	if (!d)
		p->enomem = 1;
	return d;
}

static void pattern_free(struct sim_pattern *pt)
{
	free(pt->trace_path);
	pt->trace_path = NULL;
}

static void enclave_free(struct sim_enclave *e)
{
	free(e->cgroup);
	free(e->cpus);
	pattern_free(&e->pattern);
}

static void enclave_defaults(struct sim_enclave *e)
{
	e->threads = 1;
	e->accesses = DEFAULT_ACCESSES;
	e->pattern.kind = SIM_PATTERN_UNIFORM;
}

int sim_scenario_new(struct sim_scenario **out)
{
	struct sim_scenario *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	enclave_defaults(&s->global);
	s->run.seed = 1;
	s->run.mode = SIM_MODE_DETERMINISTIC;
	s->run.fallback = EPC_FALLBACK_NODE_ORDER;
	s->run.cost = (struct sim_cost){.access = SIM_COST_ACCESS,
					.fault = SIM_COST_FAULT,
					.ewb = SIM_COST_EWB,
					.eldu = SIM_COST_ELDU,
					.eaug = SIM_COST_EAUG,
					.trim = SIM_COST_TRIM,
					.clock_ghz = SIM_COST_CLOCK_GHZ};
	*out = s;
	return 0;
}

void sim_scenario_free(struct sim_scenario *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nr_files; i++)
		free(s->files[i]);
	free(s->files);
	for (int i = 0; i < s->nr_nodes; i++)
		free(s->nodes[i].cpus);
	free(s->nodes);
	free(s->sections);
	for (int i = 0; i < s->nr_cgroups; i++)
		free(s->cgroups[i].path);
	free(s->cgroups);
	for (int i = 0; i < s->nr_enclaves; i++)
		enclave_free(&s->enclaves[i]);
	free(s->enclaves);
	enclave_free(&s->global);
	for (int i = 0; i < s->nr_events; i++) {
		free(s->events[i].cgroup);
		free(s->events[i].enclave);
	}
	free(s->events);
	free(s->title);
	free(s->cpu_to_node);
	free(s->distance);
	free(s);
}

/* ---------------------------------------------------------- section headers */

static struct sim_loc here(struct parser *p)
{
	return (struct sim_loc){.file = p->file, .line = p->line};
}

/* "N" in 0..max-1 */
static bool parse_id(const char *arg, int max, int *out)
{
	uint64_t v;

	if (sim_parse_uint(arg, &v) || v >= (uint64_t)max)
		return false;
	*out = (int)v;
	return true;
}

static void open_node(struct parser *p, const char *arg)
{
	struct sim_scenario *s = p->s;
	int id;

	if (!parse_id(arg, EPC_MAX_NODES, &id))
		return fail(p, "[node %s]: a node is a number from 0 to %d", arg,
			    EPC_MAX_NODES - 1);
	for (int i = 0; i < s->nr_nodes; i++)
		if (s->nodes[i].id == id) {
			p->index = i;
			return;
		}
	if (!(s->nodes = grow(p, s->nodes, s->nr_nodes, sizeof(*s->nodes))))
		return;
	s->nodes[s->nr_nodes] = (struct sim_node){.id = id, .loc = here(p)};
	p->index = s->nr_nodes++;
}

static void open_section(struct parser *p, const char *arg)
{
	struct sim_scenario *s = p->s;
	int id;

	if (!parse_id(arg, EPC_MAX_SECTIONS, &id))
		return fail(p, "[section %s]: a section is a number from 0 to %d", arg,
			    EPC_MAX_SECTIONS - 1);
	for (int i = 0; i < s->nr_sections; i++)
		if (s->sections[i].id == id) {
			p->index = i;
			return;
		}
	if (!(s->sections = grow(p, s->sections, s->nr_sections, sizeof(*s->sections))))
		return;
	s->sections[s->nr_sections] = (struct sim_section){.id = id, .loc = here(p)};
	p->index = s->nr_sections++;
}

static int cgroup_add(struct parser *p, const char *path, struct sim_loc loc, bool implicit)
{
	struct sim_scenario *s = p->s;
	struct sim_cgroup *cg;

	if (s->nr_cgroups >= SIM_MAX_CGROUPS) {
		fail(p, "too many cgroups (at most %d)", SIM_MAX_CGROUPS);
		return -1;
	}
	if (!(s->cgroups = grow(p, s->cgroups, s->nr_cgroups, sizeof(*s->cgroups))))
		return -1;
	cg = &s->cgroups[s->nr_cgroups];
	cg->path = dup_str(p, path);
	if (!cg->path)
		return -1;
	cg->loc = loc;
	cg->max = SIM_UNLIMITED;
	cg->memory_max = SIM_UNLIMITED;
	cg->implicit = implicit;
	return s->nr_cgroups++;
}

static void open_cgroup(struct parser *p, const char *arg)
{
	struct sim_scenario *s = p->s;
	int i;

	if (!cgroup_path_ok(arg))
		return fail(p,
			    "[cgroup %s]: not a cgroup path (absolute, like /tenant-a/db; names "
			    "of letters, digits, '.', '_' and '-')",
			    arg);
	for (i = 0; i < s->nr_cgroups; i++)
		if (!strcmp(s->cgroups[i].path, arg)) {
			p->index = i;
			return;
		}
	i = cgroup_add(p, arg, here(p), false);
	if (i >= 0)
		p->index = i;
}

static void open_enclave(struct parser *p, const char *arg)
{
	struct sim_scenario *s = p->s;
	struct sim_enclave *e;

	if (!name_ok(arg))
		return fail(p,
			    "[enclave %s]: an enclave name is 1 to %d letters, digits, '.', '_' "
			    "or '-'",
			    arg, SIM_NAME_MAX - 1);
	for (int i = 0; i < s->nr_enclaves; i++)
		if (!strcmp(s->enclaves[i].name, arg)) {
			p->index = i;
			return;
		}
	if (s->nr_enclaves >= SIM_MAX_ENCLAVES)
		return fail(p, "too many enclaves (at most %d)", SIM_MAX_ENCLAVES);
	if (!(s->enclaves = grow(p, s->enclaves, s->nr_enclaves, sizeof(*s->enclaves))))
		return;
	e = &s->enclaves[s->nr_enclaves];
	enclave_defaults(e);
	snprintf(e->name, sizeof(e->name), "%s", arg);
	e->loc = here(p);
	p->index = s->nr_enclaves++;
}

static void open_event(struct parser *p, const char *arg)
{
	struct sim_scenario *s = p->s;
	struct sim_event *ev;

	if (!name_ok(arg))
		return fail(p,
			    "[event %s]: an event name is 1 to %d letters, digits, '.', '_' or "
			    "'-'",
			    arg, SIM_NAME_MAX - 1);
	for (int i = 0; i < s->nr_events; i++)
		if (!strcmp(s->events[i].name, arg)) {
			p->index = i;
			return;
		}
	if (s->nr_events >= SIM_MAX_EVENTS)
		return fail(p, "too many events (at most %d)", SIM_MAX_EVENTS);
	if (!(s->events = grow(p, s->events, s->nr_events, sizeof(*s->events))))
		return;
	ev = &s->events[s->nr_events];
	snprintf(ev->name, sizeof(ev->name), "%s", arg);
	ev->loc = here(p);
	p->index = s->nr_events++;
}

/*
 * The same section twice in one file is a mistake (its keys would merge
 * silently); a later file may extend or override it. Numbers are compared as
 * numbers ([node 01] is [node 1]).
 */
static void check_reopened(struct parser *p, const char *kind, const char *arg)
{
	char id[160];
	uint64_t v;

	if ((!strcmp(kind, "node") || !strcmp(kind, "section")) && !sim_parse_uint(arg, &v))
		snprintf(id, sizeof(id), "%s %llu", kind, (unsigned long long)v);
	else
		snprintf(id, sizeof(id), "%s %s", kind, arg);
	for (int i = 0; i < p->nr_opened; i++)
		if (!strcmp(p->opened[i].id, id))
			return fail(p,
				    "%s: already defined at line %u (a later file may extend it)",
				    p->header, p->opened[i].line);
	struct opened *g = grow(p, p->opened, p->nr_opened, sizeof(*p->opened));

	if (!g)
		return;
	p->opened = g;
	snprintf(p->opened[p->nr_opened].id, sizeof(p->opened[0].id), "%s", id);
	p->opened[p->nr_opened++].line = p->line;
}

/* A "[...]" line (leading space already skipped). */
static void open_header(struct parser *p, const char *line)
{
	const char *close = strchr(line, ']');
	char inner[128], *arg, *end;
	size_t n;

	if (!close)
		return fail(p, "section header without ']'");
	for (const char *t = close + 1; *t; t++) {
		if (*t == ';' || *t == '#')
			break;
		if (!isspace((unsigned char)*t))
			return fail(p, "text after the section header's ']'");
	}
	n = (size_t)(close - line - 1);
	if (n >= sizeof(inner))
		return fail(p, "section name too long");
	memcpy(inner, line + 1, n);
	inner[n] = '\0';
	/* trim, split "kind arg" at the first run of spaces */
	for (end = inner + n; end > inner && isspace((unsigned char)end[-1]);)
		*--end = '\0';
	arg = inner;
	while (isspace((unsigned char)*arg))
		arg++;
	memmove(inner, arg, strlen(arg) + 1);
	arg = inner + strcspn(inner, " \t");
	if (*arg) {
		*arg++ = '\0';
		while (isspace((unsigned char)*arg))
			arg++;
	}
	p->nr_seen = 0;
	p->kind = SECT_NONE;
	snprintf(p->header, sizeof(p->header), "[%s%s%s]", inner, *arg ? " " : "", arg);
	if (!strcmp(inner, "global") || !strcmp(inner, "run")) {
		if (*arg)
			return fail(p, "[%s] takes no name", inner);
		check_reopened(p, inner, "");
		p->kind = inner[0] == 'g' ? SECT_GLOBAL : SECT_RUN;
		return;
	}
	if (strcmp(inner, "node") && strcmp(inner, "section") && strcmp(inner, "cgroup") &&
	    strcmp(inner, "enclave") && strcmp(inner, "event"))
		return fail(p,
			    "unknown section %s (expected [node N], [section N], [cgroup /path], "
			    "[enclave NAME], [event NAME], [global] or [run])",
			    p->header);
	if (!*arg)
		return fail(p, "[%s] needs a %s", inner,
			    !strcmp(inner, "cgroup")	? "path: [cgroup /path]"
			    : !strcmp(inner, "enclave") ? "name: [enclave NAME]"
			    : !strcmp(inner, "event")	? "name: [event NAME]"
							: "number: [node N]");
	if (!p->failed)
		check_reopened(p, inner, arg);
	if (p->failed)
		return;
	switch (inner[0]) {
	case 'n':
		p->kind = SECT_NODE;
		open_node(p, arg);
		break;
	case 's':
		p->kind = SECT_SECTION;
		open_section(p, arg);
		break;
	case 'c':
		p->kind = SECT_CGROUP;
		open_cgroup(p, arg);
		break;
	case 'e':
		if (!strcmp(inner, "event")) {
			p->kind = SECT_EVENT;
			open_event(p, arg);
			break;
		}
		/* fall through */
	default:
		p->kind = SECT_ENCLAVE;
		open_enclave(p, arg);
		break;
	}
}

/* ------------------------------------------------------------------ keys */

/*
 * The value checks (value.h), each naming "[section] key" and the range in
 * its message. Return: true with *@out set; false, the parser failed.
 */
static bool want_size(struct parser *p, const char *key, const char *v, uint64_t min, uint64_t max,
		      uint64_t align, uint64_t *out)
{
	char what[sizeof(p->header) + 40], msg[SIM_VALUE_ERR_LEN + sizeof(what)];

	snprintf(what, sizeof(what), "%s %s", p->header, key);
	if (sim_value_size(what, v, min, max, align, out, msg, sizeof(msg))) {
		fail(p, "%s", msg);
		return false;
	}
	return true;
}

/* A limit: "max" (SIM_UNLIMITED) or a size in bytes, any number of them. */
static bool want_limit(struct parser *p, const char *key, const char *v, uint64_t *out)
{
	if (!strcmp(v, "max")) {
		*out = SIM_UNLIMITED;
		return true;
	}
	return want_size(p, key, v, 0, UINT64_MAX, 1, out);
}

static bool want_page_size(struct parser *p, const char *key, const char *v, uint64_t max,
			   uint64_t *out)
{
	return want_size(p, key, v, EPC_PAGE_SIZE, max, EPC_PAGE_SIZE, out);
}

static bool want_count(struct parser *p, const char *key, const char *v, uint64_t min, uint64_t max,
		       uint64_t *out)
{
	char what[sizeof(p->header) + 40], msg[SIM_VALUE_ERR_LEN + sizeof(what)];

	snprintf(what, sizeof(what), "%s %s", p->header, key);
	if (sim_value_count(what, v, min, max, out, msg, sizeof(msg))) {
		fail(p, "%s", msg);
		return false;
	}
	return true;
}

static bool want_decimal(struct parser *p, const char *key, const char *v, double min,
			 bool min_excluded, double max, const char *hint, double *out)
{
	char what[sizeof(p->header) + 40], msg[SIM_VALUE_ERR_LEN + sizeof(what)];

	snprintf(what, sizeof(what), "%s %s", p->header, key);
	if (sim_value_decimal(what, v, min, min_excluded, max, hint, out, msg, sizeof(msg))) {
		fail(p, "%s", msg);
		return false;
	}
	return true;
}

static bool want_cpus(struct parser *p, const char *key, const char *v, int **cpus, int *nr)
{
	int *list = NULL, n = 0, ret = sim_parse_cpu_list(v, EPC_MAX_CPUS, &list, &n);

	if (ret == -ENOMEM) {
		p->enomem = 1;
		return false;
	}
	if (ret == -ERANGE) {
		fail(p, "%s %s: '%s': CPUs are numbered 0 to %d", p->header, key, v,
		     EPC_MAX_CPUS - 1);
		return false;
	}
	if (ret == -EDOM) {
		fail(p, "%s %s: '%s': a range is written low to high (like 1-3)", p->header, key,
		     v);
		return false;
	}
	if (ret) {
		fail(p, "%s %s: '%s' is not a CPU list (like 0-3,8; each CPU once)", p->header, key,
		     v);
		return false;
	}
	free(*cpus);
	*cpus = list;
	*nr = n;
	return true;
}

static bool parse_enum(const char *v, const char *const *names, int n, int *out)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v, names[i])) {
			*out = i;
			return true;
		}
	return false;
}

static void key_node(struct parser *p, const char *key, const char *v)
{
	struct sim_node *n = &p->s->nodes[p->index];

	if (!strcmp(key, "cpus")) {
		if (want_cpus(p, key, v, &n->cpus, &n->nr_cpus))
			n->cpus_loc = here(p);
	} else if (!strcmp(key, "distances")) {
		const char *t = v;
		int i = 0;

		for (;; i++) {
			const char *t0;
			uint64_t d;
			int r;

			if (i == EPC_MAX_NODES)
				return fail(p, "%s distances: more than %d entries", p->header,
					    EPC_MAX_NODES);
			while (*t == ' ')
				t++;
			t0 = t;
			r = sim_parse_digits(&t, &d);
			if (r == -EINVAL)
				return fail(p,
					    "%s distances: '%s' is not a list of numbers (like "
					    "10,21: one per node, this node's own 10)",
					    p->header, v);
			if (r || d < 10 || d > 255)
				return fail(p, "%s distances: %.*s is out of range (10 to 255)",
					    p->header, (int)(t - t0), t0);
			n->distances[i] = (uint8_t)d;
			while (*t == ' ')
				t++;
			if (!*t)
				break;
			if (*t != ',')
				return fail(p,
					    "%s distances: '%s' is not a list of numbers (like "
					    "10,21: one per node, this node's own 10)",
					    p->header, v);
			t++;
		}
		n->nr_distances = i + 1;
		n->distances_loc = here(p);
	} else {
		fail(p, "%s: unknown key '%s' (a node has cpus and distances)", p->header, key);
	}
}

static void key_section(struct parser *p, const char *key, const char *v)
{
	struct sim_section *sec = &p->s->sections[p->index];

	if (!strcmp(key, "node")) {
		if (!parse_id(v, EPC_MAX_NODES, &sec->node))
			return fail(p, "%s node: '%s' is not a node number (0 to %d)", p->header, v,
				    EPC_MAX_NODES - 1);
		sec->node_loc = here(p);
	} else if (!strcmp(key, "size")) {
		if (want_page_size(p, key, v, SIM_MAX_SECTION_BYTES, &sec->size))
			sec->size_loc = here(p);
	} else if (!strcmp(key, "phys")) {
		char *end;
		unsigned long long a;

		errno = 0;
		a = strtoull(v, &end, 0);
		if (!isdigit((unsigned char)v[0]) || *end)
			return fail(p, "%s phys: '%s' is not an address (like 0x80000000)",
				    p->header, v);
		if (errno)
			return fail(p, "%s phys: %s is out of range (0 to 0xfffffffffffff000)",
				    p->header, v);
		if (a % EPC_PAGE_SIZE)
			return fail(p, "%s phys: %s is not 4K aligned", p->header, v);
		sec->phys = a;
		sec->has_phys = true;
		sec->phys_loc = here(p);
	} else {
		fail(p, "%s: unknown key '%s' (a section has node, size and phys)", p->header, key);
	}
}

static void key_cgroup(struct parser *p, const char *key, const char *v)
{
	struct sim_cgroup *cg = &p->s->cgroups[p->index];
	bool root = !strcmp(cg->path, "/");

	if (!strcmp(key, "max")) {
		if (root)
			return fail(p, "[cgroup /] max: the root has no misc.max (its limit is the "
				       "EPC's size)");
		if (want_limit(p, key, v, &cg->max))
			cg->max_loc = here(p);
	} else if (!strcmp(key, "memory.max")) {
		if (root)
			return fail(p, "[cgroup /] memory.max: the root has no memory.max (its limit "
				       "is the host's memory)");
		if (want_limit(p, key, v, &cg->memory_max))
			cg->memory_max_loc = here(p);
	} else {
		fail(p, "%s: unknown key '%s' (a cgroup has max and memory.max)", p->header, key);
	}
}

static void key_pattern(struct parser *p, struct sim_enclave *e, const char *v)
{
	struct sim_pattern pt = {0};
	const char *arg = strchr(v, ':');
	size_t kl = arg ? (size_t)(arg - v) : strlen(v);

	if (arg)
		arg++;
	if (kl == 7 && !strncmp(v, "uniform", 7) && !arg) {
		pt.kind = SIM_PATTERN_UNIFORM;
	} else if (kl == 10 && !strncmp(v, "sequential", 10) && !arg) {
		pt.kind = SIM_PATTERN_SEQUENTIAL;
	} else if (kl == 4 && !strncmp(v, "zipf", 4)) {
		pt.kind = SIM_PATTERN_ZIPF;
		if (!arg || !*arg)
			return fail(p, "%s pattern: zipf needs its exponent: zipf:0.99", p->header);
		if (!want_decimal(p, "pattern zipf", arg, 0, true, SIM_ZIPF_THETA_MAX, "like 0.99",
				  &pt.theta))
			return;
	} else if (kl == 11 && !strncmp(v, "working-set", 11)) {
		pt.kind = SIM_PATTERN_WORKING_SET;
		if (!arg || !*arg)
			return fail(p, "%s pattern: working-set needs its size: working-set:16M",
				    p->header);
		if (!want_page_size(p, "pattern working-set", arg, EPC_ENCL_MAX_SIZE, &pt.ws_bytes))
			return;
	} else if (kl == 5 && !strncmp(v, "trace", 5)) {
		const char *slash = strrchr(p->file, '/');

		pt.kind = SIM_PATTERN_TRACE;
		if (!arg || !*arg)
			return fail(p, "%s pattern: trace needs a file: trace:FILE", p->header);
		if (arg[0] != '/' && slash) {
			if (asprintf(&pt.trace_path, "%.*s/%s", (int)(slash - p->file), p->file,
				     arg) < 0) {
				pt.trace_path = NULL;
				p->enomem = 1;
			}
		} else {
			pt.trace_path = dup_str(p, arg);
		}
		if (!pt.trace_path)
			return;
	} else {
		return fail(p,
			    "%s pattern: unknown pattern '%s' (sequential, uniform, zipf:THETA, "
			    "working-set:SIZE or trace:FILE)",
			    p->header, v);
	}
	pattern_free(&e->pattern);
	e->pattern = pt;
}

static void key_enclave(struct parser *p, struct sim_enclave *e, const char *key, const char *v)
{
	static const char *const names[SIM_EK_NR] = {
		[SIM_EK_CGROUP] = "cgroup",   [SIM_EK_SIZE] = "size",
		[SIM_EK_THREADS] = "threads", [SIM_EK_CPUS] = "cpus",
		[SIM_EK_PATTERN] = "pattern", [SIM_EK_ACCESSES] = "accesses",
		[SIM_EK_WRITES] = "writes",   [SIM_EK_START_DELAY] = "start-delay",
		[SIM_EK_START] = "start",     [SIM_EK_DYNAMIC] = "dynamic",
		[SIM_EK_STATIC] = "static",
	};
	static const char *const starts[] = {"delay", "event"};
	static const char *const onoff[] = {"off", "on"};
	int i;
	int k;
	uint64_t n;

	for (k = 0; k < SIM_EK_NR; k++)
		if (!strcmp(key, names[k]))
			break;
	switch (k) {
	case SIM_EK_CGROUP:
		if (!cgroup_path_ok(v))
			return fail(p, "%s cgroup: '%s' is not a cgroup path (like /tenant-a)",
				    p->header, v);
		free(e->cgroup);
		if (!(e->cgroup = dup_str(p, v)))
			return;
		break;
	case SIM_EK_SIZE:
		if (!want_page_size(p, key, v, EPC_ENCL_MAX_SIZE, &e->size))
			return;
		break;
	case SIM_EK_THREADS:
		if (!want_count(p, key, v, 1, SIM_MAX_THREADS, &n))
			return;
		e->threads = (unsigned)n;
		break;
	case SIM_EK_CPUS:
		if (!want_cpus(p, key, v, &e->cpus, &e->nr_cpus))
			return;
		break;
	case SIM_EK_PATTERN:
		key_pattern(p, e, v);
		if (p->failed)
			return;
		break;
	case SIM_EK_ACCESSES:
		if (!want_count(p, key, v, 1, SIM_MAX_ACCESSES, &e->accesses))
			return;
		break;
	case SIM_EK_WRITES: {
		char buf[16];
		size_t l = strlen(v);

		if (l && l < sizeof(buf) && v[l - 1] == '%') {
			memcpy(buf, v, l - 1);
			buf[l - 1] = '\0';
			v = buf;
		}
		if (!want_count(p, key, v, 0, 100, &n))
			return;
		e->writes = (unsigned)n;
		break;
	}
	case SIM_EK_START_DELAY:
		if (!want_count(p, key, v, 0, SIM_MAX_ACCESSES, &e->start_delay))
			return;
		break;
	case SIM_EK_START:
		if (!parse_enum(v, starts, 2, &i))
			return fail(p, "%s start: '%s' (expected delay or event)", p->header, v);
		e->start_event = i;
		break;
	case SIM_EK_DYNAMIC:
		if (!parse_enum(v, onoff, 2, &i))
			return fail(p, "%s dynamic: '%s' (expected on or off)", p->header, v);
		e->dynamic = i;
		break;
	case SIM_EK_STATIC:
		if (!want_size(p, key, v, 0, EPC_ENCL_MAX_SIZE, EPC_PAGE_SIZE, &e->static_size))
			return;
		break;
	default:
		return fail(p,
			    "%s: unknown key '%s' (an enclave has cgroup, size, threads, cpus, "
			    "pattern, accesses, writes, start-delay, start, dynamic and static)",
			    p->header, key);
	}
	e->set |= 1u << k;
	e->key_loc[k] = here(p);
}

static void key_run(struct parser *p, const char *key, const char *v)
{
	static const char *const modes[] = {"deterministic", "threads"};
	static const char *const fallbacks[] = {"node-order", "distance"};
	static const char *const onoff[] = {"off", "on"};
	struct sim_run_opts *r = &p->s->run;
	uint64_t n;
	int i;

	if (!strcmp(key, "seed")) {
		char msg[SIM_VALUE_ERR_LEN];

		if (sim_value_uint("[run] seed", v, 0, UINT64_MAX, &n, msg, sizeof(msg)))
			return fail(p, "%s", msg);
		r->seed = n;
	} else if (!strcmp(key, "mode")) {
		if (!parse_enum(v, modes, 2, &i))
			return fail(p, "[run] mode: '%s' (expected deterministic or threads)", v);
		r->mode = (enum sim_mode)i;
	} else if (!strcmp(key, "fallback")) {
		if (!parse_enum(v, fallbacks, 2, &i))
			return fail(p, "[run] fallback: '%s' (expected node-order or distance)", v);
		r->fallback = (enum epc_fallback)i;
	} else if (!strcmp(key, "pcp-batch")) {
		if (want_count(p, key, v, 0, EPC_PCP_BATCH_MAX, &n))
			r->pcp_batch = (unsigned)n;
	} else if (!strcmp(key, "contents")) {
		if (!parse_enum(v, onoff, 2, &i))
			return fail(p, "[run] contents: '%s' (expected on or off)", v);
		r->contents = i;
	} else if (!strcmp(key, "margin-reclaim")) {
		if (!parse_enum(v, onoff, 2, &i))
			return fail(p, "[run] margin-reclaim: '%s' (expected on or off)", v);
		r->margin_reclaim = i;
	} else if (!strcmp(key, "cycles-access")) {
		want_count(p, key, v, 0, SIM_MAX_COST_CYCLES, &r->cost.access);
	} else if (!strcmp(key, "cycles-fault")) {
		want_count(p, key, v, 0, SIM_MAX_COST_CYCLES, &r->cost.fault);
	} else if (!strcmp(key, "cycles-ewb")) {
		want_count(p, key, v, 0, SIM_MAX_COST_CYCLES, &r->cost.ewb);
	} else if (!strcmp(key, "cycles-eldu")) {
		want_count(p, key, v, 0, SIM_MAX_COST_CYCLES, &r->cost.eldu);
	} else if (!strcmp(key, "cycles-eaug")) {
		want_count(p, key, v, 0, SIM_MAX_COST_CYCLES, &r->cost.eaug);
	} else if (!strcmp(key, "cycles-trim")) {
		want_count(p, key, v, 0, SIM_MAX_COST_CYCLES, &r->cost.trim);
	} else if (!strcmp(key, "clock-ghz")) {
		want_decimal(p, key, v, SIM_MIN_CLOCK_GHZ, false, SIM_MAX_CLOCK_GHZ, "like 3.0",
			     &r->cost.clock_ghz);
	} else {
		fail(p,
		     "[run]: unknown key '%s' (seed, mode, fallback, pcp-batch, contents, "
		     "margin-reclaim, cycles-access, cycles-fault, cycles-ewb, cycles-eldu, "
		     "cycles-eaug, cycles-trim, clock-ghz)",
		     key);
	}
}

/* Time units an event's at takes, longest suffix first: seconds per unit. */
static const struct {
	const char *suffix;
	double seconds;
} at_units[] = {{"ms", 1e-3}, {"us", 1e-6}, {"s", 1}};

/* "at = 200k" (the machine's accesses) or "at = 5ms" (modelled time). */
static void key_event_at(struct parser *p, struct sim_event *ev, const char *v)
{
	char what[sizeof(p->header) + 8], msg[SIM_VALUE_ERR_LEN + sizeof(what)];
	size_t n = strlen(v);
	uint64_t count;

	snprintf(what, sizeof(what), "%s at", p->header);
	for (size_t u = 0; u < sizeof(at_units) / sizeof(at_units[0]); u++) {
		size_t sl = strlen(at_units[u].suffix);
		char num[LINE_MAX_CHARS + 1];
		double x;

		if (n <= sl || strcmp(v + n - sl, at_units[u].suffix))
			continue;
		snprintf(num, sizeof(num), "%.*s", (int)(n - sl), v);
		if (sim_parse_decimal(num, &x))
			break; /* "5ns", "x s": the message below */
		if (x * at_units[u].seconds > SIM_MAX_EVENT_SECONDS)
			return fail(p, "%s: %s is out of range (0 to %.0f s of modelled time)", what,
				    v, SIM_MAX_EVENT_SECONDS);
		ev->clock = SIM_AT_SECONDS;
		ev->at_seconds = x * at_units[u].seconds;
		goto done;
	}
	if (sim_parse_count(v, &count) == -EINVAL)
		return fail(p,
			    "%s: '%s' is neither an access count (like 200k: the machine's "
			    "accesses) nor a modelled time (like 5ms, 2.5s or 100us)",
			    what, v);
	if (sim_value_count(what, v, 0, SIM_MAX_EVENT_ACCESSES, &ev->at, msg, sizeof(msg)))
		return fail(p, "%s", msg);
	ev->clock = SIM_AT_ACCESSES;
done:
	snprintf(ev->at_text, sizeof(ev->at_text), "%s", v);
	ev->has_at = true;
	ev->at_loc = here(p);
}

/* The action of @ev, given by @key: one per event, whichever file gave it. */
static bool event_action(struct parser *p, struct sim_event *ev, const char *key,
			 enum sim_event_action a)
{
	static const char *const keys[] = {
		[SIM_EVENT_MISC_MAX] = "max",	  [SIM_EVENT_MEMORY_MAX] = "memory.max",
		[SIM_EVENT_START] = "action",	  [SIM_EVENT_STOP] = "action",
		[SIM_EVENT_TRIM] = "trim",
	};

	if (ev->action != SIM_EVENT_NONE && strcmp(keys[ev->action], key)) {
		fail(p, "%s %s: an event does one thing, and %s is given at %s:%u (make another "
			"[event])",
		     p->header, key, keys[ev->action], ev->action_loc.file, ev->action_loc.line);
		return false;
	}
	ev->action = a;
	ev->action_loc = here(p);
	return true;
}

static void key_event(struct parser *p, const char *key, const char *v)
{
	static const char *const actions[] = {"start", "stop"};
	struct sim_event *ev = &p->s->events[p->index];
	uint64_t limit;
	int i;

	if (!strcmp(key, "at")) {
		key_event_at(p, ev, v);
	} else if (!strcmp(key, "cgroup")) {
		if (!cgroup_path_ok(v))
			return fail(p, "%s cgroup: '%s' is not a cgroup path (like /tenant-a)",
				    p->header, v);
		free(ev->cgroup);
		if ((ev->cgroup = dup_str(p, v)))
			ev->cgroup_loc = here(p);
	} else if (!strcmp(key, "enclave")) {
		if (!name_ok(v))
			return fail(p,
				    "%s enclave: '%s' is not an enclave name (1 to %d letters, "
				    "digits, '.', '_' or '-')",
				    p->header, v, SIM_NAME_MAX - 1);
		free(ev->enclave);
		if ((ev->enclave = dup_str(p, v)))
			ev->enclave_loc = here(p);
	} else if (!strcmp(key, "max") || !strcmp(key, "memory.max")) {
		if (want_limit(p, key, v, &limit) &&
		    event_action(p, ev, key,
				 strcmp(key, "max") ? SIM_EVENT_MEMORY_MAX : SIM_EVENT_MISC_MAX))
			ev->value = limit;
	} else if (!strcmp(key, "action")) {
		if (!parse_enum(v, actions, 2, &i))
			return fail(p, "%s action: '%s' (expected start or stop)", p->header, v);
		event_action(p, ev, key, i ? SIM_EVENT_STOP : SIM_EVENT_START);
	} else if (!strcmp(key, "trim")) {
		if (want_size(p, key, v, EPC_PAGE_SIZE, EPC_ENCL_MAX_SIZE, EPC_PAGE_SIZE, &limit) &&
		    event_action(p, ev, key, SIM_EVENT_TRIM))
			ev->value = limit;
	} else {
		fail(p,
		     "%s: unknown key '%s' (an event has at, and cgroup with max or memory.max, "
		     "or enclave with action or trim)",
		     p->header, key);
	}
}

static int handler(void *user, const char *section, const char *key, const char *raw)
{
	struct parser *p = user;
	char value[LINE_MAX_CHARS + 1];
	size_t n;

	/* inih cuts " ; comment"; cut " # comment" the same way */
	snprintf(value, sizeof(value), "%s", raw);
	for (char *c = value; *c; c++)
		if (*c == '#' && c > value && isspace((unsigned char)c[-1])) {
			*c = '\0';
			break;
		}
	for (n = strlen(value); n && isspace((unsigned char)value[n - 1]);)
		value[--n] = '\0';

	(void)section; /* ours is tracked by the reader, which saw the header */
	if (p->failed || p->enomem)
		return 0;
	if (p->kind == SECT_NONE) {
		fail(p, "'%s' outside any section (put it under [global], [run], ...)", key);
		return 0;
	}
	for (int i = 0; i < p->nr_seen; i++)
		if (!strcmp(p->seen[i], key)) {
			fail(p, "%s %s: given twice in this section", p->header, key);
			return 0;
		}
	if (p->nr_seen < (int)(sizeof(p->seen) / sizeof(p->seen[0])) &&
	    strlen(key) < sizeof(p->seen[0]))
		strcpy(p->seen[p->nr_seen++], key);
	if (!*value) {
		fail(p, "%s %s: no value", p->header, key);
		return 0;
	}
	switch (p->kind) {
	case SECT_NODE:
		key_node(p, key, value);
		break;
	case SECT_SECTION:
		key_section(p, key, value);
		break;
	case SECT_CGROUP:
		key_cgroup(p, key, value);
		break;
	case SECT_ENCLAVE:
		key_enclave(p, &p->s->enclaves[p->index], key, value);
		break;
	case SECT_GLOBAL:
		key_enclave(p, &p->s->global, key, value);
		break;
	case SECT_EVENT:
		key_event(p, key, value);
		break;
	default:
		key_run(p, key, value);
		break;
	}
	return !p->failed && !p->enomem;
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
		fail(p, "a NUL byte: not a text file");
		return NULL;
	}
	if (n > LINE_MAX_CHARS || (int)n + 2 > num) {
		fail(p, "line longer than %d characters", LINE_MAX_CHARS);
		return NULL;
	}
	memcpy(str, line, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	/* skip a UTF-8 BOM on line 1 as inih does */
	if (p->line == 1 && n >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3))
		line += 3, n -= 3;
	if (n && isspace((unsigned char)line[0])) {
		size_t i = 0;

		while (i < n && isspace((unsigned char)line[i]))
			i++;
		if (i < n && line[i] != ';' && line[i] != '#') {
			fail(p, "indented line (INI would join it to the previous value); start it "
				"in the first column");
			return NULL;
		}
	}
	if (n && line[0] == '[') {
		char hdr[LINE_MAX_CHARS + 1];

		memcpy(hdr, line, n);
		hdr[n] = '\0';
		open_header(p, hdr);
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
		fail(&p, "expected 'key = value', a [section] or a comment");
		return -EINVAL;
	}
	return 0;
}

int sim_scenario_parse_file(struct sim_scenario *s, const char *path, char *err, size_t errlen)
{
	bool is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "<stdin>" : path;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int ret;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return ret;
	}
	/* one byte past the cap tells a file too long, whatever it is (a pipe, /dev/zero) */
	while (len <= SIM_SCENARIO_MAX_BYTES) {
		size_t got;

		if (len == cap) {
			char *g;

			cap = cap ? cap * 2 : 8192;
			if (cap > SIM_SCENARIO_MAX_BYTES + 1)
				cap = SIM_SCENARIO_MAX_BYTES + 1;
			g = realloc(buf, cap);
			if (!g) {
				free(buf);
				if (!is_stdin)
					fclose(f);
				return -ENOMEM;
			}
			buf = g;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
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
	if (!is_stdin)
		fclose(f);
	return ret;
}

/* ------------------------------------------------------------ finalize */

static int cmp_node(const void *a, const void *b)
{
	return cmp_int(&((const struct sim_node *)a)->id, &((const struct sim_node *)b)->id);
}

static int cmp_section(const void *a, const void *b)
{
	return cmp_int(&((const struct sim_section *)a)->id, &((const struct sim_section *)b)->id);
}

/* Pre-order: compare component by component, so a parent sorts before its children. */
static int cmp_cgroup(const void *a, const void *b)
{
	const char *x = ((const struct sim_cgroup *)a)->path,
		   *y = ((const struct sim_cgroup *)b)->path;

	for (; *x && *x == *y; x++, y++)
		;
	if (*x == '/' && *y)
		return -1;
	if (*y == '/' && *x)
		return 1;
	return (unsigned char)*x - (unsigned char)*y;
}

static int finalize_nodes(struct sim_scenario *s, char *err, size_t errlen)
{
	struct sim_loc first = {.file = s->files[0], .line = 0};
	int n, with_cpus = 0, with_dist = 0, max_cpu = -1;

	if (s->nr_nodes == 0) {
		if (!(s->nodes = calloc(1, sizeof(*s->nodes))))
			return -ENOMEM;
		s->nodes[0].loc = first;
		s->nr_nodes = 1;
	}
	n = s->nr_nodes;
	qsort(s->nodes, (size_t)n, sizeof(*s->nodes), cmp_node);
	for (int i = 0; i < n; i++)
		if (s->nodes[i].id != i)
			return fail_at(
				err, errlen, &s->nodes[i].loc,
				"[node %d]: nodes are numbered 0 to N-1 without gaps (node %d "
				"is missing)",
				s->nodes[i].id, i);
	for (int i = 0; i < n; i++) {
		with_cpus += s->nodes[i].cpus != NULL;
		for (int c = 0; c < s->nodes[i].nr_cpus; c++)
			if (s->nodes[i].cpus[c] > max_cpu)
				max_cpu = s->nodes[i].cpus[c];
	}
	if (with_cpus == 0) {
		s->nr_cpus = n;
		if (!(s->cpu_to_node = malloc((size_t)(unsigned)n * sizeof(int))))
			return -ENOMEM;
		for (int i = 0; i < n; i++)
			s->cpu_to_node[i] = i;
	} else {
		s->nr_cpus = max_cpu + 1;
		if (!(s->cpu_to_node = malloc((size_t)s->nr_cpus * sizeof(int))))
			return -ENOMEM;
		for (int c = 0; c < s->nr_cpus; c++)
			s->cpu_to_node[c] = -1;
		for (int i = 0; i < n; i++) {
			struct sim_node *nd = &s->nodes[i];

			if (!nd->cpus)
				return fail_at(err, errlen, &nd->loc,
					       "[node %d]: no cpus (give every node its cpus, or "
					       "none)",
					       i);
			for (int c = 0; c < nd->nr_cpus; c++) {
				int cpu = nd->cpus[c];

				if (s->cpu_to_node[cpu] >= 0)
					return fail_at(err, errlen, &nd->cpus_loc,
						       "[node %d] cpus: CPU %d is in node %d "
						       "already",
						       i, cpu, s->cpu_to_node[cpu]);
				s->cpu_to_node[cpu] = i;
			}
		}
		for (int c = 0; c < s->nr_cpus; c++)
			if (s->cpu_to_node[c] < 0)
				return fail_at(err, errlen, &s->nodes[0].loc,
					       "CPU %d is in no node (CPUs are numbered 0 to N-1 "
					       "without gaps)",
					       c);
	}
	/* distances: all or none */
	for (int i = 0; i < n; i++)
		with_dist += s->nodes[i].nr_distances > 0;
	for (int i = 0; i < n && with_dist; i++) {
		struct sim_node *nd = &s->nodes[i];

		if (!nd->nr_distances)
			return fail_at(err, errlen, &nd->loc,
				       "[node %d]: no distances (give every node its distances, or "
				       "none)",
				       i);
		if (nd->nr_distances != n)
			return fail_at(err, errlen, &nd->distances_loc,
				       "[node %d] distances: %d entries for %d nodes", i,
				       nd->nr_distances, n);
		for (int j = 0; j < n; j++) {
			if (j == i && nd->distances[j] != 10)
				return fail_at(
					err, errlen, &nd->distances_loc,
					"[node %d] distances: entry %d (the node itself) must "
					"be 10",
					i, j);
			if (j != i && nd->distances[j] == 10)
				return fail_at(
					err, errlen, &nd->distances_loc,
					"[node %d] distances: entry %d must be 11 to 255 (10 "
					"is the node itself)",
					i, j);
		}
		if (!s->distance && !(s->distance = malloc((size_t)n * (size_t)n)))
			return -ENOMEM;
		memcpy(s->distance + (size_t)i * (size_t)n, nd->distances, (size_t)n);
	}
	return 0;
}

static int finalize_sections(struct sim_scenario *s, char *err, size_t errlen)
{
	uint64_t next = AUTO_PHYS_BASE;

	if (s->nr_sections == 0) {
		struct sim_loc loc = {.file = s->files[s->nr_files - 1], .line = 0};

		return fail_at(err, errlen, &loc,
			       "no [section N]: the machine needs EPC (for example [section 0] "
			       "with size = 64M)");
	}
	qsort(s->sections, (size_t)s->nr_sections, sizeof(*s->sections), cmp_section);
	for (int i = 0; i < s->nr_sections; i++) {
		struct sim_section *a = &s->sections[i];

		if (!a->size)
			return fail_at(err, errlen, &a->loc, "[section %d]: no size", a->id);
		if (a->node >= s->nr_nodes)
			return fail_at(err, errlen, &a->node_loc,
				       "[section %d] node: node %d is not defined (nodes 0 to %d)",
				       a->id, a->node, s->nr_nodes - 1);
		if (a->has_phys && a->phys > UINT64_MAX - a->size)
			return fail_at(
				err, errlen, &a->phys_loc,
				"[section %d] phys: 0x%llx plus its size runs past the end of "
				"the address space (2^64)",
				a->id, (unsigned long long)a->phys);
		if (a->has_phys && a->phys + a->size > next)
			next = a->phys + a->size;
	}
	for (int i = 0; i < s->nr_sections; i++) {
		struct sim_section *a = &s->sections[i];

		if (a->has_phys)
			continue;
		if (next > UINT64_MAX - (1ULL << 30) - a->size)
			return fail_at(
				err, errlen, &a->loc,
				"[section %d]: no room for it above the sections with a phys "
				"(give it a phys)",
				a->id);
		a->phys = (next + (1ULL << 30) - 1) & ~((1ULL << 30) - 1); /* GiB aligned */
		next = a->phys + a->size;
	}
	for (int i = 0; i < s->nr_sections; i++)
		for (int j = 0; j < s->nr_sections; j++) {
			struct sim_section *a = &s->sections[i], *b = &s->sections[j];

			if (i != j && a->has_phys && a->phys < b->phys + b->size &&
			    b->phys < a->phys + a->size)
				return fail_at(err, errlen, &a->phys_loc,
					       "[section %d] phys: overlaps section %d", a->id,
					       b->id);
		}
	return 0;
}

static int finalize_cgroups(struct sim_scenario *s, char *err, size_t errlen)
{
	struct parser p = {.s = s, .err = err, .errlen = errlen, .file = s->files[0]};
	int n = s->nr_cgroups;

	if (!sim_scenario_cgroup(s, "/")) {
		struct sim_loc loc = {.file = s->files[0]};

		if (cgroup_add(&p, "/", loc, true) < 0)
			return p.enomem ? -ENOMEM : -EINVAL;
	}
	/* implicit parents */
	for (int i = 0; i < n; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s", s->cgroups[i].path);
		for (char *slash = strrchr(path, '/'); slash && slash != path;
		     slash = strrchr(path, '/')) {
			*slash = '\0';
			if (!sim_scenario_cgroup(s, path) &&
			    cgroup_add(&p, path, s->cgroups[i].loc, true) < 0)
				return p.enomem ? -ENOMEM : -EINVAL;
		}
	}
	qsort(s->cgroups, (size_t)s->nr_cgroups, sizeof(*s->cgroups), cmp_cgroup);
	return 0;
}

/* Copy a [global] key into @e. */
static int inherit(struct sim_enclave *e, const struct sim_enclave *g, int k)
{
	switch (k) {
	case SIM_EK_CGROUP:
		if (!(e->cgroup = strdup(g->cgroup)))
			return -ENOMEM;
		break;
	case SIM_EK_SIZE:
		e->size = g->size;
		break;
	case SIM_EK_THREADS:
		e->threads = g->threads;
		break;
	case SIM_EK_CPUS:
		if (!(e->cpus = malloc((size_t)g->nr_cpus * sizeof(int))))
			return -ENOMEM;
		memcpy(e->cpus, g->cpus, (size_t)g->nr_cpus * sizeof(int));
		e->nr_cpus = g->nr_cpus;
		break;
	case SIM_EK_PATTERN:
		e->pattern = g->pattern;
		if (g->pattern.trace_path &&
		    !(e->pattern.trace_path = strdup(g->pattern.trace_path)))
			return -ENOMEM;
		break;
	case SIM_EK_ACCESSES:
		e->accesses = g->accesses;
		break;
	case SIM_EK_WRITES:
		e->writes = g->writes;
		break;
	case SIM_EK_START_DELAY:
		e->start_delay = g->start_delay;
		break;
	case SIM_EK_DYNAMIC:
		e->dynamic = g->dynamic;
		break;
	case SIM_EK_STATIC:
		e->static_size = g->static_size;
		break;
	default:
		e->start_event = g->start_event;
		break;
	}
	e->key_loc[k] = g->key_loc[k];
	e->set |= 1u << k;
	return 0;
}

static int finalize_enclaves(struct sim_scenario *s, char *err, size_t errlen)
{
	if (s->nr_enclaves == 0) {
		struct sim_loc loc = {.file = s->files[s->nr_files - 1], .line = 0};

		return fail_at(err, errlen, &loc,
			       "no [enclave NAME]: nothing to run (for example [enclave app] "
			       "with size = 16M)");
	}
	for (int i = 0; i < s->nr_enclaves; i++) {
		struct sim_enclave *e = &s->enclaves[i];

		for (int k = 0; k < SIM_EK_NR; k++)
			if (!(e->set & (1u << k)) && (s->global.set & (1u << k)) &&
			    inherit(e, &s->global, k))
				return -ENOMEM;
		if (!e->cgroup && !(e->cgroup = strdup("/")))
			return -ENOMEM;
		if (!sim_scenario_cgroup(s, e->cgroup))
			return fail_at(err, errlen,
				       e->set & (1u << SIM_EK_CGROUP) ? &e->key_loc[SIM_EK_CGROUP]
								      : &e->loc,
				       "[enclave %s] cgroup: %s is not defined (add a [cgroup %s] "
				       "section)",
				       e->name, e->cgroup, e->cgroup);
		if (!e->size && e->pattern.kind != SIM_PATTERN_TRACE)
			return fail_at(err, errlen, &e->loc,
				       "[enclave %s]: no size (set size here or in [global])",
				       e->name);
		if (e->pattern.kind == SIM_PATTERN_WORKING_SET && e->pattern.ws_bytes > e->size)
			return fail_at(err, errlen, &e->key_loc[SIM_EK_PATTERN],
				       "[enclave %s] pattern: the working set is larger than the "
				       "enclave's size",
				       e->name);
		for (int c = 0; c < e->nr_cpus; c++)
			if (e->cpus[c] >= s->nr_cpus)
				return fail_at(err, errlen, &e->key_loc[SIM_EK_CPUS],
					       "[enclave %s] cpus: CPU %d does not exist (CPUs 0 "
					       "to %d)",
					       e->name, e->cpus[c], s->nr_cpus - 1);
		if ((e->set & (1u << SIM_EK_STATIC)) && !e->dynamic)
			return fail_at(err, errlen, &e->key_loc[SIM_EK_STATIC],
				       "[enclave %s] static: only a dynamic enclave has a static "
				       "part (set dynamic = on, or drop static)",
				       e->name);
		if (e->size && e->static_size > e->size)
			return fail_at(err, errlen, &e->key_loc[SIM_EK_STATIC],
				       "[enclave %s] static: larger than the enclave's size",
				       e->name);
	}
	return 0;
}

static int enclave_index(const struct sim_scenario *s, const char *name)
{
	for (int i = 0; i < s->nr_enclaves; i++)
		if (!strcmp(s->enclaves[i].name, name))
			return i;
	return -1;
}

static bool event_on_enclave(const struct sim_event *ev)
{
	return ev->action == SIM_EVENT_START || ev->action == SIM_EVENT_STOP ||
	       ev->action == SIM_EVENT_TRIM;
}

/* Both at the same moment: the same clock and the same count or time. */
static bool event_same_moment(const struct sim_event *a, const struct sim_event *b)
{
	return a->clock == b->clock &&
	       (a->clock == SIM_AT_ACCESSES ? a->at == b->at : a->at_seconds == b->at_seconds);
}

/* @a comes no later than @b, as far as the scenario tells (the same clock). */
static bool event_not_after(const struct sim_event *a, const struct sim_event *b)
{
	return a->clock == b->clock &&
	       (a->clock == SIM_AT_ACCESSES ? a->at <= b->at : a->at_seconds <= b->at_seconds);
}

/* One event on its own: when, what, on what. */
static int finalize_event(struct sim_scenario *s, struct sim_event *ev, char *err, size_t errlen)
{
	const struct sim_cost *c = &s->run.cost;
	const char *what = ev->action == SIM_EVENT_MEMORY_MAX ? "memory.max" : "misc.max";

	if (!ev->has_at)
		return fail_at(err, errlen, &ev->loc,
			       "[event %s]: no at (when it fires: an access count like 200k, or "
			       "a modelled time like 5ms)",
			       ev->name);
	if (ev->clock == SIM_AT_SECONDS && !c->access && !c->fault && !c->ewb && !c->eldu)
		return fail_at(err, errlen, &ev->at_loc,
			       "[event %s] at: %s is a modelled time, but with every cycles-* of "
			       "[run] at 0 modelled time stays 0 (give an access count)",
			       ev->name, ev->at_text);
	if (ev->cgroup && ev->enclave)
		return fail_at(err, errlen, &ev->enclave_loc,
			       "[event %s] enclave: an event acts on one cgroup or one enclave, "
			       "and cgroup is given at %s:%u (make another [event])",
			       ev->name, ev->cgroup_loc.file, ev->cgroup_loc.line);
	if (!ev->cgroup && !ev->enclave)
		return fail_at(err, errlen, &ev->loc,
			       "[event %s]: nothing to act on (a cgroup with max or memory.max, "
			       "or an enclave with action = start or stop)",
			       ev->name);
	if (ev->cgroup) {
		const struct sim_cgroup *cg = sim_scenario_cgroup(s, ev->cgroup);

		if (ev->action == SIM_EVENT_NONE)
			return fail_at(err, errlen, &ev->loc,
				       "[event %s]: nothing to do to cgroup %s (set max or "
				       "memory.max)",
				       ev->name, ev->cgroup);
		if (event_on_enclave(ev))
			return fail_at(err, errlen, &ev->action_loc,
				       "[event %s] %s: %s an enclave's, and this event names "
				       "cgroup %s",
				       ev->name, ev->action == SIM_EVENT_TRIM ? "trim" : "action",
				       ev->action == SIM_EVENT_TRIM ? "a trim is"
								    : "start and stop are",
				       ev->cgroup);
		if (!cg)
			return fail_at(err, errlen, &ev->cgroup_loc,
				       "[event %s] cgroup: %s is not defined (add a [cgroup %s] "
				       "section)",
				       ev->name, ev->cgroup, ev->cgroup);
		if (!strcmp(ev->cgroup, "/"))
			return fail_at(err, errlen, &ev->cgroup_loc,
				       "[event %s] cgroup: the root has no %s", ev->name, what);
		ev->target = (int)(cg - s->cgroups);
		return 0;
	}
	if (ev->action == SIM_EVENT_NONE)
		return fail_at(err, errlen, &ev->loc,
			       "[event %s]: nothing to do to enclave %s (set action = start or "
			       "stop, or trim)",
			       ev->name, ev->enclave);
	if (!event_on_enclave(ev))
		return fail_at(err, errlen, &ev->action_loc,
			       "[event %s] %s: sets a cgroup's %s, and this event names enclave %s",
			       ev->name, ev->action == SIM_EVENT_MEMORY_MAX ? "memory.max" : "max",
			       what, ev->enclave);
	ev->target = enclave_index(s, ev->enclave);
	if (ev->target < 0)
		return fail_at(err, errlen, &ev->enclave_loc,
			       "[event %s] enclave: %s is not defined (add an [enclave %s] "
			       "section)",
			       ev->name, ev->enclave, ev->enclave);
	if (ev->action == SIM_EVENT_START && !s->enclaves[ev->target].start_event)
		return fail_at(err, errlen, &ev->action_loc,
			       "[event %s] action: enclave %s starts by itself (give it start = "
			       "event to have an event start it)",
			       ev->name, ev->enclave);
	if (ev->action == SIM_EVENT_TRIM && !s->enclaves[ev->target].dynamic)
		return fail_at(err, errlen, &ev->action_loc,
			       "[event %s] trim: enclave %s is not dynamic (give it dynamic = on: "
			       "only EAUGed pages are trimmed)",
			       ev->name, ev->enclave);
	return 0;
}

/* Two events on the same thing: at most one start and one stop per
 * enclave, the stop not before the start; no two writes of one file at once. */
static int finalize_event_pair(const struct sim_event *a, const struct sim_event *b, char *err,
			       size_t errlen)
{
	const char *verb = b->action == SIM_EVENT_START ? "started" : "stopped";

	if (a->action == SIM_EVENT_TRIM || b->action == SIM_EVENT_TRIM)
		return 0; /* an enclave trims as often as it likes */
	if (event_on_enclave(a) != event_on_enclave(b) || a->target != b->target)
		return 0;
	if (event_on_enclave(a) && a->action == b->action)
		return fail_at(err, errlen, &b->action_loc,
			       "[event %s] action: enclave %s is %s by [event %s] already (%s:%u)",
			       b->name, b->enclave, verb, a->name, a->loc.file, a->loc.line);
	if (event_on_enclave(a)) {
		const struct sim_event *start = a->action == SIM_EVENT_START ? a : b,
				       *stop = a->action == SIM_EVENT_START ? b : a;

		if (event_not_after(stop, start))
			return fail_at(err, errlen, &stop->at_loc,
				       "[event %s] at: stops enclave %s at %s, not after [event %s] "
				       "starts it at %s",
				       stop->name, stop->enclave, stop->at_text, start->name,
				       start->at_text);
		return 0;
	}
	if (a->action == b->action && event_same_moment(a, b))
		return fail_at(err, errlen, &b->at_loc,
			       "[event %s] at: [event %s] (%s:%u) sets %s's %s at the same moment "
			       "(%s): which one holds is ambiguous",
			       b->name, a->name, a->loc.file, a->loc.line, b->cgroup,
			       b->action == SIM_EVENT_MISC_MAX ? "misc.max" : "memory.max",
			       b->at_text);
	return 0;
}

static int finalize_events(struct sim_scenario *s, char *err, size_t errlen)
{
	int ret;

	for (int i = 0; i < s->nr_events; i++)
		if ((ret = finalize_event(s, &s->events[i], err, errlen)))
			return ret;
	for (int i = 0; i < s->nr_events; i++)
		for (int j = 0; j < i; j++)
			if ((ret = finalize_event_pair(&s->events[j], &s->events[i], err, errlen)))
				return ret;
	for (int i = 0; i < s->nr_enclaves; i++) {
		const struct sim_enclave *e = &s->enclaves[i];
		bool started = false;

		if (!e->start_event)
			continue;
		if (e->set & (1u << SIM_EK_START_DELAY))
			return fail_at(err, errlen, &e->key_loc[SIM_EK_START],
				       "[enclave %s] start: event, and start-delay is given too "
				       "(%s:%u): one or the other",
				       e->name, e->key_loc[SIM_EK_START_DELAY].file,
				       e->key_loc[SIM_EK_START_DELAY].line);
		for (int j = 0; j < s->nr_events; j++)
			started |= s->events[j].action == SIM_EVENT_START &&
				   s->events[j].target == i;
		if (!started)
			return fail_at(err, errlen, &e->key_loc[SIM_EK_START],
				       "[enclave %s] start: event, but no [event] starts it (one "
				       "with enclave = %s and action = start)",
				       e->name, e->name);
	}
	return 0;
}

static int make_title(struct sim_scenario *s)
{
	size_t len = 1;
	char *t;

	for (int i = 0; i < s->nr_files; i++)
		len += strlen(s->files[i]) + 3;
	if (!(t = malloc(len)))
		return -ENOMEM;
	t[0] = '\0';
	for (int i = 0; i < s->nr_files; i++) {
		if (i)
			strcat(t, " + ");
		strcat(t, s->files[i]);
	}
	free(s->title);
	s->title = t;
	return 0;
}

int sim_scenario_finalize(struct sim_scenario *s, char *err, size_t errlen)
{
	int ret;

	if (errlen)
		err[0] = '\0';
	if (s->nr_files == 0) {
		snprintf(err, errlen, "no scenario");
		return -EINVAL;
	}
	if ((ret = finalize_nodes(s, err, errlen)) || (ret = finalize_sections(s, err, errlen)) ||
	    (ret = finalize_cgroups(s, err, errlen)) || (ret = finalize_enclaves(s, err, errlen)) ||
	    (ret = finalize_events(s, err, errlen)))
		return ret;
	if (!s->title)
		return make_title(s);
	return 0;
}

/* A trace reader's cap is the enclave's: a trace replayed once fits an enclave. */
_Static_assert(SIM_TRACE_MAX_RECORDS == SIM_MAX_ACCESSES, "a trace's cap is an enclave's");

int sim_enclave_check_trace(const struct sim_enclave *e, uint64_t *pages, uint64_t *records,
			    char *err, size_t errlen)
{
	char terr[SIM_ERR_LEN];
	int ret = sim_trace_probe(e->pattern.trace_path, pages, records, terr, sizeof(terr));

	if (ret == -ENOMEM)
		return ret;
	if (ret)
		return fail_at(err, errlen, &e->key_loc[SIM_EK_PATTERN], "[enclave %s] pattern: %s",
			       e->name, terr);
	if (e->size && e->size / EPC_PAGE_SIZE < *pages) /* pages <= 2^32: no overflow */
		return fail_at(err, errlen, &e->key_loc[SIM_EK_SIZE],
			       "[enclave %s] size: %llu bytes is smaller than its trace, which "
			       "touches %llu pages (%llu bytes)",
			       e->name, (unsigned long long)e->size, (unsigned long long)*pages,
			       (unsigned long long)(*pages * EPC_PAGE_SIZE));
	/* each thread replays it whole: records x threads, which must not pass the cap */
	if (!(e->set & (1u << SIM_EK_ACCESSES)) && *records > SIM_MAX_ACCESSES / e->threads)
		return fail_at(err, errlen, &e->key_loc[SIM_EK_PATTERN],
			       "[enclave %s] pattern: %u threads each replaying the trace's %llu "
			       "accesses make more than %llu; set accesses (1 to %llu) or fewer "
			       "threads",
			       e->name, e->threads, (unsigned long long)*records,
			       (unsigned long long)SIM_MAX_ACCESSES,
			       (unsigned long long)SIM_MAX_ACCESSES);
	return 0;
}

uint64_t sim_enclave_accesses(const struct sim_enclave *e, uint64_t trace_records)
{
	if (e->pattern.kind == SIM_PATTERN_TRACE && !(e->set & (1u << SIM_EK_ACCESSES)))
		return trace_records * e->threads; /* at most SIM_MAX_ACCESSES: checked */
	return e->accesses;
}

/* @a * @b + @c into *@out. Return: false when it passes INT64_MAX. */
static bool cycles_add(uint64_t a, uint64_t b, uint64_t *out)
{
	uint64_t p;

	return !__builtin_mul_overflow(a, b, &p) && !__builtin_add_overflow(*out, p, out) &&
	       *out <= INT64_MAX;
}

int sim_scenario_check_cost(const struct sim_scenario *s, uint64_t accesses, uint64_t encl_pages,
			    char *err, size_t errlen)
{
	const struct sim_cost *c = &s->run.cost;
	struct sim_loc loc = {.file = s->files[0], .line = 0};
	uint64_t epc_pages = 0, per_access = c->access + c->fault + 2 * (c->ewb + c->eldu);
	uint64_t cycles = 0;
	bool edmm = false;

	/* a dynamic enclave's access may EAUG its page, which a trim may remove */
	for (int i = 0; i < s->nr_enclaves; i++)
		edmm |= s->enclaves[i].dynamic;
	if (edmm)
		per_access += c->eaug + c->trim;
	for (int i = 0; i < s->nr_sections; i++)
		epc_pages += s->sections[i].size / EPC_PAGE_SIZE;
	if (cycles_add(accesses, per_access, &cycles) &&
	    cycles_add(epc_pages + encl_pages, c->ewb + c->eldu, &cycles))
		return 0;
	return fail_at(err, errlen, &loc,
		       "the cost model could count more than 2^63 cycles: %llu accesses in all, "
		       "each up to %llu cycles (cycles-access + cycles-fault + 2 x (cycles-ewb + "
		       "cycles-eldu)%s); make fewer accesses or lower the cycles",
		       (unsigned long long)accesses, (unsigned long long)per_access,
		       edmm ? " + cycles-eaug + cycles-trim" : "");
}

int sim_scenario_check_traces(struct sim_scenario *s, char *err, size_t errlen)
{
	uint64_t accesses = 0, pages = 0;

	for (int i = 0; i < s->nr_enclaves; i++) {
		struct sim_enclave *e = &s->enclaves[i];
		int ret;

		if (e->pattern.kind == SIM_PATTERN_TRACE && !e->trace_checked) {
			ret = sim_enclave_check_trace(e, &e->trace_pages, &e->trace_records, err,
						      errlen);
			if (ret)
				return ret;
			e->trace_checked = true;
		}
		/* 1024 enclaves of at most 10^12 accesses and 2^34 pages: no overflow */
		accesses += sim_enclave_accesses(e, e->trace_records);
		pages += e->size ? e->size / EPC_PAGE_SIZE : e->trace_pages;
	}
	return sim_scenario_check_cost(s, accesses, pages, err, errlen);
}

const struct sim_cgroup *sim_scenario_cgroup(const struct sim_scenario *s, const char *path)
{
	for (int i = 0; i < s->nr_cgroups; i++)
		if (!strcmp(s->cgroups[i].path, path))
			return &s->cgroups[i];
	return NULL;
}

int sim_scenario_default(struct sim_scenario **out, char *err, size_t errlen)
{
	struct sim_scenario *s;
	int ret = sim_scenario_new(&s);

	if (ret)
		return ret;
	ret = sim_scenario_parse(s, "<built-in>", sim_default_scenario,
				 strlen(sim_default_scenario), err, errlen);
	if (!ret && !(s->title = strdup("built-in default scenario")))
		ret = -ENOMEM;
	if (!ret)
		ret = sim_scenario_finalize(s, err, errlen);
	if (ret) {
		sim_scenario_free(s);
		return ret;
	}
	*out = s;
	return 0;
}
