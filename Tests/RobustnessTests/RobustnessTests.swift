import Autodiff
import Classifiers
import Datasets
import Foundation
import NN
import Randomness
import Robustness
import Tensors
import XCTest

/// Attacks, the robust training objectives, optimisers and the trainer on small hand-checkable cases.
final class RobustnessTests: XCTestCase {
    private func tinyCNN(seed: UInt64 = 1) throws -> Sequential {
        let json = #"{"input":[1,6,6],"layers":[{"type":"conv2d","in":1,"out":3,"kernel":3,"padding":1},{"type":"softplus","beta":5},{"type":"maxpool2d","kernel":2},{"type":"flatten"},{"type":"linear","in":27,"out":4}]}"#
        return try Sequential(try Architecture(json: Data(json.utf8)), dtype: .float64, seed: seed)
    }

    private func images(_ n: Int, seed: UInt64) -> Tensor {
        Tensor(randomShape: [n, 1, 6, 6], .uniform(low: 0, high: 1), dtype: .float64, seed: seed)
    }

    func testPGDStaysInTheBallAndTheBox() throws {
        let model = try tinyCNN()
        let x = images(5, seed: 2), labels = [0, 1, 2, 3, 0]
        for norm in ThreatNorm.allCases {
            var generator = SeededGenerator(seed: 3)
            let epsilon = norm == .linf ? 0.1 : 0.5
            let attack = PGDAttack(norm: norm, epsilon: epsilon, steps: 10, stepSize: epsilon / 2, restarts: 2)
            let adversarial = attack.perturb({ model($0) }, x, labels, generator: &generator)
            XCTAssertTrue(adversarial.scalars.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(norm): inside [0, 1]")
            let delta = adversarial - x
            let sizes = norm == .linf ? rowMaxNorms(delta) : rowNorms(delta)
            XCTAssertTrue(sizes.allSatisfy { $0 <= epsilon + 1e-12 }, "\(norm): \(sizes) within ε = \(epsilon)")
            XCTAssertTrue(sizes.contains { $0 > epsilon / 2 }, "\(norm): the attack moved")
            // It increases the loss.
            let before = crossEntropy(logits: Variable(evaluate({ model($0) }, x)), labels: labels, reduction: .sum).value.item
            let after = crossEntropy(logits: Variable(evaluate({ model($0) }, adversarial)), labels: labels, reduction: .sum).value.item
            XCTAssertGreaterThan(after, before)
        }
    }

    func testDeepFoolFindsTheExactDistanceOfALinearClassifier() {
        let w = Tensor(shape: [3, 4], scalars: [1, 2, 0, -1, -1, 0.5, 2, 0, 0.3, -2, 1, 1], dtype: .float64)
        let b = Tensor(shape: [3], scalars: [0.1, -0.2, 0.05], dtype: .float64)
        let model: Classifier = { linear(reshape($0, [$0.shape[0], 4]), weight: Variable(w), bias: Variable(b)) }
        // Points well inside [0, 1], so the step to the boundary is not clipped to the image box.
        let x = Tensor(shape: [2, 1, 2, 2], scalars: [0.4, 0.6, 0.45, 0.5, 0.55, 0.45, 0.5, 0.6], dtype: .float64)
        let logits = evaluate(model, x).scalars, weights = w.scalars
        let result = DeepFool(overshoot: 0.02).perturb(model, x)
        XCTAssertTrue(result.images.scalars.allSatisfy { $0 > 0 && $0 < 1 }, "unclipped")
        for n in 0..<2 {
            let f = Array(logits[(n * 3)..<(n * 3 + 3)])
            let k0 = f.indices.max { f[$0] < f[$1] }!
            let distance = (0..<3).filter { $0 != k0 }.map { k -> Double in
                let dw = (0..<4).map { weights[k * 4 + $0] - weights[k0 * 4 + $0] }
                return Swift.abs(f[k] - f[k0]) / dw.reduce(0) { $0 + $1 * $1 }.squareRoot()
            }.min()!
            XCTAssertEqual(result.norms[n], (distance + DeepFool.stepMargin) * 1.02, accuracy: 1e-12)
            XCTAssertTrue(result.fooled[n])
            XCTAssertEqual(result.iterations[n], 1, "one step suffices for an affine classifier")
        }
    }

    func testCUREPenaltyMatchesItsDefinition() {
        // f(x) = Wx: ∇ₓℓ = Wᵀ(p − e_y), so the penalty is ‖Wᵀ(p(x + hz) − p(x))‖².
        let w = Tensor(shape: [2, 3], scalars: [1, -2, 0.5, 0.3, 1, -1], dtype: .float64)
        let model: Classifier = { linear(reshape($0, [$0.shape[0], 3]), weight: Variable(w)) }
        let x = Tensor(shape: [1, 1, 1, 3], scalars: [0.2, 0.5, 0.9], dtype: .float64)
        let batch = Batch(images: x, labels: [1], indices: [0])
        var settings = RobustTrainingSettings()
        settings.lambda = 2
        let h = 0.3
        var generator = SeededGenerator(seed: 0)
        let loss = TrainingMode.cure.loss(model: model, batch: batch, settings: settings, h: h, generator: &generator)

        func probabilities(_ v: [Double]) -> [Double] {
            let f = (0..<2).map { k in (0..<3).reduce(0.0) { $0 + w.scalars[k * 3 + $1] * v[$1] } }
            let m = f.max()!, e = f.map { Foundation.exp($0 - m) }, s = e.reduce(0, +)
            return e.map { $0 / s }
        }
        func gradient(_ v: [Double]) -> [Double] {
            let p = probabilities(v), r = [p[0], p[1] - 1]
            return (0..<3).map { i in w.scalars[i] * r[0] + w.scalars[3 + i] * r[1] }
        }
        let point = x.scalars, g = gradient(point)
        let z = g.map { ($0 > 0 ? 1.0 : -1.0) / 3.0.squareRoot() }
        let shifted = gradient(zip(point, z).map { $0 + h * $1 })
        let penalty = zip(shifted, g).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        XCTAssertEqual(loss.penalty, penalty, accuracy: 1e-14)
        let ce = -Foundation.log(probabilities(point)[1])
        XCTAssertEqual(loss.crossEntropy, ce, accuracy: 1e-14)
        XCTAssertEqual(loss.total.value.item, ce + 2 * penalty, accuracy: 1e-14)
        XCTAssertGreaterThan(penalty, 1e-4)
    }

    func testOptimisersFollowPyTorchsFormulas() {
        let p = Parameter(Tensor(shape: [1], scalars: [1], dtype: .float64))
        let g = Tensor(shape: [1], scalars: [0.5], dtype: .float64)
        let sgd = SGD(momentum: 0.9, nesterov: true, weightDecay: 0.1)
        sgd.step([p], gradients: [g], learningRate: 0.1)
        // d = 0.5 + 0.1·1 = 0.6; buf = 0.6; nesterov: d + 0.9·buf = 1.14; p = 1 − 0.114
        XCTAssertEqual(p.value.scalars[0], 0.886, accuracy: 1e-15)
        sgd.step([p], gradients: [g], learningRate: 0.1)
        // d = 0.5 + 0.0886 = 0.5886; buf = 0.9·0.6 + 0.5886 = 1.1286; step = 0.5886 + 0.9·1.1286 = 1.60434
        XCTAssertEqual(p.value.scalars[0], 0.886 - 0.160434, accuracy: 1e-14)

        let q = Parameter(Tensor(shape: [1], scalars: [1], dtype: .float64))
        let adamw = Adam(weightDecay: 0.01, decoupled: true)
        adamw.step([q], gradients: [g], learningRate: 0.1)
        // decay: 1·(1 − 0.001) = 0.999; first Adam step moves by lr·sign(g) (up to ε).
        XCTAssertEqual(q.value.scalars[0], 0.999 - 0.1 * 0.5 / (0.5 + 1e-8), accuracy: 1e-12)
    }

    func testSchedules() {
        XCTAssertEqual(LearningRateSchedule.cosine.rate(base: 1, step: 0, totalSteps: 100), 1)
        XCTAssertEqual(LearningRateSchedule.cosine.rate(base: 1, step: 50, totalSteps: 100), 0.5, accuracy: 1e-12)
        XCTAssertEqual(LearningRateSchedule(("step:2:0.5"), stepsPerEpoch: 10)!.rate(base: 1, step: 45, totalSteps: 100), 0.25)
        let oneCycle = LearningRateSchedule.oneCycle
        XCTAssertEqual(oneCycle.rate(base: 1, step: 0, totalSteps: 100), 1.0 / 25, accuracy: 1e-12)
        let rates = (0..<100).map { oneCycle.rate(base: 1, step: $0, totalSteps: 100) }
        XCTAssertTrue(rates.allSatisfy(\.isFinite), "\(rates)")
        XCTAssertEqual(rates.max()!, 1, accuracy: 1e-3)
        XCTAssertLessThan(rates.last!, 1e-3)
        XCTAssertNil(LearningRateSchedule("warp", stepsPerEpoch: 1))
    }

    /// Two classes: bright top half or bright bottom half.
    private func stripes(_ n: Int, seed: UInt64) throws -> LabeledImages {
        var generator = SeededGenerator(seed: seed)
        var pixels: [Float] = [], labels: [Int32] = []
        for i in 0..<n {
            let label = Int32(i % 2)
            for row in 0..<6 {
                for _ in 0..<6 {
                    let bright = (row < 3) == (label == 0)
                    pixels.append(Float((bright ? 0.6 : 0.1) + 0.3 * generator.uniform()))
                }
            }
            labels.append(label)
        }
        return try LabeledImages(images: pixels, labels: labels, channels: 1, height: 6, width: 6, classCount: 4)
    }

    private func configuration(_ mode: TrainingMode) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        (c.mode, c.epochs, c.batchSize, c.learningRate, c.seed) = (mode, 2, 16, 0.05, 9)
        (c.robust.epsilon, c.robust.pgdSteps, c.robustEvaluationSamples, c.robustEvaluationSteps) = (0.05, 2, 8, 2)
        (c.robust.lambda, c.robust.h) = (0.5, 0.5)
        return c
    }

