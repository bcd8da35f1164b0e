import Tensors

/// Gradients of `output` with respect to each of `variables` (reverse mode).
///
/// - Parameters:
///   - output: a one-element variable, unless `seed` gives ∂L/∂output.
///   - variables: what to differentiate with respect to.
///   - seed: the gradient flowing into `output`; ones when nil.
///   - createGraph: record the backward pass so the gradients can be differentiated again
///     (PyTorch's `create_graph=True`).
/// - Returns: one gradient per variable, zeros where `output` does not depend on it.
public func gradients(
    of output: Variable, withRespectTo variables: [Variable], seed: Tensor? = nil, createGraph: Bool = false
) -> [Variable] {
    precondition(seed != nil || output.count == 1,
                 "gradients: output of shape \(Shape.describe(output.shape)) is not a scalar; pass a seed")
    if let seed {
        precondition(seed.shape == output.shape,
                     "gradients: seed \(Shape.describe(seed.shape)) does not match output \(Shape.describe(output.shape))")
    }
    let targets = Set(variables.map(ObjectIdentifier.init))
    let (order, reaches) = backwardOrder(from: output, targets: targets)

    return GradientMode.with(enabled: createGraph) {
        var accumulated: [ObjectIdentifier: Variable] = [:]
        if reaches.contains(ObjectIdentifier(output)) {
            accumulated[ObjectIdentifier(output)] = Variable(seed ?? Tensor(repeating: 1, shape: output.shape, dtype: output.dtype))
        }
        for node in order.reversed() {
            let id = ObjectIdentifier(node)
            guard let rule = node.rule, let gradient = accumulated[id] else { continue }
            if !targets.contains(id) { accumulated[id] = nil }  // done with it: free early
            let needs = node.inputs.map { reaches.contains(ObjectIdentifier($0)) }
            let inputGradients = rule(gradient, node, needs)
            precondition(inputGradients.count == node.inputs.count,
                         "gradients: rule of \(node.op) gave \(inputGradients.count) gradients for \(node.inputs.count) inputs")
            for (input, inputGradient) in zip(node.inputs, inputGradients) {
                guard let inputGradient, reaches.contains(ObjectIdentifier(input)) else { continue }
                precondition(inputGradient.shape == input.shape,
                             "gradients: rule of \(node.op) gave \(Shape.describe(inputGradient.shape)) for an input of \(Shape.describe(input.shape))")
                let key = ObjectIdentifier(input)
                accumulated[key] = accumulated[key].map { $0 + inputGradient } ?? inputGradient
            }
        }
        return variables.map { variable in
            accumulated[ObjectIdentifier(variable)] ?? Variable(Tensor(zeros: variable.shape, dtype: variable.dtype))
        }
    }
}

/// Nodes reachable from `output` in topological order (inputs first), and the set of nodes from
/// which some target can be reached: only those need gradients.
private func backwardOrder(from output: Variable, targets: Set<ObjectIdentifier>) -> ([Variable], Set<ObjectIdentifier>) {
    var order: [Variable] = []
    var visited: Set<ObjectIdentifier> = []
    var reaches: Set<ObjectIdentifier> = []
    // Iterative post-order DFS: graphs of deep networks' double backward are long.
    var stack: [(Variable, Int)] = [(output, 0)]
    visited.insert(ObjectIdentifier(output))
    while let (node, next) = stack.popLast() {
        if next < node.inputs.count {
            stack.append((node, next + 1))
            let child = node.inputs[next]
            if child.requiresGradient && visited.insert(ObjectIdentifier(child)).inserted {
                stack.append((child, 0))
            }
        } else {
            let id = ObjectIdentifier(node)
            if targets.contains(id) || node.inputs.contains(where: { reaches.contains(ObjectIdentifier($0)) }) {
                reaches.insert(id)
            }
            order.append(node)
        }
    }
    return (order, reaches)
}

/// The value and gradient of a scalar function at `point`.
public func valueAndGradient(of function: (Variable) -> Variable, at point: Tensor) -> (value: Tensor, gradient: Tensor) {
    let point = HessianAtPoint(of: function, at: point, keepingGraph: false)
    return (point.value, point.gradient.value)
}

/// H·v for the Hessian H of a scalar function at `point` (reverse-over-reverse): the gradient
/// is taken with its graph kept, then ⟨∇f, v⟩ is differentiated again. To take several products
/// at one point, build a ``HessianAtPoint`` once instead.
public func hessianVectorProduct(
    of function: (Variable) -> Variable, at point: Tensor, along direction: Tensor
) -> (value: Tensor, gradient: Tensor, product: Tensor) {
    let point = HessianAtPoint(of: function, at: point)
    return (point.value, point.gradient.value, point.product(along: direction))
}
