import Curvature
import Foundation
import XCTest

/// `merge` joins only the shards of one run, as their `.meta.json` records it: other settings, a
/// missing record, a shard twice or a shard missing are refused by name, before anything is written.
final class MergeTests: ExecutableTestCase {
    private var model: String!

    override func setUpWithError() throws {
        try super.setUpWithError()
        model = try saveTinyModel()
    }

    /// A part of a small spectrum run over 12 samples in batches of 2.
    private func part(_ out: String, shard: String?, k: Int = 3) throws {
        let run = try status(["spectrum", "--model", model!, "--data", "mnist5k", "--samples", "12", "--k", "\(k)", "--steps", "5",
                              "--batch-size", "2", "--threads", "1", "--out", out] + (shard.map { ["--shard", $0] } ?? []))
        XCTAssertEqual(run.status, 0, run.stderr)
    }

    private func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) }

    private func meta(_ name: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent(name))) as? [String: Any])
    }

    /// Runs merge and expects a one-line refusal with exit 1 containing `message`, and no output.
    private func assertRefused(_ inputs: [String], _ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try status(["merge"] + inputs + ["--out", "m.csv"])
        XCTAssertEqual(result.status, 1, result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains(message), "expected '\(message)' in \(result.stderr)", file: file, line: line)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "one line: \(result.stderr)", file: file, line: line)
        XCTAssertFalse(exists("m.csv") || exists("m.csv.meta.json"), "nothing written", file: file, line: line)
    }

    func testPartsWithOtherSettingsAreRefusedNamingTheSetting() throws {
        try part("k3.csv", shard: "1/2")
        try part("k2.csv", shard: "2/2", k: 2)
        try assertRefused(["k3.csv", "k2.csv"], "k2.csv.meta.json: setting k is 2, but 3 in k3.csv.meta.json")

        // Any key a job records counts, including ones merge has never heard of.
        try part("a.csv", shard: "2/2")
        let url = directory.appendingPathComponent("a.csv.meta.json")
        var record = try meta("a.csv.meta.json")
        record["settings"] = (record["settings"] as! [String: Any]).merging(["future_setting": "1e-06"]) { $1 }
        try JSONSerialization.data(withJSONObject: record).write(to: url)
        try assertRefused(["k3.csv", "a.csv"], "a.csv.meta.json: setting future_setting is 1e-06, but absent in k3.csv.meta.json")
    }

    func testAPartWithoutItsMetaIsRefusedUnlessUnchecked() throws {
        try part("p1.csv", shard: "1/2")
        try part("p2.csv", shard: "2/2")
        try FileManager.default.removeItem(at: directory.appendingPathComponent("p2.csv.meta.json"))
        try assertRefused(["p1.csv", "p2.csv"], "p2.csv: no p2.csv.meta.json beside it")

        let unchecked = try status(["merge", "p1.csv", "p2.csv", "--no-meta-check", "--out", "m.csv"])
        XCTAssertEqual(unchecked.status, 0, unchecked.stderr)
        XCTAssertTrue(exists("m.csv"))
        XCTAssertFalse(exists("m.csv.meta.json"), "an unchecked join vouches for nothing")
    }

    func testMissingRepeatedAndMixedShardsAreRefusedByName() throws {
        for i in 1...3 { try part("p\(i).csv", shard: "\(i)/3") }
        try assertRefused(["p1.csv", "p3.csv"], "shard 2/3 of the run is missing (given: 1/3 p1.csv, 3/3 p3.csv)")
        for name in ["again.csv", "again.csv.meta.json"] {
            try FileManager.default.copyItem(at: directory.appendingPathComponent(name.replacingOccurrences(of: "again", with: "p1")),
                                             to: directory.appendingPathComponent(name))
        }
        try assertRefused(["p1.csv", "p2.csv", "again.csv", "p3.csv"], "again.csv is shard 1/3, as is p1.csv")
        try part("half.csv", shard: "2/2")
        try assertRefused(["p1.csv", "half.csv"], "half.csv is shard 2/2 but p1.csv is 1/3")
    }

    /// The join is the unsharded run's file byte for byte, and its meta records that run's settings.
    func testTheJoinRecordsTheWholeRunsSettings() throws {
        try part("whole.csv", shard: nil)
        for i in 1...3 { try part("p\(i).csv", shard: "\(i)/3") }
        let merge = try status(["merge", "p3.csv", "p1.csv", "p2.csv", "--out", "m.csv"])
        XCTAssertEqual(merge.status, 0, merge.stderr)
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("m.csv")), try Data(contentsOf: directory.appendingPathComponent("whole.csv")))
        let joined = try meta("m.csv.meta.json"), whole = try meta("whole.csv.meta.json")
        XCTAssertEqual(joined["settings"] as? [String: String], whole["settings"] as? [String: String])
        XCTAssertEqual(joined["model_sha256"] as? String, whole["model_sha256"] as? String)
        let parts = try XCTUnwrap(joined["parts"] as? [[String: Any]])
        XCTAssertEqual(parts.map { $0["file"] as? String }, ["p1.csv", "p2.csv", "p3.csv"])
        XCTAssertEqual(parts.map { $0["shard"] as? String }, ["1/3", "2/3", "3/3"])
        XCTAssertNotNil(parts.first?["wall_seconds"])
    }
}
