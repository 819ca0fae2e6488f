/* SPDX-License-Identifier: MIT */
/*
 * epcmm-client.h - talk to a running `epcmm daemon` over its Unix socket.
 *
 * The daemon owns one emulated EPC; a client process creates enclaves, adds
 * their pages, reads and writes them, allocates raw pages and reads and
 * writes cgroup files, all charged to the cgroup the process is a member of
 * (cgroup.procs). Everything a connection creates belongs to it: when the
 * connection closes (epcmm_client_close(), exit, or SIGKILL) the daemon
 * destroys it and returns every charge.
 *
 * The library is libepcmm-client (pkg-config: epcmm-client), separate from
 * libepcmm: it needs only libc. The wire protocol is docs/PROTOCOL.md.
 *
 * Conventions as in epcmm.h: 0 or a negative errno, results through
 * out-parameters. Every call can also fail with the transport's errors:
 * -EPIPE/-ECONNRESET the daemon went away, -EPROTO a reply that does not
 * parse (the connection is then unusable). One `struct epcmm_client` is used
 * by one thread at a time.
 *
 * Transport: after connecting, requests go through a shared-memory slot of
 * the connection when the daemon gives one (EPCMM_NO_SHM=1 in the
 * environment: the socket alone), and the daemon serves the connection from
 * a thread on the CPU the client said it runs on (epcmm_hello()): a client
 * that stays on that CPU gets the fastest round trips. A connection is not
 * to be used from a forked child.
 */
#ifndef EPCMM_CLIENT_H
#define EPCMM_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EPCMM_DEFAULT_SOCKET "/run/epcmm/epcmm.sock"

struct epcmm_client;

/* The socket a client uses when given none: $EPCMM_SOCKET, else the default. */
const char *epcmm_client_socket_path(void);

/**
 * epcmm_client_connect() - connect to the daemon at @path (NULL: see above).
 * Return: 0; -ENOENT / -ECONNREFUSED no daemon listens there; -EACCES the
 * socket's permissions refuse us; -ENAMETOOLONG; -ENOMEM; -ECONNRESET the
 * daemon refused this process's uid (it serves its own uid and root).
 */
int epcmm_client_connect(const char *path, struct epcmm_client **out);
/* Close the connection: the daemon frees everything it created. NULL: no-op. */
void epcmm_client_close(struct epcmm_client *c);

/* One round trip that does nothing. Return: 0. */
int epcmm_ping(struct epcmm_client *c);

/**
 * epcmm_hello() - tell the daemon the CPU and NUMA node this client runs on,
 * so that the daemon's task for it runs there too (its EPC allocations start
 * their NUMA search at that node), as does the daemon's thread serving the
 * connection when it has a shared-memory slot and the daemon may run on that
 * CPU. epcmm_client_connect() does it with
 * getcpu(2)'s answer (a value the daemon refuses does not fail the connect:
 * the task stays on CPU 0); call it again after moving the thread
 * (sched_setaffinity(2)). The daemon places the task on that CPU of its
 * machine, else on the first CPU of that node, else on CPU 0 (a machine
 * without either); *@task_cpu and *@task_node (each may be NULL) say where.
 * Return: 0; -EINVAL @cpu is not one of the host's CPUs or @node is not its
 * node (nothing changes); -EOPNOTSUPP the daemon predates HELLO (it closed
 * the connection: connect again; epcmm_client_connect() does so itself).
 */
int epcmm_hello(struct epcmm_client *c, int cpu, int node, int *task_cpu, int *task_node);

/* Enclaves: handles are the daemon's, valid on this connection only. A stale
 * or unknown handle is -EBADF. Other errors are epcmm.h's for the same call. */
int epcmm_encl_create(struct epcmm_client *c, uint64_t size, uint64_t *encl);
/* @nr_pages pages from @offset, with the bytes of @src (@nr_pages pages) or
 * zeros (NULL). On error the pages before the failing one stay added. */
int epcmm_encl_add_pages(struct epcmm_client *c, uint64_t encl, uint64_t offset, uint64_t nr_pages,
			 const void *src);
