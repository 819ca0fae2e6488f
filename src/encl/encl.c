// SPDX-License-Identifier: MIT
/*
 * encl.c - enclave lifecycle: ECREATE, EADD, EINIT, destroy, VA pages and the
 * backing store. Eviction (the reclaimer's owner ops) is in evict.c, the fault
 * path in fault.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "encl/encl_internal.h"

/* ------------------------------------------------------------- VA pages */

bool epc__va_slot_alloc_locked(struct epc_encl *e, struct epc__va_page **va, unsigned *slot)
{
	struct epc__va_page *v;

	epc__assert_mutex_held(&e->lock);
	v = va_first(e);
	if (!v || v->nr_used == EPC__VA_SLOTS)
		return false;
	for (unsigned w = 0; w < EPC__VA_SLOTS / 64; w++) {
		if (v->used[w] == UINT64_MAX)
			continue;
		*slot = w * 64 + (unsigned)__builtin_ctzll(~v->used[w]);
		v->used[w] |= 1ULL << (*slot % 64);
		break;
	}
	*va = v;
	/* a full VA page goes to the tail, so the head always has room if any has */
	if (++v->nr_used == EPC__VA_SLOTS && !va_is_last(e, v)) {
		epc__list_del(&v->node);
		epc__list_add_tail(&e->va_pages, &v->node);
	}
	return true;
}

void epc__va_slot_free_locked(struct epc_encl *e, struct epc__va_page *v, unsigned slot,
			      bool to_head)
{
	epc__assert_mutex_held(&e->lock);
	v->used[slot / 64] &= ~(1ULL << (slot % 64));
	v->nr_used--;
	if (to_head && !va_is_first(e, v)) {
		epc__list_del(&v->node);
		epc__list_add_head(&e->va_pages, &v->node);
	}
}

/*
 * Does one more page need a new VA page? The kernel's sgx_encl_grow() asks
 * whether page_cnt is a multiple of 512; here, whether the VA pages in hand
 * have a slot for one more. The same while pages are only ever added (SGX1);
 * once EDMM removes pages and adds them again, the kernel's test adds a VA
 * page every time the count crosses a multiple of 512 upwards, so an enclave
 * whose heap breathes across one gains a VA page per breath
 * (docs/DIFFERENCES.md, EDMM). build_lock held.
 */
static bool encl_needs_va(const struct epc_encl *e)
{
	return e->page_cnt >= e->nr_va * EPC__VA_SLOTS;
}

