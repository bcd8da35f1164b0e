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

/// The AutoAttack family on models with known answers: a linear classifier z = Wx + b, whose
/// minimal ℓp perturbation is closed-form (|margin_j| / ‖w_y − w_j‖_q, minimised over j, with q
/// the dual norm, when the box [0, 1] is not reached), and hand-computed DLR values.
final class AutoAttackTests: XCTestCase {
    private let classes = 3, pixels = 25

    /// W (classes×25) and b, fixed numbers so the closed form below is the test's own.
    private func linearModel(classes: Int = 3) -> (classifier: Classifier, w: [Double], b: [Double]) {
        var generator = SeededGenerator(seed: 5)
        let w = (0..<(classes * pixels)).map { _ in 2 * generator.uniform() - 1 }
        let b = Array([0.3, -0.1, 0.0].prefix(classes))
        let weight = Tensor(shape: [classes, pixels], scalars: w, dtype: .float64)
        let pixels = self.pixels
        let bias = Tensor(shape: [classes], scalars: b, dtype: .float64)
        let classifier: Classifier = { linear(reshape($0, [$0.shape[0], pixels]), weight: Variable(weight), bias: Variable(bias)) }
        return (classifier, w, b)
    }

    /// Four 1×5×5 images with pixels in [0.35, 0.65], far enough from the box for these ε.
    private func images() -> Tensor {
        var generator = SeededGenerator(seed: 9)
        return Tensor(shape: [4, 1, 5, 5], scalars: (0..<(4 * pixels)).map { _ in 0.35 + 0.3 * generator.uniform() }, dtype: .float64)
    }

    /// The minimal perturbation norm of each image (ℓ∞ uses the ℓ1 norm of w_y − w_j, ℓ2 the ℓ2 norm).
    private func minimalNorms(_ x: Tensor, _ model: (classifier: Classifier, w: [Double], b: [Double]), norm: ThreatNorm) -> (labels: [Int], norms: [Double]) {
        let logits = evaluate(model.classifier, x).scalars
        let labels = predictions(evaluate(model.classifier, x))
        let classes = model.b.count
        let norms = labels.indices.map { row -> Double in
            let y = labels[row]
            return (0..<classes).filter { $0 != y }.map { j -> Double in
                let margin = logits[row * classes + y] - logits[row * classes + j]
                let diff = (0..<pixels).map { model.w[y * pixels + $0] - model.w[j * pixels + $0] }
                let dual = norm == .linf ? diff.reduce(0) { $0 + abs($1) } : diff.reduce(0) { $0 + $1 * $1 }.squareRoot()
                return margin / dual
            }.min()!
        }
        return (labels, norms)
    }

    private func norms(_ a: Tensor, _ b: Tensor, _ norm: ThreatNorm) -> [Double] {
        norm == .linf ? rowMaxNorms(a - b) : rowNorms(a - b)
    }

    /// Every attack breaks every image just above its minimal norm, none just below, and a reported
    /// success is a misclassified image within ε. APGD-CE and Square run on two classes, where the
    /// cross-entropy's gradient and the margin point straight at the one boundary (with three, CE's
    /// gradient mixes the two other classes and stops short of the vertex by a few %); APGD-T and
    /// FAB-T run on three.
    func testEachAttackBreaksALinearClassifierExactlyAboveTheMinimalNorm() {
        let x = images()
        for norm in ThreatNorm.allCases {
            for component in AutoAttack.Component.allCases {
                let model = linearModel(classes: component == .apgdCE || component == .square ? 2 : 3)
                let (labels, minimal) = minimalNorms(x, model, norm: norm)
                XCTAssertTrue(minimal.allSatisfy { $0 > 0.01 && $0 < (norm == .linf ? 0.3 : 1) }, "\(norm): \(minimal)")
                // Square's ℓ2 random search moves whole windows (≥ 3×3 of a 5×5 image), so it needs room.
                let above = component == .square && norm == .l2 ? 1.5 : 1.02
                for (factor, shouldBreak) in [(above, true), (0.98, false)] {
                    for row in 0..<4 {
                        let one = x.slice(rows: row..<(row + 1))
                        let epsilon = minimal[row] * factor
                        let attack = AutoAttack(norm: norm, epsilon: epsilon)
                        let result = attack.run(component, model.classifier, one, [labels[row]], indices: [row], seed: 3)
                        let name = "\(component.rawValue) \(norm) row \(row) at \(factor)× the minimal norm"
                        XCTAssertEqual(result.fooled, [shouldBreak], name)
                        let size = norms(result.images, one, norm)[0]
                        XCTAssertLessThanOrEqual(size, epsilon * (1 + 1e-9), name)
                        XCTAssertTrue(result.images.scalars.allSatisfy { $0 >= 0 && $0 <= 1 }, name)
                        let predicted = predictions(evaluate(model.classifier, result.images))[0]
                        XCTAssertEqual(predicted != labels[row], shouldBreak, name)
                        if shouldBreak { XCTAssertGreaterThan(size, minimal[row] * (1 - 1e-9), "\(name): no smaller than the minimum") }
                    }
                }
            }
        }
    }

