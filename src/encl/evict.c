// SPDX-License-Identifier: MIT
/*
 * evict.c - the enclave as the reclaimer sees it (struct epc__reclaim_ops),
 * and EWB with the kernel's NOT_TRACKED handling (kernel-spec §4.8):
 * EWB; on NOT_TRACKED, ETRACK and EWB again; on a second NOT_TRACKED, the
 * IPI that kicks every thread out of the enclave (a no-op here: no thread
 * runs inside an emulated enclave), and a third EWB.
 *
 * Differences from the kernel (docs/DIFFERENCES.md): a failed EWB or backing
 * write leaves the page resident and unblocked, back on its LRU (the kernel
 * loses the page); the backing store is not truncated after a reload.
 */
#include <errno.h>
#include <fcntl.h>

#include "encl/encl_internal.h"

static struct epc__encl_page *owner_of(struct epc_page *p)
{
	return p->owner;
}

static bool encl_get(struct epc_page *p)
{
	struct epc_encl *e = owner_of(p)->encl;
	int refs = atomic_load(&e->refs);

	if (atomic_load(&e->dying))
		return false;
	do {
		if (refs == 0)
			return false;
	} while (!atomic_compare_exchange_weak(&e->refs, &refs, refs + 1));
	return true;
}

/*
 * The drop happens under refs_lock: destroy reads the count under it too, so
 * once it sees 0 this function has let go of the lock and will not touch the
 * enclave again (a drop outside the lock could race with the free).
 */
static void encl_put(void *owner)
{
	struct epc_encl *e = ((struct epc__encl_page *)owner)->encl;

	pthread_mutex_lock(&e->refs_lock);
	/* 0: destroy waits; 1 (the owner's): an OOM kill waits */
	if (atomic_fetch_sub(&e->refs, 1) <= 2)
		pthread_cond_broadcast(&e->refs_cond);
	pthread_mutex_unlock(&e->refs_lock);
}

/* Second chance: a page accessed since the last look is young. */
static bool encl_age(struct epc_page *p)
{
	return atomic_exchange(&owner_of(p)->accessed, 0) != 0;
}

/* fallocate() the contents of @nr pages from slot @first, and their PCMDs. */
static int backing_alloc(struct epc_encl *e, uint64_t first, uint64_t nr)
{
	uint64_t pcmd = e->size + EPC_PAGE_SIZE + first * EPC__PCMD_SIZE;

	if (e->backing_fd < 0) /* no_contents: the memory is only accounted */
		return 0;
	if (fallocate(e->backing_fd, 0, (off_t)(first * EPC_PAGE_SIZE),
		      (off_t)(nr * EPC_PAGE_SIZE)) ||
	    fallocate(e->backing_fd, 0, (off_t)pcmd, (off_t)(nr * EPC__PCMD_SIZE)))
		return -errno;
	return 0;
}

/* Does slot @s (a chunk's first slot, or the SECS's) have backing space? Lock held. */
static bool slot_has_backing(struct epc_encl *e, uint64_t s)
{
	if (s == e->nr_slots)
		return e->secs.flags & EPC__EPAGE_BACKING;
	return s < e->nr_slots && (e->pages[s].flags & EPC__EPAGE_BACKING);
}

/*
 * The host memory that allocating slots [@first, @first + @nr) brings in: the
 * contents pages, and the PCMD page (32 PCMDs, two chunks and maybe the
 * SECS) unless a neighbour in it has backing already. Every range asked for
 * is one chunk or the SECS, so it has one PCMD page. Lock held.
 */
static uint64_t backing_bytes(struct epc_encl *e, uint64_t first, uint64_t nr)
{
	uint64_t k = first / 32, pcmd_new = 1;

	for (uint64_t s = k * 32; s < k * 32 + 32; s += EPC__BACKING_CHUNK)
		if ((s < first || s >= first + nr) && slot_has_backing(e, s))
			pcmd_new = 0;
	if (e->nr_slots / 32 == k && (e->nr_slots < first || e->nr_slots >= first + nr) &&
	    slot_has_backing(e, e->nr_slots))
		pcmd_new = 0;
	return (nr + pcmd_new) * EPC_PAGE_SIZE;
}

