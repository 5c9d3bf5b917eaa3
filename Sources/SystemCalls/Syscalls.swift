#if canImport(Glibc)
import Glibc
#endif

/// The one place that calls libc for files, sockets, clocks and the process environment (the C
/// libraries' own modules aside). Each wrapper turns a failed call into a typed `Errno`, retrying on
/// EINTR, through `valueOrErrno`; the rest of the package never sees `errno` or an `Int32` status.
public enum Syscalls {
    /// Runs `call` until it does not fail with EINTR; a -1 becomes the `Errno` it set. In debug builds an
    /// injected failure for `syscall` (see `FailureInjection`) is returned instead of calling.
    @inline(__always)
    static func valueOrErrno<I: FixedWidthInteger>(
        _ syscall: Syscall, descriptor: Int32 = -1, _ call: () -> I
    ) throws(Errno) -> I {
        if let injected = FailureInjection.failure(for: syscall, descriptor: descriptor) { throw injected }
        while true {
            let result = call()
            if result != -1 { return result }
            if errno != EINTR { throw Errno(rawValue: errno) }
        }
    }

    // MARK: Files

    public static func rename(_ from: String, to: String) throws(Errno) {
        _ = try valueOrErrno(.rename) { Glibc.rename(from, to) }
    }

    public static func unlink(_ path: String) throws(Errno) {
        _ = try valueOrErrno(.unlink) { Glibc.unlink(path) }
    }

    /// Creates a directory; one that already exists is fine.
    public static func makeDirectory(_ path: String, permissions: UInt32) throws(Errno) {
        do {
            _ = try valueOrErrno(.mkdir) { Glibc.mkdir(path, mode_t(permissions)) }
        } catch where error == .fileExists {
            return
        }
    }

    public static func isWritable(_ path: String) -> Bool {
        access(path, W_OK) == 0
    }

    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    public static func changePermissions(_ path: String, _ permissions: UInt32) throws(Errno) {
        _ = try valueOrErrno(.chmod) { chmod(path, mode_t(permissions)) }
    }

    /// Whether `path` exists (nil when it does not) and is a socket, without following a symlink.
    public static func isSocket(_ path: String) -> Bool? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return (info.st_mode & S_IFMT) == S_IFSOCK
    }

    // MARK: Process

    public static var processID: Int32 { getpid() }

    /// Ends the process now: no atexit handlers, no static destructors. Only once nothing is left to
    /// flush (log lines are written unbuffered).
    public static func exitImmediately(_ status: Int32) -> Never {
        _exit(status)
    }

    public static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    public static func unsetEnvironment(_ name: String) {
        unsetenv(name)
    }

    /// One `write(2)` to stderr, for a line that must not interleave with other threads' lines.
    public static func writeDiagnostic(_ line: String) {
        line.utf8CString.withUnsafeBufferPointer { buffer in
            _ = Glibc.write(2, buffer.baseAddress, buffer.count - 1)
        }
    }

    /// Sleeps for `seconds`, resuming after a signal until the whole time has passed.
    public static func sleep(seconds: Double) {
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR {
            request = remaining
        }
    }

    // MARK: Clocks

    /// Waits up to `seconds` for `descriptor` to become readable (or writable); false on timeout.
    /// For a C library's own socket (libpq's), which needs a deadline the library does not keep.
    public static func poll(_ descriptor: Int32, forWriting: Bool = false, seconds: Double) throws(Errno) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(forWriting ? POLLOUT : POLLIN), revents: 0)
        let milliseconds = Int32(min(max(seconds, 0) * 1000, Double(Int32.max)).rounded(.up))
        return try valueOrErrno(.poll, descriptor: descriptor) { Glibc.poll(&entry, 1, milliseconds) } > 0
    }

    public static func realtimeNow() -> Double {
        now(CLOCK_REALTIME)
    }

    /// Seconds on the monotonic clock, which a wall-clock jump cannot move.
    public static func monotonicNow() -> Double {
        now(CLOCK_MONOTONIC)
    }

    private static func now(_ clock: clockid_t) -> Double {
        var spec = timespec()
        clock_gettime(clock, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
