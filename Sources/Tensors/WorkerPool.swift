import CKernels
import Dispatch
import Foundation
import Synchronization

/// The helper threads behind `Parallel.forEachBlock`.
///
/// Unlike `DispatchQueue.concurrentPerform`, a caller never waits for a helper that has not
/// started: blocks go to whichever thread takes them first, and the caller waits only for blocks
/// already taken. On a core that another process keeps busy a helper may be woken milliseconds
/// late; the caller then does the work alone instead of idling until the helper has run. Helpers
/// spin a few tens of microseconds before they sleep, since the next loop usually follows at once.
///
/// When a loop's threads fill every CPU the caller may use (a 2-core machine, a Slurm allocation
/// of as many CPUs as threads), each runs the loop on a CPU of its own: beside a busy process the
/// scheduler otherwise often wakes a helper onto the caller's CPU, and the two share one core
/// while the other process has the second to itself (cnn B=128, 2 threads, one `yes` beside: 0.53–
/// 0.58 of the idle speed kept, 0.68–0.79 with CPUs of their own). Helpers are started before the
/// caller is pinned (a thread inherits its creator's mask), and the caller takes back its own mask
/// when the loop returns; with CPUs to spare nothing is pinned, nor with `CURVATURE_PIN_THREADS=0`.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// One parallel loop: `blocks` indices handed out by a shared counter.
    private final class Job: @unchecked Sendable {
        let blocks: Int
        let next = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        /// Helpers that may still join, so a loop never uses more threads than it asked for.
        let seats: Atomic<Int>
        let lastBlockDone = DispatchSemaphore(value: 0)
        /// The caller's CPUs when each thread runs this loop on one of its own (the caller on the
        /// first, the helper in seat s on CPU s + 1), else nil.
        let cpus: [Int32]?
        /// The caller's CPU mask, which a helper pinned by an earlier loop takes back.
        let mask: curvature_cpu_mask
        /// Set while the caller is inside `run`; a helper reads it only for a block it has taken,
        /// which cannot happen once every block is taken.
        var body: ((Int) -> Void)?

        init(blocks: Int, helpers: Int, cpus: [Int32]?, mask: curvature_cpu_mask, body: @escaping (Int) -> Void) {
            self.blocks = blocks
            seats = Atomic(helpers)
            self.cpus = cpus
            self.mask = mask
            self.body = body
        }

        /// Out of line, so that the copy of `body` it holds is released before the block counts
        /// as done: `run` sets `body` to nil and requires it to be the last reference.
        @inline(never)
        private func invoke(_ index: Int) { body!(index) }

        func work() {
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if index >= blocks { return }
                invoke(index)
                if done.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue == blocks { lastBlockDone.signal() }
            }
        }
    }

    private let condition = NSCondition()
    private var helpers = 0        // guarded by `condition`
    private var current: Job?      // guarded by `condition`
    private let generation = Atomic<Int>(0)
    private let inUse = Atomic<Bool>(false)
    /// 0, 10, 50 and 200 µs measured alike on a loaded machine; 50 µs spans the gaps between an
    /// MLP's loops.
    private static let spinNanoseconds: UInt64 = 50_000
    private static let processors = Swift.max(ProcessInfo.processInfo.activeProcessorCount, 1)
    /// Off with `CURVATURE_PIN_THREADS=0`.
    private static let pinsThreads = ProcessInfo.processInfo.environment["CURVATURE_PIN_THREADS"] != "0"

    /// The CPUs of `mask` when a loop with `helpers` helpers fills them, else nil.
    private static func cpus(of mask: curvature_cpu_mask, filledBy helpers: Int) -> [Int32]? {
        var mask = mask
        guard pinsThreads, curvature_cpu_mask_count(&mask) == helpers + 1 else { return nil }
        return (0...helpers).map { Int32(curvature_cpu_mask_nth(&mask, Int32($0))) }
    }

    /// A thread inside `Parallel.keepingCPUs`: pinned by its first loop that filled its CPUs, and
    /// left there (no mask read or set per loop: three system calls a loop were ~5 % of an MLP's
    /// HVP) until the outermost call returns.
    private struct Stretch {
        var owner: pthread_t
        var depth: Int
        /// The owner's own mask and the CPUs of its loops, once a loop has pinned it.
        var pinned: (mask: curvature_cpu_mask, cpus: [Int32])?
    }
    private let stretch = Mutex<Stretch?>(nil)

    /// Whether the calling thread opened a stretch (false when another thread holds one: its loops
    /// then pin and unpin per loop, as outside any).
    func beginStretch() -> Bool {
        stretch.withLock { stretch in
            let me = pthread_self()
            if var held = stretch {
                guard pthread_equal(held.owner, me) != 0 else { return false }
                held.depth += 1
                stretch = held
            } else {
                stretch = Stretch(owner: me, depth: 1, pinned: nil)
            }
            return true
        }
    }

    /// Closes a stretch `beginStretch` opened; the outermost gives the caller back its mask.
    func endStretch() {
        stretch.withLock { stretch in
            guard var held = stretch else { return }
            held.depth -= 1
            if held.depth > 0 { stretch = held; return }
            if var mask = held.pinned?.mask { _ = curvature_set_cpu_mask(&mask) }
            stretch = nil
        }
    }

    /// Where a loop with `helpers` helpers runs: the CPU each thread takes (nil: nobody is
    /// pinned), whether the caller must be pinned now, whether it takes back its mask after the
    /// loop (not inside a stretch, which does so at its end), and the caller's own mask.
    private struct Placement {
        var cpus: [Int32]?
        var pinsCaller = false
        var restoresAfter = false
        var callerMask = curvature_cpu_mask()
    }

    private func placement(helpers: Int) -> Placement {
        let me = pthread_self()
        return stretch.withLock { stretch in
            var place = Placement()
            let inStretch = stretch.map { pthread_equal($0.owner, me) != 0 } ?? false
            if inStretch, let pinned = stretch!.pinned {
                place.callerMask = pinned.mask
                place.cpus = Self.cpus(of: pinned.mask, filledBy: helpers)
                if place.cpus == nil {  // this loop leaves CPUs spare: the caller is free again
                    _ = curvature_set_cpu_mask(&place.callerMask)
                    stretch!.pinned = nil
                }
                return place
            }
            guard curvature_get_cpu_mask(&place.callerMask) == 0 else { return place }
            place.cpus = Self.cpus(of: place.callerMask, filledBy: helpers)
            guard let cpus = place.cpus else { return place }
            place.pinsCaller = true
            if inStretch { stretch!.pinned = (place.callerMask, cpus) } else { place.restoresAfter = true }
            return place
        }
    }

    /// Runs `body(i)` for every i in 0..<blocks on the calling thread and up to `helpers` others
    /// (at most one fewer than the cores). Returns false, having run nothing, when no helper may
    /// join or the pool is already serving a loop (a loop inside a loop's body, or another
    /// thread's): the caller then runs the blocks itself.
    func run(blocks: Int, helpers requested: Int, _ body: (Int) -> Void) -> Bool {
        // More threads than cores only take turns (Dispatch capped them the same way).
        let wanted = Swift.min(requested, Self.processors - 1)
        guard wanted > 0 else { return false }
        guard inUse.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { inUse.store(false, ordering: .releasing) }
        var place = placement(helpers: wanted)
        withoutActuallyEscaping(body) { body in
            let job = Job(blocks: blocks, helpers: wanted, cpus: place.cpus, mask: place.callerMask, body: body)
            condition.lock()
            while helpers < wanted { startHelper() }  // before the caller is pinned: a thread inherits its mask
            current = job
            generation.wrappingAdd(1, ordering: .releasing)
            // Wake as many sleepers as there are seats; a helper still spinning may take one first.
            for _ in 0..<wanted { condition.signal() }
            condition.unlock()
            if let cpus = place.cpus, place.pinsCaller { _ = curvature_run_on_cpu(cpus[0]) }
            defer { if place.restoresAfter { _ = curvature_set_cpu_mask(&place.callerMask) } }
            job.work()
            if !Self.spin(until: { job.done.load(ordering: .acquiring) == blocks }) { job.lastBlockDone.wait() }
            job.body = nil  // no thread holds on to the caller's closure past this call
        }
        return true
    }

    /// Busy-waits up to `spinNanoseconds` for `condition`; true if it came true.
    private static func spin(until condition: () -> Bool) -> Bool {
        let deadline = DispatchTime.now().uptimeNanoseconds + spinNanoseconds
        while true {
            for _ in 0..<64 where condition() { return true }
            if DispatchTime.now().uptimeNanoseconds > deadline { return condition() }
        }
    }

    /// Called with `condition` locked.
    private func startHelper() {
        helpers += 1
        let seen = generation.load(ordering: .acquiring)  // the loop about to be published is new to it
        let thread = Thread { [unowned self] in self.helperLoop(seen: seen) }
        thread.stackSize = 8 << 20
        thread.start()
    }

    private func helperLoop(seen start: Int) {
        var seen = start
        var worked = false
        var heldTo: Int32?  // the CPU an earlier loop pinned this helper to
        while true {
            // Only a helper that just worked spins: one that found no seat goes back to sleep.
            if worked { _ = Self.spin { generation.load(ordering: .acquiring) != seen } }
            condition.lock()
            while generation.load(ordering: .acquiring) == seen { condition.wait() }
            seen = generation.load(ordering: .acquiring)
            let job = current
            condition.unlock()
            worked = false
            guard let job else { continue }
            let seatsLeft = job.seats.wrappingSubtract(1, ordering: .relaxed).oldValue
            guard seatsLeft > 0 else { continue }
            if let cpus = job.cpus {
                let cpu = cpus[cpus.count - seatsLeft]  // seat s = wanted − seatsLeft runs on CPU s + 1
                if heldTo != cpu { heldTo = curvature_run_on_cpu(cpu) == 0 ? cpu : nil }
            } else if heldTo != nil {
                var mask = job.mask
                _ = curvature_set_cpu_mask(&mask)
                heldTo = nil
            }
            job.work()
            worked = true
        }
    }
}
