import Classifiers
import Datasets
import FileIO
import Foundation
import Messages
import NN
import Robustness
import Spectra
import Tensors

/// The study behind `curvature compare` and `curvature demo`: for several models on the same
/// samples, per-sample input-Hessian spectra, their eigenvalue profiles, robust accuracies (PGD, and
/// AutoAttack if asked) and a figure of inputs, input-gradients and perturbations.
///
/// ```swift
/// var study = ComparisonStudy(models: [("normal", a), ("pgd", b)], data: test, dataName: "fashion-mnist",
///                             split: .test, samples: 0..<200)
/// study.settings.epsilons = [0, 0.1]
/// let result = try study.run(in: folder)   // resumable pieces in folder/.compare-partial
/// try result.write(to: folder)
/// ```
public struct ComparisonStudy {
    /// What shapes the results beyond the models and samples.
    public struct Settings: Sendable {
        public var spectrum = SpectrumSettings()
        /// Samples per batched spectrum computation.
        public var batchSize = 50
        /// Also each sample's nearest boundary point and principal curvatures there (`boundary.csv`
        /// and the summary's boundary columns); nil leaves them out.
        public var boundary: BoundarySettings? = nil
        /// ε of the ℓ∞ evaluations; 0 is the clean accuracy.
        public var epsilons: [Double] = [0, 0.05, 0.1, 0.15, 0.2]
        public var pgdSteps = 20
        /// The attacks of the robust accuracies (`compare` and `demo` run both by default).
        public var robustAttacks: [RobustAttack] = [.pgd]
        /// AutoAttack on the first `autoattackSamples` of the evaluated samples only (nil: all),
        /// at `autoattackEpsilons` (some of `epsilons`; nil: all): it costs tens of times PGD on
        /// robust models, so the demo runs a part. PGD then also runs on that part, so that the gap
        /// compares the same samples.
        public var autoattackSamples: Int?
        public var autoattackEpsilons: [Double]?
        /// Split indices of the figure's samples.
        public var figureIndices: [Int] = []
        /// The perturbation the figure shows.
        public var figureAttack: AttackKind = .pgdLinf
        /// Its ε; nil takes the first positive of `epsilons` (0.1 if none).
        public var figureEpsilon: Double?
        /// Whole batches of this part of the samples only.
        public var shard: Shard = .whole
        /// Seeds the spectra's start vectors and the attacks' random starts.
        public var seed: UInt64 {
            get { spectrum.seed }
            set { spectrum.seed = newValue }
        }

        public init() {}
    }

    public let models: [(name: String, network: any Network)]
    public let data: LabeledImages
    public let dataName: String
    public let split: Split
    public let samples: Range<Int>
    public var settings = Settings()
    /// Everything else that identifies the run for a resume (for example model checksums).
    public var identity: [String: String] = [:]
    /// Progress lines for a person (stderr).
    public var progress: (String) -> Void = { _ in }
    /// Samples finished / all of the current model's spectra.
    public var spectrumProgress: (_ model: String) -> ResumableCSV.Progress = { _ in { _, _, _ in } }
    /// Polled at safe points; true ends the run with ``RunInterrupted``, keeping finished work.
    public var shouldStop: () -> Bool = { false }

    public init(models: [(name: String, network: any Network)], data: LabeledImages, dataName: String, split: Split, samples: Range<Int>) {
        self.models = models
        self.data = data
        self.dataName = dataName
        self.split = split
        self.samples = samples
    }

    /// The batches this run computes.
    public var batches: [Range<Int>] { BatchRanges(covering: samples, batchSize: settings.batchSize).batches(of: settings.shard) }

    /// The samples of this run's batches (contiguous: a shard is a run of whole batches).
    public var evaluatedSamples: Range<Int> {
        let batches = self.batches
        return (batches.first?.lowerBound ?? samples.lowerBound)..<(batches.last?.upperBound ?? samples.lowerBound)
    }

