/* SPDX-License-Identifier: MIT */
/*
 * proto.h - the epcmm wire protocol (docs/PROTOCOL.md is the reference).
 *
 * Every message, request or reply, is a fixed 16-byte header followed by
 * `len` payload bytes. Integers are in the host's byte order: the protocol
 * runs over a Unix socket, so both ends are on the same machine. A request
 * carries status 0; its reply has the request's type with EPCMM_MSG_REPLY set
 * and a status of 0 or a negative errno, and a payload only on success.
 *
 * The decoder (epcmm_proto_check_hdr() and the epcmm_rd_* cursor) checks every
 * length and range before anything is used: a malformed message is an error
 * reply and the end of that connection, never a crash.
 */
#ifndef EPCMM_LIVE_PROTO_H
#define EPCMM_LIVE_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define EPCMM_PROTO_MAGIC   0x4d435045u /* "EPCM" read as a little-endian u32 */
#define EPCMM_PROTO_VERSION 1
#define EPCMM_PROTO_HDR_LEN 16
/* The largest payload: one enclave read or write, or 256 pages to add. */
#define EPCMM_PROTO_MAX_IO	(1u << 20)
#define EPCMM_PROTO_MAX_PAYLOAD (EPCMM_PROTO_MAX_IO + 64)
#define EPCMM_PROTO_MAX_STR	4096 /* a path, a file name or a file's text */
/* STATUS_PAGE: the most text a page holds (whole lines, but for a line
 * longer than a page), so a reply is at most 16 + this many bytes. */
#define EPCMM_STATUS_PAGE_MAX EPCMM_PROTO_MAX_IO
/* The client library's bound on a whole status report gathered from pages
 * (about 200,000 cgroups with 4 KiB paths): past it, -E2BIG. */
#define EPCMM_STATUS_MAX_TOTAL (1ull << 30)

enum epcmm_msg_type {
	EPCMM_MSG_PING = 1,
	EPCMM_MSG_ENCL_CREATE = 2,
	EPCMM_MSG_ENCL_ADD = 3,
	EPCMM_MSG_ENCL_INIT = 4,
	EPCMM_MSG_ENCL_READ = 5,
	EPCMM_MSG_ENCL_WRITE = 6,
	EPCMM_MSG_ENCL_DESTROY = 7,
	EPCMM_MSG_ENCL_STATS = 8,
	EPCMM_MSG_PAGE_ALLOC = 9,
	EPCMM_MSG_PAGE_FREE = 10,
	EPCMM_MSG_CG_READ = 11,
	EPCMM_MSG_CG_WRITE = 12,
	EPCMM_MSG_CG_MKDIR = 13,
	EPCMM_MSG_CG_RMDIR = 14,
	EPCMM_MSG_STATUS = 15,
	EPCMM_MSG_STATUS_PAGE = 16,
	/* EDMM (SGX2), newer than 0.2.0 */
	EPCMM_MSG_ENCL_ADD2 = 17,
	EPCMM_MSG_ENCL_DYNAMIC = 18,
	EPCMM_MSG_ENCL_ACCEPT = 19,
	EPCMM_MSG_ENCL_RESTRICT = 20,
	EPCMM_MSG_ENCL_MODIFY_TYPES = 21,
	EPCMM_MSG_ENCL_REMOVE = 22,
	/* newer than 0.2.0: where the client runs, and the status as records */
	EPCMM_MSG_HELLO = 23,
	EPCMM_MSG_SNAPSHOT = 24,
	/* newer than 0.2.0: the shared-memory slot (shm.h), on the socket only */
	EPCMM_MSG_SHM = 25,
	EPCMM_MSG_TYPE_END,
};
#define EPCMM_MSG_REPLY 0x8000

/*
 * The replies of ENCL_RESTRICT, ENCL_MODIFY_TYPES and ENCL_REMOVE carry their
 * payload (u64 result, u64 count: how far the call got) whatever their
 * status, once the enclave was found: the one exception to "a payload only
 * on success".
 */
static inline bool epcmm_msg_reports_progress(uint16_t type)
{
	type &= (uint16_t)~EPCMM_MSG_REPLY;
	return type == EPCMM_MSG_ENCL_RESTRICT || type == EPCMM_MSG_ENCL_MODIFY_TYPES ||
	       type == EPCMM_MSG_ENCL_REMOVE;
}

struct epcmm_msg_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t len;	/* payload bytes after the header */
	int32_t status; /* requests: 0; replies: 0 or -errno */
};
_Static_assert(sizeof(struct epcmm_msg_hdr) == EPCMM_PROTO_HDR_LEN, "header layout");

/*
 * epcmm_proto_check_hdr() - the header of a request (@reply false) or of a
 * reply to a request of type @want (@reply true).
 * Return: 0; -EPROTO bad magic or a non-zero request status; -EPROTONOSUPPORT
 * another version; -EBADMSG unknown type, or not the reply expected;
 * -EMSGSIZE a payload above EPCMM_PROTO_MAX_PAYLOAD.
 */
int epcmm_proto_check_hdr(const struct epcmm_msg_hdr *h, bool reply, uint16_t want);

