import Foundation
import Testing
import Threads

@Suite struct PosixThreadTests {
    /// The name is visible as soon as `spawn` returns, even while the new thread has not run yet.
    @Test func spawnNamesTheThreadBeforeReturning() throws {
        let release = DispatchSemaphore(value: 0)
        PosixThread.spawn(name: "tw-test-a-long-name") { release.wait() }
        defer { release.signal() }
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        let names = try tasks.map { try String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
        // Linux keeps the first 15 bytes.
        #expect(names.contains("tw-test-a-long-\n"))
    }
}
