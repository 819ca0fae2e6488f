// SPDX-License-Identifier: MIT
/*
 * cgroup.c - the tree: paths, create, remove, reap, files, task counts.
 */
#include "cgroup/cgroup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct epc__misc_res *res_of(struct epc_cgroup *cg, enum epc__res_type type)
{
	return type == EPC__RES_MEMORY ? &cg->mem : &cg->res;
}

/* The cgroup that embeds counter @res (the inverse of res_of()). */
static struct epc_cgroup *cg_of_res(struct epc__misc_res *res)
{
	if (res->type == EPC__RES_MEMORY)
		return (struct epc_cgroup *)((char *)res - offsetof(struct epc_cgroup, mem));
	return (struct epc_cgroup *)((char *)res - offsetof(struct epc_cgroup, res));
}

int epc__cg_res_try_charge(struct epc_cgroup *cg, enum epc__res_type type, uint64_t capacity,
			   uint64_t amount, struct epc_cgroup **failed, uint64_t *min_max,
			   bool *over_capacity)
{
	struct epc__misc_res *level = NULL;
	int ret;

	/* sgx_epc: serialized with the stocks' transfers, which it drains before a refusal */
	if (type == EPC__RES_SGX_EPC && capacity == cg->tree->stocks.capacity)
		ret = epc__misc_stocks_charge_exact(&cg->tree->stocks, &cg->res, amount, &level,
						    min_max, over_capacity);
	else
		ret = epc__res_try_charge(res_of(cg, type), capacity, amount, &level, min_max,
					  over_capacity);

	if (ret == -EBUSY && failed)
		*failed = cg_of_res(level);
	return ret;
}

bool epc__cg_res_uncharge(struct epc_cgroup *cg, enum epc__res_type type, uint64_t amount,
			  const struct epc__log *log)
{
	return epc__res_uncharge(cg ? res_of(cg, type) : NULL, amount, log);
}

static struct epc_cgroup *cg_alloc(struct epc__cgroups *tree, struct epc_cgroup *parent,
				   const char *name, size_t name_len)
{
	struct epc_cgroup *cg = epc__host_aligned_alloc(tree->fault, EPC__CACHELINE, sizeof(*cg));

	if (!cg)
		return NULL;
	memset(cg, 0, sizeof(*cg));
	cg->name = epc__host_malloc(tree->fault, name_len + 1);
	if (!cg->name) {
		free(cg);
		return NULL;
	}
	memcpy(cg->name, name, name_len);
	cg->name[name_len] = '\0';
	cg->name_len = name_len;
	cg->id = ++tree->next_id; /* the tree lock, or init */
	epc__list_init(&cg->children);
	epc__list_init(&cg->sibling);
	epc__list_init(&cg->members);
	epc__misc_res_init(&cg->res, parent ? &parent->res : NULL, EPC__RES_SGX_EPC);
	epc__misc_res_init(&cg->mem, parent ? &parent->mem : NULL, EPC__RES_MEMORY);
	for (int ev = 0; ev < EPC__MEMCG_NR_EVENTS; ev++) {
		atomic_init(&cg->memcg.events[ev], 0);
		atomic_init(&cg->memcg.events_local[ev], 0);
	}
	cg->parent = parent;
	cg->tree = tree;
	cg->depth = parent ? parent->depth + 1 : 0;
	atomic_init(&cg->dead, false);
	atomic_init(&cg->pins, 0);
	atomic_init(&cg->refs, 0);
	atomic_init(&cg->nr_lru, 0);
	atomic_init(&cg->nr_reclaimable, 0);
	atomic_init(&cg->nr_children, 0);
	atomic_init(&cg->nr_evicted, 0);
	atomic_init(&cg->nr_reloaded, 0);
	atomic_init(&cg->nr_reclaim_sync, 0);
	atomic_init(&cg->nr_reclaim_async, 0);
	atomic_init(&cg->nr_work_queued, 0);
	atomic_init(&cg->nr_work_run, 0);
	atomic_init(&cg->nr_augmented, 0);
	atomic_init(&cg->nr_trimmed, 0);
	atomic_init(&cg->nr_removed, 0);
	epc__spin_init(&cg->lru_lock, EPC__RANK_LRU);
	for (int n = 0; n < EPC__MM_MAX_NODES; n++) {
		epc__plist_init(&cg->lru[n]);
		atomic_init(&cg->nr_lru_node[n], 0);
	}
	epc__spin_init(&cg->iter_lock, EPC__RANK_CG_ITER);
	cg->next_cg = cg;
	return cg;
}