/* A new VA page on @p (allocated for @e), EPA'd: the host part. */
static int va_page_make(struct epc_encl *e, struct epc_page *p, struct epc__va_page **out)
{
	struct epc__va_page *v = epc__host_calloc(e->layer->d.fault, 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	epc__list_init(&v->node);
	if (epc__hw_epa(e->layer->d.hw, encl_page_index(e, p)) != EPC__SGX_SUCCESS) {
		free(v);
		return -EIO;
	}
	v->epc_page = p;
	*out = v;
	return 0;
}

/*
 * The kernel's sgx_encl_grow(): a page the enclave needs (the SECS counts)
 * may bring a new VA page (encl_needs_va()), allocated with reclaim (so
 * without the enclave lock) and EPA'd. It is handed back in *@va, not listed:
 * the caller lists it (epc__encl_va_commit_locked()) under the enclave lock
 * in the same critical section as the ECREATE/EADD it is for, so until that
 * page is committed no eviction can put a version in it, and a failed build
 * step can give back exactly the VA page it took (encl_shrink()). Eviction
 * meanwhile uses the listed VA pages, which have a slot for every page
 * already counted in page_cnt. *@va is NULL when no VA page is needed.
 * build_lock held.
 */
static int encl_grow(struct epc_task *t, struct epc_encl *e, struct epc__va_page **va)
{
	struct epc_page *p;
	int ret;

	*va = NULL;
	if (!encl_needs_va(e)) {
		e->page_cnt++;
		return 0;
	}
	ret = epc__encl_alloc_epc(t, e, NULL, EPC_DO_RECLAIM, &p, NULL);
	if (ret)
		return ret;
	epc__mutex_lock(&e->lock);
	ret = va_page_make(e, p, va);
	epc__mutex_unlock(&e->lock);
	if (ret) {
		epc__free_page(e->layer->d.reclaim, p);
		return ret;
	}
	e->page_cnt++;
	return 0;
}

int epc__encl_grow_locked(struct epc_task *t, struct epc_encl *e, struct epc__va_page **va,
			  struct epc_cgroup **busy_scope)
{
	struct epc_page *p;
	int ret;

	epc__assert_mutex_held(&e->build_lock);
	epc__assert_mutex_held(&e->lock);
	*va = NULL;
	if (!encl_needs_va(e)) {
		e->page_cnt++;
		return 0;
	}
	ret = epc__encl_alloc_epc(t, e, NULL, EPC_NO_RECLAIM, &p, busy_scope);
	if (ret)
		return ret;
	ret = va_page_make(e, p, va);
	if (ret) {
		epc__free_page(e->layer->d.reclaim, p);
		return ret;
	}
	e->page_cnt++;
	return 0;
}

void epc__encl_va_commit_locked(struct epc_encl *e, struct epc__va_page *v)
{
	epc__assert_mutex_held(&e->lock);
	if (!v)
		return;
	epc__list_add_head(&e->va_pages, &v->node);
	e->nr_va++;
}

void epc__encl_shrink_locked(struct epc_encl *e, struct epc__va_page *v)
{
	epc__assert_mutex_held(&e->lock);
	e->page_cnt--;
	if (!v)
		return;
	epc__encl_free_epc(e, v->epc_page);
	free(v);
}

/*
 * Undo encl_grow() for a build step that failed before it committed: @v (may
 * be NULL) was never listed, so no slot of it is in use whatever reclaim did
 * meanwhile; EREMOVE it and return its charge. build_lock held.
 */
static void encl_shrink(struct epc_encl *e, struct epc__va_page *v)
{
	epc__mutex_lock(&e->lock);
	epc__encl_shrink_locked(e, v);
	epc__mutex_unlock(&e->lock);
}

/* ---------------------------------------------------------------- memory */

int epc__encl_alloc_epc(struct epc_task *t, struct epc_encl *e, void *owner,
			enum epc_reclaim reclaim, struct epc_page **out,
			struct epc_cgroup **busy_scope)
{
	struct epc__alloc_req req = epc__task_alloc_req(t, owner, reclaim);
	int ret;

	(void)e; /* of @t's instance: the callers checked, or made it there */
	ret = epc__alloc_page(t->reclaim, &req, out);
	if (busy_scope)
		*busy_scope = req.busy_scope;
	return ret;
}

void epc__encl_free_epc(struct epc_encl *e, struct epc_page *p)
{
	epc__free_page_eremove(e->layer->d.reclaim, p);
}

/* ---------------------------------------------------------------- backing */

static int backing_create(struct epc_encl *e)
{
	/* a PCMD per page and one for the SECS (slot nr_slots), as the kernel's
	 * (size + EPC_PAGE_SIZE) + (size + EPC_PAGE_SIZE) / 32 shmem file has */
	uint64_t pcmd_bytes = (e->nr_slots + 1) * EPC__PCMD_SIZE;
	const struct epc__fault *f = e->layer->d.fault;
	int ret;

	e->backing_len = e->size + EPC_PAGE_SIZE +
			 ((pcmd_bytes + EPC_PAGE_SIZE - 1) & ~(EPC_PAGE_SIZE - 1ULL));
	e->backing_fd = epc__host_memfd(f, "epcmm-backing", MFD_CLOEXEC);
	if (e->backing_fd < 0)
		return -errno; /* EMFILE, ENFILE, ENOMEM: passed on as they are */
	if (ftruncate(e->backing_fd, (off_t)e->backing_len)) {
		ret = -errno;
		goto err_close;
	}
	e->backing = epc__host_mmap(f, e->backing_len, PROT_READ | PROT_WRITE, MAP_SHARED,
				    e->backing_fd);
	if (e->backing == MAP_FAILED) {
		ret = -errno;
		goto err_close;
	}
	return 0;

err_close:
	close(e->backing_fd);
	e->backing_fd = -1;
	e->backing = NULL;
	return ret;
}

static void backing_destroy(struct epc_encl *e)
{
	if (e->backing)
		munmap(e->backing, e->backing_len);
	if (e->backing_fd >= 0)
		close(e->backing_fd);
}

uint64_t epc__encl_page_offset(const struct epc_encl *e, const struct epc__encl_page *ep)
{
	return ep == &e->secs ? e->size : (uint64_t)(ep - e->pages) * EPC_PAGE_SIZE;
}

void *epc__backing_contents(struct epc_encl *e, const struct epc__encl_page *ep)
{
	return e->backing ? e->backing + epc__encl_page_offset(e, ep) : NULL;
}

void *epc__backing_pcmd(struct epc_encl *e, const struct epc__encl_page *ep)
{
	uint64_t i = epc__encl_page_offset(e, ep) / EPC_PAGE_SIZE; /* the SECS is slot nr_slots */

	return e->backing ? e->backing + e->size + EPC_PAGE_SIZE + i * EPC__PCMD_SIZE : NULL;
}

/* -------------------------------------------------------------- lifecycle */

static uint64_t next_id(struct epc__encl_layer *l)
{
	uint64_t id;

	pthread_mutex_lock(&l->lock);
	id = ++l->next_id;
	pthread_mutex_unlock(&l->lock);
	return id;
}

static void encl_list_add(struct epc__encl_layer *l, struct epc_encl *e)
{
	pthread_mutex_lock(&l->lock);
	epc__list_add_head(&l->encls, &e->layer_node);
	pthread_mutex_unlock(&l->lock);
}

static void encl_list_del(struct epc__encl_layer *l, struct epc_encl *e)
{
	pthread_mutex_lock(&l->lock);
	epc__list_del(&e->layer_node);
	pthread_mutex_unlock(&l->lock);
}

/* Return: 0; -ENOMEM; the memfd's -errno (-EMFILE, -ENFILE); a lock init's. */
static int encl_alloc(struct epc__encl_layer *l, uint64_t size, struct epc_encl **out)
{
	const struct epc__fault *f = l->d.fault;
	struct epc_encl *e = epc__host_calloc(f, 1, sizeof(*e));
	int ret = -ENOMEM;

	if (!e)
		return -ENOMEM;
	e->layer = l;
	e->size = size;
	epc__list_init(&e->va_pages);
	epc__list_init(&e->layer_node);
	e->nr_slots = size / EPC_PAGE_SIZE;
	e->backing_fd = -1;
	/* lazily zero-filled by the host: creating costs nothing per slot (encl.h) */
	e->pages_len = e->nr_slots * sizeof(struct epc__encl_page);
	e->pages = epc__host_mmap(f, e->pages_len, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);
	if (e->pages == MAP_FAILED)
		goto err_free;
	ret = epc__mutex_init(&e->lock, EPC__RANK_ENCL);
	if (ret)
		goto err_unmap;
	ret = epc__mutex_init(&e->build_lock, EPC__RANK_ENCL_BUILD);
	if (ret)
		goto err_lock;
	ret = epc__host_fault(f);
	if (!ret)
		ret = -pthread_mutex_init(&e->refs_lock, NULL);
	if (ret)
		goto err_build_lock;
	ret = epc__host_fault(f);
	if (!ret)
		ret = -pthread_cond_init(&e->refs_cond, NULL);
	if (ret)
		goto err_refs_lock;
	atomic_init(&e->refs, 1);
	e->secs.encl = e;
	e->secs.type = EPC__PT_SECS;
	e->id = next_id(l);
	if (!l->d.no_contents) {
		ret = backing_create(e);
		if (ret)
			goto err_refs_cond;
	}
	*out = e;
	return 0;

err_refs_cond:
	pthread_cond_destroy(&e->refs_cond);
err_refs_lock:
	pthread_mutex_destroy(&e->refs_lock);
err_build_lock:
	epc__mutex_destroy(&e->build_lock);
err_lock:
	epc__mutex_destroy(&e->lock);
err_unmap:
	munmap(e->pages, e->pages_len);
err_free:
	free(e);
	return ret;
}

static void encl_free(struct epc_encl *e)
{
	if (e->mem_cg) {
		epc__cg_uncharge_mem(e->mem_cg, e->mem_charged);
		epc__cg_unpin(e->mem_cg);
	}
	free(e->added);
	backing_destroy(e);
	pthread_cond_destroy(&e->refs_cond);
	pthread_mutex_destroy(&e->refs_lock);
	epc__mutex_destroy(&e->build_lock);
	epc__mutex_destroy(&e->lock);
	munmap(e->pages, e->pages_len);
	free(e);
}

int epc__encl_create(struct epc__encl_layer *l, struct epc_task *t, uint64_t size,
		     struct epc_encl **out)
{
	struct epc__va_page *va;
	struct epc_encl *e;
	struct epc_page *p;
	int ret;

	if (!t || !out) {
		epc__log(t ? t->reclaim->log : NULL, LOG_ERR, "ECREATE: NULL %s",
			 t ? "out" : "task");
		return -EINVAL;
	}
	epc__task_sync(t);
	if (!size || size % EPC_PAGE_SIZE || size > EPC_ENCL_MAX_SIZE) {
		epc__log(l->d.log, LOG_ERR,
			 "ECREATE: size %llu is not a non-zero multiple of %d up to %llu",
			 (unsigned long long)size, EPC_PAGE_SIZE,
			 (unsigned long long)EPC_ENCL_MAX_SIZE);
		return -EINVAL;
	}
	ret = encl_alloc(l, size, &e);
	if (ret)
		return ret;
	/* the owner's cgroup pays for the backing memory, to the end */
	e->mem_cg = t->cg;
	epc__cg_pin(e->mem_cg);
	epc__mutex_lock(&e->build_lock);
	ret = encl_grow(t, e, &va); /* the SECS needs a VA slot too */
	if (ret)
		goto err_unlock;
	ret = epc__encl_alloc_epc(t, e, &e->secs, EPC_DO_RECLAIM, &p, NULL);
	if (ret)
		goto err_shrink;
	epc__mutex_lock(&e->lock);
	if (epc__hw_ecreate(l->d.hw, encl_page_index(e, p), e->id, size) != EPC__SGX_SUCCESS) {
		epc__mutex_unlock(&e->lock);
		epc__free_page(l->d.reclaim, p);
		ret = -EIO;
		goto err_shrink;
	}
	e->secs.epc_page = p;
	e->secs.flags = EPC__EPAGE_ADDED;
	epc__encl_va_commit_locked(e, va);
	epc__mutex_unlock(&e->lock);
	epc__mutex_unlock(&e->build_lock);
	e->cg = t->cg;
	epc__cg_get(e->cg); /* put in epc_encl_destroy() */
	encl_list_add(l, e);
	*out = e;
	return 0;

err_shrink:
	encl_shrink(e, va);
err_unlock:
	epc__mutex_unlock(&e->build_lock);
	encl_free(e);
	return ret;
}

int epc__encl_added_reserve_locked(struct epc_encl *e, struct epc__encl_page *ep)
{
	uint64_t cap = e->added_cap ? 2 * e->added_cap : 16;
	uint64_t *a;

	epc__assert_mutex_held(&e->build_lock);
	epc__assert_mutex_held(&e->lock);
	if ((ep->flags & EPC__EPAGE_LISTED) || e->nr_added_slots < e->added_cap)
		return 0;
	a = realloc(e->added, cap * sizeof(*a));
	if (!a)
		return -ENOMEM;
	e->added = a;
	e->added_cap = cap;
	return 0;
}

void epc__encl_added_commit_locked(struct epc_encl *e, struct epc__encl_page *ep)
{
	epc__assert_mutex_held(&e->lock);
	ep->flags |= EPC__EPAGE_ADDED;
	if (ep->flags & EPC__EPAGE_LISTED)
		return;
	ep->flags |= EPC__EPAGE_LISTED;
	e->added[e->nr_added_slots++] = (uint64_t)(ep - e->pages);
}

/* Room in @e->added for one more page, so the append at commit cannot fail. build_lock held. */
static int added_reserve(struct epc_encl *e, struct epc__encl_page *ep)
{
	int ret;

	epc__mutex_lock(&e->lock);
	ret = epc__encl_added_reserve_locked(e, ep);
	epc__mutex_unlock(&e->lock);
	return ret;
}

/* Return: 0; -EOWNERDEAD (logged) when @e has been OOM-killed. */
static int killed_check(struct epc_encl *e, const char *what)
{
	if (!atomic_load(&e->killed))
		return 0;
	epc__log(e->layer->d.log, LOG_INFO, "%s: enclave %llu was killed (out of memory)", what,
		 (unsigned long long)e->id);
	return -EOWNERDEAD;
}

/* Checks for EADD at @ep. Return: 0; -EINVAL initialized; -EEXIST added. */
static int add_page_check(struct epc_encl *e, struct epc__encl_page *ep)
{
	int ret = 0;

	epc__mutex_lock(&e->lock);
	if (e->initialized)
		ret = -EINVAL;
	else if (ep->flags & EPC__EPAGE_ADDED)
		ret = -EEXIST;
	epc__mutex_unlock(&e->lock);
	if (ret)
		epc__log(e->layer->d.log, ret == -EINVAL ? LOG_ERR : LOG_INFO, "EADD at 0x%llx: %s",
			 (unsigned long long)epc__encl_page_offset(e, ep),
			 ret == -EINVAL ? "the enclave is initialized"
					: "the page is there already");
	return ret;
}

/*
 * The kernel's sgx_validate_secinfo(): a regular page with W only beside R,
 * or a TCS with no permissions; nothing else (the SGX2 states included).
 * Return: 0; -EINVAL (logged).
 */
static int secinfo_check(struct epc_encl *e, uint64_t secinfo)
{
	uint64_t perm = secinfo & EPC_SECINFO_PERMISSION_MASK;
	uint64_t pt = secinfo & EPC_SECINFO_PAGE_TYPE_MASK;
	const char *why = NULL;

	if (pt != EPC_SECINFO_REG && pt != EPC_SECINFO_TCS)
		why = "a page type other than regular or TCS";
	else if ((perm & EPC_SECINFO_W) && !(perm & EPC_SECINFO_R))
		why = "W without R";
	else if (pt == EPC_SECINFO_TCS && perm)
		why = "a TCS with permissions";
	else if (secinfo & ~(EPC_SECINFO_PERMISSION_MASK | EPC_SECINFO_PAGE_TYPE_MASK))
		why = "reserved bits";
	if (!why)
		return 0;
	epc__log(e->layer->d.log, LOG_ERR, "EADD: SECINFO 0x%llx has %s",
		 (unsigned long long)secinfo, why);
	return -EINVAL;
}

/* The kernel's vm_max_prot_bits of a page EADD'd with @secinfo (a TCS: RW). */
static uint8_t secinfo_max_prot(uint64_t secinfo)
{
	uint64_t perm = secinfo & EPC_SECINFO_PERMISSION_MASK;

	if ((secinfo & EPC_SECINFO_PAGE_TYPE_MASK) == EPC_SECINFO_TCS)
		perm |= EPC_SECINFO_R | EPC_SECINFO_W;
	return (uint8_t)(perm << EPC__EPAGE_MAX_SHIFT);
}

EPC_API int epc_encl_add_page(struct epc_task *t, struct epc_encl *e, uint64_t offset,
			      const void *src)
{
	return epc_encl_add_page2(t, e, offset, src,
				  EPC_SECINFO_REG | EPC_SECINFO_R | EPC_SECINFO_W | EPC_SECINFO_X);
}

EPC_API int epc_encl_add_page2(struct epc_task *t, struct epc_encl *e, uint64_t offset,
			       const void *src, uint64_t secinfo)
{
	uint8_t type = (uint8_t)(secinfo >> 8), attr = secinfo & EPC_SECINFO_PERMISSION_MASK;
	struct epc__va_page *va = NULL;
	struct epc__encl_page *ep;
	struct epc_page *p;
	uint64_t refused;
	int ret;

	if (!t || !e) {
		epc__log(t ? t->reclaim->log : NULL, LOG_ERR, "EADD: NULL %s",
			 t ? "enclave" : "task");
		return -EINVAL;
	}
	ret = epc__encl_same_instance(t, e, "EADD");
	if (ret)
		return ret;
	epc__task_sync(t);
	if (offset % EPC_PAGE_SIZE || offset >= e->size) {
		epc__log(e->layer->d.log, LOG_ERR,
			 "EADD: offset 0x%llx outside the enclave or unaligned",
			 (unsigned long long)offset);
		return -EINVAL;
	}
	ret = secinfo_check(e, secinfo);
	if (ret)
		return ret;
	ep = &e->pages[offset / EPC_PAGE_SIZE];
	epc__mutex_lock(&e->build_lock);
	refused = atomic_load(&e->layer->nr_backing_refused);
	ret = killed_check(e, "EADD");
	if (!ret)
		ret = add_page_check(e, ep);
	if (!ret)
		ret = added_reserve(e, ep);
	if (ret)
		goto out;
	ret = encl_grow(t, e, &va);
	if (ret)
		goto err_oom;
	ret = epc__encl_alloc_epc(t, e, ep, EPC_DO_RECLAIM, &p, NULL);
	if (ret)
		goto err_shrink;
	epc__mutex_lock(&e->lock);
	/* EINIT may have come in meanwhile: EINIT is not serialized with builders */
	ret = e->initialized ? -EINVAL
			     : epc__hw_eadd(e->layer->d.hw, encl_page_index(e, p),
					    encl_page_index(e, e->secs.epc_page),
					    (enum epc__page_type)type, attr, src);
	if (ret) {
		epc__mutex_unlock(&e->lock);
		if (ret != -EINVAL) {
			epc__log(e->layer->d.log, LOG_WARNING, "EADD returned %d (0x%x)", ret, ret);
			ret = -EIO;
		}
		epc__free_page(e->layer->d.reclaim, p);
		goto err_shrink;
	}
	ep->encl = e;
	ep->type = type;
	ep->attr = attr;
	/* BACKING may be set already (evict.c) */
	ep->flags =
		(uint8_t)((ep->flags & ~(EPC__EPAGE_MAX_R | EPC__EPAGE_MAX_W | EPC__EPAGE_MAX_X)) |
			  secinfo_max_prot(secinfo));
	ep->epc_page = p;
	epc__encl_added_commit_locked(e, ep);
	epc__encl_va_commit_locked(e, va);
	atomic_fetch_add(&e->nr_added, 1);
	atomic_fetch_add(&e->nr_resident, 1);
	epc__reclaim_mark(e->layer->d.reclaim, p);
	epc__mutex_unlock(&e->lock);
	goto out;

err_shrink:
	encl_shrink(e, va);
err_oom:
	if (ret == -ENOMEM && epc__encl_backing_refused_since(e, refused)) {
		epc__encl_oom_kill_build_locked(e);
		ret = -EOWNERDEAD;
	}
out:
	epc__mutex_unlock(&e->build_lock);
	return ret;
}

EPC_API int epc_encl_init(struct epc_encl *e)
{
	int ret;

	if (!e) {
		epc__log(NULL, LOG_ERR, "EINIT: NULL enclave");
		return -EINVAL;
	}
	ret = killed_check(e, "EINIT");
	if (ret)
		return ret;
	epc__mutex_lock(&e->lock);
	if (e->initialized)
		ret = -EINVAL;
	e->initialized = true;
	epc__mutex_unlock(&e->lock);
	if (ret)
		epc__log(e->layer->d.log, LOG_ERR, "EINIT: enclave %llu is initialized already",
			 (unsigned long long)e->id);
	return ret;
}

EPC_API int epc_encl_backing_fd(struct epc_encl *e)
{
	int ret;

	if (!e) {
		epc__log(NULL, LOG_ERR, "backing fd: NULL enclave");
		return -EINVAL;
	}
	ret = killed_check(e, "backing fd");
	if (ret)
		return ret;
	return e->backing_fd >= 0 ? e->backing_fd : -EOPNOTSUPP;
}

/* Wait until no reclaimer pins @e; after this no new pin can be taken. */
static void encl_wait_unpinned(struct epc_encl *e)
{
	atomic_store(&e->dying, true);
	pthread_mutex_lock(&e->refs_lock);
	atomic_fetch_sub(&e->refs, 1);
	while (atomic_load(&e->refs) > 0)
		pthread_cond_wait(&e->refs_cond, &e->refs_lock);
	pthread_mutex_unlock(&e->refs_lock);
}

/*
 * Free every page, child pages first, then VA pages, then the SECS; evicted
 * pages lose their versions with the VA pages. Each page is taken off its
 * LRU just before it is freed (a no-op for one a kill took off already), so
 * that pages stay reclaimable, not merely charged, until they go. Lock
 * held; no page of @e may be isolated (the callers made sure).
 */
static void encl_release_pages_locked(struct epc_encl *e)
{
	struct epc__reclaimer *r = e->layer->d.reclaim;
	struct epc__va_page *v;

	epc__assert_mutex_held(&e->lock);
	for (uint64_t k = 0; k < e->nr_added_slots; k++) {
		struct epc__encl_page *ep = &e->pages[e->added[k]];

		ep->va_page = NULL;
		if (!ep->epc_page)
			continue;
		epc__reclaim_unmark(r, ep->epc_page);
		epc__encl_free_epc(e, ep->epc_page);
		ep->epc_page = NULL;
	}
	while ((v = va_first(e))) {
		epc__list_del(&v->node);
		epc__encl_free_epc(e, v->epc_page);
		free(v);
	}
	e->nr_va = 0;
	e->secs.va_page = NULL;
	if (e->secs.epc_page)
		epc__encl_free_epc(e, e->secs.epc_page);
	e->secs.epc_page = NULL;
	atomic_store(&e->nr_resident, 0);
}

/* Free every page (destroy: no pins are left, so none can be isolated). */
static void encl_release_pages(struct epc_encl *e)
{
	epc__mutex_lock(&e->lock);
	encl_release_pages_locked(e);
	epc__mutex_unlock(&e->lock);
}

/*
 * Take every resident page of @e off its LRU. Return: false when a reclaimer
 * has one isolated (it holds a pin; wait for it and try again). @e is dying,
 * so once a page is off its LRU no reclaimer can isolate it again: a
 * reclaimer's get() runs under the LRU lock, which unmark takes too, so one
 * that saw @e alive before it started dying has the page isolated by then.
 */
static bool encl_unmark_all(struct epc_encl *e)
{
	struct epc__reclaimer *r = e->layer->d.reclaim;
	bool all = true;

	epc__mutex_lock(&e->lock);
	for (uint64_t k = 0; k < e->nr_added_slots; k++) {
		struct epc__encl_page *ep = &e->pages[e->added[k]];

		if (ep->epc_page && epc__reclaim_unmark(r, ep->epc_page))
			all = false;
	}
	epc__mutex_unlock(&e->lock);
	return all;
}

/* Wait until only the owner's reference is left. */
static void encl_wait_pins(struct epc_encl *e)
{
	pthread_mutex_lock(&e->refs_lock);
	while (atomic_load(&e->refs) > 1)
		pthread_cond_wait(&e->refs_cond, &e->refs_lock);
	pthread_mutex_unlock(&e->refs_lock);
}

void epc__encl_oom_kill_build_locked(struct epc_encl *e)
{
	struct epc__encl_layer *l = e->layer;
	uint64_t charged;

	epc__assert_mutex_held(&e->build_lock);
	if (atomic_load(&e->killed))
		return;
	/* no fault makes a page resident from here on (it checks under the lock) */
	epc__mutex_lock(&e->lock);
	atomic_store(&e->killed, true);
	epc__mutex_unlock(&e->lock);
	atomic_store(&e->dying, true); /* no new reclaimer pins */
	/*
	 * Off the LRUs, and no reclaimer left holding a pin: one that failed to
	 * write a page puts it back on the LRU before it drops its pin (and
	 * reads the page's owner to do so), so a page unmarked at once may
	 * still be in a reclaimer's hands until the count says otherwise.
	 * Once every page is off the LRUs of a dying enclave no pin can be
	 * taken again (encl_unmark_all()).
	 */
	for (;;) {
		encl_wait_pins(e);
		if (encl_unmark_all(e) && atomic_load(&e->refs) <= 1)
			break;
	}
	epc__mutex_lock(&e->lock);
	encl_release_pages_locked(e);
	charged = e->mem_charged;
	epc__cg_uncharge_mem(e->mem_cg, charged);
	e->mem_charged = 0;
	/* the memory goes back to the host too: nothing will read it again */
	if (e->backing_fd >= 0 &&
	    fallocate(e->backing_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
		      (off_t)e->backing_len))
		epc__log(l->d.log, LOG_WARNING, "OOM kill: punching the backing store failed");
	epc__mutex_unlock(&e->lock);
	epc__memcg_event(e->mem_cg, EPC__MEMCG_OOM);
	epc__memcg_event(e->mem_cg, EPC__MEMCG_OOM_KILL);
	atomic_fetch_add(&l->nr_oom_kills, 1);
	epc__log(l->d.log, LOG_ERR,
		 "Memory cgroup out of memory: killed enclave %llu (%llu bytes of backing "
		 "memory returned)",
		 (unsigned long long)e->id, (unsigned long long)charged);
}

EPC_API void epc_encl_destroy(struct epc_encl *e)
{
	if (!e)
		return;
	encl_list_del(e->layer, e);
	encl_wait_unpinned(e);
	encl_release_pages(e);
	epc__cg_put(e->cg);
	encl_free(e);
}

EPC_API void epc_encl_get_stats(struct epc_encl *e, struct epc_encl_stats *st)
{
	if (!e || !st) {
		epc__log(e ? e->layer->d.log : NULL, LOG_ERR, "enclave stats: NULL %s",
			 e ? "st" : "enclave");
		return;
	}
	epc__mutex_lock(&e->lock);
	st->nr_va_pages = e->nr_va;
	epc__mutex_unlock(&e->lock);
	st->nr_pages = atomic_load(&e->nr_added);
	st->nr_resident = atomic_load(&e->nr_resident);
	st->nr_faults = atomic_load(&e->nr_faults);
	st->nr_evicted = atomic_load(&e->nr_evicted);
	st->nr_reloaded = atomic_load(&e->nr_reloaded);
}

/* ------------------------------------------------------------------ layer */

int epc__encl_layer_init(struct epc__encl_layer *l, const struct epc__encl_deps *deps)
{
	memset(l, 0, sizeof(*l));
	l->d = *deps;
	epc__list_init(&l->encls);
	return -pthread_mutex_init(&l->lock, NULL);
}

void epc__encl_layer_destroy(struct epc__encl_layer *l)
{
	while (!epc__list_empty(&l->encls))
		epc_encl_destroy(epc__list_first(&l->encls, struct epc_encl, layer_node));
	pthread_mutex_destroy(&l->lock);
}

uint64_t epc__encl_nr_reloaded(struct epc__encl_layer *l)
{
	return atomic_load(&l->nr_reloaded);
}

uint64_t epc__encl_nr_secs_evicted(struct epc__encl_layer *l)
{
	return atomic_load(&l->nr_secs_evicted);
}

int epc__encl_refuse_foreign(struct epc_task *t, const char *call)
{
	/* the line the face gives for its own handles (epcmm.c) */
	epc__log(t->reclaim->log, LOG_ERR, "%s: the enclave belongs to another struct epc: %s",
		 call, strerror(EINVAL));
	return -EINVAL;
}

/* ---------------------------------------------------------------- checker */

static int va_ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (struct epc__va_page *const *)a;
	uintptr_t y = (uintptr_t) * (struct epc__va_page *const *)b;

	return (x > y) - (x < y);
}

