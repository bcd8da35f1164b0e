import CBLAS
import Randomness

/// Which Ritz values a converging solver looks for, and how many.
public enum ExtremeEigenvalues: Equatable, Sendable {
    /// The `k` algebraically largest.
    case largest(Int)
    /// The `k` algebraically smallest.
    case smallest(Int)
    /// The `k` of largest absolute value.
    case largestMagnitude(Int)
    /// The `k` largest and the `k` smallest (a Krylov space resolves both ends at once).
    case bothEnds(Int)

    /// The number of values wanted.
    public var count: Int {
        switch self {
        case let .largest(k), let .smallest(k), let .largestMagnitude(k): return k
        case let .bothEnds(k): return 2 * k
        }
    }

    /// The same end with `extra` more values.
    func widened(by extra: Int) -> ExtremeEigenvalues {
        switch self {
        case let .largest(k): return .largest(k + extra)
        case let .smallest(k): return .smallest(k + extra)
        case let .largestMagnitude(k): return .largestMagnitude(k + extra)
        case let .bothEnds(k): return .bothEnds(k + extra)
        }
    }

    /// Indices into `values` (sorted descending) of the wanted ones, in descending order of value.
    func pick(fromDescending values: [Double]) -> [Int] {
        let k = Swift.min(count, values.count)
        switch self {
        case let .bothEnds(each):
            let top = Swift.min(each, values.count)
            return Array(0..<top) + Array(Swift.max(top, values.count - each)..<values.count)
        case .largest: return Array(0..<k)
        case .smallest: return Array((values.count - k)..<values.count)
        case .largestMagnitude:
            // Ties in |θ| go to the earlier (larger) value, so the choice is deterministic.
            return values.indices.sorted { (abs(values[$0]), -$0) > (abs(values[$1]), -$1) }.prefix(k).sorted()
        }
    }
}

/// Settings for ``blockLanczos(_:options:)``.
public struct BlockLanczosOptions: Equatable, Sendable {
    /// Vectors per block `p`. With `p ≥ 2` an eigenvalue of multiplicity up to `p` is found with all
    /// its copies, and a member of a tight cluster is missed only if every start vector is nearly
    /// orthogonal to it (the chance falls like the `p`-th power of a single vector's). Default 2.
    public var blockSize: Int
    /// Which Ritz values, and how many.
    public var wanted: ExtremeEigenvalues
    /// A sample stops only when this many Ritz values beyond the wanted ones (towards the interior)
    /// have converged too. Near the edge of the wanted set the spectrum is often dense, and the
    /// value just past it can converge before the last wanted one has appeared in the Krylov
    /// space; the guards give it the steps to appear. Default: the block size.
    public var guardValues: Int?
    /// A wanted Ritz pair has converged when its residual bound `‖B_{m+1} S_i‖` is at most
    /// `tolerance · scale`, `scale` the largest |Ritz value| (an estimate of ‖H‖ from below).
    public var tolerance: Double
    /// Relative accuracy of one operator apply (the arithmetic's rounding, amplified by the
    /// computation behind it). No bound below `operatorPrecision · scale` is reported, and a
    /// tolerance below it is raised to it: the recurrence cannot see errors the operator makes.
    public var operatorPrecision: Double
    /// The largest Krylov dimension (operator applies per sample), rounded up to whole blocks and
    /// capped at the dimension.
    public var maxDimension: Int
    /// Run to `maxDimension` whatever the residuals (a fixed budget), instead of stopping each
    /// sample once its wanted pairs have converged.
    public var fixedDimension: Bool
    /// Seed of the random start blocks (sample `b` uses stream `op.randomStream(forSample: b)`).
    public var seed: UInt64
    /// Whether to return the Ritz vectors.
    public var wantVectors = false

