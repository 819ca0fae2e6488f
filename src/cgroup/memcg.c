// SPDX-License-Identifier: MIT
/*
 * memcg.c - memory.* files, memparse() and the oom events (memcg.h).
 */
#include "cgroup/memcg.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cgroup/cgroup.h"

void epc__memcg_event(struct epc_cgroup *cg, enum epc__memcg_event ev)
{
	atomic_fetch_add_explicit(&cg->memcg.events_local[ev], 1, memory_order_relaxed);
	for (struct epc_cgroup *i = cg; i->parent; i = i->parent)
		atomic_fetch_add_explicit(&i->memcg.events[ev], 1, memory_order_relaxed);
}

/* ------------------------------------------------------------- parsing */

/* simple_strtoull(@s, end, 0): no sign, no white space, wraps on overflow. */
static uint64_t simple_strtoull0(const char *s, const char **end)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (s[0] == '0') {
		base = tolower((unsigned char)s[1]) == 'x' && isxdigit((unsigned char)s[2]) ? 16
											    : 8;
		if (base == 16)
			s += 2;
	}
	for (;; s++) {
		unsigned char c = (unsigned char)*s;
		unsigned d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (tolower(c) >= 'a' && tolower(c) <= 'f')
			d = (unsigned)(tolower(c) - 'a' + 10);
		else
			break;
		if (d >= base)
			break;
		v = v * base + d; /* wraps, as the kernel's does */
	}
	*end = s;
	return v;
}

uint64_t epc__memparse(const char *s, const char **end)
{
	const char *e;
	uint64_t v = simple_strtoull0(s, &e);
	int shift = 0;

	switch (*e) {
	case 'E':
	case 'e':
		shift += 10;
		/* fall through */
	case 'P':
	case 'p':
		shift += 10;
		/* fall through */
	case 'T':
	case 't':
		shift += 10;
		/* fall through */
	case 'G':
	case 'g':
		shift += 10;
		/* fall through */
	case 'M':
	case 'm':
		shift += 10;
		/* fall through */
	case 'K':
	case 'k':
		shift += 10;
		e++;
		break;
	default:
		break;
	}
	if (end)
		*end = e;
	return shift ? v << shift : v;
}

int epc__memcg_parse_max(const char *text, uint64_t *bytes)
{
	const char *start = text, *stop = text + strlen(text), *end;
	uint64_t v, pages;

	/* strstrip() */
	while (epc__kernel_isspace((unsigned char)*start))
		start++;
	while (stop > start && epc__kernel_isspace((unsigned char)stop[-1]))
		stop--;
	if (stop - start == 3 && !memcmp(start, "max", 3)) {
		*bytes = EPC__MISC_MAX;
		return 0;
	}
	/* What follows @stop is white space, which stops memparse() as the
	 * NUL strstrip() writes there would. */
	v = epc__memparse(start, &end);
	if (end != stop)
		return -EINVAL;
	pages = v / EPC_PAGE_SIZE;
	*bytes = pages >= EPC__PAGE_COUNTER_MAX_PAGES ? EPC__MISC_MAX : pages * EPC_PAGE_SIZE;
	return 0;
}

/* --------------------------------------------------------------- files */

static const char *const event_names[EPC__MEMCG_NR_EVENTS] = {
	"low", "high", "max", "oom", "oom_kill", "oom_group_kill",
};

static ssize_t format_events(struct epc_cgroup *cg, _Bool local, char *buf, size_t len)
{
	size_t pos = 0;

	for (int ev = 0; ev < EPC__MEMCG_NR_EVENTS; ev++) {
		uint64_t v;
		int n;

		if (ev == EPC__MEMCG_MAX)
			v = atomic_load(local ? &cg->mem.events_local : &cg->mem.events);
		else
			v = atomic_load(local ? &cg->memcg.events_local[ev]
					      : &cg->memcg.events[ev]);
		n = snprintf(buf + pos, len - pos, "%s %llu\n", event_names[ev],
			     (unsigned long long)v);
		if (n < 0 || (size_t)n >= len - pos)
			return -ENOSPC;
		pos += (size_t)n;
	}
	return (ssize_t)pos;
}

ssize_t epc__memcg_format(struct epc_cgroup *cg, enum epc__memcg_file file, char *buf, size_t len)
{
	uint64_t v;
	int n;

	switch (file) {
	case EPC__MEMCG_CURRENT:
		v = (uint64_t)atomic_load(&cg->mem.usage);
		break;
	case EPC__MEMCG_PEAK:
		v = atomic_load(&cg->mem.peak);
		break;
	case EPC__MEMCG_MAX_FILE:
		v = atomic_load(&cg->mem.max);
		if (v == EPC__MISC_MAX) {
			n = snprintf(buf, len, "max\n");
			goto out;
		}
		break;
	case EPC__MEMCG_EVENTS:
	case EPC__MEMCG_EVENTS_LOCAL:
		if (!len)
			return -ENOSPC;
		return format_events(cg, file == EPC__MEMCG_EVENTS_LOCAL, buf, len);
	default:
		return -ENOENT;
	}
	n = snprintf(buf, len, "%llu\n", (unsigned long long)v);
out:
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}
