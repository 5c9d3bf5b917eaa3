/// A pre-built answer: the body, its strong ETag, and how long caches may keep it.
public struct RenderedBody: Sendable {
    public enum Freshness: Sendable {
        /// Fresh for what is left of the result's TTL, like the JSON.
        case result
        /// An empty or error card: short-lived, so the real card replaces it soon.
        case message
    }

    public let body: [UInt8]
    public let etag: String
    public let freshness: Freshness

    public init(body: [UInt8], freshness: Freshness) {
        self.body = body
        self.etag = EntityTag.of(body)
        self.freshness = freshness
    }
}
