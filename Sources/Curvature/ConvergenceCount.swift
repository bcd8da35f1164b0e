import Foundation

/// How many samples of a result CSV have a row flagged unconverged (`converged` = false).
public struct ConvergenceCount: Equatable, Sendable {
    /// Distinct samples in the file.
    public var samples: Int
    /// Distinct samples with at least one unconverged row.
    public var unconverged: Int

    /// Reads a CSV with `sample` and `converged` columns (as `spectrum` and `compare` write them).
    public init(csv url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        var lines = text.split(separator: "\n").makeIterator()
        guard let header = lines.next()?.split(separator: ",").map(String.init),
              let sampleColumn = header.firstIndex(of: "sample"), let convergedColumn = header.firstIndex(of: "converged")
        else { throw RunError("\(url.path): no sample and converged columns in the header") }
        // In compare's spectra.csv a sample is a (model, sample) pair.
        let modelColumn = header.firstIndex(of: "model")
        var all = Set<String>(), unconverged = Set<String>()
        while let line = lines.next() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == header.count else { throw RunError("\(url.path): a row has \(fields.count) fields, the header \(header.count)") }
            let key = (modelColumn.map { fields[$0] + "," } ?? "") + fields[sampleColumn]
            all.insert(key)
            if fields[convergedColumn] == "false" { unconverged.insert(key) }
        }
        samples = all.count
        self.unconverged = unconverged.count
    }
}
