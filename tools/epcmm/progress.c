// SPDX-License-Identifier: MIT
/*
 * progress.c - the progress line (progress.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

double tool_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void tool_fmt_short(char *buf, size_t len, double n)
{
	if (n < 1e3)
		snprintf(buf, len, "%.0f", n);
	else if (n < 1e6)
		snprintf(buf, len, "%.1f k", n / 1e3);
	else if (n < 1e9)
		snprintf(buf, len, "%.1f M", n / 1e6);
	else
		snprintf(buf, len, "%.2f G", n / 1e9);
}

void tool_progress_init(struct tool_progress *p, bool wanted)
{
	memset(p, 0, sizeof(*p));
	p->on = wanted && isatty(STDERR_FILENO);
	p->t0 = tool_now();
	p->unit = "accesses";
}

static void draw(struct tool_progress *p, uint64_t done, uint64_t total, double now)
{
	char bar[TOOL_PROGRESS_BAR + 1], d[32], t[32], tail[48] = "";
	double frac = total ? (double)done / (double)total : 1, el = now - p->t0;
	int fill = (int)(frac * TOOL_PROGRESS_BAR);

	memset(bar, '#', (size_t)fill);
	memset(bar + fill, '.', (size_t)(TOOL_PROGRESS_BAR - fill));
	bar[TOOL_PROGRESS_BAR] = '\0';
	tool_fmt_short(d, sizeof(d), (double)done);
	tool_fmt_short(t, sizeof(t), (double)total);
	if (done < total && done && el > 0.3)
		snprintf(tail, sizeof(tail), "  ETA %.1f s", el / frac - el);
	else if (done >= total)
		snprintf(tail, sizeof(tail), "  %.2f s", el);
	fprintf(stderr, "\r[%s] %3d%%  %s of %s %s%s\033[K", bar, (int)(frac * 100), d, t, p->unit,
		tail);
	fflush(stderr);
	p->shown = true;
}

void tool_progress_update(void *arg, uint64_t done, uint64_t total)
{
	struct tool_progress *p = arg;
	double now;

	p->done = done;
	if (!p->on)
		return;
	now = tool_now();
	if (now - p->last < TOOL_PROGRESS_PERIOD_S && done < total)
		return;
	p->last = now;
	draw(p, done, total, now);
}

void tool_progress_done(struct tool_progress *p, const struct sim_result *r)
{
	char rate[32];

	if (!p->on)
		return;
	if (p->shown)
		fputc('\n', stderr);
	if (r && r->wall_seconds > 0) {
		tool_fmt_short(rate, sizeof(rate), (double)r->accesses / r->wall_seconds);
		fprintf(stderr, "measured: %.2f s wall time, %s accesses/s\n", r->wall_seconds,
			rate);
	}
	if (r && r->log_lines > SIM_LOG_LINES_SHOWN)
		fprintf(stderr, "(%llu more library warnings not shown)\n",
			(unsigned long long)(r->log_lines - SIM_LOG_LINES_SHOWN));
	fflush(stderr);
}
