// SPDX-License-Identifier: MIT
/*
 * edmm.c - SGX2 (EDMM) on an initialized enclave: the regions where accesses
 * add pages, EACCEPT as the enclave runs it, and the three calls of the
 * kernel's ioctl.c that change pages: restrict permissions (EMODPR), modify
 * types (EMODT, to a TCS or trimmed) and remove pages (trimmed and accepted:
 * EREMOVE, freed, uncharged). EAUG itself is the fault path's (fault.c).
 *
 * The three calls follow sgx_ioc_enclave_*() and sgx_enclave_*() of
 * arch/x86/kernel/cpu/sgx/ioctl.c (Linux 6.0 on): the enclave must be
 * initialized, the range page-aligned, non-empty and inside the enclave
 * (sgx_validate_offset_length(), overflow included), the out fields zero;
 * then page by page: sgx_reclaim_direct() with no lock held, the enclave
 * lock, the page loaded back if it is out (sgx_encl_load_page(): not there
 * is -EFAULT; being written back or no room now is -EAGAIN, the rest
 * -EFAULT), the leaf, an ETRACK after EMODPR and EMODT, the lock dropped.
 * The first page that fails ends the call; @count says how far it got.
 * Removal also takes build_lock, before the enclave lock: it changes
 * page_cnt, which VA growth reads under build_lock alone.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "encl/encl_internal.h"

/* ------------------------------------------------------------- helpers */

/* Common refusals. Return: 0; -EINVAL (logged). */
static int edmm_handles(struct epc_task *t, struct epc_encl *e, const void *arg, const char *call)
{
	if (!t || !e || !arg) {
		epc__log(t   ? t->reclaim->log
			 : e ? e->layer->d.log
			     : NULL,
			 LOG_ERR, "%s: NULL %s", call,
			 !t   ? "task"
			 : !e ? "enclave"
			      : "argument");
		return -EINVAL;
	}
	epc__task_sync(t); /* the cgroup of the id it follows, if it follows one */
	return epc__encl_same_instance(t, e, call);
}

static int edmm_refuse(struct epc_encl *e, const char *call, const char *why)
{
	epc__log(e->layer->d.log, LOG_ERR, "%s on enclave %llu: %s", call,
		 (unsigned long long)e->id, why);
	return -EINVAL;
}

/*
 * The size rule for a struct the caller fills and the library completes:
 * @ours bytes are read from the first min(@size, @ours) of @arg (the rest
 * zero); bytes past ours must be zero. Return: 0; -EINVAL.
 */
static int sized_in(void *dst, size_t ours, const void *arg, size_t size)
{
	const unsigned char *p = arg;

	if (!size)
		return -EINVAL;
	for (size_t i = ours; i < size; i++)
		if (p[i])
			return -EINVAL;
	memset(dst, 0, ours);
	memcpy(dst, arg, size < ours ? size : ours);
	return 0;
}

/* Write @n bytes of @src at @off of the caller's struct, if @size covers them. */
static void sized_out(void *arg, size_t size, size_t off, const void *src, size_t n)
{
	if (off + n <= size)
		memcpy((unsigned char *)arg + off, src, n);
}

/* sgx_ioc_sgx2_ready() and sgx_validate_offset_length(). Return: 0; -EINVAL; -EOWNERDEAD. */
static int edmm_ready(struct epc_encl *e, uint64_t offset, uint64_t length, const char *call)
{
	bool initialized;

	if (atomic_load(&e->killed)) {
		epc__log(e->layer->d.log, LOG_INFO, "%s: enclave %llu was killed (out of memory)",
			 call, (unsigned long long)e->id);
		return -EOWNERDEAD;
	}
	epc__mutex_lock(&e->lock);
	initialized = e->initialized;
	epc__mutex_unlock(&e->lock);
	if (!initialized)
		return edmm_refuse(e, call, "the enclave is not initialized");
	if (offset % EPC_PAGE_SIZE || !length || length % EPC_PAGE_SIZE)
		return edmm_refuse(e, call, "offset or length unaligned, or length 0");
	if (offset + length < offset || offset + length - EPC_PAGE_SIZE >= e->size)
		return edmm_refuse(e, call, "the range is not inside the enclave");
	return 0;
}

/*
 * The kernel's sgx_encl_load_page() for an EDMM call: @ep there and resident,
 * loaded back on @t's behalf if need be. Lock held. Return: 0; -EFAULT not
 * there, or could not be loaded; -EAGAIN being written back, or no room now
 * (the allocation queued the reclaim that makes it); -EOWNERDEAD.
 */
