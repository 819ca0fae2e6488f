// SPDX-License-Identifier: MIT
/*
 * test_sim_parse.c - the scenario parser (sim/scenario*.c): every error
 * message, from a table of bad snippets to the exact line expected; the value
 * syntax (sizes, counts, CPU lists); [global] inheritance; several files.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"

#include "scenario.h"

/* A machine and an enclave, to which a case appends its snippet. */
#define BASE "[section 0]\nsize = 8M\n[enclave a]\nsize = 1M\n" /* lines 1-4 */

struct bad {
	const char *text;
	const char *error;
};

static const struct bad bad_cases[] = {
	/* syntax */
	{BASE "junk\n", "t.ini:5: expected 'key = value', a [section] or a comment"},
	{BASE "[enclave b\n", "t.ini:5: section header without ']'"},
	{BASE "[run] x\n", "t.ini:5: text after the section header's ']'"},
	{BASE "[foo]\n",
	 "t.ini:5: unknown section [foo] (expected [node N], [section N], [cgroup /path], "
	 "[enclave NAME], [event NAME], [global] or [run])"},
	{BASE "[global x]\n", "t.ini:5: [global] takes no name"},
	{BASE "[node]\n", "t.ini:5: [node] needs a number: [node N]"},
	{BASE "[cgroup]\n", "t.ini:5: [cgroup] needs a path: [cgroup /path]"},
	{BASE "[enclave]\n", "t.ini:5: [enclave] needs a name: [enclave NAME]"},
	{BASE "[section]\n", "t.ini:5: [section] needs a number: [section N]"},
	{"size = 4M\n", "t.ini:1: 'size' outside any section (put it under [global], [run], ...)"},
	{BASE "[run]\n  seed = 2\n",
	 "t.ini:6: indented line (INI would join it to the previous value); start it in the "
	 "first column"},
	{BASE "[run]\nseed = 1\nseed = 2\n", "t.ini:7: [run] seed: given twice in this section"},
	{BASE "[run]\nseed =\n", "t.ini:6: [run] seed: no value"},
	/* nodes */
	{BASE "[node 64]\n", "t.ini:5: [node 64]: a node is a number from 0 to 63"},
	{BASE "[node x]\n", "t.ini:5: [node x]: a node is a number from 0 to 63"},
	{BASE "[node 0]\nfoo = 1\n",
	 "t.ini:6: [node 0]: unknown key 'foo' (a node has cpus and distances)"},
	{BASE "[node 0]\ncpus = 3-1\n",
	 "t.ini:6: [node 0] cpus: '3-1': a range is written low to high (like 1-3)"},
	{BASE "[node 0]\ncpus = 0,0\n",
	 "t.ini:6: [node 0] cpus: '0,0' is not a CPU list (like 0-3,8; each CPU once)"},
	{BASE "[node 0]\ncpus = 0-4096\n",
	 "t.ini:6: [node 0] cpus: '0-4096': CPUs are numbered 0 to 4095"},
	{BASE "[node 0]\ndistances = 10,x\n",
	 "t.ini:6: [node 0] distances: '10,x' is not a list of numbers (like 10,21: one per node, "
	 "this node's own 10)"},
	{BASE "[node 0]\ndistances = 9\n",
	 "t.ini:6: [node 0] distances: 9 is out of range (10 to 255)"},
	{BASE "[node 1]\n",
	 "t.ini:5: [node 1]: nodes are numbered 0 to N-1 without gaps (node 0 is missing)"},
	{BASE "[node 0]\ncpus = 0\n[node 1]\n",
	 "t.ini:7: [node 1]: no cpus (give every node its cpus, or none)"},
	{BASE "[node 0]\ncpus = 0-1\n[node 1]\ncpus = 1\n",
	 "t.ini:8: [node 1] cpus: CPU 1 is in node 0 already"},
	{BASE "[node 0]\ncpus = 0\n[node 1]\ncpus = 2\n",
	 "t.ini:5: CPU 1 is in no node (CPUs are numbered 0 to N-1 without gaps)"},
	{BASE "[node 0]\ndistances = 10,20\n[node 1]\n",
	 "t.ini:7: [node 1]: no distances (give every node its distances, or none)"},
	{BASE "[node 0]\ndistances = 10\n[node 1]\ndistances = 20,10\n",
	 "t.ini:6: [node 0] distances: 1 entries for 2 nodes"},
	{BASE "[node 0]\ndistances = 11,20\n[node 1]\ndistances = 20,10\n",
	 "t.ini:6: [node 0] distances: entry 0 (the node itself) must be 10"},
	{BASE "[node 0]\ndistances = 10,10\n[node 1]\ndistances = 20,10\n",
	 "t.ini:6: [node 0] distances: entry 1 must be 11 to 255 (10 is the node itself)"},
	/* sections */
	{BASE "[section 8]\n", "t.ini:5: [section 8]: a section is a number from 0 to 7"},
	{BASE "[section 1]\n", "t.ini:5: [section 1]: no size"},
	{BASE "[section 1]\nsize = 1M\nnode = x\n",
	 "t.ini:7: [section 1] node: 'x' is not a node number (0 to 63)"},
	{BASE "[section 1]\nsize = 1M\nnode = 1\n",
	 "t.ini:7: [section 1] node: node 1 is not defined (nodes 0 to 0)"},
	{BASE "[section 1]\nsize = 64X\n", "t.ini:6: [section 1] size: '64X' is not a size (bytes, "
					   "or with K, M, G, T: 4096, 64M, 2G; 4K to 1T)"},
	{BASE "[section 1]\nsize = 99999999999T\n",
	 "t.ini:6: [section 1] size: 99999999999T is out of range (4K to 1T)"},
	{BASE "[section 1]\nsize = 5000\n",
	 "t.ini:6: [section 1] size: 5000 is not a multiple of 4K (4K to 1T)"},
	{BASE "[section 1]\nsize = 0\n", "t.ini:6: [section 1] size: 0 is out of range (4K to 1T)"},
	{BASE "[section 1]\nsize = 2T\n",
	 "t.ini:6: [section 1] size: 2T is out of range (4K to 1T)"},
	{BASE "[section 1]\nsize = 4K\nphys = 12x\n",
	 "t.ini:7: [section 1] phys: '12x' is not an address (like 0x80000000)"},
	{BASE "[section 1]\nsize = 4K\nphys = 0x1001\n",
	 "t.ini:7: [section 1] phys: 0x1001 is not 4K aligned"},
	{"[section 0]\nsize = 8M\nphys = 0x100000\n[section 1]\nsize = 4K\nphys = "
	 "0x200000\n[enclave a]\nsize = 1M\n",
	 "t.ini:3: [section 0] phys: overlaps section 1"},
	{BASE "[section 1]\nsize = 4K\ncolour = red\n",
	 "t.ini:7: [section 1]: unknown key 'colour' (a section has node, size and phys)"},
	{"[enclave a]\nsize = 1M\n",
	 "t.ini: no [section N]: the machine needs EPC (for example [section 0] with size = 64M)"},
	/* cgroups */
	{BASE "[cgroup a/b]\n",
	 "t.ini:5: [cgroup a/b]: not a cgroup path (absolute, like /tenant-a/db; names of letters, "
	 "digits, '.', '_' and '-')"},
	{BASE "[cgroup /a/../b]\n",
	 "t.ini:5: [cgroup /a/../b]: not a cgroup path (absolute, like /tenant-a/db; names of "
	 "letters, digits, '.', '_' and '-')"},
	{BASE "[cgroup /cgroup.procs]\n",
	 "t.ini:5: [cgroup /cgroup.procs]: a name of it is a file of its parent cgroup "
	 "(cgroup.procs, misc.max, ...): a cgroup cannot take it"},
	{BASE "[cgroup /a/misc.max]\n",
	 "t.ini:5: [cgroup /a/misc.max]: a name of it is a file of its parent cgroup "
	 "(cgroup.procs, misc.max, ...): a cgroup cannot take it"},
	{BASE "[cgroup /]\nmax = 1M\n",
	 "t.ini:6: [cgroup /] max: the root has no misc.max (its limit is the EPC's size)"},
	{BASE "[cgroup /a]\nmax = lots\n", "t.ini:6: [cgroup /a] max: 'lots' is not a size (bytes, "
					   "or with K, M, G, T: 4096, 64M, 2G; 0 to 2^64-1)"},
	{BASE "[cgroup /a]\nmemory.max = 1X\n",
	 "t.ini:6: [cgroup /a] memory.max: '1X' is not a size (bytes, or with K, M, G, T: 4096, "
	 "64M, 2G; 0 to 2^64-1)"},
	{BASE "[cgroup /]\nmemory.max = 1G\n",
	 "t.ini:6: [cgroup /] memory.max: the root has no memory.max (its limit is the host's "
	 "memory)"},
	{BASE "[cgroup /a]\nweight = 1\n",
	 "t.ini:6: [cgroup /a]: unknown key 'weight' (a cgroup has max and memory.max)"},
	/* enclaves */
	{BASE "[enclave a*b]\n",
	 "t.ini:5: [enclave a*b]: an enclave name is 1 to 31 letters, digits, '.', '_' or '-'"},
	{BASE "[enclave b]\ncgroup = x\n",
	 "t.ini:6: [enclave b] cgroup: 'x' is not a cgroup path (like /tenant-a)"},
	{BASE "[enclave b]\nsize = 1M\ncgroup = /nope\n",
	 "t.ini:7: [enclave b] cgroup: /nope is not defined (add a [cgroup /nope] section)"},
	/* a section given twice in one file (a later file may extend it) */
	{BASE "[enclave a]\nsize = 8M\n",
	 "t.ini:5: [enclave a]: already defined at line 3 (a later file may extend it)"},
	{BASE "[section 00]\n", "t.ini:5: [section 00]: already defined at line 1 (a later file "
				"may extend it)"},
	{BASE "[global]\nwrites = 1\n[cgroup /a]\n[global]\n",
	 "t.ini:8: [global]: already defined at line 5 (a later file may extend it)"},
	{BASE "[cgroup /a]\nmax = 1M\n[cgroup /a]\n",
	 "t.ini:7: [cgroup /a]: already defined at line 5 (a later file may extend it)"},
	{"[section 0]\nsize = 8M\n[enclave a]\nsize = 1M\nsize = 2M\n",
	 "t.ini:5: [enclave a] size: given twice in this section"},
	{BASE "[enclave b]\nsize = 128T\n",
	 "t.ini:6: [enclave b] size: 128T is out of range (4K to 64T)"},
	{BASE "[enclave b]\n", "t.ini:5: [enclave b]: no size (set size here or in [global])"},
	{BASE "[enclave b]\nsize = 4K\nthreads = 0\n",
	 "t.ini:7: [enclave b] threads: 0 is out of range (1 to 256)"},
	{BASE "[enclave b]\nsize = 4K\nthreads = 257\n",
	 "t.ini:7: [enclave b] threads: 257 is out of range (1 to 256)"},
	{BASE "[enclave b]\nsize = 4K\nthreads = two\n",
	 "t.ini:7: [enclave b] threads: 'two' is not a number (digits, optionally with k, M or G: "
	 "1000, 10k, 2M; 1 to 256)"},
	{BASE "[enclave b]\nsize = 4K\ncpus = 1\n",
	 "t.ini:7: [enclave b] cpus: CPU 1 does not exist (CPUs 0 to 0)"},
	{BASE "[enclave b]\nsize = 4K\npattern = random\n",
	 "t.ini:7: [enclave b] pattern: unknown pattern 'random' (sequential, uniform, zipf:THETA, "
	 "working-set:SIZE or trace:FILE)"},
	{BASE "[enclave b]\nsize = 4K\npattern = uniform:3\n",
	 "t.ini:7: [enclave b] pattern: unknown pattern 'uniform:3' (sequential, uniform, "
	 "zipf:THETA, "
	 "working-set:SIZE or trace:FILE)"},
	{BASE "[enclave b]\nsize = 4K\npattern = zipf\n",
	 "t.ini:7: [enclave b] pattern: zipf needs its exponent: zipf:0.99"},
	{BASE "[enclave b]\nsize = 4K\npattern = zipf:x\n",
	 "t.ini:7: [enclave b] pattern zipf: 'x' is not a number (like 0.99; above 0, at most 10)"},
	{BASE "[enclave b]\nsize = 4K\npattern = zipf:0\n",
	 "t.ini:7: [enclave b] pattern zipf: 0 is out of range (above 0, at most 10)"},
	{BASE "[enclave b]\nsize = 4K\npattern = zipf:11\n",
	 "t.ini:7: [enclave b] pattern zipf: 11 is out of range (above 0, at most 10)"},
	{BASE "[enclave b]\nsize = 4K\npattern = working-set\n",
	 "t.ini:7: [enclave b] pattern: working-set needs its size: working-set:16M"},
	{BASE "[enclave b]\nsize = 4K\npattern = working-set:1\n",
	 "t.ini:7: [enclave b] pattern working-set: 1 is out of range (4K to 64T)"},
	{BASE "[enclave b]\nsize = 4K\npattern = working-set:8K\n",
	 "t.ini:7: [enclave b] pattern: the working set is larger than the enclave's size"},
	{BASE "[enclave b]\nsize = 4K\npattern = trace:\n",
	 "t.ini:7: [enclave b] pattern: trace needs a file: trace:FILE"},
	{BASE "[enclave b]\nsize = 4K\naccesses = 0\n",
	 "t.ini:7: [enclave b] accesses: 0 is out of range (1 to 1000000000000)"},
	{BASE "[enclave b]\nsize = 4K\naccesses = 2000G\n",
	 "t.ini:7: [enclave b] accesses: 2000G is out of range (1 to 1000000000000)"},
	{BASE "[enclave b]\nsize = 4K\nwrites = 101\n",
	 "t.ini:7: [enclave b] writes: 101 is out of range (0 to 100)"},
	{BASE "[enclave b]\nsize = 4K\nwrites = -1\n",
	 "t.ini:7: [enclave b] writes: '-1' is not a number (digits, optionally with k, M or G: "
	 "1000, 10k, 2M; 0 to 100)"},
	{BASE "[enclave b]\nsize = 4K\nstart-delay = soon\n",
	 "t.ini:7: [enclave b] start-delay: 'soon' is not a number (digits, optionally with k, M "
	 "or G: 1000, 10k, 2M; 0 to 1000000000000)"},
	{BASE "[enclave b]\nsize = 4K\nsize2 = 1\n",
	 "t.ini:7: [enclave b]: unknown key 'size2' (an enclave has cgroup, size, threads, cpus, "
	 "pattern, accesses, writes, start-delay, start, dynamic and static)"},
	{BASE "[global]\nname = x\n",
	 "t.ini:6: [global]: unknown key 'name' (an enclave has cgroup, size, threads, cpus, "
	 "pattern, accesses, writes, start-delay, start, dynamic and static)"},
	{BASE "[enclave b]\nsize = 4K\nstart = later\n",
	 "t.ini:7: [enclave b] start: 'later' (expected delay or event)"},
	{"[section 0]\nsize = 8M\n",
	 "t.ini: no [enclave NAME]: nothing to run (for example [enclave app] with size = 16M)"},
	/* events: the section and its keys */
	{BASE "[event]\n", "t.ini:5: [event] needs a name: [event NAME]"},
	{BASE "[event a/b]\n",
	 "t.ini:5: [event a/b]: an event name is 1 to 31 letters, digits, '.', '_' or '-'"},
	{BASE "[event e]\nat = 5min\n",
	 "t.ini:6: [event e] at: '5min' is neither an access count (like 200k: the machine's "
	 "accesses) nor a modelled time (like 5ms, 2.5s or 100us)"},
	{BASE "[event e]\nat = 5ns\n",
	 "t.ini:6: [event e] at: '5ns' is neither an access count (like 200k: the machine's "
	 "accesses) nor a modelled time (like 5ms, 2.5s or 100us)"},
	{BASE "[event e]\nat = 1000001s\n",
	 "t.ini:6: [event e] at: 1000001s is out of range (0 to 1000000 s of modelled time)"},
	{BASE "[event e]\nat = 2000T\n",
	 "t.ini:6: [event e] at: '2000T' is neither an access count (like 200k: the machine's "
	 "accesses) nor a modelled time (like 5ms, 2.5s or 100us)"},
	{BASE "[event e]\nat = 2000000G\n",
	 "t.ini:6: [event e] at: 2000000G is out of range (0 to 1024000000000000)"},
	{BASE "[event e]\ncgroup = a\n",
	 "t.ini:6: [event e] cgroup: 'a' is not a cgroup path (like /tenant-a)"},
	{BASE "[event e]\nenclave = a!\n",
	 "t.ini:6: [event e] enclave: 'a!' is not an enclave name (1 to 31 letters, digits, '.', "
	 "'_' or '-')"},
	{BASE "[event e]\nmax = 1Q\n",
	 "t.ini:6: [event e] max: '1Q' is not a size (bytes, or with K, M, G, T: 4096, 64M, 2G; 0 "
	 "to 2^64-1)"},
	{BASE "[event e]\naction = pause\n",
	 "t.ini:6: [event e] action: 'pause' (expected start or stop)"},
	{BASE "[event e]\nwhen = 1\n",
	 "t.ini:6: [event e]: unknown key 'when' (an event has at, and cgroup with max or "
	 "memory.max, or enclave with action or trim)"},
	{BASE "[event e]\nmax = 1M\nmemory.max = 1M\n",
	 "t.ini:7: [event e] memory.max: an event does one thing, and max is given at t.ini:6 "
	 "(make another [event])"},
	/* events: what they act on, checked once every file is in */
	{BASE "[cgroup /a]\n[event e]\ncgroup = /a\nmax = 1M\n",
	 "t.ini:6: [event e]: no at (when it fires: an access count like 200k, or a modelled "
	 "time like 5ms)"},
	{BASE "[cgroup /a]\n[event e]\nat = 1ms\ncgroup = /a\nmax = 1M\n[run]\n"
	      "cycles-access = 0\ncycles-fault = 0\ncycles-ewb = 0\ncycles-eldu = 0\n",
	 "t.ini:7: [event e] at: 1ms is a modelled time, but with every cycles-* of [run] at 0 "
	 "modelled time stays 0 (give an access count)"},
	{BASE "[cgroup /a]\n[event e]\nat = 1\ncgroup = /a\nenclave = a\nmax = 1M\n",
	 "t.ini:9: [event e] enclave: an event acts on one cgroup or one enclave, and cgroup is "
	 "given at t.ini:8 (make another [event])"},
	{BASE "[event e]\nat = 1\nmax = 1M\n",
	 "t.ini:5: [event e]: nothing to act on (a cgroup with max or memory.max, or an enclave "
	 "with action = start or stop)"},
	{BASE "[cgroup /a]\n[event e]\nat = 1\ncgroup = /a\n",
	 "t.ini:6: [event e]: nothing to do to cgroup /a (set max or memory.max)"},
	{BASE "[cgroup /a]\n[event e]\nat = 1\ncgroup = /a\naction = stop\n",
	 "t.ini:9: [event e] action: start and stop are an enclave's, and this event names "
	 "cgroup /a"},
	{BASE "[event e]\nat = 1\ncgroup = /b\nmax = 1M\n",
	 "t.ini:7: [event e] cgroup: /b is not defined (add a [cgroup /b] section)"},
	{BASE "[event e]\nat = 1\ncgroup = /\nmemory.max = 1M\n",
	 "t.ini:7: [event e] cgroup: the root has no memory.max"},
	{BASE "[event e]\nat = 1\nenclave = a\n",
	 "t.ini:5: [event e]: nothing to do to enclave a (set action = start or stop, or trim)"},
	{BASE "[event e]\nat = 1\nenclave = a\nmemory.max = 1M\n",
	 "t.ini:8: [event e] memory.max: sets a cgroup's memory.max, and this event names "
	 "enclave a"},
	{BASE "[event e]\nat = 1\nenclave = b\naction = stop\n",
	 "t.ini:7: [event e] enclave: b is not defined (add an [enclave b] section)"},
	{BASE "[event e]\nat = 1\nenclave = a\naction = start\n",
	 "t.ini:8: [event e] action: enclave a starts by itself (give it start = event to have "
	 "an event start it)"},
	{BASE "start = event\n[event e]\nat = 1\nenclave = a\naction = start\n[event f]\n"
	      "at = 2ms\nenclave = a\naction = start\n",
	 "t.ini:13: [event f] action: enclave a is started by [event e] already (t.ini:6)"},
	{BASE "[event e]\nat = 1\nenclave = a\naction = stop\n[event f]\n"
	      "at = 2\nenclave = a\naction = stop\n",
	 "t.ini:12: [event f] action: enclave a is stopped by [event e] already (t.ini:5)"},
	{BASE "start = event\n[event up]\nat = 100k\nenclave = a\naction = start\n"
	      "[event down]\nat = 100k\nenclave = a\naction = stop\n",
	 "t.ini:11: [event down] at: stops enclave a at 100k, not after [event up] starts it at "
	 "100k"},
	{BASE "[cgroup /a]\n[event e]\nat = 1k\ncgroup = /a\nmax = 1M\n[event f]\n"
	      "at = 1000\ncgroup = /a\nmax = 2M\n",
	 "t.ini:11: [event f] at: [event e] (t.ini:6) sets /a's misc.max at the same moment "
	 "(1000): which one holds is ambiguous"},
	{BASE "start = event\nstart-delay = 10\n[event e]\nat = 1\nenclave = a\n"
	      "action = start\n",
	 "t.ini:5: [enclave a] start: event, and start-delay is given too (t.ini:6): one or the "
	 "other"},
	{BASE "start = event\n",
	 "t.ini:5: [enclave a] start: event, but no [event] starts it (one with enclave = a and "
	 "action = start)"},
	/* run */
	{BASE "[run]\nseed = -1\n",
	 "t.ini:6: [run] seed: '-1' is not a number (digits; 0 to 2^64-1)"},
	{BASE "[run]\nmode = fast\n",
	 "t.ini:6: [run] mode: 'fast' (expected deterministic or threads)"},
	{BASE "[run]\nfallback = near\n",
	 "t.ini:6: [run] fallback: 'near' (expected node-order or distance)"},
	{BASE "[run]\npcp-batch = 1025\n",
	 "t.ini:6: [run] pcp-batch: 1025 is out of range (0 to 1024)"},
	{BASE "[run]\ncontents = yes\n", "t.ini:6: [run] contents: 'yes' (expected on or off)"},
	{BASE "[run]\ncycles-ewb = 2G\n",
	 "t.ini:6: [run] cycles-ewb: 2G is out of range (0 to 1000000000)"},
	{BASE "[run]\nclock-ghz = 0\n", "t.ini:6: [run] clock-ghz: 0 is out of range (0.1 to 100)"},
	{BASE "[run]\nclock-ghz = fast\n",
	 "t.ini:6: [run] clock-ghz: 'fast' is not a number (like 3.0; 0.1 to 100)"},
	/* numbers: every bad one names its range, none wraps (issue 15) */
	{BASE "[run]\nclock-ghz = 1e-300\n",
	 "t.ini:6: [run] clock-ghz: 1e-300 is out of range (0.1 to 100)"},
	{BASE "[run]\nclock-ghz = 0.05\n",
	 "t.ini:6: [run] clock-ghz: 0.05 is out of range (0.1 to 100)"},
	{BASE "[run]\nclock-ghz = 1e999\n",
	 "t.ini:6: [run] clock-ghz: 1e999 is out of range (0.1 to 100)"},
	{BASE "[run]\nclock-ghz = 0x1p1\n",
	 "t.ini:6: [run] clock-ghz: '0x1p1' is not a number (like 3.0; 0.1 to 100)"},
	{BASE "[run]\nseed = 18446744073709551616\n",
	 "t.ini:6: [run] seed: 18446744073709551616 is out of range (0 to 2^64-1)"},
	{BASE "[node 0]\ndistances = 10,99999999999999999999999\n",
	 "t.ini:6: [node 0] distances: 99999999999999999999999 is out of range (10 to 255)"},
	{BASE "[cgroup /a]\nmax = 17179869185G\n",
	 "t.ini:6: [cgroup /a] max: 17179869185G is out of range (0 to 2^64-1)"},
	{BASE "[section 1]\nsize = 18014398509481988K\n",
	 "t.ini:6: [section 1] size: 18014398509481988K is out of range (4K to 1T)"},
	{BASE "[section 1]\nsize = 4K\nphys = 0x10000000000000000\n",
	 "t.ini:7: [section 1] phys: 0x10000000000000000 is out of range (0 to "
	 "0xfffffffffffff000)"},
	{BASE "[section 1]\nsize = 8M\nphys = 0xfffffffffff00000\n",
	 "t.ini:7: [section 1] phys: 0xfffffffffff00000 plus its size runs past the end of the "
	 "address space (2^64)"},
	{"[section 0]\nsize = 8M\nphys = 0xffffffffff000000\n[section 1]\nsize = 8M\n[enclave "
	 "a]\nsize = 1M\n",
	 "t.ini:4: [section 1]: no room for it above the sections with a phys (give it a phys)"},
	{BASE "[enclave b]\nsize = 4K\naccesses = 18446744073709551616\n",
	 "t.ini:7: [enclave b] accesses: 18446744073709551616 is out of range (1 to "
	 "1000000000000)"},
	{BASE "[run]\nspeed = 1\n",
	 "t.ini:6: [run]: unknown key 'speed' (seed, mode, fallback, pcp-batch, contents, "
	 "margin-reclaim, numa-reclaim, cycles-access, cycles-fault, cycles-ewb, cycles-eldu, "
	 "cycles-eaug, cycles-trim, clock-ghz)"},
	/* EDMM (issue 19): dynamic, static, trim, cycles-eaug, cycles-trim */
	{BASE "[enclave b]\nsize = 1M\ndynamic = yes\n",
	 "t.ini:7: [enclave b] dynamic: 'yes' (expected on or off)"},
	{BASE "[enclave b]\nsize = 1M\ndynamic = on\nstatic = 5000\n",
	 "t.ini:8: [enclave b] static: 5000 is not a multiple of 4K (0 to 64T)"},
	{BASE "[enclave b]\nsize = 1M\nstatic = 64K\n",
	 "t.ini:7: [enclave b] static: only a dynamic enclave has a static part (set dynamic = "
	 "on, or drop static)"},
	{BASE "[enclave b]\nsize = 1M\ndynamic = on\nstatic = 2M\n",
	 "t.ini:8: [enclave b] static: larger than the enclave's size"},
	{BASE "[event e]\nat = 1k\nenclave = a\ntrim = 1M\n",
	 "t.ini:8: [event e] trim: enclave a is not dynamic (give it dynamic = on: only EAUGed "
	 "pages are trimmed)"},
	{BASE "[event e]\nat = 1k\nenclave = a\ntrim = 100\n",
	 "t.ini:8: [event e] trim: 100 is out of range (4K to 64T)"},
	{BASE "[event e]\nat = 1k\nenclave = a\ntrim = 1M\naction = stop\n",
	 "t.ini:9: [event e] action: an event does one thing, and trim is given at t.ini:8 (make "
	 "another [event])"},
	{BASE "[cgroup /c]\n[event e]\nat = 1k\ncgroup = /c\ntrim = 1M\n",
	 "t.ini:9: [event e] trim: a trim is an enclave's, and this event names cgroup /c"},
	{BASE "[run]\ncycles-eaug = -1\n",
	 "t.ini:6: [run] cycles-eaug: '-1' is not a number (digits, optionally with k, M or G: "
	 "1000, 10k, 2M; 0 to 1000000000)"},
	{BASE "[run]\ncycles-trim = 2G\n",
	 "t.ini:6: [run] cycles-trim: 2G is out of range (0 to 1000000000)"},
};

