import Foundation
import TestSupport
import XCTest

/// `curvature boundary` as scripts use it: the same bytes for any batch size, thread count and
/// shard split, a row for every sample, the points file, and misuse refused before any work.
final class BoundaryCommandTests: ExecutableTestCase {
    /// A trained smooth network: an untrained one calls every image one class.
    private let modelPath: String? = ExecutableTestCase.repository.appendingPathComponent("Data/models/mnist5k-cnn-small-softplus-standard.safetensors").path

    private func boundary(_ out: String, _ extra: [String] = []) -> [String] {
        ["boundary", "--model", modelPath!, "--data", "mnist5k", "--samples", "10", "--k", "3", "--out", out] + extra
    }

    private func read(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    func testRowsForEverySampleAndTheSameBytesForAnyBatchThreadsAndShards() throws {
        for (name, extra) in [("a.csv", ["--batch-size", "3", "--threads", "1", "--points", "a.npy"]),
                              ("b.csv", ["--batch-size", "10", "--threads", "2"])] {
            let result = try status(boundary(name, extra))
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        XCTAssertEqual(try read("a.csv"), try read("b.csv"))
        let lines = try read("a.csv").split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        XCTAssertEqual(lines.first, "sample,label,predicted,target,distance,normal_cosine,gradient_norm,rank,curvature,residual,status,converged")
        let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertTrue(rows.allSatisfy { $0.count == 12 })
        XCTAssertEqual(Set(rows.map { Int($0[0])! }), Set(0..<10), "every sample has a row")
        let located = rows.filter { $0[10] == "ok" || $0[10] == "not-nearest" }
        let misclassified = rows.filter { $0[10] == "misclassified" }
        XCTAssertGreaterThan(located.count, 0, "some samples of the untrained network are correct: \(rows.map { $0[10] })")
        XCTAssertTrue(misclassified.allSatisfy { $0[1] != $0[2] && $0[3].isEmpty && $0[7].isEmpty }, "one bare row each")
        for row in located {
            XCTAssertEqual(row[1], row[2])
            XCTAssertNotEqual(row[3], row[1], "the target is another class")
            XCTAssertGreaterThan(Double(row[4])!, 0)
            XCTAssertLessThanOrEqual(Double(row[5])!, 1 + 1e-6)
        }
        XCTAssertEqual(Set(located.map { $0[0] }).count * 3, located.count, "k rows per located sample")

        // The points: (N, C, H, W) float32, in sample order; NaN rows where no point was found.
        let npy = try Data(contentsOf: directory.appendingPathComponent("a.npy"))
        let header = String(decoding: npy.prefix(128), as: UTF8.self)
        XCTAssertTrue(header.contains("'shape': (10, 1, 28, 28)"), header)
        XCTAssertEqual(npy.count, 128 + 10 * 784 * 4)

        for i in 1...2 { XCTAssertEqual(try status(boundary("part\(i).csv", ["--batch-size", "3", "--shard", "\(i)/2"])).status, 0) }
        XCTAssertEqual(try status(["merge", "part1.csv", "part2.csv", "--out", "merged.csv"]).status, 0)
        XCTAssertEqual(try read("merged.csv"), try read("b.csv"))
    }

    /// A ReLU network's boundary is flat almost everywhere to double backprop; at a finite scale its
    /// bends show, along random tangents (it has no principal directions).
    func testFiniteScaleOnAReLUNetworkAlongRandomDirections() throws {
        let relu = ExecutableTestCase.repository.appendingPathComponent("Data/models/mnist5k-cnn-small-standard.safetensors").path
        let result = try status(["boundary", "--model", relu, "--data", "mnist5k", "--samples", "4", "--hessian", "finite", "--h", "0.05,0.2",
                                 "--random-directions", "2", "--out", "finite.csv"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = try read("finite.csv").split(separator: "\n")
        XCTAssertEqual(lines.first, "sample,label,predicted,target,distance,normal_cosine,gradient_norm,rank,curvature,residual,status,converged,h,direction")
        let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let located = rows.filter { $0[10] == "ok" || $0[10] == "not-nearest" }
        XCTAssertFalse(located.isEmpty)
        XCTAssertEqual(Set(located.map { $0[13] }), ["random-1", "random-2"])
        XCTAssertEqual(Set(located.map { $0[12] }), ["0.05", "0.2"])
        XCTAssertTrue(located.allSatisfy { $0[7].isEmpty && Double($0[8])!.isFinite }, "no ranks, a finite κ_h each")
        try assertRefused(["boundary", "--model", relu, "--data", "mnist5k", "--samples", "4", "--hessian", "finite", "--random-directions", "0",
                           "--out", "none.csv"], status: 2, message: "it has no principal directions; give --random-directions R ≥ 1")
    }

    func testSectionWritesTheGridAndTheMarksOfEveryModel() throws {
        let model = modelPath!
        let result = try status(["section", "--models", "\(model),\(model)", "--names", "a,b", "--data", "mnist5k", "--sample", "1",
                                 "--grid", "5", "--out", "section.csv"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let rows = try read("section.csv").split(separator: "\n")
        XCTAssertEqual(rows.first, "model,a,b,predicted,margin")
        XCTAssertEqual(rows.count, 1 + 2 * 25)
        let marks = try read("section.marks.csv").split(separator: "\n").map(String.init)
        XCTAssertEqual(marks.first, "model,point,a,b")
        XCTAssertEqual(marks.filter { $0.hasSuffix(",x,0,0") }, ["a,x,0,0", "b,x,0,0"])
        XCTAssertEqual(marks.filter { $0.contains(",boundary,") }.count, 2)
        // The two models are one model: the same rows under two names.
        let a = rows.dropFirst().filter { $0.hasPrefix("a,") }.map { $0.dropFirst(2) }
        let b = rows.dropFirst().filter { $0.hasPrefix("b,") }.map { $0.dropFirst(2) }
        XCTAssertEqual(a, b)
        for (extra, message) in [
            (["--sample", "-1"], "--sample must be ≥ 0, got -1"),
            (["--sample", "1", "--grid", "1"], "--grid must lie in 2…1001, got 1"),
            (["--sample", "1", "--extent", "0"], "--extent must be positive, got 0.0"),
            (["--sample", "1", "--samples", "3"], "--samples and --offset have no effect with section"),
            (["--sample", "1", "--names", "a,b"], "--names gives 2 names for 1 models"),
            (["--sample", "5000"], "--sample 5000 is beyond the 1000 images"),
        ] {
            try assertRefused(["section", "--models", model, "--data", "mnist5k", "--out", "refused.csv"] + extra, status: 2, message: message)
        }
    }

    /// compare --boundary: boundary.csv with every model's rows, and the summary's boundary columns.
    func testCompareAddsTheBoundary() throws {
        let model = modelPath!
        let result = try status(["compare", "--models", "\(model),\(model)", "--names", "a,b", "--data", "mnist5k", "--samples", "4",
                                 "--k", "3", "--epsilons", "0,0.1", "--robust-attacks", "pgd", "--figure-samples", "0", "--boundary",
                                 "--out-dir", "study"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = try read("study/boundary.csv").split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "model," + "sample,label,predicted,target,distance,normal_cosine,gradient_norm,rank,curvature,residual,status,converged"
                       + ",alignment,alignment_cosine,perturbation_alignment,perturbation_cosine")
        XCTAssertEqual(Set(lines.dropFirst().map { $0.split(separator: ",")[0] }), ["a", "b"])
        let a = lines.dropFirst().filter { $0.hasPrefix("a,") }.map { $0.dropFirst(2) }
        XCTAssertEqual(a, lines.dropFirst().filter { $0.hasPrefix("b,") }.map { $0.dropFirst(2) }, "one model under two names")
        let summary = try read("study/summary.md")
        for column in ["median distance to the boundary", "median κ₁ at the boundary", "median κ_min at the boundary", "median κ₁ × distance",
                       "median saliency alignment"] {
            XCTAssertTrue(summary.contains(column), summary)
        }
        // Both ends: the 5 largest and the 5 smallest of the d − 1 = 783 principal curvatures.
        let rows = a.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let located = rows.filter { $0[10] == "ok" || $0[10] == "not-nearest" }
        XCTAssertFalse(located.isEmpty)
        XCTAssertEqual(Set(located.map { Int($0[7])! }), Set([1, 2, 3, 4, 5, 779, 780, 781, 782, 783]))
        // boundary-profile.csv: per rank, the median over those samples.
        let profile = try read("study/boundary-profile.csv").split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(profile.first, ["model", "rank", "mean", "median", "p10", "p90", "samples", "unconverged"])
        for rank in [1, 783] {
            let values = located.filter { Int($0[7]) == rank }.map { Double($0[8])! }.sorted()
            let median = values.count % 2 == 1 ? values[values.count / 2] : (values[values.count / 2 - 1] + values[values.count / 2]) / 2
            let row = try XCTUnwrap(profile.first { $0[0] == "a" && $0[1] == "\(rank)" })
            XCTAssertEqual(Int(row[6]), values.count)
            XCTAssertEqual(Double(row[3])!, median, accuracy: 1e-6 * Swift.abs(values.last!))
        }
        // The cross-section of the first sample both classify correctly, one 81 × 81 grid per model.
        let spectra = try read("study/spectra.csv").split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        let first = try XCTUnwrap(spectra.first { $0[0] == "a" && $0[2] == $0[3] }?[1])
        XCTAssertTrue(summary.contains("Cross-section (section.csv): sample \(first),"), summary)
        let section = try read("study/section.csv").split(separator: "\n")
        XCTAssertEqual(section.first, "model,a,b,predicted,margin")
        XCTAssertEqual(section.count, 1 + 2 * 81 * 81)
        let marks = try read("study/section.marks.csv").split(separator: "\n").map(String.init)
        XCTAssertEqual(marks.filter { $0.hasPrefix("a,") }.count, 2, "x and its boundary point")
    }

    func testMisuseIsRefusedBeforeAnyWork() throws {
        for (extra, message) in [
            (["--k", "0"], "--k must be ≥ 1, got 0"),
            (["--k", "40", "--max-steps", "30"], "--k 40 is larger than --max-steps 30"),
            (["--k", "20", "--which", "both", "--max-steps", "30"], "2 × --k = 40 is larger than --max-steps 30"),
            (["--tol", "2"], "--tol must lie in (0, 1), got 2.0"),
            (["--search-tol", "0"], "--search-tol must lie in (0, 1), got 0.0"),
            (["--min-cosine", "1.5"], "--min-cosine must lie in (0, 1], got 1.5"),
            (["--gradient-norm"], "--gradient-norm has no effect with boundary"),
            (["--points", "p.npy", "--resume"], "--points p.npy with --resume"),
            (["--which", "sideways"], "sideways"),
            (["--h", "0.1"], "--h 0.1 has no effect with --hessian exact; add --hessian finite"),
            (["--random-directions", "3"], "--random-directions 3 has no effect with --hessian exact"),
            (["--hessian", "finite", "--h", "0,0.1"], "--h must be positive, got 0.0"),
        ] {
            try assertRefused(boundary("refused.csv", extra), status: 2, message: message)
        }
        try assertRefused(["boundary", "--model", modelPath!, "--data", "mnist5k", "--offset", "995", "--samples", "10", "--out", "x.csv"],
                          status: 2, message: "goes beyond the 1000 images")
    }
}
