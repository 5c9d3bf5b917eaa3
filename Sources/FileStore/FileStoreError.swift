import SystemCalls

/// Why the file store failed: an OS error on a named file, or a file that is not what it should be.
/// The description names the file and the reason, never its content.
public enum FileStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case system(operation: String, Errno)
    /// The file exists but is not valid JSON of the expected shape.
    case unreadable(path: String)
    case encoding(path: String)

    public var errno: Errno? {
        if case .system(_, let errno) = self { return errno }
        return nil
    }

    public var description: String {
        switch self {
        // The symbolic name first: it is what an operator greps the log for (ENOSPC, EROFS, EACCES).
        case .system(let operation, let errno): "\(operation): \(errno.name.map { "\($0) (\(errno))" } ?? "\(errno)")"
        case .unreadable(let path): "parse \(path): not valid JSON of the expected shape"
        case .encoding(let path): "encode \(path): could not encode"
        }
    }
}
