import Curvature
import Foundation
import XCTest

/// `compare --robust-attacks`: PGD's rows exactly as before, AutoAttack's after them with what
/// `eval --attack autoattack-linf` reports, one-line refusals of other names, and resumes that
/// add an attack.
final class CompareRobustAttacksTests: ExecutableTestCase {
    private var untrained: String!
    private let epsilons = ["0.02", "0.05"]

    override func setUpWithError() throws {
        try super.setUpWithError()
        untrained = try saveTinyModel()
    }

    /// The tiny network after one epoch: right on most samples, so the attacks have work to do.
    private func trainTinyModel() throws -> String {
        let training = try status(["train", "--data", "mnist5k", "--init", untrained, "--epochs", "1", "--batch-size", "50",
                                   "--threads", "1", "--out", "trained.safetensors"])
        XCTAssertEqual(training.status, 0, training.stderr)
        return directory.appendingPathComponent("trained.safetensors").path
    }

    private func compare(_ folder: String, models: [String], samples: Int = 12, epsilons: String = "0,0.02,0.05", _ extra: [String] = []) -> [String] {
        ["compare", "--models", models.joined(separator: ","), "--names", ["u", "t"].prefix(models.count).joined(separator: ","),
         "--data", "mnist5k", "--samples", "\(samples)", "--k", "2", "--steps", "4", "--epsilons", epsilons,
         "--figure-samples", "0", "--threads", "1", "--out-dir", folder] + extra
    }

