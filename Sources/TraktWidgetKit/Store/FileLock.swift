#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on a lock file, so processes on one host exclude each other. The lock file is
/// separate from the data files because those are replaced by rename, which would orphan a lock.
///
/// `flock` belongs to the open file description, so it does not exclude threads sharing this descriptor;
/// the condition lock does that. Held from `acquire` to `release`, possibly across a Trakt call.
final class FileLock: Sendable {
    private let descriptor: Int32
    private let threads = ConditionLock()
    nonisolated(unsafe) private var held = false

    init(path: String) throws(StoreError) {
        // Read-only: `flock` needs no write access, and a descriptor open for writing would keep the
        // file system from being remounted read-only. A state directory that became read-only since
        // (remounted, or owned by root after `auth` ran as root) still opens an existing lock file.
        var descriptor = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o600)
        if descriptor < 0 && (errno == EROFS || errno == EACCES) { descriptor = open(path, O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else { throw StoreError("open lock file", Errno.current) }
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    func acquire() throws(StoreError) {
        threads.withLock {
            threads.wait(until: { !held })
            held = true
        }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let reason = Errno.current
                threads.withLock {
                    held = false
                    threads.broadcast()
                }
                throw StoreError("lock", reason)
            }
        }
    }

    func release() {
        flock(descriptor, LOCK_UN)
        threads.withLock {
            held = false
            threads.broadcast()
        }
    }

    func withExclusiveLock<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try acquire()
        defer { release() }
        return try body()
    }
}
