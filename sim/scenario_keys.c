// SPDX-License-Identifier: MIT
/*
 * scenario_keys.c - the keys of each section and their values: which keys a
 * section has, each value parsed and range-checked (value.h) as it comes,
 * each error naming "[section] key", the value and the range. What needs
 * other sections (a cgroup an enclave names, an event's target) waits for
 * scenario_check.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "scenario_internal.h"
#include "value.h"

/* an event's at: the machine's accesses, every enclave's at most */
#define SIM_MAX_EVENT_ACCESSES (SIM_MAX_ACCESSES * SIM_MAX_ENCLAVES)

/* A scenario's cgroup paths: a grammar of its own, narrower than the
 * library's (which takes the kernel's names, epcmm.h): names of
 * [A-Za-z0-9._-], up to 255 bytes, that a report prints as they are and an
 * INI section header holds. Checked here to name the line. */
bool sim__cgroup_path_ok(const char *path)
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

/* Whether the cgroup at @depth (0: the root) has a file @name[0..@len), by the
 * header's table (no library call: the scenario fuzzer links sim/ alone). */
static bool cgroup_has_file(const char *name, size_t len, int depth)
{
#define SIM_FILE_(id, fname, mode, flags)                                                          \
	if (strlen(fname) == len && !memcmp(name, fname, len))                                     \
		return !((flags) & (depth ? EPC_CFTYPE_ONLY_ON_ROOT : EPC_CFTYPE_NOT_ON_ROOT));
	EPC_CGROUP_FILES(SIM_FILE_)
#undef SIM_FILE_
	return false;
}

bool sim__cgroup_path_takes_file(const char *path)
{
	const char *c = path;

	for (int depth = 0; *c == '/' && c[1]; depth++) {
		size_t len = strcspn(++c, "/");

		if (cgroup_has_file(c, len, depth))
			return true;
		c += len;
	}
	return false;
}