    func testFABFindsTheMinimalPerturbationOfALinearClassifier() {
        let model = linearModel(), x = images()
        for norm in ThreatNorm.allCases {
            let (labels, minimal) = minimalNorms(x, model, norm: norm)
            let (found, reported) = FABTargeted(norm: norm).minimalPerturbations(model.classifier, x, labels)
            let actual = norms(found, x, norm)
            let after = predictions(evaluate(model.classifier, found))
            for row in 0..<4 {
                XCTAssertNotEqual(after[row], labels[row], "\(norm) row \(row) is adversarial")
                XCTAssertEqual(reported[row], actual[row], accuracy: 1e-12)
                XCTAssertGreaterThanOrEqual(actual[row], minimal[row] * (1 - 1e-9), "\(norm) row \(row)")
                XCTAssertLessThan(actual[row], minimal[row] * 1.02, "\(norm) row \(row): within 2 % of the minimum \(minimal[row])")
            }
        }
    }

    func testBoundaryProjectionRespectsTheBox() {
        // ℓ∞ onto x0 + x1 = 1.5 from (0.9, 0.1): both would rise by 0.25, but x0 stops at 1, so x1
        // rises by 0.4 and the ℓ∞ norm is 0.4.
        let x = Tensor(shape: [1, 1, 1, 2], scalars: [0.9, 0.1], dtype: .float64)
        // The same through FAB on a two-pixel linear model whose boundary is x0 + x1 = 1.5.
        let weight = Tensor(shape: [2, 2], scalars: [0, 0, 1, 1], dtype: .float64)
        let bias = Tensor(shape: [2], scalars: [0, -1.5], dtype: .float64)
        let classifier: Classifier = { linear(reshape($0, [$0.shape[0], 2]), weight: Variable(weight), bias: Variable(bias)) }
        let linf = FABTargeted(norm: .linf).minimalPerturbations(classifier, x, [0])
        XCTAssertGreaterThanOrEqual(linf.norms[0], 0.4 - 1e-12)
        XCTAssertEqual(linf.norms[0], 0.4, accuracy: 0.4 * 0.02)
        XCTAssertEqual(linf.images.scalars.max()!, 1, accuracy: 1e-12, "x0 at the box")
        // ℓ2 from (0.95, 0.1): the unconstrained step (0.25, 0.25) would leave the box; x0 stops at 1
        // and x1 takes the rest, ‖(0.05, 0.4)‖₂ = 0.4031.
        let near = Tensor(shape: [1, 1, 1, 2], scalars: [0.95, 0.1], dtype: .float64)
        let l2 = FABTargeted(norm: .l2).minimalPerturbations(classifier, near, [0])
        XCTAssertEqual(l2.norms[0], (0.05 * 0.05 + 0.4 * 0.4).squareRoot(), accuracy: 0.4031 * 0.02)
        XCTAssertLessThanOrEqual(l2.images.scalars[0], 1)
    }

