/// A provider's own note of "where upstream was" when a snapshot was taken: Trakt's and Simkl's
/// activity timestamps, Letterboxd's `ETag` and `Last-Modified`. Opaque to the engine, which only
/// stores it with the snapshot (so a restart does not re-read the library) and hands it back.
public struct ChangeMark: Equatable, Sendable, Codable {
    public var values: [String: String]

    public init(_ values: [String: String] = [:]) {
        self.values = values
    }

    public subscript(key: String) -> String? {
        values[key]
    }
}
