// SPDX-License-Identifier: MIT
/*
 * cgfs.c - the cgroup v2 filesystem's tree, files and membership (cgfs.h).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgfs.h"
#include "procwatch.h"

#define CGFS_ANCESTRY_MAX 64   /* parents walked to find an inherited cgroup */
#define CGFS_EVENT_BATCH  1024 /* fork and exit events read at a time */
#define CGFS_SYNC_BATCHES 64   /* batches one sync reads at most (its time under @lock) */
#define CGFS_PIDFDS	  512  /* held before forked children go without (fds for clients) */
#define CGFS_LIB_NAME_MAX 64   /* the library's name for a cgroup: ours, sanitized, cut */
#define CGFS_HASH_MIN	  64   /* buckets of each hash table; a power of 2 */
#define CGFS_INO_SHIFT	  5    /* inode numbers per directory: itself and its files */

#define NR_FILES EPC_CGF_NR /* a file's index is its enum epc_cgroup_file */
_Static_assert(NR_FILES + 1 < (1u << CGFS_INO_SHIFT), "a directory's inode numbers overflow");

/* What chmod, chown and touch change; kernfs keeps the same per node. */
struct attr {
	mode_t mode; /* permission bits */
	uid_t uid;
	gid_t gid;
	struct timespec atime, mtime, ctime;
};

struct node {
	char *name;		   /* "" for the root */
	size_t name_len;	   /* its bytes, without the NUL */
	uint64_t id;		   /* never reused; its inode number is derived from it */
	struct node *parent;	   /* NULL for the root */
	struct node *by_name;	   /* the next in its fs->by_name bucket */
	struct node *by_id;	   /* the next in its fs->by_id bucket */
	struct node *first, *last; /* children, in creation order */
	struct node *prev, *next;  /* siblings */
	size_t nr_children;
	struct epc_cgroup *cg; /* the library's cgroup: a reference we hold */
	struct attr attr;      /* the directory's */
	struct timespec born;  /* the files' times until they are set */
	struct attr *files;    /* NULL, or the attributes of its NR_FILES files */
};

/*
 * A member process (cgfs.h, Membership). An entry made from a fork event is
 * trusted from the event stream alone - a pid's events are its own until its
 * exit event (procwatch.h) - and its pidfd, opened after the batch that made
 * it, is @confirmed (the child's, not a later owner's of the pid) once a
 * later read empties the queue with no exit event for it in between.
 */
struct member {
	pid_t pid;	/* a thread group id; the library keeps its cgroup (epc_cgroup_attach()) */
	int pidfd;	/* readable once the process has exited; -1 until opened */
	bool confirmed; /* @pidfd is known to be this process's */
	bool exit_seen; /* its exit event was read, or events were lost: its
			 * pid is its own only while @pidfd says it is alive */
	bool dead;	/* had exited when the current sync began */
};

struct live_cgfs {
	struct epc *epc; /* read-only after init */
	uint64_t seed;	 /* of the name hash; read-only after init */
	uid_t uid;	 /* owner of every node and file until chown; read-only after init */
	gid_t gid;	 /* read-only after init */
	pthread_mutex_t lock;
	/* The fields below are protected by @lock. */
	struct node *root;
	struct node **by_name; /* every node but the root, by (parent, name) */
	struct node **by_id;   /* every node, by id */
	size_t nr_buckets;     /* of each table */
	size_t nr_nodes;       /* the root included */
	uint64_t next_id;
	struct member *members;
	size_t nr_members, cap_members;
	struct procwatch_event *events; /* CGFS_EVENT_BATCH, for reading */
	bool lossy;			/* events lost; no read has been empty since */
	bool degraded;			/* events were ever lost: the walk is a fallback */
	unsigned long nr_losses;
	/* NULL: no fork events, the live-parent walk (cgfs.h); read-only after
	 * init; its reads are serialized by @lock, its thread takes @lock. */
	struct procwatch *pw;
	pthread_mutex_t inval_lock; /* protects @inval and @inval_arg; never under @lock */
	void (*inval)(void *arg, uint64_t parent, const char *name);
	void *inval_arg;
};

static void members_watch_start(struct live_cgfs *fs);

static struct timespec now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

static struct node *node_new(const char *name, size_t len, uid_t uid, gid_t gid)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->name = malloc(len + 1);
	if (!n->name) {
		free(n);
		return NULL;
	}
	memcpy(n->name, name, len);
	n->name[len] = '\0';
	n->name_len = len;
	n->attr = (struct attr){.mode = 0755, .uid = uid, .gid = gid};
	n->born = now();
	n->attr.atime = n->attr.mtime = n->attr.ctime = n->born;
	return n;
}

static void node_free(struct node *n)
{
	free(n->files);
	free(n->name);
	free(n);
}

static size_t id_bucket(uint64_t id, size_t nr_buckets)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 32) & (nr_buckets - 1);
}

/* FNV-1a over the name, seeded (a client cannot aim many names at one
 * bucket without knowing the seed) and mixed with the parent's id. */
static size_t name_bucket(uint64_t seed, const struct node *parent, const char *name, size_t len,
			  size_t nr_buckets)
{
	uint64_t h = seed ^ (parent->id * 0x9e3779b97f4a7c15ull);

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 32;
	return (size_t)h & (nr_buckets - 1);
}

int live_cgfs_create(struct epc *epc, struct live_cgfs **out)
{
	struct live_cgfs *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return -ENOMEM;
	fs->epc = epc;
	if (getrandom(&fs->seed, sizeof(fs->seed), GRND_NONBLOCK) != sizeof(fs->seed))
		fs->seed = (uint64_t)(uintptr_t)fs ^ (uint64_t)now().tv_nsec;
	pthread_mutex_init(&fs->lock, NULL);
	pthread_mutex_init(&fs->inval_lock, NULL);
	fs->nr_buckets = CGFS_HASH_MIN;
	fs->by_name = calloc(fs->nr_buckets, sizeof(*fs->by_name));
	fs->by_id = calloc(fs->nr_buckets, sizeof(*fs->by_id));
	fs->uid = getuid();
	fs->gid = getgid();
	fs->root = node_new("", 0, fs->uid, fs->gid);
	if (!fs->by_name || !fs->by_id || !fs->root) {
		free(fs->by_name);
		free(fs->by_id);
		if (fs->root)
			node_free(fs->root);
		pthread_mutex_destroy(&fs->inval_lock);
		pthread_mutex_destroy(&fs->lock);
		free(fs);
		return -ENOMEM;
	}
	fs->root->cg = epc_cgroup_root(epc); /* the root is not counted */
	fs->root->id = fs->next_id++;
	fs->by_id[id_bucket(fs->root->id, fs->nr_buckets)] = fs->root;
	fs->nr_nodes = 1;
	members_watch_start(fs);
	*out = fs;
	return 0;
}

