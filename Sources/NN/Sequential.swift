import Autodiff
import Tensors

/// Layers applied in order, named "0", "1", … as in PyTorch's `nn.Sequential`.
public final class Sequential: Layer {
    public let layers: [Layer]
    /// One sample's input shape.
    public let inputShape: [Int]

    /// Builds the network an architecture describes, with fresh weights from `factory`.
    public init(_ architecture: Architecture, factory: inout ParameterFactory) throws {
        try architecture.validate()
        inputShape = architecture.input
        var made: [Layer] = []
        for (index, spec) in architecture.layers.enumerated() {
            made.append(try Self.makeLayer(spec, factory: &factory, seed: UInt64(index)))
        }
        layers = made
    }

    /// Builds an architecture with weights drawn from `seed`.
    public convenience init(_ architecture: Architecture, dtype: DType = .float32,
                            initialization: Initialization = .pytorch, seed: UInt64 = 0) throws {
        var factory = ParameterFactory(dtype: dtype, initialization: initialization, seed: seed)
        try self.init(architecture, factory: &factory)
    }

    public func callAsFunction(_ input: Variable) -> Variable {
        layers.reduce(input) { $1($0) }
    }

    public var architecture: Architecture { Architecture(input: inputShape, layers: layers.map(\.spec)) }
    public var spec: LayerSpec { LayerSpec(type: "sequential") }

    public func outputShape(for input: [Int]) throws -> [Int] { try architecture.outputShape(for: input) }

    public var isTraining: Bool {
        get { layers.contains { $0.isTraining } }
        set { for layer in layers { layer.isTraining = newValue } }
    }

    public var namedParameters: [(name: String, parameter: Parameter)] {
        layers.enumerated().flatMap { index, layer in
            layer.namedParameters.map { (name: "\(index).\($0.name)", parameter: $0.parameter) }
        }
    }

    /// The element type of the weights (Float32 unless built or loaded as Float64).
    public var dtype: DType { namedParameters.first?.parameter.value.dtype ?? .float32 }

    /// The trainable parameters, for optimisers.
    public var trainableParameters: [Parameter] { namedParameters.map(\.parameter).filter(\.isTrainable) }

    /// Number of classes: the size of the output.
    public var outputCount: Int { ((try? outputShape(for: inputShape)) ?? [0]).reduce(1, *) }

    /// Whether every activation is piecewise linear (then the exact input Hessian has rank ≤ classes − 1).
    public var isPiecewiseLinear: Bool {
        !layers.contains { layer in
            if let activation = layer as? Activation { return !activation.isPiecewiseLinear }
            if let block = layer as? ResidualBlock { return !block.activation.isPiecewiseLinear }
            return false
        }
    }

    static func makeLayer(_ spec: LayerSpec, factory: inout ParameterFactory, seed: UInt64) throws -> Layer {
        try spec.checkFields()
        switch spec.type {
        case "linear":
            return Linear(inputs: spec.in!, outputs: spec.out!, bias: spec.bias ?? true, factory: &factory)
        case "conv2d":
            return Conv2d(inputs: spec.in!, outputs: spec.out!, kernel: spec.kernel!, stride: spec.stride ?? 1,
                          padding: spec.padding ?? 0, bias: spec.bias ?? true, factory: &factory)
        case "maxpool2d", "avgpool2d": return Pool2d(Pool2d.Kind(rawValue: spec.type)!, kernel: spec.kernel!, stride: spec.stride)
        case "flatten": return Flatten()
        case "relu": return Activation(.relu)
        case "tanh": return Activation(.tanh)
        case "sigmoid": return Activation(.sigmoid)
        case "softplus": return Activation(.softplus(beta: spec.beta ?? 1, threshold: spec.threshold ?? 20))
        case "elu": return Activation(.elu(alpha: spec.alpha ?? 1))
        case "gelu": return Activation(.gelu(GELUApproximation(rawValue: spec.approximate ?? "none") ?? .none))
        case "batchnorm1d", "batchnorm2d":
            return BatchNorm(features: spec.features!, spatial: spec.type == "batchnorm2d", epsilon: spec.eps ?? 1e-5,
                             momentum: spec.momentum ?? 0.1, dtype: factory.dtype)
        case "dropout": return Dropout(probability: spec.p ?? 0.5, seed: seed)
        case "residual":
            let activation: Activation.Kind = spec.activation == "softplus"
                ? .softplus(beta: spec.beta ?? 1, threshold: spec.threshold ?? 20) : .relu
            return ResidualBlock(inputs: spec.in!, outputs: spec.out!, stride: spec.stride ?? 1, activation: activation,
                                 factory: &factory)
        default:
            throw ModelError("unknown layer type \"\(spec.type)\"")
        }
    }
}
