// SPDX-License-Identifier: MIT
/*
 * report.c - the human report and the JSON document (report.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report.h"

/* ---------------------------------------------------------------- text */

static const char *mode_name(enum sim_mode m)
{
	return m == SIM_MODE_DETERMINISTIC ? "deterministic" : "threads";
}

void sim_report_banner(FILE *f, const struct sim_scenario *s)
{
	char sz[32], total[32];
	uint64_t sum = 0;
	bool same = true;

	for (int i = 0; i < s->nr_sections; i++) {
		sum += s->sections[i].size;
		same = same && s->sections[i].size == s->sections[0].size;
	}
	fmt_size(sz, sizeof(sz), s->sections[0].size);
	fmt_size(total, sizeof(total), sum);
	fprintf(f, "epcmm %s: %s (%d node%s, ", EPCMM_VERSION_STRING, s->title, s->nr_nodes,
		s->nr_nodes == 1 ? "" : "s");
	if (s->nr_sections == 1)
		fprintf(f, "%s EPC", sz);
	else if (same)
		fprintf(f, "%d x %s EPC", s->nr_sections, sz);
	else
		fprintf(f, "%s EPC in %d sections", total, s->nr_sections);
	fprintf(f, ", %d cgroup%s, %d enclave%s), seed %" PRIu64 ", %s\n", s->nr_cgroups,
		s->nr_cgroups == 1 ? "" : "s", s->nr_enclaves, s->nr_enclaves == 1 ? "" : "s",
		s->run.seed, mode_name(s->run.mode));
}

static void report_nodes(FILE *f, const struct sim_result *r)
{
	static const char *const hdr[] = {"node", "EPC", "free", "local allocs", "remote allocs"};
	static const bool right[] = {false, true, true, true, true};
	struct fmt_table t = {.ncol = 5, .hdr = hdr, .right = right};

	for (int n = 0; n < r->nr_nodes; n++) {
		const struct sim_node_result *nr = &r->nodes[n];
		int row = fmt_table_row(&t);

		snprintf(fmt_table_cell(&t, row, 0), FMT_CELL, "%d", n);
		if (!nr->has_epc) {
			snprintf(fmt_table_cell(&t, row, 1), FMT_CELL, "none");
			snprintf(fmt_table_cell(&t, row, 2), FMT_CELL, "-");
		} else {
			fmt_size(fmt_table_cell(&t, row, 1), FMT_CELL, nr->total * EPC_PAGE_SIZE);
			fmt_size(fmt_table_cell(&t, row, 2), FMT_CELL, nr->free * EPC_PAGE_SIZE);
		}
		fmt_count(fmt_table_cell(&t, row, 3), FMT_CELL, nr->alloc_local);
		fmt_count(fmt_table_cell(&t, row, 4), FMT_CELL, nr->alloc_remote);
	}
	fmt_table_print(f, &t);
}

/*
 * The share of @local in @local + @remote in percent, rounded down to a
 * tenth (100.0% only when every one was local), "-" when there is none.
 */
static void fmt_share(char *buf, size_t len, uint64_t local, uint64_t remote)
{
	uint64_t tenths;

	if (!(local + remote)) {
		snprintf(buf, len, "-");
		return;
	}
	tenths = (uint64_t)(1000.0 * (double)local / (double)(local + remote)); /* truncated */
	snprintf(buf, len, "%llu.%llu%%", (unsigned long long)(tenths / 10),
		 (unsigned long long)(tenths % 10));
}

/* One locality row: allocations asked by tasks on a node (or all), where served. */
static void locality_row(struct fmt_table *t, const char *who, uint64_t local, uint64_t remote)
{
	int row = fmt_table_row(t);

	snprintf(fmt_table_cell(t, row, 0), FMT_CELL, "%s", who);
	fmt_count(fmt_table_cell(t, row, 1), FMT_CELL, local + remote);
	fmt_count(fmt_table_cell(t, row, 2), FMT_CELL, local);
	fmt_count(fmt_table_cell(t, row, 3), FMT_CELL, remote);
	fmt_share(fmt_table_cell(t, row, 4), FMT_CELL, local, remote);
}

