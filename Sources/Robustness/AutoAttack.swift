import Autodiff
import Classifiers
import Tensors

/// AutoAttack's standard ensemble (Croce & Hein 2020): APGD-CE, APGD-T, FAB-T and Square in that
/// order, each run only on the samples that every earlier attack left correctly classified. A sample
/// counts as robust only if it survives all four; `brokenBy` names the attack that broke it.
public struct AutoAttack: Sendable {
    public enum Component: String, Sendable, CaseIterable {
        case apgdCE = "apgd-ce"
        case apgdT = "apgd-t"
        case fabT = "fab-t"
        case square

        /// Mixed into the seed so each attack draws its own random numbers (FAB-T draws none).
        var streamTag: UInt64 {
            switch self {
            case .apgdCE: return 1
            case .apgdT: return 2
            case .fabT: return 3
            case .square: return 4
            }
        }
    }

    public var norm: ThreatNorm
    public var epsilon: Double
    public var iterations: Int
    public var queries: Int
    public var components: [Component]

    public init(norm: ThreatNorm, epsilon: Double, iterations: Int = 100, queries: Int = 5000, components: [Component] = Component.allCases) {
        self.norm = norm
        self.epsilon = epsilon
        self.iterations = iterations
        self.queries = queries
        self.components = components
    }

    public struct Outcome {
        /// The adversarial image of each broken sample, the clean image otherwise.
        public let images: Tensor
        /// The attack that broke each sample; nil for robust and for misclassified samples.
        public let brokenBy: [Component?]
        public let masking: MaskingReport
    }

    /// One attack on `images`; sample `i` draws from stream `indices[i]` of `seed`.
    public func run(_ component: Component, _ model: Classifier, _ images: Tensor, _ labels: [Int], indices: [Int], seed: UInt64) -> AttackResult {
        var generators = sampleStreams(seed: seed, tag: component.streamTag, indices: indices)
        switch component {
        case .apgdCE:
            return APGD(norm: norm, epsilon: epsilon, iterations: iterations).crossEntropy(model, images, labels, generators: &generators)
        case .apgdT:
            return APGDTargeted(norm: norm, epsilon: epsilon, iterations: iterations).perturb(model, images, labels, generators: &generators)
        case .fabT:
            return FABTargeted(norm: norm, iterations: iterations).perturb(model, images, labels, epsilon: epsilon)
        case .square:
            return SquareAttack(norm: norm, epsilon: epsilon, queries: queries).perturb(model, images, labels, generators: &generators)
        }
    }

    public func perturb(_ model: Classifier, _ batch: Batch, seed: UInt64) -> Outcome {
        let n = batch.count, d = batch.images.count / Swift.max(n, 1)
        let outputs = evaluate(model, batch.images).scalars
        let classes = outputs.count / Swift.max(n, 1)
        let clean = argmaxRows(outputs, classes: classes)
        var report = MaskingReport()
        report.samples = n
        report.batches = 1
        report.probabilityBatches = MaskingReport.looksLikeProbabilities(outputs, classes: classes) ? 1 : 0
        var robust = (0..<n).map { clean[$0] == batch.labels[$0] }
        var brokenBy = [Component?](repeating: nil, count: n)
        var zeroGradient = [Bool](repeating: false, count: n)
        var images = batch.images.scalars
        for component in components {
            let rows = (0..<n).filter { robust[$0] }
            if rows.isEmpty { break }
            let sub = batch.rows(rows)
            let result = run(component, model, sub.images, sub.labels, indices: sub.indices, seed: seed)
            let adversarial = result.images.scalars
            for (k, row) in rows.enumerated() {
                if result.zeroGradient[k] { zeroGradient[row] = true }
                guard result.fooled[k] else { continue }
                robust[row] = false
                brokenBy[row] = component
                for i in 0..<d { images[row * d + i] = adversarial[k * d + i] }
            }
        }
        report.zeroGradient = zeroGradient.filter { $0 }.count
        report.brokenOnlyBySquare = components.count > 1 ? brokenBy.filter { $0 == .square }.count : 0
        return Outcome(images: Tensor(shape: batch.images.shape, scalars: images, dtype: batch.images.dtype), brokenBy: brokenBy, masking: report)
    }
}
