/* SPDX-License-Identifier: MIT */
/*
 * hw.h - the emulated SGX hardware: EPC bytes, the EPCM and the ENCLS leaves.
 *
 * The hardware knows pages only by index (0 .. nr_pages-1, in section order);
 * it knows nothing of lists, nodes or cgroups. Leaves return SGX's own error
 * codes (enum epc__sgx_err), never errno, as the instructions do.
 *
 * EPC bytes live in one anonymous mapping per section, placed on the section's
 * node with libnuma (MPOL_PREFERRED, not BIND: a VM's node may be smaller than
 * it claims) when the host has that node. With no_contents there are no bytes.
 *
 * EPCM: 8 bytes per page (struct epc__epcm). Callers serialize leaves on one
 * enclave with that enclave's lock, as the kernel does with encl->lock; the
 * SECS child count is atomic because sanitization and teardown race with
 * nothing else but we do not want to have to prove it.
 */
#ifndef EPC_HW_HW_H
#define EPC_HW_HW_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "epcmm.h" /* EPC_PAGE_SIZE and the other public constants */

#include "hw/fault.h"
#include "hw/seal.h"
#include "util/log.h"

/* A page's crypto metadata (PCMD) in the backing store, as the kernel's struct
 * sgx_pcmd: 128 bytes per evicted page. */
#define EPC__PCMD_SIZE 128

/* Host nodes libnuma can be asked about (mbind mask words). */
#define EPC__HOST_NODE_WORDS 16

/* SGX ENCLS return codes (SDM vol. 3D, the kernel's enum sgx_return_code). */
enum epc__sgx_err {
	EPC__SGX_SUCCESS = 0,
	EPC__SGX_BLKSTATE = 3,
	EPC__SGX_NOTBLOCKABLE = 5,
	EPC__SGX_PG_INVLD = 6,
	EPC__SGX_EPC_PAGE_CONFLICT = 7,
	EPC__SGX_MAC_COMPARE_FAIL = 9,
	EPC__SGX_PAGE_NOT_BLOCKED = 10,
	EPC__SGX_NOT_TRACKED = 11,
	EPC__SGX_VA_SLOT_OCCUPIED = 12,
	EPC__SGX_CHILD_PRESENT = 13,
	EPC__SGX_ENCLAVE_ACT = 14,
	EPC__SGX_PREV_TRK_INCMPL = 17,
	EPC__SGX_PG_IS_SECS = 18,
	EPC__SGX_PAGE_ATTRIBUTES_MISMATCH = 19, /* EACCEPT: SECINFO is not the EPCM's */
	EPC__SGX_PAGE_NOT_MODIFIABLE = 20,	/* EMODPR, EMODT: PENDING or MODIFIED */
	EPC__SGX_INVALID_COUNTER = 25,
	EPC__SGX_PG_NONEPC = 26,
	EPC__SGX_TRACK_NOT_REQUIRED = 27,
	EPC__SGX_ENCLS_FAULT = 0x40000000, /* the kernel's ENCLS_FAULT_FLAG: a #GP/#PF */
};

/* A leaf that faulted: EPC__SGX_ENCLS_FAULT | the trap number (ENCLS_TRAPNR()). */
#define EPC__X86_TRAP_GP 13
#define EPC__X86_TRAP_PF 14
static inline bool epc__encls_faulted(int ret)
{
	return ret & EPC__SGX_ENCLS_FAULT;
}
static inline int epc__encls_trapnr(int ret)
{
	return ret & ~EPC__SGX_ENCLS_FAULT;
}

/* EPCM page types (the SDM's PT_* values). */
enum epc__page_type {
	EPC__PT_SECS = 0,
	EPC__PT_TCS = 1,
	EPC__PT_REG = 2,
	EPC__PT_VA = 3,
	EPC__PT_TRIM = 4,
};

#define EPC__EPCM_VALID	  0x1
#define EPC__EPCM_BLOCKED 0x2
/*
 * Bits 2..7 of the flags: the page's security attributes, in the layout of
 * the low byte of a SECINFO's flags (EPC_SECINFO_R, _W, _X, _PENDING,
 * _MODIFIED, _PR of epcmm.h) shifted up by this much. "attr" below is that
 * byte: what EADD and EAUG set, EMODPR, EMODT and EACCEPT change, and EWB
 * seals into the PCMD so that ELDU restores it.
 */
