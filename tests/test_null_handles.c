// SPDX-License-Identifier: MIT
/*
 * test_null_handles.c - every public function given a NULL handle, a NULL
 * out-pointer or a NULL required argument does what include/epcmm.h says:
 * -EINVAL (refused before anything is done), a documented no-op for a call
 * returning void, or a documented value no valid handle gives for a getter.
 * Never a crash.
 *
 * One table, a row per NULL argument. The table must name every function the
 * header declares and the version script exports (src/libepcmm.map), so a
 * function added without a row fails here, naming it. Built against the
 * public header and library only, as an outside program is.
 */
#include <errno.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "epcmm.h"

#define NR_PAGES 64

/* Valid handles for the arguments a row does not set to NULL. */
struct fx {
	struct epc_section_desc sec;
	struct epc_config cfg;
	struct epc *epc;
	struct epc_cgroup *root, *cg;
	struct epc_task *t;
	struct epc_encl *e;
	struct epc_page *p;
	char buf[256];
	size_t nr;
	uint64_t ids[4];
	struct epc_stats st;
	struct epc_node_stats ns;
	struct epc_cgroup_stats cs;
	struct epc_encl_stats es;
	struct epc_snapshot *snap;
	enum epc_cgroup_file cgf;
	struct epc_cgroup *cg2;
	int id;
	struct epc_restrict_permissions rp;
	struct epc_modify_types mt;
	struct epc_remove_pages rm;
	uint64_t result;
};

static void ignore_event(const struct epc_event *ev, void *arg)
{
	(void)ev;
	(void)arg;
}

/*
 * The rows: X(function, what is NULL, the result the header promises, the
 * call). Void calls are (call, 0): they must return at all. Pointers and
 * unsigned values are compared as long long.
 */
