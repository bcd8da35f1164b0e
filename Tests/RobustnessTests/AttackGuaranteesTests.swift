import Autodiff
import Classifiers
import Datasets
import Foundation
import NN
import Randomness
import Robustness
import Tensors
import TestSupport
import XCTest

/// What every attack promises: images in [0, 1], misclassified samples left alone, and results
/// that do not depend on the batch size.
final class AttackGuaranteesTests: XCTestCase {
    private func tinyCNN(seed: UInt64 = 1) throws -> Sequential {
        let json = #"{"input":[1,6,6],"layers":[{"type":"conv2d","in":1,"out":3,"kernel":3,"padding":1},{"type":"softplus","beta":5},{"type":"maxpool2d","kernel":2},{"type":"flatten"},{"type":"linear","in":27,"out":4}]}"#
        return try Sequential(try Architecture(json: Data(json.utf8)), dtype: .float64, seed: seed)
    }

    /// Seven 6×6 images, many pixels exactly 0 or 1 so that any step outward leaves the box.
    private func saturatedImages(seed: UInt64) -> LabeledImages {
        var generator = SeededGenerator(seed: seed)
        var pixels: [Float] = [], labels: [Int32] = []
        for i in 0..<7 {
            for _ in 0..<36 {
                let u = generator.uniform()
                pixels.append(u < 0.4 ? 0 : u < 0.8 ? 1 : Float(generator.uniform()))
            }
            labels.append(Int32(i % 4))
        }
        return try! LabeledImages(images: pixels, labels: labels, channels: 1, height: 6, width: 6, classCount: 4)
    }

