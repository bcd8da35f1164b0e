#ifndef CURVATURE_CKERNELS_H
#define CURVATURE_CKERNELS_H

/// Float32 transcendentals over arrays: y[i] = f(x[i]) for i in [0, n). `x` and `y` may be the same
/// array. Each element's result depends only on its own input (see transcendentals.c).
void curvature_exp_f32(const float *x, float *y, long n);
void curvature_log1p_unit_f32(const float *x, float *y, long n);
void curvature_sigmoid_f32(const float *x, float *y, long n);
void curvature_softplus_f32(const float *x, float *y, long n, float beta, float threshold);
void curvature_softplus_slope_f32(const float *x, float *y, long n, float beta, float threshold);
void curvature_erf_f32(const float *x, float *y, long n);
/// x·(1 + erf(x/√2))/2, the exact GELU.
void curvature_gelu_erf_f32(const float *x, float *y, long n);

#include "affinity.h"
#include "packed_sgemm.h"
#include "winograd.h"

#endif
