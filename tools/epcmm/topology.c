// SPDX-License-Identifier: MIT
/*
 * topology.c - `epcmm topology`: the host's NUMA topology (libnuma) as a
 * scenario fragment: one [node N] per configured node with its CPUs as a CPU
 * list ("0-3,8") and its row of the SLIT distance table, to paste into a
 * scenario and give EPC sections. Without NUMA support (numa_available() < 0,
 * a kernel built without it, or a container that hides it): one node with
 * every online CPU, distance 10 to itself.
 */
#include <errno.h>
#include <numa.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "options.h"
#include "tool.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

/* The CPUs set in @cpus as a CPU list ("0-3,8"), or "" for none. */
static void print_cpu_list(FILE *f, struct bitmask *cpus, int nr_cpus)
{
	bool first = true;

	for (int c = 0; c < nr_cpus; c++) {
		int e = c;

		if (!numa_bitmask_isbitset(cpus, (unsigned int)c))
			continue;
		while (e + 1 < nr_cpus && numa_bitmask_isbitset(cpus, (unsigned int)e + 1))
			e++;
		fprintf(f, "%s%d", first ? "" : ",", c);
		if (e > c)
			fprintf(f, "-%d", e);
		first = false;
		c = e;
	}
}

static int topology_without_numa(FILE *f)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	fprintf(f, "# Host topology: no NUMA support here (libnuma: numa_available() < 0),\n"
		   "# so one node with every online CPU. Paste into a scenario and add\n"
		   "# [section N] entries for the EPC the node should have.\n\n"
		   "[node 0]\n");
	fprintf(f, n > 1 ? "cpus = 0-%ld\n" : "cpus = 0\n", n - 1);
	fprintf(f, "distances = 10\n");
	return 0;
}

static int topology_print(FILE *f)
{
	int max_node, nr_cpus, nr_nodes = 0;
	struct bitmask *cpus;

	if (numa_available() < 0)
		return topology_without_numa(f);
	max_node = numa_max_node();
	nr_cpus = numa_num_possible_cpus();
	for (int n = 0; n <= max_node; n++)
		nr_nodes += numa_bitmask_isbitset(numa_nodes_ptr, (unsigned int)n);
	cpus = numa_allocate_cpumask();
	if (!cpus)
		return -ENOMEM;
	fprintf(f,
		"# Host NUMA topology from libnuma: %d node%s, %d CPU%s configured.\n"
		"# distances: the node's row of the ACPI SLIT (10 = local), in node order.\n"
		"# Paste into a scenario and add [section N] entries for the EPC each\n"
		"# node should have (see epcmm-scenario(5)).\n",
		nr_nodes, nr_nodes == 1 ? "" : "s", numa_num_configured_cpus(),
		numa_num_configured_cpus() == 1 ? "" : "s");
	for (int n = 0; n <= max_node; n++) {
		long long free_b = 0, size;

		if (!numa_bitmask_isbitset(numa_nodes_ptr, (unsigned int)n))
			continue;
		numa_bitmask_clearall(cpus);
		size = numa_node_size64(n, &free_b);
		fprintf(f, "\n[node %d]\n", n);
		if (size > 0)
			fprintf(f, "# %.1f GiB of memory, %.1f GiB free\n", (double)size / GIB,
				(double)free_b / GIB);
		if (numa_node_to_cpus(n, cpus) == 0 && numa_bitmask_weight(cpus) > 0) {
			fprintf(f, "cpus = ");
			print_cpu_list(f, cpus, nr_cpus);
			fprintf(f, "\n");
		} else {
			fprintf(f, "# no CPUs: a memory-only node\n");
		}
		fprintf(f, "distances =");
		for (int m = 0; m <= max_node; m++)
			if (numa_bitmask_isbitset(numa_nodes_ptr, (unsigned int)m))
				fprintf(f, " %d", numa_distance(n, m));
		fprintf(f, "\n");
	}
	numa_free_cpumask(cpus);
	return 0;
}

static void topology_usage(FILE *f)
{
	fprintf(f, "usage: epcmm topology\n\n"
		   "Print the host's NUMA topology (libnuma) as a scenario fragment:\n"
		   "[node N] sections with cpus (a CPU list) and distances (the SLIT\n"
		   "row). Without NUMA support, one node with every online CPU.\n");
}

static int topology_main(int argc, char **argv);

static const struct option topology_longs[] = {TOOL_COMMON_OPTIONS};

const struct tool_command tool_cmd_topology = {
	.name = "topology",
	.summary = "print the host's NUMA topology as a scenario fragment",
	.shorts = "",
	.longs = topology_longs,
	.usage = topology_usage,
	.main = topology_main,
};

static int topology_main(int argc, char **argv)
{
	int ret = tool_parse_bare(&tool_cmd_topology, argc, argv);

	if (ret)
		return tool_parse_exit(ret);
	if (topology_print(stdout)) {
		fprintf(stderr, "epcmm topology: out of memory\n");
		return TOOL_EXIT_FAILURE;
	}
	return fflush(stdout) ? TOOL_EXIT_FAILURE : 0;
}
