// SPDX-License-Identifier: MIT
/*
 * bench_seal.c - EWB and ELDU end to end against raw OpenSSL AES-128-GCM
 * (DESIGN §8: EWB and ELDU at >= 80% of raw 4 KiB throughput).
 *
 * Raw: one EVP_CIPHER_CTX with the key set once; per page a fresh 12-byte IV,
 * 26 bytes of AAD (the size of ours), 4096 bytes, a 16-byte tag (the same EVP
 * call sequence the library makes). Measured hot (16 pages, in cache) and
 * cold (as many pages as the end-to-end test moves, caches scrubbed first:
 * the pages EWB evicts are the least recently used, the ones ELDU loads were
 * evicted long ago, so the cold figure is the one the target compares with).
 *
 * Library: epc__seal_page()/epc__seal_open() (hw/seal.h: the crypto with its
 * context pool), then the whole paths:
 *  - EWB: an enclave of N pages, all resident and never accessed; one
 *    epc_reclaim(epc, N) evicts them all (isolate, age, backing space, EBLOCK,
 *    ETRACK, EWB, free). The first eviction of a page also allocates its
 *    backing space (fallocate on the memfd); a re-eviction does not, so both
 *    are reported.
 *  - ELDU: epc_encl_access2() reading 8 bytes of every evicted page once, with
 *    enough free EPC that no fault has to evict (fault, allocate, charge,
 *    ELDU, LRU). The bytes read are checked against what was added.
 * Pages per second count every EWB/ELDU the enclave did (its SECS included).
 *
 * Method: R rounds; each round measures every figure once, one after the
 * other on one pinned thread, in thread CPU time (time spent waiting for a
 * CPU held by another process is not counted); figures are medians over the
 * rounds, shares of raw are medians of the per-round shares.
 */
#include <stdatomic.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "bench.h"
#include "epc.h"

#define HOT_PAGES 16
#define AAD_LEN	  26
#define TAG_LEN	  16
#define IV_LEN	  12

_Static_assert(sizeof(struct epc__seal_aad) == AAD_LEN, "the AAD is 26 bytes, as in the library");

static bool checks_failed;

static void check(bool ok, const char *what)
{
	if (!ok) {
		checks_failed = true;
		printf("  CHECK FAILED: %s\n", what);
	}
}

static void die(const char *what)
{
	fprintf(stderr, "bench_seal: %s\n", what);
	exit(1);
}

static void *map_pages(uint64_t nr)
{
	void *p = aligned_alloc(4096, nr * 4096);

	if (!p)
		die("out of memory");
	memset(p, 0, nr * 4096); /* touch it all: no first-touch faults in the timing */
	return p;
}

/* ------------------------------------------------------------- raw EVP */

struct raw {
	EVP_CIPHER_CTX *ctx;
	unsigned char *plain, *cipher; /* nr pages each */
	unsigned char (*tag)[TAG_LEN];
	uint64_t nr, next; /* working set; next page */
	uint64_t ctr;	   /* IV counter (sealing) */
	uint64_t *iv_of;   /* the IV each page was sealed with */
	struct epc__seal_aad aad;
	_Atomic uint64_t failed;
};

static void make_iv(uint64_t v, unsigned char iv[IV_LEN])
{
	memset(iv, 0, IV_LEN);
	memcpy(iv + 4, &v, 8);
}

