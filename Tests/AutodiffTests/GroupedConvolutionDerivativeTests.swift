import Autodiff
import Tensors
import XCTest

/// gradcheck + gradgradcheck for the grouped convolution and its two adjoints, in input and
/// weight: depthwise and two groups, strides 1 and 2, with padding.
final class GroupedConvolutionDerivativeTests: XCTestCase {
    let check = DerivativeCheck()

    func testDepthwiseConv2d() {
        let x = randomTensor([2, 3, 5, 5], seed: 61), w = randomTensor([3, 1, 3, 3], seed: 62), b = randomTensor([3], seed: 63)
        check.check("depthwise conv2d", [x, w, b]) { groupedConv2d($0[0], weight: $0[1], bias: $0[2], groups: 3, padding: 1) }
        check.check("depthwise conv2d stride 2", [x, w]) { groupedConv2d($0[0], weight: $0[1], groups: 3, stride: 2, padding: 1) }
        check.check("depthwise conv2d multiplier 2", [x, randomTensor([6, 1, 2, 2], seed: 64)]) {
            groupedConv2d($0[0], weight: $0[1], groups: 3, stride: 2)
        }
    }

    func testTwoGroupConv2d() {
        let x = randomTensor([2, 4, 5, 4], seed: 65), w = randomTensor([2, 2, 3, 3], seed: 66)
        check.check("2-group conv2d", [x, w]) { groupedConv2d($0[0], weight: $0[1], groups: 2) }
        check.check("2-group conv2d stride 2 pad 1", [x, w]) { groupedConv2d($0[0], weight: $0[1], groups: 2, stride: 2, padding: 1) }
        check.check("2-group conv2d, 16 channels per group (dense by group)", [randomTensor([1, 32, 3, 3], seed: 70), randomTensor([4, 16, 2, 2], seed: 71)]) {
            groupedConv2d($0[0], weight: $0[1], groups: 2, padding: 1)
        }
    }

    func testGroupedConv2dAdjoints() {
        for (groups, stride, padding) in [(2, 1, 1), (4, 2, 1)] {
            let x = randomTensor([1, 4, 5, 5], seed: 67), w = randomTensor([4, 4 / groups, 3, 3], seed: 68)
            let outSize = (5 + 2 * padding - 3) / stride + 1
            let g = randomTensor([1, 4, outSize, outSize], seed: 69)
            check.check("grouped conv2d input adjoint, \(groups) groups, stride \(stride)", [g, w]) {
                groupedConv2dInputAdjoint($0[0], weight: $0[1], inputShape: x.shape, groups: groups, stride: stride, padding: padding)
            }
            check.check("grouped conv2d weight adjoint, \(groups) groups, stride \(stride)", [x, g]) {
                groupedConv2dWeightAdjoint($0[0], outputGradient: $0[1], weightShape: w.shape, groups: groups, stride: stride, padding: padding)
            }
        }
    }
}
