// SPDX-License-Identifier: MIT
/*
 * scenario_check.c - sim_scenario_finalize(): the whole scenario once every
 * file is in. Nodes numbered without gaps and their CPUs and distances,
 * sections placed, implicit parent cgroups made, [global] copied into every
 * enclave that does not set a key, every cross reference (an enclave's
 * cgroup, an event's target) resolved. Errors name the line of the key or
 * header concerned (sim__fail_at()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "scenario_internal.h"

#define AUTO_PHYS_BASE 0x80000000ULL /* where sections without phys go */

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

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

/* No cpus anywhere: node i has CPU i. */
static int nodes_cpus_default(struct sim_scenario *s)
{
	int n = s->nr_nodes;

	s->nr_cpus = n;
	if (!(s->cpu_to_node = malloc((size_t)(unsigned)n * sizeof(int))))
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		s->cpu_to_node[i] = i;
	return 0;
}

/* Every node's cpus given: each CPU 0..@max_cpu in exactly one node. */
static int nodes_cpus(struct sim_scenario *s, int max_cpu, char *err, size_t errlen)
{
	s->nr_cpus = max_cpu + 1;
	if (!(s->cpu_to_node = malloc((size_t)s->nr_cpus * sizeof(int))))
		return -ENOMEM;
	for (int c = 0; c < s->nr_cpus; c++)
		s->cpu_to_node[c] = -1;
	for (int i = 0; i < s->nr_nodes; i++) {
		struct sim_node *nd = &s->nodes[i];

		if (!nd->cpus)
			return sim__fail_at(
				err, errlen, &nd->loc,
				"[node %d]: no cpus (give every node its cpus, or none)", i);
		for (int c = 0; c < nd->nr_cpus; c++) {
			int cpu = nd->cpus[c];

			if (s->cpu_to_node[cpu] >= 0)
				return sim__fail_at(err, errlen, &nd->cpus_loc,
						    "[node %d] cpus: CPU %d is in node %d already",
						    i, cpu, s->cpu_to_node[cpu]);
			s->cpu_to_node[cpu] = i;
		}
	}
	for (int c = 0; c < s->nr_cpus; c++)
		if (s->cpu_to_node[c] < 0)
			return sim__fail_at(err, errlen, &s->nodes[0].loc,
					    "CPU %d is in no node (CPUs are numbered 0 to N-1 "
					    "without gaps)",
					    c);
	return 0;
}

/* Node @i's distances: one per node, 10 for itself only; into s->distance. */
static int node_distances(struct sim_scenario *s, int i, char *err, size_t errlen)
{
	struct sim_node *nd = &s->nodes[i];
	int n = s->nr_nodes;

	if (!nd->nr_distances)
		return sim__fail_at(err, errlen, &nd->loc,
				    "[node %d]: no distances (give every node its distances, or "
				    "none)",
				    i);
	if (nd->nr_distances != n)
		return sim__fail_at(err, errlen, &nd->distances_loc,
				    "[node %d] distances: %d entries for %d nodes", i,
				    nd->nr_distances, n);
	for (int j = 0; j < n; j++) {
		if (j == i && nd->distances[j] != 10)
			return sim__fail_at(err, errlen, &nd->distances_loc,
					    "[node %d] distances: entry %d (the node itself) must "
					    "be 10",
					    i, j);
		if (j != i && nd->distances[j] == 10)
			return sim__fail_at(err, errlen, &nd->distances_loc,
					    "[node %d] distances: entry %d must be 11 to 255 (10 "
					    "is the node itself)",
					    i, j);
	}
	if (!s->distance && !(s->distance = malloc((size_t)n * (size_t)n)))
		return -ENOMEM;
	memcpy(s->distance + (size_t)i * (size_t)n, nd->distances, (size_t)n);
	return 0;
}

/* Nodes 0..n-1 (one implicit node when none is given), their CPUs, distances all or none. */
static int finalize_nodes(struct sim_scenario *s, char *err, size_t errlen)
{
	struct sim_loc first = {.file = s->files[0], .line = 0};
	int n, with_cpus = 0, with_dist = 0, max_cpu = -1, ret;

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
			return sim__fail_at(err, errlen, &s->nodes[i].loc,
					    "[node %d]: nodes are numbered 0 to N-1 without gaps "
					    "(node %d is missing)",
					    s->nodes[i].id, i);
	for (int i = 0; i < n; i++) {
		with_cpus += s->nodes[i].cpus != NULL;
		with_dist += s->nodes[i].nr_distances > 0;
		for (int c = 0; c < s->nodes[i].nr_cpus; c++)
			if (s->nodes[i].cpus[c] > max_cpu)
				max_cpu = s->nodes[i].cpus[c];
	}
	ret = with_cpus ? nodes_cpus(s, max_cpu, err, errlen) : nodes_cpus_default(s);
	for (int i = 0; i < n && with_dist && !ret; i++)
		ret = node_distances(s, i, err, errlen);
	return ret;
}

