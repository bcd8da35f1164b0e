import CBLAS
import CLAPACKE
import Randomness

/// Settings for ``subspaceIteration(_:target:count:options:)``.
///
/// Tolerances are relative to the sample's running estimate of `‖H‖` (the largest `‖H x‖` over
/// the unit vectors applied and the largest `|θ|` of its Ritz values), as in LAPACK's tests, so
/// eigenvalues near zero are judged on the operator's scale.
public struct SubspaceIterationOptions: Equatable, Sendable {
    /// Upper bound on block iterations per sample; each costs `blockSize` operator applies.
    public var maxIterations: Int
    /// A wanted Ritz pair has converged when `‖H y − θ y‖ ≤ tolerance · ‖H‖`. Values below
    /// ``operatorPrecision`` are raised to it, so the test can always be met.
    public var tolerance: Double
    /// Relative accuracy of one operator apply: `‖computed H x − H x‖ ≲ operatorPrecision · ‖H‖ ‖x‖`.
    /// No residual below `operatorPrecision · ‖H‖` can be resolved, so reported residuals are
    /// floored there. `Double.ulpOfOne` suits an operator computed in Float64; an operator
    /// computed in Float32 needs about `1e-6`.
    public var operatorPrecision: Double
    /// Extra block vectors beyond `count`; `nil` picks `max(2, count / 2)`. The block is capped at
    /// the dimension. See ``subspaceIteration(_:target:count:options:)`` for why guards matter.
    public var guardVectors: Int?
    /// Whether to return the Ritz vectors.
    public var wantVectors: Bool
    /// Seed of the random start blocks (sample `b` uses the operator's stream for `b`).
    public var seed: UInt64

    /// Creates subspace-iteration settings.
    ///
    /// - Parameter maxIterations: Block iterations allowed per sample, ≥ 1.
    /// - Parameter tolerance: Relative residual at which a Ritz pair has converged, ≥ 0.
    /// - Parameter operatorPrecision: Relative accuracy of one apply, in `(0, 1)`.
    /// - Parameter guardVectors: Extra block vectors, ≥ 0, or `nil` for `max(2, count / 2)`.
    /// - Parameter wantVectors: Whether to return the Ritz vectors.
    /// - Parameter seed: Seed of the start blocks.
    public init(
        maxIterations: Int = 500, tolerance: Double = 1e-8, operatorPrecision: Double = .ulpOfOne,
        guardVectors: Int? = nil, wantVectors: Bool = false, seed: UInt64 = 0
    ) {
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.operatorPrecision = operatorPrecision
        self.guardVectors = guardVectors
        self.wantVectors = wantVectors
        self.seed = seed
    }

    /// The block size for `count` wanted pairs in `dimension`: `count` plus the guards, at most
    /// `dimension`.
    ///
    /// - Parameter count: Number of wanted eigenpairs.
    /// - Parameter dimension: The operator's dimension.
    /// - Returns: The number of vectors each sample iterates.
    public func blockSize(count: Int, dimension: Int) -> Int {
        min(count + (guardVectors ?? max(2, count / 2)), dimension)
    }

    /// The residual a converged pair must reach, relative to `‖H‖`: never below what one apply
    /// can resolve.
    var effectiveTolerance: Double { max(tolerance, operatorPrecision) }

    /// Throws ``SpectraError/invalidArgument(_:)`` naming the first bad setting.
    func validate(count: Int, dimension: Int) throws {
        guard count >= 1, count <= dimension else {
            throw SpectraError.invalidArgument("count \(count) must lie in 1...\(dimension) (the dimension)")
        }
        guard maxIterations >= 1 else {
            throw SpectraError.invalidArgument("maxIterations \(maxIterations) must be ≥ 1")
        }
        // Negated comparisons, so that NaN is refused too.
        guard tolerance >= 0, tolerance.isFinite else {
            throw SpectraError.invalidArgument("tolerance \(tolerance) must be a finite number ≥ 0")
        }
        guard operatorPrecision > 0, operatorPrecision < 1 else {
            throw SpectraError.invalidArgument("operatorPrecision \(operatorPrecision) must lie in (0, 1)")
        }
        if let guardVectors, guardVectors < 0 {
            throw SpectraError.invalidArgument("guardVectors \(guardVectors) must be ≥ 0")
        }
    }
}

