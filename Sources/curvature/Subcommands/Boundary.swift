import ArgumentParser
import Curvature
import Foundation

struct Boundary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Each sample's nearest decision-boundary point and the boundary's principal curvatures there.",
        discussion: """
            For a correctly classified sample x with label y, the nearest point x_b (in ℓ2) of the \\
            boundary between y and the class t across it, where g = z_y − z_t = 0; then the principal \\
            curvatures of that boundary at x_b: the eigenvalues of −P∇²gP/‖∇g‖ on the d − 1 tangent \\
            directions (n = ∇g/‖∇g‖, P = I − nnᵀ), positive where the boundary bends towards the \\
            label's side (a ball of radius R around the label's region: +1/R). Curvatures do not \\
            change when the logits are rescaled: they are the boundary's shape, not the function's size.

            Writes CSV `sample,label,predicted,target,distance,normal_cosine,gradient_norm,rank,\\
            curvature,residual,status,converged`: `distance` ‖x_b − x‖, `normal_cosine` the cosine of \\
            x − x_b with n (1 when x_b is locally nearest), `gradient_norm` ‖∇g(x_b)‖; `status` ok, \\
            misclassified (one row, no search) or no-boundary (one row: the search did not meet its \\
            tolerance). The search ignores the image box [0, 1] unless --box is given: the geometry \\
            of the function itself. A ReLU network's ∇²g is 0 almost everywhere, so its exact \\
            curvatures are 0.

            Examples:
              curvature boundary \\
                --model Data/models/fmnist-cnn-small-softplus-standard.safetensors \\
                --data fashion-mnist --samples 20 --k 10 --out boundary.csv
              curvature boundary \\
                --model Data/models/fmnist-cnn-small-softplus-pgd.safetensors \\
                --data fashion-mnist --samples 20 --k 5 --which smallest \\
                --points points.npy --out boundary-pgd.csv
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var data: DataOptions

    @Option(parsing: .unconditional, help: "Principal curvatures per sample (at most d − 1).")
    var k: Int = 20

    @Option(help: "Which end --k counts from: the largest curvatures, the smallest, the largest |κ|, or both (the k largest and the k smallest).")
    var which: SpectrumEnd = .largest

    @Option(name: .customLong("tol"), parsing: .unconditional,
            help: "Converged: residual ≤ tol × the largest |curvature| (default 1e-4 with --dtype float32, 1e-8 with float64).")
    var tolerance: Double?

    @Option(name: .customLong("max-steps"), parsing: .unconditional, help: "The most Lanczos vectors per sample (default 300).")
    var maxSteps: Int = 300

    @Option(name: .customLong("block-size"), parsing: .unconditional, help: "Lanczos block size (default 2).")
    var blockSize: Int = 2

    @Option(name: .customLong("search-tol"), parsing: .unconditional,
            help: "The boundary search stops when |g|/‖∇g‖ and its last move are at most this × the distance (default 1e-5 with float32, 1e-10 with float64).")
    var searchTolerance: Double?

    @Option(name: .customLong("search-iterations"), parsing: .unconditional, help: "The most steps of the boundary search (default 200).")
    var searchIterations: Int = 200

    @Flag(help: "Keep the boundary point in the image box [0, 1] (the nearest image on the boundary; normal_cosine then < 1 where the box binds).")
    var box = false

    @Option(name: .customLong("min-cosine"), parsing: .unconditional,
            help: "Status ok needs the cosine of x − x_b with the boundary's normal at least this (default 0.99); below it: not-nearest, curvatures still computed there.")
    var minimumCosine: Double = 0.99

    @Option(help: "exact: the principal curvatures by double backprop; finite: κ_h(u) = (o(h) + o(−h))/h², the boundary's offset o towards the label's side at tangent distance ±h, for any network (a ReLU network's exact curvatures are 0).")
    var hessian: HessianKind = .exact

    @Option(name: [.customLong("h"), .customLong("finite-h")], parsing: .unconditional,
            help: "With --hessian finite: the tangent distances h, comma-separated (default 0.01); trailing h and direction columns.")
    var finiteH: CommaSeparated<Double>?

    @Option(name: .customLong("random-directions"), parsing: .unconditional,
            help: "With --hessian finite: random unit tangent directions per sample (default 4), besides the exact principal directions of a smooth network.")
    var randomDirections: Int?

    @Flag(help: "Add trailing columns alignment, alignment_cosine (Etmann et al. 2019: |⟨x, ∇z_ŷ⟩|/‖∇z_ŷ‖ of the predicted class's saliency map, and its cosine with x) and perturbation_alignment, perturbation_cosine (the same for x_b − x).")
    var interpretability = false

    @Option(help: "Also write the boundary points as .npy (N, C, H, W) float32 in sample order; NaN for samples without one.")
    var points: String?

    @OptionGroup var job: SampleJobOptions

    private var settings: BoundarySettings {
        var settings = BoundarySettings()
        (settings.k, settings.end, settings.tolerance, settings.maxSteps, settings.blockSize) = (k, which, tolerance, maxSteps, blockSize)
        (settings.seed, settings.searchTolerance, settings.searchIterations, settings.box) = (job.seed, searchTolerance, searchIterations, box)
        settings.minimumCosine = minimumCosine
        settings.interpretability = interpretability
        if hessian == .finite {
            settings.finiteScales = finiteH?.values ?? [0.01]
            settings.randomDirections = randomDirections ?? 4
        }
        return settings
    }

    /// What no setting shows: a flag given that changes nothing. Every value is the settings' to check.
    func validate() throws {
        if hessian == .exact {
            if let finiteH { throw ValidationError("--h \(finiteH.text) has no effect with --hessian exact; add --hessian finite") }
            if let randomDirections { throw ValidationError("--random-directions \(randomDirections) has no effect with --hessian exact; add --hessian finite") }
        }
        if job.gradientNorm { throw ValidationError("--gradient-norm has no effect with boundary: its gradient_norm column is always written (‖∇g‖ at the boundary point)") }
        if let points {
            try OutputPath.checkFile(points, option: "--points")
            if job.resume { throw ValidationError("--points \(points) with --resume: the points of the batches finished before are not kept; run again without --resume") }
        }
        try usage { try settings.validate(dimension: nil) }
    }

    func run() throws {
        let prepared = try PreparedSampleJob(model: model, data: data, job: job)
        let d = prepared.network.inputShape.reduce(1, *)
        let settings = self.settings.fitted(to: prepared.network)
        try usage { try settings.validate(dimension: d) }
        let boundaryJob = BoundaryJob(model: prepared.classifier, settings: settings)
        let fingerprint = try job.fingerprint(settings.record(dtype: prepared.dtype), model: model, data: data, range: prepared.range)
        var found = [Int: [Double]?]()
        try job.run(header: BoundaryRow.header(for: settings), label: "boundary", model: model, range: prepared.range, fingerprint: fingerprint,
                    start: prepared.start) { samples in
            let batch = prepared.images.batch(samples, dtype: prepared.dtype)
            let (rows, batchPoints) = try boundaryJob.rowsAndPoints(for: batch)
            for (b, point) in batchPoints.enumerated() { found[batch.indices[b]] = point }
            return rows.map { $0.csv(dtype: prepared.dtype) }
        } summary: { url in
            try reportBoundary(of: url, maxSteps: settings.maxSteps)
        }
        if let points {
            let shape = prepared.network.inputShape
            let ordered = found.keys.sorted()
            var values = [Float]()
            values.reserveCapacity(ordered.count * d)
            for sample in ordered { values += (found[sample]! ?? [Double](repeating: .nan, count: d)).map { Float($0) } }
            try AtomicFile.write(NumPyWriter.float32(values, shape: [ordered.count] + shape), to: URL(fileURLWithPath: points))
        }
    }
}

/// Counts a finished boundary CSV's samples by status, says on stderr in one line what is not ok,
/// and returns the counts for `<out>.meta.json`.
func reportBoundary(of url: URL, maxSteps: Int) throws -> [String: Any] {
    let table = try BoundaryTable(csv: url)
    let counts = table.statusCounts, unconverged = table.unconvergedSamples
    let total = counts.values.reduce(0, +)
    var notes: [String] = []
    if let stalled = counts["not-nearest"] { notes.append("\(stalled) of \(total) samples' boundary points are not locally nearest (status not-nearest; see normal_cosine)") }
    if let missed = counts["no-boundary"] { notes.append("\(missed) of \(total) samples have no boundary point within the search's tolerance (status no-boundary)") }
    if unconverged > 0 { notes.append("\(unconverged) of \(total) samples' curvatures did not converge within --max-steps \(maxSteps); see column converged") }
    for note in notes { FileHandle.standardError.write(Data("boundary: \(note)\n".utf8)) }
    return ["samples": total, "status_counts": counts, "unconverged_samples": unconverged]
}
