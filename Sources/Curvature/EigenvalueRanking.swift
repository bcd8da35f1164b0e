/// An eigenvalue estimate of one sample, before it is given its rank.
struct EigenvalueEstimate: Equatable {
    var value: Double
    /// An eigenvalue lies within this distance of `value`.
    var residual: Double
    /// Whether `residual` met the run's tolerance.
    var converged: Bool
    /// Its position in the solver's output, to find what else the solver gave for it (a Ritz vector).
    var source: Int? = nil
}

/// An eigenvalue estimate with its rank: its position in the descending order of all d eigenvalues.
struct RankedEigenvalue: Equatable {
    var rank: Int
    var value: Double
    var residual: Double
    var converged: Bool
    /// ``EigenvalueEstimate/source``, carried through the ranking.
    var source: Int? = nil
}

/// How the k eigenvalues a run reports are chosen and ranked.
enum EigenvalueRanking {
    /// k eigenvalues from the full list, ranked and sorted descending.
    static func select(_ all: [RankedEigenvalue], k: Int, end: SpectrumEnd) -> [RankedEigenvalue] {
        if k >= all.count { return all }
        switch end {
        case .largest: return Array(all.prefix(k))
        case .smallest: return Array(all.suffix(k))
        case .magnitude: return Array(all.sorted { Swift.abs($0.value) > Swift.abs($1.value) }.prefix(k))
        case .both: return 2 * k >= all.count ? all : Array(all.prefix(k) + all.suffix(k))
        }
    }

    /// Ranks for extreme eigenvalues found by an iterative method: the largest-first ones count
    /// from 1, the smallest ones back from d; for `magnitude`, positive ones count from the top
    /// and negative ones from the bottom.
    static func rankExtremes(_ values: [EigenvalueEstimate], k: Int, end: SpectrumEnd, dimension d: Int) -> [RankedEigenvalue] {
        let sorted = values.sorted { $0.value > $1.value }
        func ranked(_ estimates: some Collection<EigenvalueEstimate>, from first: Int) -> [RankedEigenvalue] {
            estimates.enumerated().map {
                RankedEigenvalue(rank: first + $0.offset, value: $0.element.value, residual: $0.element.residual, converged: $0.element.converged,
                                 source: $0.element.source)
            }
        }
        switch end {
        case .largest:
            return ranked(sorted.prefix(k), from: 1)
        case .smallest:
            let chosen = sorted.suffix(k)
            return ranked(chosen, from: d - chosen.count + 1)
        case .magnitude:
            let chosen = sorted.sorted { Swift.abs($0.value) > Swift.abs($1.value) }.prefix(k)
            let positive = chosen.filter { $0.value >= 0 }.sorted { $0.value > $1.value }
            let negative = chosen.filter { $0.value < 0 }.sorted { $0.value > $1.value }
            return ranked(positive, from: 1) + ranked(negative, from: d - negative.count + 1)
        case .both:
            let top = sorted.prefix(k), bottom = sorted.dropFirst(top.count).suffix(k)
            return ranked(top, from: 1) + ranked(bottom, from: d - bottom.count + 1)
        }
    }
}
