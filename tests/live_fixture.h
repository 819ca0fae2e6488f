/* SPDX-License-Identifier: MIT */
/*
 * live_fixture.h - a daemon (live/daemon.c) run in a thread of the test on a
 * socket in a fresh temporary directory, for the tests that talk to it over
 * its socket with the client library. cmocka group setup and teardown:
 * fx_setup() starts it and waits until it serves; fx_teardown() stops it and
 * checks that its run ended with 0.
 */
#ifndef EPCMM_TESTS_LIVE_FIXTURE_H
#define EPCMM_TESTS_LIVE_FIXTURE_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "check.h"

#include "daemon.h"
#include "epcmm-client.h"

#define PAGE		4096
#define EPC_PAGES	256 /* 1 MiB: the kill loop's enclaves oversubscribe it */
#define SETTLE_MS	5000 /* how long a killed client's teardown may take */

struct daemon_fx {
	char dir[64], sock[96];
	struct epc_section_desc sec;
	struct epc_config cfg;
	struct live_daemon_opts o;
	pthread_t thread;
	int rc;
};

static inline void *daemon_thread(void *arg)
{
	struct daemon_fx *fx = arg;

	fx->rc = live_daemon_run(&fx->o);
	return NULL;
}

/* A daemon of @nr_cpus CPUs (0: the library's default, one per node). */
static inline int fx_setup_cpus(void **state, int nr_cpus)
{
	struct daemon_fx *fx = calloc(1, sizeof(*fx));
	int ready[2];
	char ch;

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/epcmm-live-XXXXXX");
	if (!mkdtemp(fx->dir) || pipe(ready))
		return -1;
	snprintf(fx->sock, sizeof(fx->sock), "%s/sock", fx->dir);
	fx->sec = (struct epc_section_desc){0x100000, EPC_PAGES * PAGE, 0};
	fx->cfg = (struct epc_config){.nr_nodes = 1,
				      .nr_cpus = nr_cpus,
				      .sections = &fx->sec,
				      .nr_sections = 1,
				      .background = EPC_BACKGROUND_THREADS};
	fx->o = (struct live_daemon_opts){.cfg = &fx->cfg,
					  .socket_path = fx->sock,
					  .stop_fd = eventfd(0, EFD_CLOEXEC),
					  .ready_fd = ready[1]};
	if (fx->o.stop_fd < 0 || pthread_create(&fx->thread, NULL, daemon_thread, fx))
		return -1;
	if (read(ready[0], &ch, 1) != 1)
		return -1;
	close(ready[0]);
	close(ready[1]);
	*state = fx;
	return 0;
}

static inline int fx_setup(void **state)
{
	return fx_setup_cpus(state, 0);
}

/* Stop the daemon; its run must end with 0. */
static inline int fx_stop(struct daemon_fx *fx)
{
	uint64_t one = 1;

	if (write(fx->o.stop_fd, &one, sizeof(one)) != sizeof(one))
		return -1;
	pthread_join(fx->thread, NULL);
	return fx->rc;
}

static inline int fx_teardown(void **state)
{
	struct daemon_fx *fx = *state;
	int rc = fx_stop(fx);

	close(fx->o.stop_fd);
	unlink(fx->sock);
	rmdir(fx->dir);
	free(fx);
	return rc;
}

static inline struct epcmm_client *connect_ok(struct daemon_fx *fx)
{
	struct epcmm_client *c = NULL;
	int ret = epcmm_client_connect(fx->sock, &c);

	CHECK_EQ(ret, 0, "connect to the daemon");
	return c;
}

static inline void expect_file(struct epcmm_client *c, const char *cg, const char *file, const char *want)
{
	char buf[512];
	ssize_t n = epcmm_cgroup_read(c, cg, file, buf, sizeof(buf));

	if (n < 0)
		fail_msg("reading %s/%s: %s", cg, file, strerror((int)-n));
	if (strcmp(buf, want))
		fail_msg("%s/%s reads '%s', expected '%s'", cg, file, buf, want);
}

/* Wait until the root's misc.current is 0 and no enclave is listed. */
static inline void expect_settled(struct epcmm_client *c)
{
	char buf[64], *status = NULL;

	for (int ms = 0; ms < SETTLE_MS; ms += 10) {
		CHECK(epcmm_cgroup_read(c, "/", "misc.current", buf, sizeof(buf)) >= 0,
		      "read the root's misc.current");
		free(status);
		status = NULL;
		CHECK_EQ(epcmm_status(c, &status), 0, "status report");
		if (!strcmp(buf, "sgx_epc 0\n") && !strstr(status, "\nencl "))
			break;
		usleep(10000);
	}
	if (strcmp(buf, "sgx_epc 0\n"))
		fail_msg("charges left behind: root misc.current is '%s'", buf);
	if (strstr(status, "\nencl "))
		fail_msg("an enclave outlived its client:\n%s", status);
	free(status);
}

#endif
