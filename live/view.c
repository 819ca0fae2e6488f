// SPDX-License-Identifier: MIT
/*
 * view.c - the daemon's state as `epcmm status` and `top` show it (view.h).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "proto.h"
#include "view.h"

#define PAGE ((uint64_t)4096)

static int cg_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct epcmm_snap_cgroup *const *)a)->path,
		      (*(const struct epcmm_snap_cgroup *const *)b)->path);
}

/* @v's cgroups by path, for cg_find() (a view of 100,000 cgroups renders
 * with rates without comparing every pair); NULL without memory (then no
 * rates). */
static const struct epcmm_snap_cgroup **cg_index(const struct epcmm_snapshot *v)
{
	const struct epcmm_snap_cgroup **idx =
		malloc((v->nr_cgroups ? v->nr_cgroups : 1) * sizeof(*idx));

	if (!idx)
		return NULL;
	for (size_t i = 0; i < v->nr_cgroups; i++)
		idx[i] = &v->cgroups[i];
	qsort(idx, v->nr_cgroups, sizeof(*idx), cg_cmp);
	return idx;
}

static const struct epcmm_snap_cgroup *
cg_find(const struct epcmm_snapshot *v, const struct epcmm_snap_cgroup **idx, const char *path)
{
	struct epcmm_snap_cgroup key = {.path = (char *)path};
	const struct epcmm_snap_cgroup *k = &key, **hit;

	if (!idx || !v->nr_cgroups)
		return NULL;
	hit = bsearch(&k, idx, v->nr_cgroups, sizeof(*idx), cg_cmp);
	return hit ? *hit : NULL;
}

/* A cell holding a path, escaped as the text report writes it (a name's
 * spaces and control bytes as \ooo: nothing reaches the terminal). */
static void cell_path(struct fmt_table *t, int row, int col, const char *path)
{
	char *shown = epcmm_path_escape(path);

	fmt_table_set(t, row, col, shown ? shown : "?");
	free(shown);
}

static void render_nodes(FILE *f, const struct epcmm_snapshot *v)
{
	static const char *const hdr[] = {"NODE", "TOTAL", "FREE", "USED"};
	static const bool right[] = {false, true, true, true};
	struct fmt_table t = {.ncol = 4, .hdr = hdr, .right = right};

	for (size_t i = 0; i < v->nr_nodes; i++) {
		const struct epcmm_snap_node *n = &v->nodes[i];
		int row = fmt_table_row(&t);

		snprintf(fmt_table_cell(&t, row, 0), FMT_CELL, "%d", n->id);
		fmt_size(fmt_table_cell(&t, row, 1), FMT_CELL, n->total * PAGE);
		fmt_size(fmt_table_cell(&t, row, 2), FMT_CELL, n->free * PAGE);
		fmt_size(fmt_table_cell(&t, row, 3), FMT_CELL, (n->total - n->free) * PAGE);
	}
	fmt_table_print(f, &t);
}

static void render_cgroups(FILE *f, const struct epcmm_snapshot *v,
			   const struct epcmm_snapshot *prev, double dt, int pw)
{
	static const char *const hdr[] = {"CGROUP", "CURRENT", "MAX",  "PEAK",
					  "EVENTS", "EVICT/s", "PROCS"};
	static const bool right[] = {false, true, true, true, true, true, true};
	const int max[] = {pw, 0, 0, 0, 0, 0, 0};
	struct fmt_table t = {.ncol = 7, .hdr = hdr, .right = right, .max = max};
	const struct epcmm_snap_cgroup **idx = prev ? cg_index(prev) : NULL;

	for (size_t i = 0; i < v->nr_cgroups; i++) {
		const struct epcmm_snap_cgroup *g = &v->cgroups[i];
		const struct epcmm_snap_cgroup *o = cg_find(prev, idx, g->path);
		int row = fmt_table_row(&t);

		cell_path(&t, row, 0, g->path);
		fmt_size(fmt_table_cell(&t, row, 1), FMT_CELL, g->current);
		if (g->max != EPCMM_NO_LIMIT)
			fmt_size(fmt_table_cell(&t, row, 2), FMT_CELL, g->max);
		else
			fmt_table_set(&t, row, 2, strcmp(g->path, "/") ? "max" : "-");
		fmt_size(fmt_table_cell(&t, row, 3), FMT_CELL, g->peak);
		fmt_count(fmt_table_cell(&t, row, 4), FMT_CELL, g->events);
		if (o && dt > 0)
			snprintf(fmt_table_cell(&t, row, 5), FMT_CELL, "%.0f",
				 (double)(g->evicted - o->evicted) / dt);
		else
			fmt_table_set(&t, row, 5, "-");
		fmt_count(fmt_table_cell(&t, row, 6), FMT_CELL, g->procs);
	}
	free(idx);
	fmt_table_print(f, &t);
}