static void cg_free(struct epc__cgroups *tree, struct epc_cgroup *cg)
{
	if (tree->on_free)
		tree->on_free(cg, tree->on_free_arg);
	free(cg->name);
	free(cg);
}

int epc__cgroups_init(struct epc__cgroups *tree, uint64_t capacity, const struct epc__log *log,
		      const struct epc__fault *fault)
{
	int ret;

	memset(tree, 0, sizeof(*tree));
	tree->capacity = capacity;
	tree->log = log;
	tree->fault = fault;
	ret = epc__mutex_init(&tree->lock, EPC__RANK_CG_TREE);
	if (ret)
		return ret;
	ret = epc__misc_stocks_init(&tree->stocks, capacity, log, fault);
	if (ret)
		goto err_stocks;
	ret = epc__cg_index_init(&tree->index, fault);
	if (ret)
		goto err_index;
	tree->root = cg_alloc(tree, NULL, "", 0);
	if (!tree->root) {
		ret = -ENOMEM;
		goto err_root;
	}
	epc__mutex_lock(&tree->lock);
	epc__cg_index_add_locked(tree, tree->root);
	epc__mutex_unlock(&tree->lock);
	return 0;

err_root:
	epc__cg_index_destroy(&tree->index);
err_index:
	epc__misc_stocks_destroy(&tree->stocks);
err_stocks:
	epc__mutex_destroy(&tree->lock);
	return ret;
}

static void cg_free_subtree(struct epc__cgroups *tree, struct epc_cgroup *cg)
{
	while (!epc__list_empty(&cg->children)) {
		struct epc_cgroup *c = epc__list_first(&cg->children, struct epc_cgroup, sibling);

		epc__list_del(&c->sibling);
		cg_free_subtree(tree, c);
	}
	cg_free(tree, cg);
}

void epc__cgroups_destroy(struct epc__cgroups *tree)
{
	if (!tree->root)
		return;
	cg_free_subtree(tree, tree->root);
	epc__cg_index_destroy(&tree->index);
	epc__cg_members_destroy(tree);
	epc__misc_stocks_destroy(&tree->stocks);
	epc__mutex_destroy(&tree->lock);
	memset(tree, 0, sizeof(*tree));
}

/* ---------------------------------------------------------------- paths */

/* The kernel's name rules (cgroup_mkdir(), kernfs): not empty, no '/' or
 * '\n', at most EPC__CG_NAME_MAX bytes, not "." or "..".
 * Return: 0; -EINVAL; -EEXIST ("." and ".." exist); -ENAMETOOLONG. */
static int name_check(const char *name, size_t len)
{
	if (len == 0 || memchr(name, '/', len) || memchr(name, '\n', len))
		return -EINVAL;
	if (len > EPC__CG_NAME_MAX)
		return -ENAMETOOLONG;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return -EEXIST;
	return 0;
}

int epc__cg_path_check(const char *path)
{
	const char *p = path;

	if (!path || path[0] != '/')
		return -EINVAL;
	if (path[1] == '\0')
		return 0;
	while (*p == '/') {
		const char *c = ++p;

		p += strcspn(p, "/");
		if (name_check(c, (size_t)(p - c)))
			return -EINVAL;
	}
	return 0;
}

