import Foundation
import XCTest

/// `spectrum` without a budget runs each sample until its eigenpairs converge: the same bytes for
/// any batch size, thread count and shard split, a `converged` column, and a count of what did
/// not converge on stderr and in the metadata.
final class ConvergedSpectrumTests: ExecutableTestCase {
    private var modelPath: String!

    override func setUpWithError() throws {
        try super.setUpWithError()
        modelPath = try saveTinyModel()
    }

    private func spectrum(_ out: String, _ extra: [String]) -> [String] {
        ["spectrum", "--model", modelPath!, "--data", "mnist5k", "--samples", "12", "--k", "4", "--out", out] + extra
    }

    private func read(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    private func meta(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent(name + ".meta.json"))) as! [String: Any]
    }

    func testTheDefaultConvergesAndGivesTheSameBytesForAnyBatchThreadsAndShards() throws {
        for (name, extra) in [("a.csv", ["--batch-size", "5", "--threads", "1"]), ("b.csv", ["--batch-size", "12", "--threads", "2"]),
                              ("c.csv", ["--batch-size", "1", "--threads", "2", "--dtype", "float64"])] {
            let result = try status(spectrum(name, extra))
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertFalse(result.stderr.contains("did not converge"), result.stderr)
        }
        XCTAssertEqual(try read("a.csv"), try read("b.csv"))
        let lines = try read("a.csv").split(separator: "\n")
        XCTAssertEqual(lines.first, "sample,label,predicted,rank,eigenvalue,residual,converged")
        XCTAssertEqual(lines.count, 1 + 12 * 4)
        XCTAssertTrue(lines.dropFirst().allSatisfy { $0.hasSuffix(",true") }, "every row converged")
        let settings = try XCTUnwrap(try meta("a.csv")["settings"] as? [String: String])
        XCTAssertEqual(settings["steps"], "until converged")
        XCTAssertEqual(settings["tol"], "0.0001")
        XCTAssertEqual(settings["block_size"], "2")
        XCTAssertEqual(settings["max_steps"], "300")
        XCTAssertEqual(try meta("a.csv")["unconverged_samples"] as? Int, 0)
        XCTAssertEqual(try XCTUnwrap(try meta("c.csv")["settings"] as? [String: String])["tol"], "1e-08")

        // Float32 and Float64 agree to the Float32 run's residuals: the same eigenvalues, ranked alike.
        let single = lines.dropFirst().map { $0.split(separator: ",") }
        let double = try read("c.csv").split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
        XCTAssertEqual(single.count, double.count)
        for (a, b) in zip(single, double) {
            XCTAssertEqual(a[3], b[3])
            XCTAssertEqual(Double(a[4])!, Double(b[4])!, accuracy: Double(a[5])! + 1e-6 * Swift.abs(Double(b[4])!), "sample \(a[0]) rank \(a[3])")
            XCTAssertLessThan(Double(b[5])!, Double(a[5])!, "Float64 residuals resolve further")
        }

        for i in 1...2 { XCTAssertEqual(try status(spectrum("part\(i).csv", ["--batch-size", "5", "--shard", "\(i)/2"])).status, 0) }
        XCTAssertEqual(try status(["merge", "part1.csv", "part2.csv", "--out", "merged.csv"]).status, 0)
        XCTAssertEqual(try read("merged.csv"), try read("a.csv"))
        XCTAssertEqual(try meta("merged.csv")["samples"] as? Int, 12, "the parts' counts add up")
        XCTAssertEqual(try meta("merged.csv")["unconverged_samples"] as? Int, 0)
    }

    /// A budget too small to converge: rows flagged, one line on stderr, the count in the metadata.
    func testUnconvergedSamplesAreFlaggedCountedAndSaidOnce() throws {
        let result = try status(spectrum("small.csv", ["--max-steps", "4"]))
        XCTAssertEqual(result.status, 0, result.stderr)
        let rows = try read("small.csv").split(separator: "\n").dropFirst()
        let flagged = Set(rows.filter { $0.hasSuffix(",false") }.map { $0.split(separator: ",")[0] })
        XCTAssertGreaterThan(flagged.count, 0)
        XCTAssertTrue(result.stderr.contains("spectrum: \(flagged.count) of 12 samples did not converge within --max-steps 4; see column converged"),
                      result.stderr)
        XCTAssertEqual(try meta("small.csv")["unconverged_samples"] as? Int, flagged.count)

        // The fixed budget of earlier versions is judged by the same tolerance.
        let fixed = try status(spectrum("fixed.csv", ["--steps", "4"]))
        XCTAssertEqual(fixed.status, 0, fixed.stderr)
        XCTAssertTrue(fixed.stderr.contains("did not converge within --steps 4"), fixed.stderr)
    }

    func testSolverOptionsThatContradictEachOtherAreUsageErrors() throws {
        for (extra, message) in [
            (["--steps", "10", "--max-steps", "20"], "--max-steps 20 has no effect with --steps 10"),
            (["--tol", "0"], "--tol must lie in (0, 1), got 0.0"),
            (["--tol", "1.5"], "--tol must lie in (0, 1), got 1.5"),
            (["--block-size", "0"], "--block-size must be ≥ 1, got 0"),
            (["--method", "dense", "--block-size", "2"], "--block-size 2 has no effect with --method dense"),
            (["--method", "dense", "--tol", "0.001"], "--tol 0.001 has no effect with --method dense"),
            (["--reorthogonalization", "none"], "--reorthogonalization none needs single-vector Lanczos with a fixed budget"),
            (["--k", "40", "--max-steps", "30", "--method", "lanczos"], "--k 40 is larger than --max-steps 30"),
        ] {
            let result = try status(spectrum("refused.csv", extra))
            XCTAssertEqual(result.status, 2, "\(extra): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(extra): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "one line: \(result.stderr)")
            let left = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("refused") }
            XCTAssertEqual(left, [], "nothing written for \(extra)")
        }
    }
}
