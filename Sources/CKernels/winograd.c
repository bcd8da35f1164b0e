// Winograd F(2×2, 3×3) transforms for Float32 3×3 stride-1 convolutions (Lavin & Gray 2016).
//
// A 2×2 block of outputs is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A for the 4×4 input tile d around it: 16
// multiplications per channel pair instead of 36. Summed over input channels, the products
// become 16 matrix products, one per frequency ξ = 4i + j: M_ξ[o][t] = Σ_c U_ξ[o][c]·V_ξ[c][t].
// The transforms are fixed sums and halvings, computed in one written order (-ffp-contract=off:
// no FMA of the compiler's own), so a tile's values depend on its own inputs only, never on the
// batch, the tile's place or the threads; the products are the packed kernels' k-order chains.
//
//   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]
//   Aᵀ = [1 1 1 0; 0 1 −1 −1]
#include "CKernels.h"
#include <stdlib.h>
#include <string.h>

// Scratch of a few rows or one filter row: out of memory here is out of memory everywhere.
static float *checked(float *p) {
    if (!p) abort();
    return p;
}

// r = G·(a, b, c): the order (a + c) ± b makes a reversed filter's values those of the filter
// with outer frequencies swapped, bit for bit (the adjoint convolution relies on it).
static inline void filter_rows(float a, float b, float c, float r[4]) {
    float outer = a + c;
    r[0] = a;
    r[1] = 0.5f * (outer + b);
    r[2] = 0.5f * (outer - b);
    r[3] = c;
}

void curvature_winograd_filters(const float *w, long outputs, long inputs, float *u) {
    long plane = outputs * inputs;
    float *taps = checked(malloc(sizeof(float) * 9 * (inputs > 0 ? inputs : 1)));  // one output's taps, tap-major
    for (long o = 0; o < outputs; o++) {
        for (long c = 0; c < inputs; c++)
            for (int t = 0; t < 9; t++) taps[t * inputs + c] = w[(o * inputs + c) * 9 + t];
        float *restrict out = u + o * inputs;
        const float *restrict tap = taps;
        for (long c = 0; c < inputs; c++) {  // along the input channels: contiguous, vectorised
            float column[3][4], row[4];
            for (int j = 0; j < 3; j++)        // G·g, column j
                filter_rows(tap[j * inputs + c], tap[(3 + j) * inputs + c], tap[(6 + j) * inputs + c], column[j]);
            for (int i = 0; i < 4; i++) {      // (G·g)·Gᵀ, row i
                filter_rows(column[0][i], column[1][i], column[2][i], row);
                for (int j = 0; j < 4; j++) out[(i * 4 + j) * plane + c] = row[j];
            }
        }
    }
    free(taps);
}

// Bᵀ·d along whole rows. Out of line with restrict parameters, which the vectoriser trusts
// (the rows and their transforms share one allocation, so it would otherwise check and fall back).
__attribute__((noinline))
static void input_rows(const float *restrict d0, const float *restrict d1, const float *restrict d2,
                       const float *restrict d3, float *restrict t0, float *restrict t1, float *restrict t2,
                       float *restrict t3, long n) {
    for (long k = 0; k < n; k++) {
        t0[k] = d0[k] - d2[k];
        t1[k] = d1[k] + d2[k];
        t2[k] = d2[k] - d1[k];
        t3[k] = d1[k] - d3[k];
    }
}

