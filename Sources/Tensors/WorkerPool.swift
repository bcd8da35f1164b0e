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
/// of as many CPUs as threads), the helpers run it on the CPUs other than the one the caller is on
/// as it starts, one each: beside a busy process the scheduler otherwise often wakes a helper onto
/// the caller's CPU, and the two share one core while the other process has the second to itself.
/// The caller itself is left free, so that between loops (the serial steps of a tape) the
/// scheduler can move it off the busy process's CPU, and no system call pins or unpins it per
/// loop; the price is that it may be moved onto a helper's CPU mid-loop, sharing that core until
/// the scheduler moves it back (the next loop's helper then follows it). Beside one `yes`, 2
/// threads, kept share of the idle speed (interleaved rounds of one sitting): cnn B=128 0.53–0.58
/// unpinned (an earlier sitting), 0.67–0.68 with the caller pinned for a whole HVP, 0.70–0.72 free;
/// resnet18 B=32 0.60–0.70 (median 0.64) pinned per HVP, 0.61–0.76 (median 0.68) free. With CPUs
/// to spare nothing is pinned, nor with `CURVATURE_PIN_THREADS=0`.
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
        /// The CPUs the helpers run this loop on when its threads fill the caller's CPUs (the helper
        /// in seat s on the s-th), else nil.
        let helperCPUs: [Int32]?
        /// The caller's CPU mask, which a helper pinned by an earlier loop takes back.
        let mask: curvature_cpu_mask
        /// Set while the caller is inside `run`; a helper reads it only for a block it has taken,
        /// which cannot happen once every block is taken.
        var body: ((Int) -> Void)?

        init(blocks: Int, helpers: Int, helperCPUs: [Int32]?, mask: curvature_cpu_mask, body: @escaping (Int) -> Void) {
            self.blocks = blocks
            seats = Atomic(helpers)
            self.helperCPUs = helperCPUs
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

    /// When a loop with `helpers` helpers fills the calling thread's CPUs: those CPUs but the one
    /// the caller is on, one per helper; else nil (also when the caller's CPU cannot be told: a
    /// helper pinned blindly might land on it).
    private static func helperCPUs(_ helpers: Int, _ mask: inout curvature_cpu_mask) -> [Int32]? {
        guard pinsThreads, curvature_get_cpu_mask(&mask) == 0, curvature_cpu_mask_count(&mask) == helpers + 1 else { return nil }
        let cpus = (0...helpers).map { Int32(curvature_cpu_mask_nth(&mask, Int32($0))) }
        let here = curvature_current_cpu()
        return cpus.contains(here) ? cpus.filter { $0 != here } : nil
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
        var mask = curvature_cpu_mask()
        let helperCPUs = Self.helperCPUs(wanted, &mask)
        withoutActuallyEscaping(body) { body in
            let job = Job(blocks: blocks, helpers: wanted, helperCPUs: helperCPUs, mask: mask, body: body)
            condition.lock()
            while helpers < wanted { startHelper() }
            current = job
            generation.wrappingAdd(1, ordering: .releasing)
            // Wake as many sleepers as there are seats; a helper still spinning may take one first.
            for _ in 0..<wanted { condition.signal() }
            condition.unlock()
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
        var heldTo: Int32?  // the CPU an earlier loop pinned this helper to; −1: a pin failed, mask unknown
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
            if let cpus = job.helperCPUs {
                let cpu = cpus[cpus.count - seatsLeft]  // seat s = wanted − seatsLeft
                if heldTo != cpu { heldTo = curvature_run_on_cpu(cpu) == 0 ? cpu : -1 }
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
