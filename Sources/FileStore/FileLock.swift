import Synchronization
import SystemCalls
import Threads

/// An exclusive `flock` on a lock file, so processes on one host exclude each other. The lock file is
/// separate from the data files because those are replaced by rename, which would orphan a lock.
///
/// `flock` belongs to the open file description, so it does not exclude threads sharing this descriptor;
/// the mutex does that. Rank `stateFile` in the lock order (`LockRank`).
final class FileLock: Sendable {
    private let file: FileDescriptor
    private let threads = Mutex(())

    init(path: String) throws(FileStoreError) {
        do {
            file = try FileDescriptor.open(path, [.readWrite, .create], permissions: 0o600)
        } catch {
            throw .system(operation: "open lock file", error)
        }
    }

    deinit {
        file.close()
    }

    func withExclusiveLock<T>(_ body: () throws(FileStoreError) -> T) throws(FileStoreError) -> T {
        try LockRank.stateFile.held { () throws(FileStoreError) -> T in
            try threads.withLock { _ throws(FileStoreError) -> T in
                do throws(Errno) {
                    try file.lockExclusive()
                } catch {
                    throw .system(operation: "lock", error)
                }
                defer { file.unlock() }
                return try body()
            }
        }
    }
}
