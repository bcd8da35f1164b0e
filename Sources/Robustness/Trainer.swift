import Autodiff
import Classifiers
import Datasets
import FileIO
import Foundation
import Messages
import NN
import Randomness
import Tensors

/// Everything that determines a training run; with the seed and thread count, the weights.
public struct TrainingConfiguration: Sendable, Equatable {
    public enum OptimizerKind: String, Sendable, CaseIterable { case sgd, adam, adamw }

    public var mode: TrainingMode = .standard
    public var epochs = 5
    public var batchSize = 128
    public var optimizer: OptimizerKind = .adam
    public var learningRate = 1e-3
    public var momentum = 0.9
    public var nesterov = false
    public var weightDecay = 0.0
    public var schedule = "constant"
    public var seed: UInt64 = 0
    public var robust = RobustTrainingSettings()
    /// How many test images (a class-stratified subset drawn with `seed`) the per-epoch robust accuracy uses.
    public var robustEvaluationSamples = 1000
    /// PGD steps of the per-epoch robust accuracy (α = 2.5ε/steps).
    public var robustEvaluationSteps = 20
    /// On a non-finite loss: stop with an error (false) or skip the batch (true).
    public var skipNonFiniteBatches = false

    public init() {}

    /// A one-line description stored in checkpoints, so a resume can refuse a different run.
    public var fingerprint: String {
        "mode=\(mode.rawValue) epochs=\(epochs) batch=\(batchSize) optimizer=\(optimizer.rawValue) lr=\(learningRate) "
            + "momentum=\(momentum) nesterov=\(nesterov) wd=\(weightDecay) schedule=\(schedule) seed=\(seed) "
            + "epsilon=\(robust.epsilon) pgd-steps=\(robust.pgdSteps) alpha=\(robust.pgdStepSize.map { "\($0)" } ?? "auto") "
            + "lambda=\(robust.lambda) h=\(robust.h) h-ramp=\(robust.hRampEpochs)"
    }
}

/// One row of the training log CSV.
public struct EpochLog: Sendable, Equatable {
    public var epoch: Int
    public var loss: Double
    public var penalty: Double
    public var trainAccuracy: Double
    public var testAccuracy: Double
    public var testRobustAccuracy: Double
    /// The whole epoch: its optimiser steps and the test evaluations after them.
    public var seconds: Double
    /// The optimiser steps alone (what a peer's training loop times); NaN in logs written
    /// before this column existed.
    public var trainingSeconds: Double

    public static let header = "epoch,loss,penalty,train_accuracy,test_accuracy,test_robust_accuracy,seconds,training_seconds"

    public var csvRow: String {
        [String(epoch), format(loss), format(penalty), format(trainAccuracy), format(testAccuracy),
         format(testRobustAccuracy), String(format: "%.2f", seconds),
         trainingSeconds.isNaN ? "" : String(format: "%.2f", trainingSeconds)].joined(separator: ",")
    }

    private func format(_ value: Double) -> String { value.isNaN ? "" : String(format: "%.6g", value) }

    init(epoch: Int, loss: Double, penalty: Double, trainAccuracy: Double, testAccuracy: Double, testRobustAccuracy: Double,
         seconds: Double, trainingSeconds: Double) {
        (self.epoch, self.loss, self.penalty, self.trainAccuracy) = (epoch, loss, penalty, trainAccuracy)
        (self.testAccuracy, self.testRobustAccuracy, self.seconds) = (testAccuracy, testRobustAccuracy, seconds)
        self.trainingSeconds = trainingSeconds
    }

    /// A row of the log, with or without the trailing `training_seconds` (checkpoints written
    /// before it had seven fields).
    public init?(csvRow: String) {
        let f = csvRow.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard f.count == 7 || f.count == 8, let epoch = Int(f[0]) else { return nil }
        func value(_ s: String) -> Double { s.isEmpty ? .nan : Double(s) ?? .nan }
        self.init(epoch: epoch, loss: value(f[1]), penalty: value(f[2]), trainAccuracy: value(f[3]),
                  testAccuracy: value(f[4]), testRobustAccuracy: value(f[5]), seconds: value(f[6]),
                  trainingSeconds: f.count == 8 ? value(f[7]) : .nan)
    }
}

/// Progress of a training run, for a progress line.
public struct TrainingProgress: Sendable {
    public let epoch: Int, epochs: Int, batch: Int, batches: Int
    public let loss: Double, samplesPerSecond: Double
    public let secondsLeft: Double
}

/// Why a run stopped early.
public enum TrainingError: SettingNamingError {
    case interrupted(checkpoint: URL, epochsDone: Int)
    case nonFiniteLoss(epoch: Int, batch: Int, firstSample: Int)
    case checkpointMismatch(String)

