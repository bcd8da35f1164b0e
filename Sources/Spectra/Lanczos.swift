import CBLAS
import Randomness

/// Whether Lanczos re-orthogonalises each new vector against all earlier ones.
public enum Reorthogonalization: String, Equatable, Sendable, CaseIterable {
    /// Against the whole stored basis, twice per step, as matrix-vector products. Keeps the basis
    /// orthonormal to working precision, so no spurious ("ghost") copies of converged Ritz values
    /// appear. Costs `batchSize × steps × dimension` stored doubles and `O(steps² · dimension)` flops
    /// per sample.
    case full
    /// Only the three-term recurrence. Cheap in memory, but orthogonality is lost as Ritz values
    /// converge and duplicates of them appear.
    case none
}

/// Settings for ``lanczos(_:options:startVectors:)``.
public struct LanczosOptions: Equatable, Sendable {
    /// Number of Lanczos steps `m` (operator applies); `1 ≤ m ≤ dimension`.
    public var steps: Int
    /// Which Ritz values to return; the count `k` must be `≤ steps`.
    public var selection: EigenvalueSelection
    /// Re-orthogonalisation scheme; ``Reorthogonalization/full`` by default.
    public var reorthogonalization: Reorthogonalization
    /// Whether to form the Ritz vectors (basis × eigenvectors of the tridiagonal).
    public var wantRitzVectors: Bool
    /// A sample breaks down when `β_j ≤ breakdownTolerance · ‖T‖`, `‖T‖` estimated by the running
    /// maximum of `|α_i| + β_{i−1} + β_i`.
    public var breakdownTolerance: Double
    /// Seed of the random normal start vectors (sample `b` uses stream `b`).
    public var seed: UInt64

    /// Creates Lanczos settings.
    ///
    /// - Parameter steps: Number of Lanczos steps `m`, `1 ≤ m ≤ dimension`.
    /// - Parameter selection: Which Ritz values to return; at most `m` of them.
    /// - Parameter reorthogonalization: `.full` (default) or `.none`.
    /// - Parameter wantRitzVectors: Whether to return Ritz vectors.
    /// - Parameter breakdownTolerance: Relative threshold on `β` for breakdown.
    /// - Parameter seed: Seed of the start vectors.
    public init(
        steps: Int, selection: EigenvalueSelection = .all, reorthogonalization: Reorthogonalization = .full,
        wantRitzVectors: Bool = false, breakdownTolerance: Double = 1e-10, seed: UInt64 = 0
    ) {
        self.steps = steps
        self.selection = selection
        self.reorthogonalization = reorthogonalization
        self.wantRitzVectors = wantRitzVectors
        self.breakdownTolerance = breakdownTolerance
        self.seed = seed
    }
}

/// One sample's Lanczos outcome.
public struct LanczosResult: Equatable, Sendable {
    /// Ritz values (eigenvalues of this sample's tridiagonal `T`), descending.
    public var ritzValues: [Double]
    /// For each Ritz value `θ_i` the bound `|β_m · s_{m,i}|`, equal (in exact arithmetic) to the
    /// residual `‖H y_i − θ_i y_i‖` of its Ritz vector; some eigenvalue of `H` lies within it.
    public var residualBounds: [Double]
    /// Lanczos steps actually taken: `m`, or fewer if the sample broke down.
    public var steps: Int
    /// Whether the Krylov space became invariant (`β` fell below tolerance); then the Ritz values
    /// are exact eigenvalues of `H` and the residual bounds are ~0.
    public var brokeDown: Bool
    /// `ritzValues.count × dimension` values, row `i` the unit Ritz vector of `ritzValues[i]`, if requested.
    public var ritzVectors: [Double]?
    /// Diagonal `α_0 … α_{steps−1}` of `T`.
    public var diagonal: [Double]
    /// Off-diagonal `β_0 … β_{steps−2}` of `T`.
    public var offDiagonal: [Double]
    /// `β_steps`, the norm of the residual vector after the last step.
    public var finalBeta: Double
}

