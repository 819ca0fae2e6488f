/* SPDX-License-Identifier: MIT */
/*
 * err.h - the simulator's error messages: a function that fails writes
 * what went wrong into the caller's buffer and returns its code.
 */
#ifndef EPCMM_SIM_ERR_H
#define EPCMM_SIM_ERR_H

#include <stddef.h>

/*
 * sim_fail() - print @fmt into @err (@errlen bytes, cut to fit; nothing when
 * @err is NULL or @errlen 0). Return: @rc, so that a caller says
 * "return sim_fail(err, errlen, -EINVAL, ...)".
 */
__attribute__((format(printf, 4, 5))) int sim_fail(char *err, size_t errlen, int rc,
						   const char *fmt, ...);

#endif