    public var message: SettingMessage {
        switch self {
        case let .interrupted(checkpoint, epochs):
            return "interrupted after \(epochs) complete epoch(s); resume with \(setting: "resumeFrom") \(checkpoint.path)"
        case let .nonFiniteLoss(epoch, batch, first):
            return "non-finite loss at epoch \(epoch), batch \(batch) (samples from index \(first)); lower \(setting: "learningRate") or pass \(setting: "skipNonFiniteBatches")"
        case let .checkpointMismatch(message):
            return "\(message)"
        }
    }
}

/// Trains a model epoch by epoch, writing a checkpoint and the log after every epoch.
public final class Trainer {
    public let model: any Network
    public let configuration: TrainingConfiguration
    public let optimizer: Optimizer
    public private(set) var log: [EpochLog] = []
    /// Called after every batch.
    public var onProgress: ((TrainingProgress) -> Void)?
    /// Polled after every batch; true stops the run at that point (the last checkpoint stays).
    public var shouldStop: () -> Bool = { false }
    /// Called for every skipped batch.
    public var onSkippedBatch: ((Int, Int) -> Void)?
    /// What the data are (`key=value` words: name, files' checksums, subsets), kept in checkpoints
    /// so a resume on other data is refused.
    public var dataIdentity = ""

    public init(model: any Network, configuration: TrainingConfiguration) {
        self.model = model
        self.configuration = configuration
        switch configuration.optimizer {
        case .sgd: optimizer = SGD(momentum: configuration.momentum, nesterov: configuration.nesterov, weightDecay: configuration.weightDecay)
        case .adam: optimizer = Adam(weightDecay: configuration.weightDecay)
        case .adamw: optimizer = Adam(weightDecay: configuration.weightDecay, decoupled: true)
        }
    }

    /// Runs the remaining epochs. With `resumeFrom`, continues a checkpointed run: the result equals
    /// an uninterrupted run's.
    public func run(train: LabeledImages, test: LabeledImages, checkpoint: URL, logFile: URL, resumeFrom: URL? = nil) throws {
        var firstEpoch = 0
        if let resumeFrom { firstEpoch = try restore(from: resumeFrom) }
        let config = configuration
        let stepsPerEpoch = (train.count + config.batchSize - 1) / config.batchSize
        guard let schedule = LearningRateSchedule(config.schedule, stepsPerEpoch: stepsPerEpoch) else {
            throw TrainingError.checkpointMismatch("unknown schedule \"\(config.schedule)\"; expected constant, step[:EPOCHS:GAMMA], cosine or onecycle")
        }
        let totalSteps = stepsPerEpoch * config.epochs
        let parameters = model.trainableParameters
        let classifier: Classifier = { [model] in model($0) }

        for epoch in firstEpoch..<config.epochs {
            let start = Date()
            model.isTraining = true
            let order = shuffledIndices(count: train.count, seed: config.seed, epoch: epoch)
            var lossSum = 0.0, penaltySum = 0.0, correct = 0, seen = 0, batchIndex = 0
            for range in BatchRanges(count: train.count, batchSize: config.batchSize, dropLast: false) {
                let batch = train.batch(at: Array(order[range]), dtype: model.dtype)
                var generator = SeededGenerator(seed: config.seed ^ (UInt64(epoch) << 40) ^ UInt64(batchIndex) &* 0x2545_F491_4F6C_DD1D)
                let h = config.robust.cureScale(epoch: epoch, fraction: Double(batchIndex) / Double(stepsPerEpoch))
                let loss = config.mode.loss(model: classifier, batch: batch, settings: config.robust, h: h, generator: &generator)
                let total = loss.total.value.item
                if !total.isFinite {
                    if config.skipNonFiniteBatches {
                        onSkippedBatch?(epoch + 1, batchIndex)
                        batchIndex += 1
                        continue
                    }
                    throw TrainingError.nonFiniteLoss(epoch: epoch + 1, batch: batchIndex, firstSample: range.lowerBound)
                }
                let grads = gradients(of: loss.total, withRespectTo: parameters.map(\.variable)).map(\.value)
                let rate = schedule.rate(base: config.learningRate, step: epoch * stepsPerEpoch + batchIndex, totalSteps: totalSteps)
                optimizer.step(parameters, gradients: grads, learningRate: rate)

                lossSum += loss.crossEntropy * Double(batch.count)
                penaltySum += loss.penalty * Double(batch.count)
                correct += zip(predictions(loss.logits), batch.labels).filter { $0 == $1 }.count
                seen += batch.count
                batchIndex += 1
                let elapsed = Date().timeIntervalSince(start)
                let rateNow = Double(seen) / Swift.max(elapsed, 1e-9)
                onProgress?(TrainingProgress(
                    epoch: epoch + 1, epochs: config.epochs, batch: batchIndex, batches: stepsPerEpoch,
                    loss: lossSum / Double(seen), samplesPerSecond: rateNow,
                    secondsLeft: Double(train.count - seen + (config.epochs - epoch - 1) * train.count) / rateNow))
                if shouldStop() { throw TrainingError.interrupted(checkpoint: checkpoint, epochsDone: epoch) }
            }
            model.isTraining = false
            let trainingSeconds = Date().timeIntervalSince(start)
            let testAccuracy = accuracy(classifier, on: test, range: 0..<test.count, dtype: model.dtype)
            let robustAccuracy = config.robustEvaluationSubset(of: test).map { subset in
                accuracy(classifier, on: test, indices: subset.indices, dtype: model.dtype, attack: { batch in
                    AttackKind.pgdLinf.images(classifier, batch, epsilon: config.robust.epsilon,
                                              steps: config.robustEvaluationSteps, restarts: 1, seed: config.seed)
                })
            } ?? .nan
            log.append(EpochLog(epoch: epoch + 1, loss: lossSum / Double(Swift.max(seen, 1)), penalty: penaltySum / Double(Swift.max(seen, 1)),
                                trainAccuracy: Double(correct) / Double(Swift.max(seen, 1)), testAccuracy: testAccuracy,
                                testRobustAccuracy: robustAccuracy, seconds: Date().timeIntervalSince(start),
                                trainingSeconds: trainingSeconds))
            try AtomicFile.write(([EpochLog.header] + log.map(\.csvRow)).joined(separator: "\n") + "\n", to: logFile)
            try saveCheckpoint(to: checkpoint, epochsDone: epoch + 1)
            if shouldStop() && epoch + 1 < config.epochs {
                throw TrainingError.interrupted(checkpoint: checkpoint, epochsDone: epoch + 1)
            }
        }
    }

