import ArgumentParser
import Curvature

// The library's choices as typed option values: `--help` lists them and a wrong one is a usage
// error naming the choices, with no string matching in `run()`.
extension SpectrumMethod: ExpressibleByArgument {}
extension SpectrumEnd: ExpressibleByArgument {}
extension HessianKind: ExpressibleByArgument {}
extension HessianPart: ExpressibleByArgument {}
extension HessianObjective: ExpressibleByArgument {}
extension Reorthogonalization: ExpressibleByArgument {}
extension DType: ExpressibleByArgument {}
extension Split: ExpressibleByArgument {}
extension AttackKind: ExpressibleByArgument {}
extension TrainingMode: ExpressibleByArgument {}
extension TrainingConfiguration.OptimizerKind: ExpressibleByArgument {}

extension Shard: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public var defaultValueDescription: String { description }
}

/// `attack --method`: DeepFool or one of the fixed-ε attacks (every `eval --attack` but none),
/// named as `AttackKind` names them.
struct AttackMethod: Equatable, ExpressibleByArgument {
    /// The fixed-ε attack, nil for DeepFool.
    let fixedEpsilon: AttackKind?

    static let deepfool = AttackMethod(fixedEpsilon: nil)

    var rawValue: String { fixedEpsilon?.rawValue ?? "deepfool" }

    init(fixedEpsilon: AttackKind?) { self.fixedEpsilon = fixedEpsilon }

    init?(argument: String) {
        if argument == "deepfool" { self = .deepfool; return }
        guard let kind = AttackKind(rawValue: argument), kind != .none else { return nil }
        fixedEpsilon = kind
    }

    static var allValueStrings: [String] { ["deepfool"] + AttackKind.allCases.filter { $0 != .none }.map(\.rawValue) }
    var defaultValueDescription: String { rawValue }
}

/// The perturbations `compare --figure-attack` can show.
enum FigureAttack: String, CaseIterable, ExpressibleByArgument {
    case pgdLinf = "pgd-linf"
    case pgdL2 = "pgd-l2"

    var attack: AttackKind {
        switch self {
        case .pgdLinf: return .pgdLinf
        case .pgdL2: return .pgdL2
        }
    }
}

/// `compare --method`: the solvers that give per-sample top-k spectra for a study.
enum CompareMethod: String, CaseIterable, ExpressibleByArgument {
    case lanczos, dense

    var method: SpectrumMethod {
        switch self {
        case .lanczos: return .lanczos
        case .dense: return .dense
        }
    }
}

/// Comma-separated values, each parsed by `T`: `--epsilons 0,0.05,0.1`.
struct CommaSeparated<T: ExpressibleByArgument>: ExpressibleByArgument {
    let values: [T]
    let text: String

    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) }
        // Numbers also take fractions (8/255), as realNumber does.
        let parsed = T.self == Double.self ? parts.compactMap { (try? realNumber($0)) as? T } : parts.compactMap(T.init(argument:))
        guard !parts.isEmpty, parsed.count == parts.count else { return nil }
        (values, text) = (parsed, argument)
    }

    var defaultValueDescription: String { text }
}

/// A number as written on a command line: a decimal (0.031) or a fraction a/b (8/255), as
/// ε, steps and scales are usually quoted. The fraction is divided in Double, so 8/255 is the
/// Double nearest to 8/255.
func realNumber(_ text: String) throws -> Double {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count <= 2, let numerator = Double(parts[0].trimmingCharacters(in: .whitespaces)), numerator.isFinite else {
        throw ValidationError("'\(text)' is not a number (write 0.031 or a fraction such as 8/255)")
    }
    guard parts.count == 2 else { return numerator }
    guard let denominator = Double(parts[1].trimmingCharacters(in: .whitespaces)), denominator.isFinite, denominator != 0 else {
        throw ValidationError("'\(text)': the denominator must be a non-zero number")
    }
    return numerator / denominator
}

