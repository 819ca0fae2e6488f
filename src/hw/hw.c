// SPDX-License-Identifier: MIT
/*
 * hw.c - EPC memory, the EPCM, the section lookups, EREMOVE and the memory
 * poisoning aid. The other ENCLS leaves (ECREATE, EADD, EPA, EBLOCK, ETRACK,
 * EWB, ELDU) live in hw/encls.c; the AES-GCM sealing EWB and ELDU use is in
 * hw/seal.c.
 */
#include "hw/hw.h"

#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <string.h>
#include <sys/mman.h>

/*
 * Lazily zeroed memory, in huge pages where the host has them: touching a big
 * EPCM (2 GiB for 1 TiB of EPC) one 4 KiB zero page at a time costs a fault
 * each, which was most of what sanitizing a huge EPC spent in the library.
 */
static void *map_zeroed(const struct epc__fault *f, size_t len)
{
	void *p = epc__host_mmap(f, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, MADV_HUGEPAGE);
	return p;
}

/* Prefer the host node for @s's bytes when the host has it; never fail over it. */
static void place_on_host_node(struct epc__hw *hw, struct epc__hw_section *s, int host_node)
{
	unsigned long mask[EPC__HOST_NODE_WORDS] = {0};

	if (host_node < 0 || numa_available() < 0 || host_node > numa_max_node() ||
	    host_node >= (int)(EPC__HOST_NODE_WORDS * 64))
		return;
	mask[host_node / 64] = 1UL << (host_node % 64);
	if (mbind(s->bytes, s->map_len, MPOL_PREFERRED, mask, EPC__HOST_NODE_WORDS * 64, 0))
		epc__log(hw->log, LOG_INFO, "section at 0x%llx: cannot prefer host node %d: %s",
			 (unsigned long long)s->phys_addr, host_node, strerror(errno));
}

int epc__hw_init(struct epc__hw *hw, const struct epc__hw_section_desc *secs, int nr_sections,
		 bool no_contents, const struct epc__log *log)
{
	struct epc__fault fault = hw->fault; /* installed before init (epc__create_with_fault) */
	uint64_t first = 0;
	int i, ret = -ENOMEM;

	memset(hw, 0, sizeof(*hw));
	hw->fault = fault;
	hw->log = log;
	hw->no_contents = no_contents;
	for (i = 0; i < nr_sections; i++) {
		struct epc__hw_section *s = &hw->sections[i];

		s->phys_addr = secs[i].phys_addr;
		s->first = first;
		s->nr_pages = secs[i].nr_pages;
		first += s->nr_pages;
		if (no_contents)
			continue;
		s->map_len = s->nr_pages * EPC_PAGE_SIZE;
		s->bytes = map_zeroed(&hw->fault, s->map_len);
		if (!s->bytes)
			goto err_unmap;
		place_on_host_node(hw, s, secs[i].host_node);
	}
	hw->nr_sections = nr_sections;
	hw->nr_pages = first;
	hw->epcm_len = first * sizeof(struct epc__epcm);
	hw->epcm = map_zeroed(&hw->fault, hw->epcm_len);
	if (!hw->epcm)
		goto err_unmap;
	if (!no_contents) {
		ret = epc__seal_init(&hw->seal, &hw->fault);
		if (ret) {
			epc__log(log, LOG_ERR, "cannot set up the sealing key: %s", strerror(-ret));
			munmap(hw->epcm, hw->epcm_len);
			hw->epcm = NULL;
			goto err_unmap;
		}
	}
	return 0;

err_unmap:
	while (i-- > 0)
		if (hw->sections[i].bytes)
			munmap(hw->sections[i].bytes, hw->sections[i].map_len);
	return ret;
}

void epc__hw_destroy(struct epc__hw *hw)
{
	if (!hw->no_contents && hw->epcm)
		epc__seal_destroy(&hw->seal);
	for (int i = 0; i < hw->nr_sections; i++)
		if (hw->sections[i].bytes)
			munmap(hw->sections[i].bytes, hw->sections[i].map_len);
	if (hw->epcm)
		munmap(hw->epcm, hw->epcm_len);
	memset(hw, 0, sizeof(*hw));
}

int epc__hw_section_of_page(const struct epc__hw *hw, uint64_t idx)
{
	for (int i = 0; i < hw->nr_sections; i++)
		if (idx - hw->sections[i].first < hw->sections[i].nr_pages)
			return i;
	return -1;
}

int epc__hw_section_of_phys(const struct epc__hw *hw, uint64_t phys)
{
	for (int i = 0; i < hw->nr_sections; i++) {
		const struct epc__hw_section *s = &hw->sections[i];

		if (phys >= s->phys_addr && (phys - s->phys_addr) / EPC_PAGE_SIZE < s->nr_pages)
			return i;
	}
	return -1;
}

void *epc__hw_page_addr(const struct epc__hw *hw, uint64_t idx)
{
	int i = epc__hw_section_of_page(hw, idx);

	if (i < 0 || !hw->sections[i].bytes)
		return NULL;
	return (char *)hw->sections[i].bytes + (idx - hw->sections[i].first) * EPC_PAGE_SIZE;
}

int epc__hw_eremove(struct epc__hw *hw, uint64_t idx)
{
	struct epc__epcm *e = &hw->epcm[idx];
	uint32_t link;
	int err;

	err = epc__fault_check(&hw->fault, EPC__FAULT_EREMOVE, idx);
	if (err)
		return err;
	if (!(e->flags & EPC__EPCM_VALID))
		return EPC__SGX_SUCCESS;
	link = atomic_load_explicit(&e->link, memory_order_relaxed);
	if (e->type == EPC__PT_SECS) {
		if (link)
			return EPC__SGX_CHILD_PRESENT;
	} else if (link) {
		atomic_fetch_sub_explicit(&hw->epcm[link - 1].link, 1, memory_order_relaxed);
	}
	atomic_store_explicit(&e->link, 0, memory_order_relaxed);
	e->flags = 0;
	e->type = 0;
	epc__hw_poison_bytes(hw, idx);
	return EPC__SGX_SUCCESS;
}

void epc__hw_poison_bytes(struct epc__hw *hw, uint64_t idx)
{
#ifdef EPC_EXPENSIVE_CHECKS
	void *bytes = epc__hw_page_addr(hw, idx);

	if (bytes)
		memset(bytes, EPC__HW_POISON_BYTE, EPC_PAGE_SIZE);
#else
	(void)hw;
	(void)idx;
#endif
}
