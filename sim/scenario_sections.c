// SPDX-License-Identifier: MIT
/*
 * scenario_sections.c - a scenario's section headers: [node N],
 * [section N], [cgroup /path], [enclave NAME], [event NAME], [global] and
 * [run]. A header names its section (a later file's header reopens the same
 * one, to extend it); the same section twice in one file is an error.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "scenario.h"
#include "scenario_internal.h"
#include "value.h"

/* "N" in 0..max-1 */
bool sim__parse_id(const char *arg, int max, int *out)
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

	if (!sim__parse_id(arg, EPC_MAX_NODES, &id))
		return sim__fail(p, "[node %s]: a node is a number from 0 to %d", arg,
				 EPC_MAX_NODES - 1);
	for (int i = 0; i < s->nr_nodes; i++)
		if (s->nodes[i].id == id) {
			p->index = i;
			return;
		}
	if (!(s->nodes = sim__grow(p, s->nodes, s->nr_nodes, sizeof(*s->nodes))))
		return;
	s->nodes[s->nr_nodes] = (struct sim_node){.id = id, .loc = sim__here(p)};
	p->index = s->nr_nodes++;
}

static void open_section(struct parser *p, const char *arg)
{
	struct sim_scenario *s = p->s;
	int id;

	if (!sim__parse_id(arg, EPC_MAX_SECTIONS, &id))
		return sim__fail(p, "[section %s]: a section is a number from 0 to %d", arg,
				 EPC_MAX_SECTIONS - 1);
	for (int i = 0; i < s->nr_sections; i++)
		if (s->sections[i].id == id) {
			p->index = i;
			return;
		}
	if (!(s->sections = sim__grow(p, s->sections, s->nr_sections, sizeof(*s->sections))))
		return;
	s->sections[s->nr_sections] = (struct sim_section){.id = id, .loc = sim__here(p)};
	p->index = s->nr_sections++;
}

int sim__cgroup_add(struct parser *p, const char *path, struct sim_loc loc, bool implicit)
{
	struct sim_scenario *s = p->s;
	struct sim_cgroup *cg;

	if (s->nr_cgroups >= SIM_MAX_CGROUPS) {
		sim__fail(p, "too many cgroups (at most %d)", SIM_MAX_CGROUPS);
		return -1;
	}
	if (!(s->cgroups = sim__grow(p, s->cgroups, s->nr_cgroups, sizeof(*s->cgroups))))
		return -1;
	cg = &s->cgroups[s->nr_cgroups];
	cg->path = sim__dup_str(p, path);
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

	if (!sim__cgroup_path_ok(arg))
		return sim__fail(
			p,
			"[cgroup %s]: not a cgroup path (absolute, like /tenant-a/db; names "
			"of letters, digits, '.', '_' and '-')",
			arg);
	if (sim__cgroup_path_takes_file(arg))
		return sim__fail(p,
				 "[cgroup %s]: a name of it is a file of its parent cgroup "
				 "(cgroup.procs, misc.max, ...): a cgroup cannot take it",
				 arg);
	for (i = 0; i < s->nr_cgroups; i++)
		if (!strcmp(s->cgroups[i].path, arg)) {
			p->index = i;
			return;
		}
	i = sim__cgroup_add(p, arg, sim__here(p), false);
	if (i >= 0)
		p->index = i;
}

static void open_enclave(struct parser *p, const char *arg)
{
	struct sim_scenario *s = p->s;
	struct sim_enclave *e;

	if (!sim__name_ok(arg))
		return sim__fail(
			p,
			"[enclave %s]: an enclave name is 1 to %d letters, digits, '.', '_' "
			"or '-'",
			arg, SIM_NAME_MAX - 1);
	for (int i = 0; i < s->nr_enclaves; i++)
		if (!strcmp(s->enclaves[i].name, arg)) {
			p->index = i;
			return;
		}
	if (s->nr_enclaves >= SIM_MAX_ENCLAVES)
		return sim__fail(p, "too many enclaves (at most %d)", SIM_MAX_ENCLAVES);
	if (!(s->enclaves = sim__grow(p, s->enclaves, s->nr_enclaves, sizeof(*s->enclaves))))
		return;
	e = &s->enclaves[s->nr_enclaves];
	sim__enclave_defaults(e);
	snprintf(e->name, sizeof(e->name), "%s", arg);
	e->loc = sim__here(p);
	p->index = s->nr_enclaves++;
}