static void test_sim_parse_errors(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct sim_scenario *s;
		char err[SIM_ERR_LEN];
		int ret;

		CHECK_EQ_AT(sim_scenario_new(&s), 0, i);
		ret = sim_scenario_parse(s, "t.ini", bad_cases[i].text, strlen(bad_cases[i].text),
					 err, sizeof(err));
		if (!ret)
			ret = sim_scenario_finalize(s, err, sizeof(err));
		if (ret != -EINVAL || strcmp(err, bad_cases[i].error)) {
			print_error("case %zu:\n%s\nexpected: %s\ngot (%d):  %s\n", i,
				    bad_cases[i].text, bad_cases[i].error, ret, err);
			failed++;
		}
		sim_scenario_free(s);
	}
	if (failed)
		fail_msg("%d of %zu bad scenarios gave the wrong error", failed,
			 sizeof(bad_cases) / sizeof(bad_cases[0]));
}

static void test_sim_parse_long_line_and_nul(void **state)
{
	char text[400], err[SIM_ERR_LEN], *big;
	struct sim_scenario *s;

	(void)state;
	/* a text past 1 MiB is refused whole, before a line is read */
	big = malloc(SIM_SCENARIO_MAX_BYTES + 1);
	assert_non_null(big);
	memset(big, '\n', SIM_SCENARIO_MAX_BYTES + 1);
	CHECK_ERR(sim_scenario_new(&s), 0, "sim_scenario_new");
	CHECK_ERR(sim_scenario_parse(s, "t.ini", big, SIM_SCENARIO_MAX_BYTES + 1, err, sizeof(err)),
		  -EINVAL, "sim_scenario_parse");
	assert_string_equal(err,
			    "t.ini: more than 1048576 bytes: a scenario file is at most 1 MiB");
	sim_scenario_free(s);
	free(big);

	memset(text, 'x', sizeof(text));
	memcpy(text, "[run]\n; ", 8);
	text[sizeof(text) - 1] = '\n';
	CHECK_ERR(sim_scenario_new(&s), 0, "sim_scenario_new");
	CHECK_ERR(sim_scenario_parse(s, "t.ini", text, sizeof(text), err, sizeof(err)), -EINVAL,
		  "sim_scenario_parse");
	assert_string_equal(err, "t.ini:2: line longer than 198 characters");
	sim_scenario_free(s);

	CHECK_ERR(sim_scenario_new(&s), 0, "sim_scenario_new");
	CHECK_ERR(sim_scenario_parse(s, "t.ini", "[run]\nseed = 1\0\n", 15, err, sizeof(err)),
		  -EINVAL, "sim_scenario_parse");
	assert_string_equal(err, "t.ini:2: a NUL byte: not a text file");
	sim_scenario_free(s);
}

