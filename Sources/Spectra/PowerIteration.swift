import Randomness
/// Which end of the spectrum power iteration looks for.
public enum PowerIterationTarget: Equatable, Sendable {
    /// The eigenvalues of largest absolute value (plain power iteration; the sign is kept).
    case largestMagnitude
    /// The algebraically largest eigenvalues, found on `H + σI` with `σ` an estimate of `‖H‖`.
    case largestAlgebraic
    /// The algebraically smallest eigenvalues, found on `σI − H` with `σ` an estimate of `‖H‖`.
    case smallestAlgebraic
}

/// Settings for ``powerIteration(_:target:count:options:)``.
///
/// Both tolerances are relative to the running estimate of `‖H‖` (the largest `‖H v‖` seen for a
/// unit `v`), so eigenvalues near zero are judged on the operator's scale, as in LAPACK's tests.
public struct PowerIterationOptions: Equatable, Sendable {
    /// Upper bound on operator applies per eigenpair (and per phase of a shifted search).
    public var maxIterations: Int
    /// Converged needs `|λ_k − λ_{k−1}| ≤ rayleighTolerance · ‖H‖` …
    public var rayleighTolerance: Double
    /// … and `‖H v − λ v‖ ≤ residualTolerance · ‖H‖` (residual taken in the deflated space).
    public var residualTolerance: Double
    /// Seed of the random start vectors (sample `b` uses stream `b`).
    public var seed: UInt64

    /// Creates power-iteration settings.
    ///
    /// - Parameter maxIterations: Operator applies allowed per eigenpair, ≥ 1.
    /// - Parameter rayleighTolerance: Relative change of the Rayleigh quotient to stop at.
    /// - Parameter residualTolerance: Relative residual norm to stop at.
    /// - Parameter seed: Seed of the start vectors.
    public init(
        maxIterations: Int = 1000, rayleighTolerance: Double = 1e-10, residualTolerance: Double = 1e-6,
        seed: UInt64 = 0
    ) {
        self.maxIterations = maxIterations
        self.rayleighTolerance = rayleighTolerance
        self.residualTolerance = residualTolerance
        self.seed = seed
    }
}

/// One eigenpair estimate from power iteration.
public struct PowerIterationEstimate: Equatable, Sendable {
    /// The Rayleigh quotient `vᵀ H v`.
    public var eigenvalue: Double
    /// `‖H v − λ v‖` with the full operator (not the deflated one).
    public var residual: Double
    /// Operator applies spent on this eigenpair; for the first one of an algebraic target this
    /// includes the initial search on `H` that estimated `‖H‖`.
    public var iterations: Int
    /// Whether both stopping tests passed within `maxIterations`.
    public var converged: Bool
    /// The unit vector `v`, `dimension` values.
    public var vector: [Double]
}

/// One sample's power-iteration outcome.
public struct PowerIterationResult: Equatable, Sendable {
    /// The eigenpairs in the order found: largest first for `.largestAlgebraic` and
    /// `.largestMagnitude`, smallest first for `.smallestAlgebraic`.
    public var estimates: [PowerIterationEstimate]
    /// The largest `‖H v‖` over unit iterates of the first search: a lower bound on `‖H‖` that is
    /// also the shift used for algebraic targets.
    public var spectralNormEstimate: Double
}

