import Autodiff
import FileIO
import Foundation
import Tensors

/// One entry of the architecture JSON, mirroring a PyTorch `nn.Sequential` item.
///
/// | type | fields |
/// | --- | --- |
/// | `linear` | in, out, bias (true) |
/// | `conv2d` | in, out, kernel, stride (1), padding (0), bias (true) |
/// | `maxpool2d`, `avgpool2d` | kernel, stride (= kernel) |
/// | `flatten`, `relu`, `tanh`, `sigmoid` | — |
/// | `softplus` | beta (1), threshold (20) |
/// | `elu` | alpha (1) |
/// | `gelu` | approximate ("none" or "tanh") |
/// | `batchnorm1d`, `batchnorm2d` | features, eps (1e-5), momentum (0.1) |
/// | `dropout` | p (0.5) |
/// | `residual` | in, out, stride (1), activation ("relu" or "softplus" with beta) — see `ResidualBlock` |
///
/// Any layer may carry `name`, its state-dict prefix in place of its index.
public struct LayerSpec: Codable, Equatable, Sendable {
    public var type: String
    public var `in`: Int?
    public var out: Int?
    public var bias: Bool?
    public var kernel: Int?
    public var stride: Int?
    public var padding: Int?
    public var beta: Double?
    public var threshold: Double?
    public var alpha: Double?
    public var approximate: String?
    public var features: Int?
    public var eps: Double?
    public var momentum: Double?
    public var p: Double?
    public var activation: String?
    /// The layer's state-dict prefix when it is not its index (`conv1`, `layer1.0`, `linear`).
    public var name: String?

    public init(type: String) { self.type = type }

    public static let knownTypes = [
        "linear", "conv2d", "maxpool2d", "avgpool2d", "flatten", "relu", "softplus", "tanh", "sigmoid",
        "elu", "gelu", "batchnorm1d", "batchnorm2d", "dropout", "residual",
    ]
}

/// A network: the shape of one input sample and its layers in order.
public struct Architecture: Codable, Equatable, Sendable {
    /// One sample's shape, e.g. [1, 28, 28].
    public var input: [Int]
    public var layers: [LayerSpec]

    public init(input: [Int], layers: [LayerSpec]) {
        self.input = input
        self.layers = layers
    }

    /// Reads and checks an architecture JSON file.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelError("\(url.path): cannot read: \(fileProblem(error, path: url.path))")
        }
        try self.init(json: data, source: url.lastPathComponent)
    }

    /// Parses and checks architecture JSON; `source` names it in errors.
    public init(json: Data, source: String = "architecture") throws {
        guard json.count <= 1 << 24 else { throw ModelError("\(source): \(json.count) bytes is too large for an architecture (limit 16 MiB)") }
        do {
            self = try JSONDecoder().decode(Architecture.self, from: json)
        } catch let DecodingError.keyNotFound(key, context) {
            throw ModelError("\(source): missing \"\(key.stringValue)\" at \(Self.path(context.codingPath))")
        } catch let DecodingError.typeMismatch(type, context) {
            throw ModelError("\(source): \(Self.path(context.codingPath)) should be \(type)")
        } catch let DecodingError.valueNotFound(type, context) {
            throw ModelError("\(source): \(Self.path(context.codingPath)) is null, expected \(type)")
        } catch {
            throw ModelError("\(source): not valid architecture JSON (\(error))")
        }
        try validate(source: source)
    }

    private static func path(_ keys: [CodingKey]) -> String {
        keys.isEmpty ? "top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    /// JSON with sorted keys, as stored in safetensors metadata.
    public func jsonString() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// Checks every layer's fields and that the shapes chain from `input` to the end.
    public func validate(source: String = "architecture") throws {
        guard !input.isEmpty, input.allSatisfy({ $0 > 0 && $0 <= 1 << 16 }) else {
            throw ModelError("\(source): input \(Shape.describe(input)) must be positive dimensions")
        }
        guard let values = checkedProduct(input), values <= 1 << 31 else {
            let found = checkedProduct(input).map(String.init) ?? "more than \(Int.max)"
            throw ModelError("\(source): input \(Shape.describe(input)) has \(found) values per sample, expected at most \(1 << 31)")
        }
        guard !layers.isEmpty else { throw ModelError("\(source): no layers") }
        var seen = Set<String>()
        for (index, spec) in layers.enumerated() where !seen.insert(spec.name ?? String(index)).inserted {
            throw ModelError("\(source): layer \(index) is named \"\(printable(spec.name ?? String(index)))\", like an earlier layer")
        }
        do { _ = try outputShape(for: input) } catch let error as ModelError {
            throw ModelError("\(source): \(error.description)")
        }
    }

    /// One sample's output shape for one sample's `input`; checks every layer on the way,
    /// without allocating any weights.
    public func outputShape(for input: [Int]) throws -> [Int] {
        var shape = input
        for (index, spec) in layers.enumerated() {
            do {
                try spec.checkFields()
                guard let count = spec.parameterCount, count < 1 << 31 else {
                    let found = spec.parameterCount.map(String.init) ?? "more than \(Int.max)"
                    throw ModelError("has \(found) parameters, expected fewer than \(1 << 31)")
                }
                shape = try spec.outputShape(for: shape)
            } catch let error as ModelError {
                throw ModelError("layer \(index) (\(printable(spec.type))): \(error.description)")
            }
        }
        return shape
    }
}

