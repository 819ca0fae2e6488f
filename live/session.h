/* SPDX-License-Identifier: MIT */
/*
 * session.h - one client connection's state and its request handler, apart
 * from the socket: the daemon feeds it whole messages it has read, the fuzz
 * target feeds it bytes, and both get the reply to send back.
 *
 * A session owns everything its client created: enclaves and raw pages, kept
 * in a table of handles (slot index in the low 32 bits, the slot's
 * generation in the high 32, so a stale or forged handle is -EBADF, never
 * another object). live_session_destroy() destroys them all, returning every
 * charge: that is what makes a killed client leave nothing behind.
 *
 * A session has one epc_task, on CPU 0 until the client says at HELLO which
 * CPU and node it runs on (live_server_place()). For each request that may
 * charge, the task is
 * moved into the cgroup its client process is a member of (live_cgfs_task_
 * enter) and back to the root after it, so a process moved by cgroup.procs
 * is charged where it now is, and a task never pins a cgroup between
 * requests.
 *
 * The server (struct live_server) is what the sessions share: the EPC, the
 * cgroupfs, and the list of sessions for the status report.
 *
 * Locks: server->lock protects the session list (taken before a session's
 * lock; by session create and destroy, and the status report, never by a
 * request). session->lock protects its handle table, taken by its own thread
 * to change the table and by the status report to read it; the session's
 * own thread, the table's only writer, looks handles up without it. So a
 * request such as an enclave read takes no lock of the daemon's: two
 * clients meet only in the library. The session's own thread calls the
 * library on its objects without session->lock, except destroy, which
 * unpublishes the handle under the lock first.
 */
#ifndef EPCMM_LIVE_SESSION_H
#define EPCMM_LIVE_SESSION_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgfs.h"
#include "epcmm.h"
#include "proto.h"

struct live_session;

struct live_server {
	struct epc *epc;	/* read-only after init */
	int nr_nodes;		/* read-only after init */
	int nr_cpus;		/* read-only after init: the instance's CPUs */
	int *cpu_to_node;	/* read-only after init: @nr_cpus entries */
	uint64_t nr_epc_pages;	/* read-only after init: the EPC's size in pages */
	struct live_cgfs *cgfs; /* read-only after init */
	pthread_mutex_t lock;	/* protects @sessions and @nr_sessions */
	struct live_session *sessions;
	int nr_sessions;
	pthread_cond_t idle; /* signalled when @nr_sessions drops to 0 */
};

/* @cfg: the machine @epc was created with. Return: 0; -ENOMEM; a cgfs error. */
int live_server_init(struct live_server *srv, struct epc *epc, const struct epc_config *cfg);
/* Every session must be gone. */
void live_server_fini(struct live_server *srv);

/* A session for the client process @pid. Return: 0; -ENOMEM; the library's
 * errors from epc_task_create(). */
int live_session_create(struct live_server *srv, pid_t pid, struct live_session **out);
/* Destroys every enclave and page the session owns and the session. */
void live_session_destroy(struct live_session *s);
/* Ask a request in flight to stop: reclaim loops return -EINTR. */
void live_session_interrupt(struct live_session *s);
/* Pages an ENCL_ADD adds between two looks at whether its client is still
 * there: a request of a client that is gone stops within this many pages. */
#define SESSION_PEER_CHECK_PAGES 64

/* Let long requests look at the client's socket @fd now and then (ENCL_ADD:
 * every SESSION_PEER_CHECK_PAGES pages) and stop, as if interrupted, once
 * the client has hung up. Without it (the fuzz target) they never look. */
void live_session_watch_peer(struct live_session *s, int fd);

/*
 * HELLO's checks and placement (docs/PROTOCOL.md), apart for the tests.
 * live_host_cpu_check(): is @cpu one of this host's CPUs and @node its node
 * (as sysfs says; a host that says no node for it has node 0 only)? Return:
 * 0; -EINVAL, with a line on stderr (if @say) saying which value is wrong.
 * live_server_place(): the CPU of @srv's machine a client on @cpu, @node
 * runs on: that CPU if the machine has it, else the machine's first CPU of
 * that node, else CPU 0.
 */
int live_host_cpu_check(pid_t pid, uint32_t cpu, uint32_t node, bool say);
int live_server_place(const struct live_server *srv, uint32_t cpu, uint32_t node);

/*
 * live_session_handle() - one request: its header @h (already read, not yet
 * checked) and @h->len payload bytes. The reply's header goes to @rh and its
 * payload to @out (reset first).
 * Return: 0: send the reply and read on; -EPROTO (or another -errno): send
 * the reply (its status is the error) and close the connection, because the
 * message was malformed and the stream cannot be trusted any more.
 */
int live_session_handle(struct live_session *s, const struct epcmm_msg_hdr *h,
			const uint8_t *payload, struct epcmm_msg_hdr *rh, struct epcmm_wr *out);

/* The daemon's status text (docs/PROTOCOL.md, STATUS) into @out, whole.
 * Return: 0; -EMSGSIZE it does not fit in one reply (STATUS_PAGE then);
 * -ENOMEM. */
int live_server_status(struct live_server *srv, struct epcmm_wr *out);

/*
 * live_server_status_page() - a STATUS_PAGE reply (the text report) or,
 * with @records, a SNAPSHOT reply (its records) into @out: two u64s, the
 * item (line or record) and the byte in it where the next page starts (both
 * 0: this page ends the report), then the report from byte @off of item
 * @item on, at most EPCMM_STATUS_PAGE_MAX bytes of it: whole items, unless
 * one is longer than a page (it is then cut at the page's end and goes on in
 * the next). Each page is written from the state of the moment (a session
 * keeps one snapshot from a reply's first page to its last instead: its
 * STATUS_PAGE and SNAPSHOT requests, live_session_handle()).
 * Return: 0; -ENOMEM.
 */
int live_server_status_page(struct live_server *srv, bool records, uint64_t item, uint64_t off,
			    struct epcmm_wr *out);

#endif
