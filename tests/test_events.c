// SPDX-License-Identifier: MIT
/*
 * test_events.c - the event stream (epc_set_event_handler()): a small
 * MANUAL-mode run whose every event, with its sequence number and the
 * caller's clock, is compared with the checked-in tests/data/events-manual.txt;
 * a handler that reads statistics from inside (under an enclave's lock);
 * nothing emitted while off; epc_set_time() only in MANUAL mode.
 *
 * The run (2 nodes, EPC only on node 0: 32 pages; /a limited to 6 pages):
 *  t=100  a task on CPU 1 (node 1, no EPC) in the root takes a raw page:
 *         ALLOC from node 0, remote.
 *  t=200  a task in /a builds an enclave of 6 pages: the VA page, the SECS
 *         and pages 0-3 fill /a; EADD of page 4 is refused at /a, a batch
 *         evicts pages 0-3 (never accessed) and page 4, then 5, fit.
 *  t=300  EINIT; a read of page 0 faults: ALLOC, RELOAD.
 *  t=400  a memory failure on the last (free) page: POISON.
 *  t=500  page 1's sealed copy is tampered with: the read faults, the
 *         page is allocated, ELDU fails, the access gives -EFAULT: KILLED.
 *  t=600  the handler is removed: destroying emits nothing more.
 */
#include <errno.h>
#include <unistd.h>

#include "encl_helpers.h"

#define MAX_LINES 64

struct recorder {
	struct epc *epc;
	char lines[MAX_LINES][160];
	int nr;
	int stats_calls; /* the handler reads statistics: no deadlock */
};