void live_cgfs_destroy(struct live_cgfs *fs)
{
	if (!fs)
		return;
	procwatch_close(fs->pw); /* its thread first: it takes fs->lock */
	free(fs->events);
	for (size_t b = 0; b < fs->nr_buckets; b++)
		for (struct node *n = fs->by_id[b], *next; n; n = next) {
			next = n->by_id;
			epc_cgroup_put(n->cg);
			node_free(n);
		}
	for (size_t i = 0; i < fs->nr_members; i++) {
		if (fs->members[i].pidfd >= 0)
			close(fs->members[i].pidfd);
		epc_member_forget(fs->epc, (uint64_t)fs->members[i].pid);
	}
	free(fs->by_name);
	free(fs->by_id);
	free(fs->members);
	pthread_mutex_destroy(&fs->inval_lock);
	pthread_mutex_destroy(&fs->lock);
	free(fs);
}

void live_cgfs_set_inval(struct live_cgfs *fs,
			 void (*fn)(void *arg, uint64_t parent, const char *name), void *arg)
{
	pthread_mutex_lock(&fs->inval_lock);
	fs->inval = fn;
	fs->inval_arg = arg;
	pthread_mutex_unlock(&fs->inval_lock);
}

/* ------------------------------------------------------------ the tree */

static uint64_t dir_ino(const struct node *n)
{
	return (n->id << CGFS_INO_SHIFT) + 1;
}

static uint64_t file_ino(const struct node *n, int file)
{
	return dir_ino(n) + 1 + (uint64_t)file;
}

static struct node *child_find_locked(struct live_cgfs *fs, const struct node *parent,
				      const char *name, size_t len)
{
	struct node *n = fs->by_name[name_bucket(fs->seed, parent, name, len, fs->nr_buckets)];

	for (; n; n = n->by_name)
		if (n->parent == parent && n->name_len == len && !memcmp(n->name, name, len))
			return n;
	return NULL;
}

static struct node *node_by_id_locked(struct live_cgfs *fs, uint64_t id)
{
	struct node *n = fs->by_id[id_bucket(id, fs->nr_buckets)];

	while (n && n->id != id)
		n = n->by_id;
	return n;
}

/* Double the tables when they hold as many nodes as they have buckets; a
 * failed allocation leaves them as they were (longer chains, still right). */
static void hash_grow_locked(struct live_cgfs *fs)
{
	size_t nr = fs->nr_buckets * 2;
	struct node **by_name, **by_id;

	if (fs->nr_nodes < fs->nr_buckets || nr < fs->nr_buckets)
		return;
	by_name = calloc(nr, sizeof(*by_name));
	by_id = calloc(nr, sizeof(*by_id));
	if (!by_name || !by_id) {
		free(by_name);
		free(by_id);
		return;
	}
	for (size_t b = 0; b < fs->nr_buckets; b++)
		for (struct node *n = fs->by_id[b], *next; n; n = next) {
			size_t i = id_bucket(n->id, nr);

			next = n->by_id;
			n->by_id = by_id[i];
			by_id[i] = n;
			if (n->parent) {
				i = name_bucket(fs->seed, n->parent, n->name, n->name_len, nr);
				n->by_name = by_name[i];
				by_name[i] = n;
			}
		}
	free(fs->by_id);
	free(fs->by_name);
	fs->by_id = by_id;
	fs->by_name = by_name;
	fs->nr_buckets = nr;
}

static void node_link_locked(struct live_cgfs *fs, struct node *parent, struct node *n)
{
	size_t i;

	n->id = fs->next_id++;
	n->parent = parent;
	n->prev = parent->last;
	if (parent->last)
		parent->last->next = n;
	else
		parent->first = n;
	parent->last = n;
	parent->nr_children++;
	i = name_bucket(fs->seed, parent, n->name, n->name_len, fs->nr_buckets);
	n->by_name = fs->by_name[i];
	fs->by_name[i] = n;
	i = id_bucket(n->id, fs->nr_buckets);
	n->by_id = fs->by_id[i];
	fs->by_id[i] = n;
	fs->nr_nodes++;
	hash_grow_locked(fs);
}

static void node_unlink_locked(struct live_cgfs *fs, struct node *n)
{
	struct node *p = n->parent, **pp;

	for (pp = &fs->by_name[name_bucket(fs->seed, p, n->name, n->name_len, fs->nr_buckets)];
	     *pp != n; pp = &(*pp)->by_name)
		;
	*pp = n->by_name;
	for (pp = &fs->by_id[id_bucket(n->id, fs->nr_buckets)]; *pp != n; pp = &(*pp)->by_id)
		;
	*pp = n->by_id;
	if (n->prev)
		n->prev->next = n->next;
	else
		p->first = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		p->last = n->prev;
	p->nr_children--;
	fs->nr_nodes--;
}

/* The directory @path[0..@len) names: "/" or "/a/b" (no empty component).
 * One hash probe per component. NULL when there is none. */
static struct node *walk_locked(struct live_cgfs *fs, const char *path, size_t len)
{
	struct node *n = fs->root;
	size_t i = 0;

	if (len == 0 || path[0] != '/')
		return NULL;
	if (len == 1)
		return n;
	while (i < len && n) {
		size_t start = ++i;

		while (i < len && path[i] != '/')
			i++;
		if (i == start)
			return NULL;
		n = child_find_locked(fs, n, path + start, i - start);
	}
	return n;
}

static struct node *node_find_locked(struct live_cgfs *fs, const char *path)
{
	return walk_locked(fs, path, strlen(path));
}

/* @n's path ("/", "/a/b"), malloc'ed. */
static char *node_path(const struct node *n)
{
	size_t len = 0;
	char *path, *s;

	for (const struct node *p = n; p->parent; p = p->parent)
		len += 1 + p->name_len;
	path = malloc(len ? len + 1 : 2);
	if (!path)
		return NULL;
	if (!len)
		return strcpy(path, "/");
	s = path + len;
	*s = '\0';
	for (const struct node *p = n; p->parent; p = p->parent) {
		s -= p->name_len;
		memcpy(s, p->name, p->name_len);
		*--s = '/';
	}
	return path;
}

/* ------------------------------------------------------------ members */

static bool pidfd_exited(int pidfd)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	return poll(&p, 1, 0) > 0;
}

