/* SPDX-License-Identifier: MIT */
/*
 * trace.h - memory traces of real programs, replayed as an enclave's accesses
 * (DESIGN §11, `pattern = trace:FILE`).
 *
 * Three input formats, told apart by their first bytes (docs/TRACE-FORMAT.md):
 *
 *  - Valgrind Lackey, `valgrind --tool=lackey --trace-mem=yes`: lines
 *    "I  ADDR,SIZE" (instruction fetch), " L ADDR,SIZE" (load), " S ..."
 *    (store), " M ..." (modify: load and store), ADDR in hex, SIZE in decimal.
 *    Valgrind's own lines (==PID==, --PID--, **PID**) and blank lines are
 *    skipped. Loads and instruction fetches read, stores and modifies write:
 *    an enclave's code pages live in the EPC like its data, so a fetch from a
 *    page that was evicted faults just as a load does. An access that spans
 *    page boundaries touches every page it covers, one access each. SIZE is
 *    1..SIM_TRACE_MAX_ACCESS.
 *  - plain: one address per line, "0x"-prefixed hex or decimal, with an
 *    optional R or W (either case) before or after it (default R); '#' starts
 *    a comment; blank lines are skipped.
 *  - compact: epcmm's binary format (magic, version, counts, then
 *    page-granular records with consecutive repeats folded into runs,
 *    varint/delta encoded; layout below), what `epcmm record` writes.
 *
 * Pages are EPC pages (SIM_TRACE_PAGE_SIZE bytes). Each distinct page of the
 * trace gets a dense index in order of first touch: the first page the
 * program touches is 0, the next new one 1, and so on, so a trace of a
 * program whose pages are scattered over a 47-bit address space replays on an
 * enclave of exactly nr_pages pages.
 *
 * How it works: sim_trace_open() reads the whole input once (the pre-scan),
 * maps addresses to dense indices with an open-addressing hash table and
 * encodes the accesses in the compact record encoding; a compact file is
 * checked end to end instead. So every error is found at open, with
 * file:line (text) or file: byte offset (compact) and what is wrong, the
 * counts are known before the first access, sim_trace_next() is a varint
 * decode that cannot fail, and replay is as fast for Lackey input as for
 * compact input (the text is parsed once).
 *
 * Memory: a trace may be far bigger than memory, and none is read into it
 * whole. Text is read a chunk at a time (SRC_CHUNK), a line at most
 * SIM_TRACE_MAX_LINE; its encoding (one to three bytes per run of accesses)
 * stays on the heap up to SIM_TRACE_HEAP_MAX, and past that goes to an
 * unlinked temporary file ($TMPDIR, else /tmp) that is mapped read-only. A
 * compact file opened by path is mapped, not read (it must not be truncated
 * while open: `epcmm record` replaces a file whole); a compact stream is
 * copied the same way as the text's encoding, after its header is checked,
 * and no further than the entries the header announces can take. So a
 * stream that is no trace, or that goes on past its header's promise
 * (/dev/urandom, a pipe that never ends), is refused after a few MiB. While
 * text is read, the hash table takes 24 bytes per distinct page (at most
 * SIM_TRACE_MAX_PAGES). A trace has at most SIM_TRACE_MAX_RECORDS accesses:
 * a longer text is refused at the line past it, a compact header that
 * claims more at once.
 *
 * Compact file layout (all integers little endian; version 1):
 *
 *   offset  size  field
 *   0       8     magic "\x89EPCTRC\n"
 *   8       4     version (1)
 *   12      4     page_shift (12: 4096-byte pages)
 *   16      8     nr_records   accesses, runs expanded
 *   24      8     nr_pages     distinct pages (dense indices 0..nr_pages-1)
 *   32      8     nr_entries   encoded entries that follow
 *   40      8     nr_writes    accesses that write
 *   48            entries, to the end of the file
 *
 *   entry:  varint T  [varint R]
 *     T = zigzag(page - base) << 3 | far << 2 | write << 1 | has_run
 *     base = the page of the entry before the previous one if far, else
 *         the previous entry's page (both 0 at the start): code and data
 *         pages alternate (a fetch, a load, a fetch, a store), and with
 *         far the page two entries back costs no delta
 *     R = run - 2 when has_run (the entry stands for run >= 2 accesses to
 *         the same page of the same kind), absent otherwise (run 1)
 *   A page index may be at most the number of distinct pages seen so far
 *   (an index equal to it introduces the next new page). varint: LEB128,
 *   7 bits a byte, low first, at most 10 bytes. The writer folds every run
 *   and picks the base with the smaller delta; the reader accepts either.
 *
 * Thread safety: a trace is used by one thread at a time; traces share
 * nothing, so several may be replayed by several threads.
 */
