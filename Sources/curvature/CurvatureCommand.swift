import ArgumentParser
import Foundation

@main
struct CurvatureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "curvature",
        abstract: "Eigenvalues of the input Hessian of classifiers: how curved their decision boundaries are.",
        version: curvatureVersion,
        subcommands: [Train.self, Eval.self, Attack.self, Spectrum.self, Density.self, Trace.self, Merge.self, Compare.self, Demo.self, Bench.self, Plot.self])

    /// Exit status: 0 success, 1 bad input or failure, 2 usage error, 130/143 interrupted.
    static func main() {
        Interruption.install()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

let curvatureVersion = "0.2.0"
