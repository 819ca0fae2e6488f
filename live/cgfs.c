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
#include <sys/syscall.h>
#include <unistd.h>

#include "cgfs.h"
#include "procwatch.h"

#define CGFS_PATH_MAX	  4096
#define CGFS_TEXT_MAX	  4096 /* the longest write accepted */
#define CGFS_ANCESTRY_MAX 64   /* parents walked to find an inherited cgroup */
#define CGFS_EVENT_BATCH  1024 /* fork and exit events read at a time */
#define CGFS_SYNC_BATCHES 64   /* batches one sync reads at most (its time under @lock) */
#define CGFS_PIDFDS	  512  /* held before forked children go without (fds for clients) */

enum {
	CTRL_MEMORY = 1 << 0,
	CTRL_MISC = 1 << 1,
};
/* The kernel prints controllers in its subsystem order: memory before misc. */
static const struct {
	const char *name;
	unsigned bit;
} controllers[] = {{"memory", CTRL_MEMORY}, {"misc", CTRL_MISC}};

/* The library's files that may exist; each is probed with epc_cgroup_read(). */
static const char *const lib_files[] = {
	"memory.current", "memory.events",	 "memory.events.local", "memory.high",
	"memory.low",	  "memory.max",		 "memory.min",		"memory.peak",
	"memory.stat",	  "memory.swap.current", "memory.swap.max",	"misc.capacity",
	"misc.current",	  "misc.events",	 "misc.events.local",	"misc.max",
	"misc.peak",
};

struct node {
	char *path;	       /* "/" or "/a/b" */
	struct epc_cgroup *cg; /* the library's cgroup: a reference we hold */
	unsigned subtree;      /* CTRL_* enabled in cgroup.subtree_control */
};

/*
 * A member process (cgfs.h, Membership). An entry made from a fork event is
 * trusted from the event stream alone - a pid's events are its own until its
 * exit event (procwatch.h) - and its pidfd, opened after the batch that made
 * it, is @confirmed (the child's, not a later owner's of the pid) once a
 * later read empties the queue with no exit event for it in between.
 */
struct member {
	pid_t pid; /* a thread group id */
	int pidfd; /* readable once the process has exited; -1 until opened */
	char *path;
	bool confirmed; /* @pidfd is known to be this process's */
	bool exit_seen; /* its exit event was read, or events were lost: its
			 * pid is its own only while @pidfd says it is alive */
	bool dead;	/* had exited when the current sync began */
};

struct live_cgfs {
	struct epc *epc;    /* read-only after init */
	unsigned available; /* CTRL_* the root offers; read-only after init */
	pthread_mutex_t lock;
	/* The fields below are protected by @lock. */
	struct node *nodes; /* nodes[0] is the root; a parent precedes its children */
	size_t nr_nodes, cap_nodes;
	struct member *members;
	size_t nr_members, cap_members;
	struct procwatch_event *events; /* CGFS_EVENT_BATCH, for reading */
	bool lossy;			/* events lost; no read has been empty since */
	bool degraded;			/* events were ever lost: the walk is a fallback */
	unsigned long nr_losses;
	/* NULL: no fork events, the live-parent walk (cgfs.h); read-only after
	 * init; its reads are serialized by @lock, its thread takes @lock. */
	struct procwatch *pw;
};

static void members_watch_start(struct live_cgfs *fs);

static bool lib_file_exists(struct epc_cgroup *cg, const char *file)
{
	char buf[64];
	ssize_t n = epc_cgroup_read(cg, file, buf, sizeof(buf));

	return n != -ENOENT;
}

int live_cgfs_create(struct epc *epc, struct live_cgfs **out)
{
	struct live_cgfs *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return -ENOMEM;
	fs->epc = epc;
	/* memory is accepted in subtree_control whether or not the library has
	 * memory.* files yet: scripts written for the kernel enable it. */
	fs->available = CTRL_MISC | CTRL_MEMORY;
	pthread_mutex_init(&fs->lock, NULL);
	fs->cap_nodes = 16;
	fs->nodes = calloc(fs->cap_nodes, sizeof(*fs->nodes));
	if (!fs->nodes || !(fs->nodes[0].path = strdup("/"))) {
		free(fs->nodes);
		pthread_mutex_destroy(&fs->lock);
		free(fs);
		return -ENOMEM;
	}
	fs->nodes[0].cg = epc_cgroup_root(epc); /* the root is not counted */
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
	for (size_t i = 0; i < fs->nr_nodes; i++) {
		epc_cgroup_put(fs->nodes[i].cg);
		free(fs->nodes[i].path);
	}
	for (size_t i = 0; i < fs->nr_members; i++) {
		if (fs->members[i].pidfd >= 0)
			close(fs->members[i].pidfd);
		free(fs->members[i].path);
	}
	free(fs->nodes);
	free(fs->members);
	pthread_mutex_destroy(&fs->lock);
	free(fs);
}

