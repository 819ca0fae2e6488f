// SPDX-License-Identifier: MIT
/*
 * encls.c - the ENCLS leaves that build, block, evict and reload pages, and
 * SGX2's: EAUG, EMODPR, EMODT, and the enclave's EACCEPT.
 *
 * Tracking is emulated with epochs: ETRACK advances the SECS's epoch, EBLOCK
 * stamps a page with the epoch it was blocked in, and EWB of a page blocked in
 * the SECS's current epoch fails with NOT_TRACKED, as real EWB does while
 * threads that could hold stale TLB entries have not exited since an ETRACK.
 * EMODPR and EMODT stamp the page the same way, and EACCEPT of their change
 * is NOT_TRACKED until an ETRACK has followed.
 */
#include <string.h>

#include "hw/hw.h"

/* PCMD layout (struct sgx_pcmd): secinfo, enclave id, reserved, MAC. */
#define PCMD_TYPE_OFF 0
#define PCMD_ATTR_OFF 1
#define PCMD_EID_OFF  64
#define PCMD_MAC_OFF  112

static bool valid(const struct epc__epcm *e)
{
	return e->flags & EPC__EPCM_VALID;
}

static uint8_t attr_of(const struct epc__epcm *e)
{
	return (uint8_t)(e->flags >> EPC__EPCM_ATTR_SHIFT);
}

static void set_attr(struct epc__epcm *e, uint8_t attr)
{
	e->flags = (uint8_t)((e->flags & (EPC__EPCM_VALID | EPC__EPCM_BLOCKED)) |
			     (attr & EPC__ATTR_MASK) << EPC__EPCM_ATTR_SHIFT);
}

/* The epoch of @e's SECS (0 for a page with none). */
static uint16_t secs_epoch(const struct epc__hw *hw, const struct epc__epcm *e)
{
	uint32_t link = atomic_load_explicit(&e->link, memory_order_relaxed);

	return link ? hw->epcm[link - 1].epoch : 0;
}

static void set_child(struct epc__hw *hw, uint64_t idx, uint64_t secs_idx, enum epc__page_type t,
		      uint8_t attr)
{
	struct epc__epcm *e = &hw->epcm[idx];

	e->type = (uint8_t)t;
	e->flags = EPC__EPCM_VALID;
	set_attr(e, attr);
	e->epoch = 0;
	atomic_store_explicit(&e->link, (uint32_t)(secs_idx + 1), memory_order_relaxed);
	atomic_fetch_add_explicit(&hw->epcm[secs_idx].link, 1, memory_order_relaxed);
}

static void invalidate(struct epc__hw *hw, uint64_t idx)
{
	struct epc__epcm *e = &hw->epcm[idx];
	uint32_t link = atomic_load_explicit(&e->link, memory_order_relaxed);

	if (e->type != EPC__PT_SECS && e->type != EPC__PT_VA && link)
		atomic_fetch_sub_explicit(&hw->epcm[link - 1].link, 1, memory_order_relaxed);
	atomic_store_explicit(&e->link, 0, memory_order_relaxed);
	e->flags = 0;
	e->type = 0;
	e->epoch = 0;
}

int epc__hw_ecreate(struct epc__hw *hw, uint64_t idx, uint64_t encl_id, uint64_t size)
{
	struct epc__epcm *e = &hw->epcm[idx];
	uint64_t *bytes = epc__hw_page_addr(hw, idx);

	if (valid(e))
		return EPC__SGX_EPC_PAGE_CONFLICT;
	e->type = EPC__PT_SECS;
	e->flags = EPC__EPCM_VALID;
	e->epoch = 0;
	atomic_store_explicit(&e->link, 0, memory_order_relaxed);
	if (bytes) {
		memset(bytes, 0, EPC_PAGE_SIZE);
		bytes[0] = encl_id;
		bytes[1] = size;
	}
	return EPC__SGX_SUCCESS;
}

int epc__hw_eadd(struct epc__hw *hw, uint64_t idx, uint64_t secs_idx, enum epc__page_type type,
		 uint8_t attr, const void *src)
{
	void *bytes = epc__hw_page_addr(hw, idx);
	int err = epc__fault_check(&hw->fault, EPC__FAULT_EADD, idx);

	if (err)
		return err;
	if (valid(&hw->epcm[idx]))
		return EPC__SGX_EPC_PAGE_CONFLICT;
	if (!valid(&hw->epcm[secs_idx]) || hw->epcm[secs_idx].type != EPC__PT_SECS)
		return EPC__SGX_PG_INVLD;
	if (bytes) {
		if (src)
			memcpy(bytes, src, EPC_PAGE_SIZE);
		else
			memset(bytes, 0, EPC_PAGE_SIZE);
	}
	set_child(hw, idx, secs_idx, type, attr & EPC__ATTR_PERMS);
	return EPC__SGX_SUCCESS;
}