#define EPC__EPCM_ATTR_SHIFT 2
#define EPC__ATTR_PERMS	     0x07 /* R, W, X */
#define EPC__ATTR_MASK	     0x3f

/*
 * One EPCM entry. @link: for a child page, the index + 1 of its SECS; for a
 * SECS, the number of its children (pages whose @link names it).
 */
struct epc__epcm {
	_Atomic uint32_t link;
	uint8_t type;	/* enum epc__page_type, valid when VALID */
	uint8_t flags;	/* EPC__EPCM_*, and the attributes above them */
	uint16_t epoch; /* ETRACK epoch the page was blocked, or last modified
			   (EMODPR, EMODT), in */
};
_Static_assert(sizeof(struct epc__epcm) <= 8, "EPCM entry over its 8-byte budget");

struct epc__hw_section {
	uint64_t phys_addr;
	uint64_t first; /* index of its first page */
	uint64_t nr_pages;
	void *bytes; /* NULL with no_contents */
	size_t map_len;
};

struct epc__hw {
	struct epc__epcm *epcm; /* nr_pages entries; read-only pointer after init */
	size_t epcm_len;
	uint64_t nr_pages;
	int nr_sections;
	struct epc__hw_section sections[EPC_MAX_SECTIONS];
	bool no_contents;
	struct epc__fault fault; /* test-only fault injection */
	struct epc__seal seal;	 /* unused with no_contents */
	const struct epc__log *log;
};

struct epc__hw_section_desc {
	uint64_t phys_addr, nr_pages;
	int host_node; /* a host NUMA node to prefer for the bytes, or -1 */
};

/*
 * Map the sections and the EPCM, draw the sealing key. A fault hook already in
 * @hw->fault is kept (epc__create_with_fault() installs it before init).
 * Return: 0; -ENOMEM; -EIO (the OS random source failed); the -errno of a
 * failed lock init. On error nothing is left mapped.
 */
int epc__hw_init(struct epc__hw *hw, const struct epc__hw_section_desc *secs, int nr_sections,
		 bool no_contents, const struct epc__log *log);
void epc__hw_destroy(struct epc__hw *hw);

/* The bytes of page @idx, or NULL with no_contents. */
/*
 * The one "which section" lookup, by page index or by physical address: the
 * index into hw->sections, or -1. The allocator's sections (mm.h) are built
 * from the same configuration in the same order, so the index names the same
 * section there.
 */
int epc__hw_section_of_page(const struct epc__hw *hw, uint64_t idx);
int epc__hw_section_of_phys(const struct epc__hw *hw, uint64_t phys);

void *epc__hw_page_addr(const struct epc__hw *hw, uint64_t idx);

/*
 * With the expensive_checks build option, pages that stop being valid (EREMOVE,
 * EWB) have their bytes overwritten with this, so stale reads stand out.
 */
#define EPC__HW_POISON_BYTE 0x6b
void epc__hw_poison_bytes(struct epc__hw *hw, uint64_t idx);

/* EREMOVE: make page @idx invalid. CHILD_PRESENT for a SECS with children. */
int epc__hw_eremove(struct epc__hw *hw, uint64_t idx);

/* ECREATE: page @idx becomes the SECS of enclave @encl_id. */
int epc__hw_ecreate(struct epc__hw *hw, uint64_t idx, uint64_t encl_id, uint64_t size);
/* EADD: page @idx becomes a child of @secs_idx of @type with permissions
 * @attr (EPC__ATTR_PERMS bits) and the bytes of @src (NULL: zeros). */
int epc__hw_eadd(struct epc__hw *hw, uint64_t idx, uint64_t secs_idx, enum epc__page_type type,
		 uint8_t attr, const void *src);
/* EPA: page @idx becomes a VA page, every slot empty. */
int epc__hw_epa(struct epc__hw *hw, uint64_t idx);
/* EBLOCK: no new TLB mappings of page @idx; stamps it with its SECS's epoch. */
int epc__hw_eblock(struct epc__hw *hw, uint64_t idx);
/* Undo EBLOCK after a failed EWB (no real instruction does this; see DIFFERENCES). */
void epc__hw_unblock(struct epc__hw *hw, uint64_t idx);
/* ETRACK: start a new tracking epoch for the enclave of SECS @secs_idx. */
int epc__hw_etrack(struct epc__hw *hw, uint64_t secs_idx);