static void render_clients(FILE *f, const struct epcmm_snapshot *v, int pw)
{
	static const char *const hdr[] = {"CLIENT", "CGROUP", "CPU", "NODE", "ENCLAVES", "PAGES"};
	static const bool right[] = {true, false, true, true, true, true};
	const int max[] = {0, pw, 0, 0, 0, 0};
	struct fmt_table t = {.ncol = 6, .hdr = hdr, .right = right, .max = max};

	if (!v->nr_clients) {
		fprintf(f, "CLIENT\n(none)\n");
		return;
	}
	for (size_t i = 0; i < v->nr_clients; i++) {
		const struct epcmm_snap_client *cl = &v->clients[i];
		int row = fmt_table_row(&t);

		snprintf(fmt_table_cell(&t, row, 0), FMT_CELL, "%d", (int)cl->pid);
		cell_path(&t, row, 1, cl->cgroup);
		snprintf(fmt_table_cell(&t, row, 2), FMT_CELL, "%d", cl->cpu);
		snprintf(fmt_table_cell(&t, row, 3), FMT_CELL, "%d", cl->node);
		fmt_count(fmt_table_cell(&t, row, 4), FMT_CELL, cl->nr_encls);
		fmt_count(fmt_table_cell(&t, row, 5), FMT_CELL, cl->nr_pages);
	}
	fmt_table_print(f, &t);
}

static void render_encls(FILE *f, const struct epcmm_snapshot *v)
{
	static const char *const hdr[] = {"ENCLAVE",  "CLIENT",	 "SIZE",     "PAGES",
					  "RESIDENT", "EVICTED", "RELOADED", "FAULTS"};
	static const bool right[] = {true, true, true, true, true, true, true, true};
	struct fmt_table t = {.ncol = 8, .hdr = hdr, .right = right};

	if (!v->nr_encls)
		return;
	for (size_t i = 0; i < v->nr_encls; i++) {
		const struct epcmm_snap_encl *e = &v->encls[i];
		int row = fmt_table_row(&t);

		snprintf(fmt_table_cell(&t, row, 0), FMT_CELL, "%#" PRIx64, e->id);
		snprintf(fmt_table_cell(&t, row, 1), FMT_CELL, "%d", (int)e->pid);
		fmt_size(fmt_table_cell(&t, row, 2), FMT_CELL, e->size);
		fmt_count(fmt_table_cell(&t, row, 3), FMT_CELL, e->pages);
		fmt_count(fmt_table_cell(&t, row, 4), FMT_CELL, e->resident);
		fmt_count(fmt_table_cell(&t, row, 5), FMT_CELL, e->evicted);
		fmt_count(fmt_table_cell(&t, row, 6), FMT_CELL, e->reloaded);
		fmt_count(fmt_table_cell(&t, row, 7), FMT_CELL, e->faults);
	}
	fputc('\n', f);
	fmt_table_print(f, &t);
}

void live_view_render(FILE *f, const struct epcmm_snapshot *v, const struct epcmm_snapshot *prev,
		      double dt, int width)
{
	char a[32], b[32], c[32], d[32];
	int pw = width <= 0 ? 0 : width - 56 > 12 ? width - 56 : 12; /* 0: whole */

	fmt_size(a, sizeof(a), v->total * PAGE);
	fmt_size(b, sizeof(b), v->free * PAGE);
	fmt_size(c, sizeof(c), (v->total - v->free) * PAGE);
	fmt_size(d, sizeof(d), v->reclaimable * PAGE);
	fprintf(f, "EPC %s: free %s, used %s, reclaimable %s", a, b, c, d);
	fmt_count(a, sizeof(a), v->evicted);
	fmt_count(b, sizeof(b), v->reloaded);
	fprintf(f, "\nevicted %s, reloaded %s", a, b);
	if (prev && dt > 0)
		fprintf(f, "  (%.0f/s evicted, %.0f/s reloaded)",
			(double)(v->evicted - prev->evicted) / dt,
			(double)(v->reloaded - prev->reloaded) / dt);
	fputs("\n\n", f);
	render_nodes(f, v);
	fputc('\n', f);
	render_cgroups(f, v, prev, dt, pw);
	fputc('\n', f);
	render_clients(f, v, pw);
	render_encls(f, v);
}

