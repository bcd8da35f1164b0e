import Curvature
import XCTest

/// The library's messages name settings, as its settings types spell them; a front end names them
/// its own way from the same sentence.
final class SettingMessageTests: XCTestCase {
    func testAMessageNamesItsSettingsForEachReader() {
        let k = 50
        let message: SettingMessage = "\(setting: "k") \(k) is larger than \(setting: "maxSteps") 20"
        XCTAssertEqual(message.settings, ["k", "maxSteps"])
        XCTAssertEqual(message.description, "`k` 50 is larger than `maxSteps` 20")
        XCTAssertEqual(message.rendered { "<\($0)>" }, "<k> 50 is larger than <maxSteps> 20")
    }

    /// Each job's settings refuse what cannot run, in their own words, before any work.
    func testSettingsRefuseWhatCannotRunInTheirOwnTerms() {
        func refusal(_ validate: () throws -> Void) -> String? {
            do { try validate() } catch let error as SettingError { return error.description } catch { return "not a SettingError: \(error)" }
            return nil
        }
        var spectrum = SpectrumSettings()
        spectrum.k = 0
        XCTAssertEqual(refusal { try spectrum.validate() }, "`k` must be ≥ 1, got 0")
        (spectrum.k, spectrum.maxSteps) = (50, 20)
        XCTAssertEqual(refusal { try spectrum.validate() },
                       "`k` 50 is larger than `maxSteps` 20: Lanczos finds at most m Ritz values; raise `maxSteps` to at least 50")
        spectrum.gaussNewtonRoute = true
        XCTAssertNil(refusal { try spectrum.validate() }, "the exact route may still give every rank: the model decides")
        XCTAssertNotNil(refusal { try spectrum.validate(dimension: 784) }, "a network that is not piecewise linear needs Lanczos")
        var density = DensitySettings()
        density.lambdaMin = 1
        XCTAssertEqual(refusal { try density.validate() }, "give both `lambdaMin` and `lambdaMax`, or neither")
        var trace = TraceSettings()
        (trace.hessian, trace.part) = (.finite, .residual)
        XCTAssertEqual(refusal { try trace.validate() }, "`part` residual needs `hessian` exact (the finite Hessian is the full loss Hessian)")
        (trace.hessian, trace.part, trace.objective) = (.exact, .gaussNewton, .margin)
        XCTAssertNotNil(refusal { try trace.validate() }, "the margin has no Gauss–Newton part")
    }
}