    func testEveryAttackStaysInTheImageBox() throws {
        let model = try tinyCNN()
        let classifier: Classifier = { model($0) }
        let data = saturatedImages(seed: 11)
        let batch = data.batch(0..<7, dtype: .float64)
        func check(_ name: String, _ adversarial: Tensor) {
            XCTAssertEqual(adversarial.shape, batch.images.shape, name)
            XCTAssertTrue(adversarial.scalars.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(name): inside [0, 1]")
        }
        for kind in AttackKind.allCases {
            check(kind.rawValue, kind.images(classifier, batch, epsilon: 0.5, steps: 3, restarts: 2, seed: 4))
            check("\(kind.rawValue) (correctly classified only)", kind.imagesOfCorrectlyClassified(
                classifier, batch, clean: batch.labels, epsilon: 0.5, steps: 3, restarts: 1, seed: 4).images)
        }
        check("fgsm", fgsm(classifier, batch.images, batch.labels, epsilon: 0.8))
        // A large overshoot makes DeepFool's steps leave the box unless they are clipped.
        for overshoot in [0.02, 3.0] {
            let result = DeepFool(overshoot: overshoot, maxIterations: 10).perturb(classifier, batch.images)
            check("deepfool overshoot \(overshoot)", result.images)
            let actual = rowNorms(result.images - batch.images)
            assertMaxError(result.norms, actual, within: 1e-12, "norm of the clipped perturbation")
            XCTAssertTrue(result.norms.contains { $0 > 0 }, "DeepFool moved")
            // Whatever it reports as fooled is fooled.
            let after = predictions(evaluate(classifier, result.images)), before = predictions(evaluate(classifier, batch.images))
            for row in 0..<7 where result.fooled[row] { XCTAssertNotEqual(after[row], before[row], "row \(row)") }
        }
    }

    func testDeepFoolLeavesMisclassifiedSamplesAlone() {
        let w = Tensor(shape: [3, 4], scalars: [1, 2, 0, -1, -1, 0.5, 2, 0, 0.3, -2, 1, 1], dtype: .float64)
        let model: Classifier = { linear(reshape($0, [$0.shape[0], 4]), weight: Variable(w)) }
        let x = Tensor(shape: [2, 1, 2, 2], scalars: [0.2, 0.7, 0.1, 0.4, 0.9, 0.1, 0.5, 0.3], dtype: .float64)
        let clean = predictions(evaluate(model, x))
        let wrong = (clean[1] + 1) % 3
        let result = DeepFool().perturb(model, x, labels: [clean[0], wrong])
        XCTAssertEqual(result.attacked, [true, false])
        XCTAssertTrue(result.fooled[0])
        XCTAssertGreaterThan(result.norms[0], 0)
        XCTAssertFalse(result.fooled[1])
        XCTAssertEqual(result.norms[1], 0)
        XCTAssertEqual(result.iterations[1], 0)
        XCTAssertEqual(Array(result.images.scalars[4..<8]), Array(x.scalars[4..<8]), "the misclassified sample keeps its clean image")
        // Without labels every sample is attacked, as before.
        XCTAssertEqual(DeepFool().perturb(model, x).attacked, [true, true])
    }

    func testAFixedEpsilonAttackSkipsMisclassifiedSamples() throws {
        let model = try tinyCNN()
        let classifier: Classifier = { model($0) }
        let batch = saturatedImages(seed: 12).batch(0..<7, dtype: .float64)
        let clean = predictions(evaluate(classifier, batch.images))
        // Pretend rows 1 and 4 are misclassified by giving them other labels.
        var labels = clean
        labels[1] = (labels[1] + 1) % 4
        labels[4] = (labels[4] + 2) % 4
        let relabelled = Batch(images: batch.images, labels: labels, indices: batch.indices)
        for kind in [AttackKind.fgsm, .pgdLinf, .pgdL2] {
            let (images, attacked) = kind.imagesOfCorrectlyClassified(classifier, relabelled, clean: clean, epsilon: 0.3, steps: 2, restarts: 1, seed: 1)
            XCTAssertEqual(attacked, [true, false, true, true, false, true, true])
            let norms = rowMaxNorms(images - batch.images)
            XCTAssertEqual(norms[1], 0, "\(kind)")
            XCTAssertEqual(norms[4], 0, "\(kind)")
            XCTAssertTrue(norms[0] > 0 && norms[6] > 0, "\(kind): the others are attacked")
            // The attacked rows equal attacking them alone (per-sample random streams).
            let alone = kind.images(classifier, Batch(images: batch.images.slice(rows: 6..<7), labels: [labels[6]], indices: [6]),
                                    epsilon: 0.3, steps: 0, restarts: 1, seed: 1)
            if kind != .fgsm {
                let zeroSteps = kind.imagesOfCorrectlyClassified(classifier, relabelled, clean: clean, epsilon: 0.3, steps: 0, restarts: 1, seed: 1).images
                XCTAssertEqual(zeroSteps.slice(rows: 6..<7).scalars, alone.scalars, "\(kind)")
            }
        }
    }

    func testAccuracyUnderAttackNeverCountsAMisclassifiedSampleAsRight() throws {
        // Predicts class 0 when pixel 0 > 0.5, else class 1.
        let model: Classifier = { x in
            let flat = reshape(x, [x.value.shape[0], 2])
            return linear(flat, weight: Variable(Tensor(shape: [2, 2], scalars: [1, 0, -1, 0], dtype: .float64)),
                          bias: Variable(Tensor(shape: [2], scalars: [0, 1], dtype: .float64)))
        }
        // Samples 0 and 3 are right, 1 and 2 wrong.
        let data = try LabeledImages(images: [0.9, 0, 0.1, 0, 0.9, 0, 0.1, 0], labels: [0, 0, 1, 1], channels: 1, height: 1, width: 2, classCount: 2)
        var attackedIndices: [Int] = []
        // An "attack" that would repair every sample.
        let repair: (Batch) -> Tensor = { batch in
            attackedIndices += batch.indices
            return Tensor(shape: batch.images.shape, scalars: batch.labels.flatMap { [$0 == 0 ? 1.0 : 0.0, 0] }, dtype: batch.images.dtype)
        }
        for size in [1, 3, 4] {
            attackedIndices = []
            XCTAssertEqual(accuracy(model, on: data, range: 0..<4, batchSize: size, dtype: .float64), 0.5)
            XCTAssertEqual(accuracy(model, on: data, range: 0..<4, batchSize: size, dtype: .float64, attack: repair), 0.5, "batch \(size)")
            XCTAssertEqual(attackedIndices, [0, 3], "only the correctly classified samples are attacked")
            XCTAssertEqual(accuracy(model, on: data, indices: [3, 1], batchSize: size, dtype: .float64, attack: repair), 0.5)
        }
    }

    func testPGDRandomStartsDoNotDependOnTheBatchSize() throws {
        let model = try tinyCNN()
        let classifier: Classifier = { model($0) }
        let data = saturatedImages(seed: 13)
        for kind in [AttackKind.pgdLinf, .pgdL2] {
            // Zero steps: the result is the projected random start itself, so it must match bit for bit.
            func starts(batchSize: Int, restarts: Int) -> [Double] {
                data.batches(in: 0..<7, size: batchSize, dtype: .float64).flatMap {
                    kind.images(classifier, $0, epsilon: 0.3, steps: 0, restarts: restarts, seed: 21).scalars
                }
            }
            let reference = starts(batchSize: 7, restarts: 1)
            XCTAssertNotEqual(reference, data.batch(0..<7, dtype: .float64).images.scalars, "\(kind): a random start was taken")
            for size in [1, 3] { XCTAssertEqual(starts(batchSize: size, restarts: 1), reference, "\(kind), batch \(size)") }
            XCTAssertEqual(starts(batchSize: 3, restarts: 2), starts(batchSize: 7, restarts: 2), "\(kind), two restarts")
            // Sample i's start comes from stream i of the seed: evaluating sample 5 alone gives its row.
            let alone = kind.images(classifier, data.batch(at: [5], dtype: .float64), epsilon: 0.3, steps: 0, restarts: 1, seed: 21)
            XCTAssertEqual(alone.scalars, Array(reference[(5 * 36)..<(6 * 36)]))
            XCTAssertNotEqual(kind.images(classifier, data.batch(0..<7, dtype: .float64), epsilon: 0.3, steps: 0, restarts: 1, seed: 22).scalars,
                              reference, "another seed, other starts")

            // With steps, the per-sample predictions (and the accuracy) agree across batch sizes.
            func adversarialPredictions(batchSize: Int) -> [Int] {
                data.batches(in: 0..<7, size: batchSize, dtype: .float64).flatMap {
                    predictions(evaluate(classifier, kind.images(classifier, $0, epsilon: 0.3, steps: 3, restarts: 1, seed: 21)))
                }
            }
            let predicted = adversarialPredictions(batchSize: 7)
            for size in [1, 3] { XCTAssertEqual(adversarialPredictions(batchSize: size), predicted, "\(kind), batch \(size)") }
            let accuracies = [1, 3, 7].map { size in
                accuracy(classifier, on: data, range: 0..<7, batchSize: size, dtype: .float64, attack: {
                    kind.images(classifier, $0, epsilon: 0.3, steps: 3, restarts: 1, seed: 21)
                })
            }
            XCTAssertEqual(Set(accuracies).count, 1, "\(kind): \(accuracies)")
        }
    }

    func testTheSingleGeneratorPGDIsUnchangedForTraining() throws {
        // The training path keeps drawing one batch-wide stream: two calls with equal generators agree,
        // and the per-row variant with every row on that same stream state differs (it is per sample).
        let model = try tinyCNN()
        let classifier: Classifier = { model($0) }
        let x = saturatedImages(seed: 14).batch(0..<7, dtype: .float64)
        let attack = PGDAttack(norm: .linf, epsilon: 0.2, steps: 0)
        var a = SeededGenerator(seed: 3), b = SeededGenerator(seed: 3)
        XCTAssertEqual(attack.perturb(classifier, x.images, x.labels, generator: &a).scalars,
                       attack.perturb(classifier, x.images, x.labels, generator: &b).scalars)
        // One generator for a batch draws row after row: row 0 of the batch equals a one-row batch.
        var single = SeededGenerator(seed: 3)
        var rows = [Xoshiro256StarStar(seed: 3)] + (1..<7).map { Xoshiro256StarStar(seed: 3, stream: UInt64($0)) }
        let batchWide = attack.perturb(classifier, x.images, x.labels, generator: &single)
        let perRow = attack.perturb(classifier, x.images, x.labels, generators: &rows)
        XCTAssertEqual(batchWide.slice(rows: 0..<1).scalars, perRow.slice(rows: 0..<1).scalars)
        XCTAssertNotEqual(batchWide.slice(rows: 1..<2).scalars, perRow.slice(rows: 1..<2).scalars)
    }

    func testTheRobustEvaluationSubsetIsStratified() throws {
        var labels: [Int32] = []
        for c in 0..<4 { labels += [Int32](repeating: Int32(c), count: 10) }
        let test = try LabeledImages(images: [Float](repeating: 0.5, count: 40 * 36), labels: labels, channels: 1, height: 6, width: 6, classCount: 4)
        var c = TrainingConfiguration()
        (c.seed, c.robustEvaluationSamples, c.robust.epsilon) = (5, 8, 0.1)
        let subset = try XCTUnwrap(c.robustEvaluationSubset(of: test))
        XCTAssertEqual(subset.indices.map { labels[$0] }.reduce(into: [Int32: Int]()) { $0[$1, default: 0] += 1 }, [0: 2, 1: 2, 2: 2, 3: 2])
        XCTAssertEqual(subset, try test.stratifiedSubset(count: 8, seed: 5))
        c.robustEvaluationSamples = 100
        XCTAssertEqual(c.robustEvaluationSubset(of: test)?.indices, Array(0..<40))
        c.robust.epsilon = 0
        XCTAssertNil(c.robustEvaluationSubset(of: test))
    }
}
