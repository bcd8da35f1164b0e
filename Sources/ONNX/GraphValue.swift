import Autodiff
import NN
import Tensors

/// A value on one of the graph's edges while it runs.
enum GraphValue {
    /// A floating-point tensor. `batched` values (the input and everything computed from it)
    /// carry the batch on axis 0; weights and constants do not.
    case float(Variable, batched: Bool)
    /// A shape-like integer tensor, folded at load.
    case integers(IntegerValue)
}

/// What an operator sees of one node: its inputs, attributes and where to report problems.
struct NodeContext {
    let node: Onnx_NodeProto
    let inputs: [GraphValue?]
    let opset: Int
    let dtype: DType
    /// The batch size the graph was exported with when it is a fixed number (Reshape targets
    /// that spell it out mean "the batch").
    let declaredBatch: Int?
    /// Batch-norm layers made at load, by node output name (they hold the running statistics).
    let batchNorms: [String: BatchNorm]

    var label: String { ONNXModel.label(of: node) }

    func fail(_ message: String) -> ModelError { ModelError("\(label): \(message)") }

    // MARK: Inputs

    func input(_ index: Int) throws -> GraphValue {
        guard index < inputs.count, let value = inputs[index] else { throw fail("input \(index + 1) is missing") }
        return value
    }

    func hasInput(_ index: Int) -> Bool { index < inputs.count && inputs[index] != nil }

    /// A floating-point input; a folded integer constant is converted (e.g. `x / 2` with an int 2).
    func float(_ index: Int) throws -> (variable: Variable, batched: Bool) {
        switch try input(index) {
        case let .float(variable, batched): return (variable, batched)
        case let .integers(value):
            guard !value.dependsOnBatch else { throw fail("input \(index + 1) depends on the batch size (\(value.description)) and is used as a number") }
            return (Variable(Tensor(shape: value.shape, scalars: value.values.map(Double.init), dtype: dtype)), false)
        }
    }

    /// The batched activation input (the data flowing from the image).
    func activation(_ index: Int = 0) throws -> Variable {
        let (variable, batched) = try float(index)
        guard batched else { throw fail("input \(index + 1) does not depend on the image; Curvature expects it to") }
        return variable
    }

    /// A constant or weight input (not computed from the image).
    func constant(_ index: Int) throws -> Variable {
        let (variable, batched) = try float(index)
        guard !batched else { throw fail("input \(index + 1) is computed from the image; Curvature supports only a constant there") }
        return variable
    }

    /// A scalar constant input (Clip's bounds, Pow's exponent, Pad's value).
    func scalar(_ index: Int) throws -> Double {
        let value = try constant(index).value
        guard value.count == 1 else { throw fail("input \(index + 1) should be one number, found \(Shape.describe(value.shape))") }
        return value[flat: 0]
    }

    func integers(_ index: Int) throws -> IntegerValue {
        guard case let .integers(value) = try input(index) else {
            throw fail("input \(index + 1) should be an integer tensor known at load (a shape, axes or pads)")
        }
        return value
    }

    // MARK: Attributes

    func attribute(_ name: String) -> Onnx_AttributeProto? { node.attribute.first { $0.name == name } }

    func int(_ name: String, default value: Int) -> Int { attribute(name).map { Int($0.i) } ?? value }

    func ints(_ name: String) -> [Int]? { attribute(name).map { $0.ints.map(Int.init) } }

    func float(_ name: String, default value: Double) -> Double { attribute(name).map { Double($0.f) } ?? value }

    func string(_ name: String, default value: String) -> String {
        attribute(name).map { String(decoding: $0.s, as: UTF8.self) } ?? value
    }

    /// Axes from an attribute (older opsets) or an input (newer ones), made non-negative.
    func axes(attribute name: String = "axes", input index: Int, rank: Int) throws -> [Int]? {
        let raw: [Int]?
        if hasInput(index) { raw = try integers(index).values } else { raw = ints(name) }
        return try raw.map { try $0.map { try normalise(axis: $0, rank: rank) } }
    }

    func normalise(axis: Int, rank: Int) throws -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        guard resolved >= 0 && resolved < rank else { throw fail("axis \(axis) is out of range for rank \(rank)") }
        return resolved
    }
}
