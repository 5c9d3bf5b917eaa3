/// Everything one refresh learned from a provider: the recent items and what is playing now.
public struct WatchSnapshot: Equatable, Sendable, Codable {
    /// The most recent items a provider keeps.
    public static let maximumRecent = 10

    /// Newest first, at most `maximumRecent`, posters resolved.
    public var recent: [WatchedItem]
    /// Nil when idle, or when the provider has no "watching now" endpoint.
    public var watching: WatchingNow?

    public init(recent: [WatchedItem], watching: WatchingNow? = nil) {
        self.recent = Array(recent.prefix(Self.maximumRecent))
        self.watching = watching
    }

    /// A provider that knows only its newest item (Trakt's `limit=1` history).
    public init(last item: WatchedItem?) {
        self.init(recent: item.map { [$0] } ?? [])
    }

    public static let empty = WatchSnapshot(recent: [])

    /// The item `/api/watch/last` shows.
    public var last: WatchedItem? { recent.first }
}
