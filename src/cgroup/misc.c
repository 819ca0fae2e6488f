// SPDX-License-Identifier: MIT
/*
 * misc.c - charge, uncharge and the cgroupfs text of the misc controller.
 */
#include "cgroup/misc.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define RES_NAME "sgx_epc"

static const char *const res_names[EPC__NR_RES] = {
	[EPC__RES_SGX_EPC] = RES_NAME,
	[EPC__RES_MEMORY] = "memory",
};

void epc__misc_res_init(struct epc__misc_res *res, struct epc__misc_res *parent, int type)
{
	res->parent = parent;
	res->type = type;
	atomic_init(&res->usage, 0);
	atomic_init(&res->max, EPC__MISC_MAX);
	atomic_init(&res->peak, 0);
	atomic_init(&res->events, 0);
	atomic_init(&res->events_local, 0);
	atomic_init(&res->warned_negative, 0);
}

/* Racy, but the kernel lives with it too: a concurrent raise may win. */
static void misc_update_peak(struct epc__misc_res *res, uint64_t new_usage)
{
	uint64_t old = atomic_load_explicit(&res->peak, memory_order_relaxed);

	while (new_usage > old &&
	       !atomic_compare_exchange_weak_explicit(&res->peak, &old, new_usage,
						      memory_order_relaxed, memory_order_relaxed))
		;
}

/* events.local at @res; events at @res and every level above it that has a parent. */
static void misc_event(struct epc__misc_res *res)
{
	atomic_fetch_add_explicit(&res->events_local, 1, memory_order_relaxed);
	for (struct epc__misc_res *i = res; i->parent; i = i->parent)
		atomic_fetch_add_explicit(&i->events, 1, memory_order_relaxed);
}

int epc__res_try_charge(struct epc__misc_res *res, uint64_t capacity, uint64_t amount,
			struct epc__misc_res **failed, uint64_t *min_max, bool *over_capacity)
{
	uint64_t tightest = EPC__MISC_MAX;
	struct epc__misc_res *i, *j;

	if (!capacity)
		return -EINVAL;
	if (!amount)
		return 0;
	for (i = res; i; i = i->parent) {
		/* seq_cst add: a full barrier between the add and the max read,
		 * as page_counter_try_charge relies on. */
		uint64_t new_usage =
			(uint64_t)(atomic_fetch_add(&i->usage, (int64_t)amount) + (int64_t)amount);
		uint64_t max = atomic_load_explicit(&i->max, memory_order_relaxed);

		if (new_usage > max || new_usage > capacity) {
			if (over_capacity)
				*over_capacity = new_usage > capacity;
			goto err_charge;
		}
		misc_update_peak(i, new_usage);
		if (max < tightest)
			tightest = max;
	}
	if (min_max)
		*min_max = tightest;
	return 0;

err_charge:
	misc_event(i);
	for (j = res; j != i->parent; j = j->parent)
		atomic_fetch_sub_explicit(&j->usage, (int64_t)amount, memory_order_relaxed);
	if (failed)
		*failed = i;
	return -EBUSY;
}

_Bool epc__res_uncharge(struct epc__misc_res *res, uint64_t amount, const struct epc__log *log)
{
	_Bool reached_zero = 0, negative = 0;
	int64_t first_negative = 0;
	struct epc__misc_res *i, *parent, *root = res;
	int type;

	if (!res || !amount)
		return 0;
	type = res->type;
	/* Read the parent before the sub: after it, @i may be reaped. */
	for (i = res; i; i = parent) {
		int64_t new_usage;

		parent = i->parent;
		if (!parent)
			root = i;
		new_usage = atomic_fetch_sub(&i->usage, (int64_t)amount) - (int64_t)amount;
		if (new_usage == 0)
			reached_zero = 1;
		if (new_usage < 0 && !negative) {
			negative = 1;
			first_negative = new_usage;
		}
	}
	/*
	 * The kernel's WARN_ONCE: one warning per tree (the root is never
	 * reaped, so its flag is safe to touch), not one per level.
	 */
	if (negative && !atomic_exchange(&root->warned_negative, 1))
		epc__log(log, LOG_WARNING, "%s cgroup: resource %s usage went negative (%lld)",
			 type == EPC__RES_SGX_EPC ? "misc" : "memory", res_names[type],
			 (long long)first_negative);
	return reached_zero;
}

/* ------------------------------------------------------------ the text */

/*
 * The kernel's isspace() (lib/ctype.c): locale-free, and 0xA0 counts, as
 * strstrip() sees it.
 */
_Bool epc__kernel_isspace(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0;
}

