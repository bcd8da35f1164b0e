#ifndef CURVATURE_WINOGRAD_H
#define CURVATURE_WINOGRAD_H

/// Winograd F(2×2, 3×3) transforms for Float32 3×3 stride-1 convolutions (winograd.c). Frequency
/// ξ = 4i + j of a 4×4 tile; matrices of one frequency are `frequency_stride` floats apart.

/// U_ξ[o][c] = (G·w[o][c]·Gᵀ)[i][j] for filters w [outputs, inputs, 3, 3], written to
/// u[ξ·outputs·inputs + o·inputs + c]. The reversed filter's values are U at frequency
/// (3−i)·4 + (3−j) for i, j ∈ {0, 3} swapped — (P i, P j) with P = (3 1 2 0) — bit for bit.
void curvature_winograd_filters(const float *w, long outputs, long inputs, float *u);

/// V_ξ[c][t] = (Bᵀ·d·B)[i][j] for the 4×4 tiles d of one sample's channels x [channels, height,
/// width] zero-padded by `pad`, in tile rows [tile_row_begin, tile_row_end): tile (ty, tx) starts
/// at row 2ty − pad, column 2tx − pad, and is t = (ty − tile_row_begin)·tiles_x + tx. Written to
/// v[ξ·frequency_stride + c·ldv + t].
void curvature_winograd_input(const float *x, long channels, long height, long width, long pad,
                              long tile_row_begin, long tile_row_end, long tiles_x, float *v,
                              long frequency_stride, long ldv);

/// Rows 2·tile_row_begin ..< 2·tile_row_end of y[o] (height × width) from the tiles' products
/// m[ξ·frequency_stride + o·ldm + t], t numbered as by `curvature_winograd_input`: the 2×2 block of
/// a tile is Aᵀ·M·A; blocks past the edge are cut. Every y element is written once.
void curvature_winograd_output(const float *m, long frequency_stride, long ldm, long channels,
                               long tile_row_begin, long tile_row_end, long tiles_x, long height, long width,
                               float *y);

#endif