/* An enclave's VA pages sorted by address, and the slots its evicted pages hold in each. */
struct va_books {
	struct epc__va_page **va;
	uint64_t (*held)[EPC__VA_SLOTS / 64]; /* parallel to va */
	uint64_t nr;
};

static int check_fail(struct epc_encl *e, const char *what, unsigned long long a,
		      unsigned long long b)
{
	epc__log(e->layer->d.log, LOG_ERR, "check: enclave %llu: %s (%llu, %llu)",
		 (unsigned long long)e->id, what, a, b);
	return -EUCLEAN;
}

/*
 * The VA list as a sorted array, checking the list against nr_va and its order
 * (pages with a free slot first, full ones after: slots come from the head).
 * Return: 0; -EUCLEAN; -ENOMEM.
 */
static int va_books_init(struct epc_encl *e, struct va_books *b)
{
	struct epc__va_page *v;
	bool seen_full = false;
	uint64_t n = 0;

	b->nr = 0;
	for (struct epc__list *i = e->va_pages.next; i != &e->va_pages && n <= e->nr_va;
	     i = i->next)
		n++;
	if (n != e->nr_va)
		return check_fail(e, "VA list length differs from nr_va", n, e->nr_va);
	b->va = calloc(n ? n : 1, sizeof(*b->va));
	b->held = calloc(n ? n : 1, sizeof(*b->held));
	if (!b->va || !b->held)
		return -ENOMEM;
	epc__list_for_each(v, &e->va_pages, node)
	{
		unsigned bits = 0;

		for (unsigned w = 0; w < EPC__VA_SLOTS / 64; w++)
			bits += (unsigned)__builtin_popcountll(v->used[w]);
		if (!v->epc_page || bits != v->nr_used)
			return check_fail(e,
					  "VA page without an EPC page, or nr_used not its bitmap",
					  bits, v->nr_used);
		if (seen_full && v->nr_used < EPC__VA_SLOTS)
			return check_fail(
				e, "a VA page with free slots behind a full one (slot, list index)",
				v->nr_used, b->nr);
		seen_full |= v->nr_used == EPC__VA_SLOTS;
		b->va[b->nr++] = v;
	}
	qsort(b->va, b->nr, sizeof(*b->va), va_ptr_cmp);
	return 0;
}

