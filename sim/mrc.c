// SPDX-License-Identifier: MIT
/*
 * mrc.c - the one-pass miss-ratio curve (mrc.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "mrc.h"
#include "trace.h"

/* A Fenwick (binary indexed) tree of 0/1 over times 1..n. */
struct fenwick {
	uint32_t *t;
	uint64_t n;
};

static void fenwick_add(struct fenwick *f, uint64_t i, int32_t v)
{
	for (; i <= f->n; i += i & -i)
		f->t[i] += (uint32_t)v;
}

/* The ones at times 1..i. */
static uint64_t fenwick_prefix(const struct fenwick *f, uint64_t i)
{
	uint64_t s = 0;

	for (; i; i -= i & -i)
		s += f->t[i];
	return s;
}

/* The pass's state: each page's last time (0: never), the tree, and a
 * histogram of distances (hist[d], d = 1..nr_pages). */
struct mrc_pass {
	struct fenwick f;
	uint64_t *last;
	uint64_t *hist;
	uint64_t now, live; /* the last time given; pages with a time */
};

/* Touch @page at the next time. Return: its stack distance (1.. pages
 * touched so far), or 0 for a page never touched. */
static uint64_t mrc_touch(struct mrc_pass *p, uint64_t page)
{
	uint64_t t = p->last[page], d = 0;

	if (t) {
		/* The pages whose last time is t or later, this one included. */
		d = p->live - fenwick_prefix(&p->f, t - 1);
		fenwick_add(&p->f, t, -1);
	} else {
		p->live++;
	}
	p->last[page] = ++p->now;
	fenwick_add(&p->f, p->now, 1);
	return d;
}

static int mrc_pass_init(struct mrc_pass *p, uint64_t nr_pages, uint64_t nr_times)
{
	p->f.n = nr_times;
	p->f.t = calloc(nr_times + 1, sizeof(*p->f.t));
	p->last = calloc(nr_pages, sizeof(*p->last));
	p->hist = calloc(nr_pages + 2, sizeof(*p->hist));
	p->now = p->live = 0;
	return p->f.t && p->last && p->hist ? 0 : -ENOMEM;
}

static void mrc_pass_fini(struct mrc_pass *p)
{
	free(p->f.t);
	free(p->last);
	free(p->hist);
}

/* Misses by cache size from the histogram: an access at distance d misses
 * in every cache of fewer than d pages. */
static void mrc_fill(struct sim_mrc *m, const uint64_t *hist)
{
	uint64_t miss = 0;

	for (uint64_t c = m->nr_pages + 1; c-- > 0;) {
		m->misses[c] = miss;
		miss += hist[c]; /* hist[c]: misses in caches below c */
	}
}

int sim_mrc_build(struct sim_trace *t, bool dynamic, struct sim_mrc **out)
{
	uint64_t nr_pages = sim_trace_nr_pages(t), nr_times, page, prev = UINT64_MAX;
	struct mrc_pass p = {0};
	struct sim_mrc *m;
	bool write;
	int ret;

	if (!nr_pages || !sim_trace_nr_records(t))
		return -EINVAL;
	/* Each entry of the trace changes the page at most once. */
	nr_times = nr_pages + sim_trace_nr_entries(t);
	if (nr_times >= UINT32_MAX)
		return -E2BIG;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->nr_pages = nr_pages;
	m->misses = calloc(nr_pages + 1, sizeof(*m->misses));
	ret = m->misses ? mrc_pass_init(&p, nr_pages, nr_times) : -ENOMEM;
	if (ret)
		goto err_pass;

	/* The build: EADD in index order. A dynamic enclave has none: a first
	 * touch is then distance 0, which no cache size counts as a miss. */
	for (uint64_t i = 0; !dynamic && i < nr_pages; i++)
		mrc_touch(&p, i);
	sim_trace_rewind(t);
	while (sim_trace_next(t, &page, &write) == 1) {
		m->nr_accesses++;
		if (page == prev) {
			p.hist[1]++;
			continue;
		}
		prev = page;
		p.hist[mrc_touch(&p, page)]++;
	}
	sim_trace_rewind(t);
	mrc_fill(m, p.hist);
	mrc_pass_fini(&p);
	*out = m;
	return 0;

err_pass:
	mrc_pass_fini(&p);
	free(m->misses);
	free(m);
	return ret;
}

void sim_mrc_free(struct sim_mrc *m)
{
	if (!m)
		return;
	free(m->misses);
	free(m);
}

uint64_t sim_mrc_misses(const struct sim_mrc *m, uint64_t pages)
{
	return pages >= m->nr_pages ? 0 : m->misses[pages];
}

uint64_t sim_mrc_pages_for_rate(const struct sim_mrc *m, double rate)
{
	uint64_t lo = 0, hi = m->nr_pages; /* misses[] falls as c grows */

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if ((double)m->misses[mid] <= rate * (double)m->nr_accesses)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}
