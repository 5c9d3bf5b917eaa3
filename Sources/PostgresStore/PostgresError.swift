/// A libpq failure, typed at the boundary. `description` is deliberately generic (operation and SQLSTATE),
/// so logs never carry a connection string or a parameter value. libpq's own message, which tells a
/// wrong password from a missing database, is kept in `debugDescription` with the password redacted.
public struct PostgresError: Error, Equatable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// No connection (server down, refused, timed out, or reconnect backoff still running).
        case unavailable(String)
        case queryFailed(operation: String, sqlState: String)
    }

    public var kind: Kind
    /// libpq's message (`PQerrorMessage`), password redacted; nil when libpq said nothing.
    public var detail: String?

    public static func unavailable(_ reason: String, detail: String? = nil) -> PostgresError {
        PostgresError(kind: .unavailable(reason), detail: detail)
    }

    public static func queryFailed(operation: String, sqlState: String, detail: String? = nil) -> PostgresError {
        PostgresError(kind: .queryFailed(operation: operation, sqlState: sqlState), detail: detail)
    }

    public var description: String {
        switch kind {
        case .unavailable(let reason): "database unavailable (\(reason))"
        case .queryFailed(let operation, let sqlState): "\(operation) failed (SQLSTATE \(sqlState))"
        }
    }

    public var debugDescription: String {
        guard let detail, !detail.isEmpty else { return description }
        return "\(description): \(detail)"
    }

    public var isConnectionProblem: Bool {
        switch kind {
        case .unavailable: true
        // Class 08: connection exceptions; 57P: the server is shutting down or restarting; 57014: a
        // statement timeout; 55P03: a lock timeout. Each means "not now", not "wrong".
        case .queryFailed(_, let state):
            state.hasPrefix("08") || state.hasPrefix("57P") || state == "57014" || state == "55P03" || state == "unknown"
        }
    }

    /// libpq's text with every occurrence of `secret` (the password) replaced.
    static func redacted(_ message: String, hiding secret: String?) -> String {
        var text = message.trimmingCharacters(in: " \t\r\n")
        if let secret, !secret.isEmpty { text = text.replacing(secret, with: "***") }
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
