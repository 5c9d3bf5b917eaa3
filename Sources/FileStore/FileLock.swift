import SystemCalls
import Threads

/// An exclusive `flock` on a lock file, so processes on one host exclude each other. The lock file is
/// separate from the data files because those are replaced by rename, which would orphan a lock.
///
/// `flock` belongs to the open file description, so it does not exclude threads sharing this descriptor;
/// the condition lock does that. Held from `acquire` to `release`, across a Trakt call during a
/// rotation. Rank `stateFile` in the lock order (`LockRank`).
final class FileLock: @unchecked Sendable {
    private let file: FileDescriptor
    private let threads = ConditionLock(rank: .stateFileWaiters)
    private var held = false

    init(path: String) throws(FileStoreError) {
        // Read-only: `flock` needs no write access, and a descriptor open for writing would keep the
        // file system from being remounted read-only. A state directory that became read-only since
        // (remounted, or owned by root after `auth` ran as root) still opens an existing lock file.
        do {
            file = try FileDescriptor.open(path, [.readOnly, .create], permissions: 0o600)
        } catch .readOnlyFileSystem, .permissionDenied {
            do {
                file = try FileDescriptor.open(path, .readOnly)
            } catch {
                throw .system(operation: "open lock file", error)
            }
        } catch {
            throw .system(operation: "open lock file", error)
        }
    }

    deinit {
        file.close()
    }

    func acquire() throws(FileStoreError) {
        LockRank.stateFile.enter()
        threads.withLock {
            threads.wait(until: { !held })
            held = true
        }
        do throws(Errno) {
            try file.lockExclusive()
        } catch {
            releaseThreads()
            throw .system(operation: "lock", error)
        }
    }

    func release() {
        file.unlock()
        releaseThreads()
    }

    private func releaseThreads() {
        threads.withLock {
            held = false
            threads.broadcast()
        }
        LockRank.stateFile.leave()
    }

    func withExclusiveLock<T>(_ body: () throws(FileStoreError) -> T) throws(FileStoreError) -> T {
        try acquire()
        defer { release() }
        return try body()
    }
}
