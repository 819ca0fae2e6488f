// SPDX-License-Identifier: MIT
/*
 * misc.c - charge, uncharge and the cgroupfs text of the misc controller.
 */
#include "cgroup/misc.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RES_NAME "sgx_epc"

static const char *const res_names[EPC__NR_RES] = {
	[EPC__RES_SGX_EPC] = RES_NAME,
	[EPC__RES_MEMORY] = "memory",
};

void epc__misc_res_init(struct epc__misc_res *res, struct epc__misc_res *parent,
			enum epc__res_type type)
{
	res->parent = parent;
	res->type = type;
	atomic_init(&res->usage, 0);
	atomic_init(&res->max, EPC__MISC_MAX);
	atomic_init(&res->peak, 0);
	atomic_init(&res->events, 0);
	atomic_init(&res->events_local, 0);
	atomic_init(&res->warned_negative, 0);
	res->no_stock = false;
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
	enum epc__res_type type;

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

/* ------------------------------------------------------------ stocks */

int epc__misc_stocks_init(struct epc__misc_stocks *st, uint64_t capacity,
			  const struct epc__log *log, const struct epc__fault *fault)
{
	size_t size = sizeof(*st->slot) * EPC__MISC_NR_STOCKS;

	st->slot = epc__host_aligned_alloc(fault, EPC__CACHELINE, size);
	if (!st->slot)
		return -ENOMEM;
	memset(st->slot, 0, size);
	for (unsigned i = 0; i < EPC__MISC_NR_STOCKS; i++)
		epc__spin_init(&st->slot[i].lock, EPC__RANK_MISC_STOCK);
	epc__spin_init(&st->xfer, EPC__RANK_MISC_XFER);
	st->capacity = capacity;
	st->log = log;
	return 0;
}

void epc__misc_stocks_destroy(struct epc__misc_stocks *st)
{
	free(st->slot);
	st->slot = NULL;
}

static struct epc__misc_stock *stock_of(struct epc__misc_stocks *st, int slot)
{
	return &st->slot[(unsigned)slot % EPC__MISC_NR_STOCKS];
}

/* @res is @top or below it (parents are read-only after init). */
static bool res_below(const struct epc__misc_res *res, const struct epc__misc_res *top)
{
	for (; res; res = res->parent)
		if (res == top)
			return true;
	return false;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * Bytes every level from @res up can still take without passing its max, the
 * capacity or its peak (0 if some level cannot); *@tightest the tightest max.
 * Under @xfer: no refill races with it, and a concurrent uncharge only adds
 * room, so the answer stays safe until the caller charges it.
 */
static uint64_t headroom_locked(struct epc__misc_stocks *st, struct epc__misc_res *res,
				uint64_t *tightest)
{
	uint64_t room = UINT64_MAX, t = EPC__MISC_MAX;

	epc__assert_spin_held(&st->xfer);
	for (struct epc__misc_res *i = res; i; i = i->parent) {
		int64_t usage = atomic_load(&i->usage);
		uint64_t max = atomic_load_explicit(&i->max, memory_order_relaxed);
		uint64_t peak = atomic_load_explicit(&i->peak, memory_order_relaxed);
		uint64_t bound = min_u64(min_u64(max, st->capacity), peak);

		if (max < t)
			t = max;
		if (usage < 0 || (uint64_t)usage >= bound)
			room = 0;
		else
			room = min_u64(room, bound - (uint64_t)usage);
	}
	*tightest = t;
	return room;
}

/* Give @s's pages back to its counter and forget it. Under @xfer and @s->lock. */
static bool stock_drain_locked(struct epc__misc_stocks *st, struct epc__misc_stock *s)
{
	bool zero = false;

	epc__assert_spin_held(&st->xfer);
	epc__assert_spin_held(&s->lock);
	if (s->nr)
		zero = epc__res_uncharge(s->res, s->nr * EPC_PAGE_SIZE, st->log);
	s->nr = 0;
	s->res = NULL;
	return zero;
}

/*
 * Drain every stock (those caching @only, when non-NULL). @s->res changes
 * only under @xfer, so it may be read here without the stock's lock.
 */
static bool stocks_drain_locked(struct epc__misc_stocks *st, const struct epc__misc_res *only)
{
	bool zero = false;

	epc__assert_spin_held(&st->xfer);
	for (unsigned i = 0; i < EPC__MISC_NR_STOCKS; i++) {
		struct epc__misc_stock *s = &st->slot[i];

		if (!s->res || (only && s->res != only))
			continue;
		epc__spin_lock(&s->lock);
		zero |= stock_drain_locked(st, s);
		epc__spin_unlock(&s->lock);
	}
	return zero;
}

/* The fast path: a page from @s if it caches @res. */
static bool stock_take(struct epc__misc_stock *s, struct epc__misc_res *res, uint64_t *min_max)
{
	bool ok;

	epc__spin_lock(&s->lock);
	ok = s->res == res && s->nr && !s->frozen;
	if (ok) {
		s->nr--;
		if (min_max)
			*min_max = s->min_max;
	}
	epc__spin_unlock(&s->lock);
	return ok;
}

static int charge_exact_locked(struct epc__misc_stocks *st, struct epc__misc_res *res,
			       uint64_t amount, struct epc__misc_res **failed, uint64_t *min_max,
			       bool *over_capacity)
{
	uint64_t tightest;

	epc__assert_spin_held(&st->xfer);
	/*
	 * No room somewhere: a new peak or the limit. Drain every stock, so the
	 * counters are the true usage (no refill can run: we hold @xfer) and
	 * the kernel's charge below sees what the kernel would: its peak, its
	 * refusal and its events are exact.
	 */
	if (headroom_locked(st, res, &tightest) < amount)
		stocks_drain_locked(st, NULL);
	return epc__res_try_charge(res, st->capacity, amount, failed, min_max, over_capacity);
}

int epc__misc_stocks_charge_exact(struct epc__misc_stocks *st, struct epc__misc_res *res,
				  uint64_t amount, struct epc__misc_res **failed, uint64_t *min_max,
				  bool *over_capacity)
{
	int ret;

	if (!st->capacity)
		return -EINVAL;
	if (!amount)
		return 0;
	epc__spin_lock(&st->xfer);
	ret = charge_exact_locked(st, res, amount, failed, min_max, over_capacity);
	epc__spin_unlock(&st->xfer);
	return ret;
}

/*
 * The slow path of a charge from stock @s: take a page someone returned
 * meanwhile, or refill within the headroom, or charge exactly (draining
 * every stock first) and cache @res so that the page comes back here.
 */
static int charge_slow(struct epc__misc_stocks *st, struct epc__misc_stock *s,
		       struct epc__misc_res *res, struct epc__misc_res **failed, uint64_t *min_max,
		       bool *over_capacity)
{
	uint64_t room, tightest, pages;
	int ret = 0;

	epc__spin_lock(&st->xfer);
	if (res->no_stock) {
		ret = charge_exact_locked(st, res, EPC_PAGE_SIZE, failed, min_max, over_capacity);
		goto out;
	}
	epc__spin_lock(&s->lock);
	if (s->res == res && s->nr) {
		s->nr--;
		tightest = s->min_max;
		goto out_stock;
	}
	if (s->res != res)
		stock_drain_locked(st, s); /* a live counter: no reap to do */
	room = headroom_locked(st, res, &tightest);
	pages = min_u64(room / EPC_PAGE_SIZE, EPC__MISC_STOCK_BATCH);
	if (pages) {
		for (struct epc__misc_res *i = res; i; i = i->parent)
			atomic_fetch_add(&i->usage, (int64_t)(pages * EPC_PAGE_SIZE));
		s->res = res;
		s->nr = pages - 1;
		s->min_max = tightest;
		goto out_stock;
	}
	epc__spin_unlock(&s->lock);
	ret = charge_exact_locked(st, res, EPC_PAGE_SIZE, failed, &tightest, over_capacity);
	if (!ret) {
		/* cache @res with no page: the page's uncharge returns here */
		epc__spin_lock(&s->lock);
		s->res = res;
		s->min_max = tightest;
		goto out_stock;
	}
	goto out;
out_stock:
	epc__spin_unlock(&s->lock);
	if (min_max)
		*min_max = tightest;
out:
	epc__spin_unlock(&st->xfer);
	return ret;
}

int epc__misc_stocks_try_charge(struct epc__misc_stocks *st, struct epc__misc_res *res, int slot,
				struct epc__misc_res **failed, uint64_t *min_max,
				bool *over_capacity)
{
	struct epc__misc_stock *s;

	if (!st->capacity)
		return -EINVAL;
	if (slot < 0)
		return epc__misc_stocks_charge_exact(st, res, EPC_PAGE_SIZE, failed, min_max,
						     over_capacity);
	s = stock_of(st, slot);
	if (stock_take(s, res, min_max))
		return 0;
	return charge_slow(st, s, res, failed, min_max, over_capacity);
}

_Bool epc__misc_stocks_uncharge(struct epc__misc_stocks *st, struct epc__misc_res *res, int slot,
				unsigned nr)
{
	if (!res || !nr)
		return 0;
	if (slot >= 0 && nr == 1) {
		struct epc__misc_stock *s = stock_of(st, slot);
		bool kept;

		epc__spin_lock(&s->lock);
		kept = s->res == res && !s->frozen && s->nr < EPC__MISC_STOCK_HIGH;
		if (kept)
			s->nr++;
		epc__spin_unlock(&s->lock);
		if (kept)
			return 0;
	}
	return epc__res_uncharge(res, (uint64_t)nr * EPC_PAGE_SIZE, st->log);
}

/*
 * Pages of the stocks caching @res or a counter below it, at one instant:
 * freeze them (their fast paths go to the slow path, which waits for
 * @xfer; an uncharge goes to the counters), read, thaw. @read_usage, when
 * non-NULL, gets @res's counter read while they are frozen.
 */
static uint64_t stocks_held_locked(struct epc__misc_stocks *st, struct epc__misc_res *res,
				   int64_t *read_usage)
{
	uint64_t held = 0;

	epc__assert_spin_held(&st->xfer);
	for (unsigned i = 0; i < EPC__MISC_NR_STOCKS; i++) {
		struct epc__misc_stock *s = &st->slot[i];

		if (!s->res || !res_below(s->res, res))
			continue;
		epc__spin_lock(&s->lock);
		s->frozen = true;
		epc__spin_unlock(&s->lock);
	}
	if (read_usage)
		*read_usage = atomic_load(&res->usage);
	for (unsigned i = 0; i < EPC__MISC_NR_STOCKS; i++) {
		struct epc__misc_stock *s = &st->slot[i];

		if (!s->res || !res_below(s->res, res))
			continue;
		epc__spin_lock(&s->lock);
		held += s->nr;
		s->frozen = false;
		epc__spin_unlock(&s->lock);
	}
	return held;
}

uint64_t epc__misc_stocks_usage(struct epc__misc_stocks *st, struct epc__misc_res *res)
{
	int64_t usage;
	uint64_t held;

	epc__spin_lock(&st->xfer);
	held = stocks_held_locked(st, res, &usage);
	epc__spin_unlock(&st->xfer);
	return (uint64_t)usage - held * EPC_PAGE_SIZE;
}

uint64_t epc__misc_stocks_held(struct epc__misc_stocks *st, struct epc__misc_res *res)
{
	uint64_t held;

	epc__spin_lock(&st->xfer);
	held = stocks_held_locked(st, res, NULL);
	epc__spin_unlock(&st->xfer);
	return held;
}

void epc__misc_stocks_drain(struct epc__misc_stocks *st)
{
	epc__spin_lock(&st->xfer);
	stocks_drain_locked(st, NULL);
	epc__spin_unlock(&st->xfer);
}

_Bool epc__misc_stocks_forbid(struct epc__misc_stocks *st, struct epc__misc_res *res)
{
	bool zero;

	epc__spin_lock(&st->xfer);
	res->no_stock = true;
	zero = stocks_drain_locked(st, res);
	epc__spin_unlock(&st->xfer);
	return zero;
}

int epc__misc_stocks_check(struct epc__misc_stocks *st, const struct epc__log *log)
{
	int ret = 0;

	epc__spin_lock(&st->xfer);
	for (unsigned i = 0; i < EPC__MISC_NR_STOCKS && !ret; i++) {
		struct epc__misc_stock *s = &st->slot[i];
		const char *bad = NULL;

		epc__spin_lock(&s->lock);
		if (!s->res && s->nr)
			bad = "holds pages for no counter";
		else if (s->res && s->res->no_stock)
			bad = "caches a dying counter";
		else if (s->nr > EPC__MISC_STOCK_HIGH)
			bad = "holds more than its high mark";
		else if (s->frozen)
			bad = "is frozen with no reader";
		if (bad) {
			epc__log(log, LOG_ERR, "check: misc stock %u %s (%llu pages)", i, bad,
				 (unsigned long long)s->nr);
			ret = -EUCLEAN;
		}
		epc__spin_unlock(&s->lock);
	}
	epc__spin_unlock(&st->xfer);
	return ret;
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
int epc__kstrtou64_len(const char *s, size_t len, uint64_t *out)
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
	return epc__kstrtou64_len(s, strlen(s), out);
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
	return epc__kstrtou64_len(space, (size_t)(end - space), out);
}

/* @usage: misc.current's value (the counter, or the exact read through the stocks). */
static ssize_t misc_format(struct epc__misc_res *res, enum epc__misc_file file, uint64_t capacity,
			   uint64_t usage, char *buf, size_t len)
{
	uint64_t v = 0, max;
	_Bool show = capacity != 0;
	int n;

	switch (file) {
	case EPC__MISC_CAPACITY:
		v = capacity;
		break;
	case EPC__MISC_CURRENT:
		v = usage;
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

ssize_t epc__misc_format(const struct epc__misc_res *cres, enum epc__misc_file file,
			 uint64_t capacity, char *buf, size_t len)
{
	struct epc__misc_res *res = (struct epc__misc_res *)cres;

	return misc_format(res, file, capacity, (uint64_t)atomic_load(&res->usage), buf, len);
}

ssize_t epc__misc_format_stocked(struct epc__misc_stocks *st, const struct epc__misc_res *cres,
				 enum epc__misc_file file, uint64_t capacity, char *buf, size_t len)
{
	struct epc__misc_res *res = (struct epc__misc_res *)cres;
	uint64_t usage = st && file == EPC__MISC_CURRENT ? epc__misc_stocks_usage(st, res)
							 : (uint64_t)atomic_load(&res->usage);

	return misc_format(res, file, capacity, usage, buf, len);
}