    // MARK: Checkpoints

    /// Model weights, optimiser state, the log so far and the configuration's fingerprint.
    public func saveCheckpoint(to url: URL, epochsDone: Int) throws {
        var tensors = model.namedParameters.map { (name: "model.\($0.name)", tensor: $0.parameter.value) }
        tensors += optimizer.state.keys.sorted().map { (name: "optimizer.\($0)", tensor: optimizer.state[$0]!) }
        let metadata = [
            "architecture": model.structureFingerprint, "epochs_done": String(epochsDone),
            "optimizer_steps": String(optimizer.steps), "configuration": configuration.fingerprint,
            "data": dataIdentity, "log": log.map(\.csvRow).joined(separator: "\n"),
        ]
        try SafetensorsFile(tensors: tensors, metadata: metadata).write(to: url)
    }

    /// The `key=value` words that differ between two records, as `key: old → new`.
    static func differences(_ earlier: String, _ now: String) -> String {
        func words(_ text: String) -> [String: String] {
            Dictionary(text.split(separator: " ").map { word -> (String, String) in
                let parts = word.split(separator: "=", maxSplits: 1)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            }, uniquingKeysWith: { $1 })
        }
        let (a, b) = (words(earlier), words(now))
        return Set(a.keys).union(b.keys).sorted().filter { a[$0] != b[$0] }
            .map { "\($0): \(a[$0] ?? "(none)") → \(b[$0] ?? "(none)")" }.joined(separator: ", ")
    }

    /// Restores a checkpoint; returns the number of completed epochs.
    private func restore(from url: URL) throws -> Int {
        let file = try SafetensorsFile.read(from: url)
        let name = url.lastPathComponent
        guard let done = file.metadata["epochs_done"].flatMap(Int.init), let steps = file.metadata["optimizer_steps"].flatMap(Int.init) else {
            throw TrainingError.checkpointMismatch("\(name): not a Curvature training checkpoint (no epochs_done in its metadata)")
        }
        for (what, earlier, now) in [("settings", file.metadata["configuration"] ?? "", configuration.fingerprint),
                                     ("data", file.metadata["data"] ?? "", dataIdentity)] where earlier != now {
            throw TrainingError.checkpointMismatch("\(name): made with other \(what) (\(Self.differences(earlier, now))); resume with the same options and data")
        }
        guard file.metadata["architecture"] == model.structureFingerprint else {
            throw TrainingError.checkpointMismatch("\(name): made for a different architecture")
        }
        let prefix = "model."
        let modelPart = SafetensorsFile(tensors: file.tensors.filter { $0.name.hasPrefix(prefix) }.map { (String($0.name.dropFirst(prefix.count)), $0.tensor) })
        try model.loadState(modelPart, source: name)
        optimizer.state = Dictionary(uniqueKeysWithValues: file.tensors.filter { $0.name.hasPrefix("optimizer.") }.map {
            (String($0.name.dropFirst("optimizer.".count)), $0.tensor)
        })
        optimizer.steps = steps
        log = (file.metadata["log"] ?? "").split(separator: "\n").compactMap { EpochLog(csvRow: String($0)) }
        return done
    }
}