static void va_books_free(struct va_books *b)
{
	free(b->va);
	free(b->held);
}

/* Book the VA slot of evicted @ep: one of @e's VA pages, marked used, held by no other page. */
static int va_books_hold(struct epc_encl *e, struct va_books *b, const struct epc__encl_page *ep)
{
	unsigned long long off = epc__encl_page_offset(e, ep);
	struct epc__va_page **hit = NULL;
	uint64_t k, bit, w;

	if (ep->va_page)
		hit = bsearch(&ep->va_page, b->va, b->nr, sizeof(*b->va), va_ptr_cmp);
	if (!hit || ep->va_slot >= EPC__VA_SLOTS)
		return check_fail(e, "evicted page (offset, slot) is in no VA page of the enclave",
				  off, ep->va_slot);
	k = (uint64_t)(hit - b->va);
	w = ep->va_slot / 64;
	bit = 1ULL << (ep->va_slot % 64);
	if (!((*hit)->used[w] & bit))
		return check_fail(e, "evicted page (offset, slot): its VA slot is marked free", off,
				  ep->va_slot);
	if (b->held[k][w] & bit)
		return check_fail(e, "evicted page (offset, slot): another page holds its VA slot",
				  off, ep->va_slot);
	b->held[k][w] |= bit;
	return 0;
}

