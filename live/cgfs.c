// SPDX-License-Identifier: MIT
/*
 * cgfs.c - the cgroup v2 filesystem over the library's cgroups: lookups,
 * files, attributes and membership (cgfs.h).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgfs.h"
#include "procwatch.h"

#define CGFS_ANCESTRY_MAX 64   /* parents walked to find an inherited cgroup */
#define CGFS_EVENT_BATCH  1024 /* fork and exit events read at a time */
#define CGFS_SYNC_BATCHES 64   /* batches one sync reads at most (its time under @lock) */
#define CGFS_PIDFDS	  512  /* held before forked children go without (fds for clients) */
#define CGFS_ATTRS_MIN	  64   /* buckets of the first attribute table; a power of 2 */
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

/*
 * What only a filesystem has, for one cgroup (by its library id): the
 * attributes of its directory and files. A cgroup made through cgfs has one
 * from its mkdir; one without (made by the library's own calls) shows the
 * defaults until a setattr makes it one.
 */
struct cg_attrs {
	uint64_t id;	       /* epc_cgroup_id() */
	struct attr dir;       /* the directory's */
	struct timespec born;  /* the files' times until they are set */
	struct attr *files;    /* NULL, or the attributes of its NR_FILES files */
	struct cg_attrs *next; /* its bucket's chain */
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
	struct epc *epc;      /* read-only after init */
	uid_t uid;	      /* owner of every node and file until chown; read-only after init */
	gid_t gid;	      /* read-only after init */
	struct timespec born; /* the times of cgroups it did not make; read-only after init */
	/* A leaf: no other lock is taken under it, and no library call is made
	 * under it but epc_cgroup_create_child() (no reclaim: the tree lock). */
	pthread_mutex_t attr_lock;
	struct cg_attrs **attrs; /* attr_lock: by id */
	size_t nr_attr_buckets;	 /* attr_lock: a power of 2 */
	size_t nr_attrs;	 /* attr_lock */
	pthread_mutex_t lock;
	/* The fields below are protected by @lock. */
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

int live_cgfs_create(struct epc *epc, struct live_cgfs **out)
{
	struct live_cgfs *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return -ENOMEM;
	fs->epc = epc;
	fs->uid = getuid();
	fs->gid = getgid();
	fs->born = now();
	fs->nr_attr_buckets = CGFS_ATTRS_MIN;
	fs->attrs = calloc(fs->nr_attr_buckets, sizeof(*fs->attrs));
	if (!fs->attrs) {
		free(fs);
		return -ENOMEM;
	}
	pthread_mutex_init(&fs->attr_lock, NULL);
	pthread_mutex_init(&fs->lock, NULL);
	pthread_mutex_init(&fs->inval_lock, NULL);
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
	for (size_t b = 0; b < fs->nr_attr_buckets; b++)
		for (struct cg_attrs *a = fs->attrs[b], *next; a; a = next) {
			next = a->next;
			free(a->files);
			free(a);
		}
	for (size_t i = 0; i < fs->nr_members; i++) {
		if (fs->members[i].pidfd >= 0)
			close(fs->members[i].pidfd);
		epc_member_forget(fs->epc, (uint64_t)fs->members[i].pid);
	}
	free(fs->attrs);
	free(fs->members);
	pthread_mutex_destroy(&fs->inval_lock);
	pthread_mutex_destroy(&fs->lock);
	pthread_mutex_destroy(&fs->attr_lock);
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

/* ------------------------------------------------------------ attributes */

static size_t id_bucket(uint64_t id, size_t nr_buckets)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 32) & (nr_buckets - 1);
}

static struct cg_attrs *attrs_find_locked(struct live_cgfs *fs, uint64_t id)
{
	struct cg_attrs *a = fs->attrs[id_bucket(id, fs->nr_attr_buckets)];

	while (a && a->id != id)
		a = a->next;
	return a;
}

/* Double the table when it holds as many entries as buckets; a failed
 * allocation leaves it as it was (longer chains, still right). */