    private var directory: URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("curvature-train-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func testEveryModeLowersTheLossAndIsReproducible() throws {
        let train = try stripes(64, seed: 1), test = try stripes(16, seed: 2)
        for mode in TrainingMode.allCases {
            func trained() throws -> (Sequential, Trainer) {
                let model = try tinyCNN(seed: 4)
                let trainer = Trainer(model: model, configuration: configuration(mode))
                try trainer.run(train: train, test: test, checkpoint: directory.appendingPathComponent("\(mode).ckpt"),
                                logFile: directory.appendingPathComponent("\(mode).csv"))
                return (model, trainer)
            }
            let (a, trainer) = try trained()
            let (b, _) = try trained()
            XCTAssertEqual(trainer.log.count, 2)
            XCTAssertLessThan(trainer.log[1].loss, trainer.log[0].loss, "\(mode) lowers the loss")
            XCTAssertEqual(a.namedParameters.map(\.name), b.namedParameters.map(\.name))
            for (pa, pb) in zip(a.namedParameters, b.namedParameters) {
                XCTAssertEqual(pa.parameter.value.scalars, pb.parameter.value.scalars, "\(mode): \(pa.name) bit for bit")
            }
            if mode == .cure || mode == .gradnorm { XCTAssertGreaterThan(trainer.log[0].penalty, 0, "\(mode) penalty logged") }
        }
    }

