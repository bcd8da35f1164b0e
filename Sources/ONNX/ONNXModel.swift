import Autodiff
import FileIO
import Foundation
import NN
import SwiftProtobuf
import Tensors

/// A classifier read from an ONNX file and evaluated node by node with the engine's own
/// differentiable ops, so its input derivatives are exact to any order.
///
/// Everything is checked at load, before any work: the operators (``supportedOperators``), the
/// weights, and the shapes, by one evaluation of a single sample during which the shape chains
/// exporters emit (Shape → Gather → Unsqueeze → Concat → Reshape) are folded to constants (for a
/// graph that moves the batch off axis 0, again for each batch size met: ``BatchSizeFolds``).
public final class ONNXModel: Network {
    public static var supportedOperators: [String] { Operators.supported }
    /// Opsets whose semantics the operators follow (19 and 20 change none of them but add forms
    /// that are refused: AveragePool's dilations, Pad's wrap mode; 20 adds Gelu).
    public static let opsets = 9...20

    public let inputShape: [Int]
    public let dtype: DType
    /// Things a user should know about how the file was read (a Softmax head dropped, …).
    public private(set) var notes: [String] = []

    private var proto: Onnx_ModelProto
    private let opset: Int
    private let inputName: String
    private let outputName: String
    private let declaredBatch: Int?
    /// Every node the file's output needs (a Softmax head dropped), as the evaluations that fold run them.
    private(set) var nodes: [Onnx_NodeProto] = []
    /// The graph folded at load: for every batch size while the batch stays on axis 0, else for one sample.
    private(set) var graph = FoldedGraph()
    /// Nodes that run per evaluation (shape arithmetic is folded out).
    var steps: [Onnx_NodeProto] { graph.steps }
    private var integerConstants: [String: IntegerValue] = [:]
    /// Whether `name` is one of the file's integer initializers.
    func isIntegerConstant(_ name: String) -> Bool { integerConstants[name] != nil }
    private var parameters: [(name: String, parameter: Parameter, type: Int32)] = []
    private var parameterByName: [String: Parameter] = [:]
    private var batchNorms: [String: BatchNorm] = [:]
    private(set) var sampleShapes: [String: [Int]] = [:]
    private(set) var rowParameters: [String: Int] = [:]
    /// Whether the graph is folded again for each batch size it meets (``BatchSizeFolds``): set at
    /// load when a node moves the batch off axis 0 or merges it with another axis
    /// (``BatchLayoutError``), as nn.MultiheadAttention's does, so that no batch symbol can stand
    /// for it in the folded shapes.
    public private(set) var foldedPerBatchSize = false
    /// The graph folded for each batch size met, when ``foldedPerBatchSize``.
    let batchSizeFolds = BatchSizeFolds()

