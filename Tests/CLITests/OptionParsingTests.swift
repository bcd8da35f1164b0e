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

    /// ε, steps and scales take fractions a/b, divided in Double; anything else is refused by value.
    func testFractionsAreAcceptedWhereverAnEpsilonStepOrScaleIs() throws {
        XCTAssertEqual(try realNumber("8/255"), 8.0 / 255.0)
        XCTAssertEqual(try realNumber("0.5"), 0.5)
        XCTAssertEqual(try realNumber("-1/4"), -0.25)
        for bad in ["1/0", "1/x", "a", "1/2/3", ""] { XCTAssertThrowsError(try realNumber(bad), bad) }
        let eval = try Eval.parse(["--model", model, "--data", "mnist5k", "--attack", "pgd-linf", "--epsilon", "8/255,16/255", "--out", "e.csv"])
        XCTAssertEqual(eval.epsilons, [8.0 / 255.0, 16.0 / 255.0])
        let train = try Train.parse(["--arch", "cnn-small", "--data", "mnist5k", "--mode", "pgd", "--epsilon", "8/255", "--alpha", "2/255", "--out", "m.safetensors"])
        XCTAssertEqual(train.epsilon, 8.0 / 255.0)
        XCTAssertEqual(train.alpha, 2.0 / 255.0)
        let attack = try Attack.parse(["--model", model, "--data", "mnist5k", "--method", "fgsm", "--epsilon", "4/255", "--out", "a.csv"])
        XCTAssertEqual(attack.epsilon, 4.0 / 255.0)
        let spectrum = try Spectrum.parse(["--model", model, "--data", "mnist5k", "--hessian", "finite", "--h", "1/100,1/10", "--out", "s.csv"])
        XCTAssertEqual(spectrum.spectrum.hessianOptions.scales, [0.01, 0.1])
        XCTAssertThrowsError(try Eval.parse(["--model", model, "--data", "mnist5k", "--attack", "pgd-linf", "--epsilon", "8/0", "--out", "e.csv"]))
    }
}
