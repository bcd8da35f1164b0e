import CKernels
import Foundation

/// Float32 3×3 stride-1 convolutions by Winograd's F(2×2, 3×3) (winograd.c): each 2×2 block of
/// outputs from a 4×4 input tile with 16 multiplications per channel pair instead of 36, as 16
/// products M_ξ[O, tiles] = U_ξ[O, C]·V_ξ[C, tiles] on the packed kernels. The forward and the
/// input adjoint (the same correlation of the output gradient with the reversed, transposed
/// filters, padded by 2 − p) share one set of transformed filters, made at the weight's first use.
/// Every output element comes from its own tile's transforms and k-order chains, so a sample comes
/// out the same in any batch, any group and on any number of threads.
extension Tensor {
    /// Off with `CURVATURE_WINOGRAD=0` (to measure the difference); the packed path then convolves.
    public static let winogradEnabled = convolvesPacked && ProcessInfo.processInfo.environment["CURVATURE_WINOGRAD"] != "0"

    /// 3×3, stride 1, padding ≤ 2 (so the adjoint's 2 − p is a padding too), channels enough on both
    /// sides for the transforms to cost less than the multiplications they save, and at least 16
    /// tiles (an 8×8 output): a smaller image's products are thin, and reading the filters, 16/9 the
    /// weight's size, costs more than im2col's multiplications save (CIFAR ResNet-18's 4×4 stage:
    /// 20.6 HVP/s at batch 1 with it, 29.8 without; no change at batch 32). Decided by the layer
    /// alone, never the batch, so a sample's bits do not depend on its batch.
    public static func convolvesByWinograd(_ g: ConvolutionGeometry) -> Bool {
        winogradEnabled && g.kernelHeight == 3 && g.kernelWidth == 3 && g.stride == 1 && g.padding <= 2
            && g.inChannels >= 16 && g.outChannels >= 16 && (g.outHeight + 1) / 2 * ((g.outWidth + 1) / 2) >= 16
    }

    /// A layer's filters U_ξ[o][c], ξ-major: 16·O·C floats.
    final class WinogradFilters: @unchecked Sendable {
        let values: UnsafeMutablePointer<Float>
        init(_ w: Tensor, outputs: Int, inputs: Int) {
            values = .allocate(capacity: 16 * outputs * inputs)
            curvature_winograd_filters(w.buffer(Float.self).baseAddress!, outputs, inputs, values)
        }
        deinit { values.deallocate() }
    }

    private static func winogradFilters(_ w: Tensor, _ g: ConvolutionGeometry) -> WinogradFilters {
        w.storage.form(.winogradFilters(outputs: g.outChannels, inputs: g.inChannels)) {
            WinogradFilters(w, outputs: g.outChannels, inputs: g.inChannels)
        }
    }

    static func winogradForward(_ x: Tensor, _ w: Tensor, _ y: inout Tensor, _ g: ConvolutionGeometry) {
        let filters = winogradFilters(w, g)
        withExtendedLifetime(filters) {
            correlate(x.buffer(Float.self).baseAddress!, inputs: g.inChannels, g.height, g.width, pad: g.padding,
                      filters.values, reversed: false, outputs: g.outChannels, g.outHeight, g.outWidth,
                      y.mutableBuffer(Float.self).baseAddress!, batch: g.batch)
        }
    }

    static func winogradInputAdjoint(_ dy: Tensor, _ w: Tensor, _ dx: inout Tensor, _ g: ConvolutionGeometry) {
        let filters = winogradFilters(w, g)
        withExtendedLifetime(filters) {
            correlate(dy.buffer(Float.self).baseAddress!, inputs: g.outChannels, g.outHeight, g.outWidth, pad: 2 - g.padding,
                      filters.values, reversed: true, outputs: g.inChannels, g.height, g.width,
                      dx.mutableBuffer(Float.self).baseAddress!, batch: g.batch)
        }
    }

    /// Frequency of the reversed filter: i and j each through P = (3 1 2 0).
    private static let reversedFrequency: [Int] = (0..<16).map { ξ in
        let p = [3, 1, 2, 0]
        return p[ξ / 4] * 4 + p[ξ % 4]
    }