static void test_sim_parse_values(void **state)
{
	uint64_t v;
	int *cpus, n;

	(void)state;
	assert_int_equal(sim_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(sim_parse_size("64M", &v), 0);
	assert_int_equal(v, 64ULL << 20);
	assert_int_equal(sim_parse_size("2g", &v), 0);
	assert_int_equal(v, 2ULL << 30);
	assert_int_equal(sim_parse_size("1T", &v), 0);
	assert_int_equal(v, 1ULL << 40);
	CHECK_ERR(sim_parse_size("16777216T", &v), -ERANGE, "sim_parse_size");
	CHECK_ERR(sim_parse_size("1.5G", &v), -EINVAL, "sim_parse_size");
	CHECK_ERR(sim_parse_size(" 1G", &v), -EINVAL, "sim_parse_size");
	CHECK_ERR(sim_parse_size("1MB", &v), -EINVAL, "sim_parse_size");
	CHECK_ERR(sim_parse_size("", &v), -EINVAL, "sim_parse_size");
	assert_int_equal(sim_parse_count("10k", &v), 0);
	assert_int_equal(v, 10000);
	assert_int_equal(sim_parse_count("2M", &v), 0);
	assert_int_equal(v, 2000000);
	assert_int_equal(sim_parse_count("18446744073709551615", &v), 0);
	CHECK(v == UINT64_MAX, "2^64 - 1 is the largest count");
	CHECK_ERR(sim_parse_count("18446744073709551616", &v), -ERANGE, "sim_parse_count");
	assert_int_equal(sim_parse_cpu_list("8,0-3", 16, &cpus, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(cpus[0], 0);
	assert_int_equal(cpus[3], 3);
	assert_int_equal(cpus[4], 8);
	free(cpus);
	CHECK_ERR(sim_parse_cpu_list("0-", 16, &cpus, &n), -EINVAL, "sim_parse_cpu_list");
	CHECK_ERR(sim_parse_cpu_list("0,,1", 16, &cpus, &n), -EINVAL, "sim_parse_cpu_list");
	CHECK_ERR(sim_parse_cpu_list("16", 16, &cpus, &n), -ERANGE, "sim_parse_cpu_list");
	CHECK_ERR(sim_parse_cpu_list("3-1", 16, &cpus, &n), -EDOM, "sim_parse_cpu_list");
	CHECK_ERR(sim_parse_cpu_list("99999999999999999999", 16, &cpus, &n), -ERANGE,
		  "sim_parse_cpu_list");
}

/* value.h: the checked forms and their one message shape, the tools' too. */
static void test_sim_parse_checked_values(void **state)
{
	char err[SIM_VALUE_ERR_LEN], big[80];
	uint64_t v = 7;
	double d;

	(void)state;
	/* sizes that used to wrap in `epcmm daemon --epc` */
	CHECK_ERR(sim_value_size("--epc", "18014398509481988K", 4096, 1ULL << 40, 4096, &v, err,
				 sizeof(err)),
		  -EINVAL, "sim_value_size");
	assert_string_equal(err, "--epc: 18014398509481988K is out of range (4K to 1T)");
	assert_int_equal(v, 7); /* untouched */
	CHECK_ERR(sim_value_size("--epc", "17179869185G", 4096, 1ULL << 40, 4096, &v, err,
				 sizeof(err)),
		  -EINVAL, "sim_value_size");
	assert_string_equal(err, "--epc: 17179869185G is out of range (4K to 1T)");
	CHECK_ERR(sim_value_size("--epc", "64MiB", 4096, 1ULL << 40, 4096, &v, err, sizeof(err)),
		  -EINVAL, "sim_value_size");
	assert_string_equal(err, "--epc: '64MiB' is not a size (bytes, or with K, M, G, T: 4096, "
				 "64M, 2G; 4K to 1T)");
	CHECK_ERR(sim_value_size("--epc", "6000", 4096, 1ULL << 40, 4096, &v, err, sizeof(err)),
		  -EINVAL, "sim_value_size");
	assert_string_equal(err, "--epc: 6000 is not a multiple of 4K (4K to 1T)");
	assert_int_equal(
		sim_value_size("--epc", "64m", 4096, 1ULL << 40, 4096, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 64ULL << 20);
	assert_int_equal(sim_value_count("-n", "2M", 0, UINT64_MAX, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 2000000);
	CHECK_ERR(sim_value_uint("--nodes", "1x", 1, 64, &v, err, sizeof(err)), -EINVAL,
		  "sim_value_uint");
	assert_string_equal(err, "--nodes: '1x' is not a number (digits; 1 to 64)");
	CHECK_ERR(sim_value_uint("--nodes", "65", 1, 64, &v, err, sizeof(err)), -EINVAL,
		  "sim_value_uint");
	assert_string_equal(err, "--nodes: 65 is out of range (1 to 64)");
	/* a long bad text is quoted in part */
	memset(big, '9', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_ERR(sim_value_uint("--x", big, 0, UINT64_MAX, &v, err, sizeof(err)), -EINVAL,
		  "sim_value_uint");
	assert_string_equal(err, "--x: 9999999999999999999999999999999999999999... is out of range "
				 "(0 to 2^64-1)");
	/* size lists (--epc, epcmm.conf's epc): each entry a checked size */
	{
		uint64_t l[3] = {7, 7, 7};

		assert_int_equal(sim_value_size_list("--epc", "64M, 8K", 4096, 1ULL << 40, 4096, l,
						     3, err, sizeof(err)),
				 2);
		CHECK(l[0] == 64ULL << 20 && l[1] == 8192 && l[2] == 7,
		      check_fmt("the list in order: %llu, %llu, %llu", (unsigned long long)l[0],
				(unsigned long long)l[1], (unsigned long long)l[2]));
		CHECK_ERR(sim_value_size_list("--epc", "64M,17179869185G", 4096, 1ULL << 40, 4096,
					      l, 3, err, sizeof(err)),
			  -EINVAL, "sim_value_size_list");
		assert_string_equal(err, "--epc: 17179869185G is out of range (4K to 1T)");
		CHECK_ERR(sim_value_size_list("--epc", "64M,,8K", 4096, 1ULL << 40, 4096, l, 3, err,
					      sizeof(err)),
			  -EINVAL, "sim_value_size_list");
		assert_string_equal(err, "--epc: '' is not a size (bytes, or with K, M, G, T: "
					 "4096, 64M, 2G; 4K to 1T)");
		CHECK_ERR(sim_value_size_list("--epc", "", 4096, 1ULL << 40, 4096, l, 3, err,
					      sizeof(err)),
			  -EINVAL, "sim_value_size_list");
		CHECK_ERR(sim_value_size_list("--epc", "64M,", 4096, 1ULL << 40, 4096, l, 3, err,
					      sizeof(err)),
			  -EINVAL, "sim_value_size_list");
		CHECK_ERR(sim_value_size_list("--epc", "-4K", 4096, 1ULL << 40, 4096, l, 3, err,
					      sizeof(err)),
			  -EINVAL, "sim_value_size_list");
		assert_string_equal(err, "--epc: '-4K' is not a size (bytes, or with K, M, G, T: "
					 "4096, 64M, 2G; 4K to 1T)");
		CHECK_ERR(sim_value_size_list("--epc", "0", 4096, 1ULL << 40, 4096, l, 3, err,
					      sizeof(err)),
			  -EINVAL, "sim_value_size_list");
		assert_string_equal(err, "--epc: 0 is out of range (4K to 1T)");
		CHECK_ERR(sim_value_size_list("--epc", "64Mb", 4096, 1ULL << 40, 4096, l, 3, err,
					      sizeof(err)),
			  -EINVAL, "sim_value_size_list");
		CHECK_ERR(sim_value_size_list("--epc", "4K,4K,4K,4K", 4096, 1ULL << 40, 4096, l, 3,
					      err, sizeof(err)),
			  -EINVAL, "sim_value_size_list");
		assert_string_equal(err, "--epc 4K,4K,4K,4K: more than 3 sizes");
	}
	/* decimals */
	assert_int_equal(sim_parse_decimal("2.5e3", &d), 0);
	CHECK(d == 2500, check_fmt("2.5e3 is 2500, got %g", d));
	CHECK_ERR(sim_parse_decimal("1.", &d), -EINVAL, "sim_parse_decimal");
	CHECK_ERR(sim_parse_decimal(".5", &d), -EINVAL, "sim_parse_decimal");
	CHECK_ERR(sim_parse_decimal("1e", &d), -EINVAL, "sim_parse_decimal");
	CHECK_ERR(sim_parse_decimal("-1", &d), -EINVAL, "sim_parse_decimal");
	CHECK_ERR(sim_parse_decimal("nan", &d), -EINVAL, "sim_parse_decimal");
	CHECK_ERR(sim_value_decimal("--target", "101", 0, false, 100, "a percentage", &d, err,
				    sizeof(err)),
		  -EINVAL, "sim_value_decimal");
	assert_string_equal(err, "--target: 101 is out of range (0 to 100)");
	CHECK_ERR(sim_value_decimal("z", "0", 0, true, 10, "like 0.99", &d, err, sizeof(err)),
		  -EINVAL, "sim_value_decimal");
	assert_string_equal(err, "z: 0 is out of range (above 0, at most 10)");
	/* the size formatter picks the largest exact suffix */
	sim_value_fmt_size(big, sizeof(big), 0);
	assert_string_equal(big, "0");
	sim_value_fmt_size(big, sizeof(big), 4096);
	assert_string_equal(big, "4K");
	sim_value_fmt_size(big, sizeof(big), 5000);
	assert_string_equal(big, "5000");
	sim_value_fmt_size(big, sizeof(big), 1ULL << 46);
	assert_string_equal(big, "64T");
	sim_value_fmt_size(big, sizeof(big), UINT64_MAX);
	assert_string_equal(big, "2^64-1");
}

static struct sim_scenario *parse_ok(const char *const *files, int nr)
{
	struct sim_scenario *s;
	char err[SIM_ERR_LEN], name[16];

	CHECK_ERR(sim_scenario_new(&s), 0, "sim_scenario_new");
	for (int i = 0; i < nr; i++) {
		snprintf(name, sizeof(name), "f%d.ini", i);
		if (sim_scenario_parse(s, name, files[i], strlen(files[i]), err, sizeof(err)))
			fail_msg("parse: %s", err);
	}
	if (sim_scenario_finalize(s, err, sizeof(err)))
		fail_msg("finalize: %s", err);
	return s;
}

/* [global] fills what an enclave leaves out; later files add and override. */
static void test_sim_parse_global_and_files(void **state)
{
	static const char *const files[] = {
		"[node 0]\ncpus = 0-1\n[node 1]\ncpus = 2-3\n"
		"[section 0]\nsize = 8M\n[section 1]\nnode = 1\nsize = 8M\n"
		"[cgroup /a/b]\nmax = 4M\n"
		"[global]\nsize = 2M\nthreads = 2\npattern = zipf:0.5 ; a comment\n"
		"[enclave x]\ncgroup = /a/b\n[enclave y]\nsize = 1M\npattern = sequential\n",
		"# the second file\n[enclave x]\naccesses = 5k # a comment\n[cgroup /a/b]\n"
		"max = max\t; another\n"
		"[run]\nseed = 7\nmode = threads\n",
	};
	struct sim_scenario *s = parse_ok(files, 2);
	const struct sim_cgroup *cg;

	(void)state;
	assert_int_equal(s->nr_nodes, 2);
	assert_int_equal(s->nr_cpus, 4);
	assert_int_equal(s->cpu_to_node[3], 1);
	assert_int_equal(s->nr_sections, 2);
	assert_int_equal(s->sections[1].node, 1);
	CHECK(s->sections[0].phys + s->sections[0].size <= s->sections[1].phys,
	      "section 1 is placed above section 0");
	assert_int_equal(s->nr_cgroups, 3); /* /, /a (made for /a/b), /a/b */
	assert_string_equal(s->cgroups[0].path, "/");
	assert_string_equal(s->cgroups[1].path, "/a");
	CHECK(s->cgroups[1].implicit, "/a is made as /a/b's parent");
	cg = sim_scenario_cgroup(s, "/a/b");
	assert_non_null(cg);
	CHECK(cg->max == SIM_UNLIMITED, "the second file overrode 4M");
	assert_int_equal(s->nr_enclaves, 2);
	assert_string_equal(s->enclaves[0].cgroup, "/a/b");
	assert_int_equal(s->enclaves[0].size, 2 << 20);
	assert_int_equal(s->enclaves[0].threads, 2);
	assert_int_equal(s->enclaves[0].pattern.kind, SIM_PATTERN_ZIPF);
	CHECK(s->enclaves[0].pattern.theta == 0.5,
	      check_fmt("zipf:0.5 from the later file, got %g", s->enclaves[0].pattern.theta));
	assert_int_equal(s->enclaves[0].accesses, 5000);
	assert_int_equal(s->enclaves[1].size, 1 << 20);
	assert_int_equal(s->enclaves[1].pattern.kind, SIM_PATTERN_SEQUENTIAL);
	assert_string_equal(s->enclaves[1].cgroup, "/");
	assert_int_equal(s->run.seed, 7);
	assert_int_equal(s->run.mode, SIM_MODE_THREADS);
	assert_string_equal(s->title, "f0.ini + f1.ini");
	sim_scenario_free(s);
}

/* A relative trace path is read from the scenario file's directory. */
static void test_sim_parse_trace_path(void **state)
{
	struct sim_scenario *s;
	char err[SIM_ERR_LEN];
	const char *t = "[section 0]\nsize = 8M\n[enclave a]\npattern = trace:traces/x.trace\n";

	(void)state;
	CHECK_ERR(sim_scenario_new(&s), 0, "sim_scenario_new");
	CHECK_ERR(sim_scenario_parse(s, "dir/sub/t.ini", t, strlen(t), err, sizeof(err)), 0,
		  "sim_scenario_parse");
	CHECK_ERR(sim_scenario_finalize(s, err, sizeof(err)), 0, "sim_scenario_finalize");
	assert_string_equal(s->enclaves[0].pattern.trace_path, "dir/sub/traces/x.trace");
	assert_int_equal(s->enclaves[0].size, 0); /* sized from the trace at run time */
	sim_scenario_free(s);
}

/* A compact trace of one run of @run accesses to one page, at @path. */
static void write_one_run(const char *path, uint64_t run)
{
	unsigned char b[64] = "\x89"
			      "EPCTRC\n";
	uint64_t fields[4] = {run, 1, 1, 0}; /* records, pages, entries, writes */
	size_t n = 48;
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	b[8] = 1;   /* version */
	b[12] = 12; /* page shift */
	for (int i = 0; i < 4; i++)
		for (int k = 0; k < 8; k++)
			b[16 + 8 * i + k] = (unsigned char)(fields[i] >> (8 * k));
	b[n++] = 1; /* page 0, a run */
	for (run -= 2; run >= 0x80; run >>= 7)
		b[n++] = (unsigned char)(run | 0x80);
	b[n++] = (unsigned char)run;
	assert_int_equal(fwrite(b, 1, n, f), n);
	fclose(f);
}

/* Parse, finalize and check the traces of @text; the error or "". */
static int check_text(const char *text, char err[SIM_ERR_LEN])
{
	struct sim_scenario *s;
	int ret;

	CHECK_ERR(sim_scenario_new(&s), 0, "sim_scenario_new");
	ret = sim_scenario_parse(s, "t.ini", text, strlen(text), err, SIM_ERR_LEN);
	if (!ret)
		ret = sim_scenario_finalize(s, err, SIM_ERR_LEN);
	if (!ret)
		ret = sim_scenario_check_traces(s, err, SIM_ERR_LEN);
	sim_scenario_free(s);
	return ret;
}

/*
 * An enclave makes at most 10^12 accesses, from a trace too: each thread
 * replays the trace whole, and records x threads wrapped (2^62 x 4 = 0).
 * And the cost model's 64-bit cycle count cannot overflow.
 */
static void test_sim_parse_trace_and_cost_caps(void **state)
{
	char path[64], text[512], err[SIM_ERR_LEN];

	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_sim_parse-%ld.trace", (long)getpid());
	write_one_run(path, 300000000000ull);
	snprintf(text, sizeof(text),
		 "[section 0]\nsize = 8M\n[enclave a]\nthreads = 4\npattern = trace:%s\n", path);
	CHECK_ERR(check_text(text, err), -EINVAL, "check_text");
	assert_string_equal(err, "t.ini:5: [enclave a] pattern: 4 threads each replaying the "
				 "trace's 300000000000 accesses make more than 1000000000000; set "
				 "accesses (1 to 1000000000000) or fewer threads");
	snprintf(text, sizeof(text),
		 "[section 0]\nsize = 8M\n[enclave a]\nthreads = 3\npattern = trace:%s\n", path);
	assert_int_equal(check_text(text, err), 0); /* 9 x 10^11: within */
	snprintf(text, sizeof(text),
		 "[section 0]\nsize = 8M\n[enclave a]\nthreads = 4\naccesses = 1M\n"
		 "pattern = trace:%s\n",
		 path);
	assert_int_equal(check_text(text, err), 0); /* accesses given: no product */
	unlink(path);

	CHECK_ERR(check_text("[section 0]\nsize = 8M\n[enclave a]\nsize = 1M\n"
			     "accesses = 1000000000000\n[run]\ncycles-ewb = 1000000000\n",
			     err),
		  -EINVAL, "check_text");
	assert_string_equal(err, "t.ini: the cost model could count more than 2^63 cycles: "
				 "1000000000000 accesses in all, each up to 2000040200 cycles "
				 "(cycles-access + cycles-fault + 2 x (cycles-ewb + cycles-eldu)); "
				 "make fewer accesses or lower the cycles");
	assert_int_equal(check_text("[section 0]\nsize = 8M\n[enclave a]\nsize = 1M\n"
				    "accesses = 1000000000000\n",
				    err),
			 0); /* the default costs: 7 x 10^16 cycles at most */
}

/* At most SIM_MAX_EVENTS events: the next header is refused, on its line. */
static void test_sim_parse_too_many_events(void **state)
{
	size_t cap = (SIM_MAX_EVENTS + 1) * 32 + sizeof(BASE), len = 0;
	char *text = malloc(cap), err[SIM_ERR_LEN], want[128];
	struct sim_scenario *s;

	(void)state;
	assert_non_null(text);
	len += (size_t)snprintf(text, cap, "%s", BASE);
	for (int i = 0; i <= SIM_MAX_EVENTS; i++)
		len += (size_t)snprintf(text + len, cap - len, "[event e%d]\n", i);
	CHECK_ERR(sim_scenario_new(&s), 0, "sim_scenario_new");
	if (sim_scenario_parse(s, "t.ini", text, len, err, sizeof(err)) != -EINVAL)
		fail_msg("%d events are refused", SIM_MAX_EVENTS + 1);
	snprintf(want, sizeof(want), "t.ini:%d: too many events (at most %d)", 5 + SIM_MAX_EVENTS,
		 SIM_MAX_EVENTS);
	if (strcmp(err, want))
		fail_msg("expected '%s', got '%s'", want, err);
	sim_scenario_free(s);
	free(text);
}

static void test_sim_parse_default(void **state)
{
	struct sim_scenario *s;
	char err[SIM_ERR_LEN];

	(void)state;
	if (sim_scenario_default(&s, err, sizeof(err)))
		fail_msg("the built-in scenario: %s", err);
	assert_string_equal(s->title, "built-in default scenario");
	assert_int_equal(s->nr_nodes, 2);
	CHECK(s->nr_enclaves >= 3,
	      check_fmt("the default has 3 enclaves or more: %d", s->nr_enclaves));
	sim_scenario_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_parse_errors),
		cmocka_unit_test(test_sim_parse_long_line_and_nul),
		cmocka_unit_test(test_sim_parse_values),
		cmocka_unit_test(test_sim_parse_checked_values),
		cmocka_unit_test(test_sim_parse_global_and_files),
		cmocka_unit_test(test_sim_parse_trace_path),
		cmocka_unit_test(test_sim_parse_trace_and_cost_caps),
		cmocka_unit_test(test_sim_parse_too_many_events),
		cmocka_unit_test(test_sim_parse_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