/*
 * SGX2 (EDMM). The ENCLS leaves the kernel runs, and the ENCLU leaf the
 * enclave runs (EACCEPT), with the SDM's checks and return codes; a fault is
 * EPC__SGX_ENCLS_FAULT | EPC__X86_TRAP_PF (or _GP), as the kernel's
 * encls_faulted() sees it. EMODPR and EMODT stamp the page with its SECS's
 * epoch: EACCEPT of the change says NOT_TRACKED until an ETRACK followed.
 *
 * EAUG: page @idx becomes a zeroed PT_REG child of @secs_idx, R|W, PENDING
 * (unusable until the enclave EACCEPTs it).
 */
int epc__hw_eaug(struct epc__hw *hw, uint64_t idx, uint64_t secs_idx);
/* EMODPR: the permissions of PT_REG page @idx become those AND @perms; if
 * that took any away, PR is set. A PENDING or MODIFIED page: NOT_MODIFIABLE;
 * an invalid or non-REG page: a #PF (the kernel's probe of an accepted trim). */
int epc__hw_emodpr(struct epc__hw *hw, uint64_t idx, uint8_t perms);
/* EMODT: page @idx becomes @type (PT_TCS or PT_TRIM), no permissions,
 * MODIFIED. A PENDING or MODIFIED page: NOT_MODIFIABLE; invalid: #PF;
 * another @type: #GP. */
int epc__hw_emodt(struct epc__hw *hw, uint64_t idx, enum epc__page_type type);
/*
 * EACCEPT (ENCLU, from inside the enclave) of page @idx with @secinfo (the
 * page type in bits 15:8, the attributes in 7:0): the page's pending change
 * (PENDING, MODIFIED or PR) matches @secinfo's and is cleared. Return: 0;
 * PAGE_ATTRIBUTES_MISMATCH (no such change pending, or another one);
 * NOT_TRACKED (a MODIFIED or PR change no ETRACK has followed yet); a #PF
 * for an invalid page, a #GP for reserved bits in @secinfo.
 */
int epc__hw_eaccept(struct epc__hw *hw, uint64_t idx, uint64_t secinfo);
/* May the enclave read (or @write) page @idx? A valid PT_REG page, neither
 * PENDING nor MODIFIED, with the permission. Otherwise the access is a #PF
 * with the SGX bit set (the kernel's selftests see error code 0x8005/0x8007). */
bool epc__hw_encl_may_access(const struct epc__hw *hw, uint64_t idx, bool write);
/* The attributes of page @idx (EPC__ATTR_MASK bits). */
static inline uint8_t epc__hw_attr(const struct epc__hw *hw, uint64_t idx)
{
	return (uint8_t)(hw->epcm[idx].flags >> EPC__EPCM_ATTR_SHIFT);
}

/**
 * struct epc__ewb_args - EWB of page @idx into @contents/@pcmd (both NULL with
 * no_contents), its version into slot @va_slot of VA page @va_idx.
 */
struct epc__ewb_args {
	uint64_t idx;
	uint64_t encl_id, offset;
	uint64_t va_idx;
	unsigned va_slot;
	void *contents; /* EPC_PAGE_SIZE bytes */
	void *pcmd;	/* EPC__PCMD_SIZE bytes */
};
int epc__hw_ewb(struct epc__hw *hw, const struct epc__ewb_args *a);

/**
 * struct epc__eldu_args - ELDU into page @idx (a child of @secs_idx, or a SECS
 * when @secs_idx is UINT64_MAX) of the image at @contents/@pcmd, verified
 * against the version in slot @va_slot of VA page @va_idx (then cleared).
 * @type, @attr: the page type and attributes, used only with no_contents (the
 * PCMD says them otherwise, under the MAC).
 */
struct epc__eldu_args {
	uint64_t idx, secs_idx;
	uint64_t encl_id, offset;
	uint64_t va_idx;
	unsigned va_slot;
	uint8_t type;
	uint8_t attr;
	const void *contents;
	const void *pcmd;
};
int epc__hw_eldu(struct epc__hw *hw, const struct epc__eldu_args *a);

#endif