int epc__hw_epa(struct epc__hw *hw, uint64_t idx)
{
	struct epc__epcm *e = &hw->epcm[idx];
	void *bytes = epc__hw_page_addr(hw, idx);
	int err = epc__fault_check(&hw->fault, EPC__FAULT_EPA, idx);

	if (err)
		return err;
	if (valid(e))
		return EPC__SGX_EPC_PAGE_CONFLICT;
	if (bytes)
		memset(bytes, 0, EPC_PAGE_SIZE);
	e->type = EPC__PT_VA;
	e->flags = EPC__EPCM_VALID;
	e->epoch = 0;
	atomic_store_explicit(&e->link, 0, memory_order_relaxed);
	return EPC__SGX_SUCCESS;
}

int epc__hw_eblock(struct epc__hw *hw, uint64_t idx)
{
	struct epc__epcm *e = &hw->epcm[idx];
	uint32_t link = atomic_load_explicit(&e->link, memory_order_relaxed);
	int err = epc__fault_check(&hw->fault, EPC__FAULT_EBLOCK, idx);

	if (err)
		return err;
	if (!valid(e))
		return EPC__SGX_PG_INVLD;
	if (e->type == EPC__PT_SECS || e->type == EPC__PT_VA)
		return EPC__SGX_NOTBLOCKABLE;
	if (e->flags & EPC__EPCM_BLOCKED)
		return EPC__SGX_BLKSTATE;
	e->flags |= EPC__EPCM_BLOCKED;
	e->epoch = link ? secs_epoch(hw, e) : 0;
	return EPC__SGX_SUCCESS;
}

void epc__hw_unblock(struct epc__hw *hw, uint64_t idx)
{
	hw->epcm[idx].flags &= (uint8_t)~EPC__EPCM_BLOCKED;
}

int epc__hw_etrack(struct epc__hw *hw, uint64_t secs_idx)
{
	struct epc__epcm *e = &hw->epcm[secs_idx];
	int err = epc__fault_check(&hw->fault, EPC__FAULT_ETRACK, secs_idx);

	if (err)
		return err;
	if (!valid(e) || e->type != EPC__PT_SECS)
		return EPC__SGX_PG_INVLD;
	e->epoch++;
	return EPC__SGX_SUCCESS;
}

static uint64_t *va_slot(struct epc__hw *hw, uint64_t va_idx, unsigned slot)
{
	uint64_t *va = epc__hw_page_addr(hw, va_idx);

	return va ? &va[slot] : NULL;
}

/* Is the page's blocking covered by an ETRACK of its SECS? */
static bool tracked(const struct epc__hw *hw, const struct epc__epcm *e)
{
	uint32_t link = atomic_load_explicit(&e->link, memory_order_relaxed);

	return !link || (uint16_t)(hw->epcm[link - 1].epoch - e->epoch) != 0;
}

int epc__hw_ewb(struct epc__hw *hw, const struct epc__ewb_args *a)
{
	struct epc__epcm *e = &hw->epcm[a->idx];
	uint64_t *slot;
	int err = epc__fault_check(&hw->fault, EPC__FAULT_EWB, a->idx);

	if (err)
		return err;
	if (!valid(e) || !valid(&hw->epcm[a->va_idx]) || hw->epcm[a->va_idx].type != EPC__PT_VA)
		return EPC__SGX_PG_INVLD;
	if (e->type == EPC__PT_SECS) {
		if (atomic_load_explicit(&e->link, memory_order_relaxed))
			return EPC__SGX_CHILD_PRESENT;
	} else {
		if (!(e->flags & EPC__EPCM_BLOCKED))
			return EPC__SGX_PAGE_NOT_BLOCKED;
		if (!tracked(hw, e))
			return EPC__SGX_NOT_TRACKED;
	}
	slot = va_slot(hw, a->va_idx, a->va_slot);
	if (slot && *slot)
		return EPC__SGX_VA_SLOT_OCCUPIED;
	if (a->contents) {
		struct epc__seal_aad aad = {
			.encl_id = a->encl_id,
			.offset = a->offset,
			.version = epc__seal_next_version(&hw->seal),
			.type = e->type,
			.attr = attr_of(e),
		};
		unsigned char *pcmd = a->pcmd;

		if (!aad.version)
			return EPC__SGX_INVALID_COUNTER;
		memset(pcmd, 0, 128);
		pcmd[PCMD_TYPE_OFF] = e->type;
		pcmd[PCMD_ATTR_OFF] = aad.attr;
		memcpy(pcmd + PCMD_EID_OFF, &a->encl_id, 8);
		if (epc__seal_page(&hw->seal, &aad, epc__hw_page_addr(hw, a->idx), a->contents,
				   pcmd + PCMD_MAC_OFF))
			return EPC__SGX_ENCLS_FAULT;
		*slot = aad.version;
	}
	invalidate(hw, a->idx);
	epc__hw_poison_bytes(hw, a->idx);
	return EPC__SGX_SUCCESS;
}

