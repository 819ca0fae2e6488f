// SPDX-License-Identifier: MIT
/*
 * trace.c - trace readers (Lackey, plain, compact) and the compact writer.
 * The formats, the encoding and the guarantees are in trace.h and
 * docs/TRACE-FORMAT.md.
 *
 * Text input goes line by line through a parser (lackey_line, plain_line)
 * into the encoder (struct enc): addresses become page numbers, page numbers
 * become dense indices through an open-addressing table (struct page_map),
 * and accesses become entries, a pending run growing while the same page is
 * accessed the same way. A compact input is checked entry by entry
 * (compact_check) with the same rules the replay relies on, so that
 * sim_trace_next() can decode without checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"
#include "trace.h"

/* Bytes read from a stream at a time. */
#define SRC_CHUNK (1u << 20)
/* Slots of a new page map (a power of two). */
#define MAP_INITIAL_SLOTS 1024
/* A varint is at most this long (64 bits, 7 a byte). */
#define VARINT_MAX_LEN 10
/* Characters of a bad token quoted in a message. */
#define QUOTE_MAX 24

struct sim_trace {
	enum sim_trace_format fmt;
	uint8_t *mem; /* owned; entries from mem + start to mem + end */
	size_t start, end;
	size_t map_len; /* mem is a read-only mapping of this many bytes; 0: malloc'd */
	uint64_t nr_records, nr_pages, nr_entries, nr_writes;
	/* replay cursor */
	size_t pos;
	uint64_t prev;	   /* page of the last entry decoded */
	uint64_t prev2;	   /* page of the entry before it */
	uint64_t run_left; /* accesses of that entry still to return */
	bool prev_write;
};

/* ---- errors ---- */

