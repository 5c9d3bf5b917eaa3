#if canImport(Glibc)
import Glibc
#endif

/// A POSIX error number, typed, so callers branch on `.noSpace` or `.readOnlyFileSystem` instead of
/// parsing text. Only `Syscalls.swift` creates one from the C `errno`.
public struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    public static let permissionDenied = Errno(rawValue: EACCES)
    public static let fileExists = Errno(rawValue: EEXIST)
    public static let interrupted = Errno(rawValue: EINTR)
    public static let ioError = Errno(rawValue: EIO)
    public static let noSuchFileOrDirectory = Errno(rawValue: ENOENT)
    public static let noSpace = Errno(rawValue: ENOSPC)
    public static let readOnlyFileSystem = Errno(rawValue: EROFS)
    public static let nameTooLong = Errno(rawValue: ENAMETOOLONG)
    public static let addressInUse = Errno(rawValue: EADDRINUSE)
    public static let brokenPipe = Errno(rawValue: EPIPE)
    public static let wouldBlock = Errno(rawValue: EAGAIN)
    public static let connectionAborted = Errno(rawValue: ECONNABORTED)

    /// The symbolic names the failure-injection hook accepts (`TRAKT_WIDGET_INJECT_ERRNO`).
    public static let byName: [String: Errno] = [
        "EACCES": .permissionDenied, "EEXIST": .fileExists, "EINTR": .interrupted, "EIO": .ioError,
        "ENOENT": .noSuchFileOrDirectory, "ENOSPC": .noSpace, "EROFS": .readOnlyFileSystem,
        "ENAMETOOLONG": .nameTooLong, "EADDRINUSE": .addressInUse, "EPIPE": .brokenPipe,
    ]

    /// The symbolic name (`ENOSPC`) when it is one of `byName`'s.
    public var name: String? {
        Self.byName.first { $0.value == self }?.key
    }

    /// The OS's text for it ("No space left on device"), never a path or a value.
    public var description: String {
        String(cString: strerror(rawValue))
    }
}
