// Float32 C = A·B with B (constant weights) packed once, for AVX-512F, AVX2+FMA and plain C.
//
// Deterministic by construction: every element of C is one chain of fused multiply-adds in k
// order, c = fma(A[i][k−1], B[k−1][j], … fma(A[i][1], B[1][j], fma(A[i][0], B[0][j], 0))), kept
// in one vector lane from the first k to the last and stored once. The kernels vectorise across
// columns only (lane j of a vector is column j of a panel) and unroll across rows only (each row
// its own accumulators), so the tile a row falls in, the number of rows beside it, the threads
// and the vector width choose which lane or register holds the chain, never its operations. K is
// not blocked or split: no partial sums to combine. FMA rounds once in every kernel (the
// intrinsics and C's fmaf are both IEEE fusedMultiplyAdd), so AVX-512, AVX2 and the scalar path
// give the same bits; the compiler adds no contractions of its own (-ffp-contract=off).
//
// Packed layout: panels of W = 16 columns (one AVX-512 vector, two AVX2 vectors), panel p holding
// columns [16p, 16p + 16) as k rows of 16 contiguous floats, panels one after the other; columns
// past n are zeros, computed like the others and never stored. A is read in place (no copy, no
// padding: a single row is a tile of one row); C is written once per element.
#include "CKernels.h"
#include <math.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum { W = CURVATURE_SGEMM_PANEL_WIDTH };

long curvature_sgemm_packed_count(long k, long n) { return (n + W - 1) / W * k * W; }

void curvature_sgemm_pack(const float *b, long ldb, int transposed, long k, long n, float *packed) {
    for (long first = 0; first < n; first += W) {
        float *panel = packed + first / W * k * W;
        long width = n - first < W ? n - first : W;
        if (transposed) {
            // B's columns are rows of b: a 16 × 16 block at a time, read along b's rows and
            // written within 1 KiB of the panel, so both sides stay in the L1 cache.
            for (long block = 0; block < k; block += W) {
                long depth = k - block < W ? k - block : W;
                for (long j = 0; j < W; j++) {
                    float *out = panel + block * W + j;
                    if (j < width) {
                        const float *column = b + (first + j) * ldb + block;
                        for (long kk = 0; kk < depth; kk++) out[kk * W] = column[kk];
                    } else {
                        for (long kk = 0; kk < depth; kk++) out[kk * W] = 0.0f;
                    }
                }
            }
        } else if (width == W) {
            for (long kk = 0; kk < k; kk++) memcpy(panel + kk * W, b + kk * ldb + first, W * sizeof(float));
        } else {
            for (long kk = 0; kk < k; kk++) {
                const float *row = b + kk * ldb + first;
                for (long j = 0; j < W; j++) panel[kk * W + j] = j < width ? row[j] : 0.0f;
            }
        }
    }
}

// A tile: `rows` rows of A times `panels` consecutive panels (b: the first), into C with row
// stride ldc, all panels·16 columns written. B's element (kk, 16p + j) is at b[p·ps + kk·rs + j]:
// packed panels have ps = k·16, rs = 16; a row-major B read in place has ps = 16, rs = ldb.
typedef void (*tile_kernel)(long k, const float *a, long lda, long as, const float *b, long ps, long rs, float *c, long ldc);

// The reference: the same chain per element with C's fmaf. Lanes j are independent, so the
// compiler may vectorise the j loop; that changes no element's operations.
static void tile_scalar(int rows, int panels, long k, const float *a, long lda, long as, const float *b, long ps, long rs,
                        float *c, long ldc) {
    for (int r = 0; r < rows; r++) {
        for (int p = 0; p < panels; p++) {
            const float *panel = b + p * ps;
            float acc[W] = {0};
            for (long kk = 0; kk < k; kk++) {
                float x = a[r * lda + kk * as];
                for (int j = 0; j < W; j++) acc[j] = fmaf(x, panel[kk * rs + j], acc[j]);
            }
            memcpy(c + r * ldc + p * W, acc, sizeof acc);
        }
    }
}

#if defined(__x86_64__)

// Tiles whose accumulators fill most of the 32 zmm registers: 12 rows × 2 panels, and for the
// few rows of small batches more panels at once, so that enough independent chains hide the
// FMA latency (a single row still has 8). Taller tiles would read more rows of A at once than the
// L1 cache's ways hold where rows lie 4 KiB apart (24 rows: 3× slower at K = 1024).
#define AVX512 __attribute__((target("avx512f")))
static inline __attribute__((always_inline)) AVX512 void
tile_avx512(const int rows, const int panels, long k, const float *a, long lda, long as, const float *b, long ps, long rs,
            float *c, long ldc) {
    __m512 acc[12][8];
    for (int r = 0; r < rows; r++)
        for (int p = 0; p < panels; p++) acc[r][p] = _mm512_setzero_ps();
    for (long kk = 0; kk < k; kk++) {
        __m512 column[8];
        for (int p = 0; p < panels; p++) column[p] = _mm512_loadu_ps(b + p * ps + kk * rs);
        for (int r = 0; r < rows; r++) {
            __m512 x = _mm512_set1_ps(a[r * lda + kk * as]);
            for (int p = 0; p < panels; p++) acc[r][p] = _mm512_fmadd_ps(x, column[p], acc[r][p]);
        }
    }
    for (int r = 0; r < rows; r++)
        for (int p = 0; p < panels; p++) _mm512_storeu_ps(c + r * ldc + p * W, acc[r][p]);
}

