import Foundation
import XCTest

/// What the other tests never ran: `bench hvp`, `bench gemm`, `demo` on a few images, and the library example.
final class RunCommandsTests: ExecutableTestCase {
    func testBenchHVPPrintsItsColumnsWithPositiveRates() throws {
        let model = try saveTinyModel()
        for (arguments, header) in [(["--model", "mlp", "--batch", "8"], true), (["--model", model, "--batch", "3", "--no-header"], false)] {
            let run = try launch(["bench", "hvp", "--repeats", "5", "--threads", "1"] + arguments)
            let output = text(run.stdout)
            XCTAssertEqual(run.process.terminationStatus, 0, text(run.stderr))
            var lines = output.split(separator: "\n").map(String.init)
            XCTAssertEqual(lines.count, header ? 2 : 1, output)
            if header { XCTAssertEqual(lines.removeFirst(), "model,threads,batch,grad_ms,hvp_ms,hvp_per_s,openblas_core") }
            let fields = try XCTUnwrap(lines.first).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            XCTAssertEqual(fields.count, 7, output)
            guard fields.count == 7 else { continue }
            XCTAssertEqual(Array(fields[0...2]), [arguments[1], "1", arguments[3]], output)
            let (gradient, hvp, rate) = (Double(fields[3]) ?? -1, Double(fields[4]) ?? -1, Double(fields[5]) ?? -1)
            XCTAssertGreaterThanOrEqual(gradient, 0, output)
            XCTAssertGreaterThan(hvp, 0, output)
            XCTAssertGreaterThan(rate, 0, output)
            // The rate is the batch over the HVP's time (hvp_ms is printed to 0.01 ms).
            let batch = Double(arguments[3])!
            XCTAssertEqual(rate, batch / (hvp / 1000), accuracy: batch / ((hvp - 0.005) / 1000) - batch / (hvp / 1000) + 0.05, output)
            XCTAssertFalse(fields[6].isEmpty, "the OpenBLAS kernel set: \(output)")
        }
    }

