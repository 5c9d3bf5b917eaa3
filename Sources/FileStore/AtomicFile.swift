import FoundationEssentials
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Crash-safe file replacement: write a temporary file, fsync it, rename it over the target, fsync the
/// directory. A reader sees the old or the new content, never a torn one; mode 0600 throughout.
enum AtomicFile {
    /// Makes temporary names unique per write, not just per process: threads may write concurrently.
    private static let writes = Atomic<Int>(0)

    static func write(_ bytes: [UInt8], to path: String) throws(StoreError) {
        let sequence = writes.wrappingAdd(1, ordering: .relaxed).newValue
        let temporary = path + ".tmp.\(getpid()).\(sequence)"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StoreError("create \(temporary)", Errno.current) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                let reason = Errno.current
                close(descriptor)
                unlink(temporary)
                throw StoreError("write \(temporary)", reason)
            }
            written += result
        }
        guard fsync(descriptor) == 0 else {
            let reason = Errno.current
            close(descriptor)
            unlink(temporary)
            throw StoreError("fsync \(temporary)", reason)
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let reason = Errno.current
            unlink(temporary)
            throw StoreError("rename to \(path)", reason)
        }
        syncDirectory(of: path)
    }

    static func read(_ path: String) throws(StoreError) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            if errno == ENOENT { return nil }
            throw StoreError("open \(path)", Errno.current)
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw StoreError("read \(path)", Errno.current)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    /// The rename is durable only once the directory entry is.
    private static func syncDirectory(of path: String) {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