extension LayerSpec {
    func checkFields() throws {
        guard LayerSpec.knownTypes.contains(type) else {
            throw ModelError("unknown type \"\(printable(type))\"; expected one of \(LayerSpec.knownTypes.joined(separator: ", "))")
        }
        if let name, name.isEmpty || name.count > 100 || containsControlCharacter(name) || name.hasPrefix(".") || name.hasSuffix(".") {
            throw ModelError("\"name\" = \"\(printable(name))\" must be 1–100 printable characters, not starting or ending with a dot")
        }
        func positive(_ value: Int?, _ name: String) throws {
            guard let value else { throw ModelError("missing \"\(name)\"") }
            guard value > 0 && value <= 1 << 20 else { throw ModelError("\"\(name)\" = \(value) must be in 1…\(1 << 20)") }
        }
        switch type {
        case "linear": try positive(self.in, "in"); try positive(out, "out")
        case "conv2d", "residual":
            try positive(self.in, "in"); try positive(out, "out")
            if type == "conv2d" { try positive(kernel, "kernel") }
            if let stride { try positive(stride, "stride") }
            if let padding, padding < 0 || padding > 1 << 10 { throw ModelError("\"padding\" = \(padding) must be ≥ 0") }
            if let activation, !["relu", "softplus"].contains(activation) {
                throw ModelError("\"activation\" = \"\(printable(activation))\"; expected relu or softplus")
            }
            // A residual block's softplus takes its beta from the same entry.
            if type == "residual", let beta, !(beta > 0 && beta.isFinite) { throw ModelError("\"beta\" = \(beta) must be positive") }
        case "maxpool2d", "avgpool2d":
            try positive(kernel, "kernel")
            if let stride { try positive(stride, "stride") }
        case "batchnorm1d", "batchnorm2d": try positive(features, "features")
        case "dropout":
            if let p, !(p >= 0 && p < 1) { throw ModelError("\"p\" = \(p) must be in [0, 1)") }
        case "softplus":
            if let beta, !(beta > 0 && beta.isFinite) { throw ModelError("\"beta\" = \(beta) must be positive") }
        case "gelu":
            if let approximate, GELUApproximationName(approximate) == nil {
                throw ModelError("\"approximate\" = \"\(printable(approximate))\"; expected none or tanh")
            }
        default: break
        }
    }

    /// Weights this entry will allocate, to refuse absurd sizes before allocating; nil when the
    /// count does not even fit in an `Int` (a kernel of 2²⁰ × 2²⁰ over 2²⁰ × 2²⁰ channels).
    var parameterCount: Int? {
        let (i, o, k) = (self.in ?? 0, out ?? 0, kernel ?? 1)
        switch type {
        case "linear": return checkedProduct([i + 1, o])  // i·o weights + o biases
        case "conv2d": return checkedProduct([o, i, k, k]).flatMap { checkedSum($0, o) }
        case "residual": return checkedProduct([o, 9 * i + 9 * o + i])
        default: return checkedProduct([features ?? 0, 4])
        }
    }
}

/// The product of `values`, or nil when it overflows `Int`.
func checkedProduct(_ values: [Int]) -> Int? {
    var product = 1
    for value in values {
        let (next, overflow) = product.multipliedReportingOverflow(by: value)
        guard !overflow else { return nil }
        product = next
    }
    return product
}

/// `a + b`, or nil when it overflows `Int`.
func checkedSum(_ a: Int, _ b: Int) -> Int? {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? nil : sum
}

/// Text from a file quoted in an error message: control characters, line breaks and other
/// non-ASCII characters escaped and at most `limit` characters kept, so that a hostile name cannot
/// break the message's single line or make it huge.
public func printable(_ text: String, limit: Int = 40) -> String {
    let scalars = text.unicodeScalars
    let shown = scalars.prefix(limit).map { $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F ? String($0) : $0.escaped(asASCII: true) }
    return shown.joined() + (scalars.count > limit ? "…" : "")
}

/// Whether `text` holds a control character or a line or paragraph separator.
func containsControlCharacter(_ text: String) -> Bool {
    text.unicodeScalars.contains { scalar in
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }
}

func GELUApproximationName(_ name: String) -> GELUApproximation? { GELUApproximation(rawValue: name) }
