import Synchronization

/// Live-allocation counters, so tests and benchmarks can prove that a finished tape is freed.
let liveStorageCount = Atomic<Int>(0)
let liveStorageBytes = Atomic<Int>(0)

/// Freed buffers kept for reuse, by exact size: the same shapes recur every iteration, and
/// reusing their pages avoids the mmap/munmap and page faults of large fresh allocations.
private struct BufferPool: ~Copyable {
    var free: [Int: [UnsafeMutableRawPointer]] = [:]
    var bytes = 0
    /// Largest total kept; above it, buffers go back to the system.
    var limit = 256 << 20
    /// Buffers smaller than this come from malloc, which is fast for them.
    static let minimumSize = 1 << 16
}

private let pool = Mutex(BufferPool())

/// Owns one contiguous, 64-byte aligned buffer. Tensors share it (reshape is free) and never
/// mutate it once published, except through `Tensor`'s copy-on-write accessors.
@usableFromInline
final class TensorStorage {
    let pointer: UnsafeMutableRawPointer
    let byteCount: Int

    init(byteCount: Int) {
        self.byteCount = byteCount
        let reused: UnsafeMutableRawPointer? = byteCount < BufferPool.minimumSize ? nil : pool.withLock { pool in
            guard let pointer = pool.free[byteCount]?.popLast() else { return nil }
            pool.bytes -= byteCount
            return pointer
        }
        pointer = reused ?? UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
        liveStorageCount.add(1, ordering: .relaxed)
        liveStorageBytes.add(byteCount, ordering: .relaxed)
    }

    /// Other forms of the buffer, made at a kernel's first use and shared by the later ones: packed
    /// as a `PackedMatrix` B, so a layer's weights are packed once a run; or a convolution's
    /// filters in the Winograd domain. Emptied by any write through `Tensor`'s mutable accessors.
    private let forms = Mutex<[FormKey: AnyObject]>([:])

    /// Which form; each is made as one class.
    enum FormKey: Hashable {
        /// `PackedMatrix` of K × N, from the buffer or its transpose.
        case packed(k: Int, n: Int, transposed: Bool)
        /// `Tensor.WinogradFilters` of a [outputs, inputs, 3, 3] weight.
        case winogradFilters(outputs: Int, inputs: Int)
    }

    /// The form `key` names, made by `make` at its first use. A key is always made as the same
    /// class, so what is found is taken as that class unchecked (a checked cast cost 2 % of an
    /// mlp B=1 HVP, which looks its weights' packings up a dozen times).
    func form<Form: AnyObject>(_ key: FormKey, make: () -> Form) -> Form {
        forms.withLock { cache in
            if let found = cache[key] { return unsafeDowncast(found, to: Form.self) }
            let made = make()
            cache[key] = made
            return made
        }
    }

    func forgetForms() { forms.withLock { $0.removeAll() } }

    deinit {
        liveStorageCount.subtract(1, ordering: .relaxed)
        liveStorageBytes.subtract(byteCount, ordering: .relaxed)
        let kept = byteCount >= BufferPool.minimumSize && pool.withLock { pool in
            guard pool.bytes + byteCount <= pool.limit else { return false }
            pool.free[byteCount, default: []].append(pointer)
            pool.bytes += byteCount
            return true
        }
        if !kept { pointer.deallocate() }
    }
}

/// How many tensor buffers are alive now, and how many bytes they hold.
public enum TensorMemory {
    public static var liveBuffers: Int { liveStorageCount.load(ordering: .relaxed) }
    public static var liveBytes: Int { liveStorageBytes.load(ordering: .relaxed) }

    /// Bytes of freed buffers kept for reuse.
    public static var pooledBytes: Int { pool.withLock { $0.bytes } }

    /// The most bytes of freed buffers kept for reuse (default 256 MiB; 0 disables reuse).
    public static var poolLimit: Int {
        get { pool.withLock { $0.limit } }
        set {
            pool.withLock { pool in
                pool.limit = max(newValue, 0)
                while pool.bytes > pool.limit, let size = pool.free.first(where: { !$0.value.isEmpty })?.key {
                    pool.free[size]!.removeLast().deallocate()
                    pool.bytes -= size
                }
            }
        }
    }
}
