// SPDX-License-Identifier: MIT
/*
 * scenario.c - a scenario's life: a new one with the built-in defaults, its
 * release, the built-in default scenario, lookups, and the message of an
 * error found at a remembered place (a key's or header's file and line).
 *
 * scenario.h holds the format's rules; scenario_internal.h says which file of
 * the parser owns what: the INI reading (scenario_read.c), section headers
 * (scenario_sections.c), keys and their values (scenario_keys.c), the
 * checks of the whole scenario (scenario_check.c) and those that need the
 * traces read (scenario_bounds.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "scenario_internal.h"

int sim__fail_at(char *err, size_t errlen, const struct sim_loc *loc, const char *fmt, ...)
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

void sim__pattern_free(struct sim_pattern *pt)
{
	free(pt->trace_path);
	pt->trace_path = NULL;
}

static void enclave_free(struct sim_enclave *e)
{
	free(e->cgroup);
	free(e->cpus);
	sim__pattern_free(&e->pattern);
}

void sim__enclave_defaults(struct sim_enclave *e)
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
	sim__enclave_defaults(&s->global);
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
