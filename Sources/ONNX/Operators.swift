import Autodiff
import NN
import Tensors

/// The ONNX operators Curvature evaluates (default domain, opsets 9–18), each with the engine's
/// own differentiable ops.
enum Operators {
    static let supported: [String] = [
        "Abs", "Add", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat", "Constant", "ConstantOfShape",
        "Conv", "Div", "Dropout", "Elu", "Erf", "Exp", "Flatten", "Gather", "Gelu", "Gemm", "GlobalAveragePool",
        "Identity", "LeakyRelu", "Log", "LogSoftmax", "MatMul", "MaxPool", "Mul", "Neg", "Pad", "Pow", "ReduceMean",
        "Relu", "Reshape", "Shape", "Sigmoid", "Slice", "Softmax", "Softplus", "Sqrt", "Squeeze", "Sub", "Tanh",
        "Transpose", "Unsqueeze",
    ]

    /// Operators under which the input Hessian stays piecewise constant (with constant other operands).
    static let piecewiseLinear: Set<String> = [
        "Abs", "Add", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat", "Constant", "ConstantOfShape",
        "Conv", "Dropout", "Flatten", "Gather", "Gemm", "GlobalAveragePool", "Identity", "LeakyRelu", "MatMul",
        "MaxPool", "Neg", "Pad", "ReduceMean", "Relu", "Reshape", "Shape", "Slice", "Squeeze", "Sub", "Transpose",
        "Unsqueeze",
    ]

    static func evaluate(_ c: NodeContext) throws -> [GraphValue] {
        switch c.node.opType {
        case "Relu": return [.float(relu(try c.activation()), batched: true)]
        case "Sigmoid", "Tanh", "Erf", "Sqrt", "Exp", "Log", "Abs", "Neg", "Softplus", "Elu", "LeakyRelu", "Gelu":
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
        case "ReduceMean": return try reduceMean(c)
        case "Identity", "Dropout", "Cast": return try passThrough(c)
        case "Flatten", "Reshape", "Squeeze", "Unsqueeze": return try reshaping(c)
        case "Transpose": return try transposition(c)
        case "Concat": return try concatenation(c)
        case "Pad": return try padding(c)
        case "Shape", "Gather", "Slice", "Constant", "ConstantOfShape": return try shapeArithmetic(c)
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
        case "Gelu": y = gelu(x, approximation: c.string("approximate", default: "none") == "tanh" ? .tanh : .none)
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

    /// NumPy broadcasting that keeps the batch on axis 0 and stays within ``Limits/values``.
    static func checkBroadcast(_ c: NodeContext, _ a: [Int], _ aBatched: Bool, _ b: [Int], _ bBatched: Bool) throws {
        let rank = Swift.max(a.count, b.count)
        let pa = [Int](repeating: 1, count: rank - a.count) + a, pb = [Int](repeating: 1, count: rank - b.count) + b
        var shape: [Int] = []
        for (x, y) in zip(pa, pb) {
            guard x == y || x == 1 || y == 1 else { throw c.fail("shapes \(Shape.describe(a)) and \(Shape.describe(b)) do not broadcast") }
            shape.append(x == 1 ? y : x)
        }
        let batched = aBatched || bBatched
        if batched {
            for (shapeOf, isBatched) in [(a, aBatched), (b, bBatched)] where isBatched {
                guard shapeOf.count == rank, shape[0] == shapeOf[0] else {
                    throw c.fail("broadcasting \(Shape.describe(a)) with \(Shape.describe(b)) moves or widens the batch axis")
                }
            }
        }
        try c.checkSize(shape, batched: batched, "the result")
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
        let x = try c.activation()
        // Before opset 13 the axis flattened the rest; on [N, C] both mean the classes.
        guard x.shape.count == 2 else { throw c.fail("supported on [N, C] only, got \(Shape.describe(x.shape))") }
        let axis = try c.normalise(axis: c.int("axis", default: c.opset < 13 ? 1 : -1), rank: 2)
        guard axis == 1 else { throw c.fail("axis \(axis) runs across the batch") }
        return [.float(c.node.opType == "Softmax" ? Autodiff.softmax(x, axis: 1) : Autodiff.logSoftmax(x, axis: 1), batched: true)]
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
            return [.integers(value)]
        }
        return [try c.input(0)]
    }
}
