import Foundation
@testable import NN
import Randomness
import Tensors
import XCTest

/// Each initialisation against its formula: mean 0, the variance it names, the shape of its
/// distribution (kurtosis 9/5 for a uniform, 3 for a normal) and the bound of a uniform; and the
/// fans each layer gives it.
final class InitializationTests: XCTestCase {
    /// The variance and, for a uniform, the bound of `scheme` with these fans.
    private func formula(_ scheme: Initialization, fanIn: Int, fanOut: Int) -> (variance: Double, bound: Double?) {
        let (fanIn, fanOut) = (Double(fanIn), Double(fanOut))
        switch scheme {
        case .pytorch: return (1 / (3 * fanIn), (1 / fanIn).squareRoot())
        case .kaimingNormal: return (2 / fanIn, nil)
        case .kaimingUniform: return (2 / fanIn, (6 / fanIn).squareRoot())
        case .xavierUniform: return (2 / (fanIn + fanOut), (6 / (fanIn + fanOut)).squareRoot())
        case .xavierNormal: return (2 / (fanIn + fanOut), nil)
        }
    }

    private func moments(_ values: [Double]) -> (mean: Double, variance: Double, kurtosis: Double) {
        let n = Double(values.count), mean = values.reduce(0, +) / n
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        let fourth = values.reduce(0) { $0 + pow($1 - mean, 4) } / n
        return (mean, variance, fourth / (variance * variance))
    }

    func testEachSchemeDrawsItsFormulasDistribution() {
        let (fanIn, fanOut) = (300, 200), shape = [1000, 200]
        for scheme in Initialization.allCases {
            var generator = SeededGenerator(seed: 1)
            let w = scheme.weight(shape, fanIn: fanIn, fanOut: fanOut, dtype: .float64, generator: &generator).scalars
            let (variance, bound) = formula(scheme, fanIn: fanIn, fanOut: fanOut)
            let drawn = moments(w)
            XCTAssertEqual(w.count, 200_000, "\(scheme)")
            // Tolerances of about five standard errors of each estimate over 200,000 draws.
            XCTAssertEqual(drawn.mean, 0, accuracy: 5 * (variance / 200_000).squareRoot(), "\(scheme): mean")
            XCTAssertEqual(drawn.variance / variance, 1, accuracy: 0.02, "\(scheme): variance \(drawn.variance), formula \(variance)")
            XCTAssertEqual(drawn.kurtosis, bound == nil ? 3 : 1.8, accuracy: 0.06, "\(scheme): \(bound == nil ? "normal" : "uniform")")
            if let bound {
                let largest = w.map(Swift.abs).max()!
                XCTAssertTrue(w.allSatisfy { Swift.abs($0) <= bound }, "\(scheme): beyond ±\(bound)")
                XCTAssertGreaterThan(largest, 0.999 * bound, "\(scheme): ±\(bound) not reached")
            }
        }
    }

    /// A convolution gives fan_in = in·k², fan_out = out·k², a linear layer its inputs and outputs;
    /// biases are PyTorch's U(±1/√fan_in) whatever the scheme.
    func testLayersGiveTheirFansAndPyTorchBiases() throws {
        let json = #"{"input":[6,5,5],"layers":[{"type":"conv2d","in":6,"out":40,"kernel":5},{"type":"flatten"},{"type":"linear","in":40,"out":30}]}"#
        let layers = [(name: "0", fanIn: 6 * 25, fanOut: 40 * 25), (name: "2", fanIn: 40, fanOut: 30)]
        for scheme in Initialization.allCases {
            let model = try Sequential(try Architecture(json: Data(json.utf8)), dtype: .float64, initialization: scheme, seed: 2)
            let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.value.scalars) })
            for layer in layers {
                let w = try XCTUnwrap(parameters["\(layer.name).weight"]), b = try XCTUnwrap(parameters["\(layer.name).bias"])
                let (variance, bound) = formula(scheme, fanIn: layer.fanIn, fanOut: layer.fanOut)
                let what = "\(scheme), layer \(layer.name)"
                if let bound {
                    // Over 1,200 or more uniform draws the largest lies within 3 % of the bound.
                    let largest = w.map(Swift.abs).max()!
                    XCTAssertLessThanOrEqual(largest, bound, what)
                    XCTAssertGreaterThan(largest, 0.97 * bound, what)
                } else {
                    XCTAssertEqual(moments(w).variance / variance, 1, accuracy: 0.2, what)
                }
                let biasBound = 1 / Double(layer.fanIn).squareRoot()
                XCTAssertTrue(b.allSatisfy { Swift.abs($0) <= biasBound }, "\(what): bias beyond ±\(biasBound)")
                XCTAssertGreaterThan(b.map(Swift.abs).max()!, 0.5 * biasBound, "\(what): bias")
            }
        }
    }
}
