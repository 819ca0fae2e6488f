// SPDX-License-Identifier: MIT
/*
 * old_client.c - a program written for and compiled against the 0.1.0 header
 * (tests/abi/epcmm-0.1.0.h, a verbatim copy), linked against today's shared
 * library: it must keep working. It uses every call whose struct grew and
 * puts guard bytes after each struct the library fills, and it never calls
 * epc_cgroup_put() (0.1.0 had none). Prints TAP.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "epcmm-0.1.0.h"

#define GUARD 0x5a

static int n, failed;

static void ok(int cond, const char *what)
{
	n++;
	failed += !cond;
	printf("%s %d - %s\n", cond ? "ok" : "not ok", n, what);
}

static int guard_intact(const unsigned char *g, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (g[i] != GUARD)
			return 0;
	return 1;
}

int main(void)
{
	struct epc_section_desc s = {
		.phys_addr = 1ULL << 32, .size = 64 * EPC_PAGE_SIZE, .node = 0};
	struct epc_config c = {.nr_nodes = 1,
			       .sections = &s,
			       .nr_sections = 1,
			       .background = EPC_BACKGROUND_MANUAL};
	struct {
		struct epc_stats st;
		unsigned char guard[256];
	} gs;
	struct {
		struct epc_node_stats st;
		unsigned char guard[256];
	} gn;
	struct {
		struct epc_encl_stats st;
		unsigned char guard[256];
	} ge;
	struct epc_cgroup *a = NULL, *a2 = NULL;
	struct epc_task *t = NULL;
	struct epc_encl *e = NULL;
	struct epc *epc = NULL;
	unsigned char page[EPC_PAGE_SIZE];
	char buf[64];

	printf("1..12\n");
	ok(epc_create(&c, &epc) == 0 && epc_sanitize_wait(epc) == 0, "epc_create, 0.1.0 config");
	ok(epc_cgroup_create(epc, "/a", &a) == 0 && epc_cgroup_lookup(epc, "/a", &a2) == 0 &&
		   a == a2,
	   "create and lookup hand out the same handle");
	ok(epc_cgroup_write(a, "misc.max", "sgx_epc 65536") == 0, "misc.max of /a: 16 pages");
	ok(epc_task_create(epc, a, 0, &t) == 0 && epc_encl_create(t, 32 * EPC_PAGE_SIZE, &e) == 0,
	   "a task in /a creates an enclave");
	for (int i = 0; i < 32; i++) {
		memset(page, i, sizeof(page));
		if (epc_encl_add_page(t, e, (uint64_t)i * EPC_PAGE_SIZE, page))
			break;
	}
	ok(epc_encl_init(e) == 0, "32 pages added under a 16-page limit, EINIT");
	ok(epc_encl_access(t, e, 0, page, sizeof(page), false) == 0 && page[0] == 0 &&
		   page[4095] == 0,
	   "page 0 faults back with its bytes");

	memset(&gs, GUARD, sizeof(gs));
	epc_get_stats(epc, &gs.st);
	ok(gs.st.nr_total == 64 && gs.st.nr_evicted > 0 && guard_intact(gs.guard, sizeof(gs.guard)),
	   "epc_get_stats fills the 0.1.0 struct and nothing after it");
	memset(&gn, GUARD, sizeof(gn));
	ok(epc_get_node_stats(epc, 0, &gn.st) == 0 && gn.st.nr_total == 64 &&
		   guard_intact(gn.guard, sizeof(gn.guard)),
	   "epc_get_node_stats likewise");
	memset(&ge, GUARD, sizeof(ge));
	epc_encl_get_stats(e, &ge.st);
	ok(ge.st.nr_pages == 32 && ge.st.nr_reloaded >= 1 &&
		   guard_intact(ge.guard, sizeof(ge.guard)),
	   "epc_encl_get_stats likewise");

	epc_encl_destroy(e);
	epc_task_destroy(t);
	ok(epc_cgroup_read(a, "misc.current", buf, sizeof(buf)) > 0 && !strcmp(buf, "sgx_epc 0\n"),
	   "everything uncharged");
	ok(epc_cgroup_remove(a) == 0 && epc_cgroup_lookup(epc, "/a", &a2) == -ENOENT,
	   "rmdir without a put: gone from lookups");
	ok(epc_cgroup_create(epc, "/a", &a2) == 0 && a2 != NULL, "the name can be taken again");
	epc_destroy(epc); /* frees the removed /a that was never put */
	return failed ? 1 : 0;
}