static int raw_gcm(struct raw *r, int enc, const unsigned char *in, unsigned char *out,
		   unsigned char *tag, uint64_t ivv)
{
	unsigned char iv[IV_LEN];
	int len;

	make_iv(ivv, iv);
	if (EVP_CipherInit_ex(r->ctx, NULL, NULL, NULL, iv, enc) != 1 ||
	    EVP_CipherUpdate(r->ctx, NULL, &len, (const unsigned char *)&r->aad, AAD_LEN) != 1 ||
	    EVP_CipherUpdate(r->ctx, out, &len, in, 4096) != 1)
		return -1;
	if (enc)
		return EVP_CipherFinal_ex(r->ctx, out + len, &len) == 1 &&
				       EVP_CIPHER_CTX_ctrl(r->ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
							   tag) == 1
			       ? 0
			       : -1;
	if (EVP_CIPHER_CTX_ctrl(r->ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1)
		return -1;
	return EVP_CipherFinal_ex(r->ctx, out + len, &len) == 1 ? 0 : -1;
}

static void raw_init(struct raw *r, uint64_t nr)
{
	unsigned char key[16];

	memset(r, 0, sizeof(*r));
	r->nr = nr;
	r->plain = map_pages(nr);
	r->cipher = map_pages(nr);
	r->tag = calloc(nr, TAG_LEN);
	r->iv_of = calloc(nr, sizeof(uint64_t));
	if (!r->tag || !r->iv_of || RAND_bytes(key, sizeof(key)) != 1 ||
	    RAND_bytes(r->plain, (int)(nr * 4096 > (1 << 20) ? 1 << 20 : nr * 4096)) != 1)
		die("raw setup");
	r->ctx = EVP_CIPHER_CTX_new();
	if (!r->ctx || EVP_CipherInit_ex(r->ctx, EVP_aes_128_gcm(), NULL, key, NULL, 1) != 1)
		die("EVP setup");
	r->aad = (struct epc__seal_aad){.encl_id = 1, .type = 2};
	/* seal every page once, so that opening has valid input */
	for (uint64_t i = 0; i < nr; i++) {
		r->iv_of[i] = ++r->ctr;
		if (raw_gcm(r, 1, r->plain + i * 4096, r->cipher + i * 4096, r->tag[i],
			    r->iv_of[i]))
			die("EVP seal");
	}
}

static void raw_destroy(struct raw *r)
{
	EVP_CIPHER_CTX_free(r->ctx);
	free(r->plain);
	free(r->cipher);
	free(r->tag);
	free(r->iv_of);
}

static void loop_raw_seal(void *arg, int tid, uint64_t n)
{
	struct raw *r = arg;

	(void)tid;
	for (uint64_t k = 0; k < n; k++) {
		uint64_t i = r->next;

		r->next = i + 1 == r->nr ? 0 : i + 1;
		r->iv_of[i] = ++r->ctr; /* fresh nonce per sealing, as EWB */
		if (raw_gcm(r, 1, r->plain + i * 4096, r->cipher + i * 4096, r->tag[i],
			    r->iv_of[i]))
			atomic_fetch_add(&r->failed, 1);
	}
}

static void loop_raw_open(void *arg, int tid, uint64_t n)
{
	struct raw *r = arg;

	(void)tid;
	for (uint64_t k = 0; k < n; k++) {
		uint64_t i = r->next;

		r->next = i + 1 == r->nr ? 0 : i + 1;
		if (raw_gcm(r, 0, r->cipher + i * 4096, r->plain + i * 4096, r->tag[i],
			    r->iv_of[i]))
			atomic_fetch_add(&r->failed, 1);
	}
}

/* ------------------------------------------------ the library's sealing */

struct lib {
	struct epc__seal seal;
	unsigned char *plain, *cipher;
	unsigned char (*tag)[TAG_LEN];
	uint64_t *version;
	uint64_t nr, next;
	_Atomic uint64_t failed;
};

static struct epc__seal_aad lib_aad(uint64_t i, uint64_t version)
{
	return (struct epc__seal_aad){
		.encl_id = 1, .offset = i * 4096, .version = version, .type = 2};
}

static void lib_init(struct lib *l, uint64_t nr)
{
	memset(l, 0, sizeof(*l));
	if (epc__seal_init(&l->seal, NULL))
		die("epc__seal_init");
	l->nr = nr;
	l->plain = map_pages(nr);
	l->cipher = map_pages(nr);
	l->tag = calloc(nr, TAG_LEN);
	l->version = calloc(nr, sizeof(uint64_t));
	if (!l->tag || !l->version)
		die("out of memory");
	for (uint64_t i = 0; i < nr; i++) {
		struct epc__seal_aad aad = lib_aad(i, epc__seal_next_version(&l->seal));

		l->version[i] = aad.version;
		if (epc__seal_page(&l->seal, &aad, l->plain + i * 4096, l->cipher + i * 4096,
				   l->tag[i]))
			die("epc__seal_page");
	}
}

static void lib_destroy(struct lib *l)
{
	epc__seal_destroy(&l->seal);
	free(l->plain);
	free(l->cipher);
	free(l->tag);
	free(l->version);
}

static void loop_lib_seal(void *arg, int tid, uint64_t n)
{
	struct lib *l = arg;

	(void)tid;
	for (uint64_t k = 0; k < n; k++) {
		uint64_t i = l->next;
		struct epc__seal_aad aad = lib_aad(i, epc__seal_next_version(&l->seal));

		l->next = i + 1 == l->nr ? 0 : i + 1;
		l->version[i] = aad.version;
		if (epc__seal_page(&l->seal, &aad, l->plain + i * 4096, l->cipher + i * 4096,
				   l->tag[i]))
			atomic_fetch_add(&l->failed, 1);
	}
}

static void loop_lib_open(void *arg, int tid, uint64_t n)
{
	struct lib *l = arg;

	(void)tid;
	for (uint64_t k = 0; k < n; k++) {
		uint64_t i = l->next;
		struct epc__seal_aad aad = lib_aad(i, l->version[i]);

		l->next = i + 1 == l->nr ? 0 : i + 1;
		if (epc__seal_open(&l->seal, &aad, l->cipher + i * 4096, l->plain + i * 4096,
				   l->tag[i]))
			atomic_fetch_add(&l->failed, 1);
	}
}

/* --------------------------------------------------------- end to end */

static void log_quiet(int level, const char *msg, void *arg)
{
	(void)arg;
	if (level <= LOG_WARNING) /* warnings too: a failed EWB must show */
		fprintf(stderr, "epcmm: %s\n", msg);
}

/* The 8 bytes at the start of enclave page @i. */
static uint64_t pattern(uint64_t i)
{
	return i * 0x9E3779B97F4A7C15ull + 1;
}

/*
 * Evict the caches before a timed pass, so that every pass starts cold, as
 * pages being evicted (least recently used) and reloaded (evicted long ago)
 * are: write a buffer of twice the last-level cache.
 */
static unsigned char *scrub_buf;
static size_t scrub_len;

static void scrub_init(void)
{
	long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);

	scrub_len = 2 * (size_t)(l3 > 0 ? l3 : 32 << 20);
	if (scrub_len < (64u << 20))
		scrub_len = 64u << 20;
	if (scrub_len > (1u << 30))
		scrub_len = 1u << 30;
	scrub_buf = map_pages(scrub_len / 4096);
}

