// exp, log1p and the functions built on them (sigmoid, softplus and its slope, erf and the GELU
// x·Φ(x)) for Float32 arrays.
//
// Cephes' single-precision polynomials (exp: degree 6 after the reduction x = n·ln 2 + r; log:
// degree 9 after u = m·2ᵉ), within 2 ulp of the correctly rounded results on the range they are
// used on (VectorTranscendentalsTests). They are written as scalar, branch-free C so that clang
// vectorises each loop whole: the same code as Swift SIMD8 values was partly scalarised by LLVM
// and took most of a softplus network's forward pass. Package.swift compiles this file with
// -ffp-contract=off, so every operation rounds as written (no fused multiply-adds), and each
// element's result depends only on its input, never on its position or the vector width.
//
// Arguments outside the polynomial's range (exp beyond [−87, 88], NaN) are computed again by a
// second, rarely taken pass with libm's expf, so results are right for every input.
#include "CKernels.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

static inline int exp_in_range(float x) { return x >= -87.0f && x <= 88.0f; }

// eˣ for x in [−87, 88].
static inline float polynomial_exp(float x) {
    // n = round(x / ln 2) by the 1.5·2²³ trick; the bits of `shifted` hold n.
    const float magic = 12582912.0f;
    float shifted = x * 1.44269504f + magic;
    float n = shifted - magic;
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float z = r * r;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * z + r + 1.0f;
    uint32_t bits;
    memcpy(&bits, &shifted, sizeof bits);
    uint32_t exponent = (bits - 0x4B400000u + 127u) << 23;
    float scale;
    memcpy(&scale, &exponent, sizeof scale);
    return y * scale;
}

// eˣ by the polynomial, whose argument is replaced by 0 outside its range (fixed up later).
static inline float fast_exp(float x) { return polynomial_exp(exp_in_range(x) ? x : 0.0f); }

// log(1 + t) for t in [0, 1], with the rounding of 1 + t corrected.
static inline float log1p_unit(float t) {
    float u = 1.0f + t;
    float correction = (t - (u - 1.0f)) / u;
    int upper = u > 1.41421356f;
    float m = upper ? u * 0.5f : u;
    float e = upper ? 1.0f : 0.0f;
    float x = m - 1.0f;
    float z = x * x;
    float p = 7.0376836292e-2f;
    p = p * x - 1.1514610310e-1f;
    p = p * x + 1.1676998740e-1f;
    p = p * x - 1.2420140846e-1f;
    p = p * x + 1.4249322787e-1f;
    p = p * x - 1.6668057665e-1f;
    p = p * x + 2.0000714765e-1f;
    p = p * x - 2.4999993993e-1f;
    p = p * x + 3.3333331174e-1f;
    float y = p * x * z;
    y = y + e * -2.12194440e-4f;
    y = y - 0.5f * z;
    return x + y + e * 0.693359375f + correction;
}

// 1/(1 + e⁻ˣ) from e = e^(−|x|), so that it never overflows.
static inline float sigmoid_from(float x, float e) {
    float small = e / (1.0f + e);
    return x < 0.0f ? small : 1.0f - small;
}

// (max(z, 0) + log1p(e^(−|z|)))/β with z = βx, and x where z > threshold (PyTorch's rule).
static inline float softplus_from(float x, float z, float e, float beta, float threshold) {
    float y = ((z < 0.0f ? 0.0f : z) + log1p_unit(e)) / beta;
    return z > threshold ? x : y;
}

// Arrays are processed in blocks: the polynomial pass over a block vectorises whole, and a
// block whose inputs all lie in range (nearly every one) skips the scalar fix-up pass. Results go
// through a local buffer, so `y` may be the same array as `x`. Four vectors in flight hide the
// polynomials' latency: softplus took 3.4 ns an element with clang's default of one, 1.8 with four.
enum { block = 256 };

// RESULT is the function's value from `v` (the input) and `e` = exp(ARGUMENT): the polynomial's
// in the vectorised pass, libm's in the fix-up pass, so the formula is written once.
#define BLOCKED(ARGUMENT, RESULT)                                                   \
    float out[block];                                                               \
    for (long start = 0; start < n; start += block) {                               \
        long count = n - start < block ? n - start : block;                         \
        const float *in = x + start;                                                \
        int outside = 0;                                                            \
        _Pragma("clang loop interleave_count(4)")                                 \
        for (long i = 0; i < count; i++) {                                          \
            float v = in[i], e = fast_exp(ARGUMENT);                                \
            out[i] = RESULT;                                                        \
            outside |= !exp_in_range(ARGUMENT);                                     \
        }                                                                           \
        if (outside)                                                                \
            for (long i = 0; i < count; i++) {                                      \
                float v = in[i];                                                    \
                if (exp_in_range(ARGUMENT)) continue;                               \
                float e = expf(ARGUMENT);                                           \
                out[i] = RESULT;                                                    \
            }                                                                       \
        memcpy(y + start, out, (size_t)count * sizeof(float));                      \
    }