    func testDLRValuesAgainstHandComputedOnes() {
        // Row 0: logits (2, 5, 1, 3), label 1 on top: −(5 − 3)/(5 − 2) = −2/3.
        // Row 1: the same logits, label 0: −(2 − 5)/(5 − 2) = 1.
        // Row 2: (0, 1, 4, −2), label 2: −(4 − 1)/(4 − 0) = −0.75.
        let logits: [Double] = [2, 5, 1, 3, 2, 5, 1, 3, 0, 1, 4, -2]
        let dlr = DLRLoss.untargeted(logits: logits, classes: 4, labels: [1, 0, 2])
        XCTAssertEqual(dlr[0], -2.0 / 3, accuracy: 1e-9)
        XCTAssertEqual(dlr[1], 1, accuracy: 1e-9)
        XCTAssertEqual(dlr[2], -0.75, accuracy: 1e-9)
        // DLR-T: −(z_y − z_t)/(z_π1 − (z_π3 + z_π4)/2).
        // Row 0, target 3: −(5 − 3)/(5 − (2 + 1)/2) = −2/3.5. Row 1, target 1: −(2 − 5)/3.5 = 6/7.
        // Row 2, target 0: −(4 − 0)/(4 − (0 − 2)/2) = −0.8.
        let targeted = DLRLoss.targeted(logits: logits, classes: 4, labels: [1, 0, 2], targets: [3, 1, 0])
        XCTAssertEqual(targeted[0], -2 / 3.5, accuracy: 1e-9)
        XCTAssertEqual(targeted[1], 6.0 / 7, accuracy: 1e-9)
        XCTAssertEqual(targeted[2], -0.8, accuracy: 1e-9)
        // Scale and shift invariance: 3z + 7 gives the same values.
        let shifted = DLRLoss.targeted(logits: logits.map { 3 * $0 + 7 }, classes: 4, labels: [1, 0, 2], targets: [3, 1, 0])
        assertMaxError(shifted, targeted, within: 1e-12, "3z + 7 against z")
    }

    func testSquareScheduleFollowsTheReference() {
        let square = SquareAttack(norm: .linf, epsilon: 0.1)
        XCTAssertEqual(square.p(atQuery: 0), 0.8)
        XCTAssertEqual(square.p(atQuery: 10), 0.8)
        XCTAssertEqual(square.p(atQuery: 11), 0.4)
        XCTAssertEqual(square.p(atQuery: 201), 0.1)
        XCTAssertEqual(square.p(atQuery: 4999), 0.8 / 128)
    }

    private func tinyCNN() throws -> Sequential {
        let json = #"{"input":[1,6,6],"layers":[{"type":"conv2d","in":1,"out":3,"kernel":3,"padding":1},{"type":"softplus","beta":5},{"type":"maxpool2d","kernel":2},{"type":"flatten"},{"type":"linear","in":27,"out":5}]}"#
        return try Sequential(try Architecture(json: Data(json.utf8)), dtype: .float64, seed: 2)
    }

    func testAutoAttackDoesNotDependOnTheBatchSize() throws {
        let model = try tinyCNN()
        let classifier: Classifier = { model($0) }
        var generator = SeededGenerator(seed: 4)
        let pixels = (0..<(8 * 36)).map { _ in Float(generator.uniform()) }
        let clean = predictions(evaluate(classifier, Tensor(shape: [8, 1, 6, 6], floats: pixels).converted(to: .float64)))
        // Labels = the clean predictions except two, so some samples are misclassified.
        var labels = clean
        labels[2] = (labels[2] + 1) % 5
        labels[5] = (labels[5] + 1) % 5
        let data = try LabeledImages(images: pixels, labels: labels.map(Int32.init), channels: 1, height: 6, width: 6, classCount: 5)
        for norm in ThreatNorm.allCases {
            let attack = AutoAttack(norm: norm, epsilon: norm == .linf ? 0.08 : 0.4, iterations: 20, queries: 300)
            func run(_ size: Int) -> (images: [Double], brokenBy: [AutoAttack.Component?]) {
                var images: [Double] = [], brokenBy: [AutoAttack.Component?] = []
                for batch in data.batches(in: 0..<8, size: size, dtype: .float64) {
                    let outcome = attack.perturb(classifier, batch, seed: 7)
                    images += outcome.images.scalars
                    brokenBy += outcome.brokenBy
                }
                return (images, brokenBy)
            }
            let reference = run(8)
            XCTAssertNil(reference.brokenBy[2], "misclassified")
            XCTAssertNil(reference.brokenBy[5], "misclassified")
            XCTAssertTrue(reference.brokenBy.contains { $0 != nil }, "\(norm): some samples are broken: \(reference.brokenBy)")
            for size in [1, 3] {
                let other = run(size)
                XCTAssertEqual(other.brokenBy, reference.brokenBy, "\(norm), batch \(size)")
                XCTAssertEqual(other.images, reference.images, "\(norm), batch \(size)")
            }
        }
    }