/* Every slot marked used in a VA page is held by an evicted page of the enclave. */
static int va_books_all_held(struct epc_encl *e, const struct va_books *b)
{
	for (uint64_t k = 0; k < b->nr; k++) {
		unsigned held = 0;

		for (unsigned w = 0; w < EPC__VA_SLOTS / 64; w++)
			held += (unsigned)__builtin_popcountll(b->held[k][w]);
		if (memcmp(b->held[k], b->va[k]->used, sizeof(b->held[k])))
			return check_fail(e,
					  "a VA page's slots in use are not the versions "
					  "of its evicted pages (in use, held)",
					  b->va[k]->nr_used, held);
	}
	return 0;
}

/* A resident page's type and attributes in the EPCM are what the books say. */
static int epcm_matches(struct epc_encl *e, const struct epc__encl_page *ep)
{
	const struct epc__hw *hw = e->layer->d.hw;
	uint64_t idx = encl_page_index(e, ep->epc_page);

	if (hw->epcm[idx].type == ep->type && epc__hw_attr(hw, idx) == ep->attr)
		return 0;
	return check_fail(e, "a page's EPCM type and attributes are not its books' (offset, attr)",
			  epc__encl_page_offset(e, ep), epc__hw_attr(hw, idx));
}

/*
 * One enclave's books: the added list names pages ever added (LISTED), once
 * each, as many of them added now as nr_added; a removed page holds nothing;
 * resident pages owned by their EPC page, with the EPCM's type and attributes,
 * and counted in nr_resident; every evicted page (the SECS too) holding
 * exactly one VA slot, and every used slot held by one evicted page; as many
 * VA pages as the enclave's pages need (one per 512 of SECS + added pages,
 * kernel-spec §2.7), or more once EDMM removed pages (VA pages stay).
 * O(pages ever added + VA pages): it walks the added list, never the whole range.
 */