enum { AVX512_MAX_ROWS = 12 };
static int avx512_panels(int rows) { return rows >= 5 ? 2 : rows >= 3 ? 4 : 8; }

// Tiles of 6 rows × 1 panel (12 of the 16 ymm registers), wider for fewer rows.
#define AVX2 __attribute__((target("avx2,fma")))
static inline __attribute__((always_inline)) AVX2 void
tile_avx2(const int rows, const int panels, long k, const float *a, long lda, long as, const float *b, long ps, long rs,
          float *c, long ldc) {
    __m256 acc[6][8];
    const int vectors = 2 * panels;
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < vectors; v++) acc[r][v] = _mm256_setzero_ps();
    for (long kk = 0; kk < k; kk++) {
        // Loads ordered so that the 16 registers suffice (6 × 2 chains + 2 columns + 1 value, or
        // 3 × 4 chains + 3 values + 1 column); the operations are the same either way.
        if (vectors <= 2) {
            __m256 column[2];
            for (int v = 0; v < vectors; v++) column[v] = _mm256_loadu_ps(b + kk * rs + v * 8);
            for (int r = 0; r < rows; r++) {
                __m256 x = _mm256_set1_ps(a[r * lda + kk * as]);
                for (int v = 0; v < vectors; v++) acc[r][v] = _mm256_fmadd_ps(x, column[v], acc[r][v]);
            }
        } else {
            __m256 x[6];
            for (int r = 0; r < rows; r++) x[r] = _mm256_set1_ps(a[r * lda + kk * as]);
            for (int v = 0; v < vectors; v++) {
                __m256 column = _mm256_loadu_ps(b + v / 2 * ps + kk * rs + v % 2 * 8);
                for (int r = 0; r < rows; r++) acc[r][v] = _mm256_fmadd_ps(x[r], column, acc[r][v]);
            }
        }
    }
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < vectors; v++) _mm256_storeu_ps(c + r * ldc + v * 8, acc[r][v]);
}

enum { AVX2_MAX_ROWS = 6 };
static int avx2_panels(int rows) { return rows >= 4 ? 1 : rows >= 2 ? 2 : 4; }

// One function per (rows, panels) the policies above and their narrower tails use.
#define TILE(ISA, TARGET, R, P)                                                                    \
    static TARGET void tile_##ISA##_##R##x##P(long k, const float *a, long lda, long as, const float *b, long ps, long rs,  \
                                              float *c, long ldc) {                                \
        tile_##ISA(R, P, k, a, lda, as, b, ps, rs, c, ldc);                                        \
    }
#define TILES_8(ISA, TARGET, R) TILE(ISA, TARGET, R, 8) TILES_4(ISA, TARGET, R)
#define TILES_4(ISA, TARGET, R) TILE(ISA, TARGET, R, 4) TILES_2(ISA, TARGET, R)
#define TILES_2(ISA, TARGET, R) TILE(ISA, TARGET, R, 2) TILES_1(ISA, TARGET, R)
#define TILES_1(ISA, TARGET, R) TILE(ISA, TARGET, R, 1)

TILES_8(avx512, AVX512, 1) TILES_8(avx512, AVX512, 2)
TILES_4(avx512, AVX512, 3) TILES_4(avx512, AVX512, 4)
TILES_2(avx512, AVX512, 5) TILES_2(avx512, AVX512, 6) TILES_2(avx512, AVX512, 7) TILES_2(avx512, AVX512, 8)
TILES_2(avx512, AVX512, 9) TILES_2(avx512, AVX512, 10) TILES_2(avx512, AVX512, 11) TILES_2(avx512, AVX512, 12)
TILES_4(avx2, AVX2, 1)
TILES_2(avx2, AVX2, 2) TILES_2(avx2, AVX2, 3)
TILES_1(avx2, AVX2, 4) TILES_1(avx2, AVX2, 5) TILES_1(avx2, AVX2, 6)

// Indexed [rows][log₂ panels].
#define ROW_8(ISA, R) {tile_##ISA##_##R##x1, tile_##ISA##_##R##x2, tile_##ISA##_##R##x4, tile_##ISA##_##R##x8}
#define ROW_4(ISA, R) {tile_##ISA##_##R##x1, tile_##ISA##_##R##x2, tile_##ISA##_##R##x4, 0}
#define ROW_2(ISA, R) {tile_##ISA##_##R##x1, tile_##ISA##_##R##x2, 0, 0}
#define ROW_1(ISA, R) {tile_##ISA##_##R##x1, 0, 0, 0}
static const tile_kernel avx512_tiles[AVX512_MAX_ROWS + 1][4] = {
    {0}, ROW_8(avx512, 1), ROW_8(avx512, 2), ROW_4(avx512, 3), ROW_4(avx512, 4), ROW_2(avx512, 5), ROW_2(avx512, 6),
    ROW_2(avx512, 7), ROW_2(avx512, 8), ROW_2(avx512, 9), ROW_2(avx512, 10), ROW_2(avx512, 11), ROW_2(avx512, 12),
};
static const tile_kernel avx2_tiles[AVX2_MAX_ROWS + 1][4] = {
    {0}, ROW_4(avx2, 1), ROW_2(avx2, 2), ROW_2(avx2, 3), ROW_1(avx2, 4), ROW_1(avx2, 5), ROW_1(avx2, 6),
};

