// SPDX-License-Identifier: MIT
/*
 * test_sim_events.c - [event NAME] during a run (sim/engine.c): an event
 * fires at its exact access count in deterministic mode, and its effect
 * shows in both modes: a misc.max cut below the usage makes the next charges
 * reclaim down to it, a memory.max cut OOM-kills the enclave whose eviction
 * it refuses (its charges returned, the run going on), a stopped enclave's
 * charge returns to 0, a start = event enclave starts at its event; the
 * clock jumps to an event that an idle machine waits for; an event the run
 * never reaches is reported so; the timeline names each event in its last
 * column and the plot draws it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"

#include "engine.h"
#include "plot.h"
#include "report.h"
#include "scenario.h"

#define KIB 1024ULL
#define MIB (1024ULL * 1024)

struct run {
	struct sim_scenario *s;
	struct sim_result *r;
	char *timeline; /* the CSV, when asked for */
	size_t timeline_len;
};

/* Parse @text with [run] mode = @mode and run it, with a timeline if @csv. */
static struct run run_text(const char *text, const char *mode, bool csv)
{
	struct run run = {0};
	char err[SIM_ERR_LEN] = "", *full;
	struct sim_run_params p = {.quiet = true};

	if (asprintf(&full, "%s[run]\nmode = %s\n", text, mode) < 0)
		fail_msg("out of memory");
	CHECK_EQ(sim_scenario_new(&run.s), 0, "a scenario");
	if (sim_scenario_parse(run.s, "ev.ini", full, strlen(full), err, sizeof(err)) ||
	    sim_scenario_finalize(run.s, err, sizeof(err)))
		fail_msg("the scenario: %s", err);
	free(full);
	p.scenario = run.s;
	if (csv)
		p.timeline = open_memstream(&run.timeline, &run.timeline_len);
	if (sim_run(&p, &run.r, err, sizeof(err)))
		fail_msg("the run (%s): %s", mode, err);
	if (csv)
		fclose(p.timeline);
	return run;
}

static void run_free(struct run *run)
{
	sim_result_free(run->r);
	sim_scenario_free(run->s);
	free(run->timeline);
}

/* The result of the event named @name. */
static const struct sim_event_result *event_named(const struct sim_result *r, const char *name)
{
	for (int i = 0; i < r->nr_events; i++)
		if (r->events[i].event && !strcmp(r->events[i].event->name, name))
			return &r->events[i];
	fail_msg("no event %s in the result", name);
	return NULL;
}

/* 12,345 is no multiple of the 64-access quantum: the engine cuts one there. */
#define EXACT_SCENARIO                                                                             \
	"[section 0]\nsize = 8M\n[cgroup /a]\n"                                                    \
	"[enclave e]\ncgroup = /a\nsize = 1M\naccesses = 50k\n"                                    \
	"[enclave f]\ncgroup = /a\nsize = 1M\naccesses = 50k\n"                                    \
	"[event cut]\nat = 12345\ncgroup = /a\nmax = 3M\n"

static void test_sim_events_fire_at_exact_access_count(void **state)
{
	struct run run = run_text(EXACT_SCENARIO, "deterministic", true);
	const struct sim_event_result *e = event_named(run.r, "cut");

	(void)state;
	CHECK(e->fired, "the event fired");
	CHECK_EQ(e->accesses, 12345, "at exactly its access count");
	CHECK(strstr(run.timeline, ",faults,event\n") != NULL,
	      "the timeline's header ends with the event column");
	CHECK(strstr(run.timeline, ",12345,") && strstr(run.timeline, ",cut\n"),
	      "and a row at 12,345 accesses names it");
	CHECK_EQ(run.r->cgroups[1].max, 3 * MIB, "the limit it wrote holds at the end");
	run_free(&run);
}

/* Same seed, same events: the same run, bit for bit. */
static void test_sim_events_deterministic_runs_repeat(void **state)
{
	struct run a = run_text(EXACT_SCENARIO, "deterministic", true);
	struct run b = run_text(EXACT_SCENARIO, "deterministic", true);

	(void)state;
	CHECK(a.timeline_len == b.timeline_len && !memcmp(a.timeline, b.timeline, a.timeline_len),
	      "two runs write the same timeline");
	CHECK_EQ(a.r->faults, b.r->faults, "and count the same faults");
	run_free(&a);
	run_free(&b);
}

