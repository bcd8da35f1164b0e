import Classifiers
import Spectra
import Tensors

/// Computes input-Hessian spectra batch by batch.
public struct SpectrumJob: SampleJob {
    public let model: Classifier
    public let settings: SpectrumSettings

    public init(model: @escaping Classifier, settings: SpectrumSettings) {
        self.model = model
        self.settings = settings
    }

    /// The rows of one batch, ordered by sample then rank. A NaN or infinity anywhere (inputs,
    /// loss, gradient, Hessian-vector products) is an error naming the sample.
    public func rows(for batch: Batch) throws -> [SpectrumRow] {
        try NumericalFault.namingSamples(of: batch) { try computeRows(for: batch) }
    }

    private func computeRows(for batch: Batch) throws -> [SpectrumRow] {
        let s = settings
        if s.takesGaussNewtonRoute { return try gaussNewtonRows(for: batch) }
        let (op, logits, gradient) = try s.inputHessian.makeOperator(model: model, batch: batch)
        let gradientNorms = s.gradientNorm ? rowNorms(gradient) : nil
        if let bad = NonFiniteLogit.first(in: logits) { throw bad }
        let predicted = predictions(logits)
        var rows: [SpectrumRow] = []
        for (b, ranked) in try solve(op, dtype: batch.images.dtype).enumerated() {
            for eigenvalue in ranked.sorted(by: { $0.rank < $1.rank }) {
                rows.append(SpectrumRow(sample: batch.indices[b], label: batch.labels[b], predicted: predicted[b], rank: eigenvalue.rank,
                                        eigenvalue: eigenvalue.value, residual: eigenvalue.residual, converged: eigenvalue.converged,
                                        gradientNorm: gradientNorms?[b]))
            }
        }
        return rows
    }

    /// Each sample's k eigenvalues by the settings' solver, ranked, with residuals floored at the
    /// arithmetic's resolution and judged against the tolerance.
    private func solve(_ op: some BatchedLinearOperator, dtype: DType) throws -> [[RankedEigenvalue]] {
        let s = settings
        let d = op.dimension
        let tolerance = s.tolerance(for: dtype), precision = SpectrumSettings.operatorPrecision(for: dtype)
        /// Floors the residuals at the precision times `scale` and flags those above the tolerance.
        func judged(_ values: [Double], _ residuals: [Double], scale: Double) -> [EigenvalueEstimate] {
            zip(values, residuals).map { value, residual in
                let floored = Swift.max(residual, precision * scale)
                return EigenvalueEstimate(value: value, residual: floored, converged: floored <= Swift.max(tolerance, precision) * scale)
            }
        }
        switch s.method {
        case .dense:
            return try denseEigen(op, wantVectors: true, maxDimension: s.denseLimit).map { result in
                let all = result.eigenvalues.enumerated().map {
                    RankedEigenvalue(rank: $0.offset + 1, value: $0.element, residual: result.residuals?[$0.offset] ?? .nan, converged: true)
                }
                return EigenvalueRanking.select(all, k: s.k, end: s.end)
            }
        case .lanczos where s.steps != nil && s.lanczosBlockSize == 1:
            // The fixed budget of earlier versions, computed as it was.
            let steps = Swift.min(s.steps!, d)
            let selection: EigenvalueSelection
            switch s.end {
            case .largest: selection = .largest(Swift.min(s.k, steps))
            case .smallest: selection = .smallest(Swift.min(s.k, steps))
            case .magnitude: selection = .all
            case .both: selection = .bothEnds(largest: Swift.min(s.k, steps), smallest: Swift.min(s.k, steps))
            }
            let results = try lanczos(op, options: LanczosOptions(steps: steps, selection: selection,
                                                                  reorthogonalization: s.reorthogonalization, seed: s.seed))
            return results.map { result in
                // The scale is the largest |Ritz value| returned, a lower bound on ‖H‖: the test errs strict.
                let scale = result.ritzValues.map(Swift.abs).max() ?? 0
                return EigenvalueRanking.rankExtremes(judged(result.ritzValues, result.residualBounds, scale: scale),
                                                      k: s.k, end: s.end, dimension: d)
            }
        case .lanczos:
            let options = BlockLanczosOptions(wanted: s.end.wanted(s.k, dimension: d), blockSize: s.lanczosBlockSize, tolerance: tolerance, operatorPrecision: precision,
                                              maxDimension: s.steps ?? s.maxSteps, fixedDimension: s.steps != nil, seed: s.seed)
            return try blockLanczos(op, options: options).map { result in
                let estimates = result.ritzValues.indices.map {
                    EigenvalueEstimate(value: result.ritzValues[$0], residual: result.residualBounds[$0], converged: result.converged[$0])
                }
                return EigenvalueRanking.rankExtremes(estimates, k: s.k, end: s.end, dimension: d)
            }
        case .power:
            let target: PowerIterationTarget = s.end == .smallest ? .smallestAlgebraic : (s.end == .largest ? .largestAlgebraic : .largestMagnitude)
            // Block power iteration with Rayleigh–Ritz and guard vectors: a cluster inside the block
            // is resolved, and each value is judged by its own residual.
            let options = SubspaceIterationOptions(maxIterations: s.powerIterations, tolerance: tolerance, operatorPrecision: precision, seed: s.seed)
            return try subspaceIteration(op, target: target, count: Swift.min(s.k, d), options: options).map { result in
                let estimates = result.eigenvalues.indices.map {
                    EigenvalueEstimate(value: result.eigenvalues[$0], residual: result.residuals[$0], converged: result.converged[$0])
                }
                return EigenvalueRanking.rankExtremes(estimates, k: s.k, end: s.end, dimension: d)
            }
        }
    }

    /// The Gauss–Newton spectrum exactly: the C eigenvalues of A^½JJᵀA^½, then d − C zeros.
    private func gaussNewtonRows(for batch: Batch) throws -> [SpectrumRow] {
        let spectrum = try GaussNewtonSpectrum(model: model, images: batch.images, labels: batch.labels)
        let predicted = predictions(spectrum.logits)
        let d = batch.images.count / batch.count
        var rows: [SpectrumRow] = []
        for b in 0..<batch.count {
            let top = zip(spectrum.eigenvalues[b], spectrum.residuals[b]).prefix(d)
            var all = top.enumerated().map { RankedEigenvalue(rank: $0.offset + 1, value: $0.element.0, residual: $0.element.1, converged: true) }
            all += (all.count..<d).map { RankedEigenvalue(rank: $0 + 1, value: 0, residual: 0, converged: true) }
            for pair in EigenvalueRanking.select(all, k: settings.k, end: settings.end).sorted(by: { $0.rank < $1.rank }) {
                rows.append(SpectrumRow(sample: batch.indices[b], label: batch.labels[b], predicted: predicted[b],
                                        rank: pair.rank, eigenvalue: pair.value, residual: pair.residual,
                                        gradientNorm: settings.gradientNorm ? spectrum.gradientNorms[b] : nil))
            }
        }
        return rows
    }
}
