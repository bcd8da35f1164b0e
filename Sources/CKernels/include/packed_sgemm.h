#ifndef CURVATURE_PACKED_SGEMM_H
#define CURVATURE_PACKED_SGEMM_H

/// Float32 C = A·B with B packed once (packed_sgemm.c explains the layout and why every element
/// of C comes out bit-for-bit the same whatever the kernel, the tile, the rows or the threads).
///
/// A is m × k with A[i][kk] at a[i·lda + kk·a_step]: row-major with a_step = 1, or a transpose read
/// in place (a row-major k × m matrix Aᵀ: lda = 1, a_step = m's row length). C is row-major, rows
/// `ldc` floats apart. B is k × n, packed by `curvature_sgemm_pack` into panels of
/// `CURVATURE_SGEMM_PANEL_WIDTH` columns, or row-major and read in place (`curvature_sgemm_rows`).

/// Columns per packed panel (one AVX-512 vector, two AVX2 vectors).
#define CURVATURE_SGEMM_PANEL_WIDTH 16

/// The microkernels; the caller chooses one the CPU supports (calling one it lacks faults).
enum {
    CURVATURE_SGEMM_SCALAR = 0,
    CURVATURE_SGEMM_AVX2 = 1,
    CURVATURE_SGEMM_AVX512 = 2,
};

/// Floats of the packed form of a k × n matrix.
long curvature_sgemm_packed_count(long k, long n);

/// Packs B (k × n) into `packed` (`curvature_sgemm_packed_count(k, n)` floats, best 64-byte
/// aligned). With `transposed` = 0, B[kk][j] is b[kk·ldb + j]; otherwise B is stored as its
/// transpose (n × k): B[kk][j] is b[j·ldb + kk]. Columns past n in the last panel are zeros.
void curvature_sgemm_pack(const float *b, long ldb, int transposed, long k, long n, float *packed);

/// C[i][j] for rows i in [0, m) and columns j in [panel_begin·16, min(panel_end·16, n)):
/// C[i][j] = Σₖ A[i][kk]·B[kk][j], overwriting C. `c` points to C[0][0] (columns are absolute);
/// `a` to A[0][0]. Disjoint row or panel ranges may run concurrently.
void curvature_sgemm_packed(int kernel, long m, long k, long n, const float *a, long lda, long a_step,
                            const float *packed, long panel_begin, long panel_end, float *c, long ldc);

/// The same product with B row-major and read in place (b[kk·ldb + j]), for a B used by one call
/// only (a sample's im2col columns or gradient), which is then never copied: every element of C
/// has the bits `curvature_sgemm_packed` gives for B packed. When n is not a multiple of 16, B's
/// partial last panel is read from `last_panel`, its packed copy (`curvature_sgemm_pack` of columns
/// 16·⌊n/16⌋ ..< n: k·16 floats), made once by the caller; otherwise `last_panel` is not read.
void curvature_sgemm_rows(int kernel, long m, long k, long n, const float *a, long lda, long a_step, const float *b,
                          long ldb, const float *last_panel, long panel_begin, long panel_end, float *c, long ldc);

#endif
