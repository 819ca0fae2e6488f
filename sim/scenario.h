/* SPDX-License-Identifier: MIT */
/*
 * scenario.h - scenario files: the machine, the cgroup tree, the enclaves and
 * how to run them (epcmm-scenario(5) is the user's reference).
 *
 * A scenario is one or more INI files (libinih) read in order into one
 * struct sim_scenario. Sections: [node N], [section N], [cgroup /path],
 * [enclave NAME], [global] (defaults for every enclave), [event NAME] (a
 * what-if during the run: a limit set, an enclave started or stopped) and
 * [run].
 *
 * Several files (as fio takes several job files): a section named in a later
 * file adds to the same section of an earlier file, and a key it sets
 * overrides the earlier value. Within one file a key may be given once per
 * section. [global] keys fill in every enclave key that the enclave itself
 * does not set, whichever file either came from; the built-in defaults fill
 * in the rest.
 *
 * Every error is one line "FILE:LINE: what is wrong" (LINE of the key or
 * section header concerned); unknown sections and keys are errors, values out
 * of range are errors, nothing is clamped. Numbers follow value.h: sizes take
 * binary suffixes (4096, 64K, 64M, 2G, 1T), counts decimal ones (1000, 10k,
 * 2M, 1G), and every key's message names its range.
 *
 * No global state: a scenario is a plain value, read-only once finalized, so
 * several runs (a sweep's threads) may share one.
 */
#ifndef EPCMM_SIM_SCENARIO_H
#define EPCMM_SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "epcmm.h"
#include "value.h"

#define SIM_ERR_LEN	       512
#define SIM_SCENARIO_MAX_BYTES (1u << 20) /* one file: 1 MiB, read no further */
#define SIM_NAME_MAX	       32	  /* enclave names: [A-Za-z0-9._-]{1,31} */
#define SIM_MAX_THREADS	       256
#define SIM_MAX_ACCESSES       1000000000000ULL /* 10^12 per enclave */
#define SIM_MAX_CGROUPS	       1024
#define SIM_MAX_ENCLAVES       1024
#define SIM_ZIPF_THETA_MAX     10.0
#define SIM_MAX_COST_CYCLES    1000000000ULL
#define SIM_MIN_CLOCK_GHZ      0.1
#define SIM_MAX_CLOCK_GHZ      100.0
#define SIM_MAX_SECTION_BYTES  (1ULL << 40) /* one EPC section, here and in the tool's --epc */
#define SIM_UNLIMITED	       UINT64_MAX   /* a cgroup max of "max" */
#define SIM_MAX_EVENTS	       1024
#define SIM_MAX_EVENT_SECONDS  1e6 /* an event's modelled time: at most 10^6 s */

/* Where a value came from, for errors: file name (owned by the scenario) and line. */
struct sim_loc {
	const char *file;
	unsigned line;
};

struct sim_node {
	int id;
	struct sim_loc loc; /* the [node N] header */
	int *cpus;	    /* its CPU list, sorted, NULL when not given */
	int nr_cpus;
	struct sim_loc cpus_loc;
	uint8_t distances[EPC_MAX_NODES];
	int nr_distances; /* 0: not given */
	struct sim_loc distances_loc;
};

struct sim_section {
	int id;
	struct sim_loc loc;
	int node; /* default 0 */
	struct sim_loc node_loc;
	uint64_t size; /* required */
	struct sim_loc size_loc;
	uint64_t phys; /* valid when has_phys */
	bool has_phys;
	struct sim_loc phys_loc;
};

struct sim_cgroup {
	char *path;
	struct sim_loc loc; /* header; line 0 for a parent made implicitly */
	uint64_t max;	    /* bytes, SIM_UNLIMITED for "max" */
	struct sim_loc max_loc;
	uint64_t memory_max; /* bytes, SIM_UNLIMITED for "max" (memory.max) */
	struct sim_loc memory_max_loc;
	bool implicit; /* created because a child names it */
};

enum sim_pattern_kind {
	SIM_PATTERN_UNIFORM,
	SIM_PATTERN_SEQUENTIAL,
	SIM_PATTERN_ZIPF,
	SIM_PATTERN_WORKING_SET,
	SIM_PATTERN_TRACE,
};

struct sim_pattern {
	enum sim_pattern_kind kind;
	double theta;	   /* zipf */
	uint64_t ws_bytes; /* working-set */
	char *trace_path;  /* trace: resolved against the scenario file's directory */
};

/* Which enclave keys were set, for [global] inheritance. */
enum sim_encl_key {
	SIM_EK_CGROUP,
	SIM_EK_SIZE,
	SIM_EK_THREADS,
	SIM_EK_CPUS,
	SIM_EK_PATTERN,
	SIM_EK_ACCESSES,
	SIM_EK_WRITES,
	SIM_EK_START_DELAY,
	SIM_EK_START,
	SIM_EK_DYNAMIC,
	SIM_EK_STATIC,
	SIM_EK_NR
};