/// One sample's subspace-iteration outcome.
///
/// The arrays are parallel, one entry per wanted eigenvalue, in the order of
/// ``PowerIterationResult``: largest first for `.largestAlgebraic`, smallest first for
/// `.smallestAlgebraic`, largest `|λ|` first for `.largestMagnitude`.
public struct SubspaceIterationResult: Equatable, Sendable {
    /// The Ritz values `θ_i`.
    public var eigenvalues: [Double]
    /// `max(‖H y_i − θ_i y_i‖, operatorPrecision · ‖H‖)`, the residual of the unit Ritz vector
    /// `y_i` from the last iteration's applies, floored at what the arithmetic can resolve. Some
    /// eigenvalue of `H` lies within it of `θ_i`; that it is the one of rank `i` rests on the block
    /// having captured every eigenvalue beyond it (see the solver's notes), not on this number.
    public var residuals: [Double]
    /// Whether `residuals[i] ≤ max(tolerance, operatorPrecision) · ‖H‖` held when the sample stopped.
    public var converged: [Bool]
    /// Block iterations run.
    public var iterations: Int
    /// Operator applies spent on this sample: `iterations × blockSize`, the cost it would have alone.
    public var applies: Int
    /// Number of vectors iterated: `count` plus the guards, capped at the dimension.
    public var blockSize: Int
    /// The largest `‖H x‖` over unit `x` applied and `|θ|` over Ritz values seen: a lower bound on
    /// `‖H‖`, and the scale of the tolerance and of the residual floor.
    public var spectralNormEstimate: Double
    /// `eigenvalues.count × dimension` values, row `i` the unit Ritz vector of `eigenvalues[i]`, if requested.
    public var vectors: [Double]?

    /// Whether every wanted eigenvalue converged.
    public var allConverged: Bool { converged.allSatisfy { $0 } }
}

