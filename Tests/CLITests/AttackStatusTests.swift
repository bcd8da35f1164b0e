import Curvature
import Foundation
import XCTest

/// `curvature attack`: misclassified samples are reported, not attacked; adversarial images stay
/// in [0, 1]; PGD's per-sample results do not depend on --batch-size.
final class AttackStatusTests: ExecutableTestCase {
    private var modelPath: String!

    override func setUpWithError() throws {
        try super.setUpWithError()
        modelPath = try saveTinyModel()
    }

    /// Runs the executable; returns its exit status and standard error.
    @discardableResult
    private func run(_ arguments: [String]) throws -> (status: Int32, stderr: String) { try status(arguments) }

    private struct Row {
        let fields: [String]
        var sample: Int { Int(fields[0])! }
        var label: Int { Int(fields[1])! }
        var predicted: Int { Int(fields[2])! }
        var adversarialPredicted: Int { Int(fields[3])! }
        var l2: Double { Double(fields[4])! }
        var linf: Double { Double(fields[5])! }
        var status: String { fields[6] }
    }

    private func table(_ name: String) throws -> (header: String, rows: [Row]) {
        let lines = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8).split(separator: "\n").map(String.init)
        return (lines[0], lines.dropFirst().map { Row(fields: $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)) })
    }

    /// The float32 values of a version-1.0 .npy file.
    private func npyValues(_ name: String) throws -> [Float] {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        XCTAssertEqual(Array(data.prefix(8)), [0x93] + Array("NUMPY".utf8) + [1, 0])
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        let body = data.dropFirst(10 + headerLength)
        let bytes = [UInt8](body)
        return (0..<(bytes.count / 4)).map { i -> Float in
            var bits: UInt32 = 0
            for k in 0..<4 { bits |= UInt32(bytes[4 * i + k]) << UInt32(8 * k) }
            return Float(bitPattern: bits)
        }
    }

    private func checkStatuses(_ rows: [Row], _ what: String) {
        for row in rows {
            XCTAssertEqual(row.fields.count, 8, "\(what): \(row.fields)")
            // broken_by names the attack exactly for the fooled samples.
            XCTAssertEqual(row.fields[7].isEmpty, row.status != "fooled", "\(what) sample \(row.sample): broken_by '\(row.fields[7])'")
            switch row.status {
            case "misclassified":
                XCTAssertNotEqual(row.predicted, row.label, "\(what) sample \(row.sample)")
                XCTAssertEqual(row.adversarialPredicted, row.predicted, "\(what) sample \(row.sample): not attacked")
                XCTAssertEqual(row.l2, 0, "\(what) sample \(row.sample)")
                XCTAssertEqual(row.linf, 0, "\(what) sample \(row.sample)")
            case "fooled":
                XCTAssertEqual(row.predicted, row.label, "\(what) sample \(row.sample)")
                XCTAssertNotEqual(row.adversarialPredicted, row.predicted, "\(what) sample \(row.sample)")
            case "robust":
                XCTAssertEqual(row.predicted, row.label, "\(what) sample \(row.sample)")
                XCTAssertEqual(row.adversarialPredicted, row.predicted, "\(what) sample \(row.sample)")
            default:
                XCTFail("\(what) sample \(row.sample): status '\(row.status)'")
            }
        }
    }

    func testMisclassifiedSamplesAreReportedAndNotAttacked() throws {
        let result = try run(["attack", "--model", modelPath, "--data", "mnist5k", "--split", "test", "--method", "deepfool",
                              "--batch-size", "250", "--threads", "1", "--images", "deepfool.npy", "--out", "deepfool.csv"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let (header, rows) = try table("deepfool.csv")
        XCTAssertEqual(header, "sample,label,predicted,adversarial_predicted,norm_l2,norm_linf,status,broken_by")
        XCTAssertEqual(rows.map(\.sample), Array(0..<1000))
        checkStatuses(rows, "deepfool")
        let statuses = Set(rows.map(\.status))
        XCTAssertTrue(statuses.contains("misclassified"), "\(statuses)")
        XCTAssertTrue(statuses.contains("fooled"), "\(statuses)")
        XCTAssertTrue(rows.filter { $0.status != "misclassified" }.allSatisfy { $0.l2 > 0 }, "every correctly classified sample was attacked")
        let pixels = try npyValues("deepfool.npy")
        XCTAssertEqual(pixels.count, 1000 * 784)
        XCTAssertTrue(pixels.allSatisfy { $0 >= 0 && $0 <= 1 }, "DeepFool's images stay in [0, 1]")
        // A misclassified sample's "adversarial" image is its clean image.
        let data = try Self.mnist5kTest()
        for row in rows.prefix(400) where row.status == "misclassified" {
            XCTAssertEqual(Array(pixels[(row.sample * 784)..<((row.sample + 1) * 784)]), Array(data.image(row.sample)), "sample \(row.sample)")
        }

        // A window of the split holding both kinds of samples, for the fixed-ε attacks.
        let boundary = try XCTUnwrap((0..<999).first { (rows[$0].status == "misclassified") != (rows[$0 + 1].status == "misclassified") })
        let offset = Swift.max(0, Swift.min(boundary - 29, 1000 - 60))
        for method in ["fgsm", "pgd-linf", "pgd-l2"] {
            let out = "\(method).csv"
            let steps = method == "fgsm" ? [] : ["--steps", "2"]  // FGSM has no steps (a usage error)
            let run = try run(["attack", "--model", modelPath, "--data", "mnist5k", "--method", method, "--epsilon", "0.3"] + steps
                              + ["--samples", "60", "--offset", "\(offset)", "--threads", "1", "--images", "\(method).npy", "--out", out])
            XCTAssertEqual(run.status, 0, run.stderr)
            let (h, attacked) = try table(out)
            XCTAssertEqual(h, header)
            checkStatuses(attacked, method)
            XCTAssertTrue(Set(attacked.map(\.status)).contains("misclassified"), method)
            XCTAssertTrue(attacked.contains { $0.status != "misclassified" }, method)
            XCTAssertTrue(try npyValues("\(method).npy").allSatisfy { $0 >= 0 && $0 <= 1 }, "\(method)'s images stay in [0, 1]")
        }
    }

    func testPGDResultsDoNotDependOnTheBatchSize() throws {
        // ℓ2 PGD with one step: the result still depends on the random start.
        func attack(batchSize: Int, seed: Int) throws -> [Row] {
            let out = "pgd-\(batchSize)-\(seed).csv"
            let run = try run(["attack", "--model", modelPath, "--data", "mnist5k", "--method", "pgd-l2", "--epsilon", "1",
                               "--steps", "1", "--seed", "\(seed)", "--batch-size", "\(batchSize)", "--threads", "1", "--out", out])
            XCTAssertEqual(run.status, 0, run.stderr)
            return try table(out).rows
        }
        let results = try [1, 3, 7].map { try attack(batchSize: $0, seed: 5) }
        // The comparison below can see a different start: another seed changes the norms.
        let otherSeed = try attack(batchSize: 7, seed: 6)
        XCTAssertEqual((results + [otherSeed]).map(\.count), [1000, 1000, 1000, 1000], "every sample's row")
        XCTAssertTrue(zip(results[2], otherSeed).contains { Swift.abs($0.l2 - $1.l2) > 1e-3 }, "the norms depend on the random start")
        let attacked = results[0].filter { $0.status != "misclassified" }
        XCTAssertGreaterThan(attacked.count, 5, "some samples are attacked")
        XCTAssertTrue(attacked.contains { $0.l2 > 0.5 }, "PGD moved them")
        for (size, rows) in zip([3, 7], results.dropFirst()) {
            for (a, b) in zip(results[0], rows) {
                // Everything but the last bits of the norms must agree (the model's own float32
                // arithmetic may round differently for another batch shape).
                XCTAssertEqual([0, 1, 2, 3, 6].map { a.fields[$0] }, [0, 1, 2, 3, 6].map { b.fields[$0] }, "batch \(size), sample \(a.sample)")
                XCTAssertEqual(a.l2, b.l2, accuracy: 1e-4 * Swift.max(1, a.l2), "batch \(size), sample \(a.sample)")
                XCTAssertEqual(a.linf, b.linf, accuracy: 1e-4, "batch \(size), sample \(a.sample)")
            }
        }
    }

    private static func mnist5kTest() throws -> LabeledImages {
        setenv(DataDirectory.environmentVariable, repository.appendingPathComponent("Data").path, 1)
        defer { unsetenv(DataDirectory.environmentVariable) }
        return try loadDataset(DatasetName.mnist5k, split: .test)
    }

    /// Options of one attack family given to another are usage errors on one line, before any work.
    func testAutoAttackFamilyOptionsAreRefusedWhereTheyDoNotApply() throws {
        let data = ["--model", modelPath!, "--data", "mnist5k", "--samples", "4"]
        let cases: [(arguments: [String], message: String)] = [
            (["eval"] + data + ["--attack", "autoattack-linf", "--epsilon", "0.1", "--steps", "10", "--out", "e.csv"],
             "--steps has no effect with --attack autoattack-linf"),
            (["eval"] + data + ["--attack", "square-linf", "--epsilon", "0.1", "--iterations", "10", "--out", "e.csv"],
             "--iterations has no effect with --attack square-linf"),
            (["eval"] + data + ["--attack", "apgd-ce-linf", "--epsilon", "0.1", "--queries", "10", "--out", "e.csv"],
             "--queries has no effect with --attack apgd-ce-linf"),
            (["attack"] + data + ["--method", "fab-t-l2", "--epsilon", "0.5", "--seed", "3", "--out", "a.csv"],
             "--seed has no effect with --method fab-t-l2"),
        ]
        for (arguments, message) in cases { try assertRefused(arguments, status: 2, message: message) }
    }
}
