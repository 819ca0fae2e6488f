/* SPDX-License-Identifier: MIT */
/*
 * value.h - the numbers a user gives epcmm, in scenario files and on the
 * command line: one grammar per kind, every one checked for overflow and
 * against the range its key or option allows, every refusal one message in
 * one shape. The scenario parser (scenario_keys.c) and the tool's options
 * (tools/epcmm) both use it, so `size = 64M` in a scenario and `--epc 64M`
 * mean the same bytes and are refused the same way.
 *
 * Grammars (no sign, no space, nothing after):
 *  - size: digits, then optionally one of K, M, G, T (either case), each
 *    x1024: 4096, 64K, 64M, 2G, 1T.
 *  - count: digits, then optionally one of k, M, G (either case), each
 *    x1000: 1000, 10k, 2M.
 *  - integer: digits.
 *  - decimal: digits, optionally a '.' and more digits, optionally an
 *    exponent: 3, 3.0, 0.99, 2.5e3.
 *  - CPU list: "0-3,8": numbers and low-high ranges, comma separated.
 *  - size list: sizes separated by commas, blanks allowed after a comma:
 *    "64M,64M" (the EPC sections of `--epc` and epcmm.conf(5)'s epc).
 *
 * The checked forms (sim_value_*) take @what, the key or option the text
 * was given for ("[section 0] size", "--epc"), and write one line to @err:
 *    WHAT: 'TEXT' is not a size (bytes, or with K, M, G, T: 4096, 64M, 2G; RANGE)
 *    WHAT: TEXT is out of range (RANGE)
 *    WHAT: TEXT is not a multiple of 4K (RANGE)
 * RANGE is "MIN to MAX" (sizes with the largest suffix that is exact, 2^64-1
 * for the largest 64-bit value), or "above MIN, at most MAX" for a decimal
 * whose minimum is excluded. A value past 2^64-1 is out of range, never
 * wrapped.
 */
#ifndef EPCMM_SIM_VALUE_H
#define EPCMM_SIM_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest message a sim_value_* call writes (quoted text is cut to fit). */
#define SIM_VALUE_ERR_LEN 256

/* The unchecked parsers. Return: 0; -EINVAL not of the grammar; -ERANGE
 * past 2^64-1 (sizes, counts, integers). */
/* The digits at *@text, for lists: *@text moves past them (all of them, on
 * -ERANGE too). Return: 0; -EINVAL no digit there; -ERANGE. */
int sim_parse_digits(const char **text, uint64_t *out);
int sim_parse_size(const char *text, uint64_t *out);
int sim_parse_count(const char *text, uint64_t *out);
int sim_parse_uint(const char *text, uint64_t *out);
/* A decimal as a double. Return: 0; -EINVAL. */
int sim_parse_decimal(const char *text, double *out);
/* "0-3,8": sorted, duplicates refused; each CPU < limit (-ERANGE); a range
 * written high to low ("3-1") is -EDOM; -ENOMEM. *out malloc'd. */
int sim_parse_cpu_list(const char *text, int limit, int **out, int *nr);

/*
 * sim_value_size() - a size in [@min, @max], a multiple of @align (0 or 1:
 * any). Return: 0 and *@out; -EINVAL and the message in @err.
 */
int sim_value_size(const char *what, const char *text, uint64_t min, uint64_t max, uint64_t align,
		   uint64_t *out, char *err, size_t errlen);
/*
 * sim_value_size_list() - a size list (1 to @max_nr sizes, each as
 * sim_value_size() checks it) into @out. An empty entry ("64M,,8M", a
 * trailing comma) is refused as "'' is not a size"; more than @max_nr as
 * "WHAT TEXT: more than MAX_NR sizes". Return: how many (>= 1); -EINVAL and
 * the message in @err; -ENOMEM.
 */
int sim_value_size_list(const char *what, const char *text, uint64_t min, uint64_t max,
			uint64_t align, uint64_t *out, int max_nr, char *err, size_t errlen);
/* sim_value_count() - a count in [@min, @max]. Return: as sim_value_size(). */
int sim_value_count(const char *what, const char *text, uint64_t min, uint64_t max, uint64_t *out,
		    char *err, size_t errlen);
/* sim_value_uint() - an integer in [@min, @max]. Return: as sim_value_size(). */
int sim_value_uint(const char *what, const char *text, uint64_t min, uint64_t max, uint64_t *out,
		   char *err, size_t errlen);
/*
 * sim_value_decimal() - a decimal in [@min, @max], or in (@min, @max] when
 * @min_excluded. @hint ends the syntax message ("like 3.0"). Return: as
 * sim_value_size().
 */
int sim_value_decimal(const char *what, const char *text, double min, bool min_excluded, double max,
		      const char *hint, double *out, char *err, size_t errlen);

/* @v as the size grammar writes it exactly: 0, 4096, 4K, 1T, 2^64-1. */
void sim_value_fmt_size(char *buf, size_t len, uint64_t v);

#endif
