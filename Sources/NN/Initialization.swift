import Randomness
import Tensors

/// How new weights are drawn. Biases always follow PyTorch: U(−1/√fan_in, 1/√fan_in).
public enum Initialization: String, Sendable, CaseIterable {
    /// PyTorch's default for Linear and Conv2d: Kaiming-uniform with a = √5, i.e. U(−1/√fan_in, 1/√fan_in).
    case pytorch
    /// He et al.: N(0, 2/fan_in), for ReLU networks.
    case kaimingNormal = "kaiming-normal"
    /// He et al.: U(−√(6/fan_in), √(6/fan_in)).
    case kaimingUniform = "kaiming-uniform"
    /// Glorot: U(−√(6/(fan_in+fan_out)), √(6/(fan_in+fan_out))).
    case xavierUniform = "xavier-uniform"
    /// Glorot: N(0, 2/(fan_in+fan_out)).
    case xavierNormal = "xavier-normal"

    func weight(_ shape: [Int], fanIn: Int, fanOut: Int, dtype: DType, generator: inout SeededGenerator) -> Tensor {
        let distribution: RandomDistribution
        switch self {
        case .pytorch:
            let bound = 1 / Double(fanIn).squareRoot()
            distribution = .uniform(low: -bound, high: bound)
        case .kaimingNormal:
            distribution = .normal(mean: 0, standardDeviation: (2 / Double(fanIn)).squareRoot())
        case .kaimingUniform:
            let bound = (6 / Double(fanIn)).squareRoot()
            distribution = .uniform(low: -bound, high: bound)
        case .xavierUniform:
            let bound = (6 / Double(fanIn + fanOut)).squareRoot()
            distribution = .uniform(low: -bound, high: bound)
        case .xavierNormal:
            distribution = .normal(mean: 0, standardDeviation: (2 / Double(fanIn + fanOut)).squareRoot())
        }
        return Tensor(randomShape: shape, distribution, dtype: dtype, generator: &generator)
    }

    static func bias(_ count: Int, fanIn: Int, dtype: DType, generator: inout SeededGenerator) -> Tensor {
        let bound = 1 / Double(fanIn).squareRoot()
        return Tensor(randomShape: [count], .uniform(low: -bound, high: bound), dtype: dtype, generator: &generator)
    }
}

/// What a layer needs to create its parameters.
public struct ParameterFactory {
    public var dtype: DType
    public var initialization: Initialization
    public var generator: SeededGenerator

    public init(dtype: DType = .float32, initialization: Initialization = .pytorch, seed: UInt64 = 0) {
        self.dtype = dtype
        self.initialization = initialization
        generator = SeededGenerator(seed: seed)
    }

    mutating func weight(_ shape: [Int], fanIn: Int, fanOut: Int) -> Parameter {
        Parameter(initialization.weight(shape, fanIn: fanIn, fanOut: fanOut, dtype: dtype, generator: &generator))
    }

    mutating func bias(_ count: Int, fanIn: Int) -> Parameter {
        Parameter(Initialization.bias(count, fanIn: fanIn, dtype: dtype, generator: &generator))
    }
}
