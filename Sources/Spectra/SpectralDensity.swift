import Foundation
import Randomness

/// Settings for ``spectralDensity(_:grid:sigma:options:)``.
public struct SpectralDensityOptions: Equatable, Sendable {
    /// Number of Rademacher probe vectors; the estimate's variance falls as `1/probes`.
    public var probes: Int
    /// Lanczos steps per probe, `≤ dimension`; `m` steps integrate polynomials of degree `2m − 1` exactly.
    public var steps: Int
    /// Re-orthogonalisation inside each Lanczos run.
    public var reorthogonalization: Reorthogonalization
    /// Seed of the probes (sample `b` uses stream `b`).
    public var seed: UInt64

    /// Creates SLQ settings.
    ///
    /// - Parameter probes: Number of probes, ≥ 1.
    /// - Parameter steps: Lanczos steps per probe, `1 … dimension`.
    /// - Parameter reorthogonalization: `.full` (default) or `.none`.
    /// - Parameter seed: Seed of the probes.
    public init(
        probes: Int = 10, steps: Int = 30, reorthogonalization: Reorthogonalization = .full, seed: UInt64 = 0
    ) {
        self.probes = probes
        self.steps = steps
        self.reorthogonalization = reorthogonalization
        self.seed = seed
    }
}

/// One sample's estimated spectral density.
public struct SpectralDensity: Equatable, Sendable {
    /// The evaluation points, as given.
    public var grid: [Double]
    /// The smoothed density at each grid point; it integrates to ~1 when the grid covers the
    /// spectrum with a few `sigma` to spare and its spacing is well below `sigma`.
    public var density: [Double]
    /// Gauss quadrature nodes (Ritz values) of all probes.
    public var nodes: [Double]
    /// Their weights (squared first components of the tridiagonal's eigenvectors, divided by the
    /// number of probes); they sum to 1, and `Σ wᵢ f(nodesᵢ)` estimates `tr f(H) / dimension`.
    public var weights: [Double]

    /// A grid of `count` equally spaced points from `lower` to `upper` inclusive.
    ///
    /// - Parameter lower: First point.
    /// - Parameter upper: Last point.
    /// - Parameter count: Number of points, ≥ 2.
    /// - Returns: The grid.
    public static func uniformGrid(from lower: Double, to upper: Double, count: Int) -> [Double] {
        precondition(count >= 2, "a grid needs at least two points")
        let step = (upper - lower) / Double(count - 1)
        return (0..<count).map { lower + Double($0) * step }
    }
}

/// One sample's stochastic Lanczos quadrature: a Gauss rule whose nodes and weights stand for the
/// spectral measure `(1/n) Σ δ(t − λᵢ)`.
public struct SpectralQuadrature: Equatable, Sendable {
    /// Gauss quadrature nodes (Ritz values) of all probes.
    public var nodes: [Double]
    /// Their weights (squared first components of the tridiagonal's eigenvectors, divided by the
    /// number of probes); they sum to 1, and `Σ wᵢ f(nodesᵢ)` estimates `tr f(H) / dimension`.
    public var weights: [Double]

    public init(nodes: [Double], weights: [Double]) {
        self.nodes = nodes
        self.weights = weights
    }

    /// The rule smoothed by a Gaussian of width `sigma` and evaluated on `grid`: Σᵢ wᵢ · N(λ; nodeᵢ, σ²).
    public func smoothed(on grid: [Double], sigma: Double) -> [Double] {
        let normaliser = 1 / (sigma * (2 * Double.pi).squareRoot())
        return grid.map { point in
            var sum = 0.0
            for (node, weight) in zip(nodes, weights) {
                let u = (point - node) / sigma
                sum += weight * exp(-0.5 * u * u)
            }
            return sum * normaliser
        }
    }
}