static int edmm_load_locked(struct epc_task *t, struct epc_encl *e, struct epc__encl_page *ep,
			    const char *call)
{
	struct epc_cgroup *scope = NULL;
	int ret;

	if (!(ep->flags & EPC__EPAGE_ADDED)) {
		epc__log(e->layer->d.log, LOG_INFO, "%s: enclave %llu has no page at 0x%llx", call,
			 (unsigned long long)e->id,
			 (unsigned long long)epc__encl_page_offset(e, ep));
		return -EFAULT;
	}
	ret = epc__encl_load_page_locked(t, e, ep, false, &scope);
	if (!ret || ret == -EOWNERDEAD)
		return ret;
	return ret == -EBUSY ? -EAGAIN : -EFAULT;
}

/*
 * sgx_enclave_etrack(): ETRACK; when it fails, the IPI (nobody to kick out
 * here) and ETRACK once more. Lock held. Return: 0; -EFAULT.
 */
static int edmm_etrack_locked(struct epc_encl *e)
{
	struct epc__encl_layer *l = e->layer;
	uint64_t secs = encl_page_index(e, e->secs.epc_page);
	int ret = epc__hw_etrack(l->d.hw, secs);

	if (!ret)
		return 0;
	epc__log(l->d.log, LOG_ERR, "ETRACK returned %d (0x%x)", ret, ret);
	ret = epc__hw_etrack(l->d.hw, secs);
	if (!ret)
		return 0;
	epc__log(l->d.log, LOG_ERR, "ETRACK repeat returned %d (0x%x)", ret, ret);
	return -EFAULT;
}

/* An EMODPR or EMODT that did not succeed: -EFAULT, its SGX code in *@result. */
static int edmm_leaf_failed(struct epc_encl *e, struct epc__encl_page *ep, const char *leaf,
			    int ret, uint64_t *result)
{
	epc__log(e->layer->d.log, epc__encls_faulted(ret) ? LOG_ERR : LOG_INFO,
		 "%s of enclave %llu page 0x%llx returned %d (0x%x)", leaf,
		 (unsigned long long)e->id, (unsigned long long)epc__encl_page_offset(e, ep), ret,
		 ret);
	if (!epc__encls_faulted(ret))
		*result = (uint64_t)ret;
	return -EFAULT;
}

/* The page at @offset (in range: the callers checked). */
static struct epc__encl_page *page_at(struct epc_encl *e, uint64_t offset)
{
	return &e->pages[offset / EPC_PAGE_SIZE];
}

/* ----------------------------------------------------- dynamic regions */

EPC_API int epc_encl_declare_dynamic(struct epc_encl *e, uint64_t offset, uint64_t length)
{
	int ret = 0;

	if (!e) {
		epc__log(NULL, LOG_ERR, "declare dynamic: NULL enclave");
		return -EINVAL;
	}
	if (offset % EPC_PAGE_SIZE || !length || length % EPC_PAGE_SIZE ||
	    offset + length < offset || offset + length > e->size)
		return edmm_refuse(e, "declare dynamic",
				   "offset or length unaligned, length 0, or past the end");
	if (atomic_load(&e->killed))
		return -EOWNERDEAD;
	epc__mutex_lock(&e->lock);
	if (e->nr_dyn == EPC_ENCL_MAX_DYNAMIC) {
		ret = -ENOSPC;
	} else {
		e->dyn[e->nr_dyn].first = offset / EPC_PAGE_SIZE;
		e->dyn[e->nr_dyn].end = (offset + length) / EPC_PAGE_SIZE;
		e->nr_dyn++;
	}
	epc__mutex_unlock(&e->lock);
	if (ret)
		epc__log(e->layer->d.log, LOG_ERR,
			 "declare dynamic: enclave %llu has %d regions already",
			 (unsigned long long)e->id, EPC_ENCL_MAX_DYNAMIC);
	return ret;
}

/* ------------------------------------------------------------- EACCEPT */

struct accept_args {
	uint64_t secinfo;
	uint64_t *result;
};

static int accept_resident(struct epc_encl *e, struct epc__encl_page *ep, void *arg)
{
	struct epc__hw *hw = e->layer->d.hw;
	struct accept_args *a = arg;
	uint64_t idx = encl_page_index(e, ep->epc_page);
	int ret = epc__hw_eaccept(hw, idx, a->secinfo);

	if (epc__encls_faulted(ret)) {
		epc__log(e->layer->d.log, LOG_INFO,
			 "EACCEPT of enclave %llu page 0x%llx: exception %d",
			 (unsigned long long)e->id,
			 (unsigned long long)epc__encl_page_offset(e, ep), epc__encls_trapnr(ret));
		return -EACCES;
	}
	ep->attr = epc__hw_attr(hw, idx);
	*a->result = (uint64_t)ret;
	return 0;
}

