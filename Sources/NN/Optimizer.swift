import Foundation
import Tensors

/// Updates parameters from their gradients, PyTorch's semantics. Optimiser state (momenta) is
/// exposed by name so checkpoints can save and restore it.
public protocol Optimizer: AnyObject {
    /// One update of every parameter with its gradient at learning rate `learningRate`.
    func step(_ parameters: [Parameter], gradients: [Tensor], learningRate: Double)
    /// State tensors by name ("0.momentum", "3.m", …) and the step count.
    var state: [String: Tensor] { get set }
    var steps: Int { get set }
}

/// Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay (`torch.optim.SGD`).
public final class SGD: Optimizer {
    public let momentum: Double
    public let nesterov: Bool
    public let weightDecay: Double
    public var state: [String: Tensor] = [:]
    public var steps = 0

    public init(momentum: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) {
        precondition(!nesterov || momentum > 0, "SGD: Nesterov momentum needs momentum > 0")
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Parameter], gradients: [Tensor], learningRate: Double) {
        precondition(parameters.count == gradients.count, "SGD: \(parameters.count) parameters but \(gradients.count) gradients")
        for (index, (parameter, gradient)) in zip(parameters, gradients).enumerated() {
            var direction = weightDecay == 0 ? gradient : gradient + parameter.value * weightDecay
            if momentum != 0 {
                let key = "\(index).momentum"
                let buffer = state[key].map { $0 * momentum + direction } ?? direction
                state[key] = buffer
                direction = nesterov ? direction + buffer * momentum : buffer
            }
            parameter.value = parameter.value - direction * learningRate
        }
        steps += 1
    }
}

/// Adam (`torch.optim.Adam`, L2 weight decay added to the gradient) or, with `decoupled`,
/// AdamW (`torch.optim.AdamW`, weight decay applied to the weights directly).
public final class Adam: Optimizer {
    public let beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double
    public let decoupled: Bool
    public var state: [String: Tensor] = [:]
    public var steps = 0

    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0, decoupled: Bool = false) {
        (self.beta1, self.beta2, self.epsilon, self.weightDecay, self.decoupled) = (beta1, beta2, epsilon, weightDecay, decoupled)
    }

    public func step(_ parameters: [Parameter], gradients: [Tensor], learningRate: Double) {
        precondition(parameters.count == gradients.count, "Adam: \(parameters.count) parameters but \(gradients.count) gradients")
        steps += 1
        let correction1 = 1 - Foundation.pow(beta1, Double(steps)), correction2 = 1 - Foundation.pow(beta2, Double(steps))
        for (index, (parameter, rawGradient)) in zip(parameters, gradients).enumerated() {
            var weights = parameter.value
            var gradient = rawGradient
            if weightDecay != 0 {
                if decoupled { weights = weights * (1 - learningRate * weightDecay) } else { gradient = gradient + weights * weightDecay }
            }
            let m = (state["\(index).m"] ?? Tensor(zeros: gradient.shape, dtype: gradient.dtype)) * beta1 + gradient * (1 - beta1)
            let v = (state["\(index).v"] ?? Tensor(zeros: gradient.shape, dtype: gradient.dtype)) * beta2 + (gradient * gradient) * (1 - beta2)
            state["\(index).m"] = m
            state["\(index).v"] = v
            let denominator = (v * (1 / correction2)).map(.sqrt) + epsilon
            parameter.value = weights - (m / denominator) * (learningRate / correction1)
        }
    }
}