void curvature_winograd_input(const float *x, long channels, long height, long width, long pad,
                              long tile_row_begin, long tile_row_end, long tiles_x, float *v,
                              long frequency_stride, long ldv) {
    // One channel at a time in a zero-bordered copy of the rows these tiles read; the border is
    // zeroed once, since each channel fills the same interior. Rows are a whole number of 16-float
    // vectors wide, so the row transform has no scalar remainder (small images are mostly remainder).
    long tiles_y = tile_row_end - tile_row_begin, first_row = 2 * tile_row_begin - pad;
    long padded_width = (2 * tiles_x + 2 + 15) / 16 * 16, padded_height = 2 * tiles_y + 2;
    long row_begin = first_row > 0 ? first_row : 0, row_end = first_row + padded_height < height ? first_row + padded_height : height;
    long columns = width < padded_width - pad ? width : padded_width - pad;
    float *plane = checked(calloc((size_t)(padded_height * padded_width + 4 * padded_width), sizeof(float)));
    float *t = plane + padded_height * padded_width;
    for (long c = 0; c < channels; c++) {
        const float *source = x + c * height * width;
        for (long y = row_begin; y < row_end; y++)
            memcpy(plane + (y - first_row) * padded_width + pad, source + y * width, sizeof(float) * columns);
        float *out = v + c * ldv;
        for (long ty = 0; ty < tiles_y; ty++) {
            const float *d0 = plane + 2 * ty * padded_width;
            input_rows(d0, d0 + padded_width, d0 + 2 * padded_width, d0 + 3 * padded_width,
                       t, t + padded_width, t + 2 * padded_width, t + 3 * padded_width, padded_width);
            float *tile = out + ty * tiles_x;
            for (int i = 0; i < 4; i++) {              // (Bᵀ·d)·B, tile by tile
                float *restrict f0 = tile + (i * 4) * frequency_stride, *restrict f1 = f0 + frequency_stride;
                float *restrict f2 = f1 + frequency_stride, *restrict f3 = f2 + frequency_stride;
                const float *restrict r = t + i * padded_width;
                for (long tx = 0; tx < tiles_x; tx++) {
                    float a = r[2 * tx], b = r[2 * tx + 1], e = r[2 * tx + 2], f = r[2 * tx + 3];
                    f0[tx] = a - e;
                    f1[tx] = b + e;
                    f2[tx] = e - b;
                    f3[tx] = b - f;
                }
            }
        }
    }
    free(plane);
}

// M·A for row i of a row of tiles: a = p0 + p1 + p2, b = p1 − p2 − p3 along the tiles.
__attribute__((noinline))
static void output_columns(const float *restrict p0, const float *restrict p1, const float *restrict p2,
                           const float *restrict p3, float *restrict a, float *restrict b, long n) {
    for (long tx = 0; tx < n; tx++) {
        a[tx] = p0[tx] + p1[tx] + p2[tx];
        b[tx] = p1[tx] - p2[tx] - p3[tx];
    }
}

// Aᵀ·(M·A) for a row of tiles: output rows 2ty (upper) and 2ty + 1 (lower), columns interleaved.
__attribute__((noinline))
static void output_rows(const float *restrict s, long n, float *restrict upper, float *restrict lower) {
    const float *s00 = s, *s01 = s + n, *s10 = s + 2 * n, *s11 = s + 3 * n;
    const float *s20 = s + 4 * n, *s21 = s + 5 * n, *s30 = s + 6 * n, *s31 = s + 7 * n;
    for (long tx = 0; tx < n; tx++) {
        upper[2 * tx] = s00[tx] + s10[tx] + s20[tx];
        upper[2 * tx + 1] = s01[tx] + s11[tx] + s21[tx];
        lower[2 * tx] = s10[tx] - s20[tx] - s30[tx];
        lower[2 * tx + 1] = s11[tx] - s21[tx] - s31[tx];
    }
}

void curvature_winograd_output(const float *m, long frequency_stride, long ldm, long channels,
                               long tile_row_begin, long tile_row_end, long tiles_x, long height, long width,
                               float *y) {
    long n = tiles_x > 0 ? tiles_x : 1;
    float *work = checked(malloc(sizeof(float) * 12 * n));  // s[i][0 or 1][tx], then the two output rows
    float *upper = work + 8 * n, *lower = upper + 2 * n;
    const long f = frequency_stride;
    for (long o = 0; o < channels; o++) {
        float *plane = y + o * height * width;
        for (long ty = tile_row_begin; ty < tile_row_end; ty++) {
            const float *q = m + o * ldm + (ty - tile_row_begin) * tiles_x;
            for (int i = 0; i < 4; i++) {
                const float *p = q + (i * 4) * f;
                output_columns(p, p + f, p + 2 * f, p + 3 * f, work + 2 * i * n, work + (2 * i + 1) * n, tiles_x);
            }
            output_rows(work, tiles_x, upper, lower);
            memcpy(plane + 2 * ty * width, upper, sizeof(float) * width);
            if (2 * ty + 1 < height) memcpy(plane + (2 * ty + 1) * width, lower, sizeof(float) * width);
        }
    }
    free(work);
}