/* ------------------------------------------------------------ the tree */

static struct node *node_find_locked(struct live_cgfs *fs, const char *path)
{
	for (size_t i = 0; i < fs->nr_nodes; i++)
		if (!strcmp(fs->nodes[i].path, path))
			return &fs->nodes[i];
	return NULL;
}

/* The names of @cg's live children (the library's listing) into @names,
 * marked as directories, at most @cap. Return: 0; -ENOMEM. */
static int list_children_locked(struct epc_cgroup *cg, char **names, bool *dirs, size_t cap,
				size_t *nr)
{
	struct epc_cgroup **kids = calloc(cap ? cap : 1, sizeof(*kids));
	size_t n = 0;
	int ret;

	if (!kids)
		return -ENOMEM;
	ret = epc_cgroup_list_children(cg, kids, cap, &n);
	if (!ret && n > cap)
		ret = -EAGAIN; /* cannot be: every child is one of our nodes */
	for (size_t i = 0; i < n && i < cap; i++) {
		char name[256];

		if (!ret && epc_cgroup_name(kids[i], name, sizeof(name)) > 0) {
			dirs[*nr] = true;
			names[(*nr)++] = strdup(name);
		}
		epc_cgroup_put(kids[i]);
	}
	free(kids);
	return ret;
}

/* Split a full path into its directory (into @dir) and last component. */
static const char *split(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash)
		return NULL;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= len)
		return NULL;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return slash + 1;
}

static bool is_root(const char *path)
{
	return !strcmp(path, "/");
}

/* ------------------------------------------------------------ members */

static bool pidfd_exited(int pidfd)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	return poll(&p, 1, 0) > 0;
}

static void member_drop_locked(struct live_cgfs *fs, size_t i)
{
	if (fs->members[i].pidfd >= 0)
		close(fs->members[i].pidfd);
	free(fs->members[i].path);
	fs->members[i] = fs->members[--fs->nr_members];
}

static struct member *member_find_locked(struct live_cgfs *fs, pid_t pid)
{
	for (size_t i = 0; i < fs->nr_members; i++)
		if (fs->members[i].pid == pid)
			return &fs->members[i];
	return NULL;
}

/* Append @m (its pidfd and path taken over). Return: 0; -ENOMEM (both freed). */
static int member_append_locked(struct live_cgfs *fs, struct member m)
{
	if (fs->nr_members == fs->cap_members) {
		size_t cap = fs->cap_members ? 2 * fs->cap_members : 16;
		struct member *nm = realloc(fs->members, cap * sizeof(*nm));

		if (!nm) {
			if (m.pidfd >= 0)
				close(m.pidfd);
			free(m.path);
			return -ENOMEM;
		}
		fs->members = nm;
		fs->cap_members = cap;
	}
	fs->members[fs->nr_members++] = m;
	return 0;
}

/*
 * Put @pid in @path ("/" removes it). @pidfd (taken over) must have been
 * opened before the sync (members_reap_locked()) that preceded this call: if
 * it is still alive now, the process held @pid all through that sync, so the
 * events read after it are its own. One that exited meanwhile joins nothing,
 * as the kernel skips an exiting task. Return: 0; -ENOMEM.
 */
