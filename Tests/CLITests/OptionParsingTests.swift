import ArgumentParser
import XCTest

@testable import curvature

/// Options whose values may look like options.
final class OptionParsingTests: XCTestCase {
    private let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Data/models/mnist5k-cnn-small-standard.safetensors").path

    func testDensityGridTakesNegativeEnds() throws {
        let density = try Density.parse(["--model", model, "--data", "mnist5k", "--lambda-min", "-0.5", "--lambda-max", "-0.1", "--out", "d.csv"])
        XCTAssertEqual(density.lambdaMin, -0.5)
        XCTAssertEqual(density.lambdaMax, -0.1)
        XCTAssertThrowsError(try Density.parse(["--model", model, "--data", "mnist5k", "--lambda-min", "1", "--lambda-max", "-1", "--out", "d.csv"]),
                             "an empty grid is refused")
    }
}