static void scrub(void)
{
	static int v;

	memset(scrub_buf, ++v, scrub_len);
	bench_keep(scrub_buf);
}

/* A timed pass: CPU time and wall time of the calling thread. */
struct pass {
	uint64_t c0, t0;
};

static struct pass pass_start(void)
{
	return (struct pass){.c0 = bench_thread_cpu_ns(), .t0 = bench_now_ns()};
}

/* Store CPU ns and wall ns per item into @cpu and @wall. */
static void pass_end(struct pass p, uint64_t items, double *cpu, double *wall)
{
	uint64_t c1 = bench_thread_cpu_ns(), t1 = bench_now_ns();

	*cpu = (double)(c1 - p.c0) / (double)items;
	*wall = (double)(t1 - p.t0) / (double)items;
}

enum {
	F_HOT_SEAL,
	F_RAW_SEAL,
	F_LIB_SEAL,
	F_EWB_FIRST,
	F_EWB_AGAIN,
	F_HOT_OPEN,
	F_RAW_OPEN,
	F_LIB_OPEN,
	F_ELDU_FIRST,
	F_ELDU_AGAIN,
	NR_F,
};

static const char *const fig_names[NR_F] = {
	"raw EVP seal, hot (16 pages, in cache)",
	"raw EVP seal, cold (as many pages)",
	"epc__seal_page",
	"EWB end to end, first eviction (+backing)",
	"EWB end to end, re-eviction",
	"raw EVP open, hot (16 pages, in cache)",
	"raw EVP open, cold",
	"epc__seal_open",
	"ELDU end to end (fault path)",
	"ELDU end to end, second reload",
};

/* Per round: CPU ns/page and wall ns/page of each figure. */
struct round {
	double cpu[NR_F], wall[NR_F];
};