/*
 * e pages under 2M from the start (3M uniform); the cut to 1M makes its
 * next charges reclaim down to the new limit. (Threads mode cuts at 0: the
 * sampling thread's first check, however busy the machine, so that the cut
 * cannot come after the run.)
 */
#define CUT_SCENARIO(AT)                                                                           \
	"[section 0]\nsize = 8M\n[cgroup /a]\nmax = 2M\n"                                          \
	"[enclave e]\ncgroup = /a\nsize = 3M\naccesses = 200k\n"                                   \
	"[event cut]\nat = " AT "\ncgroup = /a\nmax = 1M\n"

static void expect_cut_reclaims(const char *text, const char *mode)
{
	struct run run = run_text(text, mode, false);

	CHECK(event_named(run.r, "cut")->fired, "the cut fired");
	CHECK_EQ(run.r->cgroups[1].max, 1 * MIB, "the cgroup's limit is the cut one");
	CHECK(run.r->cgroups[1].current <= 1 * MIB, "reclaim brought it under the new limit");
	CHECK(run.r->cgroups[1].events > 0, "by refusing charges over it");
	CHECK_EQ(run.r->enclaves[0].accesses, 200000, "and the enclave made all its accesses");
	run_free(&run);
}

static void test_sim_events_max_cut_reclaims_deterministic(void **state)
{
	struct run run = run_text(CUT_SCENARIO("20k"), "deterministic", false);

	(void)state;
	CHECK(run.r->cgroups[1].peak > 1 * MIB, "it held more before the cut");
	run_free(&run);
	expect_cut_reclaims(CUT_SCENARIO("20k"), "deterministic");
}

static void test_sim_events_max_cut_reclaims_threads(void **state)
{
	(void)state;
	expect_cut_reclaims(CUT_SCENARIO("0"), "threads");
}

/*
 * memory.max of /a is cut to 4K at 10k accesses; f starts at 20k under
 * /a/f's 1M misc.max, so its build evicts, and the backing store of those
 * pages is charged to /a's memory: refused, the EADD that then finds no
 * room OOM-kills f (epcmm.h "Backing memory"). e, which never evicts, runs on.
 */
#define OOM_SCENARIO                                                                               \
	"[section 0]\nsize = 8M\n[cgroup /a/e]\n[cgroup /a/f]\nmax = 1M\n"                          \
	"[enclave e]\ncgroup = /a/e\nsize = 512K\naccesses = 100k\n"                               \
	"[enclave f]\ncgroup = /a/f\nsize = 3M\naccesses = 100k\nstart = event\n"                  \
	"[event squeeze]\nat = 10k\ncgroup = /a\nmemory.max = 4K\n"                                \
	"[event f-up]\nat = 20k\nenclave = f\naction = start\n"

static void expect_oom_kill(const char *mode)
{
	struct run run = run_text(OOM_SCENARIO, mode, true);
	const struct sim_event_result *kill = NULL;

	CHECK(event_named(run.r, "squeeze")->fired, "the memory.max cut fired");
	for (int i = 0; i < run.r->nr_events; i++)
		if (!run.r->events[i].event)
			kill = &run.r->events[i];
	CHECK(kill != NULL, "the library's OOM kill is listed with the events");
	CHECK(!strcmp(kill->enclave, "f"), "it names the enclave killed");
	CHECK(kill->accesses >= 20000, "after f started");
	CHECK(run.r->enclaves[1].killed, "f's result says it was killed");
	CHECK_EQ(run.r->enclaves[1].accesses, 0, "it made no accesses");
	CHECK_EQ(run.r->cgroups[3].current, 0, "its EPC charges were returned");
	CHECK(!run.r->enclaves[0].killed, "e was not killed");
	CHECK_EQ(run.r->enclaves[0].accesses, 100000, "and made all its accesses");
	CHECK(strstr(run.timeline, "oom-kill:f") != NULL, "the timeline names the kill");
	run_free(&run);
}

static void test_sim_events_memory_max_cut_oom_kills_deterministic(void **state)
{
	(void)state;
	expect_oom_kill("deterministic");
}

