import ArgumentParser

@main
struct CurvatureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "curvature",
        abstract: "Eigenvalues of the input Hessian of classifiers: how curved their decision boundaries are.",
        version: curvatureVersion,
        subcommands: [Bench.self])
}

let curvatureVersion = "0.1.0"
