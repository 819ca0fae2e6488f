// SPDX-License-Identifier: MIT
/*
 * scenario_bounds.c - the checks that need a finalized scenario's traces
 * read: a trace fits its enclave, its replays stay within an enclave's
 * accesses, and the cost model's cycles stay within 64 bits over the run.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "pattern.h"
#include "scenario.h"
#include "scenario_internal.h"
#include "trace.h"

/* A trace reader's cap is the enclave's: a trace replayed once fits an enclave. */
_Static_assert(SIM_TRACE_MAX_RECORDS == SIM_MAX_ACCESSES, "a trace's cap is an enclave's");

int sim_enclave_check_trace(const struct sim_enclave *e, uint64_t *pages, uint64_t *records,
			    char *err, size_t errlen)
{
	char terr[SIM_ERR_LEN];
	int ret = sim_trace_probe(e->pattern.trace_path, pages, records, terr, sizeof(terr));

	if (ret == -ENOMEM)
		return ret;
	if (ret)
		return sim__fail_at(err, errlen, &e->key_loc[SIM_EK_PATTERN],
				    "[enclave %s] pattern: %s", e->name, terr);
	if (e->size && e->size / EPC_PAGE_SIZE < *pages) /* pages <= 2^32: no overflow */
		return sim__fail_at(
			err, errlen, &e->key_loc[SIM_EK_SIZE],
			"[enclave %s] size: %llu bytes is smaller than its trace, which "
			"touches %llu pages (%llu bytes)",
			e->name, (unsigned long long)e->size, (unsigned long long)*pages,
			(unsigned long long)(*pages * EPC_PAGE_SIZE));
	/* each thread replays it whole: records x threads, which must not pass the cap */
	if (!(e->set & (1u << SIM_EK_ACCESSES)) && *records > SIM_MAX_ACCESSES / e->threads)
		return sim__fail_at(
			err, errlen, &e->key_loc[SIM_EK_PATTERN],
			"[enclave %s] pattern: %u threads each replaying the trace's %llu "
			"accesses make more than %llu; set accesses (1 to %llu) or fewer "
			"threads",
			e->name, e->threads, (unsigned long long)*records,
			(unsigned long long)SIM_MAX_ACCESSES, (unsigned long long)SIM_MAX_ACCESSES);
	return 0;
}

uint64_t sim_enclave_accesses(const struct sim_enclave *e, uint64_t trace_records)
{
	if (e->pattern.kind == SIM_PATTERN_TRACE && !(e->set & (1u << SIM_EK_ACCESSES)))
		return trace_records * e->threads; /* at most SIM_MAX_ACCESSES: checked */
	return e->accesses;
}

/* @a * @b + @c into *@out. Return: false when it passes INT64_MAX. */
static bool cycles_add(uint64_t a, uint64_t b, uint64_t *out)
{
	uint64_t p;

	return !__builtin_mul_overflow(a, b, &p) && !__builtin_add_overflow(*out, p, out) &&
	       *out <= INT64_MAX;
}

int sim_scenario_check_cost(const struct sim_scenario *s, uint64_t accesses, uint64_t encl_pages,
			    char *err, size_t errlen)
{
	const struct sim_cost *c = &s->run.cost;
	struct sim_loc loc = {.file = s->files[0], .line = 0};
	uint64_t epc_pages = 0, per_access = c->access + c->fault + 2 * (c->ewb + c->eldu);
	uint64_t cycles = 0;
	bool edmm = false;

	/* a dynamic enclave's access may EAUG its page, which a trim may remove */
	for (int i = 0; i < s->nr_enclaves; i++)
		edmm |= s->enclaves[i].dynamic;
	if (edmm)
		per_access += c->eaug + c->trim;
	for (int i = 0; i < s->nr_sections; i++)
		epc_pages += s->sections[i].size / EPC_PAGE_SIZE;
	if (cycles_add(accesses, per_access, &cycles) &&
	    cycles_add(epc_pages + encl_pages, c->ewb + c->eldu, &cycles))
		return 0;
	return sim__fail_at(
		err, errlen, &loc,
		"the cost model could count more than 2^63 cycles: %llu accesses in all, "
		"each up to %llu cycles (cycles-access + cycles-fault + 2 x (cycles-ewb + "
		"cycles-eldu)%s); make fewer accesses or lower the cycles",
		(unsigned long long)accesses, (unsigned long long)per_access,
		edmm ? " + cycles-eaug + cycles-trim" : "");
}

int sim_scenario_check_traces(struct sim_scenario *s, char *err, size_t errlen)
{
	uint64_t accesses = 0, pages = 0;

	for (int i = 0; i < s->nr_enclaves; i++) {
		struct sim_enclave *e = &s->enclaves[i];
		int ret;

		if (e->pattern.kind == SIM_PATTERN_TRACE && !e->trace_checked) {
			ret = sim_enclave_check_trace(e, &e->trace_pages, &e->trace_records, err,
						      errlen);
			if (ret)
				return ret;
			e->trace_checked = true;
		}
		/* 1024 enclaves of at most 10^12 accesses and 2^34 pages: no overflow */
		accesses += sim_enclave_accesses(e, e->trace_records);
		pages += e->size ? e->size / EPC_PAGE_SIZE : e->trace_pages;
	}
	return sim_scenario_check_cost(s, accesses, pages, err, errlen);
}
