// SPDX-License-Identifier: MIT
/*
 * view.c - parse and render the status report (view.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

#define VIEW_PATH_MAX 4096
#define PAGE	      4096ULL

struct vnode {
	int id;
	uint64_t total, free;
};
struct vcg {
	char *path;
	uint64_t current, peak, events, evicted, reloaded;
	char max[32];
	int procs;
};
struct vclient {
	int pid;
	char *cgroup;
	unsigned encls, pages;
};
struct vencl {
	int pid;
	uint64_t size, pages, resident, evicted, reloaded;
};

struct live_view {
	uint64_t total, free, reclaimable, evicted, reloaded;
	struct vnode *nodes;
	struct vcg *cgs;
	struct vclient *clients;
	struct vencl *encls;
	size_t nr_nodes, nr_cgs, nr_clients, nr_encls;
};

/* Append one zeroed element to *@arr. */
static void *grow(void *arr, size_t *nr, size_t size, void **slot)
{
	char *n = realloc(arr, (*nr + 1) * size);

	if (!n)
		return NULL;
	*slot = n + *nr * size;
	memset(*slot, 0, size);
	(*nr)++;
	return n;
}

static int parse_line(struct live_view *v, const char *line)
{
	char path[VIEW_PATH_MAX];
	void *slot, *arr;

	if (!strncmp(line, "epc ", 4))
		return sscanf(line,
			      "epc total %" SCNu64 " free %" SCNu64 " reclaimable %" SCNu64
			      " evicted %" SCNu64 " reloaded %" SCNu64,
			      &v->total, &v->free, &v->reclaimable, &v->evicted, &v->reloaded) == 5
			       ? 0
			       : -EBADMSG;
	if (!strncmp(line, "node ", 5)) {
		struct vnode n;

		if (sscanf(line, "node %d total %" SCNu64 " free %" SCNu64, &n.id, &n.total,
			   &n.free) != 3)
			return -EBADMSG;
		if (!(arr = grow(v->nodes, &v->nr_nodes, sizeof(n), &slot)))
			return -ENOMEM;
		v->nodes = arr;
		*(struct vnode *)slot = n;
		return 0;
	}
	if (!strncmp(line, "cgroup ", 7)) {
		struct vcg c = {0};

		if (sscanf(line,
			   "cgroup %4095s current %" SCNu64 " peak %" SCNu64
			   " max %31s events %" SCNu64 " evicted %" SCNu64 " reloaded %" SCNu64
			   " procs %d",
			   path, &c.current, &c.peak, c.max, &c.events, &c.evicted, &c.reloaded,
			   &c.procs) != 8)
			return -EBADMSG;
		if (!(c.path = strdup(path)))
			return -ENOMEM;
		if (!(arr = grow(v->cgs, &v->nr_cgs, sizeof(c), &slot))) {
			free(c.path);
			return -ENOMEM;
		}
		v->cgs = arr;
		*(struct vcg *)slot = c;
		return 0;
	}
	if (!strncmp(line, "client ", 7)) {
		struct vclient c = {0};

		if (sscanf(line, "client %d cgroup %4095s enclaves %u pages %u", &c.pid, path,
			   &c.encls, &c.pages) != 4)
			return -EBADMSG;
		if (!(c.cgroup = strdup(path)))
			return -ENOMEM;
		if (!(arr = grow(v->clients, &v->nr_clients, sizeof(c), &slot))) {
			free(c.cgroup);
			return -ENOMEM;
		}
		v->clients = arr;
		*(struct vclient *)slot = c;
		return 0;
	}
	if (!strncmp(line, "encl ", 5)) {
		struct vencl e;

		if (sscanf(line,
			   "encl %d size %" SCNu64 " pages %" SCNu64 " resident %" SCNu64
			   " evicted %" SCNu64 " reloaded %" SCNu64,
			   &e.pid, &e.size, &e.pages, &e.resident, &e.evicted, &e.reloaded) != 6)
			return -EBADMSG;
		if (!(arr = grow(v->encls, &v->nr_encls, sizeof(e), &slot)))
			return -ENOMEM;
		v->encls = arr;
		*(struct vencl *)slot = e;
		return 0;
	}
	return 0; /* a line of a newer daemon: skipped */
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
	for (size_t i = 0; v && i < v->nr_cgs; i++)
		if (!strcmp(v->cgs[i].path, path))
			return &v->cgs[i];
	return NULL;
}

/* The last @w bytes of @path, "..." in front when shortened. */
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
	memcpy(buf + off, tail, n);
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
		for (size_t j = 0; j < v->nr_encls; j++) {
			const struct vencl *e = &v->encls[j];

			if (e->pid != cl->pid)
				continue;
			fprintf(f,
				"         enclave %s: %" PRIu64 " pages, %" PRIu64
				" resident, evicted %" PRIu64 ", reloaded %" PRIu64 "\n",
				human(e->size, a, 32), e->pages, e->resident, e->evicted,
				e->reloaded);
		}
	}
}