static struct epc_cgroup *child_lookup_locked(struct epc_cgroup *parent, const char *name,
					      size_t len)
{
	return epc__cg_index_child_locked(parent, name, len);
}

/*
 * Walk @path (already checked) from the root; stop before the last component
 * when @parent_only. Return: the cgroup or NULL; *@last the last component.
 */
static struct epc_cgroup *walk_locked(struct epc__cgroups *tree, const char *path, bool parent_only,
				      const char **last, size_t *last_len)
{
	struct epc_cgroup *cg = tree->root;
	const char *p = path;

	epc__assert_mutex_held(&tree->lock);
	while (*p == '/' && p[1]) {
		const char *c = ++p;
		size_t len;

		while (*p && *p != '/')
			p++;
		len = (size_t)(p - c);
		if (parent_only && !*p) {
			*last = c;
			*last_len = len;
			return cg;
		}
		cg = child_lookup_locked(cg, c, len);
		if (!cg)
			return NULL;
	}
	return cg;
}

/*
 * Create @parent's child @name[0..@len) (a checked name). Return: 0; -ENOENT
 * @parent was removed; -EEXIST a live child or a file of @parent has the
 * name; -ENOMEM.
 */
static int create_locked(struct epc_cgroup *parent, const char *name, size_t len,
			 struct epc_cgroup **out)
{
	struct epc__cgroups *tree = parent->tree;
	struct epc_cgroup *cg;

	epc__assert_mutex_held(&tree->lock);
	if (atomic_load(&parent->dead))
		return -ENOENT;
	if (child_lookup_locked(parent, name, len) || epc__cg_has_file_named(parent, name, len))
		return -EEXIST;
	cg = cg_alloc(tree, parent, name, len);
	if (!cg)
		return -ENOMEM;
	/* Append: siblings stay in creation order, as the kernel's children list
	 * (list_add_tail_rcu in cgroup_create), so pre-order walks match it. */
	epc__list_add_tail(&parent->children, &cg->sibling);
	atomic_fetch_add(&parent->nr_children, 1);
	epc__cg_index_add_locked(tree, cg);
	atomic_store(&cg->refs, 1); /* the handle */
	*out = cg;
	return 0;
}

int epc__cg_create(struct epc__cgroups *tree, const char *path, struct epc_cgroup **out)
{
	struct epc_cgroup *parent;
	const char *name = NULL;
	size_t len = 0;
	int ret;

	ret = epc__cg_path_check(path);
	if (ret)
		return ret;
	if (!strcmp(path, "/"))
		return -EEXIST;
	epc__mutex_lock(&tree->lock);
	parent = walk_locked(tree, path, true, &name, &len);
	ret = parent ? create_locked(parent, name, len, out) : -ENOENT;
	epc__mutex_unlock(&tree->lock);
	return ret;
}

int epc__cg_create_child(struct epc_cgroup *parent, const char *name, struct epc_cgroup **out)
{
	size_t len = strlen(name);
	int ret = name_check(name, len);

	if (ret)
		return ret;
	epc__mutex_lock(&parent->tree->lock);
	ret = create_locked(parent, name, len, out);
	epc__mutex_unlock(&parent->tree->lock);
	return ret;
}

int epc__cg_child(struct epc_cgroup *parent, const char *name, struct epc_cgroup **out)
{
	struct epc_cgroup *cg = NULL;

	epc__mutex_lock(&parent->tree->lock);
	if (!atomic_load(&parent->dead))
		cg = child_lookup_locked(parent, name, strlen(name));
	if (cg)
		epc__cg_get(cg); /* under the lock: it cannot be reaped meanwhile */
	epc__mutex_unlock(&parent->tree->lock);
	if (!cg)
		return -ENOENT;
	*out = cg;
	return 0;
}

