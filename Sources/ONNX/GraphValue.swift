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

/// Bounds on what the load-time check may compute, so that a small file cannot make it allocate
/// or work without end. A value computed from the input is counted per sample (so a batch of any
/// size still runs once the model has loaded, and a graph folded per batch size is allowed the
/// batch size times as much); a constant in all. The defaults admit ImageNet
/// networks (VGG-16's largest im2col workspace, 2^24.8 values; ResNet-50, 2^33 operations); the
/// fuzzer lowers them (Tests/Fuzz/Sources/fuzz-onnx) so that no input runs for long under ASan.
public enum ONNXLimits {
    /// Values in one tensor made while the graph runs (2²⁶, 512 MB in Float64); also one
    /// sample's im2col workspace of a convolution.
    public static var values = 1 << 26
    /// Integer values one node may make (shapes, axes and pads are a handful).
    public static var integerValues = 1 << 12
    /// Operations of the load-time evaluation of one sample, in all (2³⁶): a GEMM or convolution
    /// multiply-add or an element of an output counts 1; the slower loops more (a pooling window
    /// element 64, a part of a Concat times its result 32, an integer value 256). A CIFAR
    /// ResNet-18 needs about 2²⁹.
    public static var operations = 1 << 36
    /// Values the load-time evaluation of one sample keeps (every node's outputs), in all (2²⁸,
    /// 2 GB in Float64).
    public static var keptValues = 1 << 28

    /// a · b · …, or Int.max when that overflows (for charging ``operations``).
    static func saturatingProduct(_ factors: Int...) -> Int {
        var product = 1
        for factor in factors {
            let (next, overflow) = product.multipliedReportingOverflow(by: factor)
            if overflow { return Int.max }
            product = next
        }
        return product
    }

    /// `shape`'s element count when every axis is non-negative and the product of the axes (each
    /// counted as at least 1, so strides cannot overflow either) is at most `limit`; else nil.
    static func count(_ shape: [Int], limit: Int = values) -> Int? {
        var spread = 1, count = 1
        for dim in shape {
            guard dim >= 0 else { return nil }
            let (next, overflow) = spread.multipliedReportingOverflow(by: Swift.max(dim, 1))
            guard !overflow, next <= limit else { return nil }
            spread = next
            count *= dim
        }
        return count
    }
}

/// What a load-time evaluation of `samples` samples has left of ``ONNXLimits/operations`` and
/// ``ONNXLimits/keptValues`` (each per sample).
final class OperationBudget {
    var left: Int
    var valuesLeft: Int

    init(samples: Int) {
        left = ONNXLimits.saturatingProduct(ONNXLimits.operations, samples)
        valuesLeft = ONNXLimits.saturatingProduct(ONNXLimits.keptValues, samples)
    }
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
    /// Whether the batch is carried as a symbol on axis 0 of every image-dependent value; false
    /// when the graph is folded per batch size (see ``BatchLayoutError``): shapes then hold the
    /// batch size itself, wherever the layout puts it.
    var tracksBatch = true
    /// The batch size of this run (the image input's axis 0): what a folded batch symbol stands for.
    var batchSize = 1
    /// Set during the load-time evaluation only.
    var budget: OperationBudget? = nil

    var label: String { ONNXModel.label(of: node) }

    func fail(_ message: String) -> ModelError { ModelError("\(label): \(message)") }

    /// Refuses, while the batch is tracked, a layout that moves the batch off axis 0 or merges it
    /// with other axes; the model is then folded per batch size, where any layout is fine.
    func keepBatch(_ kept: Bool, _ message: @autoclosure () -> String) throws {
        guard tracksBatch, !kept else { return }
        throw BatchLayoutError(message: "\(label): \(message())")
    }

    /// Whether `batched` means "axis 0 is the batch" here (not so when folded per batch size).
    func batchOnAxis0(_ batched: Bool) -> Bool { batched && tracksBatch }

    // MARK: Limits