/* Forget member @i: its pid leaves its cgroup, in the library too. */
static void member_drop_locked(struct live_cgfs *fs, size_t i)
{
	if (fs->members[i].pidfd >= 0)
		close(fs->members[i].pidfd);
	epc_member_forget(fs->epc, (uint64_t)fs->members[i].pid);
	fs->members[i] = fs->members[--fs->nr_members];
}

static struct member *member_find_locked(struct live_cgfs *fs, pid_t pid)
{
	for (size_t i = 0; i < fs->nr_members; i++)
		if (fs->members[i].pid == pid)
			return &fs->members[i];
	return NULL;
}

/* Append @m (its pidfd taken over) as a member of @cg, in the library too.
 * Return: 0; -ENOMEM (the pidfd closed, nothing changed). */
static int member_append_locked(struct live_cgfs *fs, struct member m, struct epc_cgroup *cg)
{
	int ret = 0;

	if (fs->nr_members == fs->cap_members) {
		size_t cap = fs->cap_members ? 2 * fs->cap_members : 16;
		struct member *nm = realloc(fs->members, cap * sizeof(*nm));

		if (nm) {
			fs->members = nm;
			fs->cap_members = cap;
		}
		ret = nm ? 0 : -ENOMEM;
	}
	if (!ret)
		ret = epc_cgroup_attach(cg, (uint64_t)m.pid);
	if (ret) {
		if (m.pidfd >= 0)
			close(m.pidfd);
		return ret;
	}
	fs->members[fs->nr_members++] = m;
	return 0;
}

/*
 * Put @pid in @cg (the root removes it). @pidfd (taken over) must have been
 * opened before the sync (members_reap_locked()) that preceded this call: if
 * it is still alive now, the process held @pid all through that sync, so the
 * events read after it are its own. One that exited meanwhile joins nothing,
 * as the kernel skips an exiting task. A member moves in one library call
 * (its following tasks never see it in the root meanwhile).
 * Return: 0; -ENOMEM; the library's errors (-ENODEV @cg was removed).
 */
static int member_set_locked(struct live_cgfs *fs, pid_t pid, int pidfd, struct epc_cgroup *cg)
{
	struct member *m = member_find_locked(fs, pid);
	bool to_root = cg == epc_cgroup_root(fs->epc);
	int ret;

	if (pidfd_exited(pidfd) || (to_root && !m)) {
		close(pidfd);
		if (m)
			member_drop_locked(fs, (size_t)(m - fs->members));
		return 0;
	}
	if (!m)
		return member_append_locked(
			fs, (struct member){.pid = pid, .pidfd = pidfd, .confirmed = true}, cg);
	ret = epc_cgroup_attach(cg, (uint64_t)pid);
	if (ret || to_root) {
		close(pidfd);
		if (to_root)
			member_drop_locked(fs, (size_t)(m - fs->members));
		return ret;
	}
	/* the pidfd opened before this sync replaces the entry's */
	if (m->pidfd >= 0)
		close(m->pidfd);
	*m = (struct member){.pid = pid, .pidfd = pidfd, .confirmed = true};
	return 0;
}

/* Events were lost, so any exit event may be missing: no member's pid is
 * trusted to be its own unless its pidfd says it is alive, an entry without
 * a confirmed pidfd is dropped, and the walk becomes a fallback for good. */
static void members_lost_locked(struct live_cgfs *fs)
{
	for (size_t i = 0; i < fs->nr_members;)
		if (!fs->members[i].confirmed) {
			member_drop_locked(fs, i);
		} else {
			fs->members[i].exit_seen = true;
			i++;
		}
	fs->lossy = true;
	fs->degraded = true;
	fs->nr_losses++;
	if (!(fs->nr_losses & (fs->nr_losses - 1))) /* logged at 1, 2, 4, 8... */
		fprintf(stderr,
			"epcmm daemon: cgroup membership: fork/exit events lost (%lu time(s)); a "
			"client in no cgroup now also joins its nearest live ancestor's when it "
			"connects\n",
			fs->nr_losses);
}

/* Event: @parent forked @child. A member's child is a member of its cgroup
 * from then on. Return: 0; -ENOMEM. */
static int member_forked_locked(struct live_cgfs *fs, pid_t parent, pid_t child)
{
	struct member *m = member_find_locked(fs, child);
	struct epc_cgroup *cg = NULL;
	int ret;

	if (m) /* the pid's previous owner, gone: its entry is stale */
		member_drop_locked(fs, (size_t)(m - fs->members));
	m = member_find_locked(fs, parent);
	if (!m)
		return 0;
	/* After the parent's exit event its pid may be another process's:
	 * its forks count only while its pidfd says it is still alive (it
	 * then held the pid all along). This costs the fork of a process
	 * whose leader exited before its other threads, read after they all
	 * did too. */
	if (m->exit_seen && (!m->confirmed || pidfd_exited(m->pidfd)))
		return 0;
	ret = epc_member_cgroup(fs->epc, (uint64_t)parent, &cg);
	if (!ret)
		ret = member_append_locked(fs, (struct member){.pid = child, .pidfd = -1}, cg);
	epc_cgroup_put(cg);
	return ret;
}

/* Event: @pid's leader exited. An unconfirmed entry goes (a pidfd opened
 * around now may be a later owner's); a confirmed one is dropped by the
 * sync that finds its pidfd readable. */
static void member_exited_locked(struct live_cgfs *fs, pid_t pid)
{
	struct member *m = member_find_locked(fs, pid);

	if (m && !m->confirmed)
		member_drop_locked(fs, (size_t)(m - fs->members));
	else if (m)
		m->exit_seen = true;
}

static int open_pidfd(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : fd;
}

/* After a read that emptied the queue: the pidfds opened before it are
 * confirmed (no exit event came first); then new entries get theirs, up to
 * CGFS_PIDFDS. One without stays tracked by its events alone (and is
 * dropped if events are lost). */
static void members_confirm_locked(struct live_cgfs *fs)
{
	size_t nr_fds = 0;

	for (size_t i = 0; i < fs->nr_members; i++)
		nr_fds += fs->members[i].pidfd >= 0;
	for (size_t i = 0; i < fs->nr_members; i++) {
		struct member *m = &fs->members[i];

		if (m->pidfd >= 0)
			m->confirmed = true;
		else if (nr_fds < CGFS_PIDFDS && (m->pidfd = open_pidfd(m->pid)) >= 0)
			nr_fds++;
	}
}

/* Read and apply the queued events. Return: true if the queue was read
 * empty. */
