#ifndef CURVATURE_AFFINITY_H
#define CURVATURE_AFFINITY_H

/// A thread's CPU mask (Linux's cpu_set_t, 1,024 CPUs), opaque to Swift.
typedef struct { unsigned long long words[16]; } curvature_cpu_mask;

/// Reads the calling thread's mask; 0 on success (−1 where masks cannot be read).
int curvature_get_cpu_mask(curvature_cpu_mask *mask);
/// Lets the calling thread run on the CPUs of `mask` again; 0 on success.
int curvature_set_cpu_mask(const curvature_cpu_mask *mask);
/// How many CPUs the mask holds.
int curvature_cpu_mask_count(const curvature_cpu_mask *mask);
/// The n-th CPU of the mask in ascending order (from 0), or −1.
int curvature_cpu_mask_nth(const curvature_cpu_mask *mask, int n);
/// Lets the calling thread run on `cpu` only (moving it there now); 0 on success.
int curvature_run_on_cpu(int cpu);
/// The CPU the calling thread runs on now (−1 if unknown).
int curvature_current_cpu(void);

#endif