static int log2_of(int panels) { return panels >= 8 ? 3 : panels >= 4 ? 2 : panels >= 2 ? 1 : 0; }
#endif

static int max_rows(int kernel) {
#if defined(__x86_64__)
    if (kernel == CURVATURE_SGEMM_AVX512) return AVX512_MAX_ROWS;
    if (kernel == CURVATURE_SGEMM_AVX2) return AVX2_MAX_ROWS;
#endif
    return 4;
}

static int group_panels(int kernel, int rows) {
#if defined(__x86_64__)
    if (kernel == CURVATURE_SGEMM_AVX512) return avx512_panels(rows);
    if (kernel == CURVATURE_SGEMM_AVX2) return avx2_panels(rows);
#endif
    return 1;
}

// panels is a power of two no larger than the policy's group for these rows.
static void run_tile(int kernel, int rows, int panels, long k, const float *a, long lda, long as, const float *b, long ps, long rs,
                     float *c, long ldc) {
#if defined(__x86_64__)
    if (kernel == CURVATURE_SGEMM_AVX512) {
        avx512_tiles[rows][log2_of(panels)](k, a, lda, as, b, ps, rs, c, ldc);
        return;
    }
    if (kernel == CURVATURE_SGEMM_AVX2) {
        avx2_tiles[rows][log2_of(panels)](k, a, lda, as, b, ps, rs, c, ldc);
        return;
    }
#endif
    tile_scalar(rows, panels, k, a, lda, as, b, ps, rs, c, ldc);
}

// The driver of both entry points: B's panels at b + p·ps, rows rs apart; `last` is the last
// panel when it is partly padding and B is read in place (a packed copy with zeros past n), or 0.
static void sgemm(int kernel, long m, long k, long n, const float *a, long lda, long as, const float *b, long ps, long rs,
                  const float *last, long panel_begin, long panel_end, float *c, long ldc) {
    long panel_count = (n + W - 1) / W;
    if (panel_end > panel_count) panel_end = panel_count;
    if (m <= 0 || panel_begin >= panel_end) return;
    // Row tiles of nearly equal height (37 rows: 10, 9, 9, 9), which only decides speed. Rows a
    // multiple of 4 KiB apart fall in one set of the L1 cache, which holds 8 lines: 8 rows at most.
    int most = max_rows(kernel);
    if (as == 1 && lda % 1024 == 0 && most > 8) most = 8;
    long tiles = (m + most - 1) / most;
    for (long first = 0, t = 0; t < tiles; t++) {
        int rows = (int)((m - first + (tiles - t) - 1) / (tiles - t));
        int group = group_panels(kernel, rows);
        const float *a_rows = a + first * lda;
        for (long p = panel_begin; p < panel_end;) {
            int panels = group;
            while (panels > panel_end - p) panels /= 2;
            // Read in place, the partial last panel is its packed copy, in a tile of its own.
            while (last && panels > 1 && p + panels > n / W) panels /= 2;
            long columns = n - p * W;
            float *c_tile = c + first * ldc + p * W;
            if (columns >= panels * W) {
                run_tile(kernel, rows, panels, k, a_rows, lda, as, b + p * ps, ps, rs, c_tile, ldc);
            } else {
                // The last panel is partly padding: the whole tile into scratch, the real columns out.
                float scratch[24 * W];  // rows × panels ≤ 24 in every tile
                if (last) run_tile(kernel, rows, 1, k, a_rows, lda, as, last, k * W, W, scratch, W);
                else run_tile(kernel, rows, panels, k, a_rows, lda, as, b + p * ps, ps, rs, scratch, panels * W);
                for (int r = 0; r < rows; r++) memcpy(c_tile + r * ldc, scratch + r * panels * W, columns * sizeof(float));
            }
            p += panels;
        }
        first += rows;
    }
}

void curvature_sgemm_packed(int kernel, long m, long k, long n, const float *a, long lda, long a_step,
                            const float *packed, long panel_begin, long panel_end, float *c, long ldc) {
    sgemm(kernel, m, k, n, a, lda, a_step, packed, k * W, W, 0, panel_begin, panel_end, c, ldc);
}

void curvature_sgemm_rows(int kernel, long m, long k, long n, const float *a, long lda, long a_step, const float *b,
                          long ldb, const float *last_panel, long panel_begin, long panel_end, float *c, long ldc) {
    sgemm(kernel, m, k, n, a, lda, a_step, b, W, ldb, n % W ? last_panel : 0, panel_begin, panel_end, c, ldc);
}