static bool members_read_events_locked(struct live_cgfs *fs)
{
	bool empty = false, lost;

	for (int b = 0; b < CGFS_SYNC_BATCHES && !empty; b++) {
		size_t n = procwatch_read(fs->pw, fs->events, CGFS_EVENT_BATCH, &lost, &empty);

		if (lost)
			members_lost_locked(fs);
		for (size_t i = 0; i < n; i++) {
			const struct procwatch_event *ev = &fs->events[i];

			if (ev->what == PROCWATCH_EXIT)
				member_exited_locked(fs, ev->pid);
			else if (!fs->lossy && member_forked_locked(fs, ev->parent, ev->pid))
				members_lost_locked(fs); /* -ENOMEM: a child not recorded */
		}
		/* Once read empty, the lost events lie behind us: the gap of an
		 * overflow is before the read that reported it. */
		if (empty)
			fs->lossy = false;
	}
	return empty;
}

/*
 * members_reap_locked() - bring membership up to date before an answer that
 * depends on it: apply the fork and exit events queued so far, then drop the
 * members that had exited before (their last forks are among those events).
 * Return: true when the map is exact (cgfs.h): fork events are read, the
 * queue was read empty, and none were ever lost.
 */
static bool members_reap_locked(struct live_cgfs *fs)
{
	bool empty;

	if (!fs->pw) {
		for (size_t i = 0; i < fs->nr_members;)
			if (pidfd_exited(fs->members[i].pidfd))
				member_drop_locked(fs, i);
			else
				i++;
		return false;
	}
	for (size_t i = 0; i < fs->nr_members; i++)
		fs->members[i].dead =
			fs->members[i].confirmed && pidfd_exited(fs->members[i].pidfd);
	empty = members_read_events_locked(fs);
	if (!empty)
		return false; /* the rest at the next sync, the dead included */
	members_confirm_locked(fs);
	for (size_t i = 0; i < fs->nr_members;)
		if (fs->members[i].dead)
			member_drop_locked(fs, i);
		else
			i++;
	return !fs->degraded;
}

/* The thread of fs->pw: events are waiting. */
static void members_kick(void *arg)
{
	struct live_cgfs *fs = arg;

	pthread_mutex_lock(&fs->lock);
	members_reap_locked(fs);
	pthread_mutex_unlock(&fs->lock);
}

static void members_watch_start(struct live_cgfs *fs)
{
	const char *why = NULL;
	int ret = procwatch_open(&fs->pw, &why);

	if (!ret) {
		fs->events = calloc(CGFS_EVENT_BATCH, sizeof(*fs->events));
		ret = fs->events ? procwatch_start(fs->pw, members_kick, fs) : -ENOMEM;
		if (ret) {
			why = "cannot start its thread";
			procwatch_close(fs->pw);
			fs->pw = NULL;
		}
	}
	if (fs->pw)
		fprintf(stderr, "epcmm daemon: cgroup membership follows fork events (the proc "
				"connector): a member's child is a member from its fork on\n");
	else
		fprintf(stderr,
			"epcmm daemon: cgroup membership: no fork events (%s: %s); a client in no "
			"cgroup joins its nearest live ancestor's when it connects\n",
			why, strerror(-ret));
}

bool live_cgfs_follows_forks(struct live_cgfs *fs)
{
	return fs->pw != NULL;
}

/* A field of /proc/@pid/status ("Tgid:", "PPid:"). Return: 0; -ESRCH; the
 * errors of opening it (-EMFILE, -ENFILE, -ENOMEM, ...). */
static int proc_status_field(pid_t pid, const char *field, long *val)
{
	char name[64], line[256];
	size_t n = strlen(field);
	FILE *f;
	int ret = -ESRCH;

	snprintf(name, sizeof(name), "/proc/%d/status", (int)pid);
	f = fopen(name, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno; /* -EMFILE: out of descriptors */
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n)) {
			*val = strtol(line + n, NULL, 10);
			ret = 0;
			break;
		}
	fclose(f);
	return ret;
}

/* The fallback (cgfs.h): the cgroup of @pid's nearest live ancestor that is
 * a member, into *@cg (a reference). Return: true if there is one, with a
 * confirmed pidfd still alive after the walk, so the parent link read was
 * to it and not to a later owner of its pid. */
static bool ancestor_cgroup_locked(struct live_cgfs *fs, pid_t pid, struct epc_cgroup **cg)
{
	pid_t p = pid;
	long ppid;

	for (int i = 0; i < CGFS_ANCESTRY_MAX; i++) {
		struct member *m;

		if (proc_status_field(p, "PPid:", &ppid) || ppid <= 1)
			return false;
		p = (pid_t)ppid;
		m = member_find_locked(fs, p);
		if (m) {
			if (!m->confirmed || pidfd_exited(m->pidfd))
				return false;
			return !epc_member_cgroup(fs->epc, (uint64_t)p, cg);
		}
	}
	return false;
}

int live_cgfs_adopt(struct live_cgfs *fs, pid_t pid)
{
	struct epc_cgroup *cg = NULL;
	struct member *m;
	int pidfd, ret = 0;
	bool exact;

	pthread_mutex_lock(&fs->lock);
	pidfd = open_pidfd(pid); /* before the sync: member_set_locked() */
	if (pidfd < 0)
		goto out_unlock; /* gone already: nothing to charge */
	exact = members_reap_locked(fs);
	m = member_find_locked(fs, pid);
	if (m && m->confirmed && pidfd_exited(m->pidfd)) {
		member_drop_locked(fs, (size_t)(m - fs->members)); /* a previous owner's */
		m = NULL;
	}
	/* With exact fork events, @pid's own decided: a member, or in none. */
	if (m || exact || !ancestor_cgroup_locked(fs, pid, &cg)) {
		close(pidfd);
		goto out_unlock;
	}
	ret = member_set_locked(fs, pid, pidfd, cg);
	epc_cgroup_put(cg);
out_unlock:
	pthread_mutex_unlock(&fs->lock);
	return ret;
}

/* The directory of library cgroup @cg; NULL for one no directory holds. */
static struct node *node_of_cg_locked(struct live_cgfs *fs, const struct epc_cgroup *cg)
{
	for (size_t b = 0; b < fs->nr_buckets; b++)
		for (struct node *n = fs->by_id[b]; n; n = n->by_id)
			if (n->cg == cg)
				return n;
	return NULL;
}

void live_cgfs_pid_path(struct live_cgfs *fs, pid_t pid, char *buf, size_t len)
{
	struct epc_cgroup *cg = NULL;
	struct node *n = NULL;
	char *path = NULL;

	pthread_mutex_lock(&fs->lock);
	if (pid > 0 && !epc_member_cgroup(fs->epc, (uint64_t)pid, &cg))
		n = node_of_cg_locked(fs, cg);
	path = n ? node_path(n) : NULL;
	pthread_mutex_unlock(&fs->lock);
	epc_cgroup_put(cg);
	snprintf(buf, len, "%s", path ? path : "/");
	free(path);
}