EPC_API int epc_encl_accept(struct epc_task *t, struct epc_encl *e, uint64_t offset,
			    uint64_t secinfo, uint64_t *result)
{
	struct accept_args a = {.secinfo = secinfo, .result = result};
	bool mapped;
	int ret = edmm_handles(t, e, result, "EACCEPT");

	if (ret)
		return ret;
	if (offset % EPC_PAGE_SIZE || offset >= e->size)
		return edmm_refuse(e, "EACCEPT", "offset unaligned or outside the enclave");
	if (secinfo & ~(uint64_t)(EPC__ATTR_MASK | EPC_SECINFO_PAGE_TYPE_MASK))
		return edmm_refuse(e, "EACCEPT", "reserved SECINFO bits (#GP)");
	if (atomic_load(&e->killed))
		return -EOWNERDEAD;
	epc__mutex_lock(&e->lock);
	mapped = epc__encl_slot_mapped_locked(e, offset / EPC_PAGE_SIZE);
	epc__mutex_unlock(&e->lock);
	if (!mapped)
		return edmm_refuse(e, "EACCEPT", "no page there, and no access may add one");
	return epc__encl_fault_in(t, e, page_at(e, offset), accept_resident, &a);
}

/* ------------------------------------------------------ page-range walk */

/*
 * One page of an SGX2 ioctl's range: @arg is the ioctl's own argument (the
 * permissions, the new type), @result where its leaf's error code goes.
 */
typedef int (*edmm_page_fn)(struct epc_task *t, struct epc_encl *e, struct epc__encl_page *ep,
			    uint64_t arg, uint64_t *result);

/*
 * The loop the kernel's restrict, modify-types and remove ioctls share: each
 * page of [@offset, @offset + @length) in turn, after the direct reclaim the
 * kernel's loop makes, under the enclave's lock (and its build lock too when
 * @build: removal changes what the enclave holds). Stops at the first page
 * that fails. Return: 0 or that page's error; *@count the bytes done before it.
 */
static int edmm_walk(struct epc_task *t, struct epc_encl *e, uint64_t offset, uint64_t length,
		     bool build, edmm_page_fn one, uint64_t arg, uint64_t *result, uint64_t *count)
{
	uint64_t c = 0;
	int ret = 0;

	for (; c < length; c += EPC_PAGE_SIZE) {
		epc__reclaim_direct(t->reclaim, t->cg);
		if (build)
			epc__mutex_lock(&e->build_lock);
		epc__mutex_lock(&e->lock);
		ret = one(t, e, page_at(e, offset + c), arg, result);
		epc__mutex_unlock(&e->lock);
		if (build)
			epc__mutex_unlock(&e->build_lock);
		if (ret)
			break;
	}
	*count = c;
	return ret;
}

/* ------------------------------------------------- restrict permissions */

/* One page of sgx_enclave_restrict_permissions(). Lock held. */
static int restrict_one_locked(struct epc_task *t, struct epc_encl *e, struct epc__encl_page *ep,
			       uint64_t perms, uint64_t *result)
{
	struct epc__hw *hw = e->layer->d.hw;
	uint64_t idx;
	int ret = edmm_load_locked(t, e, ep, "restrict permissions");

	if (ret)
		return ret;
	/* EMODPR changes regular pages only: anything else would #PF */
	if (ep->type != EPC__PT_REG) {
		epc__log(e->layer->d.log, LOG_ERR,
			 "restrict permissions: enclave %llu page 0x%llx is not a regular page",
			 (unsigned long long)e->id,
			 (unsigned long long)epc__encl_page_offset(e, ep));
		return -EINVAL;
	}
	idx = encl_page_index(e, ep->epc_page);
	ret = epc__hw_emodpr(hw, idx, (uint8_t)perms);
	if (ret)
		return edmm_leaf_failed(e, ep, "EMODPR", ret, result);
	ep->attr = epc__hw_attr(hw, idx);
	return edmm_etrack_locked(e);
}

EPC_API int epc_encl_restrict_permissions(struct epc_task *t, struct epc_encl *e,
					  struct epc_restrict_permissions *p, size_t size)
{
	const char *call = "restrict permissions";
	struct epc_restrict_permissions a;
	int ret = edmm_handles(t, e, p, call);