    /// The samples and ε of an attack's accuracies: AutoAttack's may be a part of PGD's.
    public func plan(for attack: RobustAttack) -> (samples: Range<Int>, epsilons: [Double]) {
        let all = evaluatedSamples
        guard attack == .autoattack else { return (all, settings.epsilons) }
        let count = Swift.min(settings.autoattackSamples ?? all.count, all.count)
        return (all.lowerBound..<(all.lowerBound + count), settings.autoattackEpsilons ?? settings.epsilons)
    }

    /// The ε the figure's perturbation uses.
    public var figureEpsilon: Double { settings.figureEpsilon ?? settings.epsilons.first(where: { $0 > 0 }) ?? 0.1 }

    /// Checks everything that can be checked before any work: names, shapes, sizes, indices.
    public func validate() throws {
        guard !models.isEmpty else { throw RunError("compare needs at least one model") }
        guard !settings.robustAttacks.isEmpty else { throw RunError("compare needs at least one robust attack (pgd, autoattack)") }
        let names = models.map(\.name)
        guard Set(names).count == names.count, names.allSatisfy({ !$0.contains(",") && !$0.isEmpty }) else {
            throw RunError("model names must be distinct, non-empty and without commas, got \(names.joined(separator: "|"))")
        }
        for (name, network) in models {
            try checkInput(network, fits: data, modelName: name, dataName: dataName)
            try settings.spectrum.fitted(to: network).validate(dimension: network.inputShape.reduce(1, *), modelName: name)
        }
        guard samples.lowerBound >= 0, samples.upperBound <= data.count, !samples.isEmpty else {
            throw RunError("samples \(samples.lowerBound)..<\(samples.upperBound) are not within the \(data.count) images of \(dataName)'s \(split) split")
        }
        guard !batches.isEmpty else {
            throw RunError("shard \(settings.shard) of \(samples.count) samples in batches of \(settings.batchSize) holds no batch; use fewer shards")
        }
        if let count = settings.autoattackSamples, count < 1 { throw RunError("AutoAttack's sample count must be ≥ 1, got \(count)") }
        if let outside = settings.autoattackEpsilons?.first(where: { !settings.epsilons.contains($0) }) {
            throw RunError("AutoAttack's ε \(outside) is not among the study's ε \(settings.epsilons.map { "\($0)" }.joined(separator: ","))")
        }
        if let beyond = settings.figureIndices.first(where: { $0 < 0 || $0 >= data.count }) {
            throw SettingError("\(setting: "figureIndices"): \(beyond) is beyond the \(data.count) images of \(dataName)'s \(split) split")
        }
    }

    /// Everything that shapes the results; a resumed run must match it exactly. The robust attacks
    /// are not in it: each one's evaluations are kept apart, so a resume may add or leave out one.
    public var fingerprint: [String: String] {
        let s = settings
        let solver = s.spectrum.solverRecord(dtype: .float32).merging(
            (s.boundary?.record(dtype: .float32) ?? [:]).reduce(into: [:]) { $0["boundary_" + $1.key] = $1.value }) { $1 }
        return identity.merging(solver) { $1 }.merging([
            "names": models.map(\.name).joined(separator: ","),
            "data": dataName, "split": split.rawValue, "samples": "\(samples.lowerBound)..<\(samples.upperBound)",
            "shard": s.shard.description,
            "method": s.spectrum.method.rawValue, "gauss_newton_route": String(s.spectrum.gaussNewtonRoute),
            "hessian": s.spectrum.hessian.rawValue, "h": String(s.spectrum.h),
            "part": s.spectrum.part.rawValue, "objective": s.spectrum.objective.rawValue,
            "epsilons": s.epsilons.map { "\($0)" }.joined(separator: ","),
            "pgd_steps": String(s.pgdSteps), "batch_size": String(s.batchSize), "seed": String(s.seed),
        ]) { $1 }
    }

