/* SPDX-License-Identifier: MIT */
/*
 * selftest.h - the kernel's EPC cgroup selftest (tools/testing/selftests/sgx/
 * run_epc_cg_selftests.sh of the v13-v17 series, kernel-spec behaviours
 * 65-71) against epcmm, in one process.
 *
 * Each of the script's processes (test_sgx -t unclobbered_vdso_oversubscribed
 * run through ash_cgexec.sh) is a thread here with its own task, in the
 * cgroup the script would have moved it to, and its own enclave: the size of
 * the whole EPC plus a few code pages, every page EADDed (so the build
 * oversubscribes the EPC and reclaim runs), EINIT, then a value written to
 * the heap and read back, which faults. A run passes when every call
 * succeeds and the value reads back. The runs of a case are started one
 * after the other, as the script's "&" does; a failed or killed run gives
 * its enclave back at once (the process exits), a passed one keeps it until
 * every run of its case is done, so that on a machine with fewer CPUs than
 * runs they still all hold their enclaves at once, as on the kernel's test
 * machines.
 *
 * Layout: /sgx_kselftest/{sgx_test_small_parent/sgx_test_small,
 * sgx_test_large, sgx_test_larger}. The cases, in the script's order:
 *  1. layout: the cgroups are made and take their limits;
 *  2. small: misc.max = capacity/512 on sgx_test_small_parent, one run in
 *     sgx_test_small: it must fail (the limit is below a capacity-sized
 *     enclave's VA pages);
 *  3. large: misc.max = 4 x small on sgx_test_large, 4 concurrent runs: at
 *     least one passes;
 *  4. large, 5 concurrent runs: at least one fails;
 *  5. larger: misc.max = capacity on sgx_test_larger, 8 concurrent runs: all
 *     pass;
 *  6. larger with a kill: 8 concurrent runs, one of them (chosen by the seed)
 *     killed at a moment chosen by the seed (after a random share of its
 *     EADDs): all others pass. The kill is the process's SIGKILL: its task's
 *     signal is raised and it stops, destroying its enclave;
 *  7. memcg: sgx_test_large with memory.max = capacity - 2 x large (there is
 *     no swap: swapoff -a), 4 concurrent runs: all fail (the backing memory
 *     of their evicted pages is charged to the cgroup, which runs out and
 *     OOM-kills);
 *  8. leak check: after all runs, misc.current of sgx_kselftest reads
 *     "sgx_epc 0", its memory.current "0", and the EPC is free again.
 *
 * Output: TAP ("1..8", then "ok N - name" or "not ok N - name # reason",
 * "# " diagnostics), then a summary line "N passed, N failed".
 */
#ifndef EPCMM_SELFTEST_H
#define EPCMM_SELFTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SELFTEST_NR_CASES 8

/**
 * struct selftest_config - the machine the cases run on.
 * @epc_sizes: bytes of each EPC section, each a non-zero multiple of 4096.
 * @nr_sections: entries of @epc_sizes, 1..EPC_MAX_SECTIONS.
 * @nr_nodes: NUMA nodes, 1..EPC_MAX_NODES; section i is on node i % nodes.
 * @seed: picks the killed run and its moment (case 6).
 * @no_contents: run without page contents (no host memory for the enclaves'
 *	bytes; backing memory is still accounted, so case 7 holds). Reads give
 *	zeros, so a run's value is written and read but not compared.
 * @out: where the TAP goes (NULL: stdout).
 */
struct selftest_config {
	const uint64_t *epc_sizes;
	int nr_sections;
	int nr_nodes;
	uint64_t seed;
	bool no_contents;
	FILE *out;
};

struct selftest_result {
	int passed, failed;
};

/**
 * selftest_run() - run every case and print the TAP.
 * Return: 0 when the cases ran (@res says how they went); -EINVAL for a bad
 * @cfg (nothing printed but a line on stderr); -ENOMEM; another -errno when
 * the machine could not be built.
 */
int selftest_run(const struct selftest_config *cfg, struct selftest_result *res);

#endif
