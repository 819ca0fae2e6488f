/* SPDX-License-Identifier: MIT */
/*
 * fault.h - fault injection into the emulated hardware and into the host
 * resources the library takes, for tests only.
 *
 * A test installs a hook with epc__fault_set() (internal API, src/epc.h), or
 * for faults inside epc_create() itself with epc__create_with_fault(). Every
 * injectable site asks the hook first: a non-zero return is the error the site
 * then reports instead of doing its work (an SGX error code for ENCLS leaves,
 * a negative errno for the others). The hook must be installed while the
 * instance is quiescent; it is called from any thread and must be thread-safe.
 *
 * Host resources: every malloc/calloc/aligned_alloc/mmap/memfd_create (and the
 * pthread_*_init calls whose failure must unwind) of the library's set-up
 * paths goes through the epc__host_*() wrappers below, each one
 * EPC__FAULT_HOST_ALLOC site. An injected failure looks exactly like the real
 * one: NULL, MAP_FAILED, or -1 with errno set to the hook's -errno (so a test
 * can make memfd_create say EMFILE). With no hook the wrappers cost one
 * predictable branch on top of the call they wrap.
 */
#ifndef EPC_HW_FAULT_H
#define EPC_HW_FAULT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

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
	EPC__FAULT_HOST_ALLOC,	  /* -errno: a host allocation (memory, mapping, memfd, lock) */
	EPC__FAULT_RANDOM,	  /* non-zero: the OS random source fails (the sealing key) */
	EPC__FAULT_EAUG,	  /* SGX code */
	EPC__FAULT_EMODPR,	  /* SGX code */
	EPC__FAULT_EMODT,	  /* SGX code */
	EPC__FAULT_NR_SITES,
};

/* @arg: the hook's; @site; @idx: the page index concerned (or -1). */
typedef int (*epc__fault_fn)(void *arg, enum epc__fault_site site, uint64_t idx);

struct epc__fault {
	epc__fault_fn fn; /* read-only while the instance is in use */
	void *arg;
};

/* @f may be NULL: no hook (a layer built on its own, as some tests do). */
static inline int epc__fault_check(const struct epc__fault *f, enum epc__fault_site site,
				   uint64_t idx)
{
	return f && f->fn ? f->fn(f->arg, site, idx) : 0;
}

/* One host-allocation site. Return: 0, or the -errno to fail with. */
static inline int epc__host_fault(const struct epc__fault *f)
{
	int err = epc__fault_check(f, EPC__FAULT_HOST_ALLOC, UINT64_MAX);

	return err > 0 ? -err : err;
}

static inline void *epc__host_malloc(const struct epc__fault *f, size_t size)
{
	int err = epc__host_fault(f);

	if (err) {
		errno = -err;
		return NULL;
	}
	return malloc(size);
}

static inline void *epc__host_calloc(const struct epc__fault *f, size_t nmemb, size_t size)
{
	int err = epc__host_fault(f);

	if (err) {
		errno = -err;
		return NULL;
	}
	return calloc(nmemb, size);
}

static inline void *epc__host_aligned_alloc(const struct epc__fault *f, size_t align, size_t size)
{
	int err = epc__host_fault(f);

	if (err) {
		errno = -err;
		return NULL;
	}
	return aligned_alloc(align, size);
}

static inline void *epc__host_mmap(const struct epc__fault *f, size_t len, int prot, int flags,
				   int fd)
{
	int err = epc__host_fault(f);

	if (err) {
		errno = -err;
		return MAP_FAILED;
	}
	return mmap(NULL, len, prot, flags, fd, 0);
}

static inline int epc__host_memfd(const struct epc__fault *f, const char *name, unsigned flags)
{
	int err = epc__host_fault(f);

	if (err) {
		errno = -err;
		return -1;
	}
	return memfd_create(name, flags);
}

#endif
