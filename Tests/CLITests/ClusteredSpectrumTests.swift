import Curvature
import Foundation
import XCTest

/// Issue 27 on a PyTorch-exported Swish network whose input Hessian has clustered top and bottom
/// eigenvalues (Fixtures/clustered_swish, made by make_clustered_fixture.py): with default solver
/// options, every row `spectrum` writes holds the eigenvalue of its rank as PyTorch's float64 dense
/// Hessian gives it, or is flagged unconverged. A residual alone cannot vouch for the rank.
final class ClusteredSpectrumTests: ExecutableTestCase {
    struct Fixture: Decodable {
        struct Sample: Decodable {
            let label: Int
            let predicted: Int
            let logits32: [Double]
            let logits64: [Double]
            /// Ranks 1–8, descending.
            let top8: [Double]
            /// Ranks d, d−1, d−2: ascending.
            let bottom3: [Double]
            let top5_relative_width: Double
            let top5_relative_gaps: [Double]
            let rank6_over_rank5: Double
        }
        let onnx: String
        let onnx_f64: String
        let images_npy: String
        let labels_npy: String
        let input_shape: [Int]
        let classes: Int
        let images: [Double]
        let per_sample: [Sample]
    }

    static let fixtures = repository.appendingPathComponent("Tests/CLITests/Fixtures")

