import Autodiff
import NN
import Tensors

extension Operators {
    /// Spatial pads as [top, left, bottom, right] from `pads` or `auto_pad`, for a window of
    /// `kernel` (dilated) moving by `strides` over `input` [H, W].
    static func spatialPads(_ c: NodeContext, input: [Int], kernel: [Int], strides: [Int]) throws -> [Int] {
        switch c.string("auto_pad", default: "NOTSET") {
        case "NOTSET":
            let pads = c.ints("pads") ?? [0, 0, 0, 0]
            guard pads.count == 4, pads.allSatisfy({ $0 >= 0 && $0 <= ONNXLimits.values }) else {
                throw c.fail("pads \(pads) should be four numbers from 0 to \(ONNXLimits.values)")
            }
            return pads
        case "VALID": return [0, 0, 0, 0]
        case let mode where mode == "SAME_UPPER" || mode == "SAME_LOWER":
            var pads = [0, 0, 0, 0]
            for axis in 0..<2 {
                let output = (input[axis] + strides[axis] - 1) / strides[axis]
                let total = Swift.max(0, (output - 1) * strides[axis] + kernel[axis] - input[axis])
                let small = total / 2
                (pads[axis], pads[axis + 2]) = mode == "SAME_UPPER" ? (small, total - small) : (total - small, small)
            }
            return pads
        case let mode: throw c.fail("auto_pad \(mode) is not supported")
        }
    }

    static func pair(_ c: NodeContext, _ name: String, default value: Int) throws -> [Int] {
        let found = c.ints(name) ?? [value, value]
        guard found.count == 2, found.allSatisfy({ $0 >= 1 && $0 <= ONNXLimits.values }) else {
            throw c.fail("\(name) \(found) should be two numbers from 1 to \(ONNXLimits.values) (2-D)")
        }
        return found
    }