/*
 * Charge and allocate the backing of [@first, @first + @nr). Return: 0;
 * -ENOMEM a memory limit refused (its "max" event is counted); -errno.
 * Lock held.
 */
static int backing_charge_alloc(struct epc_encl *e, uint64_t first, uint64_t nr)
{
	uint64_t bytes = backing_bytes(e, first, nr);
	int ret;

	epc__assert_mutex_held(&e->lock);
	if (epc__cg_try_charge_mem(e->mem_cg, bytes, NULL)) {
		atomic_fetch_add(&e->layer->nr_backing_refused, 1);
		return -ENOMEM;
	}
	ret = backing_alloc(e, first, nr);
	if (ret) {
		epc__cg_uncharge_mem(e->mem_cg, bytes);
		return ret;
	}
	e->mem_charged += bytes;
	return 0;
}

/*
 * Backing space for the contents and the PCMD, allocated once per page, and
 * for a whole aligned chunk of EPC__BACKING_CHUNK pages at a time: the host
 * kernel's shmem allocation is most of what a first eviction costs, and one
 * pair of calls per chunk instead of one per page saves a quarter of it.
 */
static int backing_get(struct epc_encl *e, struct epc__encl_page *ep)
{
	uint64_t idx = encl_page_index(e, ep->epc_page);
	uint64_t slot = epc__encl_page_offset(e, ep) / EPC_PAGE_SIZE, first, nr;
	int ret = epc__fault_check(e->layer->d.fault, EPC__FAULT_BACKING_GET, idx);

	if (ret)
		return ret;
	if (ep->flags & EPC__EPAGE_BACKING)
		return 0;
	if (ep == &e->secs) {
		ret = backing_charge_alloc(e, slot, 1);
		if (!ret)
			ep->flags |= EPC__EPAGE_BACKING;
		return ret;
	}
	first = slot - slot % EPC__BACKING_CHUNK;
	nr = e->nr_slots - first < EPC__BACKING_CHUNK ? e->nr_slots - first : EPC__BACKING_CHUNK;
	ret = backing_charge_alloc(e, first, nr);
	if (ret)
		return ret;
	for (uint64_t i = first; i < first + nr; i++)
		e->pages[i].flags |= EPC__EPAGE_BACKING;
	return 0;
}

static int encl_prepare(struct epc_page *p)
{
	struct epc__encl_page *ep = owner_of(p);
	struct epc_encl *e = ep->encl;
	int ret;

	epc__mutex_lock(&e->lock);
	ret = backing_get(e, ep);
	if (!ret)
		ep->flags |= EPC__EPAGE_BEING_RECLAIMED;
	epc__mutex_unlock(&e->lock);
	return ret;
}

static void encl_block(struct epc_page *p)
{
	struct epc__encl_page *ep = owner_of(p);
	struct epc_encl *e = ep->encl;
	int ret;

	epc__mutex_lock(&e->lock);
	ret = epc__hw_eblock(e->layer->d.hw, encl_page_index(e, p));
	epc__mutex_unlock(&e->lock);
	if (ret)
		epc__log(e->layer->d.log, LOG_WARNING, "EBLOCK returned %d (0x%x)", ret, ret);
}

/* One EWB of @ep with a fresh VA slot; the slot is kept only on success. */
static int ewb_once(struct epc_encl *e, struct epc__encl_page *ep, struct epc__va_page *va,
		    unsigned slot)
{
	struct epc__ewb_args a = {
		.idx = encl_page_index(e, ep->epc_page),
		.encl_id = e->id,
		.offset = epc__encl_page_offset(e, ep),
		.va_idx = encl_page_index(e, va->epc_page),
		.va_slot = slot,
		.contents = epc__backing_contents(e, ep),
		.pcmd = epc__backing_pcmd(e, ep),
	};

	return epc__hw_ewb(e->layer->d.hw, &a);
}

