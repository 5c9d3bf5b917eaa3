#if canImport(Glibc)
import Glibc
#endif

/// The text of the current `errno`, for error descriptions.
enum Errno {
    static var current: String {
        String(cString: strerror(errno))
    }
}