    /// Computes the study, keeping each finished batch of spectra and each finished evaluation in
    /// `folder/.compare-partial` so that `resume` continues an interrupted run with the same
    /// results; the work folder is removed once the result is returned.
    public func run(in folder: URL, resume: Bool) throws -> ComparisonResult {
        try validate()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let work = try WorkFolder(in: folder, settings: fingerprint, resume: resume, note: progress)
        let figureBatch = data.batch(at: settings.figureIndices)
        var result = ComparisonResult(end: settings.spectrum.end, pgdSteps: settings.pgdSteps, figureBatch: figureBatch, imageWidth: data.width)
        let attacks = RobustAttack.allCases.filter(settings.robustAttacks.contains)
        for (index, (name, network)) in models.enumerated() {
            let classifier: Classifier = { network($0) }
            // The spectra file of a model is complete once renamed from its .partial; the CSV is the
            // record, so a resumed run and an uninterrupted one summarise the same numbers.
            let spectraFile = work.url.appendingPathComponent("\(index).spectra.csv")
            if !FileManager.default.fileExists(atPath: spectraFile.path) {
                let job = SpectrumJob(model: classifier, settings: settings.spectrum.fitted(to: network))
                try ResumableCSV(header: SpectrumRow.header, out: spectraFile, resume: true).run(
                    batches, label: "compare \(name): spectra", progress: spectrumProgress(name), shouldStop: shouldStop
                ) { samples in try job.rows(for: data.batch(at: Array(samples))).map(\.csv) }
            }
            let rows = try readSpectrum(spectraFile)
            var evaluations: [RobustEvaluation] = []
            for attack in attacks {
                let (samples, epsilons) = plan(for: attack)
                var evaluation = try evaluate(classifier, name: name, attack: attack, samples: samples, epsilons: epsilons, in: work, model: index)
                // AutoAttack on fewer samples than PGD: PGD on the same ones, for the gap.
                if attack != .pgd, attacks.contains(.pgd), samples != evaluatedSamples {
                    evaluation.pgdOnSameSamples = try evaluate(classifier, name: name, attack: .pgd, samples: samples,
                                                               epsilons: epsilons.filter { $0 > 0 }, in: work, model: index).accuracies
                }
                evaluations.append(evaluation)
            }
            let panels = figureBatch.count > 0 ? figurePanels(name: name, model: classifier, batch: figureBatch) : []
            var model = ComparisonResult.Model(name: name, spectra: rows, evaluations: evaluations, figurePanels: panels)
            if let boundary = settings.boundary {
                let file = work.url.appendingPathComponent("\(index).boundary.csv")
                let header = BoundaryRow.header(for: boundary)
                if !FileManager.default.fileExists(atPath: file.path) {
                    let job = BoundaryJob(model: classifier, settings: boundary.fitted(to: network))
                    try ResumableCSV(header: header, out: file, resume: true).run(
                        batches, label: "compare \(name): boundary", progress: spectrumProgress(name), shouldStop: shouldStop
                    ) { samples in try job.rows(for: data.batch(at: Array(samples))).map { $0.csv(dtype: .float32) } }
                }
                model.boundary = try BoundaryTable(csv: file, tangentDimension: network.inputShape.reduce(1, *) - 1)
            }
            result.models.append(model)
        }
        if settings.boundary != nil { result.section = try section(of: result.models) }
        work.remove()
        return result
    }

    /// The cross-section of every model through the first sample they all classify correctly (nil if
    /// there is none): along each one's principal direction of largest curvature when every model
    /// is smooth, else along a random one (a piecewise-linear boundary has no principal direction).
    private func section(of results: [ComparisonResult.Model]) throws -> SectionSet? {
        let correct = results.map { Set($0.spectra.filter { $0.predicted == $0.label }.map(\.sample)) }
        guard let sample = batches.joined().first(where: { sample in correct.allSatisfy { $0.contains(sample) } }) else { return nil }
        let direction: SectionDirection = models.allSatisfy { !$0.network.isPiecewiseLinear } ? .principal : .random
        return try SectionSet(models: models.map { name, network in (name, { network($0) }) }, image: data.batch(at: [sample]).images,
                              sampleIndex: sample, direction: direction, extent: nil, grid: 81, seed: settings.seed)
    }

