import Autodiff
import Tensors

/// Element-wise activations, named as in the architecture JSON.
public final class Activation: Layer {
    public enum Kind: Equatable, Sendable {
        case relu, tanh, sigmoid
        case softplus(beta: Double, threshold: Double)
        case elu(alpha: Double)
        case gelu(GELUApproximation)
    }

    public let kind: Kind

    public init(_ kind: Kind) { self.kind = kind }

    public func callAsFunction(_ input: Variable) -> Variable {
        switch kind {
        case .relu: return relu(input)
        case .tanh: return tanh(input)
        case .sigmoid: return sigmoid(input)
        case let .softplus(beta, threshold): return softplus(input, beta: beta, threshold: threshold)
        case let .elu(alpha): return elu(input, alpha: alpha)
        case let .gelu(approximation): return gelu(input, approximation: approximation)
        }
    }

    /// Whether f(max(a, b)) = max(f(a), f(b)), so that it may follow a max-pool instead of preceding
    /// it: ReLU exactly; softplus is increasing, and its Float32 kernel rounds monotonically up to
    /// an ulp, so values agree to within that.
    public var commutesWithMax: Bool {
        switch kind {
        case .relu, .softplus: return true
        default: return false
        }
    }

    /// Whether the activation is piecewise linear: then the exact input Hessian is Gauss–Newton only.
    public var isPiecewiseLinear: Bool { kind == .relu }

    public var spec: LayerSpec {
        switch kind {
        case .relu: return LayerSpec(type: "relu")
        case .tanh: return LayerSpec(type: "tanh")
        case .sigmoid: return LayerSpec(type: "sigmoid")
        case let .softplus(beta, threshold):
            var s = LayerSpec(type: "softplus")
            (s.beta, s.threshold) = (beta, threshold)
            return s
        case let .elu(alpha):
            var s = LayerSpec(type: "elu")
            s.alpha = alpha
            return s
        case let .gelu(approximation):
            var s = LayerSpec(type: "gelu")
            s.approximate = approximation.rawValue
            return s
        }
    }
}