    /// Fails unless a tensor of `shape` stays within ``ONNXLimits/values`` (per sample when
    /// `batched`: axis 0 is then the batch, or, folded per batch size, `batchSize` samples share it).
    func checkSize(_ shape: [Int], batched: Bool, _ what: String) throws {
        let limit = batched && !tracksBatch ? ONNXLimits.saturatingProduct(ONNXLimits.values, batchSize) : ONNXLimits.values
        guard ONNXLimits.count(batchOnAxis0(batched) ? Array(shape.dropFirst()) : shape, limit: limit) != nil else {
            throw fail("\(what) \(Shape.describe(shape)) would hold more than \(ONNXLimits.values) values\(batched ? " per sample" : ""); Curvature supports at most that many")
        }
    }

    /// Counts a node's outputs (`values`, of the whole evaluation) against the load-time budgets.
    func keep(_ values: Int) throws {
        guard let budget else { return }
        budget.valuesLeft -= Swift.min(values, ONNXLimits.keptValues + 1)
        guard budget.valuesLeft >= 0 else {
            throw fail("the graph computes more than \(ONNXLimits.keptValues) values per sample; Curvature supports smaller graphs")
        }
        try charge(values)
    }

    /// Spends `operations` (of the whole evaluation) of the load-time budget.
    func charge(_ operations: Int) throws {
        guard let budget else { return }
        budget.left -= Swift.min(operations, ONNXLimits.operations + 1)
        guard budget.left >= 0 else {
            throw fail("the graph needs more than \(ONNXLimits.operations) operations per sample; Curvature supports smaller graphs")
        }
    }

    // MARK: Inputs

    func input(_ index: Int) throws -> GraphValue {
        guard index < inputs.count, let value = inputs[index] else { throw fail("input \(index) is missing") }
        return value
    }

    func hasInput(_ index: Int) -> Bool { index < inputs.count && inputs[index] != nil }

    /// A floating-point input; a folded integer constant is converted (e.g. `x / 2` with an int 2).
    func float(_ index: Int) throws -> (variable: Variable, batched: Bool) {
        switch try input(index) {
        case let .float(variable, batched): return (variable, batched)
        case let .integers(value):
            guard !value.dependsOnBatch else { throw fail("input \(index) depends on the batch size (\(value.description)) and is used as a number") }
            return (Variable(Tensor(shape: value.shape, scalars: value.values.map(Double.init), dtype: dtype)), false)
        }
    }

    /// The batched activation input (the data flowing from the image).
    func activation(_ index: Int = 0) throws -> Variable {
        let (variable, batched) = try float(index)
        guard batched else { throw fail("input \(index) does not depend on the image; Curvature expects it to") }
        return variable
    }

    /// A constant or weight input (not computed from the image).
    func constant(_ index: Int) throws -> Variable {
        let (variable, batched) = try float(index)
        guard !batched else { throw fail("input \(index) is computed from the image; Curvature supports only a constant there\(node.opType == "Gemm" ? "; a product of two computed tensors is MatMul's" : "")") }
        return variable
    }

    /// A scalar constant input (Clip's bounds, Pow's exponent, Pad's value).
    func scalar(_ index: Int) throws -> Double {
        let value = try constant(index).value
        guard value.count == 1 else { throw fail("input \(index) should be one number, found \(Shape.describe(value.shape))") }
        return value[flat: 0]
    }

    func integers(_ index: Int) throws -> IntegerValue {
        switch try input(index) {
        case let .integers(value): return value
        case let .float(_, batched):
            throw fail("input \(index) should be an integer tensor known at load (a shape, indices, axes or pads), found floating-point values\(batched ? " computed from the image" : "")")
        }
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

/// A node that moves the batch off axis 0 or merges it with another axis (nn.MultiheadAttention's
/// [T, N·heads, d] layout): the load-time check then starts again without the batch symbol, and
/// the graph is folded for each batch size met (``BatchSizeFolds``).
struct BatchLayoutError: Error {
    let message: String
}