static void open_event(struct parser *p, const char *arg)
{
	struct sim_scenario *s = p->s;
	struct sim_event *ev;

	if (!sim__name_ok(arg))
		return sim__fail(
			p,
			"[event %s]: an event name is 1 to %d letters, digits, '.', '_' or "
			"'-'",
			arg, SIM_NAME_MAX - 1);
	for (int i = 0; i < s->nr_events; i++)
		if (!strcmp(s->events[i].name, arg)) {
			p->index = i;
			return;
		}
	if (s->nr_events >= SIM_MAX_EVENTS)
		return sim__fail(p, "too many events (at most %d)", SIM_MAX_EVENTS);
	if (!(s->events = sim__grow(p, s->events, s->nr_events, sizeof(*s->events))))
		return;
	ev = &s->events[s->nr_events];
	snprintf(ev->name, sizeof(ev->name), "%s", arg);
	ev->loc = sim__here(p);
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
			return sim__fail(
				p, "%s: already defined at line %u (a later file may extend it)",
				p->header, p->opened[i].line);
	struct opened *g = sim__grow(p, p->opened, p->nr_opened, sizeof(*p->opened));

	if (!g)
		return;
	p->opened = g;
	snprintf(p->opened[p->nr_opened].id, sizeof(p->opened[0].id), "%s", id);
	p->opened[p->nr_opened++].line = p->line;
}

/*
 * "[kind arg]" of @line into @inner (NUL-terminated kind, spaces trimmed) and
 * *@arg (its name, "" when none). Return: false, the parser failed.
 */
static bool header_split(struct parser *p, const char *line, char (*inner)[128], char **arg)
{
	const char *close = strchr(line, ']');
	char *in = *inner, *a, *end;
	size_t n;

	if (!close) {
		sim__fail(p, "section header without ']'");
		return false;
	}
	for (const char *t = close + 1; *t; t++) {
		if (*t == ';' || *t == '#')
			break;
		if (!isspace((unsigned char)*t)) {
			sim__fail(p, "text after the section header's ']'");
			return false;
		}
	}
	n = (size_t)(close - line - 1);
	if (n >= sizeof(*inner)) {
		sim__fail(p, "section name too long");
		return false;
	}
	memcpy(in, line + 1, n);
	in[n] = '\0';
	/* trim, split "kind arg" at the first run of spaces */
	for (end = in + n; end > in && isspace((unsigned char)end[-1]);)
		*--end = '\0';
	a = in;
	while (isspace((unsigned char)*a))
		a++;
	memmove(in, a, strlen(a) + 1);
	a = in + strcspn(in, " \t");
	if (*a) {
		*a++ = '\0';
		while (isspace((unsigned char)*a))
			a++;
	}
	*arg = a;
	return true;
}

/* Open [@kind @arg], a kind that takes a name or number (checked by the caller). */
static void open_named(struct parser *p, const char *kind, const char *arg)
{
	switch (kind[0]) {
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
		if (!strcmp(kind, "event")) {
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

/* The sections that take an argument: what it is, as their messages say it. */
static const struct named_kind {
	const char *kind, *what, *placeholder;
} named_kinds[] = {
	{"node", "number", "N"},     {"section", "number", "N"}, {"cgroup", "path", "/path"},
	{"enclave", "name", "NAME"}, {"event", "name", "NAME"},
};

static const struct named_kind *named_kind(const char *kind)
{
	for (size_t i = 0; i < sizeof(named_kinds) / sizeof(named_kinds[0]); i++)
		if (!strcmp(kind, named_kinds[i].kind))
			return &named_kinds[i];
	return NULL;
}

void sim__open_header(struct parser *p, const char *line)
{
	const struct named_kind *named;
	char inner[128], *arg;

	if (!header_split(p, line, &inner, &arg))
		return;
	p->nr_seen = 0;
	p->kind = SECT_NONE;
	snprintf(p->header, sizeof(p->header), "[%s%s%s]", inner, *arg ? " " : "", arg);
	if (!strcmp(inner, "global") || !strcmp(inner, "run")) {
		if (*arg)
			return sim__fail(p, "[%s] takes no name", inner);
		check_reopened(p, inner, "");
		p->kind = inner[0] == 'g' ? SECT_GLOBAL : SECT_RUN;
		return;
	}
	named = named_kind(inner);
	if (!named)
		return sim__fail(p,
				 "unknown section %s (expected [node N], [section N], [cgroup "
				 "/path], [enclave NAME], [event NAME], [global] or [run])",
				 p->header);
	if (!*arg)
		return sim__fail(p, "[%s] needs a %s: [%s %s]", inner, named->what, inner,
				 named->placeholder);
	if (!p->failed)
		check_reopened(p, inner, arg);
	if (p->failed)
		return;
	open_named(p, inner, arg);
}