/* Evict every page of @e; check that all went. Return: EWBs done (SECS included). */
static uint64_t evict_all(struct epc *epc, struct epc_encl *e, uint64_t n, double *cpu,
			  double *wall)
{
	struct epc_encl_stats s0, s1;
	struct pass p;
	long got;
	char msg[160];

	epc_encl_get_stats2(e, &s0, sizeof(s0));
	scrub();
	p = pass_start();
	got = epc_reclaim(epc, n);
	epc_encl_get_stats2(e, &s1, sizeof(s1));
	pass_end(p, s1.nr_evicted - s0.nr_evicted, cpu, wall);
	snprintf(msg, sizeof(msg), "epc_reclaim(%llu) evicted %ld pages, %llu still resident",
		 (unsigned long long)n, got, (unsigned long long)s1.nr_resident);
	check(got == (long)n && s1.nr_resident == 0, msg);
	return s1.nr_evicted - s0.nr_evicted;
}

/* Read 8 bytes of every page (each faults) and check them. Return: ELDUs done. */
static uint64_t reload_all(struct epc_task *t, struct epc_encl *e, uint64_t n, double *cpu,
			   double *wall)
{
	struct epc_encl_stats s0, s1;
	uint64_t bad = 0;
	struct pass p;
	char msg[160];

	epc_encl_get_stats2(e, &s0, sizeof(s0));
	scrub();
	p = pass_start();
	for (uint64_t i = 0; i < n; i++) {
		uint64_t v = 0;

		if (epc_encl_access2(t, e, i * 4096, &v, sizeof(v), EPC_ACCESS_READ) ||
		    v != pattern(i))
			bad++;
	}
	epc_encl_get_stats2(e, &s1, sizeof(s1));
	pass_end(p, s1.nr_reloaded - s0.nr_reloaded, cpu, wall);
	snprintf(msg, sizeof(msg), "reload: %llu pages read wrong or failed, %llu of %llu resident",
		 (unsigned long long)bad, (unsigned long long)s1.nr_resident,
		 (unsigned long long)n);
	check(!bad && s1.nr_resident == n, msg);
	return s1.nr_reloaded - s0.nr_reloaded;
}

/* One pass of @fn over @n pages (cycling through its working set); @cold: scrub first. */
static void crypto_pass(bench_loop_fn fn, void *arg, uint64_t n, bool cold, double *cpu,
			double *wall)
{
	struct pass p;

	if (cold)
		scrub();
	p = pass_start();

	fn(arg, 0, n);
	pass_end(p, n, cpu, wall);
}

/*
 * One round, every figure measured once, interleaved so that a change in the
 * machine's load hits the raw and the end-to-end figures alike: raw seal,
 * library seal, EWB (first), raw open, library open, ELDU, EWB again, ELDU
 * again, on a fresh enclave of @n pages.
 */
static struct round one_round(struct epc *epc, struct epc_task *t, struct raw *hot, struct raw *r,
			      struct lib *l, uint64_t n)
{
	static unsigned char src[4096];
	struct epc_encl *e;
	struct round rd;
	uint64_t cnt[4];
	char msg[160];

	if (epc_encl_create(t, n * 4096, &e))
		die("epc_encl_create");
	for (uint64_t i = 0; i < n; i++) {
		uint64_t v = pattern(i);

		memcpy(src, &v, sizeof(v));
		memset(src + 8, (int)(i & 0xff), sizeof(src) - 8);
		if (epc_encl_add_page2(t, e, i * 4096, src, EPC_SECINFO_REG_RWX))
			die("epc_encl_add_page");
	}
	if (epc_encl_init(e))
		die("epc_encl_init");