int epc__cg_lookup_id(struct epc__cgroups *tree, uint64_t id, struct epc_cgroup **out)
{
	struct epc_cgroup *cg;

	epc__mutex_lock(&tree->lock);
	cg = epc__cg_index_id_locked(tree, id);
	if (cg)
		epc__cg_get(cg);
	epc__mutex_unlock(&tree->lock);
	if (!cg)
		return -ENOENT;
	*out = cg;
	return 0;
}

int epc__cg_lookup(struct epc__cgroups *tree, const char *path, struct epc_cgroup **out)
{
	const char *last;
	size_t last_len;
	struct epc_cgroup *cg;
	int ret = epc__cg_path_check(path);

	if (ret)
		return ret;
	epc__mutex_lock(&tree->lock);
	cg = walk_locked(tree, path, false, &last, &last_len);
	if (cg)
		epc__cg_get(cg); /* under the lock: it cannot be reaped meanwhile */
	epc__mutex_unlock(&tree->lock);
	if (!cg)
		return -ENOENT;
	*out = cg;
	return 0;
}

ssize_t epc__cg_path(struct epc_cgroup *cg, char *buf, size_t len)
{
	size_t need = 0, pos;
	struct epc_cgroup *c;

	if (!cg->parent) {
		if (len < 2)
			return -ENOSPC;
		memcpy(buf, "/", 2);
		return 1;
	}
	for (c = cg; c->parent; c = c->parent)
		need += 1 + c->name_len;
	if (need + 1 > len)
		return -ENOSPC;
	pos = need;
	buf[pos] = '\0';
	for (c = cg; c->parent; c = c->parent) {
		size_t n = c->name_len;

		pos -= n;
		memcpy(buf + pos, c->name, n);
		buf[--pos] = '/';
	}
	return (ssize_t)need;
}

ssize_t epc__cg_name(struct epc_cgroup *cg, char *buf, size_t len)
{
	size_t n = cg->name_len;

	if (n + 1 > len)
		return -ENOSPC;
	memcpy(buf, cg->name, n + 1);
	return (ssize_t)n;
}

size_t epc__cg_list_children(struct epc_cgroup *cg, struct epc_cgroup **out, size_t cap)
{
	struct epc_cgroup *c;
	size_t nr = 0;

	epc__mutex_lock(&cg->tree->lock);
	epc__list_for_each(c, &cg->children, sibling)
	{
		if (atomic_load(&c->dead))
			continue;
		if (nr < cap) {
			epc__cg_get(c);
			out[nr] = c;
		}
		nr++;
	}
	epc__mutex_unlock(&cg->tree->lock);
	return nr;
}

size_t epc__cg_collect(struct epc__cgroups *tree, struct epc_cgroup **out, int *nr_tasks,
		       size_t cap)
{
	struct epc_cgroup *c;
	size_t nr = 0;

	epc__mutex_lock(&tree->lock);
	for (c = tree->root; c; c = epc__cg_next_pre_locked(tree->root, c)) {
		if (nr < cap) {
			epc__cg_get(c);
			out[nr] = c;
			nr_tasks[nr] = c->nr_tasks;
		}
		nr++;
	}
	epc__mutex_unlock(&tree->lock);
	return nr;
}

/* --------------------------------------------------------------- removal */

static bool has_live_child_locked(struct epc_cgroup *cg)
{
	struct epc_cgroup *c;

	epc__assert_mutex_held(&cg->tree->lock);
	epc__list_for_each(c, &cg->children, sibling) if (!atomic_load(&c->dead)) return true;
	return false;
}

static bool reapable_locked(struct epc_cgroup *cg)
{
	epc__assert_mutex_held(&cg->tree->lock);
	/* seq_cst, not epc__cg_usage()'s relaxed read: the uncharge that brought
	 * the usage to 0 must happen before we free the counter it wrote */
	return atomic_load(&cg->dead) && epc__list_empty(&cg->children) &&
	       atomic_load(&cg->res.usage) == 0 && atomic_load(&cg->pins) == 0 &&
	       atomic_load(&cg->refs) == 0;
}

