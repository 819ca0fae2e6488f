// SPDX-License-Identifier: MIT
/*
 * view.c - parse and render the status report (view.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

/* The render's buffer for a path cut to the screen's width. */
#define VIEW_PATH_MAX 4096
/* Space-separated words a line of a kind this parser knows may have (the
 * longest has 17; later versions may add key-value pairs). */
#define VIEW_MAX_WORDS 64
#define PAGE	       4096ULL

struct vnode {
	int id;
	uint64_t total, free;
};
struct vcg {
	char *path;
	uint64_t current, peak, events, evicted, reloaded;
	char max[32]; /* "max" or a number of bytes */
	int procs;
};
struct vclient {
	int pid;
	char *cgroup;
	unsigned encls, pages;
	size_t first_encl, nr_listed; /* its encl lines: encls[first_encl..+nr_listed) */
};
struct vencl {
	int pid;
	uint64_t size, pages, resident, evicted, reloaded;
	uint64_t id, faults; /* valid if has_id (a daemon older than 0.2.0 sends neither) */
	int has_id;
};

struct live_view {
	uint64_t total, free, reclaimable, evicted, reloaded;
	struct vnode *nodes;
	struct vcg *cgs;
	struct vclient *clients;
	struct vencl *encls;
	size_t nr_nodes, nr_cgs, nr_clients, nr_encls;
	size_t cap_nodes, cap_cgs, cap_clients, cap_encls;
	const struct vcg **by_path; /* @cgs sorted by path, for cg_find() */
};

/* Room in @arr (@nr elements of @size used, *@cap allocated) for one more,
 * doubling. Return: the array, maybe moved (*@cap updated); NULL without
 * memory (@arr is unchanged then). */
static void *room(void *arr, size_t nr, size_t *cap, size_t size)
{
	size_t c;
	void *n;

	if (nr < *cap)
		return arr;
	c = *cap ? 2 * *cap : 16;
	n = c <= SIZE_MAX / size ? realloc(arr, c * size) : NULL;
	if (n)
		*cap = c;
	return n;
}

/* Split @line (modified) at spaces into @w. Return: the number of words; -1
 * more than VIEW_MAX_WORDS. */
