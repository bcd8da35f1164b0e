/// Throws ``DatasetError/overflow(file:field:product:)`` unless the product of `dims` fits in `Int`,
/// so that a header's claim can be multiplied out safely. `field` names the header field in the
/// message, e.g. `dimensions` or `shape`.
func checkShapeProduct(_ dims: [Int], file: String, field: String) throws {
    var product = 1
    for dim in dims {
        let (next, overflow) = product.multipliedReportingOverflow(by: dim)
        guard !overflow else {
            throw DatasetError.overflow(file: file, field: field, product: dims.map(String.init).joined(separator: "×"))
        }
        product = next
    }
}
