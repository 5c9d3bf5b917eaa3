import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// A detached, named OS thread. Blocking loops (FastCGI workers, the refresh loop) live on these, never
/// on the Swift concurrency pool, which a blocking call would starve.
public enum PosixThread {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// `name` shows in `top -H`, `ps -L`, gdb and core dumps; Linux keeps its first 15 bytes. It is set
    /// before `spawn` returns, not whenever the new thread first runs.
    @discardableResult
    public static func spawn(name: String, _ body: @escaping @Sendable () -> Void) -> pthread_t {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { raw in
            Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, box)
        precondition(result == 0, "pthread_create failed: \(result)")
        _ = pthread_setname_np(thread, String(name.utf8.prefix(15))!)
        pthread_detach(thread)
        return thread
    }
}
