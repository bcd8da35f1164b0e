import Spectra
import XCTest

/// Fails unless `expression` throws `SpectraError.invalidArgument` whose text holds `naming` (the
/// argument and what is wrong with it), so a refusal for another reason, or another error, fails.
func assertInvalidArgument<T>(_ expression: @autoclosure () throws -> T, naming: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try expression(), file: file, line: line) { error in
        guard case let SpectraError.invalidArgument(text) = error else { return XCTFail("not an invalid argument: \(error)", file: file, line: line) }
        XCTAssertTrue(text.contains(naming), "expected '\(naming)' in '\(text)'", file: file, line: line)
    }
}
