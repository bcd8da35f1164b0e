import Autodiff
import NN
import Tensors

/// The ONNX operators Curvature evaluates (default domain, opsets 9–20), each with the engine's
/// own differentiable ops.
enum Operators {
    static let supported: [String] = [
        "Abs", "Add", "And", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat", "Constant", "ConstantOfShape",
        "Conv", "Div", "Dropout", "Elu", "Equal", "Erf", "Exp", "Expand", "Flatten", "Gather", "Gelu", "Gemm",
        "GlobalAveragePool", "Greater", "GreaterOrEqual", "HardSigmoid", "HardSwish", "Identity", "LayerNormalization",
        "LeakyRelu", "Less", "LessOrEqual", "Log", "LogSoftmax", "MatMul", "MaxPool", "Mish", "Mul", "Neg", "Not", "Or",
        "Pad", "Pow", "ReduceMax", "ReduceMean", "ReduceSum", "Relu", "Reshape", "Shape", "Sigmoid", "Slice", "Softmax",
        "Softplus", "Split", "Sqrt", "Squeeze", "Sub", "Tanh", "Tile", "Transpose", "Unsqueeze", "Where", "Xor",
    ]

    /// Operators only some forms of which Curvature evaluates, with those forms, for messages.
    static let forms: [String: String] = [
        "Gather": "on any tensor, with indices known at load",
        "Slice": "on any tensor, with starts, ends, axes and steps known at load",
        "Split": "on any tensor, with split sizes known at load",
        "Expand": "with a target shape known at load (the batch size may be part of it)",
        "Tile": "with repeats known at load (the batch size may be one, on axis 0 of a constant)",
        "Where": "with a condition known at load",
        "Equal": "on integers known at load (shapes), folded", "Less": "on integers known at load (shapes), folded",
        "Greater": "on integers known at load (shapes), folded", "LessOrEqual": "on integers known at load (shapes), folded",
        "GreaterOrEqual": "on integers known at load (shapes), folded", "Not": "on integers known at load (shapes), folded",
        "And": "on integers known at load (shapes), folded", "Or": "on integers known at load (shapes), folded",
        "Xor": "on integers known at load (shapes), folded",
        "Gemm": "with constant B and C", "Conv": "2-D, with constant kernel and bias",
        "Pad": "constant mode, pads known at load", "Pow": "with a constant exponent",
    ]

    /// Operators under which the input Hessian stays piecewise constant (with constant other
    /// operands; ONNXModel checks MatMul, Mul and Div, which are bilinear, for that).
    static let piecewiseLinear: Set<String> = [
        "Abs", "Add", "And", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat", "Constant", "ConstantOfShape",
        "Conv", "Dropout", "Equal", "Expand", "Flatten", "Gather", "Gemm", "GlobalAveragePool", "Greater", "GreaterOrEqual",
        "HardSigmoid", "Identity", "LeakyRelu", "Less", "LessOrEqual", "MaxPool", "Neg", "Not", "Or", "Pad", "ReduceMax",
        "ReduceMean", "ReduceSum", "Relu", "Reshape", "Shape", "Slice", "Split", "Squeeze", "Sub", "Tile", "Transpose",
        "Unsqueeze", "Where", "Xor",
    ]

    static func evaluate(_ c: NodeContext) throws -> [GraphValue] {
        switch c.node.opType {
        case "Relu": return [.float(relu(try c.activation()), batched: true)]
        case "Sigmoid", "Tanh", "Erf", "Sqrt", "Exp", "Log", "Abs", "Neg", "Softplus", "Elu", "LeakyRelu", "Gelu",
             "HardSigmoid", "HardSwish", "Mish":
            return try unary(c)
        case "Add", "Sub", "Mul", "Div": return try binary(c)
        case "Pow": return try power(c)
        case "Clip": return try clip(c)
        case "Softmax", "LogSoftmax": return try softmax(c)
        case "Conv": return try convolution(c)
        case "BatchNormalization": return try batchNormalization(c)
        case "Gemm": return try gemm(c)
        case "MatMul": return try matrixProduct(c)
        case "MaxPool", "AveragePool": return try pool(c)
        case "GlobalAveragePool":
            let x = try c.activation()
            guard x.shape.count == 4 else { throw c.fail("expects [N, C, H, W], got \(Shape.describe(x.shape))") }
            return [.float(mean(x, alongAxes: [2, 3], keepingDimensions: true), batched: true)]
        case "ReduceMean", "ReduceSum", "ReduceMax": return try reduction(c)
        case "LayerNormalization": return try layerNormalization(c)
        case "Expand": return try expansion(c)
        case "Tile": return try tiling(c)
        case "Split": return try split(c)
        case "Where": return try selection(c)
        case "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor": return try comparison(c)
        case "Identity", "Dropout", "Cast": return try passThrough(c)
        case "Flatten", "Reshape", "Squeeze", "Unsqueeze": return try reshaping(c)
        case "Transpose": return try transposition(c)
        case "Concat": return try concatenation(c)
        case "Pad": return try padding(c)
        case "Gather", "Slice":
            if case .float = try c.input(0) { return try c.node.opType == "Gather" ? gatherFloats(c) : sliceFloats(c) }
            return try shapeArithmetic(c)
        case "Shape", "Constant", "ConstantOfShape": return try shapeArithmetic(c)
        default:
            throw c.fail("operator \(c.node.opType) is not supported; supported: \(supported.joined(separator: ", "))")
        }
    }

