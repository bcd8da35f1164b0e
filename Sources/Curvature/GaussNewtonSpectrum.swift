import Autodiff
import Classifiers
import Spectra
import Tensors

/// The exact spectrum of the Gauss–Newton part Jᵀ A J of each sample's input Hessian of the loss
/// (A = diag p − ppᵀ), the cheap way: its non-zero eigenvalues are those of the C×C matrix
/// A^½ J Jᵀ A^½, so C vector-Jacobian products (one per class, batched over the samples) and a
/// C×C eigenproblem give all of them, with eigenvectors Jᵀ A^½ u. For a piecewise-linear network
/// (ReLU, max-pooling) this is the whole exact input Hessian.
public struct GaussNewtonSpectrum {
    /// Per sample: the C eigenvalues of A^½ J Jᵀ A^½ in descending order (the d − C others of
    /// Jᵀ A J are exactly 0; A is singular, so the last of these C is 0 to rounding), and the
    /// residual ‖M u − λ u‖ of each.
    public let eigenvalues: [[Double]]
    public let residuals: [[Double]]
    public let logits: Tensor
    /// Each sample's ‖∇ₓℓ‖ = ‖Jᵀ(p − e_y)‖, from the same Jacobian.
    public let gradientNorms: [Double]

    /// - Throws: ``NonFiniteLogit`` for a NaN or infinite logit, LAPACK's errors otherwise.
    public init(model: Classifier, images: Tensor, labels: [Int]) throws {
        let batch = labels.count, d = images.count / Swift.max(batch, 1)
        let x = Variable(images, requiresGradient: true)
        let z = model(x)
        logits = z.value
        // Before any eigenproblem: LAPACK would only say that it met a NaN.
        if let bad = NonFiniteLogit.first(in: logits) { throw bad }
        let classes = logits.shape[1]
        // Row c of each sample's Jacobian: the gradient of z_c, for all samples in one backward pass.
        var jacobians = [[Double]](repeating: [Double](repeating: 0, count: classes * d), count: batch)
        for c in 0..<classes {
            var seed = [Double](repeating: 0, count: batch * classes)
            for b in 0..<batch { seed[b * classes + c] = 1 }
            let g = gradients(of: z, withRespectTo: [x], seed: Tensor(shape: logits.shape, scalars: seed, dtype: logits.dtype))[0].value.scalars
            for b in 0..<batch { jacobians[b].replaceSubrange((c * d)..<((c + 1) * d), with: g[(b * d)..<((b + 1) * d)]) }
        }
        let p = InputHessianPart.softmax(logits)
        var values: [[Double]] = [], residuals: [[Double]] = [], norms: [Double] = []
        for b in 0..<batch {
            let probabilities = Array(p[(b * classes)..<((b + 1) * classes)])
            var gradient = [Double](repeating: 0, count: d)
            for c in 0..<classes {
                let weight = probabilities[c] - (c == labels[b] ? 1 : 0)
                for i in 0..<d { gradient[i] += weight * jacobians[b][c * d + i] }
            }
            norms.append(gradient.reduce(0) { $0 + $1 * $1 }.squareRoot())
            let root = try Self.squareRoot(ofSoftmaxCovariance: probabilities)
            let gram = Self.gram(jacobians[b], rows: classes, length: d)
            let m = Self.product(Self.product(root, gram, classes), root, classes)
            // Symmetrise against rounding before LAPACK reads one triangle.
            var symmetric = m
            for i in 0..<classes { for j in 0..<classes { symmetric[i * classes + j] = (m[i * classes + j] + m[j * classes + i]) / 2 } }
            let decomposition = try symmetricEigen(matrix: symmetric, dimension: classes, wantVectors: true)
            values.append(decomposition.values)
            residuals.append((0..<classes).map { k in
                let u = Array(decomposition.vector(k)!)
                return (0..<classes).map { i in (0..<classes).reduce(0) { $0 + symmetric[i * classes + $1] * u[$1] } - decomposition.values[k] * u[i] }
                    .reduce(0) { $0 + $1 * $1 }.squareRoot()
            })
        }
        eigenvalues = values
        self.residuals = residuals
        gradientNorms = norms
    }

    /// A^½ for A = diag p − ppᵀ (positive semi-definite), from its eigendecomposition.
    static func squareRoot(ofSoftmaxCovariance p: [Double]) throws -> [Double] {
        let n = p.count
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { a[i * n + j] = (i == j ? p[i] : 0) - p[i] * p[j] } }
        let e = try symmetricEigen(matrix: a, dimension: n, wantVectors: true)
        var root = [Double](repeating: 0, count: n * n)
        for k in 0..<n {
            let s = Swift.max(e.values[k], 0).squareRoot(), q = Array(e.vector(k)!)
            for i in 0..<n { for j in 0..<n { root[i * n + j] += s * q[i] * q[j] } }
        }
        return root
    }

    /// G Gᵀ for `rows` rows of `length`.
    static func gram(_ g: [Double], rows: Int, length: Int) -> [Double] {
        var k = [Double](repeating: 0, count: rows * rows)
        for i in 0..<rows {
            for j in i..<rows {
                var s = 0.0
                for t in 0..<length { s += g[i * length + t] * g[j * length + t] }
                (k[i * rows + j], k[j * rows + i]) = (s, s)
            }
        }
        return k
    }

    static func product(_ a: [Double], _ b: [Double], _ n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for k in 0..<n { let x = a[i * n + k]; for j in 0..<n { c[i * n + j] += x * b[k * n + j] } } }
        return c
    }
}
