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

#define API __attribute__((visibility("default")))

/* ------------------------------------------------------------- VA pages */

bool epc__va_slot_alloc(struct epc_encl *e, struct epc__va_page **va, unsigned *slot)
{
	struct epc__va_page *v = e->va_head;

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
	if (++v->nr_used == EPC__VA_SLOTS && v != e->va_tail) {
		va_unlink(e, v);
		va_add_tail(e, v);
	}
	return true;
}

void epc__va_slot_free(struct epc_encl *e, struct epc__va_page *v, unsigned slot, bool to_head)
{
	v->used[slot / 64] &= ~(1ULL << (slot % 64));
	v->nr_used--;
	if (to_head && v != e->va_head) {
		va_unlink(e, v);
		va_add_head(e, v);
	}
}

/*
 * The kernel's sgx_encl_grow(): every 512th page the enclave needs (the SECS
 * counts) brings a new VA page, allocated with reclaim (so without the enclave
 * lock), then listed at the head. build_lock held.
 */
static int encl_grow(struct epc_task *t, struct epc_encl *e)
{
	struct epc__va_page *v;
	struct epc_page *p;
	int ret;

	if (e->page_cnt % EPC__VA_SLOTS) {
		e->page_cnt++;
		return 0;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	ret = epc__encl_alloc_epc(t, e, NULL, EPC_DO_RECLAIM, &p);
	if (ret)
		goto err_free;
	epc__mutex_lock(&e->lock);
	if (epc__hw_epa(&e->epc->hw, epc__page_index(e->epc, p)) != EPC__SGX_SUCCESS) {
		epc__mutex_unlock(&e->lock);
		ret = -EIO;
		goto err_page;
	}
	v->epc_page = p;
	va_add_head(e, v);
	e->nr_va++;
	epc__mutex_unlock(&e->lock);
	e->page_cnt++;
	return 0;

err_page:
	epc__free_page(&e->epc->reclaim, p);
err_free:
	free(v);
	return ret;
}

/* Undo the last encl_grow() (a failed EADD). build_lock held. */
static void encl_shrink(struct epc_encl *e)
{
	struct epc__va_page *v;

	e->page_cnt--;
	if (e->page_cnt % EPC__VA_SLOTS)
		return;
	epc__mutex_lock(&e->lock);
	v = e->va_head;
	if (v && !v->nr_used) {
		va_unlink(e, v);
		epc__encl_free_epc(e, v->epc_page);
		e->nr_va--;
		free(v);
	}
	epc__mutex_unlock(&e->lock);
}

/* ---------------------------------------------------------------- memory */

int epc__encl_alloc_epc(struct epc_task *t, struct epc_encl *e, void *owner, int reclaim,
			struct epc_page **out)
{
	struct epc__alloc_req req = {
		.cg = t->cg,
		.cpu = t->cpu,
		.owner = owner,
		.reclaim = reclaim,
		.signal = &t->signal,
	};
	(void)e;
	return epc__alloc_page(&t->epc->reclaim, &req, out);
}

void epc__encl_free_epc(struct epc_encl *e, struct epc_page *p)
{
	struct epc *epc = e->epc;
	int err = epc__hw_eremove(&epc->hw, epc__page_index(epc, p));

	if (err) {
		/* sgx_encl_free_epc_page(): warn and leak the page */
		atomic_fetch_add(&epc->mm.nr_leaked, 1);
		epc__log(&epc->log, LOG_WARNING,
			 "EREMOVE returned %d (0x%x) and an EPC page was leaked", err, err);
		return;
	}
	epc__free_page(&epc->reclaim, p);
}

/* ---------------------------------------------------------------- backing */

static int backing_create(struct epc_encl *e)
{
	/* a PCMD per page and one for the SECS (slot nr_slots), as the kernel's
	 * (size + 4096) + (size + 4096) / 32 shmem file has */
	uint64_t pcmd_bytes = (e->nr_slots + 1) * 128;

	e->backing_len = e->size + 4096 + ((pcmd_bytes + 4095) & ~4095ULL);
	e->backing_fd = memfd_create("epcmm-backing", MFD_CLOEXEC);
	if (e->backing_fd < 0)
		return -errno;
	if (ftruncate(e->backing_fd, (off_t)e->backing_len))
		goto err_close;
	e->backing =
		mmap(NULL, e->backing_len, PROT_READ | PROT_WRITE, MAP_SHARED, e->backing_fd, 0);
	if (e->backing == MAP_FAILED)
		goto err_close;
	return 0;

err_close:
	close(e->backing_fd);
	e->backing_fd = -1;
	e->backing = NULL;
	return -ENOMEM;
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
	return ep == &e->secs ? e->size : (uint64_t)(ep - e->pages) * 4096;
}

void *epc__backing_contents(struct epc_encl *e, const struct epc__encl_page *ep)
{
	return e->backing ? e->backing + epc__encl_page_offset(e, ep) : NULL;
}

void *epc__backing_pcmd(struct epc_encl *e, const struct epc__encl_page *ep)
{
	uint64_t i = epc__encl_page_offset(e, ep) / 4096; /* the SECS is slot nr_slots */

	return e->backing ? e->backing + e->size + 4096 + i * 128 : NULL;
}

/* -------------------------------------------------------------- lifecycle */

static uint64_t next_id(struct epc *epc)
{
	uint64_t id;

	pthread_mutex_lock(&epc->encl.lock);
	id = ++epc->encl.next_id;
	pthread_mutex_unlock(&epc->encl.lock);
	return id;
}

static void encl_list_add(struct epc *epc, struct epc_encl *e)
{
	pthread_mutex_lock(&epc->encl.lock);
	e->next = epc->encl.list;
	if (e->next)
		e->next->prev = e;
	epc->encl.list = e;
	pthread_mutex_unlock(&epc->encl.lock);
}

static void encl_list_del(struct epc *epc, struct epc_encl *e)
{
	pthread_mutex_lock(&epc->encl.lock);
	if (e->prev)
		e->prev->next = e->next;
	else
		epc->encl.list = e->next;
	if (e->next)
		e->next->prev = e->prev;
	pthread_mutex_unlock(&epc->encl.lock);
}

static struct epc_encl *encl_alloc(struct epc *epc, uint64_t size)
{
	struct epc_encl *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->epc = epc;
	e->size = size;
	e->nr_slots = size / 4096;
	e->backing_fd = -1;
	e->pages_len = e->nr_slots * sizeof(struct epc__encl_page);
	e->pages = mmap(NULL, e->pages_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (e->pages == MAP_FAILED)
		goto err_free;
	if (epc__mutex_init(&e->lock, EPC__RANK_ENCL))
		goto err_unmap;
	if (epc__mutex_init(&e->build_lock, EPC__RANK_ENCL_BUILD)) {
		epc__mutex_destroy(&e->lock);
		goto err_unmap;
	}
	pthread_mutex_init(&e->refs_lock, NULL);
	pthread_cond_init(&e->refs_cond, NULL);
	atomic_init(&e->refs, 1);
	e->secs.encl = e;
	e->secs.type = EPC__PT_SECS;
	e->id = next_id(epc);
	if (!epc->no_contents && backing_create(e))
		goto err_lock;
	return e;

err_lock:
	pthread_cond_destroy(&e->refs_cond);
	pthread_mutex_destroy(&e->refs_lock);
	epc__mutex_destroy(&e->build_lock);
	epc__mutex_destroy(&e->lock);
err_unmap:
	munmap(e->pages, e->pages_len);
err_free:
	free(e);
	return NULL;
}

static void encl_free(struct epc_encl *e)
{
	backing_destroy(e);
	pthread_cond_destroy(&e->refs_cond);
	pthread_mutex_destroy(&e->refs_lock);
	epc__mutex_destroy(&e->build_lock);
	epc__mutex_destroy(&e->lock);
	munmap(e->pages, e->pages_len);
	free(e);
}

API int epc_encl_create(struct epc_task *t, uint64_t size, struct epc_encl **out)
{
	struct epc *epc = t->epc;
	struct epc_encl *e;
	struct epc_page *p;
	int ret;

	if (!size || size % EPC_PAGE_SIZE || size > EPC_ENCL_MAX_SIZE) {
		epc__log(&epc->log, LOG_ERR,
			 "ECREATE: size %llu is not a non-zero multiple of %d up to %llu",
			 (unsigned long long)size, EPC_PAGE_SIZE,
			 (unsigned long long)EPC_ENCL_MAX_SIZE);
		return -EINVAL;
	}
	e = encl_alloc(epc, size);
	if (!e)
		return -ENOMEM;
	epc__mutex_lock(&e->build_lock);
	ret = encl_grow(t, e); /* the SECS needs a VA slot too */
	if (ret)
		goto err_unlock;
	ret = epc__encl_alloc_epc(t, e, &e->secs, EPC_DO_RECLAIM, &p);
	if (ret)
		goto err_shrink;
	epc__mutex_lock(&e->lock);
	if (epc__hw_ecreate(&epc->hw, epc__page_index(epc, p), e->id, size) != EPC__SGX_SUCCESS) {
		epc__mutex_unlock(&e->lock);
		epc__free_page(&epc->reclaim, p);
		ret = -EIO;
		goto err_shrink;
	}
	e->secs.epc_page = p;
	e->secs.flags = EPC__EPAGE_ADDED;
	epc__mutex_unlock(&e->lock);
	epc__mutex_unlock(&e->build_lock);
	e->cg = t->cg;
	epc__cg_get(e->cg); /* put in epc_encl_destroy() */
	encl_list_add(epc, e);
	*out = e;
	return 0;

err_shrink:
	encl_shrink(e);
err_unlock:
	epc__mutex_unlock(&e->build_lock);
	encl_free(e);
	return ret;
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
		epc__log(&e->epc->log, ret == -EINVAL ? LOG_ERR : LOG_INFO, "EADD at 0x%llx: %s",
			 (unsigned long long)epc__encl_page_offset(e, ep),
			 ret == -EINVAL ? "the enclave is initialized"
					: "the page is there already");
	return ret;
}

API int epc_encl_add_page(struct epc_task *t, struct epc_encl *e, uint64_t offset, const void *src)
{
	struct epc__encl_page *ep;
	struct epc_page *p;
	int ret;

	if (offset % EPC_PAGE_SIZE || offset >= e->size) {
		epc__log(&e->epc->log, LOG_ERR,
			 "EADD: offset 0x%llx outside the enclave or unaligned",
			 (unsigned long long)offset);
		return -EINVAL;
	}
	ep = &e->pages[offset / 4096];
	epc__mutex_lock(&e->build_lock);
	ret = add_page_check(e, ep);
	if (ret)
		goto out;
	ret = encl_grow(t, e);
	if (ret)
		goto out;
	ret = epc__encl_alloc_epc(t, e, ep, EPC_DO_RECLAIM, &p);
	if (ret)
		goto err_shrink;
	epc__mutex_lock(&e->lock);
	/* EINIT may have come in meanwhile: EINIT is not serialized with builders */
	ret = e->initialized
		      ? -EINVAL
		      : epc__hw_eadd(&e->epc->hw, epc__page_index(e->epc, p),
				     epc__page_index(e->epc, e->secs.epc_page), EPC__PT_REG, src);
	if (ret) {
		epc__mutex_unlock(&e->lock);
		if (ret != -EINVAL) {
			epc__log(&e->epc->log, LOG_WARNING, "EADD returned %d (0x%x)", ret, ret);
			ret = -EIO;
		}
		epc__free_page(&e->epc->reclaim, p);
		goto err_shrink;
	}
	ep->encl = e;
	ep->type = EPC__PT_REG;
	ep->flags |= EPC__EPAGE_ADDED; /* BACKING may be set already (evict.c) */
	ep->epc_page = p;
	atomic_fetch_add(&e->nr_added, 1);
	atomic_fetch_add(&e->nr_resident, 1);
	epc__reclaim_mark(&e->epc->reclaim, p);
	epc__mutex_unlock(&e->lock);
	goto out;

err_shrink:
	encl_shrink(e);
out:
	epc__mutex_unlock(&e->build_lock);
	return ret;
}

API int epc_encl_init(struct epc_encl *e)
{
	int ret = 0;

	epc__mutex_lock(&e->lock);
	if (e->initialized)
		ret = -EINVAL;
	e->initialized = true;
	epc__mutex_unlock(&e->lock);
	if (ret)
		epc__log(&e->epc->log, LOG_ERR, "EINIT: enclave %llu is initialized already",
			 (unsigned long long)e->id);
	return ret;
}

API int epc_encl_backing_fd(struct epc_encl *e)
{
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

/* Free every page, child pages first, then VA pages, then the SECS. */
static void encl_release_pages(struct epc_encl *e)
{
	struct epc__reclaimer *r = &e->epc->reclaim;
	struct epc__va_page *v, *next;

	epc__mutex_lock(&e->lock);
	for (uint64_t i = 0; i < e->nr_slots; i++) {
		struct epc__encl_page *ep = &e->pages[i];

		if (!ep->epc_page)
			continue;
		/* no pins are left, so the page cannot be isolated */
		epc__reclaim_unmark(r, ep->epc_page);
		epc__encl_free_epc(e, ep->epc_page);
		ep->epc_page = NULL;
	}
	for (v = e->va_head; v; v = next) {
		next = v->next;
		epc__encl_free_epc(e, v->epc_page);
		free(v);
	}
	e->va_head = e->va_tail = NULL;
	if (e->secs.epc_page)
		epc__encl_free_epc(e, e->secs.epc_page);
	e->secs.epc_page = NULL;
	epc__mutex_unlock(&e->lock);
}

API void epc_encl_destroy(struct epc_encl *e)
{
	if (!e)
		return;
	encl_list_del(e->epc, e);
	encl_wait_unpinned(e);
	encl_release_pages(e);
	epc__cg_put(e->cg);
	encl_free(e);
}

API void epc_encl_get_stats(struct epc_encl *e, struct epc_encl_stats *st)
{
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

int epc__encl_layer_init(struct epc *epc)
{
	memset(&epc->encl, 0, sizeof(epc->encl));
	return -pthread_mutex_init(&epc->encl.lock, NULL);
}

void epc__encl_layer_destroy(struct epc *epc)
{
	while (epc->encl.list)
		epc_encl_destroy(epc->encl.list);
	pthread_mutex_destroy(&epc->encl.lock);
}

uint64_t epc__encl_nr_reloaded(struct epc *epc)
{
	return atomic_load(&epc->encl.nr_reloaded);
}

uint64_t epc__encl_nr_evicted(struct epc *epc)
{
	return atomic_load(&epc->encl.nr_evicted);
}

int epc__encl_check(struct epc *epc)
{
	int ret = 0;

	pthread_mutex_lock(&epc->encl.lock);
	for (struct epc_encl *e = epc->encl.list; e && !ret; e = e->next) {
		uint64_t resident = 0, evicted = 0, slots = 0;
		struct epc__va_page *v;

		for (uint64_t i = 0; i < e->nr_slots; i++) {
			struct epc__encl_page *ep = &e->pages[i];

			if (!(ep->flags & EPC__EPAGE_ADDED))
				continue;
			if (ep->epc_page) {
				resident++;
				if (ep->epc_page->owner != ep)
					ret = -EUCLEAN;
			} else {
				evicted++;
			}
		}
		for (v = e->va_head; v; v = v->next)
			slots += v->nr_used;
		if (!e->secs.epc_page)
			evicted++;
		if (ret || resident != atomic_load(&e->nr_resident) || evicted != slots) {
			epc__log(&epc->log, LOG_ERR,
				 "check: enclave %llu: %llu resident (books %llu), %llu evicted, "
				 "%llu VA slots used",
				 (unsigned long long)e->id, (unsigned long long)resident,
				 (unsigned long long)atomic_load(&e->nr_resident),
				 (unsigned long long)evicted, (unsigned long long)slots);
			ret = -EUCLEAN;
		}
	}
	pthread_mutex_unlock(&epc->encl.lock);
	return ret;
}
