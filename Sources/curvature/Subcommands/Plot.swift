import ArgumentParser
import Curvature
import Foundation

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw a figure from a CSV with gnuplot.",
        discussion: """
            KIND, the CSV it reads and the commands that write it (columns are found by name, in any \
            order; extra columns are ignored; [model,] is a column that may be left out):
              profile         model,rank,mean,median,p10,p90,samples
                              written by compare (profile.csv)
              spectrum,       [model,]sample,label,predicted,rank,eigenvalue,residual
              top-histogram   written by spectrum and merge; by compare (spectra.csv)
              density         [model,]sample,lambda,density
                              written by density
              accuracy        [model,]attack,epsilon,accuracy
                              written by eval; by compare (eval.csv)
              images          panel,row,col,value
                              written by compare (images.csv; images.titles and
                              images.columns beside it)
              section         model,a,b,predicted,margin
                              written by section (F.csv; F.marks.csv beside it); by compare
                              --boundary (section.csv)
              boundary-profile  model,rank,mean,median,p10,p90,samples
                              written by compare --boundary (boundary-profile.csv)

            With a column model (compare's CSVs, or the CSVs of several models concatenated with each \
            row prefixed by its model's name) the figure has one colour per model, named in the \
            legend; without one the whole file is one model.

            --log-x (top-histogram) and --log-y (profile) draw eigenvalues on a logarithmic axis, \
            for models whose eigenvalues differ by orders of magnitude; values ≤ 0 are then left out, \
            with a note on stderr saying how many. --log-y (density) draws the density on a \
            logarithmic axis from 10⁻⁶ × the largest mean density up, so that the tails beside the \
            spike at λ ≈ 0 show; lower densities leave through the bottom of the figure.

            density draws the mean density over samples on one common grid of λ: each sample's density \
            (on its own grid, as `curvature density` writes it without --lambda-min/--lambda-max) is \
            interpolated linearly onto the union of all samples' grids (or, past 20000 points, an even \
            grid over the same span), 0 outside the sample's own grid, and averaged (per model, with a \
            column model).

            boundary-profile draws the boundary's principal curvatures by rank: the largest in one \
            panel and, when the file also has the smallest (ranks past a gap), those in a second.

            section draws one panel per model: the predicted class over the plane through the sample x, \
            the boundary of x's class (margin 0), x and its nearest boundary point x_b from the marks \
            file beside the input (F.marks.csv for F.csv), all to one scale in the image's units. The \
            label of the b axis and the default title come from F.csv.meta.json, if there is one.

            images reads the panel titles and the panels per row from the files beside its input that \
            `curvature compare` writes (images.titles, separated by |, and images.columns for \
            images.csv), unless --titles or --columns is given. A long --title wraps onto several lines.

            The PNG is rendered next to --output and renamed into place, so a failed run leaves no \
            file behind. The scripts are resources of curvature (gnuplot/KIND.gp) and also run on \
            their own (density.gp then needs all samples on one grid, or the means in a CSV mean='…'):
              gnuplot -e "input='profile.csv'; output='profile.png'" profile.gp
              gnuplot -e "input='profile.csv'; output='profile.png'; logy=1" profile.gp
              gnuplot -e "input='density.csv'; output='density.png'; logy=1" density.gp

            Examples:
              curvature plot top-histogram --input spectrum.csv --output top.png --log-x
              curvature plot section --input section.csv --output section.png
              curvature plot accuracy --input robust.csv --output accuracy.png \\
                --title "PGD-20 accuracy against ε"
            """)

    @Argument(help: "The figure to draw (see the table above for the CSV each reads).")
    var kind: PlotKind

    @Option(help: "The CSV to plot (the producer's file, see above).")
    var input: String

    @Option(help: "The PNG to write; an existing file is replaced.")
    var output: String

    @Option(help: "A title above the figure.")
    var title: String?

    @Option(help: "images: panel titles in panel order, separated by | (e.g. 'clean|perturbation|adversarial').")
    var titles: String?

    @Option(help: "images: panels per row of the figure (default 4).")
    var columns: Int?

    @Option(help: "images: auto (diverging for panels with negative values, grey otherwise), grey or diverging.")
    var palette: Palette?

    @Flag(name: .customLong("log-x"), help: "top-histogram: bins of equal width in log10 and a logarithmic axis.")
    var logX = false

    @Flag(name: .customLong("log-y"), help: """
        profile: logarithmic eigenvalue axis; non-positive medians are left out. density: logarithmic \
        density axis from 10⁻⁶ × the largest mean density up.
        """)
    var logY = false

    func validate() throws {
        if kind != .images {
            for (name, given) in [("--titles", titles != nil), ("--columns", columns != nil), ("--palette", palette != nil)] where given {
                throw ValidationError("\(name) applies only to 'curvature plot images'")
            }
        }
        if logX && kind != .topHistogram { throw ValidationError("--log-x applies only to 'curvature plot top-histogram'") }
        if logY && ![.profile, .density].contains(kind) {
            throw ValidationError("--log-y applies only to 'curvature plot profile' and 'curvature plot density'")
        }
        if let columns, columns < 1 { throw ValidationError("--columns must be ≥ 1, got \(columns)") }
        for (name, value) in [("--input", input), ("--output", output), ("--title", title), ("--titles", titles)] {
            if let value, value.contains(where: \.isNewline) { throw ValidationError("\(name) must be a single line") }
        }
        if input.isEmpty { throw ValidationError("--input must name a CSV file") }
        if output.isEmpty { throw ValidationError("--output must name a PNG file") }
        try OutputPath.checkFile(output, option: "--output")
    }

    func run() throws {
        try checkHeader(of: input, for: kind)
        let section = kind == .section ? try sectionFigureFiles(beside: input) : nil
        let target = URL(fileURLWithPath: output)
        let folder = target.deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw InputError("cannot write \(output): the folder \(folder.path) does not exist")
        }
        guard let gnuplot = executableOnPath("gnuplot") else {
            throw InputError("gnuplot not found: apt-get install gnuplot-nox")
        }
        guard let script = Bundle.module.url(forResource: kind.rawValue, withExtension: "gp", subdirectory: "gnuplot") else {
            throw InputError("the script gnuplot/\(kind.rawValue).gp is missing from the resources of curvature")
        }

        // Render next to the output, then rename: the output is either the old file or the whole new one.
        let stem = ".\(target.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(UInt32.random(in: 0...UInt32.max))"
        let temporary = folder.appendingPathComponent(stem + ".tmp")
        var variables = [("input", gnuplotString(input)), ("output", gnuplotString(temporary.path))]
        if let title = title ?? section?.title { variables.append(("title", gnuplotLines(wrapped(title, width: Self.titleWidth)))) }
        var (titles, columns) = (titles, columns)
        if kind == .images {
            let beside = try imageFigureFiles(beside: input)
            titles = titles ?? beside.titles
            columns = columns ?? beside.columns
        }
        if let titles { variables.append(("titles", gnuplotString(titles))) }
        if let columns { variables.append(("columns", String(columns))) }
        // density: the mean of each model's samples on one common grid, for density.gp to draw.
        var means: URL?
        defer { if let means { try? FileManager.default.removeItem(at: means) } }
        if kind == .density {
            let file = folder.appendingPathComponent(stem + ".mean.csv")
            means = file
            do {
                try DensityTable(csvAt: input).meansCSV().write(to: file, atomically: false, encoding: .utf8)
            } catch let error as InputError {
                throw error
            } catch {
                throw InputError("cannot write \(file.path): \(fileProblem(error, path: file.path))")
            }
            variables.append(("mean", gnuplotString(file.path)))
        }
        // section: the marks, and a file for the grids as gnuplot's contours need them.
        var grids: URL?
        defer { if let grids { try? FileManager.default.removeItem(at: grids) } }
        if let section {
            grids = folder.appendingPathComponent(stem + ".grid")
            variables += [("marks", gnuplotString(section.marks)), ("scratch", gnuplotString(grids!.path))]
            if let direction = section.direction { variables.append(("direction", gnuplotString(direction))) }
        }
        if let palette { variables.append(("palette", gnuplotString(palette.rawValue))) }
        if logX { variables.append(("logx", "1")) }
        if logY { variables.append(("logy", "1")) }
        // Test hook, CURVATURE_TEST_PLOT_TABLE=FILE: the series drawn also go to FILE as text (gnuplot's
        // `set table`, with linear axes and plain numbers), for tests to check a figure's content.
        // Not for images, whose panels are a multiplot; section.gp writes each of its panels there itself.
        let table = ProcessInfo.processInfo.environment["CURVATURE_TEST_PLOT_TABLE"]
        if [.section, .boundaryProfile].contains(kind), let table { variables.append(("table", gnuplotString(table))) }
        let assignments = variables.map { "\($0.0)=\($0.1)" }.joined(separator: "; ")

        var arguments = ["-e", assignments, script.path]
        if let table, ![.images, .section, .boundaryProfile].contains(kind) {
            arguments += ["-e", "unset logscale; set format; set table \(gnuplotString(table)); replot; unset table"]
        }
        let (status, messages) = try runProcess(gnuplot, arguments: arguments)
        if Interruption.requested {
            try? FileManager.default.removeItem(at: temporary)
            if let means { try? FileManager.default.removeItem(at: means) }
            if let grids { try? FileManager.default.removeItem(at: grids) }
            exitInterrupted("interrupted; \(output) left as it was")
        }
        guard status == 0, isPNG(temporary) else {
            try? FileManager.default.removeItem(at: temporary)
            let detail = messages.trimmingCharacters(in: .whitespacesAndNewlines)
            throw InputError("gnuplot failed on \(script.lastPathComponent) with \(input) (exit status \(status))\(detail.isEmpty ? "" : ":\n\(detail)")")
        }
        guard rename(temporary.path, target.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw InputError("cannot write \(output): \(reason)")
        }
        // Warnings of a successful run, such as the values --log-x or --log-y left out.
        let notes = messages.trimmingCharacters(in: .whitespacesAndNewlines)
        if !notes.isEmpty { FileHandle.standardError.write(Data((notes + "\n").utf8)) }
    }
}

