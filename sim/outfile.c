// SPDX-License-Identifier: MIT
/*
 * outfile.c - output files: a regular file replaced atomically, a FIFO or a
 * device written in place, standard output as "-" (outfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "err.h"
#include "outfile.h"

/* The mode of a file created anew, before the umask: as the shell's. */
#define OUTFILE_NEW_MODE 0666

enum outfile_how {
	OUT_STDOUT,   /* "-" */
	OUT_REPLACE,  /* a temporary file renamed over @target */
	OUT_IN_PLACE, /* @target opened and written: a FIFO, a device, a /proc link */
};

struct sim_outfile {
	enum outfile_how how;
	FILE *f;
	char *path;   /* as given, for messages */
	char *target; /* where @path leads: replaced or opened */
	char *tmp;    /* OUT_REPLACE: the temporary file, renamed over @target */
	mode_t mode;  /* OUT_REPLACE: the replaced file's permission bits; or the new mode */
	bool proc;    /* OUT_IN_PLACE through a link in /proc: appended to */
};

/* The directory part of @path with its slash ("a/b" -> "a/", "b" -> ""),
 * malloc'd; NULL without memory. */
static char *dir_part(const char *path)
{
	const char *slash = strrchr(path, '/');

	return strndup(path, slash ? (size_t)(slash - path) + 1 : 0);
}

/* Does the link @link live in /proc (a /proc/PID/fd/N link, whose text is
 * no path: "pipe:[1234]")? */
static bool in_proc(const char *link)
{
	char *dir = dir_part(link);
	struct statfs sf;
	bool proc;

	if (!dir)
		return false;
	proc = !statfs(*dir ? dir : ".", &sf) && sf.f_type == PROC_SUPER_MAGIC;
	free(dir);
	return proc;
}

/* The path the link @link points at, relative to @link's directory.
 * Return: 0 and *@next malloc'd; -errno. */
static int link_follow(const char *link, char **next)
{
	char text[PATH_MAX], *dir;
	ssize_t n = readlink(link, text, sizeof(text));

	if (n < 0)
		return -errno;
	if ((size_t)n == sizeof(text))
		return -ENAMETOOLONG;
	text[n] = '\0';
	if (text[0] == '/') {
		*next = strdup(text);
		return *next ? 0 : -ENOMEM;
	}
	dir = dir_part(link);
	if (!dir || asprintf(next, "%s%s", dir, text) < 0) {
		free(dir);
		return -ENOMEM;
	}
	free(dir);
	return 0;
}

/* Follow @o->path's links, then decide by what is there: @o->how, @o->target,
 * @o->mode, @o->proc. Return: 0; -errno (said why). */
static int resolve(struct sim_outfile *o, char *err, size_t errlen)
{
	struct stat st;
	char *next;
	int rc;

	o->target = strdup(o->path);
	o->mode = OUTFILE_NEW_MODE;
	for (int hops = 0;; hops++) {
		if (!o->target)
			return sim_fail(err, errlen, -ENOMEM, "%s: out of memory", o->path);
		if (lstat(o->target, &st)) {
			if (errno != ENOENT)
				return sim_fail(err, errlen, -errno, "%s: %s", o->path,
						strerror(errno));
			o->how = OUT_REPLACE; /* nothing there yet: created */
			return 0;
		}
		if (!S_ISLNK(st.st_mode))
			break;
		if (in_proc(o->target)) {
			o->how = OUT_IN_PLACE;
			o->proc = true;
			return 0;
		}
		if (hops == SIM_OUTFILE_MAX_LINKS)
			return sim_fail(err, errlen, -ELOOP, "%s: more than %d symbolic links",
					o->path, SIM_OUTFILE_MAX_LINKS);
		rc = link_follow(o->target, &next);
		if (rc)
			return sim_fail(err, errlen, rc, "%s: cannot follow the link %s: %s",
					o->path, o->target, strerror(-rc));
		free(o->target);
		o->target = next;
	}
	if (S_ISREG(st.st_mode)) {
		/* replaced, not written, but only if it could be written: a
		 * write-protected file stays protected, as from the shell's > */
		if (access(o->target, W_OK))
			return sim_fail(err, errlen, -errno, "%s: %s", o->path, strerror(errno));
		o->how = OUT_REPLACE;
		o->mode = st.st_mode & 0777;
		return 0;
	}
	if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
		o->how = OUT_IN_PLACE;
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return sim_fail(err, errlen, -EISDIR, "%s: is a directory", o->path);
	return sim_fail(err, errlen, -EINVAL,
			"%s: is a %s: not written (an output is a file, a FIFO, a character "
			"device or -)",
			o->path, S_ISSOCK(st.st_mode) ? "socket" : "block device");
}

static struct sim_outfile *outfile_new(const char *path)
{
	struct sim_outfile *o = calloc(1, sizeof(*o));

