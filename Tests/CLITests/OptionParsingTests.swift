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
        XCTAssertThrowsError(try Density.parse(["--model", model, "--data", "mnist5k", "--lambda-min", "1", "--lambda-max", "-1", "--out", "d.csv"])) { error in
            XCTAssertTrue(Density.message(for: error).contains("--lambda-min 1.0 must be below --lambda-max -1.0"), "an empty grid: \(Density.message(for: error))")
        }
    }

    /// ε, steps and scales take fractions a/b, divided in Double; anything else is refused by value.
    func testFractionsAreAcceptedWhereverAnEpsilonStepOrScaleIs() throws {
        XCTAssertEqual(try realNumber("8/255"), 8.0 / 255.0)
        XCTAssertEqual(try realNumber("0.5"), 0.5)
        XCTAssertEqual(try realNumber("-1/4"), -0.25)
        for (bad, reason) in [("1/0", "the denominator must be a non-zero number"), ("1/x", "the denominator must be a non-zero number"),
                              ("a", "is not a number"), ("1/2/3", "is not a number"), ("", "is not a number")] {
            XCTAssertThrowsError(try realNumber(bad), bad) { XCTAssertTrue("\($0)".contains("'\(bad)'") && "\($0)".contains(reason), "\($0)") }
        }
        let eval = try Eval.parse(["--model", model, "--data", "mnist5k", "--attack", "pgd-linf", "--epsilon", "8/255,16/255", "--out", "e.csv"])
        XCTAssertEqual(eval.epsilons, [8.0 / 255.0, 16.0 / 255.0])
        let train = try Train.parse(["--arch", "cnn-small", "--data", "mnist5k", "--mode", "pgd", "--epsilon", "8/255", "--alpha", "2/255", "--out", "m.safetensors"])
        XCTAssertEqual(train.epsilon, 8.0 / 255.0)
        XCTAssertEqual(train.alpha, 2.0 / 255.0)
        let attack = try Attack.parse(["--model", model, "--data", "mnist5k", "--method", "fgsm", "--epsilon", "4/255", "--out", "a.csv"])
        XCTAssertEqual(attack.epsilon, 4.0 / 255.0)
        let spectrum = try Spectrum.parse(["--model", model, "--data", "mnist5k", "--hessian", "finite", "--h", "1/100,1/10", "--out", "s.csv"])
        XCTAssertEqual(spectrum.spectrum.hessianOptions.scales, [0.01, 0.1])
        XCTAssertThrowsError(try Eval.parse(["--model", model, "--data", "mnist5k", "--attack", "pgd-linf", "--epsilon", "8/0", "--out", "e.csv"])) { error in
            XCTAssertTrue(Eval.message(for: error).contains("The value '8/0' is invalid for '--epsilon"), Eval.message(for: error))
        }
    }
}
