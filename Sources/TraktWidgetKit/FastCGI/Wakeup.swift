import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// A non-blocking pipe the dispatcher polls, so other threads can interrupt its `poll()`.
final class Wakeup: @unchecked Sendable {
    let descriptor: Int32
    private let writeEnd: Int32

    init() {
        var ends: [Int32] = [-1, -1]
        precondition(pipe2(&ends, O_CLOEXEC | O_NONBLOCK) == 0, "pipe2: \(Errno.current)")
        descriptor = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        close(descriptor)
        close(writeEnd)
    }

    func signal() {
        var byte: UInt8 = 1
        // A full pipe already guarantees a wakeup, so EAGAIN is fine.
        _ = write(writeEnd, &byte, 1)
    }

    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(descriptor, &buffer, buffer.count) > 0 {}
    }
}
