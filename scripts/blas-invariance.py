#!/usr/bin/env python3
"""Which of OpenBLAS's kernel sets round a GEMM element the same way whatever the GEMM's extents
and wherever the element sits: the property Curvature's bit-for-bit promises (any --threads,
--batch-size, shard split) rest on, and why BLASKernels picks SkylakeX/Cooperlake on AVX-512 and
Sandybridge (not OpenBLAS's own Haswell/Zen) on AVX2.

For each kernel set (switched in-process, as Curvature does) and dtype, a few rows of A are
multiplied by B alone and again inside larger GEMMs, after r other rows and with other extents,
in both dimensions that vary with the batch (rows of A; columns of B, as im2col lays samples out).
A set passes when every product row or column is bit-identical; shown for raw extents, for
extents zero-padded to multiples of 16, and for one call shape with the sample at different
positions (what Curvature's fixed GEMM tiles rely on: `parallelGemm`, convolution groups).

    python3 scripts/blas-invariance.py [CORE ...]      (default: the x86 sets this CPU can run)
    python3 scripts/blas-invariance.py --big-calls [CORE ...]

--big-calls checks the rule behind `rowsComputedAlikeInAnyCall` (MatrixMultiply.swift): with M
padded to a multiple of 16, a call whose 16·N·K exceeds 10⁶ (so M·N·K > 10⁶ for every M, past
OpenBLAS's small-matrix kernels) rounds a row the same way whatever its M; at or below 10⁶ it
need not (the shapes straddle the boundary: 16·16·3906 ≤ 10⁶ < 16·16·4000).
"""
import ctypes
import os
import sys

import numpy as np

lib = ctypes.CDLL("libopenblas.so.0")
lib.openblas_get_corename.restype = ctypes.c_char_p
lib.openblas_set_num_threads(1)
P = ctypes.c_void_p


def use(core):
    lib.gotoblas_dynamic_quit()
    os.environ["OPENBLAS_CORETYPE"] = core
    lib.gotoblas_dynamic_init()
    del os.environ["OPENBLAS_CORETYPE"]
    return lib.openblas_get_corename().decode()


