import Foundation
import Tensors

/// A whole classifier, whatever it was built from: a ``Sequential`` (built-in or architecture
/// JSON) or an imported graph. Everything above NN (spectra, attacks, training, the CLI) works
/// with this protocol, so an ONNX model goes wherever a built-in one does.
public protocol Network: Layer {
    /// One sample's input shape, e.g. [3, 32, 32].
    var inputShape: [Int] { get }
    /// Number of classes: the size of one sample's output.
    var outputCount: Int { get }
    /// The element type of the weights.
    var dtype: DType { get }
    /// Whether every nonlinearity is piecewise linear (then the exact input Hessian of the loss is
    /// its Gauss–Newton part, of rank ≤ classes − 1).
    var isPiecewiseLinear: Bool { get }
    /// Identifies the structure, not the weights: a checkpoint resumes only the same structure.
    var structureFingerprint: String { get }
    /// Copies tensors into the parameters by name, checking shapes; missing and unexpected names are errors.
    func loadState(_ file: SafetensorsFile, source: String) throws
    /// Writes the network in its own format, atomically.
    func save(to url: URL, metadata: [String: String]) throws
    /// The file extension ``save(to:metadata:)`` writes.
    var fileExtension: String { get }
    /// One row per layer or graph node, for `curvature inspect`.
    var summary: NetworkSummary { get }
}

extension Network {
    /// The trainable parameters, for optimisers.
    public var trainableParameters: [Parameter] { namedParameters.map(\.parameter).filter(\.isTrainable) }

    /// The number of values in all parameters and buffers.
    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.parameter.value.count } }
}

/// What `curvature inspect` prints about a network.
public struct NetworkSummary: Sendable {
    public struct Row: Sendable {
        public var name: String
        public var kind: String
        /// One sample's output shape.
        public var outputShape: [Int]
        public var parameters: Int
        public init(name: String, kind: String, outputShape: [Int], parameters: Int) {
            (self.name, self.kind, self.outputShape, self.parameters) = (name, kind, outputShape, parameters)
        }
    }

    public var format: String
    public var inputShape: [Int]
    public var rows: [Row]
    /// Nonlinearities by name (`relu`, `softplus(β=10)`, …), in order of first use.
    public var activations: [String]
    public var isPiecewiseLinear: Bool
    /// Lines worth a reader's attention (folded shape chains, a dropped Softmax, …).
    public var notes: [String]

    public init(format: String, inputShape: [Int], rows: [Row], activations: [String], isPiecewiseLinear: Bool, notes: [String] = []) {
        (self.format, self.inputShape, self.rows) = (format, inputShape, rows)
        (self.activations, self.isPiecewiseLinear, self.notes) = (activations, isPiecewiseLinear, notes)
    }
}
