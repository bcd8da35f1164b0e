import ArgumentParser
import Curvature
import Foundation

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The study in one command: normal vs PGD vs CURE models on Fashion-MNIST.",
        discussion: """
            Runs `curvature compare` on the shipped reference models (Data/models/fmnist-FAMILY-{standard,pgd,cure}) \
            for the first --samples Fashion-MNIST test images — top-20 eigenvalue profiles of the input Hessian \
            (Lanczos for the smooth family; for the ReLU family, whose exact Hessian is Gauss–Newton only, the exact \
            small-matrix route) and PGD-20 and AutoAttack robust accuracies (--robust-attacks) — then draws the figures \
            with gnuplot. Results go to --out-dir.
            AutoAttack is most of the time, so by default it runs on the first \(Demo.defaultAutoAttackSamples) samples \
            (--autoattack-samples) at the middle ε, 0.1, only, beside PGD on the same samples, and the table says so; \
            --full runs it on every sample at every ε, as compare does (about seven times as long; README, Quick start).
            Run it from the repository (or set CURVATURE_DATA to its Data folder).

            Examples:
              curvature demo --samples 20 --out-dir demo-quick
              curvature demo --full --out-dir demo-full
              curvature demo --family cnn-small-softplus --out-dir demo-softplus
            """)

    /// AutoAttack's samples in the default demo: its table within minutes on 2 cores.
    static let defaultAutoAttackSamples = 100
    /// The ε of the default demo's AutoAttack: the middle one of `epsilons`.
    static let autoattackEpsilon = 0.1
    static let epsilons = [0, 0.05, autoattackEpsilon, 0.15]

    /// The shipped model families.
    enum Family: String, CaseIterable, ExpressibleByArgument {
        case cnnSmall = "cnn-small"
        case cnnSmallSoftplus = "cnn-small-softplus"
    }

    @Option(help: "cnn-small (ReLU) or cnn-small-softplus (smooth: the exact Hessian sees all curvature).")
    var family: Family = .cnnSmall

    @Option(parsing: .unconditional, help: "How many Fashion-MNIST test images, from the first (1…10000).") var samples: Int = 200
    @Option(help: "The input Hessian: exact (double backprop) or finite (central differences of gradients with step --h).") var hessian: HessianKind = .exact
    @Option(name: [.customLong("h"), .customLong("finite-h")], parsing: .unconditional,
            help: "Step of the finite-scale Hessian's central differences, per input coordinate (--hessian finite; default 0.05), as spectrum's --h.", transform: realNumber)
    var finiteH: Double?
    @OptionGroup var robust: RobustAttackOptions
    @OptionGroup var threads: ThreadOptions

    @Option(name: .customLong("autoattack-samples"), parsing: .unconditional,
            help: "AutoAttack on the first N samples only, at ε = 0.1 only (default \(Demo.defaultAutoAttackSamples); PGD runs on all at every ε).")
    var autoattackSamples: Int?
    @Flag(help: "The whole study: AutoAttack on every sample at every ε (about seven times as long as the default).")
    var full = false

    @Option(name: .customLong("out-dir"), help: "Folder for the CSVs and PNGs (created if needed).")
    var outDir: String = "curvature-demo"

    @Flag(help: "Also the decision boundary of every sample (see `curvature compare --boundary`).")
    var boundary = false

    @Flag(help: "Continue an interrupted demo (see `curvature compare --resume`).")
    var resume = false

    func validate() throws {
        if let finiteH {
            guard hessian == .finite else { throw ValidationError("--h \(finiteH) has no effect with --hessian exact; add --hessian finite") }
            guard finiteH > 0 else { throw ValidationError("--h must be positive, got \(finiteH)") }
        }
        guard samples >= 1 && samples <= 10_000 else { throw ValidationError("--samples must be in 1…10000, got \(samples)") }
        if let autoattackSamples {
            guard !full else { throw ValidationError("--autoattack-samples \(autoattackSamples) contradicts --full (AutoAttack on every sample)") }
            guard autoattackSamples >= 1 else { throw ValidationError("--autoattack-samples must be ≥ 1, got \(autoattackSamples)") }
        }
        if !robust.attacks.contains(.autoattack), full || autoattackSamples != nil {
            throw ValidationError("\(full ? "--full" : "--autoattack-samples") has no effect with --robust-attacks \(robust.robustAttacks); add autoattack")
        }
        try OutputPath.checkFolder(outDir, option: "--out-dir")
    }

    /// AutoAttack's samples, or nil for all of them (at every ε).
    var autoattackPart: Int? {
        guard robust.attacks.contains(.autoattack), !full else { return nil }
        return min(autoattackSamples ?? Self.defaultAutoAttackSamples, samples)
    }

    /// The accuracy figure's title: its attacks, and which line is which.
    var accuracyTitle: String {
        guard robust.attacks.count > 1 else { return "\(robust.attacks[0].label(pgdSteps: 20)) accuracy against ε" }
        guard let part = autoattackPart else { return "PGD-20 (solid) and AutoAttack (dashed) accuracy against ε" }
        return "PGD-20 (\(samples) images) and AutoAttack (first \(part)) against ε"
    }

    func run() throws {
        let start = Date()
        let names = ["normal", "pgd", "cure"]
        let files = try ["standard", "pgd", "cure"].map { mode -> String in
            do { return try DataDirectory.locate("models/fmnist-\(family.rawValue)-\(mode).safetensors") } catch {
                throw InputError("the reference model fmnist-\(family.rawValue)-\(mode).safetensors was not found (\(error)); run from the repository or set CURVATURE_DATA to its Data folder")
            }
        }
        threads.apply()
        let images = try loadDataset("fashion-mnist", split: .test)
        let networks = try files.map { try loadNetwork($0) }
        var study = ComparisonStudy(models: Array(zip(names, networks)).map { ($0, $1) }, data: images, dataName: "fashion-mnist",
                                    split: .test, samples: 0..<samples)
        (study.settings.spectrum.method, study.settings.spectrum.k) = (.lanczos, 20)
        study.settings.spectrum.gaussNewtonRoute = true  // as compare: exact for the ReLU family
        (study.settings.spectrum.hessian, study.settings.spectrum.h) = (hessian, finiteH ?? 0.05)
        study.settings.epsilons = Self.epsilons
        study.settings.robustAttacks = robust.attacks
        study.settings.boundary = boundary ? BoundarySettings.study : nil
        if let part = autoattackPart { (study.settings.autoattackSamples, study.settings.autoattackEpsilons) = (part, [Self.autoattackEpsilon]) }
        study.settings.figureIndices = Array((0..<samples).prefix(4))
        study.identity = ["model_sha256": try files.map { try SHA256.hex(fileAt: URL(fileURLWithPath: $0)) }.joined(separator: ","), "arch": "",
                          "data_sha256": try dataChecksum("fashion-mnist", split: .test)]
        try runComparison(study, command: "curvature demo", outDir: outDir, resume: resume, start: start, record: ["models": files.joined(separator: ",")])
        let folder = URL(fileURLWithPath: outDir)
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        var figures: [[String]] = [
            ["profile", "--input", path("profile.csv"), "--output", path("profile.png"), "--log-y",
             "--title", "Input-Hessian eigenvalue profile, \(family.rawValue), Fashion-MNIST (\(samples) test images)"],
            ["top-histogram", "--input", path("spectra.csv"), "--output", path("top-eigenvalue.png"), "--log-x",
             "--title", "Largest eigenvalue per image"],
            ["accuracy", "--input", path("eval.csv"), "--output", path("accuracy.png"), "--title", accuracyTitle],
            // The panel titles and the panels per row come from images.titles and images.columns beside it.
            ["images", "--input", path("images.csv"), "--output", path("images.png")],
        ]
        // A piecewise-linear network's exact boundary curvatures are 0: no figure to draw of them.
        let smooth = networks.allSatisfy { !$0.isPiecewiseLinear }
        if boundary && !smooth {
            FileHandle.standardError.write(Data("demo: \(family.rawValue) is piecewise linear, so its boundary's exact principal curvatures are 0 (boundary.csv); --family cnn-small-softplus shows curved boundaries, and `curvature boundary --hessian finite` measures these at a finite scale\n".utf8))
        }
        if boundary && smooth {
            figures.append(["boundary-profile", "--input", path("boundary-profile.csv"), "--output", path("boundary-profile.png"),
                            "--title", "Principal curvatures of the decision boundary at each image's nearest boundary point, \(family.rawValue)"])
        }
        if boundary, FileManager.default.fileExists(atPath: path("section.csv")) {
            figures.append(["section", "--input", path("section.csv"), "--output", path("section.png")])
        }
        for figure in figures {
            let plot = try Plot.parse(figure)
            try plot.run()
        }
        FileHandle.standardError.write(Data(String(format: "demo: results in %@ (%.0f s)\n", outDir, Date().timeIntervalSince(start)).utf8))
        if let part = autoattackPart {
            let which = part < samples ? "on the first \(part) of \(samples) samples " : ""
            FileHandle.standardError.write(Data("demo: AutoAttack ran \(which)at ε = \(Self.autoattackEpsilon) only; --full runs it on every sample at every ε\n".utf8))
        }
    }
}