static void attrs_grow_locked(struct live_cgfs *fs)
{
	size_t nr = fs->nr_attr_buckets * 2;
	struct cg_attrs **t;

	if (fs->nr_attrs < fs->nr_attr_buckets || nr < fs->nr_attr_buckets)
		return;
	t = calloc(nr, sizeof(*t));
	if (!t)
		return;
	for (size_t b = 0; b < fs->nr_attr_buckets; b++)
		for (struct cg_attrs *a = fs->attrs[b], *next; a; a = next) {
			size_t k = id_bucket(a->id, nr);

			next = a->next;
			a->next = t[k];
			t[k] = a;
		}
	free(fs->attrs);
	fs->attrs = t;
	fs->nr_attr_buckets = nr;
}

/* The entry of cgroup @id, made with the defaults (born @born) if there is
 * none. Return: it; NULL: -ENOMEM. */
static struct cg_attrs *attrs_get_locked(struct live_cgfs *fs, uint64_t id, struct timespec born)
{
	struct cg_attrs *a = attrs_find_locked(fs, id);
	size_t k;

	if (a)
		return a;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->id = id;
	a->born = born;
	a->dir = (struct attr){.mode = 0755, .uid = fs->uid, .gid = fs->gid};
	a->dir.atime = a->dir.mtime = a->dir.ctime = born;
	k = id_bucket(id, fs->nr_attr_buckets);
	a->next = fs->attrs[k];
	fs->attrs[k] = a;
	fs->nr_attrs++;
	attrs_grow_locked(fs);
	return a;
}

/* Cgroup @id was removed: its entry goes (its id is never given again). */
static void attrs_forget(struct live_cgfs *fs, uint64_t id)
{
	struct cg_attrs **pp;

	pthread_mutex_lock(&fs->attr_lock);
	for (pp = &fs->attrs[id_bucket(id, fs->nr_attr_buckets)]; *pp && (*pp)->id != id;
	     pp = &(*pp)->next)
		;
	if (*pp) {
		struct cg_attrs *a = *pp;

		*pp = a->next;
		fs->nr_attrs--;
		free(a->files);
		free(a);
	}
	pthread_mutex_unlock(&fs->attr_lock);
}

/* ------------------------------------------------------------ the library's paths */

/* @cg's path ("/", "/a/b"), malloc'ed; NULL: -ENOMEM. */
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

