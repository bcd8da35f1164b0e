import Foundation
import TestSupport
import XCTest

@testable import curvature

/// `curvature plot` reads what the commands write: the single-model CSVs of `spectrum` and `eval`,
/// the per-sample grids of `density` (averaged on one common grid), the files `compare` writes
/// beside images.csv, the marks and meta `section` writes beside its CSV; and a long --title wraps.
final class PlotInputTests: ExecutableTestCase {
    // MARK: Helpers

    private func write(_ lines: [String], to name: String) throws {
        try (lines.joined(separator: "\n") + "\n").write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// Runs `curvature plot …` in the test's folder; returns its exit status and stderr.
    private func plot(_ arguments: [String]) throws -> (Int32, String) {
        let result = try plotted(arguments)
        return (result.status, result.stderr)
    }

    /// The width and height of the PNG `name` in the test's folder, from its IHDR chunk.
    private func pngSize(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> (Int, Int) {
        let bytes = [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(name) is not a PNG", file: file, line: line)
        let number = { (at: Int) in bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (number(16), number(20))
    }

    // MARK: Single-model CSVs

    /// `curvature spectrum` writes no column model: top-histogram and spectrum draw it as one model.
    func testTopHistogramAndSpectrumDrawASpectrumCSVWithoutAModelColumn() throws {
        var rows = ["sample,label,predicted,rank,eigenvalue,residual"]
        for sample in 0..<30 {
            for rank in 1...3 { rows.append("\(sample),\(sample % 10),\(sample % 10),\(rank),\(Double(sample % 7 + 1) / Double(rank)),1e-9") }
        }
        try write(rows, to: "spectrum.csv")
        var drawn: [String: [PlottedSeries]] = [:]
        for kind in ["top-histogram", "spectrum"] {
            let (status, messages, series) = try plotted([kind, "--input", "spectrum.csv", "--output", "\(kind).png"])
            XCTAssertEqual(status, 0, "\(kind): \(messages)")
            XCTAssertEqual(try pngSize("\(kind).png").0, 900, kind)
            drawn[kind] = series
        }
        // One histogram of the 30 largest eigenvalues; a line for each of the first 10 samples.
        let histogram = drawn["top-histogram"] ?? []
        XCTAssertEqual(histogram.count, 1)
        XCTAssertEqual(histogram.first?.column(1).reduce(0, +), 30)
        let lines = drawn["spectrum"] ?? []
        XCTAssertEqual(lines.count, 10)
        for (sample, line) in lines.enumerated() {
            XCTAssertEqual(line.column(0), [1, 2, 3], "sample \(sample)")
            XCTAssertTrue(PlottedSeries.close(line.column(1), (1...3).map { Double(sample % 7 + 1) / Double($0) }), "sample \(sample): \(line.points)")
        }
    }

    /// `curvature eval` writes attack,epsilon,samples,accuracy: the accuracy figure draws it.
    func testAccuracyDrawsAnEvalCSV() throws {
        try write(["attack,epsilon,samples,accuracy", "pgd-linf,0.0,50,0.9800", "pgd-linf,0.05,50,0.9000", "pgd-linf,0.1,50,0.5000"], to: "eval.csv")
        let (status, messages, series) = try plotted(["accuracy", "--input", "eval.csv", "--output", "accuracy.png"])
        XCTAssertEqual(status, 0, messages)
        XCTAssertEqual(try pngSize("accuracy.png").0, 900)
        XCTAssertEqual(series.count, 1, "one line, the attack's")
        XCTAssertTrue(PlottedSeries.close(series.first?.column(0) ?? [], [0, 0.05, 0.1]), "\(series)")
        XCTAssertTrue(PlottedSeries.close(series.first?.column(1) ?? [], [0.98, 0.9, 0.5]), "\(series)")
    }

    // MARK: Density: the mean on a common grid

    /// Two samples on grids of their own: sample 0 at λ 0, 1, 2 with densities 0, 2, 0, sample 1 at
    /// λ 0.5, 1.5, 2.5 with 4, 4, 0 (rows interleaved, sample 1's backwards). On the union grid
    /// 0, 0.5, …, 2.5, sample 0 interpolates to 0, 1, 2, 1, 0, 0 (0 past its grid) and sample 1 to
    /// 0, 4, 4, 4, 2, 0 (0 before its grid): the mean is 0, 2.5, 3, 2.5, 1, 0.
    func testDensityMeanIsTakenOnACommonGrid() throws {
        let csv = "sample,lambda,density\n0,0,0\n1,2.5,0\n0,1,2\n1,1.5,4\n0,2,0\n1,0.5,4\n"
        let table = try DensityTable(csv: csv, source: "toy.csv")
        XCTAssertFalse(table.named)
        XCTAssertEqual(table.models.count, 1)
        XCTAssertEqual(table.models[0].curves, [.init(lambda: [0, 1, 2], density: [0, 2, 0]), .init(lambda: [0.5, 1.5, 2.5], density: [4, 4, 0])])
        let grid = table.commonGrid()
        XCTAssertEqual(grid, [0, 0.5, 1, 1.5, 2, 2.5])
        let mean = DensityTable.mean(of: table.models[0].curves, on: grid)
        assertMaxError(mean, [0, 2.5, 3, 2.5, 1, 0], within: 1e-12, "\(mean)")
        XCTAssertEqual(table.meansCSV(), "lambda,density\n0,0\n0.5,2.5\n1,3\n1.5,2.5\n2,1\n2.5,0\n")

        // Between grid points a sample interpolates linearly; past the limit the grid is even.
        XCTAssertEqual(DensityTable.mean(of: table.models[0].curves, on: [0.25, 2.25]), [(0.5 + 0) / 2, (0 + 1) / 2])
        XCTAssertEqual(table.commonGrid(limit: 3), [0, 1.25, 2.5])
    }

    /// With a column model each model's mean is over its own samples, on the grid shared by all.
    func testDensityMeanPerModel() throws {
        let csv = "model,sample,lambda,density\na,0,0,2\na,0,1,2\nb,0,1,6\nb,0,2,6\nb,1,1,0\nb,1,2,2\n"
        let table = try DensityTable(csv: csv, source: "models.csv")
        XCTAssertTrue(table.named)
        XCTAssertEqual(table.models.map(\.name), ["a", "b"])
        XCTAssertEqual(table.meansCSV(), "model,lambda,density\na,0,2\na,1,2\na,2,0\nb,0,0\nb,1,3\nb,2,4\n")
        XCTAssertThrowsError(try DensityTable(csv: "sample,lambda,density\n0,x,1\n", source: "bad.csv")) { error in
            XCTAssertTrue("\(error)".contains("bad.csv, line 2"), "\(error)")
        }
    }

    /// `curvature density` without --lambda-min/--lambda-max: every sample on its own grid. The
    /// figure draws, and the mean file it passes to gnuplot is removed afterwards.
    func testPlotDensityDrawsSamplesOnGridsOfTheirOwn() throws {
        var rows = ["sample,lambda,density"]
        for sample in 0..<3 {
            let centre = Double(sample) * 0.3, width = 0.01 * Double(sample + 1)
            for step in 0..<50 {
                let lambda = centre - 4 * width + 8 * width * Double(step) / 49
                rows.append("\(sample),\(lambda),\(exp(-(lambda - centre) * (lambda - centre) / (2 * width * width)) / width)")
            }
        }
        try write(rows, to: "density.csv")
        // Each sample on its own grid, and their mean on the union of the grids, as DensityTable takes it.
        let table = try DensityTable(csv: rows.joined(separator: "\n") + "\n", source: "density.csv")
        let grid = table.commonGrid(), mean = DensityTable.mean(of: table.models[0].curves, on: grid)
        for logY in [false, true] {
            let (status, messages, series) = try plotted(["density", "--input", "density.csv", "--output", "density.png"] + (logY ? ["--log-y"] : []))
            XCTAssertEqual(status, 0, messages)
            XCTAssertEqual(messages, "", "no notes expected")
            XCTAssertEqual(try pngSize("density.png").0, 900)
            XCTAssertEqual(series.count, 3 + 1, "logy \(logY): three samples and the mean")
            guard series.count == 4 else { continue }
            for sample in 0..<3 { XCTAssertEqual(series[sample].points.count, 50, "logy \(logY): sample \(sample)") }
            XCTAssertTrue(PlottedSeries.close(series[3].column(0), grid), "logy \(logY): the common grid")
            XCTAssertTrue(PlottedSeries.close(series[3].column(1), densityAsDrawn(mean, logY: logY, peak: mean.max()!)),
                          "logy \(logY): the mean \(series[3].column(1)), expected \(mean)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix(".") }, [], "temporary files left behind")
    }

    // MARK: Images: the files beside images.csv

    private func writeImages(panels: Int) throws {
        var rows = ["panel,row,col,value"]
        for panel in 0..<panels {
            for row in 0..<8 { for col in 0..<8 { rows.append("\(panel),\(row),\(col),\(Double((row + col + panel) % 5) / 4)") } }
        }
        try write(rows, to: "images.csv")
    }

    func testImageFigureFilesAreReadBesideTheInput() throws {
        try writeImages(panels: 3)
        let input = directory.appendingPathComponent("images.csv").path
        XCTAssertTrue(try imageFigureFiles(beside: input) == (nil, nil))
        try "label 7|normal δ→7|pgd δ→7\n".write(to: directory.appendingPathComponent("images.titles"), atomically: true, encoding: .utf8)
        try "1\n".write(to: directory.appendingPathComponent("images.columns"), atomically: true, encoding: .utf8)
        XCTAssertTrue(try imageFigureFiles(beside: input) == ("label 7|normal δ→7|pgd δ→7", 1))
        try "many\n".write(to: directory.appendingPathComponent("images.columns"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try imageFigureFiles(beside: input)) { XCTAssertTrue("\($0)".contains("images.columns"), "\($0)") }
    }

    /// images.columns 1 puts the 3 panels in one column (a figure taller than wide); images.titles
    /// adds a line of title above each row; --columns and --titles win over the files.
    func testPlotImagesUsesTheTitlesAndColumnsFiles() throws {
        try writeImages(panels: 3)
        var (status, messages) = try plot(["images", "--input", "images.csv", "--output", "bare.png"])
        XCTAssertEqual(status, 0, messages)
        let (bareWidth, bare) = try pngSize("bare.png")

        try "label 7|normal δ→7|pgd δ→7\n".write(to: directory.appendingPathComponent("images.titles"), atomically: true, encoding: .utf8)
        (status, messages) = try plot(["images", "--input", "images.csv", "--output", "titled.png"])
        XCTAssertEqual(status, 0, messages)
        XCTAssertGreaterThan(try pngSize("titled.png").1, bare, "no room made for the titles of images.titles")

        try "1\n".write(to: directory.appendingPathComponent("images.columns"), atomically: true, encoding: .utf8)
        (status, messages) = try plot(["images", "--input", "images.csv", "--output", "column.png"])
        XCTAssertEqual(status, 0, messages)
        XCTAssertGreaterThan(try pngSize("column.png").1, 2 * bare, "the panels are not in the one column of images.columns")
        XCTAssertEqual(bareWidth, 900)

        (status, messages) = try plot(["images", "--input", "images.csv", "--output", "given.png", "--columns", "3", "--titles", ""])
        XCTAssertEqual(status, 0, messages)
        XCTAssertEqual(try pngSize("given.png").1, bare, "--columns and --titles do not win over the files")
    }

    // MARK: Section: the marks and the meta beside section.csv

    private let section = SectionFixture([.init("normal", distance: 0.3, curvature: 2), .init("pgd", distance: 0.9, curvature: 0.5)], side: 15)

    private func writeSection() throws {
        try write(section.rows, to: "section.csv")
        try write(section.marks, to: "section.marks.csv")
    }

    /// A panel per model, each with its class map, boundary, x and x_b, all drawn; the grids' file is removed.
    func testPlotSectionDrawsEachModelWithItsMarks() throws {
        try writeSection()
        try write([#"{"settings": {"sample": "3", "data": "fashion-mnist", "split": "test", "direction": "principal"}}"#], to: "section.csv.meta.json")
        let (status, messages, series) = try plotted(["section", "--input", "section.csv", "--output", "section.png"])
        XCTAssertEqual(status, 0, messages)
        XCTAssertEqual(messages, "", "no notes expected")
        let (width, height) = try pngSize("section.png")
        XCTAssertTrue(width >= 900 && height < width, "two panels side by side: \(width) × \(height)")
        XCTAssertEqual(section.problems(in: series), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix(".") }, [], "temporary files left behind")
    }

    /// The b axis's direction and a title naming the sample come from section.csv.meta.json, if there is one.
    func testSectionFigureFilesAreReadBesideTheInput() throws {
        try writeSection()
        let input = directory.appendingPathComponent("section.csv").path
        var files = try sectionFigureFiles(beside: input)
        XCTAssertEqual(files.marks, directory.appendingPathComponent("section.marks.csv").path)
        XCTAssertNil(files.direction)
        XCTAssertNil(files.title)
        try write([#"{"settings": {"sample": "3", "data": "fashion-mnist", "split": "test", "direction": "gradient"}}"#], to: "section.csv.meta.json")
        files = try sectionFigureFiles(beside: input)
        XCTAssertEqual(files.direction, "gradient")
        XCTAssertEqual(files.title, "Predicted class in the plane through sample 3 of fashion-mnist (test)")
    }

    /// Without the marks, or without a column of either file, nothing is drawn: one line naming the file and the column.
    func testPlotSectionRefusesAMissingMarksFileOrColumn() throws {
        try requireGnuplot()
        let arguments = ["plot", "section", "--input", "section.csv", "--output", "section.png"]
        try write(section.rows, to: "section.csv")
        try assertRefused(arguments, status: 1, message: "section.marks.csv: no such file")
        try write(section.marks.map { $0.split(separator: ",").dropLast().joined(separator: ",") }, to: "section.marks.csv")
        try assertRefused(arguments, status: 1, message: "section.marks.csv has no column 'b' for the section figure")
        try write(section.marks, to: "section.marks.csv")
        try write(section.rows.map { $0.split(separator: ",").dropLast().joined(separator: ",") }, to: "section.csv")
        try assertRefused(arguments, status: 1, message: "section.csv has no column 'margin' for the section figure")
    }

    // MARK: Long titles

    func testWrappedBreaksAtSpacesIntoLinesThatFit() {
        let title = "Input-Hessian eigenvalue profile of three small convolutional networks, normal, PGD-trained and CURE-trained, "
            + "on Fashion-MNIST (1000 test images, Lanczos with 40 steps) and a_word_much_longer_than_a_line_of_twenty"
        let lines = wrapped(title, width: 20)
        XCTAssertTrue(lines.allSatisfy { $0.count <= 20 }, "\(lines)")
        XCTAssertGreaterThan(lines.count, 5)
        XCTAssertEqual(lines.joined(separator: " ").replacingOccurrences(of: " ", with: ""), title.replacingOccurrences(of: " ", with: ""))
        XCTAssertEqual(lines.first, "Input-Hessian")
        XCTAssertEqual(wrapped("short title", width: 80), ["short title"])
        XCTAssertEqual(wrapped("", width: 80), [""])
    }

    /// A title of 400 characters draws, on several lines, for every figure.
    func testALongTitleDraws() throws {
        let title = Array(repeating: "a long title that goes on", count: 16).joined(separator: " ")
        XCTAssertGreaterThan(title.count, 400)
        try write(["model,rank,mean,median,p10,p90,samples", "a,1,2,2,1,3,10", "a,2,1,1,0.5,2,10"], to: "profile.csv")
        try writeImages(panels: 2)
        for (kind, input) in [("profile", "profile.csv"), ("images", "images.csv")] {
            let (status, messages) = try plot([kind, "--input", input, "--output", "\(kind).png", "--title", title])
            XCTAssertEqual(status, 0, "\(kind): \(messages)")
            XCTAssertEqual(try pngSize("\(kind).png").0, 900)
        }
    }
}
