#if canImport(Glibc)
import Glibc
#endif

/// `poll(2)` for readability.
public enum Readiness {
    /// Waits up to `timeout` seconds until one of `descriptors` is readable, hung up or in error, and
    /// returns which ones are. nil entries are skipped (always false). A signal ends the wait early with
    /// none ready.
    public static func wait(_ descriptors: [FileDescriptor?], timeout: Double) -> [Bool] {
        var entries = descriptors.map { pollfd(fd: $0?.rawValue ?? -1, events: Int16(POLLIN), revents: 0) }
        let ready = poll(&entries, nfds_t(entries.count), Int32(max(0, timeout * 1000).rounded(.up)))
        guard ready > 0 else { return Array(repeating: false, count: entries.count) }
        return entries.map { $0.revents != 0 }
    }
}
