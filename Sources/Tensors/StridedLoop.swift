/// Walks up to three operands over one iteration shape, each with its own strides (0 along
/// broadcast axes). Axes that are contiguous for every operand are merged first, so the inner
/// loop is as long as possible: [N,C,H,W] + [1,C,1,1] runs as N·C inner loops of H·W.
struct StridedLoop {
    private(set) var shape: [Int] = []
    private(set) var strides: [[Int]]
    let operandCount: Int

    init(shape fullShape: [Int], strides fullStrides: [[Int]]) {
        operandCount = fullStrides.count
        strides = Array(repeating: [], count: operandCount)
        for axis in fullShape.indices where fullShape[axis] != 1 {
            if let last = shape.indices.last,
                (0..<operandCount).allSatisfy({ fullStrides[$0][axis] == strides[$0][last] * fullShape[axis] }) {
                // The previous kept axis runs contiguously into this one for every operand: merge.
                shape[last] *= fullShape[axis]
                for k in 0..<operandCount { strides[k][last] = fullStrides[k][axis] }
            } else {
                shape.append(fullShape[axis])
                for k in 0..<operandCount { strides[k].append(fullStrides[k][axis]) }
            }
        }
        if shape.isEmpty {
            shape = [1]
            for k in 0..<operandCount { strides[k] = [0] }
        }
    }

    var innerCount: Int { shape[shape.count - 1] }
    func innerStride(_ operand: Int) -> Int { strides[operand][shape.count - 1] }

    /// Calls `body` with the start offsets of every inner run.
    func forEachRun(_ body: (_ o0: Int, _ o1: Int, _ o2: Int) -> Void) {
        let outerRank = shape.count - 1
        if shape.contains(0) { return }
        var index = [Int](repeating: 0, count: outerRank)
        var offsets = (0, 0, 0)
        let s0 = strides[0], s1 = operandCount > 1 ? strides[1] : shape.map { _ in 0 }
        let s2 = operandCount > 2 ? strides[2] : shape.map { _ in 0 }
        while true {
            body(offsets.0, offsets.1, offsets.2)
            var axis = outerRank - 1
            while axis >= 0 {
                index[axis] += 1
                offsets.0 += s0[axis]; offsets.1 += s1[axis]; offsets.2 += s2[axis]
                if index[axis] < shape[axis] { break }
                offsets.0 -= s0[axis] * shape[axis]
                offsets.1 -= s1[axis] * shape[axis]
                offsets.2 -= s2[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
            if axis < 0 { return }
        }
    }
}
