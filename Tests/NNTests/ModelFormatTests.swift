import Autodiff
import FileIO
import Foundation
import NN
import Tensors
import XCTest

/// Architecture JSON and safetensors: round trips, built-in networks and hostile files.
final class ModelFormatTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("curvature-nn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// The built-in resnet18 names and shapes every tensor as PyTorch's CIFAR ResNet-18
    /// state_dict does (Fixtures/make_resnet18_names.py), so that file loads with `--arch resnet18`.
    func testResNet18NamesItsTensorsAsThePyTorchModule() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/resnet18_state_dict.json")
        let entries = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: fixture)) as? [[Any]])
        let torch = entries.filter { $0[2] as? String != "int64" }.map { "\($0[0]) \($0[1] as! [Int])" }
        let model = try Sequential(BuiltinArchitecture.named("resnet18")!)
        XCTAssertEqual(model.namedParameters.map { "\($0.name) \($0.parameter.shape)" }, torch)
        XCTAssertEqual(model.parameterCount, 11_173_962 + 9_600)  // weights + BatchNorm statistics
        // A file with PyTorch's names, num_batches_tracked included, loads back under the built-in name.
        let url = directory.appendingPathComponent("resnet18.safetensors")
        try model.save(to: url)
        let file = try SafetensorsFile.read(from: url)
        XCTAssertEqual(Set(file.integers.map(\.name)), Set(entries.filter { $0[2] as? String == "int64" }.map { $0[0] as! String }))
        XCTAssertNoThrow(try Sequential.load(from: url, architecture: BuiltinArchitecture.named("resnet18")!))
    }

    /// `inspect` shows each convolution's groups; a built-in one is never grouped.
    func testSummaryShowsConvolutionGroups() throws {
        let summary = try Sequential(BuiltinArchitecture.named("cnn-small")!).summary
        XCTAssertEqual(summary.rows.map(\.kind).filter { $0.hasPrefix("conv2d") }, ["conv2d, groups 1", "conv2d, groups 1"])
    }

    func testBuiltinArchitecturesHaveTheDocumentedShapes() throws {
        for name in BuiltinArchitecture.names {
            let architecture = try XCTUnwrap(BuiltinArchitecture.named(name), name)
            let model = try Sequential(architecture)
            XCTAssertEqual(try model.outputShape(for: model.inputShape), [10], name)
            XCTAssertEqual(model.inputShape, name.hasPrefix("resnet18") || name.hasPrefix("cnn-cifar") ? [3, 32, 32] : [1, 28, 28], name)
            XCTAssertEqual(model.isPiecewiseLinear, ["cnn", "cnn-small", "cnn-cifar", "resnet18"].contains(name), name)
        }
        let small = try Sequential(BuiltinArchitecture.named("cnn-small")!)
        XCTAssertEqual(small.namedParameters.map(\.name), ["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "9.weight", "9.bias"])
        XCTAssertEqual(small.namedParameters.map(\.parameter.shape), [[16, 1, 5, 5], [16], [32, 16, 5, 5], [32], [100, 1568], [100], [10, 100], [10]])
        let softplus = BuiltinArchitecture.named("cnn-small-softplus")!
        XCTAssertEqual(softplus.layers.filter { $0.type == "softplus" }.map(\.beta), [10, 10, 10])
        XCTAssertNil(BuiltinArchitecture.named("resnet-9000"))
    }

    func testSaveAndLoadRoundTripsWeightsAndArchitecture() throws {
        var residual = LayerSpec(type: "residual")
        (residual.in, residual.out, residual.stride) = (2, 4, 2)
        var conv = LayerSpec(type: "conv2d")
        (conv.in, conv.out, conv.kernel, conv.padding) = (1, 2, 3, 1)
        var bn = LayerSpec(type: "batchnorm2d")
        bn.features = 2
        var lin = LayerSpec(type: "linear")
        (lin.in, lin.out) = (64, 3)
        let architecture = Architecture(input: [1, 8, 8], layers: [conv, bn, LayerSpec(type: "relu"), residual, LayerSpec(type: "flatten"), lin])
        let model = try Sequential(architecture, seed: 5)
        model.isTraining = true
        _ = model(Variable(Tensor(randomShape: [3, 1, 8, 8], .uniform(low: 0, high: 1), seed: 1)))  // moves running stats
        model.isTraining = false
        let url = directory.appendingPathComponent("model.safetensors")
        try model.save(to: url)
        let loaded = try Sequential.load(from: url)
        XCTAssertEqual(loaded.architecture, model.architecture)
        XCTAssertEqual(loaded.namedParameters.map(\.name), model.namedParameters.map(\.name))
        XCTAssertTrue(loaded.namedParameters.map(\.name).contains("3.shortcut.0.weight"))
        for (a, b) in zip(loaded.namedParameters, model.namedParameters) {
            XCTAssertEqual(a.parameter.value.scalars, b.parameter.value.scalars, a.name)
        }
        let x = Tensor(randomShape: [2, 1, 8, 8], .uniform(low: 0, high: 1), seed: 2)
        XCTAssertEqual(loaded(Variable(x)).value.scalars, model(Variable(x)).value.scalars)
    }

    func testArchitectureErrorsNameTheLayerAndField() {
        func message(_ json: String) -> String {
            do { _ = try Architecture(json: Data(json.utf8), source: "arch.json"); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(message(#"{"input":[1,28,28],"layers":[{"type":"convolution"}]}"#).prefix(53),
                       "arch.json: layer 0 (convolution): unknown type \"convo")
        XCTAssertTrue(message(#"{"input":[1,28,28],"layers":[{"type":"linear","in":10}]}"#).contains("layer 0 (linear): missing \"out\""))
        XCTAssertTrue(message(#"{"input":[1,28,28],"layers":[{"type":"flatten"},{"type":"linear","in":100,"out":10}]}"#)
            .contains("layer 1 (linear): linear expects [100] per sample, got [784]"))
        XCTAssertTrue(message(#"{"layers":[]}"#).contains("missing \"input\""))
        XCTAssertTrue(message(#"{"input":[1,28,28],"layers":[{"type":"linear","in":"ten","out":3}]}"#).contains("layers.[0].in should be"))
        XCTAssertTrue(message(#"{"input":[1,28,28],"layers":[{"type":"dropout","p":1.5}]}"#).contains("\"p\" = 1.5"))
        XCTAssertTrue(message("not json").contains("not valid architecture JSON"))
    }

    private func writeRaw(_ header: String, data: [UInt8], lengthOverride: UInt64? = nil) -> URL {
        var bytes = [UInt8]()
        withUnsafeBytes(of: (lengthOverride ?? UInt64(header.utf8.count)).littleEndian) { bytes += $0 }
        bytes += Array(header.utf8) + data
        let url = directory.appendingPathComponent("hostile-\(UUID().uuidString).safetensors")
        XCTAssertTrue(FileManager.default.createFile(atPath: url.path, contents: Data(bytes)))
        return url
    }

    private func readError(_ url: URL) -> String {
        do { _ = try SafetensorsFile.read(from: url); return "no error" } catch { return "\(error)" }
    }

    func testHostileSafetensorsFilesGiveOneLineErrors() {
        let eight = [UInt8](repeating: 0, count: 8)
        XCTAssertTrue(readError(writeRaw("{}", data: [], lengthOverride: 1 << 40)).contains("exceeds"))
        XCTAssertTrue(readError(writeRaw("{}", data: [], lengthOverride: 4096)).contains("header length says 4096 bytes but only 2 follow"))
        XCTAssertTrue(readError(writeRaw("[1,2]", data: [])).contains("not a JSON object"))
        XCTAssertTrue(readError(writeRaw(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}"#, data: eight))
            .contains("outside the 8-byte data section"))
        XCTAssertTrue(readError(writeRaw(#"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: eight))
            .contains("needs 12 bytes but data_offsets span 8"))
        XCTAssertTrue(readError(writeRaw(#"{"w":{"dtype":"F32","shape":[1099511627776,1099511627776,1099511627776],"data_offsets":[0,8]}}"#, data: eight))
            .contains("overflows"))
        XCTAssertTrue(readError(writeRaw(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: eight))
            .contains("overlaps"))
        XCTAssertTrue(readError(writeRaw(#"{"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}"#, data: eight)).contains("dtype Q4 is not supported"))
        XCTAssertTrue(readError(writeRaw(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: eight)).contains("4 trailing bytes"))
        XCTAssertTrue(readError(writeRaw(#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: eight)).contains("shape is not a list"))
        XCTAssertTrue(readError(directory.appendingPathComponent("absent.safetensors")).contains("cannot read"))
        for error in [readError(writeRaw("{}", data: [], lengthOverride: 4096))] { XCTAssertFalse(error.contains("\n")) }
    }

    func testWeightsThatDoNotFitTheArchitectureAreRefused() throws {
        let model = try Sequential(BuiltinArchitecture.named("cnn-small")!)
        var file = SafetensorsFile(tensors: model.namedParameters.map { ($0.name, $0.parameter.value) })
        file.tensors[4].tensor = Tensor(zeros: [100, 1500])
        let url = directory.appendingPathComponent("bad.safetensors")
        try file.write(to: url)
        XCTAssertThrowsError(try Sequential.load(from: url, architecture: BuiltinArchitecture.named("cnn-small"))) { error in
            XCTAssertEqual("\(error)", "bad.safetensors: tensor \"7.weight\" has shape [100, 1500] but the architecture expects [100, 1568]")
        }
        XCTAssertThrowsError(try Sequential.load(from: url)) { error in
            XCTAssertTrue("\(error)".contains("no architecture in the metadata; pass `architecture`"))
        }
        file.tensors[4].tensor = model.namedParameters[4].parameter.value
        file.tensors.removeLast()
        try file.write(to: url)
        XCTAssertThrowsError(try Sequential.load(from: url, architecture: BuiltinArchitecture.named("cnn-small"))) { error in
            XCTAssertTrue("\(error)".contains("tensor \"9.bias\" is missing"))
        }
    }

    func testBatchNormTrainingUpdatesRunningStatisticsLikePyTorch() {
        let norm = BatchNorm(features: 2, spatial: false, dtype: .float64)
        norm.isTraining = true
        let x = Tensor(shape: [3, 2], scalars: [1, 10, 2, 20, 6, 30], dtype: .float64)
        let y = norm(Variable(x)).value.scalars
        // Column 0: mean 3, biased variance 14/3, unbiased 7.
        XCTAssertEqual(y[0], (1 - 3) / (14.0 / 3 + 1e-5).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(norm.runningMean.value.scalars[0], 0.3, accuracy: 1e-12)
        XCTAssertEqual(norm.runningVariance.value.scalars[0], 0.9 + 0.7, accuracy: 1e-12)
        XCTAssertEqual(norm.batchesTracked, 1)
    }

    func testDropoutIsSeededAndScaled() {
        let a = Dropout(probability: 0.5, seed: 3), b = Dropout(probability: 0.5, seed: 3)
        a.isTraining = true
        b.isTraining = true
        let x = Variable(Tensor(repeating: 1, shape: [1000], dtype: .float64))
        let ya = a(x).value.scalars
        XCTAssertEqual(ya, b(x).value.scalars)
        XCTAssertTrue(ya.allSatisfy { $0 == 0 || $0 == 2 })
        XCTAssertEqual(ya.reduce(0, +) / 1000, 1, accuracy: 0.1)
        a.isTraining = false
        XCTAssertEqual(a(x).value.scalars, x.value.scalars)
    }

    /// Found by `Tests/Fuzz` (fuzz-architecture): sizes whose products overflow `Int` trapped
    /// instead of being refused with a one-line error.
    func testArchitecturesWhoseSizesOverflowAreRefused() throws {
        func message(_ json: String) -> String {
            do { _ = try Architecture(json: Data(json.utf8), source: "arch.json"); return "no error" } catch { return "\(error)" }
        }
        let flatten = message(#"{"input":[65536,65536,65536,65536,65536],"layers":[{"type":"flatten"}]}"#)
        XCTAssertEqual(flatten, "arch.json: input [65536, 65536, 65536, 65536, 65536] has more than \(Int.max) values per sample, expected at most 2147483648")
        let large = message(#"{"input":[65536,65536,2],"layers":[{"type":"flatten"}]}"#)
        XCTAssertEqual(large, "arch.json: input [65536, 65536, 2] has 8589934592 values per sample, expected at most 2147483648")
        let conv = message(#"{"input":[1,4,4],"layers":[{"type":"conv2d","in":1048576,"out":1048576,"kernel":1048576}]}"#)
        XCTAssertEqual(conv, "arch.json: layer 0 (conv2d): has more than \(Int.max) parameters, expected fewer than 2147483648")
        XCTAssertThrowsError(try LayerSpec(type: "flatten").outputShape(for: [1 << 32, 1 << 32])) { error in
            XCTAssertEqual("\(error)", "flatten expects a shape whose product fits in 64 bits per sample, got [4294967296, 4294967296]")
        }
        let wide = message(#"{"input":[1],"layers":[{"type":"linear","in":1,"out":1048576},{"type":"linear","in":1048576,"out":2048}]}"#)
        XCTAssertEqual(wide, "arch.json: layer 1 (linear): has 2147485696 parameters, expected fewer than 2147483648")
    }

    /// Found by `Tests/Fuzz`: names from a file were quoted as they are, so a control character
    /// broke the one-line error message (and reached the messages of `loadState` too).
    func testNamesWithControlCharactersGiveOneLineErrors() throws {
        func parseError(_ header: String) -> String {
            var bytes = [UInt8]()
            withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes += $0 }
            bytes += Array(header.utf8)
            do { _ = try SafetensorsFile.parse(Data(bytes), source: "w.safetensors"); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(parseError(#"{"a\nb":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#),
                       #"w.safetensors: tensor a\nb: name contains a control character, expected a state_dict key"#)
        XCTAssertEqual(parseError(#"{"w":{"dtype":"F\r32","shape":[0],"data_offsets":[0,0]}}"#),
                       #"w.safetensors: tensor w: dtype F\r32 is not supported (expected one of BF16, BOOL, F16, F32, F64, I16, I32, I64, I8, U8)"#)
        XCTAssertEqual(parseError(#"{"__metadata__":{"k\u2028":1}}"#), #"w.safetensors: __metadata__.k\u{2028} is not a string"#)
        XCTAssertEqual(parseError(#"{"__metadata__":{"architecture":"{\n  \"input\": [1]\n}"}}"#), "no error")
        func architectureError(_ json: String) -> String {
            do { _ = try Architecture(json: Data(json.utf8), source: "arch.json"); return "no error" } catch { return "\(error)" }
        }
        let type = architectureError(#"{"input":[1],"layers":[{"type":"re\nlu"}]}"#)
        XCTAssertTrue(type.hasPrefix(#"arch.json: layer 0 (re\nlu): unknown type "re\nlu"; expected one of"#), type)
        let activation = architectureError(#"{"input":[1,3,3],"layers":[{"type":"residual","in":1,"out":1,"activation":"\t"}]}"#)
        XCTAssertEqual(activation, #"arch.json: layer 0 (residual): "activation" = "\t"; expected relu or softplus"#)
        let long = architectureError(#"{"input":[1],"layers":[{"type":""# + String(repeating: "x", count: 1000) + #""}]}"#)
        XCTAssertLessThan(long.count, 300, long)
    }

    func testAtomicWritesReplaceWholeFilesAndLeaveDevicesAlone() throws {
        let url = directory.appendingPathComponent("out.csv")
        try AtomicFile.write("old\n", to: url)
        try AtomicFile.write("new\n", to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "new\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["out.csv"], "no temporary left behind")
        XCTAssertThrowsError(try AtomicFile.write("x", to: directory.appendingPathComponent("missing/out.csv"))) { error in
            XCTAssertTrue("\(error)".contains("missing"), "names the path: \(error)")
        }
        try AtomicFile.write("discarded", to: URL(fileURLWithPath: "/dev/null"))
        let type = try FileManager.default.attributesOfItem(atPath: "/dev/null")[.type] as? FileAttributeType
        XCTAssertEqual(type, .typeCharacterSpecial)
    }

    func testATinyFileClaimingAHugeArchitectureIsRefusedBeforeAllocating() throws {
        let json = #"{"input":[1,1,1],"layers":[{"type":"flatten"},{"type":"linear","in":1,"out":46000},{"type":"linear","in":46000,"out":46000}]}"#
        let file = SafetensorsFile(tensors: [("1.weight", Tensor(zeros: [1, 1]))], metadata: ["architecture": json])
        let url = directory.appendingPathComponent("huge.safetensors")
        try file.write(to: url)
        let before = TensorMemory.liveBytes
        XCTAssertThrowsError(try Sequential.load(from: url)) { error in
            XCTAssertTrue("\(error)".contains("needs about"), "\(error)")
        }
        XCTAssertLessThan(TensorMemory.liveBytes - before, 1 << 20)
    }

    /// Found by `Tests/Fuzz` (fuzz-architecture): a residual block's softplus beta was not
    /// validated, so `"beta": 0` passed `Architecture(json:)` and the forward pass trapped.
    func testResidualSoftplusBetaIsValidated() throws {
        let json = #"{"input":[2,6,6],"layers":[{"type":"residual","in":2,"out":2,"activation":"softplus","beta":0}]}"#
        XCTAssertThrowsError(try Architecture(json: Data(json.utf8), source: "arch.json")) { error in
            XCTAssertEqual("\(error)", #"arch.json: layer 0 (residual): "beta" = 0.0 must be positive"#)
        }
        let valid = #"{"input":[2,6,6],"layers":[{"type":"residual","in":2,"out":2,"activation":"softplus","beta":5}]}"#
        let model = try Sequential(try Architecture(json: Data(valid.utf8)))
        XCTAssertEqual(model(Variable(Tensor(zeros: [1, 2, 6, 6]))).value.shape, [1, 2, 6, 6])
    }
}
