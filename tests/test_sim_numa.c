// SPDX-License-Identifier: MIT
/*
 * test_sim_numa.c - `numa-reclaim` in a scenario's [run] (issue 20): off, the
 * default, is v17's node-blind reclaim and `epcmm run` prints what it always
 * printed; on, the report gains the locality rows (allocations by the
 * requesting task's node) in text and JSON, and on the built-in default
 * scenario more of them are local. Both modes of the simulator; the key
 * refuses anything but on and off.
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
#include <jansson.h>

#include "check.h"
#include "report.h"
#include "sim_helpers.h"
#include "sweep.h"

/*
 * Node 1's tenant wants more than node 1 holds; node 0's fits its node.
 * Built one after the other (node 0's first), then both run.
 */
#define TWO_NODES                                                                                  \
	"[node 0]\ncpus = 0\n[node 1]\ncpus = 1\n"                                                 \
	"[section 0]\nnode = 0\nsize = 2M\n[section 1]\nnode = 1\nsize = 2M\n"                     \
	"[enclave home]\nsize = 1M\ncpus = 0\npattern = uniform\naccesses = 20k\n"                 \
	"[enclave big]\nsize = 3M\ncpus = 1\npattern = zipf:0.9\naccesses = 20k\n"

/* Run @text; the scenario stays for the reports (the result points into it). */
static struct sim_result *run(const char *text, struct sim_scenario **s)
{
	struct sim_result *r = NULL;
	char err[SIM_ERR_LEN] = "";

	CHECK_EQ(sim_scenario_new(s), 0, "a scenario");
	if (sim_scenario_parse(*s, "numa.ini", text, strlen(text), err, sizeof(err)) ||
	    sim_scenario_finalize(*s, err, sizeof(err)))
		fail_msg("the scenario: %s", err);
	struct sim_run_params p = {.scenario = *s, .quiet = true};
	if (sim_run(&p, &r, err, sizeof(err)))
		fail_msg("the run: %s", err);
	return r;
}

/* The text report (no banner) or the JSON of @text's run, malloc'ed. */
static char *report_of(const char *text, bool json, struct sim_result **out)
{
	struct sim_scenario *s = NULL;
	struct sim_result *r = run(text, &s);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	if (json)
		CHECK_EQ(sim_report_json(f, s, r), 0, "JSON written");
	else
		sim_report_text(f, s, r);
	fclose(f);
	if (out) { /* the numbers only: the scenario's strings go with it */
		for (int i = 0; i < r->nr_cgroups; i++)
			r->cgroups[i].path = NULL;
		for (int i = 0; i < r->nr_enclaves; i++)
			r->enclaves[i].name = r->enclaves[i].cgroup = NULL;
		*out = r;
	} else {
		sim_result_free(r);
	}
	sim_scenario_free(s);
	return buf;
}

/* With the locality rows' definition: requests by node add up to what the nodes served. */
static void expect_books_agree(const struct sim_result *r)
{
	uint64_t served_local = 0, served_remote = 0, away = 0;

	for (int n = 0; n < r->nr_nodes; n++) {
		served_local += r->nodes[n].alloc_local;
		served_remote += r->nodes[n].alloc_remote;
		away += r->nodes[n].alloc_away;
	}
	CHECK_EQ(away, served_remote, "remote by requesting node = remote by serving node");
	CHECK(served_local + served_remote > 0, "something was allocated");
}

static double local_share(const struct sim_result *r)
{
	uint64_t local = 0, all = 0;

	for (int n = 0; n < r->nr_nodes; n++) {
		local += r->nodes[n].alloc_local;
		all += r->nodes[n].alloc_local + r->nodes[n].alloc_away;
	}
	return (double)local / (double)all;
}

static char *with_key(const char *base, const char *value)
{
	size_t n = strlen(base) + 64;
	char *t = malloc(n);

	assert_non_null(t);
	snprintf(t, n, "%s%snuma-reclaim = %s\n", base, strstr(base, "[run]") ? "" : "[run]\n",
		 value);
	return t;
}

/* Off is the default, byte for byte: the v17 report, no locality rows. */
static void test_sim_numa_off_is_the_default_report(void **state)
{
	char *off_text = with_key(sim_default_scenario, "off");
	char *plain = report_of(sim_default_scenario, false, NULL);
	char *off = report_of(off_text, false, NULL);

	(void)state;
	if (strcmp(plain, off))
		fail_msg("numa-reclaim = off changed the report:\n%s\n---\n%s", plain, off);
	CHECK(!strstr(plain, "asked on node"), "no locality rows with it off");
	free(plain);
	free(off);
	free(off_text);
}

