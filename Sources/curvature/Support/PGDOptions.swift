import ArgumentParser
import Curvature

/// `--steps --restarts --seed` of PGD and `--iterations --queries` of the AutoAttack family, shared
/// by `eval` and `attack`; each is refused where it does not apply.
struct PGDOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "PGD steps (α = 2.5ε/steps; default 20).")
    var steps: Int?

    @Option(parsing: .unconditional, help: "PGD random restarts (default 1).")
    var restarts: Int?

    @Option(help: "Seed of PGD's, APGD's and Square's random draws (each sample draws from its own stream; default 0).")
    var seed: UInt64?

    @Option(parsing: .unconditional, help: "Iterations of APGD and FAB (apgd-*, fab-t-*, autoattack-*; default 100).")
    var iterations: Int?

    @Option(parsing: .unconditional, help: "Queries of Square (square-*, autoattack-*; default 5000).")
    var queries: Int?

    func validate() throws {
        if let steps, steps < 1 { throw ValidationError("--steps must be ≥ 1, got \(steps)") }
        if let restarts, restarts < 1 { throw ValidationError("--restarts must be ≥ 1, got \(restarts)") }
        if let iterations, iterations < 1 { throw ValidationError("--iterations must be ≥ 1, got \(iterations)") }
        if let queries, queries < 1 { throw ValidationError("--queries must be ≥ 1, got \(queries)") }
    }

    /// A usage error when an option was given but `attack` is not PGD (`option` names the choice).
    func check(attack: AttackKind?, named name: String) throws {
        let isPGD = attack?.isPGD ?? false
        let components = attack?.autoAttackComponents ?? []
        let random = isPGD || components.contains { $0 != .fabT }
        let iterative = components.contains { $0 != .square }
        for (option, given, applies, to) in [
            ("--steps", steps != nil, isPGD, "pgd-linf and pgd-l2"),
            ("--restarts", restarts != nil, isPGD, "pgd-linf and pgd-l2"),
            ("--seed", seed != nil, random, "pgd, apgd, square and autoattack"),
            ("--iterations", iterations != nil, iterative, "apgd, fab-t and autoattack"),
            ("--queries", queries != nil, components.contains(.square), "square and autoattack"),
        ] where given && !applies {
            throw ValidationError("\(option) has no effect with \(name); it applies to \(to)")
        }
    }

    /// What `attack` at `epsilon` does to a batch with these settings.
    func outcome(_ attack: AttackKind, _ classifier: @escaping Classifier, _ batch: Batch, epsilon: Double) -> AttackKind.Outcome {
        attack.outcome(classifier, batch, epsilon: epsilon, steps: steps ?? 20, restarts: restarts ?? 1, seed: seed ?? 0,
                       iterations: iterations ?? 100, queries: queries ?? 5000)
    }

    /// As `outcome`, attacking only the samples whose clean prediction is right.
    func outcomeOfCorrectlyClassified(_ attack: AttackKind, _ classifier: @escaping Classifier, _ batch: Batch, clean: [Int], epsilon: Double)
        -> (outcome: AttackKind.Outcome, attacked: [Bool]) {
        attack.outcomeOfCorrectlyClassified(classifier, batch, clean: clean, epsilon: epsilon, steps: steps ?? 20, restarts: restarts ?? 1,
                                            seed: seed ?? 0, iterations: iterations ?? 100, queries: queries ?? 5000)
    }

    /// The settings of `attack` as recorded in a sidecar.
    func settings(for attack: AttackKind) -> [String: String] {
        var out: [String: String] = ["attack": attack.rawValue]
        if attack.isPGD { (out["steps"], out["restarts"]) = (String(steps ?? 20), String(restarts ?? 1)) }
        if !attack.autoAttackComponents.isEmpty {
            out["iterations"] = String(iterations ?? 100)
            out["queries"] = String(queries ?? 5000)
        }
        out["seed"] = String(seed ?? 0)
        return out
    }
}