/// Batched block power iteration (subspace iteration with Rayleigh–Ritz): the `count` extreme
/// eigenpairs of every sample's `H_b`, each sample stopping on its own once all of them converge.
///
/// Every sample keeps an orthonormal block `X` of `p = count + guards` vectors (at most the
/// dimension). An iteration applies the operator to each column (one batched apply per column;
/// finished samples feed zero rows), takes the Ritz pairs of `H` projected on the block (`dsyevd`,
/// `p × p`), and stops the sample once its `count` wanted pairs have `‖H y − θ y‖ ≤ tolerance ·
/// ‖H‖`; otherwise the next block is the Householder QR (`dgeqrf`, `dorgqr`) of `A Y`, with `Y` the
/// Ritz vectors and `A` the shifted operator below. A column that has become numerically dependent
/// is replaced by a fresh random vector orthogonal to the rest. Each sample draws only from its own random stream and does
/// no arithmetic with another sample's rows, so its result is bit for bit the same in any batch.
///
/// **Shifts.** `.largestMagnitude` iterates with `H`. `.largestAlgebraic` iterates with `A = H − μI`,
/// `μ = (θ_min − 1.1 σ)/2`, `σ` the running `‖H‖` estimate and `θ_min` the block's smallest Ritz
/// value (`.smallestAlgebraic` mirrors it: `A = μI − H`, `μ = (θ_max + 1.1 σ)/2`). The wanted end
/// stays dominant: `A` maps every eigenvalue above `μ` to a positive one in the same order, and an
/// eigenvalue `λ < μ` outgrows `λ_k` only if `λ < 2μ − λ_k ≤ −1.1 σ`, since `θ_min ≤ λ_p ≤ λ_k`
/// (interlacing); that cannot happen once `σ ≥ ‖H‖ / 1.1`. While `σ` still underestimates `‖H‖`
/// such an eigenvector may enter the block, where its `‖H x‖` raises `σ` and Rayleigh–Ritz ranks it
/// last: it costs a slot and iterations, never a rank, because among eigenvalues above `μ` the
/// wanted end is amplified in order. Centring `μ` between `−1.1 σ` and `θ_min` (rather than
/// shifting by `σ`) shrinks the image of the unwanted spectrum: 1.3–1.9× fewer applies than
/// `H + 1.1 σ I` on the tests' spectra. No single shift helps when the far end dwarfs the wanted gap (top gap 0.1
/// against `λ_min = −100`: a rate near `1 − 0.1/100`); such samples end unconverged and flagged,
/// and Lanczos is the tool for them.
///
/// **Guards, and why ranks are not skipped.** The `i`-th wanted pair converges like
/// `(max_{j>p} |λ_j − μ| / |λ_i − μ|)` per iteration (Saad, *Numerical Methods for Large Eigenvalue
/// Problems*, §5.2): with guards the rate depends on the gap to `λ_{p+1}`, not to `λ_{k+1}`, so a
/// cluster or repeated eigenvalue straddling rank `count` does not stall it. Because `A` preserves
/// the order of the wanted end, an eigenvector of rank `j < i` is captured at least as fast as that
/// of rank `i`; when pair `i`'s residual is small, every eigenvalue before it is in the block
/// (unless the Gaussian start block all but missed its eigenvector, with a probability of the order
/// of the tolerance), and Rayleigh–Ritz separates repeated and clustered ones to within the residuals. The default `max(2, count/2)`
/// guards cover a pair at the boundary even for `count = 1` and keep the rate away from 1 for a
/// cluster of up to `count/2 + 1` at rank `count`, for 1.5× the applies per iteration; a repeated
/// eigenvalue of higher multiplicity at the boundary needs more guards. Converging at a linear rate,
/// this costs more applies than Lanczos; it is the robust, simple reference.
///
/// - Parameter op: The batch of symmetric operators.
/// - Parameter target: Which end of the spectrum.
/// - Parameter count: Number of eigenpairs per sample, `1 … dimension`.
/// - Parameter options: Iteration limit, tolerance, operator precision, guards, vectors, seed.
/// - Returns: One ``SubspaceIterationResult`` per sample.
/// - Throws: ``SpectraError/invalidArgument(_:)`` for bad arguments, ``SpectraError/lapack(routine:info:)``,
///   and the operator's errors.
public func subspaceIteration(
    _ op: some BatchedLinearOperator, target: PowerIterationTarget = .largestAlgebraic, count: Int = 1,
    options: SubspaceIterationOptions = SubspaceIterationOptions()
) throws -> [SubspaceIterationResult] {
    try op.checkShape()
    let batch = op.batchSize
    let n = op.dimension
    try options.validate(count: count, dimension: n)
    let p = options.blockSize(count: count, dimension: n)
    var samples = try (0..<batch).map { b in
        try SubspaceSample(
            dimension: n, blockSize: p,
            generator: Xoshiro256StarStar(seed: options.seed, stream: op.randomStream(forSample: b)))
    }
    var input = [Double](repeating: 0, count: batch * n)
    var output = [Double](repeating: 0, count: batch * n)

    for iteration in 1...options.maxIterations {
        let active = samples.map { $0.result == nil }
        if !active.contains(true) { break }
        for j in 0..<p {
            for b in 0..<batch {
                for i in 0..<n { input[b * n + i] = active[b] ? samples[b].x[j * n + i] : 0 }
            }
            try op.checkedApply(input, into: &output)
            for b in 0..<batch where active[b] {
                samples[b].hx.replaceSubrange((j * n)..<((j + 1) * n), with: output[(b * n)..<((b + 1) * n)])
            }
        }
        for b in 0..<batch where active[b] {
            try samples[b].step(
                target: target, count: count, options: options, isLast: iteration == options.maxIterations)
        }
    }
    return samples.map { $0.result! }
}

// MARK: - One sample

/// The state of one sample's block, advanced by ``step(target:count:options:isLast:)`` once the
/// batched applies have filled ``hx``.
private struct SubspaceSample {
    let n: Int
    let p: Int
    /// `p × n`, orthonormal rows: the block to apply next.
    var x: [Double]
    /// `p × n`: `H` applied to each row of ``x``.
    var hx: [Double]
    var generator: Xoshiro256StarStar
    var normEstimate = 0.0
    var iterations = 0
    /// Set when the sample stops.
    var result: SubspaceIterationResult?

