import Synchronization

/// Live-allocation counters, so tests and benchmarks can prove that a finished tape is freed.
let liveStorageCount = Atomic<Int>(0)
let liveStorageBytes = Atomic<Int>(0)

/// Owns one contiguous, 64-byte aligned buffer. Tensors share it (reshape is free) and never
/// mutate it once published, except through `Tensor`'s copy-on-write accessors.
@usableFromInline
final class TensorStorage {
    let pointer: UnsafeMutableRawPointer
    let byteCount: Int

    init(byteCount: Int) {
        self.byteCount = byteCount
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
        liveStorageCount.add(1, ordering: .relaxed)
        liveStorageBytes.add(byteCount, ordering: .relaxed)
    }

    deinit {
        pointer.deallocate()
        liveStorageCount.subtract(1, ordering: .relaxed)
        liveStorageBytes.subtract(byteCount, ordering: .relaxed)
    }
}

/// How many tensor buffers are alive now, and how many bytes they hold.
public enum TensorMemory {
    public static var liveBuffers: Int { liveStorageCount.load(ordering: .relaxed) }
    public static var liveBytes: Int { liveStorageBytes.load(ordering: .relaxed) }
}
