/* SPDX-License-Identifier: MIT */
/*
 * seal.h - the emulated CPU's paging crypto: AES-128-GCM (OpenSSL EVP).
 *
 * The key is drawn from the OS (RAND_bytes) per struct epc and never leaves
 * this module. Every sealing takes a fresh 64-bit version from a counter that
 * never repeats (it would take centuries at a billion EWBs a second to wrap;
 * we refuse to seal rather than wrap), and that version is the GCM nonce, so a
 * (key, nonce) pair is never reused. The AAD binds the enclave id, the page
 * offset, the page type, its EPCM attributes (permissions and the SGX2
 * PENDING, MODIFIED and PR states) and the version: a page moved to another
 * slot, another enclave, replaced by an older image of itself, or given other
 * attributes fails the tag check.
 *
 * Cipher contexts are expensive to create, so pools keep them; a caller
 * takes one for the duration of one seal or open. The pools and the versions
 * are sharded by the CPU the caller runs on, each shard on its own cache line:
 * a shard takes versions from the one counter a block at a time, so two
 * reclaimers sealing at once share no line per page (one pool and one counter
 * for all cost them a lock and an atomic on a shared line for every EWB).
 */
#ifndef EPC_HW_SEAL_H
#define EPC_HW_SEAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "epcmm.h" /* EPC_PAGE_SIZE */

#include "hw/fault.h"
#include "util/lock.h"

#define EPC__SEAL_TAG_LEN	16
#define EPC__SEAL_KEY_LEN	16
#define EPC__SEAL_SHARDS	8    /* CPUs beyond share: cpu % EPC__SEAL_SHARDS */
#define EPC__SEAL_POOL_MAX	8    /* contexts kept per shard */
#define EPC__SEAL_VERSION_BLOCK 1024 /* versions a shard takes at a time */

struct epc__seal_aad {
	uint64_t encl_id;
	uint64_t offset;
	uint64_t version;
	uint8_t type;
	uint8_t attr; /* hw.h: the EPCM attribute byte */
} __attribute__((packed));

struct evp_cipher_ctx_st;

struct epc__seal_shard {
	struct epc__mutex lock; /* protects everything below */
	struct evp_cipher_ctx_st *pool[EPC__SEAL_POOL_MAX];
	int nr_pool;
	uint64_t next, end; /* the shard's versions: [next, end) */
} __attribute__((aligned(EPC__CACHELINE)));

struct epc__seal {
	unsigned char key[EPC__SEAL_KEY_LEN]; /* read-only after init */
	_Atomic uint64_t next_block;	      /* the first version no shard has; from 1 */
	struct epc__seal_shard shards[EPC__SEAL_SHARDS];
};

/*
 * Draw the key and set up the context pool. @f: fault hook (EPC__FAULT_RANDOM,
 * EPC__FAULT_HOST_ALLOC), or NULL. Return: 0; -EIO (the OS random source
 * failed); the -errno of epc__mutex_init().
 */
int epc__seal_init(struct epc__seal *s, const struct epc__fault *f);
void epc__seal_destroy(struct epc__seal *s);

/* A fresh version (nonce): never 0, never handed out twice by @s.
 * Return: 0 if the counter is exhausted. */
uint64_t epc__seal_next_version(struct epc__seal *s);

/* Encrypt EPC_PAGE_SIZE bytes @in to @out and produce @tag. @aad->version is the nonce.
 * Return: 0; -EIO (OpenSSL failed); -ENOMEM. */
int epc__seal_page(struct epc__seal *s, const struct epc__seal_aad *aad, const void *in, void *out,
		   unsigned char tag[EPC__SEAL_TAG_LEN]);

/* Decrypt and verify. Return: 0; -EBADMSG (tag mismatch: tampered, swapped,
 * replayed); -EIO; -ENOMEM. @out may be written even on failure: callers
 * decrypt into a page no one can see until this returns 0. */
int epc__seal_open(struct epc__seal *s, const struct epc__seal_aad *aad, const void *in, void *out,
		   const unsigned char tag[EPC__SEAL_TAG_LEN]);

#endif
