// SPDX-License-Identifier: MIT
#include "hw/seal.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#define GCM_IV_LEN 12

int epc__seal_init(struct epc__seal *s, const struct epc__fault *f)
{
	int ret, i = 0;

	memset(s, 0, sizeof(*s));
	if (epc__fault_check(f, EPC__FAULT_RANDOM, UINT64_MAX) ||
	    RAND_bytes(s->key, sizeof(s->key)) != 1)
		return -EIO;
	atomic_init(&s->next_block, 1);
	ret = epc__host_fault(f);
	while (!ret && i < EPC__SEAL_SHARDS) {
		ret = epc__mutex_init(&s->shards[i].lock, EPC__RANK_SEAL);
		if (!ret)
			i++;
	}
	if (ret) {
		while (i--)
			epc__mutex_destroy(&s->shards[i].lock);
		OPENSSL_cleanse(s->key, sizeof(s->key));
	}
	return ret;
}

void epc__seal_destroy(struct epc__seal *s)
{
	for (int i = 0; i < EPC__SEAL_SHARDS; i++) {
		struct epc__seal_shard *sh = &s->shards[i];

		for (int k = 0; k < sh->nr_pool; k++)
			EVP_CIPHER_CTX_free(sh->pool[k]);
		epc__mutex_destroy(&sh->lock);
	}
	OPENSSL_cleanse(s->key, sizeof(s->key));
}

/* The calling CPU's shard (any shard is correct; the own one is cheap). */
static struct epc__seal_shard *shard_of(struct epc__seal *s)
{
	int cpu = sched_getcpu();

	return &s->shards[cpu < 0 ? 0 : cpu % EPC__SEAL_SHARDS];
}

uint64_t epc__seal_next_version(struct epc__seal *s)
{
	struct epc__seal_shard *sh = shard_of(s);
	uint64_t v = 0;

	epc__mutex_lock(&sh->lock);
	if (sh->next == sh->end) {
		uint64_t first = atomic_load_explicit(&s->next_block, memory_order_relaxed);

		/* refuse rather than wrap: a block must fit below UINT64_MAX */
		while (first <= UINT64_MAX - EPC__SEAL_VERSION_BLOCK &&
		       !atomic_compare_exchange_weak_explicit(
			       &s->next_block, &first, first + EPC__SEAL_VERSION_BLOCK,
			       memory_order_relaxed, memory_order_relaxed))
			;
		if (first <= UINT64_MAX - EPC__SEAL_VERSION_BLOCK) {
			sh->next = first;
			sh->end = first + EPC__SEAL_VERSION_BLOCK;
		}
	}
	if (sh->next != sh->end)
		v = sh->next++;
	epc__mutex_unlock(&sh->lock);
	return v;
}

static EVP_CIPHER_CTX *ctx_get(struct epc__seal *s, struct epc__seal_shard *sh)
{
	EVP_CIPHER_CTX *ctx = NULL;

	epc__mutex_lock(&sh->lock);
	if (sh->nr_pool)
		ctx = sh->pool[--sh->nr_pool];
	epc__mutex_unlock(&sh->lock);
	if (ctx)
		return ctx;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx && EVP_CipherInit_ex(ctx, EVP_aes_128_gcm(), NULL, s->key, NULL, -1) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

/* Back to @sh, the shard it came from (the caller may have moved CPU since). */
static void ctx_put(struct epc__seal_shard *sh, EVP_CIPHER_CTX *ctx)
{
	epc__mutex_lock(&sh->lock);
	if (sh->nr_pool < EPC__SEAL_POOL_MAX) {
		sh->pool[sh->nr_pool++] = ctx;
		ctx = NULL;
	}
	epc__mutex_unlock(&sh->lock);
	EVP_CIPHER_CTX_free(ctx);
}

static void make_iv(uint64_t version, unsigned char iv[GCM_IV_LEN])
{
	memset(iv, 0, GCM_IV_LEN);
	for (int i = 0; i < 8; i++)
		iv[4 + i] = (unsigned char)(version >> (8 * i));
}

/* One GCM pass: @enc 1 seals (writes @tag), 0 opens (checks @tag). */
static int gcm(struct epc__seal *s, int enc, const struct epc__seal_aad *aad, const void *in,
	       void *out, unsigned char *tag)
{
	struct epc__seal_shard *sh = shard_of(s);
	EVP_CIPHER_CTX *ctx = ctx_get(s, sh);
	unsigned char iv[GCM_IV_LEN];
	int len, ret = -EIO;

	if (!ctx)
		return -ENOMEM;
	make_iv(aad->version, iv);
	if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, enc) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &len, (const unsigned char *)aad, sizeof(*aad)) != 1 ||
	    EVP_CipherUpdate(ctx, out, &len, in, EPC_PAGE_SIZE) != 1)
		goto out;
	if (enc) {
		if (EVP_CipherFinal_ex(ctx, (unsigned char *)out + len, &len) == 1 &&
		    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, EPC__SEAL_TAG_LEN, tag) == 1)
			ret = 0;
	} else {
		if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, EPC__SEAL_TAG_LEN, tag) != 1)
			goto out;
		ret = EVP_CipherFinal_ex(ctx, (unsigned char *)out + len, &len) == 1 ? 0 : -EBADMSG;
	}
out:
	ctx_put(sh, ctx);
	return ret;
}

int epc__seal_page(struct epc__seal *s, const struct epc__seal_aad *aad, const void *in, void *out,
		   unsigned char tag[EPC__SEAL_TAG_LEN])
{
	return gcm(s, 1, aad, in, out, tag);
}

int epc__seal_open(struct epc__seal *s, const struct epc__seal_aad *aad, const void *in, void *out,
		   const unsigned char tag[EPC__SEAL_TAG_LEN])
{
	return gcm(s, 0, aad, in, out, (unsigned char *)tag);
}
