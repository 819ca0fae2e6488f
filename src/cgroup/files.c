// SPDX-License-Identifier: MIT
/*
 * files.c - the cgroup's files: the table include/epcmm.h declares
 * (EPC_CGROUP_FILES), and what reading and writing each one does. The one
 * list of the files in the library; misc.c and memcg.c format and parse, by
 * their own enums, and know no name.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/cgroup.h"

#define ENTRY(id, nm, md, fl) [id] = {.name = nm, .mode = md, .flags = fl},
static const struct epc_cftype table[EPC_CGF_NR] = {EPC_CGROUP_FILES(ENTRY)};
#undef ENTRY

/*
 * What a file does, as the kernel's cftype: @priv is handed to @read (the
 * kernel's cft->private: which of a controller's texts the file is, for the
 * reads that format by the controller's own enum; 0 for the others).
 */
struct file_ops {
	ssize_t (*read)(struct epc_cgroup *cg, int priv, char *buf, size_t len);
	int (*write)(struct epc_cgroup *cg, const char *text); /* NULL: mode 0444 */
	int priv;
};

/* The controllers, by their cgroup.subtree_control names, in the kernel's order. */
static const struct {
	const char *name;
	unsigned bit;
} controllers[] = {{"memory", EPC__CTRL_MEMORY}, {"misc", EPC__CTRL_MISC}};
#define NR_CONTROLLERS (sizeof(controllers) / sizeof(controllers[0]))

