import Tensors

/// The graph as it runs for one batch size: the nodes left to evaluate, and the values that the
/// evaluation which folds (``ONNXModel``'s load-time check) found to follow from shapes and
/// constants alone (Shape → Gather → Unsqueeze → Concat chains, Constant nodes).
struct FoldedGraph {
    /// Nodes that run per evaluation.
    var steps: [Onnx_NodeProto] = []
    var integers: [String: IntegerValue] = [:]
    /// Float values computed only from constants (not weights).
    var floats: [String: Tensor] = [:]

    /// Whether the value `name` is folded here.
    func folds(_ name: String) -> Bool { integers[name] != nil || floats[name] != nil }

    /// Files one node of the evaluation that folds: its outputs are kept when they follow from
    /// integers and constants alone (`isConstant` says which inputs of the file are), else the
    /// node becomes a step. Whether it became one.
    mutating func record(_ node: Onnx_NodeProto, outputs: [GraphValue], isConstant: (String) -> Bool) -> Bool {
        let allIntegers = outputs.allSatisfy { if case .integers = $0 { return true } else { return false } }
        let fromConstantsOnly = node.input.allSatisfy { $0.isEmpty || folds($0) || isConstant($0) }
        // A constant expanded over a batch tracked as a symbol is computed from constants yet
        // depends on the batch size.
        let batchSized = outputs.contains { if case .float(_, true) = $0 { return true } else { return false } }
        guard allIntegers || (fromConstantsOnly && !batchSized) else {
            steps.append(node)
            return true
        }
        for (name, value) in zip(node.output, outputs) {
            switch value {
            case let .integers(v): integers[name] = v
            case let .float(v, _): floats[name] = v.value
            }
        }
        return false
    }
}
