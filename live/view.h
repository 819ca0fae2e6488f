/* SPDX-License-Identifier: MIT */
/*
 * view.h - the daemon's state (a struct epcmm_snapshot, decoded by the client
 * library from the SNAPSHOT records: nothing is parsed from text) rendered
 * as the tables of `epcmm status` and `epcmm top` (fmt.h, as `epcmm run`'s
 * reports), or as OpenMetrics. Rates (evictions per second) come from two
 * snapshots, cgroups matched by path (binary search).
 *
 * Paths have no length limit. They are shown as the text report writes them
 * (epcmm_path_escape(): a space and control bytes as \ooo, so a name cannot
 * drive the terminal); `top` keeps a path's end within the screen's width,
 * `status` prints paths whole.
 */
#ifndef EPCMM_LIVE_VIEW_H
#define EPCMM_LIVE_VIEW_H

#include <stdio.h>

#include "epcmm-client.h"

/* Print @v to @f; with @prev (taken @dt seconds earlier) also the rates.
 * @width: the screen's columns (paths are shortened to fit, their ends
 * kept); 0: no screen, paths whole. */
void live_view_render(FILE *f, const struct epcmm_snapshot *v, const struct epcmm_snapshot *prev,
		      double dt, int width);

/*
 * live_view_openmetrics() - @v in the OpenMetrics text format (1.0.0), for
 * Prometheus or node_exporter's textfile collector: a HELP and a TYPE line
 * per family, counters' samples ending in _total, then "# EOF". The names
 * are stable (docs/METRICS.md lists them); every family is written even
 * when it has no sample. A cgroup without a limit has no
 * epcmm_cgroup_max_bytes sample. Label values are the cgroup's name (a
 * name that is not UTF-8 in the text report's form, its bytes from 0x80 as
 * \ooo too), escaped as the format wants (\\, \", \n).
 */
void live_view_openmetrics(FILE *f, const struct epcmm_snapshot *v);

#endif