int epcmm_encl_init(struct epcmm_client *c, uint64_t encl);
/* Any offset and length inside added pages. */
int epcmm_encl_read(struct epcmm_client *c, uint64_t encl, uint64_t offset, void *buf, size_t len);
int epcmm_encl_write(struct epcmm_client *c, uint64_t encl, uint64_t offset, const void *buf,
		     size_t len);
int epcmm_encl_destroy(struct epcmm_client *c, uint64_t encl);

struct epcmm_encl_stats {
	uint64_t nr_pages, nr_resident, nr_va_pages, nr_faults, nr_evicted, nr_reloaded;
};
int epcmm_encl_stats(struct epcmm_client *c, uint64_t encl, struct epcmm_encl_stats *st);

/*
 * EDMM (SGX2; newer than 0.2.0): epcmm.h's calls of the same names, over the
 * wire (docs/PROTOCOL.md). The constants are epcmm.h's EPC_SECINFO_* and
 * EPC_PAGE_TYPE_*, which are the kernel's uapi values.
 */
#define EPCMM_SECINFO_R		 0x01
#define EPCMM_SECINFO_W		 0x02
#define EPCMM_SECINFO_X		 0x04
#define EPCMM_SECINFO_PENDING	 0x08
#define EPCMM_SECINFO_MODIFIED	 0x10
#define EPCMM_SECINFO_PR	 0x20
#define EPCMM_SECINFO_TCS	 0x100
#define EPCMM_SECINFO_REG	 0x200
#define EPCMM_SECINFO_TRIM	 0x400
#define EPCMM_PAGE_TYPE_TCS	 1
#define EPCMM_PAGE_TYPE_TRIM	 4
#define EPCMM_SGX_NOT_TRACKED	 11
#define EPCMM_SGX_ATTR_MISMATCH	 19 /* SGX_PAGE_ATTRIBUTES_MISMATCH */
#define EPCMM_SGX_NOT_MODIFIABLE 20 /* SGX_PAGE_NOT_MODIFIABLE */

/* epcmm_encl_add_pages() with a SECINFO for every page (epc_encl_add_page2()). */
int epcmm_encl_add_pages2(struct epcmm_client *c, uint64_t encl, uint64_t offset, uint64_t nr_pages,
			  const void *src, uint64_t secinfo);
/* Accesses may add pages in [@offset, @offset + @length) (epc_encl_declare_dynamic()). */
int epcmm_encl_declare_dynamic(struct epcmm_client *c, uint64_t encl, uint64_t offset,
			       uint64_t length);
/* EACCEPT, as the enclave runs it; *@result its answer (epc_encl_accept()). */
int epcmm_encl_accept(struct epcmm_client *c, uint64_t encl, uint64_t offset, uint64_t secinfo,
		      uint64_t *result);

/*
 * The three calls that change pages, with the kernel's ioctl arguments:
 * @result and @count must be 0 in (else -EINVAL, nothing sent); out, @count
 * says how many bytes were done, on success and on error (partial
 * progress), and @result the failed leaf's SGX code. A handle the
 * connection does not own is -EBADF (count 0). Other errors: epcmm.h's.
 */
struct epcmm_restrict_permissions {
	uint64_t offset;
	uint64_t length;
	uint64_t permissions;
	uint64_t result;
	uint64_t count;
};
int epcmm_encl_restrict_permissions(struct epcmm_client *c, uint64_t encl,
				    struct epcmm_restrict_permissions *p);

struct epcmm_modify_types {
	uint64_t offset;
	uint64_t length;
	uint64_t page_type;
	uint64_t result;
	uint64_t count;
};
int epcmm_encl_modify_types(struct epcmm_client *c, uint64_t encl, struct epcmm_modify_types *m);

struct epcmm_remove_pages {
	uint64_t offset;
	uint64_t length;
	uint64_t count;
};
int epcmm_encl_remove_pages(struct epcmm_client *c, uint64_t encl, struct epcmm_remove_pages *r);

/* A raw page (never reclaimable); @reclaim: EPC_DO_RECLAIM when true.
 * @phys and @node may be NULL. */
int epcmm_page_alloc(struct epcmm_client *c, bool reclaim, uint64_t *page, uint64_t *phys,
		     int *node);
int epcmm_page_free(struct epcmm_client *c, uint64_t page);