void curvature_exp_f32(const float *x, float *y, long n) {
    BLOCKED(v, e)
}

void curvature_log1p_unit_f32(const float *x, float *y, long n) {
    for (long i = 0; i < n; i++) y[i] = log1p_unit(x[i]);
}

void curvature_sigmoid_f32(const float *x, float *y, long n) {
    BLOCKED(-fabsf(v), sigmoid_from(v, e))
}

void curvature_softplus_f32(const float *x, float *y, long n, float beta, float threshold) {
    BLOCKED(-fabsf(beta * v), softplus_from(v, beta * v, e, beta, threshold))
}

void curvature_softplus_slope_f32(const float *x, float *y, long n, float beta, float threshold) {
    BLOCKED(-fabsf(beta * v), beta * v > threshold ? 1.0f : sigmoid_from(beta * v, e))
}

// erf by the scheme of Arm's optimized-routines erff: an odd polynomial near 0 and the
// exponential of a polynomial beyond, erf(a) = 1 − exp(−(a + a·B(a))), where −log erfc(a) is
// smooth. The coefficients are our own: Lawson (iteratively reweighted least squares) minimax
// fits of (erf(x)/x − 1) in x² on [0, 0.92] and of (−log erfc(a) − a)/a on [0.83, 4], the latter
// weighted by erfc(a)·a, the error it causes in erf. Over all 2³² inputs the error is at most
// 1.27 ulp of the exact erf (at x = 0.8988; without FMAs, with the polynomial exp above), so at
// most 1 ulp from the correctly rounded value.
// Both branches are computed for every element and one selected, so the loop stays vectorised.
static const float erf_split = 0.875f;  // Arm's boundary: the series is accurate up to ≈0.92.

// erf(x) − x over x, as a polynomial in x², for |x| < erf_split.
static inline float erf_series(float x) {
    float z = x * x;
    float p = -0x1.3c025ep-11f;
    p = p * z + 0x1.47b92ep-8f;
    p = p * z - 0x1.b6a1d0p-6f;
    p = p * z + 0x1.ce1c10p-4f;
    p = p * z - 0x1.8126f0p-2f;
    p = p * z + 0x1.06eba6p-3f;
    return p;
}

// erfc(a) = exp(−(a + a·B(a))) for a in [erf_split, 4]; the argument lies in the exp
// polynomial's range there, and a is clamped so that other lanes stay finite.
static inline float erfc_tail(float a) {
    a = a < 4.0f ? a : 4.0f;
    float b = -0x1.c42ae4p-13f;
    b = b * a + 0x1.a72598p-9f;
    b = b * a - 0x1.77bba6p-6f;
    b = b * a + 0x1.af6d44p-4f;
    b = b * a + 0x1.457638p-1f;
    b = b * a + 0x1.073a64p-3f;
    return polynomial_exp(-(a + a * b));
}

static inline float erf_of(float x) {
    float a = fabsf(x);
    float near = x + x * erf_series(x);
    float far = a < 4.0f ? 1.0f - erfc_tail(a) : 1.0f;  // erf rounds to 1 beyond 3.92
    float y = a < erf_split ? near : copysignf(far, x);
    return x != x ? x : y;
}

// x·(1 + erf(x/√2))/2, with 1 + erf(t) = erfc(|t|) taken from the tail directly for t ≤ −split,
// where forming 1 + erf cancels (every digit is lost by x = −5.5). Within 3.8 ulp of GELU for
// x ≥ −1.2; below, the tail's error is absolute (fitted for erf): 1 % of GELU's value at worst
// (x = −5.66), and GELU is 0 below −4√2, where its exact value is under 5e−8 in magnitude.
static inline float gelu_of(float x) {
    float t = x * 0.707106781f;
    float a = fabsf(t);
    float near = 1.0f + (t + t * erf_series(t));
    float tail = a < 4.0f ? erfc_tail(a) : 0.0f;
    float far = t < 0.0f ? tail : 2.0f - tail;
    return x * ((a < erf_split ? near : far) * 0.5f);  // halved first: no overflow near FLT_MAX
}

void curvature_erf_f32(const float *x, float *y, long n) {
#pragma clang loop interleave_count(4)
    for (long i = 0; i < n; i++) y[i] = erf_of(x[i]);
}

void curvature_gelu_erf_f32(const float *x, float *y, long n) {
#pragma clang loop interleave_count(4)
    for (long i = 0; i < n; i++) y[i] = gelu_of(x[i]);
}
