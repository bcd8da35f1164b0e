import ArgumentParser
import Curvature

/// `--robust-attacks pgd,autoattack` of `compare` and `demo`.
struct RobustAttackOptions: ParsableArguments {
    @Option(name: .customLong("robust-attacks"), help: """
        Comma-separated attacks of the robust accuracies at every ε, on the same samples: pgd (PGD ℓ∞, one \
        random start) and autoattack (AutoAttack's standard ℓ∞ ensemble, as eval --attack autoattack-linf; \
        far slower than PGD on robust models). eval.csv names them pgd-linf and autoattack-linf.
        """)
    var robustAttacks = "pgd,autoattack"

    /// The attacks, PGD first; empty only before `validate`.
    var attacks: [RobustAttack] { (try? RobustAttack.list(robustAttacks)) ?? [] }

    func validate() throws {
        do { _ = try RobustAttack.list(robustAttacks) } catch let error as RunError {
            throw ValidationError("--robust-attacks '\(robustAttacks)': \(error.description)")
        }
    }
}