static int encl_check_one(struct epc_encl *e)
{
	struct va_books b = {0};
	uint64_t resident = 0, added = 0, need;
	int ret;

	if (atomic_load(&e->killed)) /* nothing may be left but the books */
		return !epc__list_empty(&e->va_pages) || e->nr_va || e->secs.epc_page ||
				       e->mem_charged || atomic_load(&e->nr_resident)
			       ? check_fail(e,
					    "a killed enclave holds pages or charges (VA, bytes)",
					    e->nr_va, e->mem_charged)
			       : 0;
	ret = va_books_init(e, &b);

	for (uint64_t k = 0; !ret && k < e->nr_added_slots; k++) {
		uint64_t i = e->added[k];
		struct epc__encl_page *ep = i < e->nr_slots ? &e->pages[i] : NULL;

		if (!ep || !(ep->flags & EPC__EPAGE_LISTED)) {
			ret = check_fail(e,
					 "an entry of the added list (index, slot) is no added "
					 "page, then or now",
					 k, i);
			break;
		}
		if (!(ep->flags & EPC__EPAGE_ADDED)) { /* removed (EDMM) */
			if (ep->epc_page || ep->va_page)
				ret = check_fail(e, "a removed page (offset, slot) holds a page",
						 i * EPC_PAGE_SIZE, ep->va_slot);
			continue;
		}
		added++;
		if (ep->epc_page) {
			resident++;
			if (ep->epc_page->owner != ep || ep->va_page)
				ret = check_fail(e,
						 "resident page (offset, slot) is not its "
						 "EPC page's owner, or holds a VA slot",
						 i * EPC_PAGE_SIZE, ep->va_slot);
			if (!ret)
				ret = epcm_matches(e, ep);
		} else {
			ret = va_books_hold(e, &b, ep);
		}
	}
	if (!ret && !e->secs.epc_page)
		ret = va_books_hold(e, &b, &e->secs);
	if (!ret)
		ret = va_books_all_held(e, &b);
	if (!ret && added != atomic_load(&e->nr_added))
		ret = check_fail(e, "added pages (listed, books)", added,
				 atomic_load(&e->nr_added));
	need = (added + 1 + EPC__VA_SLOTS - 1) / EPC__VA_SLOTS;
	if (!ret && (e->nr_va < need || (!atomic_load(&e->nr_removed) && e->nr_va != need) ||
		     e->page_cnt != added + 1))
		ret = check_fail(e, "VA pages (have, need): not what SECS + added pages need",
				 e->nr_va, need);
	if (!ret && e->nr_added_slots > e->nr_slots)
		ret = check_fail(e, "the added list is longer than the enclave (entries, slots)",
				 e->nr_added_slots, e->nr_slots);
	if (!ret && resident != atomic_load(&e->nr_resident))
		ret = check_fail(e, "resident pages (counted, books)", resident,
				 atomic_load(&e->nr_resident));
	va_books_free(&b);
	return ret;
}

int epc__encl_check(struct epc__encl_layer *l)
{
	int64_t charged = 0, root_usage;
	struct epc_encl *e;
	int ret = 0;

	pthread_mutex_lock(&l->lock);
	epc__list_for_each(e, &l->encls, layer_node)
	{
		if (ret)
			break;
		ret = encl_check_one(e);
		charged += (int64_t)e->mem_charged;
	}
	pthread_mutex_unlock(&l->lock);
	root_usage = atomic_load(&l->d.cgroups->root->mem.usage);
	if (!ret && charged != root_usage) {
		epc__log(l->d.log, LOG_ERR,
			 "check: enclaves hold %lld bytes of backing memory, the root's "
			 "memory usage is %lld",
			 (long long)charged, (long long)root_usage);
		ret = -EUCLEAN;
	}
	return ret;
}
