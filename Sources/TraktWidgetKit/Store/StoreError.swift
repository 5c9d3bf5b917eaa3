/// A token store failure. The description names the operation and the OS or server reason, never a
/// value that was being read or written.
public struct StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    public var operation: String
    public var reason: String
    /// The store's shared part (the database) could not be reached, as opposed to refusing the operation.
    public var unreachable: Bool

    public init(_ operation: String, _ reason: String, unreachable: Bool = false) {
        self.operation = operation
        self.reason = reason
        self.unreachable = unreachable
    }

    public var description: String { "\(operation): \(reason)" }
}
