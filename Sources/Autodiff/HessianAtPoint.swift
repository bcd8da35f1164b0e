import Tensors

/// A scalar function differentiated once at one point, with the gradient's graph kept, so that
/// Hessian-vector products there cost one further backward pass each.
///
/// ```swift
/// let point = HessianAtPoint(of: loss, at: x)
/// let hv = point.product(along: v)   // H·v; repeat with other v at the cost of a backward pass
/// ```
///
/// This is the one place where reverse-over-reverse HVPs are formed: `hessianVectorProduct`, the
/// input-Hessian operator, input-gradients of classifiers and the CURE penalty all build one.
public final class HessianAtPoint {
    /// The point, as the leaf the function was evaluated on.
    public let input: Variable
    /// f(point), recorded (its graph reaches any parameters the function used).
    public let output: Variable
    /// ∇f(point); recorded (differentiable again) when built with `keepingGraph`.
    public let gradient: Variable
    private let keepsGraph: Bool

    /// Evaluates `function` at `point` and differentiates it once.
    ///
    /// - Parameters:
    ///   - function: a function with a one-element result (a summed batch loss, for instance).
    ///   - point: where to differentiate.
    ///   - keepingGraph: record the backward pass (PyTorch's `create_graph=True`), as
    ///     `product(along:)` and penalties on the gradient need; false when only the value and
    ///     gradient are wanted, which is cheaper.
    public init(of function: (Variable) -> Variable, at point: Tensor, keepingGraph: Bool = true) {
        input = Variable(point, requiresGradient: true)
        output = function(input)
        gradient = gradients(of: output, withRespectTo: [input], createGraph: keepingGraph)[0]
        keepsGraph = keepingGraph
    }

    /// f(point).
    public var value: Tensor { output.value }

    /// H·v, H the Hessian of f at the point: the gradient of ⟨∇f, v⟩.
    ///
    /// For a batch loss that sums per-sample losses, H is block diagonal, so one call with one
    /// vector per sample returns every sample's own H·v.
    public func product(along direction: Tensor) -> Tensor {
        precondition(keepsGraph, "HessianAtPoint.product: built without keepingGraph")
        precondition(direction.shape == input.shape,
                     "HessianAtPoint.product: direction \(Shape.describe(direction.shape)) does not match point \(Shape.describe(input.shape))")
        return gradients(of: sum(gradient * Variable(direction)), withRespectTo: [input])[0].value
    }
}
