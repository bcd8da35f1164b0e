import Foundation

/// A series as gnuplot drew it, read from `set table` output: its title and each point's columns
/// (x, y, and whatever else the style plots), so tests check a figure's content, not its bytes.
public struct PlottedSeries: Sendable {
    public var title: String?
    public var points: [[Double]] = []

    /// One column of every point (NaN where gnuplot left the value undefined).
    public func column(_ index: Int) -> [Double] { points.map { index < $0.count ? $0[index] : .nan } }

    /// gnuplot commands, run after a figure's script, that replot it into `path` with linear axes
    /// and plain numbers (a table is printed with the axes' formats), so it holds the values drawn.
    public static func tableCommands(_ path: String) -> String { "unset logscale; set format; set table '\(path)'; replot; unset table" }

    /// The series of a `set table` file, in the order drawn.
    public static func read(_ table: String) -> [PlottedSeries] {
        var series: [PlottedSeries] = []
        for text in table.split(separator: "\n") {
            if text.hasPrefix("# Curve title: ") {
                series[series.count - 1].title = String(text.dropFirst("# Curve title: ".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            } else if text.hasPrefix("# Curve ") {
                series.append(PlottedSeries(title: nil))
            } else if !text.hasPrefix("#"), !series.isEmpty {
                // Numbers, then gnuplot's point type (i inside the range, o outside, u undefined).
                series[series.count - 1].points.append(text.split(separator: " ").dropLast().map { Double($0) ?? .nan })
            }
        }
        return series
    }

    /// Whether `drawn` is `expected` to the table's six significant digits.
    public static func close(_ drawn: [Double], _ expected: [Double]) -> Bool {
        drawn.count == expected.count && zip(drawn, expected).allSatisfy { Swift.abs($0 - $1) <= 1e-5 * Swift.max(Swift.abs($1), 1e-6) }
    }
}