static int member_set_locked(struct live_cgfs *fs, pid_t pid, int pidfd, const char *path)
{
	struct member *m = member_find_locked(fs, pid);
	char *copy;

	if (m)
		member_drop_locked(fs, (size_t)(m - fs->members));
	if (is_root(path) || pidfd_exited(pidfd)) {
		close(pidfd);
		return 0;
	}
	copy = strdup(path);
	if (!copy) {
		close(pidfd);
		return -ENOMEM;
	}
	return member_append_locked(
		fs, (struct member){.pid = pid, .pidfd = pidfd, .path = copy, .confirmed = true});
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
	char *copy;

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
	copy = strdup(m->path);
	if (!copy)
		return -ENOMEM;
	return member_append_locked(fs, (struct member){.pid = child, .pidfd = -1, .path = copy});
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

static int nr_procs_locked(struct live_cgfs *fs, const char *path, bool subtree)
{
	size_t n = strlen(path);
	int nr = 0;

	for (size_t i = 0; i < fs->nr_members; i++) {
		const char *p = fs->members[i].path;

		if (!strcmp(p, path) ||
		    (subtree && (is_root(path) || (!strncmp(p, path, n) && p[n] == '/'))))
			nr++;
	}
	return nr;
}

/* A field of /proc/@pid/status ("Tgid:", "PPid:"). Return: 0; -ESRCH. */
static int proc_status_field(pid_t pid, const char *field, long *val)
{
	char name[64], line[256];
	size_t n = strlen(field);
	FILE *f;
	int ret = -ESRCH;

	snprintf(name, sizeof(name), "/proc/%d/status", (int)pid);
	f = fopen(name, "re");
	if (!f)
		return -ESRCH;
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
 * a member, into @path. Return: true if there is one, with a confirmed
 * pidfd still alive after the walk, so the parent link read was to it and
 * not to a later owner of its pid. */
static bool ancestor_path_locked(struct live_cgfs *fs, pid_t pid, char *path, size_t len)
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
			snprintf(path, len, "%s", m->path);
			return true;
		}
	}
	return false;
}

int live_cgfs_adopt(struct live_cgfs *fs, pid_t pid)
{
	char path[CGFS_PATH_MAX];
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
	if (m || exact || !ancestor_path_locked(fs, pid, path, sizeof(path))) {
		close(pidfd);
		goto out_unlock;
	}
	ret = member_set_locked(fs, pid, pidfd, path);
out_unlock:
	pthread_mutex_unlock(&fs->lock);
	return ret;
}

void live_cgfs_pid_path(struct live_cgfs *fs, pid_t pid, char *buf, size_t len)
{
	struct member *m;

	pthread_mutex_lock(&fs->lock);
	m = member_find_locked(fs, pid);
	snprintf(buf, len, "%s", m ? m->path : "/");
	pthread_mutex_unlock(&fs->lock);
}

int live_cgfs_task_enter(struct live_cgfs *fs, pid_t pid, struct epc_task *t)
{
	struct member *m;
	struct node *n;
	int ret;

	pthread_mutex_lock(&fs->lock);
	m = member_find_locked(fs, pid);
	n = m ? node_find_locked(fs, m->path) : &fs->nodes[0];
	ret = n ? epc_task_move(t, n->cg) : -ENOENT;
	pthread_mutex_unlock(&fs->lock);
	return ret;
}

void live_cgfs_task_leave(struct live_cgfs *fs, struct epc_task *t)
{
	epc_task_move(t, epc_cgroup_root(fs->epc));
}

/* ------------------------------------------------------------ mkdir, rmdir */

