/* SPDX-License-Identifier: MIT */
/*
 * procwatch.h - the kernel's process events (the proc connector: netlink
 * NETLINK_CONNECTOR, group CN_IDX_PROC), reduced to what cgroup membership
 * needs: "process P forked process C" and "process P's leader exited", in
 * the order the kernel queued them, with a flag when any were lost.
 *
 * Why the order is enough (cgfs.c relies on it): the kernel queues a fork
 * event in copy_process() (proc_fork_connector()), before kernel_clone()
 * first wakes the child (wake_up_new_task()). So by the time a child runs at
 * all - and so before it can connect to the daemon or fork a child of its
 * own - its fork event is in this socket's queue; reading until the queue is
 * empty (EAGAIN) after such an action sees it. Likewise a leader's exit
 * event is queued in do_exit(), before the process can be reaped and its pid
 * handed to another process: in the stream, every event of a pid's next
 * owner comes after the exit event of its previous one.
 *
 * Loss: when the socket's buffer is full the kernel drops events and the
 * next read fails with ENOBUFS; when the kernel cannot allocate an event it
 * drops it silently, but every event carries a per-CPU sequence number, so
 * the gap shows at that CPU's next event. Both set *lost. The buffer is made
 * large (PROCWATCH_RCVBUF_BYTES) and a thread of this module calls the
 * owner's kick() whenever events wait (at most every PROCWATCH_KICK_MS), so
 * an idle owner still drains the socket.
 *
 * Availability: root (CAP_NET_ADMIN) in the initial pid and user namespaces
 * (events name pids of the initial namespace; the kernel ignores a listener
 * elsewhere), on a kernel with CONFIG_PROC_EVENTS. procwatch_open() fails
 * otherwise and the owner falls back to something else.
 *
 * Locks: none inside. procwatch_read() calls must not overlap (the owner
 * serializes them with its own lock); the thread only polls the socket and
 * calls kick() with no lock held; procwatch_close() must not be called with
 * the lock kick() takes.
 */
#ifndef EPCMM_LIVE_PROCWATCH_H
#define EPCMM_LIVE_PROCWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PROCWATCH_RCVBUF_BYTES	 (8u << 20) /* the socket's buffer (as root; else the system's cap) */
#define PROCWATCH_KICK_MS	 50	    /* the thread kicks at most this often */
#define PROCWATCH_ACK_TIMEOUT_MS 1000	    /* for the kernel's answer to LISTEN */

struct procwatch;

enum procwatch_what {
	PROCWATCH_FORK, /* @pid is a new process (not a thread) forked by @parent */
	PROCWATCH_EXIT, /* the leader thread of process @pid exited */
};

struct procwatch_event {
	enum procwatch_what what;
	pid_t pid;    /* a thread group id */
	pid_t parent; /* PROCWATCH_FORK: the new process's parent (its real_parent) */
};

/*
 * procwatch_open() - listen to the kernel's process events.
 * Return: 0; -EOPNOTSUPP not in the initial pid and user namespaces, or no
 * connector in this kernel; -EPERM not privileged; -ETIMEDOUT the kernel did
 * not answer; -ENOMEM; another -errno from the socket calls. *@why gets a
 * short static reason on failure.
 */
int procwatch_open(struct procwatch **out, const char **why);

/* Start the thread that calls @kick(@arg) whenever events wait to be read.
 * Return: 0; -errno (no thread: events pile up until lost). */
int procwatch_start(struct procwatch *pw, void (*kick)(void *arg), void *arg);

/* Stop the thread, stop listening and free @pw (NULL is ignored). */
void procwatch_close(struct procwatch *pw);

/*
 * procwatch_read() - read pending events, in the kernel's order, into @ev
 * (at most @cap, which must be at least 1), without waiting. Other kinds of
 * event (exec, uid, a thread's fork or exit...) are read and skipped.
 * *@lost: events were lost: the buffer overflowed since the previous call
 * (the lost events come after everything this call read before it noticed),
 * or a CPU's sequence numbers skipped (an allocation failure in the kernel,
 * which shows only at that CPU's next event, so the lost one may be older).
 * *@empty: the queue was found empty, so every event queued before this call
 * returned has been read (by this call or an earlier one).
 * Return: the number of events in @ev.
 */
size_t procwatch_read(struct procwatch *pw, struct procwatch_event *ev, size_t cap, bool *lost,
		      bool *empty);

#endif
