import Foundation

/// A boundary CSV read back: its header, its lines, the counts its run reports and the medians a
/// study's summary shows.
public struct BoundaryTable: Sendable {
    public let header: String
    public let lines: [String]
    /// Per sample with a boundary point (status ok or not-nearest): distance, largest curvature
    /// (rank 1, when the run had it) and the saliency alignment (with interpretability).
    public let distances: [Double], largestCurvatures: [Double], curvatureTimesDistance: [Double], alignments: [Double]
    /// Per sample with a boundary point, the smallest principal curvature (rank d − 1), when the
    /// run had it (`which` smallest or both) and the table knows d.
    public let smallestCurvatures: [Double]
    /// The principal curvatures by rank over the samples with a boundary point: the exact ones, or
    /// a finite-scale run's along the principal directions at its first scale.
    public let profile: [ProfilePoint]
    /// Samples by status (ok, not-nearest, misclassified, no-boundary).
    public let statusCounts: [String: Int]
    /// Samples with a boundary point whose curvatures did not all converge.
    public let unconvergedSamples: Int

    /// Reads a file as `BoundaryJob`'s rows are written (header first); `tangentDimension` (d − 1
    /// for inputs of d values) tells which rank is the smallest curvature.
    public init(csv url: URL, tangentDimension: Int? = nil) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        var all = text.split(separator: "\n").map(String.init)
        guard !all.isEmpty else { throw RunError("\(url.path): empty, expected a boundary CSV header") }
        header = all.removeFirst()
        lines = all
        let columns = header.split(separator: ",").map(String.init)
        func column(_ name: String) -> Int? { columns.firstIndex(of: name) }
        guard let sample = column("sample"), let status = column("status"), let distance = column("distance"), let rank = column("rank"),
              let curvature = column("curvature") else { throw RunError("\(url.path): not a boundary CSV (header '\(header)')") }
        guard let converged = column("converged") else { throw RunError("\(url.path): not a boundary CSV (header '\(header)')") }
        let alignment = column("alignment"), direction = column("direction"), scale = column("h")
        var statuses = [String: Set<String>](), unconverged = Set<String>()
        var seen = Set<String>()
        var distances: [Double] = [], largest: [Double] = [], product: [Double] = [], alignments: [Double] = [], smallest: [Double] = []
        var byRank: [Int: [(value: Double, converged: Bool)]] = [:]
        var firstScale: String?
        for line in lines {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == columns.count else { throw RunError("\(url.path): a row has \(fields.count) fields, the header \(columns.count)") }
            statuses[fields[status], default: []].insert(fields[sample])
            if (fields[status] == "ok" || fields[status] == "not-nearest") && fields[converged] == "false" { unconverged.insert(fields[sample]) }
            guard fields[status] == "ok" || fields[status] == "not-nearest", let d = Double(fields[distance]) else { continue }
            if seen.insert(fields[sample]).inserted {
                distances.append(d)
                if let alignment, let value = Double(fields[alignment]) { alignments.append(value) }
            }
            // The exact curvatures (a finite-scale run's along the principal directions at its first scale).
            if let scale { firstScale = firstScale ?? fields[scale] }
            guard direction.map({ fields[$0] == "" || fields[$0] == "principal" }) ?? true, scale.map({ fields[$0] == firstScale }) ?? true,
                  let r = Int(fields[rank]), let k = Double(fields[curvature]) else { continue }
            byRank[r, default: []].append((k, fields[converged] == "true"))
            if r == 1, largest.count < distances.count {
                largest.append(k)
                product.append(k * d)
            }
            if r == tangentDimension, smallest.count < distances.count { smallest.append(k) }
        }
        profile = byRank.keys.sorted().map { ProfilePoint(rank: $0, values: byRank[$0]!) }
        smallestCurvatures = smallest
        (self.distances, largestCurvatures, curvatureTimesDistance, self.alignments) = (distances, largest, product, alignments)
        (statusCounts, unconvergedSamples) = (statuses.mapValues(\.count), unconverged.count)
    }

    /// The columns a study's summary adds, each the median over samples (NaN without values).
    static let summaryColumns: [(header: String, statistic: (BoundaryTable) -> Double)] = [
        ("median distance to the boundary", { median($0.distances) }),
        ("median κ₁ at the boundary", { median($0.largestCurvatures) }),
        ("median κ_min at the boundary", { median($0.smallestCurvatures) }),
        ("median κ₁ × distance", { median($0.curvatureTimesDistance) }),
        ("median saliency alignment", { median($0.alignments) }),
    ]

    private static func median(_ values: [Double]) -> Double { quantile(values.sorted(), 0.5) }
}
