/// MNIST-style CSV: one image per row, its pixels 0–255 then its label, no header; raw or gzip.
///
/// The project ships `Data/mnist_5k.csv.gz` in this format: 5,000 MNIST digits, 500 per class,
/// 784 pixels (row-major 28×28) and the label 0–9 per row. It has no official split, so this
/// reader defines one: zero-based row `i` is a test row when `i % 5 == 4` (1,000 rows, 100 per
/// class for that file), the other 4,000 rows are training rows.
public enum MNISTCSV {
    /// The name of the CSV the project ships in `Data/`.
    public static let fileName = "mnist_5k.csv.gz"

    /// Whether zero-based row `index` belongs to the test split.
    public static func isTestRow(_ index: Int) -> Bool { index % 5 == 4 }

    /// Loads a split of a CSV file.
    ///
    /// Every row is validated (field count, integer ranges), whichever split is asked for, so both
    /// splits fail alike on a bad file. Errors name rows and columns counting from 1.
    /// - Parameters:
    ///   - path: the CSV, raw or gzip.
    ///   - split: `.train` (rows with `i % 5 != 4`), `.test` (rows with `i % 5 == 4`), or `nil`
    ///     for every row.
    ///   - height: rows per image; each row holds `height × width` pixels.
    ///   - width: columns per image.
    ///   - classCount: labels must be in `0..<classCount`.
    ///   - maxRows: the most rows the caller expects; bounds the decompressed size.
    /// - Returns: `N × 1 × height × width` pixels scaled to `[0, 1]` and their labels, in file order.
    public static func load(
        atPath path: String, split: Split?, height: Int = 28, width: Int = 28, classCount: Int = 10, maxRows: Int = 70_000
    ) throws -> LabeledImages {
        guard height > 0, width > 0, classCount > 0, maxRows >= 0 else {
            throw DatasetError.invalidArgument(
                context: "MNISTCSV.load", found: "height \(height), width \(width), classCount \(classCount), maxRows \(maxRows)",
                expected: "positive sizes")
        }
        let pixelsPerRow = height * width
        let labelDigits = String(classCount - 1).count
        // Widest valid row: "255," per pixel, the label, "\r\n".
        let maxRowBytes = pixelsPerRow * 4 + labelDigits + 2
        let (limit, overflow) = maxRows.multipliedReportingOverflow(by: maxRowBytes)
        let text = try Gzip.readFile(atPath: path, maxBytes: overflow ? Int.max : limit)
        let parser = Parser(file: path, pixelsPerRow: pixelsPerRow, classCount: classCount)
        let (pixels, labels) = try text.withUnsafeBufferPointer { try parser.parse($0, split: split) }
        return LabeledImages(
            unchecked: PixelScale.floats(pixels), labels: labels,
            channels: 1, height: height, width: width, classCount: classCount)
    }

    /// A single pass over the text that validates every field and keeps the selected rows.
    private struct Parser {
        let file: String
        let pixelsPerRow: Int
        let classCount: Int

        private static let comma = UInt8(ascii: ","), newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
        private static let zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")

        func parse(_ text: UnsafeBufferPointer<UInt8>, split: Split?) throws -> (pixels: [UInt8], labels: [Int32]) {
            let rowCount = Self.countRows(text)
            let testRows = rowCount / 5  // rows i < rowCount with i % 5 == 4: i = 4, 9, …
            let selected = split == nil ? rowCount : split == .test ? testRows : rowCount - testRows
            // Sized from the rows the text really holds, never from a claim.
            var pixels = [UInt8](repeating: 0, count: selected * pixelsPerRow)
            var labels: [Int32] = []
            labels.reserveCapacity(selected)
            let fieldsPerRow = pixelsPerRow + 1
            try pixels.withUnsafeMutableBufferPointer { out in
                var position = 0
                var stored = 0
                for index in 0 ..< rowCount {
                    let row = index + 1
                    let keep = split.map { ($0 == .test) == MNISTCSV.isTestRow(index) } ?? true
                    for column in 1 ... fieldsPerRow {
                        let start = position
                        while position < text.count && text[position] != Self.comma && text[position] != Self.newline {
                            position += 1
                        }
                        let terminator = position < text.count ? text[position] : Self.newline
                        var end = position
                        if terminator == Self.newline && end > start && text[end - 1] == Self.carriageReturn { end -= 1 }
                        position += 1  // past the terminator
                        if terminator == Self.newline && column < fieldsPerRow {
                            let found = column == 1 && end == start ? 0 : column
                            throw DatasetError.fieldCount(file: file, row: row, found: found, expected: fieldsPerRow)
                        }
                        if terminator == Self.comma && column == fieldsPerRow {
                            throw DatasetError.fieldCount(
                                file: file, row: row, found: fieldsPerRow + Self.countFields(text, from: position), expected: fieldsPerRow)
                        }
                        let isLabel = column == fieldsPerRow
                        let maximum = isLabel ? classCount - 1 : 255
                        guard let value = Self.integer(text, start, end), value <= maximum else {
                            throw DatasetError.badField(
                                file: file, row: row, column: column, found: Self.excerpt(text, start, end),
                                expected: isLabel ? "a label 0–\(maximum)" : "a pixel 0–255")
                        }
                        guard keep else { continue }
                        if isLabel {
                            labels.append(Int32(value))
                        } else {
                            out[stored * pixelsPerRow + column - 1] = UInt8(value)
                        }
                    }
                    if keep { stored += 1 }
                }
            }
            return (pixels, labels)
        }

        /// Lines in the text; a final newline does not start another row.
        private static func countRows(_ text: UnsafeBufferPointer<UInt8>) -> Int {
            var rows = 0
            for byte in text where byte == newline { rows += 1 }
            if let last = text.last, last != newline { rows += 1 }
            return rows
        }

        /// Fields from `position` to the end of its line (the first one already counted).
        private static func countFields(_ text: UnsafeBufferPointer<UInt8>, from position: Int) -> Int {
            var fields = 1
            var index = position
            while index < text.count && text[index] != newline {
                if text[index] == comma { fields += 1 }
                index += 1
            }
            return fields
        }

        /// The decimal integer spelled by `text[start..<end]`: digits only, at most 9 so it cannot overflow.
        private static func integer(_ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
            guard end > start, end - start <= 9 else { return nil }
            var value = 0
            for index in start ..< end {
                let byte = text[index]
                guard byte >= zero && byte <= nine else { return nil }
                value = value * 10 + Int(byte - zero)
            }
            return value
        }

        /// The offending field as text, shortened so the error stays one line.
        private static func excerpt(_ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
            let shown = String(decoding: UnsafeBufferPointer(rebasing: text[start ..< min(end, start + 20)]), as: UTF8.self)
            return (end - start > 20 ? shown + "…" : shown).unicodeScalars
                .map { $0.isASCII && $0.value >= 0x20 ? String($0) : $0.escaped(asASCII: true) }.joined()
        }
    }
}