/* snprintf()'s result as a read's. Return: its length; -ENOSPC. */
static ssize_t printed(int n, size_t len)
{
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

/* ----------------------------------------------------------------- misc */

/* @priv: an enum epc__misc_file. */
static ssize_t misc_read(struct epc_cgroup *cg, int priv, char *buf, size_t len)
{
	return epc__misc_format_stocked(&cg->tree->stocks, &cg->res, (enum epc__misc_file)priv,
					cg->tree->capacity, buf, len);
}

static int misc_max_write(struct epc_cgroup *cg, const char *text)
{
	uint64_t max;
	int ret;

	if (cg->tree->mode != EPC_CGROUP_ON) {
		epc__log(cg->tree->log, LOG_ERR,
			 "%s: the EPC controller is off (cgroup_mode %d): no limit applies",
			 table[EPC_CGF_MISC_MAX].name, (int)cg->tree->mode);
		return -EOPNOTSUPP;
	}
	ret = epc__misc_parse_max(text, &max);
	if (ret)
		return ret;
	if (!cg->tree->capacity)
		return -EINVAL;
	atomic_store(&cg->res.max, max);
	/* pages stocked under the old limit must not pass the new one */
	epc__misc_stocks_drain(&cg->tree->stocks);
	return 0;
}

/* --------------------------------------------------------------- memory */

/* @priv: an enum epc__memcg_file. */
static ssize_t memory_read(struct epc_cgroup *cg, int priv, char *buf, size_t len)
{
	return epc__memcg_format(cg, (enum epc__memcg_file)priv, buf, len);
}

static int memory_max_write(struct epc_cgroup *cg, const char *text)
{
	uint64_t max;
	int ret = epc__memcg_parse_max(text, &max);

	if (!ret)
		atomic_store(&cg->mem.max, max);
	return ret;
}

/* ----------------------------------------------------------------- core */

static ssize_t procs_read(struct epc_cgroup *cg, int priv, char *buf, size_t len)
{
	size_t nr = epc__cg_list_members(cg, NULL, 0), off = 0;
	uint64_t *ids;
	ssize_t ret = 0;

	(void)priv; /* one text */
	ids = epc__host_calloc(cg->tree->fault, nr + 1, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	/* ids attached meanwhile are not listed: they came after the read */
	nr = epc__cg_list_members(cg, ids, nr + 1);
	buf[0] = '\0';
	for (size_t i = 0; i < nr && ret >= 0; i++) {
		ret = printed(snprintf(buf + off, len - off, "%llu\n", (unsigned long long)ids[i]),
			      len - off);
		off += ret > 0 ? (size_t)ret : 0;
	}
	free(ids);
	return ret < 0 ? ret : (ssize_t)off;
}

int epc__cg_procs_parse(const char *text, int *id)
{
	const char *s = text, *end = text + strlen(text);
	bool neg = false;
	uint64_t v;

	/* strstrip() */
	while (epc__kernel_isspace((unsigned char)*s))
		s++;
	while (end > s && epc__kernel_isspace((unsigned char)end[-1]))
		end--;
	if (s < end && *s == '-') {
		neg = true;
		s++;
	}
	if (epc__kstrtou64_len(s, (size_t)(end - s), &v) || v > INT_MAX || (neg && v))
		return -EINVAL;
	*id = (int)v;
	return 0;
}

static int procs_write(struct epc_cgroup *cg, const char *text)
{
	int id, ret = epc__cg_procs_parse(text, &id);

	if (ret)
		return ret;
	if (!id) {
		epc__log(cg->tree->log, LOG_ERR,
			 "%s: 0 names no id here (the writer: a cgroupfs resolves it)",
			 table[EPC_CGF_PROCS].name);
		return -EINVAL;
	}
	return epc__cg_attach_id(cg, (uint64_t)id);
}

static ssize_t print_mask(unsigned mask, char *buf, size_t len)
{
	size_t off = 0;

	for (size_t i = 0; i < NR_CONTROLLERS; i++) {
		ssize_t n;

		if (!(mask & controllers[i].bit))
			continue;
		n = printed(
			snprintf(buf + off, len - off, "%s%s", off ? " " : "", controllers[i].name),
			len - off);
		if (n < 0)
			return n;
		off += (size_t)n;
	}
	if (off + 2 > len)
		return -ENOSPC;
	buf[off++] = '\n';
	buf[off] = '\0';
	return (ssize_t)off;
}

/* What @cg may enable for its children: what its parent enabled for it. */
static unsigned controllers_locked(struct epc_cgroup *cg)
{
	epc__assert_mutex_held(&cg->tree->lock);
	return cg->parent ? cg->parent->subtree : EPC__CTRL_ALL;
}

static ssize_t controllers_read(struct epc_cgroup *cg, int priv, char *buf, size_t len)
{
	unsigned mask;

	(void)priv; /* one text */
	epc__mutex_lock(&cg->tree->lock);
	mask = controllers_locked(cg);
	epc__mutex_unlock(&cg->tree->lock);
	return print_mask(mask, buf, len);
}

static ssize_t subtree_read(struct epc_cgroup *cg, int priv, char *buf, size_t len)
{
	unsigned mask;

	(void)priv; /* one text */
	epc__mutex_lock(&cg->tree->lock);
	mask = cg->subtree;
	epc__mutex_unlock(&cg->tree->lock);
	return print_mask(mask, buf, len);
}

/* The tokens of a subtree_control write: strstrip(), then split at each
 * space (only spaces separate). Return: 0; -EINVAL; -ENOMEM. */
static int subtree_parse(const char *text, unsigned *enable, unsigned *disable)
{
	char *copy = strdup(text), *buf = copy, *tok;
	size_t n;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	while (epc__kernel_isspace((unsigned char)*buf))
		buf++;
	n = strlen(buf);
	while (n && epc__kernel_isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	*enable = *disable = 0;
	while (!ret && (tok = strsep(&buf, " "))) {
		unsigned bit = 0;

		if (!*tok)
			continue;
		for (size_t i = 0; i < NR_CONTROLLERS; i++)
			if (!strcmp(tok + 1, controllers[i].name))
				bit = controllers[i].bit;
		if (bit && tok[0] == '+') {
			*enable |= bit;
			*disable &= ~bit;
		} else if (bit && tok[0] == '-') {
			*disable |= bit;
			*enable &= ~bit;
		} else {
			ret = -EINVAL;
		}
	}
	free(copy);
	return ret;
}

/* A child of @cg has @bit in its own subtree_control. */
static bool child_enabled_locked(struct epc_cgroup *cg, unsigned bit)
{
	struct epc_cgroup *c;

	epc__list_for_each(c, &cg->children,
			   sibling) if (!atomic_load(&c->dead) && (c->subtree & bit)) return true;
	return false;
}

/* As the kernel's cgroup_subtree_control_write() (epcmm.h). */
static int subtree_write(struct epc_cgroup *cg, const char *text)
{
	unsigned enable, disable;
	int ret = subtree_parse(text, &enable, &disable);

	if (ret)
		return ret;
	epc__mutex_lock(&cg->tree->lock);
	if (atomic_load(&cg->dead))
		ret = -ENODEV;
	for (size_t i = 0; i < NR_CONTROLLERS && !ret; i++) {
		unsigned bit = controllers[i].bit;

		if ((enable & bit) && (cg->subtree & bit))
			enable &= ~bit;
		else if ((enable & bit) && !(controllers_locked(cg) & bit))
			ret = -ENOENT;
		else if ((disable & bit) && !(cg->subtree & bit))
			disable &= ~bit;
		else if ((disable & bit) && child_enabled_locked(cg, bit))
			ret = -EBUSY;
	}
	if (!ret)
		cg->subtree = (cg->subtree | enable) & ~disable;
	epc__mutex_unlock(&cg->tree->lock);
	return ret;
}

static ssize_t events_read(struct epc_cgroup *cg, int priv, char *buf, size_t len)
{
	(void)priv; /* one text */
	return printed(snprintf(buf, len, "populated %d\nfrozen 0\n", epc__cg_populated(cg)), len);
}

/* ---------------------------------------------------------------- table */

static const struct file_ops ops[EPC_CGF_NR] = {
	[EPC_CGF_PROCS] = {procs_read, procs_write, 0},
	[EPC_CGF_CONTROLLERS] = {controllers_read, NULL, 0},
	[EPC_CGF_SUBTREE_CONTROL] = {subtree_read, subtree_write, 0},
	[EPC_CGF_EVENTS] = {events_read, NULL, 0},
	[EPC_CGF_MEMORY_CURRENT] = {memory_read, NULL, EPC__MEMCG_CURRENT},
	[EPC_CGF_MEMORY_EVENTS] = {memory_read, NULL, EPC__MEMCG_EVENTS},
	[EPC_CGF_MEMORY_EVENTS_LOCAL] = {memory_read, NULL, EPC__MEMCG_EVENTS_LOCAL},
	[EPC_CGF_MEMORY_MAX] = {memory_read, memory_max_write, EPC__MEMCG_MAX_FILE},
	[EPC_CGF_MEMORY_PEAK] = {memory_read, NULL, EPC__MEMCG_PEAK},
	[EPC_CGF_MISC_CAPACITY] = {misc_read, NULL, EPC__MISC_CAPACITY},
	[EPC_CGF_MISC_CURRENT] = {misc_read, NULL, EPC__MISC_CURRENT},
	[EPC_CGF_MISC_EVENTS] = {misc_read, NULL, EPC__MISC_EVENTS},
	[EPC_CGF_MISC_EVENTS_LOCAL] = {misc_read, NULL, EPC__MISC_EVENTS_LOCAL},
	[EPC_CGF_MISC_MAX] = {misc_read, misc_max_write, EPC__MISC_MAX_FILE},
	[EPC_CGF_MISC_PEAK] = {misc_read, NULL, EPC__MISC_PEAK},
};

const struct epc_cftype *epc__cg_file_type(enum epc_cgroup_file file)
{
	return &table[file];
}

bool epc__cg_has_file(const struct epc_cgroup *cg, enum epc_cgroup_file file)
{
	unsigned flags = table[file].flags;

	if (cg->parent)
		return !(flags & EPC_CFTYPE_ONLY_ON_ROOT);
	return !(flags & EPC_CFTYPE_NOT_ON_ROOT);
}

/* The file of @cg named @name[0..@len). Return: 0; -ENOENT. */
static int file_find(const struct epc_cgroup *cg, const char *name, size_t len,
		     enum epc_cgroup_file *out)
{
	for (int f = 0; f < EPC_CGF_NR; f++)
		if (strlen(table[f].name) == len && !memcmp(name, table[f].name, len)) {
			if (!epc__cg_has_file(cg, (enum epc_cgroup_file)f))
				return -ENOENT;
			*out = (enum epc_cgroup_file)f;
			return 0;
		}
	return -ENOENT;
}

int epc__cg_file_lookup(struct epc_cgroup *cg, const char *name, enum epc_cgroup_file *out)
{
	return file_find(cg, name, strlen(name), out);
}

bool epc__cg_has_file_named(const struct epc_cgroup *cg, const char *name, size_t len)
{
	enum epc_cgroup_file f;

	return !file_find(cg, name, len, &f);
}

ssize_t epc__cg_file_read(struct epc_cgroup *cg, enum epc_cgroup_file file, char *buf, size_t len)
{
	if ((unsigned)file >= EPC_CGF_NR || !epc__cg_has_file(cg, file))
		return -ENOENT;
	if (len == 0)
		return -ENOSPC;
	return ops[file].read(cg, ops[file].priv, buf, len);
}

int epc__cg_file_write(struct epc_cgroup *cg, enum epc_cgroup_file file, const char *text)
{
	if ((unsigned)file >= EPC_CGF_NR || !epc__cg_has_file(cg, file))
		return -ENOENT;
	if (!(table[file].mode & 0222) || !ops[file].write)
		return -EACCES;
	return ops[file].write(cg, text);
}

ssize_t epc__cg_read(struct epc_cgroup *cg, const char *file, char *buf, size_t len)
{
	enum epc_cgroup_file f;
	int ret = epc__cg_file_lookup(cg, file, &f);

	return ret ? ret : epc__cg_file_read(cg, f, buf, len);
}

int epc__cg_write(struct epc_cgroup *cg, const char *file, const char *text)
{
	enum epc_cgroup_file f;
	int ret = epc__cg_file_lookup(cg, file, &f);

	return ret ? ret : epc__cg_file_write(cg, f, text);
}
