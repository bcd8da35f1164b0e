import Foundation

/// A boundary CSV read back: its header, its lines, the counts its run reports and the medians a
/// study's summary shows.
public struct BoundaryTable: Sendable {
    public let header: String
    public let lines: [String]
    /// Per sample with a boundary point (status ok or not-nearest): distance, largest curvature
    /// (rank 1, when the run had it) and the saliency alignment (with interpretability).
    public let distances: [Double], largestCurvatures: [Double], curvatureTimesDistance: [Double], alignments: [Double]
    /// Samples by status (ok, not-nearest, misclassified, no-boundary).
    public let statusCounts: [String: Int]
    /// Samples with a boundary point whose curvatures did not all converge.
    public let unconvergedSamples: Int

    /// Reads a file as `BoundaryJob`'s rows are written (header first).
    public init(csv url: URL) throws {
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
        let alignment = column("alignment"), direction = column("direction")
        var statuses = [String: Set<String>](), unconverged = Set<String>()
        var seen = Set<String>()
        var distances: [Double] = [], largest: [Double] = [], product: [Double] = [], alignments: [Double] = []
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
            // The exact rank-1 curvature (a finite-scale run's principal direction of rank 1 at its first scale).
            if fields[rank] == "1", direction.map({ fields[$0] == "" || fields[$0] == "principal" }) ?? true, let k = Double(fields[curvature]),
               largest.count < distances.count {
                largest.append(k)
                product.append(k * d)
            }
        }
        (self.distances, largestCurvatures, curvatureTimesDistance, self.alignments) = (distances, largest, product, alignments)
        (statusCounts, unconvergedSamples) = (statuses.mapValues(\.count), unconverged.count)
    }

    /// The columns a study's summary adds, each the median over samples.
    static let summaryColumns: [(header: String, statistic: (BoundaryTable) -> Double)] = [
        ("median distance to the boundary", { median($0.distances) }),
        ("median κ₁ at the boundary", { median($0.largestCurvatures) }),
        ("median κ₁ × distance", { median($0.curvatureTimesDistance) }),
        ("median saliency alignment", { median($0.alignments) }),
    ]

    private static func median(_ values: [Double]) -> Double { quantile(values.sorted(), 0.5) }
}
