import Curvature
import Foundation
import XCTest

/// `demo`'s AutoAttack part: by default on the first samples at ε = 0.1 only, said in the table and
/// the meta; `--full` and `--autoattack-samples` refused where they mean nothing.
final class DemoOptionsTests: ExecutableTestCase {
    func testTheDemoSaysWhichPartAutoAttackRanOn() throws {
        guard FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist") else {
            throw XCTSkip("Debian's dataset-fashion-mnist is not installed")
        }
        let run = try status(["demo", "--samples", "2", "--autoattack-samples", "1", "--out-dir", "d"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("demo: AutoAttack ran on the first 1 of 2 samples at ε = 0.1 only; --full runs it on every sample at every ε"), run.stderr)
        let summary = try String(contentsOf: directory.appendingPathComponent("d/summary.md"), encoding: .utf8)
        XCTAssertTrue(summary.contains("| PGD-20 ε=0.15 | AutoAttack ε=0.1 (first 1) | largest gap PGD − AutoAttack (first 1) |"), summary)
        XCTAssertTrue(summary.contains("AutoAttack: the first 1 of the 2 samples, ε = 0.1 only."), summary)
        let eval = try String(contentsOf: directory.appendingPathComponent("d/eval.csv"), encoding: .utf8)
        XCTAssertEqual(eval.split(separator: "\n").filter { $0.contains(",autoattack-linf,") }.map { $0.split(separator: ",")[2] }, ["0.1", "0.1", "0.1"])
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("d/eval.csv.meta.json"))) as? [String: Any]
        let settings = try XCTUnwrap(meta?["settings"] as? [String: String])
        XCTAssertEqual(settings["autoattack_samples"], "0..<1")
        XCTAssertEqual(settings["autoattack_epsilons"], "0.1")
        for figure in ["profile", "top-eigenvalue", "accuracy", "images"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("d/\(figure).png").path), figure)
        }
    }

    func testMeaninglessPartsAreOneLineUsageErrors() throws {
        for (arguments, message) in [
            (["--full", "--autoattack-samples", "5"], "--autoattack-samples 5 contradicts --full"),
            (["--autoattack-samples", "0"], "--autoattack-samples must be ≥ 1, got 0"),
            (["--full", "--robust-attacks", "pgd"], "--full has no effect with --robust-attacks pgd; add autoattack"),
            (["--autoattack-samples", "3", "--robust-attacks", "pgd"], "--autoattack-samples has no effect with --robust-attacks pgd"),
        ] {
            let result = try status(["demo", "--out-dir", "bad"] + arguments)
            XCTAssertEqual(result.status, 2, result.stderr)
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("bad").path))
    }
}
