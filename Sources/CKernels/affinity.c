// The CPUs a thread may run on (Linux affinity), for the worker pool: when its threads fill every
// CPU the process may use, each runs a parallel loop on a CPU of its own (WorkerPool.swift).
#define _GNU_SOURCE
#include "affinity.h"
#include <sched.h>

int curvature_allowed_cpus(int *cpus, int capacity) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
    int count = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &set)) continue;
        if (count == capacity) return 0;  // more than the caller can hold: say none
        cpus[count++] = cpu;
    }
    return count;
}

int curvature_run_on_cpus(const int *cpus, int count) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int i = 0; i < count; i++) CPU_SET(cpus[i], &set);
    return sched_setaffinity(0, sizeof set, &set);
}

int curvature_current_cpu(void) { return sched_getcpu(); }
