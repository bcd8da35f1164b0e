/// Converts 8-bit pixels to the `[0, 1]` floats every loader returns.
enum PixelScale {
    /// `table[b] == Float(b) / 255`: one lookup per pixel instead of a division.
    static let table: [Float] = (0...255).map { Float($0) / 255 }

    /// `bytes[i] / 255` for every byte.
    static func floats(_ bytes: [UInt8]) -> [Float] {
        [Float](unsafeUninitializedCapacity: bytes.count) { target, initialized in
            table.withUnsafeBufferPointer { table in
                bytes.withUnsafeBufferPointer { source in
                    for i in source.indices { target[i] = table[Int(source[i])] }
                }
            }
            initialized = bytes.count
        }
    }
}
