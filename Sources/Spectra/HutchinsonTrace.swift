import Randomness
/// A stochastic trace estimate with its uncertainty.
public struct TraceEstimate: Equatable, Sendable {
    /// The mean of `zᵀ H z` over the probes, an unbiased estimate of `tr H`.
    public var estimate: Double
    /// The standard error of that mean: sample standard deviation / √probes.
    public var standardError: Double
    /// Number of probes averaged.
    public var probes: Int
}

/// Hutchinson's trace estimator with Rademacher probes, for every sample of the batch.
///
/// For a Rademacher `z`, `E[zᵀ H z] = tr H` and the variance is `2 Σ_{i≠j} H_ij²`, the least of
/// any i.i.d. probe distribution; a diagonal `H` is therefore estimated exactly, with zero error.
/// Each probe costs one batched apply.
///
/// - Parameter op: The batch of symmetric operators.
/// - Parameter probes: Number of probe vectors, ≥ 2 (a standard error needs two).
/// - Parameter seed: Seed of the probes (sample `b` uses stream `b`).
/// - Returns: One ``TraceEstimate`` per sample.
/// - Throws: ``SpectraError/invalidArgument(_:)`` for fewer than 2 probes, and the operator's errors.
public func hutchinsonTrace(
    _ op: some BatchedLinearOperator, probes: Int = 32, seed: UInt64 = 0
) throws -> [TraceEstimate] {
    try op.checkShape()
    guard probes >= 2 else {
        throw SpectraError.invalidArgument("Hutchinson needs at least 2 probes for a standard error, got \(probes)")
    }
    let batch = op.batchSize
    let n = op.dimension
    var generators = (0..<batch).map { Xoshiro256StarStar(seed: seed, stream: op.randomStream(forSample: $0)) }
    var z = [Double](repeating: 0, count: batch * n)
    var hz = [Double](repeating: 0, count: batch * n)
    // Welford's running mean and sum of squared deviations: stable for any number of probes.
    var mean = [Double](repeating: 0, count: batch)
    var squaredDeviations = [Double](repeating: 0, count: batch)
    for p in 1...probes {
        for b in 0..<batch {
            for i in 0..<n { z[b * n + i] = generators[b].rademacher() }
        }
        try op.checkedApply(z, into: &hz)
        for b in 0..<batch {
            let value = z.withUnsafeBufferPointer { zp in
                hz.withUnsafeBufferPointer { hp in dot(n, zp.baseAddress! + b * n, hp.baseAddress! + b * n) }
            }
            let delta = value - mean[b]
            mean[b] += delta / Double(p)
            squaredDeviations[b] += delta * (value - mean[b])
        }
    }
    return (0..<batch).map { b in
        let variance = squaredDeviations[b] / Double(probes - 1)
        return TraceEstimate(
            estimate: mean[b], standardError: (variance / Double(probes)).squareRoot(), probes: probes)
    }
}