/*
 * epcmm_recv() - recv(2) that first polls for a while before it sleeps. A
 * request and its reply cross in microseconds, but a thread that sleeps in
 * recv() waits for its CPU to be woken, which on an idle virtual machine
 * takes tens of microseconds; so a reader retries a non-blocking recv for up
 * to EPCMM_RECV_SPIN_NS, yielding its CPU between tries (with more readers
 * than CPUs, a pure spin would keep the peer that must answer off the CPU),
 * then blocks. Return: as recv(2).
 */
#define EPCMM_RECV_SPIN_NS 50000
ssize_t epcmm_recv(int fd, void *buf, size_t len);

/* CLOCK_MONOTONIC in nanoseconds: the clock of the transport's bounded waits. */
uint64_t epcmm_now_ns(void);

/*
 * The SNAPSHOT reply's records (docs/PROTOCOL.md): each is a u32 kind, a u32
 * length and that many bytes of fields, u64s and strings (a u32 length and
 * that many bytes, none NUL) in the order below. A newer daemon may add
 * kinds (a reader skips them) and fields at a record's end (a reader takes
 * the ones it knows and skips the rest).
 */
enum epcmm_snap_kind {
	EPCMM_SNAP_EPC = 1,    /* u64 total, free, reclaimable, evicted, reloaded (pages) */
	EPCMM_SNAP_NODE = 2,   /* u64 id, total, free (pages) */
	EPCMM_SNAP_CGROUP = 3, /* u64 current, peak, max (~0: none), events, evicted,
				* reloaded, procs (bytes, counts); str path */
	EPCMM_SNAP_CLIENT = 4, /* u64 pid, enclaves, pages, cpu, node; str cgroup */
	EPCMM_SNAP_ENCL = 5,   /* u64 pid, id, size, pages, resident, evicted, reloaded,
				* faults */
};
#define EPCMM_SNAP_REC_HDR 8 /* u32 kind, u32 length */

/* A bounds-checked reader over one payload. Every call fails with -EBADMSG
 * when the payload is too short or a value is out of range, and then leaves
 * the cursor where it was. */
struct epcmm_rd {
	const uint8_t *p;
	size_t left;
};
int epcmm_rd_u32(struct epcmm_rd *r, uint32_t *v);
int epcmm_rd_u64(struct epcmm_rd *r, uint64_t *v);
/* A u16 length and that many bytes, 1..@max, none of them NUL; copied into
 * @buf (@max + 1 bytes) and NUL-terminated. */
int epcmm_rd_str(struct epcmm_rd *r, char *buf, size_t max);
/* A u32 length and that many bytes, none of them NUL, as a malloc'd string
 * in *@s: no length limit but the payload's. Return: 0; -EBADMSG; -ENOMEM. */
int epcmm_rd_blob(struct epcmm_rd *r, char **s);
/* The end: -EBADMSG if bytes are left over. */
int epcmm_rd_end(const struct epcmm_rd *r);

/* A growable output buffer (the writer side). Appends fail with -ENOMEM and
 * -EMSGSIZE past @max bytes (0: EPCMM_PROTO_MAX_PAYLOAD); after a failure
 * the buffer is marked bad and epcmm_wr_err() returns the first error. */
struct epcmm_wr {
	uint8_t *buf;
	size_t len, cap;
	size_t max;
	int err;
};
void epcmm_wr_reset(struct epcmm_wr *w);
void epcmm_wr_free(struct epcmm_wr *w);
void epcmm_wr_u32(struct epcmm_wr *w, uint32_t v);
void epcmm_wr_u64(struct epcmm_wr *w, uint64_t v);
void epcmm_wr_str(struct epcmm_wr *w, const char *s);
/* @s as epcmm_rd_blob() reads it: a u32 length and its bytes. */
void epcmm_wr_blob(struct epcmm_wr *w, const char *s);
void epcmm_wr_bytes(struct epcmm_wr *w, const void *p, size_t n);
/* Room for @n bytes at the end, returned for the caller to fill; NULL on error. */
void *epcmm_wr_reserve(struct epcmm_wr *w, size_t n);
static inline int epcmm_wr_err(const struct epcmm_wr *w)
{
	return w->err;
}

/*
 * epcmm_path_escape() - a cgroup path as the text report writes it, as the
 * kernel writes paths in /proc/self/mountinfo: a space, a tab, a backslash,
 * every other byte below 0x20, and 0x7f, as \ooo (three octal digits);
 * other bytes as they are. One to one, and nothing a terminal acts on.
 * Return: a malloc'd string; NULL without memory.
 */
char *epcmm_path_escape(const char *path);
static inline bool epcmm_path_escaped(unsigned char c)
{
	return c <= ' ' || c == '\\' || c == 0x7f;
}

/*
 * epcmm_snap_decode() - the records of a whole snapshot (@n bytes at @p, the
 * SNAPSHOT pages put together) into *@out, for epcmm_snapshot_get(). An
 * enclave record that does not follow its client's record (pages are not
 * one moment) is left out. Return: 0; -EPROTO a record that is cut short,
 * longer than what is left, or whose fields do not parse; -ENOMEM.
 */
struct epcmm_snapshot;
int epcmm_snap_decode(const uint8_t *p, size_t n, struct epcmm_snapshot **out);
void epcmm_snap_free(struct epcmm_snapshot *s);

#endif
