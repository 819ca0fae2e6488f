/* SPDX-License-Identifier: MIT */
/*
 * snap_helpers.h - SNAPSHOT records written by hand (docs/PROTOCOL.md), for
 * the tests of the client's decoder and of the views over what it decodes.
 */
#ifndef EPCMM_TESTS_SNAP_HELPERS_H
#define EPCMM_TESTS_SNAP_HELPERS_H

#include <stdint.h>
#include <string.h>

#include "proto.h"

/* One record: @kind, the u64s @v[0..@n), then @str when not NULL. */
static inline void snap_rec(struct epcmm_wr *w, uint32_t kind, const uint64_t *v, int n,
			    const char *str)
{
	size_t at = w->len;
	uint32_t len;

	epcmm_wr_u32(w, kind);
	epcmm_wr_u32(w, 0);
	for (int i = 0; i < n; i++)
		epcmm_wr_u64(w, v[i]);
	if (str)
		epcmm_wr_blob(w, str);
	len = (uint32_t)(w->len - at - EPCMM_SNAP_REC_HDR);
	memcpy(w->buf + at + sizeof(uint32_t), &len, sizeof(len));
}

#define SNAP_REC(w, kind, str, ...)                                                                \
	snap_rec((w), (kind), (const uint64_t[]){__VA_ARGS__},                                     \
		 (int)(sizeof((const uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t)), (str))

#endif