// MARK: - Figures and their inputs

/// `plot images --palette`.
enum Palette: String, CaseIterable, ExpressibleByArgument {
    case auto, grey, diverging
}

enum PlotKind: String, CaseIterable, ExpressibleByArgument {
    case profile
    case spectrum
    case topHistogram = "top-histogram"
    case density
    case accuracy
    case images
    case section
    case boundaryProfile = "boundary-profile"

    /// The header of the CSV this figure reads, for messages: that of the command writing it and,
    /// where the figure takes one, that with a leading column model (several models).
    var expectedHeader: String {
        switch self {
        case .profile, .boundaryProfile: return "model,rank,mean,median,p10,p90,samples"
        case .spectrum, .topHistogram:
            return "sample,label,predicted,rank,eigenvalue,residual (or model,sample,label,predicted,rank,eigenvalue,residual for several models)"
        case .density: return "sample,lambda,density (or model,sample,lambda,density for several models)"
        case .accuracy: return "attack,epsilon,samples,accuracy (or model,attack,epsilon,accuracy for several models)"
        case .images: return "panel,row,col,value"
        case .section: return "model,a,b,predicted,margin"
        }
    }

    /// The columns the script reads, by name; a column model is read where there is one.
    var requiredColumns: [String] {
        switch self {
        case .profile, .boundaryProfile: return ["model", "rank", "median", "p10", "p90"]
        case .spectrum: return ["sample", "label", "predicted", "rank", "eigenvalue"]
        case .topHistogram: return ["rank", "eigenvalue"]
        case .density: return ["sample", "lambda", "density"]
        case .accuracy: return ["attack", "epsilon", "accuracy"]
        case .images: return ["panel", "row", "col", "value"]
        case .section: return ["model", "a", "b", "predicted", "margin"]
        }
    }
}

