import ArgumentParser
import Curvature
import Foundation

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a classifier: standard, adversarial (FGSM, PGD), CURE or gradient-norm regularised.",
        discussion: """
            Writes the model (safetensors, architecture in its metadata), a checkpoint after every epoch \
            (<out>.checkpoint.safetensors) and the log CSV \
            `epoch,loss,penalty,train_accuracy,test_accuracy,test_robust_accuracy,seconds` \
            (test_robust_accuracy: PGD-20 ℓ∞ at --epsilon on --robust-samples test images; \
            train_accuracy: on the inputs trained on, adversarial ones for fgsm and pgd). \
            Interrupted with Ctrl-C, it keeps the last checkpoint; --resume CHECKPOINT finishes the run \
            with the same result as an uninterrupted one. \
            --train-samples and --robust-samples draw class-stratified subsets (each class in proportion \
            to its share of the split, largest remainders, fixed by --seed, kept in split order); the \
            model's metadata records each rule (train_subset, robust_subset) and the sha256 of its \
            comma-separated ascending index list (train_subset_sha256, robust_subset_sha256).
            """)

    @Option(help: "fashion-mnist, mnist5k, or a directory of MNIST-style IDX files.")
    var data: String

    @Option(help: "A built-in architecture (\(BuiltinArchitecture.names.joined(separator: ", "))) or a JSON file.")
    var arch: String

    @Option(help: "What a training step minimises.")
    var mode: TrainingMode = .standard

    @Option(help: "ε of the ℓ∞ threat model (fgsm, pgd, robust evaluation).")
    var epsilon: Double = 0.1

    @Option var epochs: Int = 5

    @Option(name: .customLong("batch-size")) var batchSize: Int = 128

    @Option(help: "The optimiser.")
    var optimizer: TrainingConfiguration.OptimizerKind = .adam

    @Option(help: "Learning rate (peak rate for onecycle).")
    var lr: Double = 1e-3

    @Option(help: "SGD momentum.")
    var momentum: Double = 0.9

    @Flag(help: "Nesterov momentum (sgd).")
    var nesterov = false

    @Option(name: .customLong("weight-decay")) var weightDecay: Double = 0

    @Option(help: "constant, step[:EPOCHS:GAMMA], cosine or onecycle.")
    var schedule: String = "constant"

    @Option(name: .customLong("pgd-steps"), help: "PGD steps k for --mode pgd.")
    var pgdSteps: Int = 7

    @Option(help: "PGD step size α (default 2.5ε/k).")
    var alpha: Double?

    @Option(help: "Weight λ of the cure/gradnorm penalty.")
    var lambda: Double = 1

    @Option(help: "CURE's scale h (ℓ2 length of the finite-difference step).")
    var h: Double = 1

    @Option(name: .customLong("h-ramp-epochs"), help: "Grow h linearly over this many first epochs.")
    var hRampEpochs: Int = 0

    @Option(name: .customLong("robust-samples"), help: "Test images (a seeded class-stratified subset) for the per-epoch robust accuracy (0 to skip).")
    var robustSamples: Int = 1000

    @Option(name: .customLong("train-samples"), help: "Train on a seeded class-stratified subset of N images of the train split.")
    var trainSamples: Int?

    @Flag(name: .customLong("skip-nonfinite"), help: "Skip batches whose loss is NaN or infinite instead of stopping.")
    var skipNonFinite = false

    @Option var seed: UInt64 = 0

    @OptionGroup var threads: ThreadOptions

    @Option(help: "Resume from this checkpoint.")
    var resume: String?

    @Option(help: "Log CSV (default: <out without extension>.log.csv).")
    var log: String?

    @Option(help: "Where to write the trained model (.safetensors).")
    var out: String

    func validate() throws {
        guard LearningRateSchedule(schedule, stepsPerEpoch: 1) != nil else {
            throw ValidationError("--schedule must be constant, step[:EPOCHS:GAMMA], cosine or onecycle, got '\(schedule)'")
        }
        guard epochs >= 1, batchSize >= 1, pgdSteps >= 1, robustSamples >= 0 else {
            throw ValidationError("--epochs, --batch-size and --pgd-steps must be ≥ 1 and --robust-samples ≥ 0")
        }
        guard lr > 0, epsilon >= 0, lambda >= 0, h > 0 else { throw ValidationError("--lr and --h must be positive; --epsilon and --lambda ≥ 0") }
        if let resume, !FileManager.default.fileExists(atPath: resume) { throw ValidationError("--resume: no checkpoint at \(resume)") }
        try checkArchitectureName(arch)
    }

    var configuration: TrainingConfiguration {
        var c = TrainingConfiguration()
        c.mode = mode
        (c.epochs, c.batchSize, c.learningRate, c.momentum, c.nesterov, c.weightDecay) = (epochs, batchSize, lr, momentum, nesterov, weightDecay)
        c.optimizer = optimizer
        (c.schedule, c.seed, c.robustEvaluationSamples, c.skipNonFiniteBatches) = (schedule, seed, robustSamples, skipNonFinite)
        (c.robust.epsilon, c.robust.pgdSteps, c.robust.pgdStepSize) = (epsilon, pgdSteps, alpha)
        (c.robust.lambda, c.robust.h, c.robust.hRampEpochs) = (lambda, h, hRampEpochs)
        return c
    }

    func run() throws {
        threads.apply()
        let architecture = try loadArchitecture(arch)
        var train = try loadDataset(data, split: .train)
        let test = try loadDataset(data, split: .test)
        var subsetMetadata = ["train_subset": "all n=\(train.count)"]
        if let trainSamples {
            guard trainSamples >= 1 && trainSamples <= train.count else {
                throw ValidationError("--train-samples must be in 1…\(train.count), got \(trainSamples)")
            }
            let subset = try train.stratifiedSubset(count: trainSamples, seed: seed)
            train = train.images(of: subset)
            subsetMetadata["train_subset"] = subset.rule
            subsetMetadata["train_subset_sha256"] = SHA256.hex(Data(subset.indexListText.utf8))
        }
        if let robust = configuration.robustEvaluationSubset(of: test) {
            subsetMetadata["robust_subset"] = robust.rule
            subsetMetadata["robust_subset_sha256"] = SHA256.hex(Data(robust.indexListText.utf8))
        } else {
            subsetMetadata["robust_subset"] = "none"
        }
        let model = try Sequential(architecture, seed: seed)
        try checkInput(model, fits: train, dataName: data)

        let outURL = URL(fileURLWithPath: out)
        let stem = outURL.deletingPathExtension()
        let checkpoint = stem.appendingPathExtension("checkpoint.safetensors")
        let logURL = log.map { URL(fileURLWithPath: $0) } ?? stem.appendingPathExtension("log.csv")
        let trainer = Trainer(model: model, configuration: configuration)
        let progress = ProgressLine()
        trainer.onProgress = { p in
            progress.update(String(format: "epoch %d/%d  batch %d/%d  loss %.4f  %.0f img/s  ETA %@",
                                   p.epoch, p.epochs, p.batch, p.batches, p.loss, p.samplesPerSecond,
                                   ProgressLine.duration(p.secondsLeft)))
        }
        trainer.onSkippedBatch = { epoch, batch in progress.note("skipped batch \(batch) of epoch \(epoch): non-finite loss") }
        trainer.shouldStop = { Interruption.requested }
        let start = Date()
        do {
            try trainer.run(train: train, test: test, checkpoint: checkpoint, logFile: logURL,
                            resumeFrom: resume.map { URL(fileURLWithPath: $0) })
        } catch let error as TrainingError {
            progress.finish()
            if case .interrupted = error { exitInterrupted("curvature train: \(error)") }
            throw InputError("\(error)")
        }
        progress.finish()
        try model.save(to: outURL, metadata: [
            "curvature_version": curvatureVersion, "training": configuration.fingerprint,
            "data": data, "wall_seconds": String(format: "%.1f", Date().timeIntervalSince(start)),
        ].merging(subsetMetadata) { current, _ in current })
        print(EpochLog.header)
        for row in trainer.log { print(row.csvRow) }
    }
}
