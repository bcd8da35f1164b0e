import Foundation
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
///
/// A node recorded with `recordDeferred` computes its value when it is first read, not when it
/// is recorded: values nobody reads are never computed. A Hessian-vector product needs the
/// graph of the gradient but, in a ReLU network, none of the gradient's own values below the
/// loss (ReLU's second derivative is zero), so that whole backward pass is skipped — as XLA
/// drops it from JAX's `jvp` of `grad`. Reading order changes nothing in the arithmetic.
public final class Variable {
    public let shape: [Int]
    public let dtype: DType
    public let requiresGradient: Bool
    let inputs: [Variable]
    let rule: BackwardRule?
    /// The op that made this variable, for messages.
    public let op: String
    /// The value once computed; always set unless the node is deferred (`deferral` non-nil).
    private var computed: Tensor?
    /// How a deferred node computes its value, and the lock under which it does, once.
    private let deferral: (lock: NSLock, compute: () -> Tensor)?

    /// A leaf. Gradients can be taken with respect to it when `requiresGradient` is true.
    public init(_ value: Tensor, requiresGradient: Bool = false) {
        computed = value
        shape = value.shape
        dtype = value.dtype
        self.requiresGradient = requiresGradient
        inputs = []
        rule = nil
        deferral = nil
        op = requiresGradient ? "leaf" : "constant"
    }

    private init(op: String, value: Tensor?, shape: [Int], dtype: DType, compute: (() -> Tensor)?,
                 inputs: [Variable], rule: @escaping BackwardRule) {
        computed = value
        self.shape = shape
        self.dtype = dtype
        deferral = compute.map { (NSLock(), $0) }
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
        return Variable(op: op, value: value, shape: value.shape, dtype: value.dtype, compute: nil, inputs: inputs, rule: rule)
    }

    /// Records an op whose value is computed when first read. `compute` may read the values of
    /// `inputs` only (they are computed before it runs) and must return a tensor of `shape` and
    /// `dtype`. Outside gradient mode, or when no input requires gradients, it runs at once.
    public static func recordDeferred(
        _ op: String, shape: [Int], dtype: DType, inputs: [Variable],
        compute: @escaping () -> Tensor, rule: @escaping BackwardRule
    ) -> Variable {
        guard GradientMode.isEnabled, inputs.contains(where: \.requiresGradient) else {
            return Variable(checked(compute(), op: op, shape: shape, dtype: dtype))
        }
        return Variable(op: op, value: nil, shape: shape, dtype: dtype, compute: compute, inputs: inputs, rule: rule)
    }

    public var value: Tensor {
        guard let deferral else { return computed! }
        deferral.lock.lock()
        let known = computed
        deferral.lock.unlock()
        if let known { return known }
        // Inputs first, in post-order, so that no compute waits on a chain of others (a deep
        // network's double backward is thousands of nodes long).
        for node in Self.pendingAncestors(of: self) { node.computeOnce() }
        deferral.lock.lock()
        defer { deferral.lock.unlock() }
        return computed!
    }

    /// Whether the value has been computed (always, except for a deferred node nobody has read).
    public var isComputed: Bool {
        guard let deferral else { return true }
        deferral.lock.lock()
        defer { deferral.lock.unlock() }
        return computed != nil
    }

    private func computeOnce() {
        guard let deferral else { return }
        deferral.lock.lock()
        defer { deferral.lock.unlock() }
        guard computed == nil else { return }
        computed = Self.checked(deferral.compute(), op: op, shape: shape, dtype: dtype)
    }

    /// `value`, after checking that a deferred op computed what it recorded.
    private static func checked(_ value: Tensor, op: String, shape: [Int], dtype: DType) -> Tensor {
        precondition(value.shape == shape && value.dtype == dtype,
                     "\(op): computed \(Shape.describe(value.shape)) \(value.dtype), recorded \(Shape.describe(shape)) \(dtype)")
        return value
    }

    /// `root` and the deferred, uncomputed nodes it depends on through them, inputs first.
    private static func pendingAncestors(of root: Variable) -> [Variable] {
        var order: [Variable] = []
        var visited: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
        var stack: [(Variable, Int)] = [(root, 0)]
        while let (node, next) = stack.popLast() {
            if next < node.inputs.count {
                stack.append((node, next + 1))
                let input = node.inputs[next]
                if !input.isComputed && visited.insert(ObjectIdentifier(input)).inserted { stack.append((input, 0)) }
            } else {
                order.append(node)
            }
        }
        return order
    }

    public var count: Int { Shape.count(shape) }

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