/*
 * numa-reclaim on: allocations counted by the requesting task's node (the
 * node table counts them by the serving node), each node's share served
 * locally, and the share over all. Nodes whose tasks asked for nothing and
 * that have no EPC are left out.
 */
static void report_locality(FILE *f, const struct sim_result *r)
{
	static const char *const hdr[] = {"asked on node", "allocs", "served locally",
					  "served remotely", "local share"};
	static const bool right[] = {false, true, true, true, true};
	struct fmt_table t = {.ncol = 5, .hdr = hdr, .right = right};
	uint64_t local = 0, remote = 0;

	for (int n = 0; n < r->nr_nodes; n++) {
		const struct sim_node_result *nr = &r->nodes[n];
		char who[16];

		if (!nr->has_epc && !nr->alloc_away)
			continue;
		snprintf(who, sizeof(who), "%d", n);
		locality_row(&t, who, nr->alloc_local, nr->alloc_away);
		local += nr->alloc_local;
		remote += nr->alloc_away;
	}
	locality_row(&t, "all", local, remote);
	fmt_table_print(f, &t);
}

static void report_cgroups(FILE *f, const struct sim_result *r)
{
	static const char *const hdr[] = {"cgroup",  "max",	 "current", "peak",    "events",
					  "evicted", "reloaded", "EAUGs",   "trimmed", "removed"};
	static const bool right[] = {false, true, true, true, true, true, true, true, true, true};
	/* the EDMM columns only when a dynamic enclave ran */
	struct fmt_table t = {.ncol = r->edmm ? 10 : 7, .hdr = hdr, .right = right};

	for (int i = 0; i < r->nr_cgroups; i++) {
		const struct sim_cgroup_result *c = &r->cgroups[i];
		int row = fmt_table_row(&t);

		snprintf(fmt_table_cell(&t, row, 0), FMT_CELL, "%s", c->path);
		if (i == 0)
			snprintf(fmt_table_cell(&t, row, 1), FMT_CELL, "-");
		else if (c->max == SIM_UNLIMITED)
			snprintf(fmt_table_cell(&t, row, 1), FMT_CELL, "max");
		else
			fmt_size(fmt_table_cell(&t, row, 1), FMT_CELL, c->max);
		fmt_size(fmt_table_cell(&t, row, 2), FMT_CELL, c->current);
		fmt_size(fmt_table_cell(&t, row, 3), FMT_CELL, c->peak);
		if (i == 0)
			snprintf(fmt_table_cell(&t, row, 4), FMT_CELL, "-");
		else
			fmt_count(fmt_table_cell(&t, row, 4), FMT_CELL, c->events);
		fmt_count(fmt_table_cell(&t, row, 5), FMT_CELL, c->evicted);
		fmt_count(fmt_table_cell(&t, row, 6), FMT_CELL, c->reloaded);
		if (r->edmm) {
			fmt_count(fmt_table_cell(&t, row, 7), FMT_CELL, c->augmented);
			fmt_count(fmt_table_cell(&t, row, 8), FMT_CELL, c->trimmed);
			fmt_count(fmt_table_cell(&t, row, 9), FMT_CELL, c->removed);
		}
	}
	fmt_table_print(f, &t);
}