static const char *type_name(uint32_t t)
{
	static const char *const names[] = {"?",     "alloc",  "refused", "batch",
					    "evict", "reload", "killed",  "poison"};

	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

static void record(const struct epc_event *ev, void *arg)
{
	static const char *const by[] = {"ksgxd", "direct", "cgroup"};
	struct recorder *r = arg;
	char cg[64] = "-", *l;
	struct epc_stats st;
	struct epc_cgroup_stats cs;
	size_t len = sizeof(r->lines[0]);

	if (r->nr >= MAX_LINES)
		return;
	l = r->lines[r->nr++];
	if (ev->cgroup && epc_cgroup_path(ev->cgroup, cg, sizeof(cg)) < 0)
		snprintf(cg, sizeof(cg), "(long)");
	/* allowed from a handler, even under an enclave's lock */
	if (!epc_get_stats2(r->epc, &st, sizeof(st)))
		r->stats_calls++;
	if (ev->cgroup && !epc_cgroup_get_stats(ev->cgroup, &cs, sizeof(cs)))
		r->stats_calls++;
	snprintf(l, len, "%llu t=%llu %s", (unsigned long long)ev->seq,
		 (unsigned long long)ev->time, type_name(ev->type));
	switch (ev->type) {
	case EPC_EVENT_ALLOC:
		snprintf(l + strlen(l), len - strlen(l), " node=%d%s cg=%s phys=0x%llx", ev->node,
			 ev->remote ? " remote" : "", cg, (unsigned long long)ev->phys);
		break;
	case EPC_EVENT_CHARGE_REFUSED:
		snprintf(l + strlen(l), len - strlen(l), " cg=%s%s", cg,
			 ev->over_capacity ? " capacity" : "");
		break;
	case EPC_EVENT_RECLAIM_BATCH:
		snprintf(l + strlen(l), len - strlen(l), " cg=%s by=%s nr=%u freed=%u", cg,
			 ev->by < 3 ? by[ev->by] : "?", ev->nr, ev->nr_freed);
		break;
	case EPC_EVENT_EVICT:
	case EPC_EVENT_RELOAD:
		snprintf(l + strlen(l), len - strlen(l),
			 " encl=%llu offset=0x%llx cg=%s phys=0x%llx",
			 (unsigned long long)ev->encl_id, (unsigned long long)ev->offset, cg,
			 (unsigned long long)ev->phys);
		break;
	case EPC_EVENT_ENCL_KILLED:
		snprintf(l + strlen(l), len - strlen(l), " encl=%llu offset=0x%llx",
			 (unsigned long long)ev->encl_id, (unsigned long long)ev->offset);
		break;
	case EPC_EVENT_POISON:
		snprintf(l + strlen(l), len - strlen(l), " node=%d phys=0x%llx%s", ev->node,
			 (unsigned long long)ev->phys, ev->in_use ? " in-use" : "");
		break;
	default:
		break;
	}
}

static void compare_with_file(const struct recorder *r, const char *path)
{
	char want[MAX_LINES][160];
	int nr = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		fail_msg("cannot open %s", path);
	while (nr < MAX_LINES && fgets(want[nr], sizeof(want[0]), f)) {
		want[nr][strcspn(want[nr], "\n")] = '\0';
		if (want[nr][0] && want[nr][0] != '#')
			nr++;
	}
	fclose(f);
	for (int i = 0; i < r->nr || i < nr; i++) {
		const char *got = i < r->nr ? r->lines[i] : "(none)";
		const char *exp = i < nr ? want[i] : "(none)";

		if (strcmp(got, exp)) {
			for (int j = 0; j < r->nr; j++)
				print_message("# got: %s\n", r->lines[j]);
			fail_msg("event %d: got \"%s\", expected \"%s\" (%s)", i + 1, got, exp,
				 path);
		}
	}
}

static void test_events_manual_run_matches_expected(void **state)
{
	const int sec_node[] = {0};
	const int cpu_to_node[] = {0, 1};
	struct topo tp = {.nr_nodes = 2,
			  .nr_cpus = 2,
			  .cpu_to_node = cpu_to_node,
			  .nr_sections = 1,
			  .sec_node = sec_node,
			  .pages = 32};
	struct epc *epc = make_topo(&tp);
	struct recorder *rec = calloc(1, sizeof(*rec));
	struct epc_cgroup *a = make_cg(epc, "/a");
	struct epc_task *tr = make_task(epc, NULL, 1), *ta = make_task(epc, a, 0);
	unsigned char buf[PAGE];
	struct epc_encl *e;
	struct epc_page *p;

	(void)state;
	rec->epc = epc;
	set_max_pages(a, 6);
	CHECK_EQ(epc_set_event_handler(epc, record, rec), 0, "handler on");
	CHECK_EQ(epc_set_time(epc, 100), 0, "t=100");
	p = alloc_ok(tr);
	CHECK_EQ(epc_set_time(epc, 200), 0, "t=200");
	e = build(ta, 6, 6, 9, false);
	CHECK_EQ(epc_set_time(epc, 300), 0, "t=300");
	CHECK_EQ(epc_encl_init(e), 0, "EINIT");
	CHECK_EQ(epc_encl_access2(ta, e, 0, buf, PAGE, EPC_ACCESS_READ), 0, "page 0 faults in");
	CHECK_EQ(epc_set_time(epc, 400), 0, "t=400");
	CHECK_EQ(epc_memory_failure(epc, (1ULL << 32) + 31 * PAGE, 0), 0, "poison the last page");
	CHECK_EQ(epc_set_time(epc, 500), 0, "t=500");
	memset(buf, 0xee, 64);
	CHECK_EQ(pwrite(epc_encl_backing_fd(e), buf, 64, 1 * PAGE), 64, "tamper with page 1");
	CHECK_EQ(epc_encl_access2(ta, e, PAGE, buf, PAGE, EPC_ACCESS_READ), -EFAULT, "SIGBUS");
	CHECK_EQ(epc_set_time(epc, 600), 0, "t=600");
	CHECK_EQ(epc_set_event_handler(epc, NULL, NULL), 0, "handler off");
	epc_page_free(p);
	epc_encl_destroy(e);
	compare_with_file(rec, EPCMM_TEST_DIR "/data/events-manual.txt");
	CHECK(rec->stats_calls >= rec->nr, "the handler read statistics on every event");
	epc_task_destroy(tr);
	epc_task_destroy(ta);
	epc_destroy(epc);
	free(rec);
}

static void test_events_off_by_default_and_time_in_threads(void **state)
{
	struct topo tp = {.nr_nodes = 1, .nr_sections = 1, .pages = 32, .threads = true};
	struct epc *epc = make_topo(&tp);
	struct epc *manual = make_epc(32);
	struct recorder *rec = calloc(1, sizeof(*rec));
	struct epc_task *t = make_task(manual, NULL, 0);
	struct epc_stats st;

	(void)state;
	rec->epc = manual;
	epc_page_free(alloc_ok(t)); /* no handler: nothing to record, nothing breaks */
	CHECK_EQ(epc_set_time(epc, 5), -EINVAL, "THREADS mode has its own clock");
	CHECK_EQ(epc_set_event_handler(manual, record, rec), 0, "on");
	epc_page_free(alloc_ok(t));
	CHECK_EQ(rec->nr, 1, "one allocation, one event");
	CHECK(!strncmp(rec->lines[0], "1 t=0 alloc", 11), "seq 1, time 0 before any set_time");
	CHECK_EQ(epc_set_event_handler(manual, NULL, NULL), 0, "off");
	epc_page_free(alloc_ok(t));
	CHECK_EQ(rec->nr, 1, "nothing after off");
	epc_get_stats2(manual, &st, sizeof(st));
	CHECK_EQ(st.nr_alloc_local, 3, "three allocations all the same");
	epc_task_destroy(t);
	epc_destroy(manual);
	epc_destroy(epc);
	free(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_manual_run_matches_expected),
		cmocka_unit_test(test_events_off_by_default_and_time_in_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
