import Autodiff
import Tensors

/// Layers applied in order, named "0", "1", … as in PyTorch's `nn.Sequential`, or by the
/// architecture's `name` fields (`conv1`, `layer1.0`, …) for networks written as modules.
public final class Sequential: Network {
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
        specNames = architecture.layers.map(\.name)
        layerNames = architecture.layers.enumerated().map { $1.name ?? String($0) }
    }

    private let specNames: [String?]

    /// Builds an architecture with weights drawn from `seed`.
    public convenience init(_ architecture: Architecture, dtype: DType = .float32,
                            initialization: Initialization = .pytorch, seed: UInt64 = 0) throws {
        var factory = ParameterFactory(dtype: dtype, initialization: initialization, seed: seed)
        try self.init(architecture, factory: &factory)
    }

    public func callAsFunction(_ input: Variable) -> Variable {
        var x = input, index = 0
        while index < layers.count {
            if let conv = layers[index] as? Conv2d, index + 1 < layers.count, let norm = layers[index + 1] as? BatchNorm, norm.spatial {
                x = normalisedConvolution(conv, norm, x)
                index += 2
            } else if !GradientMode.isEnabled, index + 1 < layers.count, let activation = layers[index] as? Activation,
                      activation.commutesWithMax, let pool = layers[index + 1] as? Pool2d, pool.kind == .max {
                // Without a tape, max-pool first: a non-decreasing activation commutes with max, and
                // it then runs on a quarter of the values (softplus was a fifth of a forward pass).
                x = activation(pool(x))
                index += 2
            } else {
                x = layers[index](x)
                index += 1
            }
        }
        return x
    }

    /// Each layer's state-dict prefix: its spec's `name`, else its index.
    public let layerNames: [String]

    public var architecture: Architecture {
        Architecture(input: inputShape, layers: zip(layers, specNames).map { layer, name in
            var spec = layer.spec
            spec.name = name
            return spec
        })
    }
    public var spec: LayerSpec { LayerSpec(type: "sequential") }

    public func outputShape(for input: [Int]) throws -> [Int] { try architecture.outputShape(for: input) }

    public var isTraining: Bool {
        get { layers.contains { $0.isTraining } }
        set { for layer in layers { layer.isTraining = newValue } }
    }

    public var namedParameters: [(name: String, parameter: Parameter)] {
        zip(layerNames, layers).flatMap { prefix, layer in
            layer.namedParameters.map { (name: "\(prefix).\($0.name)", parameter: $0.parameter) }
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

extension Sequential {
    public var structureFingerprint: String { architecture.jsonString() }
    public var fileExtension: String { "safetensors" }

    public var summary: NetworkSummary {
        var shape = inputShape
        var rows: [NetworkSummary.Row] = []
        var activations: [String] = []
        for (name, layer) in zip(layerNames, layers) {
            shape = (try? layer.outputShape(for: shape)) ?? []
            let spec = layer.spec
            var kind = spec.type
            if let activation = layer as? Activation { kind = activation.kind.summaryName }
            // Built-in convolutions are never grouped; said as an ONNX file's Conv rows say it.
            if layer is Conv2d { kind += ", groups 1" }
            if let block = layer as? ResidualBlock { kind = "residual(\(block.activation.kind.summaryName))" }
            for used in [(layer as? Activation)?.kind, (layer as? ResidualBlock)?.activation.kind].compactMap({ $0 })
            where !activations.contains(used.summaryName) {
                activations.append(used.summaryName)
            }
            rows.append(.init(name: name, kind: kind, outputShape: shape,
                              parameters: layer.namedParameters.reduce(0) { $0 + $1.parameter.value.count }))
        }
        return NetworkSummary(format: "safetensors (Curvature architecture)", inputShape: inputShape, rows: rows,
                              activations: activations, isPiecewiseLinear: isPiecewiseLinear)
    }
}

extension Activation.Kind {
    /// A short name with the parameters that matter: `relu`, `softplus(β=10)`, `elu(α=1)`, `gelu(tanh)`.
    public var summaryName: String {
        switch self {
        case .relu: return "relu"
        case .tanh: return "tanh"
        case .sigmoid: return "sigmoid"
        case let .softplus(beta, _): return "softplus(β=\(shortNumber(beta)))"
        case let .elu(alpha): return "elu(α=\(shortNumber(alpha)))"
        case let .gelu(approximation): return approximation == .none ? "gelu" : "gelu(\(approximation.rawValue))"
        }
    }
}

/// 10 rather than 10.0; other values as Swift prints them.
func shortNumber(_ x: Double) -> String {
    x == x.rounded() && Swift.abs(x) < 1e15 ? String(Int(x)) : String(x)
}
