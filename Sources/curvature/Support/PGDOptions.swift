import ArgumentParser
import Curvature

/// `--steps --restarts --seed`: the settings only PGD has, shared by `eval` and `attack`.
struct PGDOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "PGD steps (α = 2.5ε/steps; default 20).")
    var steps: Int?

    @Option(parsing: .unconditional, help: "PGD random restarts (default 1).")
    var restarts: Int?

    @Option(help: "Seed of PGD's random starts (each sample draws from its own stream; default 0).")
    var seed: UInt64?

    func validate() throws {
        if let steps, steps < 1 { throw ValidationError("--steps must be ≥ 1, got \(steps)") }
        if let restarts, restarts < 1 { throw ValidationError("--restarts must be ≥ 1, got \(restarts)") }
    }

    /// A usage error when an option was given but `attack` is not PGD (`option` names the choice).
    func check(attack: AttackKind?, named name: String) throws {
        guard attack != .pgdLinf && attack != .pgdL2 else { return }
        for (option, given) in [("--steps", steps != nil), ("--restarts", restarts != nil), ("--seed", seed != nil)] where given {
            throw ValidationError("\(option) has no effect with \(name); it applies to pgd-linf and pgd-l2")
        }
    }

    /// The adversarial images of `attack` at `epsilon` with these settings.
    func images(_ attack: AttackKind, _ classifier: @escaping Classifier, _ batch: Batch, epsilon: Double) -> Tensor {
        attack.images(classifier, batch, epsilon: epsilon, steps: steps ?? 20, restarts: restarts ?? 1, seed: seed ?? 0)
    }
}
