/// The difference-of-logits-ratio losses of Croce & Hein (2020), per sample, with their gradients
/// with respect to the logits. Both are invariant to shifting and rescaling the logits, so a
/// model cannot hide from them by saturating its softmax.
///
/// `π` is the order of a row's logits, largest first. With fewer classes than the loss reads
/// (3 for DLR, 4 for DLR-T) the lowest logit stands in for the missing ones.
public enum DLRLoss {
    /// The small constant of the reference code that keeps the ratio finite when logits tie.
    static let tiny = 1e-12

    /// DLR: −(z_y − max_{j≠y} z_j) / (z_π1 − z_π3), one value per row of [N, C] `logits` (row-major).
    public static func untargeted(logits: [Double], classes: Int, labels: [Int]) -> [Double] {
        valuesAndGradients(logits: logits, classes: classes, labels: labels, targets: nil).values
    }

    /// DLR-T: −(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2), one value per row.
    public static func targeted(logits: [Double], classes: Int, labels: [Int], targets: [Int]) -> [Double] {
        valuesAndGradients(logits: logits, classes: classes, labels: labels, targets: targets).values
    }

    /// Values and ∂value/∂logits (row-major like `logits`); targeted when `targets` is given.
    static func valuesAndGradients(logits: [Double], classes: Int, labels: [Int], targets: [Int]?) -> (values: [Double], gradients: [Double]) {
        let n = labels.count
        precondition(logits.count == n * classes && classes >= 2, "DLR: \(logits.count) logits for \(n) rows of \(classes) classes")
        var values = [Double](repeating: 0, count: n), gradients = [Double](repeating: 0, count: n * classes)
        for row in 0..<n {
            let z = Array(logits[(row * classes)..<((row + 1) * classes)])
            // Stable descending order, so ties resolve the same way every time.
            let order = z.indices.sorted { z[$0] != z[$1] ? z[$0] > z[$1] : $0 < $1 }
            let rank = { (k: Int) in order[Swift.min(k, classes) - 1] }
            let y = labels[row]
            let other: Int
            if let targets { other = targets[row] } else { other = order[0] == y ? order[1] : order[0] }
            let numerator = z[y] - z[other]
            var denominator: Double
            var weights: [(Int, Double)]  // the denominator as Σ weight · z
            if targets == nil {
                weights = [(rank(1), 1), (rank(3), -1)]
            } else {
                weights = [(rank(1), 1), (rank(3), -0.5), (rank(4), -0.5)]
            }
            denominator = weights.reduce(0) { $0 + $1.1 * z[$1.0] } + tiny
            values[row] = -numerator / denominator
            let base = row * classes
            gradients[base + y] -= 1 / denominator
            gradients[base + other] += 1 / denominator
            for (index, weight) in weights { gradients[base + index] += numerator * weight / (denominator * denominator) }
        }
        return (values, gradients)
    }
}
