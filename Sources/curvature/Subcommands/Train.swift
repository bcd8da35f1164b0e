import ArgumentParser
import Curvature
import Foundation

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a classifier: standard, adversarial (FGSM, PGD), CURE or gradient-norm regularised.",
        discussion: """
            Writes the model (safetensors, architecture in its metadata), a checkpoint after every epoch \
            (<out>.checkpoint.safetensors, removed after success unless --keep-checkpoint) and the log CSV \
            `epoch,loss,penalty,train_accuracy,test_accuracy,test_robust_accuracy,seconds,training_seconds` \
            (test_robust_accuracy: PGD-20 ℓ∞ at --epsilon on --robust-samples test images; \
            train_accuracy: on the inputs trained on, adversarial ones for fgsm and pgd; \
            seconds: the whole epoch, training_seconds: its optimiser steps without the test evaluations). \
            Interrupted with Ctrl-C, it keeps the last checkpoint; --resume CHECKPOINT finishes the run \
            with the same result as an uninterrupted one. \
            --train-samples and --robust-samples draw class-stratified subsets (each class in proportion \
            to its share of the split, largest remainders, fixed by --seed, kept in split order); the \
            model's metadata records each rule (train_subset, robust_subset) and the sha256 of its \
            comma-separated ascending index list (train_subset_sha256, robust_subset_sha256).

            Examples:
              curvature train --data mnist5k --arch cnn-small --epochs 1 \\
                --robust-samples 100 --out quick.safetensors
              curvature train --data fashion-mnist --arch cnn-small --mode pgd \\
                --epsilon 0.1 --pgd-steps 7 --keep-checkpoint --out pgd.safetensors
              M=Data/models/mnist5k-cnn-small-standard.safetensors
              curvature train --data mnist5k --init $M --mode cure --lambda 4 \\
                --cure-h 3 --epochs 1 --out finetuned.safetensors
            """)

    @Option(help: "The images: fashion-mnist (28×28, 60000/10000), mnist5k (Data/mnist_5k.csv.gz, 4000/1000), cifar10, or a folder of MNIST-style IDX files, CIFAR-10 batches or train/test .npy pairs; trains on the train split, tests on the test split.")
    var data: String

    @Option(help: "A built-in architecture (\(BuiltinArchitecture.names.joined(separator: ", "))) or a JSON file; with --init, the architecture of a safetensors file without one in its metadata (a PyTorch state_dict).")
    var arch: String?

    @Option(help: "Start from this trained network instead of fresh weights (fine-tuning, as CURE did with pretrained models): .safetensors or .onnx. An ONNX network is written back as ONNX (--out FILE.onnx) with the new weights.")
    var `init`: String?

    @Option(help: "What a training step minimises: cross-entropy on clean (standard), FGSM or PGD inputs, or cross-entropy plus the CURE or gradient-norm (gradnorm) penalty.")
    var mode: TrainingMode = .standard

    @Option(parsing: .unconditional, help: "ε of the ℓ∞ threat model in pixel units, pixels in [0, 1] (fgsm, pgd, and the per-epoch robust accuracy).", transform: realNumber)
    var epsilon: Double = 0.1

    @Option(parsing: .unconditional, help: "Passes over the training data.")
    var epochs: Int = 5

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Images per optimiser step (the last batch of an epoch may be smaller).")
    var batchSize: Int = 128

    @Option(help: "The optimiser: SGD (see --momentum, --nesterov), Adam or AdamW (decoupled weight decay).")
    var optimizer: TrainingConfiguration.OptimizerKind = .adam

    @Option(parsing: .unconditional, help: "Learning rate (peak rate for onecycle).")
    var lr: Double = 1e-3

    @Option(parsing: .unconditional, help: "SGD momentum (--optimizer sgd; default 0.9).")
    var momentum: Double?

    @Flag(help: "Nesterov momentum (--optimizer sgd).")
    var nesterov = false

    @Option(name: .customLong("weight-decay"), parsing: .unconditional, help: "L2 weight decay coefficient (decoupled for adamw).")
    var weightDecay: Double = 0

    @Option(help: "Learning-rate schedule: constant, step[:EPOCHS:GAMMA] (×GAMMA every EPOCHS epochs; default step:1:0.1), cosine (down to 0) or onecycle.")
    var schedule: String = "constant"

    @Option(name: .customLong("pgd-steps"), parsing: .unconditional, help: "PGD steps k (--mode pgd; default 7).")
    var pgdSteps: Int?

    @Option(parsing: .unconditional, help: "PGD step size α (--mode pgd; default 2.5ε/k).", transform: realNumber)
    var alpha: Double?

    @Option(parsing: .unconditional, help: "Weight λ of the penalty (--mode cure or gradnorm; default 1).")
    var lambda: Double?

    @Option(name: [.customLong("cure-h"), .customLong("h")], parsing: .unconditional,
            help: "CURE's scale h, the ℓ2 length of the finite-difference step (--mode cure; default 1). Not the --h of spectrum, a per-coordinate step.", transform: realNumber)
    var cureH: Double?

    @Option(name: .customLong("h-ramp-epochs"), parsing: .unconditional, help: "Grow CURE's h linearly over this many first epochs (--mode cure; default 0: the full h from the start).")
    var hRampEpochs: Int?

    @Option(name: .customLong("robust-samples"), parsing: .unconditional,
            help: "Test images (a seeded class-stratified subset) for the per-epoch PGD-20 accuracy at --epsilon (0 to skip).")
    var robustSamples: Int = 1000

    @Option(name: .customLong("train-samples"), parsing: .unconditional, help: "Train on a seeded class-stratified subset of N images of the train split (default: all).")
    var trainSamples: Int?

    @Flag(name: .customLong("skip-nonfinite"), help: "Skip batches whose loss is NaN or infinite instead of stopping.")
    var skipNonFinite = false

    @Option(parsing: .unconditional, help: "Seed of the initial weights, the shuffling, the subsets and the attacks' random starts.")
    var seed: UInt64 = 0

    @OptionGroup var threads: ThreadOptions

    @Option(help: "Resume from this checkpoint, e.g. <out>.checkpoint.safetensors of an interrupted run (refused when made with other options or data).")
    var resume: String?

    @Flag(name: .customLong("keep-checkpoint"), help: "Keep <out>.checkpoint.safetensors after a successful run (it is removed otherwise).")
    var keepCheckpoint = false

    @Option(help: "Log CSV (default: <out without extension>.log.csv).")
    var log: String?

    @Option(help: "Where to write the trained model (.safetensors; .onnx when --init is an ONNX file).")
    var out: String

    var checkpointURL: URL { URL(fileURLWithPath: out).deletingPathExtension().appendingPathExtension("checkpoint.safetensors") }
    var logURL: URL { log.map { URL(fileURLWithPath: $0) } ?? URL(fileURLWithPath: out).deletingPathExtension().appendingPathExtension("log.csv") }

    func validate() throws {
        guard LearningRateSchedule(schedule, stepsPerEpoch: 1) != nil else {
            throw ValidationError("--schedule must be constant, step[:EPOCHS:GAMMA], cosine or onecycle, got '\(schedule)'")
        }
        for (option, value) in [("--epochs", epochs), ("--batch-size", batchSize), ("--pgd-steps", pgdSteps ?? 1)] where value < 1 {
            throw ValidationError("\(option) must be ≥ 1, got \(value)")
        }
        if robustSamples < 0 { throw ValidationError("--robust-samples must be ≥ 0, got \(robustSamples)") }
        if let trainSamples, trainSamples < 1 { throw ValidationError("--train-samples must be ≥ 1, got \(trainSamples)") }
        if let hRampEpochs, hRampEpochs < 0 { throw ValidationError("--h-ramp-epochs must be ≥ 0, got \(hRampEpochs)") }
        guard lr > 0 else { throw ValidationError("--lr must be positive, got \(lr)") }
        guard epsilon >= 0 else { throw ValidationError("--epsilon must be ≥ 0, got \(epsilon)") }
        if let lambda, lambda < 0 { throw ValidationError("--lambda must be ≥ 0, got \(lambda)") }
        if let cureH, !(cureH > 0) { throw ValidationError("--cure-h must be positive, got \(cureH)") }
        if let alpha, !(alpha > 0) { throw ValidationError("--alpha must be positive, got \(alpha)") }
        if let momentum, momentum < 0 { throw ValidationError("--momentum must be ≥ 0, got \(momentum)") }
        if weightDecay < 0 { throw ValidationError("--weight-decay must be ≥ 0, got \(weightDecay)") }
        // Options the mode or the optimiser make meaningless.
        let penalty = mode == .cure || mode == .gradnorm
        for (option, given, applies) in [
            ("--pgd-steps", pgdSteps != nil, mode == .pgd), ("--alpha", alpha != nil, mode == .pgd),
            ("--lambda", lambda != nil, penalty), ("--cure-h", cureH != nil, mode == .cure), ("--h-ramp-epochs", hRampEpochs != nil, mode == .cure),
        ] where given && !applies {
            throw ValidationError("\(option) has no effect with --mode \(mode.rawValue)")
        }
        for (option, given) in [("--momentum", momentum != nil), ("--nesterov", nesterov)] where given && optimizer != .sgd {
            throw ValidationError("\(option) has no effect with --optimizer \(optimizer.rawValue); it applies to sgd")
        }
        if let resume, !FileManager.default.fileExists(atPath: resume) { throw ValidationError("--resume: no checkpoint at \(resume)") }
        if let initial = `init` {
            try InputPath.checkFile(initial, option: "--init")
            let onnx = NetworkFile.isONNX(initial)
            if onnx, let arch { throw ValidationError("--arch \(arch) has no effect with an ONNX --init; the file carries its graph") }
            let wanted = onnx ? "onnx" : "safetensors"
            guard out.lowercased().hasSuffix(".\(wanted)") else {
                throw ValidationError("--out \(out): a network from \(initial) is written as .\(wanted); name --out FILE.\(wanted)")
            }
        } else {
            guard let arch else { throw ValidationError("give --arch (a fresh network) or --init (a trained one)") }
            guard !out.lowercased().hasSuffix(".onnx") else { throw ValidationError("--out \(out): a built network is written as .safetensors") }
            try checkArchitectureName(arch)
        }
        if let arch, `init` != nil { try checkArchitectureName(arch) }
        try OutputPath.checkFile(out, option: "--out")
        try OutputPath.checkFile(logURL.path, option: log == nil ? "the log <out>.log.csv" : "--log")
        try OutputPath.checkFile(checkpointURL.path, option: "the checkpoint <out>.checkpoint.safetensors")
    }

    var configuration: TrainingConfiguration {
        var c = TrainingConfiguration()
        c.mode = mode
        (c.epochs, c.batchSize, c.learningRate, c.momentum, c.nesterov, c.weightDecay) = (epochs, batchSize, lr, momentum ?? 0.9, nesterov, weightDecay)
        c.optimizer = optimizer
        (c.schedule, c.seed, c.robustEvaluationSamples, c.skipNonFiniteBatches) = (schedule, seed, robustSamples, skipNonFinite)
        (c.robust.epsilon, c.robust.pgdSteps, c.robust.pgdStepSize) = (epsilon, pgdSteps ?? 7, alpha)
        (c.robust.lambda, c.robust.h, c.robust.hRampEpochs) = (lambda ?? 1, cureH ?? 1, hRampEpochs ?? 0)
        return c
    }

    func run() throws {
        threads.apply()
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
        let model: any Network
        if let initial = `init` {
            model = try loadNetwork(initial, architecture: try arch.map(loadArchitecture))
            subsetMetadata["init"] = URL(fileURLWithPath: initial).lastPathComponent
            subsetMetadata["init_sha256"] = try SHA256.hex(fileAt: URL(fileURLWithPath: initial))
        } else if let arch {
            model = try Sequential(try loadArchitecture(arch), seed: seed)
        } else {
            throw ValidationError("give --arch (a fresh network) or --init (a trained one)")  // refused in validate() already
        }
        try checkInput(model, fits: train, dataName: data)

        let outURL = URL(fileURLWithPath: out)
        let checkpoint = checkpointURL
        let trainer = Trainer(model: model, configuration: configuration)
        trainer.dataIdentity = "data=\(data) sha256=\(try dataChecksum(data, split: .train)),\(try dataChecksum(data, split: .test)) "
            + subsetMetadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.replacingOccurrences(of: " ", with: "_"))" }.joined(separator: " ")
        let progress = ProgressLine()
        trainer.onProgress = { p in
            let kept = p.epoch > 1 ? "the checkpoint after epoch \(p.epoch - 1) is kept" : "no epoch is finished yet, so nothing can be resumed"
            Interruption.setStatus(p.batch < p.batches ? "batch \(p.batch + 1) of \(p.batches) of epoch \(p.epoch) (\(kept))"
                                                       : "epoch \(p.epoch) and its checkpoint")
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
            if case .interrupted = error { exitInterrupted("curvature train: \(error.message.inFlags)") }
            throw InputError("\(error.message.inFlags)")
        }
        progress.finish()
        try model.save(to: outURL, metadata: [
            "curvature_version": curvatureVersion, "training": configuration.fingerprint,
            "data": data, "wall_seconds": String(format: "%.1f", Date().timeIntervalSince(start)),
        ].merging(subsetMetadata) { current, _ in current })
        if !keepCheckpoint { try? FileManager.default.removeItem(at: checkpoint) }
        print(EpochLog.header)
        for row in trainer.log { print(row.csvRow) }
    }
}
