/// One immutable, pre-encoded answer for `/api/watch/last` (and `/api/trakt/last` for Trakt).
///
/// Built once per refresh, then shared by every request: the hot path only reads a body and its tag.
public final class CachedResult: Sendable {
    public let provider: ProviderKind
    public let snapshot: WatchSnapshot
    /// When this content was first fetched; it is the body's `cached_at`. It stays put while upstream
    /// confirms nothing changed, so the body, and so its ETag, stay stable across refreshes.
    public let fetchedAt: Double
    /// When upstream last confirmed this content; freshness counts from here.
    public let verifiedAt: Double
    public let stale: Bool
    /// The newest item's TMDB reference when TMDB failed for it (as opposed to answering "no poster"),
    /// so the next refresh asks again for that alone.
    public let posterRetry: PosterReference?
    /// The provider's note of where upstream was; nil when unknown, which forces a full fetch.
    public let mark: ChangeMark?

    /// `/api/trakt/last`: the original contract, byte for byte.
    public let body: [UInt8]
    public let etag: String
    /// `/api/watch/last`: the same item with `url`, plus `provider`.
    public let watchBody: [UInt8]
    public let watchETag: String

    public init(
        provider: ProviderKind, snapshot: WatchSnapshot, fetchedAt: Double, verifiedAt: Double, stale: Bool = false,
        posterRetry: PosterReference?, mark: ChangeMark?
    ) {
        self.provider = provider
        self.snapshot = snapshot
        self.fetchedAt = fetchedAt
        self.verifiedAt = verifiedAt
        self.stale = stale
        self.posterRetry = posterRetry
        self.mark = mark
        self.body = LastWatchedBody.encode(item: snapshot.last, watching: snapshot.watching, cachedAt: fetchedAt, stale: stale)
        self.etag = EntityTag.of(body)
        self.watchBody = WatchLastBody.encode(item: snapshot.last, watching: snapshot.watching, provider: provider, cachedAt: fetchedAt, stale: stale)
        self.watchETag = EntityTag.of(watchBody)
    }

    /// The item `/api/watch/last` shows.
    public var item: WatchedItem? { snapshot.last }

    public func with(stale: Bool) -> CachedResult {
        stale == self.stale ? self : copy(stale: stale)
    }

    /// The same content, confirmed unchanged by upstream at `time`.
    public func reverified(at time: Double, mark: ChangeMark?) -> CachedResult {
        copy(verifiedAt: time, stale: false, mark: mark)
    }

    private func copy(verifiedAt: Double? = nil, stale: Bool? = nil, mark: ChangeMark?? = nil) -> CachedResult {
        CachedResult(
            provider: provider, snapshot: snapshot, fetchedAt: fetchedAt, verifiedAt: verifiedAt ?? self.verifiedAt,
            stale: stale ?? self.stale, posterRetry: posterRetry, mark: mark ?? self.mark
        )
    }
}