/* ------------------------------------------------------------ files */

/* A file's entry in the library's table (epcmm.h, EPC_CGROUP_FILES). */
static const struct epc_cftype *file_type(int file)
{
	return epc_cgroup_file_type((enum epc_cgroup_file)file);
}

static enum live_cgfs_kind file_kind(int file)
{
	if (file < 0 || file >= (int)NR_FILES)
		return LIVE_CGFS_DIR;
	return file_type(file)->mode & 0222 ? LIVE_CGFS_FILE_RW : LIVE_CGFS_FILE_RO;
}

/* The index of @n's file @name (NUL-terminated), or -1 when it has none. */
static int file_find(const struct node *n, const char *name)
{
	enum epc_cgroup_file f;

	return epc_cgroup_file_lookup(n->cg, name, &f) ? -1 : (int)f;
}

static bool file_exists(const struct node *n, int file)
{
	return file >= 0 && file < (int)NR_FILES && file_find(n, file_type(file)->name) == file;
}

/* A directory, or one file of it. */
struct target {
	struct node *n;
	int file; /* the file's index; -1: the directory itself */
};

/* Return: 0; -ENOENT. */
static int target_by_path_locked(struct live_cgfs *fs, const char *path, struct target *t)
{
	const char *slash = strrchr(path, '/');
	struct node *dir;

	t->file = -1;
	t->n = node_find_locked(fs, path);
	if (t->n)
		return 0;
	if (!slash || !slash[1])
		return -ENOENT;
	dir = walk_locked(fs, path, slash == path ? 1 : (size_t)(slash - path));
	if (!dir)
		return -ENOENT;
	t->n = dir;
	t->file = file_find(dir, slash + 1);
	return t->file < 0 ? -ENOENT : 0;
}

/* Return: 0; -ENOENT. */
static int target_by_ino_locked(struct live_cgfs *fs, uint64_t ino, struct target *t)
{
	uint64_t slot = (ino - 1) & ((1u << CGFS_INO_SHIFT) - 1);

	if (ino == 0)
		return -ENOENT;
	t->n = node_by_id_locked(fs, (ino - 1) >> CGFS_INO_SHIFT);
	t->file = (int)slot - 1;
	if (!t->n || (t->file >= 0 && !file_exists(t->n, t->file)))
		return -ENOENT;
	return 0;
}

static struct attr file_attr_default(const struct live_cgfs *fs, const struct node *n, int file)
{
	return (struct attr){
		.mode = file_type(file)->mode,
		.uid = fs->uid,
		.gid = fs->gid,
		.atime = n->born,
		.mtime = n->born,
		.ctime = n->born,
	};
}

static struct attr target_attr(const struct live_cgfs *fs, const struct target *t)
{
	if (t->file < 0)
		return t->n->attr;
	return t->n->files ? t->n->files[t->file] : file_attr_default(fs, t->n, t->file);
}

static void getattr_locked(struct live_cgfs *fs, const struct target *t, struct live_cgfs_attr *out)
{
	struct attr a = target_attr(fs, t);

	*out = (struct live_cgfs_attr){
		.ino = t->file < 0 ? dir_ino(t->n) : file_ino(t->n, t->file),
		.kind = t->file < 0 ? LIVE_CGFS_DIR : file_kind(t->file),
		.mode = a.mode,
		.uid = a.uid,
		.gid = a.gid,
		.nlink = t->file < 0 ? 2 + (unsigned)t->n->nr_children : 1,
		.atime = a.atime,
		.mtime = a.mtime,
		.ctime = a.ctime,
	};
}

/* Return: 0; -ENOMEM. */
static int setattr_locked(struct live_cgfs *fs, const struct target *t, unsigned what,
			  const struct live_cgfs_attr *in)
{
	struct attr *a = &t->n->attr;

	if (t->file >= 0) {
		if (!t->n->files) {
			t->n->files = calloc(NR_FILES, sizeof(*t->n->files));
			if (!t->n->files)
				return -ENOMEM;
			for (int i = 0; i < (int)NR_FILES; i++)
				t->n->files[i] = file_attr_default(fs, t->n, i);
		}
		a = &t->n->files[t->file];
	}
	if (what & LIVE_CGFS_SET_MODE)
		a->mode = in->mode & 07777;
	if (what & LIVE_CGFS_SET_UID)
		a->uid = in->uid;
	if (what & LIVE_CGFS_SET_GID)
		a->gid = in->gid;
	if (what & LIVE_CGFS_SET_ATIME)
		a->atime = in->atime;
	if (what & LIVE_CGFS_SET_MTIME)
		a->mtime = in->mtime;
	a->ctime = now();
	return 0;
}

/* As kernfs opens a cgroup file: the mode's bits count even for root, and
 * a file without a write method refuses writing whatever its mode.
 * Return: 0; -EISDIR; -EACCES. */
static int open_check(const struct live_cgfs *fs, const struct target *t, bool read, bool write)
{
	struct attr a;

	if (t->file < 0)
		return -EISDIR;
	a = target_attr(fs, t);
	if (write && (!(a.mode & 0222) || file_kind(t->file) != LIVE_CGFS_FILE_RW))
		return -EACCES;
	if (read && !(a.mode & 0444))
		return -EACCES;
	return 0;
}

int live_cgfs_getattr(struct live_cgfs *fs, const char *path, struct live_cgfs_attr *out)
{
	struct target t;
	int ret;

	pthread_mutex_lock(&fs->lock);
	ret = target_by_path_locked(fs, path, &t);
	if (!ret)
		getattr_locked(fs, &t, out);
	pthread_mutex_unlock(&fs->lock);
	return ret;
}

int live_cgfs_ino_getattr(struct live_cgfs *fs, uint64_t ino, struct live_cgfs_attr *out)
{
	struct target t;
	int ret;

	pthread_mutex_lock(&fs->lock);
	ret = target_by_ino_locked(fs, ino, &t);
	if (!ret)
		getattr_locked(fs, &t, out);
	pthread_mutex_unlock(&fs->lock);
	return ret;
}

int live_cgfs_stat(struct live_cgfs *fs, const char *path, enum live_cgfs_kind *kind)
{
	struct live_cgfs_attr a;
	int ret = live_cgfs_getattr(fs, path, &a);

	if (!ret)
		*kind = a.kind;
	return ret;
}

