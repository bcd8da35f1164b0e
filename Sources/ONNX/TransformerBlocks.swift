import Tensors

extension ONNXModel {
    /// For `inspect`: the graph's attention layers — a Softmax over a product of two computed
    /// tensors (MatMul, possibly scaled, shifted or masked) — grouped into the blocks their node
    /// names place them in (PyTorch names nodes by module path: /blocks/blocks.0/attn/Softmax is
    /// in block /blocks/blocks.0), with each block's output shape and parameters. Nil without attention.
    var transformerBlocks: String? {
        let producers = Dictionary(steps.flatMap { node in node.output.map { ($0, node) } }, uniquingKeysWith: { a, _ in a })
        func reachesProductOfComputed(_ name: String, hops: Int) -> Bool {
            guard let node = producers[name], hops >= 0 else { return false }
            if node.opType == "MatMul" { return !node.input.contains(where: isConstant) }
            guard ["Mul", "Div", "Add", "Sub", "Where", "Cast"].contains(node.opType) else { return false }
            return node.input.contains { !isConstant($0) && reachesProductOfComputed($0, hops: hops - 1) }
        }
        let attention = steps.filter { $0.opType == "Softmax" && $0.input.first.map { reachesProductOfComputed($0, hops: 4) } == true }
        guard !attention.isEmpty else { return nil }
        func parent(_ path: String) -> String {
            guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return path }
            return String(path[..<slash])
        }
        var blocks: [(block: String, layer: String)] = []
        for softmax in attention {
            let layer = parent(softmax.name.isEmpty ? softmax.output[0] : softmax.name)
            let block = parent(layer)
            if !blocks.contains(where: { $0.block == block }) { blocks.append((block, layer)) }
        }
        let described = blocks.map { block, layer -> String in
            let inside = steps.filter { $0.name.hasPrefix(block + "/") }
            let parameters = inside.reduce(0) { $0 + (rowParameters[$1.output[0]] ?? 0) }
            let shape = inside.last.flatMap { sampleShapes[$0.output[0]] }.map { "output \(Shape.describe($0)), " } ?? ""
            return "\(block) (\(shape)\(parameters) parameters, attention \(layer))"
        }
        return "transformer: \(blocks.count) block(s) with attention (Softmax over a product of two computed tensors): " + described.joined(separator: "; ")
    }
}