    // MARK: Element-wise

    static func unary(_ c: NodeContext) throws -> [GraphValue] {
        let (x, batched) = try c.float(0)
        let y: Variable
        switch c.node.opType {
        case "Sigmoid": y = sigmoid(x)
        case "Tanh": y = tanh(x)
        case "Erf": y = erf(x)
        case "Sqrt": y = sqrt(x)
        case "Exp": y = exp(x)
        case "Log": y = log(x)
        case "Abs": y = abs(x)
        case "Neg": y = -x
        case "Softplus": y = softplus(x, beta: 1, threshold: 20)
        case "Elu": y = elu(x, alpha: c.float("alpha", default: 1))
        case "Gelu":
            let approximation = c.string("approximate", default: "none")
            guard let form = GELUApproximation(rawValue: approximation) else { throw c.fail("approximate \(approximation) is not supported (none or tanh)") }
            y = gelu(x, approximation: form)
        case "HardSigmoid": y = clamp(affine(x, scale: c.float("alpha", default: 0.2), shift: c.float("beta", default: 0.5)), min: 0, max: 1)
        case "HardSwish": y = x * clamp(affine(x, scale: 1 / 6, shift: 0.5), min: 0, max: 1)
        case "Mish": y = x * tanh(softplus(x, beta: 1, threshold: 20))
        default:  // LeakyRelu: x for x > 0, αx below.
            let alpha = c.float("alpha", default: 0.01)
            y = relu(x) - alpha * relu(-x)
        }
        return [.float(y, batched: batched)]
    }

    static func binary(_ c: NodeContext) throws -> [GraphValue] {
        if case let .integers(a) = try c.input(0), case let .integers(b) = try c.input(1) {
            return [.integers(try integerArithmetic(c, a, b))]
        }
        let (a, aBatched) = try c.float(0), (b, bBatched) = try c.float(1)
        // Shapes that the scalar paths below do not take must broadcast, keeping the batch on axis 0.
        let scalarA = !aBatched && a.count == 1 && c.node.opType != "Div", scalarB = !bBatched && b.count == 1
        if a.shape != b.shape && !scalarA && !scalarB { try checkBroadcast(c, a.shape, aBatched, b.shape, bBatched) }
        // A one-number operand becomes a scalar op: no broadcast, and a cheaper derivative.
        func scalar(_ v: Variable, _ batched: Bool) -> Double? { !batched && v.count == 1 ? v.value[flat: 0] : nil }
        let y: Variable
        switch c.node.opType {
        case "Add": y = scalar(b, bBatched).map { a + $0 } ?? scalar(a, aBatched).map { $0 + b } ?? a + b
        case "Sub": y = scalar(b, bBatched).map { a - $0 } ?? scalar(a, aBatched).map { $0 - b } ?? a - b
        case "Mul": y = scalar(b, bBatched).map { a * $0 } ?? scalar(a, aBatched).map { $0 * b } ?? a * b
        default: y = scalar(b, bBatched).map { a / $0 } ?? a / b
        }
        return [.float(y, batched: aBatched || bBatched)]
    }

