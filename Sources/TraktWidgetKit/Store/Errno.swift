#if canImport(Glibc)
import Glibc
#endif

/// The current `errno` for error descriptions: its symbolic name first (what an operator greps for:
/// ENOSPC, EROFS, EACCES), then the OS's text.
enum Errno {
    static var current: String {
        let code = errno
        let text = String(cString: strerror(code))
        return names[code].map { "\($0) (\(text))" } ?? text
    }

    private static let names: [Int32: String] = [
        ENOSPC: "ENOSPC", EROFS: "EROFS", EACCES: "EACCES", EPERM: "EPERM", EIO: "EIO", EDQUOT: "EDQUOT",
        ENOENT: "ENOENT", EEXIST: "EEXIST",
    ]
}