int live_cgfs_setattr(struct live_cgfs *fs, const char *path, unsigned what,
		      const struct live_cgfs_attr *in, struct live_cgfs_attr *out)
{
	struct target t;
	int ret;

	pthread_mutex_lock(&fs->lock);
	ret = target_by_path_locked(fs, path, &t);
	if (!ret)
		ret = setattr_locked(fs, &t, what, in);
	if (!ret && out)
		getattr_locked(fs, &t, out);
	pthread_mutex_unlock(&fs->lock);
	return ret;
}

int live_cgfs_ino_setattr(struct live_cgfs *fs, uint64_t ino, unsigned what,
			  const struct live_cgfs_attr *in, struct live_cgfs_attr *out)
{
	struct target t;
	int ret;

	pthread_mutex_lock(&fs->lock);
	ret = target_by_ino_locked(fs, ino, &t);
	if (!ret)
		ret = setattr_locked(fs, &t, what, in);
	if (!ret && out)
		getattr_locked(fs, &t, out);
	pthread_mutex_unlock(&fs->lock);
	return ret;
}

int live_cgfs_ino_lookup(struct live_cgfs *fs, uint64_t parent, const char *name,
			 struct live_cgfs_attr *out)
{
	size_t len = strlen(name);
	struct target t;
	int ret;

	pthread_mutex_lock(&fs->lock);
	ret = target_by_ino_locked(fs, parent, &t);
	if (!ret && t.file >= 0)
		ret = -ENOTDIR;
	if (!ret) {
		struct node *c = child_find_locked(fs, t.n, name, len);

		if (!strcmp(name, "."))
			c = t.n;
		else if (!strcmp(name, ".."))
			c = t.n->parent ? t.n->parent : t.n;
		t.file = c ? -1 : file_find(t.n, name);
		t.n = c ? c : t.n;
		ret = t.file == -1 && !c ? -ENOENT : 0;
	}
	if (!ret)
		getattr_locked(fs, &t, out);
	pthread_mutex_unlock(&fs->lock);
	return ret;
}

int live_cgfs_ino_open(struct live_cgfs *fs, uint64_t ino, bool read, bool write)
{
	struct target t;
	int ret;

	pthread_mutex_lock(&fs->lock);
	ret = target_by_ino_locked(fs, ino, &t);
	if (!ret)
		ret = open_check(fs, &t, read, write);
	pthread_mutex_unlock(&fs->lock);
	return ret;
}

/* ------------------------------------------------------------ mkdir, rmdir */

/* The library's path of @n ("/", "/a/b"), malloc'ed. */
static char *lib_path(struct epc_cgroup *cg)
{
	size_t cap = 256;

	for (;;) {
		char *buf = malloc(cap);
		ssize_t n;

		if (!buf)
			return NULL;
		n = epc_cgroup_path(cg, buf, cap);
		if (n >= 0)
			return buf;
		free(buf);
		if (n != -ENOSPC || cap > SIZE_MAX / 2)
			return NULL;
		cap *= 2;
	}
}

/* A byte the library takes in a name (epc_cgroup_create()). */
static bool lib_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

/*
 * The library's cgroup for @n, a new child of @parent: named after @n with
 * every byte the library refuses made '_', cut to CGFS_LIB_NAME_MAX, and
 * "-2", "-3", ... added while a sibling has the name. Only live children of
 * @parent's library cgroup, which are @parent's nodes, can hold a name, so
 * one of the first nr_children + 1 names is free.
 * Return: 0; -ENOMEM; the library's errors.
 */
static int lib_create_locked(struct live_cgfs *fs, struct node *parent, struct node *n)
{
	char base[CGFS_LIB_NAME_MAX + 1];
	size_t len = n->name_len < CGFS_LIB_NAME_MAX ? n->name_len : CGFS_LIB_NAME_MAX;
	char *ppath = lib_path(parent->cg), *path;
	int ret = -EEXIST;

	if (!ppath)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++)
		base[i] = lib_name_char(n->name[i]) ? n->name[i] : '_';
	base[len] = '\0';
	path = malloc(strlen(ppath) + len + 32);
	for (size_t k = 1; path && ret == -EEXIST && k <= parent->nr_children + 1; k++) {
		int w = sprintf(path, "%s/%s", parent->parent ? ppath : "", base);

		if (k > 1)
			sprintf(path + w, "-%zu", k);
		ret = epc_cgroup_create(fs->epc, path, &n->cg);
	}
	if (!path)
		ret = -ENOMEM;
	free(path);
	free(ppath);
	return ret;
}

/* mkdir @name[0..@len) in @parent. Return: as live_cgfs_mkdir(). */
static int mkdir_locked(struct live_cgfs *fs, struct node *parent, const char *name, size_t len,
			mode_t mode, struct live_cgfs_attr *out)
{
	struct node *n;
	int ret;

	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return -EEXIST;
	if (child_find_locked(fs, parent, name, len) || file_find(parent, name) >= 0)
		return -EEXIST;
	if (len == 0 || memchr(name, '\n', len) || memchr(name, '/', len))
		return -EINVAL; /* the kernel refuses '\n' (cgroup_mkdir()) */
	if (len > LIVE_CGFS_NAME_MAX)
		return -ENAMETOOLONG;
	n = node_new(name, len, fs->uid, fs->gid);
	if (!n)
		return -ENOMEM;
	n->attr.mode = mode & 07777;
	ret = lib_create_locked(fs, parent, n); /* the reference our node holds */
	if (ret) {
		node_free(n);
		return ret;
	}
	node_link_locked(fs, parent, n);
	if (out)
		getattr_locked(fs, &(struct target){.n = n, .file = -1}, out);
	return 0;
}

/* rmdir @n. Return: 0; -EBUSY the root, children or members; -ENOMEM; the
 * library's errors. */
static int rmdir_locked(struct live_cgfs *fs, struct node *n)
{
	int ret;

	if (!n->parent || n->first)
		return -EBUSY;
	members_reap_locked(fs);
	ret = epc_cgroup_remove(n->cg); /* -EBUSY: member processes */
	if (ret)
		return ret;
	epc_cgroup_put(n->cg);
	node_unlink_locked(fs, n);
	node_free(n);
	return 0;
}

int live_cgfs_mkdir(struct live_cgfs *fs, const char *path)
{
	const char *slash = strrchr(path, '/');
	struct node *parent;
	int ret;

	if (!slash)
		return -EINVAL;
	pthread_mutex_lock(&fs->lock);
	parent = walk_locked(fs, path, slash == path ? 1 : (size_t)(slash - path));
	ret = parent ? mkdir_locked(fs, parent, slash + 1, strlen(slash + 1), 0755, NULL) : -ENOENT;
	pthread_mutex_unlock(&fs->lock);
	return ret;
}

