import Foundation

/// The learning rate as a function of the step, over a run of `totalSteps` steps.
public enum LearningRateSchedule: Equatable, Sendable {
    case constant
    /// Multiply by `gamma` every `every` steps (`StepLR`).
    case step(every: Int, gamma: Double)
    /// Cosine from the base rate down to 0 (`CosineAnnealingLR` with T_max = totalSteps).
    case cosine
    /// Smith's one-cycle (`OneCycleLR` defaults): up from base/25 to base over the first 30 %,
    /// then cosine down to base/25e4.
    case oneCycle

    public func rate(base: Double, step: Int, totalSteps: Int) -> Double {
        let total = Double(Swift.max(totalSteps, 1)), t = Double(step)
        switch self {
        case .constant:
            return base
        case let .step(every, gamma):
            return base * Foundation.pow(gamma, Double(step / Swift.max(every, 1)))
        case .cosine:
            return base * 0.5 * (1 + Foundation.cos(Double.pi * Swift.min(t / total, 1)))
        case .oneCycle:
            let peak = 0.3 * total - 1
            let initial = base / 25, final = initial / 1e4
            func anneal(_ from: Double, _ to: Double, _ fraction: Double) -> Double {
                to + (from - to) / 2 * (1 + Foundation.cos(Double.pi * Swift.min(Swift.max(fraction, 0), 1)))
            }
            if t <= peak { return anneal(initial, base, t / Swift.max(peak, 1)) }
            return anneal(base, final, (t - peak) / Swift.max(total - 1 - peak, 1))
        }
    }

    /// Parses `constant`, `cosine`, `onecycle`, `step` or `step:EVERY:GAMMA` (EVERY in epochs is
    /// converted by the caller).
    public init?(_ text: String, stepsPerEpoch: Int) {
        let parts = text.lowercased().split(separator: ":")
        switch parts.first {
        case "constant": self = .constant
        case "cosine": self = .cosine
        case "onecycle", "one-cycle": self = .oneCycle
        case "step":
            let epochs = parts.count > 1 ? Int(parts[1]) : 1
            let gamma = parts.count > 2 ? Double(parts[2]) : 0.1
            guard let epochs, let gamma, epochs > 0, gamma > 0 else { return nil }
            self = .step(every: epochs * stepsPerEpoch, gamma: gamma)
        default: return nil
        }
    }
}