	crypto_pass(loop_raw_seal, hot, n, false, &rd.cpu[F_HOT_SEAL], &rd.wall[F_HOT_SEAL]);
	crypto_pass(loop_raw_seal, r, n, true, &rd.cpu[F_RAW_SEAL], &rd.wall[F_RAW_SEAL]);
	crypto_pass(loop_lib_seal, l, n, true, &rd.cpu[F_LIB_SEAL], &rd.wall[F_LIB_SEAL]);
	cnt[0] = evict_all(epc, e, n, &rd.cpu[F_EWB_FIRST], &rd.wall[F_EWB_FIRST]);
	crypto_pass(loop_raw_open, hot, n, false, &rd.cpu[F_HOT_OPEN], &rd.wall[F_HOT_OPEN]);
	crypto_pass(loop_raw_open, r, n, true, &rd.cpu[F_RAW_OPEN], &rd.wall[F_RAW_OPEN]);
	crypto_pass(loop_lib_open, l, n, true, &rd.cpu[F_LIB_OPEN], &rd.wall[F_LIB_OPEN]);
	cnt[1] = reload_all(t, e, n, &rd.cpu[F_ELDU_FIRST], &rd.wall[F_ELDU_FIRST]);
	/*
	 * Every page was just accessed, so the reclaimer's second chance would
	 * send each back to the LRU tail once. Clear the accessed bits (what an
	 * aging pass does) so that the re-eviction times EWB, not aging.
	 */
	for (uint64_t i = 0; i < n; i++)
		atomic_store(&e->pages[i].accessed, 0);
	cnt[2] = evict_all(epc, e, n, &rd.cpu[F_EWB_AGAIN], &rd.wall[F_EWB_AGAIN]);
	cnt[3] = reload_all(t, e, n, &rd.cpu[F_ELDU_AGAIN], &rd.wall[F_ELDU_AGAIN]);
	epc_encl_destroy(e);
	snprintf(msg, sizeof(msg), "EWB/ELDU counts %llu %llu %llu %llu, expected %llu each",
		 (unsigned long long)cnt[0], (unsigned long long)cnt[1], (unsigned long long)cnt[2],
		 (unsigned long long)cnt[3], (unsigned long long)(n + 1));
	check(cnt[0] == n + 1 && cnt[1] == n + 1 && cnt[2] == n + 1 && cnt[3] == n + 1, msg);
	return rd;
}

/* ----------------------------------------------------------------- main */

static void usage(void)
{
	printf("usage: bench_seal [--pages N] [--rounds R]\n"
	       "  --pages N    enclave pages evicted and reloaded per round (default 61440 = 240 "
	       "MiB)\n"
	       "  --rounds R   rounds, the median is reported (default 7)\n");
}

static double median_of(const double *v, int n)
{
	double tmp[64];

	memcpy(tmp, v, sizeof(double) * (size_t)n);
	return bench_median(tmp, n);
}

