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
        public var accuracies: [(epsilon: Double, accuracy: Double)]
        /// Per figure sample: the gradient and the perturbation.
        public var figurePanels: [Panel]

        public var profile: [ProfilePoint] { eigenvalueProfile(spectra) }
    }

    public let end: SpectrumEnd
    public let pgdSteps: Int
    public let figureBatch: Batch
    public let imageWidth: Int
    public var models: [Model] = []

    /// Per sample, the eigenvalue the headline table summarises: the largest for `largest`, the
    /// smallest for `smallest`, the one of largest modulus (as |λ|) for `magnitude`.
    public func extremeEigenvalues(_ model: Model) -> [Double] {
        Dictionary(grouping: model.spectra, by: \.sample).values.map { sample in
            let values = sample.map(\.eigenvalue)
            switch end {
            case .largest: return values.max()!
            case .smallest: return values.min()!
            case .magnitude: return values.map(Swift.abs).max()!
            }
        }
    }

    private var extremeName: String {
        switch end {
        case .largest: return "λ₁"
        case .smallest: return "λ_min"
        case .magnitude: return "max |λ|"
        }
    }

    /// The headline table (Markdown): median and mean extreme eigenvalue and the accuracies.
    public var summaryTable: String {
        let epsilonsShown = models.first?.accuracies.map(\.epsilon) ?? []
        var lines = ["| model | median \(extremeName) | mean \(extremeName) | " + epsilonsShown.map { $0 == 0 ? "clean acc" : "PGD-\(pgdSteps) ε=\($0)" }.joined(separator: " | ") + " |"]
        lines.append("|" + String(repeating: " --- |", count: 3 + epsilonsShown.count))
        for model in models {
            let extremes = extremeEigenvalues(model).sorted()
            let mean = extremes.reduce(0, +) / Double(Swift.max(extremes.count, 1))
            lines.append("| \(model.name) | \(String(format: "%.4g", quantile(extremes, 0.5))) | \(String(format: "%.4g", mean)) | "
                + model.accuracies.map { String(format: "%.1f %%", 100 * $0.accuracy) }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    /// `model,rank,mean,median,p10,p90,samples`.
    public var profileCSV: String { csv([ProfilePoint.header] + models.flatMap { model in model.profile.map { $0.csv(model: model.name) } }) }

    /// `model,` + the spectrum columns.
    public var spectraCSV: String { csv(["model," + SpectrumRow.header] + models.flatMap { model in model.spectra.map { "\(model.name),\($0.csv)" } }) }

    /// `model,attack,epsilon,accuracy`.
    public var evaluationCSV: String {
        csv(["model,attack,epsilon,accuracy"] + models.flatMap { model in
            model.accuracies.map { "\(model.name),pgd-linf,\($0.epsilon),\(String(format: "%.4f", $0.accuracy))" }
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
        try AtomicFile.write(summaryTable + "\n", to: folder.appendingPathComponent("summary.md"))
    }

    private func csv(_ lines: [String]) -> String { lines.joined(separator: "\n") + "\n" }
}
