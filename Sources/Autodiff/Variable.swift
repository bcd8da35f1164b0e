import Tensors

/// Turns the gradient flowing into an op's output into gradients for its inputs.
///
/// Rules are written with `Variable` ops, so when gradients are taken with `createGraph: true`
/// the backward pass is itself recorded and can be differentiated again. `needs[i]` is false
/// when no requested variable depends on input i: the rule may return nil there and skip work
/// (weight gradients when only input derivatives are wanted). `output` is the op's own result,
/// handed in at backward time so a node never holds itself.
public typealias BackwardRule = (_ gradient: Variable, _ output: Variable, _ needs: [Bool]) -> [Variable?]

/// A node of the tape: a tensor value and, when it depends on something that requires
/// gradients, the inputs and rule that produced it. The graph is held by the variables
/// themselves, so it is freed as soon as the last variable that reaches it goes away.
public final class Variable {
    public let value: Tensor
    public let requiresGradient: Bool
    let inputs: [Variable]
    let rule: BackwardRule?
    /// The op that made this variable, for messages.
    public let op: String

    /// A leaf. Gradients can be taken with respect to it when `requiresGradient` is true.
    public init(_ value: Tensor, requiresGradient: Bool = false) {
        self.value = value
        self.requiresGradient = requiresGradient
        inputs = []
        rule = nil
        op = requiresGradient ? "leaf" : "constant"
    }

    private init(op: String, value: Tensor, inputs: [Variable], rule: @escaping BackwardRule) {
        self.value = value
        requiresGradient = true
        self.inputs = inputs
        self.rule = rule
        self.op = op
    }

    /// Records an op's result. Outside gradient mode, or when no input requires gradients, the
    /// result is a constant and nothing is kept.
    public static func record(
        _ op: String, _ value: Tensor, inputs: [Variable], rule: @escaping BackwardRule
    ) -> Variable {
        guard GradientMode.isEnabled, inputs.contains(where: \.requiresGradient) else { return Variable(value) }
        return Variable(op: op, value: value, inputs: inputs, rule: rule)
    }

    public var shape: [Int] { value.shape }
    public var dtype: DType { value.dtype }
    public var count: Int { value.count }

    /// The same value, cut from the graph.
    public func detached() -> Variable { Variable(value) }
}

extension Variable: CustomStringConvertible {
    public var description: String { "Variable(\(op), \(value))" }
}

/// Whether ops record the tape. Scoped to the current task or thread.
public enum GradientMode {
    @TaskLocal static var enabled = true

    public static var isEnabled: Bool { enabled }

    /// Runs `body` without recording: for evaluation, attacks' inner loops and optimiser steps.
    public static func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
        try $enabled.withValue(false, operation: body)
    }

    /// Runs `body` with recording on or off.
    public static func with<R>(enabled value: Bool, _ body: () throws -> R) rethrows -> R {
        try $enabled.withValue(value, operation: body)
    }
}
