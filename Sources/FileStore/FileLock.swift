#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// An exclusive `flock` on a lock file, so processes on one host exclude each other. The lock file is
/// separate from the data files because those are replaced by rename, which would orphan a lock.
///
/// `flock` belongs to the open file description, so it does not exclude threads sharing this descriptor;
/// the mutex does that.
final class FileLock: Sendable {
    private let descriptor: Int32
    private let threads = Mutex(())

    init(path: String) throws(StoreError) {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StoreError("open lock file", Errno.current) }
    }

    deinit {
        close(descriptor)
    }

    func withExclusiveLock<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try threads.withLock { _ throws(StoreError) -> T in
            while flock(descriptor, LOCK_EX) != 0 {
                guard errno == EINTR else { throw StoreError("lock", Errno.current) }
            }
            defer { flock(descriptor, LOCK_UN) }
            return try body()
        }
    }
}