struct sim_enclave {
	char name[SIM_NAME_MAX];
	struct sim_loc loc;
	char *cgroup;	  /* default "/" */
	uint64_t size;	  /* bytes; required unless the pattern is a trace */
	unsigned threads; /* 1..SIM_MAX_THREADS, default 1 */
	int *cpus;	  /* NULL: every CPU */
	int nr_cpus;
	struct sim_pattern pattern; /* default uniform */
	uint64_t accesses;	    /* in total over its threads, default 1,000,000 */
	unsigned writes;	    /* percent, default 0 */
	uint64_t start_delay;	    /* start once the machine made this many accesses */
	bool start_event;	    /* start = event: only an [event] starts it */
	/* dynamic = on (EDMM): only the first static_size bytes are EADDed at
	 * build; the rest is declared dynamic, each page EAUGed (and EACCEPTed)
	 * at its first touch and again after a trim removed it */
	bool dynamic;
	uint64_t static_size; /* bytes, page-aligned, at most size; default 0 */
	unsigned set;	      /* bits of enum sim_encl_key given */
	struct sim_loc key_loc[SIM_EK_NR];
	/* a trace pattern's file, read by sim_scenario_check_traces() */
	bool trace_checked;
	uint64_t trace_pages, trace_records;
};

/*
 * [event NAME]: at a moment of the run, one action. The moment is an access
 * count of the whole machine (the deterministic engine cuts its quanta
 * there, so it fires at exactly that count) or a modelled time (fired at
 * the first check at or past it: the end of a quantum, or a sample of the
 * threads mode's sampling thread).
 */
enum sim_event_clock {
	SIM_AT_ACCESSES,
	SIM_AT_SECONDS,
};

enum sim_event_action {
	SIM_EVENT_NONE,	      /* not given (yet) */
	SIM_EVENT_MISC_MAX,   /* write the cgroup's misc.max */
	SIM_EVENT_MEMORY_MAX, /* write the cgroup's memory.max */
	SIM_EVENT_START,      /* start an enclave with start = event */
	SIM_EVENT_STOP,	      /* stop an enclave: its threads end, it is destroyed */
	SIM_EVENT_TRIM,	      /* trim a dynamic enclave's heap by value bytes (EDMM) */
};

struct sim_event {
	char name[SIM_NAME_MAX];
	struct sim_loc loc; /* its header */
	bool has_at;
	enum sim_event_clock clock;
	uint64_t at;	   /* SIM_AT_ACCESSES */
	double at_seconds; /* SIM_AT_SECONDS */
	char at_text[32];  /* as written, for the report */
	struct sim_loc at_loc;
	char *cgroup; /* the target: a cgroup path or an enclave name (one of them) */
	struct sim_loc cgroup_loc;
	char *enclave;
	struct sim_loc enclave_loc;
	enum sim_event_action action; /* max/memory.max (a cgroup's) or action (an enclave's) */
	struct sim_loc action_loc;
	uint64_t value; /* bytes, SIM_UNLIMITED for "max"; a trim's bytes */
	/* derived by sim_scenario_finalize(): the cgroup's or enclave's index */
	int target;
};

enum sim_mode {
	SIM_MODE_DETERMINISTIC,
	SIM_MODE_THREADS,
};

/*
 * The cost model: what a run would take on SGX hardware. Defaults and their
 * sources are in epcmm-scenario(5) (COST MODEL).
 */
struct sim_cost {
	uint64_t access; /* cycles per access to a resident page */
	uint64_t fault;	 /* cycles per fault: AEX, kernel entry, ERESUME */
	uint64_t ewb;	 /* cycles per page written back (EBLOCK, ETRACK, EWB) */
	uint64_t eldu;	 /* cycles per page loaded back */
	uint64_t eaug;	 /* EDMM: cycles per page EAUGed on a fault and EACCEPTed */
	uint64_t trim;	 /* EDMM: cycles per page trimmed, EACCEPTed and removed */
	double clock_ghz;
};

#define SIM_COST_ACCESS	   200
#define SIM_COST_FAULT	   10000
#define SIM_COST_EWB	   15000
#define SIM_COST_ELDU	   15000
#define SIM_COST_EAUG	   30000
#define SIM_COST_TRIM	   25000
#define SIM_COST_CLOCK_GHZ 3.0

struct sim_run_opts {
	uint64_t seed; /* default 1 */
	enum sim_mode mode;
	enum epc_fallback fallback;
	unsigned pcp_batch;
	bool contents; /* page bytes and AES-GCM sealing (slower); default off */
	/* the post-charge background-reclaim trigger (epc_config.margin_reclaim);
	 * default off, as v17 runs */
	bool margin_reclaim;
	/* NUMA-aware reclaim (epc_config.numa_reclaim); default off, the
	 * kernel's node-blind reclaim */
	bool numa_reclaim;
	struct sim_cost cost;
};