int epc__encl_ewb_locked(struct epc_encl *e, struct epc__encl_page *ep)
{
	struct epc__encl_layer *l = e->layer;
	uint64_t idx = encl_page_index(e, ep->epc_page);
	struct epc__va_page *va;
	unsigned slot;
	int ret;

	epc__assert_mutex_held(&e->lock);
	if (!epc__va_slot_alloc_locked(e, &va, &slot)) {
		epc__log(l->d.log, LOG_ERR, "EWB: enclave %llu has no free VA slot",
			 (unsigned long long)e->id);
		return -EIO;
	}
	ret = epc__fault_check(l->d.fault, EPC__FAULT_BACKING_WRITE, idx);
	if (ret)
		goto err_slot;
	ret = ewb_once(e, ep, va, slot);
	if (ret == EPC__SGX_NOT_TRACKED) {
		epc__hw_etrack(l->d.hw, encl_page_index(e, e->secs.epc_page));
		ret = ewb_once(e, ep, va, slot);
		if (ret == EPC__SGX_NOT_TRACKED) /* the IPI: nobody to kick out */
			ret = ewb_once(e, ep, va, slot);
	}
	if (ret)
		goto err_slot;
	ep->va_page = va;
	ep->va_slot = (uint16_t)slot;
	if (epc__events_on(l->d.events))
		epc__encl_page_event(e, ep, EPC_EVENT_EVICT);
	if (ep->epc_page->cg)
		atomic_fetch_add_explicit(&ep->epc_page->cg->nr_evicted, 1, memory_order_relaxed);
	ep->epc_page = NULL;
	atomic_fetch_add(&e->nr_evicted, 1);
	if (ep == &e->secs) /* the reclaimer counts the rest, a batch at a time */
		atomic_fetch_add(&l->nr_secs_evicted, 1);
	return 0;

err_slot:
	epc__log(l->d.log, LOG_WARNING, "EWB of enclave %llu page 0x%llx failed: %d (0x%x)",
		 (unsigned long long)e->id, (unsigned long long)epc__encl_page_offset(e, ep), ret,
		 ret);
	/* to the head: the slot may be the only free one, behind a full head */
	epc__va_slot_free_locked(e, va, slot, true);
	return -EIO;
}

/* sgx_reclaimer_write(): the SECS follows its last child out. */
static void secs_writeback_locked(struct epc_encl *e)
{
	struct epc_page *secs = e->secs.epc_page;

	epc__assert_mutex_held(&e->lock);
	if (!e->initialized || !secs || atomic_load(&e->nr_resident))
		return;
	/* its backing (and charge) like any page's; refused: it stays */
	if (backing_get(e, &e->secs) || epc__encl_ewb_locked(e, &e->secs))
		return;
	/* the SECS was never on an LRU: it is INUSE and charged */
	epc__free_page(e->layer->d.reclaim, secs);
}

static int encl_write(struct epc_page *p)
{
	struct epc__encl_page *ep = owner_of(p);
	struct epc_encl *e = ep->encl;
	int ret;

	epc__mutex_lock(&e->lock);
	ep->flags &= (uint8_t)~EPC__EPAGE_BEING_RECLAIMED;
	ret = epc__encl_ewb_locked(e, ep);
	if (ret) {
		epc__hw_unblock(e->layer->d.hw, encl_page_index(e, p));
	} else {
		atomic_fetch_sub(&e->nr_resident, 1);
		secs_writeback_locked(e);
	}
	epc__mutex_unlock(&e->lock);
	return ret;
}

const struct epc__reclaim_ops epc__encl_reclaim_ops = {
	.get = encl_get,
	.put = encl_put,
	.age = encl_age,
	.prepare = encl_prepare,
	.block = encl_block,
	.write = encl_write,
};
