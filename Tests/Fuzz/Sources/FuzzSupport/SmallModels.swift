import Curvature

/// Builds the network `architecture` describes only when it is small enough to build and run
/// thousands of times a second: at most 64 layers, 2¹⁶ weights, 2¹⁴ values per activation and
/// about 2²² multiply-adds per sample. Returns nil for bigger (valid) architectures.
///
/// The shapes come from `LayerSpec.outputShape(for:)`, the same rule `Architecture.validate` uses,
/// so a harness that then runs the model also checks that rule against the layers' real outputs.
public func buildIfSmall(_ architecture: Architecture) throws -> (model: Sequential, outputShape: [Int])? {
    guard architecture.layers.count <= 64, let inputCount = checkedProduct(architecture.input), inputCount <= 1 << 14
    else { return nil }
    var shape = architecture.input
    var weights = 0
    var work = 0
    for spec in architecture.layers {
        let next = try spec.outputShape(for: shape)
        guard let count = checkedProduct(next), count <= 1 << 14 else { return nil }
        let (i, o, k) = (spec.in ?? 0, spec.out ?? 0, spec.kernel ?? 1)
        let layerWeights: Int?, layerWork: Int?
        switch spec.type {
        case "linear": (layerWeights, layerWork) = (checkedProduct([i + 1, o]), checkedProduct([i, o]))
        case "conv2d": (layerWeights, layerWork) = (checkedProduct([o, i, k, k]).map { $0 + o }, checkedProduct([count, i, k, k]))
        case "residual": (layerWeights, layerWork) = (checkedProduct([o, 9 * i + 9 * o + i + 8]), checkedProduct([count, 9 * i + 9 * o + i]))
        case "maxpool2d", "avgpool2d": (layerWeights, layerWork) = (0, checkedProduct([count, k, k]))
        default: (layerWeights, layerWork) = (checkedProduct([spec.features ?? 0, 4]), count)
        }
        guard let layerWeights, let layerWork else { return nil }
        weights += layerWeights
        work += layerWork
        guard weights <= 1 << 16, work <= 1 << 22 else { return nil }
        shape = next
    }
    return (try Sequential(architecture), shape)
}

/// Runs `model` on a batch of two zero inputs, in evaluation and in training mode, and checks
/// that the output has the shape the architecture promised.
public func runForward(_ model: Sequential, expecting shape: [Int]) {
    let input = Variable(Tensor(zeros: [2] + model.inputShape))
    for training in [false, true] {
        model.isTraining = training
        let output = model(input).value
        precondition(output.shape == [2] + shape,
                     "output shape \(output.shape) but the architecture promises [2] + \(shape) for \(model.architecture.jsonString())")
    }
}
