import Foundation
import Robustness

/// An attack of a ``ComparisonStudy``'s robust accuracies (`compare --robust-attacks`), ℓ∞ at
/// every ε of the study.
public enum RobustAttack: String, Sendable, CaseIterable {
    /// PGD with the study's steps and one random start.
    case pgd
    /// AutoAttack's standard ensemble with its defaults, as `eval --attack autoattack-linf`.
    case autoattack

    /// The attack as `eval --attack` names it; eval.csv's column attack.
    public var kind: AttackKind {
        switch self {
        case .pgd: return .pgdLinf
        case .autoattack: return .autoattackLinf
        }
    }

    /// The name of its accuracies in the summary table and in progress lines.
    public func label(pgdSteps: Int) -> String {
        switch self {
        case .pgd: return "PGD-\(pgdSteps)"
        case .autoattack: return "AutoAttack"
        }
    }

    /// The attacks named in a comma-separated list, in the order of `allCases` (PGD first, so
    /// eval.csv and the summary list them in one order); an unknown or empty name is refused.
    public static func list(_ text: String) throws -> [RobustAttack] {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let choices = allCases.map(\.rawValue).joined(separator: ", ")
        if let unknown = names.first(where: { RobustAttack(rawValue: $0) == nil }) {
            if names == [""] { throw RunError("name one or more of \(choices)") }
            throw RunError(unknown.isEmpty ? "an empty name in the list; choose from \(choices)" : "unknown attack '\(unknown)'; choose from \(choices)")
        }
        let attacks = names.compactMap(RobustAttack.init(rawValue:))
        return allCases.filter(attacks.contains)
    }
}