/// Checks that `path` is a readable CSV whose header holds every column `kind` needs, followed by
/// at least one data row; reads only the start of the file.
private func checkHeader(of path: String, for kind: PlotKind) throws {
    try checkHeader(of: path, columns: kind.requiredColumns, expected: kind.expectedHeader, figure: kind.rawValue)
}

private func checkHeader(of path: String, columns: [String], expected: String, figure: String) throws {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
        throw InputError("cannot read \(path): no such file")
    }
    guard !isFolder.boolValue, let handle = FileHandle(forReadingAtPath: path) else {
        throw InputError("cannot read \(path): not a readable file")
    }
    defer { try? handle.close() }
    let start = (try? handle.read(upToCount: 1 << 16)) ?? Data()
    var text = String(decoding: start, as: UTF8.self)
    if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
    let lines = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
    let headerLine = lines.first.map(String.init) ?? ""
    guard !headerLine.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
        throw InputError("\(path) is empty; expected header \(expected)")
    }
    let header = headerLine.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }
    if let missing = columns.first(where: { !header.contains($0) }) {
        throw InputError("\(path) has no column '\(missing)' for the \(figure) figure; expected header \(expected)")
    }
    let rest = lines.count > 1 ? lines[1] : ""
    guard rest.contains(where: { !$0.isWhitespace }) else {
        throw InputError("\(path) has a header but no data rows")
    }
}

// MARK: - Titles and the files beside images.csv