#define NULL_ROWS(X)                                                                               \
	X(epc_create, cfg, -EINVAL, epc_create(NULL, &f->epc))                                     \
	X(epc_create, out, -EINVAL, epc_create(&f->cfg, NULL))                                     \
	X(epc_create2, cfg, -EINVAL, epc_create2(NULL, sizeof(f->cfg), &f->epc))                   \
	X(epc_create2, out, -EINVAL, epc_create2(&f->cfg, sizeof(f->cfg), NULL))                   \
	X(epc_version, nothing, EPCMM_VERSION, epc_version())                                      \
	X(epc_destroy, epc, 0, (epc_destroy(NULL), 0))                                             \
	X(epc_sanitize_wait, epc, -EINVAL, epc_sanitize_wait(NULL))                                \
	X(epc_run_background, epc, -EINVAL, epc_run_background(NULL))                              \
	X(epc_reclaim, epc, -EINVAL, epc_reclaim(NULL, 1))                                         \
	X(epc_node_read, epc, -EINVAL, epc_node_read(NULL, 0, "sgx_total_bytes", f->buf, 64))      \
	X(epc_node_read, attr, -EINVAL, epc_node_read(f->epc, 0, NULL, f->buf, 64))                \
	X(epc_node_read, buf, -EINVAL, epc_node_read(f->epc, 0, "sgx_total_bytes", NULL, 64))      \
	X(epc_memory_failure, epc, -EINVAL, epc_memory_failure(NULL, f->sec.phys_addr, 0))         \
	X(epc_get_stats2, epc, -EINVAL, epc_get_stats2(NULL, &f->st, sizeof(f->st)))               \
	X(epc_get_stats2, st, -EINVAL, epc_get_stats2(f->epc, NULL, sizeof(f->st)))                \
	X(epc_get_stats, epc, 0, (epc_get_stats(NULL, &f->st), 0))                                 \
	X(epc_get_stats, st, 0, (epc_get_stats(f->epc, NULL), 0))                                  \
	X(epc_node_get_stats, epc, -EINVAL, epc_node_get_stats(NULL, 0, &f->ns, sizeof(f->ns)))    \
	X(epc_node_get_stats, st, -EINVAL, epc_node_get_stats(f->epc, 0, NULL, sizeof(f->ns)))     \
	X(epc_get_node_stats, epc, -EINVAL, epc_get_node_stats(NULL, 0, &f->ns))                   \
	X(epc_get_node_stats, st, -EINVAL, epc_get_node_stats(f->epc, 0, NULL))                    \
	X(epc_set_event_handler, epc, -EINVAL, epc_set_event_handler(NULL, ignore_event, NULL))    \
	X(epc_set_event_handler, fn_is_off, 0, epc_set_event_handler(f->epc, NULL, NULL))          \
	X(epc_set_time, epc, -EINVAL, epc_set_time(NULL, 1))                                       \
	X(epc_snapshot_take, epc, -EINVAL, epc_snapshot_take(NULL, &f->snap))                      \
	X(epc_snapshot_take, out, -EINVAL, epc_snapshot_take(f->epc, NULL))                        \
	X(epc_snapshot_free, s, 0, (epc_snapshot_free(NULL), 0))                                   \
	X(epc_snapshot_path, s, -EINVAL, epc_snapshot_path(NULL, 0, NULL, f->buf, 64))             \
	X(epc_cgroup_file_type, file, 0, (intptr_t)epc_cgroup_file_type(EPC_CGF_NR))               \
	X(epc_cgroup_file_lookup, cg, -EINVAL, epc_cgroup_file_lookup(NULL, "misc.max", &f->cgf))  \
	X(epc_cgroup_file_lookup, name, -EINVAL, epc_cgroup_file_lookup(f->cg, NULL, &f->cgf))     \
	X(epc_cgroup_file_lookup, out, -EINVAL, epc_cgroup_file_lookup(f->cg, "misc.max", NULL))   \
	X(epc_cgroup_file_read, cg, -EINVAL, epc_cgroup_file_read(NULL, 0, f->buf, 64))            \
	X(epc_cgroup_file_read, buf, -EINVAL, epc_cgroup_file_read(f->cg, 0, NULL, 64))            \
	X(epc_cgroup_file_write, cg, -EINVAL, epc_cgroup_file_write(NULL, 0, "1"))                 \
	X(epc_cgroup_file_write, text, -EINVAL, epc_cgroup_file_write(f->cg, 0, NULL))             \
	X(epc_cgroup_procs_parse, text, -EINVAL, epc_cgroup_procs_parse(NULL, &f->id))             \
	X(epc_cgroup_procs_parse, id, -EINVAL, epc_cgroup_procs_parse("1", NULL))                  \
	X(epc_cgroup_attach, cg, -EINVAL, epc_cgroup_attach(NULL, 1))                              \
	X(epc_member_cgroup, epc, -EINVAL, epc_member_cgroup(NULL, 1, &f->cg2))                    \
	X(epc_member_cgroup, out, -EINVAL, epc_member_cgroup(f->epc, 1, NULL))                     \
	X(epc_member_forget, epc, -EINVAL, epc_member_forget(NULL, 1))                             \
	X(epc_cgroup_list_members, cg, -EINVAL, epc_cgroup_list_members(NULL, f->ids, 4, &f->nr))  \
	X(epc_cgroup_list_members, nr, -EINVAL, epc_cgroup_list_members(f->cg, f->ids, 4, NULL))   \
	X(epc_cgroup_list_members, ids, -EINVAL, epc_cgroup_list_members(f->cg, NULL, 4, &f->nr))  \
	X(epc_task_follow, t, -EINVAL, epc_task_follow(NULL, 1))                                   \
	X(epc_cgroup_root, epc, 0, (intptr_t)epc_cgroup_root(NULL))                                \
	X(epc_cgroup_create, epc, -EINVAL, epc_cgroup_create(NULL, "/b", &f->cg))                  \
	X(epc_cgroup_create, path, -EINVAL, epc_cgroup_create(f->epc, NULL, &f->cg))               \
	X(epc_cgroup_create, out, -EINVAL, epc_cgroup_create(f->epc, "/b", NULL))                  \
	X(epc_cgroup_lookup, epc, -EINVAL, epc_cgroup_lookup(NULL, "/a", &f->cg))                  \
	X(epc_cgroup_lookup, path, -EINVAL, epc_cgroup_lookup(f->epc, NULL, &f->cg))               \
	X(epc_cgroup_lookup, out, -EINVAL, epc_cgroup_lookup(f->epc, "/a", NULL))                  \
	X(epc_cgroup_create_child, parent, -EINVAL, epc_cgroup_create_child(NULL, "b", &f->cg2))   \
	X(epc_cgroup_create_child, name, -EINVAL, epc_cgroup_create_child(f->root, NULL, &f->cg2)) \
	X(epc_cgroup_create_child, out, -EINVAL, epc_cgroup_create_child(f->root, "b", NULL))      \
	X(epc_cgroup_child, parent, -EINVAL, epc_cgroup_child(NULL, "a", &f->cg2))                 \
	X(epc_cgroup_child, name, -EINVAL, epc_cgroup_child(f->root, NULL, &f->cg2))               \
	X(epc_cgroup_child, out, -EINVAL, epc_cgroup_child(f->root, "a", NULL))                    \
	X(epc_cgroup_id, cg, 0, (intptr_t)epc_cgroup_id(NULL))                                     \
	X(epc_cgroup_lookup_id, epc, -EINVAL, epc_cgroup_lookup_id(NULL, 1, &f->cg2))              \
	X(epc_cgroup_lookup_id, out, -EINVAL, epc_cgroup_lookup_id(f->epc, 1, NULL))               \
	X(epc_cgroup_put, cg, 0, epc_cgroup_put(NULL))                                             \
	X(epc_cgroup_remove, cg, -EINVAL, epc_cgroup_remove(NULL))                                 \
	X(epc_cgroup_path, cg, -EINVAL, epc_cgroup_path(NULL, f->buf, 100))                        \
	X(epc_cgroup_path, buf, -EINVAL, epc_cgroup_path(f->cg, NULL, 100))                        \
	X(epc_cgroup_name, cg, -EINVAL, epc_cgroup_name(NULL, f->buf, 100))                        \
	X(epc_cgroup_name, buf, -EINVAL, epc_cgroup_name(f->cg, NULL, 100))                        \
	X(epc_cgroup_list_children, cg, -EINVAL, epc_cgroup_list_children(NULL, NULL, 0, &f->nr))  \
	X(epc_cgroup_list_children, nr, -EINVAL, epc_cgroup_list_children(f->root, NULL, 0, NULL)) \
	X(epc_cgroup_list_children, out, -EINVAL,                                                  \
	  epc_cgroup_list_children(f->root, NULL, 4, &f->nr))                                      \
	X(epc_cgroup_list_tasks, cg, -EINVAL, epc_cgroup_list_tasks(NULL, f->ids, 4, &f->nr))      \
	X(epc_cgroup_list_tasks, nr, -EINVAL, epc_cgroup_list_tasks(f->cg, f->ids, 4, NULL))       \
	X(epc_cgroup_list_tasks, ids, -EINVAL, epc_cgroup_list_tasks(f->cg, NULL, 4, &f->nr))      \
	X(epc_cgroup_list_encls, cg, -EINVAL, epc_cgroup_list_encls(NULL, f->ids, 4, &f->nr))      \
	X(epc_cgroup_list_encls, nr, -EINVAL, epc_cgroup_list_encls(f->cg, f->ids, 4, NULL))       \
	X(epc_cgroup_list_encls, ids, -EINVAL, epc_cgroup_list_encls(f->cg, NULL, 4, &f->nr))      \
	X(epc_list_encls, epc, -EINVAL, epc_list_encls(NULL, f->ids, 4, &f->nr))                   \
	X(epc_list_encls, nr, -EINVAL, epc_list_encls(f->epc, f->ids, 4, NULL))                    \
	X(epc_list_encls, ids, -EINVAL, epc_list_encls(f->epc, NULL, 4, &f->nr))                   \
	X(epc_cgroup_read, cg, -EINVAL, epc_cgroup_read(NULL, "misc.max", f->buf, 64))             \
	X(epc_cgroup_read, file, -EINVAL, epc_cgroup_read(f->cg, NULL, f->buf, 64))                \
	X(epc_cgroup_read, buf, -EINVAL, epc_cgroup_read(f->cg, "misc.max", NULL, 64))             \
	X(epc_cgroup_write, cg, -EINVAL, epc_cgroup_write(NULL, "misc.max", "sgx_epc max"))        \
	X(epc_cgroup_write, file, -EINVAL, epc_cgroup_write(f->cg, NULL, "sgx_epc max"))           \
	X(epc_cgroup_write, text, -EINVAL, epc_cgroup_write(f->cg, "misc.max", NULL))              \
	X(epc_cgroup_get_stats, cg, -EINVAL, epc_cgroup_get_stats(NULL, &f->cs, sizeof(f->cs)))    \
	X(epc_cgroup_get_stats, st, -EINVAL, epc_cgroup_get_stats(f->cg, NULL, sizeof(f->cs)))     \
	X(epc_task_create, epc, -EINVAL, epc_task_create(NULL, f->cg, 0, &f->t))                   \
	X(epc_task_create, out, -EINVAL, epc_task_create(f->epc, f->cg, 0, NULL))                  \
	X(epc_task_destroy, t, 0, (epc_task_destroy(NULL), 0))                                     \
	X(epc_task_move, t, -EINVAL, epc_task_move(NULL, f->cg))                                   \
	X(epc_task_set_cpu, t, -EINVAL, epc_task_set_cpu(NULL, 0))                                 \
	X(epc_task_cpu, t, -EINVAL, epc_task_cpu(NULL))                                            \
	X(epc_task_id, t, 0, epc_task_id(NULL))                                                    \
	X(epc_task_node, t, -EINVAL, epc_task_node(NULL))                                          \
	X(epc_task_set_signal, t, 0, (epc_task_set_signal(NULL, true), 0))                         \
	X(epc_page_alloc, t, -EINVAL, epc_page_alloc(NULL, NULL, EPC_NO_RECLAIM, &f->p))           \
	X(epc_page_alloc, out, -EINVAL, epc_page_alloc(f->t, NULL, EPC_NO_RECLAIM, NULL))          \
	X(epc_page_free, p, 0, (epc_page_free(NULL), 0))                                           \
	X(epc_page_node, p, -EINVAL, epc_page_node(NULL))                                          \
	X(epc_page_phys, p, (long long)UINT64_MAX, epc_page_phys(NULL))                            \
	X(epc_page_owner, p, 0, (intptr_t)epc_page_owner(NULL))                                    \
	X(epc_encl_create, t, -EINVAL, epc_encl_create(NULL, 2 * EPC_PAGE_SIZE, &f->e))            \
	X(epc_encl_create, out, -EINVAL, epc_encl_create(f->t, 2 * EPC_PAGE_SIZE, NULL))           \
	X(epc_encl_add_page, t, -EINVAL, epc_encl_add_page(NULL, f->e, EPC_PAGE_SIZE, NULL))       \
	X(epc_encl_add_page, e, -EINVAL, epc_encl_add_page(f->t, NULL, EPC_PAGE_SIZE, NULL))       \
	X(epc_encl_init, e, -EINVAL, epc_encl_init(NULL))                                          \
	X(epc_encl_access, t, -EINVAL, epc_encl_access(NULL, f->e, 0, f->buf, 8, false))           \
	X(epc_encl_access, e, -EINVAL, epc_encl_access(f->t, NULL, 0, f->buf, 8, false))           \
	X(epc_encl_access, buf, -EINVAL, epc_encl_access(f->t, f->e, 0, NULL, 8, false))           \
	X(epc_encl_access2, t, -EINVAL,                                                            \
	  epc_encl_access2(NULL, f->e, 0, f->buf, 8, EPC_ACCESS_READ))                             \
	X(epc_encl_access2, t_bad_mode, -EINVAL, epc_encl_access2(NULL, f->e, 0, f->buf, 8, 7))    \
	X(epc_encl_access2, e, -EINVAL,                                                            \
	  epc_encl_access2(f->t, NULL, 0, f->buf, 8, EPC_ACCESS_READ))                             \
	X(epc_encl_access2, buf, -EINVAL,                                                          \
	  epc_encl_access2(f->t, f->e, 0, NULL, 8, EPC_ACCESS_READ))                               \
	X(epc_encl_id, e, 0, epc_encl_id(NULL))                                                    \
	X(epc_encl_backing_fd, e, -EINVAL, epc_encl_backing_fd(NULL))                              \
	X(epc_encl_destroy, e, 0, (epc_encl_destroy(NULL), 0))                                     \
	X(epc_encl_get_stats2, e, -EINVAL, epc_encl_get_stats2(NULL, &f->es, sizeof(f->es)))       \
	X(epc_encl_get_stats2, st, -EINVAL, epc_encl_get_stats2(f->e, NULL, sizeof(f->es)))        \
	X(epc_encl_get_stats, e, 0, (epc_encl_get_stats(NULL, &f->es), 0))                         \
	X(epc_encl_get_stats, st, 0, (epc_encl_get_stats(f->e, NULL), 0))                          \
	X(epc_encl_add_page2, t, -EINVAL,                                                          \
	  epc_encl_add_page2(NULL, f->e, EPC_PAGE_SIZE, NULL, EPC_SECINFO_REG))                    \
	X(epc_encl_add_page2, e, -EINVAL,                                                          \
	  epc_encl_add_page2(f->t, NULL, EPC_PAGE_SIZE, NULL, EPC_SECINFO_REG))                    \
	X(epc_encl_declare_dynamic, e, -EINVAL,                                                    \
	  epc_encl_declare_dynamic(NULL, EPC_PAGE_SIZE, EPC_PAGE_SIZE))                            \
	X(epc_encl_accept, t, -EINVAL,                                                             \
	  epc_encl_accept(NULL, f->e, 0, EPC_SECINFO_REG, &f->result))                             \
	X(epc_encl_accept, e, -EINVAL,                                                             \
	  epc_encl_accept(f->t, NULL, 0, EPC_SECINFO_REG, &f->result))                             \
	X(epc_encl_accept, result, -EINVAL, epc_encl_accept(f->t, f->e, 0, EPC_SECINFO_REG, NULL)) \
	X(epc_encl_restrict_permissions, t, -EINVAL,                                               \
	  epc_encl_restrict_permissions(NULL, f->e, &f->rp, sizeof(f->rp)))                        \
	X(epc_encl_restrict_permissions, e, -EINVAL,                                               \
	  epc_encl_restrict_permissions(f->t, NULL, &f->rp, sizeof(f->rp)))                        \
	X(epc_encl_restrict_permissions, p, -EINVAL,                                               \
	  epc_encl_restrict_permissions(f->t, f->e, NULL, sizeof(f->rp)))                          \
	X(epc_encl_modify_types, t, -EINVAL,                                                       \
	  epc_encl_modify_types(NULL, f->e, &f->mt, sizeof(f->mt)))                                \
	X(epc_encl_modify_types, e, -EINVAL,                                                       \
	  epc_encl_modify_types(f->t, NULL, &f->mt, sizeof(f->mt)))                                \
	X(epc_encl_modify_types, m, -EINVAL,                                                       \
	  epc_encl_modify_types(f->t, f->e, NULL, sizeof(f->mt)))                                  \
	X(epc_encl_remove_pages, t, -EINVAL,                                                       \
	  epc_encl_remove_pages(NULL, f->e, &f->rm, sizeof(f->rm)))                                \
	X(epc_encl_remove_pages, e, -EINVAL,                                                       \
	  epc_encl_remove_pages(f->t, NULL, &f->rm, sizeof(f->rm)))                                \
	X(epc_encl_remove_pages, r, -EINVAL, epc_encl_remove_pages(f->t, f->e, NULL, sizeof(f->rm)))