/// Batched Lanczos: every sample builds its own Krylov space, all in lock-step with one batched
/// operator apply per step, and gets its own tridiagonal `T` and Ritz values.
///
/// A sample whose `β` falls below the relative tolerance has found an invariant subspace; it stops
/// growing (its row is fed as zeros) while the others continue, so breakdown never produces NaN.
///
/// - Parameter op: The batch of symmetric operators.
/// - Parameter options: Steps `m`, selection, re-orthogonalisation, Ritz vectors, tolerance, seed.
///   `k ≤ m ≤ dimension` is required, `k` being the number of requested Ritz values.
/// - Parameter startVectors: Optional `batchSize × dimension` start vectors (normalised here);
///   random normal vectors from `options.seed` if `nil`.
/// - Returns: One ``LanczosResult`` per sample. A sample that broke down after `s < k` steps
///   returns its `s` exact eigenvalues.
/// - Throws: ``SpectraError/tooManySteps(steps:dimension:)`` if `m > dimension`,
///   ``SpectraError/tooManyEigenvalues(requested:steps:)`` if `k > m`,
///   ``SpectraError/invalidArgument(_:)`` for other bad arguments, and the operator's errors.
public func lanczos(
    _ op: some BatchedLinearOperator, options: LanczosOptions, startVectors: [Double]? = nil
) throws -> [LanczosResult] {
    try op.checkShape()
    let n = op.dimension
    let m = options.steps
    guard m >= 1 else { throw SpectraError.invalidArgument("Lanczos steps \(m) must be ≥ 1") }
    guard m <= n else { throw SpectraError.tooManySteps(steps: m, dimension: n) }
    try options.selection.validate()
    if let k = options.selection.count, k > m { throw SpectraError.tooManyEigenvalues(requested: k, steps: m) }
    let start = startVectors ?? randomNormalRows(batchSize: op.batchSize, dimension: n, seed: options.seed,
                                                 streams: (0..<op.batchSize).map(op.randomStream(forSample:)))

    let keepBasis = options.reorthogonalization == .full || options.wantRitzVectors
    let run = try lanczosRecurrence(
        op, steps: m, start: start, reorthogonalization: options.reorthogonalization, keepBasis: keepBasis,
        breakdownTolerance: options.breakdownTolerance)

    return try (0..<op.batchSize).map { b in
        let s = run.alpha[b].count
        let offDiagonal = Array(run.beta[b].prefix(s - 1))
        let finalBeta = run.beta[b][s - 1]
        let t = try symmetricTridiagonalEigen(
            diagonal: run.alpha[b], offDiagonal: offDiagonal, selection: options.selection, wantVectors: true)
        let eigenvectors = t.vectors ?? []  // k × s, row i = s_i
        let k = t.values.count
        let bounds = (0..<k).map { i in abs(finalBeta * eigenvectors[i * s + s - 1]) }
        var ritzVectors: [Double]?
        if options.wantRitzVectors {
            // Y = S · Q_b: (k × s) · (s × n), rows of Q_b being the Lanczos vectors.
            var y = [Double](repeating: 0, count: k * n)
            run.basis.withUnsafeBufferPointer { basis in
                cblas_dgemm(
                    CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(k), blasint(n), blasint(s), 1,
                    eigenvectors, blasint(s), basis.baseAddress! + b * m * n, blasint(n), 0, &y, blasint(n))
            }
            ritzVectors = y
        }
        return LanczosResult(
            ritzValues: t.values, residualBounds: bounds, steps: s, brokeDown: run.brokeDown[b],
            ritzVectors: ritzVectors, diagonal: run.alpha[b], offDiagonal: offDiagonal, finalBeta: finalBeta)
    }
}

// MARK: - The recurrence

/// The tridiagonals (and optionally the bases) of one batched Lanczos run.
struct LanczosRecurrence {
    /// Per sample `α_0 … α_{s−1}`.
    var alpha: [[Double]]
    /// Per sample `β_0 … β_{s−1}`; the last one is `β_s`, the norm of the final residual vector.
    var beta: [[Double]]
    var brokeDown: [Bool]
    /// `batchSize × steps × dimension`: sample `b`'s vector `j` at `(b·steps + j)·dimension`. Empty
    /// unless the basis was kept.
    var basis: [Double]
}