/// Batched power iteration with deflation: the `count` extreme eigenpairs of every sample's `H_b`,
/// all samples advancing in lock-step with one batched operator apply per iteration.
///
/// Each further eigenpair is sought in the orthogonal complement of those already found (the
/// iterate is re-orthogonalised against them every step). The algebraic targets first estimate
/// `σ ≈ ‖H‖` by plain power iteration, which already answers when the dominant eigenvalue has the
/// wanted sign; otherwise they iterate with `±H + σI`, whose spectrum is non-negative, so its
/// dominant eigenvalue is the wanted end of `H`'s spectrum.
///
/// Power iteration converges at the rate `|λ₂/λ₁|` per step; for many eigenpairs or small gaps,
/// ``lanczos(_:options:startVectors:)`` needs far fewer applies.
///
/// - Parameter op: The batch of symmetric operators.
/// - Parameter target: Which end of the spectrum.
/// - Parameter count: Number of eigenpairs per sample, `1 … dimension`.
/// - Parameter options: Iteration limit, tolerances, seed.
/// - Returns: One ``PowerIterationResult`` per sample.
/// - Throws: ``SpectraError/invalidArgument(_:)`` for bad arguments, and the operator's errors.
public func powerIteration(
    _ op: some BatchedLinearOperator, target: PowerIterationTarget = .largestAlgebraic, count: Int = 1,
    options: PowerIterationOptions = PowerIterationOptions()
) throws -> [PowerIterationResult] {
    try op.checkShape()
    let batch = op.batchSize
    let n = op.dimension
    guard count >= 1, count <= n else {
        throw SpectraError.invalidArgument("eigenpair count \(count) must lie in 1...\(n) (the dimension)")
    }
    guard options.maxIterations >= 1, options.rayleighTolerance >= 0, options.residualTolerance >= 0 else {
        throw SpectraError.invalidArgument("maxIterations must be ≥ 1 and tolerances ≥ 0")
    }
    var generators = (0..<batch).map { Xoshiro256StarStar(seed: options.seed, stream: op.randomStream(forSample: $0)) }
    var found = [[Double]](repeating: [], count: batch)  // per sample, rows of converged vectors
    var estimates = [[PowerIterationEstimate]](repeating: [], count: batch)
    let everyone = [Bool](repeating: true, count: batch)
    let zeros = [Double](repeating: 0, count: batch)

    /// Random unit rows, each orthogonal to its sample's vectors found so far.
    func randomStarts() -> [Double] {
        var starts = [Double](repeating: 0, count: batch * n)
        var scratch = [Double](repeating: 0, count: count)
        starts.withUnsafeMutableBufferPointer { sp in
            scratch.withUnsafeMutableBufferPointer { tp in
                for b in 0..<batch {
                    found[b].withUnsafeBufferPointer { fp in
                        randomUnitVector(
                            sp.baseAddress! + b * n, n: n, orthogonalTo: fp.baseAddress, rows: fp.count / n,
                            scratch: tp.baseAddress!, generator: &generators[b])
                    }
                }
            }
        }
        return starts
    }

    func record(_ estimate: PowerIterationEstimate, sample b: Int) {
        estimates[b].append(estimate)
        found[b].append(contentsOf: estimate.vector)
    }

    // The first search always runs on H itself: it answers `.largestMagnitude` and estimates ‖H‖.
    let algebraic = target != .largestMagnitude
    let first = try powerSearch(
        op, active: everyone, start: randomStarts(), deflation: found, sign: 1, shift: zeros, normFloor: zeros,
        options: options, stopWhenNormSettles: algebraic)
    let sigma = first.normEstimate
    let sign: Double = target == .smallestAlgebraic ? -1 : 1

    if algebraic {
        // A converged dominant eigenvalue of the wanted sign is already the answer; everyone else
        // searches again on the shifted operator, from the same vector if its sign was right.
        var needsShift = [Bool](repeating: false, count: batch)
        var starts = randomStarts()
        for b in 0..<batch {
            let estimate = first.estimates[b]!
            if estimate.converged && sign * estimate.eigenvalue >= 0 {
                record(estimate, sample: b)
            } else {
                needsShift[b] = true
                if sign * estimate.eigenvalue >= 0 {
                    starts.replaceSubrange((b * n)..<((b + 1) * n), with: estimate.vector)
                }
            }
        }
        if needsShift.contains(true) {
            let shifted = try powerSearch(
                op, active: needsShift, start: starts, deflation: found, sign: sign, shift: sigma, normFloor: sigma,
                options: options, stopWhenNormSettles: false)
            for b in 0..<batch where needsShift[b] {
                var estimate = shifted.estimates[b]!
                estimate.iterations += first.estimates[b]!.iterations
                record(estimate, sample: b)
            }
        }
    } else {
        for b in 0..<batch { record(first.estimates[b]!, sample: b) }
    }

    // Each further eigenpair lives in the complement of those found; for the algebraic targets the
    // shift must stay, or deflated plain iteration would return the next largest *magnitude*.
    for _ in 1..<count {
        let search = try powerSearch(
            op, active: everyone, start: randomStarts(), deflation: found, sign: sign,
            shift: algebraic ? sigma : zeros, normFloor: sigma, options: options, stopWhenNormSettles: false)
        for b in 0..<batch { record(search.estimates[b]!, sample: b) }
    }
    return (0..<batch).map { PowerIterationResult(estimates: estimates[$0], spectralNormEstimate: sigma[$0]) }
}

// MARK: - One search

/// The outcome of one lock-step search: an estimate per active sample and the `‖H‖` estimates.
private struct PowerSearch {
    var estimates: [PowerIterationEstimate?]
    var normEstimate: [Double]
}