extension Plot {
    /// The characters of a line of --title: a little less than fit across the 900-pixel figure at the title's font.
    static let titleWidth = 80
}

/// `text` in lines of at most `width` characters, broken at spaces; a word longer than a line is
/// broken inside. Runs of spaces count as one.
func wrapped(_ text: String, width: Int) -> [String] {
    precondition(width >= 1)
    var lines: [String] = [], line = ""
    for word in text.split(separator: " ", omittingEmptySubsequences: true) {
        var word = Substring(word)
        if !line.isEmpty, line.count + 1 + word.count <= width {
            line += " " + word
            continue
        }
        if !line.isEmpty { lines.append(line) }
        while word.count > width {
            lines.append(String(word.prefix(width)))
            word = word.dropFirst(width)
        }
        line = String(word)
    }
    if !line.isEmpty || lines.isEmpty { lines.append(line) }
    return lines
}

/// Lines as one gnuplot string expression: single-quoted literals joined by "\n".
private func gnuplotLines(_ lines: [String]) -> String {
    lines.map(gnuplotString).joined(separator: ".\"\\n\".")
}

/// The panel titles and the panels per row that `curvature compare` writes beside images.csv:
/// for X.csv the files X.titles (titles separated by |) and X.columns (one integer), each nil if
/// there is no such file.
func imageFigureFiles(beside input: String) throws -> (titles: String?, columns: Int?) {
    let stem = URL(fileURLWithPath: input).deletingPathExtension()
    func read(_ url: URL) throws -> String? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try String(contentsOf: url, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw InputError("cannot read \(url.path): \(fileProblem(error, path: url.path))")
        }
    }
    let titlesFile = stem.appendingPathExtension("titles"), columnsFile = stem.appendingPathExtension("columns")
    let titles = try read(titlesFile)
    if let titles, titles.contains(where: \.isNewline) {
        throw InputError("\(titlesFile.path) must hold one line of titles separated by |")
    }
    var columns: Int?
    if let text = try read(columnsFile) {
        guard let value = Int(text), value >= 1 else {
            throw InputError("\(columnsFile.path) must hold the panels per row, an integer ≥ 1, not '\(text.prefix(40))'")
        }
        columns = value
    }
    return (titles, columns)
}

// MARK: - The files beside section.csv

/// What `curvature section` writes beside its CSV X.csv: the marks X.marks.csv (required, its
/// header checked), and from X.csv.meta.json, if there is one, the direction of the b axis and a
/// title naming the sample.
func sectionFigureFiles(beside input: String) throws -> (marks: String, direction: String?, title: String?) {
    let marks = URL(fileURLWithPath: input).deletingPathExtension().appendingPathExtension("marks.csv").path
    guard FileManager.default.fileExists(atPath: marks) else {
        throw InputError("cannot read \(marks): no such file; the section figure needs the marks curvature section writes beside \(input)")
    }
    try checkHeader(of: marks, columns: ["model", "point", "a", "b"], expected: "model,point,a,b", figure: "section")
    let meta = (try? Data(contentsOf: URL(fileURLWithPath: input + ".meta.json")))
        .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
    let settings = meta?["settings"] as? [String: Any] ?? [:]
    let (sample, data, split) = (settings["sample"] as? String, settings["data"] as? String, settings["split"] as? String)
    let title = sample.map { "Predicted class in the plane through sample \($0)" + (data.map { " of \($0)" } ?? "") + (split.map { " (\($0))" } ?? "") }
    return (marks, settings["direction"] as? String, title)
}
// MARK: - Running gnuplot

/// A gnuplot single-quoted string literal: nothing is special inside but the quote, written twice.
private func gnuplotString(_ value: String) -> String {
    "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
}

/// The first executable called `name` in the folders of PATH.
private func executableOnPath(_ name: String) -> URL? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for folder in path.split(separator: ":") where !folder.isEmpty {
        let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    return nil
}

/// Runs `executable` to completion; returns its exit status and what it wrote to stderr.
/// Its stdout goes to our stderr, so the stdout of curvature stays clean.
private func runProcess(_ executable: URL, arguments: [String]) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.standardError
    process.standardInput = FileHandle.nullDevice
    do {
        try process.run()
    } catch {
        throw InputError("cannot run \(executable.path): \(error.localizedDescription)")
    }
    let data = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Whether the file at `url` exists and starts with the PNG signature.
private func isPNG(_ url: URL) -> Bool {
    guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
    defer { try? handle.close() }
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    return (try? handle.read(upToCount: 8)).map { [UInt8]($0) == signature } ?? false
}
