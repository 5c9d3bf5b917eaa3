import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// A detached, named OS thread. Blocking loops (FastCGI workers, the refresh loop) live on these, never
/// on the Swift concurrency pool, which a blocking call would starve.
public enum PosixThread {
    private final class Box {
        let name: String
        let body: () -> Void
        init(_ name: String, _ body: @escaping () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// `name` shows in `top -H`, `ps -L`, gdb and core dumps; Linux keeps its first 15 bytes.
    @discardableResult
    public static func spawn(name: String, _ body: @escaping @Sendable () -> Void) -> pthread_t {
        let box = Unmanaged.passRetained(Box(name, body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            _ = pthread_setname_np(pthread_self(), String(box.name.utf8.prefix(15))!)
            box.body()
            return nil
        }, box)
        precondition(result == 0, "pthread_create failed: \(result)")
        pthread_detach(thread)
        return thread
    }
}