static void unlink_locked(struct epc_cgroup *cg)
{
	epc__assert_mutex_held(&cg->tree->lock);
	epc__list_del(&cg->sibling);
	atomic_fetch_sub(&cg->parent->nr_children, 1);
}

/*
 * The kernel's sgx_cgroup_next_skip(): no ancestor's fair cursor may point at
 * a cgroup about to be freed; move it to the pre-order successor (or the
 * ancestor itself when there is none).
 */
static void cursors_skip_locked(struct epc_cgroup *cg)
{
	epc__assert_mutex_held(&cg->tree->lock);
	for (struct epc_cgroup *a = cg->parent; a; a = a->parent) {
		epc__spin_lock(&a->iter_lock);
		if (a->next_cg == cg) {
			struct epc_cgroup *n = epc__cg_next_pre_locked(a, cg);

			a->next_cg = n ? n : a;
		}
		epc__spin_unlock(&a->iter_lock);
	}
}

static void reap_locked(struct epc__cgroups *tree)
{
	bool progress = true;

	epc__assert_mutex_held(&tree->lock);
	while (progress) {
		struct epc_cgroup **pp = &tree->dying;

		progress = false;
		while (*pp) {
			struct epc_cgroup *cg = *pp;

			if (!reapable_locked(cg)) {
				pp = &cg->next_dying;
				continue;
			}
			*pp = cg->next_dying;
			atomic_fetch_sub(&tree->nr_dying, 1);
			cursors_skip_locked(cg);
			unlink_locked(cg);
			cg_free(tree, cg);
			progress = true;
		}
	}
}

void epc__cg_reap(struct epc__cgroups *tree)
{
	epc__mutex_lock(&tree->lock);
	reap_locked(tree);
	epc__mutex_unlock(&tree->lock);
}

int epc__cg_remove(struct epc_cgroup *cg)
{
	struct epc__cgroups *tree = cg->tree;
	int ret = 0;

	if (!cg->parent)
		return -EINVAL;
	epc__mutex_lock(&tree->lock);
	if (atomic_load(&cg->dead)) {
		ret = -ENOENT;
	} else if (cg->nr_tasks || cg->nr_members || has_live_child_locked(cg)) {
		ret = -EBUSY;
	} else {
		atomic_store(&cg->dead, true);
		epc__cg_index_del_locked(tree, cg);
		atomic_fetch_add(&tree->nr_dying, 1);
		cg->next_dying = tree->dying;
		tree->dying = cg;
		/* its stocked pages go back, and no stock caches it again: a dying
		 * cgroup's usage is its pages alone, and it is reaped with them */
		epc__misc_stocks_forbid(&tree->stocks, &cg->res);
		reap_locked(tree);
	}
	epc__mutex_unlock(&tree->lock);
	return ret;
}

/* ----------------------------------------------------------- membership */

int epc__cg_task_attach(struct epc_cgroup *cg)
{
	int ret = 0;

	epc__mutex_lock(&cg->tree->lock);
	if (atomic_load(&cg->dead))
		ret = -EINVAL;
	else
		cg->nr_tasks++;
	epc__mutex_unlock(&cg->tree->lock);
	return ret;
}

void epc__cg_task_detach(struct epc_cgroup *cg)
{
	epc__mutex_lock(&cg->tree->lock);
	cg->nr_tasks--;
	epc__mutex_unlock(&cg->tree->lock);
}

int epc__cg_task_move(struct epc_cgroup *from, struct epc_cgroup *to)
{
	int ret = 0;

	epc__mutex_lock(&to->tree->lock);
	if (atomic_load(&to->dead)) {
		ret = -EINVAL;
	} else {
		from->nr_tasks--;
		to->nr_tasks++;
	}
	epc__mutex_unlock(&to->tree->lock);
	return ret;
}

/* ------------------------------------------------------------- charging */

