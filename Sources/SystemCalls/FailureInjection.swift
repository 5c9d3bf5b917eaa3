import Synchronization

/// Debug builds only: makes chosen system calls fail with a chosen `Errno`, so tests can force ENOSPC
/// on a write or EIO on an fsync without filling a disk.
///
/// `TRAKT_WIDGET_INJECT_ERRNO=write:ENOSPC,fsync:EIO` (read once, at the first wrapped call) or
/// `FailureInjection.set` in-process. An injected call fails before reaching the kernel. Writes to
/// descriptors 0–2 are never injected, so logs and CGI answers still go out. Release builds compile the
/// hook away: the variable is not even read.
public enum FailureInjection {
    public static let environmentVariable = "TRAKT_WIDGET_INJECT_ERRNO"

    #if DEBUG
    private static let injected = Mutex<[Syscall: Errno]?>(nil)

    /// Replaces the injected failures (an empty map turns injection off).
    public static func set(_ failures: [Syscall: Errno]) {
        injected.withLock { $0 = failures }
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

    static func failure(for call: Syscall, descriptor: Int32 = -1) -> Errno? {
        if (0...2).contains(descriptor) { return nil }
        return injected.withLock { failures in
            if failures == nil {
                let text = Syscalls.environment(environmentVariable) ?? ""
                failures = parse(text) ?? [:]
                if !text.isEmpty, parse(text) == nil {
                    Syscalls.writeDiagnostic("trakt-widget warning: ignoring unreadable \(environmentVariable)=\(text)\n")
                }
            }
            return failures![call]
        }
    }
    #else
    @inline(__always)
    static func failure(for call: Syscall, descriptor: Int32 = -1) -> Errno? { nil }
    #endif
}