/* --- OpenMetrics -------------------------------------------------------- */

#define OM_PAGE ((uint64_t)4096)

/* Is @s (@n bytes) valid UTF-8 (no overlong forms, no surrogates)? */
static int utf8_valid(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], len = c < 0x80	      ? 1
					 : (c & 0xe0) == 0xc0 ? 2
					 : (c & 0xf0) == 0xe0 ? 3
					 : (c & 0xf8) == 0xf0 ? 4
							      : 0;
		uint32_t cp;

		if (!len || i + len > n)
			return 0;
		cp = len == 1 ? c : c & (0x7f >> len);
		for (unsigned k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/* The cgroup path @p as a label value: the cgroup's own name when it is
 * valid UTF-8, else its text report form (epcmm_path_escape()) with bytes
 * from 0x80 as \ooo too; then escaped as OpenMetrics wants: backslash,
 * double quote and newline. */
static void om_label_path(FILE *f, const char *p)
{
	size_t n = strlen(p);
	bool raw = utf8_valid((const unsigned char *)p, n);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!raw && (epcmm_path_escaped(c) || c >= 0x80))
			fprintf(f, "\\\\%03o", c);
		else if (c == '\\')
			fputs("\\\\", f);
		else if (c == '"')
			fputs("\\\"", f);
		else if (c == '\n')
			fputs("\\n", f);
		else
			fputc(c, f);
	}
}

/* A family's HELP and TYPE lines. */
static void om_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The cgroup families: a member's value, and whether @c has one. */
enum om_cg_field {
	CG_USAGE,
	CG_PEAK,
	CG_MAX,
	CG_EVENTS,
	CG_EVICT,
	CG_RELOAD,
	CG_PROCS
};
static const struct {
	const char *name, *type, *help;
	enum om_cg_field field;
} om_cg[] = {
	{"epcmm_cgroup_usage_bytes", "gauge", "EPC charged to the cgroup (misc.current sgx_epc).",
	 CG_USAGE},
	{"epcmm_cgroup_peak_bytes", "gauge",
	 "Highest EPC charge of the cgroup (misc.peak sgx_epc).", CG_PEAK},
	{"epcmm_cgroup_max_bytes", "gauge",
	 "EPC limit of the cgroup (misc.max sgx_epc); no sample while it is max (no limit).",
	 CG_MAX},
	{"epcmm_cgroup_events_max", "counter",
	 "Charges refused at the cgroup's limit, or that reclaimed to fit it (misc.events max).",
	 CG_EVENTS},
	{"epcmm_cgroup_evictions", "counter", "EPC pages of the cgroup evicted.", CG_EVICT},
	{"epcmm_cgroup_reloads", "counter", "EPC pages of the cgroup reloaded after eviction.",
	 CG_RELOAD},
	{"epcmm_cgroup_procs", "gauge", "Processes in the cgroup (cgroup.procs).", CG_PROCS},
};

static int om_cg_value(const struct epcmm_snap_cgroup *c, enum om_cg_field field, uint64_t *v)
{
	switch (field) {
	case CG_USAGE:
		*v = c->current;
		return 1;
	case CG_PEAK:
		*v = c->peak;
		return 1;
	case CG_MAX:
		*v = c->max;
		return c->max != EPCMM_NO_LIMIT;
	case CG_EVENTS:
		*v = c->events;
		return 1;
	case CG_EVICT:
		*v = c->evicted;
		return 1;
	case CG_RELOAD:
		*v = c->reloaded;
		return 1;
	case CG_PROCS:
		*v = c->procs;
		return 1;
	}
	return 0;
}

/* The enclave families: per enclave of a daemon that reports its id. */
enum om_encl_field {
	EN_SIZE,
	EN_RESIDENT,
	EN_FAULTS,
	EN_EVICT,
	EN_RELOAD
};
static const struct {
	const char *name, *type, *help;
	enum om_encl_field field;
} om_encl[] = {
	{"epcmm_enclave_size_bytes", "gauge", "Size of the enclave's address range.", EN_SIZE},
	{"epcmm_enclave_resident_bytes", "gauge", "EPC pages of the enclave resident, in bytes.",
	 EN_RESIDENT},
	{"epcmm_enclave_faults", "counter", "Accesses of the enclave that found the page evicted.",
	 EN_FAULTS},
	{"epcmm_enclave_evictions", "counter", "Pages of the enclave evicted.", EN_EVICT},
	{"epcmm_enclave_reloads", "counter", "Pages of the enclave reloaded after eviction.",
	 EN_RELOAD},
};