#define DEFINE_ROW(fn, arg, want, call)                                                            \
	static long long row_##fn##_##arg(struct fx *f)                                            \
	{                                                                                          \
		(void)f;                                                                           \
		return (long long)(call);                                                          \
	}
NULL_ROWS(DEFINE_ROW)

struct row {
	const char *fn, *arg;
	long long want;
	long long (*call)(struct fx *f);
};

#define TABLE_ROW(fn, arg, want, call) {#fn, #arg, (want), row_##fn##_##arg},
static const struct row rows[] = {NULL_ROWS(TABLE_ROW)};
#define NR_ROWS (sizeof(rows) / sizeof(rows[0]))

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->sec = (struct epc_section_desc){
		.phys_addr = 1ULL << 32, .size = NR_PAGES * EPC_PAGE_SIZE, .node = 0};
	f->cfg = (struct epc_config){.nr_nodes = 1,
				     .sections = &f->sec,
				     .nr_sections = 1,
				     .background = EPC_BACKGROUND_MANUAL};
	CHECK_EQ(epc_create(&f->cfg, &f->epc), 0, "the fixture's machine");
	CHECK_EQ(epc_sanitize_wait(f->epc), 0, "sanitized");
	f->root = epc_cgroup_root(f->epc);
	CHECK_EQ(epc_cgroup_create(f->epc, "/a", &f->cg), 0, "a cgroup");
	CHECK_EQ(epc_task_create(f->epc, f->cg, 0, &f->t), 0, "a task in it");
	CHECK_EQ(epc_encl_create(f->t, 2 * EPC_PAGE_SIZE, &f->e), 0, "an enclave");
	CHECK_EQ(epc_encl_add_page(f->t, f->e, 0, NULL), 0, "its first page");
	CHECK_EQ(epc_page_alloc(f->t, f, EPC_NO_RECLAIM, &f->p), 0, "a raw page");
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	epc_page_free(f->p);
	epc_encl_destroy(f->e);
	epc_task_destroy(f->t);
	epc_cgroup_put(f->cg);
	epc_destroy(f->epc);
	free(f);
	return 0;
}