struct epc_cgroup *epc__cg_epc_owner(struct epc_cgroup *cg)
{
	return cg->tree->mode == EPC_CGROUP_ON ? cg : cg->tree->root;
}

/* EPC_EVENT_CHARGE_REFUSED. */
static void charge_refused_event(struct epc__cgroups *tree, struct epc_cgroup *level,
				 bool over_capacity)
{
	struct epc_event e = epc__event_make(EPC_EVENT_CHARGE_REFUSED);

	e.cgroup = level;
	e.over_capacity = over_capacity;
	epc__event_emit(&tree->events, &e);
}

int epc__cg_try_charge_page(struct epc_cgroup *cg, struct epc_cgroup **failed, uint64_t *min_max,
			    bool *over_capacity)
{
	return epc__cg_try_charge_page_cpu(cg, -1, failed, min_max, over_capacity);
}

int epc__cg_try_charge_page_cpu(struct epc_cgroup *cg, int cpu, struct epc_cgroup **failed,
				uint64_t *min_max, bool *over_capacity)
{
	struct epc__misc_res *res_level = NULL;
	struct epc_cgroup *level = NULL;
	bool over = false;
	int ret;

	if (cg->tree->mode == EPC_CGROUP_NONE) {
		if (min_max)
			*min_max = EPC__MISC_MAX;
		return 0;
	}
	ret = epc__misc_stocks_try_charge(&cg->tree->stocks, &cg->res, cpu, &res_level, min_max,
					  &over);
	if (ret == -EBUSY) {
		level = cg_of_res(res_level);
		if (epc__events_on(&cg->tree->events))
			charge_refused_event(cg->tree, level, over);
		if (failed)
			*failed = level;
		if (over_capacity)
			*over_capacity = over;
	}
	return ret;
}

/* @nr pages at @cg, into CPU @cpu's stock when it caches @cg (@cpu >= 0, one page). */
static void cg_uncharge(struct epc_cgroup *cg, int cpu, unsigned nr)
{
	struct epc__cgroups *tree = cg->tree;

	if (tree->mode == EPC_CGROUP_NONE)
		return;
	/*
	 * Only a dying cgroup's usage reaching 0 makes anything reapable; after
	 * the uncharge @cg may be gone, so look at the tree alone. Pairs with
	 * epc__cg_remove(): it raises nr_dying, then reads the usage; we lower
	 * the usage, then read nr_dying (both seq_cst), so one of us reaps.
	 */
	if (epc__misc_stocks_uncharge(&tree->stocks, &cg->res, cpu, nr) &&
	    atomic_load(&tree->nr_dying))
		epc__cg_reap(tree);
}

void epc__cg_uncharge_page(struct epc_cgroup *cg)
{
	epc__cg_uncharge_pages(cg, 1);
}

void epc__cg_uncharge_pages(struct epc_cgroup *cg, unsigned nr)
{
	cg_uncharge(cg, -1, nr);
}

void epc__cg_uncharge_page_cpu(struct epc_cgroup *cg, int cpu)
{
	cg_uncharge(cg, cpu, 1);
}

uint64_t epc__cg_usage(struct epc_cgroup *cg)
{
	return epc__misc_stocks_usage(&cg->tree->stocks, &cg->res);
}

int epc__cg_try_charge_mem(struct epc_cgroup *cg, uint64_t bytes, struct epc_cgroup **failed)
{
	return epc__cg_res_try_charge(cg, EPC__RES_MEMORY, UINT64_MAX, bytes, failed, NULL, NULL);
}

/* The charger holds a pin on @cg (an enclave's owner cgroup), so no reap here. */
void epc__cg_uncharge_mem(struct epc_cgroup *cg, uint64_t bytes)
{
	epc__cg_res_uncharge(cg, EPC__RES_MEMORY, bytes, cg->tree->log);
}

void epc__cg_get(struct epc_cgroup *cg)
{
	if (cg->parent)
		atomic_fetch_add(&cg->refs, 1);
}