    /// One small workload: the CPU line, the columns (a kernel each that this CPU runs) and positive rates.
    func testBenchGEMMPrintsTheCPUAndPositiveRates() throws {
        let run = try launch(["bench", "gemm", "--only", "mlp 512→10 B=1", "--repeats", "5", "--threads", "1"])
        let output = text(run.stdout)
        XCTAssertEqual(run.process.terminationStatus, 0, text(run.stderr))
        let lines = output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, output)
        guard lines.count == 3 else { return }
        XCTAssert(lines[0].hasPrefix("# CPU: ") && lines[0].contains("OpenBLAS core") && lines[0].contains("threads 1,"), output)
        let columns = lines[1].split(separator: ",").map(String.init), fields = lines[2].split(separator: ",").map(String.init)
        XCTAssertEqual(Array(columns.prefix(4)), ["workload", "m", "k", "n"], output)
        XCTAssertEqual(Array(columns.suffix(2)), ["openblas_gflops", "ratio"], output)
        XCTAssertEqual(fields.count, columns.count, output)
        XCTAssertEqual(Array(fields.prefix(4)), ["mlp 512→10 B=1", "1", "512", "10"], output)
        for rate in fields.dropFirst(4) { XCTAssertGreaterThan(Double(rate) ?? -1, 0, output) }
    }

    /// The demo on 3 Fashion-MNIST images and PGD only (the default 200 images and AutoAttack take
    /// 25 minutes): its table, its CSVs and figures, and nothing else left in the folder.
    func testDemoOnThreeImagesWritesItsTableCSVsAndFigures() throws {
        try requireGnuplot()
        let run = try launch(["demo", "--samples", "3", "--robust-attacks", "pgd", "--threads", "2", "--out-dir", "demo"], wait: false)
        let table = text(run.stdout), messages = text(run.stderr)
        run.process.waitUntilExit()
        XCTAssertEqual(run.process.terminationStatus, 0, messages)
        let folder = directory.appendingPathComponent("demo")
        func read(_ name: String) throws -> String { try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), [
            "accuracy.png", "eval.csv", "images.columns", "images.csv", "images.png", "images.titles", "profile.csv", "profile.png",
            "spectra.csv", "spectra.csv.meta.json", "summary.md", "top-eigenvalue.png",
        ], "the work folder .compare-partial is gone")
        XCTAssertEqual(try read("summary.md"), table)
        let rows = table.split(separator: "\n").map(String.init)
        XCTAssertEqual(rows.first, "| model | median λ₁ | mean λ₁ | clean acc | PGD-20 ε=0.05 | PGD-20 ε=0.1 | PGD-20 ε=0.15 |")
        XCTAssertEqual(rows.dropFirst(2).map { $0.split(separator: "|").first.map { $0.trimmingCharacters(in: .whitespaces) } }, ["normal", "pgd", "cure"])
        // The table's median λ₁ is the profile's rank 1, 20 ranks for each model from 3 samples.
        let profile = try read("profile.csv").split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(profile.first, ["model", "rank", "mean", "median", "p10", "p90", "samples", "unconverged"])
        XCTAssertEqual(profile.count, 1 + 3 * 20)
        for (row, name) in zip(rows.dropFirst(2), ["normal", "pgd", "cure"]) {
            let top = try XCTUnwrap(profile.first { $0[0] == name && $0[1] == "1" })
            XCTAssertEqual(top[6], "3")
            XCTAssertTrue(row.contains("| \(String(format: "%.4g", Double(top[3])!)) |"), "\(row) against \(top)")
        }
        XCTAssertEqual(try read("spectra.csv").split(separator: "\n").count, 1 + 3 * 3 * 20, "20 eigenvalues of 3 images for 3 models")
        let eval = try read("eval.csv").split(separator: "\n").map(String.init)
        XCTAssertEqual(eval.first, "model,attack,epsilon,accuracy")
        XCTAssertEqual(eval.dropFirst().map { $0.split(separator: ",").prefix(3).joined(separator: ",") },
                       ["normal", "pgd", "cure"].flatMap { m in ["0.0", "0.05", "0.1", "0.15"].map { "\(m),pgd-linf,\($0)" } })
        XCTAssertEqual(try read("images.titles").split(separator: "|").count, 3 * (1 + 2 * 3), "per image: the input, each model's gradient and perturbation")
        for png in ["profile.png", "top-eigenvalue.png", "accuracy.png", "images.png"] {
            let bytes = try Data(contentsOf: folder.appendingPathComponent(png))
            XCTAssertEqual([UInt8](bytes.prefix(4)), [0x89, 0x50, 0x4E, 0x47], png)
        }
    }

    /// The research script of Notebooks-md/04-library.md, run as built: 8 images of the shipped
    /// softplus model, each with its top eigenvalues, gradient norm, DeepFool distance, and a
    /// curvature along the gradient that, a Rayleigh quotient, cannot exceed λ₁.
    func testTheLibraryExampleRuns() throws {
        let example = executable.deletingLastPathComponent().appendingPathComponent("curvature-example")
        let process = makeProcess([], environment: [:])
        process.executableURL = example
        let out = Pipe(), err = Pipe()
        (process.standardOutput, process.standardError) = (out, err)
        try process.run()
        let output = text(out)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, text(err))
        let lines = output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3 + 8 + 8, output)
        guard lines.count == 19 else { return }
        XCTAssertTrue(lines[0].hasSuffix("Data/models/fmnist-cnn-small-softplus-standard.safetensors"), lines[0])
        XCTAssertEqual(lines[1], "architecture: conv2d – softplus – maxpool2d – conv2d – softplus – maxpool2d – flatten – linear – softplus – linear")
        XCTAssertTrue(lines[2].hasPrefix("sample  label  λ1"), lines[2])
        for (n, line) in lines[3..<11].enumerated() {
            let v = line.split(separator: " ").compactMap { Double($0) }
            XCTAssertEqual(v.count, 8, line)
            guard v.count == 8, let curvature = Double(lines[11 + n].split(separator: " ").last!) else { XCTFail(lines[11 + n]); continue }
            XCTAssertEqual(v[0], Double(n), line)
            XCTAssertTrue(v.allSatisfy(\.isFinite), line)
            XCTAssertGreaterThanOrEqual(v[2], v[3], "λ1 ≥ λ2: \(line)")
            XCTAssertLessThan(v[4], 1e-6 * v[2], "residual of λ1: \(line)")
            XCTAssertEqual(v[6], v[2] / v[5], accuracy: 2e-3 * v[6], "λ1/‖∇ℓ‖: \(line)")
            XCTAssertGreaterThan(v[7], 0, "DeepFool moved: \(line)")
            XCTAssertTrue(lines[11 + n].hasPrefix("sample \(n): curvature along the gradient "), lines[11 + n])
            XCTAssertLessThanOrEqual(curvature, v[2] * (1 + 1e-3), "a Rayleigh quotient is at most λ1: \(lines[11 + n])")
            XCTAssertGreaterThan(curvature, 0, lines[11 + n])
        }
    }
}
