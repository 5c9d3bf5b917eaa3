/// A libpq failure, typed at the boundary. `description` is deliberately generic (operation and SQLSTATE),
/// so logs never carry a connection string or a parameter value; server text stays out entirely.
public enum PostgresError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No connection (server down, refused, or reconnect backoff still running).
    case unavailable(String)
    case queryFailed(operation: String, sqlState: String)

    public var description: String {
        switch self {
        case .unavailable(let reason): "database unavailable (\(reason))"
        case .queryFailed(let operation, let sqlState): "\(operation) failed (SQLSTATE \(sqlState))"
        }
    }

    public var isConnectionProblem: Bool {
        switch self {
        case .unavailable: true
        // Class 08: connection exceptions; 57P: the server is shutting down or restarting.
        case .queryFailed(_, let state): state.hasPrefix("08") || state.hasPrefix("57P") || state == "unknown"
        }
    }
}
