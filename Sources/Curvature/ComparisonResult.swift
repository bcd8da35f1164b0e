import Classifiers
import FileIO
import Foundation
import NN
import Robustness

/// What a ``ComparisonStudy`` found, and the files `compare` writes from it.
public struct ComparisonResult {
    /// One figure panel: a title and an image's pixels.
    public struct Panel: Sendable {
        public var title: String
        public var pixels: [Double]
    }

    /// One model's findings.
    public struct Model {
        public var name: String
        public var spectra: [SpectrumRow]
        /// One per attack of the study, in eval.csv's order (PGD first).
        public var evaluations: [RobustEvaluation]
        /// Per figure sample: the gradient and the perturbation.
        public var figurePanels: [Panel]
        /// With the study's boundary settings: the boundary CSV's rows (without the model column).
        public var boundary: BoundaryTable? = nil

        public var profile: [ProfilePoint] { eigenvalueProfile(spectra) }
        /// The PGD accuracies (none if the study ran AutoAttack only).
        public var accuracies: [(epsilon: Double, accuracy: Double)] { evaluations.first { $0.attack == .pgd }?.accuracies ?? [] }
    }

    public let end: SpectrumEnd
    public let pgdSteps: Int
    public let figureBatch: Batch
    public let imageWidth: Int
    public var models: [Model] = []
    /// With the study's boundary settings: every model's cross-section through the first sample
    /// they all classify correctly.
    public var section: SectionSet? = nil

    /// The attacks of the accuracies, in eval.csv's order.
    public var robustAttacks: [RobustAttack] { models.first?.evaluations.map(\.attack) ?? [] }

    /// Per sample, the eigenvalue the headline table summarises: the largest for `largest`, the
    /// smallest for `smallest`, the one of largest modulus (as |λ|) for `magnitude`.
    public func extremeEigenvalues(_ model: Model) -> [Double] {
        Dictionary(grouping: model.spectra, by: \.sample).values.map { sample in
            let values = sample.map(\.eigenvalue)
            switch end {
            case .largest, .both: return values.max()!
            case .smallest: return values.min()!
            case .magnitude: return values.map(Swift.abs).max()!
            }
        }
    }

    private var extremeName: String {
        switch end {
        case .largest, .both: return "λ₁"
        case .smallest: return "λ_min"
        case .magnitude: return "max |λ|"
        }
    }

