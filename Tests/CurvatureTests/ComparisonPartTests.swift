import Curvature
import Foundation
import XCTest

/// AutoAttack on part of a study (the demo's default): the same accuracies as a study of only
/// those samples, PGD's on them beside it for the gap, and a table that says which part; a study
/// without a part writes what it wrote before.
final class ComparisonPartTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("comparison-part-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Eight 2×2 images of three classes and two small softplus networks.
    private func study(samples: Range<Int>) throws -> ComparisonStudy {
        var generator = Xoshiro256StarStar(seed: 5)
        let pixels = (0..<32).map { _ in Float(generator.uniform()) }
        let data = try LabeledImages(images: pixels, labels: [0, 1, 2, 0, 1, 2, 0, 1], channels: 1, height: 2, width: 2, classCount: 3)
        let architecture = try Architecture(json: Data("""
            {"input":[1,2,2],"layers":[{"type":"flatten"},{"type":"linear","in":4,"out":5},\
            {"type":"softplus","beta":2},{"type":"linear","in":5,"out":3}]}
            """.utf8))
        let models: [(name: String, network: any Network)] = [("a", try Sequential(architecture, seed: 1)), ("b", try Sequential(architecture, seed: 2))]
        var study = ComparisonStudy(models: models, data: data, dataName: "tiny", split: .test, samples: samples)
        (study.settings.spectrum.k, study.settings.spectrum.steps) = (2, 4)
        (study.settings.epsilons, study.settings.pgdSteps, study.settings.robustAttacks) = ([0, 0.1, 0.3], 2, [.pgd, .autoattack])
        return study
    }

    private func accuracies(_ result: Curvature.ComparisonResult, _ model: Int, _ attack: RobustAttack) -> [Double] {
        result.models[model].evaluations.first { $0.attack == attack }!.accuracies.map(\.accuracy)
    }

    func testAutoAttackOnTheFirstSamplesAtOneEpsilon() throws {
        let whole = try study(samples: 0..<8).run(in: folder.appendingPathComponent("whole"), resume: false)
        let few = try study(samples: 0..<3).run(in: folder.appendingPathComponent("few"), resume: false)
        var part = try study(samples: 0..<8)
        (part.settings.autoattackSamples, part.settings.autoattackEpsilons) = (3, [0.1])
        XCTAssertEqual(part.plan(for: .autoattack).samples, 0..<3)
        let result = try part.run(in: folder.appendingPathComponent("part"), resume: false)

        for m in 0..<2 {
            XCTAssertEqual(accuracies(result, m, .pgd), accuracies(whole, m, .pgd), "PGD as without a part")
            let autoattack = try XCTUnwrap(result.models[m].evaluations.first { $0.attack == .autoattack })
            XCTAssertEqual(autoattack.samples, 0..<3)
            XCTAssertEqual(autoattack.accuracies.map(\.epsilon), [0.1])
            XCTAssertEqual(autoattack.accuracies.map(\.accuracy), [accuracies(few, m, .autoattack)[1]], "as a study of those samples alone")
            XCTAssertEqual(autoattack.pgdOnSameSamples?.map(\.epsilon), [0.1])
            XCTAssertEqual(autoattack.pgdOnSameSamples?.map(\.accuracy), [accuracies(few, m, .pgd)[1]])
        }
        let table = result.summaryTable
        XCTAssertTrue(table.contains("| AutoAttack ε=0.1 (first 3) | largest gap PGD − AutoAttack (first 3) |"), table)
        XCTAssertTrue(table.contains("AutoAttack: the first 3 of the 8 samples, ε = 0.1 only. PGD-2 on the same samples at ε = 0.1"), table)
        XCTAssertEqual(result.evaluationCSV.split(separator: "\n").filter { $0.contains("autoattack-linf") }.count, 2, "one ε per model")
        XCTAssertFalse(whole.summaryTable.contains("first"), whole.summaryTable)
        XCTAssertEqual(whole.summaryTable.split(separator: "\n").count, 4, "the table alone, no note")
    }

    func testAnAutoAttackEpsilonOutsideTheStudysIsRefused() throws {
        var part = try study(samples: 0..<8)
        part.settings.autoattackEpsilons = [0.2]
        XCTAssertThrowsError(try part.validate()) { XCTAssertTrue("\($0)".contains("AutoAttack's ε 0.2 is not among the study's ε 0.0,0.1,0.3"), "\($0)") }
        part.settings.autoattackEpsilons = nil
        part.settings.autoattackSamples = 0
        XCTAssertThrowsError(try part.validate())
    }
}