    /// The accuracies of one model under `attack` on `range` at `epsilons`, each ε kept in the work
    /// folder as soon as it is known. AutoAttack runs as `eval --attack autoattack-linf` does, with
    /// its masking checks.
    private func evaluate(_ classifier: @escaping Classifier, name: String, attack: RobustAttack, samples range: Range<Int>,
                          epsilons: [Double], in work: WorkFolder, model index: Int) throws -> RobustEvaluation {
        let part = range == evaluatedSamples ? nil : range.count
        let file = work.url.appendingPathComponent(RobustEvaluation.fileName(model: index, attack: attack, firstSamples: part))
        var records = try EvaluationRecord.read(file)
        let label = attack.label(pgdSteps: settings.pgdSteps)
        for (i, epsilon) in epsilons.enumerated() where !records.contains(where: { $0.epsilon == epsilon }) {
            if shouldStop() { throw RunInterrupted("compare: interrupted; finished work is kept in \(file.deletingLastPathComponent().path); run the same command with \(setting: "resume") to finish") }
            let what = epsilon == 0 ? "clean accuracy" : "\(label) accuracy at ε = \(epsilon)"
            progress("compare \(name): \(what) (\(i + 1)/\(epsilons.count)) on \(range.count) samples")
            var masking = MaskingReport()
            let value = accuracy(classifier, on: data, range: range, batchSize: 200, attack: epsilon == 0 ? nil : { batch in
                let outcome = attack.kind.outcome(classifier, batch, epsilon: epsilon, steps: self.settings.pgdSteps, restarts: 1, seed: self.settings.seed)
                if let report = outcome.masking { masking.add(report) }
                return outcome.images
            })
            // As eval: the checks count every sample, the misclassified ones (not attacked) too.
            masking.samples = range.count
            let checked = attack == .autoattack && epsilon > 0
            records.append(EvaluationRecord(epsilon: epsilon, accuracy: value, masking: checked ? masking : nil))
            try AtomicFile.write(records.map { $0.line + "\n" }.joined(), to: file)
        }
        let finished = epsilons.compactMap { epsilon in records.first { $0.epsilon == epsilon } }
        let reports = finished.compactMap(\.masking)
        let masking = reports.isEmpty ? nil : reports.reduce(into: MaskingReport()) { $0.add($1) }
        return RobustEvaluation(attack: attack, accuracies: finished.map { ($0.epsilon, $0.accuracy) }, masking: masking, samples: range)
    }

    /// Per figure sample: this model's normalised input-gradient and its perturbation.
    private func figurePanels(name: String, model: @escaping Classifier, batch: Batch) -> [ComparisonResult.Panel] {
        let d = batch.images.count / batch.count
        let gradient = inputGradient(model, batch.images, batch.labels).gradient.scalars
        let adversarial = settings.figureAttack.images(model, batch, epsilon: figureEpsilon, steps: settings.pgdSteps, restarts: 1, seed: settings.seed)
        let delta = (adversarial - batch.images).scalars
        let after = predictions(Classifiers.evaluate(model, adversarial))
        var result: [ComparisonResult.Panel] = []
        for n in 0..<batch.count {
            let g = Array(gradient[(n * d)..<((n + 1) * d)]), scale = g.map(Swift.abs).max() ?? 1
            result.append(.init(title: "\(name) ∇", pixels: g.map { $0 / Swift.max(scale, 1e-30) }))
            result.append(.init(title: "\(name) δ→\(after[n])", pixels: Array(delta[(n * d)..<((n + 1) * d)])))
        }
        return result
    }
}

/// Checks that a model fits the data's image shape before any work starts.
public func checkInput(_ model: any Network, fits data: LabeledImages, modelName: String = "the model", dataName: String) throws {
    let shape = [data.channels, data.height, data.width]
    guard model.inputShape == shape else {
        throw RunError("\(modelName) expects inputs \(Shape.describe(model.inputShape)) but \(dataName) has images \(Shape.describe(shape))")
    }
    guard model.outputCount >= data.classCount else {
        throw RunError("\(modelName) has \(model.outputCount) outputs but \(dataName) has \(data.classCount) classes")
    }
}
