import ArgumentParser
import Curvature
import Foundation

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a model: input shape, layers or graph nodes with their output shapes and parameters, activations, and whether its exact input Hessian is Gauss–Newton only.",
        discussion: """
            Reads .safetensors (the architecture from its metadata or --arch) and ONNX files. \
            A network whose nonlinearities are all piecewise linear (ReLU, max-pool, …) has an \
            exact input Hessian of the loss equal to its Gauss–Newton part, of rank ≤ classes − 1; \
            spectrum then takes the fast exact route.

            Examples:
              curvature inspect Data/models/fmnist-cnn-small-standard.safetensors
              curvature inspect Data/models/fmnist-cnn-small-softplus-cure.safetensors
            """)

    @Argument(help: "The model file (.safetensors or .onnx).")
    var model: String

    @Option(help: "Architecture for a safetensors file without one in its metadata: a built-in name (\(BuiltinArchitecture.names.joined(separator: ", "))) or a JSON file.")
    var arch: String?

    func validate() throws {
        try InputPath.checkFile(model, option: "model")
        if let arch { try checkArchitectureName(arch) }
    }

    func run() throws {
        let network = try NetworkFile.load(model, architecture: try arch.map(loadArchitecture))
        let summary = network.summary
        print("\(model): \(summary.format)")
        print("input: \(Shape.describe(summary.inputShape)) → \(network.outputCount) classes; \(formatCount(network.parameterCount)) parameter values (\(formatCount(network.trainableParameters.reduce(0) { $0 + $1.value.count })) trainable)")
        let nameWidth = min(max(summary.rows.map(\.name.count).max() ?? 4, 4), 36)
        let kindWidth = min(max(summary.rows.map(\.kind.count).max() ?? 4, 4), 28)
        print("  " + pad("name", nameWidth) + "  " + pad("kind", kindWidth) + "  " + pad("output", 14) + "  parameters")
        for row in summary.rows {
            print("  " + pad(row.name, nameWidth) + "  " + pad(row.kind, kindWidth) + "  " + pad(Shape.describe(row.outputShape), 14)
                  + "  " + (row.parameters > 0 ? formatCount(row.parameters) : "—"))
        }
        print("activations: \(summary.activations.isEmpty ? "none (a linear model)" : summary.activations.joined(separator: ", "))")
        print(summary.isPiecewiseLinear
              ? "exact input Hessian: Gauss–Newton only (piecewise-linear network; rank ≤ \(max(network.outputCount - 1, 0)), spectrum takes the fast exact route)"
              : "exact input Hessian: Gauss–Newton + residual (smooth nonlinearities; --part splits them)")
        for note in summary.notes { print("note: \(note)") }
    }

    /// `text` cut or padded to `width` columns, so one row stays one line.
    private func pad(_ text: String, _ width: Int) -> String {
        text.count > width ? String(text.prefix(width - 1)) + "…" : text.padding(toLength: width, withPad: " ", startingAt: 0)
    }

    private func formatCount(_ n: Int) -> String {
        let digits = String(n)
        var grouped = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { grouped.append(",") }
            grouped.append(c)
        }
        return String(grouped.reversed())
    }
}