	if (ret)
		return ret;
	if (sized_in(&a, sizeof(a), p, size))
		return edmm_refuse(e, call, "size 0, or bytes this library lacks");
	ret = edmm_ready(e, a.offset, a.length, call);
	if (ret)
		return ret;
	if (a.permissions & ~(uint64_t)EPC_SECINFO_PERMISSION_MASK)
		return edmm_refuse(e, call, "bits beyond R, W, X in the permissions");
	/* EMODPR would fault on W without R: refuse it first, as the kernel */
	if ((a.permissions & EPC_SECINFO_W) && !(a.permissions & EPC_SECINFO_R))
		return edmm_refuse(e, call, "W without R");
	if (a.result || a.count)
		return edmm_refuse(e, call, "result or count not 0");
	ret = edmm_walk(t, e, a.offset, a.length, false, restrict_one_locked, a.permissions,
			&a.result, &a.count);
	sized_out(p, size, offsetof(struct epc_restrict_permissions, result), &a.result,
		  sizeof(a.result));
	sized_out(p, size, offsetof(struct epc_restrict_permissions, count), &a.count,
		  sizeof(a.count));
	return ret;
}

/* --------------------------------------------------------- modify types */

/* One page of sgx_enclave_modify_types(). Lock held. */
static int modify_one_locked(struct epc_task *t, struct epc_encl *e, struct epc__encl_page *ep,
			     uint64_t new_type, uint64_t *result)
{
	const enum epc__page_type type = (enum epc__page_type)new_type;
	const uint8_t max_bits = EPC__EPAGE_MAX_R | EPC__EPAGE_MAX_W | EPC__EPAGE_MAX_X;
	struct epc__encl_layer *l = e->layer;
	uint8_t max_restore;
	uint64_t idx;
	int ret = edmm_load_locked(t, e, ep, "modify types");

	if (ret)
		return ret;
	/* the SDM's rule: a regular page becomes a TCS or trimmed, a TCS only trimmed */
	if (!(ep->type == EPC__PT_REG || (ep->type == EPC__PT_TCS && type == EPC__PT_TRIM))) {
		epc__log(l->d.log, LOG_ERR,
			 "modify types: enclave %llu page 0x%llx of type %d cannot become %d",
			 (unsigned long long)e->id,
			 (unsigned long long)epc__encl_page_offset(e, ep), ep->type, type);
		return -EINVAL;
	}
	max_restore = ep->flags & max_bits;
	if (ep->type == EPC__PT_REG && type == EPC__PT_TCS) {
		/* a TCS stays RW to the kernel: it must have been vetted so */
		if ((ep->flags & (EPC__EPAGE_MAX_R | EPC__EPAGE_MAX_W)) !=
		    (EPC__EPAGE_MAX_R | EPC__EPAGE_MAX_W)) {
			epc__log(l->d.log, LOG_ERR,
				 "modify types: enclave %llu page 0x%llx was not added "
				 "readable and writable: no TCS",
				 (unsigned long long)e->id,
				 (unsigned long long)epc__encl_page_offset(e, ep));
			return -EPERM;
		}
		ep->flags =
			(uint8_t)((ep->flags & ~max_bits) | EPC__EPAGE_MAX_R | EPC__EPAGE_MAX_W);
		/* the kernel's unmark and mark around its PTE zap: busy if isolated */
		if (epc__reclaim_requeue(l->d.reclaim, ep->epc_page)) {
			ret = -EAGAIN;
			goto err_restore;
		}
	}
	idx = encl_page_index(e, ep->epc_page);
	ret = epc__hw_emodt(l->d.hw, idx, type);
	if (ret) {
		ret = edmm_leaf_failed(e, ep, "EMODT", ret, result);
		goto err_restore;
	}
	/* the books follow the EPCM even when ETRACK fails (DIFFERENCES, EDMM) */
	ep->type = (uint8_t)type;
	ep->attr = epc__hw_attr(l->d.hw, idx);
	if (type == EPC__PT_TRIM) {
		atomic_fetch_add(&e->nr_trimmed, 1);
		atomic_fetch_add_explicit(&ep->epc_page->cg->nr_trimmed, 1, memory_order_relaxed);
	}
	return edmm_etrack_locked(e);

err_restore:
	ep->flags = (uint8_t)((ep->flags & ~max_bits) | max_restore);
	return ret;
}

EPC_API int epc_encl_modify_types(struct epc_task *t, struct epc_encl *e,
				  struct epc_modify_types *m, size_t size)
{
	const char *call = "modify types";
	struct epc_modify_types a;
	int ret = edmm_handles(t, e, m, call);

