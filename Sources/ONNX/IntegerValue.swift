/// An integer tensor known at load: the shapes, axes and pads that exporters compute with
/// Shape → Gather → Unsqueeze → Concat chains. The batch size is not known at load, so it is
/// carried as a symbol (``batch``) that may flow into a Reshape target but not into arithmetic.
struct IntegerValue: Equatable {
    /// Stands for "the batch size" in a folded shape.
    static let batch = Int.min / 4

    var shape: [Int]
    var values: [Int]

    init(shape: [Int], values: [Int]) {
        self.shape = shape
        self.values = values
    }

    init(vector: [Int]) { self.init(shape: [vector.count], values: vector) }

    var dependsOnBatch: Bool { values.contains(Self.batch) }

    /// Values as text, the batch shown as N.
    var description: String { "[" + values.map { $0 == Self.batch ? "N" : String($0) }.joined(separator: ", ") + "]" }
}