static void report_enclaves(FILE *f, const struct sim_result *r)
{
	static const char *const hdr[] = {"enclave",  "cgroup", "size",	      "threads",
					  "accesses", "faults", "fault rate", "evicted",
					  "reloaded", "EAUGs",	"trimmed",    "removed"};
	static const bool right[] = {false, false, true, true, true, true,
				     true,  true,  true, true, true, true};
	struct fmt_table t = {.ncol = r->edmm ? 12 : 9, .hdr = hdr, .right = right};

	for (int i = 0; i < r->nr_enclaves; i++) {
		const struct sim_enclave_result *e = &r->enclaves[i];
		int row = fmt_table_row(&t);

		snprintf(fmt_table_cell(&t, row, 0), FMT_CELL, "%s", e->name);
		snprintf(fmt_table_cell(&t, row, 1), FMT_CELL, "%s", e->cgroup);
		fmt_size(fmt_table_cell(&t, row, 2), FMT_CELL, e->size);
		snprintf(fmt_table_cell(&t, row, 3), FMT_CELL, "%u", e->threads);
		fmt_count(fmt_table_cell(&t, row, 4), FMT_CELL, e->accesses);
		fmt_count(fmt_table_cell(&t, row, 5), FMT_CELL, e->faults);
		fmt_rate(fmt_table_cell(&t, row, 6), FMT_CELL, e->faults, e->fault_rate);
		fmt_count(fmt_table_cell(&t, row, 7), FMT_CELL, e->evicted);
		fmt_count(fmt_table_cell(&t, row, 8), FMT_CELL, e->reloaded);
		if (r->edmm && e->dynamic) {
			fmt_count(fmt_table_cell(&t, row, 9), FMT_CELL, e->augmented);
			fmt_count(fmt_table_cell(&t, row, 10), FMT_CELL, e->trimmed);
			fmt_count(fmt_table_cell(&t, row, 11), FMT_CELL, e->removed);
		} else if (r->edmm) { /* a static enclave: no EDMM */
			for (int c = 9; c < 12; c++)
				snprintf(fmt_table_cell(&t, row, c), FMT_CELL, "-");
		}
	}
	fmt_table_print(f, &t);
}

static void fmt_seconds(char *buf, size_t len, double s)
{
	if (s == 0)
		snprintf(buf, len, "0 s");
	else if (s >= 1e9) /* %.2f would not fit, and the unit would be cut off */
		snprintf(buf, len, "%.3g s", s);
	else if (s >= 1)
		snprintf(buf, len, "%.2f s", s);
	else if (s >= 1e-3)
		snprintf(buf, len, "%.2f ms", s * 1e3);
	else
		snprintf(buf, len, "%.2f us", s * 1e6);
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* An event's action as reports name it: a limit by its file (the library's table). */
static const char *action_name(enum sim_event_action a)
{
	switch (a) {
	case SIM_EVENT_MISC_MAX:
		return epc_cgroup_file_type(EPC_CGF_MISC_MAX)->name;
	case SIM_EVENT_MEMORY_MAX:
		return epc_cgroup_file_type(EPC_CGF_MEMORY_MAX)->name;
	case SIM_EVENT_START:
		return "start";
	case SIM_EVENT_STOP:
		return "stop";
	case SIM_EVENT_TRIM:
		return "trim";
	case SIM_EVENT_NONE:
		break;
	}
	return "?"; /* not given: the scenario's checks refuse it */
}

/* The events and OOM kills of the run: shown when the scenario has events or
 * the library killed an enclave. */
static bool has_events(const struct sim_scenario *s, const struct sim_result *r)
{
	return s->nr_events > 0 || r->nr_events > 0;
}

/* What @e did, in a cell: "/tenant-a misc.max = 8 MiB", "start batch". */
static void fmt_event_what(char *buf, size_t len, const struct sim_event_result *e)
{
	const struct sim_event *ev = e->event;
	char v[32];

	if (!ev) {
		snprintf(buf, len, "OOM kill of %s", e->enclave);
	} else if (ev->action == SIM_EVENT_START || ev->action == SIM_EVENT_STOP) {
		snprintf(buf, len, "%s %s", action_name(ev->action), ev->enclave);
	} else if (ev->action == SIM_EVENT_TRIM) {
		char what[128];
		size_t n;

		fmt_size(v, sizeof(v), ev->value);
		if (e->fired) {
			char pages[32];

			fmt_count(pages, sizeof(pages), e->trimmed);
			snprintf(what, sizeof(what), "trim %.31s by %s: %s page%s removed",
				 ev->enclave, v, pages, plural(e->trimmed));
		} else {
			snprintf(what, sizeof(what), "trim %.31s by %s", ev->enclave, v);
		}
		n = strlen(what) < len ? strlen(what) : len - 1; /* a cell cuts it, as others */
		memcpy(buf, what, n);
		buf[n] = '\0';
	} else {
		if (ev->value == SIM_UNLIMITED)
			snprintf(v, sizeof(v), "max");
		else
			fmt_size(v, sizeof(v), ev->value);
		snprintf(buf, len, "%s %s = %s", ev->cgroup, action_name(ev->action), v);
	}
}

