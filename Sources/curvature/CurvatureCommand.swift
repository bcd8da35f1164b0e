import ArgumentParser
import Curvature
import Foundation

@main
struct CurvatureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "curvature",
        abstract: "Eigenvalues of the input Hessian of classifiers: how curved their decision boundaries are.",
        discussion: """
            Examples:
              curvature spectrum \\
                --model Data/models/mnist5k-cnn-small-standard.safetensors \\
                --data mnist5k --samples 20 --out spectrum.csv
              curvature demo --samples 20 --out-dir demo-quick
            """,
        version: curvatureVersion,
        subcommands: [Train.self, Eval.self, Attack.self, Spectrum.self, Boundary.self, Section.self, Density.self, Trace.self, Merge.self, Compare.self, Demo.self, Bench.self, Plot.self, Inspect.self])

    /// Exit status: 0 success, 1 bad input or failure, 2 usage error, 130/143 interrupted.
    static func main() {
        RequiredCPU.check()  // before any kernel compiled for AVX2 runs
        BLASKernels.selectOnce()
        Interruption.install()
        // A first word that names no subcommand is called what it is, not an "unexpected argument".
        var names: [String] = []
        for subcommand in configuration.subcommands { names.append(subcommand._commandName) }
        if CommandLine.arguments.count > 1 {
            let first = CommandLine.arguments[1]
            if !first.hasPrefix("-"), first != "help", !names.contains(first) {
                let message = "curvature: unknown subcommand '\(first)'; the subcommands are \(names.joined(separator: ", ")) (curvature --help)\n"
                FileHandle.standardError.write(Data(message.utf8))
                Foundation.exit(2)
            }
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let error = inCommandLineTerms(error)
            let code = exitCode(for: error)
            if code == .validationFailure {
                // One line: what is wrong, with its value, and where the help is.
                let command = CommandLine.arguments.count > 1 && names.contains(CommandLine.arguments[1]) ? "curvature \(CommandLine.arguments[1])" : "curvature"
                FileHandle.standardError.write(Data("\(command): \(message(for: error)) (see \(command) --help)\n".utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

let curvatureVersion = "0.2.0"
