import ArgumentParser
import Foundation

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw a figure from a CSV with gnuplot.",
        discussion: """
            KIND and the CSV header it reads (columns in any order, extra columns ignored):
              profile        model,rank,mean,median,p10,p90,samples
              spectrum       sample,label,predicted,rank,eigenvalue,residual
              top-histogram  model,sample,label,predicted,rank,eigenvalue,residual
              density        [model,]sample,lambda,density
              accuracy       model,attack,epsilon,accuracy
              images         panel,row,col,value

            --log-x (top-histogram) and --log-y (profile) draw eigenvalues on a logarithmic axis, \
            for models whose eigenvalues differ by orders of magnitude; values ≤ 0 are then left out, \
            with a note on stderr saying how many. --log-y (density) draws the density on a \
            logarithmic axis from 10⁻⁶ × the largest mean density up, so that the tails beside the \
            spike at λ ≈ 0 show; lower densities leave through the bottom of the figure.

            density with a column model (model,sample,lambda,density: the CSVs of several models, \
            each row prefixed with its model's name) draws one mean curve per model, named in the \
            legend, to compare models on one axis.

            The PNG is rendered next to --output and renamed into place, so a failed run leaves no \
            file behind. The scripts are resources of curvature (gnuplot/KIND.gp) and also run on \
            their own:
              gnuplot -e "input='profile.csv'; output='profile.png'" profile.gp
              gnuplot -e "input='profile.csv'; output='profile.png'; logy=1" profile.gp
              gnuplot -e "input='density.csv'; output='density.png'; logy=1" density.gp
            """)

    @Argument(help: "The figure to draw.")
    var kind: PlotKind

    @Option(help: "The CSV to plot.")
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
    }

    func run() throws {
        try checkHeader(of: input, for: kind)
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
        let temporary = folder.appendingPathComponent(
            ".\(target.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(UInt32.random(in: 0...UInt32.max)).tmp")
        var variables = [("input", gnuplotString(input)), ("output", gnuplotString(temporary.path))]
        if let title { variables.append(("title", gnuplotString(title))) }
        if let titles { variables.append(("titles", gnuplotString(titles))) }
        if let columns { variables.append(("columns", String(columns))) }
        if let palette { variables.append(("palette", gnuplotString(palette.rawValue))) }
        if logX { variables.append(("logx", "1")) }
        if logY { variables.append(("logy", "1")) }
        let assignments = variables.map { "\($0.0)=\($0.1)" }.joined(separator: "; ")

        let (status, messages) = try runProcess(gnuplot, arguments: ["-e", assignments, script.path])
        if Interruption.requested {
            try? FileManager.default.removeItem(at: temporary)
            exitInterrupted("interrupted; \(output) left as it was")
        }
        guard status == 0, isPNG(temporary) else {
            try? FileManager.default.removeItem(at: temporary)
            let detail = messages.trimmingCharacters(in: .whitespacesAndNewlines)
            throw InputError("gnuplot failed on \(script.lastPathComponent) with \(input) (exit status \(status))"
                + (detail.isEmpty ? "" : ":\n\(detail)"))
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

    /// The header written by the command that makes this CSV. The density figure also takes a
    /// leading column model (several models' CSVs, concatenated), which it does not require.
    var expectedHeader: [String] {
        switch self {
        case .profile: return ["model", "rank", "mean", "median", "p10", "p90", "samples"]
        case .spectrum: return ["sample", "label", "predicted", "rank", "eigenvalue", "residual"]
        case .topHistogram: return ["model", "sample", "label", "predicted", "rank", "eigenvalue", "residual"]
        case .density: return ["sample", "lambda", "density"]
        case .accuracy: return ["model", "attack", "epsilon", "accuracy"]
        case .images: return ["panel", "row", "col", "value"]
        }
    }

    /// The columns the script reads, by name.
    var requiredColumns: [String] {
        switch self {
        case .profile: return ["model", "rank", "median", "p10", "p90"]
        case .spectrum: return ["sample", "label", "predicted", "rank", "eigenvalue"]
        case .topHistogram: return ["model", "rank", "eigenvalue"]
        case .density: return ["sample", "lambda", "density"]
        case .accuracy, .images: return expectedHeader
        }
    }
}

/// Checks that `path` is a readable CSV whose header holds every column `kind` needs, followed by
/// at least one data row; reads only the start of the file.
private func checkHeader(of path: String, for kind: PlotKind) throws {
    var expected = kind.expectedHeader.joined(separator: ",")
    if kind == .density { expected += " (or model,\(expected) for several models)" }
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
    if let missing = kind.requiredColumns.first(where: { !header.contains($0) }) {
        throw InputError("\(path) has no column '\(missing)' for the \(kind.rawValue) figure; expected header \(expected)")
    }
    let rest = lines.count > 1 ? lines[1] : ""
    guard rest.contains(where: { !$0.isWhitespace }) else {
        throw InputError("\(path) has a header but no data rows")
    }
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