    /// A random orthonormal start block from the sample's own generator.
    init(dimension n: Int, blockSize p: Int, generator: Xoshiro256StarStar) throws {
        self.n = n
        self.p = p
        self.generator = generator
        var start = [Double](repeating: 0, count: p * n)
        for i in start.indices { start[i] = self.generator.normal() }
        x = start
        hx = [Double](repeating: 0, count: p * n)
        // A Gaussian row of length ~√n lies in the span of the others with probability zero; the
        // threshold only guards against that event, as randomUnitVector's does.
        try orthonormalizeBlock(dependentBelow: 1e-8 * Double(n).squareRoot())
    }

    /// One block iteration on the applies in ``hx``: Rayleigh–Ritz, the convergence test, and
    /// either the result or the next block.
    mutating func step(target: PowerIterationTarget, count: Int, options: SubspaceIterationOptions, isLast: Bool)
        throws
    {
        iterations += 1
        hx.withUnsafeBufferPointer { hx in
            for j in 0..<p { normEstimate = max(normEstimate, norm(n, hx.baseAddress! + j * n)) }
        }
        let (theta, y, hyOfRitzVectors) = try rayleighRitz(target: target)
        var hy = hyOfRitzVectors
        normEstimate = theta.reduce(normEstimate) { max($0, abs($1)) }

        // Residuals of the wanted pairs, H y_i − θ_i y_i, from this iteration's applies.
        var residuals = [Double](repeating: 0, count: count)
        var r = [Double](repeating: 0, count: n)
        for i in 0..<count {
            r.replaceSubrange(0..<n, with: hy[(i * n)..<((i + 1) * n)])
            y.withUnsafeBufferPointer { y in axpy(n, -theta[i], y.baseAddress! + i * n, &r) }
            residuals[i] = norm(n, r)
        }
        let limit = options.effectiveTolerance * normEstimate
        let converged = residuals.map { $0 <= limit }
        if converged.allSatisfy({ $0 }) || isLast {
            let floor = options.operatorPrecision * normEstimate
            result = SubspaceIterationResult(
                eigenvalues: Array(theta.prefix(count)), residuals: residuals.map { max($0, floor) },
                converged: converged, iterations: iterations, applies: iterations * p, blockSize: p,
                spectralNormEstimate: normEstimate, vectors: options.wantVectors ? Array(y.prefix(count * n)) : nil)
            return
        }

        // Next block: orth(A Y) with A = s (H − μ I), the wanted end dominant (see subspaceIteration).
        let (sign, mu): (Double, Double)
        switch target {
        case .largestMagnitude: (sign, mu) = (1, 0)
        case .largestAlgebraic: (sign, mu) = (1, (theta[p - 1] - 1.1 * normEstimate) / 2)
        case .smallestAlgebraic: (sign, mu) = (-1, (theta[p - 1] + 1.1 * normEstimate) / 2)
        }
        var largestColumn = 0.0
        hy.withUnsafeMutableBufferPointer { hy in
            y.withUnsafeBufferPointer { y in
                for j in 0..<p {
                    let a = hy.baseAddress! + j * n
                    axpy(n, -mu, y.baseAddress! + j * n, a)
                    if sign < 0 { scale(n, -1, a) }
                    largestColumn = max(largestColumn, norm(n, a))
                }
            }
        }
        x = hy
        // What is left of a column beyond the others' span, when below what a length-n product at
        // operatorPrecision can resolve, is rounding noise rather than a new direction.
        try orthonormalizeBlock(dependentBelow: Double(n).squareRoot() * options.operatorPrecision * largestColumn)
    }