    /// NumPy broadcasting that keeps the batch on axis 0 and stays within ``Limits/values``; the
    /// broadcast shape.
    @discardableResult
    static func checkBroadcast(_ c: NodeContext, _ a: [Int], _ aBatched: Bool, _ b: [Int], _ bBatched: Bool) throws -> [Int] {
        let rank = Swift.max(a.count, b.count)
        guard let shape = broadcastShape(a, b) else { throw c.fail("shapes \(Shape.describe(a)) and \(Shape.describe(b)) do not broadcast") }
        let batched = aBatched || bBatched
        for (shapeOf, isBatched) in [(a, aBatched), (b, bBatched)] where c.batchOnAxis0(isBatched) {
            try c.keepBatch(shapeOf.count == rank && shape[0] == shapeOf[0],
                            "broadcasting \(Shape.describe(a)) with \(Shape.describe(b)) moves or widens the batch axis")
        }
        try c.checkSize(shape, batched: batched, "the result")
        return shape
    }

    /// NumPy's broadcast of two shapes, or nil when they do not broadcast.
    static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = Swift.max(a.count, b.count)
        let pa = [Int](repeating: 1, count: rank - a.count) + a, pb = [Int](repeating: 1, count: rank - b.count) + b
        var shape: [Int] = []
        for (x, y) in zip(pa, pb) {
            guard x == y || x == 1 || y == 1 else { return nil }
            shape.append(x == 1 ? y : x)
        }
        return shape
    }

    static func power(_ c: NodeContext) throws -> [GraphValue] {
        let (x, batched) = try c.float(0)
        let exponent = try c.scalar(1)
        return [.float(exponent == 2 ? square(x) : exponent == 1 ? x : pow(x, exponent), batched: batched)]
    }

    static func clip(_ c: NodeContext) throws -> [GraphValue] {
        let (x, batched) = try c.float(0)
        let lower: Double, upper: Double
        if c.opset < 11 {
            lower = c.float("min", default: -.infinity)
            upper = c.float("max", default: .infinity)
        } else {
            lower = c.hasInput(1) ? try c.scalar(1) : -.infinity
            upper = c.hasInput(2) ? try c.scalar(2) : .infinity
        }
        return [.float(clamp(x, min: lower, max: upper), batched: batched)]
    }

    static func softmax(_ c: NodeContext) throws -> [GraphValue] {
        let (x, batched) = try c.float(0)
        let rank = x.shape.count
        let axis = try c.normalise(axis: c.int("axis", default: c.opset < 13 ? 1 : -1), rank: rank)
        let isSoftmax = c.node.opType == "Softmax"
        func apply(_ v: Variable, _ a: Int) -> Variable { isSoftmax ? Autodiff.softmax(v, axis: a) : Autodiff.logSoftmax(v, axis: a) }
        if c.opset >= 13 || axis == rank - 1 {
            try c.keepBatch(!c.batchOnAxis0(batched) || axis != 0, "axis \(axis) runs across the batch")
            return [.float(apply(x, axis), batched: batched)]
        }
        // Before opset 13 the input is read as a matrix [axes before, axes from `axis` on].
        try c.keepBatch(!c.batchOnAxis0(batched) || axis != 0, "axis 0 flattens the batch into the softmax")
        let matrix = [x.shape[..<axis].reduce(1, *), x.shape[axis...].reduce(1, *)]
        return [.float(reshape(apply(reshape(x, matrix), 1), x.shape), batched: batched)]
    }

    static func passThrough(_ c: NodeContext) throws -> [GraphValue] {
        if c.node.opType == "Dropout" {
            if c.node.output.count > 1 && !c.node.output[1].isEmpty { throw c.fail("its mask output is used; Curvature evaluates in inference mode") }
            if c.hasInput(2), case let .integers(training) = try c.input(2), training.values.first != 0 {
                throw c.fail("training_mode is set; Curvature evaluates in inference mode")
            }
        }
        if c.node.opType == "Cast", case .float = try c.input(0) {
            let to = c.int("to", default: 1)
            guard [1, 10, 11, 16].contains(to) else { throw c.fail("casts a floating-point tensor to \(ElementType.named(Int32(to)))") }
        }
        if c.node.opType == "Cast", case let .integers(value) = try c.input(0) {
            let to = c.int("to", default: 7)
            if [1, 10, 11, 16].contains(to) { return [.float(try c.float(0).variable, batched: false)] }
            if to == 9 {  // bool
                guard !value.dependsOnBatch else { throw c.fail("casts the batch size \(value.description) to bool") }
                return [.integers(IntegerValue(shape: value.shape, values: value.values.map { $0 != 0 ? 1 : 0 }))]
            }
            return [.integers(value)]
        }
        return [try c.input(0)]
    }
}