    private func fixture() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("clustered_swish.json")))
    }

    private func file(_ name: String) -> String { Self.fixtures.appendingPathComponent(name).path }

    /// Guards the fixture's promise, so that a regenerated file cannot quietly make the test easy:
    /// the top five within a few percent, two of them about 1e-3 apart, then a gap.
    func testTheFixtureIsClustered() throws {
        for (index, sample) in try fixture().per_sample.enumerated() {
            XCTAssertLessThan(sample.top5_relative_width, 0.05, "sample \(index)")
            XCTAssertTrue(sample.top5_relative_gaps.contains { $0 > 5e-4 && $0 < 2e-3 }, "sample \(index): \(sample.top5_relative_gaps)")
            XCTAssertLessThan(sample.rank6_over_rank5, 0.92, "sample \(index)")
            XCTAssertEqual(sample.top8[0] - sample.top8[4], sample.top5_relative_width * sample.top8[0], accuracy: 1e-12)
        }
    }

    /// The importer computes PyTorch's logits: the float32 file in Float32, and both files in Float64
    /// (their weights and the images are float32 values, so the float64 reference is exact for both).
    func testImportMatchesPyTorchLogits() throws {
        let f = try fixture()
        let count = f.per_sample.count
        for (name, dtype, reference, tolerance) in [
            (f.onnx, DType.float32, \Fixture.Sample.logits32, 1e-5), (f.onnx, .float64, \.logits64, 1e-12), (f.onnx_f64, .float64, \.logits64, 1e-12),
        ] {
            let network = try ONNXModel.load(from: Self.fixtures.appendingPathComponent(name), dtype: dtype)
            XCTAssertEqual(network.inputShape, f.input_shape)
            XCTAssertEqual(network.outputCount, f.classes)
            let images = Tensor(shape: [count] + f.input_shape, scalars: f.images, dtype: dtype)
            let logits = GradientMode.withoutGradients { network(Variable(images)).value.scalars }
            let expected = f.per_sample.flatMap { $0[keyPath: reference] }
            let scale = expected.map(abs).max()!
            let error = zip(logits, expected).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(error / scale, tolerance, "\(name) in \(dtype)")
        }
    }

    /// `eval --logits` writes PyTorch's logits, (N, C) in sample order, in the run's precision.
    func testEvalWritesTheLogitsInSampleOrderAndPrecision() throws {
        let f = try fixture()
        for (dtype, reference, tolerance, width) in [("float32", \Fixture.Sample.logits32, 1e-5, 4), ("float64", \.logits64, 1e-12, 8)] {
            let result = try status(["eval", "--model", file(f.onnx), "--data", file(f.images_npy), "--labels", file(f.labels_npy),
                                     "--batch-size", "3", "--dtype", dtype, "--logits", "logits-\(dtype).npy", "--out", "e.csv"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let data = try Data(contentsOf: directory.appendingPathComponent("logits-\(dtype).npy"))
            let headerLength = Int(data[8]) | Int(data[9]) << 8
            let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
            XCTAssertTrue(header.contains("'descr': '<f\(width)'") && header.contains("'shape': (\(f.per_sample.count), \(f.classes))"), header)
            let bytes = [UInt8](data.dropFirst(10 + headerLength))
            XCTAssertEqual(bytes.count, f.per_sample.count * f.classes * width)
            let logits = stride(from: 0, to: bytes.count, by: width).map { start -> Double in
                var bits: UInt64 = 0
                for k in 0..<width { bits |= UInt64(bytes[start + k]) << UInt64(8 * k) }
                return width == 4 ? Double(Float(bitPattern: UInt32(bits))) : Double(bitPattern: bits)
            }
            let expected = f.per_sample.flatMap { $0[keyPath: reference] }
            let scale = expected.map(abs).max()!
            XCTAssertLessThan(zip(logits, expected).map { abs($0 - $1) }.max()! / scale, tolerance, dtype)
        }
    }

    /// `spectrum` with nothing but --k (and --which, --dtype): each row's eigenvalue is PyTorch's of
    /// the same rank within max(residual, slack), or its `converged` column says false (before that
    /// column exists, every row claims convergence). The slack is what the arithmetic leaves: 1e-5
    /// of the sample's largest |λ| in Float32 (its HVPs are good to ~1e-6), 1e-9 in Float64 — far
    /// below the 1e-3 gap a skipped member of the cluster opens.
    func testDefaultSpectrumGivesEveryRankOrFlagsIt() throws {
        let f = try fixture()
        let d = f.input_shape.reduce(1, *)
        var failures: [String] = []
        for (which, k) in [("largest", 5), ("smallest", 3)] {
            for dtype in ["float32", "float64"] {
                let out = "\(which)-\(dtype).csv"
                let run = try status(["spectrum", "--model", file(f.onnx), "--data", file(f.images_npy), "--labels", file(f.labels_npy),
                                      "--k", "\(k)", "--dtype", dtype, "--out", out] + (which == "largest" ? [] : ["--which", which]))
                XCTAssertEqual(run.status, 0, run.stderr)
                let text = try String(contentsOf: directory.appendingPathComponent(out), encoding: .utf8)
                let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
                let header = try XCTUnwrap(lines.first)
                func column(_ name: String) throws -> Int { try XCTUnwrap(header.firstIndex(of: name), "no \(name) column in \(header)") }
                let (sample, label, predicted, rank) = (try column("sample"), try column("label"), try column("predicted"), try column("rank"))
                let (eigenvalue, residual) = (try column("eigenvalue"), try column("residual"))
                let converged = header.firstIndex(of: "converged")
                let rows = lines.dropFirst()
                XCTAssertEqual(rows.count, f.per_sample.count * k, "\(out)")
                let slack = dtype == "float32" ? 1e-5 : 1e-9
                var flagged = 0
                for row in rows {
                    let s = try XCTUnwrap(Int(row[sample]))
                    let reference = f.per_sample[s]
                    XCTAssertEqual(Int(row[label]), reference.label, "\(out) sample \(s)")
                    XCTAssertEqual(Int(row[predicted]), reference.predicted, "\(out) sample \(s): PyTorch's argmax")
                    let r = try XCTUnwrap(Int(row[rank]))
                    let expected: Double
                    if which == "largest", (1...k).contains(r) { expected = reference.top8[r - 1] }
                    else if which == "smallest", (d - k + 1...d).contains(r) { expected = reference.bottom3[d - r] }
                    else { XCTFail("\(out) sample \(s): rank \(r) is not one of the \(which) \(k)"); continue }
                    if let converged, row[converged] == "false" { flagged += 1; continue }
                    if let converged { XCTAssertEqual(row[converged], "true", "\(out) sample \(s) rank \(r)") }
                    let value = try XCTUnwrap(Double(row[eigenvalue])), bound = try XCTUnwrap(Double(row[residual]))
                    let scale = max(abs(reference.top8[0]), abs(reference.bottom3[0]))
                    let error = abs(value - expected)
                    if error > max(bound, slack * scale) {
                        failures.append("\(which) \(dtype) sample \(s) rank \(r): \(value) but PyTorch \(expected) (error \(String(format: "%.3g", error)), residual \(row[residual]))")
                    }
                }
                if flagged > 0 { print("\(out): \(flagged) of \(rows.count) rows flagged unconverged") }
            }
        }
        XCTAssertTrue(failures.isEmpty, "rows that claim convergence but hold another rank's eigenvalue (or none):\n" + failures.joined(separator: "\n"))
    }
}