    /// Creates block-Lanczos settings.
    public init(
        wanted: ExtremeEigenvalues, blockSize: Int = 2, tolerance: Double, operatorPrecision: Double = .ulpOfOne,
        maxDimension: Int, fixedDimension: Bool = false, guardValues: Int? = nil, seed: UInt64 = 0
    ) {
        self.wanted = wanted
        self.guardValues = guardValues
        self.blockSize = blockSize
        self.tolerance = tolerance
        self.operatorPrecision = operatorPrecision
        self.maxDimension = maxDimension
        self.fixedDimension = fixedDimension
        self.seed = seed
    }

    /// The residual level at which a pair counts as converged, relative to the scale.
    var effectiveTolerance: Double { Swift.max(tolerance, operatorPrecision) }
}

/// One sample's block-Lanczos outcome.
public struct BlockLanczosResult: Equatable, Sendable {
    /// The wanted Ritz values, descending.
    public var ritzValues: [Double]
    /// For each, an eigenvalue of `H` lies within this distance: `‖H y − θ y‖` of its Ritz vector,
    /// as the recurrence gives it (`‖B_{m+1} S_i‖`), but never below `operatorPrecision · scale`.
    /// It bounds the distance to *some* eigenvalue; that the ranks are right rests on no eigenvalue
    /// having been missed (see ``blockLanczos(_:options:)``).
    public var residualBounds: [Double]
    /// Whether each bound is within `max(tolerance, operatorPrecision) · scale`.
    public var converged: [Bool]
    /// `scale`: the largest |Ritz value|, the unit of the tolerances.
    public var scale: Double
    /// The Krylov dimension reached: the operator applies this sample took.
    public var dimension: Int
    /// Whether the basis spans the whole space (the Ritz values are then every eigenvalue).
    public var spansSpace: Bool
    /// With ``BlockLanczosOptions/wantVectors``: `ritzValues.count × dimension` values, row i the
    /// unit Ritz vector of `ritzValues[i]`.
    public var ritzVectors: [Double]? = nil
}