int live_cgfs_mkdir(struct live_cgfs *fs, const char *path)
{
	char dir[CGFS_PATH_MAX];
	const char *name = split(path, dir, sizeof(dir));
	struct epc_cgroup *cg;
	struct node *nodes;
	char *copy;
	int ret;

	if (!name || !*name)
		return -EINVAL;
	pthread_mutex_lock(&fs->lock);
	if (node_find_locked(fs, path)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	if (!node_find_locked(fs, dir)) {
		ret = -ENOENT;
		goto out_unlock;
	}
	if (!strncmp(name, "cgroup.", 7) || !strncmp(name, "misc.", 5) ||
	    !strncmp(name, "memory.", 7)) {
		ret = -EEXIST; /* a file's name, or the kernel's reserved prefixes */
		goto out_unlock;
	}
	if (fs->nr_nodes == fs->cap_nodes) {
		nodes = realloc(fs->nodes, 2 * fs->cap_nodes * sizeof(*nodes));
		if (!nodes) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		fs->nodes = nodes;
		fs->cap_nodes *= 2;
	}
	copy = strdup(path);
	if (!copy) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	ret = epc_cgroup_create(fs->epc, path, &cg);
	if (ret) {
		free(copy);
		goto out_unlock;
	}
	fs->nodes[fs->nr_nodes++] = (struct node){.path = copy, .cg = cg}; /* its reference */
out_unlock:
	pthread_mutex_unlock(&fs->lock);
	return ret;
}

int live_cgfs_rmdir(struct live_cgfs *fs, const char *path)
{
	struct node *n;
	int ret;

	pthread_mutex_lock(&fs->lock);
	n = node_find_locked(fs, path);
	if (!n) {
		ret = -ENOENT;
		goto out_unlock;
	}
	if (is_root(path)) {
		ret = -EBUSY;
		goto out_unlock;
	}
	members_reap_locked(fs);
	if (nr_procs_locked(fs, path, false)) {
		ret = -EBUSY;
		goto out_unlock;
	}
	ret = epc_cgroup_remove(n->cg); /* -EBUSY with children or a task in a request */
	if (ret)
		goto out_unlock;
	epc_cgroup_put(n->cg);
	free(n->path);
	memmove(n, n + 1, (size_t)(fs->nodes + fs->nr_nodes - (n + 1)) * sizeof(*n));
	fs->nr_nodes--;
out_unlock:
	pthread_mutex_unlock(&fs->lock);
	return ret;
}

/* ------------------------------------------------------------ files */

enum core_file {
	F_PROCS,
	F_CONTROLLERS,
	F_SUBTREE,
	F_EVENTS,
	F_NONE,
};
static const struct {
	const char *name;
	enum live_cgfs_kind kind;
	bool root; /* the root has it too */
} core_files[] = {
	[F_PROCS] = {"cgroup.procs", LIVE_CGFS_FILE_RW, true},
	[F_CONTROLLERS] = {"cgroup.controllers", LIVE_CGFS_FILE_RO, true},
	[F_SUBTREE] = {"cgroup.subtree_control", LIVE_CGFS_FILE_RW, true},
	[F_EVENTS] = {"cgroup.events", LIVE_CGFS_FILE_RO, false},
};

static enum core_file core_find(const char *dir, const char *name)
{
	for (int i = 0; i < F_NONE; i++)
		if (!strcmp(core_files[i].name, name) && (core_files[i].root || !is_root(dir)))
			return (enum core_file)i;
	return F_NONE;
}

static bool lib_file_known(const char *name)
{
	for (size_t i = 0; i < sizeof(lib_files) / sizeof(lib_files[0]); i++)
		if (!strcmp(lib_files[i], name))
			return true;
	return false;
}

static enum live_cgfs_kind lib_file_kind(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot && (!strcmp(dot, ".max") || !strcmp(dot, ".high") || !strcmp(dot, ".low") ||
		    !strcmp(dot, ".min")))
		return LIVE_CGFS_FILE_RW;
	return LIVE_CGFS_FILE_RO;
}

/* A file to read or write: as resolve_file_locked(), -EISDIR for a directory. */
static int resolve_file_locked(struct live_cgfs *fs, const char *path, char *dir, size_t len,
			       const char **name, struct node **n);

static int open_file_locked(struct live_cgfs *fs, const char *path, char *dir, size_t len,
			    const char **name, struct node **n)
{
	if (node_find_locked(fs, path))
		return -EISDIR;
	return resolve_file_locked(fs, path, dir, len, name, n);
}

/* The library's handle for the directory of @path, and the file's name.
 * Return: 0; -ENOENT no such cgroup or file. */
static int resolve_file_locked(struct live_cgfs *fs, const char *path, char *dir, size_t len,
			       const char **name, struct node **n)
{
	*name = split(path, dir, len);
	if (!*name || !**name)
		return -ENOENT;
	*n = node_find_locked(fs, dir);
	return *n ? 0 : -ENOENT;
}

int live_cgfs_stat(struct live_cgfs *fs, const char *path, enum live_cgfs_kind *kind)
{
	char dir[CGFS_PATH_MAX];
	const char *name;
	struct node *n;
	enum core_file f;
	int ret;

	pthread_mutex_lock(&fs->lock);
	if (node_find_locked(fs, path)) {
		*kind = LIVE_CGFS_DIR;
		ret = 0;
		goto out_unlock;
	}
	ret = resolve_file_locked(fs, path, dir, sizeof(dir), &name, &n);
	if (ret)
		goto out_unlock;
	f = core_find(dir, name);
	if (f != F_NONE) {
		*kind = core_files[f].kind;
		goto out_unlock;
	}
	ret = -ENOENT;
	if (lib_file_known(name) && lib_file_exists(n->cg, name)) {
		*kind = lib_file_kind(name);
		ret = 0;
	}
out_unlock:
	pthread_mutex_unlock(&fs->lock);
	return ret;
}

