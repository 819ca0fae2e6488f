#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The reclaimer's rules replayed by hand for test_stats_cgroup_limit_two_sequential_passes:
# an enclave of N pages in a cgroup limited to M pages, MANUAL mode, EADD of every page,
# then two sequential passes of one-page reads. Batches of 16 from the LRU head; an
# accessed page is aged (bit cleared, back to the tail), the rest evicted; a refused
# charge runs one round and retries. Prints the numbers the test asserts.
N, M = 64, 40
lru = []            # page numbers, head first
acc = {}            # accessed bit
resident = set()
usage = 2           # VA page + SECS
ev = rel = faults = rounds_sync = rounds_async = 0
queued = False; nq = 0

def batch():
    global usage, ev
    iso = lru[:16]; del lru[:16]
    freed = 0
    for p in iso:
        if acc.get(p):
            acc[p] = 0; lru.append(p)
        else:
            resident.discard(p); usage -= 1; ev += 1; freed += 1
    return len(iso), freed

def round_(sync):
    global rounds_sync, rounds_async
    if sync: rounds_sync += 1
    else: rounds_async += 1
    return batch()

# EADD with reclaim
for i in range(N):
    while usage + 1 > M:
        round_(True)
    usage += 1; resident.add(i); lru.append(i); acc[i] = 0
# two sequential passes, one page per access
for _ in range(2):
    for i in range(N):
        if i not in resident:
            faults += 1
            while usage + 1 > M:
                if not queued: queued = True; nq += 1
                round_(True)
            usage += 1; resident.add(i); lru.append(i); rel += 1
        acc[i] = 1
print("after passes: evicted", ev, "reloaded", rel, "faults", faults, "sync rounds", rounds_sync,
      "queued", nq, "usage", usage, "resident", len(resident), "lru", len(lru))
# epc_run_background: the cgroup's work
while usage >= M and lru:
    round_(False)
print("after work: evicted", ev, "async rounds", rounds_async, "usage", usage, "resident", len(resident))