/*
 * Is the PCMD's header (all but the MAC) exactly what EWB wrote for an enclave
 * page of @encl_id? Real ELDU covers SECINFO with the MAC and checks the rest;
 * the type and attribute bytes are covered by our AAD, everything else is
 * checked here.
 */
static bool pcmd_header_ok(const unsigned char *pcmd, uint64_t encl_id)
{
	unsigned char want[PCMD_MAC_OFF] = {0};

	want[PCMD_TYPE_OFF] = pcmd[PCMD_TYPE_OFF];
	want[PCMD_ATTR_OFF] = pcmd[PCMD_ATTR_OFF];
	memcpy(want + PCMD_EID_OFF, &encl_id, 8);
	return !memcmp(pcmd, want, sizeof(want));
}

int epc__hw_eldu(struct epc__hw *hw, const struct epc__eldu_args *a)
{
	struct epc__epcm *e = &hw->epcm[a->idx];
	uint8_t type = a->type, attr = a->attr;
	uint64_t *slot;
	int err = epc__fault_check(&hw->fault, EPC__FAULT_ELDU, a->idx);

	if (err)
		return err;
	if (valid(e))
		return EPC__SGX_EPC_PAGE_CONFLICT;
	if (a->secs_idx != UINT64_MAX &&
	    (!valid(&hw->epcm[a->secs_idx]) || hw->epcm[a->secs_idx].type != EPC__PT_SECS))
		return EPC__SGX_PG_INVLD;
	slot = va_slot(hw, a->va_idx, a->va_slot);
	if (a->contents) {
		const unsigned char *pcmd = a->pcmd;
		struct epc__seal_aad aad = {
			.encl_id = a->encl_id,
			.offset = a->offset,
			.version = *slot,
			.type = pcmd[PCMD_TYPE_OFF],
			.attr = pcmd[PCMD_ATTR_OFF],
		};
		void *dst = epc__hw_page_addr(hw, a->idx);

		type = pcmd[PCMD_TYPE_OFF];
		attr = pcmd[PCMD_ATTR_OFF];
		if (!aad.version || !pcmd_header_ok(pcmd, a->encl_id) ||
		    epc__seal_open(&hw->seal, &aad, a->contents, dst, pcmd + PCMD_MAC_OFF)) {
			memset(dst, 0, EPC_PAGE_SIZE); /* nothing of a failed open stays visible */
			return EPC__SGX_MAC_COMPARE_FAIL;
		}
		*slot = 0;
	}
	if (a->secs_idx == UINT64_MAX) {
		e->type = EPC__PT_SECS;
		e->flags = EPC__EPCM_VALID;
		e->epoch = 0;
		atomic_store_explicit(&e->link, 0, memory_order_relaxed);
	} else {
		set_child(hw, a->idx, a->secs_idx, (enum epc__page_type)type, attr);
		/* its EWB needed its blocking tracked: a change it carries is */
		e->epoch = (uint16_t)(hw->epcm[a->secs_idx].epoch - 1);
	}
	return EPC__SGX_SUCCESS;
}

/* ------------------------------------------------------------------ SGX2 */

#define FAULT_PF (EPC__SGX_ENCLS_FAULT | EPC__X86_TRAP_PF)
#define FAULT_GP (EPC__SGX_ENCLS_FAULT | EPC__X86_TRAP_GP)

/* The SECINFO bits EACCEPT knows: the attributes and the page type. */
#define SECINFO_KNOWN ((uint64_t)EPC__ATTR_MASK | 0xff00)
#define STATE_BITS    (EPC_SECINFO_PENDING | EPC_SECINFO_MODIFIED | EPC_SECINFO_PR)

int epc__hw_eaug(struct epc__hw *hw, uint64_t idx, uint64_t secs_idx)
{
	void *bytes = epc__hw_page_addr(hw, idx);
	int err = epc__fault_check(&hw->fault, EPC__FAULT_EAUG, idx);

	if (err)
		return err;
	if (valid(&hw->epcm[idx]))
		return EPC__SGX_EPC_PAGE_CONFLICT;
	if (!valid(&hw->epcm[secs_idx]) || hw->epcm[secs_idx].type != EPC__PT_SECS)
		return EPC__SGX_PG_INVLD;
	if (bytes)
		memset(bytes, 0, EPC_PAGE_SIZE);
	set_child(hw, idx, secs_idx, EPC__PT_REG,
		  EPC_SECINFO_R | EPC_SECINFO_W | EPC_SECINFO_PENDING);
	return EPC__SGX_SUCCESS;
}