/// Power iteration on `A_b = sign · H_b + shift_b · I`, restricted to the orthogonal complement of
/// `deflation[b]`, for the samples marked `active`.
///
/// - Parameter normFloor: A known lower bound on `‖H_b‖` (0 if none) for the relative tolerances.
/// - Parameter stopWhenNormSettles: Also stop (unconverged) once `‖H v‖` stops changing; enough
///   when the search only serves to estimate `‖H‖`, e.g. when `±‖H‖` are both eigenvalues.
private func powerSearch<Op: BatchedLinearOperator>(
    _ op: Op, active initiallyActive: [Bool], start: [Double], deflation: [[Double]], sign: Double,
    shift: [Double], normFloor: [Double], options: PowerIterationOptions, stopWhenNormSettles: Bool
) throws -> PowerSearch {
    let batch = op.batchSize
    let n = op.dimension
    var active = initiallyActive
    var v = start
    var x = [Double](repeating: 0, count: batch * n)
    var hv = [Double](repeating: 0, count: batch * n)
    var lambda = [Double](repeating: 0, count: batch)
    var residual = [Double](repeating: 0, count: batch)
    var iterations = [Int](repeating: 0, count: batch)
    var converged = [Bool](repeating: false, count: batch)
    var normEstimate = [Double](repeating: 0, count: batch)
    var previousNorm = [Double](repeating: 0, count: batch)
    // Per-sample workspace, reused by every step: a = A v, r = A v − μ v, and the deflation's scratch.
    let a = zeroedRows(n), r = zeroedRows(n)
    let scratch = zeroedRows(max(1, deflation.map(\.count).max()! / n))
    defer {
        a.deallocate()
        r.deallocate()
        scratch.deallocate()
    }

    /// One step of sample `b`, whose `H v` is in `hb`: updates its Rayleigh quotient, residual and
    /// `‖H‖` estimate, then either stops it or overwrites `vb` with the next iterate.
    ///
    /// - Returns: Whether the sample goes on iterating.
    func powerStep(sample b: Int, v vb: UnsafeMutablePointer<Double>, hv hb: UnsafePointer<Double>) -> Bool {
        let previousLambda = lambda[b]
        let hvNorm = norm(n, hb)
        normEstimate[b] = max(normEstimate[b], hvNorm)
        let scale = max(normEstimate[b], normFloor[b])
        // a = A v = sign·Hv + shift·v; its Rayleigh quotient μ = vᵀ A v.
        for i in 0..<n { a[i] = sign * hb[i] + shift[b] * vb[i] }
        let mu = dot(n, vb, a)
        for i in 0..<n { r[i] = a[i] - mu * vb[i] }
        // The shift cancels in the residual, so this is ‖H v − λ v‖.
        residual[b] = norm(n, r)
        orthogonalize(r, againstRows: deflation[b], n: n, scratch: scratch)
        let deflatedResidual = norm(n, r)
        lambda[b] = sign * (mu - shift[b])
        iterations[b] += 1

        let quotientSettled =
            iterations[b] > 1 && abs(lambda[b] - previousLambda) <= options.rayleighTolerance * scale
        if quotientSettled && deflatedResidual <= options.residualTolerance * scale {
            converged[b] = true
            return false
        }
        if stopWhenNormSettles && iterations[b] > 1
            && abs(hvNorm - previousNorm[b]) <= options.rayleighTolerance * hvNorm
        {
            return false
        }
        previousNorm[b] = hvNorm

        // Next iterate: the deflated A v, normalised.
        orthogonalize(a, againstRows: deflation[b], n: n, scratch: scratch)
        let length = norm(n, a)
        if !(length > Double.ulpOfOne * scale) || length < Double.leastNormalMagnitude {
            // A v vanishes in the deflated space: v is an eigenvector of the deflated operator to
            // working precision, and iterating on would only amplify rounding noise.
            converged[b] = true
            return false
        }
        for i in 0..<n { vb[i] = a[i] / length }
        return true
    }

    for _ in 0..<options.maxIterations {
        if !active.contains(true) { break }
        copyActiveRows(v, active: active, n: n, into: &x)
        try op.checkedApply(x, into: &hv)

        v.withUnsafeMutableBufferPointer { v in
            hv.withUnsafeBufferPointer { hv in
                for b in 0..<batch where active[b] {
                    active[b] = powerStep(sample: b, v: v.baseAddress! + b * n, hv: hv.baseAddress! + b * n)
                }
            }
        }
    }

    var estimates = [PowerIterationEstimate?](repeating: nil, count: batch)
    for b in 0..<batch where initiallyActive[b] {
        estimates[b] = PowerIterationEstimate(
            eigenvalue: lambda[b], residual: residual[b], iterations: iterations[b], converged: converged[b],
            vector: Array(v[(b * n)..<((b + 1) * n)]))
    }
    return PowerSearch(estimates: estimates, normEstimate: normEstimate)
}