static void test_sim_numa_on_reports_locality_and_keeps_the_default_local(void **state)
{
	char *on_text = with_key(sim_default_scenario, "on");
	struct sim_result *off_r, *on_r;
	char *off = report_of(sim_default_scenario, false, &off_r);
	char *on = report_of(on_text, false, &on_r);

	(void)state;
	CHECK(strstr(on, "asked on node   allocs  served locally  served remotely  local share") !=
		      NULL,
	      "the locality header");
	CHECK(strstr(on, "\nall ") != NULL, "and the row over all nodes");
	expect_books_agree(off_r);
	expect_books_agree(on_r);
	CHECK(local_share(on_r) > local_share(off_r) + 0.1,
	      "node-aware reclaim serves far more allocations locally");
	CHECK(local_share(on_r) >= 0.97, "97% or more on the default scenario");
	sim_result_free(off_r);
	sim_result_free(on_r);
	free(off);
	free(on);
	free(on_text);
}

static void test_sim_numa_json_has_locality_only_when_on(void **state)
{
	static const char *const values[] = {"off", "on"};

	(void)state;
	for (int i = 0; i < 2; i++) {
		char *text = with_key(TWO_NODES, values[i]);
		struct sim_result *r;
		char *buf = report_of(text, true, &r);
		json_t *doc, *loc;

		doc = json_loads(buf, 0, NULL);
		assert_non_null(doc);
		loc = json_object_get(doc, "locality");
		if (i == 0) {
			CHECK(loc == NULL, "no locality object with it off");
		} else {
			json_t *nodes = json_object_get(loc, "nodes");
			uint64_t local = 0, remote = 0;

			CHECK(json_array_size(nodes) == 2, "a row per node");
			for (size_t k = 0; k < json_array_size(nodes); k++) {
				json_t *o = json_array_get(nodes, k);
				int node = (int)json_integer_value(json_object_get(o, "node"));

				CHECK_EQ((uint64_t)json_integer_value(json_object_get(o, "local")),
					 r->nodes[node].alloc_local, "local: the node's own");
				CHECK_EQ((uint64_t)json_integer_value(json_object_get(o, "remote")),
					 r->nodes[node].alloc_away, "remote: by requesting node");
				local += r->nodes[node].alloc_local;
				remote += r->nodes[node].alloc_away;
			}
			CHECK_EQ((uint64_t)json_integer_value(json_object_get(loc, "local")), local,
				 "the total local");
			CHECK_EQ((uint64_t)json_integer_value(json_object_get(loc, "remote")),
				 remote, "the total remote");
		}
		json_decref(doc);
		free(buf);
		sim_result_free(r);
		free(text);
	}
}

/*
 * Node 1's tenant is bigger than node 1: on, in deterministic mode, reclaim
 * for it takes node 1's pages and the tenant of node 0 never pages; both
 * modes keep the books and evict (the two enclaves do not fit the EPC).
 * Which enclave faults is the schedule's in threads mode (big may run to its
 * end before home starts, home's pages having made room), so only the
 * deterministic case says who.
 */
static struct sim_result *run_two_nodes(const char *mode, bool numa)
{
	char text[1024];
	struct sim_result *r;

	snprintf(text, sizeof(text), TWO_NODES "[run]\nmode = %s\nnuma-reclaim = %s\n", mode,
		 numa ? "on" : "off");
	r = sim_run_text("numa.ini", text);
	expect_books_agree(r);
	CHECK_EQ(r->enclaves[0].accesses + r->enclaves[1].accesses, 40000, "every access made");
	CHECK(r->enclaves[0].evicted + r->enclaves[1].evicted > 0,
	      "4 MiB of enclaves and their SECS do not fit 4 MiB of EPC: pages were evicted");
	return r;
}

static void test_sim_numa_overcommitted_node_deterministic(void **state)
{
	struct sim_result *off = run_two_nodes("deterministic", false);
	struct sim_result *on = run_two_nodes("deterministic", true);

	(void)state;
	CHECK(off->enclaves[1].faults > 0 && on->enclaves[1].faults > 0, "the big enclave pages");
	CHECK(off->nodes[1].alloc_away > 100, "node-blind: node 1's tenant lives off node 0");
	CHECK(off->enclaves[0].evicted > 0, "and node 0's tenant pays for it");
	CHECK(on->nodes[1].alloc_away < 16, "node-aware: node 1's tenant is served at home "
					    "(but while reclaim catches up)");
	CHECK_EQ(on->enclaves[0].evicted, 0, "node 0's tenant keeps its pages");
	sim_result_free(off);
	sim_result_free(on);
}

