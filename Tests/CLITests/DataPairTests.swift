import Curvature
import Foundation
import XCTest

/// `--data IMAGES.npy --labels LABELS.npy`: accepted by a job, recorded with both checksums and
/// split `whole`, and refused with `--split` or without a `.npy`.
final class DataPairTests: ExecutableTestCase {
    func testAnImagesAndLabelsPairRunsAndIsRecorded() throws {
        let model = try saveTinyModel()
        let pixels = (0 ..< 3 * 28 * 28).map { UInt8($0 % 251) }
        // (N, H, W, C) with one channel: the grey images the model expects, channel last.
        try Data(npy(descr: "|u1", shape: "(3, 28, 28, 1)", pixels)).write(to: directory.appendingPathComponent("x.npy"))
        try Data(npy(descr: "<i8", shape: "(3,)", [7, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0]))
            .write(to: directory.appendingPathComponent("y.npy"))

        let pair = ["--model", model, "--data", "x.npy", "--labels", "y.npy"]
        let run = try status(["spectrum"] + pair + ["--samples", "2", "--k", "2", "--steps", "4", "--out", "s.csv"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("s.csv.meta.json"))) as? [String: Any]
        let settings = try XCTUnwrap(meta?["settings"] as? [String: String])
        XCTAssertEqual(settings["labels"], "y.npy")
        XCTAssertEqual(settings["split"], "whole", "a pair has no split: it is the whole set")
        let sums = try ["x.npy", "y.npy"].map { try SHA256.hex(fileAt: directory.appendingPathComponent($0)) }
        XCTAssertEqual(settings["data_sha256"], sums.joined(separator: ","))

        // A folder of the same files keeps the record it always had (resumes of such runs depend on it).
        let folder = directory.appendingPathComponent("set")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for split in ["train", "test"] {
            for (file, name) in [("x.npy", "images"), ("y.npy", "labels")] {
                try FileManager.default.copyItem(at: directory.appendingPathComponent(file), to: folder.appendingPathComponent("\(split)_\(name).npy"))
            }
        }
        let inFolder = try status(["spectrum", "--model", model, "--data", "set", "--samples", "2", "--k", "2", "--steps", "4", "--out", "f.csv"])
        XCTAssertEqual(inFolder.status, 0, inFolder.stderr)
        let folderMeta = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("f.csv.meta.json"))) as? [String: Any]
        let folderSettings = try XCTUnwrap(folderMeta?["settings"] as? [String: String])
        XCTAssertEqual(folderSettings["split"], "test")
        XCTAssertNil(folderSettings["labels"])
        XCTAssertEqual(Set(folderSettings.keys).subtracting(settings.keys), [])
        XCTAssertEqual(Set(settings.keys).subtracting(folderSettings.keys), ["labels"])

        for (arguments, message) in [
            (pair + ["--split", "train"], "--split train has no meaning with --labels"),
            (["--model", model, "--data", "mnist5k", "--labels", "y.npy"], "--labels goes with --data IMAGES.npy"),
            (["--model", model, "--data", "x.npy"], "name its labels with --labels"),
        ] {
            try assertRefused(["spectrum"] + arguments + ["--out", "r.csv"], status: 2, message: message)
        }
    }

    /// A version 1.0 `.npy` file.
    private func npy(descr: String, shape: String, _ data: [UInt8]) -> [UInt8] {
        var header = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }".utf8)
        header += [UInt8](repeating: 0x20, count: (64 - (10 + header.count + 1) % 64) % 64) + [0x0A]
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)] + header + data
    }
}