/* Every row gives what the header promises; the machine is as it was. */
static void test_null_handles_each_row(void **state)
{
	struct fx *f = *state;
	struct epc_stats before, after;
	struct epc_cgroup *cg = f->cg;
	struct epc_task *t = f->t;
	struct epc_encl *e = f->e;
	struct epc_page *p = f->p;
	struct epc *epc = f->epc;
	int failed = 0;

	epc_get_stats(epc, &before);
	for (size_t i = 0; i < NR_ROWS; i++) {
		long long got = rows[i].call(f);

		if (got != rows[i].want) {
			print_error("%s with NULL %s: got %lld, expected %lld\n", rows[i].fn,
				    rows[i].arg, got, rows[i].want);
			failed++;
		}
	}
	if (failed)
		fail_msg("%d of %zu NULL rows broke the header's promise", failed, NR_ROWS);
	/* a refused call sets no out-pointer and builds nothing */
	CHECK(f->epc == epc && f->cg == cg && f->t == t && f->e == e && f->p == p,
	      "no refused call wrote a handle");
	epc_get_stats(epc, &after);
	CHECK_EQ(after.nr_free, before.nr_free, "no page allocated or freed");
	CHECK_EQ(after.nr_poisoned, 0, "no page poisoned");
	CHECK_EQ(epc_cgroup_list_children(f->root, NULL, 0, &f->nr), 0, "the root's children");
	CHECK_EQ(f->nr, 1, "no cgroup created (only /a)");
	CHECK_EQ(epc_list_encls(epc, NULL, 0, &f->nr), 0, "the enclaves");
	CHECK_EQ(f->nr, 1, "no enclave created");
}

