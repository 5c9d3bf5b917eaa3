/// A token store failure. The description names the operation and the OS or server reason, never a
/// value that was being read or written.
public struct StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    public var operation: String
    public var reason: String

    public init(_ operation: String, _ reason: String) {
        self.operation = operation
        self.reason = reason
    }

    public var description: String { "\(operation): \(reason)" }
}
