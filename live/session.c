// SPDX-License-Identifier: MIT
/*
 * session.c - a client's objects and the request handler (session.h).
 */
#include <errno.h>
#include <dirent.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "say.h"
#include "session.h"

#define SESSION_MAX_SLOTS    (1u << 24)				  /* handles one client may hold */
#define SESSION_ADD_DATA_MAX (EPCMM_PROTO_MAX_IO / EPC_PAGE_SIZE) /* pages with bytes per ADD */
#define SESSION_TEXT_MAX     (64u << 10) /* the longest cgroup file text read */

struct live_status; /* what a status reply shows (below) */
static int status_page(struct live_server *srv, struct live_status **keep, bool records,
		       uint64_t item, uint64_t off, struct epcmm_wr *out);
static void status_free(struct live_status *st);

enum slot_kind {
	SLOT_FREE,
	SLOT_ENCL,
	SLOT_PAGE,
};

struct slot {
	uint32_t gen;
	enum slot_kind kind;
	void *obj;
	uint64_t size; /* an enclave's size */
};

struct live_session {
	struct live_server *srv; /* read-only after create */
	pid_t pid;		 /* read-only after create */
	struct epc_task *task;	 /* used by the session's thread only */
	atomic_bool stop;	 /* set by live_session_interrupt() */
	int peer_fd;		 /* -1, or the client's socket (live_session_watch_peer) */
	/*
	 * Written by the session's thread under @lock and read by the status
	 * report under it; the session's thread reads them without it (it is
	 * their only writer).
	 */
	pthread_mutex_t lock;
	int cpu, node;	    /* where @task runs (HELLO) */
	bool hello_refused; /* a refused HELLO was logged (session's thread only) */
	/* session's thread only: the status reply being paged out (STATUS_PAGE,
	 * SNAPSHOT), from its first page to its last, or NULL */
	struct live_status *status;
	struct slot *slots;
	uint32_t nr_slots, cap_slots;
	uint32_t *free_slots; /* a stack of free slot indices */
	uint32_t nr_free;
	uint32_t nr_encls, nr_pages;
	struct live_session *next, *prev; /* the server's list, under srv->lock */
};

int live_server_init(struct live_server *srv, struct epc *epc, const struct epc_config *cfg)
{
	struct epc_stats st;
	int ret;

	memset(srv, 0, sizeof(*srv));
	srv->epc = epc;
	srv->nr_nodes = cfg->nr_nodes;
	/* the instance's CPUs, with the library's defaults (epcmm.h) */
	srv->nr_cpus = cfg->nr_cpus ? cfg->nr_cpus : cfg->nr_nodes;
	srv->cpu_to_node = malloc((size_t)srv->nr_cpus * sizeof(*srv->cpu_to_node));
	if (!srv->cpu_to_node)
		return -ENOMEM;
	for (int c = 0; c < srv->nr_cpus; c++)
		srv->cpu_to_node[c] = cfg->cpu_to_node ? cfg->cpu_to_node[c] : c % cfg->nr_nodes;
	if (!epc_get_stats2(epc, &st, sizeof(st)))
		srv->nr_epc_pages = st.nr_total;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->idle, NULL);
	ret = live_cgfs_create(epc, &srv->cgfs);
	if (ret)
		live_server_fini(srv);
	return ret;
}

void live_server_fini(struct live_server *srv)
{
	live_cgfs_destroy(srv->cgfs);
	srv->cgfs = NULL;
	free(srv->cpu_to_node);
	srv->cpu_to_node = NULL;
	pthread_cond_destroy(&srv->idle);
	pthread_mutex_destroy(&srv->lock);
}

int live_session_create(struct live_server *srv, pid_t pid, struct live_session **out)
{
	struct live_session *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	ret = epc_task_create(srv->epc, NULL, 0, &s->task);
	if (ret) {
		free(s);
		return ret;
	}
	s->srv = srv;
	s->pid = pid;
	s->peer_fd = -1;
	s->cpu = 0; /* until HELLO says where the client runs */
	s->node = srv->cpu_to_node[0];
	pthread_mutex_init(&s->lock, NULL);
	if (pid > 0) {
		live_cgfs_adopt(srv->cgfs, pid); /* -ENOMEM: it stays in the root */
		/* the task is where the client's pid is, as it moves: no move per request */
		ret = epc_task_follow(s->task, (uint64_t)pid);
		if (ret) {
			epc_task_destroy(s->task);
			free(s);
			return ret;
		}
	}
	pthread_mutex_lock(&srv->lock);
	s->next = srv->sessions;
	if (s->next)
		s->next->prev = s;
	srv->sessions = s;
	srv->nr_sessions++;
	pthread_mutex_unlock(&srv->lock);
	*out = s;
	return 0;
}

void live_session_interrupt(struct live_session *s)
{
	atomic_store(&s->stop, true);
	epc_task_set_signal(s->task, true);
}

void live_session_watch_peer(struct live_session *s, int fd)
{
	s->peer_fd = fd;
}

/* Whether the request in flight should stop: the daemon is shutting down, or
 * the client hung up (it is gone, or it will never read the reply). A look at
 * the socket is a poll() of no time. */
