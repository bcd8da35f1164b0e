import Autodiff
import Tensors

/// The standard workloads of `../shared/bench/README.md`, with PyTorch's default initialisation
/// (U(−1/√fan_in, 1/√fan_in) for weights and biases) from a seed.
public enum BenchmarkNetwork: String, CaseIterable, Sendable {
    /// flatten – linear 784→512 – softplus – linear 512→512 – softplus – linear 512→10
    case mlp
    /// conv 1→32 5×5 pad 2 – ReLU – maxpool 2 – conv 32→64 5×5 pad 2 – ReLU – maxpool 2 – flatten –
    /// linear 3136→1024 – ReLU – linear 1024→10
    case cnn

    /// The network's logits as a function of a [N, 1, 28, 28] input.
    public func logits(dtype: DType = .float32, seed: UInt64 = 0) -> (Variable) -> Variable {
        var generator = SeededGenerator(seed: seed)
        func parameter(_ shape: [Int], fanIn: Int) -> Variable {
            let bound = 1 / Double(fanIn).squareRoot()
            return Variable(Tensor(randomShape: shape, .uniform(low: -bound, high: bound), dtype: dtype, generator: &generator))
        }
        switch self {
        case .mlp:
            let w1 = parameter([512, 784], fanIn: 784), b1 = parameter([512], fanIn: 784)
            let w2 = parameter([512, 512], fanIn: 512), b2 = parameter([512], fanIn: 512)
            let w3 = parameter([10, 512], fanIn: 512), b3 = parameter([10], fanIn: 512)
            return { x in
                var h = softplus(linear(flatten(x), weight: w1, bias: b1))
                h = softplus(linear(h, weight: w2, bias: b2))
                return linear(h, weight: w3, bias: b3)
            }
        case .cnn:
            let c1 = parameter([32, 1, 5, 5], fanIn: 25), cb1 = parameter([32], fanIn: 25)
            let c2 = parameter([64, 32, 5, 5], fanIn: 800), cb2 = parameter([64], fanIn: 800)
            let w1 = parameter([1024, 3136], fanIn: 3136), b1 = parameter([1024], fanIn: 3136)
            let w2 = parameter([10, 1024], fanIn: 1024), b2 = parameter([10], fanIn: 1024)
            return { x in
                var h = maxPool2d(relu(conv2d(x, weight: c1, bias: cb1, padding: 2)), kernel: 2)
                h = maxPool2d(relu(conv2d(h, weight: c2, bias: cb2, padding: 2)), kernel: 2)
                h = relu(linear(flatten(h), weight: w1, bias: b1))
                return linear(h, weight: w2, bias: b2)
            }
        }
    }
}
