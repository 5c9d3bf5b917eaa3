import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// A non-blocking pipe a thread can poll, so other threads can interrupt its wait. Its reads and writes
/// are not subject to failure injection: that models disks and the network, not our own pipe.
public final class WakeupPipe: @unchecked Sendable {
    /// The end to poll for readability.
    public let descriptor: FileDescriptor
    private let writeEnd: Int32

    public init() throws(Errno) {
        var ends: [Int32] = [-1, -1]
        guard pipe2(&ends, O_CLOEXEC | O_NONBLOCK) == 0 else { throw Errno(rawValue: errno) }
        descriptor = FileDescriptor(rawValue: ends[0])
        writeEnd = ends[1]
    }

    deinit {
        descriptor.close()
        _ = Glibc.close(writeEnd)
    }

    public func signal() {
        var byte: UInt8 = 1
        // A full pipe already guarantees a wakeup, so EAGAIN is fine.
        _ = write(writeEnd, &byte, 1)
    }

    public func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(descriptor.rawValue, &buffer, buffer.count) > 0 {}
    }
}
