/* SPDX-License-Identifier: MIT */
/*
 * daemon.h - `epcmm daemon`: one struct epc in THREADS mode served over a
 * Unix socket, one thread per client connection, and optionally the cgroup
 * tree mounted with FUSE.
 *
 * Security: the socket is created mode 0600 (under umask 0177, then chmod);
 * a peer whose SO_PEERCRED uid is neither the daemon's nor root is logged and
 * closed before it is read from. Client input is decoded by session.c,
 * which checks every length and range. The socket path is taken only if it
 * is free or holds a socket nobody listens on; a file of another kind, or a
 * live daemon's socket, is refused and left as it is, and at exit the daemon
 * unlinks the socket file it made (same device and inode) and nothing else.
 *
 * Out of descriptors (EMFILE, ENFILE), a waiting client is accepted with a
 * reserve descriptor and closed, with a log line, so that clients are told
 * rather than left in the backlog and the accept loop does not spin; when
 * even that fails, the loop stops polling the socket for a while.
 *
 * Readiness: once the socket listens and the cgroupfs is mounted, READY=1 is
 * sent to systemd ($NOTIFY_SOCKET, sd_notify(3)'s datagram, for a
 * Type=notify unit), and STOPPING=1 when shutdown starts.
 *
 * Shutdown (@stop_fd readable): stop accepting, unlink the socket, interrupt
 * and shut down every connection (each thread destroys what its client
 * created), wait for them, unmount, free the EPC.
 */
#ifndef EPCMM_LIVE_DAEMON_H
#define EPCMM_LIVE_DAEMON_H

#include "epcmm.h"

struct live_daemon_opts {
	const struct epc_config *cfg; /* the machine; background must be THREADS */
	const char *socket_path;
	const char *mount_dir; /* NULL: no mount */
	int stop_fd;	       /* readable: shut down (a signalfd, an eventfd, a pipe) */
	int ready_fd;	       /* -1, or written one byte once serving (for tests) */
};

/* Run until @o->stop_fd is readable. Return: 0 after a clean shutdown; a
 * negative errno when it could not start (a line on stderr says why). */
int live_daemon_run(const struct live_daemon_opts *o);

#endif
