/* SPDX-License-Identifier: MIT */
/*
 * view.h - the daemon's status report (docs/PROTOCOL.md, STATUS) parsed
 * into a snapshot and rendered as the tables of `epcmm status` and `epcmm
 * top`. Rates (evictions per second) come from two snapshots.
 *
 * The parser has no length limit of its own: a line is split at spaces into
 * key-value pairs, so a cgroup path is as long as the daemon made it. A path
 * is kept as the report writes it (a space and control bytes escaped as
 * \ooo): that is the key rates are matched by, and what is shown (a control
 * byte a report holds anyway shows as '?'). Keys it does not know, and
 * lines of kinds it does not know, are skipped (a newer daemon's); numbers
 * are decimal digits that must fit their field. An encl line belongs to the
 * client line just before it (one that does not follow its client, as can
 * happen across the pages of a paged report, is left out). Memory and time
 * are linear in the report (cgroups are looked up by binary search when
 * rates are rendered).
 */
#ifndef EPCMM_LIVE_VIEW_H
#define EPCMM_LIVE_VIEW_H

#include <stdint.h>
#include <stdio.h>

struct live_view;

/* Parse @text. Return: 0; -EBADMSG not a status report; -ENOMEM. */
int live_view_parse(const char *text, struct live_view **out);
void live_view_free(struct live_view *v);

/* Print @v to @f; with @prev (taken @dt seconds earlier) also the rates.
 * @width: the screen's columns (paths are shortened to fit). */
void live_view_render(FILE *f, const struct live_view *v, const struct live_view *prev, double dt,
		      int width);

/*
 * live_view_openmetrics() - @v in the OpenMetrics text format (1.0.0), for
 * Prometheus or node_exporter's textfile collector: a HELP and a TYPE line
 * per family, counters' samples ending in _total, then "# EOF". The names
 * are stable (docs/METRICS.md lists them); every family is written even
 * when it has no sample. A cgroup's max of "max" (no limit) has no
 * epcmm_cgroup_max_bytes sample. Label values are the cgroup's name (the
 * report's \ooo escapes decoded; a name that is not UTF-8 keeps the report's
 * form, its bytes from 0x80 as \ooo), escaped as the format wants (\\, \",
 * \n). Enclaves are listed only from a daemon that reports their id.
 */
void live_view_openmetrics(FILE *f, const struct live_view *v);

#endif