static int split(char *line, char **w)
{
	char *save = NULL;
	int nr = 0;

	for (char *p = strtok_r(line, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
		if (nr == VIEW_MAX_WORDS)
			return -1;
		w[nr++] = p;
	}
	return nr;
}

/* The value after @key among the key-value pairs w[@first], w[@first + 1],
 * ... (a key this parser does not know is skipped); NULL if absent. */
static const char *val(char **w, int nr, int first, const char *key)
{
	for (int i = first; i + 1 < nr; i += 2)
		if (!strcmp(w[i], key))
			return w[i + 1];
	return NULL;
}

/* Decimal digits only, no sign, no overflow. */
static int num_u64(const char *s, uint64_t *v)
{
	uint64_t n = 0;

	if (!s || !*s)
		return -EBADMSG;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || n > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -EBADMSG;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*v = n;
	return 0;
}

static int num_max(const char *s, uint64_t max, uint64_t *v)
{
	return num_u64(s, v) || *v > max ? -EBADMSG : 0;
}

/* The u64 value of @key. */
static int get_u64(char **w, int nr, int first, const char *key, uint64_t *v)
{
	return num_u64(val(w, nr, first, key), v);
}

static int get_int(char **w, int nr, int first, const char *key, int *v)
{
	uint64_t n;

	if (num_max(val(w, nr, first, key), INT_MAX, &n))
		return -EBADMSG;
	*v = (int)n;
	return 0;
}

static int get_uint(char **w, int nr, int first, const char *key, unsigned *v)
{
	uint64_t n;

	if (num_max(val(w, nr, first, key), UINT_MAX, &n))
		return -EBADMSG;
	*v = (unsigned)n;
	return 0;
}

static int parse_epc(struct live_view *v, char **w, int nr)
{
	if (get_u64(w, nr, 1, "total", &v->total) || get_u64(w, nr, 1, "free", &v->free) ||
	    get_u64(w, nr, 1, "reclaimable", &v->reclaimable) ||
	    get_u64(w, nr, 1, "evicted", &v->evicted) ||
	    get_u64(w, nr, 1, "reloaded", &v->reloaded))
		return -EBADMSG;
	return 0;
}

static int parse_node(struct live_view *v, char **w, int nr)
{
	struct vnode n, *a;

	if (get_int(w, nr, 0, "node", &n.id) || get_u64(w, nr, 0, "total", &n.total) ||
	    get_u64(w, nr, 0, "free", &n.free))
		return -EBADMSG;
	if (!(a = room(v->nodes, v->nr_nodes, &v->cap_nodes, sizeof(*a))))
		return -ENOMEM;
	v->nodes = a;
	v->nodes[v->nr_nodes++] = n;
	return 0;
}

static int parse_cgroup(struct live_view *v, char **w, int nr)
{
	const char *path = val(w, nr, 0, "cgroup"), *max = val(w, nr, 0, "max");
	struct vcg c = {0}, *a;
	uint64_t bytes;

	if (!path || path[0] != '/' || !max || strlen(max) >= sizeof(c.max) ||
	    (strcmp(max, "max") && num_u64(max, &bytes)) ||
	    get_u64(w, nr, 0, "current", &c.current) || get_u64(w, nr, 0, "peak", &c.peak) ||
	    get_u64(w, nr, 0, "events", &c.events) || get_u64(w, nr, 0, "evicted", &c.evicted) ||
	    get_u64(w, nr, 0, "reloaded", &c.reloaded) || get_int(w, nr, 0, "procs", &c.procs))
		return -EBADMSG;
	strcpy(c.max, max);
	if (!(c.path = strdup(path)))
		return -ENOMEM;
	if (!(a = room(v->cgs, v->nr_cgs, &v->cap_cgs, sizeof(*a)))) {
		free(c.path);
		return -ENOMEM;
	}
	v->cgs = a;
	v->cgs[v->nr_cgs++] = c;
	return 0;
}

static int parse_client(struct live_view *v, char **w, int nr)
{
	const char *cg = val(w, nr, 0, "cgroup");
	struct vclient c = {.first_encl = v->nr_encls}, *a;

	if (!cg || cg[0] != '/' || get_int(w, nr, 0, "client", &c.pid) ||
	    get_uint(w, nr, 0, "enclaves", &c.encls) || get_uint(w, nr, 0, "pages", &c.pages))
		return -EBADMSG;
	if (!(c.cgroup = strdup(cg)))
		return -ENOMEM;
	if (!(a = room(v->clients, v->nr_clients, &v->cap_clients, sizeof(*a)))) {
		free(c.cgroup);
		return -ENOMEM;
	}
	v->clients = a;
	v->clients[v->nr_clients++] = c;
	return 0;
}

/* An enclave belongs to the client line before it: a paged report is not
 * one snapshot, so one that follows another client's line (its own client
 * went, or came, between two pages) is left out. */
static int parse_encl(struct live_view *v, char **w, int nr)
{
	struct vclient *owner = v->nr_clients ? &v->clients[v->nr_clients - 1] : NULL;
	struct vencl e, *a;

	if (get_int(w, nr, 0, "encl", &e.pid) || get_u64(w, nr, 0, "size", &e.size) ||
	    get_u64(w, nr, 0, "pages", &e.pages) || get_u64(w, nr, 0, "resident", &e.resident) ||
	    get_u64(w, nr, 0, "evicted", &e.evicted) || get_u64(w, nr, 0, "reloaded", &e.reloaded))
		return -EBADMSG;
	e.has_id = val(w, nr, 0, "id") != NULL;
	if (e.has_id && (get_u64(w, nr, 0, "id", &e.id) || get_u64(w, nr, 0, "faults", &e.faults)))
		return -EBADMSG;
	if (!owner || owner->pid != e.pid || owner->first_encl + owner->nr_listed != v->nr_encls)
		return 0;
	if (!(a = room(v->encls, v->nr_encls, &v->cap_encls, sizeof(*a))))
		return -ENOMEM;
	v->encls = a;
	v->encls[v->nr_encls++] = e;
	owner->nr_listed++;
	return 0;
}

static const struct {
	const char *kind;
	int first; /* the word the key-value pairs start at */
	int (*parse)(struct live_view *v, char **w, int nr);
} kinds[] = {
	{"epc", 1, parse_epc},	     {"node", 0, parse_node}, {"cgroup", 0, parse_cgroup},
	{"client", 0, parse_client}, {"encl", 0, parse_encl},
};

/* One line (modified). A line of a kind not known here (a newer daemon's)
 * is skipped; a known one must have its pairs, with numbers that fit. */
static int parse_line(struct live_view *v, char *line)
{
	size_t len = strcspn(line, " ");
	char *w[VIEW_MAX_WORDS];
	int nr;

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (strlen(kinds[k].kind) != len || strncmp(line, kinds[k].kind, len))
			continue;
		nr = split(line, w);
		if (nr < 0 || (nr - kinds[k].first) % 2)
			return -EBADMSG;
		return kinds[k].parse(v, w, nr);
	}
	return 0;
}