/* Give each section without a phys one, GiB aligned, above those with one. */
static int sections_place(struct sim_scenario *s, uint64_t next, char *err, size_t errlen)
{
	for (int i = 0; i < s->nr_sections; i++) {
		struct sim_section *a = &s->sections[i];

		if (a->has_phys)
			continue;
		if (next > UINT64_MAX - (1ULL << 30) - a->size)
			return sim__fail_at(
				err, errlen, &a->loc,
				"[section %d]: no room for it above the sections with a "
				"phys (give it a phys)",
				a->id);
		a->phys = (next + (1ULL << 30) - 1) & ~((1ULL << 30) - 1); /* GiB aligned */
		next = a->phys + a->size;
	}
	return 0;
}

/* No section given a phys overlaps another. */
static int sections_disjoint(const struct sim_scenario *s, char *err, size_t errlen)
{
	for (int i = 0; i < s->nr_sections; i++)
		for (int j = 0; j < s->nr_sections; j++) {
			const struct sim_section *a = &s->sections[i], *b = &s->sections[j];

			if (i != j && a->has_phys && a->phys < b->phys + b->size &&
			    b->phys < a->phys + a->size)
				return sim__fail_at(err, errlen, &a->phys_loc,
						    "[section %d] phys: overlaps section %d", a->id,
						    b->id);
		}
	return 0;
}

/* Sections: at least one, each with a size on a defined node, placed without overlap. */
static int finalize_sections(struct sim_scenario *s, char *err, size_t errlen)
{
	uint64_t next = AUTO_PHYS_BASE;
	int ret;

	if (s->nr_sections == 0) {
		struct sim_loc loc = {.file = s->files[s->nr_files - 1], .line = 0};

		return sim__fail_at(err, errlen, &loc,
				    "no [section N]: the machine needs EPC (for example [section "
				    "0] with size = 64M)");
	}
	qsort(s->sections, (size_t)s->nr_sections, sizeof(*s->sections), cmp_section);
	for (int i = 0; i < s->nr_sections; i++) {
		struct sim_section *a = &s->sections[i];

		if (!a->size)
			return sim__fail_at(err, errlen, &a->loc, "[section %d]: no size", a->id);
		if (a->node >= s->nr_nodes)
			return sim__fail_at(err, errlen, &a->node_loc,
					    "[section %d] node: node %d is not defined (nodes 0 to "
					    "%d)",
					    a->id, a->node, s->nr_nodes - 1);
		if (a->has_phys && a->phys > UINT64_MAX - a->size)
			return sim__fail_at(err, errlen, &a->phys_loc,
					    "[section %d] phys: 0x%llx plus its size runs past the "
					    "end of the address space (2^64)",
					    a->id, (unsigned long long)a->phys);
		if (a->has_phys && a->phys + a->size > next)
			next = a->phys + a->size;
	}
	if ((ret = sections_place(s, next, err, errlen)))
		return ret;
	return sections_disjoint(s, err, errlen);
}

