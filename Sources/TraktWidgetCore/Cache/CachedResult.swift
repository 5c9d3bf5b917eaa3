/// One immutable, pre-encoded answer for `/api/trakt/last`.
///
/// Built once per refresh, then shared by every request: the hot path only reads `body` and `etag`.
public final class CachedResult: Sendable {
    public let item: WatchedItem?
    /// When this content was first fetched; it is the body's `cached_at`. It stays put while Trakt
    /// confirms nothing changed, so the body, and so its ETag, stay stable across refreshes.
    public let fetchedAt: Double
    /// When Trakt last confirmed this content; freshness counts from here.
    public let verifiedAt: Double
    public let stale: Bool
    /// Where the poster came from, kept so a TMDB lookup that failed can be retried on its own.
    public let poster: PosterReference?
    /// False when TMDB failed (as opposed to answering "no poster"), so the next refresh asks again.
    public let posterResolved: Bool
    /// The `last_activities` marks this result reflects; nil when unknown, which forces a history fetch.
    public let activities: TraktLastActivities?
    /// The newest item of each history this result was built from; nil when unknown (a result stored by
    /// an older version), which makes a refresh where one side fails count as failed.
    public let sides: HistorySides?

    public let body: [UInt8]
    public let etag: String

    public init(
        item: WatchedItem?, fetchedAt: Double, verifiedAt: Double, stale: Bool = false,
        poster: PosterReference?, posterResolved: Bool, activities: TraktLastActivities?, sides: HistorySides? = nil
    ) {
        self.item = item
        self.fetchedAt = fetchedAt
        self.verifiedAt = verifiedAt
        self.stale = stale
        self.poster = poster
        self.posterResolved = posterResolved
        self.activities = activities
        self.sides = sides
        self.body = LastWatchedBody.encode(item: item, cachedAt: fetchedAt, stale: stale)
        self.etag = EntityTag.of(body)
    }

    public func with(stale: Bool) -> CachedResult {
        stale == self.stale ? self : copy(stale: stale)
    }

    /// The same content, confirmed unchanged by Trakt at `time`.
    public func reverified(at time: Double, activities: TraktLastActivities?) -> CachedResult {
        copy(verifiedAt: time, stale: false, activities: activities)
    }

    private func copy(
        verifiedAt: Double? = nil, stale: Bool? = nil, activities: TraktLastActivities?? = nil
    ) -> CachedResult {
        CachedResult(
            item: item, fetchedAt: fetchedAt, verifiedAt: verifiedAt ?? self.verifiedAt,
            stale: stale ?? self.stale, poster: poster, posterResolved: posterResolved,
            activities: activities ?? self.activities, sides: sides
        )
    }
}