    /// The headline table (Markdown): median and mean extreme eigenvalue, the clean accuracy and
    /// each attack's accuracy at every positive ε (PGD's columns first, as without AutoAttack), then,
    /// with both attacks, the largest gap PGD − AutoAttack over ε, with its ε. That one number says
    /// whether PGD overstates robustness anywhere; a gap per ε would add as many columns again for
    /// differences of columns already in the table. With the boundary, its medians come last.
    public var summaryTable: String {
        var headers: [String] = [], cells: [(Model) -> String] = []
        let evaluations = models.first?.evaluations ?? []
        for (a, evaluation) in evaluations.enumerated() {
            for (e, epsilon) in evaluation.accuracies.map(\.epsilon).enumerated() where a == 0 || epsilon != 0 {
                headers.append((epsilon == 0 ? "clean acc" : "\(evaluation.attack.label(pgdSteps: pgdSteps)) ε=\(epsilon)") + partName(evaluation))
                cells.append { String(format: "%.1f %%", 100 * $0.evaluations[a].accuracies[e].accuracy) }
            }
        }
        let autoattack = evaluations.first { $0.attack == .autoattack }
        if robustAttacks.contains(.pgd), let autoattack, hasPositiveEpsilon, autoattack.accuracies.contains(where: { $0.epsilon > 0 }) {
            headers.append("largest gap PGD − AutoAttack" + partName(autoattack))
            cells.append(Self.largestGapCell)
        }
        if models.contains(where: { $0.boundary != nil }) {
            for (header, statistic) in BoundaryTable.summaryColumns {
                headers.append(header)
                cells.append { model in model.boundary.map(statistic).flatMap { $0.isNaN ? nil : String(format: "%.3g", $0) } ?? "" }
            }
        }
        let unconverged = models.map { model in Set(model.spectra.filter { !$0.converged }.map(\.sample)).count }
        var lines = ["| model | median \(extremeName) | mean \(extremeName) | " + headers.joined(separator: " | ") + " |"]
        lines.append("|" + String(repeating: " --- |", count: 3 + headers.count))
        for (index, model) in models.enumerated() {
            let extremes = extremeEigenvalues(model).sorted()
            let mean = extremes.reduce(0, +) / Double(Swift.max(extremes.count, 1))
            let mark = unconverged[index] > 0 ? " †" : ""
            lines.append("| \(model.name) | \(String(format: "%.4g", quantile(extremes, 0.5)))\(mark) | \(String(format: "%.4g", mean))\(mark) | "
                + cells.map { $0(model) }.joined(separator: " | ") + " |")
        }
        // An attack run on part of the samples or ε says so below the table, with PGD's accuracy
        // on the same part: the comparison the gap column makes.
        for evaluation in evaluations.dropFirst() where evaluation.samples != evaluations[0].samples
            || evaluation.accuracies.map(\.epsilon) != evaluations[0].accuracies.map(\.epsilon) {
            let epsilons = evaluation.accuracies.map { "\($0.epsilon)" }.joined(separator: ", ")
            var note = "\(evaluation.attack.label(pgdSteps: pgdSteps)): "
                + (evaluation.samples == evaluations[0].samples ? "" : "the first \(evaluation.samples.count) of the \(evaluations[0].samples.count) samples, ")
                + "ε = \(epsilons) only."
            if let same = evaluation.pgdOnSameSamples {
                let accuracies = models.map { model in
                    let values = model.evaluations.first { $0.attack == evaluation.attack }?.pgdOnSameSamples ?? []
                    return "\(model.name) " + values.map { String(format: "%.1f %%", 100 * $0.accuracy) }.joined(separator: " / ")
                }
                note += " \(RobustAttack.pgd.label(pgdSteps: pgdSteps)) on the same samples at ε = \(same.map { "\($0.epsilon)" }.joined(separator: " / ")), "
                    + "which the gap compares with: " + accuracies.joined(separator: ", ") + "."
            }
            lines.append("")
            lines.append(note)
        }
        // A profile resting on unconverged eigenvalues is marked, with the count, below the table.
        for (index, model) in models.enumerated() where unconverged[index] > 0 {
            let samples = Set(model.spectra.map(\.sample)).count
            lines.append("")
            lines.append("† \(model.name): \(unconverged[index]) of \(samples) samples have eigenvalues that did not converge (spectra.csv column converged, profile.csv column unconverged)")
        }
        // The samples behind the boundary medians: those with a boundary point, nearest or not.
        let counted = models.compactMap { model in
            model.boundary.map { table in
                "\(model.name) " + ["ok", "not-nearest", "no-boundary", "misclassified"].compactMap { status in
                    table.statusCounts[status].map { "\($0) \(status)" }
                }.joined(separator: ", ")
            }
        }
        if !counted.isEmpty {
            lines.append("")
            lines.append("Boundary medians over the samples with a boundary point (ok and not-nearest; boundary.csv column status): " + counted.joined(separator: "; ") + ".")
        }
        if let section {
            lines.append("")
            lines.append("Cross-section (section.csv): sample \(section.sampleIndex), the first every model classifies correctly, "
                + "along each model's direction to its nearest boundary point and \(section.direction == .principal ? "its principal direction of largest curvature" : "a random direction"), "
                + "±\(String(format: "%.3g", section.extent)) in image units.")
        }
        return lines.joined(separator: "\n")
    }

    private var hasPositiveEpsilon: Bool { models.first?.accuracies.contains { $0.epsilon > 0 } ?? false }

    /// " (first N)" after the name of an evaluation of part of the samples.
    private func partName(_ evaluation: RobustEvaluation) -> String {
        evaluation.samples.count < (models.first?.evaluations.first?.samples.count ?? 0) ? " (first \(evaluation.samples.count))" : ""
    }

    /// PGD's accuracy minus AutoAttack's at the positive ε where it is largest, in percentage
    /// points, on the samples AutoAttack ran on.
    private static func largestGapCell(_ model: Model) -> String {
        guard let pgd = model.evaluations.first(where: { $0.attack == .pgd }),
              let autoattack = model.evaluations.first(where: { $0.attack == .autoattack }) else { return "" }
        let reference = autoattack.pgdOnSameSamples ?? pgd.accuracies
        let gaps = reference.filter { $0.epsilon > 0 }.compactMap { p in
            autoattack.accuracies.first { $0.epsilon == p.epsilon }.map { (epsilon: p.epsilon, points: 100 * (p.accuracy - $0.accuracy)) }
        }
        guard let largest = gaps.max(by: { $0.points < $1.points }) else { return "" }
        return Swift.abs(largest.points) < 0.05 ? "0.0 pp" : String(format: "%+.1f pp at ε=", largest.points) + "\(largest.epsilon)"
    }

