/// A failed HTTP exchange below the HTTP layer. Its description is libcurl's generic text for the code,
/// never the URL (which may carry the TMDB key) nor any header.
public enum TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    case timedOut
    case couldNotConnect(String)
    case failed(code: Int, String)

    public var description: String {
        switch self {
        case .timedOut: "timed out"
        case .couldNotConnect(let reason): "could not connect (\(reason))"
        case .failed(let code, let reason): "transfer failed (curl \(code): \(reason))"
        }
    }
}
