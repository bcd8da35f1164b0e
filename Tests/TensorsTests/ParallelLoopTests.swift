import CKernels
import Foundation
import Synchronization
import Tensors
import XCTest

/// `Parallel.forEachBlock` runs every block exactly once, whoever runs it: on any thread count,
/// inside another loop's body, from two threads at once, and with helpers that join late.
final class ParallelLoopTests: XCTestCase {
    private var threadsBefore = 1
    override func setUp() { threadsBefore = Parallel.threadCount }
    override func tearDown() { Parallel.threadCount = threadsBefore }

    /// Runs a loop that counts, per index, how often its block covered it.
    private func coverage(count: Int, size: Int) -> [Int] {
        let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: Swift.max(count, 1))
        defer { hits.deallocate() }
        hits.initialize(repeating: 0)
        Parallel.forEachBlock(of: count, size: size) { range in
            for i in range { hits[i] += 1 }  // each index belongs to one block: no two threads write it
        }
        return Array(hits.prefix(count))
    }

    func testEveryBlockRunsOnceOnAnyThreadCount() {
        for threads in [1, 2, 3, 5] {
            Parallel.threadCount = threads
            for (count, size) in [(0, 1), (1, 1), (2, 1), (7, 3), (100, 1), (1000, 7), (4096, 64)] {
                for _ in 0..<20 {
                    XCTAssertEqual(coverage(count: count, size: size), Array(repeating: 1, count: count),
                                   "\(threads) threads, \(count) items in blocks of \(size)")
                }
            }
        }
    }

    func testLoopsInsideALoopRunEveryBlock() {
        Parallel.threadCount = 2
        let covered = UnsafeMutableBufferPointer<Int>.allocate(capacity: 8)
        defer { covered.deallocate() }
        covered.initialize(repeating: 0)
        Parallel.forEachBlock(of: 8, size: 1) { outer in
            covered[outer.lowerBound] = coverage(count: 50, size: 3) == Array(repeating: 1, count: 50) ? 1 : -1
        }
        XCTAssertEqual(Array(covered), Array(repeating: 1, count: 8))
    }

    func testTwoThreadsCallingAtOnceEachGetTheirOwnBlocks() {
        Parallel.threadCount = 2
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 2) { caller in
            for round in 0..<300 {
                let count = 10 + caller * 7 + round % 13
                if coverage(count: count, size: 2) != Array(repeating: 1, count: count) {
                    failures.wrappingAdd(1, ordering: .relaxed)
                }
            }
        }
        XCTAssertEqual(failures.load(ordering: .relaxed), 0)
    }

    /// With two threads the loop really is shared, and returns only when a helper's block is done:
    /// block 0 waits (up to 20 s) for block 1 to start on another thread, and whichever block runs
    /// on a helper takes 5 ms longer than its partner before it says it has finished.
    func testAHelperTakesBlocksAndTheLoopWaitsForThem() throws {
        guard ProcessInfo.processInfo.activeProcessorCount > 1 else { throw XCTSkip("one core: no helpers") }
        Parallel.threadCount = 2
        let caller = pthread_self()
        let started = Atomic<Bool>(false), sawHelper = Atomic<Bool>(false), helperFinished = Atomic<Bool>(false)
        Parallel.forEachBlock(of: 2, size: 1) { range in
            if range.lowerBound == 1 {
                started.store(true, ordering: .releasing)
            } else {
                let deadline = Date().addingTimeInterval(20)
                while !started.load(ordering: .acquiring) && Date() < deadline { usleep(100) }
                sawHelper.store(started.load(ordering: .acquiring), ordering: .relaxed)
            }
            if pthread_equal(pthread_self(), caller) == 0 {
                usleep(5_000)
                helperFinished.store(true, ordering: .releasing)
            }
        }
        XCTAssertTrue(sawHelper.load(ordering: .relaxed), "block 1 did not start while block 0 ran")
        XCTAssertTrue(helperFinished.load(ordering: .acquiring), "the loop returned before a helper's block finished")
    }

    private func ownCPUs() -> Set<Int32> {
        var mask = curvature_cpu_mask()
        guard curvature_get_cpu_mask(&mask) == 0 else { return [] }
        return Set((0..<curvature_cpu_mask_count(&mask)).map { curvature_cpu_mask_nth(&mask, $0) })
    }

    /// The CPUs this process may use, when there are 2 of them and pinning is on (else a skip).
    private func twoCPUsPinned() throws -> Set<Int32> {
        let allowed = ownCPUs()
        guard allowed.count == 2, ProcessInfo.processInfo.environment["CURVATURE_PIN_THREADS"] != "0" else {
            throw XCTSkip("pinning is checked with 2 allowed CPUs (here \(allowed.count)) and CURVATURE_PIN_THREADS unset")
        }
        return allowed
    }

    /// When a loop's threads fill the CPUs the caller may use, the helper runs its blocks held to
    /// the CPU the caller was not on as the loop started, and follows the caller from loop to
    /// loop; the caller itself is never pinned.
    func testAHelperThatFillsTheCPUsRunsOnTheOtherOne() throws {
        let allowed = try twoCPUsPinned()
        Parallel.threadCount = 2
        var everyCPU = curvature_cpu_mask()
        XCTAssertEqual(curvature_get_cpu_mask(&everyCPU), 0)
        defer { _ = curvature_set_cpu_mask(&everyCPU) }
        let caller = pthread_self()
        for start in allowed.sorted() + allowed.sorted() {
            // The caller is put on `start` and freed again; the scheduler may still move it before
            // the loop looks, so a few tries are allowed for the helper to land on the other CPU.
            var helperCPUs: [Set<Int32>] = []
            for _ in 0..<5 {
                XCTAssertEqual(curvature_run_on_cpu(start), 0)
                XCTAssertEqual(curvature_set_cpu_mask(&everyCPU), 0)
                let masks = Mutex<(caller: [Set<Int32>], helper: [Set<Int32>])>(([], []))
                let started = Atomic<Int>(0)
                Parallel.forEachBlock(of: 64, size: 1) { _ in
                    // Both threads take blocks: each waits (up to 20 s) until two blocks have started.
                    started.add(1, ordering: .relaxed)
                    let deadline = Date().addingTimeInterval(20)
                    while started.load(ordering: .relaxed) < 2 && Date() < deadline { usleep(50) }
                    let mine = ownCPUs(), isCaller = pthread_equal(pthread_self(), caller) != 0
                    masks.withLock { if isCaller { $0.caller.append(mine) } else { $0.helper.append(mine) } }
                }
                let seen = masks.withLock { $0 }
                XCTAssertFalse(seen.helper.isEmpty, "the helper took no block")
                XCTAssertTrue(seen.caller.allSatisfy { $0 == allowed }, "the caller was pinned: \(seen.caller)")
                XCTAssertTrue(seen.helper.allSatisfy { $0.count == 1 && $0 == seen.helper[0] }, "the helper is not held to one CPU: \(seen.helper)")
                helperCPUs.append(seen.helper.first ?? [])
                if helperCPUs.last == allowed.subtracting([start]) { break }
            }
            XCTAssertEqual(helperCPUs.last, allowed.subtracting([start]),
                           "the helper is not held to the CPU the caller (put on \(start)) left free: \(helperCPUs)")
        }
    }
}
