import Curvature
import XCTest

@testable import curvature

/// The command line shows each setting a library message names by the flag that sets it.
final class SettingFlagsTests: XCTestCase {
    func testEverySettingTheJobsNameHasItsCommandsFlag() {
        let named: [(command: String, help: String, settings: [String])] = [
            ("spectrum", Spectrum.helpMessage(), ["k", "steps", "maxSteps", "powerIterations", "tolerance", "blockSize", "reorthogonalization",
                                                   "method", "end", "hessian", "h", "part", "objective"]),
            ("density", Density.helpMessage(), ["probes", "steps", "sigma", "lambdaMin", "lambdaMax", "gridPoints", "hessian", "h", "part", "objective"]),
            ("trace", Trace.helpMessage(), ["probes", "hessian", "h", "part", "objective"]),
            ("compare", Compare.helpMessage(), ["figureIndices", "resume", "k", "maxSteps", "tolerance"]),
            ("train", Train.helpMessage(), ["learningRate", "skipNonFiniteBatches", "resumeFrom", "architecture"]),
        ]
        for (command, help, settings) in named {
            for setting in settings {
                let flag = flag(for: setting)
                // The whole flag: --h, not the start of --help.
                XCTAssertNotNil(help.range(of: flag + "(?![a-z-])", options: .regularExpression), "\(command): \(setting) is shown as \(flag), which it does not have")
            }
        }
        let message: SettingMessage = "\(setting: "lambdaMin") 1.0 must be below \(setting: "lambdaMax") 0.0"
        XCTAssertEqual(message.inFlags, "--lambda-min 1.0 must be below --lambda-max 0.0")
    }
}