bool sim__name_ok(const char *name)
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
		sim__fail(p, "%s", msg);
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
		sim__fail(p, "%s", msg);
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
		sim__fail(p, "%s", msg);
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
		sim__fail(p, "%s %s: '%s': CPUs are numbered 0 to %d", p->header, key, v,
			  EPC_MAX_CPUS - 1);
		return false;
	}
	if (ret == -EDOM) {
		sim__fail(p, "%s %s: '%s': a range is written low to high (like 1-3)", p->header,
			  key, v);
		return false;
	}
	if (ret) {
		sim__fail(p, "%s %s: '%s' is not a CPU list (like 0-3,8; each CPU once)", p->header,
			  key, v);
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

/* "distances = 10,21": one per node, each 10 to 255. */
static void node_distances(struct parser *p, struct sim_node *n, const char *v)
{
	const char *t = v;
	int i = 0;

	for (;; i++) {
		const char *t0;
		uint64_t d;
		int r;

		if (i == EPC_MAX_NODES)
			return sim__fail(p, "%s distances: more than %d entries", p->header,
					 EPC_MAX_NODES);
		while (*t == ' ')
			t++;
		t0 = t;
		r = sim_parse_digits(&t, &d);
		if (r == -EINVAL)
			goto not_a_list;
		if (r || d < 10 || d > 255)
			return sim__fail(p, "%s distances: %.*s is out of range (10 to 255)",
					 p->header, (int)(t - t0), t0);
		n->distances[i] = (uint8_t)d;
		while (*t == ' ')
			t++;
		if (!*t)
			break;
		if (*t != ',')
			goto not_a_list;
		t++;
	}
	n->nr_distances = i + 1;
	n->distances_loc = sim__here(p);
	return;
not_a_list:
	sim__fail(p,
		  "%s distances: '%s' is not a list of numbers (like 10,21: one per node, this "
		  "node's own 10)",
		  p->header, v);
}

static void key_node(struct parser *p, const char *key, const char *v)
{
	struct sim_node *n = &p->s->nodes[p->index];

	if (!strcmp(key, "cpus")) {
		if (want_cpus(p, key, v, &n->cpus, &n->nr_cpus))
			n->cpus_loc = sim__here(p);
	} else if (!strcmp(key, "distances")) {
		node_distances(p, n, v);
	} else {
		sim__fail(p, "%s: unknown key '%s' (a node has cpus and distances)", p->header,
			  key);
	}
}

static void key_section(struct parser *p, const char *key, const char *v)
{
	struct sim_section *sec = &p->s->sections[p->index];

	if (!strcmp(key, "node")) {
		if (!sim__parse_id(v, EPC_MAX_NODES, &sec->node))
			return sim__fail(p, "%s node: '%s' is not a node number (0 to %d)",
					 p->header, v, EPC_MAX_NODES - 1);
		sec->node_loc = sim__here(p);
	} else if (!strcmp(key, "size")) {
		if (want_page_size(p, key, v, SIM_MAX_SECTION_BYTES, &sec->size))
			sec->size_loc = sim__here(p);
	} else if (!strcmp(key, "phys")) {
		char *end;
		unsigned long long a;

		errno = 0;
		a = strtoull(v, &end, 0);
		if (!isdigit((unsigned char)v[0]) || *end)
			return sim__fail(p, "%s phys: '%s' is not an address (like 0x80000000)",
					 p->header, v);
		if (errno)
			return sim__fail(p, "%s phys: %s is out of range (0 to 0xfffffffffffff000)",
					 p->header, v);
		if (a % EPC_PAGE_SIZE)
			return sim__fail(p, "%s phys: %s is not 4K aligned", p->header, v);
		sec->phys = a;
		sec->has_phys = true;
		sec->phys_loc = sim__here(p);
	} else {
		sim__fail(p, "%s: unknown key '%s' (a section has node, size and phys)", p->header,
			  key);
	}
}

static void key_cgroup(struct parser *p, const char *key, const char *v)
{
	struct sim_cgroup *cg = &p->s->cgroups[p->index];
	bool root = !strcmp(cg->path, "/");

	if (!strcmp(key, "max")) {
		if (root)
			return sim__fail(
				p, "[cgroup /] max: the root has no misc.max (its limit is the "
				   "EPC's size)");
		if (want_limit(p, key, v, &cg->max))
			cg->max_loc = sim__here(p);
	} else if (!strcmp(key, sim__file_name(EPC_CGF_MEMORY_MAX))) {
		if (root)
			return sim__fail(
				p, "[cgroup /] memory.max: the root has no memory.max (its limit "
				   "is the host's memory)");
		if (want_limit(p, key, v, &cg->memory_max))
			cg->memory_max_loc = sim__here(p);
	} else {
		sim__fail(p, "%s: unknown key '%s' (a cgroup has max and memory.max)", p->header,
			  key);
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
			return sim__fail(p, "%s pattern: zipf needs its exponent: zipf:0.99",
					 p->header);
		if (!want_decimal(p, "pattern zipf", arg, 0, true, SIM_ZIPF_THETA_MAX, "like 0.99",
				  &pt.theta))
			return;
	} else if (kl == 11 && !strncmp(v, "working-set", 11)) {
		pt.kind = SIM_PATTERN_WORKING_SET;
		if (!arg || !*arg)
			return sim__fail(p,
					 "%s pattern: working-set needs its size: working-set:16M",
					 p->header);
		if (!want_page_size(p, "pattern working-set", arg, EPC_ENCL_MAX_SIZE, &pt.ws_bytes))
			return;
	} else if (kl == 5 && !strncmp(v, "trace", 5)) {
		const char *slash = strrchr(p->file, '/');

		pt.kind = SIM_PATTERN_TRACE;
		if (!arg || !*arg)
			return sim__fail(p, "%s pattern: trace needs a file: trace:FILE",
					 p->header);
		if (arg[0] != '/' && slash) {
			if (asprintf(&pt.trace_path, "%.*s/%s", (int)(slash - p->file), p->file,
				     arg) < 0) {
				pt.trace_path = NULL;
				p->enomem = 1;
			}
		} else {
			pt.trace_path = sim__dup_str(p, arg);
		}
		if (!pt.trace_path)
			return;
	} else {
		return sim__fail(
			p,
			"%s pattern: unknown pattern '%s' (sequential, uniform, zipf:THETA, "
			"working-set:SIZE or trace:FILE)",
			p->header, v);
	}
	sim__pattern_free(&e->pattern);
	e->pattern = pt;
}

/* A percentage, "25" or "25%". */
static bool want_percent(struct parser *p, const char *key, const char *v, uint64_t *out)
{
	char buf[16];
	size_t l = strlen(v);

	if (l && l < sizeof(buf) && v[l - 1] == '%') {
		memcpy(buf, v, l - 1);
		buf[l - 1] = '\0';
		v = buf;
	}
	return want_count(p, key, v, 0, 100, out);
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
		if (!sim__cgroup_path_ok(v))
			return sim__fail(p, "%s cgroup: '%s' is not a cgroup path (like /tenant-a)",
					 p->header, v);
		free(e->cgroup);
		if (!(e->cgroup = sim__dup_str(p, v)))
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
	case SIM_EK_WRITES:
		if (!want_percent(p, key, v, &n))
			return;
		e->writes = (unsigned)n;
		break;
	case SIM_EK_START_DELAY:
		if (!want_count(p, key, v, 0, SIM_MAX_ACCESSES, &e->start_delay))
			return;
		break;
	case SIM_EK_START:
		if (!parse_enum(v, starts, 2, &i))
			return sim__fail(p, "%s start: '%s' (expected delay or event)", p->header,
					 v);
		e->start_event = i;
		break;
	case SIM_EK_DYNAMIC:
		if (!parse_enum(v, onoff, 2, &i))
			return sim__fail(p, "%s dynamic: '%s' (expected on or off)", p->header, v);
		e->dynamic = i;
		break;
	case SIM_EK_STATIC:
		if (!want_size(p, key, v, 0, EPC_ENCL_MAX_SIZE, EPC_PAGE_SIZE, &e->static_size))
			return;
		break;
	default:
		return sim__fail(
			p,
			"%s: unknown key '%s' (an enclave has cgroup, size, threads, cpus, "
			"pattern, accesses, writes, start-delay, start, dynamic and static)",
			p->header, key);
	}
	e->set |= 1u << k;
	e->key_loc[k] = sim__here(p);
}