    /// y[n] = x[n] ⋆ filters for every sample n: x [inputs, height, width] zero-padded by `pad`, y
    /// [outputs, outHeight, outWidth]. `filters` are U [16, outputs, inputs], or with `reversed`
    /// those of the forward convolution whose adjoint this is (U [16, inputs, outputs], read
    /// transposed at the reversed frequency).
    private static func correlate(
        _ x: UnsafePointer<Float>, inputs: Int, _ height: Int, _ width: Int, pad: Int,
        _ filters: UnsafePointer<Float>, reversed: Bool,
        outputs: Int, _ outHeight: Int, _ outWidth: Int, _ y: UnsafeMutablePointer<Float>, batch: Int
    ) {
        let tilesY = (outHeight + 1) / 2, tilesX = (outWidth + 1) / 2, tiles = tilesY * tilesX
        let inStride = inputs * height * width, outStride = outputs * outHeight * outWidth
        // A product's columns are tiles: enough for the kernels' tiles (≥ 64), few enough that the
        // 16 products' transformed tiles and results stay in the L2 cache (~512 KiB while the
        // channels allow 64 columns) — a chunk of a large image's tile rows, or several small
        // images. Only speed depends on this.
        let columns = Swift.max(64, (1 << 17) / (16 * (inputs + outputs)))
        let (group, chunkRows) = tiles >= columns
            ? (1, Swift.max(1, columns / tilesX))
            : (Swift.min(Swift.max(1, columns / Swift.max(tiles, 1)), Swift.max(batch, 1)), tilesY)
        let most = group * Swift.min(chunkRows, tilesY) * tilesX
        let threads = Parallel.threadCount
        let (lda, aStep) = reversed ? (1, outputs) : (inputs, 1)
        forEachGroup(batch: batch, size: group, workspace: { _ in [16 * inputs * most, 16 * outputs * most] }) {
            first, count, workspace, inParallel in
            let (v, m) = (workspace[0], workspace[1])
            // A group alone (`inParallel`): each stage in parallel inside, over samples × channel blocks.
            func stage(_ channels: Int, _ body: (_ sample: Int, _ channels: Range<Int>) -> Void) {
                let pieces = !inParallel || threads == 1 ? 1 : Swift.max(1, Swift.min(channels, 4 * threads / count + 1))
                let size = (channels + pieces - 1) / pieces
                Parallel.forEachBlock(of: count * pieces, size: inParallel ? 1 : count * pieces) { units in
                    for unit in units {
                        let start = unit % pieces * size
                        if start < channels { body(unit / pieces, start..<Swift.min(start + size, channels)) }
                    }
                }
            }
            for rowBegin in stride(from: 0, to: tilesY, by: chunkRows) {
                let rowEnd = Swift.min(rowBegin + chunkRows, tilesY), perSample = (rowEnd - rowBegin) * tilesX
                let n = count * perSample
                stage(inputs) { s, range in
                    curvature_winograd_input(x + (first + s) * inStride + range.lowerBound * height * width, range.count,
                                             height, width, pad, rowBegin, rowEnd, tilesX,
                                             v + range.lowerBound * n + s * perSample, inputs * n, n)
                }
                func product(_ ξ: Int) {
                    PackedGEMM.multiply(filters + (reversed ? reversedFrequency[ξ] : ξ) * inputs * outputs,
                                        rows: outputs, lda: lda, aStep: aStep, by: .rows(v + ξ * inputs * n, ldb: n),
                                        k: inputs, n: n, into: m + ξ * outputs * n, ldc: n, inParallel: false)
                }
                if inParallel {
                    Parallel.forEachBlock(of: 16, size: 1) { product($0.lowerBound) }
                } else {
                    for ξ in 0..<16 { product(ξ) }
                }
                stage(outputs) { s, range in
                    curvature_winograd_output(m + range.lowerBound * n + s * perSample, outputs * n, n, range.count,
                                              rowBegin, rowEnd, tilesX, outHeight, outWidth,
                                              y + (first + s) * outStride + range.lowerBound * outHeight * outWidth)
                }
            }
        }
    }
}