static int cg_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct vcg *const *)a)->path, (*(const struct vcg *const *)b)->path);
}

/* The cgroups by path, for cg_find() (binary search: a view of 100,000
 * cgroups renders with rates without comparing every pair). */
static int index_cgroups(struct live_view *v)
{
	v->by_path = malloc((v->nr_cgs ? v->nr_cgs : 1) * sizeof(*v->by_path));
	if (!v->by_path)
		return -ENOMEM;
	for (size_t i = 0; i < v->nr_cgs; i++)
		v->by_path[i] = &v->cgs[i];
	qsort(v->by_path, v->nr_cgs, sizeof(*v->by_path), cg_cmp);
	return 0;
}

int live_view_parse(const char *text, struct live_view **out)
{
	struct live_view *v;
	const char *p = text;
	int ret = 0;

	if (strncmp(text, "epcmm-status 1\n", 15))
		return -EBADMSG;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	while (*p && !ret) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, n);

		if (!line) {
			ret = -ENOMEM;
			break;
		}
		ret = parse_line(v, line);
		free(line);
		p += n + (nl ? 1 : 0);
	}
	if (!ret)
		ret = index_cgroups(v);
	if (ret) {
		live_view_free(v);
		return ret;
	}
	*out = v;
	return 0;
}

void live_view_free(struct live_view *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->nr_cgs; i++)
		free(v->cgs[i].path);
	for (size_t i = 0; i < v->nr_clients; i++)
		free(v->clients[i].cgroup);
	free(v->nodes);
	free(v->cgs);
	free(v->clients);
	free(v->encls);
	free(v->by_path);
	free(v);
}

/* Bytes as "12.3M" into @buf. */
static const char *human(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "BKMGTP";
	double d = (double)bytes;
	int u = 0;

	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 "B", bytes);
	else
		snprintf(buf, len, "%.1f%c", d, units[u]);
	return buf;
}

static const struct vcg *cg_find(const struct live_view *v, const char *path)
{
	struct vcg key = {.path = (char *)path};
	const struct vcg *k = &key;
	const struct vcg *const *hit;

	if (!v || !v->nr_cgs)
		return NULL;
	hit = bsearch(&k, v->by_path, v->nr_cgs, sizeof(*v->by_path), cg_cmp);
	return hit ? *hit : NULL;
}

/* The last @w bytes of @path, "..." in front when shortened. A control
 * byte (which the daemon escapes, but a report is input) shows as '?', so a
 * name cannot drive the terminal. */
static void fit(const char *path, int w, char *buf, size_t len)
{
	size_t n = strlen(path);

	const char *tail = path;
	size_t off = 0;

	if (w >= 8 && n > (size_t)w) {
		tail = path + n - (size_t)w + 3;
		memcpy(buf, "...", 3);
		off = 3;
	}
	n = strlen(tail);
	if (off + n >= len)
		n = len - off - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tail[i];

		buf[off + i] = c < ' ' || c == 0x7f ? '?' : (char)c;
	}
	buf[off + n] = '\0';
}

