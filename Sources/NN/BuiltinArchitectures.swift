/// Networks known by name: `mlp` and `cnn` (the peer benchmarks' workloads), `cnn-small`, and
/// `NAME-softplus`, the same with Softplus(β = 10) in place of every ReLU.
public enum BuiltinArchitecture {
    public static let names = ["mlp", "cnn", "cnn-small", "mlp-softplus", "cnn-softplus", "cnn-small-softplus"]

    public static func named(_ name: String) -> Architecture? {
        if name.hasSuffix("-softplus"), let base = named(String(name.dropLast("-softplus".count))) {
            var smooth = base
            smooth.layers = base.layers.map { $0.type == "relu" ? softplus(beta: 10) : $0 }
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
        default:
            return nil
        }
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
