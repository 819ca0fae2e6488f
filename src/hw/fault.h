/* SPDX-License-Identifier: MIT */
/*
 * fault.h - fault injection into the emulated hardware, for tests only.
 *
 * A test installs a hook with epc__fault_set() (internal API, src/epc.h). Every
 * injectable site asks the hook first: a non-zero return is the error the site
 * then reports instead of doing its work (an SGX error code for ENCLS leaves,
 * a negative errno for the others). The hook must be installed while the
 * instance is quiescent; it is called from any thread and must be thread-safe.
 */
#ifndef EPC_HW_FAULT_H
#define EPC_HW_FAULT_H

#include <stdint.h>

enum epc__fault_site {
	EPC__FAULT_EREMOVE,	  /* SGX code */
	EPC__FAULT_EPA,		  /* SGX code */
	EPC__FAULT_EADD,	  /* SGX code */
	EPC__FAULT_EBLOCK,	  /* SGX code */
	EPC__FAULT_ETRACK,	  /* SGX code */
	EPC__FAULT_EWB,		  /* SGX code */
	EPC__FAULT_ELDU,	  /* SGX code */
	EPC__FAULT_BACKING_GET,	  /* -errno: allocating backing pages */
	EPC__FAULT_BACKING_WRITE, /* -errno: writing the backing store */
	EPC__FAULT_PAGE_ALLOC,	  /* -errno: the allocator finds no page */
	EPC__FAULT_NR_SITES,
};

/* @arg: the hook's; @site; @idx: the page index concerned (or -1). */
typedef int (*epc__fault_fn)(void *arg, enum epc__fault_site site, uint64_t idx);

struct epc__fault {
	epc__fault_fn fn; /* read-only while the instance is in use */
	void *arg;
};

static inline int epc__fault_check(const struct epc__fault *f, enum epc__fault_site site,
				   uint64_t idx)
{
	return f->fn ? f->fn(f->arg, site, idx) : 0;
}

#endif
