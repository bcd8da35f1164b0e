#ifndef CURVATURE_AFFINITY_H
#define CURVATURE_AFFINITY_H

/// Writes the CPUs the calling thread may run on to `cpus` and returns how many (0 if they cannot
/// be read or are more than `capacity`).
int curvature_allowed_cpus(int *cpus, int capacity);

/// Lets the calling thread run only on cpus[0 ..< count] (moving it there now); 0 on success.
int curvature_run_on_cpus(const int *cpus, int count);

/// The CPU the calling thread runs on now (−1 if unknown).
int curvature_current_cpu(void);

#endif