int live_cgfs_readdir(struct live_cgfs *fs, const char *path,
		      int (*fn)(void *arg, const char *name, bool is_dir), void *arg)
{
	char **names = NULL;
	bool *dirs = NULL;
	size_t nr = 0, cap;
	struct node *n;
	int ret = 0;

	/* Collect under the lock, call @fn without it. */
	pthread_mutex_lock(&fs->lock);
	n = node_find_locked(fs, path);
	if (!n) {
		pthread_mutex_unlock(&fs->lock);
		return -ENOENT;
	}
	cap = fs->nr_nodes + F_NONE + sizeof(lib_files) / sizeof(lib_files[0]);
	names = calloc(cap, sizeof(*names));
	dirs = calloc(cap, sizeof(*dirs));
	if (!names || !dirs) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	ret = list_children_locked(n->cg, names, dirs, fs->nr_nodes, &nr);
	if (ret)
		goto out_unlock;
	for (int i = 0; i < F_NONE; i++)
		if (core_files[i].root || !is_root(path))
			names[nr++] = strdup(core_files[i].name);
	for (size_t i = 0; i < sizeof(lib_files) / sizeof(lib_files[0]); i++)
		if (lib_file_exists(n->cg, lib_files[i]))
			names[nr++] = strdup(lib_files[i]);
out_unlock:
	pthread_mutex_unlock(&fs->lock);
	for (size_t i = 0; i < nr; i++) {
		if (!ret && !names[i])
			ret = -ENOMEM;
		if (!ret)
			ret = fn(arg, names[i], dirs[i]);
		free(names[i]);
	}
	free(names);
	free(dirs);
	return ret;
}

static int pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

static ssize_t procs_read_locked(struct live_cgfs *fs, const char *dir, char *buf, size_t len)
{
	pid_t *pids = calloc(fs->nr_members + 1, sizeof(*pids));
	size_t nr = 0, off = 0;
	ssize_t ret;

	if (!pids)
		return -ENOMEM;
	for (size_t i = 0; i < fs->nr_members; i++)
		if (!strcmp(fs->members[i].path, dir))
			pids[nr++] = fs->members[i].pid;
	qsort(pids, nr, sizeof(*pids), pid_cmp);
	buf[0] = '\0';
	for (size_t i = 0; i < nr; i++) {
		int n = snprintf(buf + off, len - off, "%d\n", (int)pids[i]);

		if (n < 0 || (size_t)n >= len - off) {
			free(pids);
			return -ENOSPC;
		}
		off += (size_t)n;
	}
	ret = (ssize_t)off;
	free(pids);
	return ret;
}

static ssize_t print_mask(unsigned mask, char *buf, size_t len)
{
	size_t off = 0;

	for (size_t i = 0; i < sizeof(controllers) / sizeof(controllers[0]); i++) {
		int n;

		if (!(mask & controllers[i].bit))
			continue;
		n = snprintf(buf + off, len - off, "%s%s", off ? " " : "", controllers[i].name);
		if (n < 0 || (size_t)n >= len - off)
			return -ENOSPC;
		off += (size_t)n;
	}
	if (off + 2 > len)
		return -ENOSPC;
	buf[off++] = '\n';
	buf[off] = '\0';
	return (ssize_t)off;
}

/* The controllers a cgroup may enable for its children. */
static unsigned controllers_locked(struct live_cgfs *fs, const char *dir)
{
	char parent[CGFS_PATH_MAX];
	struct node *p;

	if (is_root(dir) || !split(dir, parent, sizeof(parent)))
		return fs->available;
	p = node_find_locked(fs, parent);
	return p ? p->subtree : 0;
}

