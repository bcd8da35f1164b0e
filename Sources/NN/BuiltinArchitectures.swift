/// Networks known by name: `mlp` and `cnn` (the peer benchmarks' workloads), `cnn-small`, the
/// CIFAR-scale `cnn-cifar` and `resnet18`, and `NAME-softplus`, the same with Softplus(β = 10) in
/// place of every ReLU.
public enum BuiltinArchitecture {
    public static let names = ["mlp", "cnn", "cnn-small", "cnn-cifar", "resnet18",
                               "mlp-softplus", "cnn-softplus", "cnn-small-softplus", "cnn-cifar-softplus", "resnet18-softplus"]

    public static func named(_ name: String) -> Architecture? {
        if name.hasSuffix("-softplus"), let base = named(String(name.dropLast("-softplus".count))) {
            var smooth = base
            smooth.layers = base.layers.map { spec in
                if spec.type == "relu" { return softplus(beta: 10) }
                guard spec.type == "residual" else { return spec }
                var block = spec
                (block.activation, block.beta, block.threshold) = ("softplus", 10, 20)
                return block
            }
            return smooth
        }
        switch name {
        case "mlp":
            return Architecture(input: [1, 28, 28], layers: [
                LayerSpec(type: "flatten"), linear(784, 512), softplus(beta: 1), linear(512, 512), softplus(beta: 1),
                linear(512, 10),
            ])
        case "cnn":
            return Architecture(input: [1, 28, 28], layers: [
                conv(1, 32, 5, padding: 2), LayerSpec(type: "relu"), pool(2),
                conv(32, 64, 5, padding: 2), LayerSpec(type: "relu"), pool(2),
                LayerSpec(type: "flatten"), linear(3136, 1024), LayerSpec(type: "relu"), linear(1024, 10),
            ])
        case "cnn-small":
            return Architecture(input: [1, 28, 28], layers: [
                conv(1, 16, 5, padding: 2), LayerSpec(type: "relu"), pool(2),
                conv(16, 32, 5, padding: 2), LayerSpec(type: "relu"), pool(2),
                LayerSpec(type: "flatten"), linear(1568, 100), LayerSpec(type: "relu"), linear(100, 10),
            ])
        case "cnn-cifar":
            // Three 3×3 conv–ReLU–pool stages and a small head: trains in about a minute an epoch on two cores.
            return Architecture(input: [3, 32, 32], layers: [
                conv(3, 32, 3, padding: 1), LayerSpec(type: "relu"), pool(2),
                conv(32, 64, 3, padding: 1), LayerSpec(type: "relu"), pool(2),
                conv(64, 128, 3, padding: 1), LayerSpec(type: "relu"), pool(2),
                LayerSpec(type: "flatten"), linear(2048, 256), LayerSpec(type: "relu"), linear(256, 10),
            ])
        case "resnet18":
            return resnet18
        default:
            return nil
        }
    }

    /// The CIFAR ResNet-18 of the robustness literature (3×3 stem, no max-pool, BasicBlocks
    /// [2, 2, 2, 2] at widths 64–512, 4×4 average pool), its layers named as that PyTorch
    /// module's state_dict (`conv1`, `bn1`, `layer1.0`, …, `linear`), so its weights load unchanged.
    private static var resnet18: Architecture {
        var stem = conv(3, 64, 3, padding: 1)
        (stem.bias, stem.name) = (false, "conv1")
        var norm = LayerSpec(type: "batchnorm2d")
        (norm.features, norm.name) = (64, "bn1")
        var layers = [stem, norm, LayerSpec(type: "relu")]
        var width = 64
        for (stage, outputs) in [64, 128, 256, 512].enumerated() {
            for block in 0..<2 {
                var spec = LayerSpec(type: "residual")
                (spec.in, spec.out, spec.stride) = (width, outputs, block == 0 && stage > 0 ? 2 : 1)
                spec.name = "layer\(stage + 1).\(block)"
                layers.append(spec)
                width = outputs
            }
        }
        var average = LayerSpec(type: "avgpool2d")
        (average.kernel, average.stride) = (4, 4)
        var head = linear(512, 10)
        head.name = "linear"
        return Architecture(input: [3, 32, 32], layers: layers + [average, LayerSpec(type: "flatten"), head])
    }

    private static func linear(_ i: Int, _ o: Int) -> LayerSpec {
        var s = LayerSpec(type: "linear")
        (s.in, s.out, s.bias) = (i, o, true)
        return s
    }

    private static func conv(_ i: Int, _ o: Int, _ k: Int, padding: Int) -> LayerSpec {
        var s = LayerSpec(type: "conv2d")
        (s.in, s.out, s.kernel, s.stride, s.padding, s.bias) = (i, o, k, 1, padding, true)
        return s
    }

    private static func pool(_ k: Int) -> LayerSpec {
        var s = LayerSpec(type: "maxpool2d")
        (s.kernel, s.stride) = (k, k)
        return s
    }

    private static func softplus(beta: Double) -> LayerSpec {
        var s = LayerSpec(type: "softplus")
        (s.beta, s.threshold) = (beta, 20)
        return s
    }
}
