import XCTest

/// How ``assertMaxError`` measures one element's error e = |actual − expected|.
public enum ErrorMeasure: Sendable {
    /// e itself.
    case absolute
    /// e / max(|expected|, floor): relative element by element; `floor` keeps references near 0
    /// from dominating.
    case relative(floor: Double = 0)
    /// e / max(max |expected|, floor): against the reference's scale, for values that differ little
    /// between elements while some are near 0.
    case relativeToLargest(floor: Double = 0)
    /// e / (absolute + relative · |expected|), NumPy's `allclose`: close when at most 1.
    case allClose(absolute: Double, relative: Double)
}

/// Fails unless `actual` and `expected` have the same count, hold only finite numbers, and their
/// largest element error (by `measure`) is at most `tolerance`; returns that error.
///
/// One check for every "max error within tolerance" in the tests: Swift's `max()` and `x > worst`
/// pass over a NaN (`[1, .nan, 3].max()` is 3), and `zip` drops what one side has beyond the other,
/// so a hand-written maximum passes a kernel that returns NaN, infinity or too few values.
/// `position` names an element in the failure message (default: its index).
@discardableResult
public func assertMaxError<A: Collection, E: Collection>(
    _ actual: A, _ expected: E, within tolerance: Double, by measure: ErrorMeasure = .absolute,
    _ message: @autoclosure () -> String = "", position: (Int) -> String = { "element \($0)" },
    file: StaticString = #filePath, line: UInt = #line
) -> Double where A.Element: BinaryFloatingPoint, E.Element: BinaryFloatingPoint {
    let a = actual.map { Double($0) }, e = expected.map { Double($0) }
    func fail(_ what: String) -> Double {
        let context = message()
        XCTFail((context.isEmpty ? "" : context + ": ") + what, file: file, line: line)
        return .infinity
    }
    guard a.count == e.count else { return fail("\(a.count) values, expected \(e.count)") }
    if let i = a.firstIndex(where: { !$0.isFinite }) { return fail("\(position(i)) is \(a[i]), expected \(e[i])") }
    if let i = e.firstIndex(where: { !$0.isFinite }) { return fail("the reference's \(position(i)) is \(e[i])") }
    let largest = e.reduce(0) { Swift.max($0, Swift.abs($1)) }
    var worst = 0.0, at = -1
    for i in a.indices {
        let difference = Swift.abs(a[i] - e[i])
        let scale: Double
        switch measure {
        case .absolute: scale = 1
        case .relative(let floor): scale = Swift.max(Swift.abs(e[i]), floor)
        case .relativeToLargest(let floor): scale = Swift.max(largest, floor)
        case .allClose(let absolute, let relative): scale = absolute + relative * Swift.abs(e[i])
        }
        let error = difference == 0 ? 0 : difference / scale  // a zero scale with a difference: infinite
        if at < 0 || error > worst { (worst, at) = (error, i) }
    }
    if worst > tolerance {
        return fail("error \(worst) > \(tolerance) (\(measure)) at \(position(at)): \(a[at]), expected \(e[at])")
    }
    return worst
}
