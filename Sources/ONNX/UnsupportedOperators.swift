import NN

extension ONNXModel {
    /// Every node whose operator Curvature does not evaluate, grouped by operator in the order met,
    /// with counts and the first node of each; nil when there is none. One node keeps the
    /// one-line form "node '/Sin' (Sin): operator Sin is not supported; supported: …".
    static func unsupportedOperators(in nodes: [Onnx_NodeProto]) -> String? {
        var order: [String] = []
        var groups: [String: (count: Int, first: Onnx_NodeProto)] = [:]
        for node in nodes {
            let custom = !(node.domain.isEmpty || node.domain == "ai.onnx")
            guard custom || !Operators.supported.contains(node.opType) else { continue }
            let key = custom ? "\(printable(node.domain)).\(printable(node.opType))" : printable(node.opType)
            if let group = groups[key] { groups[key] = (group.count + 1, group.first) } else { (order, groups[key]) = (order + [key], (1, node)) }
        }
        guard !order.isEmpty else { return nil }
        let supported = "supported: \(Operators.supported.joined(separator: ", "))"
        func custom(_ node: Onnx_NodeProto) -> Bool { !(node.domain.isEmpty || node.domain == "ai.onnx") }
        if order.count == 1, let (count, node) = groups[order[0]], count == 1 {
            return "\(label(of: node)): operator \(order[0]) \(custom(node) ? "is from a custom domain" : "is not supported"); \(supported)"
        }
        let total = groups.values.reduce(0) { $0 + $1.count }
        let listed = order.map { key -> String in
            let (count, node) = groups[key]!
            let name = node.name.isEmpty ? "output '\(printable(node.output.first ?? ""))'" : "'\(printable(node.name))'"
            return "\(key) ×\(count) (\(count == 1 ? "node" : "first node") \(name)\(custom(node) ? ", custom domain" : ""))"
        }
        return "\(total) nodes use \(order.count) operator\(order.count == 1 ? "" : "s") Curvature does not support: \(listed.joined(separator: ", ")); \(supported)"
    }
}