void live_cgfs_pid_path(struct live_cgfs *fs, pid_t pid, char *buf, size_t len)
{
	struct epc_cgroup *cg = NULL;
	char *path = NULL;

	if (pid > 0 && !epc_member_cgroup(fs->epc, (uint64_t)pid, &cg))
		path = lib_path(cg);
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

/* The index of @cg's file @name, or -1 when it has none. */
static int file_find(struct epc_cgroup *cg, const char *name)
{
	enum epc_cgroup_file f;

	return epc_cgroup_file_lookup(cg, name, &f) ? -1 : (int)f;
}

static bool file_exists(struct epc_cgroup *cg, int file)
{
	return file >= 0 && file < (int)NR_FILES && file_find(cg, file_type(file)->name) == file;
}

/* ------------------------------------------------------------ targets */

/* A directory (a library cgroup), or one file of it. */
struct target {
	struct epc_cgroup *cg; /* a reference (target_put()) */
	int file;	       /* the file's index; -1: the directory itself */
};

static void target_put(struct target *t)
{
	epc_cgroup_put(t->cg);
	t->cg = NULL;
}

/* Inode numbers (cgfs.h): a cgroup's id names its directory and files. */
static uint64_t dir_ino(struct epc_cgroup *cg)
{
	return ((epc_cgroup_id(cg) - 1) << CGFS_INO_SHIFT) + 1;
}

static uint64_t target_ino(const struct target *t)
{
	return dir_ino(t->cg) + (t->file < 0 ? 0 : 1 + (uint64_t)t->file);
}

/*
 * The directory or file @path names ("/", "/a/b", "/a/b/misc.max"): one
 * library lookup by name per component. Return: 0; -ENOENT (an empty,
 * missing or removed component); -ENOMEM.
 */
static int target_by_path(struct live_cgfs *fs, const char *path, struct target *t)
{
	char *copy, *name, *end;
	int ret = 0;

	if (path[0] != '/')
		return -ENOENT;
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	*t = (struct target){.cg = epc_cgroup_root(fs->epc), .file = -1};
	for (name = copy + 1; path[1] && !ret; name = end + 1) {
		struct epc_cgroup *c;
		bool last;

		end = strchrnul(name, '/');
		last = !*end;
		*end = '\0';
		if (!epc_cgroup_child(t->cg, name, &c)) {
			epc_cgroup_put(t->cg);
			t->cg = c;
		} else if (!last || (t->file = file_find(t->cg, name)) < 0) {
			ret = -ENOENT; /* a file's name is only the last component */
		}
		if (last)
			break;
	}
	free(copy);
	if (ret)
		target_put(t);
	return ret;
}

/* The directory or file of inode number @ino. Return: 0; -ENOENT. */
static int target_by_ino(struct live_cgfs *fs, uint64_t ino, struct target *t)
{
	uint64_t slot = (ino - 1) & ((1u << CGFS_INO_SHIFT) - 1);

	if (ino == 0 || epc_cgroup_lookup_id(fs->epc, ((ino - 1) >> CGFS_INO_SHIFT) + 1, &t->cg))
		return -ENOENT;
	t->file = (int)slot - 1;
	if (t->file >= 0 && !file_exists(t->cg, t->file)) {
		target_put(t);
		return -ENOENT;
	}
	return 0;
}

/* The parent directory of cgroup @cg (the root's is itself), through its
 * path. Return: 0; -ENOENT @cg or its parent went meanwhile; -ENOMEM. */
static int target_parent(struct live_cgfs *fs, struct epc_cgroup *cg, struct target *t)
{
	char *path = lib_path(cg), *slash;
	int ret;

	if (!path)
		return -ENOMEM;
	slash = strrchr(path, '/');
	slash[slash == path] = '\0'; /* "/a/b" -> "/a", "/a" -> "/" */
	ret = target_by_path(fs, path, t);
	free(path);
	return ret;
}

/* ------------------------------------------------------------ attributes of a target */

static struct attr file_attr_default(const struct live_cgfs *fs, struct timespec born, int file)
{
	return (struct attr){
		.mode = file_type(file)->mode,
		.uid = fs->uid,
		.gid = fs->gid,
		.atime = born,
		.mtime = born,
		.ctime = born,
	};
}

/* @t's attributes: its cgroup's entry, or the defaults. */
static struct attr target_attr(struct live_cgfs *fs, const struct target *t)
{
	const struct cg_attrs *a;
	struct attr out;

	pthread_mutex_lock(&fs->attr_lock);
	a = attrs_find_locked(fs, epc_cgroup_id(t->cg));
	if (t->file >= 0)
		out = a && a->files ? a->files[t->file]
				    : file_attr_default(fs, a ? a->born : fs->born, t->file);
	else if (a)
		out = a->dir;
	else
		out = (struct attr){.mode = 0755,
				    .uid = fs->uid,
				    .gid = fs->gid,
				    .atime = fs->born,
				    .mtime = fs->born,
				    .ctime = fs->born};
	pthread_mutex_unlock(&fs->attr_lock);
	return out;
}

/* A directory's live children, as many as the library lists. */
static unsigned nr_children(struct epc_cgroup *cg)
{
	size_t nr = 0;

	epc_cgroup_list_children(cg, NULL, 0, &nr);
	return (unsigned)nr;
}

static void getattr_of(struct live_cgfs *fs, const struct target *t, struct live_cgfs_attr *out)
{
	struct attr a = target_attr(fs, t);

	*out = (struct live_cgfs_attr){
		.ino = target_ino(t),
		.kind = t->file < 0 ? LIVE_CGFS_DIR : file_kind(t->file),
		.mode = a.mode,
		.uid = a.uid,
		.gid = a.gid,
		.nlink = t->file < 0 ? 2 + nr_children(t->cg) : 1,
		.atime = a.atime,
		.mtime = a.mtime,
		.ctime = a.ctime,
	};
}

/*
 * chmod, chown, touch. Racy, but harmless: a setattr that races the
 * cgroup's rmdir may leave an entry for its id, which no lookup reaches
 * again (ids are never reused) and destroy frees. Return: 0; -ENOMEM.
 */
static int setattr_of(struct live_cgfs *fs, const struct target *t, unsigned what,
		      const struct live_cgfs_attr *in)
{
	struct cg_attrs *e;
	struct attr *a;
	int ret = -ENOMEM;

	pthread_mutex_lock(&fs->attr_lock);
	e = attrs_get_locked(fs, epc_cgroup_id(t->cg), fs->born);
	if (!e)
		goto out_unlock;
	a = &e->dir;
	if (t->file >= 0) {
		if (!e->files) {
			e->files = calloc(NR_FILES, sizeof(*e->files));
			if (!e->files)
				goto out_unlock;
			for (int i = 0; i < (int)NR_FILES; i++)
				e->files[i] = file_attr_default(fs, e->born, i);
		}
		a = &e->files[t->file];
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
	ret = 0;
out_unlock:
	pthread_mutex_unlock(&fs->attr_lock);
	return ret;
}

/* As kernfs opens a cgroup file: the mode's bits count even for root, and
 * a file without a write method refuses writing whatever its mode.
 * Return: 0; -EISDIR; -EACCES. */
static int open_check(struct live_cgfs *fs, const struct target *t, bool read, bool write)
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
	int ret = target_by_path(fs, path, &t);

	if (!ret) {
		getattr_of(fs, &t, out);
		target_put(&t);
	}
	return ret;
}

int live_cgfs_ino_getattr(struct live_cgfs *fs, uint64_t ino, struct live_cgfs_attr *out)
{
	struct target t;
	int ret = target_by_ino(fs, ino, &t);

	if (!ret) {
		getattr_of(fs, &t, out);
		target_put(&t);
	}
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

/* setattr @t (its reference put), then the attributes after into @out (may
 * be NULL). */
static int setattr_target(struct live_cgfs *fs, struct target *t, unsigned what,
			  const struct live_cgfs_attr *in, struct live_cgfs_attr *out)
{
	int ret = setattr_of(fs, t, what, in);

	if (!ret && out)
		getattr_of(fs, t, out);
	target_put(t);
	return ret;
}

int live_cgfs_setattr(struct live_cgfs *fs, const char *path, unsigned what,
		      const struct live_cgfs_attr *in, struct live_cgfs_attr *out)
{
	struct target t;
	int ret = target_by_path(fs, path, &t);

	return ret ? ret : setattr_target(fs, &t, what, in, out);
}

int live_cgfs_ino_setattr(struct live_cgfs *fs, uint64_t ino, unsigned what,
			  const struct live_cgfs_attr *in, struct live_cgfs_attr *out)
{
	struct target t;
	int ret = target_by_ino(fs, ino, &t);

	return ret ? ret : setattr_target(fs, &t, what, in, out);
}

/* The directory of inode number @ino. Return: 0; -ENOENT; -ENOTDIR a file's. */
static int dir_by_ino(struct live_cgfs *fs, uint64_t ino, struct target *t)
{
	int ret = target_by_ino(fs, ino, t);

	if (!ret && t->file >= 0) {
		target_put(t);
		return -ENOTDIR;
	}
	return ret;
}

/* Entry @name of directory @dir (its reference taken over) into @t: ".",
 * "..", a file, or a child. Return: 0; -ENOENT; -ENOMEM. */
static int entry_lookup(struct live_cgfs *fs, struct target *dir, const char *name,
			struct target *t)
{
	int ret = 0;

	*t = (struct target){.cg = dir->cg, .file = -1};
	if (!strcmp(name, "."))
		return 0;
	if ((t->file = file_find(dir->cg, name)) >= 0)
		return 0;
	t->file = -1;
	if (!strcmp(name, ".."))
		ret = target_parent(fs, dir->cg, t);
	else if (epc_cgroup_child(dir->cg, name, &t->cg))
		ret = -ENOENT;
	target_put(dir);
	if (ret)
		t->cg = NULL;
	return ret;
}

int live_cgfs_ino_lookup(struct live_cgfs *fs, uint64_t parent, const char *name,
			 struct live_cgfs_attr *out)
{
	struct target dir, t;
	int ret = dir_by_ino(fs, parent, &dir);

	if (!ret)
		ret = entry_lookup(fs, &dir, name, &t);
	if (!ret) {
		getattr_of(fs, &t, out);
		target_put(&t);
	}
	return ret;
}

int live_cgfs_ino_open(struct live_cgfs *fs, uint64_t ino, bool read, bool write)
{
	struct target t;
	int ret = target_by_ino(fs, ino, &t);

	if (!ret) {
		ret = open_check(fs, &t, read, write);
		target_put(&t);
	}
	return ret;
}

/* ------------------------------------------------------------ mkdir, rmdir */

/*
 * mkdir @name in @parent with the permission bits @mode: the library's
 * cgroup of that name (the library's errors are the kernel's for names) and
 * its attributes, both under attr_lock, so that no getattr sees the one
 * without the other. Return: as live_cgfs_mkdir(); -ENOENT @parent was
 * removed meanwhile.
 */
static int mkdir_in(struct live_cgfs *fs, struct epc_cgroup *parent, const char *name, mode_t mode,
		    struct live_cgfs_attr *out)
{
	struct target t = {.file = -1};
	struct cg_attrs *a = NULL;
	int ret;

	pthread_mutex_lock(&fs->attr_lock);
	ret = epc_cgroup_create_child(parent, name, &t.cg);
	if (!ret) {
		a = attrs_get_locked(fs, epc_cgroup_id(t.cg), now());
		if (a)
			a->dir.mode = mode & 07777;
		else
			epc_cgroup_remove(t.cg); /* nobody has seen it: ours to undo */
	}
	pthread_mutex_unlock(&fs->attr_lock);
	if (ret)
		return ret;
	if (a && out)
		getattr_of(fs, &t, out);
	target_put(&t);
	return a ? 0 : -ENOMEM;
}

/* rmdir the directory @t. Return: 0; -EBUSY the root, children or member
 * processes; -ENOENT removed meanwhile. */
static int rmdir_target(struct live_cgfs *fs, const struct target *t)
{
	uint64_t id = epc_cgroup_id(t->cg);
	int ret;

	if (t->cg == epc_cgroup_root(fs->epc))
		return -EBUSY;
	pthread_mutex_lock(&fs->lock);
	members_reap_locked(fs);	/* the members that exited leave first */
	ret = epc_cgroup_remove(t->cg); /* -EBUSY: children, member processes */
	pthread_mutex_unlock(&fs->lock);
	if (!ret)
		attrs_forget(fs, id);
	return ret;
}

/*
 * The directory that holds the last component of @path, and that component
 * (*@name, inside @path). Return: 0; -ENOENT no such directory (or a file in
 * its place: a file's name is only the last component); -ENOMEM.
 */
static int parent_by_path(struct live_cgfs *fs, const char *path, struct target *dir,
			  const char **name)
{
	const char *slash = strrchr(path, '/');
	char *dpath;
	int ret;

	if (!slash)
		return -ENOENT;
	dpath = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (!dpath)
		return -ENOMEM;
	ret = target_by_path(fs, dpath, dir);
	free(dpath);
	if (!ret && dir->file >= 0) {
		target_put(dir);
		ret = -ENOENT;
	}
	*name = slash + 1;
	return ret;
}

int live_cgfs_mkdir(struct live_cgfs *fs, const char *path)
{
	struct target dir;
	const char *name;
	int ret;

	if (!strchr(path, '/'))
		return -EINVAL;
	ret = parent_by_path(fs, path, &dir, &name);
	if (ret)
		return ret;
	ret = mkdir_in(fs, dir.cg, name, 0755, NULL);
	target_put(&dir);
	return ret;
}

int live_cgfs_ino_mkdir(struct live_cgfs *fs, uint64_t parent, const char *name, mode_t mode,
			struct live_cgfs_attr *out)
{
	struct target dir;
	int ret = dir_by_ino(fs, parent, &dir);

	if (ret)
		return ret;
	ret = mkdir_in(fs, dir.cg, name, mode, out);
	target_put(&dir);
	return ret;
}

/* rmdir entry @name of directory @dir. Return: 0; -ENOTDIR a file; -ENOENT;
 * as rmdir_target(). */
static int rmdir_in(struct live_cgfs *fs, const struct target *dir, const char *name)
{
	struct target t = {.file = -1};
	int ret;

	if (epc_cgroup_child(dir->cg, name, &t.cg))
		return file_find(dir->cg, name) >= 0 ? -ENOTDIR : -ENOENT;
	ret = rmdir_target(fs, &t);
	target_put(&t);
	return ret;
}

/* One walk, to the parent: the parent's inode and the name are what the
 * mount's kernel is told to forget. */
int live_cgfs_rmdir(struct live_cgfs *fs, const char *path)
{
	struct target dir;
	const char *name;
	int ret;

	if (!strcmp(path, "/"))
		return -EBUSY; /* the root */
	ret = parent_by_path(fs, path, &dir, &name);
	if (ret)
		return ret;
	ret = rmdir_in(fs, &dir, name);
	if (!ret) {
		/* the mount's kernel may have cached the name: make it forget */
		pthread_mutex_lock(&fs->inval_lock);
		if (fs->inval)
			fs->inval(fs->inval_arg, target_ino(&dir), name);
		pthread_mutex_unlock(&fs->inval_lock);
	}
	target_put(&dir);
	return ret;
}

int live_cgfs_ino_rmdir(struct live_cgfs *fs, uint64_t parent, const char *name)
{
	struct target dir;
	int ret = dir_by_ino(fs, parent, &dir);

	if (ret)
		return ret;
	ret = rmdir_in(fs, &dir, name);
	target_put(&dir);
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

/* @cg's live children, in creation order, each a reference, *@nr of them.
 * Return: the array (malloc'ed); NULL: -ENOMEM. */
static struct epc_cgroup **children_of(struct epc_cgroup *cg, size_t *nr)
{
	size_t cap = 16;

	for (;;) {
		struct epc_cgroup **c = malloc(cap * sizeof(*c));

		if (!c)
			return NULL;
		epc_cgroup_list_children(cg, c, cap, nr);
		if (*nr <= cap)
			return c;
		for (size_t i = 0; i < cap; i++)
			epc_cgroup_put(c[i]);
		free(c);
		cap = *nr + 16; /* more than room: ask again with room for a few more */
	}
}

/* Append @name (copied), inode @ino, to @l. Return: 0; -ENOMEM. */
static int dir_list_add(struct dir_list *l, const char *name, uint64_t ino, bool is_dir)
{
	l->names[l->nr] = strdup(name);
	l->inos[l->nr] = ino;
	l->dirs[l->nr] = is_dir;
	return l->names[l->nr++] ? 0 : -ENOMEM;
}

/* @cg's children, in creation order, then its files. Return: 0; -ENOMEM. */
static int dir_list_of(struct epc_cgroup *cg, struct dir_list *l)
{
	char name[LIVE_CGFS_NAME_MAX + 1];
	struct target t = {.cg = cg};
	struct epc_cgroup **kids;
	size_t nr = 0, cap;
	int ret = -ENOMEM;

	*l = (struct dir_list){0};
	kids = children_of(cg, &nr);
	if (!kids)
		return -ENOMEM;
	cap = nr + NR_FILES;
	l->names = calloc(cap, sizeof(*l->names));
	l->inos = calloc(cap, sizeof(*l->inos));
	l->dirs = calloc(cap, sizeof(*l->dirs));
	if (l->names && l->inos && l->dirs)
		ret = 0;
	for (size_t i = 0; i < nr && !ret; i++)
		if (epc_cgroup_name(kids[i], name, sizeof(name)) >= 0)
			ret = dir_list_add(l, name, dir_ino(kids[i]), true);
	for (t.file = 0; t.file < (int)NR_FILES && !ret; t.file++)
		if (file_exists(cg, t.file))
			ret = dir_list_add(l, file_type(t.file)->name, target_ino(&t), false);
	for (size_t i = 0; i < nr; i++)
		epc_cgroup_put(kids[i]);
	free(kids);
	if (ret) {
		dir_list_free(l);
		*l = (struct dir_list){0};
	}
	return ret;
}

int live_cgfs_ino_readdir(struct live_cgfs *fs, uint64_t ino,
			  int (*fn)(void *arg, const char *name, uint64_t ino, bool is_dir),
			  void *arg)
{
	struct dir_list l;
	struct target t;
	int ret = dir_by_ino(fs, ino, &t);

	if (ret)
		return ret;
	ret = dir_list_of(t.cg, &l); /* collected first: @fn runs holding nothing */
	target_put(&t);
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
	struct target t;
	uint64_t ino;
	int ret = target_by_path(fs, path, &t);

	if (ret)
		return ret;
	ino = target_ino(&t);
	target_put(&t);
	/* a directory removed in between is -ENOENT: its number is not reused */
	return live_cgfs_ino_readdir(fs, ino, path_fn_call, &p);
}

/* ------------------------------------------------------------ read */

/* A file's text, from the library; membership first brought up to date for
 * the files that show it. */
static ssize_t read_target(struct live_cgfs *fs, const struct target *t, char *buf, size_t len)
{
	if (file_type(t->file)->flags & EPC_CFTYPE_MEMBERS)
		live_cgfs_reap(fs);
	return epc_cgroup_file_read(t->cg, (enum epc_cgroup_file)t->file, buf, len);
}

ssize_t live_cgfs_read(struct live_cgfs *fs, const char *path, char *buf, size_t len)
{
	struct target t;
	ssize_t ret;

	if (len == 0)
		return -ENOSPC;
	ret = target_by_path(fs, path, &t);
	if (ret)
		return ret;
	ret = open_check(fs, &t, true, false);
	if (!ret)
		ret = read_target(fs, &t, buf, len);
	target_put(&t);
	return ret;
}

ssize_t live_cgfs_ino_read(struct live_cgfs *fs, uint64_t ino, char *buf, size_t len)
{
	struct target t;
	ssize_t ret;

	if (len == 0)
		return -ENOSPC;
	ret = target_by_ino(fs, ino, &t);
	if (ret)
		return ret;
	ret = t.file < 0 ? -EISDIR : read_target(fs, &t, buf, len);
	target_put(&t);
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

/* Write @text to file @t: cgroup.procs under @lock (membership), the
 * others straight to the library. */
static int write_target(struct live_cgfs *fs, const struct target *t, char *text, pid_t writer)
{
	int ret;

	if (t->file != EPC_CGF_PROCS)
		return epc_cgroup_file_write(t->cg, (enum epc_cgroup_file)t->file, text);
	pthread_mutex_lock(&fs->lock);
	ret = procs_write_locked(fs, t->cg, text, writer);
	pthread_mutex_unlock(&fs->lock);
	return ret;
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
	ret = target_by_path(fs, path, &t);
	if (!ret) {
		ret = open_check(fs, &t, false, true);
		if (!ret)
			ret = write_target(fs, &t, copy, writer);
		target_put(&t);
	}
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
	ret = target_by_ino(fs, ino, &t);
	if (!ret) {
		ret = t.file < 0 ? -EISDIR : write_target(fs, &t, copy, writer);
		target_put(&t);
	}
	free(copy);
	return ret;
}

/* ------------------------------------------------------------ reap */

void live_cgfs_reap(struct live_cgfs *fs)
{
	pthread_mutex_lock(&fs->lock);
	members_reap_locked(fs);
	pthread_mutex_unlock(&fs->lock);
}