/// Runs `steps` Lanczos steps for every sample in lock-step from the given start rows.
func lanczosRecurrence<Op: BatchedLinearOperator>(
    _ op: Op, steps m: Int, start: [Double], reorthogonalization: Reorthogonalization, keepBasis: Bool,
    breakdownTolerance: Double
) throws -> LanczosRecurrence {
    let batch = op.batchSize
    let n = op.dimension
    guard start.count == batch * n else {
        throw SpectraError.invalidArgument(
            "start vectors have \(start.count) values, expected batchSize × dimension = \(batch * n)")
    }
    guard breakdownTolerance >= 0 else {
        throw SpectraError.invalidArgument("breakdown tolerance \(breakdownTolerance) must be ≥ 0")
    }
    let reorthogonalize = reorthogonalization == .full
    precondition(!reorthogonalize || keepBasis, "full re-orthogonalisation needs the stored basis")

    var q = start
    var x = [Double](repeating: 0, count: batch * n)
    var w = [Double](repeating: 0, count: batch * n)
    var basis = [Double](repeating: 0, count: keepBasis ? batch * m * n : 0)
    // Workspace of the steps: the previous Lanczos vectors, and the re-orthogonalisation's scratch.
    let qPrevious = zeroedRows(batch * n), scratch = zeroedRows(m)
    defer {
        qPrevious.deallocate()
        scratch.deallocate()
    }
    var alpha = [[Double]](repeating: [], count: batch)
    var beta = [[Double]](repeating: [], count: batch)
    var normT = [Double](repeating: 0, count: batch)
    var active = [Bool](repeating: true, count: batch)
    var brokeDown = [Bool](repeating: false, count: batch)

    for b in 0..<batch {
        let length = q.withUnsafeBufferPointer { norm(n, $0.baseAddress! + b * n) }
        guard length > 0, length.isFinite else {
            throw SpectraError.invalidArgument("start vector \(b) is zero or not finite")
        }
        for i in 0..<n { q[b * n + i] /= length }
        if keepBasis { for i in 0..<n { basis[b * m * n + i] = q[b * n + i] } }
    }

    /// Step `j` of sample `b`, whose `H q_j` is in `wb`: appends `α_j` and `β_{j+1}` and, unless the
    /// sample breaks down, makes `q_{j+1}` its current vector (and stores it in the basis).
    ///
    /// - Returns: Whether the sample goes on.
    func lanczosStep(
        sample b: Int, step j: Int, q qb: UnsafeMutablePointer<Double>, w wb: UnsafeMutablePointer<Double>,
        basis: UnsafeMutablePointer<Double>?
    ) -> Bool {
        let pb = qPrevious + b * n
        let a = dot(n, qb, wb)
        let betaPrevious = j > 0 ? beta[b][j - 1] : 0
        // Three-term recurrence: w = H q_j − α_j q_j − β_{j−1} q_{j−1}.
        axpy(n, -a, qb, wb)
        if j > 0 { axpy(n, -betaPrevious, pb, wb) }
        if reorthogonalize { orthogonalize(wb, against: basis! + b * m * n, rows: j + 1, n: n, scratch: scratch) }
        let nextBeta = norm(n, wb)
        alpha[b].append(a)
        beta[b].append(nextBeta)
        normT[b] = max(normT[b], abs(a) + betaPrevious + nextBeta)
        // Written as a negation so that a zero operator (‖T‖ = 0) breaks down too.
        if !(nextBeta > breakdownTolerance * normT[b]) {
            brokeDown[b] = true
            return false
        }
        guard j + 1 < m else { return true }
        for i in 0..<n {
            pb[i] = qb[i]
            qb[i] = wb[i] / nextBeta  // division, not a reciprocal, to stay finite for tiny β
        }
        if keepBasis { (basis! + (b * m + j + 1) * n).update(from: qb, count: n) }
        return true
    }

    for j in 0..<m {
        if !active.contains(true) { break }
        // A finished sample contributes a zero row: its H·0 = 0 costs nothing and changes nothing.
        copyActiveRows(q, active: active, n: n, into: &x)
        try op.checkedApply(x, into: &w)

        q.withUnsafeMutableBufferPointer { q in
            w.withUnsafeMutableBufferPointer { w in
                basis.withUnsafeMutableBufferPointer { basis in
                    for b in 0..<batch where active[b] {
                        active[b] = lanczosStep(
                            sample: b, step: j, q: q.baseAddress! + b * n, w: w.baseAddress! + b * n,
                            basis: basis.baseAddress)
                    }
                }
            }
        }
    }
    return LanczosRecurrence(alpha: alpha, beta: beta, brokeDown: brokeDown, basis: basis)
}

/// `batchSize × dimension` standard normal values, row `b` from stream `b` of `seed`.
func randomNormalRows(batchSize: Int, dimension: Int, seed: UInt64, streams: [UInt64]? = nil) -> [Double] {
    var rows = [Double]()
    rows.reserveCapacity(batchSize * dimension)
    for b in 0..<batchSize {
        var generator = Xoshiro256StarStar(seed: seed, stream: streams?[b] ?? UInt64(b))
        for _ in 0..<dimension { rows.append(generator.normal()) }
    }
    return rows
}