    static func convolution(_ c: NodeContext) throws -> [GraphValue] {
        var x = try c.activation()
        var weight = try c.constant(1)
        let bias = c.hasInput(2) ? try c.constant(2) : nil
        guard x.shape.count == 4, weight.shape.count == 4 else {
            throw c.fail("only 2-D convolutions are supported; input \(Shape.describe(x.shape)), kernel \(Shape.describe(weight.shape))")
        }
        let groups = c.int("group", default: 1)
        guard groups >= 1, x.shape[1] % groups == 0, weight.shape[0] % groups == 0,
              weight.shape[1].multipliedReportingOverflow(by: groups) == (x.shape[1], false) else {
            throw c.fail("group \(groups) does not fit input channels \(x.shape[1]) and kernel \(Shape.describe(weight.shape))")
        }
        let strides = try pair(c, "strides", default: 1), dilations = try pair(c, "dilations", default: 1)
        guard strides[0] == strides[1] else { throw c.fail("strides \(strides) differ between height and width") }
        let (o, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
        guard kh >= 1, kw >= 1 else { throw c.fail("kernel \(Shape.describe(weight.shape)) has no taps") }
        try c.checkSize([o, weight.shape[1], (kh - 1) * dilations[0] + 1, (kw - 1) * dilations[1] + 1], batched: false, "the dilated kernel")
        if dilations != [1, 1] { weight = LayoutIndexing.dilate(weight, (dilations[0], dilations[1])) }
        let pads = try spatialPads(c, input: Array(x.shape[2...]), kernel: [weight.shape[2], weight.shape[3]], strides: strides)
        let padded = [x.shape[2] + pads[0] + pads[2], x.shape[3] + pads[1] + pads[3]]
        guard padded[0] >= weight.shape[2], padded[1] >= weight.shape[3] else {
            throw c.fail("kernel \(Shape.describe(weight.shape)) is larger than the padded input \(Shape.describe(x.shape))")
        }
        if let bias, bias.shape != [weight.shape[0]] { throw c.fail("bias \(Shape.describe(bias.shape)) should be [\(weight.shape[0])]") }
        // One sample's padded input, output and im2col workspace; then the multiply-adds (of one
        // group's channels per output: grouped convolutions run as such).
        let outputPixels = ((padded[0] - weight.shape[2]) / strides[0] + 1) * ((padded[1] - weight.shape[3]) / strides[0] + 1)
        let patch = weight.count / Swift.max(o, 1)
        try c.checkSize([x.shape[0], x.shape[1]] + padded, batched: true, "the padded input")
        try c.checkSize([x.shape[0], o, outputPixels], batched: true, "the output")
        try c.checkSize([x.shape[0], patch, outputPixels], batched: true, "the im2col workspace")
        try c.charge(ONNXLimits.saturatingProduct(o, patch, outputPixels))
        var padding = pads[0]
        if pads.contains(where: { $0 != pads[0] }) {
            x = LayoutIndexing.pad(x, before: [0, 0, pads[0], pads[1]], after: [0, 0, pads[2], pads[3]])
            padding = 0
        }
        let y = groups > 1
            ? groupedConv2d(x, weight: weight, bias: bias, groups: groups, stride: strides[0], padding: padding)
            : conv2d(x, weight: weight, bias: bias, stride: strides[0], padding: padding)
        return [.float(y, batched: true)]
    }

    static func batchNormalization(_ c: NodeContext) throws -> [GraphValue] {
        let x = try c.activation()
        guard x.shape.count == 2 || x.shape.count == 4 else { throw c.fail("expects [N, C] or [N, C, H, W], got \(Shape.describe(x.shape))") }
        if c.int("training_mode", default: 0) != 0 { throw c.fail("training_mode is set; export the model in eval mode") }
        guard let norm = c.batchNorms[c.node.output[0]] else { throw c.fail("its statistics are not constants of the model") }
        guard norm.weight.shape == [x.shape[1]] else { throw c.fail("statistics of \(norm.weight.shape[0]) channels for an input of \(x.shape[1])") }
        return [.float(norm(x), batched: true)]
    }

    static func gemm(_ c: NodeContext) throws -> [GraphValue] {
        let a = try c.activation()
        let b = try c.constant(1)
        guard a.shape.count == 2, b.shape.count == 2 else { throw c.fail("expects matrices, got \(Shape.describe(a.shape)) and \(Shape.describe(b.shape))") }
        try c.keepBatch(c.int("transA", default: 0) == 0, "transA = 1 would mix the samples of the batch")
        guard c.int("transA", default: 0) == 0 else { throw c.fail("transA = 1 on a computed tensor is not supported") }
        let transB = c.int("transB", default: 0) != 0
        let inner = transB ? b.shape[1] : b.shape[0], outputs = transB ? b.shape[0] : b.shape[1]
        guard a.shape[1] == inner else { throw c.fail("inputs \(Shape.describe(a.shape)) and weight \(Shape.describe(b.shape)) do not fit") }
        try c.checkSize([a.shape[0], outputs], batched: true, "the output")
        try c.charge(b.count)
        let alpha = c.float("alpha", default: 1), beta = c.float("beta", default: 1)
        let bias = c.hasInput(2) ? try c.constant(2) : nil
        if let bias, bias.shape != [outputs] { try checkBroadcast(c, [a.shape[0], outputs], true, bias.shape, false) }
        if let bias, beta == 1, alpha == 1, transB, bias.shape == [outputs] {
            return [.float(linear(a, weight: b, bias: bias), batched: true)]
        }
        var y = matmul(a, b, transposeB: transB)
        if alpha != 1 { y = y * alpha }
        if let bias { y = y + (beta == 1 ? bias : bias * beta) }
        return [.float(y, batched: true)]
    }

    static func pool(_ c: NodeContext) throws -> [GraphValue] {
        var x = try c.activation()
        guard x.shape.count == 4 else { throw c.fail("only 2-D pooling is supported, input \(Shape.describe(x.shape))") }
        if c.node.output.count > 1 && !c.node.output[1].isEmpty { throw c.fail("its indices output is not supported") }
        guard let kernel = c.ints("kernel_shape"), kernel.count == 2, kernel[0] == kernel[1], kernel[0] >= 1, kernel[0] <= ONNXLimits.values else {
            throw c.fail("kernel_shape \(c.ints("kernel_shape") ?? []) should be a square 2-D window")
        }
        let strides = try pair(c, "strides", default: 1)
        guard strides[0] == strides[1] else { throw c.fail("strides \(strides) differ between height and width") }
        guard (try pair(c, "dilations", default: 1)) == [1, 1] else { throw c.fail("dilated pooling is not supported") }
        let pads = try spatialPads(c, input: Array(x.shape[2...]), kernel: kernel, strides: strides)
        let (k, s) = (kernel[0], strides[0])
        let padded = [x.shape[2] + pads[0] + pads[2], x.shape[3] + pads[1] + pads[3]]
        guard padded[0] >= k, padded[1] >= k else { throw c.fail("window \(k) is larger than the padded input \(padded)") }
        try c.checkSize([x.shape[0], x.shape[1]] + padded, batched: true, "the padded input")
        let outputs = x.shape[1] * ((padded[0] - k) / s + 1) * ((padded[1] - k) / s + 1)
        try c.charge(ONNXLimits.saturatingProduct(outputs, k * k + 2 * k, 64))
        // ceil_mode adds a last, partial window only when the floor division leaves a remainder.
        if c.int("ceil_mode", default: 0) != 0, padded.contains(where: { ($0 - k) % s != 0 }) {
            throw c.fail("ceil_mode = 1 changes the output size here; export with ceil_mode=False")
        }
        let isMax = c.node.opType == "MaxPool"
        let before = [0, 0, pads[0], pads[1]], after = [0, 0, pads[2], pads[3]]
        if isMax {
            // Padding never wins a maximum.
            x = LayoutIndexing.pad(x, before: before, after: after, fill: -Double(Float.greatestFiniteMagnitude))
            return [.float(maxPool2d(x, kernel: k, stride: s), batched: true)]
        }
        let original = Array(x.shape[2...])
        x = LayoutIndexing.pad(x, before: before, after: after)
        var y = avgPool2d(x, kernel: k, stride: s)
        if c.int("count_include_pad", default: 0) == 0 && pads.contains(where: { $0 != 0 }) {
            // Divide by the real cells in each window rather than k².
            let (oh, ow) = (y.shape[2], y.shape[3])
            var scale = [Double](repeating: 0, count: oh * ow)
            for i in 0..<oh {
                for j in 0..<ow {
                    let rows = (0..<k).filter { (0..<original[0]).contains(i * s + $0 - pads[0]) }.count
                    let columns = (0..<k).filter { (0..<original[1]).contains(j * s + $0 - pads[1]) }.count
                    scale[i * ow + j] = Double(k * k) / Double(Swift.max(rows * columns, 1))
                }
            }
            y = y * Variable(Tensor(shape: [1, 1, oh, ow], scalars: scale, dtype: x.dtype))
        }
        return [.float(y, batched: true)]
    }
}

extension Operators {
    /// LayerNormalization (opset 17): over the axes from `axis` on, with a constant scale and bias.
    static func layerNormalization(_ c: NodeContext) throws -> [GraphValue] {
        let (x, batched) = try c.float(0)
        let axis = try c.normalise(axis: c.int("axis", default: -1), rank: x.shape.count)
        try c.keepBatch(!c.batchOnAxis0(batched) || axis != 0, "normalises over the batch axis")
        if c.node.output.dropFirst().contains(where: { !$0.isEmpty }) {
            throw c.fail("its Mean or InvStdDev output is used; Curvature evaluates Y only")
        }
        let normalised = Array(x.shape[axis...])
        let scale = try c.constant(1), bias = c.hasInput(2) ? try c.constant(2) : nil
        for (index, value) in [(1, scale), (2, bias)] {
            guard let value else { continue }
            guard value.shape.count <= normalised.count, broadcastShape(value.shape, normalised) == normalised else {
                throw c.fail("input \(index) \(Shape.describe(value.shape)) does not fit the normalised axes \(Shape.describe(normalised))")
            }
        }
        return [.float(layerNorm(x, fromAxis: axis, weight: scale, bias: bias, epsilon: c.float("epsilon", default: 1e-5)), batched: batched)]
    }
}