ssize_t live_cgfs_read(struct live_cgfs *fs, const char *path, char *buf, size_t len)
{
	char dir[CGFS_PATH_MAX];
	const char *name;
	struct node *n;
	ssize_t ret;
	int w;

	if (len == 0)
		return -ENOSPC;
	pthread_mutex_lock(&fs->lock);
	ret = open_file_locked(fs, path, dir, sizeof(dir), &name, &n);
	if (ret)
		goto out_unlock;
	switch (core_find(dir, name)) {
	case F_PROCS:
		members_reap_locked(fs);
		ret = procs_read_locked(fs, dir, buf, len);
		break;
	case F_CONTROLLERS:
		ret = print_mask(controllers_locked(fs, dir), buf, len);
		break;
	case F_SUBTREE:
		ret = print_mask(n->subtree, buf, len);
		break;
	case F_EVENTS:
		members_reap_locked(fs);
		w = snprintf(buf, len, "populated %d\nfrozen 0\n",
			     nr_procs_locked(fs, dir, true) > 0);
		ret = w < 0 || (size_t)w >= len ? -ENOSPC : w;
		break;
	case F_NONE:
		ret = -ENOENT;
		if (lib_file_known(name))
			ret = epc_cgroup_read(n->cg, name, buf, len);
		break;
	}
out_unlock:
	pthread_mutex_unlock(&fs->lock);
	return ret;
}

/* "123", surrounded by white space. Return: 0; -EINVAL. */
static int parse_pid(const char *text, long *pid)
{
	char *end;

	while (isspace((unsigned char)*text))
		text++;
	if (!isdigit((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	*pid = strtol(text, &end, 10);
	if (errno || *pid > INT_MAX)
		return -EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	return *end ? -EINVAL : 0;
}

static int procs_write_locked(struct live_cgfs *fs, const char *dir, const char *text, pid_t writer)
{
	long pid, tgid;
	int pidfd, ret;

	ret = parse_pid(text, &pid);
	if (ret)
		return ret;
	if (pid == 0)
		pid = writer;
	if (pid <= 0 || proc_status_field((pid_t)pid, "Tgid:", &tgid))
		return -ESRCH;
	pidfd = open_pidfd((pid_t)tgid);
	if (pidfd < 0)
		return -ESRCH;
	members_reap_locked(fs);
	return member_set_locked(fs, (pid_t)tgid, pidfd, dir);
}

static int subtree_write_locked(struct live_cgfs *fs, struct node *n, const char *dir, char *text)
{
	unsigned enable = 0, disable = 0, avail = controllers_locked(fs, dir);
	char *save = NULL;

	for (char *tok = strtok_r(text, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		unsigned bit = 0;

		for (size_t i = 0; i < sizeof(controllers) / sizeof(controllers[0]); i++)
			if (!strcmp(tok + 1, controllers[i].name))
				bit = controllers[i].bit;
		if ((tok[0] != '+' && tok[0] != '-') || !bit)
			return -EINVAL;
		if (!(avail & bit))
			return -ENOENT;
		if (tok[0] == '+') {
			enable |= bit;
			disable &= ~bit;
		} else {
			disable |= bit;
			enable &= ~bit;
		}
	}
	n->subtree = (n->subtree | enable) & ~disable;
	return 0;
}

int live_cgfs_write(struct live_cgfs *fs, const char *path, const char *text, size_t len,
		    pid_t writer)
{
	char dir[CGFS_PATH_MAX], *copy;
	const char *name;
	struct node *n;
	int ret;

	if (len > CGFS_TEXT_MAX || memchr(text, '\0', len))
		return -EINVAL;
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	pthread_mutex_lock(&fs->lock);
	ret = open_file_locked(fs, path, dir, sizeof(dir), &name, &n);
	if (ret)
		goto out_unlock;
	switch (core_find(dir, name)) {
	case F_PROCS:
		ret = procs_write_locked(fs, dir, copy, writer);
		break;
	case F_SUBTREE:
		ret = subtree_write_locked(fs, n, dir, copy);
		break;
	case F_CONTROLLERS:
	case F_EVENTS:
		ret = -EACCES;
		break;
	case F_NONE:
		ret = -ENOENT;
		if (lib_file_known(name) && lib_file_exists(n->cg, name))
			ret = epc_cgroup_write(n->cg, name, copy);
		break;
	}
out_unlock:
	pthread_mutex_unlock(&fs->lock);
	free(copy);
	return ret;
}

int live_cgfs_foreach(struct live_cgfs *fs,
		      int (*fn)(void *arg, const char *path, struct epc_cgroup *cg, int nr_procs),
		      void *arg)
{
	int ret = 0;

	pthread_mutex_lock(&fs->lock);
	members_reap_locked(fs);
	for (size_t i = 0; i < fs->nr_nodes && !ret; i++)
		ret = fn(arg, fs->nodes[i].path, fs->nodes[i].cg,
			 nr_procs_locked(fs, fs->nodes[i].path, false));
	pthread_mutex_unlock(&fs->lock);
	return ret;
}