	if (o && !(o->path = strdup(path))) {
		free(o);
		return NULL;
	}
	return o;
}

static void outfile_free(struct sim_outfile *o)
{
	free(o->path);
	free(o->target);
	free(o->tmp);
	free(o);
}

/* @o->tmp's name, try @i: "TARGET.tmp.PID[.i]"; with @short_stem (the
 * target's own name is too long for a suffix) "DIR/.epcmm-out.PID[.i]". */
static int tmp_name(struct sim_outfile *o, int i, bool short_stem)
{
	char *dir = NULL;
	int n;

	free(o->tmp);
	o->tmp = NULL;
	if (short_stem) {
		if (!(dir = dir_part(o->target)))
			return -ENOMEM;
		n = i ? asprintf(&o->tmp, "%s.epcmm-out.%ld.%d", dir, (long)getpid(), i)
		      : asprintf(&o->tmp, "%s.epcmm-out.%ld", dir, (long)getpid());
		free(dir);
	} else {
		n = i ? asprintf(&o->tmp, "%s.tmp.%ld.%d", o->target, (long)getpid(), i)
		      : asprintf(&o->tmp, "%s.tmp.%ld", o->target, (long)getpid());
	}
	if (n < 0) {
		o->tmp = NULL;
		return -ENOMEM;
	}
	return 0;
}

/*
 * Make @o->tmp exist by @make (it creates the name or fails with errno),
 * trying "TARGET.tmp.PID", then ".1", ".2", ... while the name is taken, and
 * the short stem when the target's name is too long for a suffix. On failure
 * @o->tmp is the last name tried (for the message: it may be somebody
 * else's file, never to be unlinked). Return: what @make returned (>= 0);
 * -errno.
 */
static int tmp_make(struct sim_outfile *o, int (*make)(const char *name, void *arg), void *arg)
{
	bool short_stem = false;
	int ret = -EEXIST;

	for (int i = 0; i < SIM_OUTFILE_TMP_TRIES; i++) {
		if (tmp_name(o, i, short_stem))
			return -ENOMEM;
		ret = make(o->tmp, arg);
		if (ret >= 0)
			return ret;
		ret = -errno;
		if (ret == -ENAMETOOLONG && !short_stem) {
			short_stem = true;
			i = -1;
		} else if (ret != -EEXIST) {
			break;
		}
	}
	return ret;
}

static int make_named(const char *name, void *arg)
{
	(void)arg;
	return open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, OUTFILE_NEW_MODE);
}

/* @arg: the "/proc/self/fd/N" of an unnamed file, linked to @name. */
static int make_link(const char *name, void *arg)
{
	return linkat(AT_FDCWD, arg, AT_FDCWD, name, AT_SYMLINK_FOLLOW);
}

/*
 * An unnamed file in @o->target's directory (O_TMPFILE), named only at the
 * commit: a process killed before it (^C, `| head`'s SIGPIPE, SIGKILL)
 * leaves nothing behind. The commit names it through /proc/self/fd, so
 * without /proc, or on a file system without O_TMPFILE, the caller makes a
 * named temporary file instead. Return: the fd; -1.
 */
static int tmp_unnamed(struct sim_outfile *o)
{
	char *dir;
	int fd;

	if (access("/proc/self/fd", X_OK) || !(dir = dir_part(o->target)))
		return -1;
	fd = open(*dir ? dir : ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, OUTFILE_NEW_MODE);
	free(dir);
	return fd;
}

/* Create the temporary file beside @o->target: unnamed where it can be
 * (@o->tmp NULL until the commit), else named. Return: the fd; -errno. */
static int tmp_create(struct sim_outfile *o, char *err, size_t errlen)
{
	int fd = tmp_unnamed(o);

	if (fd < 0) {
		fd = tmp_make(o, make_named, NULL);
		if (fd < 0)
			return sim_fail(err, errlen, fd, "%s: cannot create %s: %s", o->path,
					o->tmp ? o->tmp : o->target, strerror(-fd));
	}
	if (o->mode != OUTFILE_NEW_MODE)
		(void)fchmod(fd, o->mode); /* best effort: the file is written either way */
	return fd;
}

/* Name the unnamed temporary file of @o beside its target. Return: 0; -errno. */
static int tmp_link(struct sim_outfile *o)
{
	char proc[32];
	int ret;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fileno(o->f));
	ret = tmp_make(o, make_link, proc);
	if (ret < 0) {
		free(o->tmp); /* not ours to unlink */
		o->tmp = NULL;
		return ret;
	}
	return 0;
}

/* Open @o->target in place: a FIFO or a device (still one, checked on the
 * descriptor), or whatever a /proc link names. Return: the fd; -errno. */