/* EMODPR and EMODT refuse a page whose last change is not accepted yet. */
static bool modifiable(const struct epc__epcm *e)
{
	return !(attr_of(e) & (EPC_SECINFO_PENDING | EPC_SECINFO_MODIFIED));
}

int epc__hw_emodpr(struct epc__hw *hw, uint64_t idx, uint8_t perms)
{
	struct epc__epcm *e = &hw->epcm[idx];
	int err = epc__fault_check(&hw->fault, EPC__FAULT_EMODPR, idx);
	uint8_t attr, now;

	if (err)
		return err;
	if (!valid(e))
		return FAULT_PF;
	if (!modifiable(e))
		return EPC__SGX_PAGE_NOT_MODIFIABLE;
	if (e->type != EPC__PT_REG)
		return FAULT_PF;
	attr = attr_of(e);
	now = (uint8_t)(attr & ~EPC__ATTR_PERMS) | (attr & perms & EPC__ATTR_PERMS);
	if (now != attr) { /* a mask that takes nothing away has no effect */
		set_attr(e, now | EPC_SECINFO_PR);
		e->epoch = secs_epoch(hw, e);
	}
	return EPC__SGX_SUCCESS;
}

int epc__hw_emodt(struct epc__hw *hw, uint64_t idx, enum epc__page_type type)
{
	struct epc__epcm *e = &hw->epcm[idx];
	int err = epc__fault_check(&hw->fault, EPC__FAULT_EMODT, idx);

	if (err)
		return err;
	if (type != EPC__PT_TCS && type != EPC__PT_TRIM)
		return FAULT_GP;
	if (!valid(e))
		return FAULT_PF;
	if (!modifiable(e))
		return EPC__SGX_PAGE_NOT_MODIFIABLE;
	if (e->type != EPC__PT_REG && !(e->type == EPC__PT_TCS && type == EPC__PT_TRIM))
		return FAULT_PF;
	e->type = (uint8_t)type;
	set_attr(e, EPC_SECINFO_MODIFIED); /* no access at the new type until accepted */
	e->epoch = secs_epoch(hw, e);
	return EPC__SGX_SUCCESS;
}

/* Has an ETRACK followed the change @e was stamped with? */
static bool change_tracked(const struct epc__hw *hw, const struct epc__epcm *e)
{
	return secs_epoch(hw, e) != e->epoch;
}

int epc__hw_eaccept(struct epc__hw *hw, uint64_t idx, uint64_t secinfo)
{
	struct epc__epcm *e = &hw->epcm[idx];
	uint8_t want = (uint8_t)(secinfo & EPC__ATTR_MASK), attr, change;
	uint8_t type = (uint8_t)(secinfo >> 8);

	if (secinfo & ~SECINFO_KNOWN)
		return FAULT_GP;
	if (!valid(e))
		return FAULT_PF;
	attr = attr_of(e);
	/*
	 * The one change pending: PENDING (EAUG), MODIFIED (EMODT) or PR
	 * (EMODPR); EMODPR and EMODT refuse a page with PENDING or MODIFIED set,
	 * and EMODT's MODIFIED replaces a PR. @secinfo names it, the type and
	 * the permissions the page has now.
	 */
	change = attr & STATE_BITS;
	if (!change || (want & STATE_BITS) != change || type != e->type ||
	    (want & EPC__ATTR_PERMS) != (attr & EPC__ATTR_PERMS))
		return EPC__SGX_PAGE_ATTRIBUTES_MISMATCH;
	if (!(change & EPC_SECINFO_PENDING) && !change_tracked(hw, e))
		return EPC__SGX_NOT_TRACKED;
	set_attr(e, attr & (uint8_t)~change);
	return EPC__SGX_SUCCESS;
}

bool epc__hw_encl_may_access(const struct epc__hw *hw, uint64_t idx, bool write)
{
	const struct epc__epcm *e = &hw->epcm[idx];
	uint8_t attr = attr_of(e);

	if (!valid(e) || e->type != EPC__PT_REG ||
	    (attr & (EPC_SECINFO_PENDING | EPC_SECINFO_MODIFIED)))
		return false;
	return write ? (attr & EPC_SECINFO_W) && (attr & EPC_SECINFO_R) : attr & EPC_SECINFO_R;
}
