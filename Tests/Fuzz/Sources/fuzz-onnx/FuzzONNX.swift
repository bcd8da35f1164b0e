import Curvature
import Foundation
import FuzzSupport

// ONNXModel(data:source:dtype:): the protobuf parse, the operator and weight checks and the
// load-time evaluation of one zero sample (shape chains folded to constants).
//
// Input: a mode byte, then the ONNX file.
//   mode & 1: dtype float32 (0) or float64 (1).
//   mode & 2: for a small accepted model, also save it (save(to:metadata:)) and load the copy.
// An accepted model must have a positive input shape and at least one output. When it is small
// (≤ 4,096 input values, ≤ 2¹⁶ parameters) a batch of two zero samples is run: the logits must
// be [2, outputCount], and the two rows equal (samples are kept apart). summary,
// structureFingerprint, isPiecewiseLinear and outputShape(for:) must not crash.

let source = "fuzz.onnx"
/// FUZZ_ONNX_VERBOSE=1: print what each input gave (to check the seeds).
let verbose = ProcessInfo.processInfo.environment["FUZZ_ONNX_VERBOSE"] != nil

/// The importer's load-time limits as the fuzzer ran them (2026-12-02): the defaults admit
/// ImageNet networks, whose one-sample check takes seconds; these keep every input under ~3 s
/// with ASan.
let fuzzLimits: Void = {
    ONNXLimits.values = 1 << 22
    ONNXLimits.operations = 1 << 32
    ONNXLimits.keptValues = 1 << 26
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    _ = fuzzLimits
    let input = FuzzInput(start, count)
    let dtype: DType = input.mode & 1 == 0 ? .float32 : .float64
    let data = Data(buffer: input.rest)
    let model: ONNXModel
    do {
        model = try ONNXModel(data: data, source: source, dtype: dtype)
    } catch {
        if verbose { print("refused: \(error)") }
        checkRefusal(error, naming: [source], parser: "onnx")
        return 0
    }
    if verbose { print("loaded: \(model.inputShape) → \(model.outputCount), \(model.parameterCount) parameters; \(model.notes)") }
    precondition(model.dtype == dtype, "onnx: dtype \(model.dtype), asked for \(dtype)")
    precondition(!model.inputShape.isEmpty && model.inputShape.allSatisfy { $0 > 0 },
                 "onnx: accepted input shape \(model.inputShape)")
    precondition(model.outputCount >= 1, "onnx: accepted a model with \(model.outputCount) outputs")
    precondition((try? model.outputShape(for: model.inputShape)) == [model.outputCount], "onnx: outputShape(for: inputShape)")
    for note in model.notes {
        precondition(!note.contains("\n") && note.contains(source), "onnx: note is not one line naming the file: \(String(reflecting: note))")
    }
    _ = model.summary
    _ = model.structureFingerprint
    _ = model.isPiecewiseLinear

    // Keep the work per input small: only small models are run again.
    guard let inputCount = checkedProduct(model.inputShape), inputCount <= 4096, model.parameterCount <= 1 << 16 else { return 0 }
    checkBatchOfTwo(model, dtype: dtype)

    if input.mode & 2 != 0 {
        let path = Scratch.directory + "/saved.onnx"
        do {
            try model.save(to: URL(fileURLWithPath: path), metadata: ["fuzz": "1"])
            let copy = try ONNXModel.load(from: URL(fileURLWithPath: path), dtype: dtype)
            precondition(copy.inputShape == model.inputShape && copy.outputCount == model.outputCount,
                         "onnx: the saved copy reads as \(copy.inputShape) → \(copy.outputCount), not \(model.inputShape) → \(model.outputCount)")
            precondition(copy.parameterCount == model.parameterCount, "onnx: the saved copy has other parameters")
        } catch {
            fatalError("onnx: a model that loaded fails to save and reload: \(error)")
        }
    }
    return 0
}

func checkBatchOfTwo(_ model: ONNXModel, dtype: DType) {
    model.isTraining = false
    let x = Variable(Tensor(zeros: [2] + model.inputShape, dtype: dtype))
    let y = GradientMode.withoutGradients { model(x) }.value
    precondition(y.shape == [2, model.outputCount], "onnx: logits \(y.shape) for a batch of 2, expected [2, \(model.outputCount)]")
    precondition(y.dtype == dtype, "onnx: logits in \(y.dtype), model in \(dtype)")
    let values = y.scalars
    let n = model.outputCount
    for j in 0..<n {
        let (a, b) = (values[j], values[n + j])
        guard a.isFinite && b.isFinite else { continue }
        // The two samples are the same, so their logits are too (up to summation order).
        precondition(abs(a - b) <= 1e-4 * max(1, abs(a), abs(b)), "onnx: identical samples give logits \(a) and \(b) at \(j)")
    }
}
