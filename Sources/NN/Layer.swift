import Autodiff
import Messages
import Tensors

/// A differentiable building block of a network.
public protocol Layer: AnyObject {
    /// The forward pass.
    func callAsFunction(_ input: Variable) -> Variable
    /// Parameters and buffers named as PyTorch's `state_dict` names them inside this layer
    /// ("weight", "bias", "running_mean", "conv1.weight", …), in a stable order.
    var namedParameters: [(name: String, parameter: Parameter)] { get }
    /// The architecture entry that rebuilds this layer.
    var spec: LayerSpec { get }
    /// Training mode (batch statistics, dropout) or evaluation mode.
    var isTraining: Bool { get set }
}

extension Layer {
    /// The shape of one sample's output given one sample's input shape (no batch axis); throws a
    /// `ModelError` when the input does not fit.
    public func outputShape(for input: [Int]) throws -> [Int] { try spec.outputShape(for: input) }

    public var namedParameters: [(name: String, parameter: Parameter)] { [] }
    public var isTraining: Bool {
        get { false }
        set {}
    }
}

/// Errors in building or loading models.
public struct ModelError: SettingNamingError {
    public let message: SettingMessage
    public init(_ message: SettingMessage) { self.message = message }
}