/* kstrtou64(s, 0) over the @len bytes at @s (no NUL needed). */
static int kstrtou64_len(const char *s, size_t len, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	_Bool overflow = 0;
	size_t i = 0, digits = 0;

	if (i < len && s[i] == '+')
		i++;
	if (i < len && s[i] == '0') {
		base = (i + 2 < len && tolower((unsigned char)s[i + 1]) == 'x' &&
			isxdigit((unsigned char)s[i + 2]))
			       ? 16
			       : 8;
		if (base == 16)
			i += 2;
	}
	for (; i < len; i++, digits++) {
		unsigned char c = (unsigned char)s[i];
		unsigned d;

		if (isdigit(c))
			d = c - '0';
		else if (isxdigit(c))
			d = (unsigned)(tolower(c) - 'a' + 10);
		else
			break;
		if (d >= base)
			break;
		if (v > (UINT64_MAX - d) / base)
			overflow = 1;
		v = v * base + d;
	}
	if (digits == 0)
		return -EINVAL;
	if (overflow)
		return -ERANGE;
	if (i < len && s[i] == '\n')
		i++;
	if (i != len)
		return -EINVAL;
	*out = v;
	return 0;
}

int epc__kstrtou64(const char *s, uint64_t *out)
{
	return kstrtou64_len(s, strlen(s), out);
}

int epc__misc_parse_max(const char *text, uint64_t *out)
{
	const char *start = text, *end = text + strlen(text), *space;
	size_t name_len;

	/* strstrip(): leading and trailing white space */
	while (epc__kernel_isspace((unsigned char)*start))
		start++;
	while (end > start && epc__kernel_isspace((unsigned char)end[-1]))
		end--;
	/* strsep(&buf, " "): the name, then everything after the first space */
	space = memchr(start, ' ', (size_t)(end - start));
	name_len = (size_t)((space ? space : end) - start);
	if (name_len != strlen(RES_NAME) || memcmp(start, RES_NAME, name_len))
		return -EINVAL;
	if (!space)
		return -EINVAL;
	space++;
	if ((size_t)(end - space) == 3 && !memcmp(space, "max", 3)) {
		*out = EPC__MISC_MAX;
		return 0;
	}
	return kstrtou64_len(space, (size_t)(end - space), out);
}

static const char *const file_names[EPC__MISC_NR_FILES] = {
	[EPC__MISC_CAPACITY] = "misc.capacity", [EPC__MISC_CURRENT] = "misc.current",
	[EPC__MISC_PEAK] = "misc.peak",		[EPC__MISC_MAX_FILE] = "misc.max",
	[EPC__MISC_EVENTS] = "misc.events",	[EPC__MISC_EVENTS_LOCAL] = "misc.events.local",
};

int epc__misc_file_lookup(const char *name, _Bool is_root)
{
	for (int f = 0; f < EPC__MISC_NR_FILES; f++) {
		if (strcmp(name, file_names[f]))
			continue;
		switch (f) {
		case EPC__MISC_CAPACITY:
			return is_root ? f : -ENOENT;
		case EPC__MISC_MAX_FILE:
		case EPC__MISC_EVENTS:
		case EPC__MISC_EVENTS_LOCAL:
			return is_root ? -ENOENT : f;
		default:
			return f;
		}
	}
	return -ENOENT;
}

ssize_t epc__misc_format(const struct epc__misc_res *cres, enum epc__misc_file file,
			 uint64_t capacity, char *buf, size_t len)
{
	struct epc__misc_res *res = (struct epc__misc_res *)cres;
	uint64_t v = 0, max;
	_Bool show = capacity != 0;
	int n;

	switch (file) {
	case EPC__MISC_CAPACITY:
		v = capacity;
		break;
	case EPC__MISC_CURRENT:
		v = (uint64_t)atomic_load(&res->usage);
		show = show || v;
		break;
	case EPC__MISC_PEAK:
		v = atomic_load(&res->peak);
		show = show || v;
		break;
	case EPC__MISC_MAX_FILE:
		max = atomic_load(&res->max);
		if (!show)
			n = 0;
		else if (max == EPC__MISC_MAX)
			n = snprintf(buf, len, "%s max\n", RES_NAME);
		else
			n = snprintf(buf, len, "%s %llu\n", RES_NAME, (unsigned long long)max);
		goto out;
	case EPC__MISC_EVENTS:
	case EPC__MISC_EVENTS_LOCAL:
		v = atomic_load(file == EPC__MISC_EVENTS ? &res->events : &res->events_local);
		show = show || v;
		n = show ? snprintf(buf, len, "%s.max %llu\n", RES_NAME, (unsigned long long)v) : 0;
		goto out;
	default:
		return -ENOENT;
	}
	n = show ? snprintf(buf, len, "%s %llu\n", RES_NAME, (unsigned long long)v) : 0;
out:
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	if (n == 0)
		buf[0] = '\0';
	return n;
}
