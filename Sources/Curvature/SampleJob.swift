import Classifiers
import NN
import Tensors

/// Work done for every sample of a batch, as the per-sample commands run it: a settings value that
/// owns its defaults and checks, `rows(for:)`, and a row type that writes its own CSV line.
/// ``SpectrumJob``, ``DensityJob``, ``TraceJob`` and ``BoundaryJob`` have this shape; the
/// resumable runner (``ResumableCSV``), shards and `merge` see only the lines it writes.
public protocol SampleJob {
    associatedtype Settings: SampleJobSettings
    associatedtype Row: SampleRow
    var model: Classifier { get }
    var settings: Settings { get }
    init(model: @escaping Classifier, settings: Settings)
    /// The rows of one batch, ordered by sample. A NaN or infinity anywhere is an error naming the sample.
    func rows(for batch: Batch) throws -> [Row]
}

/// The settings of a ``SampleJob``.
public protocol SampleJobSettings: Sendable {
    /// Refuses settings that cannot run, before any work: against inputs of `dimension` values
    /// once a model is known, or on their own (nil).
    func validate(dimension: Int?) throws
    /// These settings for `network` (for example a step budget cut to its input dimension).
    func fitted(to network: any Network) -> Self
    /// What shapes the rows beyond the Hessian, as a result's metadata records it (and a resume or
    /// `merge` compares it), for inputs of `dimension` values in `dtype` arithmetic.
    func record(dimension: Int, dtype: DType) -> [String: String]
}

extension SampleJobSettings {
    public func fitted(to network: any Network) -> Self { self }
}

/// The settings of a job over the input Hessian at each sample (spectrum, density, trace): one
/// scale each in an h-sweep.
@dynamicMemberLookup
public protocol InputHessianJobSettings: SampleJobSettings {
    /// The input Hessian, the seed and the gradient-norm column, also set by their own names
    /// (`settings.hessian`, `settings.h`, …).
    var inputHessian: InputHessianSettings { get set }
}

extension InputHessianJobSettings {
    /// ``inputHessian``'s settings by their own names: `settings.h`, `settings.seed`, …
    public subscript<Value>(dynamicMember setting: WritableKeyPath<InputHessianSettings, Value>) -> Value {
        get { inputHessian[keyPath: setting] }
        set { inputHessian[keyPath: setting] = newValue }
    }
}

/// A row of a ``SampleJob``'s CSV.
public protocol SampleRow: Sendable {
    /// The sample's index in its split.
    var sample: Int { get }
    /// The row as a CSV line, its values written as ``CSVNumber`` does for a run in `dtype`.
    func csv(dtype: DType) -> String
}

/// A row of an ``InputHessianJobSettings`` job, whose columns are fixed but for the optional
/// trailing ones.
public protocol InputHessianRow: SampleRow {
    /// The finite Hessian's scale, in an h-sweep (a trailing `h` column).
    var h: Double? { get set }
    /// The CSV header of rows with the optional trailing columns a run adds.
    static func header(gradientNorm: Bool, h: Bool) -> String
}

/// The optional trailing columns every per-sample CSV may end with, in this order.
enum OptionalColumns {
    static func header(gradientNorm: Bool, h: Bool) -> String {
        (gradientNorm ? ",gradient_norm" : "") + (h ? ",h" : "")
    }

    static func values(gradientNorm: Double?, h: Double?, dtype: DType) -> String {
        (gradientNorm.map { "," + CSVNumber.format($0, dtype: dtype) } ?? "") + (h.map { ",\($0)" } ?? "")
    }
}