struct where {
	const char *name;
	uint64_t line; /* 1-based; 0: none */
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4))) static int fail(const struct where *w, int rc,
						      const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!w->err || !w->errlen)
		return rc;
	if (w->line)
		n = snprintf(w->err, w->errlen, "%s:%" PRIu64 ": ", w->name, w->line);
	else
		n = snprintf(w->err, w->errlen, "%s: ", w->name);
	if (n >= 0 && (size_t)n < w->errlen) {
		va_start(ap, fmt);
		vsnprintf(w->err + n, w->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* @s[0..@n) made printable for a message: at most QUOTE_MAX characters. */
static const char *quote(char out[QUOTE_MAX + 4], const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < QUOTE_MAX; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (n > QUOTE_MAX) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

/* ---- growing byte buffer ---- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static int buf_reserve(struct buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 4096;
	uint8_t *p;

	if (b->len + more <= b->cap)
		return 0;
	while (cap < b->len + more) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

/*
 * A spool: bytes appended on the heap until SIM_TRACE_HEAP_MAX would be
 * passed, then moved to an unlinked temporary file, which is mapped
 * read-only when the spool is finished. So a trace of any length holds at
 * most SIM_TRACE_HEAP_MAX of heap; the rest is page cache, which the kernel
 * can write back and drop.
 */
struct spool {
	struct buf b;
	int fd;		  /* the temporary file; -1 before the first spill */
	uint64_t spilled; /* bytes written to it */
};

#define SPOOL_INIT                                                                                 \
	{                                                                                          \
		.fd = -1                                                                           \
	}

/* An unlinked file in $TMPDIR (else /tmp). Return: the fd; -errno. */
static int spool_tmpfile(void)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	if (asprintf(&path, "%s/epcmm-trace-XXXXXX", dir) < 0)
		return -ENOMEM;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	else
		unlink(path);
	free(path);
	return fd;
}

/* The heap part to the file. Return: 0; -errno (ENOSPC, ...). */
static int spool_spill(struct spool *sp)
{
	const uint8_t *p = sp->b.p;
	size_t n = sp->b.len;

	if (sp->fd < 0) {
		int fd = spool_tmpfile();

		if (fd < 0)
			return fd;
		sp->fd = fd;
	}
	while (n) {
		ssize_t w = write(sp->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	sp->spilled += sp->b.len;
	sp->b.len = 0;
	return 0;
}

/* Heap room for @n more bytes (n <= SIM_TRACE_HEAP_MAX), spilling first if
 * they would pass SIM_TRACE_HEAP_MAX. Return: 0; -ENOMEM; -errno. */
static int spool_reserve(struct spool *sp, size_t n)
{
	if (sp->b.len + n > SIM_TRACE_HEAP_MAX) {
		int rc = spool_spill(sp);

		if (rc)
			return rc;
	}
	return buf_reserve(&sp->b, n);
}

static int spool_append(struct spool *sp, const uint8_t *p, size_t n)
{
	while (n) {
		size_t k = n < SIM_TRACE_HEAP_MAX ? n : SIM_TRACE_HEAP_MAX;
		int rc = spool_reserve(sp, k);

		if (rc)
			return rc;
		memcpy(sp->b.p + sp->b.len, p, k);
		sp->b.len += k;
		p += k;
		n -= k;
	}
	return 0;
}

/*
 * All the spooled bytes as one block in *@mem, *@len long: the heap buffer
 * itself (*@map_len 0), or the file mapped (*@map_len = *@len). The spool is
 * left empty. Return: 0; -errno.
 */
static int spool_finish(struct spool *sp, uint8_t **mem, size_t *len, size_t *map_len)
{
	void *m = NULL;
	int rc = 0;

	if (sp->fd < 0) {
		*mem = sp->b.p;
		*len = sp->b.len;
		*map_len = 0;
		sp->b = (struct buf){0};
		return 0;
	}
	rc = spool_spill(sp);
	if (!rc) {
		m = mmap(NULL, (size_t)sp->spilled, PROT_READ, MAP_PRIVATE, sp->fd, 0);
		if (m == MAP_FAILED)
			rc = -errno;
	}
	close(sp->fd);
	free(sp->b.p);
	sp->b = (struct buf){0};
	sp->fd = -1;
	if (rc)
		return rc;
	*mem = m;
	*len = *map_len = (size_t)sp->spilled;
	return 0;
}

static void spool_free(struct spool *sp)
{
	free(sp->b.p);
	if (sp->fd >= 0)
		close(sp->fd);
}

static void put_varint(struct buf *b, uint64_t v)
{
	while (v >= 0x80) {
		b->p[b->len++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b->p[b->len++] = (uint8_t)v;
}

static uint64_t zigzag(uint64_t delta)
{
	return (delta << 1) ^ (uint64_t) - (int64_t)(delta >> 63);
}

static uint64_t unzigzag(uint64_t z)
{
	return (z >> 1) ^ (uint64_t) - (int64_t)(z & 1);
}

/* ---- page map: page number -> dense index, open addressing, linear probing ---- */

struct page_map {
	uint64_t *keys; /* page number + 1; 0: empty slot */
	uint32_t *vals;
	size_t mask; /* slots - 1 */
	uint64_t nr;
};

static size_t map_slot(const struct page_map *m, uint64_t key)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & m->mask;
}

static int map_init(struct page_map *m, size_t slots)
{
	m->keys = calloc(slots, sizeof(*m->keys));
	m->vals = malloc(slots * sizeof(*m->vals));
	m->mask = slots - 1;
	m->nr = 0;
	if (!m->keys || !m->vals) {
		free(m->keys);
		free(m->vals);
		return -ENOMEM;
	}
	return 0;
}

static void map_free(struct page_map *m)
{
	free(m->keys);
	free(m->vals);
}

static int map_grow(struct page_map *m)
{
	struct page_map n;
	int rc = map_init(&n, (m->mask + 1) * 2);

	if (rc)
		return rc;
	for (size_t i = 0; i <= m->mask; i++) {
		size_t s;

		if (!m->keys[i])
			continue;
		for (s = map_slot(&n, m->keys[i]); n.keys[s]; s = (s + 1) & n.mask)
			;
		n.keys[s] = m->keys[i];
		n.vals[s] = m->vals[i];
	}
	n.nr = m->nr;
	map_free(m);
	*m = n;
	return 0;
}

/* The dense index of page number @vpn, a new one if it is new. */
static int map_index(struct page_map *m, uint64_t vpn, uint64_t *idx)
{
	uint64_t key = vpn + 1; /* vpn < 2^52: no wrap */
	size_t s;

	for (s = map_slot(m, key); m->keys[s]; s = (s + 1) & m->mask)
		if (m->keys[s] == key) {
			*idx = m->vals[s];
			return 0;
		}
	if (m->nr >= SIM_TRACE_MAX_PAGES)
		return -E2BIG;
	m->keys[s] = key;
	m->vals[s] = (uint32_t)m->nr;
	*idx = m->nr++;
	if (m->nr * 2 > m->mask + 1)
		return map_grow(m);
	return 0;
}

/* ---- encoder: accesses -> entries ---- */

struct enc {
	struct spool out;
	struct page_map map;
	uint64_t prev;	   /* page of the last entry written */
	uint64_t prev2;	   /* page of the entry before it */
	uint64_t run_page; /* the pending run, if run_len */
	uint64_t run_len;
	bool run_write;
	uint64_t last_vpn; /* the last page number looked up, if have_last */
	uint64_t last_idx;
	bool have_last;
	uint64_t nr_records, nr_writes, nr_entries;
};

static int enc_flush(struct enc *e)
{
	uint64_t tok, near, far;
	int rc;

	if (!e->run_len)
		return 0;
	rc = spool_reserve(&e->out, 2 * VARINT_MAX_LEN);
	if (rc)
		return rc;
	near = zigzag(e->run_page - e->prev);
	far = zigzag(e->run_page - e->prev2);
	if (far < near) /* A B A: A is 0 from two entries back */
		tok = far << 3 | 1 << 2;
	else
		tok = near << 3;
	tok |= (uint64_t)e->run_write << 1 | (e->run_len > 1);
	put_varint(&e->out.b, tok);
	if (e->run_len > 1)
		put_varint(&e->out.b, e->run_len - 2);
	e->prev2 = e->prev;
	e->prev = e->run_page;
	e->nr_entries++;
	e->run_len = 0;
	return 0;
}

/*
 * One access to page number @vpn. Return: 0; -E2BIG one page too many;
 * -EFBIG one access too many (SIM_TRACE_MAX_RECORDS); -ENOMEM; -errno of the
 * temporary file.
 */
static int enc_access(struct enc *e, uint64_t vpn, bool write)
{
	uint64_t idx;
	int rc;

	if (e->nr_records == SIM_TRACE_MAX_RECORDS)
		return -EFBIG;
	if (e->have_last && e->last_vpn == vpn) {
		idx = e->last_idx;
	} else {
		rc = map_index(&e->map, vpn, &idx);
		if (rc)
			return rc;
		e->last_vpn = vpn;
		e->last_idx = idx;
		e->have_last = true;
	}
	e->nr_records++;
	e->nr_writes += write;
	if (e->run_len && e->run_page == idx && e->run_write == write) {
		e->run_len++;
		return 0;
	}
	rc = enc_flush(e);
	if (rc)
		return rc;
	e->run_page = idx;
	e->run_write = write;
	e->run_len = 1;
	return 0;
}

/* ---- text parsers ---- */

struct parse {
	struct where w;
	enum sim_trace_format fmt; /* SIM_TRACE_COMPACT: not decided yet */
	struct enc enc;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The message for an encoder's error (enc_access()); what the caller returns. */
static int enc_fail(const struct where *w, int rc)
{
	if (rc == -E2BIG)
		return fail(w, rc, "more than %llu distinct pages",
			    (unsigned long long)SIM_TRACE_MAX_PAGES);
	if (rc == -EFBIG)
		return fail(w, -E2BIG, "more than %llu accesses (the most a trace may have)",
			    (unsigned long long)SIM_TRACE_MAX_RECORDS);
	if (rc == -ENOMEM)
		return fail(w, rc, "out of memory");
	return fail(w, rc, "cannot keep the trace's encoding in a temporary file: %s",
		    strerror(-rc));
}

/* Accesses to every page of [@addr, @addr + @size). */
static int parse_access(struct parse *p, uint64_t addr, uint64_t size, bool write)
{
	uint64_t first = addr >> SIM_TRACE_PAGE_SHIFT;
	uint64_t last = (addr + (size - 1)) >> SIM_TRACE_PAGE_SHIFT;
	int rc;

	for (uint64_t vpn = first; vpn <= last; vpn++) {
		rc = enc_access(&p->enc, vpn, write);
		if (rc)
			return enc_fail(&p->w, rc);
	}
	return 0;
}

/* "==123==", "--123--" or "**123**" at the start: Valgrind speaking. */
static bool is_valgrind_chatter(const char *s, size_t n)
{
	size_t i = 2;

	if (n < 5 || !(s[0] == '=' || s[0] == '-' || s[0] == '*') || s[1] != s[0])
		return false;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i > 2 && i + 1 < n && s[i] == s[0] && s[i + 1] == s[0];
}

static bool is_lackey_record(const char *s, size_t n)
{
	if (n < 3 || s[2] != ' ')
		return false;
	return (s[0] == 'I' && s[1] == ' ') ||
	       (s[0] == ' ' && (s[1] == 'L' || s[1] == 'S' || s[1] == 'M'));
}

static int lackey_line(struct parse *p, const char *s, size_t n)
{
	char q[QUOTE_MAX + 4];
	uint64_t addr = 0, size = 0;
	size_t i = 3, d;
	bool write;

	if (n && s[n - 1] == '\r')
		n--;
	if (!n || is_valgrind_chatter(s, n))
		return 0;
	if (!is_lackey_record(s, n))
		return fail(&p->w, -EINVAL,
			    "unknown record type in '%s' (Lackey lines are 'I  ADDR,SIZE', "
			    "' L ADDR,SIZE', ' S ...' or ' M ...')",
			    quote(q, s, n));
	write = s[1] == 'S' || s[1] == 'M';
	for (d = 0; i < n && s[i] != ','; i++, d++) {
		int v = hexval(s[i]);

		if (v < 0 || d >= 16) {
			size_t e = i;

			while (e < n && s[e] != ',')
				e++;
			return fail(&p->w, -EINVAL, "bad hex address '%s'", quote(q, s + 3, e - 3));
		}
		addr = addr << 4 | (uint64_t)v;
	}
	if (!d)
		return fail(&p->w, -EINVAL, "bad hex address '' (nothing before the ',')");
	if (i == n)
		return fail(&p->w, -EINVAL, "missing ',SIZE' after the address in '%s'",
			    quote(q, s, n));
	for (i++, d = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++, d++) {
		if (size > SIM_TRACE_MAX_ACCESS) /* keep going: the digits are checked */
			continue;
		size = size * 10 + (uint64_t)(s[i] - '0');
	}
	if (!d || i < n)
		return fail(&p->w, -EINVAL, "bad size in '%s' (a decimal number of bytes)",
			    quote(q, s, n));
	if (!size)
		return fail(&p->w, -EINVAL, "access of 0 bytes in '%s'", quote(q, s, n));
	if (size > SIM_TRACE_MAX_ACCESS)
		return fail(&p->w, -EINVAL, "access size in '%s' above %d bytes", quote(q, s, n),
			    SIM_TRACE_MAX_ACCESS);
	if (addr + (size - 1) < addr)
		return fail(&p->w, -EINVAL, "access in '%s' runs past the end of the address space",
			    quote(q, s, n));
	return parse_access(p, addr, size, write);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* A plain address: 0x-prefixed hex or decimal. */
static int plain_addr(struct parse *p, const char *s, size_t n, uint64_t *addr)
{
	char q[QUOTE_MAX + 4];
	uint64_t v = 0;
	size_t i;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		size_t digits = 0;

		for (i = 2; i < n && hexval(s[i]) >= 0; i++) {
			digits += v || hexval(s[i]);
			v = v << 4 | (uint64_t)hexval(s[i]);
		}
		if (i < n)
			goto bad;
		if (digits > 16)
			goto too_big;
		*addr = v;
		return 0;
	}
	for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10) {
			while (i < n && s[i] >= '0' && s[i] <= '9')
				i++;
			if (i < n)
				goto bad;
			goto too_big;
		}
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == n) {
		*addr = v;
		return 0;
	}
	while (i < n && hexval(s[i]) >= 0)
		i++;
	if (i == n)
		return fail(&p->w, -EINVAL, "bad address '%s' (hex needs a 0x prefix)",
			    quote(q, s, n));
bad:
	return fail(&p->w, -EINVAL, "bad address '%s' (0x-prefixed hex or decimal)",
		    quote(q, s, n));
too_big:
	return fail(&p->w, -EINVAL, "address '%s' above 2^64 - 1", quote(q, s, n));
}

static int plain_kind(const char *s, size_t n)
{
	if (n != 1)
		return -1;
	if (s[0] == 'R' || s[0] == 'r')
		return 0;
	if (s[0] == 'W' || s[0] == 'w')
		return 1;
	return -1;
}

static int plain_line(struct parse *p, const char *s, size_t n)
{
	char q[QUOTE_MAX + 4];
	const char *tok[3];
	size_t len[3], nr = 0, i = 0;
	const char *hash = memchr(s, '#', n);
	uint64_t addr = 0;
	int kind = 0, rc;

	if (hash)
		n = (size_t)(hash - s);
	while (i < n) {
		while (i < n && is_space(s[i]))
			i++;
		if (i == n)
			break;
		if (nr == 3)
			break;
		tok[nr] = s + i;
		while (i < n && !is_space(s[i]))
			i++;
		len[nr] = (size_t)(s + i - tok[nr]);
		nr++;
	}
	if (!nr)
		return 0;
	if (nr > 2)
		return fail(&p->w, -EINVAL,
			    "too many fields in '%s' (an address with an optional R or W)",
			    quote(q, s, n));
	if (nr == 2) {
		int k0 = plain_kind(tok[0], len[0]);

		if (k0 >= 0) {
			kind = k0;
			tok[0] = tok[1];
			len[0] = len[1];
		} else {
			kind = plain_kind(tok[1], len[1]);
			if (kind < 0)
				return fail(&p->w, -EINVAL, "unknown access kind '%s' (R or W)",
					    quote(q, tok[1], len[1]));
		}
	}
	rc = plain_addr(p, tok[0], len[0], &addr);
	if (rc)
		return rc;
	return parse_access(p, addr, 1, kind == 1);
}

static int text_line(struct parse *p, const char *s, size_t n)
{
	if (p->fmt == SIM_TRACE_COMPACT) { /* not decided: the first telling line decides */
		size_t m = n;

		while (m && is_space(s[m - 1]))
			m--;
		if (!m)
			return 0;
		p->fmt = is_valgrind_chatter(s, m) || is_lackey_record(s, m) ? SIM_TRACE_LACKEY
									     : SIM_TRACE_PLAIN;
	}
	return p->fmt == SIM_TRACE_LACKEY ? lackey_line(p, s, n) : plain_line(p, s, n);
}

/* ---- input: a stream read in chunks, or bytes in memory ---- */

struct src {
	FILE *f;    /* NULL: all of it is in buf */
	int map_fd; /* a regular file that may be mapped from its start; -1: no */
	const struct sim_trace_progress *progress; /* NULL: none */
	uint8_t *buf;
	size_t len, pos, cap;
	bool eof;
};

/* Read more after buf[pos..len), moved to the front. Return: 0, -ENOMEM, -errno of the read. */
static int src_fill(struct src *s)
{
	size_t got;

	if (s->eof)
		return 0;
	if (s->pos) {
		memmove(s->buf, s->buf + s->pos, s->len - s->pos);
		s->len -= s->pos;
		s->pos = 0;
	}
	if (s->cap - s->len < SRC_CHUNK) {
		size_t cap = s->cap < SRC_CHUNK ? 2 * SRC_CHUNK : 2 * s->cap;
		uint8_t *b = realloc(s->buf, cap);

		if (!b)
			return -ENOMEM;
		s->buf = b;
		s->cap = cap;
	}
	got = fread(s->buf + s->len, 1, s->cap - s->len, s->f);
	s->len += got;
	if (got == 0) {
		if (ferror(s->f))
			return errno > 0 ? -errno : -EIO;
		s->eof = true;
	}
	return 0;
}

static int parse_text(struct parse *p, struct src *s)
{
	char q[QUOTE_MAX + 4];
	int rc;

	for (;;) {
		uint8_t *nl = memchr(s->buf + s->pos, '\n', s->len - s->pos);
		size_t n = nl ? (size_t)(nl - (s->buf + s->pos)) : s->len - s->pos;

		if (!nl && !s->eof && n <= SIM_TRACE_MAX_LINE) {
			rc = src_fill(s);
			if (rc)
				return fail(&p->w, rc, "read error: %s", strerror(-rc));
			if (s->progress)
				s->progress->fn(s->progress->arg, p->enc.nr_records, p->enc.map.nr);
			continue;
		}
		if (!nl && s->eof && !n)
			return 0;
		p->w.line++;
		if (n > SIM_TRACE_MAX_LINE)
			return fail(&p->w, -EINVAL, "line longer than %d bytes ('%s')",
				    SIM_TRACE_MAX_LINE, quote(q, (char *)s->buf + s->pos, n));
		rc = text_line(p, (char *)s->buf + s->pos, n);
		if (rc)
			return rc;
		s->pos += n + (nl != NULL);
	}
}

/* ---- compact input ---- */

static uint64_t get_le(const uint8_t *p, int bytes)
{
	uint64_t v = 0;

	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* A checked varint at mem[*pos..end). Return: 0; -1 truncated; -2 too long. */
static int get_varint_checked(const uint8_t *mem, size_t end, size_t *pos, uint64_t *v)
{
	uint64_t x = 0;

	for (int i = 0; i < VARINT_MAX_LEN; i++) {
		uint8_t b;

		if (*pos >= end)
			return -1;
		b = mem[(*pos)++];
		if (i == VARINT_MAX_LEN - 1 && b > 1)
			return -2;
		x |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -2;
}

/* A compact file's header: its counts. */
struct compact_header {
	uint64_t records, pages, entries, writes;
};

/*
 * Check the header at @m, @len bytes of the file's start (all of it, or at
 * least SIM_TRACE_HEADER_LEN): what can be checked before the entries are
 * read, so a stream that is not a trace is refused before it is read on.
 */
static int compact_header(const uint8_t *m, size_t len, const struct where *w,
			  struct compact_header *h)
{
	uint64_t version, shift;

	if (memcmp(m, SIM_TRACE_MAGIC, len < SIM_TRACE_MAGIC_LEN ? len : SIM_TRACE_MAGIC_LEN))
		return fail(w, -EINVAL, "bad magic: not an epcmm compact trace");
	if (len < SIM_TRACE_HEADER_LEN)
		return fail(w, -EINVAL,
			    "truncated compact trace: %zu bytes, the header alone is %d", len,
			    SIM_TRACE_HEADER_LEN);
	version = get_le(m + 8, 4);
	shift = get_le(m + 12, 4);
	h->records = get_le(m + 16, 8);
	h->pages = get_le(m + 24, 8);
	h->entries = get_le(m + 32, 8);
	h->writes = get_le(m + 40, 8);
	if (version != SIM_TRACE_VERSION)
		return fail(w, -EINVAL,
			    "compact trace version %" PRIu64 ", this epcmm reads version %d",
			    version, SIM_TRACE_VERSION);
	if (shift != SIM_TRACE_PAGE_SHIFT)
		return fail(w, -EINVAL, "page shift %" PRIu64 " in the header, expected %d", shift,
			    SIM_TRACE_PAGE_SHIFT);
	if (h->pages > SIM_TRACE_MAX_PAGES)
		return fail(w, -E2BIG, "header says %" PRIu64 " pages, at most %llu", h->pages,
			    (unsigned long long)SIM_TRACE_MAX_PAGES);
	if (h->records > SIM_TRACE_MAX_RECORDS)
		return fail(w, -E2BIG,
			    "header says %" PRIu64 " accesses, at most %llu (the most a trace "
			    "may have)",
			    h->records, (unsigned long long)SIM_TRACE_MAX_RECORDS);
	if (h->entries > h->records)
		return fail(w, -EINVAL,
			    "header says %" PRIu64 " entries for %" PRIu64
			    " accesses (an entry is one access or more)",
			    h->entries, h->records);
	return 0;
}

/* Check the whole compact file in t->mem[0..t->end); fill the counts. */
static int compact_check(struct sim_trace *t, struct where *w)
{
	const uint8_t *m = t->mem;
	uint64_t records = 0, writes = 0, pages = 0, prev = 0, prev2 = 0;
	size_t pos = SIM_TRACE_HEADER_LEN;
	struct compact_header h;
	int rc = compact_header(m, t->end, w, &h);

	if (rc)
		return rc;
	for (uint64_t e = 0; e < h.entries; e++) {
		size_t at = pos;
		uint64_t tok, run = 1, page;

		rc = get_varint_checked(m, t->end, &pos, &tok);

		if (!rc && (tok & 1)) {
			rc = get_varint_checked(m, t->end, &pos, &run);
			if (!rc && run > UINT64_MAX - 2)
				return fail(w, -EINVAL, "byte %zu: entry %" PRIu64 ": run too long",
					    at, e);
			run += 2;
		}
		if (rc == -1)
			return fail(w, -EINVAL,
				    "truncated compact trace: entry %" PRIu64 " of %" PRIu64
				    " cut at byte %zu",
				    e, h.entries, t->end);
		if (rc)
			return fail(w, -EINVAL, "byte %zu: entry %" PRIu64 ": bad varint", at, e);
		page = (tok & 4 ? prev2 : prev) + unzigzag(tok >> 3);
		if (page > pages)
			return fail(w, -EINVAL,
				    "byte %zu: entry %" PRIu64 ": page %" PRIu64
				    " before page %" PRIu64 " was introduced",
				    at, e, page, pages);
		pages += page == pages;
		prev2 = prev;
		prev = page;
		if (run > SIM_TRACE_MAX_RECORDS - records)
			return fail(w, -E2BIG,
				    "byte %zu: entry %" PRIu64
				    ": more than %llu accesses (the most a "
				    "trace may have)",
				    at, e, (unsigned long long)SIM_TRACE_MAX_RECORDS);
		records += run;
		if (tok & 2)
			writes += run;
	}
	if (pos != t->end)
		return fail(w, -EINVAL, "%zu bytes after the last of %" PRIu64 " entries",
			    t->end - pos, h.entries);
	if (records != h.records || pages != h.pages || writes != h.writes)
		return fail(w, -EINVAL,
			    "entries hold %" PRIu64 " accesses to %" PRIu64 " pages (%" PRIu64
			    " writes), header says %" PRIu64 " to %" PRIu64 " (%" PRIu64 ")",
			    records, pages, writes, h.records, h.pages, h.writes);
	if (!records)
		return fail(w, -EINVAL, "no memory accesses in the trace");
	t->nr_records = records;
	t->nr_pages = pages;
	t->nr_entries = h.entries;
	t->nr_writes = writes;
	t->start = SIM_TRACE_HEADER_LEN;
	return 0;
}

/* ---- open ---- */

static int open_text(struct src *s, struct where *w, struct sim_trace *t)
{
	struct parse p = {.w = *w, .fmt = SIM_TRACE_COMPACT};
	int rc = map_init(&p.enc.map, MAP_INITIAL_SLOTS);

	if (rc)
		return fail(w, rc, "out of memory");
	p.enc.out = (struct spool)SPOOL_INIT;
	p.w.line = 0;
	rc = parse_text(&p, s);
	if (!rc) {
		rc = enc_flush(&p.enc);
		if (rc)
			rc = enc_fail(w, rc);
	}
	if (!rc && !p.enc.nr_records)
		rc = fail(w, -EINVAL, "no memory accesses in the trace");
	if (!rc) {
		rc = spool_finish(&p.enc.out, &t->mem, &t->end, &t->map_len);
		if (rc)
			rc = enc_fail(w, rc);
	}
	map_free(&p.enc.map);
	spool_free(&p.enc.out);
	if (rc)
		return rc;
	t->fmt = p.fmt;
	t->start = 0;
	t->nr_records = p.enc.nr_records;
	t->nr_pages = p.enc.map.nr;
	t->nr_entries = p.enc.nr_entries;
	t->nr_writes = p.enc.nr_writes;
	return 0;
}

/* A compact regular file, mapped whole rather than read. Return: as
 * compact_check(); 1 when it is too short to map (read it then). */
static int open_compact_mapped(int fd, struct where *w, struct sim_trace *t)
{
	struct stat st;
	void *m;

	if (fstat(fd, &st))
		return fail(w, -errno, "%s", strerror(errno));
	if (st.st_size < SIM_TRACE_HEADER_LEN)
		return 1;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return fail(w, -errno, "cannot map the trace: %s", strerror(errno));
	t->mem = m;
	t->end = t->map_len = (size_t)st.st_size;
	return compact_check(t, w);
}

/*
 * A compact stream (or buffer): the header first, so a stream that is no
 * trace is refused without being read on; then the entries into a spool, no
 * more bytes than the header's entries can take (each at most two varints).
 */
static int open_compact_stream(struct src *s, struct where *w, struct sim_trace *t)
{
	struct spool sp = SPOOL_INIT;
	struct compact_header h;
	uint64_t most, total = 0;
	int rc = 0;

	while (s->len - s->pos < SIM_TRACE_HEADER_LEN && !s->eof && !rc)
		rc = src_fill(s);
	if (rc)
		return fail(w, rc, "read error: %s", strerror(-rc));
	rc = compact_header(s->buf + s->pos, s->len - s->pos, w, &h);
	if (rc)
		return rc;
	most = SIM_TRACE_HEADER_LEN + h.entries * 2 * VARINT_MAX_LEN; /* entries <= 10^12 */
	for (;;) {
		size_t n = s->len - s->pos;

		if (n > most - total) {
			rc = fail(w, -EINVAL,
				  "more than %" PRIu64 " bytes, the most its header's %" PRIu64
				  " entries can take",
				  most, h.entries);
			break;
		}
		rc = spool_append(&sp, s->buf + s->pos, n);
		if (rc) {
			rc = enc_fail(w, rc);
			break;
		}
		total += n;
		s->pos = s->len;
		if (s->eof)
			break;
		rc = src_fill(s);
		if (rc) {
			rc = fail(w, rc, "read error: %s", strerror(-rc));
			break;
		}
	}
	if (!rc) {
		rc = spool_finish(&sp, &t->mem, &t->end, &t->map_len);
		if (rc)
			rc = enc_fail(w, rc);
	}
	spool_free(&sp);
	return rc ? rc : compact_check(t, w);
}

static void trace_free(struct sim_trace *t)
{
	if (t->map_len)
		munmap(t->mem, t->map_len);
	else
		free(t->mem);
	free(t);
}

static int open_src(struct src *s, const char *name, struct sim_trace **out, char *err,
		    size_t errlen)
{
	struct where w = {.name = name, .err = err, .errlen = errlen};
	struct sim_trace *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return fail(&w, -ENOMEM, "out of memory");
	while (s->len - s->pos < SIM_TRACE_MAGIC_LEN && !s->eof) {
		rc = src_fill(s);
		if (rc) {
			free(t);
			return fail(&w, rc, "read error: %s", strerror(-rc));
		}
	}
	if (s->len - s->pos >= 1 && s->buf[s->pos] == (uint8_t)SIM_TRACE_MAGIC[0]) {
		t->fmt = SIM_TRACE_COMPACT;
		rc = s->map_fd >= 0 ? open_compact_mapped(s->map_fd, &w, t) : 1;
		if (rc == 1)
			rc = open_compact_stream(s, &w, t);
	} else {
		rc = open_text(s, &w, t);
	}
	if (rc) {
		trace_free(t);
		return rc;
	}
	sim_trace_rewind(t);
	*out = t;
	return 0;
}

int sim_trace_open_stream(FILE *in, const char *name, struct sim_trace **out, char *err,
			  size_t errlen)
{
	return sim_trace_open_stream_progress(in, name, NULL, out, err, errlen);
}

int sim_trace_open_stream_progress(FILE *in, const char *name,
				   const struct sim_trace_progress *progress,
				   struct sim_trace **out, char *err, size_t errlen)
{
	struct src s = {.f = in, .map_fd = -1, .progress = progress};
	int rc = open_src(&s, name, out, err, errlen);

	free(s.buf);
	return rc;
}

int sim_trace_open(const char *path, struct sim_trace **out, char *err, size_t errlen)
{
	struct where w = {.name = path, .err = err, .errlen = errlen};
	FILE *f = fopen(path, "rb");
	struct src s = {.f = f, .map_fd = -1};
	struct stat st;
	int rc;

	if (!f)
		return fail(&w, -errno, "%s", strerror(errno));
	if (!fstat(fileno(f), &st) && S_ISREG(st.st_mode))
		s.map_fd = fileno(f); /* a compact file is mapped, not read */
	rc = open_src(&s, path, out, err, errlen);
	free(s.buf);
	fclose(f);
	return rc;
}

int sim_trace_open_buffer(const void *data, size_t len, const char *name, struct sim_trace **out,
			  char *err, size_t errlen)
{
	struct where w = {.name = name, .err = err, .errlen = errlen};
	struct src s = {
		.map_fd = -1, .buf = malloc(len ? len : 1), .len = len, .cap = len, .eof = true};
	int rc;

	if (!s.buf)
		return fail(&w, -ENOMEM, "out of memory");
	if (len)
		memcpy(s.buf, data, len);
	rc = open_src(&s, name, out, err, errlen);
	free(s.buf);
	return rc;
}

/* ---- replay ---- */

uint64_t sim_trace_nr_pages(const struct sim_trace *t)
{
	return t->nr_pages;
}

uint64_t sim_trace_nr_records(const struct sim_trace *t)
{
	return t->nr_records;
}

uint64_t sim_trace_nr_writes(const struct sim_trace *t)
{
	return t->nr_writes;
}

uint64_t sim_trace_nr_entries(const struct sim_trace *t)
{
	return t->nr_entries;
}

enum sim_trace_format sim_trace_format(const struct sim_trace *t)
{
	return t->fmt;
}

uint64_t sim_trace_compact_size(const struct sim_trace *t)
{
	return SIM_TRACE_HEADER_LEN + (t->end - t->start);
}

/* A varint checked at open. */
static inline uint64_t get_varint(const uint8_t *m, size_t *pos)
{
	uint64_t x = m[(*pos)++];

	if (x < 0x80)
		return x;
	x &= 0x7f;
	for (int shift = 7;; shift += 7) {
		uint64_t b = m[(*pos)++];

		x |= (b & 0x7f) << shift;
		if (b < 0x80)
			return x;
	}
}

int sim_trace_next(struct sim_trace *t, uint64_t *page, bool *write)
{
	uint64_t tok, page_base;

	if (t->run_left) {
		t->run_left--;
		*page = t->prev;
		*write = t->prev_write;
		return 1;
	}
	if (t->pos >= t->end)
		return 0;
	tok = get_varint(t->mem, &t->pos);
	page_base = tok & 4 ? t->prev2 : t->prev;
	t->prev2 = t->prev;
	t->prev = page_base + unzigzag(tok >> 3);
	t->prev_write = tok & 2;
	if (tok & 1)
		t->run_left = get_varint(t->mem, &t->pos) + 1;
	*page = t->prev;
	*write = t->prev_write;
	return 1;
}

int sim_trace_rewind(struct sim_trace *t)
{
	t->pos = t->start;
	t->prev = 0;
	t->prev2 = 0;
	t->run_left = 0;
	t->prev_write = false;
	return 0;
}

void sim_trace_close(struct sim_trace *t)
{
	if (t)
		trace_free(t);
}

/* ---- write ---- */

int sim_trace_write(const struct sim_trace *t, FILE *out)
{
	uint8_t h[SIM_TRACE_HEADER_LEN];

	memcpy(h, SIM_TRACE_MAGIC, SIM_TRACE_MAGIC_LEN);
	put_le(h + 8, SIM_TRACE_VERSION, 4);
	put_le(h + 12, SIM_TRACE_PAGE_SHIFT, 4);
	put_le(h + 16, t->nr_records, 8);
	put_le(h + 24, t->nr_pages, 8);
	put_le(h + 32, t->nr_entries, 8);
	put_le(h + 40, t->nr_writes, 8);
	if (fwrite(h, 1, sizeof(h), out) != sizeof(h))
		return -EIO;
	if (t->end > t->start &&
	    fwrite(t->mem + t->start, 1, t->end - t->start, out) != t->end - t->start)
		return -EIO;
	return 0;
}

int sim_trace_save(const struct sim_trace *t, const char *path, char *err, size_t errlen)
{
	struct sim_outfile *o;
	int rc = sim_outfile_open(path, &o, err, errlen);

	if (rc)
		return rc;
	errno = 0;
	if (sim_trace_write(t, sim_outfile_stream(o))) {
		rc = errno ? -errno : -EIO;
		if (err && errlen)
			snprintf(err, errlen, "%s: write error: %s", path, strerror(-rc));
		sim_outfile_discard(o);
		return rc;
	}
	return sim_outfile_commit(o, err, errlen);
}