	if (ret)
		return ret;
	if (sized_in(&a, sizeof(a), m, size))
		return edmm_refuse(e, call, "size 0, or bytes this library lacks");
	ret = edmm_ready(e, a.offset, a.length, call);
	if (ret)
		return ret;
	if (a.page_type & ~(uint64_t)(EPC_SECINFO_PAGE_TYPE_MASK >> 8))
		return edmm_refuse(e, call, "a page type beyond the type mask");
	if (a.result || a.count)
		return edmm_refuse(e, call, "result or count not 0");
	/* the only new types the hardware allows */
	if (a.page_type != EPC_PAGE_TYPE_TCS && a.page_type != EPC_PAGE_TYPE_TRIM)
		ret = edmm_refuse(e, call, "the new type is neither TCS nor trimmed");
	else
		ret = edmm_walk(t, e, a.offset, a.length, false, modify_one_locked, a.page_type,
				&a.result, &a.count);
	sized_out(m, size, offsetof(struct epc_modify_types, result), &a.result, sizeof(a.result));
	sized_out(m, size, offsetof(struct epc_modify_types, count), &a.count, sizeof(a.count));
	return ret;
}

/* --------------------------------------------------------- remove pages */

/* One page of sgx_encl_remove_pages(). build_lock and lock held. */
static int remove_one_locked(struct epc_task *t, struct epc_encl *e, struct epc__encl_page *ep,
			     uint64_t unused, uint64_t *no_result)
{
	struct epc__encl_layer *l = e->layer;
	struct epc_page *p;
	int ret = edmm_load_locked(t, e, ep, "remove pages");

	(void)unused; /* removal takes no argument and has no leaf error to report */
	(void)no_result;
	if (ret)
		return ret;
	if (ep->type != EPC__PT_TRIM) {
		epc__log(l->d.log, LOG_ERR, "remove pages: enclave %llu page 0x%llx is not trimmed",
			 (unsigned long long)e->id,
			 (unsigned long long)epc__encl_page_offset(e, ep));
		return -EPERM;
	}
	/*
	 * EMODPR as a probe, as the kernel does: on a trimmed page the enclave
	 * has not accepted it says PAGE_NOT_MODIFIABLE; on an accepted one it
	 * faults (#PF: not a regular page). Only the fault means "accepted".
	 */
	p = ep->epc_page;
	ret = epc__hw_emodpr(l->d.hw, encl_page_index(e, p), EPC__ATTR_PERMS);
	if (!epc__encls_faulted(ret) || epc__encls_trapnr(ret) != EPC__X86_TRAP_PF) {
		epc__log(l->d.log, LOG_ERR,
			 "remove pages: enclave %llu page 0x%llx: the trim was not accepted",
			 (unsigned long long)e->id,
			 (unsigned long long)epc__encl_page_offset(e, ep));
		return -EPERM;
	}
	if (epc__reclaim_unmark(l->d.reclaim, p))
		return -EBUSY;
	atomic_fetch_add_explicit(&p->cg->nr_removed, 1, memory_order_relaxed);
	epc__encl_free_epc(e, p); /* EREMOVE, uncharge, free */
	ep->epc_page = NULL;
	ep->flags &= (uint8_t) ~(EPC__EPAGE_ADDED | EPC__EPAGE_MAX_R | EPC__EPAGE_MAX_W |
				 EPC__EPAGE_MAX_X);
	ep->type = 0;
	ep->attr = 0;
	e->page_cnt--; /* the VA pages stay */
	atomic_fetch_sub(&e->nr_added, 1);
	atomic_fetch_sub(&e->nr_resident, 1);
	atomic_fetch_add(&e->nr_removed, 1);
	return 0;
}

EPC_API int epc_encl_remove_pages(struct epc_task *t, struct epc_encl *e,
				  struct epc_remove_pages *r, size_t size)
{
	const char *call = "remove pages";
	struct epc_remove_pages a;
	int ret = edmm_handles(t, e, r, call);

	if (ret)
		return ret;
	if (sized_in(&a, sizeof(a), r, size))
		return edmm_refuse(e, call, "size 0, or bytes this library lacks");
	ret = edmm_ready(e, a.offset, a.length, call);
	if (ret)
		return ret;
	if (a.count)
		return edmm_refuse(e, call, "count not 0");
	ret = edmm_walk(t, e, a.offset, a.length, true, remove_one_locked, 0, NULL, &a.count);
	sized_out(r, size, offsetof(struct epc_remove_pages, count), &a.count, sizeof(a.count));
	return ret;
}