    /// Reads an ONNX file.
    public static func load(from url: URL, dtype: DType = .float32) throws -> ONNXModel {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw ModelError("\(url.path): cannot read: \(fileProblem(error, path: url.path))")
        }
        return try ONNXModel(data: data, source: url.lastPathComponent, dtype: dtype)
    }

    /// Parses and checks a serialized ONNX model; `source` names it in errors.
    public init(data: Data, source: String, dtype: DType = .float32) throws {
        func fail(_ message: String) -> ModelError { ModelError("\(source): \(message)") }
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 64
            proto = try Onnx_ModelProto(serializedBytes: data, options: options)
        } catch {
            throw fail("not an ONNX model (protobuf: \(error))")
        }
        self.dtype = dtype
        let defaultDomain = proto.opsetImport.filter { $0.domain.isEmpty || $0.domain == "ai.onnx" }
        guard let version = defaultDomain.map(\.version).max() else { throw fail("names no opset of the default ONNX domain") }
        guard Self.opsets.contains(Int(version)) else {
            throw fail("opset \(version) is outside the supported \(Self.opsets.lowerBound)–\(Self.opsets.upperBound); re-export with opset_version=17")
        }
        opset = Int(version)
        let graph = proto.graph
        let initializerNames = Set(graph.initializer.map(\.name))
        let inputs = graph.input.filter { !initializerNames.contains($0.name) }
        guard inputs.count == 1 else { throw fail("the graph has \(inputs.count) inputs (\(inputs.map(\.name).joined(separator: ", "))); Curvature needs one image input") }
        guard graph.output.count == 1 else { throw fail("the graph has \(graph.output.count) outputs; Curvature needs one (the logits)") }
        let input = inputs[0]
        inputName = input.name
        let dims = input.type.tensorType.shape.dim
        guard input.type.tensorType.hasShape, dims.count >= 2 else {
            throw fail("input '\(printable(input.name))' has no fixed shape; export with an example input of the image size")
        }
        var sample: [Int] = []
        for (axis, dim) in dims.enumerated().dropFirst() {
            guard case let .dimValue(size)? = dim.value, size > 0, size <= 1 << 16 else {
                throw fail("input '\(printable(input.name))' axis \(axis) is dynamic (\(dim.dimParam.isEmpty ? "unknown" : printable(dim.dimParam))); Curvature needs one sample's shape fixed")
            }
            sample.append(Int(size))
        }
        guard ONNXLimits.count(sample) != nil else {
            throw fail("input '\(printable(input.name))' is \(Shape.describe(sample)) per sample, more than \(ONNXLimits.values) values; Curvature supports at most that many")
        }
        inputShape = sample
        if case let .dimValue(size)? = dims[0].value { declaredBatch = Int(size) } else { declaredBatch = nil }

        // Every operator is checked before any weight is decoded, and all that fail are named at once.
        for node in graph.node where !node.output.contains(where: { !$0.isEmpty }) { throw fail("\(Self.label(of: node)): has no output") }
        if let message = Self.unsupportedOperators(in: graph.node) { throw fail(message) }
        var nodes = graph.node
        var output = graph.output[0].name
        if let last = nodes.last(where: { $0.output.contains(output) }), ["Softmax", "LogSoftmax"].contains(last.opType), !last.input.isEmpty,
           !nodes.contains(where: { $0.input.contains(output) }) {
            nodes.removeAll { $0.output.contains(output) }
            notes.append("\(source): the graph ends in \(last.opType); using the logits before it (\(printable(last.input[0])))")
            output = last.input[0]
        }
        outputName = output
        try makeParameters(graph: graph, nodes: nodes, source: source)
        self.nodes = nodes
        try checkByEvaluatingOneSample(source: source)
    }

    /// A node's name in messages: its own, else its first output's.
    static func label(of node: Onnx_NodeProto) -> String {
        let name = node.name.isEmpty ? (node.output.first.map { "output '\(printable($0))'" } ?? "unnamed") : "'\(printable(node.name))'"
        return "node \(name) (\(printable(node.opType)))"
    }

    // MARK: Loading

    private func makeParameters(graph: Onnx_GraphProto, nodes: [Onnx_NodeProto], source: String) throws {
        var decoded: [String: (Tensor, Onnx_TensorProto)] = [:]
        for tensor in graph.initializer {
            let what = "\(source): initializer '\(printable(tensor.name))'"
            switch try tensor.decoded(as: dtype, what: what) {
            case let .floating(value, _):
                if let bad = value.scalars.firstIndex(where: { !$0.isFinite }) {
                    throw ModelError("\(what) holds a non-finite value (\(value[flat: bad])) at flat index \(bad)")
                }
                decoded[tensor.name] = (value, tensor)
            case let .integers(value): integerConstants[tensor.name] = value
            }
        }
        // Weights of layers are trained by `train --init`; statistics and other constants
        // (an input normalisation's mean and std) are not. A weight may reach its layer through
        // Cast or Identity (float16 exports cast every initializer).
        var passedOn: [String: String] = [:]
        for node in nodes where ["Cast", "Identity"].contains(node.opType) && node.input.count == 1 && node.output.count == 1 {
            passedOn[node.output[0]] = node.input[0]
        }
        func origin(_ name: String) -> String {
            var name = name, hops = 0
            while let earlier = passedOn[name], hops < nodes.count { (name, hops) = (earlier, hops + 1) }
            return name
        }
        let producers = Dictionary(nodes.flatMap { node in node.output.map { ($0, node.opType) } }, uniquingKeysWith: { a, _ in a })
        var trainable = Set<String>()
        for node in nodes {
            switch node.opType {
            case "Conv", "Gemm", "MatMul": trainable.formUnion(node.input.dropFirst().map(origin))
            case "BatchNormalization": trainable.formUnion(node.input.dropFirst().prefix(2).map(origin))
            case "LayerNormalization": trainable.formUnion(node.input.dropFirst().map(origin))
            case "Add" where node.input.contains { ["MatMul", "Conv", "Gemm"].contains(producers[$0] ?? "") }:
                trainable.formUnion(node.input.map(origin).filter { decoded[$0] != nil })
            default: break
            }
        }
        for node in nodes where node.opType == "BatchNormalization" {
            let names = [node.input.first ?? ""] + node.input.dropFirst().map(origin)
            guard names.count == 5, names.dropFirst().allSatisfy({ decoded[$0] != nil }) else {
                throw ModelError("\(source): \(Self.label(of: node)): scale, bias, mean and variance must be constants of the model")
            }
            guard !names.dropFirst().contains(where: { parameterByName[$0] != nil }) else {
                throw ModelError("\(source): \(Self.label(of: node)): shares its statistics with another BatchNormalization")
            }
            let channels = decoded[names[1]]!.0.count
            guard names.dropFirst().allSatisfy({ decoded[$0]!.0.shape == [channels] }) else {
                throw ModelError("\(source): \(Self.label(of: node)): scale, bias, mean and variance should all be [\(channels)]")
            }
            let attribute = { (name: String) in node.attribute.first { $0.name == name } }
            let norm = BatchNorm(features: channels, spatial: true, epsilon: Double(attribute("epsilon")?.f ?? 1e-5),
                                 momentum: 1 - Double(attribute("momentum")?.f ?? 0.9), dtype: dtype)
            norm.weight.value = decoded[names[1]]!.0
            norm.bias.value = decoded[names[2]]!.0
            norm.runningMean.value = decoded[names[3]]!.0
            norm.runningVariance.value = decoded[names[4]]!.0
            batchNorms[node.output[0]] = norm
            for (name, parameter) in zip(names.dropFirst(), [norm.weight, norm.bias, norm.runningMean, norm.runningVariance]) {
                parameterByName[name] = parameter
            }
        }
        for tensor in graph.initializer {
            guard let (value, proto) = decoded[tensor.name] else { continue }
            let parameter = parameterByName[tensor.name] ?? Parameter(value, trainable: trainable.contains(tensor.name))
            parameterByName[tensor.name] = parameter
            parameters.append((tensor.name, parameter, proto.dataType))
        }
    }

    private func checkByEvaluatingOneSample(source: String) throws {
        let sample = Variable(Tensor(zeros: [1] + inputShape, dtype: dtype))
        var used: [String: Int] = [:]
        let logits: Variable
        do {
            logits = try GradientMode.withoutGradients {
                try foldRetryingPerBatchSize(sample, source: source, restart: { used = [:] }) { [self] node, outputs in
                    guard graph.record(node, outputs: outputs, isConstant: isIntegerConstant) else { return }
                    if case let .float(v, batched)? = outputs.first {
                        sampleShapes[node.output[0]] = batched && !foldedPerBatchSize ? Array(v.shape.dropFirst()) : v.shape
                    }
                    var count = 0
                    for name in node.input where parameterByName[name] != nil && used[name] == nil {
                        used[name] = 1
                        count += parameterByName[name]!.value.count
                    }
                    rowParameters[node.output[0]] = count
                }
            }
        } catch let error as ModelError {
            throw ModelError("\(source): \(error.description)")
        }
        guard logits.shape.count == 2, logits.shape[0] == 1 else {
            throw ModelError("\(source): the output '\(printable(outputName))' is \(Shape.describe(Array(logits.shape.dropFirst()))) per sample; Curvature needs a vector of logits")
        }
        let unused = parameters.filter { used[$0.name] == nil }.map(\.name)
        parameters.removeAll { used[$0.name] == nil }
        if !unused.isEmpty { notes.append("\(source): \(unused.count) initializer(s) no node reads (\(unused.prefix(3).joined(separator: ", "))…) are ignored") }
    }

    /// `fold` with the batch tracked on axis 0; when a node moves it (``BatchLayoutError``), what the
    /// first attempt recorded is dropped and the graph is folded again for this one sample, and
    /// later for each batch size met.
    private func foldRetryingPerBatchSize(_ input: Variable, source: String, restart: () -> Void,
                                         observe: @escaping (Onnx_NodeProto, [GraphValue]) -> Void) throws -> Variable {
        do {
            return try fold(input, observe: observe)
        } catch let layout as BatchLayoutError {
            (graph, sampleShapes, rowParameters) = (FoldedGraph(), [:], [:])
            foldedPerBatchSize = true
            restart()
            notes.append("\(source): \(layout.message); the graph is folded again for each batch size it meets"
                         + (batchNorms.isEmpty ? "" : " (its BatchNormalization keeps the running statistics in training too)"))
            return try fold(input, observe: observe)
        }
    }

    /// Evaluates every node on `input` within the load-time budgets (``ONNXLimits``' per-sample
    /// ones, times `input`'s batch size), and hands each node's outputs to `observe`.
    func fold(_ input: Variable, observe: @escaping (Onnx_NodeProto, [GraphValue]) -> Void) throws -> Variable {
        try run(input, nodes: nodes, folded: FoldedGraph(), budget: OperationBudget(samples: input.shape[0]), observe: observe)
    }

    /// Evaluates `graph`'s steps on `input`.
    func run(_ input: Variable, graph: FoldedGraph) throws -> Variable {
        try run(input, nodes: graph.steps, folded: graph, budget: nil, observe: nil)
    }

    /// Evaluates `nodes` on `input`, reading what they do not make from `folded` and the file;
    /// `observe` sees each node's outputs.
    private func run(_ input: Variable, nodes: [Onnx_NodeProto], folded: FoldedGraph, budget: OperationBudget?,
                     observe: ((Onnx_NodeProto, [GraphValue]) -> Void)?) throws -> Variable {
        var values: [String: GraphValue] = [inputName: .float(input, batched: true)]
        func lookup(_ name: String, for node: Onnx_NodeProto) throws -> GraphValue? {
            if name.isEmpty { return nil }
            if let value = values[name] { return value }
            if let value = folded.integers[name] ?? integerConstants[name] { return .integers(value) }
            if let value = folded.floats[name] { return .float(Variable(value), batched: false) }
            if let parameter = parameterByName[name] { return .float(parameter.variable, batched: false) }
            throw ModelError("\(Self.label(of: node)): reads '\(printable(name))', which no earlier node or initializer makes")
        }
        for node in nodes {
            let inputs = try node.input.map { try lookup($0, for: node) }
            let context = NodeContext(node: node, inputs: inputs, opset: opset, dtype: dtype, declaredBatch: declaredBatch,
                                      batchNorms: batchNorms, tracksBatch: !foldedPerBatchSize, batchSize: input.shape[0], budget: budget)
            let outputs: [GraphValue]
            do { outputs = try Operators.evaluate(context) } catch let error as ModelError {
                // A refusal of an operator supported in some forms says which forms those are.
                guard let form = Operators.forms[node.opType] else { throw error }
                throw ModelError("\(error.description) (Curvature supports \(node.opType) \(form))")
            }
            for output in outputs {
                switch output {
                case let .float(v, _): try context.keep(v.count)
                case let .integers(v):
                    try context.keep(v.values.count)
                    try context.charge(255 * v.values.count)
                }
            }
            for (name, value) in zip(node.output, outputs) where !name.isEmpty { values[name] = value }
            observe?(node, outputs)
        }
        guard case let .float(logits, batched)? = try lookup(outputName, for: Onnx_NodeProto()), batched else {
            throw ModelError("the output '\(printable(outputName))' does not depend on the input")
        }
        return logits
    }

    // MARK: Layer

    public func callAsFunction(_ input: Variable) -> Variable {
        let size = input.shape[0]
        do {
            guard foldedPerBatchSize && size != 1 else { return try run(input, graph: graph) }
            // One sample at a time only for a batch size whose fold was refused (see foldedGraph(forBatch:)).
            if let whole = batchSizeFolds.graph(forBatch: size, folding: foldedGraph(forBatch:)) { return try run(input, graph: whole) }
            return concatenate(try (0..<size).map { try run(slice(input, rows: $0..<($0 + 1)), graph: graph) })
        } catch {
            // The load-time evaluation ran every node, and a batch size's fold ran its own steps.
            preconditionFailure("ONNX graph failed after it loaded: \(error)")
        }
    }

    public var namedParameters: [(name: String, parameter: Parameter)] { parameters.map { ($0.name, $0.parameter) } }

    public var isTraining: Bool {
        get { batchNorms.values.contains { $0.isTraining } }
        // Off axis 0 the batch's statistics cannot be told from a sample's: the running ones stay.
        set { for norm in batchNorms.values { norm.isTraining = newValue && !foldedPerBatchSize } }
    }

    public var spec: LayerSpec { LayerSpec(type: "onnx") }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input == inputShape else { throw ModelError("the ONNX graph takes \(Shape.describe(inputShape)), not \(Shape.describe(input))") }
        return [outputCount]
    }

    // MARK: Network

    public var outputCount: Int { sampleShapes[outputName]?.reduce(1, *) ?? 0 }

    public var isPiecewiseLinear: Bool {
        steps.allSatisfy { node in
            guard Operators.piecewiseLinear.contains(node.opType) || ["Mul", "Div", "MatMul"].contains(node.opType) else { return false }
            // A product is linear in the input only when one side is a constant.
            if node.opType == "Mul" || node.opType == "MatMul" { return node.input.contains(where: isConstant) }
            if node.opType == "Div" { return node.input.count > 1 && isConstant(node.input[1]) }
            return true
        }
    }

    /// Whether the graph's value `name` is a weight or folded at load (not computed from the image).
    func isConstant(_ name: String) -> Bool {
        parameterByName[name] != nil || graph.folds(name) || integerConstants[name] != nil
    }

    public var structureFingerprint: String {
        var graph = proto.graph
        graph.initializer = graph.initializer.map { var t = $0; t.rawData = Data(); t.floatData = []; t.doubleData = []; t.int32Data = []; t.int64Data = []; return t }
        let bytes = (try? graph.serializedData()) ?? Data()
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return "onnx graph fnv1a-64 \(String(hash, radix: 16)), input \(Shape.describe(inputShape))"
    }

    public func loadState(_ file: SafetensorsFile, source: String) throws {
        var available = Dictionary(file.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        for (name, parameter) in namedParameters {
            guard let tensor = available.removeValue(forKey: name) else { throw ModelError("\(source): tensor \"\(name)\" is missing") }
            guard tensor.shape == parameter.shape else {
                throw ModelError("\(source): tensor \"\(name)\" has shape \(Shape.describe(tensor.shape)) but the graph expects \(Shape.describe(parameter.shape))")
            }
            parameter.value = tensor.converted(to: parameter.value.dtype)
        }
        if let extra = available.keys.sorted().first { throw ModelError("\(source): tensor \"\(extra)\" does not belong to the graph") }
    }

    /// Writes the graph back with the current weights, each in its original element type.
    public func save(to url: URL, metadata: [String: String]) throws {
        var copy = proto
        let current = Dictionary(parameters.map { ($0.name, $0.parameter.value) }, uniquingKeysWith: { a, _ in a })
        copy.graph.initializer = proto.graph.initializer.map { tensor in
            current[tensor.name].map { tensor.replacingValues(with: $0) } ?? tensor
        }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            copy.metadataProps.removeAll { $0.key == key }
            var entry = Onnx_StringStringEntryProto()
            (entry.key, entry.value) = (key, value)
            copy.metadataProps.append(entry)
        }
        try AtomicFile.write(try copy.serializedData(), to: url)
    }

    public var fileExtension: String { "onnx" }

    public var summary: NetworkSummary {
        var activations: [String] = []
        let smooth: Set<String> = ["Relu", "LeakyRelu", "Elu", "Softplus", "Sigmoid", "Tanh", "Erf", "Gelu", "Clip", "Sqrt", "Pow", "Exp", "Log", "Abs", "MaxPool",
                                   "HardSigmoid", "HardSwish", "Mish", "Softmax", "LogSoftmax", "LayerNormalization", "ReduceMax"]
        var grouped = 0
        let rows = steps.map { node -> NetworkSummary.Row in
            if smooth.contains(node.opType) && !activations.contains(node.opType) { activations.append(node.opType) }
            let name = node.name.isEmpty ? node.output[0] : node.name
            var kind = node.opType
            if node.opType == "Conv" {
                // Depthwise: one input channel per group.
                let groups = Int(node.attribute.first { $0.name == "group" }?.i ?? 1)
                let channels = node.input.first.flatMap { $0 == inputName ? inputShape.first : sampleShapes[$0]?.first }
                kind += ", groups \(groups)" + (groups > 1 && groups == channels ? " (depthwise)" : "")
                if groups > 1 { grouped += 1 }
            }
            if node.opType == "MatMul" && !node.input.contains(where: isConstant) { kind += ", two computed tensors" }
            return .init(name: name, kind: kind, outputShape: sampleShapes[node.output[0]] ?? [],
                         parameters: rowParameters[node.output[0]] ?? 0)
        }
        var extra = notes
        if let transformer = transformerBlocks { extra.append(transformer) }
        if grouped > 0 {
            extra.append("\(grouped) grouped convolution(s) run group by group, each output from its group's channels only (no block-diagonal dense kernel)")
        }
        if !graph.integers.isEmpty || !graph.floats.isEmpty {
            extra.append("\(graph.integers.count + graph.floats.count) constant value(s) folded at load (Constant nodes, Shape/Gather/Unsqueeze/Concat chains)")
        }
        let trainable = parameters.filter(\.parameter.isTrainable).reduce(0) { $0 + $1.parameter.value.count }
        extra.append("\(trainable) trainable weights; \(parameterCount - trainable) constants (statistics, normalisation)")
        return NetworkSummary(format: "ONNX (opset \(opset), \(proto.producerName.isEmpty ? "unknown producer" : printable(proto.producerName + " " + proto.producerVersion)))",
                              inputShape: inputShape, rows: rows, activations: activations, isPiecewiseLinear: isPiecewiseLinear, notes: extra)
    }
}