int live_cgfs_ino_mkdir(struct live_cgfs *fs, uint64_t parent, const char *name, mode_t mode,
			struct live_cgfs_attr *out)
{
	struct target t;
	int ret;

	pthread_mutex_lock(&fs->lock);
	ret = target_by_ino_locked(fs, parent, &t);
	if (!ret && t.file >= 0)
		ret = -ENOTDIR;
	if (!ret)
		ret = mkdir_locked(fs, t.n, name, strlen(name), mode, out);
	pthread_mutex_unlock(&fs->lock);
	return ret;
}

int live_cgfs_rmdir(struct live_cgfs *fs, const char *path)
{
	uint64_t parent = 0;
	struct target t;
	char *name = NULL;
	int ret;

	pthread_mutex_lock(&fs->lock);
	ret = target_by_path_locked(fs, path, &t);
	if (!ret && t.file >= 0)
		ret = -ENOTDIR;
	if (!ret && t.n->parent) {
		parent = dir_ino(t.n->parent);
		name = strdup(t.n->name); /* NULL: no invalidation, as without a mount */
	}
	if (!ret)
		ret = rmdir_locked(fs, t.n);
	pthread_mutex_unlock(&fs->lock);
	if (!ret && name) {
		/* the mount's kernel may have cached the name: make it forget */
		pthread_mutex_lock(&fs->inval_lock);
		if (fs->inval)
			fs->inval(fs->inval_arg, parent, name);
		pthread_mutex_unlock(&fs->inval_lock);
	}
	free(name);
	return ret;
}

int live_cgfs_ino_rmdir(struct live_cgfs *fs, uint64_t parent, const char *name)
{
	struct target t;
	struct node *c;
	int ret;

	pthread_mutex_lock(&fs->lock);
	ret = target_by_ino_locked(fs, parent, &t);
	if (!ret && t.file >= 0)
		ret = -ENOTDIR;
	if (!ret) {
		c = child_find_locked(fs, t.n, name, strlen(name));
		if (c)
			ret = rmdir_locked(fs, c);
		else
			ret = file_find(t.n, name) >= 0 ? -ENOTDIR : -ENOENT;
	}
	pthread_mutex_unlock(&fs->lock);
	return ret;
}

/* ------------------------------------------------------------ readdir */

struct dir_list {
	char **names;
	uint64_t *inos;
	bool *dirs;
	size_t nr;
};

static void dir_list_free(struct dir_list *l)
{
	for (size_t i = 0; i < l->nr; i++)
		free(l->names[i]);
	free(l->names);
	free(l->inos);
	free(l->dirs);
}

/* @n's children, in creation order, then its files. Return: 0; -ENOMEM. */
static int dir_list_locked(struct node *n, struct dir_list *l)
{
	size_t cap = n->nr_children + NR_FILES;

	*l = (struct dir_list){0};
	l->names = calloc(cap, sizeof(*l->names));
	l->inos = calloc(cap, sizeof(*l->inos));
	l->dirs = calloc(cap, sizeof(*l->dirs));
	if (!l->names || !l->inos || !l->dirs)
		goto err_free;
	for (struct node *c = n->first; c; c = c->next) {
		l->names[l->nr] = strdup(c->name);
		l->inos[l->nr] = dir_ino(c);
		l->dirs[l->nr] = true;
		if (!l->names[l->nr++])
			goto err_free;
	}
	for (int f = 0; f < (int)NR_FILES; f++) {
		if (!file_exists(n, f))
			continue;
		l->names[l->nr] = strdup(file_type(f)->name);
		l->inos[l->nr] = file_ino(n, f);
		if (!l->names[l->nr++])
			goto err_free;
	}
	return 0;
err_free:
	dir_list_free(l);
	*l = (struct dir_list){0};
	return -ENOMEM;
}

int live_cgfs_ino_readdir(struct live_cgfs *fs, uint64_t ino,
			  int (*fn)(void *arg, const char *name, uint64_t ino, bool is_dir),
			  void *arg)
{
	struct dir_list l;
	struct target t;
	int ret;

	/* Collect under the lock, call @fn without it. */
	pthread_mutex_lock(&fs->lock);
	ret = target_by_ino_locked(fs, ino, &t);
	if (!ret && t.file >= 0)
		ret = -ENOTDIR;
	if (!ret)
		ret = dir_list_locked(t.n, &l);
	pthread_mutex_unlock(&fs->lock);
	if (ret)
		return ret;
	for (size_t i = 0; i < l.nr && !ret; i++)
		ret = fn(arg, l.names[i], l.inos[i], l.dirs[i]);
	dir_list_free(&l);
	return ret;
}

struct path_fn {
	int (*fn)(void *arg, const char *name, bool is_dir);
	void *arg;
};

static int path_fn_call(void *arg, const char *name, uint64_t ino, bool is_dir)
{
	struct path_fn *p = arg;

	(void)ino;
	return p->fn(p->arg, name, is_dir);
}

int live_cgfs_readdir(struct live_cgfs *fs, const char *path,
		      int (*fn)(void *arg, const char *name, bool is_dir), void *arg)
{
	struct path_fn p = {.fn = fn, .arg = arg};
	uint64_t ino = 0;
	struct target t;
	int ret;

	pthread_mutex_lock(&fs->lock);
	ret = target_by_path_locked(fs, path, &t);
	if (!ret)
		ino = t.file < 0 ? dir_ino(t.n) : file_ino(t.n, t.file);
	pthread_mutex_unlock(&fs->lock);
	/* a directory removed in between is -ENOENT: its number is not reused */
	return ret ? ret : live_cgfs_ino_readdir(fs, ino, path_fn_call, &p);
}

/* ------------------------------------------------------------ read */

/* A file's text, from the library; membership first brought up to date for
 * the files that show it. */
static ssize_t read_locked(struct live_cgfs *fs, const struct target *t, char *buf, size_t len)
{
	if (file_type(t->file)->flags & EPC_CFTYPE_MEMBERS)
		members_reap_locked(fs);
	return epc_cgroup_file_read(t->n->cg, (enum epc_cgroup_file)t->file, buf, len);
}