void live_view_render(FILE *f, const struct live_view *v, const struct live_view *prev, double dt,
		      int width)
{
	char a[32], b[32], c[32], p[VIEW_PATH_MAX];
	int pw = width - 56 > 12 ? width - 56 : 12;

	fprintf(f, "EPC %s: free %s, used %s, reclaimable %s", human(v->total * PAGE, a, 32),
		human(v->free * PAGE, b, 32), human((v->total - v->free) * PAGE, c, 32),
		human(v->reclaimable * PAGE, p, 32));
	fprintf(f, "\nevicted %" PRIu64 ", reloaded %" PRIu64, v->evicted, v->reloaded);
	if (prev && dt > 0)
		fprintf(f, "  (%.0f/s evicted, %.0f/s reloaded)",
			(double)(v->evicted - prev->evicted) / dt,
			(double)(v->reloaded - prev->reloaded) / dt);
	fprintf(f, "\n\n%-6s %10s %10s %10s\n", "NODE", "TOTAL", "FREE", "USED");
	for (size_t i = 0; i < v->nr_nodes; i++)
		fprintf(f, "%-6d %10s %10s %10s\n", v->nodes[i].id,
			human(v->nodes[i].total * PAGE, a, 32),
			human(v->nodes[i].free * PAGE, b, 32),
			human((v->nodes[i].total - v->nodes[i].free) * PAGE, c, 32));

	fprintf(f, "\n%-*s %9s %9s %9s %7s %9s %5s\n", pw, "CGROUP", "CURRENT", "MAX", "PEAK",
		"EVENTS", "EVICT/s", "PROCS");
	for (size_t i = 0; i < v->nr_cgs; i++) {
		const struct vcg *g = &v->cgs[i], *o = prev ? cg_find(prev, g->path) : NULL;
		char rate[32] = "-", max[32];

		if (o && dt > 0)
			snprintf(rate, sizeof(rate), "%.0f",
				 (double)(g->evicted - o->evicted) / dt);
		if (!strcmp(g->max, "max"))
			snprintf(max, sizeof(max), "%s", strcmp(g->path, "/") ? "max" : "-");
		else
			human(strtoull(g->max, NULL, 10), max, sizeof(max));
		fit(g->path, pw, p, sizeof(p));
		fprintf(f, "%-*s %9s %9s %9s %7" PRIu64 " %9s %5d\n", pw, p,
			human(g->current, a, 32), max, human(g->peak, b, 32), g->events, rate,
			g->procs);
	}

	fprintf(f, "\n%-8s %-*s %8s %6s\n", "CLIENT", pw, "CGROUP", "ENCLAVES", "PAGES");
	if (!v->nr_clients)
		fprintf(f, "(none)\n");
	for (size_t i = 0; i < v->nr_clients; i++) {
		const struct vclient *cl = &v->clients[i];

		fit(cl->cgroup, pw, p, sizeof(p));
		fprintf(f, "%-8d %-*s %8u %6u\n", cl->pid, pw, p, cl->encls, cl->pages);
		for (size_t j = cl->first_encl; j < cl->first_encl + cl->nr_listed; j++) {
			const struct vencl *e = &v->encls[j];

			fprintf(f,
				"         enclave %s: %" PRIu64 " pages, %" PRIu64
				" resident, evicted %" PRIu64 ", reloaded %" PRIu64 "\n",
				human(e->size, a, 32), e->pages, e->resident, e->evicted,
				e->reloaded);
		}
	}
}

/* --- OpenMetrics -------------------------------------------------------- */

#define OM_PAGE ((uint64_t)4096)

/* Is @s (@n bytes) valid UTF-8 (no overlong forms, no surrogates)? */
static int utf8_valid(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
						 : (c & 0xf8) == 0xf0		  ? 4
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

/* The cgroup path @p as a label value: the report's \ooo escapes decoded
 * (the cgroup's own name) when that is valid UTF-8, else the report's form as
 * it is (ASCII escapes and the bytes the report leaves alone), then escaped as
 * OpenMetrics wants: backslash, double quote and newline. */
static void om_label_path(FILE *f, const char *p)
{
	size_t n = strlen(p), k = 0;
	unsigned char *d = calloc(1, n + 1);
	const unsigned char *out = (const unsigned char *)p;

	if (d) {
		for (size_t i = 0; i < n; i++) {
			if (p[i] == '\\' && i + 3 < n + 1 && p[i + 1] >= '0' && p[i + 1] <= '3' &&
			    p[i + 2] >= '0' && p[i + 2] <= '7' && p[i + 3] >= '0' && p[i + 3] <= '7') {
				d[k++] = (unsigned char)((p[i + 1] - '0') << 6 | (p[i + 2] - '0') << 3 |
							 (p[i + 3] - '0'));
				i += 3;
			} else {
				d[k++] = (unsigned char)p[i];
			}
		}
		if (utf8_valid(d, k) && !memchr(d, 0, k))
			out = d, n = k;
	}
	if (out == (const unsigned char *)p && !utf8_valid(out, n))
		out = NULL; /* not even the report's form: bytes >= 0x80 as \ooo below */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = out ? out[i] : (unsigned char)p[i];

		if (c == '\\')
			fputs("\\\\", f);
		else if (c == '"')
			fputs("\\\"", f);
		else if (c == '\n')
			fputs("\\n", f);
		else if (!out && c >= 0x80)
			fprintf(f, "\\\\%03o", c);
		else
			fputc(c, f);
	}
	free(d);
}

