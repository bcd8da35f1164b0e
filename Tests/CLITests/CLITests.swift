import Curvature
import Foundation
import TestSupport
import XCTest

/// The `curvature` executable as scripts use it: exit codes, sharding, interruption and resume.
final class CLITests: ExecutableTestCase {
    private var modelPath: String!

    override func setUpWithError() throws {
        try super.setUpWithError()
        modelPath = try saveTinyModel()
    }

    @discardableResult
    private func run(_ arguments: [String], wait: Bool = true) throws -> (process: Process, stdout: Pipe, stderr: Pipe) {
        try launch(arguments, wait: wait)
    }


    private func spectrumArguments(_ out: String, samples: Int = 40, extra: [String] = []) -> [String] {
        ["spectrum", "--model", modelPath, "--data", "mnist5k", "--split", "test", "--samples", "\(samples)",
         "--method", "lanczos", "--k", "3", "--steps", "6", "--batch-size", "4", "--threads", "1", "--out", out] + extra
    }

    func testShardsMergeIntoTheUnshardedFileByteForByte() throws {
        try run(spectrumArguments("full.csv"))
        for i in 1...3 { try run(spectrumArguments("part\(i).csv", extra: ["--shard", "\(i)/3"])) }
        let merge = try run(["merge", "part3.csv", "part1.csv", "part2.csv", "--out", "merged.csv"])
        XCTAssertEqual(merge.process.terminationStatus, 0, text(merge.stderr))
        let full = try Data(contentsOf: directory.appendingPathComponent("full.csv"))
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("merged.csv")), full)
        let lines = String(decoding: full, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.first, "sample,label,predicted,rank,eigenvalue,residual,converged")
        XCTAssertEqual(lines.count, 1 + 40 * 3)
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("full.csv.meta.json"))) as? [String: Any]
        XCTAssertEqual((meta?["model_sha256"] as? String)?.count, 64)
        XCTAssertNotNil(meta?["wall_seconds"])
    }

    /// The same command gives the same bytes for any --threads, --batch-size and --shard split, in
    /// Float32 and Float64, for every per-sample job.
    func testResultsDoNotDependOnThreadsBatchSizeOrShards() throws {
        let jobs: [(name: String, arguments: [String])] = [
            ("spectrum", ["spectrum", "--k", "3", "--steps", "6"]),
            ("density", ["density", "--probes", "2", "--steps", "5", "--grid-points", "5"]),
            ("trace", ["trace", "--probes", "3"]),
        ]
        for dtype in ["float32", "float64"] {
            for job in jobs {
                func command(_ out: String, _ extra: [String]) -> [String] {
                    job.arguments + ["--model", modelPath, "--data", "mnist5k", "--offset", "2", "--samples", "21",
                                     "--dtype", dtype, "--out", out] + extra
                }
                let reference = "\(job.name)-\(dtype)-reference.csv"
                XCTAssertEqual(try run(command(reference, ["--threads", "1", "--batch-size", "21"])).process.terminationStatus, 0)
                var variants: [(String, [String])] = [("threads2", ["--threads", "2", "--batch-size", "21"]),
                                                      ("batch4", ["--threads", "2", "--batch-size", "4"]),
                                                      ("batch1", ["--threads", "1", "--batch-size", "1"])]
                if job.name == "spectrum" { variants.append(("batch16", ["--threads", "2", "--batch-size", "16"])) }
                for (label, extra) in variants {
                    let out = "\(job.name)-\(dtype)-\(label).csv"
                    let result = try run(command(out, extra))
                    XCTAssertEqual(result.process.terminationStatus, 0, text(result.stderr))
                    XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent(out)),
                                   try Data(contentsOf: directory.appendingPathComponent(reference)), "\(job.name) \(dtype) \(label)")
                }
                for i in 1...3 {
                    XCTAssertEqual(try run(command("\(job.name)-\(dtype)-part\(i).csv", ["--threads", "1", "--batch-size", "5", "--shard", "\(i)/3"])).process.terminationStatus, 0)
                }
                let merged = "\(job.name)-\(dtype)-merged.csv"
                XCTAssertEqual(try run(["merge"] + (1...3).map { "\(job.name)-\(dtype)-part\($0).csv" } + ["--out", merged]).process.terminationStatus, 0)
                XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent(merged)),
                               try Data(contentsOf: directory.appendingPathComponent(reference)), "\(job.name) \(dtype) shards")
            }
        }
        // Float64 results are written with the digits that read back to the same Double.
        let text = try String(contentsOf: directory.appendingPathComponent("spectrum-float64-reference.csv"), encoding: .utf8)
        let eigenvalue = text.split(separator: "\n")[1].split(separator: ",")[4]
        XCTAssertGreaterThan(eigenvalue.count, 12, "Float64 eigenvalue written as \(eigenvalue)")
        XCTAssertEqual(String(Double(eigenvalue)!), String(eigenvalue))
    }

    /// eval, attack and compare give the same bytes for any --threads and --batch-size (PGD's random
    /// starts come from per-sample streams; the model's arithmetic does not depend on the batch).
    func testEvalAttackAndCompareDoNotDependOnThreadsOrBatchSize() throws {
        let data = ["--model", modelPath!, "--data", "mnist5k", "--offset", "5", "--samples", "23"]
        let jobs: [(name: String, arguments: [String], file: String)] = [
            ("eval", ["eval"] + data + ["--attack", "pgd-linf", "--epsilon", "0.1,0.3", "--steps", "3", "--restarts", "2", "--seed", "4", "--out"], ""),
            ("attack-pgd", ["attack"] + data + ["--method", "pgd-l2", "--epsilon", "1", "--steps", "3", "--seed", "4", "--images", "IMAGES", "--out"], ""),
            ("attack-deepfool", ["attack"] + data + ["--method", "deepfool", "--images", "IMAGES", "--out"], ""),
        ]
        for job in jobs {
            var reference: [Data] = []
            for (threads, batch) in [("1", "23"), ("2", "23"), ("2", "4"), ("1", "1")] {
                let out = "\(job.name)-\(threads)-\(batch).csv", images = "\(job.name)-\(threads)-\(batch).npy"
                let arguments = job.arguments.map { $0 == "IMAGES" ? images : $0 } + [out, "--threads", threads, "--batch-size", batch]
                let result = try run(arguments)
                XCTAssertEqual(result.process.terminationStatus, 0, text(result.stderr))
                var files = [try Data(contentsOf: directory.appendingPathComponent(out))]
                if job.arguments.contains("IMAGES") { files.append(try Data(contentsOf: directory.appendingPathComponent(images))) }
                if reference.isEmpty { reference = files } else { XCTAssertEqual(files, reference, "\(job.name) threads \(threads) batch \(batch)") }
            }
        }
        var reference: [Data] = []
        for (threads, batch) in [("1", "23"), ("2", "5")] {
            let folder = "compare-\(threads)-\(batch)"
            let result = try run(["compare", "--models", "\(modelPath!),\(modelPath!)", "--names", "a,b", "--data", "mnist5k", "--offset", "5",
                                  "--samples", "23", "--k", "3", "--steps", "6", "--epsilons", "0,0.1", "--pgd-steps", "3", "--figure-samples", "2",
                                  "--threads", threads, "--batch-size", batch, "--out-dir", folder])
            XCTAssertEqual(result.process.terminationStatus, 0, text(result.stderr))
            let files = try ["profile.csv", "spectra.csv", "eval.csv", "images.csv", "summary.md"].map {
                try Data(contentsOf: directory.appendingPathComponent("\(folder)/\($0)"))
            }
            if reference.isEmpty { reference = files } else { XCTAssertEqual(files, reference, "compare threads \(threads) batch \(batch)") }
        }
    }

    /// --gradient-norm adds each sample's ‖∇ₓℓ‖; --h with several scales runs each and adds an h
    /// column, each sample's rows together (so shards still merge byte for byte).
    func testGradientNormAndScaleSweep() throws {
        let base = ["spectrum", "--model", modelPath!, "--data", "mnist5k", "--samples", "2", "--k", "2", "--method", "dense",
                    "--hessian", "finite", "--threads", "2", "--batch-size", "1"]
        XCTAssertEqual(try run(base + ["--h", "0.05,0.2", "--gradient-norm", "--out", "sweep.csv"]).process.terminationStatus, 0)
        XCTAssertEqual(try run(base + ["--h", "0.2", "--out", "single.csv"]).process.terminationStatus, 0)
        let sweep = try String(contentsOf: directory.appendingPathComponent("sweep.csv"), encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(sweep[0], "sample,label,predicted,rank,eigenvalue,residual,gradient_norm,h,converged")
        let rows = sweep.dropFirst().map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(rows.count, 2 * 2 * 2)
        XCTAssertEqual(rows.prefix(4).map { "\($0[0]) \($0[7])" }, ["0 0.05", "0 0.05", "0 0.2", "0 0.2"], "each sample's rows together, scale by scale")
        let single = try String(contentsOf: directory.appendingPathComponent("single.csv"), encoding: .utf8).split(separator: "\n").dropFirst().map(String.init)
        XCTAssertEqual(rows.filter { $0[7] == "0.2" }.map { ($0.prefix(6) + [$0[8]]).joined(separator: ",") }, Array(single),
                       "the 0.2 rows are the single-scale run's")
        // The gradient norm is ‖∇ₓℓ‖ of each sample.
        let model = try Sequential.load(from: URL(fileURLWithPath: modelPath))
        let data = try loadDataset("mnist5k", split: .test).batch(at: Array(0..<2))
        let norms = rowNorms(inputGradient({ model($0) }, data.images, data.labels).gradient)
        for row in rows { XCTAssertEqual(Double(row[6])!, norms[Int(row[0])!], accuracy: 1e-6 * norms[Int(row[0])!]) }
        // Shards of a sweep merge into the whole file.
        for i in 1...2 { XCTAssertEqual(try run(base + ["--h", "0.05,0.2", "--gradient-norm", "--shard", "\(i)/2", "--out", "part\(i).csv"]).process.terminationStatus, 0) }
        XCTAssertEqual(try run(["merge", "part1.csv", "part2.csv", "--out", "merged.csv"]).process.terminationStatus, 0)
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("merged.csv")), try Data(contentsOf: directory.appendingPathComponent("sweep.csv")))
        try assertRefused(["compare", "--models", modelPath!, "--data", "mnist5k", "--hessian", "finite", "--h", "0.1,0.2", "--out-dir", "c"],
                          status: 2, message: "--h 0.1,0.2: compare runs one scale")
    }

    func testInterruptedRunKeepsCompleteRowsAndResumesToTheSameFile() throws {
        let samples = 40  // 10 batches of 4 samples × 3 eigenvalues; held before batch 4 until the Ctrl-C
        try run(spectrumArguments("reference.csv", samples: samples))
        let partial = directory.appendingPathComponent("interrupted.csv.partial")
        let started = try interrupt(spectrumArguments("interrupted.csv", samples: samples), holdingBatch: 4, once: partial, holds: 1 + 3 * 12)
        let message = started.stderr
        XCTAssertEqual(started.status, 130, message)
        XCTAssertTrue(message.contains("--resume"), message)
        XCTAssertTrue(message.contains("interrupted; finishing batch ") && message.contains("Ctrl-C again to stop now"),
                      "the first Ctrl-C says at once what happens: \(message)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("interrupted.csv").path))
        let kept = try String(contentsOf: partial, encoding: .utf8)
        XCTAssertTrue(kept.hasSuffix("\n"))
        let rows = kept.split(separator: "\n").dropFirst()
        XCTAssertTrue(rows.allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 7 })
        XCTAssertEqual(rows.count, 3 * 12, "the three batches finished before the Ctrl-C, whole")

        // A resume checks what it resumes: other settings, another model, or no --resume at all
        // are refused, naming what differs, and the partial file is left as it was.
        let otherModel = directory.appendingPathComponent("other.safetensors").path
        try Sequential(try Sequential.load(from: URL(fileURLWithPath: modelPath)).architecture, seed: 4).save(to: URL(fileURLWithPath: otherModel))
        var modelArguments = spectrumArguments("interrupted.csv", samples: samples, extra: ["--resume"])
        modelArguments[modelArguments.firstIndex(of: modelPath)!] = otherModel
        for (arguments, name) in [
            (spectrumArguments("interrupted.csv", samples: samples, extra: ["--resume", "--k", "2"]), "k 3 → 2"),
            (spectrumArguments("interrupted.csv", samples: samples, extra: ["--resume", "--hessian", "finite"]), "hessian exact → finite"),
            (modelArguments, "model_sha256"),
            (spectrumArguments("interrupted.csv", samples: samples), "interrupted.csv.partial holds the finished batches of an interrupted run; continue it with --resume"),
        ] {
            try assertRefused(arguments, status: 1, message: name)  // the partial file and its record untouched
        }

        // The batch size does not change results, so a resume may use another one.
        let resumed = try run(spectrumArguments("interrupted.csv", samples: samples, extra: ["--resume", "--batch-size", "8"]))
        XCTAssertEqual(resumed.process.terminationStatus, 0, text(resumed.stderr))
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("interrupted.csv")),
                       try Data(contentsOf: directory.appendingPathComponent("reference.csv")))
    }

    /// The exact Gauss–Newton route writes every rank asked for, beyond Lanczos' --steps; a network
    /// whose Hessian is not Gauss–Newton only still needs --steps ≥ --k.
    func testTheGaussNewtonRouteWritesEveryRankAskedFor() throws {
        let base = ["spectrum", "--model", modelPath!, "--data", "mnist5k", "--samples", "2", "--k", "50"]
        let route = try run(base + ["--part", "gauss-newton", "--out", "gn.csv"])
        XCTAssertEqual(route.process.terminationStatus, 0, text(route.stderr))
        let rows = try String(contentsOf: directory.appendingPathComponent("gn.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
        XCTAssertEqual(rows.count, 2 * 50)
        XCTAssertTrue(rows.filter { $0.split(separator: ",")[3] == "50" }.allSatisfy { Double($0.split(separator: ",")[4]) == 0 }, "ranks past C are exact zeros")
        // The smooth tiny network's full Hessian needs Lanczos, whose budget bounds k.
        try assertRefused(base + ["--max-steps", "20", "--out", "full.csv"], status: 2,
                          message: "--k 50 is larger than the Lanczos budget 20 (--max-steps")
    }

    /// A second Ctrl-C stops at once, keeping every finished batch: the run is held before batch 3
    /// until it comes, so only the second Ctrl-C's path can end it.
    func testASecondInterruptStopsAtOnceKeepingFinishedBatches() throws {
        let partial = directory.appendingPathComponent("twice.csv.partial")
        let stopped = try interrupt(spectrumArguments("twice.csv"), holdingBatch: 3, once: partial, holds: 1 + 2 * 12, signals: 2)
        XCTAssertEqual(stopped.status, 130, stopped.stderr)
        XCTAssertTrue(stopped.stderr.contains("Ctrl-C again to stop now"), "the first Ctrl-C is answered: \(stopped.stderr)")
        XCTAssertTrue(stopped.stderr.contains("curvature: stopped now; every finished batch is kept (the same command with --resume continues)"),
                      stopped.stderr)
        XCTAssertFalse(stopped.stderr.contains("interrupted with"), "not the first Ctrl-C's clean stop: \(stopped.stderr)")
        let rows = try String(contentsOf: partial, encoding: .utf8).split(separator: "\n").dropFirst()
        XCTAssertEqual(rows.count, 2 * 12, "the two batches finished before the Ctrl-Cs, whole")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("twice.csv").path))
        // What was kept resumes to the file of an uninterrupted run.
        XCTAssertEqual(try run(spectrumArguments("reference.csv")).process.terminationStatus, 0)
        let resumed = try run(spectrumArguments("twice.csv", extra: ["--resume"]))
        XCTAssertEqual(resumed.process.terminationStatus, 0, text(resumed.stderr))
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("twice.csv")),
                       try Data(contentsOf: directory.appendingPathComponent("reference.csv")))
    }

    func testMisuseIsAUsageErrorBeforeAnyWork() throws {
        try assertRefused(spectrumArguments("x.csv", extra: ["--k", "50"]), status: 2, message: "--k 50 is larger than --steps 6: Lanczos finds at most m Ritz values; raise --steps to at least 50")
        try assertRefused(["spectrum", "--model", modelPath, "--data", "mnist5k", "--samples", "2000", "--out", "y.csv"], status: 2,
                          message: "--offset 0 with --samples 2000 goes beyond the 1000 images of mnist5k's test split")
        try assertRefused(["spectrum", "--model", modelPath, "--data", "mnist5k", "--frobnicate", "--out", "z.csv"], status: 2,
                          message: "Unknown option '--frobnicate'")
    }

    /// Options the others make meaningless, bad values (negative ones included) and output paths that
    /// cannot be written are usage errors before any work, each named with its value.
    func testOptionsWithoutEffectAndUnwritablePathsAreRefusedByName() throws {
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("folder"), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: directory.appendingPathComponent("plain").path, contents: Data())
        let data = ["--model", modelPath!, "--data", "mnist5k", "--samples", "4"]
        let cases: [(arguments: [String], message: String)] = [
            (["eval"] + data + ["--epsilon", "0.1", "--out", "e.csv"], "--epsilon 0.1 has no effect without --attack"),
            (["eval"] + data + ["--attack", "fgsm", "--steps", "10", "--out", "e.csv"], "--steps has no effect with --attack fgsm"),
            (["eval"] + data + ["--attack", "pgd-linf", "--steps", "-1", "--out", "e.csv"], "--steps must be ≥ 1, got -1"),
            (["spectrum"] + data + ["--hessian", "finite", "--h", "-0.01", "--out", "s.csv"], "--h must be positive, got -0.01"),
            (["spectrum"] + data + ["--h", "0.05", "--out", "s.csv"], "--h 0.05 has no effect with --hessian exact"),
            (["spectrum"] + data + ["--method", "dense", "--steps", "10", "--out", "s.csv"], "--steps 10 has no effect with --method dense"),
            (["spectrum"] + data + ["--k", "-3", "--out", "s.csv"], "--k must be ≥ 1, got -3"),
            (["spectrum"] + data + ["--out", "missing/s.csv"], "--out missing/s.csv: the folder"),
            (["spectrum"] + data + ["--out", "folder"], "--out folder is a folder"),
            (["trace"] + data + ["--out", "plain/t.csv"], "--out plain/t.csv: the folder"),
            (["attack"] + data + ["--method", "deepfool", "--epsilon", "0.1", "--out", "a.csv"], "--epsilon has no effect with --method deepfool"),
            (["attack"] + data + ["--method", "fgsm", "--images", "missing/x.npy", "--out", "a.csv"], "--images missing/x.npy: the folder"),
            (["train", "--data", "mnist5k", "--arch", "cnn-small", "--lambda", "4", "--out", "m.safetensors"], "--lambda has no effect with --mode standard"),
            (["train", "--data", "mnist5k", "--arch", "cnn-small", "--momentum", "0.5", "--out", "m.safetensors"], "--momentum has no effect with --optimizer adam"),
            (["train", "--data", "mnist5k", "--arch", "cnn-small", "--out", "folder"], "--out folder is a folder"),
            (["compare", "--models", modelPath!, "--data", "mnist5k", "--out-dir", "plain"], "--out-dir plain is a file"),
            (["merge", "x.csv", "--out", "missing/m.csv"], "--out missing/m.csv: the folder"),
            (["spectrun", "--model", modelPath!], "unknown subcommand 'spectrun'"),
        ]
        for (arguments, message) in cases { try assertRefused(arguments, status: 2, message: message) }
    }

    func testABrokenModelFileIsBadInputAndWritesNothing() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: modelPath))
        let broken = directory.appendingPathComponent("broken.safetensors")
        try bytes.prefix(bytes.count - 100).write(to: broken)
        try assertRefused(["spectrum", "--model", broken.path, "--data", "mnist5k", "--samples", "2", "--k", "2", "--steps", "4", "--out", "b.csv"],
                          status: 1, message: "broken.safetensors: ")
    }

    func testPlotLogYIsAUsageErrorForEveryFigureButTheProfileAndTheDensity() throws {
        for kind in ["spectrum", "top-histogram", "accuracy", "images", "section"] {
            try assertRefused(["plot", kind, "--input", "in.csv", "--output", "\(kind).png", "--log-y"], status: 2,
                              message: "--log-y applies only to 'curvature plot profile' and 'curvature plot density'")
        }
        // For the profile and the density --log-y passes validation: what is left is the missing CSV.
        for kind in ["profile", "density"] {
            let message = try assertRefused(["plot", kind, "--input", "in.csv", "--output", "\(kind).png", "--log-y"], status: 1,
                                            message: "cannot read in.csv: no such file")
            XCTAssertFalse(message.contains("--log-y"), "\(kind): \(message)")
        }
    }

    /// The density figure with --log-y, from one model's CSV and from several models' CSVs with a
    /// leading column model; a CSV without a column the figure needs is refused before gnuplot runs.
    func testPlotDensityWithLogYDrawsOneModelOrSeveral() throws {
        try requireGnuplot()
        // A spike of 10⁵ at λ = 0, tails of 10⁻² to 1 beside it and zeros past them, as for an input Hessian.
        func rows(model: String?, scale: Double) -> [String] {
            var rows: [String] = []
            for sample in 0..<3 {
                for step in 0...100 {
                    let lambda = -0.5 + Double(step) * 0.025
                    let tail = abs(lambda) > 1.5 / scale ? 0 : 0.01 + 0.5 * (1 + sin(Double(step + sample)))
                    let density = 1e5 * scale * exp(-lambda * lambda / 2e-4) + tail
                    rows.append((model.map { "\($0)," } ?? "") + "\(sample),\(lambda),\(density)")
                }
            }
            return rows
        }
        let single = ["sample,lambda,density"] + rows(model: nil, scale: 1)
        let several = ["model,sample,lambda,density"] + rows(model: "normal", scale: 1) + rows(model: "robust", scale: 3)
        try (single.joined(separator: "\n") + "\n").write(to: directory.appendingPathComponent("one.csv"), atomically: true, encoding: .utf8)
        try (several.joined(separator: "\n") + "\n").write(to: directory.appendingPathComponent("several.csv"), atomically: true, encoding: .utf8)
        // Every sample and their mean for one model; each model's mean, titled by it, for several.
        func mean(_ model: String?, scale: Double) -> [Double] {
            let samples = rows(model: model, scale: scale).map { Double($0.split(separator: ",").last!)! }
            return (0...100).map { step in (0..<3).map { samples[$0 * 101 + step] }.reduce(0, +) / 3 }
        }
        let expected: [String: [(title: String?, mean: [Double])]] = [
            "one": [(nil, []), (nil, []), (nil, []), ("mean over samples", mean(nil, scale: 1))],
            "several": [("normal", mean("normal", scale: 1)), ("robust", mean("robust", scale: 3))],
        ]
        for name in ["one", "several"] {
            for logY in [true, false] {
                let output = "\(name)\(logY ? "-log" : "").png"
                let (status, message, series) = try plotted(["density", "--input", "\(name).csv", "--output", output] + (logY ? ["--log-y"] : []))
                XCTAssertEqual(status, 0, "\(output): \(message)")
                XCTAssertEqual(message, "", "\(output): no notes expected")
                let png = try Data(contentsOf: directory.appendingPathComponent(output))
                XCTAssertEqual([UInt8](png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], output)
                let wanted = expected[name]!
                XCTAssertEqual(series.count, wanted.count, output)
                XCTAssertEqual(series.suffix(name == "one" ? 1 : 2).map(\.title), wanted.suffix(name == "one" ? 1 : 2).map(\.title), output)
                let peak = wanted.flatMap(\.mean).max()!
                for (drawn, want) in zip(series, wanted) where !want.mean.isEmpty {
                    XCTAssertTrue(PlottedSeries.close(drawn.column(1), densityAsDrawn(want.mean, logY: logY, peak: peak)),
                                  "\(output) \(want.title ?? ""): drew \(drawn.column(1))")
                }
            }
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".tmp") }
        XCTAssertEqual(leftovers, [], "the temporary PNG was left behind")

        try "model,sample,density\nnormal,0,1\n".write(to: directory.appendingPathComponent("nolambda.csv"), atomically: true, encoding: .utf8)
        let message = try assertRefused(["plot", "density", "--input", "nolambda.csv", "--output", "nolambda.png", "--log-y"], status: 1,
                                        message: "nolambda.csv has no column 'lambda' for the density figure")
        XCTAssertTrue(message.contains("or model,sample,lambda,density"), message)
    }

    func testPlotProfileWithLogYDrawsAPNGAndNotesTheMediansLeftOut() throws {
        try requireGnuplot()
        var rows = ["model,rank,mean,median,p10,p90,samples"]
        for (model, scale) in [("standard", 20.0), ("cure", 0.1)] {
            for rank in 1...11 {
                // Past rank 9 the medians are Float32 noise of either sign, as for a ReLU network.
                let median = rank <= 9 ? scale * pow(10, -Double(rank) / 3) : (rank == 10 ? 2e-10 : -5e-10)
                rows.append("\(model),\(rank),\(median),\(median),\(rank <= 9 ? median / 10 : -1e-9),\(abs(median) * 8),200")
            }
        }
        try (rows.joined(separator: "\n") + "\n").write(to: directory.appendingPathComponent("profile.csv"), atomically: true, encoding: .utf8)
        let (status, message, series) = try plotted(["profile", "--input", "profile.csv", "--output", "profile.png", "--log-y"])
        XCTAssertEqual(status, 0, message)
        XCTAssertTrue(message.contains("logy leaves out 2 median(s) ≤ 0"), message)
        let png = try Data(contentsOf: directory.appendingPathComponent("profile.png"))
        XCTAssertEqual([UInt8](png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // A band and a median line per model; the lines leave out exactly the medians ≤ 0.
        let lines = series.filter { $0.title != nil }
        XCTAssertEqual(series.count, 4)
        XCTAssertEqual(lines.map(\.title), ["standard", "cure"])
        for line in lines {
            let medians = rows.dropFirst().filter { $0.hasPrefix("\(line.title!),") }.map { Double($0.split(separator: ",")[3])! }
            XCTAssertEqual(line.column(1).map(\.isNaN), medians.map { $0 <= 0 }, line.title!)
            XCTAssertTrue(PlottedSeries.close(line.column(1).filter { !$0.isNaN }, medians.filter { $0 > 0 }), "\(line.title!): \(line.points)")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".tmp") }
        XCTAssertEqual(leftovers, [], "the temporary PNG was left behind")
    }

    func testInterruptedCompareResumesToTheSameResultsAndRefusesOtherSettings() throws {
        func compare(_ folder: String, _ extra: [String] = []) -> [String] {
            ["compare", "--models", "\(modelPath!),\(modelPath!)", "--names", "a,b", "--data", "mnist5k", "--samples", "40",
             "--k", "3", "--steps", "6", "--batch-size", "4", "--epsilons", "0", "--figure-samples", "1", "--threads", "1",
             "--out-dir", folder] + extra
        }
        let reference = try run(compare("reference"))
        XCTAssertEqual(reference.process.terminationStatus, 0, text(reference.stderr))
        let table = text(reference.stdout)
        XCTAssertTrue(table.contains("| a |") && table.contains("| b |"), table)
        XCTAssertEqual(try String(contentsOf: directory.appendingPathComponent("reference/summary.md"), encoding: .utf8), table)

        let partial = directory.appendingPathComponent("interrupted/.compare-partial/0.spectra.csv.partial")
        // Model a's spectra: 10 batches of 4 samples × 3 eigenvalues, held before batch 4.
        let started = try interrupt(compare("interrupted"), holdingBatch: 4, once: partial, holds: 1 + 3 * 12)
        XCTAssertEqual(started.status, 130, started.stderr)
        XCTAssertTrue(started.stderr.contains("run the same command with --resume"), started.stderr)
        XCTAssertEqual(try String(contentsOf: partial, encoding: .utf8).split(separator: "\n").count, 1 + 3 * 12, "whole batches")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("interrupted/profile.csv").path))

        // A resume with other settings, and a fresh run over an interrupted one's work, are refused
        // with that work untouched.
        try assertRefused(compare("interrupted", ["--k", "2", "--resume"]), status: 1, message: "was made with other settings (k differ)")
        try assertRefused(compare("interrupted"), status: 1, message: "--resume")

        let resumed = try run(compare("interrupted", ["--resume"]))
        XCTAssertEqual(resumed.process.terminationStatus, 0, text(resumed.stderr))
        XCTAssertEqual(text(resumed.stdout), table)
        for name in ["profile.csv", "spectra.csv", "eval.csv", "images.csv", "images.titles", "summary.md"] {
            XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("interrupted/\(name)")),
                           try Data(contentsOf: directory.appendingPathComponent("reference/\(name)")), name)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("interrupted/.compare-partial").path))
    }

    func testCompareShardsMergeIntoTheUnshardedSpectraByteForByte() throws {
        func compare(_ folder: String, _ extra: [String] = []) -> [String] {
            ["compare", "--models", "\(modelPath!),\(modelPath!)", "--names", "a,b", "--data", "mnist5k", "--offset", "3", "--samples", "18",
             "--k", "3", "--steps", "6", "--batch-size", "4", "--epsilons", "0", "--figure-samples", "0", "--threads", "1",
             "--out-dir", folder] + extra
        }
        let whole = try run(compare("whole"))
        XCTAssertEqual(whole.process.terminationStatus, 0, text(whole.stderr))
        for i in 1...3 {
            let part = try run(compare("part\(i)", ["--shard", "\(i)/3"]))
            XCTAssertEqual(part.process.terminationStatus, 0, text(part.stderr))
        }
        let merged = try run(["merge"] + (1...3).map { "part\($0)/spectra.csv" } + ["--out", "merged.csv"])
        XCTAssertEqual(merged.process.terminationStatus, 0, text(merged.stderr))
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("merged.csv")),
                       try Data(contentsOf: directory.appendingPathComponent("whole/spectra.csv")))
        // 5 batches cannot fill 6 shards.
        try assertRefused(compare("empty", ["--shard", "1/6"]), status: 1, message: "shard 1/6 of 18 samples in batches of 4 holds no batch")
    }

    func testMergeRefusesAFileGivenTwice() throws {
        XCTAssertEqual(try run(spectrumArguments("a.csv", samples: 4)).process.terminationStatus, 0)
        try assertRefused(["merge", "a.csv", "./a.csv", "--out", "m.csv"], status: 2, message: "./a.csv is given twice (also as a.csv)")
    }

    func testCompareFigureOptionsAreCheckedBeforeAnyWork() throws {
        let base = ["compare", "--models", modelPath!, "--data", "mnist5k", "--samples", "2", "--k", "1", "--steps", "2", "--epsilons", "0"]
        try assertRefused(base + ["--figure-indices", "3,1000", "--out-dir", "beyond"], status: 2, message: "--figure-indices: 1000 is beyond the 1000 images")
        try assertRefused(base + ["--figure-attack", "fgsm", "--out-dir", "attack"], status: 2,
                          message: "The value 'fgsm' is invalid for '--figure-attack <figure-attack>'")

        let chosen = try run(base + ["--figure-indices", "7,3", "--figure-attack", "pgd-l2", "--figure-epsilon", "1", "--out-dir", "chosen"])
        XCTAssertEqual(chosen.process.terminationStatus, 0, text(chosen.stderr))
        let titles = try String(contentsOf: directory.appendingPathComponent("chosen/images.titles"), encoding: .utf8)
        XCTAssertEqual(titles.split(separator: "|").count, 2 * 3, "two figure rows: the input, the gradient and the perturbation")
        let labels = try loadDataset("mnist5k", split: .test).labels
        XCTAssertTrue(titles.hasPrefix("label \(labels[7])|"), titles)
    }
}