    func testResumeGivesTheUninterruptedResult() throws {
        let train = try stripes(48, seed: 3), test = try stripes(8, seed: 4)
        let config = configuration(.pgd)
        let full = try tinyCNN(seed: 5)
        try Trainer(model: full, configuration: config).run(train: train, test: test, checkpoint: directory.appendingPathComponent("full.ckpt"),
                                                            logFile: directory.appendingPathComponent("full.csv"))
        let interrupted = try tinyCNN(seed: 5)
        let first = Trainer(model: interrupted, configuration: config)
        var batches = 0
        first.shouldStop = { batches += 1; return batches > 4 }  // stops in epoch 2, after epoch 1's checkpoint
        let checkpoint = directory.appendingPathComponent("part.ckpt")
        XCTAssertThrowsError(try first.run(train: train, test: test, checkpoint: checkpoint, logFile: directory.appendingPathComponent("part.csv"))) { error in
            XCTAssertTrue("\(error)".contains("resume with `resumeFrom`"), "\(error)")
        }
        let resumedModel = try tinyCNN(seed: 77)  // weights come from the checkpoint
        let resumed = Trainer(model: resumedModel, configuration: config)
        try resumed.run(train: train, test: test, checkpoint: checkpoint, logFile: directory.appendingPathComponent("part.csv"), resumeFrom: checkpoint)
        XCTAssertEqual(full.namedParameters.map(\.name), resumedModel.namedParameters.map(\.name))
        for (a, b) in zip(full.namedParameters, resumedModel.namedParameters) {
            XCTAssertEqual(a.parameter.value.scalars, b.parameter.value.scalars, a.name)
        }
        XCTAssertEqual(resumed.log.count, 2)
        XCTAssertEqual(resumed.log[0].csvRow, first.log[0].csvRow, "epoch 1's row comes back from the checkpoint, training_seconds included")
        // Refusals leave the checkpoint as it was and write no log.
        let checkpointBytes = try Data(contentsOf: checkpoint)
        defer {
            XCTAssertEqual(try? Data(contentsOf: checkpoint), checkpointBytes, "the checkpoint is untouched")
            for log in ["x.csv", "y.csv"] { XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent(log).path), log) }
        }
        var other = config
        other.learningRate = 0.5
        XCTAssertThrowsError(try Trainer(model: try tinyCNN(), configuration: other).run(
            train: train, test: test, checkpoint: checkpoint, logFile: directory.appendingPathComponent("x.csv"), resumeFrom: checkpoint)) { error in
            XCTAssertTrue("\(error)".contains("part.ckpt: made with other settings (lr: 0.05 → 0.5)"), "names the setting and both values: \(error)")
        }
        // Another data set is refused too, naming it.
        let onOtherData = Trainer(model: try tinyCNN(), configuration: config)
        onOtherData.dataIdentity = "data=elsewhere sha256=0"
        XCTAssertThrowsError(try onOtherData.run(
            train: train, test: test, checkpoint: checkpoint, logFile: directory.appendingPathComponent("y.csv"), resumeFrom: checkpoint)) { error in
            XCTAssertTrue("\(error)".contains("data: (none) → elsewhere"), "\(error)")
        }
    }

    /// The log's trailing `training_seconds` times the optimiser steps alone, within the epoch's
    /// `seconds`; a checkpoint's log written before the column existed still reads.
    func testEpochLogTimesTrainingApartFromEvaluation() throws {
        let train = try stripes(48, seed: 3), test = try stripes(8, seed: 4)
        var config = configuration(.standard)
        config.robustEvaluationSamples = 8
        let trainer = Trainer(model: try tinyCNN(seed: 5), configuration: config)
        let logFile = directory.appendingPathComponent("timed.csv")
        try trainer.run(train: train, test: test, checkpoint: directory.appendingPathComponent("timed.ckpt"), logFile: logFile)
        let lines = try String(contentsOf: logFile, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "epoch,loss,penalty,train_accuracy,test_accuracy,test_robust_accuracy,seconds,training_seconds")
        for (line, row) in zip(lines.dropFirst(), trainer.log) {
            XCTAssertEqual(line.split(separator: ",", omittingEmptySubsequences: false).count, 8, line)
            XCTAssertGreaterThan(row.trainingSeconds, 0, line)
            XCTAssertLessThanOrEqual(row.trainingSeconds, row.seconds, line)
            XCTAssertEqual(EpochLog(csvRow: line)?.csvRow, line, "round trip")
        }
        let old = EpochLog(csvRow: "1,0.5,0,0.75,0.5,,1.25")
        XCTAssertEqual(old?.seconds, 1.25)
        XCTAssertTrue(old?.trainingSeconds.isNaN ?? false, "seven-field rows: training time unknown")
        XCTAssertEqual(old?.csvRow, "1,0.5,0,0.75,0.5,,1.25,")
        XCTAssertNil(EpochLog(csvRow: "1,0.5,0,0.75,0.5,,1.25,2,9"))
    }
}
