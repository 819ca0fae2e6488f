/* SPDX-License-Identifier: MIT */
/*
 * outfile.h - an output file of the tool (a trace, a report's JSON or CSV,
 * a timeline, a plot), written the way the shell's `> FILE` would, except
 * that a regular file is replaced whole or not at all. Every command that
 * writes a named file goes through here, so they all follow one rule.
 *
 * What FILE is decides how it is written:
 *
 *  - "-": standard output (flushed at the end, not closed);
 *  - nothing yet, or a regular file: a temporary file beside it,
 *    "FILE.tmp.PID" (created O_EXCL, never through a link), is written,
 *    flushed to disk and renamed over FILE at the end; a failed write or a
 *    discard removes it and leaves FILE as it was. A file the caller may
 *    not write is refused (-EACCES), as by the shell, though a rename would
 *    get past it. A replaced file keeps its permission bits (not its owner,
 *    nor its other hard links: the name points at a new file);
 *  - a FIFO or a character device (/dev/null, a terminal): opened and
 *    written in place, never replaced; a FIFO waits for its reader as the
 *    shell's redirection does;
 *  - a symbolic link: followed, like a shell redirection. The file it leads
 *    to (through SIM_OUTFILE_MAX_LINKS links at most) is the one written by
 *    the rules above, so a link to a regular file has that file replaced
 *    atomically and the link stays; a link to nothing creates its target. A
 *    link that lives in /proc (/dev/stdout, /dev/fd/N, /proc/self/fd/N) names
 *    an open file, not a path: it is opened and appended to in place, never
 *    truncated nor replaced, so `--json /dev/stdout >> log` adds to log;
 *  - a directory, a socket or a block device: refused (-EISDIR, -EINVAL),
 *    with a message that says what it is.
 *
 * The checks are made when the file is opened, and again by open(2) itself
 * (a FIFO or device opened with O_NOFOLLOW and checked with fstat), but the
 * rename is not guarded against another process swapping FILE for something
 * else in between: two writers of one path are not a case this serves.
 *
 * Errors: 0 or a negative errno; every message in @err starts with the path
 * as given and says what failed, e.g. "out.json: is a directory",
 * "x/t.trace: cannot create x/t.trace.tmp.42: No such file or directory".
 */
#ifndef EPCMM_SIM_OUTFILE_H
#define EPCMM_SIM_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Symbolic links followed from the path given before giving up (-ELOOP);
 * the kernel's own limit for one path. */
#define SIM_OUTFILE_MAX_LINKS 40
/* Temporary names tried ("FILE.tmp.PID", then "FILE.tmp.PID.N") before
 * giving up with -EEXIST. */
#define SIM_OUTFILE_TMP_TRIES 100

struct sim_outfile;

/*
 * sim_outfile_open() - open @path for writing by the rules above.
 * Return: 0 and the handle in @out; -EISDIR a directory; -EINVAL a socket or
 * a block device, or an empty @path; -ELOOP too many links; -ENOMEM; the
 * errno of creating the temporary file or opening the FIFO or device
 * (-ENOENT no such directory, -EACCES, ...).
 */
int sim_outfile_open(const char *path, struct sim_outfile **out, char *err, size_t errlen);

/* What to write to. Valid until commit or discard. */
FILE *sim_outfile_stream(const struct sim_outfile *o);

/* True when @o will be a regular file at its path once committed (it
 * replaces one, or creates one): the file can be read back by name then.
 * False for standard output, a FIFO, a device and a /proc link. */
bool sim_outfile_is_regular(const struct sim_outfile *o);

/*
 * sim_outfile_commit() - finish: flush, and for a replaced file fsync and
 * rename it into place. Frees @o whatever happens.
 * Return: 0; -EIO or the errno of the failed write, fsync, close or rename
 * (the temporary file is removed, the old file left as it was).
 */
int sim_outfile_commit(struct sim_outfile *o, char *err, size_t errlen);

/* Give up: a temporary file is removed and the old file left as it was; a
 * FIFO or device is closed (what was written is written). Frees @o; NULL is
 * a no-op. */
void sim_outfile_discard(struct sim_outfile *o);

/*
 * sim_outfile_check() - before long work whose result goes to @path: would
 * sim_outfile_open() refuse it? The same rules, without creating or opening
 * anything: a directory, socket or block device, too many links, or (for a
 * file to replace or create) a directory that cannot be written, or (for a
 * FIFO or device) no write permission.
 * Return: 0; the errno sim_outfile_open() would fail with, most likely.
 */
int sim_outfile_check(const char *path, char *err, size_t errlen);

#endif