/// Batched block Lanczos with full re-orthogonalisation: each sample grows its own block Krylov
/// space from `p` random start vectors, all samples in lock-step (`p` batched operator applies per
/// step), until its wanted Ritz pairs have converged or `maxDimension` is reached.
///
/// Why blocks: single-vector Lanczos finds one copy of a repeated eigenvalue, and inside a tight
/// cluster it can converge on one member while another has not yet appeared in the Krylov space —
/// every Ritz value then has a small residual, yet the ranks below the missing one are shifted.
/// A block of `p` starts finds multiplicities up to `p` and makes a silent miss need all `p` starts
/// to be poor at once. The cost is the same number of applies for the same Krylov dimension; the
/// block space is a little less efficient per apply on well-separated spectra.
///
/// Each sample stops on its own; its arithmetic never involves another sample, so its result does
/// not depend on the batch it ran in. Convergence is checked on the projected matrix `T` (eigen-
/// decomposed with LAPACK's `dsyevd`) about every dimension/20 blocks. A column whose residual
/// vanishes (an invariant subspace) is replaced by a random vector orthogonal to the basis, so the
/// search continues in the rest of the space.
///
/// - Returns: One ``BlockLanczosResult`` per sample.
/// - Throws: ``SpectraError/invalidArgument(_:)`` for bad settings, and the operator's errors.
public func blockLanczos(_ op: some BatchedLinearOperator, options: BlockLanczosOptions) throws -> [BlockLanczosResult] {
    try op.checkShape()
    let n = op.dimension
    let batch = op.batchSize
    let k = options.wanted.count
    guard options.blockSize >= 1 else { throw SpectraError.invalidArgument("block size \(options.blockSize) must be ≥ 1") }
    guard k >= 1 else { throw SpectraError.invalidArgument("eigenvalue count \(k) must be ≥ 1") }
    let excluded = (0..<batch).map { op.excludedDirections(forSample: $0) }
    guard excluded.allSatisfy({ $0.count == excluded[0].count && $0.count % n == 0 }), excluded[0].count < n * n else {
        throw SpectraError.invalidArgument("excluded directions: every sample needs the same number (< dimension) of rows of \(n) values")
    }
    // The space searched: the complement of the excluded directions.
    let space = n - excluded[0].count / n
    guard k <= space else { throw SpectraError.invalidArgument("eigenvalue count \(k) exceeds the dimension \(space)") }
    guard options.tolerance > 0, options.tolerance < 1 else {
        throw SpectraError.invalidArgument("tolerance \(options.tolerance) must lie in (0, 1)")
    }
    guard options.operatorPrecision >= 0, options.operatorPrecision < 1 else {
        throw SpectraError.invalidArgument("operator precision \(options.operatorPrecision) must lie in [0, 1)")
    }
    let maxDimension = Swift.min(options.maxDimension, space)
    guard maxDimension >= k else { throw SpectraError.tooManyEigenvalues(requested: k, steps: maxDimension) }
    let p = Swift.min(options.blockSize, space)

    var samples = (0..<batch).map {
        BlockKrylovSample(n: n, excluded: excluded[$0],
                          generator: Xoshiro256StarStar(seed: options.seed, stream: op.randomStream(forSample: $0)))
    }
    for b in 0..<batch { samples[b].start(width: p) }

    // H applied to every column of every active sample's current block in one call: block c of
    // `x` holds each row's c-th column; finished samples, and columns past a narrower block's
    // width, are zero rows. `rows[r]` is the sample behind the operator's row r: once an eighth
    // of the rows belong to finished samples, an operator that can drops them, so a batch's cost
    // follows its samples' own convergence instead of its slowest sample's.
    var current: any BatchedLinearOperator = op
    var rows = Array(0..<batch)
    var x: [Double] = [], y: [Double] = []
    var products = [[Double]](repeating: [], count: batch)
    while samples.contains(where: \.active) {
        let active = rows.indices.filter { samples[rows[$0]].active }
        if active.count * 8 <= rows.count * 7, let smaller = try current.restricted(to: active) {
            (current, rows) = (smaller, active.map { rows[$0] })
        }
        let count = rows.count
        let columns = rows.filter { samples[$0].active }.map { samples[$0].width }.max()!
        if x.count != columns * count * n { x = [Double](repeating: 0, count: columns * count * n) }
        x.withUnsafeMutableBufferPointer { xp in
            for column in 0..<columns {
                for (r, b) in rows.enumerated() {
                    let row = xp.baseAddress! + (column * count + r) * n
                    if samples[b].active && samples[b].width > column {
                        samples[b].copyCurrentColumn(column, to: row)
                    } else {
                        row.update(repeating: 0, count: n)
                    }
                }
            }
        }
        do {
            try current.checkedApply(columns: columns, x, into: &y)
        } catch let SpectraError.operatorOutputNotFinite(row, index) {
            throw SpectraError.operatorOutputNotFinite(sample: rows[row], index: index)
        }
        for (r, b) in rows.enumerated() where samples[b].active {
            products[b] = []
            for column in 0..<samples[b].width {
                products[b].append(contentsOf: y[((column * count + r) * n)..<((column * count + r + 1) * n)])
            }
        }
        for b in rows where samples[b].active {
            try samples[b].step(products: products[b], options: options, maxDimension: maxDimension)
        }
    }
    return try samples.map { try $0.result(options: options) }
}

// MARK: - One sample

/// One sample's block Krylov space: its orthonormal basis, the blocks of `T` and its stopping state.
struct BlockKrylovSample {
    let n: Int
    /// Rows the basis is kept orthogonal to, outside the searched space (not part of `T`).
    let excluded: [Double]
    /// The searched space's dimension: `n` less the excluded rows.
    var space: Int { n - excluded.count / n }
    var generator: Xoshiro256StarStar
    /// Orthonormal rows: the blocks `Q_0, Q_1, …` one after another, then the next block `Q_{j+1}`.
    var basis: [Double] = []
    /// Width of each block in `basis` (the last may be narrower when the space runs out).
    var widths: [Int] = []
    /// `A_j = Q_jᵀ H Q_j` (`w_j × w_j`, row-major) of each finished block.
    var diagonalBlocks: [[Double]] = []
    /// `B_{j+1}` (`w_{j+1} × w_j`) with `R_j = Q_{j+1} B_{j+1}`, for each finished block.
    var couplings: [[Double]] = []
    var active = true
    /// A running estimate of ‖T‖, for the test of a vanishing column.
    var normT = 0.0
    var blocksSinceCheck = 0