/**
 * epcmm_cgroup_read() - a file of the cgroup @path ("/" or "/a/b") into
 * @buf, NUL-terminated: cgroup.procs, cgroup.controllers,
 * cgroup.subtree_control, cgroup.events, misc.*, memory.*.
 * Return: its length; -ENOENT; -ENOSPC @len too small.
 */
ssize_t epcmm_cgroup_read(struct epcmm_client *c, const char *path, const char *file, char *buf,
			  size_t len);
/* Write @text ("0" in cgroup.procs is the calling process). Errors as the
 * cgroupfs gives them: -EINVAL, -ERANGE, -ENOENT, -EACCES, -ESRCH. */
int epcmm_cgroup_write(struct epcmm_client *c, const char *path, const char *file,
		       const char *text);
/* Return: 0; -EEXIST; -ENOENT; -EINVAL. */
int epcmm_cgroup_mkdir(struct epcmm_client *c, const char *path);
/* Return: 0; -ENOENT; -EBUSY children or member processes. */
int epcmm_cgroup_rmdir(struct epcmm_client *c, const char *path);

/*
 * The daemon's state (docs/PROTOCOL.md, SNAPSHOT), decoded: the EPC, its
 * nodes, the cgroups (parents before children), the clients, each followed
 * by its enclaves. Pages are 4 KiB pages; bytes are bytes.
 */
#define EPCMM_NO_LIMIT UINT64_MAX /* a cgroup's max when it has none */
struct epcmm_snap_node {
	int id;
	uint64_t total, free; /* pages */
};
struct epcmm_snap_cgroup {
	char *path; /* "/", "/a/b": the cgroup's names as they are (any byte but NUL) */
	uint64_t current, peak, max; /* bytes; max EPCMM_NO_LIMIT: none */
	uint64_t events, evicted, reloaded;
	uint64_t procs;
};
struct epcmm_snap_client {
	pid_t pid;
	char *cgroup;		      /* the cgroup it is charged to */
	uint64_t nr_encls, nr_pages;  /* what it holds */
	int cpu, node;		      /* where its task runs in the daemon's machine */
	size_t first_encl, nr_listed; /* its enclaves: encls[first_encl..+nr_listed) */
};
struct epcmm_snap_encl {
	pid_t pid;
	uint64_t id; /* its handle, on its client's connection */
	uint64_t size, pages, resident, evicted, reloaded, faults;
};
struct epcmm_snapshot {
	uint64_t total, free, reclaimable, evicted, reloaded; /* pages */
	struct epcmm_snap_node *nodes;
	struct epcmm_snap_cgroup *cgroups;
	struct epcmm_snap_client *clients;
	struct epcmm_snap_encl *encls;
	size_t nr_nodes, nr_cgroups, nr_clients, nr_encls;
};

/**
 * epcmm_snapshot_get() - the daemon's state into *@out (free it with
 * epcmm_snapshot_free()). No length limit on a path; a state bigger than
 * one reply comes in pages (up to 1 GiB), all of one snapshot the daemon
 * took at the first.
 * Return: 0; -E2BIG over 1 GiB; -EOPNOTSUPP the daemon predates SNAPSHOT
 * (it closed the connection); -ENOMEM; -EPROTO a malformed reply; a
 * transport error.
 */
int epcmm_snapshot_get(struct epcmm_client *c, struct epcmm_snapshot **out);
/* NULL: no-op. */
void epcmm_snapshot_free(struct epcmm_snapshot *s);

/* The daemon's status report, text (docs/PROTOCOL.md, STATUS), into a
 * malloc()ed NUL-terminated string the caller frees. A report too big for
 * one reply is gathered in pages (STATUS_PAGE), up to 1 GiB, of one snapshot
 * (a daemon of 0.2.0's are not: a cgroup made or removed meanwhile may be
 * missed or listed twice). Return: 0; -E2BIG the report is over 1 GiB, or over one
 * reply and the daemon predates pages; -ENOMEM; -EPROTO a malformed reply;
 * a transport error. */
int epcmm_status(struct epcmm_client *c, char **text);
/* (The text report is kept for clients of 0.2.0; epcmm_snapshot_get() is the
 * same state, decoded, with nothing to parse.) */

#ifdef __cplusplus
}
#endif
#endif /* EPCMM_CLIENT_H */