/* One row per event: as asked, when it fired (or that the run ended first). */
static void report_events(FILE *f, const struct sim_result *r)
{
	static const char *const hdr[] = {"event", "at", "fired at", "modelled", "what"};
	static const bool right[] = {false, true, true, true, false};
	struct fmt_table t = {.ncol = 5, .hdr = hdr, .right = right};

	for (int i = 0; i < r->nr_events; i++) {
		const struct sim_event_result *e = &r->events[i];
		int row = fmt_table_row(&t);

		snprintf(fmt_table_cell(&t, row, 0), FMT_CELL, "%s",
			 e->event ? e->event->name : "-");
		snprintf(fmt_table_cell(&t, row, 1), FMT_CELL, "%s",
			 e->event ? e->event->at_text : "-");
		if (e->fired) {
			fmt_count(fmt_table_cell(&t, row, 2), FMT_CELL, e->accesses);
			fmt_seconds(fmt_table_cell(&t, row, 3), FMT_CELL, e->modelled_seconds);
		} else {
			snprintf(fmt_table_cell(&t, row, 2), FMT_CELL, "not reached");
			snprintf(fmt_table_cell(&t, row, 3), FMT_CELL, "-");
		}
		fmt_event_what(fmt_table_cell(&t, row, 4), FMT_CELL, e);
	}
	fmt_table_print(f, &t);
}

/*
 * Four lines: what was paged, then who freed the pages (ksgxd, direct
 * reclaim on a full EPC, reclaim under a cgroup limit) and how often each ran.
 */
static void report_reclaimer(FILE *f, const struct sim_result *r)
{
	const struct sim_reclaim_result *k = &r->reclaim;
	char n[8][32];

	fmt_count(n[0], 32, k->evicted);
	fmt_count(n[1], 32, k->build_evicted);
	fmt_count(n[2], 32, k->reloaded);
	fprintf(f,
		"reclaimer: %s pages evicted (EWB, %s of them while enclaves were built), %s "
		"reloaded (ELDU)\n",
		n[0], n[1], n[2]);
	fmt_count(n[0], 32, k->reclaimed_ksgxd);
	fmt_count(n[1], 32, k->ksgxd_wakeups);
	fmt_count(n[2], 32, k->ksgxd_runs);
	fmt_count(n[3], 32, k->ksgxd_batches);
	fprintf(f, "  freed by ksgxd %s (woken %s time%s, ran %s time%s, %s batch%s)\n", n[0], n[1],
		plural(k->ksgxd_wakeups), n[2], plural(k->ksgxd_runs), n[3],
		k->ksgxd_batches == 1 ? "" : "es");
	fmt_count(n[0], 32, k->reclaimed_direct);
	fmt_count(n[1], 32, k->reclaimed_cgroup);
	fmt_count(n[2], 32, k->cgroup_rounds_sync);
	fmt_count(n[3], 32, k->cgroup_rounds_async);
	fmt_count(n[4], 32, k->cgroup_work_queued);
	fprintf(f, "  freed by direct reclaim (a full EPC) %s\n", n[0]);
	fprintf(f,
		"  freed by cgroup reclaim %s (%s round%s sync, %s async, work queued %s time%s)\n",
		n[1], n[2], plural(k->cgroup_rounds_sync), n[3], n[4],
		plural(k->cgroup_work_queued));
}

