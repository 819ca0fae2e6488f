/* SPDX-License-Identifier: MIT */
/*
 * fuzz_scenario.h - the scenario parser's fuzz logic, shared by the libFuzzer
 * binary (fuzz_scenario.c) and the corpus replay test (test_sim_corpus.c).
 *
 * Input: any bytes, parsed as one scenario file "f.ini"; then, split at the
 * first byte 0x01 (if any), as two files "a.ini" and "b.ini" read in order.
 *
 * Properties (abort() on violation, so libFuzzer and cmocka both see it):
 *  - parse and finalize return 0, -EINVAL or -ENOMEM, nothing else;
 *  - on -EINVAL the error is one non-empty line that starts with the name of
 *    one of the files and a colon;
 *  - a finalized scenario is consistent: nodes 0..n-1, every CPU on a node,
 *    every section on an existing node and at most 8 of them, cgroups in
 *    pre-order starting at "/", every parent present, every enclave in an
 *    existing cgroup with a page-multiple size (or a trace) and its CPUs
 *    existing, a working set no larger than its enclave.
 */
#ifndef EPCMM_FUZZ_SCENARIO_H
#define EPCMM_FUZZ_SCENARIO_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

#define FUZZ_SCN_CHECK(cond, ...)                                                                  \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_scenario: %s:%d: ", __FILE__, __LINE__);             \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static inline void fuzz_scenario_check_error(const char *err, const char *a, const char *b)
{
	size_t la = strlen(a), lb = b ? strlen(b) : 0;

	FUZZ_SCN_CHECK(err[0], "an error without a message");
	FUZZ_SCN_CHECK(!strchr(err, '\n'), "an error of several lines: %s", err);
	FUZZ_SCN_CHECK((!strncmp(err, a, la) && err[la] == ':') ||
			       (b && !strncmp(err, b, lb) && err[lb] == ':'),
		       "an error that names no file: %s", err);
}

static inline void fuzz_scenario_check(const struct sim_scenario *s)
{
	FUZZ_SCN_CHECK(s->nr_nodes >= 1 && s->nr_nodes <= EPC_MAX_NODES, "nr_nodes");
	for (int i = 0; i < s->nr_nodes; i++)
		FUZZ_SCN_CHECK(s->nodes[i].id == i, "node ids");
	FUZZ_SCN_CHECK(s->nr_cpus >= 1, "nr_cpus");
	for (int c = 0; c < s->nr_cpus; c++)
		FUZZ_SCN_CHECK(s->cpu_to_node[c] >= 0 && s->cpu_to_node[c] < s->nr_nodes,
			       "cpu %d on node %d", c, s->cpu_to_node[c]);
	FUZZ_SCN_CHECK(s->nr_sections >= 1 && s->nr_sections <= EPC_MAX_SECTIONS, "sections");
	for (int i = 0; i < s->nr_sections; i++) {
		FUZZ_SCN_CHECK(s->sections[i].node < s->nr_nodes, "section node");
		FUZZ_SCN_CHECK(s->sections[i].size && s->sections[i].size % EPC_PAGE_SIZE == 0,
			       "section size");
		FUZZ_SCN_CHECK(s->sections[i].phys % EPC_PAGE_SIZE == 0, "section phys");
	}
	FUZZ_SCN_CHECK(s->nr_cgroups >= 1 && !strcmp(s->cgroups[0].path, "/"), "root first");
	for (int i = 1; i < s->nr_cgroups; i++) {
		const char *path = s->cgroups[i].path, *slash = strrchr(path, '/');
		char parent[4096];
		int found = -1;

		FUZZ_SCN_CHECK(path[0] == '/' && slash, "path %s", path);
		snprintf(parent, sizeof(parent), "%.*s", slash == path ? 1 : (int)(slash - path),
			 path);
		for (int j = 0; j < i; j++)
			if (!strcmp(s->cgroups[j].path, parent))
				found = j;
		FUZZ_SCN_CHECK(found >= 0, "the parent of %s is missing or after it", path);
	}
	FUZZ_SCN_CHECK(s->nr_enclaves >= 1, "no enclaves");
	for (int i = 0; i < s->nr_enclaves; i++) {
		const struct sim_enclave *e = &s->enclaves[i];

		FUZZ_SCN_CHECK(e->cgroup && sim_scenario_cgroup(s, e->cgroup), "enclave cgroup");
		FUZZ_SCN_CHECK(e->size % EPC_PAGE_SIZE == 0 &&
				       (e->size || e->pattern.kind == SIM_PATTERN_TRACE),
			       "enclave size");
		FUZZ_SCN_CHECK(e->threads >= 1 && e->threads <= SIM_MAX_THREADS, "threads");
		FUZZ_SCN_CHECK(e->writes <= 100, "writes");
		FUZZ_SCN_CHECK(e->accesses >= 1 && e->accesses <= SIM_MAX_ACCESSES, "accesses");
		for (int c = 0; c < e->nr_cpus; c++)
			FUZZ_SCN_CHECK(e->cpus[c] >= 0 && e->cpus[c] < s->nr_cpus, "enclave cpus");
		if (e->pattern.kind == SIM_PATTERN_WORKING_SET)
			FUZZ_SCN_CHECK(e->pattern.ws_bytes <= e->size, "working set");
	}
}

/* Parse @n bytes as one or two files; check. */
static inline void fuzz_scenario_files(const char *const *names, const uint8_t *const *data,
				       const size_t *len, int n)
{
	struct sim_scenario *s;
	char err[SIM_ERR_LEN];
	int ret = sim_scenario_new(&s);

	if (ret == -ENOMEM)
		return;
	FUZZ_SCN_CHECK(ret == 0, "sim_scenario_new gave %d", ret);
	for (int i = 0; i < n && !ret; i++)
		ret = sim_scenario_parse(s, names[i], (const char *)data[i], len[i], err,
					 sizeof(err));
	if (!ret)
		ret = sim_scenario_finalize(s, err, sizeof(err));
	FUZZ_SCN_CHECK(ret == 0 || ret == -EINVAL || ret == -ENOMEM, "gave %d", ret);
	if (ret == -EINVAL)
		fuzz_scenario_check_error(err, names[0], n > 1 ? names[1] : NULL);
	if (ret == 0)
		fuzz_scenario_check(s);
	sim_scenario_free(s);
}

static inline int fuzz_scenario_one(const uint8_t *data, size_t size)
{
	static const char *const one[] = {"f.ini"}, *const two[] = {"a.ini", "b.ini"};
	const uint8_t *split = memchr(data ? data : (const uint8_t *)"", 1, data ? size : 0);

	fuzz_scenario_files(one, &data, &size, 1);
	if (split) {
		const uint8_t *d[2] = {data, split + 1};
		size_t l[2] = {(size_t)(split - data), size - (size_t)(split - data) - 1};

		fuzz_scenario_files(two, d, l, 2);
	}
	return 0;
}

#endif