/* [run]'s cost model keys. Return: false when @key is not one. */
static bool key_run_cost(struct parser *p, const char *key, const char *v)
{
	struct sim_cost *c = &p->s->run.cost;
	const struct {
		const char *key;
		uint64_t *cycles;
	} keys[] = {
		{"cycles-access", &c->access}, {"cycles-fault", &c->fault},
		{"cycles-ewb", &c->ewb},       {"cycles-eldu", &c->eldu},
		{"cycles-eaug", &c->eaug},     {"cycles-trim", &c->trim},
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(key, keys[i].key)) {
			want_count(p, key, v, 0, SIM_MAX_COST_CYCLES, keys[i].cycles);
			return true;
		}
	if (strcmp(key, "clock-ghz"))
		return false;
	want_decimal(p, key, v, SIM_MIN_CLOCK_GHZ, false, SIM_MAX_CLOCK_GHZ, "like 3.0",
		     &c->clock_ghz);
	return true;
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
			return sim__fail(p, "%s", msg);
		r->seed = n;
	} else if (!strcmp(key, "mode")) {
		if (!parse_enum(v, modes, 2, &i))
			return sim__fail(p, "[run] mode: '%s' (expected deterministic or threads)",
					 v);
		r->mode = (enum sim_mode)i;
	} else if (!strcmp(key, "fallback")) {
		if (!parse_enum(v, fallbacks, 2, &i))
			return sim__fail(
				p, "[run] fallback: '%s' (expected node-order or distance)", v);
		r->fallback = (enum epc_fallback)i;
	} else if (!strcmp(key, "pcp-batch")) {
		if (want_count(p, key, v, 0, EPC_PCP_BATCH_MAX, &n))
			r->pcp_batch = (unsigned)n;
	} else if (!strcmp(key, "contents")) {
		if (!parse_enum(v, onoff, 2, &i))
			return sim__fail(p, "[run] contents: '%s' (expected on or off)", v);
		r->contents = i;
	} else if (!strcmp(key, "margin-reclaim")) {
		if (!parse_enum(v, onoff, 2, &i))
			return sim__fail(p, "[run] margin-reclaim: '%s' (expected on or off)", v);
		r->margin_reclaim = i;
	} else if (!strcmp(key, "numa-reclaim")) {
		if (!parse_enum(v, onoff, 2, &i))
			return sim__fail(p, "[run] numa-reclaim: '%s' (expected on or off)", v);
		r->numa_reclaim = i;
	} else if (!key_run_cost(p, key, v)) {
		sim__fail(p,
			  "[run]: unknown key '%s' (seed, mode, fallback, pcp-batch, contents, "
			  "margin-reclaim, numa-reclaim, cycles-access, cycles-fault, cycles-ewb, "
			  "cycles-eldu, cycles-eaug, cycles-trim, clock-ghz)",
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
			return sim__fail(p, "%s: %s is out of range (0 to %.0f s of modelled time)",
					 what, v, SIM_MAX_EVENT_SECONDS);
		ev->clock = SIM_AT_SECONDS;
		ev->at_seconds = x * at_units[u].seconds;
		goto done;
	}
	if (sim_parse_count(v, &count) == -EINVAL)
		return sim__fail(p,
				 "%s: '%s' is neither an access count (like 200k: the machine's "
				 "accesses) nor a modelled time (like 5ms, 2.5s or 100us)",
				 what, v);
	if (sim_value_count(what, v, 0, SIM_MAX_EVENT_ACCESSES, &ev->at, msg, sizeof(msg)))
		return sim__fail(p, "%s", msg);
	ev->clock = SIM_AT_ACCESSES;
done:
	snprintf(ev->at_text, sizeof(ev->at_text), "%s", v);
	ev->has_at = true;
	ev->at_loc = sim__here(p);
}