    /// The Ritz pairs of the block: `θ` in target order (the wanted first), the Ritz vectors
    /// `Y = S X` and their images `H Y = S (H X)`, with `S` the eigenvectors of the symmetrised `X H Xᵀ`.
    private func rayleighRitz(target: PowerIterationTarget) throws -> (theta: [Double], y: [Double], hy: [Double]) {
        // G = X (H X)ᵀ, p × p; symmetrised, since an inexact operator is not quite symmetric.
        var g = [Double](repeating: 0, count: p * p)
        cblas_dgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, blasint(p), blasint(p), blasint(n), 1, x, blasint(n), hx,
            blasint(n), 0, &g, blasint(p))
        for r in 0..<p {
            for c in (r + 1)..<p {
                let mean = 0.5 * (g[r * p + c] + g[c * p + r])
                g[r * p + c] = mean
                g[c * p + r] = mean
            }
        }
        let eigen = try symmetricEigen(matrix: g, dimension: p, wantVectors: true)
        let order = targetOrder(eigen.values, target: target)
        let vectors = eigen.vectors!
        var s = [Double](repeating: 0, count: p * p)
        for (row, i) in order.enumerated() { s.replaceSubrange((row * p)..<((row + 1) * p), with: vectors[(i * p)..<((i + 1) * p)]) }
        var y = [Double](repeating: 0, count: p * n)
        var hy = [Double](repeating: 0, count: p * n)
        cblas_dgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(p), blasint(n), blasint(p), 1, s, blasint(p), x,
            blasint(n), 0, &y, blasint(n))
        cblas_dgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(p), blasint(n), blasint(p), 1, s, blasint(p), hx,
            blasint(n), 0, &hy, blasint(n))
        return (order.map { eigen.values[$0] }, y, hy)
    }

    /// Replaces the rows of ``x`` by an orthonormal basis of their span (Householder QR, `dgeqrf` +
    /// `dorgqr`); a row whose part beyond the earlier rows' span is at most `dependentBelow` becomes
    /// a fresh random unit vector orthogonal to all the others.
    private mutating func orthonormalizeBlock(dependentBelow threshold: Double) throws {
        // Row-major p × n is column-major n × p: the rows are LAPACK's columns.
        var tau = [Double](repeating: 0, count: p)
        let factored = LAPACKE_dgeqrf(LAPACK_COL_MAJOR, lapackInt(n), lapackInt(p), &x, lapackInt(n), &tau)
        guard factored == 0 else { throw SpectraError.lapack(routine: "LAPACKE_dgeqrf", info: Int(factored)) }
        // |R_jj| is the length of row j's component orthogonal to rows 0..<j.
        let dependent = (0..<p).map { j in !(abs(x[j * n + j]) > threshold) }
        let formed = LAPACKE_dorgqr(LAPACK_COL_MAJOR, lapackInt(n), lapackInt(p), lapackInt(p), &x, lapackInt(n), &tau)
        guard formed == 0 else { throw SpectraError.lapack(routine: "LAPACKE_dorgqr", info: Int(formed)) }
        guard dependent.contains(true) else { return }

        // Keep the independent rows in order, then refill the rest at random.
        let kept = (0..<p).filter { !dependent[$0] }
        var basis = [Double](repeating: 0, count: p * n)
        for (row, j) in kept.enumerated() { basis.replaceSubrange((row * n)..<((row + 1) * n), with: x[(j * n)..<((j + 1) * n)]) }
        let scratch = zeroedRows(p)
        defer { scratch.deallocate() }
        basis.withUnsafeMutableBufferPointer { basis in
            for row in kept.count..<p {
                randomUnitVector(
                    basis.baseAddress! + row * n, n: n, orthogonalTo: basis.baseAddress!, rows: row, scratch: scratch,
                    generator: &generator)
            }
        }
        x = basis
    }
}

/// Indices of `values` (descending) in the order the target wants them: as they are for
/// `.largestAlgebraic`, reversed for `.smallestAlgebraic`, by decreasing `|λ|` (the positive one
/// first on a tie) for `.largestMagnitude`.
private func targetOrder(_ values: [Double], target: PowerIterationTarget) -> [Int] {
    switch target {
    case .largestAlgebraic: return Array(values.indices)
    case .smallestAlgebraic: return values.indices.reversed()
    case .largestMagnitude:
        return values.indices.sorted { abs(values[$0]) != abs(values[$1]) ? abs(values[$0]) > abs(values[$1]) : $0 < $1 }
    }
}
