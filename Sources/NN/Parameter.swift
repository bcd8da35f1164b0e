import Autodiff
import Tensors

/// A tensor a layer owns: a trainable weight, or a buffer such as a running mean.
///
/// Forward passes read `variable`, a leaf that requires gradients when the parameter is
/// trainable. Assigning `value` (an optimiser step, loading weights) makes a fresh leaf, so graphs
/// built before the step keep the values they saw.
public final class Parameter {
    public var value: Tensor {
        didSet {
            precondition(value.shape == oldValue.shape,
                         "Parameter: new value \(Shape.describe(value.shape)) does not match \(Shape.describe(oldValue.shape))")
            leaf = nil
        }
    }
    public let isTrainable: Bool
    private var leaf: Variable?

    public init(_ value: Tensor, trainable: Bool = true) {
        self.value = value
        isTrainable = trainable
    }

    public var variable: Variable {
        if let leaf { return leaf }
        let made = Variable(value, requiresGradient: isTrainable)
        leaf = made
        return made
    }

    public var shape: [Int] { value.shape }
}