/// Stochastic Lanczos quadrature: an estimate of the spectral density `(1/n) Σ δ(t − λᵢ)` of every
/// sample, smoothed by a Gaussian of width `sigma` and evaluated on `grid`.
///
/// ``stochasticLanczosQuadrature(_:options:)`` followed by ``SpectralQuadrature/smoothed(on:sigma:)``.
public func spectralDensity(
    _ op: some BatchedLinearOperator, grid: [Double], sigma: Double,
    options: SpectralDensityOptions = SpectralDensityOptions()
) throws -> [SpectralDensity] {
    guard sigma > 0, sigma.isFinite else { throw SpectraError.invalidArgument("sigma \(sigma) must be positive and finite") }
    guard !grid.isEmpty, grid.allSatisfy(\.isFinite) else {
        throw SpectraError.invalidArgument("grid must be non-empty and finite")
    }
    return try stochasticLanczosQuadrature(op, options: options).map { rule in
        SpectralDensity(grid: grid, density: rule.smoothed(on: grid, sigma: sigma), nodes: rule.nodes, weights: rule.weights)
    }
}

/// Each sample's Gauss rule for its spectral measure, by stochastic Lanczos quadrature.
///
/// Each Rademacher probe `z` starts a Lanczos run; the eigenvalues `θ` of its tridiagonal and the
/// squared first components `τ` of their eigenvectors are the nodes and weights of a Gauss rule for
/// `zᵀ f(H) z / n`. Averaging the rules over the probes gives the sample's rule. All samples run in
/// lock-step, one batched apply per Lanczos step.
///
/// - Parameter op: The batch of symmetric operators.
/// - Parameter options: Probes, Lanczos steps, re-orthogonalisation, seed.
/// - Returns: One ``SpectralQuadrature`` per sample.
/// - Throws: ``SpectraError/tooManySteps(steps:dimension:)`` if `steps > dimension`,
///   ``SpectraError/invalidArgument(_:)`` for other bad arguments, and the operator's errors.
public func stochasticLanczosQuadrature(
    _ op: some BatchedLinearOperator, options: SpectralDensityOptions = SpectralDensityOptions()
) throws -> [SpectralQuadrature] {
    try op.checkShape()
    let batch = op.batchSize
    let n = op.dimension
    guard options.probes >= 1 else { throw SpectraError.invalidArgument("probes \(options.probes) must be ≥ 1") }
    guard options.steps >= 1 else { throw SpectraError.invalidArgument("steps \(options.steps) must be ≥ 1") }
    guard options.steps <= n else { throw SpectraError.tooManySteps(steps: options.steps, dimension: n) }

    var generators = (0..<batch).map { Xoshiro256StarStar(seed: options.seed, stream: op.randomStream(forSample: $0)) }
    var nodes = [[Double]](repeating: [], count: batch)
    var weights = [[Double]](repeating: [], count: batch)
    var probe = [Double](repeating: 0, count: batch * n)
    for _ in 0..<options.probes {
        for b in 0..<batch {
            for i in 0..<n { probe[b * n + i] = generators[b].rademacher() }
        }
        let run = try lanczosRecurrence(
            op, steps: options.steps, start: probe, reorthogonalization: options.reorthogonalization,
            keepBasis: options.reorthogonalization == .full, breakdownTolerance: 1e-10)
        for b in 0..<batch {
            let s = run.alpha[b].count
            let t = try symmetricTridiagonalEigen(
                diagonal: run.alpha[b], offDiagonal: Array(run.beta[b].prefix(s - 1)), wantVectors: true)
            let vectors = t.vectors ?? []
            for i in 0..<s {
                let first = vectors[i * s]
                nodes[b].append(t.values[i])
                weights[b].append(first * first / Double(options.probes))
            }
        }
    }

    return (0..<batch).map { SpectralQuadrature(nodes: nodes[$0], weights: weights[$0]) }
}

extension SpectralDensity {
    /// The quadrature (`nodes`, `weights`) smoothed by a Gaussian of width `sigma` and evaluated on `grid`.
    public func smoothed(on grid: [Double], sigma: Double) -> [Double] {
        SpectralQuadrature(nodes: nodes, weights: weights).smoothed(on: grid, sigma: sigma)
    }
}