    /// `model,rank,mean,median,p10,p90,samples`.
    public var profileCSV: String { csv([ProfilePoint.header] + models.flatMap { model in model.profile.map { $0.csv(model: model.name) } }) }

    /// The boundary's principal curvatures by rank, per model, as profile.csv has the eigenvalues.
    public var boundaryProfileCSV: String {
        csv([ProfilePoint.header] + models.flatMap { model in (model.boundary?.profile ?? []).map { $0.csv(model: model.name) } })
    }

    /// `model,` + the spectrum columns.
    public var spectraCSV: String { csv(["model," + SpectrumRow.header] + models.flatMap { model in model.spectra.map { "\(model.name),\($0.csv)" } }) }

    /// `model,attack,epsilon,accuracy`: every model's PGD rows (`pgd-linf`), then every model's
    /// AutoAttack rows (`autoattack-linf`), so a PGD-only file is the start of one with both.
    public var evaluationCSV: String {
        csv(["model,attack,epsilon,accuracy"] + robustAttacks.indices.flatMap { a in
            models.flatMap { model in
                let evaluation = model.evaluations[a]
                return evaluation.accuracies.map { "\(model.name),\(evaluation.attack.kind.rawValue),\($0.epsilon),\(String(format: "%.4f", $0.accuracy))" }
            }
        })
    }

    /// The figure's panels in order: per sample, the input, then each model's gradient and perturbation.
    public var figurePanels: [Panel] {
        let d = figureBatch.count > 0 ? figureBatch.images.count / figureBatch.count : 0
        var panels: [Panel] = []
        for n in 0..<figureBatch.count {
            panels.append(Panel(title: "label \(figureBatch.labels[n])", pixels: Array(figureBatch.images.scalars[(n * d)..<((n + 1) * d)])))
            for model in models { panels += model.figurePanels[(2 * n)..<(2 * n + 2)] }
        }
        return panels
    }

    /// Writes profile.csv, spectra.csv, eval.csv, the figure's images.csv, images.titles and
    /// images.columns (when it has samples) and summary.md into `folder`.
    public func write(to folder: URL) throws {
        try AtomicFile.write(profileCSV, to: folder.appendingPathComponent("profile.csv"))
        try AtomicFile.write(spectraCSV, to: folder.appendingPathComponent("spectra.csv"))
        try AtomicFile.write(evaluationCSV, to: folder.appendingPathComponent("eval.csv"))
        let panels = figurePanels
        if !panels.isEmpty {
            var lines = ["panel,row,col,value"]
            for (p, panel) in panels.enumerated() {
                for (i, v) in panel.pixels.enumerated() { lines.append("\(p),\(i / imageWidth),\(i % imageWidth),\(String(format: "%.5g", v))") }
            }
            try AtomicFile.write(csv(lines), to: folder.appendingPathComponent("images.csv"))
            try AtomicFile.write(panels.map(\.title).joined(separator: "|") + "\n", to: folder.appendingPathComponent("images.titles"))
            try AtomicFile.write("\(1 + 2 * models.count)\n", to: folder.appendingPathComponent("images.columns"))
        }
        if let header = models.compactMap(\.boundary).first?.header {
            let lines = ["model," + header] + models.flatMap { model in (model.boundary?.lines ?? []).map { "\(model.name),\($0)" } }
            try AtomicFile.write(csv(lines), to: folder.appendingPathComponent("boundary.csv"))
            try AtomicFile.write(boundaryProfileCSV, to: folder.appendingPathComponent("boundary-profile.csv"))
        }
        if let section {
            try AtomicFile.write(section.gridCSV(dtype: .float32), to: folder.appendingPathComponent("section.csv"))
            try AtomicFile.write(section.marksCSV(dtype: .float32), to: folder.appendingPathComponent("section.marks.csv"))
            // As `section` records its settings, for `plot section`'s axis label and title.
            let settings = ["sample": String(section.sampleIndex), "direction": section.direction.rawValue, "extent": "\(section.extent)"]
            let meta = try JSONSerialization.data(withJSONObject: ["settings": settings, "models": section.record], options: [.prettyPrinted, .sortedKeys])
            try AtomicFile.write(meta, to: folder.appendingPathComponent("section.csv.meta.json"))
        }
        try AtomicFile.write(summaryTable + "\n", to: folder.appendingPathComponent("summary.md"))
    }

    private func csv(_ lines: [String]) -> String { lines.joined(separator: "\n") + "\n" }
}