/*
 * As epc__cg_unpin(): after the drop @cg may be reaped at once, so look at
 * the tree alone; it pairs with epc__cg_remove() the same way.
 */
int epc__cg_put(struct epc_cgroup *cg)
{
	struct epc__cgroups *tree = cg->tree;
	int refs;

	if (!cg->parent)
		return 0;
	refs = atomic_load(&cg->refs);
	do {
		if (refs <= 0)
			return -EINVAL;
	} while (!atomic_compare_exchange_weak(&cg->refs, &refs, refs - 1));
	if (refs == 1 && atomic_load(&tree->nr_dying))
		epc__cg_reap(tree);
	return 0;
}

void epc__cg_pin(struct epc_cgroup *cg)
{
	atomic_fetch_add(&cg->pins, 1);
}

/*
 * After the drop @cg may be reaped by another thread at once, so look at the
 * tree alone. Pairs with epc__cg_remove() as the uncharge does: it raises
 * nr_dying, then reads the pins; we lower the pins, then read nr_dying (both
 * seq_cst), so one of us reaps.
 */
void epc__cg_unpin(struct epc_cgroup *cg)
{
	struct epc__cgroups *tree = cg->tree;

	if (atomic_fetch_sub(&cg->pins, 1) == 1 && atomic_load(&tree->nr_dying))
		epc__cg_reap(tree);
}

/* ---------------------------------------------------------------- walks */

struct epc_cgroup *epc__cg_next_pre_locked(struct epc_cgroup *root, struct epc_cgroup *pos)
{
	struct epc_cgroup *n = epc__list_first(&pos->children, struct epc_cgroup, sibling);

	epc__assert_mutex_held(&root->tree->lock);
	if (n)
		return n;
	for (; pos != root; pos = pos->parent)
		if ((n = epc__list_next(pos, &pos->parent->children, sibling)))
			return n;
	return NULL;
}

uint64_t epc__cg_effective_max(struct epc_cgroup *cg)
{
	uint64_t m = UINT64_MAX;

	for (; cg; cg = cg->parent) {
		uint64_t v = atomic_load_explicit(&cg->res.max, memory_order_relaxed);

		if (v < m)
			m = v;
	}
	return m;
}

/* ---------------------------------------------------------------- check */

static int check_level_locked(struct epc__cgroups *tree, struct epc_cgroup *c)
{
	uint64_t held = epc__misc_stocks_held(&tree->stocks, &c->res);
	int64_t counter = atomic_load(&c->res.usage);
	uint64_t want = (c->check_pages + held) * EPC_PAGE_SIZE;

	epc__assert_mutex_held(&tree->lock);
	if (counter == (int64_t)want)
		return 0;
	epc__log(tree->log, LOG_ERR,
		 "check: cgroup %p's sgx_epc counter is %lld bytes, but %llu pages are "
		 "charged below it and its stocks hold %llu",
		 (void *)c, (long long)counter, (unsigned long long)c->check_pages,
		 (unsigned long long)held);
	return -EUCLEAN;
}

int epc__cg_check(struct epc__cgroups *tree, struct epc__mm *mm)
{
	struct epc_cgroup *c;
	int ret;

	if (tree->mode == EPC_CGROUP_NONE)
		return 0;
	ret = epc__misc_stocks_check(&tree->stocks, tree->log);
	if (ret)
		return ret;
	epc__mutex_lock(&tree->lock);
	for (c = tree->root; c; c = epc__cg_next_pre_locked(tree->root, c))
		c->check_pages = 0;
	for (uint64_t i = 0; i < mm->nr_pages; i++)
		for (c = mm->pages[i].cg; c; c = c->parent)
			c->check_pages++;
	for (c = tree->root; c && !ret; c = epc__cg_next_pre_locked(tree->root, c))
		ret = check_level_locked(tree, c);
	epc__mutex_unlock(&tree->lock);
	return ret;
}
