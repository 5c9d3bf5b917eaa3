/// A token store failure, as every store reports it through `TokenStore`. `cause` is the store's own
/// error (`FileStoreError`, `PostgresError`), for a caller that must tell a full disk from a database
/// that is down. The description names the operation and the reason, never a value being read or written.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var cause: any Error
    /// The store's shared part (the database) could not be reached, as opposed to refusing the operation:
    /// the token manager may then keep its access token, or rotate from the local copy as a last resort.
    public var unreachable: Bool

    public init(_ operation: String, cause: any Error, unreachable: Bool = false) {
        self.operation = operation
        self.cause = cause
        self.unreachable = unreachable
    }

    public var description: String { "\(operation): \(cause)" }
}