    init(n: Int, excluded: [Double] = [], generator: Xoshiro256StarStar) {
        self.n = n
        self.excluded = excluded
        self.generator = generator
    }

    /// Rows of the finished blocks (`Q_0 … Q_j`).
    var dimension: Int { widths.dropLast().reduce(0, +) }
    /// Width of the current block (the last one in `basis`).
    var width: Int { widths.last ?? 0 }

    func copyCurrentColumn(_ column: Int, to row: UnsafeMutablePointer<Double>) {
        let offset = (basis.count / n - width + column) * n
        basis.withUnsafeBufferPointer { row.update(from: $0.baseAddress! + offset, count: n) }
    }

    /// The first block: `p` random rows, orthonormalised.
    mutating func start(width p: Int) {
        var rows = [Double]()
        rows.reserveCapacity(p * n)
        for _ in 0..<(p * n) { rows.append(generator.normal()) }
        // The start's R factor is not part of T, and a (measure-zero) dependent draw is replaced.
        _ = appendOrthonormalized(rows, count: p, vanishing: 0)
    }

    /// Orthonormalises `rows` (`count × n`) against the basis and each other, appends the result
    /// to the basis as one block, and returns `R` (`width × count`, row-major) with
    /// `rows = Q_new R` up to the parts along the old basis. A column that vanishes (norm at most
    /// `vanishing`) gets a zero row of `R` and, while the space has room, a random replacement.
    mutating func appendOrthonormalized(_ rows: [Double], count: Int, vanishing: Double) -> [Double] {
        let oldRows = basis.count / n
        var r = [Double](repeating: 0, count: count * count)
        var newWidth = 0
        var scratch = [Double](repeating: 0, count: oldRows + count)
        for c in 0..<count {
            var w = Array(rows[(c * n)..<((c + 1) * n)])
            let length = orthogonalizeTwice(&w, newRows: newWidth, projections: &scratch)
            // Projections onto the new rows are R's column c (the old rows' part is discarded).
            for i in 0..<newWidth { r[i * count + c] = scratch[oldRows + i] }
            if length > vanishing && length > 0 {
                for i in 0..<n { w[i] /= length }
                r[newWidth * count + c] = length
            } else {
                guard oldRows + newWidth < space else { continue }  // the space is full: the block narrows
                while true {
                    for i in 0..<n { w[i] = generator.normal() }
                    let fresh = orthogonalizeTwice(&w, newRows: newWidth, projections: &scratch)
                    if fresh > 1e-8 * Double(n).squareRoot() {
                        for i in 0..<n { w[i] /= fresh }
                        break
                    }
                }
            }
            basis.append(contentsOf: w)
            newWidth += 1
        }
        widths.append(newWidth)
        // Rows of R belong to the new columns kept: the first newWidth rows.
        return Array(r.prefix(newWidth * count))
    }

    /// `w -= Q Qᵀ w` over every basis row (including `newRows` rows appended in this block), done
    /// twice; returns ‖w‖ and leaves the accumulated projections in `projections`.
    func orthogonalizeTwice(_ w: inout [Double], newRows: Int, projections: inout [Double]) -> Double {
        let rows = basis.count / n
        for i in 0..<rows { projections[i] = 0 }
        if !excluded.isEmpty {
            var scratch = [Double](repeating: 0, count: excluded.count / n)
            excluded.withUnsafeBufferPointer { e in
                w.withUnsafeMutableBufferPointer { orthogonalize($0.baseAddress!, against: e.baseAddress!, rows: excluded.count / n, n: n, scratch: &scratch) }
            }
        }
        guard rows > 0 else { return cblas_dnrm2(blasint(n), w, 1) }
        var s = [Double](repeating: 0, count: rows)
        basis.withUnsafeBufferPointer { q in
            for _ in 0..<2 {
                cblas_dgemv(CblasRowMajor, CblasNoTrans, blasint(rows), blasint(n), 1, q.baseAddress!, blasint(n), w, 1, 0, &s, 1)
                cblas_dgemv(CblasRowMajor, CblasTrans, blasint(rows), blasint(n), -1, q.baseAddress!, blasint(n), s, 1, 1, &w, 1)
                for i in 0..<rows { projections[i] += s[i] }
            }
        }
        return cblas_dnrm2(blasint(n), w, 1)
    }

