import Foundation
import XCTest

/// Runs every script of `Sources/curvature/gnuplot` with the real gnuplot on tiny CSVs: each must
/// draw a real PNG, and each must refuse to run without `input`.
final class PlotScriptTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        try XCTSkipIf(Self.gnuplot == nil, "gnuplot is not installed (apt-get install gnuplot-nox)")
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("PlotScriptTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    // MARK: Each script draws a PNG

    func testProfile() throws {
        var rows = ["model,rank,mean,median,p10,p90,samples"]
        for (model, scale) in [("standard", 20.0), ("adversarial_l2", 3.0), ("cure", 1.0)] {
            for rank in 1...20 {
                let median = scale * exp(-Double(rank) / 4)
                rows.append("\(model),\(rank),\(median * 1.1),\(median),\(median * 0.5),\(median * 1.6),50")
            }
        }
        try assertDraws("profile", rows)
    }

    /// logy=1: medians ≤ 0 (zero, negative, Float32 noise of either sign past rank 9) are left out
    /// and counted on stderr, and the band still draws where p10 ≤ 0.
    func testProfileWithLogarithmicAxis() throws {
        var rows = ["model,rank,mean,median,p10,p90,samples"]
        var nonPositive = 0
        for (model, scale) in [("standard", 20.0), ("adversarial_l2", 0.3), ("cure", 0.01)] {
            for rank in 1...12 {
                var median = scale * pow(10, -Double(rank) / 2)
                if rank > 9 { median = (rank == 10 ? 1 : -1) * 3e-10 }  // noise of either sign
                if model == "cure" && rank == 4 { median = 0 }
                if median <= 0 { nonPositive += 1 }
                let p10 = rank > 7 ? -abs(median) : median / 20
                rows.append("\(model),\(rank),\(median),\(median),\(p10),\(abs(median) * 30),40")
            }
        }
        XCTAssertEqual(nonPositive, 7)
        let messages = try assertDraws("profile", rows, variables: ["logy": "1"])
        XCTAssertTrue(messages.contains("logy leaves out 7 median(s) ≤ 0"), "no note of the medians left out: \(messages)")
        XCTAssertEqual(messages.split(separator: "\n").count, 1, "one line of notes: \(messages)")
    }

    func testProfileWithLogarithmicAxisNotesNothingWhenAllMediansArePositive() throws {
        var rows = ["model,rank,mean,median,p10,p90,samples"]
        for rank in 1...10 { rows.append("standard,\(rank),1,\(pow(10, -Double(rank))),0,1,40") }
        let messages = try assertDraws("profile", rows, variables: ["logy": "1"])
        XCTAssertEqual(messages.trimmingCharacters(in: .whitespacesAndNewlines), "")
    }

    func testProfileWithLogarithmicAxisRefusesWithoutAPositiveMedian() throws {
        let input = folder.appendingPathComponent("negative.csv")
        let output = folder.appendingPathComponent("negative.png")
        try "model,rank,mean,median,p10,p90,samples\nstandard,1,0,0,-1,1,40\nstandard,2,0,-1e-9,-1,0,40\n"
            .write(to: input, atomically: true, encoding: .utf8)
        let (status, messages) = try Self.run(["-e", "input='\(input.path)'; output='\(output.path)'; logy=1", Self.script("profile").path])
        XCTAssertNotEqual(status, 0, "profile.gp drew a logarithmic axis without a positive median")
        XCTAssertTrue(messages.contains("logy needs a positive median"), "unclear message: \(messages)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: output.path), "profile.gp wrote output")
    }

    func testSpectrum() throws {
        var rows = ["sample,label,predicted,rank,eigenvalue,residual"]
        for sample in 0..<12 {  // more than the 10 drawn
            for rank in 1...200 {
                let value = Double(sample + 5) * exp(-Double(rank) / 3) - (rank > 196 ? 0.5 : 0)
                rows.append("\(sample),\(sample % 10),\((sample + 1) % 10),\(rank),\(value),1e-9")
            }
        }
        try assertDraws("spectrum", rows)
    }

    func testTopHistogram() throws {
        try assertDraws("top-histogram", topHistogramRows())
    }

    func testTopHistogramWithLogarithmicBins() throws {
        try assertDraws("top-histogram", topHistogramRows(), variables: ["logx": "1"])
    }

    func testDensity() throws {
        var rows = ["sample,lambda,density"]
        for sample in 0..<5 {
            let centre = 2.0 + Double(sample)
            for step in 0...100 {
                let lambda = -1.0 + Double(step) * 0.1
                rows.append("\(sample),\(lambda),\(exp(-lambda * lambda * 4) + 0.2 * exp(-(lambda - centre) * (lambda - centre)))")
            }
        }
        try assertDraws("density", rows)
    }

    func testAccuracy() throws {
        var rows = ["model,attack,epsilon,accuracy"]
        // Interleaved on purpose: the script must not depend on the row order.
        for step in 0...6 {
            for (model, decay) in [("standard", 30.0), ("adversarial", 5.0)] {
                for (attack, factor) in [("fgsm", 1.0), ("pgd", 1.5)] {
                    let epsilon = Double(step) * 0.05
                    rows.append("\(model),\(attack),\(epsilon),\(0.99 * exp(-decay * factor * epsilon * epsilon * 10))")
                }
            }
        }
        try assertDraws("accuracy", rows, variables: ["title": "'accuracy under attack'"])
    }

    func testImages() throws {
        var rows = ["panel,row,col,value"]
        for panel in 0..<3 {
            for row in 0..<28 {
                for col in 0..<28 {
                    let ring = abs(hypot(Double(row) - 13.5, Double(col) - 13.5) - 9) < 2 ? 1.0 : 0.0
                    let wave = 0.3 * sin(Double(row) / 3) * cos(Double(col) / 4)
                    let value = panel == 0 ? ring : panel == 1 ? wave : min(1, max(0, ring + wave))
                    rows.append("\(panel),\(row),\(col),\(value)")
                }
            }
        }
        try assertDraws("images", rows, variables: ["titles": "'clean|perturbation|adversarial'", "columns": "3"])
    }

    // MARK: Each script refuses to run without input

    func testProfileNeedsInput() throws { try assertRefusesWithoutInput("profile") }
    func testSpectrumNeedsInput() throws { try assertRefusesWithoutInput("spectrum") }
    func testTopHistogramNeedsInput() throws { try assertRefusesWithoutInput("top-histogram") }
    func testDensityNeedsInput() throws { try assertRefusesWithoutInput("density") }
    func testAccuracyNeedsInput() throws { try assertRefusesWithoutInput("accuracy") }
    func testImagesNeedsInput() throws { try assertRefusesWithoutInput("images") }

    // MARK: Helpers

    private func topHistogramRows() -> [String] {
        var rows = ["model,sample,label,predicted,rank,eigenvalue,residual"]
        for (model, scale) in [("standard", 30.0), ("adversarial", 4.0)] {
            for sample in 0..<60 {
                let spread = 0.5 + Double((sample * 37) % 60) / 60
                for rank in 1...3 {
                    rows.append("\(model),\(sample),\(sample % 10),\(sample % 10),\(rank),\(scale * spread / Double(rank)),1e-8")
                }
            }
        }
        return rows
    }

    /// Writes `rows` as `<script>.csv`, runs the script on it and checks the PNG it draws; returns
    /// what the script wrote on stderr.
    @discardableResult
    private func assertDraws(_ script: String, _ rows: [String], variables: [String: String] = [:],
                             file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let input = folder.appendingPathComponent("\(script).csv")
        let output = folder.appendingPathComponent("\(script).png")
        try (rows.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)
        let assignments = (["input='\(input.path)'", "output='\(output.path)'"]
            + variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: "; ")
        let (status, messages) = try Self.run(["-e", assignments, Self.script(script).path])
        XCTAssertEqual(status, 0, "gnuplot \(script).gp failed: \(messages)", file: file, line: line)
        let png = try Data(contentsOf: output)
        XCTAssertEqual([UInt8](png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
                       "\(script).gp did not write a PNG", file: file, line: line)
        XCTAssertGreaterThan(png.count, 8_000, "\(script).gp drew a suspiciously small PNG", file: file, line: line)
        return messages
    }

    private func assertRefusesWithoutInput(_ script: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let output = folder.appendingPathComponent("\(script).png")
        let (status, messages) = try Self.run(["-e", "output='\(output.path)'", Self.script(script).path])
        XCTAssertNotEqual(status, 0, "\(script).gp ran without input", file: file, line: line)
        XCTAssertTrue(messages.contains("set input and output"), "unclear message: \(messages)", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output.path), "\(script).gp wrote output", file: file, line: line)
    }

    private static func script(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/curvature/gnuplot/\(name).gp").standardized
    }

    private static let gnuplot: URL? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":")
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent("gnuplot") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    /// Runs gnuplot with `arguments`; returns its exit status and stderr.
    private static func run(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = gnuplot
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