static void test_sim_numa_overcommitted_node_threads(void **state)
{
	(void)state;
	sim_result_free(run_two_nodes("threads", false));
	sim_result_free(run_two_nodes("threads", true));
}

static void test_sim_numa_key_refuses_other_values(void **state)
{
	static const char text[] = "[section 0]\nsize = 4M\n[run]\nnuma-reclaim = yes\n";
	struct sim_scenario *s = NULL;
	char err[SIM_ERR_LEN] = "";

	(void)state;
	CHECK_EQ(sim_scenario_new(&s), 0, "a scenario");
	CHECK_EQ(sim_scenario_parse(s, "numa.ini", text, strlen(text), err, sizeof(err)), -EINVAL,
		 "numa-reclaim = yes is refused");
	if (!strstr(err, "numa.ini:4:") || !strstr(err, "numa-reclaim: 'yes' (expected on or off)"))
		fail_msg("the message names the line and the values: %s", err);
	sim_scenario_free(s);
}

/*
 * Node 1's tenant in a cgroup whose limit a sweep moves; node 0's tenant
 * fits its node. @numa: the [run] line, or "" for none.
 */
static struct sim_sweep_result *sweep_two_nodes(const char *numa)
{
	char text[1024], err[SIM_ERR_LEN] = "";
	struct sim_scenario *s = NULL;
	struct sim_sweep_result *r = NULL;

	snprintf(text, sizeof(text),
		 "[node 0]\ncpus = 0\n[node 1]\ncpus = 1\n"
		 "[section 0]\nnode = 0\nsize = 2M\n[section 1]\nnode = 1\nsize = 2M\n"
		 "[cgroup /big]\nmax = max\n"
		 "[enclave home]\nsize = 1M\ncpus = 0\npattern = uniform\naccesses = 10k\n"
		 "[enclave big]\ncgroup = /big\nsize = 3M\ncpus = 1\npattern = zipf:0.9\n"
		 "accesses = 10k\n%s",
		 numa);
	CHECK_EQ(sim_scenario_new(&s), 0, "a scenario");
	if (sim_scenario_parse(s, "sweep.ini", text, strlen(text), err, sizeof(err)) ||
	    sim_scenario_finalize(s, err, sizeof(err)))
		fail_msg("the scenario: %s", err);
	struct sim_sweep_params p = {.scenario = s,
				     .cgroup = "/big",
				     .from = 1 << 20,
				     .to = 3 << 20,
				     .steps = 3,
				     .jobs = 2,
				     .target = 0.01};
	if (sim_sweep(&p, &r, err, sizeof(err)))
		fail_msg("the sweep: %s", err);
	sim_scenario_free(s);
	CHECK_EQ(r->nr_points, 3, "three limits");
	CHECK_EQ(r->nr_failed, 0, "every point ran");
	return r;
}

/*
 * One sweep sets the two policies side by side through the scenario key (a
 * file given after the scenario, as `epcmm sweep SCENARIO on.ini`): its
 * points run with the policy; off is the sweep without the key.
 */
static void test_sim_numa_sweep_takes_the_key(void **state)
{
	struct sim_sweep_result *plain = sweep_two_nodes("");
	struct sim_sweep_result *off = sweep_two_nodes("[run]\nnuma-reclaim = off\n");
	struct sim_sweep_result *on = sweep_two_nodes("[run]\nnuma-reclaim = on\n");
	bool differs = false;

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		CHECK_EQ(off->points[i].faults, plain->points[i].faults, "off is the default");
		CHECK_EQ(off->points[i].evictions, plain->points[i].evictions,
			 "off is the default");
		differs |= on->points[i].faults != off->points[i].faults;
	}
	/* at 3M /big's limit binds little: node-blind, big spills onto node 0's
	 * free pages; node-aware, it pages against its own node's 2M */
	CHECK(on->points[2].faults > off->points[2].faults, "on: node 1's tenant pages at home");
	CHECK(differs, "the policy reached the sweep's points");
	sim_sweep_free(plain);
	sim_sweep_free(off);
	sim_sweep_free(on);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_numa_off_is_the_default_report),
		cmocka_unit_test(test_sim_numa_on_reports_locality_and_keeps_the_default_local),
		cmocka_unit_test(test_sim_numa_json_has_locality_only_when_on),
		cmocka_unit_test(test_sim_numa_overcommitted_node_deterministic),
		cmocka_unit_test(test_sim_numa_overcommitted_node_threads),
		cmocka_unit_test(test_sim_numa_key_refuses_other_values),
		cmocka_unit_test(test_sim_numa_sweep_takes_the_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