    /// One block step: `products` holds `H q` for each column of the current block.
    mutating func step(products: [Double], options: BlockLanczosOptions, maxDimension: Int) throws {
        let w = width
        let blockStart = basis.count / n - w
        var residual = products
        // A_j = Q_jᵀ H Q_j, symmetrised.
        var a = [Double](repeating: 0, count: w * w)
        basis.withUnsafeBufferPointer { q in
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(w), blasint(w), blasint(n), 1,
                        q.baseAddress! + blockStart * n, blasint(n), products, blasint(n), 0, &a, blasint(w))
        }
        for i in 0..<w { for j in 0..<i { let mean = 0.5 * (a[i * w + j] + a[j * w + i]); (a[i * w + j], a[j * w + i]) = (mean, mean) } }
        // R = H Q_j − Q_j A_j − Q_{j−1} B_jᵀ (row c of `residual` is column c of R).
        basis.withUnsafeBufferPointer { q in
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(w), blasint(n), blasint(w), -1,
                        a, blasint(w), q.baseAddress! + blockStart * n, blasint(n), 1, &residual, blasint(n))
            if let b = couplings.last, widths.count >= 2 {
                let previousWidth = widths[widths.count - 2]
                // Row c of Q_{j−1}B_jᵀ is Σ_i B_j[c, i] q_{j−1, i}.
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(w), blasint(n), blasint(previousWidth), -1,
                            b, blasint(previousWidth), q.baseAddress! + (blockStart - previousWidth) * n, blasint(n), 1,
                            &residual, blasint(n))
            }
        }
        diagonalBlocks.append(a)
        let blockNorm = a.map(abs).max() ?? 0
        normT = Swift.max(normT, blockNorm + (couplings.last?.map(abs).max() ?? 0))
        // The next block: the search's next directions, or, when the budget is spent, only the
        // residual's R factor, which the bounds need. A budget that is not a whole number of blocks
        // is rounded up (cutting a block would drop part of the residual from the bounds).
        let budgetSpent = dimension + w >= maxDimension
        let next = appendOrthonormalized(residual, count: w, vanishing: 1e-12 * Swift.max(normT, .leastNormalMagnitude))
        couplings.append(next)
        normT = Swift.max(normT, blockNorm + (next.map(abs).max() ?? 0))

        blocksSinceCheck += 1
        let guarded = options.wanted.widened(by: options.guardValues ?? options.blockSize)
        if budgetSpent || dimension >= space || width == 0 {
            active = false
        } else if !options.fixedDimension && dimension >= Swift.min(guarded.count, space) && checkDue() {
            blocksSinceCheck = 0
            if try ritzPairs(options: options, wanted: guarded).converged.allSatisfy({ $0 }) { active = false }
        }
    }

    /// Checks about every dimension/20 blocks: the eigensolve of `T` costs `O(dimension³)` and must
    /// stay small beside the operator applies, and a sample overshoots its convergence by at most
    /// a twentieth of its dimension.
    func checkDue() -> Bool {
        blocksSinceCheck >= Swift.max(1, (dimension + 19) / 20)
    }

    /// `T`, the projection of `H` on the finished blocks, dense row-major.
    func projectedMatrix() -> [Double] {
        let d = dimension
        var t = [Double](repeating: 0, count: d * d)
        var offset = 0
        for (j, a) in diagonalBlocks.enumerated() {
            let w = widths[j]
            for r in 0..<w { for c in 0..<w { t[(offset + r) * d + offset + c] = a[r * w + c] } }
            if j + 1 < diagonalBlocks.count {
                let b = couplings[j], below = widths[j + 1]
                for r in 0..<below {
                    for c in 0..<w {
                        t[(offset + w + r) * d + offset + c] = b[r * w + c]
                        t[(offset + c) * d + offset + w + r] = b[r * w + c]
                    }
                }
            }
            offset += w
        }
        return t
    }

    /// The wanted Ritz values of `T` with their residual bounds `‖B_{m+1} s_i‖` (floored) and
    /// convergence flags.
    func ritzPairs(options: BlockLanczosOptions, wanted: ExtremeEigenvalues? = nil) throws
        -> (values: [Double], bounds: [Double], converged: [Bool], scale: Double, coefficients: [Double])
    {
        let d = dimension
        let eigen = try symmetricEigen(matrix: projectedMatrix(), dimension: d, wantVectors: true)
        let vectors = eigen.vectors!
        let scale = eigen.values.map(abs).max() ?? 0
        let lastWidth = widths[diagonalBlocks.count - 1]
        let b = couplings[diagonalBlocks.count - 1]
        let below = b.count / Swift.max(lastWidth, 1)
        let floor = options.operatorPrecision * scale
        let level = options.effectiveTolerance * scale
        // ‖B_{m+1} s_i‖ over the last block's components of s_i: the residual of every Ritz pair.
        let residuals = (0..<d).map { i in
            var sum = 0.0
            for r in 0..<below {
                var entry = 0.0
                for c in 0..<lastWidth { entry += b[r * lastWidth + c] * vectors[i * d + d - lastWidth + c] }
                sum += entry * entry
            }
            return sum.squareRoot()
        }
        var values: [Double] = [], bounds: [Double] = [], converged: [Bool] = [], coefficients: [Double] = []
        for i in (wanted ?? options.wanted).pick(fromDescending: eigen.values) {
            coefficients += vectors[(i * d)..<((i + 1) * d)]
            let bound = Swift.max(Self.errorBound(of: i, values: eigen.values, residuals: residuals), floor)
            values.append(eigen.values[i])
            bounds.append(bound)
            converged.append(bound <= level)
        }
        return (values, bounds, converged, scale, coefficients)
    }

    /// A bound on the distance from Ritz value `i` to an eigenvalue: its residual `r`, or, where
    /// the other Ritz values, each widened by its own residual, leave a gap `δ > r` around it,
    /// Kato–Temple's `r²/δ` (an eigenvalue's error shrinks like the square of its residual's when
    /// it is isolated). In a cluster `δ` is small and the bound is `r`, so a cluster's members are
    /// judged by their residuals, as before.
    static func errorBound(of i: Int, values: [Double], residuals: [Double]) -> Double {
        let r = residuals[i]
        var gap = Double.infinity
        for j in values.indices where j != i { gap = Swift.min(gap, abs(values[i] - values[j]) - residuals[j]) }
        return gap > r ? Swift.min(r, r * r / gap) : r
    }

    func result(options: BlockLanczosOptions) throws -> BlockLanczosResult {
        let pairs = try ritzPairs(options: options)
        var vectors: [Double]?
        if options.wantVectors {
            // Y = S Q: each Ritz vector from its coefficients over the finished blocks' rows.
            let (k, d) = (pairs.values.count, dimension)
            var y = [Double](repeating: 0, count: k * n)
            basis.withUnsafeBufferPointer { q in
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(k), blasint(n), blasint(d), 1,
                            pairs.coefficients, blasint(d), q.baseAddress!, blasint(n), 0, &y, blasint(n))
            }
            vectors = y
        }
        return BlockLanczosResult(
            ritzValues: pairs.values, residualBounds: pairs.bounds, converged: pairs.converged, scale: pairs.scale,
            dimension: dimension, spansSpace: dimension >= space, ritzVectors: vectors)
    }
}
