/// An item a provider has chosen, before its poster is looked up: where TMDB may have one, and the
/// provider's own poster to fall back on. The shared poster lookup turns it into a `WatchedItem`.
public struct UnresolvedItem: Equatable, Sendable {
    public var item: WatchedItem
    public var tmdb: PosterReference?
    public var fallbackPosterURL: String?

    public init(item: WatchedItem, tmdb: PosterReference?, fallbackPosterURL: String? = nil) {
        self.item = item
        self.tmdb = tmdb
        self.fallbackPosterURL = fallbackPosterURL
    }
}