    private func read(_ name: String) throws -> String { try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8) }

    private func json(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent(name))) as? [String: Any] ?? [:]
    }

    /// `eval`'s rows for `model` (12 samples): `attack,epsilon,samples,accuracy` without the header.
    private func evalRows(_ model: String, _ attack: [String], out: String) throws -> [[String]] {
        let result = try status(["eval", "--model", model, "--data", "mnist5k", "--samples", "12", "--threads", "1", "--out", out] + attack)
        XCTAssertEqual(result.status, 0, result.stderr)
        return try read(out).split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
    }

    /// compare's eval.csv rows of one model and attack, as eval reports them: ε = 0 is the clean accuracy.
    private func expectedRows(_ name: String, _ model: String, attack: String) throws -> [String] {
        let clean = try evalRows(model, [], out: "\(name)-clean.csv")[0][3]
        let attacked = try evalRows(model, ["--attack", attack, "--epsilon", epsilons.joined(separator: ",")], out: "\(name)-\(attack).csv")
        return ["\(name),\(attack),0.0,\(clean)"] + attacked.map { "\(name),\(attack),\($0[1]),\($0[3])" }
    }

    func testPGDRowsAreAsBeforeAndAutoAttackRowsFollowAsEvalReportsThem() throws {
        let trained = try trainTinyModel()
        let models = [untrained!, trained]
        let pgdRows = try expectedRows("u", untrained, attack: "pgd-linf") + expectedRows("t", trained, attack: "pgd-linf")
        let autoAttackRows = try expectedRows("u", untrained, attack: "autoattack-linf") + expectedRows("t", trained, attack: "autoattack-linf")
        let pgdFile = (["model,attack,epsilon,accuracy"] + pgdRows).joined(separator: "\n") + "\n"

        let pgdOnly = try status(compare("pgd", models: models, ["--robust-attacks", "pgd"]))
        XCTAssertEqual(pgdOnly.status, 0, pgdOnly.stderr)
        XCTAssertEqual(try read("pgd/eval.csv"), pgdFile, "PGD's rows exactly as compare wrote them before AutoAttack")
        XCTAssertFalse(try read("pgd/summary.md").contains("AutoAttack"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("pgd/eval.csv.meta.json").path))

        let both = try status(compare("both", models: models))
        XCTAssertEqual(both.status, 0, both.stderr)
        let file = try read("both/eval.csv")
        XCTAssertTrue(file.hasPrefix(pgdFile), "the PGD-only file is the start of the default one")
        XCTAssertEqual(file, pgdFile + autoAttackRows.joined(separator: "\n") + "\n")
        XCTAssertTrue(Set(autoAttackRows.map { $0.split(separator: ",")[3] }).count > 1, "the trained model keeps some samples: \(autoAttackRows)")

        // The table, without the note on unconverged eigenvalues (--steps 4) below it.
        let summary = try read("both/summary.md").split(separator: "\n").filter { $0.hasPrefix("|") }
        let header = summary[0].split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertEqual(Array(header.suffix(6)), ["clean acc", "PGD-20 ε=0.02", "PGD-20 ε=0.05", "AutoAttack ε=0.02", "AutoAttack ε=0.05",
                                                  "largest gap PGD − AutoAttack"])
        XCTAssertEqual(summary.count, 4)
        let pgdSummary = try read("pgd/summary.md").split(separator: "\n").filter { $0.hasPrefix("|") }
        for (row, old) in zip(summary, pgdSummary) { XCTAssertTrue(row.hasPrefix(old.dropLast()), "the PGD columns as before: \(row)") }
        for row in summary.dropFirst(2) { XCTAssertTrue(row.hasSuffix(" pp |") || row.contains(" pp at ε="), "a gap per model: \(row)") }

        // The masking checks of each model, as eval keeps them for the same ε.
        let checks = try json("both/eval.csv.meta.json")["masking_checks"] as? [String: [String: Any]]
        XCTAssertEqual(checks.map { Set($0.keys) }, ["u", "t"])
        for name in ["u", "t"] {
            let eval = try json("\(name)-autoattack-linf.csv.meta.json")["masking_checks"] as? [String: Any]
            for key in ["samples", "broken_only_by_square", "zero_gradient", "probability_output_batches"] {
                XCTAssertEqual(checks?[name]?[key] as? Int, eval?[key] as? Int, "\(name) \(key)")
            }
        }
    }

    /// The study's AutoAttack evaluation (the library, in process) is `eval --attack autoattack-linf`
    /// on the same model, samples and ε: the accuracies and the masking checks.
    func testTheStudysAutoAttackEvaluationIsEvals() throws {
        let trained = try trainTinyModel()
        let rows = try evalRows(trained, ["--attack", "autoattack-linf", "--epsilon", epsilons.joined(separator: ",")], out: "aa.csv")
        let clean = try evalRows(trained, [], out: "clean.csv")[0][3]
        let evalChecks = try json("aa.csv.meta.json")["masking_checks"] as? [String: Any]

        let network = try NetworkFile.load(trained)
        setenv(DataDirectory.environmentVariable, Self.repository.appendingPathComponent("Data").path, 1)
        defer { unsetenv(DataDirectory.environmentVariable) }
        var study = ComparisonStudy(models: [("t", network)], data: try loadDataset("mnist5k", split: .test), dataName: "mnist5k",
                                    split: .test, samples: 0..<12)
        (study.settings.spectrum.k, study.settings.spectrum.steps) = (2, 4)
        study.settings.epsilons = [0] + epsilons.map { Double($0)! }
        study.settings.robustAttacks = [.autoattack]
        let result = try study.run(in: directory.appendingPathComponent("study"), resume: false)

        let evaluation = try XCTUnwrap(result.models.first?.evaluations.first)
        XCTAssertEqual(evaluation.attack, .autoattack)
        XCTAssertEqual(evaluation.accuracies.map { String(format: "%.4f", $0.accuracy) }, [clean] + rows.map { $0[3] })
        let masking = try XCTUnwrap(evaluation.masking)
        XCTAssertEqual(masking.samples, evalChecks?["samples"] as? Int)
        XCTAssertEqual(masking.brokenOnlyBySquare, evalChecks?["broken_only_by_square"] as? Int)
        XCTAssertEqual(masking.zeroGradient, evalChecks?["zero_gradient"] as? Int)
        XCTAssertEqual(masking.probabilityBatches, evalChecks?["probability_output_batches"] as? Int)
        XCTAssertEqual(result.models[0].accuracies.count, 0, "no PGD accuracies when only AutoAttack ran")
        XCTAssertTrue(result.summaryTable.contains("| clean acc | AutoAttack ε=0.02 | AutoAttack ε=0.05 |"), result.summaryTable)
    }

    /// A network whose output does not depend on its input (first layer's weights zero): AutoAttack's
    /// zero-gradient check fails, said on stderr and kept in eval.csv.meta.json, as eval does.
    func testMaskingWarningsReachStderrAndTheFolder() throws {
        let model = try NetworkFile.load(untrained)
        let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter) })
        let weight = try XCTUnwrap(parameters["1.weight"]), bias = try XCTUnwrap(parameters["3.bias"])
        weight.value = Tensor(shape: weight.shape, scalars: [Double](repeating: 0, count: weight.value.count))
        // Always the class of the first sample, so some samples are right and attacked.
        setenv(DataDirectory.environmentVariable, Self.repository.appendingPathComponent("Data").path, 1)
        defer { unsetenv(DataDirectory.environmentVariable) }
        let label = try loadDataset("mnist5k", split: .test).labels[0]
        bias.value = Tensor(shape: bias.shape, scalars: (0..<10).map { $0 == label ? 100 : 0 })
        try model.save(to: directory.appendingPathComponent("flat.safetensors"), metadata: [:])

        let result = try status(compare("flat", models: [directory.appendingPathComponent("flat.safetensors").path], samples: 40,
                                        epsilons: "0,0.1", ["--robust-attacks", "autoattack"]))
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("curvature compare: warning: model u: "), result.stderr)
        XCTAssertTrue(result.stderr.contains("zero input gradient"), result.stderr)
        let checks = try json("flat/eval.csv.meta.json")["masking_checks"] as? [String: [String: Any]]
        XCTAssertGreaterThan(checks?["u"]?["zero_gradient"] as? Int ?? 0, 0)
        XCTAssertEqual((checks?["u"]?["warnings"] as? [String])?.count, 1)
        XCTAssertFalse(try read("flat/eval.csv").contains("pgd-linf"), "AutoAttack only")
    }

    func testOtherNamesAndAnEmptyListAreOneLineUsageErrors() throws {
        for (command, value, message) in [
            (compare("bad", models: [untrained]), "pgd,fgsm", "--robust-attacks 'pgd,fgsm': unknown attack 'fgsm'"),
            (compare("bad", models: [untrained]), "", "--robust-attacks '': name one or more of pgd, autoattack"),
            (["demo", "--samples", "2", "--out-dir", "bad"], "autoatack", "--robust-attacks 'autoatack': unknown attack 'autoatack'"),
        ] {
            try assertRefused(command + ["--robust-attacks", value], status: 2, message: message)
        }
    }

    /// Each attack's evaluations are kept apart, so a resume that adds AutoAttack to an interrupted
    /// PGD-only run gives the files of an uninterrupted run with both.
    func testAResumeMayAddAutoAttack() throws {
        let arguments = { (folder: String, extra: [String]) in
            self.compare(folder, models: [self.untrained, self.untrained], samples: 40, epsilons: "0,0.1", ["--batch-size", "4"] + extra)
        }
        let reference = try status(arguments("reference", []))
        XCTAssertEqual(reference.status, 0, reference.stderr)

        // Model u's spectra: 10 batches of 4 samples × 2 eigenvalues, held before batch 4.
        let partial = directory.appendingPathComponent("interrupted/.compare-partial/0.spectra.csv.partial")
        let started = try interrupt(arguments("interrupted", ["--robust-attacks", "pgd"]), holdingBatch: 4, once: partial, holds: 1 + 3 * 8)
        XCTAssertEqual(started.status, 130, started.stderr)

        let resumed = try status(arguments("interrupted", ["--resume"]))
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        for name in ["profile.csv", "spectra.csv", "eval.csv", "summary.md"] {
            XCTAssertEqual(try read("interrupted/\(name)"), try read("reference/\(name)"), name)
        }
        XCTAssertTrue(try read("interrupted/eval.csv").contains(",autoattack-linf,"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("interrupted/.compare-partial").path))
    }
}
