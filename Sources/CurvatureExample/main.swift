// A research script with `import Curvature`: how curved is a model's loss around a few test
// images, exactly and at a finite scale, and how does that relate to its robustness?
// Run: swift run -c release curvature-example [MODEL.safetensors]
import Curvature
import Foundation

RequiredCPU.check()  // a build for AVX2 says so on an older CPU instead of stopping with SIGILL
let modelPath = try CommandLine.arguments.dropFirst().first
    ?? DataDirectory.locate("models/fmnist-cnn-small-softplus-standard.safetensors")
let model = try Sequential.load(from: URL(fileURLWithPath: modelPath))
let classifier: Classifier = { model($0) }
let test = try loadDataset("fashion-mnist", split: .test)
let batch = test.batch(at: Array(0..<8))
print("model: \(modelPath)")
print("architecture: \(model.architecture.layers.map(\.type).joined(separator: " – "))")

// 1. Top-5 eigenvalues of each image's exact input Hessian: batched Lanczos, one HVP per step.
let hessian = ExactInputHessian(model: classifier, images: batch.images, labels: batch.labels, sampleIndices: batch.indices)
let ritz = try lanczos(hessian, options: LanczosOptions(steps: 30, selection: .largest(5)))

// 2. The same images' gradient norms and the normalised curvature λ₁/‖∇ₓℓ‖.
let gradientNorms = rowNorms(hessian.gradient)

// 3. Robustness: the smallest ℓ2 perturbation DeepFool finds for each image.
let deepFool = DeepFool().perturb(classifier, batch.images)

print("sample  label  λ1          λ2          residual(λ1)  ‖∇ℓ‖        λ1/‖∇ℓ‖     DeepFool ℓ2")
for (n, result) in ritz.enumerated() {
    let line = String(format: "%6d  %5d  %-10.4g  %-10.4g  %-12.2g  %-10.4g  %-10.4g  %.4f",
                      batch.indices[n], batch.labels[n], result.ritzValues[0], result.ritzValues[1],
                      result.residualBounds[0], gradientNorms[n], result.ritzValues[0] / gradientNorms[n], deepFool.norms[n])
    print(line)
}

// 4. Curvature along the gradient direction, vᵀHv/‖v‖² with v = ∇ₓℓ, from one batched HVP.
let alongGradient = try hessian.apply(hessian.gradient.scalars)
let d = hessian.dimension
for n in 0..<batch.count {
    let g = hessian.gradient.scalars[(n * d)..<((n + 1) * d)], hg = alongGradient[(n * d)..<((n + 1) * d)]
    let curvature = zip(g, hg).reduce(0) { $0 + $1.0 * $1.1 } / g.reduce(0) { $0 + $1 * $1 }
    print("sample \(batch.indices[n]): curvature along the gradient \(String(format: "%.4g", curvature))")
}