int main(int argc, char **argv)
{
	uint64_t n = 61440;
	int rounds = 7;

	for (int i = 1; i < argc;) {
		if (!strcmp(argv[i], "--pages") && i + 1 < argc) {
			n = strtoull(argv[i + 1], NULL, 0);
			i += 2;
		} else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
			rounds = atoi(argv[i + 1]);
			i += 2;
		} else {
			usage();
			return strcmp(argv[i], "--help") ? 2 : 0;
		}
	}
	if (n < 64 || rounds < 1 || rounds > 64) {
		usage();
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_print_header("bench_seal", NULL);
	bench_pin(0);
	printf("%s; AES-128-GCM, 4 KiB pages, 26-byte AAD, 16-byte tag; one thread on CPU 0\n",
	       OpenSSL_version(OPENSSL_VERSION));
	printf("per round: %llu enclave pages (%llu MiB) and the same number of raw pages, %d "
	       "rounds;\n"
	       "every timed pass starts with cold caches (a write of 2x the L3 size before it)\n\n",
	       (unsigned long long)n, (unsigned long long)(n * 4096 >> 20), rounds);

	double cpu[NR_F][64], wall[NR_F][64], target[NR_F] = {0};
	{
		uint64_t epc_pages = n + n / 512 + 64 + 256; /* pages, SECS, VA pages, free room */
		struct epc_section_desc s = {
			.phys_addr = 1ull << 32, .size = epc_pages * 4096, .node = 0};
		struct epc_config c = {.nr_nodes = 1,
				       .sections = &s,
				       .nr_sections = 1,
				       .background = EPC_BACKGROUND_MANUAL,
				       .log = log_quiet};
		struct epc_task *t = NULL;
		struct epc *epc;
		struct raw hot, r;
		struct lib l;
		char msg[128];

		if (epc_create2(&c, sizeof(c), &epc) || epc_sanitize_wait(epc) ||
		    epc_task_create(epc, NULL, 0, &t))
			die("cannot create the instance");
		raw_init(&hot, HOT_PAGES);
		raw_init(&r, n);
		lib_init(&l, n);
		scrub_init();
		one_round(epc, t, &hot, &r, &l,
			  n); /* warm-up: fault in EPC bytes, buffers and code */
		for (int i = 0; i < rounds; i++) {
			struct round rd = one_round(epc, t, &hot, &r, &l, n);

			for (int f = 0; f < NR_F; f++) {
				cpu[f][i] = rd.cpu[f];
				wall[f][i] = rd.wall[f];
			}
		}
		snprintf(msg, sizeof(msg), "sealing passes: %llu raw and %llu library failures",
			 (unsigned long long)(atomic_load(&r.failed) + atomic_load(&hot.failed)),
			 (unsigned long long)atomic_load(&l.failed));
		check(!atomic_load(&r.failed) && !atomic_load(&hot.failed) &&
			      !atomic_load(&l.failed),
		      msg);
		raw_destroy(&hot);
		raw_destroy(&r);
		lib_destroy(&l);
		epc_task_destroy(t);
		epc_destroy(epc);
	}

	printf("== sealing: pages/s beside raw OpenSSL, and ns per page outside the crypto ==\n");
	printf("%-44s %8s %9s %7s %9s %9s %6s\n", "", "ns/page", "pages/s", "of raw", "+ns/page",
	       "wall ns", "spread");
	for (int f = 0; f < NR_F; f++) {
		int raw_f = f < F_HOT_OPEN ? F_RAW_SEAL : F_RAW_OPEN;
		double ns = median_of(cpu[f], rounds), share[64], extra[64];
		double lo = 1e300, hi = 0;

		for (int i = 0; i < rounds; i++) {
			lo = cpu[f][i] < lo ? cpu[f][i] : lo;
			hi = cpu[f][i] > hi ? cpu[f][i] : hi;
			share[i] = cpu[raw_f][i] / cpu[f][i];
			extra[i] = cpu[f][i] - cpu[raw_f][i];
		}
		if (f == F_HOT_SEAL || f == F_HOT_OPEN)
			printf("%s\n",
			       f == F_HOT_SEAL ? "seal (EWB direction)" : "open (ELDU direction)");
		printf("%-44s %8.0f %9.0f", fig_names[f], ns, 1e9 / ns);
		if (f == raw_f || f == F_HOT_SEAL || f == F_HOT_OPEN)
			printf(" %7s %9s", "", "");
		else
			printf(" %6.0f%% %+9.0f", 100 * median_of(share, rounds),
			       median_of(extra, rounds));
		printf(" %9.0f %5.0f%%\n", median_of(wall[f], rounds), 100 * (hi - lo) / ns);
		target[f] = median_of(share, rounds);
	}
	printf("(ns/page in thread CPU time, median of the rounds; \"of raw\": pages/s as a share "
	       "of raw\n"
	       " cold, and \"+ns/page\": time per page outside the crypto (this minus raw cold), "
	       "both\n"
	       " medians of the per-round values; \"wall ns\": ns/page in wall-clock time)\n");

	printf("\n== targets (DESIGN §8: >= 80%% of raw; medians of per-round ratios to raw cold) "
	       "==\n");
	{
		double a = target[F_EWB_FIRST], b = target[F_EWB_AGAIN], c = target[F_ELDU_FIRST];

		printf("  EWB, first eviction:  %.0f%% of raw  %s\n", 100 * a,
		       a >= 0.8 ? "met" : "NOT met");
		printf("  EWB, re-eviction:     %.0f%% of raw  %s\n", 100 * b,
		       b >= 0.8 ? "met" : "NOT met");
		printf("  ELDU:                 %.0f%% of raw  %s\n", 100 * c,
		       c >= 0.8 ? "met" : "NOT met");
		printf("  raw cold minus hot: seal %+.0f ns, open %+.0f ns per page (memory "
		       "traffic)\n",
		       median_of(cpu[F_RAW_SEAL], rounds) - median_of(cpu[F_HOT_SEAL], rounds),
		       median_of(cpu[F_RAW_OPEN], rounds) - median_of(cpu[F_HOT_OPEN], rounds));
	}
	printf("\nchecks: %s\n", checks_failed ? "FAILED (see above)" : "all passed");
	printf("note: a shared or busy machine makes these numbers noisy; compare ratios from one "
	       "run\n");
	return checks_failed ? 1 : 0;
}