#ifndef EPCMM_SIM_TRACE_H
#define EPCMM_SIM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SIM_TRACE_PAGE_SHIFT 12
#define SIM_TRACE_PAGE_SIZE  (1ull << SIM_TRACE_PAGE_SHIFT)
/* Largest SIZE of one Lackey access (bytes): xsave areas are a few KiB. */
#define SIM_TRACE_MAX_ACCESS 65536
/* Most distinct pages a trace may have: 2^32 pages, 16 TiB. */
#define SIM_TRACE_MAX_PAGES (1ull << 32)
/* Longest text line, bytes, newline excluded. */
#define SIM_TRACE_MAX_LINE 4096
/* Most accesses a trace may have: 10^12, what one enclave may make
 * (scenario.h SIM_MAX_ACCESSES). */
#define SIM_TRACE_MAX_RECORDS 1000000000000ull
/* Bytes of a trace's encoding kept on the heap; the rest goes to a file. */
#define SIM_TRACE_HEAP_MAX (8u << 20)

#define SIM_TRACE_MAGIC                                                                            \
	"\x89"                                                                                     \
	"EPCTRC\n"
#define SIM_TRACE_MAGIC_LEN  8
#define SIM_TRACE_VERSION    1
#define SIM_TRACE_HEADER_LEN 48

enum sim_trace_format {
	SIM_TRACE_LACKEY,
	SIM_TRACE_PLAIN,
	SIM_TRACE_COMPACT,
};

struct sim_trace;

/*
 * sim_trace_open - read the trace in @path (any format) and check it whole.
 * @err: on failure, a message naming @path, the line (or byte offset) and
 * what is wrong; may be NULL.
 * Return: 0 and *@out; -ENOENT, -EACCES, ... the file cannot be opened;
 * -EINVAL bad contents (including a trace with no access); -E2BIG more than
 * SIM_TRACE_MAX_PAGES pages or SIM_TRACE_MAX_RECORDS accesses; -ENOMEM;
 * -EISDIR, -EIO, ... a read error; -ENOSPC, ... the temporary file for a
 * long trace could not be written.
 */
int sim_trace_open(const char *path, struct sim_trace **out, char *err, size_t errlen);

/*
 * sim_trace_open_stream - as sim_trace_open(), reading @in (a pipe, stdin) to
 * its end; @name names it in messages. @in is not closed.
 */
int sim_trace_open_stream(FILE *in, const char *name, struct sim_trace **out, char *err,
			  size_t errlen);

/*
 * sim_trace_open_stream_progress - as sim_trace_open_stream(), telling
 * @progress (may be NULL) how far a text trace has been read: after each
 * buffer of input (about 64 KiB), the accesses and distinct pages so far,
 * from the calling thread.
 */
struct sim_trace_progress {
	void (*fn)(void *arg, uint64_t accesses, uint64_t pages);
	void *arg;
};
int sim_trace_open_stream_progress(FILE *in, const char *name,
				   const struct sim_trace_progress *progress,
				   struct sim_trace **out, char *err, size_t errlen);

/* sim_trace_open_buffer - as sim_trace_open(), from @len bytes at @data (copied). */
int sim_trace_open_buffer(const void *data, size_t len, const char *name, struct sim_trace **out,
			  char *err, size_t errlen);

uint64_t sim_trace_nr_pages(const struct sim_trace *t);	  /* distinct pages */
uint64_t sim_trace_nr_records(const struct sim_trace *t); /* accesses */
uint64_t sim_trace_nr_writes(const struct sim_trace *t);  /* accesses that write */
uint64_t sim_trace_nr_entries(const struct sim_trace *t); /* runs, as encoded */
enum sim_trace_format sim_trace_format(const struct sim_trace *t);
/* Bytes sim_trace_write() writes. */
uint64_t sim_trace_compact_size(const struct sim_trace *t);

/*
 * sim_trace_next - the next access: its page index in order of first touch
 * (0..nr_pages-1) and whether it writes.
 * Return: 1 an access; 0 the end (and again on every later call).
 */
int sim_trace_next(struct sim_trace *t, uint64_t *page, bool *write);

/* sim_trace_rewind - start again from the first access. Return: 0. */
int sim_trace_rewind(struct sim_trace *t);

void sim_trace_close(struct sim_trace *t);

/*
 * sim_trace_write - write @t in the compact format to @out.
 * Return: 0; -EIO a write failed.
 */
int sim_trace_write(const struct sim_trace *t, FILE *out);

/*
 * sim_trace_save - write @t in the compact format to @path, by the rules of
 * sim_outfile_open() (outfile.h): "-" is standard output, a regular file is
 * replaced atomically (a temporary file beside it, renamed over it when
 * complete), a FIFO or character device is written in place, a directory,
 * socket or block device is refused.
 * Return: 0; -errno (message in @err).
 */
int sim_trace_save(const struct sim_trace *t, const char *path, char *err, size_t errlen);

#endif