static int in_place_open(struct sim_outfile *o, char *err, size_t errlen)
{
	int flags = O_WRONLY | O_NOCTTY | O_CLOEXEC | (o->proc ? O_APPEND : O_NOFOLLOW);
	struct stat st;
	int fd;

	do
		fd = open(o->target, flags);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return sim_fail(err, errlen, -errno, "%s: cannot open: %s", o->path,
				strerror(errno));
	if (!o->proc && (fstat(fd, &st) || !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)))) {
		close(fd);
		return sim_fail(err, errlen, -EAGAIN, "%s: changed while it was being opened",
				o->path);
	}
	return fd;
}

int sim_outfile_open(const char *path, struct sim_outfile **out, char *err, size_t errlen)
{
	struct sim_outfile *o;
	int fd, rc;

	if (!path || !*path)
		return sim_fail(err, errlen, -EINVAL, "an empty file name");
	o = outfile_new(path);
	if (!o)
		return sim_fail(err, errlen, -ENOMEM, "%s: out of memory", path);
	if (!strcmp(path, "-")) {
		o->how = OUT_STDOUT;
		o->f = stdout;
		*out = o;
		return 0;
	}
	rc = resolve(o, err, errlen);
	if (rc)
		goto out_free;
	fd = o->how == OUT_REPLACE ? tmp_create(o, err, errlen) : in_place_open(o, err, errlen);
	if (fd < 0) {
		rc = fd;
		goto out_free;
	}
	o->f = fdopen(fd, "w");
	if (!o->f) {
		rc = sim_fail(err, errlen, -ENOMEM, "%s: out of memory", path);
		close(fd);
		goto out_unlink;
	}
	*out = o;
	return 0;
out_unlink:
	if (o->how == OUT_REPLACE && o->tmp)
		unlink(o->tmp);
out_free:
	outfile_free(o);
	return rc;
}

FILE *sim_outfile_stream(const struct sim_outfile *o)
{
	return o->f;
}

bool sim_outfile_is_regular(const struct sim_outfile *o)
{
	return o->how == OUT_REPLACE;
}

/* Flush @f; the first error as a negative errno. */
static int flush(FILE *f)
{
	errno = 0;
	if (fflush(f))
		return errno ? -errno : -EIO;
	return ferror(f) ? -EIO : 0;
}

int sim_outfile_commit(struct sim_outfile *o, char *err, size_t errlen)
{
	const char *what = "write error";
	int rc = flush(o->f);

	if (o->how == OUT_STDOUT) {
		if (rc)
			sim_fail(err, errlen, rc, "standard output: write error: %s",
				 strerror(-rc));
		outfile_free(o);
		return rc;
	}
	if (!rc && o->how == OUT_REPLACE && fsync(fileno(o->f)))
		rc = -errno;
	if (!rc && o->how == OUT_REPLACE && !o->tmp && (rc = tmp_link(o)))
		what = "cannot name the file written beside it";
	if (fclose(o->f) && !rc)
		rc = -errno;
	if (rc) {
		sim_fail(err, errlen, rc, "%s: %s: %s", o->path, what, strerror(-rc));
	} else if (o->how == OUT_REPLACE && rename(o->tmp, o->target)) {
		rc = sim_fail(err, errlen, -errno, "%s: cannot rename %s to %s: %s", o->path,
			      o->tmp, o->target, strerror(errno));
	}
	if (rc && o->how == OUT_REPLACE && o->tmp)
		unlink(o->tmp);
	outfile_free(o);
	return rc;
}

void sim_outfile_discard(struct sim_outfile *o)
{
	if (!o)
		return;
	if (o->how != OUT_STDOUT)
		fclose(o->f);
	if (o->how == OUT_REPLACE && o->tmp)
		unlink(o->tmp);
	outfile_free(o);
}

int sim_outfile_check(const char *path, char *err, size_t errlen)
{
	struct sim_outfile *o;
	char *dir = NULL;
	int rc;

	if (!path || !*path)
		return sim_fail(err, errlen, -EINVAL, "an empty file name");
	if (!strcmp(path, "-"))
		return 0;
	o = outfile_new(path);
	if (!o)
		return sim_fail(err, errlen, -ENOMEM, "%s: out of memory", path);
	rc = resolve(o, err, errlen);
	if (rc)
		goto out;
	if (o->how == OUT_IN_PLACE) {
		if (access(o->target, W_OK))
			rc = sim_fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	dir = dir_part(o->target);
	if (!dir)
		rc = sim_fail(err, errlen, -ENOMEM, "%s: out of memory", path);
	else if (access(*dir ? dir : ".", W_OK | X_OK))
		rc = sim_fail(err, errlen, -errno, "%s: cannot be created in %s: %s", path,
			      *dir ? dir : ".", strerror(errno));
out:
	free(dir);
	outfile_free(o);
	return rc;
}
