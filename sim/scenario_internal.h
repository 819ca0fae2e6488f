/* SPDX-License-Identifier: MIT */
/*
 * scenario_internal.h - what the files of the scenario parser share; not for
 * callers (scenario.h is the interface).
 *
 * The parser is split by concern:
 *   scenario.c          a scenario's life: new, free, the built-in default,
 *                       lookups, and errors at a remembered place (sim__fail_at);
 *   scenario_read.c     the INI text: lines to libinih, the file-size cap,
 *                       errors at the current line (sim__fail);
 *   scenario_sections.c section headers: [node N] ... [run], once per file;
 *   scenario_keys.c     the keys of each section and their values;
 *   scenario_check.c    the whole scenario once every file is in
 *                       (sim_scenario_finalize());
 *   scenario_bounds.c   what is known only once traces are read: their
 *                       sizes and the cost model's 64-bit bound.
 */
#ifndef EPCMM_SIM_SCENARIO_INTERNAL_H
#define EPCMM_SIM_SCENARIO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "scenario.h"

#define LINE_MAX_CHARS	 (200 - 2) /* inih's buffer, less the newline and NUL */
#define DEFAULT_ACCESSES 1000000

enum sect_kind {
	SECT_NONE,
	SECT_NODE,
	SECT_SECTION,
	SECT_CGROUP,
	SECT_ENCLAVE,
	SECT_GLOBAL,
	SECT_RUN,
	SECT_EVENT,
};

/* One file being read into a scenario (sim_scenario_parse()). */
struct parser {
	struct sim_scenario *s;
	const char *file; /* owned by s->files */
	const char *text;
	size_t len, pos;
	unsigned line;
	char *err;
	size_t errlen;
	bool failed;
	int enomem;
	/* the current section */
	enum sect_kind kind;
	char header[300];  /* "[enclave db]", for messages */
	int index;	   /* into the array of its kind */
	char seen[32][32]; /* keys given in this section in this file */
	int nr_seen;
	/* the sections opened in this file ("enclave db", "node 0"), each with
	 * its header's line: one header per section per file */
	struct opened {
		char id[160];
		unsigned line;
	} * opened;
	int nr_opened;
};

/* scenario_read.c: the parser's first error, "FILE:LINE: ..." at its line. */
void sim__fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The library's name of cgroup file @f (epcmm.h, the file table): the
 * scenario keys and messages that name a limit by its file. */
const char *sim__file_name(enum epc_cgroup_file f);
/* The parser's current file and line. */
struct sim_loc sim__here(struct parser *p);
/* @arr of @nr elements of @elem bytes grown by one zeroed element, or NULL
 * (p->enomem set; @arr is still valid). */
void *sim__grow(struct parser *p, void *arr, int nr, size_t elem);
/* strdup(), or NULL with p->enomem set. */
char *sim__dup_str(struct parser *p, const char *s);

/* scenario.c: "FILE:LINE: ..." (or "FILE: ..." for line 0) at @loc into
 * @err. Return: -EINVAL. */
int sim__fail_at(char *err, size_t errlen, const struct sim_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* An enclave's built-in defaults (threads, accesses, pattern). */
void sim__enclave_defaults(struct sim_enclave *e);
void sim__pattern_free(struct sim_pattern *pt);

/* scenario_sections.c: open the section of a "[...]" line (leading space
 * already skipped); errors through sim__fail(). */
void sim__open_header(struct parser *p, const char *line);
/* Add cgroup @path (not present yet). Return: its index; -1 on error
 * (sim__fail() or p->enomem). */
int sim__cgroup_add(struct parser *p, const char *path, struct sim_loc loc, bool implicit);
/* "N" in 0..@max-1 into *@out. */
bool sim__parse_id(const char *arg, int max, int *out);

/* scenario_keys.c: "key = value" of the current section (@value not empty,
 * its comment cut); errors through sim__fail(). */
void sim__key(struct parser *p, const char *key, const char *value);
/* A scenario's cgroup path grammar, narrower than the library's (which takes
 * the kernel's names): [A-Za-z0-9._-] names. */
bool sim__cgroup_path_ok(const char *path);
/* Whether a component of @path (a checked path) is the name of a file its parent
 * cgroup has: a cgroup cannot take it (the kernel's rule, the library's). */
bool sim__cgroup_path_takes_file(const char *path);
/* An enclave's or event's name: [A-Za-z0-9._-]{1,SIM_NAME_MAX-1}. */
bool sim__name_ok(const char *name);

#endif
