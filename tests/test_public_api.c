// SPDX-License-Identifier: MIT
/*
 * test_public_api.c - built against the public header and the shared library
 * only (no internal headers), as an outside program would be. Prints TAP.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "epcmm.h"

static int n;
static int failed;

/*
 * The time limit of this one-case program (tests/helpers.h does the same per
 * case for the cmocka suites): EPCMM_CASE_TIMEOUT seconds, default 120, 0 off.
 * A hang says which check it came after.
 */
static char hang_msg[128] = "Bail out! public_api hung before its first check\n";

static void on_alarm(int sig)
{
	ssize_t r;

	(void)sig;
	r = write(STDOUT_FILENO, hang_msg, strlen(hang_msg));
	r = write(STDERR_FILENO, hang_msg, strlen(hang_msg));
	(void)r;
	abort();
}

static void arm_time_limit(void)
{
	const char *s = getenv("EPCMM_CASE_TIMEOUT");

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(s && *s ? (unsigned)strtoul(s, NULL, 10) : 120);
}

static void ok(int cond, const char *what)
{
	n++;
	if (!cond)
		failed++;
	printf("%s %d - %s\n", cond ? "ok" : "not ok", n, what);
	snprintf(hang_msg, sizeof(hang_msg), "Bail out! public_api hung after check %d (%s)\n", n,
		 what);
}

int main(void)
{
	struct epc_section_desc s = {
		.phys_addr = 1ULL << 32, .size = 32 * EPC_PAGE_SIZE, .node = 0};
	struct epc_config c = {.nr_nodes = 1,
			       .sections = &s,
			       .nr_sections = 1,
			       .background = EPC_BACKGROUND_THREADS};
	struct epc *epc = NULL;
	struct epc_task *t = NULL;
	struct epc_page *p = NULL;
	struct epc_stats st;
	char buf[64];

	arm_time_limit();
	printf("1..6\n");
	ok(epc_create2(&c, sizeof(c), &epc) == 0, "epc_create through the shared library");
	ok(epc_sanitize_wait(epc) == 0, "ksgxd sanitizes, epc_sanitize_wait returns");
	epc_get_stats2(epc, &st, sizeof(st));
	ok(st.nr_free == 32 && st.nr_total == 32, "all 32 pages free after sanitization");
	ok(epc_task_create(epc, NULL, 0, &t) == 0 &&
		   epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &p) == 0,
	   "a task allocates a raw page");
	ok(epc_cgroup_read(epc_cgroup_root(epc), "misc.current", buf, sizeof(buf)) > 0 &&
		   !strcmp(buf, "sgx_epc 4096\n"),
	   "the root's misc.current shows the page");
	epc_page_free(p);
	ok(epc_cgroup_read(epc_cgroup_root(epc), "misc.current", buf, sizeof(buf)) > 0 &&
		   !strcmp(buf, "sgx_epc 0\n"),
	   "freeing the page uncharges it");
	epc_task_destroy(t);
	epc_destroy(epc);
	return failed ? 1 : 0;
}