static bool session_should_stop(struct live_session *s)
{
	struct pollfd p = {.fd = s->peer_fd, .events = POLLRDHUP};

	if (atomic_load(&s->stop))
		return true;
	if (s->peer_fd < 0 || poll(&p, 1, 0) <= 0 || !(p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
		return false;
	live_session_interrupt(s);
	return true;
}

void live_session_destroy(struct live_session *s)
{
	struct live_server *srv = s->srv;

	pthread_mutex_lock(&srv->lock);
	if (s->prev)
		s->prev->next = s->next;
	else
		srv->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	pthread_mutex_unlock(&srv->lock);

	for (uint32_t i = 0; i < s->nr_slots; i++) {
		struct slot *sl = &s->slots[i];

		if (sl->kind == SLOT_ENCL)
			epc_encl_destroy(sl->obj);
		else if (sl->kind == SLOT_PAGE)
			epc_page_free(sl->obj);
	}
	status_free(s->status);
	epc_task_destroy(s->task);
	free(s->slots);
	free(s->free_slots);
	pthread_mutex_destroy(&s->lock);
	free(s);

	pthread_mutex_lock(&srv->lock);
	if (--srv->nr_sessions == 0)
		pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->lock);
}

/* ------------------------------------------------------------ handles */

static int slot_add(struct live_session *s, enum slot_kind kind, void *obj, uint64_t size,
		    uint64_t *id)
{
	uint32_t i;
	int ret = 0;

	pthread_mutex_lock(&s->lock);
	if (s->nr_free) {
		i = s->free_slots[--s->nr_free];
	} else {
		if (s->nr_slots == s->cap_slots) {
			uint32_t cap = s->cap_slots ? 2 * s->cap_slots : 16;
			struct slot *ns;
			uint32_t *nf;

			if (cap > SESSION_MAX_SLOTS) {
				ret = -ENOSPC;
				goto out_unlock;
			}
			ns = realloc(s->slots, cap * sizeof(*ns));
			if (ns)
				s->slots = ns;
			nf = ns ? realloc(s->free_slots, cap * sizeof(*nf)) : NULL;
			if (!nf) {
				ret = -ENOMEM;
				goto out_unlock;
			}
			s->free_slots = nf;
			s->cap_slots = cap;
		}
		i = s->nr_slots++;
		s->slots[i].gen = 0;
	}
	s->slots[i].gen++;
	s->slots[i].kind = kind;
	s->slots[i].obj = obj;
	s->slots[i].size = size;
	*id = (uint64_t)s->slots[i].gen << 32 | i;
	if (kind == SLOT_ENCL)
		s->nr_encls++;
	else
		s->nr_pages++;
out_unlock:
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/* The object behind @id if it is of @kind. The session's own thread is the
 * table's only writer, so it reads it without the lock (session.h). */
static int slot_get(struct live_session *s, uint64_t id, enum slot_kind kind, void **obj)
{
	uint32_t i = (uint32_t)id, gen = (uint32_t)(id >> 32);

	if (i >= s->nr_slots || s->slots[i].gen != gen || s->slots[i].kind != kind)
		return -EBADF;
	*obj = s->slots[i].obj;
	return 0;
}

static int slot_remove(struct live_session *s, uint64_t id, enum slot_kind kind, void **obj)
{
	uint32_t i = (uint32_t)id, gen = (uint32_t)(id >> 32);
	int ret = -EBADF;

	pthread_mutex_lock(&s->lock);
	if (i < s->nr_slots && s->slots[i].gen == gen && s->slots[i].kind == kind) {
		*obj = s->slots[i].obj;
		s->slots[i].kind = SLOT_FREE;
		s->slots[i].obj = NULL;
		s->free_slots[s->nr_free++] = i;
		if (kind == SLOT_ENCL)
			s->nr_encls--;
		else
			s->nr_pages--;
		ret = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/* ------------------------------------------------------------ requests */

/* Errors that mean the message itself was malformed: close the connection. */
static bool is_fatal(int err)
{
	return err == -EBADMSG || err == -EPROTO || err == -EPROTONOSUPPORT || err == -EMSGSIZE;
}

static int do_encl_create(struct live_session *s, struct epcmm_rd *r, struct epcmm_wr *out)
{
	struct epc_encl *e;
	uint64_t size, id;
	int ret;

	if ((ret = epcmm_rd_u64(r, &size)) || (ret = epcmm_rd_end(r)))
		return ret;
	ret = epc_encl_create(s->task, size, &e);
	if (ret)
		return ret;
	ret = slot_add(s, SLOT_ENCL, e, size, &id);
	if (ret) {
		epc_encl_destroy(e);
		return ret;
	}
	epcmm_wr_u64(out, id);
	return 0;
}

/*
 * EADD @nr pages from @offset with @secinfo, stopping at the first that
 * fails; every SESSION_PEER_CHECK_PAGES pages, a look at the client's socket:
 * once it hung up, -EINTR.
 */
static int encl_add_pages(struct live_session *s, void *e, uint64_t offset, uint64_t nr,
			  const uint8_t *data, uint64_t secinfo)
{
	int ret = 0;

	for (uint64_t i = 0; i < nr && !ret; i++) {
		if (atomic_load(&s->stop) ||
		    (i % SESSION_PEER_CHECK_PAGES == 0 && session_should_stop(s))) {
			ret = -EINTR;
			break;
		}
		ret = epc_encl_add_page2(s->task, e, offset + i * EPC_PAGE_SIZE,
					 data ? data + i * EPC_PAGE_SIZE : NULL, secinfo);
	}
	return ret;
}

/*
 * ENCL_ADD, or with @has_secinfo ENCL_ADD2: a SECINFO after nr_pages
 * (epc_encl_add_page2()); ENCL_ADD's pages are regular and RWX.
 */
static int do_encl_add(struct live_session *s, struct epcmm_rd *r, bool has_secinfo)
{
	uint64_t id, offset, nr,
		secinfo = EPC_SECINFO_REG | EPC_SECINFO_R | EPC_SECINFO_W | EPC_SECINFO_X;
	const uint8_t *data;
	void *e;
	int ret;

	if ((ret = epcmm_rd_u64(r, &id)) || (ret = epcmm_rd_u64(r, &offset)) ||
	    (ret = epcmm_rd_u64(r, &nr)) || (has_secinfo && (ret = epcmm_rd_u64(r, &secinfo))))
		return ret;
	if (nr == 0 || nr > EPC_ENCL_MAX_SIZE / EPC_PAGE_SIZE)
		return -EBADMSG;
	data = r->left ? r->p : NULL;
	if (data && (nr > SESSION_ADD_DATA_MAX || r->left != nr * EPC_PAGE_SIZE))
		return -EBADMSG;
	if ((ret = slot_get(s, id, SLOT_ENCL, &e)))
		return ret;
	if (offset > UINT64_MAX - nr * EPC_PAGE_SIZE)
		return -EINVAL;
	/* More pages than the whole EPC in one request is no request a real
	 * loader makes (the kernel's SGX_IOC_ENCLAVE_ADD_PAGES is one range of
	 * source memory): refuse it rather than page it all out to backing. */
	if (nr > s->srv->nr_epc_pages)
		return -E2BIG;
	return encl_add_pages(s, e, offset, nr, data, secinfo);
}

static int do_encl_id(struct live_session *s, struct epcmm_rd *r, void **e)
{
	uint64_t id;
	int ret;

	if ((ret = epcmm_rd_u64(r, &id)) || (ret = epcmm_rd_end(r)))
		return ret;
	return slot_get(s, id, SLOT_ENCL, e);
}

static int do_encl_access(struct live_session *s, struct epcmm_rd *r, struct epcmm_wr *out,
			  bool write)
{
	uint64_t id, offset;
	uint32_t len;
	void *e, *buf;
	int ret;

	if ((ret = epcmm_rd_u64(r, &id)) || (ret = epcmm_rd_u64(r, &offset)))
		return ret;
	if (write) {
		len = (uint32_t)r->left;
		buf = (void *)r->p;
	} else {
		if ((ret = epcmm_rd_u32(r, &len)) || (ret = epcmm_rd_end(r)))
			return ret;
	}
	if (len == 0 || len > EPCMM_PROTO_MAX_IO)
		return -EBADMSG;
	if ((ret = slot_get(s, id, SLOT_ENCL, &e)))
		return ret;
	if (!write) {
		buf = epcmm_wr_reserve(out, len);
		if (!buf)
			return epcmm_wr_err(out);
	}
	return epc_encl_access2(s->task, e, offset, buf, len,
				write ? EPC_ACCESS_WRITE : EPC_ACCESS_READ);
}

static int do_encl_destroy(struct live_session *s, struct epcmm_rd *r)
{
	uint64_t id;
	void *e;
	int ret;

	if ((ret = epcmm_rd_u64(r, &id)) || (ret = epcmm_rd_end(r)))
		return ret;
	if ((ret = slot_remove(s, id, SLOT_ENCL, &e)))
		return ret;
	epc_encl_destroy(e);
	return 0;
}

static int do_encl_stats(struct live_session *s, struct epcmm_rd *r, struct epcmm_wr *out)
{
	struct epc_encl_stats st;
	void *e;
	int ret = do_encl_id(s, r, &e);

	if (ret)
		return ret;
	epc_encl_get_stats2(e, &st, sizeof(st));
	epcmm_wr_u64(out, st.nr_pages);
	epcmm_wr_u64(out, st.nr_resident);
	epcmm_wr_u64(out, st.nr_va_pages);
	epcmm_wr_u64(out, st.nr_faults);
	epcmm_wr_u64(out, st.nr_evicted);
	epcmm_wr_u64(out, st.nr_reloaded);
	return 0;
}

/* ------------------------------------------------------------ EDMM */

/* Pages an EDMM request changes between two looks at the client's socket. */
#define SESSION_EDMM_CHUNK_PAGES SESSION_PEER_CHECK_PAGES

static int do_encl_dynamic(struct live_session *s, struct epcmm_rd *r)
{
	uint64_t id, offset, length;
	void *e;
	int ret;

	if ((ret = epcmm_rd_u64(r, &id)) || (ret = epcmm_rd_u64(r, &offset)) ||
	    (ret = epcmm_rd_u64(r, &length)) || (ret = epcmm_rd_end(r)))
		return ret;
	if ((ret = slot_get(s, id, SLOT_ENCL, &e)))
		return ret;
	return epc_encl_declare_dynamic(e, offset, length);
}

static int do_encl_accept(struct live_session *s, struct epcmm_rd *r, struct epcmm_wr *out)
{
	uint64_t id, offset, secinfo, result = 0;
	void *e;
	int ret;

	if ((ret = epcmm_rd_u64(r, &id)) || (ret = epcmm_rd_u64(r, &offset)) ||
	    (ret = epcmm_rd_u64(r, &secinfo)) || (ret = epcmm_rd_end(r)))
		return ret;
	if ((ret = slot_get(s, id, SLOT_ENCL, &e)))
		return ret;
	ret = epc_encl_accept(s->task, e, offset, secinfo, &result);
	if (!ret)
		epcmm_wr_u64(out, result);
	return ret;
}

/* Is [@offset, @offset + @length) page-aligned, non-empty and inside @e? */
static bool edmm_range_ok(struct epc_encl *e, uint64_t offset, uint64_t length)
{
	struct epc_encl_stats st = {0};

	if (epc_encl_get_stats2(e, &st, sizeof(st)))
		return false;
	return !(offset % EPC_PAGE_SIZE) && length && !(length % EPC_PAGE_SIZE) &&
	       offset + length > offset && offset + length <= st.size;
}

/*
 * One library call of an EDMM request over [@offset, @offset + @length),
 * @arg its permissions or page type; *@result and *@count its out fields.
 */
static int edmm_call(struct live_session *s, uint16_t type, void *e, uint64_t offset,
		     uint64_t length, uint64_t arg, uint64_t *result, uint64_t *count)
{
	int ret;

	if (type == EPCMM_MSG_ENCL_RESTRICT) {
		struct epc_restrict_permissions p = {
			.offset = offset, .length = length, .permissions = arg};

		ret = epc_encl_restrict_permissions(s->task, e, &p, sizeof(p));
		*result = p.result;
		*count = p.count;
	} else if (type == EPCMM_MSG_ENCL_MODIFY_TYPES) {
		struct epc_modify_types m = {.offset = offset, .length = length, .page_type = arg};

		ret = epc_encl_modify_types(s->task, e, &m, sizeof(m));
		*result = m.result;
		*count = m.count;
	} else {
		struct epc_remove_pages rm = {.offset = offset, .length = length};

		ret = epc_encl_remove_pages(s->task, e, &rm, sizeof(rm));
		*result = 0;
		*count = rm.count;
	}
	return ret;
}

/*
 * ENCL_RESTRICT, ENCL_MODIFY_TYPES, ENCL_REMOVE. The library calls work page
 * by page; the range goes to them SESSION_EDMM_CHUNK_PAGES at a time (the
 * argument checks on the whole range first), with a look at the client's
 * socket in between, as ENCL_ADD does: a client that hung up stops it with
 * -EINTR. The reply says how far it got whatever the status.
 */
static int do_encl_edmm(struct live_session *s, uint16_t type, struct epcmm_rd *r,
			struct epcmm_wr *out)
{
	uint64_t id, offset, length, arg = 0, result = 0, done = 0, count;
	void *e;
	int ret;

	if ((ret = epcmm_rd_u64(r, &id)) || (ret = epcmm_rd_u64(r, &offset)) ||
	    (ret = epcmm_rd_u64(r, &length)) ||
	    (type != EPCMM_MSG_ENCL_REMOVE && (ret = epcmm_rd_u64(r, &arg))) ||
	    (ret = epcmm_rd_end(r)))
		return ret;
	if ((ret = slot_get(s, id, SLOT_ENCL, &e)))
		return ret;
	if (!edmm_range_ok(e, offset, length)) {
		/* one call: the library's errno for the range, nothing changed */
		ret = edmm_call(s, type, e, offset, length, arg, &result, &done);
	} else {
		while (!ret && done < length) {
			uint64_t n = length - done < SESSION_EDMM_CHUNK_PAGES * EPC_PAGE_SIZE
					     ? length - done
					     : SESSION_EDMM_CHUNK_PAGES * EPC_PAGE_SIZE;

			ret = edmm_call(s, type, e, offset + done, n, arg, &result, &count);
			done += count;
			if (!ret && done < length && session_should_stop(s))
				ret = -EINTR;
		}
	}
	epcmm_wr_u64(out, result);
	epcmm_wr_u64(out, done);
	return ret;
}

static int do_page_alloc(struct live_session *s, struct epcmm_rd *r, struct epcmm_wr *out)
{
	struct epc_page *p;
	uint32_t reclaim;
	uint64_t id;
	int ret;

	if ((ret = epcmm_rd_u32(r, &reclaim)) || (ret = epcmm_rd_end(r)))
		return ret;
	if (reclaim > 1)
		return -EINVAL;
	ret = epc_page_alloc(s->task, NULL, reclaim ? EPC_DO_RECLAIM : EPC_NO_RECLAIM, &p);
	if (ret)
		return ret;
	ret = slot_add(s, SLOT_PAGE, p, EPC_PAGE_SIZE, &id);
	if (ret) {
		epc_page_free(p);
		return ret;
	}
	epcmm_wr_u64(out, id);
	epcmm_wr_u64(out, epc_page_phys(p));
	epcmm_wr_u32(out, (uint32_t)epc_page_node(p));
	return 0;
}

static int do_page_free(struct live_session *s, struct epcmm_rd *r)
{
	uint64_t id;
	void *p;
	int ret;

	if ((ret = epcmm_rd_u64(r, &id)) || (ret = epcmm_rd_end(r)))
		return ret;
	if ((ret = slot_remove(s, id, SLOT_PAGE, &p)))
		return ret;
	epc_page_free(p);
	return 0;
}

/* ------------------------------------------------------------ HELLO */

/* The node sysfs gives host CPU @cpu: 0 with *@node; -ENOENT it says none. */
static int host_cpu_node(uint32_t cpu, uint32_t *node)
{
	char dir[64];
	struct dirent *de;
	DIR *d;
	int ret = -ENOENT;

	snprintf(dir, sizeof(dir), "/sys/devices/system/cpu/cpu%" PRIu32, cpu);
	d = opendir(dir);
	if (!d)
		return -ENOENT;
	while ((de = readdir(d)) && ret) {
		unsigned n;
		char end;

		if (sscanf(de->d_name, "node%u%c", &n, &end) == 1) {
			*node = n;
			ret = 0;
		}
	}
	closedir(d);
	return ret;
}

int live_host_cpu_check(pid_t pid, uint32_t cpu, uint32_t node, bool say)
{
	long nr = sysconf(_SC_NPROCESSORS_CONF);
	uint32_t host_node = 0;

	if (nr > 0 && cpu >= (uint64_t)nr) {
		if (say)
			live_say("client %d: HELLO: CPU %" PRIu32
				 " is not one of the host's %ld; refused",
				 (int)pid, cpu, nr);
		return -EINVAL;
	}
	host_cpu_node(cpu, &host_node); /* none said: a host of one node */
	if (node != host_node) {
		if (say)
			live_say("client %d: HELLO: CPU %" PRIu32 " is on node %" PRIu32
				 ", not %" PRIu32 "; refused",
				 (int)pid, cpu, host_node, node);
		return -EINVAL;
	}
	return 0;
}

int live_server_place(const struct live_server *srv, uint32_t cpu, uint32_t node)
{
	if (cpu < (uint32_t)srv->nr_cpus)
		return (int)cpu;
	for (int c = 0; c < srv->nr_cpus; c++)
		if (srv->cpu_to_node[c] == (int)node)
			return c;
	return 0;
}

/* HELLO: u32 cpu, u32 node the client runs on; the reply says where its
 * task runs now. A refused value changes nothing. */
static int do_hello(struct live_session *s, struct epcmm_rd *r, struct epcmm_wr *out)
{
	uint32_t cpu, node;
	int ret, tcpu;

	if ((ret = epcmm_rd_u32(r, &cpu)) || (ret = epcmm_rd_u32(r, &node)) ||
	    (ret = epcmm_rd_end(r)))
		return ret;
	/* said once per connection: a client cannot fill the log */
	if ((ret = live_host_cpu_check(s->pid, cpu, node, !s->hello_refused))) {
		s->hello_refused = true;
		return ret;
	}
	tcpu = live_server_place(s->srv, cpu, node);
	if ((ret = epc_task_set_cpu(s->task, tcpu)))
		return ret;
	pthread_mutex_lock(&s->lock);
	s->cpu = tcpu;
	s->node = epc_task_node(s->task);
	pthread_mutex_unlock(&s->lock);
	epcmm_wr_u32(out, (uint32_t)s->cpu);
	epcmm_wr_u32(out, (uint32_t)s->node);
	return 0;
}

/* ------------------------------------------------------------ cgroups */

/* "path" and "file" joined: "/a" + "misc.max" -> "/a/misc.max". */
static int read_file_path(struct epcmm_rd *r, char *path, size_t len)
{
	char dir[EPCMM_PROTO_MAX_STR + 1], file[EPCMM_PROTO_MAX_STR + 1];
	int ret, n;

	if ((ret = epcmm_rd_str(r, dir, EPCMM_PROTO_MAX_STR)) ||
	    (ret = epcmm_rd_str(r, file, EPCMM_PROTO_MAX_STR)))
		return ret;
	if (dir[0] != '/' || strchr(file, '/'))
		return -EINVAL;
	n = snprintf(path, len, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", file);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int do_cg_read(struct live_session *s, struct epcmm_rd *r, struct epcmm_wr *out)
{
	char path[2 * EPCMM_PROTO_MAX_STR + 2];
	size_t cap = 4096;
	ssize_t n;
	int ret;

	if ((ret = read_file_path(r, path, sizeof(path))))
		return ret;
	if ((ret = epcmm_rd_end(r)))
		return ret;
	for (;;) {
		char *buf = malloc(cap);

		if (!buf)
			return -ENOMEM;
		n = live_cgfs_read(s->srv->cgfs, path, buf, cap);
		if (n >= 0)
			epcmm_wr_bytes(out, buf, (size_t)n);
		free(buf);
		if (n != -ENOSPC || cap >= SESSION_TEXT_MAX)
			break;
		cap *= 2;
	}
	return n < 0 ? (int)n : epcmm_wr_err(out);
}

static int do_cg_write(struct live_session *s, struct epcmm_rd *r)
{
	char path[2 * EPCMM_PROTO_MAX_STR + 2], text[EPCMM_PROTO_MAX_STR + 1];
	int ret;

	if ((ret = read_file_path(r, path, sizeof(path))) ||
	    (ret = epcmm_rd_str(r, text, EPCMM_PROTO_MAX_STR)) || (ret = epcmm_rd_end(r)))
		return ret;
	return live_cgfs_write(s->srv->cgfs, path, text, strlen(text), s->pid);
}

static int do_cg_dir(struct live_session *s, struct epcmm_rd *r, bool mkdir)
{
	char path[EPCMM_PROTO_MAX_STR + 1];
	int ret;

	if ((ret = epcmm_rd_str(r, path, EPCMM_PROTO_MAX_STR)) || (ret = epcmm_rd_end(r)))
		return ret;
	if (path[0] != '/')
		return -EINVAL;
	return mkdir ? live_cgfs_mkdir(s->srv->cgfs, path) : live_cgfs_rmdir(s->srv->cgfs, path);
}

static int dispatch(struct live_session *s, uint16_t type, struct epcmm_rd *r, struct epcmm_wr *out)
{
	void *e;
	int ret;

	switch (type) {
	case EPCMM_MSG_PING:
		return epcmm_rd_end(r);
	case EPCMM_MSG_HELLO:
		return do_hello(s, r, out);
	case EPCMM_MSG_SHM: /* the transport's (daemon.c), on the socket: not here */
		return -EOPNOTSUPP;
	case EPCMM_MSG_ENCL_CREATE:
		return do_encl_create(s, r, out);
	case EPCMM_MSG_ENCL_ADD:
		return do_encl_add(s, r, false);
	case EPCMM_MSG_ENCL_INIT:
		ret = do_encl_id(s, r, &e);
		return ret ? ret : epc_encl_init(e);
	case EPCMM_MSG_ENCL_READ:
		return do_encl_access(s, r, out, false);
	case EPCMM_MSG_ENCL_WRITE:
		return do_encl_access(s, r, out, true);
	case EPCMM_MSG_ENCL_DESTROY:
		return do_encl_destroy(s, r);
	case EPCMM_MSG_ENCL_STATS:
		return do_encl_stats(s, r, out);
	case EPCMM_MSG_ENCL_ADD2:
		return do_encl_add(s, r, true);
	case EPCMM_MSG_ENCL_DYNAMIC:
		return do_encl_dynamic(s, r);
	case EPCMM_MSG_ENCL_ACCEPT:
		return do_encl_accept(s, r, out);
	case EPCMM_MSG_ENCL_RESTRICT:
	case EPCMM_MSG_ENCL_MODIFY_TYPES:
	case EPCMM_MSG_ENCL_REMOVE:
		return do_encl_edmm(s, type, r, out);
	case EPCMM_MSG_PAGE_ALLOC:
		return do_page_alloc(s, r, out);
	case EPCMM_MSG_PAGE_FREE:
		return do_page_free(s, r);
	case EPCMM_MSG_CG_READ:
		return do_cg_read(s, r, out);
	case EPCMM_MSG_CG_WRITE:
		return do_cg_write(s, r);
	case EPCMM_MSG_CG_MKDIR:
		return do_cg_dir(s, r, true);
	case EPCMM_MSG_CG_RMDIR:
		return do_cg_dir(s, r, false);
	case EPCMM_MSG_STATUS:
		ret = epcmm_rd_end(r);
		return ret ? ret : live_server_status(s->srv, out);
	case EPCMM_MSG_STATUS_PAGE:
	case EPCMM_MSG_SNAPSHOT: {
		uint64_t item, off;

		if ((ret = epcmm_rd_u64(r, &item)) || (ret = epcmm_rd_u64(r, &off)) ||
		    (ret = epcmm_rd_end(r)))
			return ret;
		return status_page(s->srv, &s->status, type == EPCMM_MSG_SNAPSHOT, item, off, out);
	}
	}
	return -EBADMSG;
}

int live_session_handle(struct live_session *s, const struct epcmm_msg_hdr *h,
			const uint8_t *payload, struct epcmm_msg_hdr *rh, struct epcmm_wr *out)
{
	struct epcmm_rd r = {.p = payload, .left = h->len};
	int ret = epcmm_proto_check_hdr(h, false, 0);

	epcmm_wr_reset(out);
	if (!ret) {
		ret = dispatch(s, h->type, &r, out);
		if (!ret)
			ret = epcmm_wr_err(out);
		/* A reply too big to send (a huge status report) is the request's
		 * failure, not a malformed message: the connection goes on. */
		if (ret == -EMSGSIZE)
			ret = -E2BIG;
	}
	/* the EDMM calls say how far they got whatever their status (proto.h) */
	if (ret && (is_fatal(ret) || !epcmm_msg_reports_progress(h->type)))
		epcmm_wr_reset(out);
	*rh = (struct epcmm_msg_hdr){
		.magic = EPCMM_PROTO_MAGIC,
		.version = EPCMM_PROTO_VERSION,
		.type = (uint16_t)((h->type & ~EPCMM_MSG_REPLY) | EPCMM_MSG_REPLY),
		.len = (uint32_t)out->len,
		.status = ret,
	};
	return is_fatal(ret) ? ret : 0;
}

/* ------------------------------------------------------------ status */

/*
 * The report being written, an item at a time (a line of the text report,
 * or a SNAPSHOT record), into @w: no item length limit. Items are numbered
 * from 0. Those before item @from are counted, not formatted; of item @from,
 * the first @from_off bytes (sent already) are left out. With @page_max, the
 * page holds at most that many bytes: it ends before an item that does not
 * fit in what is left, or, for an item longer than a whole page, inside it;
 * @full is set and @next_item, @next_off say where the next page starts.
 */
struct status_out {
	struct epcmm_wr *w;
	bool records;	      /* SNAPSHOT records, else the text report */
	struct epcmm_wr item; /* the item being written, whole */
	uint64_t nr;	      /* items of the report so far, written or skipped */
	uint64_t from;	      /* the item the page starts at */
	uint64_t from_off;    /* ... and the bytes of it that are not to be sent again */
	size_t page_max;      /* 0: the whole report (bounded by the payload limit) */
	size_t start;	      /* @w->len where this page's text starts */
	bool full;
	uint64_t next_item, next_off;
};

static void status_page_full(struct status_out *so, uint64_t off)
{
	so->full = true;
	so->next_item = so->nr;
	so->next_off = off;
}

static void status_error(struct status_out *so, int err)
{
	if (!so->w->err)
		so->w->err = err;
}

/* Whether the next item is not to be written: the page is full, or the item
 * comes before the page (then it is counted). */
static bool status_skip(struct status_out *so)
{
	if (so->full)
		return true;
	if (so->nr < so->from) {
		so->nr++;
		return true;
	}
	return false;
}

/* so->item into the page, or as much of it as the page has room for. */
static void status_emit(struct status_out *so)
{
	size_t n = so->item.len, skip = 0, len, room = SIZE_MAX, take;
	size_t used = so->w->len - so->start;

	if (so->item.err) {
		status_error(so, so->item.err);
		return;
	}
	if (so->nr == so->from) /* an item that got shorter since: its end */
		skip = so->from_off < (uint64_t)n ? (size_t)so->from_off : n;
	len = n - skip;
	if (so->page_max) {
		room = so->page_max - used;
		/* an item that fits a page of its own waits for the next one */
		if (len > room && used && len <= so->page_max) {
			status_page_full(so, skip);
			return;
		}
	}
	take = len < room ? len : room;
	epcmm_wr_bytes(so->w, so->item.buf + skip, take);
	if (take < len)
		status_page_full(so, skip + take);
	else
		so->nr++;
}

static void status_line(struct status_out *so, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void status_line(struct status_out *so, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	epcmm_wr_reset(&so->item);
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	p = n < 0 ? NULL : epcmm_wr_reserve(&so->item, (size_t)n + 1);
	if (!p) {
		status_error(so, n < 0 ? -EINVAL : so->item.err);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	so->item.len--; /* the NUL */
	status_emit(so);
}

/* A record: its u64 fields @v[0..@n), then @str if not NULL. */
static void status_record(struct status_out *so, enum epcmm_snap_kind kind, const uint64_t *v,
			  int n, const char *str)
{
	uint32_t len;

	epcmm_wr_reset(&so->item);
	epcmm_wr_u32(&so->item, kind);
	epcmm_wr_u32(&so->item, 0); /* the length, below */
	for (int i = 0; i < n; i++)
		epcmm_wr_u64(&so->item, v[i]);
	if (str)
		epcmm_wr_blob(&so->item, str);
	if (!so->item.err && so->item.len - EPCMM_SNAP_REC_HDR > UINT32_MAX)
		so->item.err = -EMSGSIZE;
	if (!so->item.err) {
		len = (uint32_t)(so->item.len - EPCMM_SNAP_REC_HDR);
		memcpy(so->item.buf + sizeof(uint32_t), &len, sizeof(len));
	}
	status_emit(so);
}

static void status_epc(struct status_out *so, const struct epc_stats *st)
{
	uint64_t v[] = {st->nr_total, st->nr_free, st->nr_reclaimable, st->nr_evicted,
			st->nr_reloaded};

	if (status_skip(so))
		return;
	if (so->records)
		status_record(so, EPCMM_SNAP_EPC, v, 5, NULL);
	else
		status_line(so,
			    "epc total %" PRIu64 " free %" PRIu64 " reclaimable %" PRIu64
			    " evicted %" PRIu64 " reloaded %" PRIu64 "\n",
			    v[0], v[1], v[2], v[3], v[4]);
}

static void status_node(struct status_out *so, const struct epc_snapshot_node *ns)
{
	uint64_t v[] = {(uint64_t)ns->node, ns->nr_total, ns->nr_free};

	if (status_skip(so))
		return;
	if (so->records)
		status_record(so, EPCMM_SNAP_NODE, v, 3, NULL);
	else
		status_line(so, "node %d total %" PRIu64 " free %" PRIu64 "\n", (int)ns->node, v[1],
			    v[2]);
}

/*
 * What one status reply shows: the library's snapshot (epc_snapshot_take())
 * and the daemon's own objects beside it, the clients and their enclaves'
 * handles, and the cgroups' names in the file system (the library names
 * them its own way), taken together when the reply starts, so that every page of it
 * numbers the same items and shows the same moment.
 */
struct status_client {
	pid_t pid;
	uint32_t nr_pages;
	int cpu, node;		/* where its requests run (HELLO) */
	size_t cgroup;		/* its task's cgroup in the snapshot */
	size_t first, nr_encls; /* its enclaves, encls[first .. first + nr_encls) */
};

struct status_encl {
	uint64_t handle, size; /* the client's handle, and the size it asked */
	size_t at;	       /* the library's enclave in the snapshot */
};

struct live_status {
	struct epc_snapshot *lib; /* its cgroups are the mount's directories, by name */
	struct status_client *clients;
	struct status_encl *encls;
	size_t nr_clients, nr_encls;
};

/* Cgroup @i's path in the file system, whole (a path has no length limit):
 * malloc'd; NULL without memory (then the reply's error). */
static char *status_path(struct status_out *so, const struct live_status *st, size_t i)
{
	ssize_t n = epc_snapshot_path(st->lib, i, NULL, NULL, 0);
	char *p = n < 0 ? NULL : malloc((size_t)n + 1);

	if (!p || epc_snapshot_path(st->lib, i, NULL, p, (size_t)n + 1) != n) {
		free(p);
		status_error(so, n < 0 ? (int)n : -ENOMEM);
		return NULL;
	}
	return p;
}

/* A path as the text report writes it (escaped): malloc'd; NULL without memory. */
static char *status_shown(struct status_out *so, const char *path)
{
	char *shown = epcmm_path_escape(path);

	if (!shown)
		status_error(so, -ENOMEM);
	return shown;
}

static void status_cgroup(struct status_out *so, const struct live_status *st, size_t i)
{
	const struct epc_snapshot_cgroup *c = EPC_SNAPSHOT_CGROUP(st->lib, i);
	char max[32], *path, *shown;

	if (status_skip(so) || !(path = status_path(so, st, i)))
		return;
	if (so->records) {
		uint64_t v[] = {c->current,    c->peak,	       c->max,	     c->events,
				c->nr_evicted, c->nr_reloaded, c->nr_members};

		status_record(so, EPCMM_SNAP_CGROUP, v, 7, path);
	} else if ((shown = status_shown(so, path))) {
		if (c->max == UINT64_MAX)
			snprintf(max, sizeof(max), "max");
		else
			snprintf(max, sizeof(max), "%" PRIu64, c->max);
		status_line(so,
			    "cgroup %s current %" PRIu64 " peak %" PRIu64 " max %s events %" PRIu64
			    " evicted %" PRIu64 " reloaded %" PRIu64 " procs %" PRIu32 "\n",
			    shown, c->current, c->peak, max, c->events, c->nr_evicted,
			    c->nr_reloaded, c->nr_members);
		free(shown);
	}
	free(path);
}

/* Enclave @e of client @c, @es its counters in the snapshot. */
static void status_encl(struct status_out *so, const struct status_client *c,
			const struct status_encl *e, const struct epc_snapshot_encl *es)
{
	uint64_t v[] = {(uint64_t)c->pid, e->handle,	  e->size,	   es->nr_pages,
			es->nr_resident,  es->nr_evicted, es->nr_reloaded, es->nr_faults};

	if (status_skip(so))
		return;
	if (so->records)
		status_record(so, EPCMM_SNAP_ENCL, v, 8, NULL);
	else
		status_line(so,
			    "encl %d size %" PRIu64 " pages %" PRIu64 " resident %" PRIu64
			    " evicted %" PRIu64 " reloaded %" PRIu64 " id %" PRIu64
			    " faults %" PRIu64 "\n",
			    (int)c->pid, e->size, es->nr_pages, es->nr_resident, es->nr_evicted,
			    es->nr_reloaded, e->handle, es->nr_faults);
}

/* A client's item and its enclaves' items. */
static void status_client(struct status_out *so, const struct live_status *st,
			  const struct status_client *c)
{
	uint64_t v[] = {(uint64_t)c->pid, c->nr_encls, c->nr_pages, (uint64_t)c->cpu,
			(uint64_t)c->node};
	char *path, *shown;

	if (!status_skip(so) && (path = status_path(so, st, c->cgroup))) {
		if (so->records) {
			status_record(so, EPCMM_SNAP_CLIENT, v, 5, path);
		} else if ((shown = status_shown(so, path))) {
			status_line(so, "client %d cgroup %s enclaves %zu pages %u\n", (int)c->pid,
				    shown, c->nr_encls, c->nr_pages);
			free(shown);
		}
		free(path);
	}
	for (size_t i = c->first; i < c->first + c->nr_encls && !so->full; i++)
		status_encl(so, c, &st->encls[i], EPC_SNAPSHOT_ENCL(st->lib, st->encls[i].at));
}

static int status_write(const struct live_status *st, struct status_out *so)
{
	const struct epc_snapshot *lib = st->lib;

	so->item.max = SIZE_MAX; /* an item has no length limit: a page holds a piece */
	if (!so->records && !status_skip(so))
		status_line(so, "epcmm-status 1\n");
	status_epc(so, lib->stats);
	for (size_t n = 0; n < lib->nr_nodes; n++)
		if (EPC_SNAPSHOT_NODE(lib, n)->has_epc)
			status_node(so, EPC_SNAPSHOT_NODE(lib, n));
	/* a cgroup no directory holds (removed: dying, still charged) is not
	 * shown; a directory's parents are directories */
	for (size_t i = 0; i < lib->nr_cgroups && !so->full && !so->w->err; i++)
		if (!EPC_SNAPSHOT_CGROUP(lib, i)->dying)
			status_cgroup(so, st, i);
	for (size_t c = 0; c < st->nr_clients && !so->full && !so->w->err; c++)
		status_client(so, st, &st->clients[c]);
	epcmm_wr_free(&so->item);
	return epcmm_wr_err(so->w);
}

static void status_free(struct live_status *st)
{
	if (!st)
		return;
	epc_snapshot_free(st->lib);
	free(st->clients);
	free(st->encls);
	free(st);
}

/* A snapshot's task or enclave, by its library id (sorted for bsearch). */
struct status_id {
	uint64_t id;
	size_t at;
};

static int status_id_cmp(const void *a, const void *b)
{
	const struct status_id *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* The snapshot's tasks (or @encls, its enclaves) by id. Return: NULL without memory. */
static struct status_id *status_ids(const struct epc_snapshot *lib, bool encls)
{
	size_t nr = encls ? lib->nr_encls : lib->nr_tasks;
	struct status_id *ids = malloc((nr ? nr : 1) * sizeof(*ids));

	if (!ids)
		return NULL;
	for (size_t i = 0; i < nr; i++)
		ids[i] = (struct status_id){
			.id = encls ? EPC_SNAPSHOT_ENCL(lib, i)->id : EPC_SNAPSHOT_TASK(lib, i)->id,
			.at = i,
		};
	qsort(ids, nr, sizeof(*ids), status_id_cmp);
	return ids;
}

static const struct status_id *status_id_find(const struct status_id *ids, size_t nr, uint64_t id)
{
	struct status_id key = {.id = id};

	return bsearch(&key, ids, nr, sizeof(*ids), status_id_cmp);
}

/*
 * Session @s's client and enclaves into @st, with s->lock held: a client by
 * its task's id, an enclave by its library id (the daemon's objects are
 * mapped onto the snapshot's here; the library knows no sessions). What the
 * snapshot does not have (a session or an enclave newer than it, a client
 * moved into a cgroup made while it was taken, or removed since) waits for
 * the next reply.
 * Return: 0; -ENOMEM.
 */
static int status_take_session(struct live_status *st, struct live_session *s,
			       const struct status_id *tasks, const struct status_id *encls)
{
	const struct status_id *t = status_id_find(tasks, st->lib->nr_tasks, epc_task_id(s->task));
	struct status_client *c = &st->clients[st->nr_clients];
	struct status_encl *e;
	int32_t cg = t ? EPC_SNAPSHOT_TASK(st->lib, t->at)->cgroup : -1;

	if (cg < 0 || EPC_SNAPSHOT_CGROUP(st->lib, cg)->dying)
		return 0;
	e = realloc(st->encls, (st->nr_encls + s->nr_encls + 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	st->encls = e;
	*c = (struct status_client){.pid = s->pid,
				    .nr_pages = s->nr_pages,
				    .cpu = s->cpu,
				    .node = s->node,
				    .cgroup = (size_t)cg,
				    .first = st->nr_encls};
	for (uint32_t i = 0; i < s->nr_slots; i++) {
		const struct status_id *at;

		if (s->slots[i].kind != SLOT_ENCL)
			continue;
		at = status_id_find(encls, st->lib->nr_encls, epc_encl_id(s->slots[i].obj));
		if (at)
			st->encls[st->nr_encls++] = (struct status_encl){
				.handle = (uint64_t)s->slots[i].gen << 32 | i,
				.size = s->slots[i].size,
				.at = at->at,
			};
	}
	c->nr_encls = st->nr_encls - c->first;
	st->nr_clients++;
	return 0;
}

static int status_take_sessions(struct live_server *srv, struct live_status *st)
{
	struct status_id *tasks = status_ids(st->lib, false), *encls = status_ids(st->lib, true);
	int ret = tasks && encls ? 0 : -ENOMEM;

	pthread_mutex_lock(&srv->lock);
	if (!ret) {
		st->clients = calloc(srv->nr_sessions + 1, sizeof(*st->clients));
		ret = st->clients ? 0 : -ENOMEM;
	}
	for (struct live_session *s = srv->sessions; s && !ret; s = s->next) {
		pthread_mutex_lock(&s->lock);
		ret = status_take_session(st, s, tasks, encls);
		pthread_mutex_unlock(&s->lock);
	}
	pthread_mutex_unlock(&srv->lock);
	free(tasks);
	free(encls);
	return ret;
}

/* What a reply shows, now. Return: it; NULL without memory. */
static struct live_status *status_take(struct live_server *srv)
{
	struct live_status *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	live_cgfs_reap(srv->cgfs); /* members that exited leave first: procs counts them */
	if (epc_snapshot_take(srv->epc, &st->lib) || status_take_sessions(srv, st)) {
		status_free(st);
		return NULL;
	}
	return st;
}

int live_server_status(struct live_server *srv, struct epcmm_wr *out)
{
	struct status_out so = {.w = out, .start = out->len};
	struct live_status *st = status_take(srv);
	int ret = st ? status_write(st, &so) : -ENOMEM;

	status_free(st);
	return ret;
}

static int status_page(struct live_server *srv, struct live_status **keep, bool records,
		       uint64_t item, uint64_t off, struct epcmm_wr *out)
{
	struct status_out so = {.w = out,
				.records = records,
				.from = item,
				.from_off = off,
				.page_max = EPCMM_STATUS_PAGE_MAX};
	size_t at = out->len;
	int ret;

	if (!item && !off) { /* a reply starts: from the state of now */
		status_free(*keep);
		*keep = NULL;
	}
	if (!*keep && !(*keep = status_take(srv)))
		return -ENOMEM;
	/* where the next page starts: filled in below */
	epcmm_wr_u64(out, 0);
	epcmm_wr_u64(out, 0);
	so.start = out->len;
	ret = status_write(*keep, &so);
	if (!ret) {
		memcpy(out->buf + at, &so.next_item, sizeof(so.next_item));
		memcpy(out->buf + at + 8, &so.next_off, sizeof(so.next_off));
	}
	if (ret || !so.full) { /* the reply's last page, or its end */
		status_free(*keep);
		*keep = NULL;
	}
	return ret;
}

int live_server_status_page(struct live_server *srv, bool records, uint64_t item, uint64_t off,
			    struct epcmm_wr *out)
{
	struct live_status *st = NULL;
	int ret = status_page(srv, &st, records, item, off, out);

	status_free(st);
	return ret;
}
