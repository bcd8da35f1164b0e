import Autodiff
import Classifiers
import Randomness
import Tensors

/// What a training step minimises.
public enum TrainingMode: String, Sendable, CaseIterable {
    /// Cross-entropy on clean inputs.
    case standard
    /// "Fast" adversarial training (Wong et al. 2020): one FGSM step of 1.25ε from a random start in the ε-ball.
    case fgsm
    /// Madry et al.: k PGD steps of size α from a random start; the loss on the adversarial inputs.
    case pgd
    /// CURE (Moosavi-Dezfooli et al. 2019): cross-entropy + λ‖∇ℓ(x + hz) − ∇ℓ(x)‖², z = sign(∇ℓ(x))/‖sign(∇ℓ(x))‖
    /// held constant, differentiated through with double backprop.
    case cure
    /// Input-gradient regularisation: cross-entropy + λ‖∇ₓℓ‖², double backprop.
    case gradnorm
}

/// The settings of the robust modes.
public struct RobustTrainingSettings: Sendable, Equatable {
    public var epsilon = 0.1
    public var pgdSteps = 7
    /// PGD step size; nil means 2.5ε/steps.
    public var pgdStepSize: Double?
    public var lambda = 1.0
    /// CURE's finite-difference scale h (ℓ2 length of hz).
    public var h = 1.0
    /// h grows linearly from h/epochs to h over the first `hRampEpochs` epochs.
    public var hRampEpochs = 0

    public init() {}

    /// h at a point of training (epoch counts from 0, fraction within the epoch in [0, 1)).
    public func cureScale(epoch: Int, fraction: Double) -> Double {
        guard hRampEpochs > 0 else { return h }
        return h * Swift.min(1, (Double(epoch) + fraction + 1) / Double(hRampEpochs + 1))
    }
}

/// A training step's loss to differentiate, and what to log.
public struct TrainingLoss {
    public let total: Variable
    /// The mean cross-entropy part.
    public let crossEntropy: Double
    /// The regulariser's mean value (0 for modes without one).
    public let penalty: Double
    /// Logits of the inputs trained on (adversarial ones for `fgsm` and `pgd`).
    public let logits: Tensor
}

extension TrainingMode {
    /// The loss of one batch. `generator` supplies the random starts of the adversarial modes.
    public func loss(
        model: Classifier, batch: Batch, settings: RobustTrainingSettings, h: Double, generator: inout SeededGenerator
    ) -> TrainingLoss {
        let n = Double(batch.count)
        switch self {
        case .standard:
            let logits = model(Variable(batch.images))
            let ce = crossEntropy(logits: logits, labels: batch.labels)
            return TrainingLoss(total: ce, crossEntropy: ce.value.item, penalty: 0, logits: logits.value)
        case .fgsm:
            let epsilon = settings.epsilon
            let start = PGDAttack(norm: .linf, epsilon: epsilon, steps: 0).project(
                batch.images + Tensor(randomShape: batch.images.shape, .uniform(low: -epsilon, high: epsilon),
                                      dtype: batch.images.dtype, generator: &generator),
                around: batch.images)
            let g = inputGradient(model, start, batch.labels).gradient
            let attack = PGDAttack(norm: .linf, epsilon: epsilon, steps: 1)
            let adversarial = attack.project(start + g.map(.sign) * (1.25 * epsilon), around: batch.images)
            let logits = model(Variable(adversarial))
            let ce = crossEntropy(logits: logits, labels: batch.labels)
            return TrainingLoss(total: ce, crossEntropy: ce.value.item, penalty: 0, logits: logits.value)
        case .pgd:
            let attack = PGDAttack(norm: .linf, epsilon: settings.epsilon, steps: settings.pgdSteps, stepSize: settings.pgdStepSize)
            let adversarial = attack.perturb(model, batch.images, batch.labels, generator: &generator)
            let logits = model(Variable(adversarial))
            let ce = crossEntropy(logits: logits, labels: batch.labels)
            return TrainingLoss(total: ce, crossEntropy: ce.value.item, penalty: 0, logits: logits.value)
        case .cure, .gradnorm:
            let (clean, logits) = lossAtInput(model, batch.images, batch.labels, keepingGraph: true)
            let summed = clean.output, gradient = clean.gradient
            let penaltySum: Variable
            if self == .gradnorm {
                penaltySum = sum(square(gradient))
            } else {
                // z = sign(g)/‖sign(g)‖ per sample, a constant; the step is h·z.
                let signs = gradient.value.map(.sign)
                let step = scaleRows(signs, rowNorms(signs).map { h / Swift.max($0, 1e-12) })
                let shifted = lossAtInput(model, batch.images + step, batch.labels, keepingGraph: true).point
                penaltySum = sum(square(shifted.gradient - gradient))
            }
            let ce = summed * (1 / n)
            let penalty = penaltySum * (1 / n)
            return TrainingLoss(total: ce + penalty * settings.lambda, crossEntropy: ce.value.item,
                                penalty: penalty.value.item, logits: logits)
        }
    }
}