static void test_sim_events_memory_max_cut_oom_kills_threads(void **state)
{
	(void)state;
	expect_oom_kill("threads");
}

/* web starts at its event, long after 0, and is stopped 10k accesses later. */
#define START_STOP_SCENARIO                                                                        \
	"[section 0]\nsize = 8M\n[cgroup /a]\n[cgroup /w]\n"                                       \
	"[enclave base]\ncgroup = /a\nsize = 1M\naccesses = 100k\n"                                \
	"[enclave web]\ncgroup = /w\nsize = 1M\naccesses = 100k\nstart = event\n"                 \
	"[event up]\nat = 30k\nenclave = web\naction = start\n"                                    \
	"[event down]\nat = 50k\nenclave = web\naction = stop\n"

/* What holds in both modes. In threads mode the sampling thread fires the
 * events when it looks: on a busy machine it may pass both counts before
 * then (web does not run at all), or look only after web made all its
 * accesses (web is stopped when it is done already), so how much web ran is
 * checked in deterministic mode only. */
static struct run expect_start_stop(const char *mode)
{
	struct run run = run_text(START_STOP_SCENARIO, mode, false);
	const struct sim_enclave_result *web = &run.r->enclaves[1];

	CHECK(event_named(run.r, "up")->fired, "the start fired");
	CHECK(event_named(run.r, "down")->fired, "the stop fired");
	CHECK(web->stopped, "web's result says it was stopped");
	if (!strcmp(mode, "deterministic"))
		CHECK(web->accesses < 100000, "web ran between its events only");
	CHECK_EQ(run.r->cgroups[2].current, 0, "its cgroup holds nothing once it was stopped");
	CHECK_EQ(run.r->enclaves[0].accesses, 100000, "base made all its accesses");
	return run;
}

static void test_sim_events_start_and_stop_deterministic(void **state)
{
	struct run run = expect_start_stop("deterministic");

	(void)state;
	CHECK_EQ(event_named(run.r, "up")->accesses, 30000, "web starts at exactly 30k");
	CHECK_EQ(event_named(run.r, "down")->accesses, 50000, "and stops at exactly 50k");
	CHECK(run.r->enclaves[1].accesses > 0, "web ran in between");
	CHECK(run.r->cgroups[2].peak >= 1 * MIB, "its cgroup held its pages while it ran");
	run_free(&run);
}

static void test_sim_events_start_and_stop_threads(void **state)
{
	struct run run = expect_start_stop("threads");

	(void)state;
	run_free(&run);
}

/*
 * Nothing runs once base is done (10k accesses), but late waits for its
 * start at 1M: the clock jumps there, as for start-delay. The cut at 5M is
 * not reached: the run ends first, and the report says so.
 */
#define JUMP_SCENARIO                                                                              \
	"[section 0]\nsize = 8M\n[cgroup /a]\n"                                                    \
	"[enclave base]\nsize = 1M\naccesses = 10k\n"                                              \
	"[enclave late]\nsize = 1M\naccesses = 10k\nstart = event\n"                              \
	"[event up]\nat = 1M\nenclave = late\naction = start\n"                                    \
	"[event never]\nat = 5M\ncgroup = /a\nmax = 1M\n"

static void expect_jump(const char *mode)
{
	struct run run = run_text(JUMP_SCENARIO, mode, false);
	const struct sim_event_result *up = event_named(run.r, "up"),
				      *never = event_named(run.r, "never");
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	CHECK(up->fired, "the start fired though the machine never made 1M accesses");
	CHECK_EQ(run.r->enclaves[1].accesses, 10000, "late made its accesses");
	CHECK(!never->fired, "an event past the end does not fire");
	CHECK(run.r->cgroups[1].max == SIM_UNLIMITED, "and changes nothing");
	sim_report_text(f, run.s, run.r);
	fclose(f);
	CHECK(strstr(text, "not reached") != NULL, "the report says it was not reached");
	free(text);
	run_free(&run);
}

static void test_sim_events_clock_jumps_to_a_waited_event_deterministic(void **state)
{
	(void)state;
	expect_jump("deterministic");
}

static void test_sim_events_clock_jumps_to_a_waited_event_threads(void **state)
{
	(void)state;
	expect_jump("threads");
}