struct sim_scenario {
	char *title;  /* what the report's first line names */
	char **files; /* the file names, owned */
	int nr_files;
	struct sim_node *nodes; /* sorted by id, 0..nr_nodes-1 once finalized */
	int nr_nodes;
	struct sim_section *sections; /* sorted by id */
	int nr_sections;
	struct sim_cgroup *cgroups; /* pre-order (parents first, siblings by name) once finalized */
	int nr_cgroups;
	struct sim_enclave *enclaves; /* in the order first named */
	int nr_enclaves;
	struct sim_enclave global;
	struct sim_event *events; /* in the order first named */
	int nr_events;
	struct sim_run_opts run;
	/* derived by sim_scenario_finalize() */
	int nr_cpus;
	int *cpu_to_node;
	uint8_t *distance; /* nr_nodes^2, NULL for the library's default */
};

/* An empty scenario with the built-in defaults. Return: 0; -ENOMEM. */
int sim_scenario_new(struct sim_scenario **out);
void sim_scenario_free(struct sim_scenario *s);

/*
 * Add one file's text to @s. @name is used in errors and to resolve relative
 * trace paths. A text longer than SIM_SCENARIO_MAX_BYTES is refused whole.
 * Return: 0; -EINVAL with "NAME:LINE: ..." in @err; -ENOMEM. After an error
 * @s must only be freed.
 */
int sim_scenario_parse(struct sim_scenario *s, const char *name, const char *text, size_t len,
		       char *err, size_t errlen);
/* Read the file at @path ("-": standard input, named "<stdin>" in errors,
 * relative traces read from the current directory) and parse it. At most
 * SIM_SCENARIO_MAX_BYTES are read: a longer file, a pipe or a device that
 * goes on (/dev/zero) is refused there, not read to its end.
 * Return: as above; -errno when unreadable. */
int sim_scenario_parse_file(struct sim_scenario *s, const char *path, char *err, size_t errlen);

/*
 * Check the cross references and derive the machine: nodes 0..n-1, CPUs,
 * sections, implicit parent cgroups, [global] into every enclave.
 * Return: 0; -EINVAL with "FILE:LINE: ..." in @err; -ENOMEM.
 */
int sim_scenario_finalize(struct sim_scenario *s, char *err, size_t errlen);

/*
 * Read every trace pattern's file once a scenario is finalized
 * (sim_enclave_check_trace()): a missing, unreadable, corrupt or empty
 * trace, a size smaller than the pages the trace touches, or more accesses
 * than an enclave may make, is a scenario error found before anything runs.
 * The pages and records are kept in the enclave (a run does not read the
 * file again to size it). Then, with every enclave's accesses known, the
 * cost model's bound (sim_scenario_check_cost()). Return: 0; -EINVAL with
 * "FILE:LINE: [enclave X] ..." in @err; -ENOMEM.
 */
int sim_scenario_check_traces(struct sim_scenario *s, char *err, size_t errlen);

/*
 * sim_enclave_check_trace() - read @e's trace (a trace pattern) into *@pages
 * and *@records and check it against @e: its size, when given, holds the
 * pages, and without an accesses key its threads' replays (each the whole
 * trace) make at most SIM_MAX_ACCESSES. Return: as
 * sim_scenario_check_traces().
 */
int sim_enclave_check_trace(const struct sim_enclave *e, uint64_t *pages, uint64_t *records,
			    char *err, size_t errlen);
/* The accesses @e makes in all: its accesses key, or with a trace and no
 * key, every thread replaying the trace's @trace_records once. */
uint64_t sim_enclave_accesses(const struct sim_enclave *e, uint64_t trace_records);

/*
 * sim_scenario_check_cost() - the cost model counts cycles in 64 bits: the
 * run's @accesses (all enclaves'), each at its dearest (a fault, two ELDUs
 * and two EWBs: its page's and its SECS's), and every EPC and enclave page
 * (@encl_pages) written back and loaded once more, must stay below 2^63.
 * Return: 0; -EINVAL with "FILE: ..." in @err.
 */
int sim_scenario_check_cost(const struct sim_scenario *s, uint64_t accesses, uint64_t encl_pages,
			    char *err, size_t errlen);

/* The built-in default scenario's text (scenarios/default.ini holds the same). */
extern const char sim_default_scenario[];
/* Parse and finalize the built-in default. */
int sim_scenario_default(struct sim_scenario **out, char *err, size_t errlen);

/* Look a cgroup / enclave up by path / name. NULL if absent. */
const struct sim_cgroup *sim_scenario_cgroup(const struct sim_scenario *s, const char *path);

#endif
