/* SPDX-License-Identifier: MIT */
/*
 * view.h - the daemon's status report (docs/PROTOCOL.md, STATUS) parsed
 * into a snapshot and rendered as the tables of `epcmm status` and `epcmm
 * top`. Rates (evictions per second) come from two snapshots.
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

#endif