/* A modelled time: fired at the first check at or past it. */
static void test_sim_events_modelled_time(void **state)
{
	static const char text[] = "[section 0]\nsize = 8M\n[cgroup /a]\n"
				   "[enclave e]\ncgroup = /a\nsize = 1M\naccesses = 100k\n"
				   "[event t]\nat = 2ms\ncgroup = /a\nmax = 2M\n";
	struct run run = run_text(text, "deterministic", false);
	const struct sim_event_result *t = event_named(run.r, "t");

	(void)state;
	CHECK(t->fired, "the time event fired");
	CHECK(t->modelled_seconds >= 0.002, "not before its time");
	/* 200 cycles an access at 3 GHz: 2 ms is 30,000 accesses; a quantum later at most */
	CHECK(t->accesses >= 30000 && t->accesses <= 30000 + SIM_QUANTUM,
	      "within a quantum of it");
	run_free(&run);
}

/* The JSON lists the events; a scenario without any has no "events" key. */
static void test_sim_events_json(void **state)
{
	struct run run = run_text(START_STOP_SCENARIO, "deterministic", false);
	char *json = NULL;
	size_t len;
	FILE *f = open_memstream(&json, &len);

	(void)state;
	CHECK_EQ(sim_report_json(f, run.s, run.r), 0, "the JSON");
	fclose(f);
	CHECK(strstr(json, "\"events\": [") != NULL, "has an events array");
	CHECK(strstr(json, "\"action\": \"start\"") && strstr(json, "\"target\": \"web\""),
	      "naming each event's action and target");
	CHECK(strstr(json, "\"accesses\": 30000,") != NULL, "and when it fired");
	free(json);
	run_free(&run);
}

/* The timeline plot draws a labelled line per event (when gnuplot is here). */
static void test_sim_events_plot_marks_events(void **state)
{
	struct run run = run_text(START_STOP_SCENARIO, "deterministic", true);
	char dir[] = "/tmp/epcmm-test-events-XXXXXX", csv[64], svg[64], err[512];
	char *plot = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	CHECK(mkdtemp(dir) != NULL, "a temporary directory");
	snprintf(csv, sizeof(csv), "%s/t.csv", dir);
	snprintf(svg, sizeof(svg), "%s/t.svg", dir);
	f = fopen(csv, "w");
	CHECK(f && fwrite(run.timeline, 1, run.timeline_len, f) == run.timeline_len,
	      "write the timeline");
	fclose(f);
	if (sim_plot_check(svg, err, sizeof(err)) == -ENOENT) {
		print_message("gnuplot is not installed: only the CSV is checked\n");
	} else {
		if (sim_plot_timeline(csv, svg, "events", SIM_PLOT_X_ACCESSES, err, sizeof(err)))
			fail_msg("the plot: %s", err);
		f = fopen(svg, "r");
		CHECK(f != NULL, "the plot was written");
		CHECK(getdelim(&plot, &len, '\0', f) > 0, "read the plot");
		fclose(f);
		CHECK(strstr(plot, ">up<") && strstr(plot, ">down<"), "each event is labelled");
		free(plot);
		unlink(svg);
	}
	unlink(csv);
	rmdir(dir);
	run_free(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_events_fire_at_exact_access_count),
		cmocka_unit_test(test_sim_events_deterministic_runs_repeat),
		cmocka_unit_test(test_sim_events_max_cut_reclaims_deterministic),
		cmocka_unit_test(test_sim_events_max_cut_reclaims_threads),
		cmocka_unit_test(test_sim_events_memory_max_cut_oom_kills_deterministic),
		cmocka_unit_test(test_sim_events_memory_max_cut_oom_kills_threads),
		cmocka_unit_test(test_sim_events_start_and_stop_deterministic),
		cmocka_unit_test(test_sim_events_start_and_stop_threads),
		cmocka_unit_test(test_sim_events_clock_jumps_to_a_waited_event_deterministic),
		cmocka_unit_test(test_sim_events_clock_jumps_to_a_waited_event_threads),
		cmocka_unit_test(test_sim_events_modelled_time),
		cmocka_unit_test(test_sim_events_json),
		cmocka_unit_test(test_sim_events_plot_marks_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