def gemm(a, b, quantum=1):
    """A·B with M and N zero-padded to multiples of `quantum` (Curvature hands BLAS multiples of 16)."""
    m0, n0 = a.shape[0], b.shape[1]
    if quantum > 1:
        m1, n1 = -(-m0 // quantum) * quantum, -(-n0 // quantum) * quantum
        a = np.concatenate([a, np.zeros((m1 - m0, a.shape[1]), a.dtype)])
        b = np.ascontiguousarray(np.concatenate([b, np.zeros((b.shape[0], n1 - n0), b.dtype)], axis=1))
    m, k = a.shape
    n = b.shape[1]
    c = np.zeros((m, n), dtype=a.dtype)
    if a.dtype == np.float32:
        f, scalar = lib.cblas_sgemm, ctypes.c_float
    else:
        f, scalar = lib.cblas_dgemm, ctypes.c_double
    f(101, 111, 111, m, n, k, scalar(1), P(a.ctypes.data), k, P(b.ctypes.data), n, scalar(0), P(c.ctypes.data), n)
    return c[:m0, :n0]


def mismatches(dtype, rng, quantum):
    bad = total = 0
    for n in (10, 16, 32, 64, 128):
        for k in (9, 27, 288, 1152):
            b = rng.standard_normal((k, n)).astype(dtype)
            x = rng.standard_normal((5, k)).astype(dtype)
            alone = gemm(x, b, quantum)
            for r in (1, 6, 16, 23, 100, 700):
                y = np.concatenate([rng.standard_normal((r, k)).astype(dtype), x])
                total += 1
                bad += not np.array_equal(gemm(y, b, quantum)[r:], alone)
            # Samples along the columns of B (im2col's layout), the weights as A.
            w = rng.standard_normal((n, k)).astype(dtype)
            cols = np.ascontiguousarray(x.T)
            alone = gemm(w, cols, quantum)
            for r in (1, 6, 16, 23, 100, 700):
                z = np.ascontiguousarray(np.concatenate([rng.standard_normal((k, r)).astype(dtype), cols], axis=1))
                total += 1
                bad += not np.array_equal(gemm(w, z, quantum)[:, r:], alone)
    return bad, total


def position_mismatches(dtype, rng, tile=128):
    """One call shape, the sample's row (or column) at different positions among others."""
    bad = total = 0
    for n in (10, 16, 32, 64, 128):
        for k in (9, 27, 288, 1152):
            b = rng.standard_normal((k, n)).astype(dtype)
            x = rng.standard_normal(k).astype(dtype)
            w = rng.standard_normal((n, k)).astype(dtype)
            row_ref = col_ref = None
            for p in (0, 1, 5, 6, 16, 23, 64, tile - 1):
                a = rng.standard_normal((tile, k)).astype(dtype)
                a[p] = x
                row = gemm(a, b)[p]
                cols = rng.standard_normal((k, tile)).astype(dtype)
                cols[:, p] = x
                col = gemm(w, np.ascontiguousarray(cols))[:, p]
                if row_ref is None:
                    row_ref, col_ref = row, col
                total += 2
                bad += (not np.array_equal(row, row_ref)) + (not np.array_equal(col, col_ref))
    return bad, total


BIG_CALL_SHAPES = [(256, 3136), (784, 1024), (208, 512), (160, 512), (128, 512), (64, 1024), (16, 4000),
                   (16, 3906), (64, 576), (10, 1024)]


def big_call_mismatches(dtype, rng, n, k):
    """Rows of A alone against the same rows after r others, M padded to multiples of 16."""
    b = rng.standard_normal((k, n)).astype(dtype)
    x = rng.standard_normal((3, k)).astype(dtype)
    alone = gemm(x, b, 16)
    bad = total = 0
    for r in (1, 2, 5, 13, 16, 17, 31, 64, 100, 333, 700):
        y = np.concatenate([rng.standard_normal((r, k)).astype(dtype), x])
        total += 1
        bad += not np.array_equal(gemm(y, b, 16)[r:], alone)
    return bad, total


def big_calls(cores):
    print("| kernel set | N × K | 16·N·K > 10⁶ | float32 | float64 |")
    print("| --- | --- | --- | --- | --- |")
    for core in cores:
        running = use(core)
        for n, k in BIG_CALL_SHAPES:
            cells = []
            for dtype in (np.float32, np.float64):
                bad, total = big_call_mismatches(dtype, np.random.default_rng(0), n, k)
                cells.append(f"{bad} of {total}")
            print(f"| {running} | {n} × {k} | {'yes' if 16 * n * k > 1e6 else 'no'} | " + " | ".join(cells) + " |")


def main():
    flags = set()
    for line in open("/proc/cpuinfo"):
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    arguments = [a for a in sys.argv[1:] if a != "--big-calls"]
    cores = arguments or ["Prescott", "Nehalem", "Sandybridge"] + (["Haswell", "Zen"] if "avx2" in flags else []) + (
        ["SkylakeX", "Cooperlake"] if "avx512f" in flags else [])
    if "--big-calls" in sys.argv[1:]:
        big_calls(cores)
        return
    print("| kernel set | float32, any extents | float64, any extents | float32, multiples of 16 | float64, multiples of 16 "
          "| float32, one shape | float64, one shape |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for core in cores:
        running = use(core)
        cells = []
        for quantum in (1, 16):
            for dtype in (np.float32, np.float64):
                bad, total = mismatches(dtype, np.random.default_rng(0), quantum)
                cells.append(f"{bad} of {total}")
        for dtype in (np.float32, np.float64):
            bad, total = position_mismatches(dtype, np.random.default_rng(1))
            cells.append(f"{bad} of {total}")
        print(f"| {running} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