    func testAutoAttackRecordsWhichAttackBrokeEachSample() {
        let model = linearModel(), x = images()
        let (labels, minimal) = minimalNorms(x, model, norm: .linf)
        // ε between the minima: the samples with a smaller minimum fall to APGD-CE, the others survive.
        let epsilon = minimal.sorted()[1] * 1.05
        var given = labels
        given[3] = (labels[3] + 1) % classes  // misclassified: never attacked
        let batch = Batch(images: x, labels: given, indices: [0, 1, 2, 3])
        let outcome = AutoAttack(norm: .linf, epsilon: epsilon).perturb(model.classifier, batch, seed: 1)
        for row in 0..<3 {
            XCTAssertEqual(outcome.brokenBy[row], minimal[row] < epsilon ? .apgdCE : nil, "row \(row), minimum \(minimal[row]), ε \(epsilon)")
        }
        XCTAssertNil(outcome.brokenBy[3])
        XCTAssertEqual(outcome.masking.samples, 4)
        XCTAssertEqual(outcome.masking.zeroGradient, 0)
        XCTAssertEqual(outcome.masking.brokenOnlyBySquare, 0)
        XCTAssertTrue(outcome.masking.warnings.isEmpty)
        // Square alone: its name is recorded.
        let square = AutoAttack(norm: .linf, epsilon: epsilon, components: [.square]).perturb(model.classifier, batch, seed: 1)
        // Random search on three classes may stop short of the boundary, but never breaks an unbreakable sample.
        for row in 0..<3 where minimal[row] > epsilon { XCTAssertNil(square.brokenBy[row], "square, row \(row)") }
        XCTAssertTrue(square.brokenBy.contains(.square))
        XCTAssertTrue(square.brokenBy.allSatisfy { $0 == nil || $0 == .square })
        // Through the CLI's names.
        let kind = AttackKind.autoattackLinf.outcome(model.classifier, batch, epsilon: epsilon, steps: 0, restarts: 1, seed: 1)
        XCTAssertEqual(kind.brokenBy, outcome.brokenBy.map { $0?.rawValue })
    }

    func testMaskingChecks() {
        let x = images()
        // Outputs that are probabilities, and a model whose logits do not depend on the input.
        let weight = Tensor(shape: [3, 25], scalars: [Double](repeating: 0, count: 75), dtype: .float64)
        let bias = Tensor(shape: [3], scalars: [0.2, 0.5, 0.3], dtype: .float64)
        let constant: Classifier = { linear(reshape($0, [$0.shape[0], 25]), weight: Variable(weight), bias: Variable(bias)) }
        let batch = Batch(images: x, labels: [1, 1, 1, 1], indices: [0, 1, 2, 3])
        let outcome = AutoAttack(norm: .linf, epsilon: 0.1, iterations: 5, queries: 10).perturb(constant, batch, seed: 0)
        XCTAssertEqual(outcome.brokenBy, [nil, nil, nil, nil])
        XCTAssertEqual(outcome.masking.zeroGradient, 4)
        XCTAssertEqual(outcome.masking.probabilityBatches, 1, "rows (0.2, 0.5, 0.3) sum to 1")
        XCTAssertEqual(outcome.masking.warnings.count, 2)
        XCTAssertTrue(MaskingReport.looksLikeProbabilities([0.2, 0.8, 1, 0], classes: 2))
        XCTAssertFalse(MaskingReport.looksLikeProbabilities([0.2, 0.8, 1.2, -0.2], classes: 2))
        XCTAssertFalse(MaskingReport.looksLikeProbabilities([0.2, 0.7], classes: 2))
        var report = MaskingReport()
        report.samples = 1000
        report.brokenOnlyBySquare = 2
        XCTAssertTrue(report.warnings.isEmpty, "0.2 % is the reference's tolerance")
        report.brokenOnlyBySquare = 3
        XCTAssertEqual(report.warnings.count, 1)
    }
}
