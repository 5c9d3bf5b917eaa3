import Synchronization
import SystemCalls

/// Crash-safe file replacement: write a temporary file, fsync it, rename it over the target, fsync the
/// directory. A reader sees the old or the new content, never a torn one; mode 0600 throughout.
enum AtomicFile {
    /// Makes temporary names unique per write, not just per process: threads may write concurrently.
    private static let writes = Atomic<Int>(0)

    static func write(_ bytes: [UInt8], to path: String) throws(FileStoreError) {
        let sequence = writes.wrappingAdd(1, ordering: .relaxed).newValue
        let temporary = path + ".tmp.\(Syscalls.processID).\(sequence)"
        let file: FileDescriptor
        do {
            file = try FileDescriptor.open(temporary, [.writeOnly, .create, .truncate], permissions: 0o600)
        } catch {
            throw .system(operation: "create \(temporary)", error)
        }
        do {
            try file.writeAll(bytes)
        } catch {
            file.close()
            try? Syscalls.unlink(temporary)
            throw .system(operation: "write \(temporary)", error)
        }
        do {
            try file.sync()
        } catch {
            file.close()
            try? Syscalls.unlink(temporary)
            throw .system(operation: "fsync \(temporary)", error)
        }
        file.close()
        do {
            try Syscalls.rename(temporary, to: path)
        } catch {
            try? Syscalls.unlink(temporary)
            throw .system(operation: "rename to \(path)", error)
        }
        syncDirectory(of: path)
    }

    static func read(_ path: String) throws(FileStoreError) -> [UInt8]? {
        let file: FileDescriptor
        do {
            file = try FileDescriptor.open(path, .readOnly)
        } catch .noSuchFileOrDirectory {
            return nil
        } catch {
            throw .system(operation: "open \(path)", error)
        }
        defer { file.close() }
        do {
            return try file.readAll()
        } catch {
            throw .system(operation: "read \(path)", error)
        }
    }

    /// The rename is durable only once the directory entry is.
    private static func syncDirectory(of path: String) {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        guard let file = try? FileDescriptor.open(directory.isEmpty ? "." : directory, [.readOnly, .directory]) else { return }
        try? file.sync()
        file.close()
    }
}