/* The functions named by the lines of @path that @pattern's first group matches. */
static size_t names_in(const char *path, const char *pattern, char names[][64], size_t cap)
{
	char line[512];
	regmatch_t m[2];
	regex_t re;
	size_t n = 0;
	FILE *in = fopen(path, "r");

	if (!in)
		fail_msg("cannot read %s", path);
	CHECK_EQ(regcomp(&re, pattern, REG_EXTENDED), 0, "the pattern compiles");
	while (fgets(line, sizeof(line), in))
		if (!regexec(&re, line, 2, m, 0)) {
			CHECK(n < cap, "more functions than the test expects");
			snprintf(names[n++], 64, "%.*s", (int)(m[1].rm_eo - m[1].rm_so),
				 line + m[1].rm_so);
		}
	regfree(&re);
	fclose(in);
	return n;
}

static bool in_table(const char *name)
{
	for (size_t i = 0; i < NR_ROWS; i++)
		if (!strcmp(rows[i].fn, name))
			return true;
	return false;
}

static bool in_list(const char *name, char names[][64], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

/*
 * The table names every function of the header (the rule of
 * tests/abi/header-functions.sh: a line at column 0 that declares epc_*( )
 * and every symbol of the version script, and nothing else.
 */
static void test_null_handles_table_is_complete(void **state)
{
	static char header[256][64], map[256][64];
	size_t nh, nm;
	int missing = 0;

	(void)state;
	nh = names_in(EPCMM_SOURCE_DIR "/include/epcmm.h", "^[a-z][^#(]*[ *](epc_[a-z0-9_]+)\\(",
		      header, 256);
	nm = names_in(EPCMM_SOURCE_DIR "/src/libepcmm.map", "^[[:space:]]+(epc_[a-z0-9_]+);", map,
		      256);
	CHECK(nh > 40, "the header's functions were found");
	for (size_t i = 0; i < nh; i++)
		if (!in_table(header[i])) {
			print_error("%s (include/epcmm.h) has no row in NULL_ROWS\n", header[i]);
			missing++;
		}
	for (size_t i = 0; i < nm; i++)
		if (!in_table(map[i])) {
			print_error("%s (src/libepcmm.map) has no row in NULL_ROWS\n", map[i]);
			missing++;
		}
	for (size_t i = 0; i < NR_ROWS; i++)
		if (!in_list(rows[i].fn, header, nh) || !in_list(rows[i].fn, map, nm)) {
			print_error("row %s is not in both the header and the version script\n",
				    rows[i].fn);
			missing++;
		}
	if (missing)
		fail_msg("%d functions without a NULL row (or rows without a function)", missing);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_null_handles_each_row, fx_setup, fx_teardown),
		cmocka_unit_test(test_null_handles_table_is_complete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
