import Foundation
import Messages
import Tensors

/// Cross-sections of several models' decision regions through one sample, on one shared extent so
/// that the panels have the same scale: what `section` writes and a study's section figure draws.
public struct SectionSet {
    /// Half the side of every square, in image units.
    public let extent: Double
    public let names: [String]
    public let sections: [BoundarySection]
    public let sampleIndex: Int
    public let direction: SectionDirection

    /// The sections of `models` through `image` (one sample); `extent` nil: twice the largest
    /// distance from the sample to a model's nearest boundary point.
    public init(models: [(name: String, model: Classifier)], image: Tensor, sampleIndex: Int, direction: SectionDirection,
                extent: Double?, grid: Int, seed: UInt64) throws {
        let nearest = models.map { BoundarySection.nearestPoint(model: $0.model, image: image) }
        let extent = try extent ?? {
            let distances = nearest.map { $0.point.converged ? $0.point.distance : 0 }
            guard let largest = distances.max(), largest > 0 else {
                throw RunError("sample \(sampleIndex): no model has a boundary point near it; give \(setting: "extent")")
            }
            return 2 * largest
        }()
        (self.extent, self.sampleIndex, self.direction) = (extent, sampleIndex, direction)
        names = models.map(\.name)
        sections = try zip(models, nearest).map { model, nearest in
            try BoundarySection.compute(model: model.model, image: image, sampleIndex: sampleIndex, direction: direction, extent: extent,
                                        grid: grid, seed: seed, nearest: nearest)
        }
    }

    /// `model,a,b,predicted,margin`, the margin as a run in `dtype` writes it.
    public func gridCSV(dtype: DType) -> String {
        var lines = ["model,a,b,predicted,margin"]
        for (name, section) in zip(names, sections) {
            for point in section.points {
                lines.append("\(name),\(CSVNumber.format(point.a, dtype: .float32)),\(CSVNumber.format(point.b, dtype: .float32)),\(point.predicted),\(CSVNumber.format(point.margin, dtype: dtype))")
            }
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// `model,point,a,b`: the sample x at the origin and its nearest boundary point on the a axis.
    public func marksCSV(dtype: DType) -> String {
        var lines = ["model,point,a,b"]
        for (name, section) in zip(names, sections) {
            lines.append("\(name),x,0,0")
            if let distance = section.boundaryDistance { lines.append("\(name),boundary,\(CSVNumber.format(distance, dtype: dtype)),0") }
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// Per model: the label, the class across the boundary and its distance, for a run's metadata.
    public var record: [String: Any] {
        Dictionary(uniqueKeysWithValues: zip(names, sections).map { name, section in
            (name, ["label": section.label, "target": section.target as Any, "distance": section.boundaryDistance as Any] as [String: Any])
        })
    }
}