static uint64_t om_encl_value(const struct epcmm_snap_encl *e, enum om_encl_field field)
{
	switch (field) {
	case EN_SIZE:
		return e->size;
	case EN_RESIDENT:
		return e->resident * OM_PAGE;
	case EN_FAULTS:
		return e->faults;
	case EN_EVICT:
		return e->evicted;
	case EN_RELOAD:
		return e->reloaded;
	}
	return 0;
}

void live_view_openmetrics(FILE *f, const struct epcmm_snapshot *v)
{
	om_family(f, "epcmm_epc_total_bytes", "gauge", "EPC of the emulated machine.");
	fprintf(f, "epcmm_epc_total_bytes %" PRIu64 "\n", v->total * OM_PAGE);
	om_family(f, "epcmm_epc_free_bytes", "gauge", "EPC not allocated.");
	fprintf(f, "epcmm_epc_free_bytes %" PRIu64 "\n", v->free * OM_PAGE);
	om_family(f, "epcmm_epc_reclaimable_bytes", "gauge", "EPC pages the reclaimer may evict.");
	fprintf(f, "epcmm_epc_reclaimable_bytes %" PRIu64 "\n", v->reclaimable * OM_PAGE);
	om_family(f, "epcmm_epc_evictions", "counter", "EPC pages evicted (EWB).");
	fprintf(f, "epcmm_epc_evictions_total %" PRIu64 "\n", v->evicted);
	om_family(f, "epcmm_epc_reloads", "counter", "EPC pages reloaded (ELDU).");
	fprintf(f, "epcmm_epc_reloads_total %" PRIu64 "\n", v->reloaded);

	om_family(f, "epcmm_node_total_bytes", "gauge", "EPC of the NUMA node.");
	for (size_t i = 0; i < v->nr_nodes; i++)
		fprintf(f, "epcmm_node_total_bytes{node=\"%d\"} %" PRIu64 "\n", v->nodes[i].id,
			v->nodes[i].total * OM_PAGE);
	om_family(f, "epcmm_node_free_bytes", "gauge", "Free EPC of the NUMA node.");
	for (size_t i = 0; i < v->nr_nodes; i++)
		fprintf(f, "epcmm_node_free_bytes{node=\"%d\"} %" PRIu64 "\n", v->nodes[i].id,
			v->nodes[i].free * OM_PAGE);

	for (size_t k = 0; k < sizeof(om_cg) / sizeof(om_cg[0]); k++) {
		int counter = !strcmp(om_cg[k].type, "counter");

		om_family(f, om_cg[k].name, om_cg[k].type, om_cg[k].help);
		for (size_t i = 0; i < v->nr_cgroups; i++) {
			uint64_t x;

			if (!om_cg_value(&v->cgroups[i], om_cg[k].field, &x))
				continue;
			fprintf(f, "%s%s{cgroup=\"", om_cg[k].name, counter ? "_total" : "");
			om_label_path(f, v->cgroups[i].path);
			fprintf(f, "\"} %" PRIu64 "\n", x);
		}
	}

	om_family(f, "epcmm_client_enclaves", "gauge", "Enclaves of a connected client process.");
	for (size_t i = 0; i < v->nr_clients; i++) {
		fprintf(f, "epcmm_client_enclaves{pid=\"%d\",cgroup=\"", (int)v->clients[i].pid);
		om_label_path(f, v->clients[i].cgroup);
		fprintf(f, "\"} %" PRIu64 "\n", v->clients[i].nr_encls);
	}
	for (size_t k = 0; k < sizeof(om_encl) / sizeof(om_encl[0]); k++) {
		int counter = !strcmp(om_encl[k].type, "counter");

		om_family(f, om_encl[k].name, om_encl[k].type, om_encl[k].help);
		for (size_t i = 0; i < v->nr_encls; i++) {
			const struct epcmm_snap_encl *e = &v->encls[i];

			fprintf(f, "%s%s{pid=\"%d\",enclave=\"%" PRIu64 "\"} %" PRIu64 "\n",
				om_encl[k].name, counter ? "_total" : "", (int)e->pid, e->id,
				om_encl_value(e, om_encl[k].field));
		}
	}
	fputs("# EOF\n", f);
}
