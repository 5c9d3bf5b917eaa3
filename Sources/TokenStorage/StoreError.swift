/// A token store failure, as every store reports it through `TokenStore`. `cause` is the store's own
/// error (`FileStoreError`, `PostgresError`), for a caller that must tell a full disk from a database
/// that is down. The description names the operation and the reason, never a value being read or written.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var cause: any Error

    public init(_ operation: String, cause: any Error) {
        self.operation = operation
        self.cause = cause
    }

    public var description: String { "\(operation): \(cause)" }
}
