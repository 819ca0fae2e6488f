/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cgroupfs.h - the cgroupfs fuzz target's logic, shared by the libFuzzer
 * binary (fuzz_cgroupfs.c) and the corpus replay test (test_corpus.c).
 *
 * Input: byte 0 is the split point n (255: the next two bytes, little endian,
 * are n); the next n bytes are a cgroup path, the rest is a misc.max text.
 * Both halves are C strings (cut at the first NUL) and each is tried both as
 * a path and as a misc.max text.
 *
 * Properties (abort() on violation, so libFuzzer and cmocka both see it):
 *  - paths: epc__cg_path_check() agrees with an independent model of the
 *    grammar (absolute, the kernel's names: components of 1 to 4095 bytes
 *    but '/' and '\n', no "." or ".."); on a scratch instance a rejected path
 *    gives -EINVAL to create and lookup, an accepted one never does: its
 *    prefixes can be created one by one (up to one named as a file of its
 *    parent: -EEXIST, as the kernel's), are found by lookup, print back as the
 *    same path, and remove again.
 *  - misc.max: the parser agrees with a transcription of the kernel's
 *    misc_cg_max_write() (strim, strsep, kstrtou64 base 0) on the result and
 *    the value; a write through epc_cgroup_write() on a real cgroup gives the
 *    same result; after success the file reads back as the value, and writing
 *    that text back reads back byte-identical; after a failure the old limit
 *    is unchanged; a task in the cgroup then gets exactly
 *    min(floor(max / 4096), capacity) pages, each refusal counted once.
 *  - reads: a buffer of any length gives the full text or -ENOSPC, never a
 *    short success.
 *
 * The instances are created once, lazily (a fuzz harness may keep a global);
 * fuzz_cgroupfs_teardown() frees them.
 */
#ifndef EPCMM_FUZZ_CGROUPFS_H
#define EPCMM_FUZZ_CGROUPFS_H

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "epc.h"

#include "cgroup/cgroup.h"
#include "cgroup/misc.h"

#define FUZZ_CAPACITY_PAGES 16
#define FUZZ_MAX_DEPTH	    64 /* deeper accepted paths are only checked, not built */
#define FUZZ_OLD_LIMIT	    "sgx_epc 12345"
#define FUZZ_OLD_TEXT	    "sgx_epc 12345\n"

#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_cgroupfs: %s:%d: ", __FILE__, __LINE__);             \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

struct fuzz_cgroupfs_env {
	struct epc *epc; /* /f and its task */
	struct epc_cgroup *f;
	struct epc_task *t;
	struct epc *scratch; /* empty tree between inputs, for paths */
};

static struct fuzz_cgroupfs_env fuzz_cgroupfs_env;

static inline void fuzz_cgroupfs_quiet(int level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
}

static inline struct epc *fuzz_cgroupfs_instance(void)
{
	struct epc_section_desc s = {.phys_addr = 1ULL << 32,
				     .size = (uint64_t)FUZZ_CAPACITY_PAGES * EPC_PAGE_SIZE,
				     .node = 0};
	struct epc_config c = {.nr_nodes = 1,
			       .sections = &s,
			       .nr_sections = 1,
			       .background = EPC_BACKGROUND_MANUAL,
			       .log = fuzz_cgroupfs_quiet};
	struct epc *epc = NULL;

	FUZZ_CHECK(epc_create2(&c, sizeof(c), &epc) == 0, "epc_create failed");
	FUZZ_CHECK(epc_sanitize_wait(epc) == 0, "sanitize failed");
	return epc;
}

static inline struct fuzz_cgroupfs_env *fuzz_cgroupfs_setup(void)
{
	struct fuzz_cgroupfs_env *env = &fuzz_cgroupfs_env;

	if (env->epc)
		return env;
	env->epc = fuzz_cgroupfs_instance();
	env->scratch = fuzz_cgroupfs_instance();
	FUZZ_CHECK(epc_cgroup_create(env->epc, "/f", &env->f) == 0, "create /f");
	FUZZ_CHECK(epc_task_create(env->epc, env->f, 0, &env->t) == 0, "task in /f");
	return env;
}

static inline void fuzz_cgroupfs_teardown(void)
{
	struct fuzz_cgroupfs_env *env = &fuzz_cgroupfs_env;

	if (!env->epc)
		return;
	epc_task_destroy(env->t);
	epc_destroy(env->epc);
	epc_destroy(env->scratch);
	memset(env, 0, sizeof(*env));
}

/* ------------------------------------------------------ reference models */

/* The grammar of DESIGN §3 / epcmm.h, written independently of cgroup.c. */
/* A file the cgroup at @depth has, by the table's flags: a name it takes. */
static inline bool fuzz_ref_file_taken(const char *name, size_t len, int depth)
{
#define FUZZ_FILE_(id, fname, mode, flags)                                                         \
	if (strlen(fname) == len && !memcmp(name, fname, len))                                     \
		return depth ? !((flags)&EPC_CFTYPE_ONLY_ON_ROOT)                                  \
			     : !((flags)&EPC_CFTYPE_NOT_ON_ROOT);
	EPC_CGROUP_FILES(FUZZ_FILE_)
#undef FUZZ_FILE_
	return false;
}

static inline bool fuzz_ref_path_ok(const char *path)
{
	size_t n = strlen(path), start = 1;

	if (n == 0 || path[0] != '/')
		return false;
	if (n == 1)
		return true;
	for (size_t i = 1; i <= n; i++) {
		size_t len;

		if (i < n && path[i] != '/') {
			if (path[i] == '\n')
				return false;
			continue;
		}
		len = i - start;
		if (len == 0 || len > 4095)
			return false;
		if (len == 1 && path[start] == '.')
			return false;
		if (len == 2 && path[start] == '.' && path[start + 1] == '.')
			return false;
		start = i + 1;
	}
	return true;
}

/* lib/ctype.c: _S is 9-13, 32 and 160; nothing else. */
static inline bool fuzz_ref_isspace(char c)
{
	unsigned char u = (unsigned char)c;

	return u == ' ' || (u >= 9 && u <= 13) || u == 160;
}

static inline bool fuzz_ref_isxdigit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

#define FUZZ_KSTRTOX_OVERFLOW (1U << 31)

/* lib/kstrtox.c, transcribed: kstrtoull(s, 0, res). */
static inline int fuzz_ref_kstrtoull(const char *s, uint64_t *res)
{
	unsigned base;
	uint64_t r = 0;
	unsigned rv = 0;

	if (s[0] == '+')
		s++;
	/* _parse_integer_fixup_radix */
	if (s[0] == '0') {
		if ((s[1] | 0x20) == 'x' && fuzz_ref_isxdigit(s[2]))
			base = 16;
		else
			base = 8;
	} else {
		base = 10;
	}
	if (base == 16 && s[0] == '0' && (s[1] | 0x20) == 'x')
		s += 2;
	/* _parse_integer_limit */
	for (const char *p = s;; p++) {
		unsigned c = (unsigned)(int)*p; /* char is signed here, as in the kernel */
		unsigned lc = c | 0x20;
		unsigned val;

		if ('0' <= c && c <= '9')
			val = c - '0';
		else if ('a' <= lc && lc <= 'f')
			val = lc - 'a' + 10;
		else
			break;
		if (val >= base)
			break;
		if (r & (~0ULL << 60)) {
			if (r > (UINT64_MAX - val) / base)
				rv |= FUZZ_KSTRTOX_OVERFLOW;
		}
		r = r * base + val;
		rv++;
	}
	/* _kstrtoull */
	if (rv & FUZZ_KSTRTOX_OVERFLOW)
		return -ERANGE;
	if (rv == 0)
		return -EINVAL;
	s += rv;
	if (*s == '\n')
		s++;
	if (*s)
		return -EINVAL;
	*res = r;
	return 0;
}

/* kernel/cgroup/misc.c misc_cg_max_write() with sgx_epc the only resource. */
static inline int fuzz_ref_parse_max(const char *text, uint64_t *out)
{
	size_t n = strlen(text);
	char *copy = malloc(n + 1), *buf, *token, *sp;
	size_t end = n;
	int ret;

	FUZZ_CHECK(copy, "out of memory");
	memcpy(copy, text, n + 1);
	/* strim(): cut trailing space, then skip leading space */
	while (end > 0 && fuzz_ref_isspace(copy[end - 1]))
		end--;
	copy[end] = '\0';
	buf = copy;
	while (fuzz_ref_isspace(*buf))
		buf++;
	/* strsep(&buf, " ") */
	token = buf;
	sp = strchr(buf, ' ');
	if (sp) {
		*sp = '\0';
		buf = sp + 1;
	} else {
		buf = NULL;
	}
	if (!buf) {
		ret = -EINVAL;
	} else if (strcmp(token, "sgx_epc")) {
		ret = -EINVAL;
	} else if (!strcmp(buf, "max")) {
		*out = UINT64_MAX;
		ret = 0;
	} else {
		ret = fuzz_ref_kstrtoull(buf, out);
	}
	free(copy);
	return ret;
}

/* ------------------------------------------------------------ properties */

static inline void fuzz_cgroupfs_read_len(struct epc_cgroup *cg, const char *file, size_t len)
{
	char full[128], buf[128];
	ssize_t n = epc_cgroup_read(cg, file, full, sizeof(full));
	ssize_t m;

	FUZZ_CHECK(n >= 0 && (size_t)n == strlen(full), "%s: read gave %zd", file, n);
	if (len > sizeof(buf))
		len = sizeof(buf);
	m = epc_cgroup_read(cg, file, buf, len);
	if ((size_t)n + 1 <= len)
		FUZZ_CHECK(m == n && !strcmp(buf, full), "%s: len %zu gave %zd", file, len, m);
	else
		FUZZ_CHECK(m == -ENOSPC, "%s: len %zu for %zd bytes gave %zd", file, len, n, m);
}

static inline void fuzz_cgroupfs_path(struct fuzz_cgroupfs_env *env, const char *path)
{
	struct epc *epc = env->scratch;
	struct epc_cgroup *root = epc_cgroup_root(epc), *cg = NULL, *chain[FUZZ_MAX_DEPTH];
	bool ok = fuzz_ref_path_ok(path);
	int pc = epc__cg_path_check(path), ret, depth = 0;
	bool taken = false;
	size_t n = strlen(path);
	char *prefix;

	FUZZ_CHECK(pc == 0 || pc == -EINVAL, "path_check gave %d", pc);
	FUZZ_CHECK((pc == 0) == ok, "path_check says %d for \"%s\", the model %d", pc, path, ok);
	if (!ok) {
		FUZZ_CHECK(epc_cgroup_create(epc, path, &cg) == -EINVAL, "create of a bad path");
		FUZZ_CHECK(epc_cgroup_lookup(epc, path, &cg) == -EINVAL, "lookup of a bad path");
		return;
	}
	if (n == 1) {
		FUZZ_CHECK(epc_cgroup_create(epc, path, &cg) == -EEXIST, "create(\"/\")");
		FUZZ_CHECK(epc_cgroup_lookup(epc, path, &cg) == 0 && cg == root, "lookup(\"/\")");
		return;
	}
	ret = epc_cgroup_create(epc, path, &cg);
	FUZZ_CHECK(ret != -EINVAL, "create of an accepted path gave -EINVAL");
	if (!strchr(path + 1, '/') && fuzz_ref_file_taken(path + 1, n - 1, 0)) {
		FUZZ_CHECK(ret == -EEXIST, "create of a root file's name gave %d", ret);
		return;
	}
	if (ret == 0) { /* a single component: it was creatable at once */
		char back[4100];

		FUZZ_CHECK(strchr(path + 1, '/') == NULL, "create without its parent");
		FUZZ_CHECK(epc_cgroup_path(cg, back, sizeof(back)) == (ssize_t)n &&
				   !strcmp(back, path),
			   "path of a new cgroup");
		FUZZ_CHECK(epc_cgroup_create(epc, path, &cg) == -EEXIST, "create twice");
		FUZZ_CHECK(epc_cgroup_remove(cg) == 0, "remove a new leaf");
		FUZZ_CHECK(epc_cgroup_put(cg) == 0, "put the leaf");
		FUZZ_CHECK(epc__list_empty(&root->children), "scratch tree not empty");
		return;
	}
	FUZZ_CHECK(ret == -ENOENT, "create of a deep path in an empty tree gave %d", ret);
	FUZZ_CHECK(epc_cgroup_lookup(epc, path, &cg) == -ENOENT, "lookup in an empty tree");

	/* build it prefix by prefix */
	prefix = malloc(n + 1);
	FUZZ_CHECK(prefix, "out of memory");
	for (size_t i = 1, start = 1; i <= n && depth < FUZZ_MAX_DEPTH; i++) {
		struct epc_cgroup *got = NULL;
		char back[600];

		if (i < n && path[i] != '/')
			continue;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		if (fuzz_ref_file_taken(path + start, i - start, depth)) {
			FUZZ_CHECK(epc_cgroup_create(epc, prefix, &got) == -EEXIST,
				   "create of a file's name");
			taken = true;
			break;
		}
		start = i + 1;
		FUZZ_CHECK(epc_cgroup_create(epc, prefix, &chain[depth]) == 0, "create a prefix");
		FUZZ_CHECK(epc_cgroup_lookup(epc, prefix, &got) == 0 && got == chain[depth],
			   "lookup a prefix");
		FUZZ_CHECK(epc_cgroup_put(got) == 0, "put the lookup's reference");
		if (i < sizeof(back))
			FUZZ_CHECK(epc_cgroup_path(got, back, sizeof(back)) == (ssize_t)i &&
					   !strcmp(back, prefix),
				   "path of a prefix");
		depth++;
	}
	if (!taken && (depth < FUZZ_MAX_DEPTH || strlen(prefix) == n))
		FUZZ_CHECK(epc_cgroup_create(epc, path, &cg) == -EEXIST, "create a built path");
	free(prefix);
	/* remove: a parent with a live child refuses */
	if (depth >= 2)
		FUZZ_CHECK(epc_cgroup_remove(chain[depth - 2]) == -EBUSY, "remove a parent");
	while (depth--) {
		FUZZ_CHECK(epc_cgroup_remove(chain[depth]) == 0, "remove a leaf");
		FUZZ_CHECK(epc_cgroup_put(chain[depth]) == 0, "put a leaf");
	}
	FUZZ_CHECK(epc__list_empty(&root->children), "scratch tree not empty");
	FUZZ_CHECK(epc_cgroup_lookup(epc, path, &cg) == -ENOENT, "lookup after removal");
}

static inline void fuzz_cgroupfs_max(struct fuzz_cgroupfs_env *env, const char *text,
				     size_t read_len)
{
	struct epc_cgroup *f = env->f;
	uint64_t ref_v = 0, v = 0, k_ref = 0, k = 0, expect, got = 0;
	int ref = fuzz_ref_parse_max(text, &ref_v);
	int ret = epc__misc_parse_max(text, &v);
	int kr = fuzz_ref_kstrtoull(text, &k_ref), ki = epc__kstrtou64(text, &k);
	char before[64], t1[64], t2[64], want[64];
	struct epc_page *pages[FUZZ_CAPACITY_PAGES + 1];
	uint64_t events0;

	FUZZ_CHECK(ki == kr, "kstrtou64 gave %d, the kernel %d", ki, kr);
	FUZZ_CHECK(ki || k == k_ref, "kstrtou64 value %" PRIu64 ", the kernel %" PRIu64, k, k_ref);
	FUZZ_CHECK(ret == ref, "parse_max gave %d, the kernel %d", ret, ref);
	FUZZ_CHECK(ret || v == ref_v, "parse_max value %" PRIu64 ", the kernel %" PRIu64, v, ref_v);

	FUZZ_CHECK(epc_cgroup_write(f, "misc.max", FUZZ_OLD_LIMIT) == 0, "set the old limit");
	FUZZ_CHECK(epc_cgroup_read(f, "misc.max", before, sizeof(before)) > 0 &&
			   !strcmp(before, FUZZ_OLD_TEXT),
		   "old limit text");
	ret = epc_cgroup_write(f, "misc.max", text);
	FUZZ_CHECK(ret == ref, "write gave %d, the kernel %d", ret, ref);
	FUZZ_CHECK(epc_cgroup_read(f, "misc.max", t1, sizeof(t1)) > 0, "read misc.max");
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL || ret == -ERANGE, "write gave %d", ret);
		FUZZ_CHECK(!strcmp(t1, before), "a refused write changed the limit to %s", t1);
		FUZZ_CHECK(atomic_load(&f->res.max) == 12345, "a refused write changed max");
		return;
	}
	if (ref_v == UINT64_MAX)
		snprintf(want, sizeof(want), "sgx_epc max\n");
	else
		snprintf(want, sizeof(want), "sgx_epc %" PRIu64 "\n", ref_v);
	FUZZ_CHECK(!strcmp(t1, want), "misc.max reads \"%s\", expected \"%s\"", t1, want);
	FUZZ_CHECK(atomic_load(&f->res.max) == ref_v, "stored max");
	FUZZ_CHECK(epc_cgroup_write(f, "misc.max", t1) == 0, "write the read text back");
	FUZZ_CHECK(epc_cgroup_read(f, "misc.max", t2, sizeof(t2)) > 0 && !strcmp(t1, t2),
		   "round trip: \"%s\" then \"%s\"", t1, t2);
	fuzz_cgroupfs_read_len(f, "misc.max", read_len);

	/* the limit binds: floor(max / 4096) pages, or the capacity */
	expect = ref_v / EPC_PAGE_SIZE;
	if (expect > FUZZ_CAPACITY_PAGES)
		expect = FUZZ_CAPACITY_PAGES;
	events0 = atomic_load(&f->res.events_local);
	for (;;) {
		struct epc_page *p = NULL;
		int a = epc_page_alloc(env->t, NULL, got % 2 ? EPC_NO_RECLAIM : EPC_DO_RECLAIM, &p);

		if (a) {
			FUZZ_CHECK(a == -ENOMEM && !p, "alloc at the limit gave %d", a);
			break;
		}
		FUZZ_CHECK(got < FUZZ_CAPACITY_PAGES, "more pages than the capacity");
		pages[got++] = p;
	}
	FUZZ_CHECK(got == expect, "got %" PRIu64 " pages under %" PRIu64 " bytes", got, ref_v);
	FUZZ_CHECK(atomic_load(&f->res.events_local) == events0 + 1, "one event per refusal");
	FUZZ_CHECK((uint64_t)atomic_load(&f->res.usage) == got * EPC_PAGE_SIZE, "usage");
	fuzz_cgroupfs_read_len(f, "misc.current", read_len);
	fuzz_cgroupfs_read_len(f, "misc.events", read_len);
	while (got)
		epc_page_free(pages[--got]);
	FUZZ_CHECK(atomic_load(&f->res.usage) == 0, "usage after freeing");
	FUZZ_CHECK(atomic_load(&epc_cgroup_root(env->epc)->res.usage) == 0, "root usage");
}

/* Split @data; run every property. Return: 0 (violations abort). */
static inline int fuzz_cgroupfs_one(const uint8_t *data, size_t size)
{
	struct fuzz_cgroupfs_env *env = fuzz_cgroupfs_setup();
	size_t split, off = 1;
	char *path, *text;

	if (size < 1)
		return 0;
	split = data[0];
	if (split == 255 && size >= 3) {
		split = (size_t)data[1] | (size_t)data[2] << 8;
		off = 3;
	}
	if (split > size - off)
		split = size - off;
	path = malloc(split + 1);
	text = malloc(size - off - split + 1);
	FUZZ_CHECK(path && text, "out of memory");
	memcpy(path, data + off, split);
	path[split] = '\0';
	memcpy(text, data + off + split, size - off - split);
	text[size - off - split] = '\0';

	fuzz_cgroupfs_path(env, path);
	fuzz_cgroupfs_path(env, text);
	fuzz_cgroupfs_max(env, text, data[0] % 24);
	fuzz_cgroupfs_max(env, path, data[0] % 24);
	free(path);
	free(text);
	return 0;
}

#endif
