/// A source plane laid into a zero scratch plane so that a correlation of any stride reads each
/// output row's taps as unit-stride runs: element (y, x) of the source goes to (top + y·spacing,
/// left + x·spacing) of a `rows` × `columns` plane (outside it, dropped), and the columns are dealt
/// into `stride` phases (column q + stride·k is kept at phase q, position k). A direct
/// convolution reads it without an im2col buffer: tap (i, j) of output (oy, ox) is at row
/// oy·stride + i, phase j mod stride, position j / stride + ox.
struct PlanePlacement {
    let sourceHeight, sourceWidth: Int
    /// 1 for a convolution's input; its stride for the output gradient of its input adjoint (zeros between).
    let spacing: Int
    let top, left: Int
    let rows, columns: Int
    let stride: Int

    var phaseLength: Int { (columns + stride - 1) / stride }
    var rowLength: Int { stride * phaseLength }
    var planeSize: Int { rows * rowLength }

    /// Offset in the plane of tap (i, j) for output (oy, 0).
    @inline(__always)
    func tap(row oy: Int, _ i: Int, _ j: Int) -> Int {
        (oy * stride + i) * rowLength + (j % stride) * phaseLength + j / stride
    }

    /// Writes `source` [sourceHeight, sourceWidth] into `plane` (planeSize elements, zeros elsewhere).
    @inline(__always)
    func place<T: KernelScalar>(_ source: UnsafePointer<T>, into plane: UnsafeMutablePointer<T>) {
        plane.initialize(repeating: 0, count: planeSize)
        // Source columns x whose column left + x·spacing lies inside the plane.
        let firstX = left >= 0 ? 0 : (-left + spacing - 1) / spacing
        let endX = Swift.min(sourceWidth, Swift.max(firstX, (columns - left + spacing - 1) / spacing))
        guard firstX < endX else { return }
        for y in 0..<sourceHeight {
            let r = top + y * spacing
            if r < 0 || r >= rows { continue }
            let from = source + y * sourceWidth, line = plane + r * rowLength
            if spacing == 1 && stride == 1 {
                (line + left + firstX).update(from: from + firstX, count: endX - firstX)
                continue
            }
            for x in firstX..<endX {
                let c = left + x * spacing
                line[(c % stride) * phaseLength + c / stride] = from[x]
            }
        }
    }
}

/// The inner loops of a direct convolution over placed planes, vectorised along output rows
/// (eight outputs, or four, or two at a time; a short row's last vector overlaps the one before,
/// which only recomputes outputs, each the same way).
enum PlaneCorrelation {
    /// output[oy·width + ox] = Σ_c Σ_i Σ_j taps[c][i·kw + j] · planes[c][tap(oy, i, j) + ox] over
    /// `count` planes `planeSize` apart, summed in that order (c, then i, then j) from zero. Four
    /// output rows are computed together: four independent chains of additions instead of one
    /// (whose latency bounded the loop), and one load of each tap's weight for all four.
    @inline(__always)
    static func correlate<T: KernelScalar>(
        _ planes: UnsafePointer<T>, count: Int, _ layout: PlanePlacement, taps: UnsafePointer<T>,
        kernelHeight kh: Int, kernelWidth kw: Int, into output: UnsafeMutablePointer<T>, height: Int, width: Int
    ) {
        let rowStep = layout.stride * layout.rowLength  // from one output row's taps to the next's
        @inline(__always) func load<V: SIMD>(_: V.Type, _ p: UnsafePointer<T>) -> V where V.Scalar == T {
            UnsafeRawPointer(p).loadUnaligned(as: V.self)
        }
        @inline(__always) func store<V: SIMD>(_ v: V, row oy: Int, at ox: Int) where V.Scalar == T {
            UnsafeMutableRawPointer(output + oy * width + ox).storeBytes(of: v, as: V.self)
        }
        /// Rows oy..<oy+4 (`four`) or row oy alone, outputs ox..<ox+lanes.
        @inline(__always) func outputs<V: SIMD>(_: V.Type, row oy: Int, four: Bool, at ox: Int) where V.Scalar == T {
            var (s0, s1, s2, s3) = (V(), V(), V(), V())
            for c in 0..<count {
                let plane = planes + c * layout.planeSize + ox, weights = taps + c * kh * kw
                for i in 0..<kh {
                    let line = plane + layout.tap(row: oy, i, 0)
                    for j in 0..<kw {
                        let run = line + (j % layout.stride) * layout.phaseLength + j / layout.stride, w = weights[i * kw + j]
                        s0 += w * load(V.self, run)
                        if four {
                            s1 += w * load(V.self, run + rowStep)
                            s2 += w * load(V.self, run + 2 * rowStep)
                            s3 += w * load(V.self, run + 3 * rowStep)
                        }
                    }
                }
            }
            store(s0, row: oy, at: ox)
            if four { store(s1, row: oy + 1, at: ox); store(s2, row: oy + 2, at: ox); store(s3, row: oy + 3, at: ox) }
        }
        @inline(__always) func rows<V: SIMD>(_: V.Type, _ oy: Int, four: Bool) where V.Scalar == T {
            let lanes = V.scalarCount
            var ox = 0
            while ox + lanes < width { outputs(V.self, row: oy, four: four, at: ox); ox += lanes }
            outputs(V.self, row: oy, four: four, at: width - lanes)
        }
        var oy = 0
        while oy < height {
            let four = oy + 4 <= height
            if width >= 8 {
                rows(SIMD8<T>.self, oy, four: four)
            } else if width >= 4 {
                rows(SIMD4<T>.self, oy, four: four)
            } else if width >= 2 {
                rows(SIMD2<T>.self, oy, four: four)
            } else {
                for r in oy..<(four ? oy + 4 : oy + 1) {
                    var sum: T = 0
                    for c in 0..<count {
                        for i in 0..<kh {
                            for j in 0..<kw { sum += taps[(c * kh + i) * kw + j] * planes[c * layout.planeSize + layout.tap(row: r, i, j)] }
                        }
                    }
                    output[r * width] = sum
                }
            }
            oy += four ? 4 : 1
        }
    }

    /// Σ_oy Σ_ox gradient[oy·width + ox] · plane[tap(oy, i, j) + ox] for every tap, into
    /// `taps[i·kw + j]`: a weight gradient's contribution from one sample. Each is summed eight
    /// lanes at a time over the rows, the lanes then added, then the columns past the last eight.
    @inline(__always)
    static func tapProducts<T: KernelScalar>(
        _ gradient: UnsafePointer<T>, height: Int, width: Int, _ plane: UnsafePointer<T>, _ layout: PlanePlacement,
        kernelHeight kh: Int, kernelWidth kw: Int, into taps: UnsafeMutablePointer<T>
    ) {
        let vectorWidth = width / 8 * 8
        for i in 0..<kh {
            for j in 0..<kw {
                var lanes = SIMD8<T>()
                var tail: T = 0
                for oy in 0..<height {
                    let g = gradient + oy * width, x = plane + layout.tap(row: oy, i, j)
                    for ox in stride(from: 0, to: vectorWidth, by: 8) {
                        lanes += UnsafeRawPointer(g + ox).loadUnaligned(as: SIMD8<T>.self) * UnsafeRawPointer(x + ox).loadUnaligned(as: SIMD8<T>.self)
                    }
                    for ox in vectorWidth..<width { tail += g[ox] * x[ox] }
                }
                taps[i * kw + j] = lanes.sum() + tail
            }
        }
    }
}