/* The action of @ev, given by @key: one per event, whichever file gave it. */
static bool event_action(struct parser *p, struct sim_event *ev, const char *key,
			 enum sim_event_action a)
{
	const char *const keys[] = {
		[SIM_EVENT_MISC_MAX] = "max",
		[SIM_EVENT_MEMORY_MAX] = sim__file_name(EPC_CGF_MEMORY_MAX),
		[SIM_EVENT_START] = "action",
		[SIM_EVENT_STOP] = "action",
		[SIM_EVENT_TRIM] = "trim",
	};

	if (ev->action != SIM_EVENT_NONE && strcmp(keys[ev->action], key)) {
		sim__fail(p,
			  "%s %s: an event does one thing, and %s is given at %s:%u (make another "
			  "[event])",
			  p->header, key, keys[ev->action], ev->action_loc.file,
			  ev->action_loc.line);
		return false;
	}
	ev->action = a;
	ev->action_loc = sim__here(p);
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
		if (!sim__cgroup_path_ok(v))
			return sim__fail(p, "%s cgroup: '%s' is not a cgroup path (like /tenant-a)",
					 p->header, v);
		free(ev->cgroup);
		if ((ev->cgroup = sim__dup_str(p, v)))
			ev->cgroup_loc = sim__here(p);
	} else if (!strcmp(key, "enclave")) {
		if (!sim__name_ok(v))
			return sim__fail(
				p,
				"%s enclave: '%s' is not an enclave name (1 to %d letters, "
				"digits, '.', '_' or '-')",
				p->header, v, SIM_NAME_MAX - 1);
		free(ev->enclave);
		if ((ev->enclave = sim__dup_str(p, v)))
			ev->enclave_loc = sim__here(p);
	} else if (!strcmp(key, "max") || !strcmp(key, sim__file_name(EPC_CGF_MEMORY_MAX))) {
		if (want_limit(p, key, v, &limit) &&
		    event_action(p, ev, key,
				 strcmp(key, "max") ? SIM_EVENT_MEMORY_MAX : SIM_EVENT_MISC_MAX))
			ev->value = limit;
	} else if (!strcmp(key, "action")) {
		if (!parse_enum(v, actions, 2, &i))
			return sim__fail(p, "%s action: '%s' (expected start or stop)", p->header,
					 v);
		event_action(p, ev, key, i ? SIM_EVENT_STOP : SIM_EVENT_START);
	} else if (!strcmp(key, "trim")) {
		if (want_size(p, key, v, EPC_PAGE_SIZE, EPC_ENCL_MAX_SIZE, EPC_PAGE_SIZE, &limit) &&
		    event_action(p, ev, key, SIM_EVENT_TRIM))
			ev->value = limit;
	} else {
		sim__fail(
			p,
			"%s: unknown key '%s' (an event has at, and cgroup with max or memory.max, "
			"or enclave with action or trim)",
			p->header, key);
	}
}

void sim__key(struct parser *p, const char *key, const char *value)
{
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
}