static int finalize_cgroups(struct sim_scenario *s, char *err, size_t errlen)
{
	struct parser p = {.s = s, .err = err, .errlen = errlen, .file = s->files[0]};
	int n = s->nr_cgroups;

	if (!sim_scenario_cgroup(s, "/")) {
		struct sim_loc loc = {.file = s->files[0]};

		if (sim__cgroup_add(&p, "/", loc, true) < 0)
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
			    sim__cgroup_add(&p, path, s->cgroups[i].loc, true) < 0)
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

/* Enclave @e, its [global] keys in: its cgroup, size, pattern, cpus and static part. */
static int enclave_check(const struct sim_scenario *s, const struct sim_enclave *e, char *err,
			 size_t errlen)
{
	if (!sim_scenario_cgroup(s, e->cgroup))
		return sim__fail_at(err, errlen,
				    e->set & (1u << SIM_EK_CGROUP) ? &e->key_loc[SIM_EK_CGROUP]
								   : &e->loc,
				    "[enclave %s] cgroup: %s is not defined (add a [cgroup %s] "
				    "section)",
				    e->name, e->cgroup, e->cgroup);
	if (!e->size && e->pattern.kind != SIM_PATTERN_TRACE)
		return sim__fail_at(err, errlen, &e->loc,
				    "[enclave %s]: no size (set size here or in [global])",
				    e->name);
	if (e->pattern.kind == SIM_PATTERN_WORKING_SET && e->pattern.ws_bytes > e->size)
		return sim__fail_at(err, errlen, &e->key_loc[SIM_EK_PATTERN],
				    "[enclave %s] pattern: the working set is larger than the "
				    "enclave's size",
				    e->name);
	for (int c = 0; c < e->nr_cpus; c++)
		if (e->cpus[c] >= s->nr_cpus)
			return sim__fail_at(err, errlen, &e->key_loc[SIM_EK_CPUS],
					    "[enclave %s] cpus: CPU %d does not exist (CPUs 0 "
					    "to %d)",
					    e->name, e->cpus[c], s->nr_cpus - 1);
	if ((e->set & (1u << SIM_EK_STATIC)) && !e->dynamic)
		return sim__fail_at(err, errlen, &e->key_loc[SIM_EK_STATIC],
				    "[enclave %s] static: only a dynamic enclave has a static "
				    "part (set dynamic = on, or drop static)",
				    e->name);
	if (e->size && e->static_size > e->size)
		return sim__fail_at(err, errlen, &e->key_loc[SIM_EK_STATIC],
				    "[enclave %s] static: larger than the enclave's size", e->name);
	return 0;
}

/* Every enclave: [global]'s keys it does not set, then enclave_check(). */
static int finalize_enclaves(struct sim_scenario *s, char *err, size_t errlen)
{
	int ret;

	if (s->nr_enclaves == 0) {
		struct sim_loc loc = {.file = s->files[s->nr_files - 1], .line = 0};

		return sim__fail_at(err, errlen, &loc,
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
		if ((ret = enclave_check(s, e, err, errlen)))
			return ret;
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

/* The file an event on a cgroup writes. */
static const char *event_file(const struct sim_event *ev)
{
	return sim__file_name(ev->action == SIM_EVENT_MEMORY_MAX ? EPC_CGF_MEMORY_MAX
								 : EPC_CGF_MISC_MAX);
}

/* An event that names a cgroup: it sets a limit of a defined cgroup, not the root's. */
static int event_cgroup_check(struct sim_scenario *s, struct sim_event *ev, char *err,
			      size_t errlen)
{
	const struct sim_cgroup *cg = sim_scenario_cgroup(s, ev->cgroup);

	if (ev->action == SIM_EVENT_NONE)
		return sim__fail_at(err, errlen, &ev->loc,
				    "[event %s]: nothing to do to cgroup %s (set max or "
				    "memory.max)",
				    ev->name, ev->cgroup);
	if (event_on_enclave(ev))
		return sim__fail_at(err, errlen, &ev->action_loc,
				    "[event %s] %s: %s an enclave's, and this event names "
				    "cgroup %s",
				    ev->name, ev->action == SIM_EVENT_TRIM ? "trim" : "action",
				    ev->action == SIM_EVENT_TRIM ? "a trim is"
								 : "start and stop are",
				    ev->cgroup);
	if (!cg)
		return sim__fail_at(err, errlen, &ev->cgroup_loc,
				    "[event %s] cgroup: %s is not defined (add a [cgroup %s] "
				    "section)",
				    ev->name, ev->cgroup, ev->cgroup);
	if (!strcmp(ev->cgroup, "/"))
		return sim__fail_at(err, errlen, &ev->cgroup_loc,
				    "[event %s] cgroup: the root has no %s", ev->name,
				    event_file(ev));
	ev->target = (int)(cg - s->cgroups);
	return 0;
}

/* An event that names an enclave: starts, stops or trims a defined one that can be. */
static int event_enclave_check(struct sim_scenario *s, struct sim_event *ev, char *err,
			       size_t errlen)
{
	if (ev->action == SIM_EVENT_NONE)
		return sim__fail_at(
			err, errlen, &ev->loc,
			"[event %s]: nothing to do to enclave %s (set action = start or "
			"stop, or trim)",
			ev->name, ev->enclave);
	if (!event_on_enclave(ev))
		return sim__fail_at(
			err, errlen, &ev->action_loc,
			"[event %s] %s: sets a cgroup's %s, and this event names enclave %s",
			ev->name,
			ev->action == SIM_EVENT_MEMORY_MAX ? sim__file_name(EPC_CGF_MEMORY_MAX)
							   : "max",
			event_file(ev), ev->enclave);
	ev->target = enclave_index(s, ev->enclave);
	if (ev->target < 0)
		return sim__fail_at(err, errlen, &ev->enclave_loc,
				    "[event %s] enclave: %s is not defined (add an [enclave %s] "
				    "section)",
				    ev->name, ev->enclave, ev->enclave);
	if (ev->action == SIM_EVENT_START && !s->enclaves[ev->target].start_event)
		return sim__fail_at(
			err, errlen, &ev->action_loc,
			"[event %s] action: enclave %s starts by itself (give it start = "
			"event to have an event start it)",
			ev->name, ev->enclave);
	if (ev->action == SIM_EVENT_TRIM && !s->enclaves[ev->target].dynamic)
		return sim__fail_at(
			err, errlen, &ev->action_loc,
			"[event %s] trim: enclave %s is not dynamic (give it dynamic = on: "
			"only EAUGed pages are trimmed)",
			ev->name, ev->enclave);
	return 0;
}

/* One event on its own: when, what, on what. */
static int finalize_event(struct sim_scenario *s, struct sim_event *ev, char *err, size_t errlen)
{
	const struct sim_cost *c = &s->run.cost;

	if (!ev->has_at)
		return sim__fail_at(
			err, errlen, &ev->loc,
			"[event %s]: no at (when it fires: an access count like 200k, or "
			"a modelled time like 5ms)",
			ev->name);
	if (ev->clock == SIM_AT_SECONDS && !c->access && !c->fault && !c->ewb && !c->eldu)
		return sim__fail_at(
			err, errlen, &ev->at_loc,
			"[event %s] at: %s is a modelled time, but with every cycles-* of "
			"[run] at 0 modelled time stays 0 (give an access count)",
			ev->name, ev->at_text);
	if (ev->cgroup && ev->enclave)
		return sim__fail_at(
			err, errlen, &ev->enclave_loc,
			"[event %s] enclave: an event acts on one cgroup or one enclave, "
			"and cgroup is given at %s:%u (make another [event])",
			ev->name, ev->cgroup_loc.file, ev->cgroup_loc.line);
	if (!ev->cgroup && !ev->enclave)
		return sim__fail_at(
			err, errlen, &ev->loc,
			"[event %s]: nothing to act on (a cgroup with max or memory.max, "
			"or an enclave with action = start or stop)",
			ev->name);
	if (ev->cgroup)
		return event_cgroup_check(s, ev, err, errlen);
	return event_enclave_check(s, ev, err, errlen);
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
		return sim__fail_at(
			err, errlen, &b->action_loc,
			"[event %s] action: enclave %s is %s by [event %s] already (%s:%u)",
			b->name, b->enclave, verb, a->name, a->loc.file, a->loc.line);
	if (event_on_enclave(a)) {
		const struct sim_event *start = a->action == SIM_EVENT_START ? a : b,
				       *stop = a->action == SIM_EVENT_START ? b : a;

		if (event_not_after(stop, start))
			return sim__fail_at(
				err, errlen, &stop->at_loc,
				"[event %s] at: stops enclave %s at %s, not after [event %s] "
				"starts it at %s",
				stop->name, stop->enclave, stop->at_text, start->name,
				start->at_text);
		return 0;
	}
	if (a->action == b->action && event_same_moment(a, b))
		return sim__fail_at(
			err, errlen, &b->at_loc,
			"[event %s] at: [event %s] (%s:%u) sets %s's %s at the same moment "
			"(%s): which one holds is ambiguous",
			b->name, a->name, a->loc.file, a->loc.line, b->cgroup, event_file(b),
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
			return sim__fail_at(
				err, errlen, &e->key_loc[SIM_EK_START],
				"[enclave %s] start: event, and start-delay is given too "
				"(%s:%u): one or the other",
				e->name, e->key_loc[SIM_EK_START_DELAY].file,
				e->key_loc[SIM_EK_START_DELAY].line);
		for (int j = 0; j < s->nr_events; j++)
			started |=
				s->events[j].action == SIM_EVENT_START && s->events[j].target == i;
		if (!started)
			return sim__fail_at(
				err, errlen, &e->key_loc[SIM_EK_START],
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
