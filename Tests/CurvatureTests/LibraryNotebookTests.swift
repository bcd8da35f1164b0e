import Curvature
import Foundation
import XCTest

/// Notebooks-md/04-library.md's "building blocks" table, called as it shows them: each API with
/// the argument labels of the table, on tiny Float64 inputs. A renamed or removed API, or a
/// changed label, breaks this file's build; the table must then be brought up to date with it.
final class LibraryNotebookTableTests: XCTestCase {
    private static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("library-notebook-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// A 1×2×2-input, 3-class softplus network (smooth, so its input Hessian is not rank-limited).
    private static let architectureJSON = """
        {"input":[1,2,2],"layers":[{"type":"flatten"},{"type":"linear","in":4,"out":5},\
        {"type":"softplus","beta":2},{"type":"linear","in":5,"out":3}]}
        """

    /// Six 2×2 images of three classes, pixels in [0, 1].
    private static func tinyData() throws -> LabeledImages {
        var generator = Xoshiro256StarStar(seed: 5)
        let pixels = (0..<24).map { _ in Float(generator.uniform()) }
        return try LabeledImages(images: pixels, labels: [0, 1, 2, 0, 1, 2], channels: 1, height: 2, width: 2, classCount: 3)
    }

    // | a model | `Sequential.load(from:)`, `Sequential(BuiltinArchitecture.named("cnn-small")!, seed:)`, `Sequential(Architecture(contentsOf:))` |
    func testAModel() throws {
        let shipped = try Sequential.load(from: Self.repository.appendingPathComponent("Data/models/mnist5k-cnn-small-standard.safetensors"))
        XCTAssertEqual(shipped.inputShape, [1, 28, 28])
        let fresh = try Sequential(BuiltinArchitecture.named("cnn-small")!, seed: 1)
        XCTAssertEqual(fresh.architecture, shipped.architecture)
        let file = folder.appendingPathComponent("tiny.json")
        try Data(Self.architectureJSON.utf8).write(to: file)
        let tiny = try Sequential(Architecture(contentsOf: file))
        XCTAssertEqual(tiny.outputCount, 3)
    }

    // | data | `loadDataset("fashion-mnist" | "mnist5k" | directory, split: .test)`, then `.batch(at: indices)` or
    //   `.batches(in: range, size:)`; `BatchRanges(covering:batchSize:).batches(of: Shard("2/8")!)` for a shard |
    func testData() throws {
        setenv(DataDirectory.environmentVariable, Self.repository.appendingPathComponent("Data").path, 1)
        defer { unsetenv(DataDirectory.environmentVariable) }
        let test = try loadDataset("mnist5k", split: .test)
        XCTAssertEqual(test.count, 1000)
        let batch = test.batch(at: [3, 1, 4])
        XCTAssertEqual(batch.indices, [3, 1, 4])
        XCTAssertEqual(batch.images.shape, [3, 1, 28, 28])
        XCTAssertEqual(test.batches(in: 0..<10, size: 4).map(\.count), [4, 4, 2])
        // Ten batches in eight shards: shard 2 holds the second batch.
        XCTAssertEqual(BatchRanges(covering: 0..<100, batchSize: 10).batches(of: Shard("2/8")!), [10..<20])
    }

    // | gradients / HVPs of any function | `valueAndGradient(of:at:)`, `hessianVectorProduct(of:at:along:)`;
    //   `HessianAtPoint(of:at:)` once, then `.product(along:)` as often as needed; `gradients(of:withRespectTo:createGraph:)` |
    func testGradientsAndHessianVectorProducts() {
        // f(x) = Σ xᵢ³: ∇f = 3x², H = diag(6x).
        let f: (Variable) -> Variable = { x in sum(x * x * x) }
        let x = Tensor(shape: [3], scalars: [1, 2, -1], dtype: .float64)
        let v = Tensor(shape: [3], scalars: [1, 1, 2], dtype: .float64)
        XCTAssertEqual(valueAndGradient(of: f, at: x).gradient.scalars, [3, 12, 3])
        XCTAssertEqual(hessianVectorProduct(of: f, at: x, along: v).product.scalars, [6, 12, -12])
        let point = HessianAtPoint(of: f, at: x)
        XCTAssertEqual(point.product(along: v).scalars, [6, 12, -12])
        XCTAssertEqual(point.product(along: x).scalars, [6, 24, 6])
        let leaf = Variable(x, requiresGradient: true)
        let gradient = gradients(of: f(leaf), withRespectTo: [leaf], createGraph: true)[0]
        XCTAssertEqual(gradient.value.scalars, [3, 12, 3])
    }

    // | randomness | `Xoshiro256StarStar(seed:stream:)` (`SeededGenerator`): `uniform()`, `normal()`, `rademacher()`;
    //   `shuffledIndices(count:seed:epoch:)` |
    func testRandomness() {
        var generator: SeededGenerator = Xoshiro256StarStar(seed: 7, stream: 3)
        let u = generator.uniform(), n = generator.normal(), r = generator.rademacher()
        XCTAssert((0..<1).contains(u) && n.isFinite && Swift.abs(r) == 1)
        XCTAssertEqual(shuffledIndices(count: 10, seed: 1, epoch: 2).sorted(), Array(0..<10))
    }

    // | operators (each a `BatchedLinearOperator`: one batched H·v per `apply`) | `ExactInputHessian(model:images:labels:sampleIndices:)`,
    //   `FiniteScaleInputHessian.build(model:images:labels:sampleIndices:h:)` (its `.operator`), `DenseSymmetricOperator(matrices:batchSize:dimension:)` |
    // | eigenvalues | `lanczos(op, options: LanczosOptions(steps:selection:))`, `powerIteration(op, target:count:)`, `denseEigen(op)`,
    //   `stochasticLanczosQuadrature(op, options: SpectralDensityOptions(probes:steps:))` then `.smoothed(on:sigma:)`
    //   (or `spectralDensity(op, grid:sigma:)` in one call), `hutchinsonTrace(op, probes:seed:)` |
    func testOperatorsAndEigenvalues() throws {
        let model = try Sequential(Architecture(json: Data(Self.architectureJSON.utf8)), dtype: .float64, seed: 2)
        let batch = try Self.tinyData().batch(at: [0, 1], dtype: .float64)
        let exact = ExactInputHessian(model: { model($0) }, images: batch.images, labels: batch.labels, sampleIndices: batch.indices)
        let finite = try FiniteScaleInputHessian.build(model: { model($0) }, images: batch.images, labels: batch.labels,
                                                       sampleIndices: batch.indices, h: 1e-4)
        let diagonal = try DenseSymmetricOperator(matrices: [2, 0, 0, 1, 3, 1, 1, 3], batchSize: 2, dimension: 2)
        let operators: [any BatchedLinearOperator] = [exact, finite.operator, diagonal]
        var product: [Double] = []
        try operators[2].apply([1, 0, 0, 1], into: &product)
        XCTAssertEqual(product, [2, 0, 1, 3])

        let dense = try denseEigen(exact)
        let top = try lanczos(exact, options: LanczosOptions(steps: 4, selection: .largest(2)))
        XCTAssertEqual(top[1].ritzValues[0], dense[1].eigenvalues[0], accuracy: 1e-9)
        XCTAssertEqual(try denseEigen(finite.operator)[1].eigenvalues[0], dense[1].eigenvalues[0], accuracy: 1e-5)
        let power = try powerIteration(diagonal, target: .largestAlgebraic, count: 1)
        XCTAssertEqual(power[1].estimates[0].eigenvalue, 4, accuracy: 1e-6)

        let grid = SpectralDensity.uniformGrid(from: 0, to: 5, count: 11)
        let quadrature = try stochasticLanczosQuadrature(diagonal, options: SpectralDensityOptions(probes: 2, steps: 2))
        let smoothed = quadrature[0].smoothed(on: grid, sigma: 0.5)
        XCTAssertEqual(smoothed, try spectralDensity(diagonal, grid: grid, sigma: 0.5, options: SpectralDensityOptions(probes: 2, steps: 2))[0].density)
        // Rademacher probes give zᵀAz = tr A exactly for a diagonal A.
        XCTAssertEqual(try hutchinsonTrace(diagonal, probes: 4, seed: 0)[0].estimate, 3, accuracy: 1e-12)
    }

    // | a whole per-sample job, as the commands run it | `SpectrumJob(model:settings:).rows(for: batch)`, `eigenvalueProfile(rows)`;
    //   `DensityJob(model:settings:)` and `TraceJob(model:settings:)` with `DensitySettings()`, `TraceSettings()`; each row's `csv(dtype:)` |
    func testAWholeSpectrumJob() throws {
        let model = try Sequential(Architecture(json: Data(Self.architectureJSON.utf8)), dtype: .float64, seed: 2)
        var settings = SpectrumSettings()
        (settings.k, settings.steps) = (2, 4)
        let batch = try Self.tinyData().batch(at: [0, 1, 2], dtype: .float64)
        let rows = try SpectrumJob(model: { model($0) }, settings: settings).rows(for: batch)
        XCTAssertEqual(rows.count, 6)
        XCTAssertEqual(eigenvalueProfile(rows).map(\.rank), [1, 2])
        var density = DensitySettings()
        (density.probes, density.steps, density.gridPoints) = (2, 3, 5)
        XCTAssertEqual(try DensityJob(model: { model($0) }, settings: density).rows(for: batch).count, 3 * 5)
        let traces = try TraceJob(model: { model($0) }, settings: TraceSettings()).rows(for: batch)
        XCTAssertEqual(traces.map(\.sample), [0, 1, 2])
        XCTAssertEqual(traces[0].csv(dtype: .float64).split(separator: ",").count, 3, "sample,trace,stderr")
    }

    // | eigenvalues until converged | `blockLanczos(op, options: BlockLanczosOptions(wanted: .largest(k), tolerance:, maxDimension:))`: per value `.ritzValues`, `.residualBounds`, `.converged` |
    func testEigenvaluesUntilConverged() throws {
        let diagonal = try DenseSymmetricOperator(diagonals: [[5, 5, 4, 3, 2, 1]])
        let result = try blockLanczos(diagonal, options: BlockLanczosOptions(wanted: .largest(3), tolerance: 1e-10, maxDimension: 6))[0]
        XCTAssertEqual(result.ritzValues.count, 3)
        for (value, expected) in zip(result.ritzValues, [5.0, 5, 4]) { XCTAssertEqual(value, expected, accuracy: 1e-10) }
        XCTAssertTrue(result.converged.allSatisfy { $0 })
        XCTAssertTrue(result.residualBounds.allSatisfy { $0 < 1e-9 })
    }

    // | the decision boundary | `BoundaryJob(model:settings:).rows(for: batch)` (`BoundarySettings`: `k`, `end`, `finiteScales`, `interpretability`), `BoundarySection.compute(model:image:sampleIndex:direction:extent:grid:seed:)` |
    func testTheDecisionBoundary() throws {
        let model = try Sequential(Architecture(json: Data(Self.architectureJSON.utf8)), dtype: .float64, seed: 2)
        let classifier: Classifier = { model($0) }
        var settings = BoundarySettings()
        (settings.k, settings.end, settings.finiteScales, settings.interpretability) = (2, .largest, [], true)
        let batch = try Self.tinyData().batch(at: [0, 1, 2], dtype: .float64)
        let rows = try BoundaryJob(model: classifier, settings: settings).rows(for: batch)
        XCTAssertEqual(Set(rows.map(\.sample)), [0, 1, 2])
        XCTAssertTrue(rows.allSatisfy { $0.interpretability != nil })
        let image = try Self.tinyData().batch(at: [0], dtype: .float64).images
        let section = try BoundarySection.compute(model: classifier, image: image, sampleIndex: 0, direction: .random, extent: 1, grid: 3, seed: 0)
        XCTAssertEqual(section.points.count, 9)
    }

    // | the study of several models | `ComparisonStudy(models:data:dataName:split:samples:)`, `.run(in: folder, resume:)`
    //   → `ComparisonResult` (`.summaryTable`, `.write(to:)`; with Foundation imported, name the type `Curvature.ComparisonResult`) |
    func testTheStudyOfSeveralModels() throws {
        let architecture = try Architecture(json: Data(Self.architectureJSON.utf8))
        let a = try Sequential(architecture, seed: 1), b = try Sequential(architecture, seed: 2)
        var study = ComparisonStudy(models: [("a", a), ("b", b)], data: try Self.tinyData(), dataName: "tiny", split: .test, samples: 0..<4)
        (study.settings.spectrum.k, study.settings.spectrum.steps) = (2, 4)
        (study.settings.epsilons, study.settings.pgdSteps, study.settings.figureIndices) = ([0, 0.1], 2, [0])
        let result: Curvature.ComparisonResult = try study.run(in: folder.appendingPathComponent("study"), resume: false)
        XCTAssertTrue(result.summaryTable.contains("a"))
        try result.write(to: folder.appendingPathComponent("study"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("study/profile.csv").path))
    }

    // | attacks and training | `PGDAttack(norm:epsilon:steps:).perturb(model, images, labels, generator:)`,
    //   `fgsm(model, images, labels, epsilon:)`, `DeepFool().perturb(model, images, labels:)`,
    //   `Trainer(model:configuration:).run(train:test:checkpoint:logFile:)` with a `TrainingConfiguration` (`.mode: TrainingMode`) |
    func testAttacksAndTraining() throws {
        let data = try Self.tinyData()
        let model = try Sequential(Architecture(json: Data(Self.architectureJSON.utf8)), seed: 3)
        let classifier: Classifier = { model($0) }
        let batch = data.batch(at: [0, 1, 2])
        var generator = SeededGenerator(seed: 0)
        let pgd = PGDAttack(norm: .linf, epsilon: 0.1, steps: 2).perturb(classifier, batch.images, batch.labels, generator: &generator)
        XCTAssertTrue(rowMaxNorms(pgd - batch.images).allSatisfy { $0 <= 0.1 + 1e-6 }, "within ε (and no NaN)")
        let fast = fgsm(classifier, batch.images, batch.labels, epsilon: 0.1)
        XCTAssertEqual(fast.shape, batch.images.shape)
        XCTAssertEqual(DeepFool().perturb(classifier, batch.images, labels: batch.labels).norms.count, 3)

        var configuration = TrainingConfiguration()
        (configuration.mode, configuration.epochs, configuration.batchSize, configuration.robustEvaluationSamples) = (TrainingMode.cure, 1, 3, 0)
        let trainer = Trainer(model: model, configuration: configuration)
        try trainer.run(train: data, test: data, checkpoint: folder.appendingPathComponent("tiny.checkpoint.safetensors"),
                        logFile: folder.appendingPathComponent("tiny.log.csv"))
        XCTAssertEqual(trainer.log.count, 1)
    }

    /// The table names exactly the calls above: its rows are the comments of this file's tests.
    func testTheTableIsTheOneTested() throws {
        let notebook = try String(contentsOf: Self.repository.appendingPathComponent("Notebooks-md/04-library.md"), encoding: .utf8)
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let tested = source.components(separatedBy: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("// |") || $0.trimmingCharacters(in: .whitespaces).hasPrefix("//   ") }
        let calls = { (text: String) -> Set<String> in
            // Every `code span` of a table row.
            var spans = Set<String>()
            for row in text.components(separatedBy: "\n") {
                let parts = row.replacingOccurrences(of: "\\|", with: "|").components(separatedBy: "`")
                for (i, part) in parts.enumerated() where i % 2 == 1 { spans.insert(part) }
            }
            return spans
        }
        let tableRows = notebook.components(separatedBy: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| want") }.joined(separator: "\n")
        let inTable = calls(tableRows)
        let inTests = calls(tested.map { $0.replacingOccurrences(of: "//", with: "") }.joined(separator: "\n"))
        XCTAssertFalse(inTable.isEmpty)
        XCTAssertEqual(inTable.subtracting(inTests).sorted(), [], "calls in the table that this file does not call")
        XCTAssertEqual(inTests.subtracting(inTable).sorted(), [], "calls this file tests that the table does not show")
    }
}
