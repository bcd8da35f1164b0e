import Foundation
import TestSupport
import XCTest

/// Runs every script of `Sources/curvature/gnuplot` with the real gnuplot on tiny CSVs: each must
/// draw a real PNG, and each must refuse to run without `input`.
final class PlotScriptTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        // The README's install line brings gnuplot; without it these tests cannot check anything.
        _ = try XCTUnwrap(Self.gnuplot, "gnuplot is not installed (apt-get install gnuplot-nox)")
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
        // A 10–90 % band per model, then its median line, titled by the model.
        let series = try plotted("profile", rows)
        XCTAssertEqual(series.map(\.title), [nil, nil, nil, "standard", "adversarial_l2", "cure"])
        for (i, scale) in [20.0, 3.0, 1.0].enumerated() where series.count == 6 {
            let median = (1...20).map { scale * exp(-Double($0) / 4) }
            XCTAssertEqual(series[i].column(0), (1...20).map(Double.init))
            assertSame(series[i].column(1), median.map { $0 * 0.5 }, "band low \(i)")
            assertSame(series[i].column(2), median.map { $0 * 1.6 }, "band high \(i)")
            XCTAssertEqual(series[3 + i].column(0), (1...20).map(Double.init))
            assertSame(series[3 + i].column(1), median, "median \(i)")
        }
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
        // Each median line leaves out exactly its medians ≤ 0 and draws the others as they are.
        let lines = try plotted("profile", rows, variables: ["logy": "1"]).filter { $0.title != nil }
        XCTAssertEqual(lines.map(\.title), ["standard", "adversarial_l2", "cure"])
        for line in lines {
            let medians = rows.dropFirst().filter { $0.hasPrefix("\(line.title!),") }.map { Double($0.split(separator: ",")[3])! }
            XCTAssertEqual(line.column(1).map(\.isNaN), medians.map { $0 <= 0 }, "\(line.title!): the medians left out")
            assertSame(line.column(1).filter { !$0.isNaN }, medians.filter { $0 > 0 }, line.title!)
        }
    }

    func testProfileWithLogarithmicAxisNotesNothingWhenAllMediansArePositive() throws {
        var rows = ["model,rank,mean,median,p10,p90,samples"]
        for rank in 1...10 { rows.append("standard,\(rank),1,\(pow(10, -Double(rank))),0,1,40") }
        let messages = try assertDraws("profile", rows, variables: ["logy": "1"])
        XCTAssertEqual(messages.trimmingCharacters(in: .whitespacesAndNewlines), "")
    }

    /// logy=1: the floor is set by the lowest positive band edge too, so a band reaching decades
    /// below every median is drawn whole rather than cut off at the medians' floor.
    func testProfileWithLogarithmicAxisKeepsTheBandInTheFrame() throws {
        var rows = ["model,rank,mean,median,p10,p90,samples"]
        for rank in 1...5 { rows.append("wide,\(rank),1,\(1 / Double(rank)),\(1e-3 / Double(rank)),2,40") }
        let band = try plotted("profile", rows, variables: ["logy": "1"])[0]
        assertSame(band.column(1), (1...5).map { 1e-3 / Double($0) }, "band low")
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
        // One line per sample of the first 10, each its own 200 eigenvalues.
        let series = try plotted("spectrum", rows)
        XCTAssertEqual(series.count, 10)
        for (sample, line) in series.enumerated() {
            XCTAssertEqual(line.column(0), (1...200).map(Double.init), "sample \(sample)")
            assertSame(line.column(1), (1...200).map { Double(sample + 5) * exp(-Double($0) / 3) - ($0 > 196 ? 0.5 : 0) }, "sample \(sample)")
        }
    }

    /// One histogram per model of its samples' largest eigenvalue: every sample counted once, in
    /// the bin that holds it.
    func testTopHistogram() throws {
        try assertHistograms(variables: [:])
    }

    func testTopHistogramWithLogarithmicBins() throws {
        try assertHistograms(variables: ["logx": "1"])
    }

    private func assertHistograms(variables: [String: String], file: StaticString = #filePath, line: UInt = #line) throws {
        let series = try plotted("top-histogram", topHistogramRows(), variables: variables, file: file, line: line)
        XCTAssertEqual(series.count, 2, file: file, line: line)
        for (histogram, (model, scale)) in zip(series, [("standard", 30.0), ("adversarial", 4.0)]) {
            XCTAssertTrue(histogram.title?.hasPrefix("\(model) (n = 60, median") ?? false, "\(histogram.title ?? "no title")", file: file, line: line)
            // boxxyerror: x, count, x from, x to, 0, count.
            XCTAssertEqual(histogram.column(1).reduce(0, +), 60, "\(model): every sample counted", file: file, line: line)
            let tops = (0..<60).map { scale * (0.5 + Double(($0 * 37) % 60) / 60) }
            for bin in histogram.points {
                let inside = tops.filter { $0 >= bin[2] * (1 - 1e-5) && $0 <= bin[3] * (1 + 1e-5) }.count
                XCTAssertEqual(Double(inside), bin[1], accuracy: 1, "\(model): bin \(bin)", file: file, line: line)
            }
        }
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
        // Each sample faint, then their mean.
        let series = try plotted("density", rows)
        XCTAssertEqual(series.count, 6)
        guard series.count == 6 else { return }
        let grid = (0...100).map { -1.0 + Double($0) * 0.1 }
        func density(_ sample: Int, _ lambda: Double) -> Double {
            exp(-lambda * lambda * 4) + 0.2 * exp(-(lambda - 2 - Double(sample)) * (lambda - 2 - Double(sample)))
        }
        for sample in 0..<5 {
            assertSame(series[sample].column(0), grid, "λ of sample \(sample)")
            assertSame(series[sample].column(1), grid.map { density(sample, $0) }, "sample \(sample)")
        }
        XCTAssertEqual(series[5].title, "mean over samples")
        assertSame(series[5].column(1), grid.map { lambda in (0..<5).map { density($0, lambda) }.reduce(0, +) / 5 }, "mean")
    }

    /// logy=1 on a density like an input Hessian's: a spike of 10⁵ at λ ≈ 0, tails of about 1 on
    /// both sides and Gaussian tails that fall to 0. The axis is logarithmic from the power of ten
    /// at or below 10⁻⁶ × the largest mean density, and nothing is noted on stderr.
    func testDensityWithLogarithmicAxis() throws {
        let rows = densityRows(models: [nil])
        let peak = Self.meanDensity(rows, model: nil).values.max()!
        XCTAssertEqual(peak, 1e5, accuracy: 10)
        XCTAssertEqual(try assertDraws("density", rows, variables: ["logy": "1"]), "", "unexpected notes")
        let messages = try assertDraws("density", rows, variables: ["logy": "1"],
                                       after: #"show logscale; show format; print sprintf("inspect %g", GPVAL_Y_MIN)"#)
        let lines = messages.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertTrue(lines.contains { $0.hasPrefix("logscaling on") && $0.split(separator: " ").contains("y") },
                      "the density axis is not logarithmic: \(messages)")
        XCTAssertTrue(lines.contains(#"y-axis: "10^{%L}""#), "the ticks are not powers of ten: \(messages)")
        let floor = try XCTUnwrap(Self.inspected(messages).first.flatMap(Double.init), messages)
        XCTAssertEqual(floor, 1e-1, accuracy: 1e-9, "the floor is not the power of ten at or below 10⁻⁶ × 10⁵: \(messages)")
    }

    /// Without logy the axis stays linear, from 0, with plain numbers.
    func testDensityWithLinearAxisStartsAtZero() throws {
        let messages = try assertDraws("density", densityRows(models: [nil]),
                                       after: #"show logscale; show format; print sprintf("inspect %g", GPVAL_Y_MIN)"#)
        XCTAssertEqual(Self.inspected(messages), ["0"], messages)
        XCTAssertTrue(messages.contains("logscaling on none") && messages.contains(#"y-axis: "% h""#), messages)
    }

    /// With a column model (rows of the models interleaved, as the script must not depend on the
    /// order): one mean curve per model, titled by the model's name in order of first appearance,
    /// each the mean over that model's samples only; with logy=1 as well as without.
    func testDensityOfSeveralModels() throws {
        let names = ["standard", "adversarial l2", "CURE"]
        let rows = densityRows(models: names)
        XCTAssertEqual(rows.first, "model,sample,lambda,density")
        // The legend's titles are model[i]; the curves are the blocks of $M (internals of density.gp).
        let inspect = #"unset logscale y; set autoscale; do for [i=1:count] { stats $M index (i - 1) using 1:2 nooutput; "#
            + #"print sprintf("inspect %s|%d|%.8g|%.8g", model[i], STATS_records, STATS_pos_max_y, STATS_max_y) }"#
        for logy in [false, true] {
            let messages = try assertDraws("density", rows, variables: logy ? ["logy": "1"] : [:], after: inspect)
            let curves = try Self.inspected(messages).map { $0.split(separator: "|").map(String.init) }
            XCTAssertEqual(curves.map { $0[0] }, names, "logy \(logy): the models in the legend: \(messages)")
            for (curve, name) in zip(curves, names) {
                let mean = Self.meanDensity(rows, model: name)
                let (at, peak) = mean.max { $0.value < $1.value }!
                XCTAssertEqual(Int(curve[1]), mean.count, "\(name): one point per λ of the grid")
                XCTAssertEqual(try XCTUnwrap(Double(curve[2])), at, accuracy: 1e-9, "\(name): the peak is not where the mean peaks")
                XCTAssertEqual(try XCTUnwrap(Double(curve[3])), peak, accuracy: peak * 1e-5, "\(name): not the mean over its samples")  // $M holds 6 digits
            }
            XCTAssertEqual(Self.notes(messages), [], "unexpected notes: \(messages)")
        }
    }

    /// The column model is found by name, wherever it is; a single model draws too.
    func testDensityWithAModelColumnLast() throws {
        let rows = densityRows(models: ["only"]).map { row -> String in
            let fields = row.split(separator: ",", omittingEmptySubsequences: false)
            return (fields.dropFirst() + fields.prefix(1)).joined(separator: ",")
        }
        XCTAssertEqual(rows.first, "sample,lambda,density,model")
        let messages = try assertDraws("density", rows, variables: ["logy": "1"], after: #"print sprintf("inspect %d %s", count, model[1])"#)
        XCTAssertEqual(try Self.inspected(messages), ["1 only"], messages)
    }

    func testDensityWithLogarithmicAxisRefusesWithoutAPositiveDensity() throws {
        let input = folder.appendingPathComponent("zero.csv")
        let output = folder.appendingPathComponent("zero.png")
        try "sample,lambda,density\n0,0,0\n0,1,0\n".write(to: input, atomically: true, encoding: .utf8)
        let (status, messages) = try Self.run(["-e", "input='\(input.path)'; output='\(output.path)'; logy=1", Self.script("density").path])
        XCTAssertNotEqual(status, 0, "density.gp drew a logarithmic axis without a positive density")
        XCTAssertTrue(messages.contains("logy needs a positive density"), "unclear message: \(messages)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: output.path), "density.gp wrote output")
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
        // One line per model and attack, its accuracies by ε (the rows' order does not matter).
        let series = try plotted("accuracy", rows, variables: ["title": "'accuracy under attack'"])
        var expected: [[Double]] = []
        for (_, decay) in [("standard", 30.0), ("adversarial", 5.0)] {
            for factor in [1.0, 1.5] { expected.append((0...6).map { 0.99 * exp(-decay * factor * pow(Double($0) * 0.05, 2) * 10) }) }
        }
        XCTAssertEqual(series.count, 4)
        for line in series {
            assertSame(line.column(0), (0...6).map { Double($0) * 0.05 }, line.title ?? "")
            XCTAssertTrue(expected.contains { close(line.column(1), $0) }, "\(line.title ?? ""): \(line.column(1)) is no model's and attack's accuracies")
        }
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
        // Three panels of 28×28, each its own values: a diverging palette only for the wave, which goes below 0.
        let inspect = #"set autoscale; do for [i=1:panels] { stats $S index block[i] using 3 nooutput; "#
            + #"print sprintf("inspect %s|%d|%g|%g|%d", caption[i], STATS_records, STATS_min, STATS_max, diverging[i]) }"#
        let messages = try assertDraws("images", rows, variables: ["titles": "'clean|perturbation|adversarial'", "columns": "3"], after: inspect)
        let panels = Self.inspected(messages).map { $0.split(separator: "|").map(String.init) }
        XCTAssertEqual(panels.map { $0[0] }, ["clean", "perturbation", "adversarial"], messages)
        XCTAssertEqual(panels.map { $0[1] }, ["784", "784", "784"], messages)
        XCTAssertEqual(panels.map { $0[4] }, ["0", "1", "0"], "the palettes: \(messages)")
        for (panel, values) in panels.enumerated() where values.count == 5 {
            let own = rows.dropFirst().filter { $0.hasPrefix("\(panel),") }.map { Double($0.split(separator: ",")[3])! }
            XCTAssertEqual(Double(values[2])!, own.min()!, accuracy: 1e-5, "panel \(panel)")
            XCTAssertEqual(Double(values[3])!, own.max()!, accuracy: 1e-5, "panel \(panel)")
        }
    }

    /// Three panels: the class map of each model's grid, its boundary as the margin's zero level
    /// (the known parabola), x and x_b from the marks beside the CSV; none for the model without one.
    func testSection() throws {
        let fixture = SectionFixture([.init("normal", distance: 0.4, curvature: 1.5), .init("pgd", distance: 1.1, curvature: 0.3),
                                      .init("far", distance: nil)], side: 21)
        try (fixture.marks.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("section.marks.csv"), atomically: true, encoding: .utf8)
        let table = folder.appendingPathComponent("section.table")
        let messages = try assertDraws("section", fixture.rows, variables: ["table": "'\(table.path)'", "title": "'sample 0'", "direction": "'principal'"])
        XCTAssertEqual(Self.notes(messages), [], "no warnings expected")
        let series = Series.read(try String(contentsOf: table, encoding: .utf8))
        XCTAssertEqual(fixture.problems(in: series), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(),
                       ["section.csv", "section.marks.csv", "section.png", "section.table"], "the grids' file is left behind")
    }

    /// The largest curvatures in one panel and the smallest, past the gap in the ranks, in a second;
    /// ranks running on from 1 without a gap make one panel.
    func testBoundaryProfile() throws {
        var rows = ["model,rank,mean,median,p10,p90,samples,unconverged"]
        for (model, scale) in [("normal", 1.0), ("pgd", 0.25)] {
            for rank in [1, 2, 3, 779, 780, 781] {
                let median = scale * (rank < 100 ? 1 / Double(rank) : -Double(rank - 778))
                rows.append("\(model),\(rank),\(median),\(median),\(median - 0.1),\(median + 0.1),40,0")
            }
        }
        let table = folder.appendingPathComponent("boundary-profile.table")
        let messages = try assertDraws("boundary-profile", rows, variables: ["table": "'\(table.path)'", "title": "'curvatures'"])
        XCTAssertEqual(Self.notes(messages), [])
        let lines = try String(contentsOf: table, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "# panels 1-3 779-781")
        let drawn = lines.dropFirst().filter { !$0.hasPrefix("rank,") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            .map { $0.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces))! } }
        XCTAssertEqual(drawn.count, 12)
        XCTAssertEqual(drawn.map { $0[0] }, [1, 2, 3, 779, 780, 781, 1, 2, 3, 779, 780, 781])
        assertSame(drawn.map { $0[1] }, rows.dropFirst().map { Double($0.split(separator: ",")[3])! }, "medians")

        let contiguous = ["model,rank,mean,median,p10,p90,samples", "a,1,2,2,1,3,5", "a,2,1,1,0.5,2,5", "a,3,0.5,0.5,0.2,1,5"]
        _ = try assertDraws("boundary-profile", contiguous, variables: ["table": "'\(table.path)'"])
        XCTAssertEqual(try String(contentsOf: table, encoding: .utf8).split(separator: "\n").first, "# panels 1-3")
    }

    /// Rows that are not each model's N × N grid in section's order are refused, naming the model.
    func testSectionRefusesRowsThatAreNotAGrid() throws {
        let rows = SectionFixture([.init("normal", distance: 0.4, curvature: 1.5)], side: 5).rows
        try (["model,point,a,b", "normal,x,0,0"].joined(separator: "\n") + "\n")
            .write(to: folder.appendingPathComponent("section.marks.csv"), atomically: true, encoding: .utf8)
        for (broken, message) in [(Array(rows.dropLast()), "the 24 rows of model normal"),
                                  ([rows[0]] + rows.dropFirst().reversed(), "the rows of model normal")] {
            let input = folder.appendingPathComponent("section.csv"), output = folder.appendingPathComponent("section.png")
            try (broken.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)
            let (status, messages) = try Self.run(["-e", "input='\(input.path)'; output='\(output.path)'", Self.script("section").path])
            XCTAssertNotEqual(status, 0, message)
            XCTAssertTrue(messages.contains(message), messages)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output.path), "a figure drawn from \(message)")
        }
    }

    // MARK: The CSVs of the commands, single-model ones included

    /// compare's spectra.csv (a column model, the same sample numbers in each model): one line per
    /// (model, sample), not one per sample number; at most 10 / models samples of each model.
    func testSpectrumOfSeveralModels() throws {
        var rows = ["model,sample,label,predicted,rank,eigenvalue,residual"]
        for (model, scale) in [("normal", 10.0), ("pgd", 1.0)] {
            for sample in 0..<7 {
                for rank in 1...5 { rows.append("\(model),\(sample),3,\(sample == 2 ? 5 : 3),\(rank),\(scale * exp(-Double(rank + sample))),1e-9") }
            }
        }
        let messages = try assertDraws("spectrum", rows, after: #"do for [i=1:count] { stats $S index (i - 1) using 2 nooutput; "#
            + #"print sprintf("inspect %s|%s|%d|%d|%s", owner[i], sample[i], colour[i], STATS_records, caption[i]) }"#)
        let series = Self.inspected(messages).map { $0.split(separator: "|").map(String.init) }
        guard series.count == 10, series.allSatisfy({ $0.count == 5 }) else { return XCTFail("not 10 lines of 5 samples per model: \(messages)") }
        XCTAssertEqual(series.map { "\($0[0]) \($0[1])" }, (0..<5).map { "normal \($0)" } + (0..<5).map { "pgd \($0)" }, messages)
        XCTAssertEqual(series.map { $0[2] }, Array(repeating: "1", count: 5) + Array(repeating: "2", count: 5), "one colour per model")
        XCTAssertTrue(series.allSatisfy { $0[3] == "5" }, "each line holds its own sample's 5 ranks only: \(messages)")
        XCTAssertEqual(series[2][4], "normal 2: 3 → 5 ✗")
    }

    /// `curvature spectrum` writes no column model: one histogram, titled without a model's name.
    func testTopHistogramOfOneModelWithoutAModelColumn() throws {
        let rows = ["sample,label,predicted,rank,eigenvalue,residual"] + topHistogramRows().dropFirst().compactMap { row -> String? in
            row.hasPrefix("standard,") ? String(row.dropFirst("standard,".count)) : nil
        }
        let messages = try assertDraws("top-histogram", rows, after: #"print sprintf("inspect %d|%s|%d", count, label(1), size[1])"#)
        XCTAssertEqual(Self.inspected(messages), ["1|n = 60, median \(String(format: "%.3g", 30 * Self.median((0..<60).map { 0.5 + Double(($0 * 37) % 60) / 60 })))|60"])
    }

    /// `curvature eval` writes attack,epsilon,samples,accuracy: one line per attack, named by it.
    func testAccuracyOfOneModelWithoutAModelColumn() throws {
        let rows = ["attack,epsilon,samples,accuracy", "fgsm,0.0,100,0.99", "fgsm,0.1,100,0.5", "pgd-linf,0.0,100,0.99", "pgd-linf,0.1,100,0.3"]
        let messages = try assertDraws("accuracy", rows, after: #"do for [i=1:count] { stats $S index (i - 1) using 2 nooutput; print sprintf("inspect %s|%d|%g", attack[i], STATS_records, STATS_min) }"#)
        XCTAssertEqual(Self.inspected(messages), ["fgsm|2|0.5", "pgd-linf|2|0.3"])
    }

    /// Samples on grids of their own (as `curvature density` writes them by default) have no mean
    /// at each λ: density.gp refuses them instead of averaging whatever rows share a λ.
    func testDensityRefusesSamplesOnGridsOfTheirOwnWithoutMean() throws {
        let input = folder.appendingPathComponent("grids.csv")
        let output = folder.appendingPathComponent("grids.png")
        for (header, prefix) in [("sample,lambda,density", ""), ("model,sample,lambda,density", "m,")] {
            try ([header] + ["0,0,0", "0,1,2", "0,2,0", "1,0.5,4", "1,1.5,4", "1,2.5,0"].map { prefix + $0 }).joined(separator: "\n")
                .write(to: input, atomically: true, encoding: .utf8)
            let (status, messages) = try Self.run(["-e", "input='\(input.path)'; output='\(output.path)'", Self.script("density").path])
            XCTAssertNotEqual(status, 0, "density.gp averaged samples on different grids")
            XCTAssertTrue(messages.contains("not on one grid of λ") && messages.contains("curvature plot density"), messages)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output.path))
        }
    }

    /// With mean='…' (as `curvature plot density` passes it) the mean curve is that file's, per model.
    func testDensityDrawsTheMeanItIsGiven() throws {
        let mean = folder.appendingPathComponent("mean.csv")
        try "model,lambda,density\na,0,0\na,0.5,2.5\na,1,3\nb,0,1\nb,0.5,7\nb,1,1\n".write(to: mean, atomically: true, encoding: .utf8)
        let rows = ["model,sample,lambda,density", "a,0,0,0", "a,0,1,2", "a,1,0.5,4", "a,1,1.5,4", "b,0,0,1", "b,0,1,1"]
        let inspect = #"do for [i=1:count] { stats $M index (i - 1) using 1:2 nooutput; "#
            + #"print sprintf("inspect %s|%d|%g|%g", model[i], STATS_records, STATS_pos_max_y, STATS_max_y) }"#
        let messages = try assertDraws("density", rows, variables: ["mean": "'\(mean.path)'"], after: inspect)
        XCTAssertEqual(Self.inspected(messages), ["a|3|1|3", "b|3|0.5|7"])
    }

    /// Panel titles of every length at 2, 4 and 9 columns: each line of a title fits its panel's
    /// width (by the widths images.gp reckons with), a row leaves room for its longest title, and
    /// the figure grows with its rows.
    func testImageTitlesFitTheirPanelsAtAnyColumnCount() throws {
        let titles = ["label 7", "normal δ→7", "normal ∇", "adversarially-trained δ→3", "pgd δ→7 misclassified as seven",
                      "a very long panel title that goes on and on and on and on and on", "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWW", "x"]
        var rows = ["panel,row,col,value"]
        for panel in 0..<titles.count {
            for row in 0..<28 { for col in 0..<28 { rows.append("\(panel),\(row),\(col),\(panel % 2 == 0 ? 0.5 : -0.1)") } }
        }
        let inspect = #"do for [i=1:panels] { rest = wrapped[i]."\n"; do for [k=1:lines[i]] { p = strstrt(rest, "\n"); "#
            + #"print sprintf("inspect line|%d|%.2f|%s", i, em(rest[1:p-1]) * 1.29 * font, rest[1:p-1]); rest = rest[p+1:] } }; "#
            + #"print sprintf("inspect figure|%g|%.2f|%d|%.2f|%.2f|%d", font, cellw, most, band, pitch, tall)"#
        var heights: [Int] = []
        for columns in [2, 4, 9] {
            let messages = try assertDraws("images", rows, variables: [
                "titles": "'\(titles.joined(separator: "|"))'", "columns": "\(columns)", "title": "'Figure'.\"\\n\".'on two lines'",
            ], after: inspect)
            let lines = Self.inspected(messages).map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
            let figure = try XCTUnwrap(lines.first { $0[0] == "figure" }, messages)
            let (font, cellw, most) = (Double(figure[1])!, Double(figure[2])!, Int(figure[3])!)
            XCTAssertTrue((7...11).contains(font), "\(columns) columns: font \(font)")
            XCTAssertLessThanOrEqual(most, 3, "\(columns) columns: \(messages)")
            XCTAssertGreaterThanOrEqual(Double(figure[4])!, Double(most) * Double(figure[5])!, "a row leaves no room for its longest title")
            for line in lines where line[0] == "line" {
                XCTAssertLessThanOrEqual(Double(line[2])!, cellw, "\(columns) columns: '\(line[3])' is wider than its panel")
            }
            for panel in 1...titles.count {
                XCTAssertTrue(lines.contains { $0[0] == "line" && $0[1] == "\(panel)" }, "\(columns) columns: panel \(panel) has no title")
            }
            heights.append(Int(figure[6])!)
        }
        XCTAssertGreaterThan(heights[0], heights[1], "4 rows of 2 panels are higher than 2 rows of 4")
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    // MARK: Each script refuses to run without input

    func testProfileNeedsInput() throws { try assertRefusesWithoutInput("profile") }
    func testSpectrumNeedsInput() throws { try assertRefusesWithoutInput("spectrum") }
    func testTopHistogramNeedsInput() throws { try assertRefusesWithoutInput("top-histogram") }
    func testDensityNeedsInput() throws { try assertRefusesWithoutInput("density") }
    func testAccuracyNeedsInput() throws { try assertRefusesWithoutInput("accuracy") }
    func testImagesNeedsInput() throws { try assertRefusesWithoutInput("images") }
    func testSectionNeedsInput() throws { try assertRefusesWithoutInput("section") }
    func testBoundaryProfileNeedsInput() throws { try assertRefusesWithoutInput("boundary-profile") }

    // MARK: Helpers

    /// Densities like those of input Hessians, on one grid of λ from −0.5 to 2: for each of 4 samples
    /// a spike at 0 that peaks at 10⁵ on average, tails of about 1 on both sides, Gaussian tails of
    /// the smoothing, and zeros where the tails end. `models` [nil] writes sample,lambda,density;
    /// otherwise model,sample,lambda,density with the rows of the models interleaved, and the model
    /// at index i has a spike i + 1 times as high and tails that end at λ = 2 / (i + 1).
    private func densityRows(models: [String?]) -> [String] {
        let named = models.contains { $0 != nil }
        var rows = [(named ? "model," : "") + "sample,lambda,density"]
        for step in 0...250 {
            let lambda = -0.5 + Double(step) / 100
            for (index, model) in models.enumerated() {
                for sample in 0..<4 {
                    let spike = (0.5 + Double(sample) / 3) * 1e5 * Double(index + 1) * exp(-lambda * lambda / (2 * 0.0001))
                    let reach = 2 / Double(index + 1)
                    let tail = lambda > reach || lambda < -0.4 ? 0 : (1 + Double(sample)) * 0.5 * (1 + sin(lambda * 20)) / Double(index + 1)
                    let value = step == 250 ? 0 : spike + tail
                    rows.append((model.map { "\($0)," } ?? "") + "\(sample),\(lambda),\(value)")
                }
            }
        }
        return rows
    }

    /// The mean density over samples at each λ of `rows` from `densityRows`, for one model.
    private static func meanDensity(_ rows: [String], model: String?) -> [Double: Double] {
        var sums: [Double: (Double, Int)] = [:]
        for row in rows.dropFirst() {
            let fields = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if let model, fields[0] != model { continue }
            let lambda = Double(fields[fields.count - 2])!, density = Double(fields[fields.count - 1])!
            let (sum, count) = sums[lambda] ?? (0, 0)
            sums[lambda] = (sum + density, count + 1)
        }
        return sums.mapValues { $0.0 / Double($0.1) }
    }

    typealias Series = PlottedSeries

    /// Draws `rows` with `script` as assertDraws does, then replots into a table and returns the series drawn.
    private func plotted(_ script: String, _ rows: [String], variables: [String: String] = [:],
                         file: StaticString = #filePath, line: UInt = #line) throws -> [Series] {
        let table = folder.appendingPathComponent("\(script).table")
        try assertDraws(script, rows, variables: variables, after: Series.tableCommands(table.path), file: file, line: line)
        return Series.read(try String(contentsOf: table, encoding: .utf8))
    }

    private func close(_ drawn: [Double], _ expected: [Double]) -> Bool { Series.close(drawn, expected) }

    private func assertSame(_ drawn: [Double], _ expected: [Double], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(close(drawn, expected), "\(what): drew \(drawn), expected \(expected)", file: file, line: line)
    }

    /// The lines `inspect …` printed by the commands run after a script, without the prefix.
    private static func inspected(_ messages: String) -> [String] {
        messages.split(separator: "\n").filter { $0.hasPrefix("inspect ") }.map { String($0.dropFirst("inspect ".count)) }
    }

    /// What a script wrote on stderr besides the `inspect` lines.
    private static func notes(_ messages: String) -> [String] {
        messages.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("inspect ") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

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
    /// what the script wrote on stderr. `after`: gnuplot commands run once the script is done, to
    /// print what it left behind (their `print` goes to stderr too).
    @discardableResult
    private func assertDraws(_ script: String, _ rows: [String], variables: [String: String] = [:], after: String? = nil,
                             file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let input = folder.appendingPathComponent("\(script).csv")
        let output = folder.appendingPathComponent("\(script).png")
        try (rows.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)
        let assignments = (["input='\(input.path)'", "output='\(output.path)'"]
            + variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: "; ")
        let (status, messages) = try Self.run(["-e", assignments, Self.script(script).path] + (after.map { ["-e", $0] } ?? []))
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