void sim_report_text(FILE *f, const struct sim_scenario *s, const struct sim_result *r)
{
	const struct sim_cost *c = &s->run.cost;
	char a[32], b[32], d[32], m[32], base[32], build[32], ghz[32];

	fputc('\n', f);
	report_nodes(f, r);
	fputc('\n', f);
	if (r->numa_reclaim) {
		report_locality(f, r);
		fputc('\n', f);
	}
	report_cgroups(f, r);
	fputc('\n', f);
	report_enclaves(f, r);
	fputc('\n', f);
	if (has_events(s, r)) {
		report_events(f, r);
		fputc('\n', f);
	}
	report_reclaimer(f, r);
	fmt_seconds(m, sizeof(m), r->modelled_seconds);
	fmt_seconds(base, sizeof(base), r->baseline_seconds);
	fmt_seconds(build, sizeof(build), r->build_seconds);
	/* one decimal, as the scenarios write it, unless it takes more */
	if (fabs(c->clock_ghz * 10 - round(c->clock_ghz * 10)) < 1e-9)
		snprintf(ghz, sizeof(ghz), "%.1f", c->clock_ghz);
	else
		snprintf(ghz, sizeof(ghz), "%g", c->clock_ghz);
	fmt_count(a, sizeof(a), c->fault);
	fmt_count(b, sizeof(b), c->ewb);
	fmt_count(d, sizeof(d), c->eldu);
	fprintf(f,
		"modelled time on SGX hardware: run %s (%.2fx the %s without paging), build %s\n"
		"  (cycles: %" PRIu64 " an access, %s a fault, %s an EWB, %s an ELDU;\n"
		"  %s GHz, %d CPU%s at once; epcmm-scenario(5) says where they come from)\n",
		m, r->slowdown, base, build, c->access, a, b, d, ghz, r->nr_cpus_used,
		r->nr_cpus_used == 1 ? "" : "s");
	if (r->edmm) {
		fmt_count(a, sizeof(a), r->augmented);
		fmt_count(b, sizeof(b), r->trimmed);
		fmt_count(d, sizeof(d), r->removed);
		fprintf(f, "EDMM: %s pages EAUGed, %s trimmed, %s removed", a, b, d);
		fmt_count(a, sizeof(a), c->eaug);
		fmt_count(b, sizeof(b), c->trim);
		fprintf(f, " (cycles: %s an EAUG + EACCEPT, %s a trim)\n", a, b);
	}
}

/* ---------------------------------------------------------------- JSON */