/* A family's HELP and TYPE lines. */
static void om_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The cgroup families: a member's value, and whether @c has one. */
enum om_cg_field { CG_USAGE, CG_PEAK, CG_MAX, CG_EVENTS, CG_EVICT, CG_RELOAD, CG_PROCS };
static const struct {
	const char *name, *type, *help;
	enum om_cg_field field;
} om_cg[] = {
	{"epcmm_cgroup_usage_bytes", "gauge", "EPC charged to the cgroup (misc.current sgx_epc).",
	 CG_USAGE},
	{"epcmm_cgroup_peak_bytes", "gauge", "Highest EPC charge of the cgroup (misc.peak sgx_epc).",
	 CG_PEAK},
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

static int om_cg_value(const struct vcg *c, enum om_cg_field field, uint64_t *v)
{
	switch (field) {
	case CG_USAGE: *v = c->current; return 1;
	case CG_PEAK: *v = c->peak; return 1;
	case CG_MAX: return strcmp(c->max, "max") && !num_u64(c->max, v);
	case CG_EVENTS: *v = c->events; return 1;
	case CG_EVICT: *v = c->evicted; return 1;
	case CG_RELOAD: *v = c->reloaded; return 1;
	case CG_PROCS: *v = (uint64_t)c->procs; return 1;
	}
	return 0;
}

/* The enclave families: per enclave of a daemon that reports its id. */
enum om_encl_field { EN_SIZE, EN_RESIDENT, EN_FAULTS, EN_EVICT, EN_RELOAD };
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

static uint64_t om_encl_value(const struct vencl *e, enum om_encl_field field)
{
	switch (field) {
	case EN_SIZE: return e->size;
	case EN_RESIDENT: return e->resident * OM_PAGE;
	case EN_FAULTS: return e->faults;
	case EN_EVICT: return e->evicted;
	case EN_RELOAD: return e->reloaded;
	}
	return 0;
}

void live_view_openmetrics(FILE *f, const struct live_view *v)
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
		for (size_t i = 0; i < v->nr_cgs; i++) {
			uint64_t x;

			if (!om_cg_value(&v->cgs[i], om_cg[k].field, &x))
				continue;
			fprintf(f, "%s%s{cgroup=\"", om_cg[k].name, counter ? "_total" : "");
			om_label_path(f, v->cgs[i].path);
			fprintf(f, "\"} %" PRIu64 "\n", x);
		}
	}

	om_family(f, "epcmm_client_enclaves", "gauge", "Enclaves of a connected client process.");
	for (size_t i = 0; i < v->nr_clients; i++) {
		fprintf(f, "epcmm_client_enclaves{pid=\"%d\",cgroup=\"", v->clients[i].pid);
		om_label_path(f, v->clients[i].cgroup);
		fprintf(f, "\"} %u\n", v->clients[i].encls);
	}
	for (size_t k = 0; k < sizeof(om_encl) / sizeof(om_encl[0]); k++) {
		int counter = !strcmp(om_encl[k].type, "counter");

		om_family(f, om_encl[k].name, om_encl[k].type, om_encl[k].help);
		for (size_t i = 0; i < v->nr_encls; i++) {
			const struct vencl *e = &v->encls[i];

			if (e->has_id)
				fprintf(f, "%s%s{pid=\"%d\",enclave=\"%" PRIu64 "\"} %" PRIu64 "\n",
					om_encl[k].name, counter ? "_total" : "", e->pid, e->id,
					om_encl_value(e, om_encl[k].field));
		}
	}
	fputs("# EOF\n", f);
}
