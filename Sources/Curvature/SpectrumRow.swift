import Foundation
import Tensors

/// One eigenvalue of one sample: a row of the spectrum CSV.
public struct SpectrumRow: InputHessianRow, Equatable {
    public var sample: Int, label: Int, predicted: Int
    /// Position in the descending (algebraic) order of all d eigenvalues; 1 is the largest.
    public var rank: Int
    public var eigenvalue: Double
    /// An eigenvalue of H lies within this distance of `eigenvalue`: the solver's residual
    /// ‖Hy − θy‖ (Lanczos' ‖B_{m+1}s‖, power iteration's, or LAPACK's), never below the arithmetic's
    /// resolution (``SpectrumSettings/operatorPrecision(for:)`` times the largest |eigenvalue|).
    public var residual: Double
    /// Whether the residual met the tolerance (a trailing `converged` column).
    public var converged = true
    /// ‖∇ₓ of the objective‖₂ of the sample, when asked for (a trailing `gradient_norm` column).
    public var gradientNorm: Double? = nil
    /// The finite Hessian's scale, in an h-sweep (a trailing `h` column).
    public var h: Double? = nil

    /// The columns every spectrum CSV starts with.
    public static let leadingColumns = "sample,label,predicted,rank,eigenvalue,residual"
    /// The header of rows without the optional columns.
    public static let header = header(gradientNorm: false, h: false)

    /// The header with the trailing columns a run adds; `converged` comes last.
    public static func header(gradientNorm: Bool, h: Bool) -> String {
        leadingColumns + OptionalColumns.header(gradientNorm: gradientNorm, h: h) + ",converged"
    }

    public var csv: String { csv(dtype: .float32) }

    /// The row with its eigenvalue written as ``CSVNumber`` does for a run in `dtype`.
    public func csv(dtype: DType) -> String {
        "\(sample),\(label),\(predicted),\(rank),\(CSVNumber.format(eigenvalue, dtype: dtype)),\(String(format: "%.3g", residual))"
            + OptionalColumns.values(gradientNorm: gradientNorm, h: h, dtype: dtype) + ",\(converged)"
    }
}

extension SpectrumRow {
    /// Reads a line as `csv` writes it without the optional columns; nil for anything else.
    public init?<Line: StringProtocol>(csv line: Line) {
        let fields = line.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count == 7, let sample = Int(fields[0]), let label = Int(fields[1]), let predicted = Int(fields[2]),
              let rank = Int(fields[3]), let eigenvalue = Double(fields[4]), let residual = Double(fields[5]),
              let converged = Bool(String(fields[6])) else { return nil }
        self.init(sample: sample, label: label, predicted: predicted, rank: rank, eigenvalue: eigenvalue, residual: residual,
                  converged: converged)
    }
}

/// The rows of a spectrum CSV written by `SpectrumRow.csv`.
public func readSpectrum(_ url: URL) throws -> [SpectrumRow] {
    let text = try String(contentsOf: url, encoding: .utf8)
    let lines = text.split(separator: "\n")
    guard lines.first == Substring(SpectrumRow.header) else { throw RunError("\(url.path): not a spectrum CSV (header '\(lines.first ?? "")')") }
    return try lines.dropFirst().enumerated().map { number, line in
        guard let row = SpectrumRow(csv: line) else { throw RunError("\(url.path): line \(number + 2) is not a spectrum row: '\(line.prefix(80))'") }
        return row
    }
}