ssize_t live_cgfs_read(struct live_cgfs *fs, const char *path, char *buf, size_t len)
{
	struct target t;
	ssize_t ret;

	if (len == 0)
		return -ENOSPC;
	pthread_mutex_lock(&fs->lock);
	ret = target_by_path_locked(fs, path, &t);
	if (!ret)
		ret = open_check(fs, &t, true, false);
	if (!ret)
		ret = read_locked(fs, &t, buf, len);
	pthread_mutex_unlock(&fs->lock);
	return ret;
}

ssize_t live_cgfs_ino_read(struct live_cgfs *fs, uint64_t ino, char *buf, size_t len)
{
	struct target t;
	ssize_t ret;

	if (len == 0)
		return -ENOSPC;
	pthread_mutex_lock(&fs->lock);
	ret = target_by_ino_locked(fs, ino, &t);
	if (!ret && t.file < 0)
		ret = -EISDIR;
	if (!ret)
		ret = read_locked(fs, &t, buf, len);
	pthread_mutex_unlock(&fs->lock);
	return ret;
}

/* ------------------------------------------------------------ write */

/*
 * A cgroup.procs write: the number as the kernel reads it (the library's
 * parser), 0 the writer; a thread's id names its process (its Tgid), which
 * joins @cg (the root: leaves its cgroup). Return: 0; -EINVAL; -ESRCH; the
 * errors of opening its pidfd or /proc file; the library's.
 */
static int procs_write_locked(struct live_cgfs *fs, struct epc_cgroup *cg, const char *text,
			      pid_t writer)
{
	long tgid;
	int pid, pidfd, ret;

	ret = epc_cgroup_procs_parse(text, &pid);
	if (ret)
		return ret;
	if (pid == 0)
		pid = writer;
	if (pid <= 0)
		return -ESRCH;
	ret = proc_status_field((pid_t)pid, "Tgid:", &tgid);
	if (ret)
		return ret; /* -ESRCH; -EMFILE and the like when out of descriptors */
	pidfd = open_pidfd((pid_t)tgid);
	if (pidfd < 0)
		return pidfd;
	members_reap_locked(fs);
	return member_set_locked(fs, (pid_t)tgid, pidfd, cg);
}

static int write_locked(struct live_cgfs *fs, const struct target *t, char *text, pid_t writer)
{
	if (t->file == EPC_CGF_PROCS)
		return procs_write_locked(fs, t->n->cg, text, writer);
	return epc_cgroup_file_write(t->n->cg, (enum epc_cgroup_file)t->file, text);
}

/* A write's text as the kernel hands it on: at most a page, ending at the
 * first NUL. Return: the copy (malloc'ed) or NULL with *@err set. */
static char *write_text(const char *text, size_t len, int *err)
{
	char *copy;

	*err = -E2BIG;
	if (len > LIVE_CGFS_WRITE_MAX)
		return NULL;
	len = strnlen(text, len);
	*err = -ENOMEM;
	copy = malloc(len + 1);
	if (!copy)
		return NULL;
	memcpy(copy, text, len);
	copy[len] = '\0';
	return copy;
}

int live_cgfs_write(struct live_cgfs *fs, const char *path, const char *text, size_t len,
		    pid_t writer)
{
	struct target t;
	char *copy;
	int ret;

	copy = write_text(text, len, &ret);
	if (!copy)
		return ret;
	pthread_mutex_lock(&fs->lock);
	ret = target_by_path_locked(fs, path, &t);
	if (!ret)
		ret = open_check(fs, &t, false, true);
	if (!ret)
		ret = write_locked(fs, &t, copy, writer);
	pthread_mutex_unlock(&fs->lock);
	free(copy);
	return ret;
}

int live_cgfs_ino_write(struct live_cgfs *fs, uint64_t ino, const char *text, size_t len,
			pid_t writer)
{
	struct target t;
	char *copy;
	int ret;

	copy = write_text(text, len, &ret);
	if (!copy)
		return ret;
	pthread_mutex_lock(&fs->lock);
	ret = target_by_ino_locked(fs, ino, &t);
	if (!ret && t.file < 0)
		ret = -EISDIR;
	if (!ret)
		ret = write_locked(fs, &t, copy, writer);
	pthread_mutex_unlock(&fs->lock);
	free(copy);
	return ret;
}

/* ------------------------------------------------------------ names */

/* A snapshot's cgroup by its library handle (sorted by address). */
struct cg_at {
	const struct epc_cgroup *cg;
	size_t at;
};

static int cg_at_cmp(const void *a, const void *b)
{
	const struct cg_at *x = a, *y = b;

	return (x->cg > y->cg) - (x->cg < y->cg);
}

/* Each directory's name at its cgroup's index in @s (one pass over the nodes). */
static int names_fill_locked(struct live_cgfs *fs, const struct epc_snapshot *s,
			     const struct cg_at *by_cg, char **names)
{
	for (size_t b = 0; b < fs->nr_buckets; b++)
		for (struct node *n = fs->by_id[b]; n; n = n->by_id) {
			struct cg_at key = {.cg = n->cg};
			const struct cg_at *hit =
				bsearch(&key, by_cg, s->nr_cgroups, sizeof(*by_cg), cg_at_cmp);

			if (hit && !(names[hit->at] = strndup(n->name, n->name_len)))
				return -ENOMEM;
		}
	return 0;
}

int live_cgfs_names(struct live_cgfs *fs, const struct epc_snapshot *s, char ***out)
{
	struct cg_at *by_cg = malloc((s->nr_cgroups ? s->nr_cgroups : 1) * sizeof(*by_cg));
	char **names = calloc(s->nr_cgroups ? s->nr_cgroups : 1, sizeof(*names));
	int ret = by_cg && names ? 0 : -ENOMEM;

	for (size_t i = 0; !ret && i < s->nr_cgroups; i++)
		by_cg[i] = (struct cg_at){.cg = EPC_SNAPSHOT_CGROUP(s, i)->cg, .at = i};
	if (!ret) {
		qsort(by_cg, s->nr_cgroups, sizeof(*by_cg), cg_at_cmp);
		pthread_mutex_lock(&fs->lock);
		ret = names_fill_locked(fs, s, by_cg, names);
		pthread_mutex_unlock(&fs->lock);
	}
	free(by_cg);
	if (ret) {
		live_cgfs_names_free(names, s->nr_cgroups);
		return ret;
	}
	*out = names;
	return 0;
}

void live_cgfs_names_free(char **names, size_t nr)
{
	for (size_t i = 0; names && i < nr; i++)
		free(names[i]);
	free(names);
}

/* ------------------------------------------------------------ reap */

void live_cgfs_reap(struct live_cgfs *fs)
{
	pthread_mutex_lock(&fs->lock);
	members_reap_locked(fs);
	pthread_mutex_unlock(&fs->lock);
}
