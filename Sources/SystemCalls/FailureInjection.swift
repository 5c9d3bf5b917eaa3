import Synchronization

/// Debug builds only: makes chosen system calls fail with a chosen `Errno`, so tests can force ENOSPC
/// on a write or EIO on an fsync without filling a disk.
///
/// For a whole process: `TRAKT_WIDGET_INJECT_ERRNO=write:ENOSPC,fsync:EIO`, read at the first wrapped
/// call. In-process, scoped to the calling task or thread: `FailureInjection.injecting([...]) { … }`, so
/// tests running in parallel do not see each other's failures. An injected call fails before reaching
/// the kernel. Writes to descriptors 0–2 are never injected, so logs and CGI answers still go out.
/// Release builds compile the hook away: the variable is not even read.
public enum FailureInjection {
    public static let environmentVariable = "TRAKT_WIDGET_INJECT_ERRNO"

    #if DEBUG
    @TaskLocal private static var scoped: [Syscall: Errno]?
    private static let processWide = Mutex<[Syscall: Errno]?>(nil)

    /// Runs `body` with these calls failing on the calling task (or thread, outside a task).
    public static func injecting<T, E: Error>(_ failures: [Syscall: Errno], _ body: () throws(E) -> T) throws(E) -> T {
        let result: Result<T, E> = $scoped.withValue(failures) { Result { () throws(E) -> T in try body() } }
        return try result.get()
    }

    /// Parses `call:ERRNO[,call:ERRNO…]`; nil when any part is not understood.
    public static func parse(_ text: String) -> [Syscall: Errno]? {
        var failures: [Syscall: Errno] = [:]
        for part in text.split(separator: ",") {
            let fields = part.split(separator: ":")
            guard fields.count == 2, let call = Syscall(rawValue: String(fields[0])),
                  let errno = Errno.byName[String(fields[1])] else { return nil }
            failures[call] = errno
        }
        return failures
    }

    static func failure(for call: Syscall, descriptor: Int32) -> Errno? {
        if (0...2).contains(descriptor) { return nil }
        if let scoped { return scoped[call] }
        return processWide.withLock { failures in
            if failures == nil {
                let text = Syscalls.environment(environmentVariable) ?? ""
                let parsed = parse(text)
                if parsed == nil {
                    Syscalls.writeDiagnostic("trakt-widget warning: ignoring unreadable \(environmentVariable)=\(text)\n")
                }
                failures = parsed ?? [:]
            }
            return failures![call]
        }
    }
    #else
    @inline(__always)
    static func failure(for call: Syscall, descriptor: Int32) -> Errno? { nil }
    #endif
}
