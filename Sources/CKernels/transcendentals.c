// exp, log1p and the functions built on them (sigmoid, softplus and its slope) for Float32 arrays.
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
