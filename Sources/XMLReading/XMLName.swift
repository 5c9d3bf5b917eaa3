/// An element's name as namespaces define it: the namespace URI (empty when none) and the local name.
/// Prefixes are the document's choice and are never compared.
public struct XMLName: Hashable, Sendable {
    public var namespace: String
    public var local: String

    public init(_ namespace: String, _ local: String) {
        self.namespace = namespace
        self.local = local
    }
}