static json_t *jint(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static int set(json_t *o, const char *key, json_t *v)
{
	return v ? json_object_set_new(o, key, v) : -1;
}

static json_t *json_nodes(const struct sim_result *r)
{
	json_t *a = json_array();

	for (int n = 0; a && n < r->nr_nodes; n++) {
		const struct sim_node_result *nr = &r->nodes[n];
		json_t *o = json_object();

		if (!o || set(o, "node", json_integer(n)) ||
		    set(o, "epc_bytes", jint(nr->total * EPC_PAGE_SIZE)) ||
		    set(o, "free_bytes", jint(nr->free * EPC_PAGE_SIZE)) ||
		    set(o, "alloc_local", jint(nr->alloc_local)) ||
		    set(o, "alloc_remote", jint(nr->alloc_remote)) || json_array_append_new(a, o)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* The locality rows of report_locality() (numa-reclaim on), by requesting node. */
static json_t *json_locality(const struct sim_result *r)
{
	json_t *doc = json_object(), *a = json_array();
	uint64_t local = 0, remote = 0;

	if (!doc || !a || set(doc, "nodes", a)) {
		json_decref(a);
		json_decref(doc);
		return NULL;
	}
	for (int n = 0; n < r->nr_nodes; n++) {
		const struct sim_node_result *nr = &r->nodes[n];
		json_t *o;

		if (!nr->has_epc && !nr->alloc_away)
			continue;
		o = json_object();
		if (!o || set(o, "node", json_integer(n)) ||
		    set(o, "local", jint(nr->alloc_local)) ||
		    set(o, "remote", jint(nr->alloc_away)) || json_array_append_new(a, o)) {
			json_decref(o);
			json_decref(doc);
			return NULL;
		}
		local += nr->alloc_local;
		remote += nr->alloc_away;
	}
	if (set(doc, "local", jint(local)) || set(doc, "remote", jint(remote)) ||
	    set(doc, "local_share",
		json_real(local + remote ? (double)local / (double)(local + remote) : 0.0))) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static json_t *json_cgroups(const struct sim_result *r)
{
	json_t *a = json_array();

	for (int i = 0; a && i < r->nr_cgroups; i++) {
		const struct sim_cgroup_result *c = &r->cgroups[i];
		json_t *o = json_object();

		if (!o || set(o, "path", json_string(c->path)) ||
		    set(o, "max", c->max == SIM_UNLIMITED ? json_null() : jint(c->max)) ||
		    set(o, "current", jint(c->current)) || set(o, "peak", jint(c->peak)) ||
		    set(o, "events", i ? jint(c->events) : json_null()) ||
		    set(o, "evicted", jint(c->evicted)) || set(o, "reloaded", jint(c->reloaded)) ||
		    set(o, "reclaim_sync", jint(c->reclaim_sync)) ||
		    set(o, "reclaim_async", jint(c->reclaim_async)) ||
		    set(o, "work_queued", jint(c->work_queued)) ||
		    set(o, "work_run", jint(c->work_run)) ||
		    (r->edmm && (set(o, "augmented", jint(c->augmented)) ||
				 set(o, "trimmed", jint(c->trimmed)) ||
				 set(o, "removed", jint(c->removed)))) ||
		    json_array_append_new(a, o)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *json_enclaves(const struct sim_result *r)
{
	json_t *a = json_array();

	for (int i = 0; a && i < r->nr_enclaves; i++) {
		const struct sim_enclave_result *e = &r->enclaves[i];
		json_t *o = json_object();

		if (!o || set(o, "name", json_string(e->name)) ||
		    set(o, "cgroup", json_string(e->cgroup)) || set(o, "size", jint(e->size)) ||
		    set(o, "threads", json_integer(e->threads)) ||
		    set(o, "accesses", jint(e->accesses)) || set(o, "writes", jint(e->writes)) ||
		    set(o, "faults", jint(e->faults)) ||
		    set(o, "fault_rate", json_real(e->fault_rate)) ||
		    set(o, "evictions", jint(e->evicted)) || set(o, "reloads", jint(e->reloaded)) ||
		    set(o, "modelled_cycles", jint(e->cycles)) ||
		    (r->edmm && (set(o, "dynamic", json_boolean(e->dynamic)) ||
				 set(o, "augmented", jint(e->augmented)) ||
				 set(o, "trimmed", jint(e->trimmed)) ||
				 set(o, "removed", jint(e->removed)))) ||
		    json_array_append_new(a, o)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *json_event(const struct sim_event_result *e)
{
	const struct sim_event *ev = e->event;
	bool limit = ev && (ev->action == SIM_EVENT_MISC_MAX || ev->action == SIM_EVENT_MEMORY_MAX);
	json_t *o = json_object();

	if (!o || set(o, "name", ev ? json_string(ev->name) : json_null()) ||
	    set(o, "action", json_string(ev ? action_name(ev->action) : "oom-kill")) ||
	    set(o, "target",
		json_string(!ev	    ? e->enclave
			    : limit ? ev->cgroup
				    : ev->enclave)) ||
	    set(o, "value", limit && ev->value != SIM_UNLIMITED ? jint(ev->value) : json_null()) ||
	    set(o, "at", ev ? json_string(ev->at_text) : json_null()) ||
	    set(o, "fired", json_boolean(e->fired)) ||
	    set(o, "accesses", e->fired ? jint(e->accesses) : json_null()) ||
	    set(o, "modelled_seconds", e->fired ? json_real(e->modelled_seconds) : json_null()) ||
	    (ev && ev->action == SIM_EVENT_TRIM &&
	     (set(o, "value", jint(ev->value)) ||
	      set(o, "trimmed_pages", e->fired ? jint(e->trimmed) : json_null())))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *json_events(const struct sim_result *r)
{
	json_t *a = json_array();

	for (int i = 0; a && i < r->nr_events; i++)
		if (json_array_append_new(a, json_event(&r->events[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *json_doc(const struct sim_scenario *s, const struct sim_result *r)
{
	const struct sim_cost *c = &s->run.cost;
	json_t *doc = json_object(), *rec = json_object(), *cost = json_object();

	const struct sim_reclaim_result *k = &r->reclaim;

	if (!doc || !rec || !cost || set(rec, "evicted", jint(k->evicted)) ||
	    set(rec, "reloaded", jint(k->reloaded)) ||
	    set(rec, "ksgxd_wakeups", jint(k->ksgxd_wakeups)) ||
	    set(rec, "alloc_failed", jint(k->alloc_failed)) ||
	    set(rec, "build_evicted", jint(k->build_evicted)) ||
	    set(rec, "build_reloaded", jint(k->build_reloaded)) ||
	    set(rec, "ksgxd_runs", jint(k->ksgxd_runs)) ||
	    set(rec, "ksgxd_batches", jint(k->ksgxd_batches)) ||
	    set(rec, "reclaimed_ksgxd", jint(k->reclaimed_ksgxd)) ||
	    set(rec, "reclaimed_direct", jint(k->reclaimed_direct)) ||
	    set(rec, "reclaimed_cgroup", jint(k->reclaimed_cgroup)) ||
	    set(rec, "cgroup_rounds_sync", jint(k->cgroup_rounds_sync)) ||
	    set(rec, "cgroup_rounds_async", jint(k->cgroup_rounds_async)) ||
	    set(rec, "cgroup_work_queued", jint(k->cgroup_work_queued)) ||
	    set(rec, "cgroup_work_run", jint(k->cgroup_work_run)) ||
	    set(cost, "cycles_access", jint(c->access)) ||
	    set(cost, "cycles_fault", jint(c->fault)) || set(cost, "cycles_ewb", jint(c->ewb)) ||
	    set(cost, "cycles_eldu", jint(c->eldu)) ||
	    (r->edmm && (set(cost, "cycles_eaug", jint(c->eaug)) ||
			 set(cost, "cycles_trim", jint(c->trim)))) ||
	    set(cost, "clock_ghz", json_real(c->clock_ghz)) ||
	    set(cost, "cpus", json_integer(r->nr_cpus_used)) ||
	    set(doc, "epcmm_version", json_string(EPCMM_VERSION_STRING)) ||
	    set(doc, "scenario", json_string(s->title)) || set(doc, "seed", jint(r->seed)) ||
	    set(doc, "mode", json_string(mode_name(r->mode))) || set(doc, "nodes", json_nodes(r)) ||
	    (r->numa_reclaim && set(doc, "locality", json_locality(r))) ||
	    set(doc, "cgroups", json_cgroups(r)) || set(doc, "enclaves", json_enclaves(r)) ||
	    set(doc, "reclaimer", rec) || set(doc, "accesses", jint(r->accesses)) ||
	    set(doc, "faults", jint(r->faults)) || set(doc, "cost_model", cost) ||
	    set(doc, "modelled_seconds", json_real(r->modelled_seconds)) ||
	    set(doc, "modelled_build_seconds", json_real(r->build_seconds)) ||
	    set(doc, "modelled_baseline_seconds", json_real(r->baseline_seconds)) ||
	    set(doc, "modelled_slowdown", json_real(r->slowdown)) ||
	    (has_events(s, r) && set(doc, "events", json_events(r)))) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

int sim_report_json(FILE *f, const struct sim_scenario *s, const struct sim_result *r)
{
	json_t *doc = json_doc(s, r);
	int ret;

	if (!doc)
		return -ENOMEM;
	ret = json_dumpf(doc, f, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
	json_decref(doc);
	if (ret || fputc('\n', f) == EOF)
		return -EIO;
	return 0;
}
