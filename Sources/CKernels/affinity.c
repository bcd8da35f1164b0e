// The CPUs a thread may run on (Linux affinity), for the worker pool: when its threads fill every
// CPU the caller may use, each helper runs a parallel loop on a CPU the caller is not on
// (WorkerPool.swift).
// Elsewhere a mask cannot be read, so nothing is pinned.
#define _GNU_SOURCE
#include "affinity.h"
#include <string.h>
#if defined(__linux__)
#include <sched.h>

_Static_assert(sizeof(cpu_set_t) <= sizeof(curvature_cpu_mask), "curvature_cpu_mask holds a cpu_set_t");

int curvature_get_cpu_mask(curvature_cpu_mask *mask) {
    memset(mask, 0, sizeof *mask);
    return sched_getaffinity(0, sizeof(cpu_set_t), (cpu_set_t *)mask);
}

int curvature_set_cpu_mask(const curvature_cpu_mask *mask) {
    return sched_setaffinity(0, sizeof(cpu_set_t), (const cpu_set_t *)mask);
}

int curvature_cpu_mask_count(const curvature_cpu_mask *mask) { return CPU_COUNT((const cpu_set_t *)mask); }

int curvature_cpu_mask_nth(const curvature_cpu_mask *mask, int n) {
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, (const cpu_set_t *)mask) && n-- == 0) return cpu;
    return -1;
}

int curvature_run_on_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

int curvature_current_cpu(void) { return sched_getcpu(); }
#else
int curvature_get_cpu_mask(curvature_cpu_mask *mask) { memset(mask, 0, sizeof *mask); return -1; }
int curvature_set_cpu_mask(const curvature_cpu_mask *mask) { (void)mask; return -1; }
int curvature_cpu_mask_count(const curvature_cpu_mask *mask) { (void)mask; return 0; }
int curvature_cpu_mask_nth(const curvature_cpu_mask *mask, int n) { (void)mask; (void)n; return -1; }
int curvature_run_on_cpu(int cpu) { (void)cpu; return -1; }
int curvature_current_cpu(void) { return -1; }
#endif
