import Foundation

/// Statistics of the eigenvalue at each rank across samples: one line of an eigenvalue profile.
public struct ProfilePoint: Equatable, Sendable {
    public var rank: Int
    public var mean: Double, median: Double, p10: Double, p90: Double
    public var samples: Int
    /// How many of those samples' eigenvalues at this rank did not converge (a trailing column).
    public var unconverged = 0

    public static let header = "model,rank,mean,median,p10,p90,samples,unconverged"

    public func csv(model: String) -> String {
        [model, String(rank), format(mean), format(median), format(p10), format(p90), String(samples), String(unconverged)].joined(separator: ",")
    }

    private func format(_ value: Double) -> String { String(format: "%.9g", value) }
}

/// The eigenvalue profile of a set of per-sample spectra: at each rank, the mean, median and
/// 10th/90th percentiles over samples.
public func eigenvalueProfile(_ rows: [SpectrumRow]) -> [ProfilePoint] {
    let byRank = Dictionary(grouping: rows, by: \.rank)
    return byRank.keys.sorted().map { rank in ProfilePoint(rank: rank, values: byRank[rank]!.map { ($0.eigenvalue, $0.converged) }) }
}

extension ProfilePoint {
    /// The statistics of one rank's values over samples.
    init(rank: Int, values: [(value: Double, converged: Bool)]) {
        let sorted = values.map(\.value).sorted()
        self.init(rank: rank, mean: sorted.reduce(0, +) / Double(sorted.count), median: quantile(sorted, 0.5),
                  p10: quantile(sorted, 0.1), p90: quantile(sorted, 0.9), samples: sorted.count,
                  unconverged: values.filter { !$0.converged }.count)
    }
}

/// The q-quantile of sorted values, interpolating linearly between order statistics (NumPy's default).
public func quantile(_ sorted: [Double], _ q: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let position = q * Double(sorted.count - 1)
    let low = Int(position.rounded(.down)), high = Swift.min(low + 1, sorted.count - 1)
    return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
}
